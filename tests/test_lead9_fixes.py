"""Regression tests: answers read against the source documents, and facts files read whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from csrules.exceptions import PolicyError
from csrules.policies import load_pack
from csrules.records import impact
from csrules.testing import facts_for

NOW = datetime.fromisoformat("2026-03-31T23:00:00+08:00")


def _call(call_id: str, day: int, first_line: str, direction: str) -> dict[str, Any]:
    return {"call_id": call_id, "agent_id": "M01", "started_at": f"2026-03-{day:02d}T10:00:00+08:00",
            "duration": "PT1M", "direction": direction, "agent_lines": [first_line, "請", "謝謝"]}


class TestCallsTheAgentMakes:
    """000 網上客服崗位職責 二 1-1) "接聽顧客…開頭語要說「您好」不可以說「喂」" is about calls the agent
    answers: a call the agent makes (回電給客戶, 二 2) is neither a missing 您好 nor a 喂 on the ladder."""

    @pytest.mark.parametrize("first_line", ["喂，請問是張先生嗎？", "請問是張先生嗎？這裡是商場客服"])
    def test_an_outbound_call_is_not_judged_by_con_1(self, first_line: str) -> None:
        engine = load_pack("mall").engine()
        outbound = _call("C1", 10, first_line, "outbound") | {"prior_greeting_offences": 2}
        decision = engine.evaluate(outbound, fact_type="call_record", now=NOW)
        assert not [r for r in decision.rule_ids if r.startswith("CON-1")]
        inbound = engine.evaluate(outbound | {"direction": "inbound"}, fact_type="call_record", now=NOW)
        assert [r for r in inbound.rule_ids if r.startswith("CON-1")]  # the same words answered are

    def test_the_monthly_session_counts_answered_calls_only(self) -> None:
        """Two outbound 喂 calls earlier in the month leave the next answered 喂 the first one."""
        session = load_pack("mall").sessions(backend="python").session("M01")
        seen = [session.send(_call(cid, day, "喂？", direction), now=NOW, fact_type="call_record").rule_ids
                for cid, day, direction in [("C1", 2, "outbound"), ("C2", 3, "outbound"), ("C3", 4, "inbound")]]
        assert seen == [(), (), ("CON-1.month-corrected",)]


class TestHandedDownByTheShiftLead:
    """001 第二篇 二: an order past 24 hours goes to the shift lead, "由值班長提出處理意見並立即實施跟進處理";
    the agent he hands it down to holds it by his decision, not by the first handler kicking the ball."""

    ORDER: ClassVar[dict[str, Any]] = {
        "order_id": "W1", "opened_at": "2026-03-10T10:00:00+08:00", "first_handler": "A01", "owner": "A02",
        "owner_role": "agent", "status": "handling"}
    NOW: ClassVar[datetime] = datetime.fromisoformat("2026-03-11T12:00:00+08:00")

    def _esc_1(self, *to_roles: str) -> bool:
        steps = [{"at": f"2026-03-11T{10 + i}:30:00+08:00", "to_role": role, "chase_record": f"c{i}"}
                 for i, role in enumerate(to_roles)]
        decision = load_pack("call_centre").engine().evaluate(
            self.ORDER | {"escalations": steps}, fact_type="work_order", now=self.NOW)
        return "ESC-1.first-handler" in decision.rule_ids

    @pytest.mark.parametrize("up", ["shift_lead", "值班長", "department_head"])
    def test_handed_down_after_going_up_is_no_kicking(self, up: str) -> None:
        assert not self._esc_1(up, "agent")

    def test_passed_sideways_is_still_kicking(self) -> None:
        assert self._esc_1()
        assert self._esc_1("agent")


class TestImpactRefusesAKeyGivenTwice:
    """A JSON Lines fact giving one key twice is listed as a problem at its line, as ``eval``
    refuses it, instead of being judged with the last value."""

    def test_duplicate_key_is_a_problem_at_its_line(self, tmp_path: Path) -> None:
        fact = ('{"request_id": "L1", "employee_id": "E1", "kind": "personal", "start": "2026-03-10T08:30:00+08:00", '
                '"end": "2026-03-10T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00", '
                '"days": 1, "days": 5}')
        path = tmp_path / "facts.jsonl"
        path.write_text(fact + "\n", encoding="utf-8")
        report = impact("call_centre", "call_centre", [path], now=datetime(2026, 3, 20, tzinfo=UTC),
                        fact_type="leave_request")
        assert report.facts == 0
        assert report.problems == [f"{path}:1: invalid JSON: duplicate key 'days' in one object"]


class TestAssignedCustomerRecord:
    """An assigned customer's first contact without a detailed record breaks 001 第四篇 一 3
    (並做詳細的備案, CB-2), not the callback rule of 二 (CB-1)."""

    def test_reported_under_cb_2(self) -> None:
        fact = {"customer": "K1", "kind": "assigned_customer", "created_at": "2026-03-10T10:00:00+08:00",
                "called_at": "2026-03-12T10:00:00+08:00", "record_complete": False}
        decision = load_pack("call_centre").engine().evaluate(
            fact, fact_type="callback_task", now=datetime.fromisoformat("2026-03-12T11:00:00+08:00"))
        assert decision.rule_ids == ("CB-2.record",)
        assert decision.violation_codes == ("CB-2",)


class TestFactsForTakesAPolicy:
    """``facts_for`` given a policy's id (or anything not a policy) names what it was given."""

    @pytest.mark.parametrize("given", ["leave", None, 5])
    def test_refused_naming_the_argument(self, given: Any) -> None:
        with pytest.raises(PolicyError, match=rf"facts_for takes a Policy .*got {type(given).__name__}"):
            facts_for(given)
