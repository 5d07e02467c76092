"""Regression tests: a time after now has not happened yet in every callback and reply rule; the
complaint session, the rules and the SLAs give one answer; phrase lists read refusals, hedges and
polite questions as clean and common grants and guarantees as caught; parameter values are checked
against a field's choices; fine messages and minimum callback targets follow their parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from csrules.domain import ComplaintStep, complaint_lifecycle
from csrules.domain.facts import Order, WorkOrder
from csrules.exceptions import CsrulesError, FactError
from csrules.policies import load_pack
from csrules.policies.slas import SlaDeclaration, resolve_sla
from csrules.sessions import SessionEngine
from tests.columnar_support import assert_same, decisions
from tests.test_fixphr_fixes import DISCOUNTS, GUARANTEES, INNOCENT

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=CST)
DAY = timedelta(days=1)

CALL_CENTRE = load_pack("call_centre")
ONLINE = load_pack("online_support")
SHOP = load_pack("ecommerce")
MALL = load_pack("mall")


def fired(pack: Any, fact: dict[str, Any], now: datetime, fact_type: str) -> set[str]:
    """The rule ids ``pack``'s engine fires for ``fact`` at ``now``."""
    return set(pack.engine().evaluate(fact, now=now, fact_type=fact_type).rule_ids)


def _task(**extra: Any) -> dict[str, Any]:
    """A callback task created at T0, with ``extra`` fields."""
    return {"customer": "Acme Ltd", "created_at": T0.isoformat(), **extra}


class TestAFutureTimeHasNotHappenedYet:
    """CB-1, CB-2 and CMP-4.reply read a call or reply recorded after now as not yet made, as CB-1.overdue does."""

    def test_key_customer_with_a_call_after_now_is_escalated(self) -> None:
        """A key customer not called by now is a critical CB-1 with escalation, whatever a future called_at says."""
        fact = _task(key_customer=True, called_at=(T0 + 10 * DAY).isoformat(), record_complete=True)
        decision = CALL_CENTRE.engine().evaluate(fact, now=T0 + 4 * DAY, fact_type="callback_task")
        assert {"CB-1.due", "CB-1.overdue", "CB-1.key-customers"} <= set(decision.rule_ids)
        assert any(v.severity == "critical" for v in decision.violations)

    def test_call_after_now_is_neither_recorded_nor_in_rest_hours_yet(self) -> None:
        """CB-1.record and CB-1.rest-hours judge a call once made, not one recorded for later."""
        fact = _task(called_at=(T0 + timedelta(hours=3)).isoformat(), rest_from="12:00", rest_to="14:00")
        assert fired(CALL_CENTRE, fact, T0 + timedelta(hours=1), "callback_task") == {"CB-1.due"}
        after = fired(CALL_CENTRE, fact, T0 + timedelta(hours=5), "callback_task")
        assert {"CB-1.record", "CB-1.rest-hours"} <= after

    def test_assigned_customer_contact_after_now_is_still_due(self) -> None:
        """CB-2.first-contact obliges the contact while the recorded one still lies ahead."""
        fact = _task(kind="assigned_customer", called_at=(T0 + 5 * DAY).isoformat(), record_complete=True)
        assert "CB-2.first-contact" in fired(CALL_CENTRE, fact, T0 + DAY, "callback_task")
        assert "CB-2.first-contact" not in fired(CALL_CENTRE, fact, T0 + 6 * DAY, "callback_task")

    def test_online_reply_after_now_is_still_owed(self) -> None:
        """online_support CMP-4.reply obliges the reply while the recorded one lies ahead."""
        case = {"order_id": "K1", "opened_at": T0.isoformat(), "first_handler": "S01", "owner": "S01",
                "answer_deferred": True, "replied_at": (T0 + 10 * DAY).isoformat()}
        assert "CMP-4.reply" in fired(ONLINE, case, T0 + DAY, "work_order")
        assert "CMP-4.reply" not in fired(ONLINE, case, T0 + 11 * DAY, "work_order")

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit reads the future stamps as the row engine does."""
        now = datetime(2026, 6, 1, 9, tzinfo=UTC)  # the support module's audit time
        tasks = [{"customer": "A", "created_at": (now - 4 * DAY).isoformat(), "key_customer": True,
                  "called_at": (now + shift).isoformat(), "record_complete": False, "kind": kind}
                 for shift in (-DAY, timedelta(0), timedelta(seconds=1), DAY)
                 for kind in ("callback", "assigned_customer")]
        assert_same(CALL_CENTRE.engine(), "callback_task", tasks)
        cases = [{"order_id": "K1", "opened_at": (now - DAY).isoformat(), "first_handler": "S01", "owner": "S01",
                  "answer_deferred": True, "replied_at": (now + shift).isoformat()} for shift in (-DAY, DAY)]
        assert_same(ONLINE.engine(), "work_order", cases)


def _founded_order(**extra: Any) -> dict[str, Any]:
    """A founded call-centre complaint opened at T0 whose customer was asked for time."""
    return {"order_id": "W1", "opened_at": T0.isoformat(), "first_handler": "A01", "owner": "A01",
            "complainant": "Ms Li", "content": "c", "founded": True, "responsible_department": "n",
            "customer_asked_for_time": True, "proposals": ["refund"], "approved_proposal": 0,
            "approved_by": "department_head", **extra}


class TestComplaintPathsAgree:
    """The complaint session, the CMP-4 rule and its SLA, and the CB-1 severities give one answer."""

    def test_founded_complaint_answered_late_is_late_on_every_path(self) -> None:
        """A founded complaint answered five days after intake is CMP-4 in the session, the engine and the SLA."""
        session = CALL_CENTRE.sessions(backend="python").session("c-1")
        codes = []
        for at, event, extra in [(0, "register", {"complainant": "Ms Li"}), (0, "judge", {"founded": True}),
                                 (0, "propose", {}), (1, "approve", {"approved_by": "department_head"}),
                                 (5, "reply", {})]:
            result = session.send(ComplaintStep(event=event, **extra), now=T0 + at * DAY, fact_type="complaint_step")
            codes += [v.code for v in result.violations]
        assert codes == ["CMP-4"]
        order = _founded_order(status="handling", replied_at=(T0 + 5 * DAY).isoformat())
        assert "CMP-4.late" in fired(CALL_CENTRE, order, T0 + 6 * DAY, "work_order")
        clocks = CALL_CENTRE.slas.check(order, now=T0 + 6 * DAY, fact_type="work_order")
        assert [(c.sla.id, c.breached) for c in clocks] == [("CMP-4.reply", True)]

    @pytest.mark.parametrize(
        ("founded", "asked", "given", "deferred"),
        [(True, False, False, False), (None, True, False, True), (True, True, False, True), (False, False, True, True),
         (False, False, False, False), (None, False, False, False)],
    )
    def test_answer_awaited_follows_founded_and_asked_for_time(
        self, founded: bool | None, asked: bool, given: bool, deferred: bool
    ) -> None:
        """A complaint whose customer was asked for time has an answer awaited (founded alone does
        not defer it); the answer_deferred given is kept as given."""
        order = WorkOrder.model_validate({"order_id": "W1", "opened_at": T0, "first_handler": "A01", "owner": "A01",
                                          "founded": founded, "customer_asked_for_time": asked,
                                          "answer_deferred": given})
        assert order.answer_awaited is deferred
        assert order.answer_deferred is given

    def test_columnar_audit_derives_answer_awaited_alike(self) -> None:
        """The columnar audit runs the reply deadline for founded complaints as the row engine does."""
        now = datetime(2026, 6, 1, 9, tzinfo=UTC)
        orders = [{"order_id": "W1", "opened_at": (now - 5 * DAY).isoformat(), "first_handler": "A01", "owner": "A01",
                   "founded": founded, "customer_asked_for_time": asked}
                  for founded in (True, False, None) for asked in (True, False)]
        assert_same(CALL_CENTRE.engine(), "work_order", orders)

    def test_missed_follow_up_call_is_major_in_the_session_as_in_the_rules(self) -> None:
        """The session's CB-1 breach has the severity the stateless CB-1 rules give the same miss."""
        session = SessionEngine(lifecycles=complaint_lifecycle(), backend="python").session("c-1")
        for hour, (event, extra) in enumerate([("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}),
                                               ("propose", {}), ("approve", {"approved_by": "department_head"}),
                                               ("handle", {})]):
            session.send(ComplaintStep(event=event, **extra), now=T0 + timedelta(hours=hour))
        session_severities = {v.severity for v in session.tick(now=T0 + 10 * DAY).violations if v.code == "CB-1"}
        order = _founded_order(status="follow_up", resolved_at=(T0 + timedelta(hours=4)).isoformat())
        decision = CALL_CENTRE.engine().evaluate(order, now=T0 + 10 * DAY, fact_type="work_order")
        rule_severities = {v.severity for v in decision.violations if v.code == "CB-1"}
        assert session_severities == rule_severities == {"major"}


def _shipping(logistics: bool, told: bool) -> dict[str, Any]:
    """A mall order placed at T0 and still shipping, with the two delay duties as given."""
    return {"order_no": "O1", "placed_at": T0.isoformat(), "status": "shipping", "amount": 88,
            "logistics_contacted": logistics, "customer_notified": told}


class TestMallShippingSlaAgreesWithTheRule:
    """ORD-1: the SLA's clock runs exactly while the rule obliges the chase (logistics and the customer)."""

    @pytest.mark.parametrize(("logistics", "told"), [(False, False), (True, False), (False, True), (True, True)])
    def test_rule_and_sla_agree(self, logistics: bool, told: bool) -> None:
        """The rule fires after three hours exactly when the SLA reports a breach."""
        now = T0 + timedelta(hours=4)
        rule = "ORD-1.shipping-delay" in fired(MALL, _shipping(logistics, told), now, "order")
        breached = any(c.breached for c in MALL.slas.check(_shipping(logistics, told), now=now, fact_type="order"))
        assert rule == breached == (not (logistics and told))

    def test_delay_handled_is_derived_and_checked(self) -> None:
        """delay_handled is both duties done; a contradicting value is refused."""
        assert Order.model_validate(_shipping(True, True)).delay_handled is True
        assert Order.model_validate(_shipping(True, False)).delay_handled is False
        with pytest.raises((FactError, ValueError)):
            Order.model_validate({**_shipping(True, False), "delay_handled": True})

    def test_sla_applies_must_be_required_by_the_rule(self) -> None:
        """An SLA whose applies value is only one alternative of the rule's ``any`` is refused."""
        decl = SlaDeclaration.model_validate({
            "id": "ORD-1.shipping", "title": {"en": "t", "zh": "t"}, "policy": "order",
            "applies": {"status": "shipping", "delay_handled": False, "logistics_contacted": False},
            "start": "placed_at", "target": {"param": "shipping_delay"}, "rule": "ORD-1.shipping-delay",
            "citation": {"source": "000", "section": "4-2"}})
        with pytest.raises(CsrulesError, match=r"does not require logistics_contacted == False.*could disagree"):
            resolve_sla("mall", 0, decl, MALL.policies)

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit derives delay_handled as the model does."""
        now = datetime(2026, 6, 1, 9, tzinfo=UTC)
        orders = [{**_shipping(lc, cn), "placed_at": (now - timedelta(hours=4)).isoformat()}
                  for lc in (True, False) for cn in (True, False)]
        assert_same(MALL.engine(), "order", orders)


def _call(line: str) -> dict[str, Any]:
    """A call whose agent says 您好 then ``line`` and 謝謝，再見."""
    return {"call_id": "C1", "agent_id": "A01", "started_at": T0.isoformat(), "duration": "PT2M",
            "agent_lines": ["您好", line, "謝謝，再見"]}


def _flagged(pack: Any, lines: list[str], rule: str, *, columnar: bool) -> list[bool]:
    """Per line, whether ``rule`` fires for a call holding it (row engine or columnar audit)."""
    facts = [_call(line) for line in lines]
    if not columnar:
        return [rule in fired(pack, fact, T0 + DAY, "call_record") for fact in facts]
    frame = decisions(pack.engine(), "call_record", facts, columnar=True)
    hits = set(frame.filter(pl.col("rule") == rule)["row"].to_list())
    return [index + 1 in hits for index in range(len(facts))]


GRANTS = ["給您打個九折", "给您打个9折", "九折给您吧", "少算您十块钱", "优惠您五元", "可以打个折给您", "可以給你們優惠",
          "我给您申请了优惠"]
NO_GRANT = ["我们不可能给您优惠", "不会给您优惠的", "给您优惠不了哦", "这个价格给您便宜不了", "没有办法再给您打九折了",
            "给您打折是不可以的", "店铺现在有满减优惠您可以看一下"]
PROMISES = ["明天一定会送到", "肯定明天到", "一定可以到"]
HEDGES = ["不确定一定能到", "没办法百分百保证", "这个不好说一定到", "不是百分之百能到", "绝对不是一定能到",
          "我們的質量有保證", "保證金已經退給您了", "本店商品保證正品"]
POLITE = ["不知道您現在方便接聽嗎？", "不知道您现在方便接听吗", "不知道您现在是否方便", "不知道您對處理結果是否滿意",
          "沒有什麼不可以的，我馬上幫您辦"]
BLUNT = ["這個不知道", "不可以", "我也不知道您說的是什麼"]


class TestPhraseLists:
    """New grants, guarantees and refusals are caught; new refusals, hedges and questions are clean; old cases hold."""

    @pytest.mark.parametrize("columnar", [False, True])
    def test_discount_grants_caught_refusals_clean(self, columnar: bool) -> None:
        """ESC-5 catches each grant and passes each refusal, the already tested ones included."""
        grants = GRANTS + DISCOUNTS
        clean = NO_GRANT + INNOCENT
        assert _flagged(SHOP, grants + clean, "ESC-5.no-discount", columnar=columnar) == \
            [True] * len(grants) + [False] * len(clean)

    @pytest.mark.parametrize("columnar", [False, True])
    def test_guarantees_caught_hedges_clean(self, columnar: bool) -> None:
        """CON-8 catches each flat delivery promise and passes hedges and non-delivery pledges."""
        promises = PROMISES + GUARANTEES
        clean = HEDGES + INNOCENT
        assert _flagged(SHOP, promises + clean, "CON-8.no-guarantees", columnar=columnar) == \
            [True] * len(promises) + [False] * len(clean)

    @pytest.mark.parametrize("columnar", [False, True])
    @pytest.mark.parametrize("pack", [CALL_CENTRE, ONLINE], ids=["call_centre", "online_support"])
    def test_polite_questions_are_no_refusal(self, pack: Any, columnar: bool) -> None:
        """CMP-3.refusals passes polite 不知道您…嗎 questions and 沒有什麼不可以, and still flags refusals."""
        assert _flagged(pack, POLITE + BLUNT, "CMP-3.refusals", columnar=columnar) == \
            [False] * len(POLITE) + [True] * len(BLUNT)

    @pytest.mark.parametrize("columnar", [False, True])
    def test_apply_is_no_please(self, columnar: bool) -> None:
        """Mall CON-4 does not count the 請 of 申請 / 邀請 as the courtesy word, and counts 請稍等."""
        facts = [{**_call(line), "agent_lines": ["您好", line, "再見"]}
                 for line in ("已經幫您申請退款", "已经帮您申请退款", "邀請您參加活動", "請稍等")]
        if columnar:
            frame = decisions(MALL.engine(), "call_record", facts, columnar=True)
            hits = set(frame.filter(pl.col("rule") == "CON-4.please-thanks")["row"].to_list())
            assert hits == {1, 2, 3}
        else:
            assert ["CON-4.please-thanks" in fired(MALL, f, T0 + DAY, "call_record") for f in facts] == \
                [True, True, True, False]


class TestParameterValuesAreChecked:
    """A str_list parameter feeding in/not_in is checked against the field's choices, as a literal is."""

    def test_override_with_an_impossible_customer_type_is_refused(self) -> None:
        """A misspelt customer type in transfer_customer_types names the parameter and the choices."""
        with pytest.raises(CsrulesError, match=r"transfer_customer_types.*'resellers' is not a possible value of "
                                               r"customer_type.*'reseller'"):
            load_pack("ecommerce", overrides={"report": {"transfer_customer_types": ["wholesale", "resellers"]}})

    def test_possible_values_load(self) -> None:
        """An override holding only possible values loads."""
        pack = load_pack("ecommerce", overrides={"report": {"transfer_customer_types": ["reseller"]}})
        assert pack.policy("report").param_values["transfer_customer_types"] == ("reseller",)

    def test_first_contact_target_has_a_minimum(self) -> None:
        """callback.first_contact_within is refused at 0s, as callback_within is."""
        with pytest.raises(CsrulesError, match=r"first_contact_within.*below the minimum 1min"):
            load_pack("call_centre", overrides={"callback": {"first_contact_within": "0s"}})


class TestFineMessageFollowsItsParameter:
    """The CON-1 fine names the offence number it starts at, not a fixed 'third time'."""

    def test_fine_message_reads_fine_at(self) -> None:
        """With fine_at 5 the fifth 喂 is fined with a message naming 5, in both languages."""
        fact = {**_call("喂？"), "agent_lines": ["喂？"], "prior_greeting_offences": 4}
        pack = load_pack("mall", overrides={"call": {"fine_at": 5}})
        decision = pack.engine().evaluate(fact, now=T0 + DAY, fact_type="call_record")
        fine = next(v for v in decision.violations if v.rule_id == "CON-1.wei-fined")
        assert "5" in fine.message.en
        assert "third" not in fine.message.en
        assert "第5次" in fine.message.zh

    def test_session_fine_message_reads_fine_at(self) -> None:
        """The monthly session's fine message is filled from fine_at too."""
        rule = next(r for p in MALL.session_policies for r in p.rules if r.id == "CON-1.month-fined")
        assert "{fine_at}" in rule.then[0].message.en
        assert "{fine_at}" in rule.then[0].message.zh
