"""Attendance and swaps built the way a reviewer reads 001 請假制度 一 and 換班制度 二、三."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from csrules import FactError
from csrules.policies import load_pack

PACK = load_pack("call_centre")
CC = PACK.engine()
SHIFT_OVER = datetime(2026, 3, 10, 17, tzinfo=timezone(timedelta(hours=8)))
"""A ``now`` after the shift of :func:`record`: absence is judged once the shift is over."""


def record(**fields: Any) -> dict[str, Any]:
    """A day shift on 10 March 2026 (Beijing), fields added."""
    return {
        "agent_id": "A01",
        "shift_start": "2026-03-10T08:30:00+08:00",
        "shift_end": "2026-03-10T16:30:00+08:00",
    } | fields


def shift(day: int) -> dict[str, str]:
    """The day shift of ``day`` March."""
    return {"start": f"2026-03-{day:02d}T08:30:00+08:00", "end": f"2026-03-{day:02d}T16:30:00+08:00"}


def swap(day: int, **fields: Any) -> dict[str, Any]:
    """A01 gives away the day shift of ``day`` March and takes the next day's."""
    return {
        "requester": {"agent_id": "A01"},
        "partner": {"agent_id": "A02"},
        "requester_shift": shift(day),
        "partner_shift": shift(day + 1),
        "requested_at": "2026-03-01T09:00:00+08:00",
    } | fields


class TestAbsence:
    """An agent who never came, without approved leave, is absent without leave (曠工)."""

    def test_no_arrival_without_leave_is_absence(self) -> None:
        """A shift with no arrival and no approved leave is an ATT-7 violation with the consequence 曠工."""
        decision = CC.evaluate(record(), fact_type="attendance_record", now=SHIFT_OVER)
        (absent,) = [v for v in decision.violations if v.rule_id == "ATT-7.absent"]
        assert absent.consequence is not None
        assert "曠工" in absent.consequence.zh

    def test_approved_leave_is_not_absence(self) -> None:
        """With approved leave, a shift without arrival breaks nothing."""
        assert CC.evaluate(record(leave_approved=True), fact_type="attendance_record", now=SHIFT_OVER).violations == ()

    def test_an_arrival_is_not_absence(self) -> None:
        """An agent who came, even late, is judged by the lateness rule only."""
        decision = CC.evaluate(record(arrived_at="2026-03-10T09:00:00+08:00"), fact_type="attendance_record",
                               now=SHIFT_OVER)
        assert decision.rule_ids == ("ATT-7.late",)


class TestDeclinedSwapsDoNotCount:
    """每人每月換班不得超過2次 counts swaps; a request a shift lead declined is none."""

    def test_declined_request_leaves_room_for_two_swaps(self) -> None:
        """A declined request, then two swaps: both allowed; a third swap breaks the limit."""
        session = PACK.sessions(backend="python").session("A01")
        now = datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=8)))
        facts = [swap(5, requester_lead_decision="declined"), swap(10), swap(16), swap(20)]
        limit = ["ATT-9.swaps-per-month" in session.send(f, now=now, fact_type="shift_swap").rule_ids for f in facts]
        assert limit == [False, False, False, True]


class TestLeadAnswerGivenTwice:
    """A lead's answer given both as *_lead_approved and *_lead_decision must agree; neither overwrites the other."""

    def test_false_and_agreed_is_refused_naming_both_fields(self) -> None:
        """requester_lead_approved false with requester_lead_decision 'agreed' is a FactError naming the field."""
        with pytest.raises(FactError, match="requester_lead_approved was given as False, but it derives True"):
            CC.evaluate(swap(5, requester_lead_approved=False, requester_lead_decision="agreed"),
                        fact_type="shift_swap")

    def test_true_and_pending_is_refused(self) -> None:
        """partner_lead_approved true with an explicit 'pending' is refused, not turned into 'agreed'."""
        with pytest.raises(FactError, match="partner_lead_approved was given as True, but it derives False"):
            CC.evaluate(swap(5, partner_lead_approved=True, partner_lead_decision="pending"), fact_type="shift_swap")

    def test_one_spelling_fills_the_other(self) -> None:
        """Either spelling alone still fills the other."""
        fact = swap(5, requester_lead_approved=True, partner_lead_decision="agreed", form_filed=True)
        assert CC.evaluate(fact, fact_type="shift_swap").rule_ids == ()
