"""Working-day rank tables and the one-conversion fast paths of calendars and shift patterns,
held equal to the day-by-day walk and to the exact path through UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csrules._time.calendar import BusinessCalendar, as_local, flat_day
from csrules._time.durations import BusinessDuration
from csrules._time.shifts import Shift, ShiftPattern
from csrules.domain.china import china_calendar
from csrules.exceptions import CalendarError, TimeError
from tests.test_time_properties import TIME, calendars, instants

SHANGHAI = ZoneInfo("Asia/Shanghai")
STEPS = [n for n in range(-8, 9) if n]


def _outcome(call: Callable[[], date]) -> date | str:
    """The date ``call`` returns, or the name of the csrules error it raises."""
    try:
        return call()
    except (CalendarError, TimeError) as exc:
        return type(exc).__name__


def _every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _assert_table_equals_walk(cal: BusinessCalendar, first: date, last: date) -> None:
    """For every start day in [first, last] and every step, table and walk agree."""
    core = cal._core
    core.walks = 10**9  # tables from the first question on
    for day in _every_day(first, last):
        for n in STEPS:
            walked = _outcome(lambda day=day, n=n: core.walk_working_days(day, n))
            assert _outcome(lambda day=day, n=n: cal.add_working_days(day, n)) == walked, (day, n)


class TestRankTable:
    """Adding N working days by rank equals walking date by date."""

    def test_china_every_start_day(self) -> None:
        """Every day of 2025-2026 (holidays, make-up workdays, weekends, both year ends)."""
        cal = china_calendar(years=(2025, 2026))
        _assert_table_equals_walk(cal, date(2024, 12, 20), date(2027, 1, 10))
        table = cal._core.rank_table(2025)
        assert table is not None
        assert table is cal._core.rank_table(2026)
        assert table.add(date(2025, 1, 24), 1) == date(2025, 1, 26)  # a make-up Sunday

    def test_long_coverage_bounded(self) -> None:
        """With every official year covered, a table reaches four years either side, and
        answers across its edge still equal the walk."""
        cal = china_calendar()
        table = cal._core.rank_table(2025)
        assert table is not None
        assert table.work[0].year == 2021
        assert table.work[-1].year <= 2029
        _assert_table_equals_walk(cal, date(2020, 12, 10), date(2021, 1, 20))

    def test_uncovered_year_never_tabled(self) -> None:
        """A year outside the holiday lists gets no table and still raises."""
        cal = china_calendar(years=(2025,))
        assert cal._core.rank_table(2026) is None
        cal._core.walks = 10**9
        with pytest.raises(CalendarError, match="2026"):
            cal.add_working_days(date(2025, 12, 30), 5)

    def test_every_year_calendar_blocks(self) -> None:
        """A calendar whose lists hold every year answers across table blocks."""
        cal = BusinessCalendar(
            timezone="Europe/Berlin",
            hours={"mon-thu": "09:00-17:00", "sat": "10:00-12:00"},
            holidays=[date(2027, 12, 31), date(2028, 1, 1), date(2028, 1, 3)],
            closures=[date(2027, 12, 30)],
            special_days={date(2028, 1, 2): ["08:00-09:00"]},
        )
        _assert_table_equals_walk(cal, date(2027, 11, 20), date(2028, 2, 10))

    def test_special_days_only(self) -> None:
        """A calendar open only on special days runs out of working days as the walk does."""
        cal = BusinessCalendar(
            timezone="UTC",
            hours={},
            special_days={date(2026, 3, 2): ["09:00-10:00"], date(2026, 3, 9): ["09:00-10:00"]},
        )
        _assert_table_equals_walk(cal, date(2026, 2, 25), date(2026, 3, 14))

    @settings(TIME, max_examples=40)
    @given(cal=calendars())
    def test_random_calendars(self, cal: BusinessCalendar) -> None:
        """Random weekly hours, holidays and adjusted days: every day around a year end agrees."""
        _assert_table_equals_walk(cal, date(2025, 12, 10), date(2026, 1, 20))


class TestBusinessDayFastPath:
    """``add(..., "N business days")`` on flat days equals the exact path through UTC."""

    @TIME
    @given(cal=calendars(), instant=instants(), days=st.integers(0, 12))
    def test_equals_exact_path(self, cal: BusinessCalendar, instant: datetime, days: int) -> None:
        """Same instant, same zone, whatever zone the input was written in."""
        expected = _outcome(lambda: cal._core.add_business_days_exact(instant, days))
        got = _outcome(lambda: cal.add(instant, BusinessDuration(days, "days")))
        assert got == expected
        if isinstance(got, datetime):
            assert got.tzinfo is cal.zone

    @pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
    def test_every_quarter_hour_around_dst(self, zone: str) -> None:
        """Hours across the clock changes, every 15 minutes of both 2026 change weeks."""
        cal = BusinessCalendar(timezone=zone, hours={"mon-sat": ["00:30-02:30", "03:00-05:00"]},
                               holidays=[date(2026, 3, 9)])
        for first in (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC)):
            for step in range(10 * 24 * 4):
                moment = first + timedelta(minutes=15 * step)
                for days in (0, 1, 3):
                    expected = cal._core.add_business_days_exact(moment, days)
                    assert cal.add(moment, BusinessDuration(days, "days")) == expected, moment

    def test_new_york_spring_forward(self) -> None:
        """Across the 2026 spring gap the answer comes from the exact path."""
        cal = BusinessCalendar(timezone="America/New_York", hours={"mon-sun": "01:30-03:30"})
        start = datetime(2026, 3, 7, 2, 45, tzinfo=ZoneInfo("America/New_York"))
        assert not flat_day(cal.zone, date(2026, 3, 8))
        assert cal.add(start, "1 business days") == cal._core.add_business_days_exact(start, 1)
        assert cal.add(start, "1 business days").isoformat() == "2026-03-08T03:00:00-04:00"

    def test_flat_days(self) -> None:
        """Shanghai keeps one offset; Berlin changes on its DST dates only."""
        assert flat_day(SHANGHAI, date(2026, 3, 29))
        assert not flat_day(ZoneInfo("Europe/Berlin"), date(2026, 3, 29))
        assert flat_day(ZoneInfo("Europe/Berlin"), date(2026, 3, 30))


class _Vague(tzinfo):
    """A zone that does not know its offset."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        """Unknown."""
        return None


class TestAsLocal:
    """The one conversion refuses values it cannot place in time."""

    def test_naive(self) -> None:
        """A naive datetime raises TimeError."""
        with pytest.raises(TimeError, match="timezone-aware"):
            as_local(datetime(2026, 1, 5, 9), SHANGHAI)

    def test_zone_without_offset(self) -> None:
        """A tzinfo without an offset is naive too, not the machine's local time."""
        with pytest.raises(TimeError, match="timezone-aware"):
            as_local(datetime(2026, 1, 5, 9, tzinfo=_Vague()), SHANGHAI)

    def test_other_zone(self) -> None:
        """An instant written in another offset is the same instant in the zone."""
        moment = datetime(2026, 1, 5, 1, tzinfo=UTC)
        assert as_local(moment, SHANGHAI).hour == 9


def _exact_shift(pattern: ShiftPattern, instant: datetime) -> tuple[str, date] | None:
    """Which shift runs at ``instant``, by comparing UTC instants of every nearby shift."""
    utc = instant.astimezone(UTC)
    core = pattern._core
    today = utc.astimezone(pattern.zone).date()
    for day in (today, today - timedelta(days=1)):
        for start, end, shift in core.day(day, 0):
            if start <= utc < end:
                return shift.name, day
    return None


class TestShiftFastPath:
    """``shift_at`` on flat days equals comparing UTC instants."""

    @pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Shanghai"])
    def test_every_ten_minutes_around_dst(self, zone: str) -> None:
        """Every 10 minutes over the weeks of both 2026 clock changes, written in UTC and +08:00."""
        pattern = ShiftPattern.on_off(
            timezone=zone,
            shifts=[Shift(name="late", start="22:00", end="03:00", night=True)],
            shift="late", on=5, off=2, anchor=date(2026, 1, 5),
        )
        plus8 = ZoneInfo("Asia/Shanghai")
        for first in (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC)):
            for step in range(14 * 24 * 6):
                moment = first + timedelta(minutes=10 * step)
                expected = _exact_shift(pattern, moment)
                for written in (moment, moment.astimezone(plus8)):
                    occurrence = pattern.shift_at(written)
                    got = None if occurrence is None else (occurrence.name, occurrence.shift_date)
                    assert got == expected, written
