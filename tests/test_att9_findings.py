"""Pack phrase lists and rules read against their source clauses: answers that were clean and are breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from csrules.policies import load_pack

NOW = datetime.fromisoformat("2026-03-10T10:05:00+08:00")
SHOP = load_pack("ecommerce").engine()
CC = load_pack("call_centre").engine()


def _chat(line: str) -> dict[str, Any]:
    return {"call_id": "T1", "agent_id": "E01", "started_at": "2026-03-10T10:00:00+08:00", "duration": "PT3M",
            "agent_lines": ["您好，請問", line, "再見"]}


def _violations(engine: Any, fact: dict[str, Any], fact_type: str) -> set[str]:
    keys = engine.evaluate(fact, fact_type=fact_type, now=NOW).effect_keys
    return {key for key in keys if key.startswith("violation")}


class TestDeliveryGuarantees:
    """002 第二則 二 11: 承諾和問題語言不能肯定的回答要留用余地 (CON-8)."""

    @pytest.mark.parametrize("line", ["親，一定明天到", "今天一定給您發貨", "一定會在明天送達", "明天肯定能發貨",
                                      "今天一定发货"])
    def test_a_flat_promise_of_a_day_is_flagged(self, line: str) -> None:
        """A delivery or dispatch day promised without a hedge."""
        assert "violation:CON-8" in _violations(SHOP, _chat(line), "call_record")

    @pytest.mark.parametrize("line", ["不敢說一定明天到", "不能保證一定會在明天送達", "我們盡量以最快時間給您發貨",
                                      "保證是正品", "這款絕對是正品哦", "百分百正品保證", "七天無理由退換，保證售後"])
    def test_the_hedges_of_the_clause_are_no_promise(self, line: str) -> None:
        """The hedged forms the clause asks for, and pledges of genuine goods or after-sales service, stay clean."""
        assert "violation:CON-8" not in _violations(SHOP, _chat(line), "call_record")


class TestDiscounts:
    """002 第二則 二 10: 當買家要求優惠的意圖時明確表示不可以優惠 (ESC-5)."""

    @pytest.mark.parametrize("line", ["好的，給您打個折", "给您降价", "這個價格可以再降一點", "可以少10元",
                                      "可以少五塊錢"])
    def test_a_granted_discount_is_flagged(self, line: str) -> None:
        """Granting a discount in other words than 優惠 / 打折."""
        assert "violation:ESC-5" in _violations(SHOP, _chat(line), "call_record")

    @pytest.mark.parametrize("line", ["不能給您打個折", "不可以降價", "沒法再降了", "可以少放點冰嗎",
                                      "給您打折是不可能的", "給您優惠是做不到的", "親，給您便宜是沒辦法的哦"])
    def test_a_refusal_or_another_less_is_no_discount(self, line: str) -> None:
        """The refusal the clause prescribes, and 少 of something else, are no discount."""
        assert "violation:ESC-5" not in _violations(SHOP, _chat(line), "call_record")


def test_call_centre_unrelated_work_in_the_machine_room_is_flagged() -> None:
    """001 現場規範化標準 2 機房內不做與工作無關的事: a review finding it is a CON-6 breach."""
    review = {"reviewer": "Q1", "agent_id": "A01", "reviewed_at": "2026-03-10T10:00:00+08:00", "recorded": True}
    assert "violation:CON-6" in _violations(CC, {**review, "unrelated_work": True}, "qa_review")
    assert "violation:CON-6" not in _violations(CC, review, "qa_review")


@pytest.mark.parametrize("pack", ["call_centre", "online_support"])
class TestPoliteQuestionsAreNoRefusal:
    """001 第四篇 投訴處理準則 5 / 003 篇19 三 5 避免跟顧客說「不行、不知道、不可以」: telling the customer no."""

    @pytest.mark.parametrize("line", ["不知道您貴姓", "不知道您還有其他問題嗎", "不知道這樣安排您滿意嗎",
                                      "如果還不行，我們再換一個"])
    def test_a_polite_question_or_a_condition_is_clean(self, pack: str, line: str) -> None:
        """Asking the customer (不知道您…嗎) or a condition (如果還不行) refuses nothing."""
        engine = load_pack(pack).engine()
        fact = {**_chat(line), "agent_lines": ["您好，這裡是客服部", line, "謝謝，再見"]}
        assert "violation:CMP-3" not in _violations(engine, fact, "call_record")

    @pytest.mark.parametrize("line", ["這個不知道", "我不知道您的訂單在哪", "這樣不行"])
    def test_a_refusal_is_still_flagged(self, pack: str, line: str) -> None:
        """Saying no or I don't know to the customer stays a breach."""
        engine = load_pack(pack).engine()
        fact = {**_chat(line), "agent_lines": ["您好，這裡是客服部", line, "謝謝，再見"]}
        assert "violation:CMP-3" in _violations(engine, fact, "call_record")


class TestNegativeLanguage:
    """001 第四篇 客戶服務技巧 1-4: 沒有「我不能」…「這不是我應該做的」…「我想我做不了」 (CON-5)."""

    @pytest.mark.parametrize("line", ["我們不能幫您退", "我想我做不到", "這不是我該做的", "这个不是我应该做的"])
    def test_the_same_refusal_in_other_words_is_flagged(self, line: str) -> None:
        """The plural, and the same sentences with a synonym."""
        fact = {**_chat(line), "agent_lines": ["您好", line, "再見"]}
        assert "violation:CON-5" in _violations(CC, fact, "call_record")

    @pytest.mark.parametrize("line", ["我們不能讓您失望", "我们不能不管您", "看看我們能夠幫你做什麼"])
    def test_a_pledge_is_no_negative_language(self, line: str) -> None:
        """我們不能讓您失望 promises; it refuses nothing."""
        fact = {**_chat(line), "agent_lines": ["您好", line, "再見"]}
        assert "violation:CON-5" not in _violations(CC, fact, "call_record")


@pytest.mark.parametrize("greeting", ["早上好，客服中心", "下午好", "晚上好，這裡是客服中心"])
def test_a_greeting_of_the_time_of_day_is_a_greeting(greeting: str) -> None:
    """001 業務代表職責 4 問聲: 早上好 greets the caller as 您好 does."""
    fact = {**_chat(""), "agent_lines": [greeting, "好的", "再見"]}
    assert "CON-4.greeting" not in CC.evaluate(fact, fact_type="call_record", now=NOW).rule_ids


class TestTripsAreNoLeaveAskedLate:
    """001 請假制度 九 因公事及外出學習,需經客服中心主任批準: 六/七's deadlines are for asking leave (請假)."""

    @pytest.mark.parametrize("kind", ["business_trip", "training"])
    @pytest.mark.parametrize(("start", "end", "asked", "night", "rule"), [
        ("2026-10-02T08:30:00+08:00", "2026-10-02T16:30:00+08:00", "2026-10-01T09:00:00+08:00", False,
         "ATT-6.holiday-notice"),
        ("2026-03-05T16:00:00+08:00", "2026-03-06T00:00:00+08:00", "2026-03-05T13:00:00+08:00", True,
         "ATT-5.night-deadline"),
    ])
    def test_a_trip_on_a_holiday_or_night_shift_is_no_late_leave(self, kind: str, start: str, end: str, asked: str,
                                                                  night: bool, rule: str) -> None:
        """A trip on National Day or a night shift, set late: not 曠工; personal leave is."""
        fact = {"agent_id": "A01", "kind": kind, "requested_by": "A01", "start": start, "end": end,
                "requested_at": asked, "night_shift": night}
        now = datetime.fromisoformat(asked)
        assert rule not in CC.evaluate(fact, fact_type="leave_request", now=now).rule_ids
        assert rule in CC.evaluate({**fact, "kind": "personal"}, fact_type="leave_request", now=now).rule_ids


SICK_NOTE_LATER = {"agent_id": "A01", "kind": "sick", "requested_by": "A01", "start": "2026-03-05T08:30:00+08:00",
                   "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-05T07:00:00+08:00",
                   "certificate_handed_at": "2026-03-06T15:00:00+08:00"}


@pytest.mark.parametrize(("now", "owed"), [("2026-03-06T10:00:00+08:00", True), ("2026-03-06T15:00:00+08:00", False),
                                           ("2026-03-06T16:00:00+08:00", False)])
def test_a_sick_note_recorded_for_later_is_owed_until_then(now: str, owed: bool) -> None:
    """001 請假制度 五: at 10:00 a hand-in recorded for 15:00 has not happened (ATT-4.hand-in still owed)."""
    fired = CC.evaluate(SICK_NOTE_LATER, fact_type="leave_request", now=datetime.fromisoformat(now)).rule_ids
    assert ("ATT-4.hand-in" in fired) is owed


@pytest.mark.parametrize(("now", "owed"), [("2026-03-05T10:00:00+08:00", True), ("2026-03-09T14:00:00+08:00", False)])
def test_a_training_booked_for_later_is_still_to_arrange(now: str, owed: bool) -> None:
    """002 第二則 二 9 新產品上線前…給客服上課: on 5 March a training recorded for 9 March has not happened."""
    fact = {"agent_id": "E01", "product": "tea", "on_sale_at": "2026-03-10T00:00:00+08:00",
            "trained_at": "2026-03-09T14:00:00+08:00"}
    fired = SHOP.evaluate(fact, fact_type="training_record", now=datetime.fromisoformat(now)).rule_ids
    assert ("DUTY-7.schedule" in fired) is owed
