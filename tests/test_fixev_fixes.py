"""Attendance folded from clock events, its approval fields, and the complaint flow's names."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from csrules import FactError
from csrules.domain import ComplaintStep
from csrules.domain.facts import AttendanceRecord, ClockEvent
from csrules.policies import load_pack
from tests.columnar_support import assert_same

TZ = ZoneInfo("Asia/Shanghai")
CALL_CENTRE = load_pack("call_centre")


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=TZ)


def _ev(kind: str, at: datetime, **fields: Any) -> ClockEvent:
    return ClockEvent(agent_id="A01", kind=kind, at=at, **fields)


def _fold(*events: ClockEvent) -> AttendanceRecord:
    return AttendanceRecord.from_events(list(events), shift_start=_at(8, 30), shift_end=_at(16, 30))


class TestAwayInsideTheShift:
    """Only the part of an absence inside the shift counts, returned or not."""

    @pytest.mark.parametrize(
        ("leave", "back", "minutes"),
        [((16, 15), (16, 45), 15), ((8, 0), (8, 40), 10), ((7, 0), (8, 0), 0), ((10, 0), (10, 25), 25)],
    )
    def test_a_returned_absence_is_clipped_to_the_shift(self, leave, back, minutes):
        """Time away before the start or after the end of the shift is not time away from duty."""
        record = _fold(_ev("clock_in", _at(7, 50)), _ev("leave_post", _at(*leave)),
                       _ev("return_post", _at(*back)), _ev("clock_out", _at(17)))
        assert record.away_minutes == minutes

    def test_fifteen_minutes_away_in_the_shift_is_no_desertion(self):
        """Away 16:15 to 16:45 on a shift ending 16:30 is 15 minutes: ATT-11, not ATT-7.away."""
        record = _fold(_ev("clock_in", _at(8, 20)), _ev("leave_post", _at(16, 15)),
                       _ev("return_post", _at(16, 45)), _ev("clock_out", _at(17)))
        decision = CALL_CENTRE.engine().evaluate(record, fact_type="attendance_record", now=_at(18))
        assert decision.rule_ids == ("ATT-11.unapproved-absence",)

    def test_an_unreturned_absence_before_the_shift_counts_from_its_start(self):
        """A leave_post before the shift, never returned, counts the whole shift and no more."""
        record = _fold(_ev("clock_in", _at(7, 0)), _ev("leave_post", _at(7, 30)))
        assert record.away_minutes == 8 * 60


class TestFoldRefusals:
    """Clock events that fold into no valid record raise a FactError naming the event."""

    @pytest.mark.parametrize(
        ("events", "named"),
        [
            ([("clock_out", (16, 30))], "events[0] (clock_out at 2026-03-10T16:30:00+08:00)"),
            ([("clock_in", (17, 0)), ("clock_out", (17, 30))], "events[0] (clock_in at 2026-03-10T17:00:00+08:00)"),
            ([("clock_out", (6, 0)), ("clock_in", (8, 25))], "events[0] (clock_out at 2026-03-10T06:00:00+08:00)"),
        ],
    )
    def test_contradicting_events_raise_a_fact_error(self, events, named):
        """A missed clock-in, an arrival after the end, a clock-out before the clock-in: FactError."""
        with pytest.raises(FactError) as caught:
            _fold(*(_ev(kind, _at(*at)) for kind, at in events))
        assert named in str(caught.value)
        assert caught.value.fact_type == "attendance_record"


AWAY = {"agent_id": "A01", "shift_start": _at(8, 30), "shift_end": _at(16, 30), "arrived_at": _at(8, 20),
        "away_minutes": 25}


class TestAwayApproverAgrees:
    """away_approved_by and away_approved never contradict each other."""

    def test_an_approver_with_approval_false_is_refused(self):
        """Naming the shift lead as approver while away_approved is false names both fields."""
        with pytest.raises(FactError, match="away_approved_by names an approver but away_approved is false"):
            CALL_CENTRE.engine().evaluate({**AWAY, "away_approved_by": "shift_lead"},
                                          fact_type="attendance_record", now=_at(17))

    def test_the_columnar_audit_refuses_it_alike(self):
        """The columnar audit reports the same contradiction as the model."""
        facts = [{**AWAY, "away_approved_by": "shift_lead"},
                 {**AWAY, "away_approved": True, "away_approved_by": "shift_lead"}]
        facts = [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in f.items()} for f in facts]
        assert_same(CALL_CENTRE.engine(), "attendance_record", facts)

    def test_an_approval_by_a_role_outside_the_catalogue_is_flagged(self):
        """An approver the role catalogue does not hold is flagged ROLE-1, as work orders are."""
        fact = {**AWAY, "away_approved": True, "away_approved_by": "Shift lead"}
        decision = CALL_CENTRE.engine().evaluate(fact, fact_type="attendance_record", now=_at(17))
        assert "ROLE-1.attendance-unknown-role" in decision.rule_ids


class TestComplaintStepNames:
    """The complaint flow reads names as work orders do: spaces stripped, blank refused."""

    @pytest.mark.parametrize("field", ["complainant", "content", "approved_by"])
    def test_blank_text_is_refused(self, field):
        """A blank complainant, content or approver names nothing and is refused."""
        with pytest.raises(ValidationError, match="blank text names no one"):
            ComplaintStep(event="register", **{field: "   "})

    @pytest.mark.parametrize("who", [" department_head", "department_head "])
    def test_an_approver_with_stray_spaces_approves(self, who):
        """An approver spelled with a stray space is the department head, as on a work order."""
        session = CALL_CENTRE.sessions(backend="python").session("c1")
        for step in ({"event": "register", "complainant": "Ms Li"}, {"event": "judge", "founded": True},
                     {"event": "propose"}, {"event": "approve", "approved_by": who}):
            session.send(ComplaintStep(**step), now=_at(9))
        assert session.lifecycle_state("cmp-1") == "approved"
