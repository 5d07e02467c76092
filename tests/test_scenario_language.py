"""Negative language on calls (001 第四篇 客戶服務技巧: 我不能、我不會、我不願意、我不可等等)."""

from __future__ import annotations

import pytest

from csrules.policies import load_pack

CC = load_pack("call_centre").engine()


def rule_ids(line: str) -> tuple[str, ...]:
    """The rules a call breaks whose middle line is ``line`` (greeting and farewell given)."""
    call = {
        "call_id": "C1",
        "agent_id": "A01",
        "started_at": "2026-03-10T09:00:00+08:00",
        "duration": "PT2M",
        "agent_lines": ["您好，客服中心", line, "再見"],
    }
    return CC.evaluate(call, fact_type="call_record").rule_ids


class TestNegativeLanguage:
    """The source's own examples of negative language are flagged; willing phrasing is not."""

    @pytest.mark.parametrize("line", ["這個我不願意幫您查", "这个我不愿意帮您查", "我不可能今天給您退款"])
    def test_listed_negative_phrases_are_flagged(self, line: str) -> None:
        """我不願意 (either script) and 我不可 break CON-5."""
        assert "CON-5.negative-language" in rule_ids(line)

    def test_willing_phrasing_is_clean(self) -> None:
        """我很願意為您查詢 breaks nothing."""
        assert rule_ids("我很願意為您查詢") == ()
