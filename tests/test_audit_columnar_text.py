"""``contains`` judged per column (each distinct text folded once) equals the row engine."""

from __future__ import annotations

from typing import Any

import pytest

from csrules import Engine
from csrules._policy.loader import loads_policy
from csrules.policies import PACK_NAMES, load_pack
from tests.columnar_support import all_rules, assert_same, columnar_rules

LINES = [
    "您好，請問有什麼可以幫您", "您好，请问有什么可以帮您", "喂，哪位", "喂", "這不是我應該做的", "这不是我应该做的事",
    "我不能", "我不", "能", "但是", "OK, STRASSE", "ok, straße", "a.*b", "", "x" * 70 + "這不是我應該做的",
    "再見，祝您愉快", "再见", "Thank You", "thank you",
]


def _calls() -> list[dict[str, Any]]:
    """Calls whose agents say each line alone, with its neighbour, nothing, or nothing recorded."""
    facts: list[dict[str, Any]] = [{"call_id": "C0", "agent_id": "A1", "started_at": "2026-03-07T09:00:00+08:00",
                                    "duration": "3m", "agent_lines": None}]
    for index, line in enumerate(LINES):
        for lines in ([line], [line, LINES[(index + 1) % len(LINES)]], []):
            facts.append({"call_id": f"C{index}", "agent_id": "A1", "started_at": "2026-03-07T09:00:00+08:00",
                          "duration": "3m", "agent_lines": lines, "customer_lines": lines[:1],
                          "prior_greeting_offences": index % 4})
    return facts


EFFECT = "{type: violation, code: F, message: {en: hit, zh: 中}}"
POLICY = loads_policy("""
id: folds
version: "1"
title: {en: folds, zh: 摺疊}
fact_type: call_record
rules:
  - id: F-none
    title: {en: exact, zh: 精確}
    when: {kind: contains, path: customer_lines, phrases: [STRASSE, "a.*b"], fold: none}
  - id: F-case
    title: {en: case, zh: 大小寫}
    when: {kind: contains, path: greeting, phrases: [strasse, THANK], fold: case}
  - id: F-zh
    title: {en: script, zh: 繁簡}
    when: {kind: contains, path: closing_line, phrases: [再見, 這不是]}
""".replace("    when:", f"    then: [{EFFECT}]\n    when:"), name="folds.yaml")


class TestContains:
    """Every pack's phrase rules, and each folding, agree on every call."""

    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_pack_phrase_rules(self, name):
        """Simplified and traditional lines, case, regex characters, empty and missing transcripts agree."""
        engine = load_pack(name).engine()
        assert columnar_rules(engine, "call_record", _calls()) == all_rules(engine, "call_record")
        assert_same(engine, "call_record", _calls())

    def test_each_folding(self):
        """No folding, case folding (ß as ss) and Chinese script folding agree, on texts and lists."""
        engine = Engine([POLICY])
        assert columnar_rules(engine, "call_record", _calls()) == {"F-none", "F-case", "F-zh"}
        assert_same(engine, "call_record", _calls())
