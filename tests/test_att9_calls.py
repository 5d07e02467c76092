"""online_support calls: CB-3 judges callbacks only; every call closes with a farewell (003 篇17)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import FactError
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
ONLINE = load_pack("online_support").engine()


def _call(lines: list[str], **fields: Any) -> dict[str, Any]:
    return {"call_id": "G1", "agent_id": "S01", "started_at": datetime(2026, 3, 10, 20, tzinfo=TZ), "duration": "PT2M",
            "agent_lines": lines, **fields}


def _ids(fact: dict[str, Any]) -> tuple[str, ...]:
    return ONLINE.evaluate(fact, fact_type="call_record").rule_ids


class TestScriptOrderIsACallbacks:
    """CB-3 (主動回訪 工作細則): the script of a callback that brings the customer an answer."""

    @pytest.mark.parametrize("purpose", ["payment_reminder", "other"])
    def test_other_outbound_calls_are_not_judged_as_callbacks(self, purpose: str) -> None:
        """A 催單 payment reminder (ORD-5) or another outbound call skips no callback script."""
        fact = _call(["您好，這裡是客服部", "謝謝，再見"], direction="outbound", purpose=purpose,
                     script_steps=["introduce"])
        assert "CB-3.script-order" not in _ids(fact)

    @pytest.mark.parametrize("fields", [{}, {"purpose": "callback"}])
    def test_a_callback_out_of_order_is_still_flagged(self, fields: dict[str, Any]) -> None:
        """An outbound call is a callback unless it says otherwise: its script is judged."""
        fact = _call(["您好，這裡是客服部", "謝謝，再見"], direction="outbound", script_steps=["introduce"], **fields)
        assert "CB-3.script-order" in _ids(fact)

    def test_an_unknown_purpose_is_refused(self) -> None:
        """A purpose the model does not know is refused, naming the field."""
        with pytest.raises(FactError, match="purpose"):
            _ids(_call(["您好"], direction="outbound", purpose="sales call"))


class TestFarewell:
    """篇17 (三)(1) 掛電話前的禮貌: 應有明確的結束語,說一聲「謝謝,再見」."""

    @pytest.mark.parametrize("last", ["好的，我幫您登記了", "謝謝"])
    def test_a_call_without_a_farewell_is_flagged(self, last: str) -> None:
        """The last line says no 再見: CON-4.farewell."""
        assert "CON-4.farewell" in _ids(_call(["您好，客服部", last]))

    @pytest.mark.parametrize("last", ["謝謝，再見", "谢谢，再见", "好的，再見！"])
    def test_a_farewell_in_either_script_closes_the_call(self, last: str) -> None:
        """謝謝，再見 in traditional or simplified script is the farewell."""
        assert "CON-4.farewell" not in _ids(_call(["您好，客服部", last]))

    def test_a_farewell_before_the_last_line_is_no_closing(self) -> None:
        """再見 said mid-call, then more talk: the call did not close with it."""
        assert "CON-4.farewell" in _ids(_call(["您好，客服部", "再見", "對了，還有一件事"]))
