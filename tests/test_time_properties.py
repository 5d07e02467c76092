"""Properties of the time layer: calendars and shift patterns, checked with Hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from csrules._time.calendar import WEEKDAYS, BusinessCalendar
from csrules._time.durations import BusinessDuration
from csrules._time.shifts import Shift, ShiftPattern
from csrules.exceptions import CalendarError

ZONES = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
BERLIN = ZoneInfo("Europe/Berlin")
FIRST, LAST = date(2025, 1, 1), date(2027, 6, 30)

TIME = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def day_spans(draw: st.DrawFn, low_hour: int = 0, high_hour: int = 24) -> list[str]:
    """Zero to two non-overlapping spans between ``low_hour`` and ``high_hour``, quarter hours."""
    count = draw(st.integers(0, 2))
    marks = sorted(
        draw(
            st.lists(
                st.integers(low_hour * 4, high_hour * 4),
                min_size=2 * count,
                max_size=2 * count,
                unique=True,
            )
        )
    )

    def clock(quarter: int) -> str:
        return f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"

    return [f"{clock(a)}-{clock(b)}" for a, b in zip(marks[::2], marks[1::2], strict=True)]


@st.composite
def calendars(
    draw: st.DrawFn, zone: str | None = None, low_hour: int = 0, high_hour: int = 24
) -> BusinessCalendar:
    """A valid calendar: weekly spans, some holidays, some adjusted weekend working days."""
    hours = {day: draw(day_spans(low_hour, high_hour)) for day in WEEKDAYS}
    assume(any(hours.values()))
    dates = st.dates(FIRST, LAST)
    holidays = draw(st.sets(dates, max_size=25))
    open_days = [day for day in WEEKDAYS if hours[day]]
    adjusted_from = draw(st.sampled_from(open_days))
    adjusted = {
        d for d in draw(st.sets(dates, max_size=6)) if d.weekday() >= 5 and d not in holidays
    }
    return BusinessCalendar(
        timezone=zone or draw(st.sampled_from(ZONES)),
        hours=hours,
        holidays=holidays,
        adjusted_working_days=adjusted,
        adjusted_hours_from=adjusted_from,
    )


def instants() -> st.SearchStrategy[datetime]:
    """Aware instants in 2025-2027, at minute resolution, in a random zone."""
    return st.builds(
        lambda naive, zone: naive.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)),
        st.datetimes(datetime(2025, 1, 1), datetime(2027, 6, 1)).map(
            lambda d: d.replace(second=0, microsecond=0)
        ),
        st.sampled_from(ZONES),
    )


def hour_durations() -> st.SearchStrategy[BusinessDuration]:
    """0 to 200 business hours, in whole minutes."""
    return st.integers(0, 200 * 60).map(lambda m: BusinessDuration(m / 60, "hours"))


def day_durations() -> st.SearchStrategy[BusinessDuration]:
    """0 to 20 business days."""
    return st.integers(0, 20).map(lambda n: BusinessDuration(n, "days"))


class TestAddProperties:
    @TIME
    @given(calendars(), instants(), instants(), st.one_of(hour_durations(), day_durations()))
    def test_monotonic_and_in_working_time(self, cal, a, b, duration):
        """Adding business time is monotonic and always lands in working time."""
        a, b = sorted((a, b))
        result_a, result_b = cal.add(a, duration), cal.add(b, duration)
        assert result_a <= result_b
        assert result_a >= a
        assert cal.is_working_time(result_a)
        assert cal.is_working_time(result_b)

    @TIME
    @given(calendars(), instants(), hour_durations())
    def test_elapsed_inverts_add(self, cal, a, duration):
        """elapsed(a, add(a, d)) == d for business hours, starting in working time."""
        a = cal.next_working_instant(a)
        assert cal.elapsed(a, cal.add(a, duration)) == timedelta(hours=duration.amount)

    @TIME
    @given(calendars(), instants(), st.integers(0, 15))
    def test_deadline_never_on_holiday(self, cal, a, n_days):
        """Deadlines close a working day that is never a public holiday."""
        deadline = cal.deadline(a, n_days)
        closing_day = (deadline - timedelta(microseconds=1)).astimezone(cal.zone).date()
        assert not cal.is_holiday(closing_day)
        assert cal.is_working_day(closing_day)
        assert deadline > a
        assert cal.elapsed(a, deadline) >= timedelta(0)


class TestZoneProperties:
    @TIME
    @given(
        calendars(),
        instants(),
        st.sampled_from(ZONES),
        st.one_of(hour_durations(), day_durations()),
    )
    def test_same_instant_other_zone(self, cal, a, other, duration):
        """The same instant written in another zone gives the same answers."""
        moved = a.astimezone(ZoneInfo(other))
        later = a + timedelta(days=3, hours=5)
        assert cal.is_working_time(moved) == cal.is_working_time(a)
        assert cal.next_working_instant(moved) == cal.next_working_instant(a)
        assert cal.add(moved, duration) == cal.add(a, duration)
        assert cal.elapsed(moved, later.astimezone(ZoneInfo(other))) == cal.elapsed(a, later)
        assert cal.deadline(moved, 2) == cal.deadline(a, 2)


def berlin_walls() -> st.SearchStrategy[datetime]:
    """Naive wall times in 2026, clear of the 02:00-03:00 hour DST moves, near both changes."""
    near_change = st.sampled_from([date(2026, 3, 29), date(2026, 10, 25)]).flatmap(
        lambda d: st.integers(-4, 4).map(lambda k: d + timedelta(days=k))
    )
    days = st.one_of(near_change, st.dates(date(2026, 1, 1), date(2026, 12, 31)))
    hours = st.integers(0, 23).filter(lambda h: h != 2)
    return st.builds(
        lambda d, h, m: datetime.combine(d, time(h, m)), days, hours, st.integers(0, 59)
    )


class TestDstProperties:
    @TIME
    @given(
        calendars(zone="UTC", low_hour=4, high_hour=23),
        berlin_walls(),
        st.one_of(hour_durations(), day_durations()),
        st.integers(0, 5),
    )
    def test_berlin_matches_wall_clock(self, utc_cal, wall, duration, n_days):
        """Across DST changes, a Berlin calendar answers in wall time like a UTC one."""
        berlin_cal = BusinessCalendar(**{**utc_cal.model_dump(), "timezone": "Europe/Berlin"})

        def on_wall(cal: BusinessCalendar, result: datetime) -> datetime:
            return result.astimezone(cal.zone).replace(tzinfo=None)

        in_utc, in_berlin = wall.replace(tzinfo=UTC), wall.replace(tzinfo=BERLIN)
        assert berlin_cal.is_working_time(in_berlin) == utc_cal.is_working_time(in_utc)
        assert on_wall(berlin_cal, berlin_cal.add(in_berlin, duration)) == on_wall(
            utc_cal, utc_cal.add(in_utc, duration)
        )
        assert on_wall(berlin_cal, berlin_cal.deadline(in_berlin, n_days)) == on_wall(
            utc_cal, utc_cal.deadline(in_utc, n_days)
        )
        later = wall + timedelta(days=n_days, hours=7)
        assert berlin_cal.elapsed(in_berlin, later.replace(tzinfo=BERLIN)) == utc_cal.elapsed(
            in_utc, later.replace(tzinfo=UTC)
        )


@st.composite
def shift_patterns(draw: st.DrawFn, zone: str | None = None) -> ShiftPattern:
    """A valid pattern of 1-3 shifts (some crossing midnight) over a 1-8 day cycle."""
    count = draw(st.integers(1, 3))
    shifts = []
    for index in range(count):
        start, end = draw(
            st.tuples(st.integers(0, 143), st.integers(0, 143)).filter(lambda p: p[0] != p[1])
        )
        shifts.append(
            Shift(
                name=f"s{index}",
                start=time(start // 6, start % 6 * 10),
                end=time(end // 6, end % 6 * 10),
                night=draw(st.booleans()),
            )
        )
    names = [s.name for s in shifts]
    cycle = draw(
        st.lists(st.lists(st.sampled_from(names), max_size=2, unique=True), min_size=1, max_size=8)
    )
    try:
        return ShiftPattern(
            timezone=zone or draw(st.sampled_from(ZONES)),
            shifts=shifts,
            cycle=cycle,
            anchor=draw(st.dates(date(2025, 1, 1), date(2027, 1, 1))),
        )
    except CalendarError:
        assume(False)
        raise  # unreachable: assume(False) stops the example


class TestShiftProperties:
    @TIME
    @given(shift_patterns(), instants(), st.integers(-10, 10))
    def test_at_most_one_shift(self, pattern, instant, offset):
        """Each instant lies in at most one rrule occurrence, and shift_at returns it."""
        around = pattern.occurrences(
            instant - timedelta(days=2), instant + timedelta(days=2), offset
        )
        holding = [occ for occ in around if occ.start <= instant < occ.end]
        assert len(holding) <= 1
        assert pattern.shift_at(instant, offset) == (holding[0] if holding else None)

    @TIME
    @given(shift_patterns(), instants(), st.integers(-10, 10))
    def test_next_shift_is_next(self, pattern, instant, offset):
        """next_shift_start is the first rrule occurrence starting after the instant."""
        start = pattern.next_shift_start(instant, offset)
        between = pattern.occurrences(instant, start, offset)
        assert start > instant
        assert all(occ.start <= instant for occ in between)

    @TIME
    @given(shift_patterns(zone="UTC"), berlin_walls(), st.integers(-3, 3))
    def test_berlin_shifts_match_wall_clock(self, utc_pattern, wall, offset):
        """Across DST changes, a Berlin pattern assigns wall times like a UTC one."""
        berlin = ShiftPattern(**{**utc_pattern.model_dump(), "timezone": "Europe/Berlin"})
        ours = berlin.shift_at(wall.replace(tzinfo=BERLIN), offset)
        theirs = utc_pattern.shift_at(wall.replace(tzinfo=UTC), offset)
        # Shifts whose own start or end falls in the moved hour may differ; skip those.
        for occ in (ours, theirs):
            if occ is not None:
                assume(occ.shift.start.hour != 2 and occ.shift.end.hour != 2)
        assert (ours and (ours.name, ours.shift_date)) == (
            theirs and (theirs.name, theirs.shift_date)
        )
