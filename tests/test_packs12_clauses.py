"""Pack rules read clause by clause at their boundaries: wording, scripts and times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from csrules.policies import load_pack

NOW = datetime.fromisoformat("2026-03-10T10:05:00+08:00")


def _chat(*lines: str) -> set[str]:
    fact: dict[str, Any] = {"call_id": "T1", "agent_id": "E01", "started_at": "2026-03-10T10:00:00+08:00",
                            "duration": "PT3M", "agent_lines": ["您好", *lines]}
    return set(load_pack("ecommerce").engine().evaluate(fact, fact_type="call_record", now=NOW).rule_ids)


class TestDeliveryStatedAsSure:
    """002 第二則 二 11: a delivery time is stated with room (左右, 盡量), never as sure."""

    @pytest.mark.parametrize("line", ["肯定明天能到", "肯定今天發", "明天保準到", "明天必到", "一定後天給您送過去"])
    def test_a_sure_day_is_a_guarantee(self, line: str) -> None:
        """肯定明天能到 states the day as sure, as the listed 肯定明天到 does."""
        assert "CON-8.no-guarantees" in _chat(line)

    @pytest.mark.parametrize("line", ["我們會確保準時發貨", "不能肯定明天到", "不一定明天到", "明天左右能到"])
    def test_room_left_is_no_guarantee(self, line: str) -> None:
        """確保準時 holds no 保準, and a negated 肯定 leaves room."""
        assert "CON-8.no-guarantees" not in _chat(line)


def _fired(pack: str, *lines: str) -> set[str]:
    fact: dict[str, Any] = {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T10:00:00+08:00",
                            "duration": "PT2M", "agent_lines": list(lines)}
    return set(load_pack(pack).engine().evaluate(fact, fact_type="call_record", now=NOW).rule_ids)


COURTESY = [("mall", "CON-4.please-thanks", "您好，商場客服"), ("ecommerce", "CON-4.please-first", "您好"),
            ("online_support", "CON-4.courtesy", "客服部")]


class TestAskingASuperiorIsNoCourtesy:
    """請 as a courtesy word (請稍等) is said to the customer; 請示 / 報請 ask a superior."""

    @pytest.mark.parametrize(("pack", "rule", "opening"), COURTESY)
    @pytest.mark.parametrize("line", ["我去請示一下主管", "這個要報請經理", "我去请示主管"])
    def test_asking_a_superior_is_no_please(self, pack: str, rule: str, opening: str, line: str) -> None:
        """A call whose only 請 is in 請示 said no courtesy word."""
        assert rule in _fired(pack, opening, line, "好的，再見")

    @pytest.mark.parametrize(("pack", "rule", "opening"), COURTESY)
    def test_a_real_please_still_counts(self, pack: str, rule: str, opening: str) -> None:
        """請稍等 beside 請示 is the courtesy word."""
        assert rule not in _fired(pack, opening, "請稍等，我去請示一下主管", "好的，再見")


class TestGreetingsOfTheTimeOfDay:
    """001 業務代表 4 (問聲): a greeting of the time of day is a greeting in either script's usage."""

    @pytest.mark.parametrize("opening", ["早安，客服中心", "午安，這裡是客服中心", "早上好，客服中心"])
    def test_good_morning_is_a_greeting(self, opening: str) -> None:
        """早安 greets as 早上好 does."""
        assert "CON-4.greeting" not in _fired("call_centre", opening, "好的，再見")

    @pytest.mark.parametrize("opening", ["晚安", "客服中心", "講"])
    def test_no_greeting_is_still_reported(self, opening: str) -> None:
        """晚安 (good night) and a bare name greet nobody."""
        assert "CON-4.greeting" in _fired("call_centre", opening, "好的，再見")


class TestApologyForTheWait:
    """003 篇17 (三)(1): after five rings the agent apologises first; 久候 is the article's word for the wait."""

    @pytest.mark.parametrize("opening", ["讓您久候了，這裡是客服部", "讓您久候，客服部您好"])
    def test_long_wait_apology_counts(self, opening: str) -> None:
        """讓您久候了 apologises as 讓您久等了 does."""
        assert "CON-2.apologise" not in _fired_after_rings(opening)

    def test_no_apology_is_still_reported(self) -> None:
        """客服部您好 after six rings apologises for nothing."""
        assert "CON-2.apologise" in _fired_after_rings("客服部您好")


def _fired_after_rings(opening: str) -> set[str]:
    fact: dict[str, Any] = {"call_id": "G1", "agent_id": "S01", "started_at": "2026-03-10T10:00:00+08:00",
                            "duration": "PT2M", "rings_before_pickup": 6, "agent_lines": [opening, "謝謝，再見"]}
    return set(load_pack("online_support").engine().evaluate(fact, fact_type="call_record", now=NOW).rule_ids)


class TestDiscountsInOtherWords:
    """002 第二則 二 10: the agent grants no discount, whatever words grant it."""

    @pytest.mark.parametrize("line", ["好的，便宜您十塊", "便宜你10塊錢吧", "給您抹個零", "零頭給您抹了"])
    def test_a_grant_is_reported(self, line: str) -> None:
        """便宜您十塊 and 抹個零 take money off the price."""
        assert "ESC-5.no-discount" in _chat(line)

    @pytest.mark.parametrize("line", ["不能便宜您", "沒辦法再便宜您了", "不能給您抹零", "這個價格已經很便宜您了"])
    def test_a_refusal_or_a_price_is_no_grant(self, line: str) -> None:
        """不能給您抹零 refuses, and 已經很便宜 states a price."""
        assert "ESC-5.no-discount" not in _chat(line)


class TestTheWordBut:
    """001 第四篇 客戶服務技巧 5 bans the word 但是 ("只要不說'但是',說什麼都行")."""

    def test_but_whether_is_not_the_word(self) -> None:
        """但是否 is 但 and 是否: the word 但是 is not said."""
        assert "CON-5.but" not in _fired("call_centre", "您好", "可以幫您退，但是否需要換貨呢？", "再見")

    def test_the_word_is_still_reported(self) -> None:
        """但是 before 是否 is the word."""
        assert "CON-5.but" in _fired("call_centre", "您好", "可以幫您退，但是是否需要換貨要看情況", "再見")
