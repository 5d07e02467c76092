"""Regression tests: e-commerce phrase lists read hedges, refusals and unrelated words as clean."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
PHRASE_RULES = {"ESC-5.no-discount", "CON-8.no-guarantees"}


SHOP = load_pack("ecommerce").engine()


def chat_rules(line: str) -> set[str]:
    """The ESC-5 / CON-8 rule ids the e-commerce pack fires for an agent's ``line``."""
    fact = {"call_id": "T1", "agent_id": "E01", "started_at": OPENED.isoformat(), "duration": "PT3M",
            "agent_lines": ["您好", line]}
    fired = SHOP.evaluate(fact, now=OPENED + timedelta(hours=1), fact_type="call_record").rule_ids
    return set(fired) & PHRASE_RULES


INNOCENT = [
    # hedges the clause asks for, and sentences where 一定到 / 百分百 promise no delivery
    "我们不敢保证一定到", "我們不敢保證一定到", "不能保证一定能到，尽量给您发", "服务一定到位", "服務一定到位",
    "我们一定到时候通知您", "百分百正品", "百分之百正品哦",
    # refusals of a discount (002 第二則 二 10: 明確表示不可以優惠)
    "没有办法再减了，亲", "真的没办法再减了", "價格不會再減了", "不好意思，给您减不了", "亲，这边没有办法给您减价哦",
    "这个价已经算便宜的了", "这个价格已经不算便宜了", "不可能优惠了", "不可能再减了", "没有九折哦，不好意思",
    "已经是八折后的价格了，不能再优惠了", "本店商品均不打八折", "这款是98折吗？不是的，原价", "88折起的活动已经结束了",
    # words that merely contain a stem
    "为了给您减少等待时间", "給您減少麻煩", "给您减轻负担", "9折叠伞已发货", "尺码 9 折叠好了发您",
    "您的订单号是 8 折扣券不可用",
]

DISCOUNTS = [
    "给您打9折", "给您打95折", "给您九五折", "好的，給妳優惠十元", "可以給妳打折", "給妳便宜五塊", "能優惠五元",
    "可以少收您十元", "這次給您算便宜點", "再减十元", "给您打九折吧", "給您打八折", "可以给您便宜十块",
    "不可以优惠，但是给您打九折吧", "不可以便宜，但是给您优惠五元", "好的，给您减十元",
    "给您减价五元", "好吧，打8.5折给您",
]
GUARANTEES = [
    "明天一定到", "明天一 定到", "肯定到", "百分百明天到", "保 证明天到", "保證明天到", "绝对没问题，明天一定能到",
    "很难保证明天到，但是后天保证到", "我们不敢保证一定到，但是后天一定到",
]
GUILTY = [(line, "ESC-5.no-discount") for line in DISCOUNTS] + [(line, "CON-8.no-guarantees") for line in GUARANTEES]


class TestChatPhraseLists:
    """CON-8 / ESC-5: every innocent sentence is clean; every discount or guarantee is still caught."""

    @pytest.mark.parametrize("line", INNOCENT)
    def test_innocent_sentence_is_clean(self, line: str) -> None:
        """A hedge, a refusal or an unrelated word breaks neither phrase rule."""
        assert chat_rules(line) == set()

    @pytest.mark.parametrize(("line", "rule"), GUILTY)
    def test_guilty_sentence_is_caught(self, line: str, rule: str) -> None:
        """A discount granted or a flat guarantee still fires its rule."""
        assert rule in chat_rules(line)


def _order(resolved_after: timedelta) -> dict[str, object]:
    """A call-centre work order opened on 10 March 09:00 whose resolution is recorded ``resolved_after`` later."""
    return {"order_id": "W1", "opened_at": OPENED.isoformat(), "first_handler": "A01", "owner": "A01",
            "complainant": "Ms Li", "content": "line down", "resolved_at": (OPENED + resolved_after).isoformat()}


def _case(replied_after: timedelta) -> dict[str, object]:
    """An online-support case with a deferred answer whose reply is recorded ``replied_after`` after opening."""
    return {"order_id": "C1", "opened_at": OPENED.isoformat(), "first_handler": "A01", "owner": "A01",
            "answer_deferred": True, "replied_at": (OPENED + replied_after).isoformat()}


def _ticks(pack: str, fact: dict[str, object], *hours: int) -> list[tuple[str, ...]]:
    """The rule ids a session fires for ``fact`` sent at opening, then at each tick ``hours`` after opening."""
    session = load_pack(pack).sessions(backend="python").session("desk")
    session.send(fact, now=OPENED, fact_type="work_order")
    return [session.tick(OPENED + timedelta(hours=h)).rule_ids for h in hours]


class TestSessionsReadAFutureTimeAsNotYet:
    """Session ladders treat a resolution or reply recorded after now as not yet happened, as the stateless rules do."""

    def test_ladder_escalates_before_a_future_resolution(self) -> None:
        """An order resolved at +72 h, sent at opening, goes to the shift lead at +25 h and the manager at +49 h."""
        assert _ticks("call_centre", _order(timedelta(hours=72)), 25, 49) == [
            ("ESC-2.open-shift-lead",), ("ESC-2.open-department-manager",)]

    def test_ladder_stays_quiet_once_the_resolution_has_passed(self) -> None:
        """An order resolved at +20 h (recorded ahead) never goes to the shift lead at a later tick."""
        assert _ticks("call_centre", _order(timedelta(hours=20)), 25, 49) == [(), ()]

    def test_reply_deadline_before_a_future_reply(self) -> None:
        """A case replied to at +5 d, sent at opening, is late at the +4 d tick, as CMP-4.late says then."""
        assert _ticks("online_support", _case(timedelta(days=5)), 96) == [("CMP-4.no-reply-by-deadline",)]

    def test_reply_in_time_recorded_ahead_is_not_late(self) -> None:
        """A case replied to at +2 d (recorded ahead) is not late at the +4 d tick."""
        assert _ticks("online_support", _case(timedelta(days=2)), 96) == [()]


class TestLateUntracedTitleReadsItsParameter:
    """ESC-2.late-untraced states the threshold in force, not a hard-coded 24 hours."""

    def test_title_uses_the_placeholder(self) -> None:
        """Both languages of the title quote {shift_lead_after}, as the ladder titles do."""
        pack = load_pack("call_centre")
        rule = next(r for p in pack.policies for r in p.rules if r.id == "ESC-2.late-untraced")
        assert all("{shift_lead_after}" in text and "24" not in text for text in (rule.title.en, rule.title.zh))


def _fired(pack: str, fact: dict[str, object], at: timedelta, fact_type: str) -> tuple[str, ...]:
    """The rule ids ``pack`` fires for ``fact`` judged ``at`` after opening."""
    return load_pack(pack).engine().evaluate(fact, now=OPENED + at, fact_type=fact_type).rule_ids


def _callback(kind: str, called_after: timedelta | None) -> dict[str, object]:
    """A callback task of ``kind`` created at opening, called ``called_after`` later (None: not called)."""
    fact: dict[str, object] = {"customer": "Ms Li", "kind": kind, "created_at": OPENED.isoformat()}
    if called_after is not None:
        fact |= {"called_at": (OPENED + called_after).isoformat(), "record_complete": True}
    return fact


def _founded(follow_up_after: timedelta | None) -> dict[str, object]:
    """A founded order resolved at opening, followed up ``follow_up_after`` later (None: not yet)."""
    fact: dict[str, object] = {
        "order_id": "W1", "opened_at": OPENED.isoformat(), "first_handler": "A01", "owner": "A01",
        "complainant": "Ms Li", "content": "line down", "status": "follow_up", "founded": True,
        "proposals": ["refund"], "approved_proposal": 0, "approved_by": "department_head",
        "resolved_at": OPENED.isoformat()}
    if follow_up_after is not None:
        fact["follow_up_at"] = (OPENED + follow_up_after).isoformat()
    return fact


class TestCallbackDeadlinesReadAFutureCallAsNotYet:
    """CB-1 / CB-2 judge a call recorded after now at now: before the deadline nothing is late yet."""

    @pytest.mark.parametrize(("kind", "rule", "late_at"), [
        ("callback", "CB-1.overdue", timedelta(days=4)), ("assigned_customer", "CB-2.overdue", timedelta(days=8))])
    def test_call_after_now_is_not_late_before_the_deadline(self, kind: str, rule: str, late_at: timedelta) -> None:
        """Called 10 days in, judged 2 days in: not late; judged past the deadline: late, as with no call yet."""
        fact = _callback(kind, timedelta(days=10))
        assert rule not in _fired("call_centre", fact, timedelta(days=2), "callback_task")
        assert rule in _fired("call_centre", fact, late_at, "callback_task")
        assert rule in _fired("call_centre", _callback(kind, None), late_at, "callback_task")
        assert rule in _fired("call_centre", fact, timedelta(days=11), "callback_task")

    def test_follow_up_after_now_is_not_late_before_the_deadline(self) -> None:
        """A follow-up recorded 10 days after the result is not late 2 days in, and late 4 days in or after it."""
        fact = _founded(timedelta(days=10))
        assert "CB-1.follow-up-late" not in _fired("call_centre", fact, timedelta(days=2), "work_order")
        assert "CB-1.follow-up-late" in _fired("call_centre", fact, timedelta(days=4), "work_order")
        assert "CB-1.follow-up-late" in _fired("call_centre", _founded(None), timedelta(days=4), "work_order")
        assert "CB-1.follow-up-late" in _fired("call_centre", fact, timedelta(days=11), "work_order")
