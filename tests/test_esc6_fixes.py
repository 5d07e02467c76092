"""Escalation, complaint and phrase readings fixed: a late resolution's trace is any hand-off
up the ladder, every hand-off's role is read against the catalogue, and the list kinds
``any_in`` / ``any_not_in`` read a list item by item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csrules import Engine, Policy
from csrules.domain.facts import WorkOrder
from csrules.exceptions import PolicyError
from csrules.policies import load_pack
from tests.columnar_support import assert_same
from tests.company_support import company
from tests.work_order_support import CST, OPENED, RESOLVED, order, step


def fired(fact: dict[str, Any], now: datetime, engine: Any = None) -> tuple[str, ...]:
    """The rule ids the call-centre engine (or ``engine``) fires for the work order ``fact`` at ``now``."""
    engine = engine or load_pack("call_centre").engine()
    return engine.evaluate(fact, now=now, fact_type="work_order").rule_ids


TRACE_CASES = [
    ([step(25, "shift_lead"), step(30, "agent")], False),  # handed back down to be carried out
    ([step(25, "值班长"), step(30, "qa_inspector")], False),  # simplified alias, then on to QA
    ([step(25, "agent"), step(26, "nobody")], True),  # never up the ladder
    ([step(25, "shift_lead"), step(80, "agent")], False),  # the later step is after the resolution
    ([step(1, "agent"), step(80, "shift_lead")], True),  # up only after the resolution
]


class TestLateResolutionReadsEveryHandOff:
    """ESC-2.late-untraced: any hand-off by the resolution to the shift lead or above is the trace."""

    @pytest.mark.parametrize(("steps", "flagged"), TRACE_CASES)
    def test_engine(self, steps: list[dict[str, Any]], flagged: bool) -> None:
        """An order the shift lead held before the resolution is traced, whatever came after."""
        result = fired(order(resolved_at=RESOLVED.isoformat(), escalations=steps), RESOLVED + timedelta(days=1))
        assert ("ESC-2.late-untraced" in result) is flagged

    def test_same_instant_in_another_offset(self) -> None:
        """A hand-off written in UTC at the resolution instant (+08:00) was made by the resolution."""
        steps = [{"at": "2026-03-13T01:00:00+00:00", "to_role": "shift_lead", "chase_record": "t"}]
        result = fired(order(resolved_at=RESOLVED.isoformat(), escalations=steps), RESOLVED + timedelta(days=1))
        assert "ESC-2.late-untraced" not in result

    def test_derived_roles(self) -> None:
        """handed_to_roles keeps every hand-off made by the resolution, handoff_roles every one."""
        steps = [step(25, "shift_lead"), step(30, "agent"), step(80, "department_head")]
        fact = WorkOrder.model_validate(order(escalations=steps, resolved_at=RESOLVED.isoformat()))
        assert fact.handed_to_roles == ["shift_lead", "agent"]
        assert fact.handoff_roles == ["shift_lead", "agent", "department_head"]
        assert WorkOrder.model_validate(order()).handed_to_roles == []

    def test_company_role_above_then_down(self, tmp_path: Any) -> None:
        """A company role above the shift lead counts, also when the order then came back down."""
        roles = ("roles:\n  - {id: floor_manager, title: {en: Floor manager, zh: 現場經理}, "
                 "reports_to: department_head}\n"
                 "  - {id: shift_lead, title: {en: Shift lead, zh: 班長}, aliases: [班長, 值班長], "
                 "reports_to: floor_manager}\n")
        engine = load_pack(company(tmp_path, "roles: roles.yaml\n", roles__yaml=roles)).engine()
        fact = order(resolved_at=RESOLVED.isoformat(), escalations=[step(50, "floor_manager"), step(51, "agent")])
        assert "ESC-2.late-untraced" not in fired(fact, RESOLVED, engine)

    def test_audit_agrees_with_the_engine(self) -> None:
        """The audit judges every case as the row engine does."""
        facts = [order(resolved_at=RESOLVED.isoformat(), escalations=steps) for steps, _ in TRACE_CASES]
        assert_same(load_pack("call_centre").engine(), "work_order", facts)


class TestEveryHandOffRoleIsInTheCatalogue:
    """ROLE-1.work-order-unknown-role reads the role of every hand-off, not only the last."""

    @pytest.mark.parametrize(("roles", "flagged"), [(["nobody", "shift_lead"], True), (["班長", "agent"], False),
                                                    (["shift_lead", "客服經理"], True)])
    def test_every_hand_off(self, roles: list[str], flagged: bool) -> None:
        """An unknown role anywhere in the hand-offs is flagged."""
        steps = [step(25 + n, role) for n, role in enumerate(roles)]
        assert ("ROLE-1.work-order-unknown-role" in fired(order(escalations=steps), OPENED + timedelta(hours=30))) \
            is flagged


def policy(when: dict[str, Any]) -> Policy:
    """A one-rule work-order policy with ``when``."""
    return Policy.model_validate({"id": "t", "version": "1", "title": {"en": "t", "zh": "t"}, "fact_type": "work_order",
                                  "rules": [{"id": "R1", "title": {"en": "t", "zh": "t"}, "when": when,
                                             "then": [{"type": "violation", "code": "X-1", "message": {"en": "x",
                                                                                                       "zh": "x"}}]}]})


class TestListMembershipKinds:
    """any_in / any_not_in read a list item by item; in / not_in keep to single values."""

    @pytest.mark.parametrize(("kind", "roles", "holds"), [
        ("any_in", ["agent", "shift_lead"], True), ("any_in", ["agent"], False), ("any_in", [], False),
        ("any_not_in", ["agent", "nobody"], True), ("any_not_in", ["agent"], False), ("any_not_in", [], False),
    ])
    def test_engine_and_trace(self, kind: str, roles: list[str], holds: bool) -> None:
        """The compiled engine and the explaining trace give the same answer."""
        engine = Engine([policy({"kind": kind, "path": "handoff_roles", "value": ["shift_lead", "agent"][
            : 1 if kind == "any_in" else 2]})])
        fact = order(escalations=[step(1 + n, role) for n, role in enumerate(roles)])
        decision = engine.evaluate(fact, now=OPENED + timedelta(hours=5), fact_type="work_order")
        assert ("R1" in decision.rule_ids) is holds
        assert decision.trace.for_rule("R1").matched is holds

    @pytest.mark.parametrize(("kind", "path"), [("any_in", "owner_role"), ("in", "handoff_roles")])
    def test_wrong_field_shape_is_refused(self, kind: str, path: str) -> None:
        """A list kind on a single value, or in on a list, is a policy error naming the field."""
        with pytest.raises(PolicyError, match=path):
            Engine([policy({"kind": kind, "path": path, "value": ["agent"]})])


def said(pack: str, line: str) -> tuple[str, ...]:
    """The rule ids ``pack`` fires for a call whose agent greets and then says ``line``."""
    return load_pack(pack).engine().evaluate(call(line), now=OPENED, fact_type="call_record").rule_ids


def call(line: str) -> dict[str, Any]:
    """A two-minute call (or chat) on 10 March whose agent greets and then says ``line``."""
    return {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T08:00:00+08:00", "duration": "PT2M",
            "agent_lines": ["您好，客服中心", line]}


PHRASE_CASES = [
    # (pack, line, rule, fires)
    ("ecommerce", "可以给您打９折", "ESC-5.no-discount", True),  # full-width digit
    ("call_centre", "我\u200b不能帮你改", "CON-5.i-cannot", True),  # zero-width space inside the phrase
    ("ecommerce", "这个没有办法保证", "CON-8.no-guarantees", False),  # right after a negation
    ("ecommerce", "没有办法再给您优惠", "ESC-5.no-discount", False),
    ("ecommerce", "不能保证今天，我保证明天到", "CON-8.no-guarantees", True),  # the second is a guarantee
    ("ecommerce", "这个保证不了", "CON-8.no-guarantees", False),  # negated after it
    ("call_centre", "我不能不帮您", "CON-5.i-cannot", True),  # the source bans the words themselves
    ("call_centre", "没有不可以的", "CMP-3.refusals", False),
    ("call_centre", "您说「不行」是吗？我们帮您查", "CMP-3.refusals", False),  # the customer's word repeated
    ("online_support", "您说“不知道”是指哪一步？", "CMP-3.refusals", False),
    ("call_centre", "您刚才说\"我不能接受\"，我很理解", "CON-5.i-cannot", False),
    ("call_centre", "您说「不行，我帮您查", "CMP-3.refusals", True),  # an unclosed mark quotes nothing
    ("call_centre", "不行", "CMP-3.refusals", True),
]


class TestPhraseMatching:
    """Phrases are found in full-width and invisible-mark forms, not right after a negation or in quotes."""

    @pytest.mark.parametrize(("pack", "line", "rule", "fires"), PHRASE_CASES)
    def test_engine(self, pack: str, line: str, rule: str, fires: bool) -> None:
        """The pack's rule fires on the line exactly when the agent says the phrase to the customer."""
        assert (rule in said(pack, line)) is fires

    @pytest.mark.parametrize("pack", ["call_centre", "ecommerce"])
    def test_audit_agrees_with_the_engine(self, pack: str) -> None:
        """The columnar audit reads every line as the row engine does."""
        facts = [call(line) for _, line, _, _ in PHRASE_CASES]
        assert_same(load_pack(pack).engine(), "call_record", facts)

    def test_fold_reads_plain_forms(self) -> None:
        """Folding reads full-width forms as plain ones and drops invisible marks."""
        from csrules._policy.text import fold_text

        assert fold_text("ＯＫ，打９折\u200b吧", "zh") == fold_text("ok,打9折吧", "zh")

    @pytest.mark.parametrize("field", ["negated_by", "negated_after"])
    def test_blank_negation_is_refused(self, field: str) -> None:
        """A blank negation word would silence the rule, so it is refused naming the field."""
        with pytest.raises(PolicyError, match=field):
            policy({"kind": "contains", "path": "content", "phrases": ["保证"], field: [" "]})


DUE = datetime(2026, 3, 20, 23, 59, 59, tzinfo=CST)

DUTY_CASES = [
    # (pack, duty, owner, now, done_at, overdue)
    ("call_centre", "DUTY-1.all-agent-meeting", "department_head", DUE - timedelta(days=5), DUE + timedelta(days=6),
     False),  # planned after the due, judged before it
    ("call_centre", "DUTY-2.quality-report", "shift_lead", DUE - timedelta(seconds=1), DUE + timedelta(days=1), False),
    ("call_centre", "DUTY-1.all-agent-meeting", "department_head", DUE + timedelta(seconds=1), DUE + timedelta(days=6),
     True),  # due has passed with the meeting not yet held
    ("call_centre", "DUTY-1.all-agent-meeting", "department_head", DUE + timedelta(days=7), DUE + timedelta(days=6),
     True),  # held late
    ("call_centre", "DUTY-1.all-agent-meeting", "department_head", DUE + timedelta(days=7), DUE, False),
    ("online_support", "DUTY-6.check-orders", "agent", DUE - timedelta(hours=1), DUE + timedelta(hours=2), False),
]


class TestDutyDoneAfterNow:
    """A duty recorded as done after now has not been done late yet: it is judged at now."""

    @pytest.mark.parametrize(("pack", "duty", "owner", "now", "done", "overdue"), DUTY_CASES)
    def test_engine(self, pack: str, duty: str, owner: str, now: datetime, done: datetime, overdue: bool) -> None:
        """Only a due instant passed (plus grace) before the duty was done, by now, is overdue."""
        fact = {"duty": duty, "owner": owner, "due_at": DUE.isoformat(), "done_at": done.astimezone(UTC).isoformat()}
        fired = load_pack(pack).engine().evaluate(fact, now=now, fact_type="duty_record").rule_ids
        assert any(rule.startswith("DUTY-") for rule in fired) is overdue


def extending(folder: Any, base: str, roles: str | None = None) -> Any:
    """A company pack in ``folder`` extending ``base``, with ``roles`` as its roles.yaml when given."""
    manifest = f'name: acme\ntitle: {{en: Acme, zh: 甲}}\nversion: "1"\nextends: {base}\n'
    if roles is not None:
        manifest += "roles: roles.yaml\n"
        (folder / "roles.yaml").write_text(roles, encoding="utf-8")
    (folder / "pack.yaml").write_text(manifest, encoding="utf-8")
    return folder


CEO_ROLES = ("roles:\n  - {id: ceo, title: {en: CEO, zh: 總裁}}\n"
             "  - {id: cs_director, title: {en: CS director, zh: 客服總監}, aliases: [客服總監, 總監], "
             "reports_to: ceo}\n"
             "  - {id: senior_lead, title: {en: Senior lead, zh: 資深組長}, reports_to: cs_supervisor}\n"
             "  - {id: team_lead, title: {en: Team lead, zh: 客服組長}, aliases: [客服組長, 組長, 部門組長], "
             "reports_to: senior_lead}\n")


@pytest.fixture(scope="module")
def ceo_pack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An online_support company pack whose chain has a senior lead and a CEO (loaded once)."""
    return load_pack(extending(tmp_path_factory.mktemp("ceo"), "online_support", CEO_ROLES))


class TestCompanyPackOverOnlineSupport:
    """A company pack extending online_support loads, its SLA still setting the session's deadline."""

    def test_loads_with_the_session_deadline_set(self, tmp_path: Any) -> None:
        """The CMP-4.reply SLA finds the base pack's work_order_session by its short name."""
        pack = load_pack(extending(tmp_path, "online_support"), overrides={"work_order": {"reply_within": "2d"}})
        assert str(pack.policy("work_order_session").param_values["reply_within"]) == "2d"

    @pytest.mark.parametrize(("severity", "reported_to", "escalated"), [
        ("serious", "senior_lead", False), ("serious", "ceo", False), ("critical", "ceo", False),
        ("critical", "senior_lead", True), ("serious", "agent", True),
    ])
    def test_company_chain_decides_who_was_told(self, ceo_pack: Any, severity: str, reported_to: str,
                                                escalated: bool) -> None:
        """CMP-5 reads "reported upward" by the pack's chain: a company role above the team lead counts."""
        engine = ceo_pack.engine()
        fact = {"order_id": "K1", "opened_at": OPENED.isoformat(), "first_handler": "S01", "owner": "S01",
                "severity": severity, "reported_to": reported_to}
        fired = engine.evaluate(fact, now=OPENED + timedelta(hours=1), fact_type="work_order").rule_ids
        assert any(rule.startswith("CMP-5.") for rule in fired) is escalated


def lines_call(lines: list[str]) -> dict[str, Any]:
    """A one-minute call on 10 March whose agent says ``lines``."""
    return {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T09:00:00+08:00", "duration": "PT1M",
            "agent_lines": lines}


BLANK_CASES = [
    ("mall", ["   ", "您好，商場客服，請問"], "CON-1.hello", False),  # a blank first line is no greeting
    ("call_centre", ["\u3000", "您好，客服中心"], "CON-4.greeting", False),
    ("call_centre", ["您好，客服中心", "好的，再見", " ", ""], "CON-4.farewell", False),  # nor a blank last line
    # blank lines only: no agent line, no opening to judge (no greeting violation); the recording is checked
    ("call_centre", ["   ", ""], "CON-4.greeting", False),
    ("call_centre", ["   ", ""], "CON-4.no-agent-lines", True),
]


class TestBlankLinesAreNoLines:
    """The greeting and the closing line are the first and last lines with text."""

    @pytest.mark.parametrize(("pack", "lines", "rule", "fires"), BLANK_CASES)
    def test_engine(self, pack: str, lines: list[str], rule: str, fires: bool) -> None:
        """A silent turn before the greeting or after the farewell does not hide them."""
        fired = load_pack(pack).engine().evaluate(lines_call(lines), now=OPENED, fact_type="call_record").rule_ids
        assert (rule in fired) is fires

    def test_audit_agrees_with_the_engine(self) -> None:
        """The columnar audit derives the same greeting and closing line."""
        facts = [lines_call(lines) for _, lines, _, _ in BLANK_CASES]
        assert_same(load_pack("call_centre").engine(), "call_record", facts)


VP_ROLES = ("roles:\n  - {id: vp, title: {en: Vice president, zh: 副總裁}}\n"
            "  - {id: centre_director, title: {en: Centre director, zh: 客服中心主任}, aliases: [客服中心主任], "
            "reports_to: vp}\n")


@pytest.fixture(scope="module")
def vp_pack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A call_centre company pack whose centre director reports to a vice president (loaded once)."""
    return load_pack(extending(tmp_path_factory.mktemp("vp"), "call_centre", VP_ROLES))


class TestApprovalByARoleAboveTheChain:
    """A company role above the centre director approves a complaint solution, in the rules and the session."""

    @pytest.mark.parametrize(("approver", "approved"), [("vp", True), ("centre_director", True),
                                                        ("shift_lead", False)])
    def test_rules(self, vp_pack: Any, approver: str, approved: bool) -> None:
        """CMP-1.leader-approval and CMP-1.no-unapproved-handling read the approvers by the chain."""
        engine = vp_pack.engine()
        fact = order(founded=True, responsible_department="network", customer_asked_for_time=True,
                     proposals=["refund"], approved_proposal=0, approved_by=approver, status="handling")
        fired = engine.evaluate(fact, now=OPENED + timedelta(hours=2), fact_type="work_order").rule_ids
        assert ("CMP-1.no-unapproved-handling" in fired) is not approved
        assert ("CMP-1.leader-approval" in fired) is not approved

    def test_session(self, vp_pack: Any) -> None:
        """The complaint lifecycle accepts the approval of a company role above the centre director."""
        from csrules.domain.complaint import ComplaintStep

        session = vp_pack.sessions(backend="python").session("c-1")
        for event, extra in [("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}), ("propose", {}),
                             ("approve", {"approved_by": "vp"})]:
            session.send(ComplaintStep(event=event, **extra), now=OPENED, fact_type="complaint_step")
        result = session.send(ComplaintStep(event="handle"), now=OPENED, fact_type="complaint_step")
        assert [(move.source, move.target) for move in result.transitions] == [("approved", "handled")]


class TestVariantYou:
    """妳 (you, to a woman) folds to 你, as traditional and simplified script fold together."""

    def test_phrase_with_ni_matches_ni_variant(self) -> None:
        """A phrase written with 你 is found in a line written with 妳, in either script."""
        from csrules._policy.text import TextMatcher

        assert TextMatcher(("给你优惠",), "zh")("好的，給妳優惠")
        assert not TextMatcher(("给你优惠",), "zh")("好的，給您優惠")  # the polite 您 stays apart


class TestResultToldOnceSolved:
    """CMP-6.non-sensitive asks for the result only once the case is solved by now."""

    @pytest.mark.parametrize(("resolved_hours", "asked"), [(24, False), (0.5, True)])
    def test_resolution_after_now_has_not_happened(self, resolved_hours: float, asked: bool) -> None:
        """A resolved_at after now has not happened yet: no result is owed before it."""
        fact = {"order_id": "K1", "opened_at": OPENED.isoformat(), "first_handler": "S01", "owner": "S01",
                "question_topic": "delivery_time", "details_recorded": True,
                "resolved_at": (OPENED + timedelta(hours=resolved_hours)).isoformat()}
        fired = load_pack("online_support").engine().evaluate(fact, now=OPENED + timedelta(hours=1),
                                                              fact_type="work_order").rule_ids
        assert ("CMP-6.non-sensitive" in fired) is asked
