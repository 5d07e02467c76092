"""Service language read against its clauses: pledges against refusals, and the I-don't-know verbs alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from csrules.policies import load_pack

NOW = datetime.fromisoformat("2026-03-10T10:05:00+08:00")


def _fired(pack: str, *lines: str) -> set[str]:
    fact: dict[str, Any] = {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T10:00:00+08:00",
                            "duration": "PT2M", "agent_lines": ["您好，客服中心", *lines, "再見"]}
    return set(load_pack(pack).engine().evaluate(fact, fact_type="call_record", now=NOW).rule_ids)


class TestPledgesAgainstRefusals:
    """CON-5 bans 我不願意 / 我不可 / 我不能 as refusals; a pledge naming what it spares the customer is none."""

    @pytest.mark.parametrize("line", ["我不願意讓您退貨", "我不愿意让你退款", "我不願意讓妳換貨", "我不可能讓您退貨"])
    def test_a_refusal_that_names_the_customer_is_negative_language(self, line: str) -> None:
        """我不願意讓您退貨 refuses the customer something: negative language, whoever it names."""
        assert "CON-5.negative-language" in _fired("call_centre", line)

    @pytest.mark.parametrize("line", ["我不願意讓您失望", "我不愿意让您受委屈", "我不願意讓你白跑一趟",
                                      "我不可能讓您吃虧", "我不可能讓您白跑一趟", "我不願意看到您不滿意",
                                      "我不可能不管您的事"])
    def test_a_pledge_is_no_negative_language(self, line: str) -> None:
        """A pledge (我不願意讓您失望) spares the customer something: no negative language."""
        assert "CON-5.negative-language" not in _fired("call_centre", line)

    @pytest.mark.parametrize("line", ["我不能讓您退貨", "我們不能讓你改地址", "我这边不能让您退款"])
    def test_i_cannot_let_you_is_a_refusal(self, line: str) -> None:
        """我不能讓您退貨 is 我不能: a refusal."""
        assert "CON-5.i-cannot" in _fired("call_centre", line)

    @pytest.mark.parametrize("line", ["我不能讓您失望", "我們不能讓你受委屈", "我這邊不能讓您白跑一趟",
                                      "我不能讓您久等"])
    def test_i_cannot_let_you_down_is_a_pledge(self, line: str) -> None:
        """我這邊不能讓您白跑一趟 is a pledge, whichever of the listed subjects says it."""
        assert "CON-5.i-cannot" not in _fired("call_centre", line)


PACKS = ["call_centre", "online_support"]
# what follows 不知道 / 不曉得 in a polite question to the customer
POLITE = ["您現在方便接聽嗎", "您是否方便", "你怎麼稱呼", "您貴姓", "你貴姓", "這樣安排您滿意嗎", "這樣可以嗎",
          "是否方便"]
# what follows them in an answer that the agent does not know
BLUNT = ["這樣做對不對", "這個", "，我幫不了", "這件事怎麼辦", "您的訂單在哪"]


class TestTheIDontKnowVerbsReadAlike:
    """CMP-3 reads 不曉得 as 不知道 (one I-don't-know): the same polite questions, the same refusals."""

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("verb", ["不知道", "不曉得", "不晓得"])
    @pytest.mark.parametrize("rest", POLITE)
    def test_a_polite_question_is_no_refusal(self, pack: str, verb: str, rest: str) -> None:
        """不曉得你怎麼稱呼 asks the customer, as 不知道你怎麼稱呼 does: no refusal."""
        assert "CMP-3.refusals" not in _fired(pack, verb + rest)

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("verb", ["不知道", "不曉得", "不晓得"])
    @pytest.mark.parametrize("rest", BLUNT)
    def test_an_unknowing_answer_is_a_refusal(self, pack: str, verb: str, rest: str) -> None:
        """不曉得這樣做對不對 tells the customer the agent does not know, as 不知道這樣做對不對 does."""
        assert "CMP-3.refusals" in _fired(pack, verb + rest)

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("line", ["這樣不行，您是否再試一次", "不可以", "我不清楚您是否下單了", "這個我也不清楚"])
    def test_the_other_refusals_keep_no_polite_question(self, pack: str, line: str) -> None:
        """不行 and 我不清楚 open no polite question: they stay refusals before 您是否."""
        assert "CMP-3.refusals" in _fired(pack, line)

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("line", ["這樣處理行不行？", "不行的話我再幫您查", "沒有什麼不可以的",
                                      "不是不知道，我幫您查", "您說「不知道」是指哪一步"])
    def test_consent_conditions_negations_and_quotes_stay_clean(self, pack: str, line: str) -> None:
        """Asking consent, a condition, a negation and a quote were no refusal, and stay none."""
        assert "CMP-3.refusals" not in _fired(pack, line)


class TestTheSameWordsInOtherForms:
    """A listed phrase said with another subject or adverb is the same phrase."""

    @pytest.mark.parametrize("line", ["我們這邊不能給您退", "我这里不能改", "我們這裡不能辦"])
    def test_we_here_cannot_is_i_cannot(self, line: str) -> None:
        """我們這邊不能 is 我不能 as much as the listed 我這邊不能 is."""
        assert "CON-5.i-cannot" in _fired("call_centre", line)

    @pytest.mark.parametrize("line", ["我們這邊不能讓您失望", "我這裡不能不管您"])
    def test_their_pledges_are_no_refusal(self, line: str) -> None:
        """A pledge stays a pledge with the new subjects."""
        assert "CON-5.i-cannot" not in _fired("call_centre", line)

    @pytest.mark.parametrize("line", ["這不歸我管", "这不是我应该管的"])
    def test_not_mine_to_handle_is_not_my_job(self, line: str) -> None:
        """這不歸我管 says 這不是我應該做的 in other words."""
        assert "CON-5.not-my-job" in _fired("call_centre", line)

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("line", ["這個我不太清楚", "我也不太清楚"])
    def test_not_quite_sure_is_i_dont_know(self, pack: str, line: str) -> None:
        """我不太清楚 is the listed 我不清楚 with an adverb."""
        assert "CMP-3.refusals" in _fired(pack, line)

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("line", ["不知道您覺得怎麼樣", "不曉得您還需要什麼", "不知道您這邊方便嗎",
                                      "不知道您看這樣行嗎", "不曉得您有沒有收到"])
    def test_more_polite_questions_are_no_refusal(self, pack: str, line: str) -> None:
        """不知道您覺得怎麼樣 asks the customer's view: no refusal, with either verb."""
        assert "CMP-3.refusals" not in _fired(pack, line)

    @pytest.mark.parametrize("pack", PACKS)
    def test_i_do_not_know_what_you_mean_is_a_refusal(self, pack: str) -> None:
        """我不知道您說的是什麼 answers that the agent does not know."""
        assert "CMP-3.refusals" in _fired(pack, "我不知道您說的是什麼")


class TestTheCustomerNotKnowing:
    """CMP-3 bans the agent answering 不知道; the customer not knowing is no such answer."""

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("line", ["如果您不知道訂單號，我幫您查", "您也不知道的話沒關係",
                                      "妳要是不曉得密碼，我幫妳重設"])
    def test_the_customer_not_knowing_is_no_refusal(self, pack: str, line: str) -> None:
        """如果您不知道訂單號 speaks of the customer, not of the agent."""
        assert "CMP-3.refusals" not in _fired(pack, line)

    @pytest.mark.parametrize("pack", PACKS)
    @pytest.mark.parametrize("line", ["我不知道", "我們也不知道，您等等吧"])
    def test_the_agent_not_knowing_stays_a_refusal(self, pack: str, line: str) -> None:
        """我們也不知道 is the agent's answer."""
        assert "CMP-3.refusals" in _fired(pack, line)
