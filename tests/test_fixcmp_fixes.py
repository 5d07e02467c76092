"""Complaint, work-order, SLA, chat and mall readings fixed: approvals choose a proposal, the
escalation ladder and its rules read a later resolution alike, roles outside the catalogue are
flagged, SLA clocks refuse what they cannot measure, and phrase lists catch what they name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)


def order(**values: Any) -> dict[str, Any]:
    """A call-centre work order opened on 10 March 09:00, held by its first handler."""
    return {"order_id": "W1", "opened_at": OPENED.isoformat(), "first_handler": "A01", "owner": "A01",
            "complainant": "Ms Li", "content": "line down", **values}


def rules(pack: str, fact: dict[str, Any], now: datetime, fact_type: str) -> tuple[str, ...]:
    """The rule ids the pack's stateless engine fires for ``fact`` at ``now``."""
    return load_pack(pack).engine().evaluate(fact, now=now, fact_type=fact_type).rule_ids


class TestApprovalChoosesAProposal:
    """CMP-1: an approval is the choice of one proposal by the supervising leader."""

    @pytest.mark.parametrize("proposals", [[], ["refund", "upgrade"]])
    def test_handling_approved_with_no_chosen_proposal_is_unapproved(self, proposals: list[str]) -> None:
        """Handling 'approved by' the department head with no proposal chosen is handling without approval."""
        fact = order(founded=True, status="handling", approved_by="department_head", proposals=proposals)
        fired = rules("call_centre", fact, OPENED + timedelta(hours=3), "work_order")
        assert "CMP-1.no-unapproved-handling" in fired

    def test_chosen_proposal_approved_is_clean(self) -> None:
        """A proposal chosen and approved by the department head passes both approval rules."""
        fact = order(founded=True, status="handling", approved_by="department_head", proposals=["refund"],
                     approved_proposal=0)
        fired = rules("call_centre", fact, OPENED + timedelta(hours=3), "work_order")
        assert not {"CMP-1.no-unapproved-handling", "CMP-1.leader-approval"} & set(fired)


class TestEscalationReadsResolutionAtNow:
    """ESC-2: a resolution recorded after now is not yet a resolution, as the ladder reads it."""

    def test_rule_agrees_with_the_ladder(self) -> None:
        """Resolved on the 13th, judged on the 12th at 10:00: the rule and the ladder both name the department head."""
        from csrules.domain.escalation import EscalationLadder

        pack = load_pack("call_centre")
        resolved = OPENED + timedelta(days=3)
        now = OPENED + timedelta(days=2, hours=1)
        fired = rules("call_centre", order(status="handling", resolved_at=resolved.isoformat()), now, "work_order")
        ladder = EscalationLadder.from_policy(pack.policy("work_order"))
        assert ladder.position(OPENED, now, resolved_at=resolved).owner_role == "department_head"
        assert "ESC-2.department-manager" in fired

    @pytest.mark.parametrize(("hours", "handed_up", "flagged"), [(72, False, True), (24, False, False),
                                                                 (72, True, False)])
    def test_late_resolution_leaves_a_trace(self, hours: int, handed_up: bool, flagged: bool) -> None:
        """Resolved after 24 hours with no hand-off on record: flagged; at 24 hours or handed up: not."""
        steps = [{"at": (OPENED + timedelta(hours=25)).isoformat(), "to_role": "shift_lead", "chase_record": "t1"}]
        fact = order(resolved_at=(OPENED + timedelta(hours=hours)).isoformat(), escalations=steps if handed_up else [])
        fired = rules("call_centre", fact, OPENED + timedelta(days=4), "work_order")
        assert ("ESC-2.late-untraced" in fired) is flagged


class TestOwnerRoleByLevel:
    """ESC-1 reads the owner's role by its level in the catalogue; a role outside it is flagged."""

    @pytest.mark.parametrize("role", ["Agent", "nobody"])
    def test_unknown_owner_role_is_flagged(self, role: str) -> None:
        """An order passed on to a role the catalogue does not hold is flagged, never read as cleared."""
        fired = rules("call_centre", order(owner="A02", owner_role=role), OPENED + timedelta(hours=1), "work_order")
        assert "ROLE-1.work-order-unknown-role" in fired

    def test_company_role_below_the_agent_is_kicking_the_ball(self, tmp_path: Any) -> None:
        """A company role reporting to the agent holding the order is ESC-1, like an agent."""
        manifest = "name: acme\ntitle: {en: Acme, zh: Acme}\nversion: '1'\nextends: call_centre\nroles: roles.yaml\n"
        (tmp_path / "pack.yaml").write_text(manifest, "utf-8")
        (tmp_path / "roles.yaml").write_text(
            "roles:\n  - {id: intern, title: {en: Intern, zh: 實習生}, reports_to: agent}\n", "utf-8")
        engine = load_pack(tmp_path).engine()
        decision = engine.evaluate(order(owner="I01", owner_role="intern"), now=OPENED + timedelta(hours=1),
                                   fact_type="work_order")
        assert "ESC-1.first-handler" in decision.rule_ids
        assert "ROLE-1.work-order-unknown-role" not in decision.rule_ids


class TestSlaClockEdges:
    """SLA clocks: read before their start, of no time, or stopped before they start."""

    def test_clock_read_before_its_start_runs_from_the_start(self) -> None:
        """Checked a day before the order opens, the breach instant and the due time agree."""
        fact = order(answer_deferred=True)
        (check,) = load_pack("call_centre").slas.check(fact, now=OPENED - timedelta(days=1), fact_type="work_order")
        assert check.clock.breach_at == check.due_at == OPENED + timedelta(days=3)
        assert [w.at for w in check.clock.warnings] == [OPENED + timedelta(days=1.5), OPENED + timedelta(days=2.4)]

    @pytest.mark.parametrize("target", ["0h", "0s"])
    def test_zero_target_refused_by_the_sla_policy(self, target: str) -> None:
        """A target of no time is refused when the SLA policy is built, naming the target."""
        from csrules.domain.slas import SlaPolicy
        from csrules.exceptions import PolicyError

        with pytest.raises(PolicyError, match="n/first_reply target must be more than no time"):
            SlaPolicy(targets={"n": {"first_reply": target}})

    @pytest.mark.parametrize(("pack", "policy", "param"), [("mall", "order", "shipping_delay"),
                                                           ("call_centre", "work_order", "reply_within"),
                                                           ("call_centre", "callback", "callback_within"),
                                                           ("online_support", "work_order", "reply_within")])
    def test_zero_target_override_refused_when_loading(self, pack: str, policy: str, param: str) -> None:
        """Overriding an SLA's target parameter with no time is refused naming the parameter."""
        from csrules.exceptions import PolicyError

        with pytest.raises(PolicyError, match=param):
            load_pack(pack, overrides={policy: {param: "0s"}})

    def test_zero_target_refused_by_the_declaration(self) -> None:
        """A declaration whose target parameter has no minimum still refuses no time, naming the SLA."""
        from csrules._policy.loader import loads_policy
        from csrules.exceptions import PolicyError
        from csrules.policies.slas import SlaDeclaration, resolve_sla

        policy = loads_policy(
            "id: x.cb\nversion: '1'\ntitle: {en: x, zh: x}\nfact_type: callback_task\n"
            "params: {within: {type: duration, default: 0s}}\nrules: []\n")
        decl = SlaDeclaration(id="CB-9.x", title={"en": "x", "zh": "x"}, policy="x.cb", start="created_at",
                              stop="called_at", target={"param": "within"}, citation={"source": "001", "section": "x"})
        with pytest.raises(PolicyError, match=r"CB-9\.x.*must be more than no time"):
            resolve_sla("x", 0, decl, [policy])


class TestCallbackOrder:
    """A callback's times cannot precede the task: refused alike by the engine and the SLA."""

    @pytest.mark.parametrize("field", ["called_at", "planned_at", "due_at"])
    def test_time_before_created_refused(self, field: str) -> None:
        """A call, plan or agreed time before created_at is a FactError naming both fields, on both paths."""
        from csrules.exceptions import FactError

        pack = load_pack("call_centre")
        fact = {"customer": "C1", "created_at": OPENED.isoformat(), field: (OPENED - timedelta(days=1)).isoformat()}
        with pytest.raises(FactError, match=f"{field} comes before created_at"):
            pack.engine().evaluate(fact, now=OPENED + timedelta(days=1), fact_type="callback_task")
        with pytest.raises(FactError, match=f"{field} comes before created_at"):
            pack.slas.check(fact, now=OPENED + timedelta(days=1), fact_type="callback_task")


class TestMallShippingChase:
    """ORD-1: the SLA's clock stops once logistics was chased and the customer told, as the rule's duty does."""

    @pytest.mark.parametrize(("contacted", "notified"), [(True, True), (True, False), (False, False)])
    def test_sla_never_asks_for_a_done_chase(self, contacted: bool, notified: bool) -> None:
        """Four hours in shipping: the SLA has a breached clock exactly while the rule obliges the chase."""
        pack = load_pack("mall")
        fact = {"order_no": "O1", "placed_at": OPENED.isoformat(), "status": "shipping", "amount": 88,
                "logistics_contacted": contacted, "customer_notified": notified}
        checks = pack.slas.check(fact, now=OPENED + timedelta(hours=4), fact_type="order")
        assert [check.breached for check in checks] == ([] if contacted and notified else [True])
        fired = rules("mall", fact, OPENED + timedelta(hours=4), "order")
        assert ("ORD-1.shipping-delay" in fired) is not (contacted and notified)


class TestClosedWithoutReply:
    """online_support CMP-4: a deferred case closed without a reply is late on both paths."""

    def test_session_and_stateless_agree(self) -> None:
        """Closed a day after opening with no reply: the session and CMP-4.late both report CMP-4."""
        pack = load_pack("online_support")
        case = {"order_id": "C1", "opened_at": OPENED.isoformat(), "first_handler": "S01", "owner": "S01",
                "answer_deferred": True}
        session = pack.sessions(backend="python").session("desk-1")
        session.send(case, now=OPENED)
        session.send({**case, "status": "closed"}, now=OPENED + timedelta(days=1))
        ticked = session.tick(OPENED + timedelta(days=4))
        fired = rules("online_support", {**case, "status": "closed"}, OPENED + timedelta(days=4), "work_order")
        assert ticked.effect_keys == ("violation:CMP-4",)
        assert "CMP-4.late" in fired


class TestComplaintFlowReply:
    """cmp-1: the reply deadline (CMP-4) is met by the answer, not by the handling."""

    def flow(self, events: list[tuple[str, dict[str, Any], int]]) -> tuple[str, ...]:
        """The effect keys of a complaint session fed ``events`` (day offsets) and ticked after 3 days and 1 hour."""
        from csrules.domain import ComplaintStep

        session = load_pack("call_centre").sessions(backend="python").session("complaint-1")
        for event, values, day in events:
            session.send(ComplaintStep(event=event, **values), now=OPENED + timedelta(days=day))  # type: ignore[arg-type]
        return session.tick(OPENED + timedelta(days=3, hours=1)).effect_keys

    def test_solution_told_before_handling_meets_the_deadline(self) -> None:
        """Approved and told on day 1, handled later: no CMP-4 after three days."""
        steps = [("register", {"complainant": "Ms Li"}, 0), ("judge", {"founded": True}, 0), ("propose", {}, 1),
                 ("approve", {"approved_by": "department_head"}, 1), ("reply", {}, 1)]
        assert "violation:CMP-4" not in self.flow(steps)

    def test_unfounded_answer_meets_the_deadline(self) -> None:
        """An unfounded complaint answered at judgement and not yet closed has no CMP-4."""
        steps = [("register", {"complainant": "Ms Li"}, 0), ("judge", {"founded": False}, 0)]
        assert "violation:CMP-4" not in self.flow(steps)

    def test_no_answer_is_late(self) -> None:
        """Approved on day 1 but never told: CMP-4 after three days."""
        steps = [("register", {"complainant": "Ms Li"}, 0), ("judge", {"founded": True}, 0), ("propose", {}, 1),
                 ("approve", {"approved_by": "department_head"}, 1)]
        assert "violation:CMP-4" in self.flow(steps)


def said(pack: str, *lines: str) -> tuple[str, ...]:
    """The rule ids the pack fires for a call in which the agent said ``lines``."""
    fact = {"call_id": "T1", "agent_id": "E01", "started_at": OPENED.isoformat(), "duration": "PT3M",
            "agent_lines": ["您好", *lines]}
    return rules(pack, fact, OPENED + timedelta(hours=1), "call_record")


class TestChatPhrases:
    """ecommerce CON-8 / ESC-5: the common guarantee and discount wordings are caught; hedges and refusals are not."""

    @pytest.mark.parametrize("line", ["给您打9折", "给您打95折", "给您九五折", "好的，給妳優惠十元", "可以給妳打折",
                                      "給妳便宜五塊", "能優惠五元", "可以少收您十元", "這次給您算便宜點", "再减十元"])
    def test_discount_granted(self, line: str) -> None:
        """A discount written with digits, to 妳, or without 打 is ESC-5."""
        assert "ESC-5.no-discount" in said("ecommerce", line)

    @pytest.mark.parametrize("line", ["親，這款不能優惠哦", "不能再减了", "本店不可以給妳打折的"])
    def test_discount_refused(self, line: str) -> None:
        """The refusal the clause asks for is no discount."""
        assert "ESC-5.no-discount" not in said("ecommerce", line)

    @pytest.mark.parametrize("line", ["明天一定到", "肯定到", "百分百明天到", "保 证明天到"])
    def test_guarantee_given(self, line: str) -> None:
        """一定到, 肯定到, 百分百 and a spaced 保 证 are guarantees."""
        assert "CON-8.no-guarantees" in said("ecommerce", line)

    @pytest.mark.parametrize("line", ["明天不一定到", "不能百分百保证", "不敢说一定到，一般两天左右"])
    def test_hedge_kept(self, line: str) -> None:
        """The hedges the clause asks for are no guarantee."""
        assert "CON-8.no-guarantees" not in said("ecommerce", line)


class TestConsentIsNoRefusal:
    """CMP-3: asking the customer's consent is not the blunt refusal the clause bans."""

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    @pytest.mark.parametrize("line", ["这样处理行不行？", "您看行不行呢", "不行的话我再帮您查", "这个不可以吗？"])
    def test_consent_questions_pass(self, pack: str, line: str) -> None:
        """A consent question or a condition is no CMP-3 refusal."""
        assert "CMP-3.refusals" not in said(pack, line)

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_refusal_still_caught(self, pack: str) -> None:
        """A plain 不行 is still a refusal."""
        assert "CMP-3.refusals" in said(pack, "这个不行")


class TestSpacesBesideChinese:
    """Phrase matching ignores spaces beside Chinese characters, in the row engine and the columnar audit alike."""

    def test_greeting_with_a_space(self) -> None:
        """'您 好' (also with the ideographic space) is the mall's greeting."""
        fact = {"call_id": "M1", "agent_id": "A01", "started_at": OPENED.isoformat(), "duration": "PT1M"}
        for greeting in ("您 好", "您\u3000好"):
            assert "CON-1.hello" not in rules("mall", {**fact, "agent_lines": [greeting]}, OPENED, "call_record")

    def test_latin_spaces_still_count(self) -> None:
        """Spaces between Latin words are kept: 'the llama' does not hold 'hell', 'thankyou' does
        not hold 'thank you' (a run of spaces reads as one: 'Thank  you' does)."""
        from csrules._policy.text import TextMatcher

        assert not TextMatcher(("hell",), "case")("the llama")
        assert TextMatcher(("thank you",), "zh")("Thankyou") is False
        assert TextMatcher(("thank you",), "zh")("Thank  you") is True
        assert TextMatcher(("您好",), "zh")("OK 您 好")

    @given(st.lists(st.text(alphabet="您好 保证\u3000不ab 的", max_size=8), max_size=6))
    @settings(max_examples=60, deadline=None, derandomize=True)
    def test_row_engine_and_columnar_agree(self, texts: list[str]) -> None:
        """For any texts, the columnar contains answers as the row engine's matcher does."""
        import polars as pl

        from csrules._audit.col_text import text_leaf
        from csrules._policy.kinds.core import Contains, _ContainsHandler

        node = Contains(path="t", phrases=["您好", "保证", "a b"], ignore=["不保证"])
        leaf = text_leaf(node, {}, {"t"})
        assert leaf is not None
        answer = leaf.compute(pl.DataFrame({"t": texts}, schema={"t": pl.String}), {})
        matcher = _ContainsHandler().matcher(node, {})
        assert answer is not None
        assert answer.to_list() == [matcher(text) for text in texts]


class TestRoleNamesWithSpaces:
    """Role names are read without the spaces around them."""

    @pytest.mark.parametrize("name", ["department_head ", " department_head", "客服部主任\u3000"])
    def test_approval_with_a_stray_space(self, name: str) -> None:
        """An approval by 'department_head ' is the department head's."""
        fact = order(founded=True, status="handling", approved_by=name, proposals=["refund"], approved_proposal=0)
        assert "CMP-1.no-unapproved-handling" not in rules("call_centre", fact, OPENED + timedelta(hours=3),
                                                           "work_order")

    @pytest.mark.parametrize("name", ["客服主管 ", " team_lead"])
    def test_report_with_a_stray_space(self, name: str) -> None:
        """A serious complaint reported to ' team_lead' was reported (online_support CMP-5)."""
        fact = {"order_id": "K1", "opened_at": OPENED.isoformat(), "first_handler": "S01", "owner": "S01",
                "severity": "serious", "reported_to": name}
        assert "CMP-5.serious" not in rules("online_support", fact, OPENED + timedelta(hours=1), "work_order")

    def test_owner_role_with_a_stray_space(self) -> None:
        """An owner role 'agent ' is the agent: ESC-1, not an unknown role."""
        fired = rules("call_centre", order(owner="A02", owner_role="agent "), OPENED + timedelta(hours=1), "work_order")
        assert "ESC-1.first-handler" in fired
        assert "ROLE-1.work-order-unknown-role" not in fired


class TestRegisterNeedsComplainant:
    """cmp-1: a complaint is taken in with its complainant (投訴人), as CMP-1.register asks of work orders."""

    def test_register_without_complainant_refused(self) -> None:
        """A register step with no complainant is refused, and the complaint stays new."""
        from csrules.domain import ComplaintStep
        from csrules.exceptions import TransitionError

        session = load_pack("call_centre").sessions(backend="python").session("complaint-1")
        with pytest.raises(TransitionError):
            session.send(ComplaintStep(event="register"), now=OPENED)
        session.send(ComplaintStep(event="register", complainant="Ms Li", content="line down"), now=OPENED)


class TestSlaStopBeforeStart:
    """An SLA whose fact model lets a stop precede the start names the SLA and its fields."""

    def test_error_names_the_sla_and_fields(self) -> None:
        """The clock of a case replied before it was opened is a FactError naming CS-1.reply and both fields."""
        from csrules._policy.loader import loads_policy
        from csrules.exceptions import FactError
        from csrules.policies.slas import SlaDeclaration, resolve_sla
        from tests.test_fixpacks2_fixes import Case

        policy = loads_policy("id: t.cases\nversion: '1'\ntitle: Cases\nfact_type: fixpacks2_case\n"
                              "params: {within: {type: duration, default: 3d}}\nrules: []\n")
        decl = SlaDeclaration.model_validate({
            "id": "CS-1.reply", "title": "t", "policy": "cases", "start": "opened_at", "stop": "replied_at",
            "target": {"param": "within"}, "citation": {"source": "x", "section": "y"}})
        sla = resolve_sla("t", 0, decl, [policy])
        case = Case(opened_at=OPENED, replied_at=OPENED - timedelta(hours=1))
        with pytest.raises(FactError, match=r"SLA 'CS-1\.reply': replied_at .* comes before opened_at"):
            sla.clock(case, now=OPENED + timedelta(days=1))
