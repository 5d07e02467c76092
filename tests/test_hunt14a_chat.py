"""E-commerce chat wording against 002 第二則 二 11: 承諾和問題語言不能肯定的回答要留用餘地."""

from __future__ import annotations

from datetime import datetime

import pytest

from csrules.policies import load_pack

SHOP = load_pack("ecommerce").engine()
NOW = datetime.fromisoformat("2026-03-10T11:00:00+08:00")


def guarantees(line: str) -> bool:
    """Whether CON-8.no-guarantees flags a chat in which the agent greets politely and says ``line``."""
    fact = {"call_id": "T1", "agent_id": "E01", "started_at": "2026-03-10T10:00:00+08:00", "duration": "PT3M",
            "agent_lines": ["您好，請問有什麼可以幫您", line]}
    return "CON-8.no-guarantees" in SHOP.evaluate(fact, fact_type="call_record", now=NOW).rule_ids


class TestShippingTimes:
    """The clause's own hedge is 我們盡量以最快時間給您發貨: a shipping time stated as sure is a guarantee."""

    @pytest.mark.parametrize("line", ["今天一定發出", "明天肯定發出", "今天肯定能發", "下午一定能發出", "今天一定会发"])
    def test_a_sure_shipping_time_is_a_guarantee(self, line: str) -> None:
        """今天一定發出 promises what the clause says to hedge."""
        assert guarantees(line)

    @pytest.mark.parametrize("line", ["我們盡量今天發出", "今天不一定能發", "一定發生了什麼誤會", "發票一定給您開"])
    def test_hedges_and_other_words_are_not(self, line: str) -> None:
        """盡量, 不一定, and 一定 before 發生 or a 發票 promise no shipping time."""
        assert not guarantees(line)


class TestNegationPastTheDay:
    """不能保證明天一定到 is the hedge the clause asks for, as 不能保證一定到 is."""

    @pytest.mark.parametrize("line", ["這個不能保證明天一定到", "不能保證今天一定發貨", "不敢保證明天一定能到",
                                      "很難保證後天一定送達", "不敢說明天一定到", "不好說今天一定能發"])
    def test_a_negation_reaches_past_the_day(self, line: str) -> None:
        """A negation of 保證 or a doubt naming the day covers the 一定 after the day."""
        assert not guarantees(line)

    @pytest.mark.parametrize("line", ["保證明天一定到", "保證明天到", "明天一定到", "我說明天一定到"])
    def test_without_the_negation_it_is_a_guarantee(self, line: str) -> None:
        """The same words without the negation still promise the day."""
        assert guarantees(line)


class TestPlatformRules:
    """Seven-day returns are the platform's rule, a certainty rather than an estimate stated as sure."""

    @pytest.mark.parametrize("line", ["我們保證7天無理由退換", "支持保證七天無理由退貨", "質量問題保證退換"])
    def test_returns_policy_is_no_guarantee(self, line: str) -> None:
        """保證7天無理由退換 states the rule, not a delivery time."""
        assert not guarantees(line)


def grants(line: str) -> bool:
    """Whether ESC-5.no-discount flags a chat in which the agent greets politely and says ``line``."""
    fact = {"call_id": "T1", "agent_id": "E01", "started_at": "2026-03-10T10:00:00+08:00", "duration": "PT3M",
            "agent_lines": ["您好，請問有什麼可以幫您", line]}
    return "ESC-5.no-discount" in SHOP.evaluate(fact, fact_type="call_record", now=NOW).rule_ids


class TestPriceChanges:
    """當買家要求優惠的意圖時明確表示不可以優惠 (第二則 二 10): 改價 for the buyer is a discount."""

    @pytest.mark.parametrize("line", ["好的，給您改價到99元", "拍下後我給您改價", "我幫您改一下價格", "可以改價的",
                                      "給您改個價"])
    def test_changing_the_price_is_a_discount(self, line: str) -> None:
        """The agent lowering the price of a placed order grants a discount."""
        assert grants(line)

    @pytest.mark.parametrize("line", ["不能改價哦", "沒辦法給您改價", "可以改價嗎？我幫您問問", "主管同意給您改價"])
    def test_refusals_questions_and_the_supervisors_price_are_not(self, line: str) -> None:
        """A refusal, the buyer's question repeated, and the supervisor's price relayed grant nothing."""
        assert not grants(line)
