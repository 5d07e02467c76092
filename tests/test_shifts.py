"""Shift patterns: shifts crossing midnight, rotations, night shifts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from csrules._time.shifts import Shift, ShiftPattern
from csrules.exceptions import CalendarError, TimeError

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


EARLY = Shift(name="early", start="07:00", end="11:50")
MIDDAY = Shift(name="midday", start="11:50", end="00:50", night=True)
EVENING = Shift(name="evening", start="16:00", end="00:00", night=True)
LATE = Shift(name="late", start="18:30", end="00:00", night=True)


@pytest.fixture(scope="module")
def six_one() -> ShiftPattern:
    """Six days of 11:50-00:50 then one off, from Monday 2026-03-02; agents staggered."""
    return ShiftPattern.on_off(
        timezone="Asia/Shanghai",
        shifts=[EARLY, MIDDAY],
        shift="midday",
        on=6,
        off=1,
        anchor=date(2026, 3, 2),
        agents={"li": 0, "wang": 3},
    )


class TestShift:
    def test_crosses_midnight(self):
        """Shifts ending at or before their start run into the next day."""
        assert EVENING.crosses_midnight
        assert EVENING.length == timedelta(hours=8)
        assert MIDDAY.length == timedelta(hours=13)
        assert LATE.length == timedelta(hours=5, minutes=30)
        assert not EARLY.crosses_midnight

    def test_24_00_end(self):
        """An end written 24:00 means midnight."""
        assert Shift(name="x", start="18:30", end="24:00").end == time(0)

    def test_zero_length(self):
        """A shift that starts when it ends is refused, naming it."""
        with pytest.raises(CalendarError, match="'broken'"):
            Shift(name="broken", start="09:00", end="09:00")

    def test_bad_time(self):
        """An unreadable clock time is a CalendarError."""
        with pytest.raises(CalendarError, match="shift"):
            Shift(name="x", start="quarter past", end="09:00")


class TestShiftAt:
    def test_after_midnight_belongs_to_start_date(self, six_one: ShiftPattern):
        """00:30 on Tuesday is still Monday's 11:50-00:50 shift."""
        occ = six_one.shift_at(sh(2026, 3, 3, 0, 30))
        assert occ is not None
        assert (occ.name, occ.shift_date) == ("midday", date(2026, 3, 2))
        assert occ.start == sh(2026, 3, 2, 11, 50)
        assert occ.end == sh(2026, 3, 3, 0, 50)

    def test_end_is_exclusive(self, six_one: ShiftPattern):
        """At 00:50 the shift is over; 11:50 starts the next one."""
        assert six_one.shift_at(sh(2026, 3, 3, 0, 50)) is None
        occ = six_one.shift_at(sh(2026, 3, 3, 11, 50))
        assert occ is not None
        assert occ.shift_date == date(2026, 3, 3)

    def test_day_off(self, six_one: ShiftPattern):
        """Day 7 of the rotation (Sunday 2026-03-08) is off, but its early hours are not."""
        assert six_one.shift_at(sh(2026, 3, 8, 15)) is None
        occ = six_one.shift_at(sh(2026, 3, 8, 0, 10))
        assert occ is not None
        assert occ.shift_date == date(2026, 3, 7)
        assert six_one.shift_at(sh(2026, 3, 9, 0, 10)) is None
        assert six_one.shift_at(sh(2026, 3, 9, 12)) is not None

    def test_agent_offset(self, six_one: ShiftPattern):
        """Wang's rotation runs three days behind Li's."""
        assert six_one.shift_at(sh(2026, 3, 8, 15), "li") is None
        assert six_one.shift_at(sh(2026, 3, 8, 15), "wang") is not None
        assert six_one.shift_at(sh(2026, 3, 11, 15), "wang") is None
        assert six_one.shift_at(sh(2026, 3, 11, 15), 3) is None

    def test_rotation_before_anchor(self, six_one: ShiftPattern):
        """The rotation extends backwards before its anchor date."""
        assert six_one.shift_at(sh(2026, 3, 1, 15)) is None  # 7 days before 03-08
        assert six_one.shift_at(sh(2026, 2, 28, 15)) is not None

    def test_unknown_agent(self, six_one: ShiftPattern):
        """An unknown agent name is refused, listing the known ones."""
        with pytest.raises(CalendarError, match=r"'zhao'.*'li', 'wang'"):
            six_one.shift_at(sh(2026, 3, 3, 12), "zhao")

    def test_naive_instant(self, six_one: ShiftPattern):
        """A naive instant is a TimeError."""
        with pytest.raises(TimeError, match="timezone-aware"):
            six_one.shift_at(datetime(2026, 3, 3, 12))

    def test_same_instant_other_zone(self, six_one: ShiftPattern):
        """The answer depends on the instant, not the zone it is written in."""
        utc = sh(2026, 3, 3, 0, 30).astimezone(ZoneInfo("UTC"))
        assert six_one.shift_at(utc) == six_one.shift_at(sh(2026, 3, 3, 0, 30))


class TestNightShift:
    @pytest.fixture
    def two_shift(self) -> ShiftPattern:
        return ShiftPattern.weekly(
            timezone="Asia/Shanghai",
            shifts=[EARLY, EVENING, LATE],
            days={"tue-fri": "early", "mon": ["early", "evening"], "sat": "late"},
        )

    def test_is_night_shift(self, two_shift: ShiftPattern):
        """Evening and late shifts are night shifts; early is not."""
        assert two_shift.is_night_shift(sh(2026, 3, 2, 23))  # Monday evening
        assert not two_shift.is_night_shift(sh(2026, 3, 2, 8))
        assert two_shift.is_night_shift(sh(2026, 3, 7, 23, 59))  # Saturday late
        assert not two_shift.is_night_shift(sh(2026, 3, 8, 0))  # Sunday: over

    def test_before_noon_on_the_day(self, two_shift: ShiftPattern):
        """ "Before 12:00 on the day" of a night shift is noon of the date it started."""
        occ = two_shift.shift_at(sh(2026, 3, 2, 23, 30))
        assert occ is not None
        handover_due = occ.at(time(12))
        assert handover_due == sh(2026, 3, 2, 12)
        assert sh(2026, 3, 2, 11, 45) < handover_due

    def test_before_noon_on_the_day_after_midnight(self, six_one: ShiftPattern):
        """At 00:20 of a shift started yesterday, "the day" is yesterday."""
        occ = six_one.shift_at(sh(2026, 3, 3, 0, 20))
        assert occ is not None
        assert occ.night
        assert occ.at(time(12)) == sh(2026, 3, 2, 12)

    def test_next_shift_start(self, two_shift: ShiftPattern, six_one: ShiftPattern):
        """The next start is strictly after the instant and skips days off."""
        assert two_shift.next_shift_start(sh(2026, 3, 2, 7)) == sh(2026, 3, 2, 16)
        assert two_shift.next_shift_start(sh(2026, 3, 7, 19)) == sh(2026, 3, 9, 7)
        assert six_one.next_shift_start(sh(2026, 3, 7, 12)) == sh(2026, 3, 9, 11, 50)
        assert six_one.next_shift_start(sh(2026, 3, 7, 12), "wang") == sh(2026, 3, 8, 11, 50)

    def test_weekly_day_given_twice(self):
        """A weekday named twice (directly and in a range) is refused."""
        with pytest.raises(CalendarError, match="mon is given twice"):
            ShiftPattern.weekly(
                timezone="UTC", shifts=[EARLY], days={"mon-fri": "early", "mon": "early"}
            )

    def test_weekly_overlap(self):
        """Two overlapping shifts on the same weekday are refused."""
        with pytest.raises(CalendarError, match="overlaps"):
            ShiftPattern.weekly(
                timezone="UTC", shifts=[EVENING, LATE], days={"mon": ["evening", "late"]}
            )


class TestPatternDefinition:
    def test_overlap_into_next_day(self):
        """A shift running past midnight into the next day's first shift is refused."""
        night = Shift(name="night", start="22:00", end="06:30")
        morning = Shift(name="morning", start="06:00", end="14:00")
        with pytest.raises(CalendarError, match="next cycle day"):
            ShiftPattern(
                timezone="UTC",
                shifts=[night, morning],
                cycle=[["night"], ["morning"]],
                anchor="2026-01-05",
            )

    def test_overlap_wraps_around_cycle(self):
        """The last cycle day is checked against the first."""
        night = Shift(name="night", start="22:00", end="06:30")
        morning = Shift(name="morning", start="06:00", end="14:00")
        with pytest.raises(CalendarError, match="cycle day 1"):
            ShiftPattern(
                timezone="UTC",
                shifts=[night, morning],
                cycle=[["morning"], ["night"]],
                anchor="2026-01-05",
            )

    def test_empty_pattern(self):
        """A cycle of days off only is refused."""
        with pytest.raises(CalendarError, match="empty"):
            ShiftPattern(timezone="UTC", shifts=[EARLY], cycle=["off", None], anchor="2026-01-05")

    def test_unknown_shift(self):
        """A cycle naming an undefined shift is refused, listing known shifts."""
        with pytest.raises(CalendarError, match=r"\['nite'\]"):
            ShiftPattern(timezone="UTC", shifts=[EARLY], cycle=["nite"], anchor="2026-01-05")

    def test_unknown_zone(self):
        """An unknown zone is refused, naming it."""
        with pytest.raises(CalendarError, match="Moon/Base"):
            ShiftPattern(timezone="Moon/Base", shifts=[EARLY], cycle=["early"], anchor="2026-01-05")

    def test_bad_on_off(self):
        """A rotation needs at least one day on."""
        with pytest.raises(CalendarError, match="on must be"):
            ShiftPattern.on_off(
                timezone="UTC", shifts=[EARLY], shift="early", on=0, off=1, anchor=date(2026, 1, 5)
            )

    def test_round_trip(self, six_one: ShiftPattern):
        """A pattern survives a JSON round trip."""
        assert ShiftPattern.model_validate_json(six_one.model_dump_json()) == six_one


class TestOccurrences:
    def test_rrule_six_on_one_off(self, six_one: ShiftPattern):
        """Two weeks of six-on-one-off give twelve shifts, Sundays off."""
        found = six_one.occurrences(sh(2026, 3, 2), sh(2026, 3, 16))
        assert len(found) == 12
        assert {occ.shift_date.weekday() for occ in found} == {0, 1, 2, 3, 4, 5}

    def test_agrees_with_shift_at(self, six_one: ShiftPattern):
        """Every quarter hour over three weeks, shift_at matches the rrule occurrences."""
        start = sh(2026, 2, 23)
        found = six_one.occurrences(start, start + timedelta(days=21), "wang")
        instant = start
        while instant < start + timedelta(days=21):
            expected = [occ for occ in found if occ.start <= instant < occ.end]
            assert six_one.shift_at(instant, "wang") == (expected[0] if expected else None)
            instant += timedelta(minutes=15)

    def test_rules_are_rrules(self, six_one: ShiftPattern):
        """Each worked cycle day has a DAILY rrule with the cycle length as interval."""
        rules = six_one.rules(around=date(2026, 3, 2))
        assert len(rules) == 6
        name, rule = rules[0]
        assert name == "midday"
        assert rule[0] == datetime(2026, 3, 2, 11, 50)
        assert rule[1] == datetime(2026, 3, 9, 11, 50)
