"""SLA targets declared in the packs: validation, one source of truth, and agreement of the
rule, the SLA clock and the session deadline at the target's boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel

from csrules._policy.facts import get_fact_type, register_fact_type
from csrules._policy.loader import loads_policy
from csrules.domain import ComplaintStep
from csrules.domain.slas import Pause
from csrules.exceptions import FactError, PolicyError
from csrules.policies import Pack, load_pack
from csrules.policies.slas import PackSla, SlaDeclaration, read_slas, resolve_sla, sla_policy

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=CST)
SECOND = timedelta(seconds=1)


def fact(fact_type: str, **values: Any) -> Any:
    """A validated fact of ``fact_type``."""
    return get_fact_type(fact_type).model_validate(values)


def rule_holds(pack: Pack, rule_id: str, item: Any, now: datetime) -> bool:
    """Whether the pack's stateless engine matches ``rule_id`` for ``item`` at ``now``."""
    return rule_id in pack.engine().evaluate(item, now=now).rule_ids


# The three pack SLAs: pack, SLA id, rule id, target, fact type, a running fact, the stop field.
CASES: list[tuple[str, str, str, timedelta, str, dict[str, Any], str | None]] = [
    ("call_centre", "CB-1.callback", "CB-1.overdue", timedelta(days=3), "callback_task",
     {"customer": "Ms Li", "created_at": T0}, "called_at"),
    ("online_support", "CMP-4.reply", "CMP-4.late", timedelta(days=3), "work_order",
     {"order_id": "K1", "opened_at": T0, "first_handler": "S01", "owner": "S01", "answer_deferred": True},
     "replied_at"),
    ("mall", "ORD-1.shipping", "ORD-1.shipping-delay", timedelta(hours=3), "order",
     {"order_no": "O1", "placed_at": T0, "status": "shipping", "amount": 88}, None),
]
IDS = [case[1] + "@" + case[0] for case in CASES]
STOPPED = [case for case in CASES if case[6] is not None]


class TestDeclarations:
    """What the packs declare, and how bad declarations are refused."""

    @pytest.mark.parametrize(("pack", "sla_id", "rule_id", "target", "fact_type", "values", "stop"), CASES, ids=IDS)
    def test_each_source_target_is_declared(
        self, pack: str, sla_id: str, rule_id: str, target: timedelta, fact_type: str,
        values: dict[str, Any], stop: str | None,
    ) -> None:
        """Each pack declares the source's target with the rule's code and a cited clause."""
        sla = load_pack(pack).slas.get(sla_id)
        assert sla.target.delta == target  # type: ignore[union-attr]
        assert sla.declaration.rule == rule_id
        assert sla.code == sla_id.split(".")[0]
        assert sla.fact_type == fact_type
        assert sla.declaration.citation.section

    def test_call_centre_reply_target_sets_the_lifecycle(self) -> None:
        """The call centre's CMP-4 target has no rule of its own and sets the lifecycle deadline."""
        pack = load_pack("call_centre")
        assert str(pack.slas.get("CMP-4.reply").target) == "3d"
        assert pack.lifecycle_params["cmp-1"] == {"callback_within": "3d", "reply_within": "3d"}

    def test_unknown_sla_names_the_known(self) -> None:
        """Asking for an undeclared SLA lists the declared ones."""
        with pytest.raises(PolicyError, match=r"SLAs: ORD-1\.shipping"):
            load_pack("mall").slas.get("CB-1.callback")

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"colour": "red"}, r"slas\[0\]\.colour.*Extra inputs"),
            ({"warn_at": [0.5, 1.2]}, r"slas\[0\]\.warn_at.*strictly between 0 and 1"),
            ({"target": "soon"}, r"slas\[0\]\.target"),
            ({"id": "callback"}, r"slas\[0\]\.id"),
            ({"calendar": "mars"}, r"slas\[0\].*mars"),
        ],
    )
    def test_bad_entry_names_file_and_key(self, change: dict[str, Any], message: str) -> None:
        """A malformed entry raises a PolicyError naming pack.yaml and the key."""
        entry = {**_entry(), **change}
        with pytest.raises(PolicyError, match=r"call_centre/pack\.yaml") as info:
            read_slas("call_centre", {"slas": [entry]})
        assert info.match(message)

    def test_section_must_be_a_list(self) -> None:
        """``slas:`` holding a mapping is refused at its key."""
        with pytest.raises(PolicyError, match="at slas: slas must be a list"):
            read_slas("call_centre", {"slas": {"id": "CB-1"}})

    def test_duplicate_ids_are_refused(self) -> None:
        """Two entries with one id are refused at the second."""
        with pytest.raises(PolicyError, match=r"slas\[1\]\.id.*declared twice"):
            read_slas("call_centre", {"slas": [_entry(), _entry()]})

    def test_manifest_cannot_set_an_sla_owned_parameter(self) -> None:
        """A lifecycle parameter an SLA sets cannot also be given in the manifest."""
        data = {"slas": [_entry()], "lifecycles": [{"name": "cmp-1", "params": {"callback_within": "2d"}}]}
        with pytest.raises(PolicyError, match=r"lifecycles\[0\]\.params\.callback_within.*set by SLA 'CB-1.callback'"):
            read_slas("call_centre", data)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"policy": "payroll"}, r"slas\[0\]\.policy.*unknown policy 'payroll'"),
            ({"start": "customer"}, r"slas\[0\]\.start.*must be a datetime field"),
            ({"stop": "called"}, r"slas\[0\]\.stop"),
            ({"applies": {"kind": "visit"}}, r"slas\[0\]\.applies\.kind.*not a possible value"),
            ({"applies": {"colour": 1}}, r"slas\[0\]\.applies\.colour.*no field"),
            ({"target": {"param": "first_contact"}}, r"slas\[0\]\.target\.param.*callback_within, first_contact"),
            ({"rule": "CB-1.key"}, r"slas\[0\]\.rule.*no rule 'CB-1.key'"),
            ({"target": {"param": "first_contact_within"}}, r"does not measure from created_at.*could disagree"),
            ({"target": "3 business days"}, r"slas\[0\]\.calendar.*business time"),
            ({"calendar": "china"}, r"slas\[0\]\.calendar.*counts business time"),
        ],
    )
    def test_declaration_is_checked_against_the_policy(self, change: dict[str, Any], message: str) -> None:
        """Fields, values, parameter and rule are checked against the named policy."""
        decl = SlaDeclaration.model_validate({**_entry(), **change})
        with pytest.raises(PolicyError, match=message):
            resolve_sla("call_centre", 0, decl, load_pack("call_centre").policies)


def _entry() -> dict[str, Any]:
    """The call centre's CB-1 declaration, as written."""
    return {
        "id": "CB-1.callback", "title": {"en": "Callback", "zh": "回訪"}, "policy": "callback",
        "applies": {"kind": "callback"}, "start": "created_at", "stop": "called_at",
        "target": {"param": "callback_within"}, "rule": "CB-1.overdue", "sets": ["cmp-1.callback_within"],
        "citation": {"source": "001", "section": "第四篇 二"},
    }


class TestOneSourceOfTruth:
    """Overrides move the rule, the SLA and the deadlines together."""

    def test_policy_parameter_moves_sla_and_lifecycle(self) -> None:
        """Overriding the rule's parameter moves the SLA target and the lifecycle deadline."""
        pack = load_pack("call_centre", overrides={"callback": {"callback_within": "2d"}})
        assert str(pack.slas.get("CB-1.callback").target) == "2d"
        assert pack.lifecycle_params["cmp-1"]["callback_within"] == "2d"

    def test_lifecycle_parameter_is_forwarded_to_the_rule(self) -> None:
        """Overriding the lifecycle's deadline overrides the rule's parameter it comes from."""
        pack = load_pack("call_centre", overrides={"cmp-1": {"callback_within": "1d"}})
        assert str(pack.policy("callback").param_values["callback_within"]) == "1d"
        assert str(pack.slas.get("CB-1.callback").target) == "1d"

    def test_literal_target_override(self) -> None:
        """The CMP-4 reply target moves with its rule's parameter, and the lifecycle follows."""
        pack = load_pack("call_centre", overrides={"work_order": {"reply_within": "2d"},
                                                   "CMP-4.reply": {"warn_at": [0.9]}})
        assert pack.lifecycle_params["cmp-1"]["reply_within"] == "2d"
        assert pack.slas.get("CMP-4.reply").declaration.warn_at == (0.9,)

    def test_session_policy_parameter_follows(self) -> None:
        """The online CMP-4 session policy's deadline follows the stateless rule's parameter."""
        pack = load_pack("online_support", overrides={"work_order": {"reply_within": "2d"}})
        assert str(pack.policy("work_order_session").param_values["reply_within"]) == "2d"

    def test_two_values_for_one_source_are_refused(self) -> None:
        """The same target given two different values in one override is refused."""
        with pytest.raises(PolicyError, match="give one value"):
            load_pack("call_centre", overrides={"cmp-1": {"callback_within": "1d"},
                                                "callback": {"callback_within": "2d"}})

    def test_target_read_from_a_parameter_is_not_overridden_by_id(self) -> None:
        """An SLA whose target is a parameter points the override at that parameter."""
        with pytest.raises(PolicyError, match="override that parameter instead"):
            load_pack("mall", overrides={"ORD-1.shipping": {"target": "1h"}})

    def test_unknown_sla_setting_is_refused(self) -> None:
        """An override of an SLA names the settings that can be tuned."""
        with pytest.raises(PolicyError, match="settings: target, warn_at, who, calendar"):
            load_pack("mall", overrides={"ORD-1.shipping": {"colour": "red"}})

    def test_bad_forwarded_value_names_the_parameter(self) -> None:
        """A bad lifecycle deadline names the lifecycle parameter it was given for."""
        with pytest.raises(PolicyError, match=r"cmp-1\.reply_within"):
            load_pack("call_centre", overrides={"cmp-1": {"reply_within": "soon"}})


class TestBoundary:
    """The rule, the SLA decision and the deadline agree just before, at and after the target."""

    @pytest.mark.parametrize(("pack", "sla_id", "rule_id", "target", "fact_type", "values", "stop"), CASES, ids=IDS)
    @pytest.mark.parametrize("offset", [-SECOND, timedelta(0), SECOND])
    def test_running_clock(
        self, pack: str, sla_id: str, rule_id: str, target: timedelta, fact_type: str,
        values: dict[str, Any], stop: str | None, offset: timedelta,
    ) -> None:
        """With no stop yet, rule and SLA agree at now = target + offset (a breach only after)."""
        loaded = load_pack(pack)
        item = fact(fact_type, **values)
        now = T0 + target + offset
        (check,) = loaded.slas.check(item, now=now)
        breach = f"{sla_id}.breach" in check.decision.rule_ids
        assert rule_holds(loaded, rule_id, item, now) == check.breached == breach == (offset > timedelta(0))
        assert check.due_at == T0 + target

    @pytest.mark.parametrize(("pack", "sla_id", "rule_id", "target", "fact_type", "values", "stop"),
                             STOPPED, ids=[i for i, c in zip(IDS, CASES, strict=True) if c[6]])
    @pytest.mark.parametrize("offset", [-SECOND, timedelta(0), SECOND])
    def test_stopped_clock(
        self, pack: str, sla_id: str, rule_id: str, target: timedelta, fact_type: str,
        values: dict[str, Any], stop: str, offset: timedelta,
    ) -> None:
        """Stopped at target + offset and read a week later, rule and SLA agree."""
        loaded = load_pack(pack)
        item = fact(fact_type, **{**values, stop: T0 + target + offset, "record_complete": True}
                    if fact_type == "callback_task" else {**values, stop: T0 + target + offset})
        now = T0 + timedelta(days=10)
        (check,) = loaded.slas.check(item, now=now)
        assert rule_holds(loaded, rule_id, item, now) == check.breached == (offset > timedelta(0))
        assert check.clock.running is False

    @pytest.mark.parametrize("offset", [-SECOND, timedelta(0), SECOND])
    def test_offsets_do_not_matter(self, offset: timedelta) -> None:
        """A task written in UTC and read at a Beijing-time now agrees at the same instants."""
        loaded = load_pack("call_centre")
        item = fact("callback_task", customer="Ms Li", created_at=T0.astimezone(UTC))
        now = T0 + timedelta(days=3) + offset
        (check,) = loaded.slas.check(item, now=now)
        assert rule_holds(loaded, "CB-1.overdue", item, now) == check.breached == (offset > timedelta(0))

    def test_fact_outside_the_clock_gives_nothing(self) -> None:
        """An order no longer shipping, or a non-deferred case, has no clock."""
        assert load_pack("mall").slas.check(fact("order", **{**CASES[2][5], "status": "sent"}), now=T0) == []
        online = dict(CASES[1][5], answer_deferred=False)
        assert load_pack("online_support").slas.check(fact("work_order", **online), now=T0) == []

    def test_warnings_carry_the_due_time(self) -> None:
        """At 80 % of the target the decision holds an obligation due at the breach instant."""
        loaded = load_pack("mall")
        (check,) = loaded.slas.check(fact("order", **CASES[2][5]), now=T0 + timedelta(hours=2, minutes=30))
        (obligation,) = check.decision.obligations
        assert obligation.rule_id == "ORD-1.shipping.warning-80"
        assert obligation.who == "online_cs"
        assert obligation.due == T0 + timedelta(hours=3)

    @pytest.mark.parametrize("backend", ["python"])
    def test_lifecycle_deadline_uses_the_sla_target(self, backend: str) -> None:
        """The complaint session breaches CB-1 once the SLA's (overridden) target has passed."""
        pack = load_pack("call_centre", overrides={"callback": {"callback_within": "2d"}})
        complaint = pack.sessions(backend=backend).session("c-1")
        steps = [("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}), ("propose", {}),
                 ("approve", {"approved_by": "department_head"})]
        for event, extra in steps:
            complaint.send(ComplaintStep(event=event, **extra), now=T0)
        handled = complaint.send(ComplaintStep(event="handle"), now=T0)
        due = [o.due for o in handled.obligations if "回訪" in o.action.zh]
        assert due == [pack.slas.get("CB-1.callback").due_at(T0)]
        assert "violation:CB-1" not in complaint.tick(T0 + timedelta(days=2) - SECOND).effect_keys
        assert "violation:CB-1" in complaint.tick(T0 + timedelta(days=2, seconds=1)).effect_keys


BUSINESS_POLICY = """
id: t.replies
version: "1"
title: Replies
fact_type: callback_task
params:
  within: {type: duration, default: 3 business days}
rules:
  - id: CB-1.late
    title: late
    when: {kind: notice, since: created_at, op: ">", param: within, calendar: china}
    then: [{type: violation, code: CB-1, message: late}]
"""


class TestBusinessTime:
    """A business-time target across the National Day holiday: rule and SLA agree."""

    @pytest.fixture
    def setup(self) -> tuple[Any, PackSla]:
        """A notice rule in working days and the SLA that reads its parameter."""
        policy = loads_policy(BUSINESS_POLICY)
        decl = SlaDeclaration.model_validate({
            "id": "CB-1.t", "title": "t", "policy": "replies", "start": "created_at", "stop": "called_at",
            "target": {"param": "within"}, "rule": "CB-1.late", "calendar": "china",
            "citation": {"source": "x", "section": "y"},
        })
        return policy, resolve_sla("t", 0, decl, [policy])

    @pytest.mark.parametrize("offset", [-SECOND, timedelta(0), SECOND])
    def test_boundary_after_the_holiday(self, setup: tuple[Any, PackSla], offset: timedelta) -> None:
        """Created 29 Sep, the target falls on 9 Oct after the holiday; both agree around it."""
        from csrules._engine.engine import Engine

        policy, sla = setup
        created = datetime(2026, 9, 29, 10, 0, tzinfo=CST)
        due = sla.due_at(created)
        assert due == datetime(2026, 10, 9, 10, 0, tzinfo=CST)
        item = fact("callback_task", customer="Li", created_at=created)
        now = due + offset
        clock = sla.clock(item, now=now)
        assert clock is not None
        holds = bool(Engine([policy]).evaluate(item, now=now).violations)
        assert holds == clock.breached == (offset > timedelta(0))

    def test_holiday_does_not_count(self, setup: tuple[Any, PackSla]) -> None:
        """During the holiday neither the rule nor the SLA sees a breach, though 3 days passed."""
        from csrules._engine.engine import Engine

        policy, sla = setup
        created = datetime(2026, 9, 29, 10, 0, tzinfo=CST)
        item = fact("callback_task", customer="Li", created_at=created)
        now = datetime(2026, 10, 5, 12, 0, tzinfo=CST)
        clock = sla.clock(item, now=now)
        assert clock is not None
        assert not clock.breached
        assert clock.breach_at == sla.due_at(created)
        assert not Engine([policy]).evaluate(item, now=now).violations
        decision = Engine([sla_policy("t", [sla])]).evaluate(clock.fact(sla.id), now=now)
        assert decision.effect_keys == ("obligation:agent",)  # the 50 % warning


class TestSessionInstant:
    """The session deadline at the exact target instant."""

    def test_lifecycle_agrees_with_the_rule_at_the_instant(self) -> None:
        """At exactly the target the rule sees no breach; the complaint session should not either."""
        pack = load_pack("call_centre")
        complaint = pack.sessions(backend="python").session("c-1")
        steps = [("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}), ("propose", {}),
                 ("approve", {"approved_by": "department_head"}), ("handle", {})]
        for event, extra in steps:
            complaint.send(ComplaintStep(event=event, **extra), now=T0)
        item = fact("callback_task", customer="Li", created_at=T0)
        at_target = T0 + timedelta(days=3)
        assert not rule_holds(pack, "CB-1.overdue", item, at_target)
        assert "violation:CB-1" not in complaint.tick(at_target).effect_keys


@register_fact_type(name="sla_test_ticket")
class WaitingTicket(BaseModel):
    """A ticket that records when it waited on the customer."""

    opened_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    waiting: list[Pause] = []
    note: str | None = None


TICKET_POLICY = """
id: t.tickets
version: "1"
title: Tickets
fact_type: sla_test_ticket
params:
  answer_within: {type: duration, default: 4h}
rules:
  - id: TK-1.late
    title: late
    when: {kind: elapsed, since: opened_at, op: ">", param: answer_within}
    then: [{type: violation, code: TK-1, message: late}]
"""


class TestPauses:
    """A declaration's ``pauses`` field stops the clock while the ticket waits."""

    @staticmethod
    def sla(**change: Any) -> PackSla:
        """The TK-1 declaration over the test ticket policy, with ``change`` applied."""
        decl = SlaDeclaration.model_validate({
            "id": "TK-1.answer", "title": "Answer", "policy": "tickets", "start": "opened_at",
            "stop": "answered_at", "pauses": "waiting", "target": {"param": "answer_within"},
            "citation": {"source": "x", "section": "y"}, **change,
        })
        return resolve_sla("t", 0, decl, [loads_policy(TICKET_POLICY)])

    def test_waiting_time_does_not_count(self) -> None:
        """An hour waiting on the customer moves the breach an hour later."""
        waited = Pause(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2))
        ticket = WaitingTicket(opened_at=T0, waiting=[waited])
        clock = self.sla().clock(ticket, now=T0 + timedelta(hours=4, minutes=30))
        assert clock is not None
        assert not clock.breached
        assert clock.breach_at == T0 + timedelta(hours=5)

    def test_open_pause_stops_the_clock(self) -> None:
        """While the ticket still waits, the clock is paused and no breach is due."""
        ticket = WaitingTicket(opened_at=T0, waiting=[Pause(start=T0 + timedelta(hours=1))])
        clock = self.sla().clock(ticket, now=T0 + timedelta(hours=9))
        assert clock is not None
        assert clock.paused
        assert clock.breach_at is None
        assert not clock.breached

    @pytest.mark.parametrize(("field", "message"), [("missing", "no field 'missing'"), ("note", "must list spans")])
    def test_pauses_field_is_checked(self, field: str, message: str) -> None:
        """``pauses`` must name a field listing start/end spans."""
        with pytest.raises(PolicyError, match=rf"slas\[0\]\.pauses.*{message}"):
            self.sla(pauses=field)


class TestCheckInput:
    """What ``pack.slas.check`` accepts."""

    def test_fact_type_without_targets_gives_nothing(self) -> None:
        """A fact of a type the pack sets no target for has no SLA checks."""
        order = fact("order", **CASES[2][5])
        assert load_pack("call_centre").slas.check(order, now=T0) == []
        assert load_pack("ecommerce").slas.check(order, now=T0) == []

    def test_mapping_needs_its_fact_type_when_ambiguous(self) -> None:
        """A mapping is read as the only fact type with targets, else its type must be named."""
        values = {"customer": "Ms Li", "created_at": T0.isoformat()}
        with pytest.raises(PolicyError, match="callback_task, work_order"):
            load_pack("call_centre").slas.check(values, now=T0)
        (check,) = load_pack("call_centre").slas.check(values, now=T0, fact_type="callback_task")
        assert check.clock.fraction == 0.0
        mall = load_pack("mall").slas.check({"order_no": "O1", "placed_at": T0.isoformat(), "status": "shipping",
                                             "amount": 1}, now=T0)
        assert [c.sla.id for c in mall] == ["ORD-1.shipping"]

    def test_bad_mapping_is_a_fact_error(self) -> None:
        """A mapping that does not validate raises FactError listing the problem."""
        with pytest.raises(FactError, match="placed_at"):
            load_pack("mall").slas.check({"order_no": "O1", "status": "shipping", "amount": 1}, now=T0)


class TestDutyTargets:
    """A target governing a duty (a rule that obliges and never violates) is missed as that duty."""

    def test_ord1_missed_is_the_chase_not_a_violation(self) -> None:
        """ORD-1 (超過三小時還是在發貨狀態下要及時與物流部交涉) obliges online_cs to chase: past the
        target the SLA gives the same obligation as the rule, never a violation."""
        mall = load_pack("mall")
        order = fact("order", order_no="O1", placed_at=T0, status="shipping", amount=88)
        now = T0 + timedelta(hours=3, seconds=1)
        (check,) = mall.slas.check(order, now=now)
        assert check.breached
        assert not check.decision.violations
        assert [o.who for o in check.decision.obligations] == ["online_cs"]
        assert rule_holds(mall, "ORD-1.shipping-delay", order, now)

    def test_cmp4_covers_only_a_deferred_answer(self) -> None:
        """CMP-4's three days run only for a complaint whose answer could not be given at once
        (若無法及時答復…建立個案): an order answered at once is never late by this target."""
        cc = load_pack("call_centre")
        base = {"order_id": "K1", "opened_at": T0, "first_handler": "S", "owner": "S"}
        now = T0 + timedelta(days=3, seconds=1)
        assert not cc.slas.check(fact("work_order", **base), now=now)
        (deferred,) = cc.slas.check(fact("work_order", **base, answer_deferred=True), now=now)
        assert deferred.breached
