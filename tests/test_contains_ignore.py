"""``contains`` with ``ignore``: a phrase found only inside an ignored phrase does not count, in
the engine, its trace, the columnar audit and the documents; an ignore phrase that holds none of
the phrases is refused."""

from __future__ import annotations

from typing import Any

import pytest

from csrules import Engine, PolicyError, loads_policy
from csrules._docs.plain import condition_words, describe_context
from csrules._policy.text import TextMatcher
from csrules.policies import load_pack
from tests.columnar_support import assert_same

CALL = {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T09:00:00+08:00", "duration": "PT2M"}


def policy(**contains: Any) -> Any:
    """A call policy of one rule: a violation when the agent's lines contain (per ``contains``)."""
    when = {"kind": "contains", "path": "agent_lines", **contains}
    text = ("id: t\nversion: '1'\ntitle: {en: t, zh: t}\nfact_type: call_record\nrules:\n"
            f"  - id: r\n    title: {{en: r, zh: r}}\n    when: {when!r}\n"
            "    then: [{type: violation, code: X, message: {en: x, zh: x}}]\n")
    return loads_policy(text, name="t.yaml")


class TestMatcher:
    """Where a phrase counts."""

    @pytest.mark.parametrize(("lines", "found"), [
        (["這不但是我們的責任"], None),
        (["这不但是我们的责任"], None),
        (["但是不行"], "但是"),
        (["这不但是，但是不行"], "但是"),
        (["不但是但是"], "但是"),
        (["不但是", "但是"], "但是"),
        (["不但"], None),
    ])
    def test_inside_an_ignored_phrase_only(self, lines: list[str], found: str | None) -> None:
        """但是 counts except where it is part of 不但是, in either script, line by line."""
        assert TextMatcher(("但是",), "zh", ignore=("不但是",)).find(lines) == found

    def test_without_ignore_unchanged(self) -> None:
        """With no ignore phrases the first phrase found is the one it always was."""
        assert TextMatcher(("但是",), "zh").find(["這不但是"]) == "但是"


class TestPolicy:
    """The condition in a policy."""

    def test_engine_and_trace_agree(self) -> None:
        """The decision and its explaining trace both leave 不但是 out."""
        engine = Engine(policy(phrases=["但是"], ignore=["不但是"]))
        for lines, holds in ((["這不但是我們的責任"], False), (["但是不行"], True)):
            decision = engine.evaluate({**CALL, "agent_lines": lines})
            assert (decision.rule_ids == ("r",)) is holds
            assert decision.trace.rules[0].matched is holds

    def test_an_ignore_phrase_holding_no_phrase_is_refused(self) -> None:
        """An ignore phrase that holds none of the phrases would change nothing: refused, named."""
        with pytest.raises(PolicyError, match="ignore phrase '不行' holds none of the phrases"):
            policy(phrases=["但是"], ignore=["不行"])

    def test_documents_say_it(self) -> None:
        """The rule's wording names the ignored phrases, in English and Chinese."""
        written = policy(phrases=["但是"], ignore=["不但是"])
        cond, ctx = written.rules[0].when, describe_context(written)
        assert condition_words(cond, "en", ctx).endswith("(not counting them inside 不但是)")
        assert "不但是" in condition_words(cond, "zh", ctx)


class TestPack:
    """The call-centre pack's CON-5.but and the columnar audit."""

    def test_not_only_is_not_but(self) -> None:
        """這不但是我們的責任 (not only is) is not CON-5; 但是 on its own still is."""
        engine = load_pack("call_centre").engine()
        quiet = engine.evaluate({**CALL, "agent_lines": ["您好", "這不但是我們的責任"]}, fact_type="call_record")
        loud = engine.evaluate({**CALL, "agent_lines": ["您好", "但是現在辦不了"]}, fact_type="call_record")
        assert "CON-5.but" not in quiet.rule_ids
        assert "CON-5.but" in loud.rule_ids

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit leaves out what the row engine leaves out, line lists included."""
        lines = [["您好", "這不但是我們的責任"], ["这不但是，但是不行"], ["不但是但是"], ["不但"], ["但是"], []]
        assert_same(load_pack("call_centre").engine(), "call_record", [{**CALL, "agent_lines": each} for each in lines])
