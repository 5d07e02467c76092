"""Regression tests of the fixes to SLA clocks, dated targets, lifecycles and the testing tools."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, Field

from csrules import Engine, Policy, register_fact_type
from csrules._test_file_rule import meant_as_test_file as _meant_as_test_file
from csrules._time.registry import registered_time
from csrules.domain.china import china_calendar, china_official_years
from csrules.domain.complaint import ComplaintStep, complaint_lifecycle
from csrules.domain.escalation import EscalationLadder
from csrules.domain.facts import CallbackTask
from csrules.domain.slas import SlaPolicy, SlaTicket
from csrules.exceptions import CalendarError, PolicyError
from csrules.policies import Pack, load_pack
from csrules.records import JsonlLog, read_log, replay_steps
from csrules.sessions import Lifecycle, SessionEngine
from csrules.testing import (
    DecisionMismatch,
    TestFileError,
    assert_decision,
    explore,
    load_test_file,
    run_test_file,
)

Z = ZoneInfo("Asia/Shanghai")


class TestSlaClockTime:
    """A clock-time target counts real time even when the policy has a calendar."""

    def test_clock_target_counts_real_time_beside_business_targets(self) -> None:
        """An urgent 1h first reply read 16.5 real hours later (over a weekend evening) is breached."""
        policy = SlaPolicy(
            targets={"urgent": {"first_reply": "1h"}, "normal": {"first_reply": "8 business hours"}},
            calendar=china_calendar(years=[2026]),
        )
        ticket = SlaTicket(ticket_id="T1", priority="urgent", created_at=datetime(2026, 3, 6, 17, 30, tzinfo=Z))
        clock = policy.clocks(ticket, now=datetime(2026, 3, 7, 10, 0, tzinfo=Z))[0]
        assert (clock.elapsed, clock.breached) == (timedelta(hours=16, minutes=30), True)

    def test_business_target_still_counts_working_time(self) -> None:
        """A normal 8 business hours first reply over the same span counts only working time."""
        policy = SlaPolicy(targets={"normal": {"first_reply": "8 business hours"}},
                           calendar=china_calendar(years=[2026]))
        ticket = SlaTicket(ticket_id="T2", priority="normal", created_at=datetime(2026, 3, 6, 17, 30, tzinfo=Z))
        clock = policy.clocks(ticket, now=datetime(2026, 3, 7, 10, 0, tzinfo=Z))[0]
        assert clock.elapsed < timedelta(hours=1)


class TestSlaCalendarEnd:
    """A business-time clock reaching the end of the calendar's data refuses, naming the year."""

    def test_clock_after_last_working_hour_of_the_data_refuses(self) -> None:
        """Read at 18:30 on the last day the calendar covers, the clock raises naming 2027."""
        policy = SlaPolicy(targets={"normal": {"resolution": "8 business hours"}},
                           calendar=china_calendar(years=[2026]))
        ticket = SlaTicket(ticket_id="T3", priority="normal", created_at=datetime(2026, 12, 31, 14, tzinfo=Z))
        with pytest.raises(CalendarError, match="2027"):
            policy.clocks(ticket, now=datetime(2026, 12, 31, 18, 30, tzinfo=Z))


def _company_pack(tmp_path: Path, name: str, overrides: str) -> Pack:
    """A company pack extending call_centre with ``overrides`` (YAML text of the section)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pack.yaml").write_text(
        f"name: {name}\ntitle: {{en: Dated, zh: 日期}}\nversion: '1'\nextends: call_centre\noverrides:\n{overrides}",
        encoding="utf-8",
    )
    return load_pack(folder)


_DATED_CALLBACK = ("  callback:\n    callback_within:\n      - {value: 3d}\n"
                   "      - {value: 1d, valid_from: 2026-07-01}\n")


@pytest.fixture(scope="module")
def cb_pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """The call centre with callback_within 3 days, 1 day from 1 July 2026."""
    return _company_pack(tmp_path_factory.mktemp("cp"), "cb_dated", _DATED_CALLBACK)


@pytest.fixture(scope="module")
def esc_pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """The call centre with shift_lead_after 24 h, 12 h from 1 July 2026."""
    return _company_pack(tmp_path_factory.mktemp("cp"), "esc_dated",
                         "  work_order:\n    shift_lead_after:\n      - {value: 24h}\n"
                         "      - {value: 12h, valid_from: 2026-07-01}\n")


class TestDatedSlaTarget:
    """A dated override of an SLA's parameter moves the rule, the SLA check and the lifecycle together."""

    def test_sla_check_uses_the_version_in_force(self, cb_pack: Pack) -> None:
        """A callback of August, uncalled 36 hours on, breaches the 1-day target as the engine says."""
        created = datetime(2026, 8, 3, 10, tzinfo=Z)
        fact = CallbackTask(customer="Ms Li", created_at=created)
        now = created + timedelta(hours=36)
        (check,) = cb_pack.slas.check(fact, now=now)
        engine = cb_pack.engine().evaluate(fact, now=now)
        assert (check.breached, check.due_at, "violation:CB-1" in engine.effect_keys) == (
            True, created + timedelta(days=1), True)

    def test_sla_check_before_the_change_keeps_the_old_target(self, cb_pack: Pack) -> None:
        """A callback of June, uncalled 36 hours on, is within the 3-day target."""
        created = datetime(2026, 6, 3, 10, tzinfo=Z)
        (check,) = cb_pack.slas.check(CallbackTask(customer="Ms Li", created_at=created),
                                   now=created + timedelta(hours=36))
        assert (check.breached, check.due_at) == (False, created + timedelta(days=3))

    def test_lifecycle_callback_deadline_follows_the_version(self, cb_pack: Pack) -> None:
        """A complaint handled in August owes its callback in 1 day; one handled in June in 3."""
        dues = []
        for handled in (datetime(2026, 8, 3, 10, tzinfo=Z), datetime(2026, 6, 3, 10, tzinfo=Z)):
            session = cb_pack.sessions().session("c1")
            steps = [("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}), ("propose", {}),
                     ("approve", {"approved_by": "department_head"}), ("handle", {})]
            for event, fields in steps:
                result = session.send(ComplaintStep(event=event, **fields), now=handled, fact_type="complaint_step")
            dues.append([effect.due for effect in result.effects])
        assert dues == [[datetime(2026, 8, 4, 10, tzinfo=Z)], [datetime(2026, 6, 6, 10, tzinfo=Z)]]

    def test_sets_policy_parameter_follows_the_version(self, cb_pack: Pack) -> None:
        """The work order's follow_up_within, set by the SLA, takes the same dated values."""
        values = [(v.valid_from, v.param_values["follow_up_within"]) for v in cb_pack.versions("work_order")]
        assert [str(value) for _, value in values] == ["3d", "1d"]

    def test_days_are_read_in_the_pack_zone(self, tmp_path: Path) -> None:
        """In a London pack the 1-day target starts at midnight London time, not Beijing's."""
        folder = tmp_path / "london"
        folder.mkdir()
        (folder / "pack.yaml").write_text(
            "name: london\ntitle: {en: London, zh: 倫敦}\nversion: '1'\nextends: call_centre\n"
            f"timezone: Europe/London\noverrides:\n{_DATED_CALLBACK}", encoding="utf-8")
        sla = load_pack(folder).slas.get("CB-1.callback")
        london = ZoneInfo("Europe/London")
        before = datetime(2026, 6, 30, 23, 30, tzinfo=london)  # already 1 July in Beijing
        assert [str(sla.target_at(when)) for when in (before, before + timedelta(hours=1))] == ["3d", "1d"]

    def test_lifecycle_refuses_business_time_in_a_change(self) -> None:
        """A deadline whose later value is business time is refused, naming the change."""
        with pytest.raises(PolicyError, match="business time"):
            complaint_lifecycle(callback_within=[{"value": "3d"}, {"value": "2 business days",
                                                                  "since": "2026-06-30T16:00:00+00:00"}])


class TestDatedLadder:
    """An escalation ladder built from a dated work-order policy is the version in force."""

    def test_ladder_of_the_orders_day(self, esc_pack: Pack) -> None:
        """An August order 18 h old is the shift lead's, as the stateless engine says; a June one is not."""
        owners = []
        for opened in (datetime(2026, 8, 3, 10, tzinfo=Z), datetime(2026, 6, 3, 10, tzinfo=Z)):
            ladder = EscalationLadder.from_policy(esc_pack.versions("work_order"), as_of=opened)
            owners.append(ladder.position(opened, opened + timedelta(hours=18)).owner_role)
        assert owners == ["shift_lead", "agent"]

    def test_a_dated_version_without_as_of_is_refused(self, esc_pack: Pack) -> None:
        """Building from one dated version (esc_pack.policy) without as_of is refused, not the first version taken."""
        with pytest.raises(PolicyError, match="as_of"):
            EscalationLadder.from_policy(esc_pack.policy("call_centre.work_order"))


class TestPluginFindsTestFiles:
    """The pytest plugin reads a test_*.yaml file's YAML to decide whether it is a policy test file."""

    @pytest.mark.parametrize("text", [
        '"cases":\n  - {name: a, fact: {}, expect: []}\npolicy: p.yaml\n',
        "'cases': []\n",
        "{policies: [p.yaml], cases: [{name: a, fact: {}, expect: []}]}\n",
        "\ufeffcases: []\n",
        "policies: [p.yaml]\ncase: []\n",
        "cases: [unclosed\n",
    ])
    def test_test_files_in_any_yaml_form_are_collected(self, tmp_path: Path, text: str) -> None:
        """Quoted, flow-style, BOM-led, misspelt-case and unparsable files are collected (so problems are reported)."""
        path = tmp_path / "test_policy.yaml"
        path.write_text(text, encoding="utf-8")
        assert _meant_as_test_file(path)

    def test_other_yaml_is_left_alone(self, tmp_path: Path) -> None:
        """A settings file named test_*.yaml is not collected."""
        path = tmp_path / "test_settings.yaml"
        path.write_text("retries: 3\n", encoding="utf-8")
        assert not _meant_as_test_file(path)


_CALLBACK_NOW = datetime(2026, 3, 10, 11, tzinfo=Z)
_CALLBACK = {"customer": "Ms Li", "created_at": "2026-03-10T10:00:00+08:00"}


class TestDueExpectations:
    """The testing tools check an obligation's due time, compared as an instant."""

    def test_assert_decision_catches_a_wrong_due(self) -> None:
        """The call centre's callback obligation is due three days on; expecting 30 days fails naming both."""
        engine = load_pack("call_centre").engine()
        with pytest.raises(DecisionMismatch, match="due of obligation:agent: expected 2026-04-09"):
            assert_decision(engine, _CALLBACK, now=_CALLBACK_NOW, fact_type="callback_task",
                            due={"obligation:agent": datetime(2026, 4, 9, 10, tzinfo=Z)})

    def test_assert_decision_compares_instants(self) -> None:
        """The right due written in UTC passes."""
        engine = load_pack("call_centre").engine()
        assert_decision(engine, _CALLBACK, now=_CALLBACK_NOW, fact_type="callback_task",
                        expect=["obligation:agent"],
                        due={"obligation:agent": datetime(2026, 3, 13, 2, tzinfo=ZoneInfo("UTC"))})

    def test_test_file_case_with_due(self, tmp_path: Path) -> None:
        """A test-file case's due is checked: the right instant passes, a wrong one fails."""
        results = []
        for due in ("2026-03-13T02:00:00Z", "2026-04-09T10:00:00+08:00"):
            path = tmp_path / f"cb{len(results)}.test.yaml"
            path.write_text(
                "pack: call_centre\ncases:\n  - name: callback due\n    fact_type: callback_task\n"
                "    now: '2026-03-10T11:00:00+08:00'\n"
                "    fact: {customer: Ms Li, created_at: '2026-03-10T10:00:00+08:00'}\n"
                f"    expect: [obligation:agent]\n    due: {{obligation:agent: '{due}'}}\n", encoding="utf-8")
            results.append([r.passed for r in run_test_file(path)])
        assert results == [[True], [False]]

    def test_session_step_due(self, tmp_path: Path) -> None:
        """A step's due is checked: the complaint's reply is due 3 days after registering, not 30."""
        results = []
        for due in ("2026-03-13T09:00:00+08:00", "2026-04-09T09:00:00+08:00"):
            path = tmp_path / f"steps{len(results)}.test.yaml"
            path.write_text(
                "pack: call_centre\nfact_type: complaint_step\ncases:\n  - name: reply due\n    steps:\n"
                "      - {fact: {event: register, complainant: Ms Li}, at: '2026-03-10T09:00:00+08:00',"
                " expect: [obligation:agent],"
                f" due: {{obligation:agent: '{due}'}}}}\n", encoding="utf-8")
            results.append([r.passed for r in run_test_file(path)])
        assert results == [[True], [False]]

    def test_due_for_a_key_not_expected_is_refused(self, tmp_path: Path) -> None:
        """A due naming an effect key the case does not expect is a file error naming the key."""
        path = tmp_path / "bad.test.yaml"
        path.write_text("pack: call_centre\ncases:\n  - name: c\n    fact_type: callback_task\n"
                        "    fact: {customer: Ms Li, created_at: '2026-03-10T10:00:00+08:00'}\n"
                        "    expect: []\n    due: {obligation:agent: '2026-03-13T10:00:00+08:00'}\n", encoding="utf-8")
        with pytest.raises(TestFileError, match="obligation:agent"):
            load_test_file(path)


@register_fact_type(name="fixtools_order")
class _Order(BaseModel):
    """An order: its amount and channel (always the phone, so the phone rule masks the big one)."""

    amount: int = Field(ge=0, le=100000)
    channel: Literal["phone"]


def _orders_policy(op: str) -> Policy:
    """Big orders (amount ``op`` 1000) and phone orders both need a supervisor."""
    return Policy.model_validate({
        "id": "fixtools_orders", "version": "1", "title": "Orders", "fact_type": "fixtools_order",
        "rules": [
            {"id": "big", "title": "Big orders", "then": [{"type": "approval", "role": "supervisor"}],
             "when": {"kind": "compare", "path": "amount", "op": op, "value": 1000}},
            {"id": "phone", "title": "Phone orders", "then": [{"type": "approval", "role": "supervisor"}],
             "when": {"kind": "compare", "path": "channel", "op": "==", "value": "phone"}},
        ],
    })


class TestExploreOracleEngine:
    """explore with a reference engine finds a wrong threshold that another rule's effect masks."""

    def test_masked_threshold_is_found(self) -> None:
        """A big-order threshold mutated from >= to > is found, naming the rule, though the phone rule masks it."""
        result = explore(_orders_policy(">"), oracle=Engine(_orders_policy(">=")), max_examples=50)
        assert result.finding is not None
        assert "fixtools_orders/big" in result.finding.message

    def test_a_key_oracle_cannot_see_it(self) -> None:
        """The same mutant against a key function agreeing on merged keys finds nothing (why an engine is needed)."""
        reference = Engine(_orders_policy(">="))
        result = explore(_orders_policy(">"), oracle=lambda fact: reference.evaluate(fact).effect_keys,
                         max_examples=50)
        assert result.finding is None


_BREACH = {"code": "X-1", "message": {"en": "late", "zh": "逾期"}}


def _lifecycle(**changes: Any) -> Lifecycle:
    """A small complaint-step lifecycle, with ``changes`` to its fields."""
    base: dict[str, Any] = {
        "id": "t", "version": "1", "title": {"en": "t", "zh": "t"}, "fact_type": "complaint_step",
        "initial": "new", "states": ["new", "intake", "handled", "archived"], "final": ["archived"],
        "transitions": [{"from": "new", "on": "register", "to": "intake"},
                        {"from": "intake", "on": "handle", "to": "handled"},
                        {"from": "handled", "on": "archive", "to": "archived"}],
    }
    return Lifecycle(**{**base, **changes})


def _deadline(**changes: Any) -> dict[str, Any]:
    """A deadline from intake to handled within a day, with ``changes``."""
    return {"id": "d", "start": "intake", "met": ["handled"], "within": "1d", "who": "agent",
            "action": {"en": "x", "zh": "x"}, "breach": _BREACH, **changes}


class TestLifecycleChecks:
    """A lifecycle that could never work as written is refused, naming what is wrong."""

    @pytest.mark.parametrize(("changes", "message"), [
        ({"states": ["new", "intake", "handled", "orphan", "archived"]}, "'orphan' cannot be reached"),
        ({"deadlines": [_deadline(start="handled", met=["intake"])]}, "can never be met"),
        ({"deadlines": [_deadline(within="0s")]}, "more than no time"),
        ({"transitions": [{"from": "new", "on": "register", "to": "intake"},
                          {"from": "intake", "on": "handle", "to": "handled"},
                          {"from": "intake", "on": "handle", "to": "archived"},
                          {"from": "handled", "on": "archive", "to": "archived"}]}, "never taken"),
    ])
    def test_refused(self, changes: dict[str, Any], message: str) -> None:
        """Unreachable states, unmeetable or empty deadlines and shadowed transitions are refused."""
        with pytest.raises(PolicyError, match=message):
            _lifecycle(**changes)

    def test_final_state_closes_open_deadlines(self) -> None:
        """A deadline not met before the final state is closed there: no breach on a later tick."""
        lifecycle = _lifecycle(deadlines=[_deadline()], transitions=[
            {"from": "new", "on": "register", "to": "intake"},
            {"from": "intake", "on": "handle", "to": "handled"},
            {"from": "handled", "on": "archive", "to": "archived"},
            {"from": "intake", "on": "archive", "to": "archived"}])
        session = SessionEngine(lifecycles=lifecycle, backend="python").session("c")
        start = datetime(2026, 3, 10, 9, tzinfo=Z)
        session.send(ComplaintStep(event="register", complainant="Ms Li"), now=start)
        session.send(ComplaintStep(event="archive"), now=start + timedelta(hours=2))
        assert [e.key for e in session.tick(start + timedelta(days=2)).effects] == []


def _bound_policy() -> Policy:
    """Two leave rules comparing with dates at the edges of 2000-2099."""
    rule = {"title": "t", "citation": {"source": "x", "section": "1"}}
    return Policy.model_validate({
        "id": "fixtools.bound", "version": "1", "title": "Bounds", "fact_type": "leave_request",
        "rules": [
            {**rule, "id": "R-1", "then": [{"type": "approval", "role": "shift_lead"}],
             "when": {"kind": "compare", "path": "requested_at", "op": ">=", "value": "2000-01-01T00:00:00+08:00"}},
            {**rule, "id": "R-2", "then": [{"type": "approval", "role": "department_head"}],
             "when": {"kind": "compare", "path": "start", "op": ">=", "value": "2100-01-01T00:00:00+00:00"}},
        ],
    })


class TestVerifyDomain:
    """A claim true only for facts dated 2000-2099 says so, instead of claiming every fact."""

    def test_findings_name_the_years(self) -> None:
        """always-holds, never-holds and the conflict after 2100 each name the years they hold in."""
        pytest.importorskip("z3")
        from csrules._verify.analyses import analyse
        from csrules._verify.properties import Properties

        found = {(r.code, r.rule_id): r.message for r in analyse(_bound_policy(), Properties()).results}
        assert "though not for some dated outside them" in found[("always-holds", "R-1")]
        assert "only for facts dated outside 2000-2099" in found[("never-holds", "R-2")]
        assert "outside 2000-2099" in found[("conflict", "R-1")]


class TestLifecycleRecords:
    """Session step records name the lifecycle, so a replay through a changed one says so."""

    def test_replay_through_a_changed_lifecycle_is_other_policies(self, tmp_path: Path) -> None:
        """Steps logged with reply_within 3d replay as other_policies through 1d, and identical through 3d."""
        path = tmp_path / "steps.jsonl"
        start = datetime(2026, 3, 10, 9, tzinfo=Z)
        with JsonlLog(path) as log:
            session = SessionEngine(lifecycles=complaint_lifecycle(reply_within="3d"), backend="python",
                                    log=log).session("c1")
            session.send(ComplaintStep(event="register", complainant="Ms Li"), now=start)
            session.tick(start + timedelta(days=2))
        records = list(read_log(path))
        statuses = [
            [result.status for result in replay_steps(records, SessionEngine(
                lifecycles=complaint_lifecycle(reply_within=within), backend="python"))]
            for within in ("1d", "3d")
        ]
        assert statuses == [["other_policies", "other_policies"], ["identical", "identical"]]


class TestEstimatedHolidays:
    """A calendar holding estimated holiday years keeps the mark, in its source and in traces."""

    def test_estimated_years_are_marked(self) -> None:
        """china_calendar(allow_estimated=True) names the estimated year and answers is_estimated for it."""
        official = max(china_official_years())
        calendar = china_calendar(years=[official, official + 1], allow_estimated=True)
        assert (calendar.estimated_years, f"{official + 1} estimated" in (calendar.holiday_source or ""),
                calendar.is_estimated(date(official + 1, 10, 6)), calendar.is_estimated(date(official, 10, 6))) == (
            (official + 1,), True, True, False)

    def test_trace_marks_an_estimated_day(self) -> None:
        """An on_holiday condition on an estimated year's date says the answer is an estimate."""
        official = max(china_official_years())
        calendar = china_calendar(years=[official, official + 1], allow_estimated=True)
        with registered_time(calendars={"fixtools-estimated": calendar}):  # restored after the block
            policy = Policy.model_validate({
                "id": "fixtools.estimated", "version": "1", "title": "Holiday calls", "fact_type": "callback_task",
                "rules": [{"id": "H-1", "title": "holiday call", "then": [{"type": "recommendation", "text": "x"}],
                           "when": {"kind": "on_holiday", "path": "created_at", "calendar": "fixtools-estimated"}}],
            })
            created = datetime(official + 1, 10, 6, 10, tzinfo=Z)
            decision = Engine(policy).evaluate(CallbackTask(customer="Ms Li", created_at=created), now=created)
            assert "estimate" in decision.trace.render()
