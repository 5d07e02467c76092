"""Attendance, leave and calendar answers that were wrong before, each held by a test."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import CalendarError, CsrulesError, DurationError, FactError, PolicyError
from csrules.domain.facts import AttendanceRecord, ClockEvent
from csrules.domain.leave import assess_leave, notice_rule_for, notice_rules_for
from csrules.policies import load_pack
from csrules.time import (
    BusinessCalendar,
    ChinaYear,
    china_calendar,
    parse_duration,
    register_calendar,
    registered_time,
)

TZ = ZoneInfo("Asia/Shanghai")
CALL_CENTRE = load_pack("call_centre")


def _at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def _ev(kind: str, at: datetime, **fields: Any) -> ClockEvent:
    return ClockEvent(agent_id="A01", kind=kind, at=at, **fields)


def _fold(*events: ClockEvent) -> AttendanceRecord:
    return AttendanceRecord.from_events(list(events), shift_start=_at(8, 30), shift_end=_at(16, 30))


class TestClockedBackIn:
    """An agent who clocks out mid-shift and back in has not left at that clock-out."""

    def test_the_gap_is_time_away_not_a_departure(self):
        """Clocked out 12:00, back 12:40, no later clock-out: 40 minutes away, no departure."""
        record = _fold(_ev("clock_in", _at(8, 20)), _ev("clock_out", _at(12)), _ev("clock_in", _at(12, 40)))
        assert record.left_at is None
        assert record.early_leave_minutes == 0
        assert (record.away_minutes, record.longest_away_minutes, record.away_approved) == (40, 40, False)

    def test_the_call_centre_judges_the_unapproved_gap(self):
        """The 40 unapproved minutes break ATT-7.away and ATT-11 (20 minutes, shift lead's approval)."""
        record = _fold(_ev("clock_in", _at(8, 20)), _ev("clock_out", _at(12)), _ev("clock_in", _at(12, 40)))
        decision = CALL_CENTRE.engine().evaluate(record, now=_at(17))
        assert {v.rule_id for v in decision.violations} == {"ATT-7.away", "ATT-11.unapproved-absence"}

    def test_a_final_clock_out_is_still_the_departure(self):
        """Clocked back in and out again at 16:00: the departure is 16:00, the gap still away."""
        record = _fold(_ev("clock_in", _at(8, 20)), _ev("clock_out", _at(12)), _ev("clock_in", _at(12, 40)),
                       _ev("clock_out", _at(16)))
        assert (record.left_at, record.early_leave_minutes, record.away_minutes) == (_at(16), 30, 40)


class TestEarlyLeave:
    """Leaving the shift early without leave is leaving duty (請假制度 一 不早退, 八 擅離值守二十分鐘)."""

    @pytest.mark.parametrize(
        ("left", "flagged"), [((12, 0), True), ((16, 10), True), ((16, 11), False), ((16, 30), False)]
    )
    def test_early_leave_from_twenty_minutes_is_a_violation(self, left, flagged):
        """Twenty minutes or more before the shift end, without leave: ATT-7.early-leave."""
        record = {"agent_id": "A01", "shift_start": _at(8, 30), "shift_end": _at(16, 30), "arrived_at": _at(8, 20),
                  "left_at": _at(*left)}
        decision = CALL_CENTRE.engine().evaluate(record, fact_type="attendance_record", now=_at(17))
        assert ("ATT-7.early-leave" in {v.rule_id for v in decision.violations}) is flagged

    def test_clocking_out_at_noon_is_not_clean(self):
        """A record folded from a clock-out at noon on a shift to 16:30 is a violation, not clean."""
        record = _fold(_ev("clock_in", _at(8, 20)), _ev("clock_out", _at(12)))
        decision = CALL_CENTRE.engine().evaluate(record, now=_at(17))
        assert [v.rule_id for v in decision.violations] == ["ATT-7.early-leave"]

    def test_approved_leave_and_a_company_threshold(self):
        """Approved leave covers it; a company that disciplines no early leave sets a day."""
        record = {"agent_id": "A01", "shift_start": _at(8, 30), "shift_end": _at(16, 30), "arrived_at": _at(8, 20),
                  "left_at": _at(12)}
        covered = CALL_CENTRE.engine().evaluate({**record, "leave_approved": True}, fact_type="attendance_record",
                                                now=_at(17))
        lenient = load_pack("call_centre", overrides={"attendance": {"max_early_leave_minutes": 1440}})
        judged = lenient.engine().evaluate(record, fact_type="attendance_record", now=_at(17))
        assert not covered.violations
        assert not judged.violations


class TestRegistryErrors:
    """Registering a calendar or shift pattern wrongly raises a csrules error (still a ValueError)."""

    def test_a_taken_name_and_a_bad_name_raise_calendar_errors(self):
        """A second calendar under a taken name, or a name that is no word: CalendarError."""
        office = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"})
        other = BusinessCalendar(timezone="UTC", hours={"mon": "09:00-10:00"})
        with registered_time():
            register_calendar("attn8-office", office)
            with pytest.raises(CalendarError, match="already registered"):
                register_calendar("attn8-office", other)
            with pytest.raises(CalendarError, match="must start with a letter"):
                register_calendar("1 office", office)
        assert issubclass(CalendarError, CsrulesError)
        assert issubclass(CalendarError, ValueError)


class TestDurationUnitGivenTwice:
    """A duration that gives one unit twice is a typo, refused rather than summed."""

    @pytest.mark.parametrize("text", ["1d1d", "20min 5m", "12h 12h", "1 day 2 days"])
    def test_a_repeated_unit_is_refused(self, text):
        """DurationError quotes the text; it is not read as the sum of its parts."""
        with pytest.raises(DurationError, match="twice"):
            parse_duration(text)

    def test_an_override_with_a_repeated_unit_is_refused(self):
        """A pack override of "12h 12h" is refused, not read as a day's notice."""
        with pytest.raises(PolicyError, match="twice"):
            load_pack("call_centre", overrides={"leave": {"personal_notice": "12h 12h"}})

    @pytest.mark.parametrize(("text", "hours"), [("1h 30m", 1.5), ("1 week 2 days", 216), ("24h", 24)])
    def test_each_unit_once_still_reads(self, text, hours):
        """Several different units still add up."""
        assert parse_duration(text).delta.total_seconds() == hours * 3600


class TestNextNoticeInDecember:
    """A calendar of chosen years reads the December days the next year's notice moves."""

    @pytest.mark.parametrize(("year", "day"), [(2011, date(2011, 12, 31)), (2005, date(2005, 12, 31)),
                                               (2001, date(2001, 12, 29))])
    def test_a_weekend_worked_for_the_next_new_year_is_a_working_day(self, year, day):
        """2012's notice made Saturday 2011-12-31 a working day: china_calendar(years=2011) says so."""
        assert china_calendar(years=year).is_working_day(day)
        assert china_calendar(years=[year, year + 1]).is_working_day(day)

    def test_a_next_year_typed_in_by_hand_moves_its_december_days(self):
        """A 2027 notice typed in that works Sunday 2026-12-27 makes it a working day of a 2026 calendar."""
        y2027 = ChinaYear(2027, holidays=["2027-01-01"], adjusted_working_days=["2026-12-27"])
        calendar = china_calendar(years=2026, extra_years=[y2027])
        assert calendar.is_working_day(date(2026, 12, 27))
        assert calendar.holiday_years == (2026,)


class TestFromEventsArguments:
    """Arguments of from_events that would be misread are refused, naming the argument."""

    @pytest.mark.parametrize(
        ("arguments", "named"),
        [
            ({"approvers": "shift_lead"}, "approvers"),
            ({"clocked_out_is_away": "no"}, "clocked_out_is_away"),
            ({"roles": "shift_lead"}, "roles"),
            ({"margin": None}, "margin"),
        ],
    )
    def test_a_misread_argument_is_a_fact_error(self, arguments, named):
        """A single name for approvers (read letter by letter), "no" (true), a text catalogue, no margin."""
        events = [_ev("clock_in", _at(8, 20)), _ev("leave_post", _at(10), approved_by="shift_lead"),
                  _ev("return_post", _at(10, 30))]
        with pytest.raises(FactError) as caught:
            AttendanceRecord.from_events(events, shift_start=_at(8, 30), shift_end=_at(16, 30), **arguments)
        assert caught.value.problems[0][0] == named

    @pytest.mark.parametrize("events", [None, "clock_in", {"agent_id": "A01"}])
    def test_events_that_are_no_list_are_a_fact_error(self, events):
        """No list of events: a FactError naming events, not an AttributeError from inside."""
        with pytest.raises(FactError, match="events must be a list"):
            AttendanceRecord.from_events(events, shift_start=_at(8, 30), shift_end=_at(16, 30))

    def test_events_as_mappings_and_margin_as_text_fold(self):
        """Events given as JSON mappings and a margin of "4h" fold as ClockEvents and a timedelta do."""
        given = [{"agent_id": "A01", "kind": "clock_in", "at": "2026-03-10T08:20:00+08:00"},
                 {"agent_id": "A01", "kind": "leave_post", "at": "2026-03-10T10:00:00+08:00"},
                 {"agent_id": "A01", "kind": "return_post", "at": "2026-03-10T10:30:00+08:00"}]
        record = AttendanceRecord.from_events(given, shift_start=_at(8, 30), shift_end=_at(16, 30), margin="4h")
        assert (record.arrived_at, record.away_minutes) == (_at(8, 20), 30)


LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
         "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00", "requested_by": "A01"}


class TestLeaveReadersTakeMappings:
    """notice_rule_for reads a leave request's fields as given; bad input is a FactError, not an AttributeError."""

    def test_a_mapping_is_read_as_the_request(self):
        """The fields of a personal leave asked the evening before: ATT-1.personal-notice."""
        assert notice_rule_for(LEAVE) == "ATT-1.personal-notice"
        assert notice_rules_for(LEAVE) == ("ATT-1.personal-notice",)

    @pytest.mark.parametrize("request_", [None, {**LEAVE, "kind": "vacation"}])
    def test_what_is_no_leave_request_is_a_fact_error(self, request_):
        """Nothing, or a kind of leave the model does not know: FactError naming it."""
        with pytest.raises(FactError):
            notice_rule_for(request_)

    def test_assess_leave_names_what_it_needs(self):
        """A fact instead of its decision: a TypeError saying a Decision is needed."""
        with pytest.raises(TypeError, match="needs the Decision"):
            assess_leave(LEAVE)
