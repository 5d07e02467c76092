"""A call's opening and closing lines are its first and last lines that show text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from csrules.domain.facts import CallRecord
from csrules.policies import load_pack
from tests.columnar_support import assert_same

MALL = load_pack("mall").engine()
ONLINE = load_pack("online_support").engine()
NOW = datetime(2026, 3, 10, 3, tzinfo=UTC)


def _call(*lines: str, **changes: Any) -> dict[str, Any]:
    fact = {"call_id": "C1", "agent_id": "M01", "started_at": "2026-03-10T10:00:00+08:00", "duration": "PT1M",
            "agent_lines": list(lines)}
    fact.update(changes)
    return fact


INVISIBLE_LINES = ["\u200b", "\ufeff", " \u200b\u3000", "\u200e\u2060", "\u00ad"]


class TestInvisibleLines:
    """A line holding only invisible marks and spaces (an empty chat message) is no line."""

    @pytest.mark.parametrize("mark", INVISIBLE_LINES)
    def test_greeting_and_closing_skip_it(self, mark: str):
        call = CallRecord.model_validate(_call(mark, "您好，商場客服", "謝謝，再見", mark))
        assert (call.greeting, call.closing_line) == ("您好，商場客服", "謝謝，再見")

    def test_mall_hello_reads_the_first_visible_words(self):
        """The agent's first visible words were 您好: CON-1.hello has nothing to report."""
        decision = MALL.evaluate(_call("\u200b", "您好，商場客服"), fact_type="call_record", now=NOW)
        assert "CON-1.hello" not in decision.rule_ids
        assert "CON-1.hello" in MALL.evaluate(_call("\u200b", "喂，哪位"), fact_type="call_record", now=NOW).rule_ids

    def test_only_invisible_lines_ask_for_the_recording(self):
        """A record whose every line is an invisible mark has no agent lines to judge."""
        decision = MALL.evaluate(_call("\u200b", "\ufeff"), fact_type="call_record", now=NOW)
        assert "CON-1.no-agent-lines" in decision.rule_ids
        assert "CON-1.hello" not in decision.rule_ids

    def test_a_mark_inside_a_line_keeps_the_line(self):
        """Text beside a mark is text: the line is kept whole."""
        assert CallRecord.model_validate(_call("\u200b喂")).greeting == "\u200b喂"

    def test_columnar_audit_agrees(self):
        facts = [_call(mark, "您好，商場客服", mark) for mark in INVISIBLE_LINES]
        facts += [_call("\u200b"), _call("\u200b喂", "\ufeff"), _call("喂", "\u200b"), _call()]
        assert_same(MALL, "call_record", facts)
        assert_same(ONLINE, "call_record", facts)


ANNOUNCED = ["您好", "這裡是三學苑客服部，請問有什麼可以幫您", "謝謝，再見"]


class TestOpening:
    """A first line holding only a greeting opens together with the next line (003 篇17: 您好！三學苑客服部)."""

    @pytest.mark.parametrize("first", ["您好", "您好！", " 你好， ", "\u200b您好。", "Hello,", "早上好~"])
    def test_a_greeting_line_joins_the_next(self, first: str):
        call = CallRecord.model_validate(_call(first, "\u200b", "這裡是客服部"))
        assert call.opening == f"{first}\n這裡是客服部"
        assert call.greeting == first

    @pytest.mark.parametrize("lines", [["您好，客服部", "請問"], ["喂", "這裡是客服部"], ["您好", ""],
                                       ["您好您好", "客服部"]])
    def test_other_first_lines_open_alone(self, lines: list[str]):
        assert CallRecord.model_validate(_call(*lines)).opening == lines[0]

    def test_announce_reads_the_line_after_the_greeting(self):
        """CON-2.announce: the company announced right after 您好 on its own line is announced first."""
        decision = ONLINE.evaluate(_call(*ANNOUNCED), fact_type="call_record", now=NOW)
        assert "CON-2.announce" not in decision.rule_ids
        unannounced = ONLINE.evaluate(_call("您好", "請問有什麼可以幫您"), fact_type="call_record", now=NOW)
        assert "CON-2.announce" in unannounced.rule_ids
        late = ONLINE.evaluate(_call("您好", "請問有什麼可以幫您", "這裡是客服部"), fact_type="call_record", now=NOW)
        assert "CON-2.announce" in late.rule_ids

    def test_apology_reads_the_line_after_the_greeting(self):
        """CON-2.apologise after six rings: 您好 then 對不起，讓您久等了 apologised first."""
        apologised = _call("您好", "對不起，讓您久等了，這裡是客服部", rings_before_pickup=6)
        assert "CON-2.apologise" not in ONLINE.evaluate(apologised, fact_type="call_record", now=NOW).rule_ids
        late = _call("您好", "這裡是客服部", "對不起，讓您久等了", rings_before_pickup=6)
        assert "CON-2.apologise" in ONLINE.evaluate(late, fact_type="call_record", now=NOW).rule_ids

    def test_columnar_audit_agrees(self):
        firsts = ["您好", "您好！", "\u200b你好，", "HELLO", "hi", "您好，客服部", "喂", "您好您好", ""]
        facts = [_call(first, "\u200b", "這裡是客服部") for first in firsts]
        facts += [_call(*ANNOUNCED), _call("您好"), _call("您好", "\ufeff"), _call()]
        assert_same(ONLINE, "call_record", facts)
