"""Chinese traces in one script at a time: csrules' words converted, the values seen kept."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from pydantic import BaseModel

import csrules
from csrules._policy.text import to_script
from csrules.policies import PACK_NAMES, load_pack

VALUES = re.compile(r"  \[.*\]$", re.M)  # the values seen, at the end of a condition's line


def _rendered(pack: str, script: Literal["simplified", "traditional"]) -> list[str]:
    """Every worked example's Chinese trace in ``pack``, the values seen left out."""
    engine = load_pack(pack).engine()
    out = []
    for policy in engine.policies:
        for rule in policy.rules:
            for example in rule.examples:
                if example.fact is None:
                    continue
                decision = engine.evaluate(example.fact, now=example.now, fact_type=policy.fact_type)
                out.append(VALUES.sub("", decision.trace.render(lang="zh", script=script)))
    return out


@csrules.register_fact_type(name="zh_script_note")
class Note(BaseModel):
    """A note an agent wrote."""

    text: str


NOTE_POLICY = {
    "id": "zh-script", "version": "1", "fact_type": "zh_script_note",
    "title": {"en": "Notes", "zh": "備註"},
    "rules": [{"id": "polite", "title": {"en": "polite note", "zh": "禮貌用語"},
               "when": {"kind": "contains", "path": "text", "phrases": ["謝謝"], "fold": "zh"},
               "then": [{"type": "recommendation", "text": {"en": "thanked", "zh": "已致謝"}}]}],
}


class TestTraceScript:
    """``Trace.render(lang="zh", script=...)``."""

    @pytest.mark.parametrize("pack", PACK_NAMES)
    @pytest.mark.parametrize("script", ["simplified", "traditional"])
    def test_one_script(self, pack: str, script: Literal["simplified", "traditional"]) -> None:
        """Converting a pack's Chinese traces to the script asked for changes nothing."""
        texts = _rendered(pack, script)
        assert texts
        for text in texts:
            assert to_script(text, script) == text

    def test_values_seen_are_kept(self) -> None:
        """A traditional text in the fact stays traditional in a simplified trace."""
        engine = csrules.Engine(csrules.Policy.model_validate(NOTE_POLICY))
        trace = engine.evaluate({"text": "謝謝您來電"}).trace
        simplified = trace.render(lang="zh")
        assert "謝謝您來電" in simplified
        assert "谢谢" in VALUES.sub("", simplified)  # the condition's words are converted
        assert "謝謝" in VALUES.sub("", trace.render(lang="zh", script="traditional"))

    def test_unknown_script_refused(self) -> None:
        """A script other than simplified or traditional is refused, naming it."""
        engine = csrules.Engine(csrules.Policy.model_validate(NOTE_POLICY))
        with pytest.raises(ValueError, match="cyrillic"):
            engine.evaluate({"text": "hi"}).trace.render(lang="zh", script="cyrillic")  # type: ignore[arg-type]
