"""Wrong answers of the attendance rules and the time layer, each pinned by the fact that showed it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from csrules.domain.facts import AttendanceRecord, ClockEvent
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
CALL_CENTRE = load_pack("call_centre")
CC = CALL_CENTRE.engine()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of March 2026 in Beijing."""
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def _event(kind: str, hour: int, minute: int = 0, by: str | None = None) -> ClockEvent:
    """A clock event of A01 on 10 March."""
    return ClockEvent(agent_id="A01", kind=kind, at=_at(10, hour, minute), approved_by=by)  # type: ignore[arg-type]


def _fold(*events: ClockEvent) -> AttendanceRecord:
    """The events folded into A01's record of the 08:30-16:30 shift of 10 March."""
    return AttendanceRecord.from_events(list(events), shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30))


class TestClockOutInsideApprovedAbsence:
    """A clock-out gap inside an absence the shift lead allowed is part of that absence."""

    def test_gap_inside_is_approved(self) -> None:
        """Clocked out 10:05-10:15 inside an approved 10:00-10:20 absence: 20 approved minutes, no ATT-7.away."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 10, by="shift_lead"), _event("clock_out", 10, 5),
                       _event("clock_in", 10, 15), _event("return_post", 10, 20), _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved, record.away_approved_by) == (20, True, "shift_lead")
        assert "ATT-7.away" not in CC.evaluate(record, now=_at(10, 18)).rule_ids

    def test_gap_running_past_the_return_is_unapproved_beyond_it(self) -> None:
        """A gap outlasting the approved absence is unapproved for the minutes after the return only."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 10, by="shift_lead"), _event("clock_out", 10, 5),
                       _event("return_post", 10, 20), _event("clock_in", 10, 45), _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved) == (25, False)
        assert "ATT-7.away" in CC.evaluate(record, now=_at(10, 18)).rule_ids
