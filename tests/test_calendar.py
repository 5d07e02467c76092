"""Business calendars and China's holiday calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from csrules._time.calendar import BusinessCalendar, TimeSpan, ensure_aware, parse_weekday
from csrules._time.durations import BusinessDuration, WallDuration
from csrules.domain.china import (
    china_adjusted_working_days,
    china_calendar,
    china_official_years,
)
from csrules.exceptions import CalendarError, DurationError, TimeError

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    return BusinessCalendar(
        timezone="Asia/Shanghai",
        hours={"mon-fri": "09:00-18:00"},
        holidays=["2026-01-01"],
    )


@pytest.fixture(scope="module")
def china() -> BusinessCalendar:
    return china_calendar(years=[2024, 2025, 2026])


class TestTimeSpan:
    def test_parse_forms(self):
        """Strings, pairs and mappings all read as the same span."""
        expected = TimeSpan(9 * 3600, 18 * 3600)
        assert TimeSpan.parse("09:00-18:00") == expected
        assert TimeSpan.parse("9:00 – 18:00") == expected
        assert TimeSpan.parse(("09:00", "18:00")) == expected
        assert TimeSpan.parse({"start": "09:00", "end": "18:00"}) == expected

    def test_24_00_ends_the_day(self):
        """24:00 is accepted as an end and printed back."""
        assert str(TimeSpan.parse("22:00-24:00")) == "22:00-24:00"

    def test_end_before_start(self):
        """A span that ends before it starts is a CalendarError quoting it."""
        with pytest.raises(CalendarError, match="18:00-09:00"):
            TimeSpan.parse("18:00-09:00")

    def test_garbage(self):
        """An unreadable span names what it got."""
        with pytest.raises(CalendarError, match="'nine to five'"):
            TimeSpan.parse("nine to five")


class TestConstruction:
    def test_unknown_zone(self):
        """An unknown IANA zone raises CalendarError naming it."""
        with pytest.raises(CalendarError, match="Mars/Olympus"):
            BusinessCalendar(timezone="Mars/Olympus", hours={"mon": "09:00-18:00"})

    def test_empty_calendar(self):
        """A calendar with no working hours at all is refused."""
        with pytest.raises(CalendarError, match="no working hours"):
            BusinessCalendar(timezone="UTC", hours={})

    def test_hours_end_before_start(self):
        """Working hours that end before they start are refused."""
        with pytest.raises(CalendarError, match="start before they end"):
            BusinessCalendar(timezone="UTC", hours={"mon": "18:00-09:00"})

    def test_overlapping_intervals(self):
        """Two spans of one day that overlap are refused, both named."""
        with pytest.raises(CalendarError, match="09:00-13:00 and 12:00-18:00 overlap"):
            BusinessCalendar(timezone="UTC", hours={"mon": ["09:00-13:00", "12:00-18:00"]})

    def test_holiday_and_adjusted_day(self):
        """A date both a holiday and an adjusted working day is contradictory."""
        with pytest.raises(CalendarError, match="2026-01-03"):
            BusinessCalendar(
                timezone="UTC",
                hours={"mon": "09:00-18:00"},
                holidays=["2026-01-03"],
                adjusted_working_days=["2026-01-03"],
            )

    def test_closure_and_special_day(self):
        """A date both closed and given special hours is contradictory."""
        with pytest.raises(CalendarError, match="closure and a special day"):
            BusinessCalendar(
                timezone="UTC",
                hours={"mon": "09:00-18:00"},
                closures=["2026-01-05"],
                special_days={"2026-01-05": "09:00-12:00"},
            )

    def test_adjusted_hours_from_closed_weekday(self):
        """Adjusted days cannot borrow the hours of a closed weekday."""
        with pytest.raises(CalendarError, match="adjusted_hours_from"):
            BusinessCalendar(
                timezone="UTC",
                hours={"mon": "09:00-18:00"},
                adjusted_working_days=["2026-01-03"],
                adjusted_hours_from="tue",
            )

    def test_extra_field(self):
        """Unknown fields are refused, quoting the value received."""
        with pytest.raises(CalendarError, match="opening"):
            BusinessCalendar(timezone="UTC", hours={"mon": "09:00-18:00"}, opening="soon")

    def test_weekday_names(self):
        """Weekdays accept short, long, Chinese and range spellings."""
        cal = BusinessCalendar(
            timezone="UTC", hours={"Monday": "09:00-12:00", "fri-sun": "10:00-11:00"}
        )
        assert set(cal.hours) == {"mon", "fri", "sat", "sun"}
        assert parse_weekday("周五") == "fri"
        with pytest.raises(CalendarError, match="'Funday'"):
            parse_weekday("Funday")

    def test_frozen_and_serializable(self, office: BusinessCalendar):
        """The calendar is immutable and survives a JSON round trip."""
        with pytest.raises(ValueError, match="frozen"):
            office.timezone = "UTC"  # type: ignore[misc]
        again = BusinessCalendar.model_validate_json(office.model_dump_json())
        assert again == office
        assert office.model_dump(mode="json")["hours"]["mon"] == ["09:00-18:00"]


class TestInstants:
    def test_naive_datetime(self, office: BusinessCalendar):
        """Every method refuses naive datetimes with a TimeError."""
        naive = datetime(2026, 1, 5, 10)
        for call in (
            lambda: office.is_working_time(naive),
            lambda: office.next_working_instant(naive),
            lambda: office.add(naive, "1 business day"),
            lambda: office.elapsed(naive, naive),
            lambda: office.deadline(naive, 1),
        ):
            with pytest.raises(TimeError, match="timezone-aware"):
                call()

    def test_not_a_datetime(self):
        """A string is not an instant."""
        with pytest.raises(TimeError, match="aware datetime"):
            ensure_aware("2026-01-05T10:00")

    def test_results_are_in_calendar_zone(self, office: BusinessCalendar):
        """Instants come back in the calendar's zone whatever zone went in."""
        result = office.add(datetime(2026, 1, 5, 2, tzinfo=UTC), "1 business hour")
        assert result.tzinfo == SH
        assert result == sh(2026, 1, 5, 11)


class TestWorkingTime:
    def test_half_open_hours(self, office: BusinessCalendar):
        """Opening time is working time, closing time is not."""
        assert office.is_working_time(sh(2026, 1, 5, 9))
        assert office.is_working_time(sh(2026, 1, 5, 17, 59))
        assert not office.is_working_time(sh(2026, 1, 5, 18))
        assert not office.is_working_time(sh(2026, 1, 3, 12))  # Saturday

    def test_holiday(self, office: BusinessCalendar):
        """A public holiday is a closed day and reported as a holiday."""
        assert office.is_holiday(date(2026, 1, 1))
        assert not office.is_working_day(date(2026, 1, 1))
        assert not office.is_working_time(sh(2026, 1, 1, 10))
        assert not office.is_holiday(date(2026, 1, 3))

    def test_next_working_instant(self, office: BusinessCalendar):
        """Outside hours the next opening is returned; inside, the instant itself."""
        assert office.next_working_instant(sh(2026, 1, 2, 18)) == sh(2026, 1, 5, 9)
        assert office.next_working_instant(sh(2026, 1, 5, 10, 30)) == sh(2026, 1, 5, 10, 30)

    def test_precedence(self):
        """Special days beat closures and holidays; closures beat adjusted days."""
        cal = BusinessCalendar(
            timezone="UTC",
            hours={"mon-fri": "09:00-18:00"},
            holidays=["2026-12-25"],
            adjusted_working_days=["2026-12-26"],
            closures=["2026-12-24"],
            special_days={"2026-12-25": "10:00-12:00", "2026-12-31": "09:00-12:00"},
        )
        assert [(a.hour, b.hour) for a, b in cal.working_hours(date(2026, 12, 25))] == [(10, 12)]
        assert cal.working_hours(date(2026, 12, 24)) == []
        assert [(a.hour, b.hour) for a, b in cal.working_hours(date(2026, 12, 26))] == [(9, 18)]
        assert not cal.is_working_time(datetime(2026, 12, 31, 13, tzinfo=ZoneInfo("UTC")))


class TestCallbackWindows:
    @pytest.fixture
    def windows(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone="Asia/Shanghai",
            hours={"mon-fri": ["10:00-12:00", "14:00-17:00"], "sat": "10:00-12:00"},
        )

    def test_lunch_gap(self, windows: BusinessCalendar):
        """A callback asked for during the lunch gap waits for the afternoon window."""
        assert not windows.is_working_time(sh(2026, 1, 5, 13))
        assert windows.next_working_instant(sh(2026, 1, 5, 12, 30)) == sh(2026, 1, 5, 14)

    def test_callback_within_one_window_hour(self, windows: BusinessCalendar):
        """One window hour from 16:30 Monday is 10:30 Tuesday."""
        assert windows.add(sh(2026, 1, 5, 16, 30), "1 business hour") == sh(2026, 1, 6, 10, 30)

    def test_window_time_spans_gap(self, windows: BusinessCalendar):
        """Window time between two instants skips the lunch gap."""
        assert windows.elapsed(sh(2026, 1, 5, 11), sh(2026, 1, 5, 15)) == timedelta(hours=2)

    def test_saturday_window(self, windows: BusinessCalendar):
        """Saturday has one morning window and Sunday none."""
        assert windows.next_working_instant(sh(2026, 1, 10, 12)) == sh(2026, 1, 12, 10)


class TestAdd:
    def test_business_hours(self, office: BusinessCalendar):
        """Business hours skip nights, weekends and holidays."""
        assert office.add(sh(2026, 1, 5, 17), "2 business hours") == sh(2026, 1, 6, 10)
        assert office.add(sh(2025, 12, 31, 17), "2 business hours") == sh(2026, 1, 2, 10)
        assert office.add(sh(2026, 1, 2, 17), BusinessDuration(10, "hours")) == sh(2026, 1, 6, 9)

    def test_landing_on_close_rolls_forward(self, office: BusinessCalendar):
        """A sum that ends exactly at closing time is the next opening instead."""
        assert office.add(sh(2026, 1, 5, 17), "1 business hour") == sh(2026, 1, 6, 9)

    def test_zero_is_next_working_instant(self, office: BusinessCalendar):
        """Adding nothing gives the next working instant."""
        assert office.add(sh(2026, 1, 3, 8), "0 business hours") == sh(2026, 1, 5, 9)

    def test_business_days_same_clock_time(self, office: BusinessCalendar):
        """N business days later keeps the local clock time."""
        assert office.add(sh(2026, 1, 5, 17), "3 business days") == sh(2026, 1, 8, 17)
        assert office.add(sh(2025, 12, 31, 10), "1 business day") == sh(2026, 1, 2, 10)

    def test_business_days_from_outside_hours(self, office: BusinessCalendar):
        """Friday evening and Saturday both count from Monday's opening."""
        assert office.add(sh(2026, 1, 2, 20), "1 business day") == sh(2026, 1, 6, 9)
        assert office.add(sh(2026, 1, 3, 10), "1 business day") == sh(2026, 1, 6, 9)

    def test_wall_duration(self, office: BusinessCalendar):
        """A wall-clock duration ignores the calendar."""
        assert office.add(sh(2026, 1, 3, 10), "24h") == sh(2026, 1, 4, 10)
        assert office.add(sh(2026, 1, 3, 10), WallDuration(timedelta(minutes=20))) == sh(
            2026, 1, 3, 10, 20
        )

    def test_fractional_business_days(self, office: BusinessCalendar):
        """Half a business day is refused: use business hours."""
        with pytest.raises(DurationError, match="whole number"):
            office.add(sh(2026, 1, 5, 10), "1.5 business days")

    def test_unparseable_duration(self, office: BusinessCalendar):
        """An unreadable duration raises DurationError quoting it."""
        with pytest.raises(DurationError, match="'soonish'"):
            office.add(sh(2026, 1, 5, 10), "soonish")

    def test_dst_days(self):
        """Across the spring DST change a business day is still the same clock time."""
        cal = BusinessCalendar(timezone="Europe/Berlin", hours={"mon-fri": "09:00-18:00"})
        start = datetime(2026, 3, 27, 10, tzinfo=BERLIN)  # Friday before the change
        assert cal.add(start, "1 business day") == datetime(2026, 3, 30, 10, tzinfo=BERLIN)
        assert cal.add(start, "9 business hours") == datetime(2026, 3, 30, 10, tzinfo=BERLIN)

    def test_no_working_time_left(self):
        """A calendar with only special days stops instead of looping forever."""
        cal = BusinessCalendar(timezone="UTC", hours={}, special_days={"2026-01-05": "09:00-10:00"})
        start = datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("UTC"))
        assert cal.add(start, "30min") == start + timedelta(minutes=30)
        with pytest.raises(CalendarError, match="no working time after"):
            cal.add(start, "2 business hours")
        with pytest.raises(CalendarError, match="no working time after"):
            cal.add(start, "1 business day")


class TestElapsed:
    def test_overnight(self, office: BusinessCalendar):
        """Only working time between the instants counts."""
        assert office.elapsed(sh(2026, 1, 5, 17), sh(2026, 1, 6, 10)) == timedelta(hours=2)

    def test_over_weekend_and_holiday(self, office: BusinessCalendar):
        """Weekends and holidays contribute nothing."""
        assert office.elapsed(sh(2025, 12, 31, 9), sh(2026, 1, 5, 9)) == timedelta(hours=18)

    def test_end_before_start(self, office: BusinessCalendar):
        """An end before the start is a TimeError naming both."""
        with pytest.raises(TimeError, match="start <= end"):
            office.elapsed(sh(2026, 1, 6), sh(2026, 1, 5))


class TestDeadline:
    def test_reply_within_three_business_days(self, office: BusinessCalendar):
        """Three business days from Monday morning close on Thursday."""
        assert office.deadline(sh(2026, 1, 5, 10), 3) == sh(2026, 1, 8, 18)

    def test_counts_from_next_opening(self, office: BusinessCalendar):
        """A request after hours counts from the next working day."""
        assert office.deadline(sh(2026, 1, 2, 20), 0) == sh(2026, 1, 5, 18)
        assert office.deadline(sh(2025, 12, 31, 20), 1) == sh(2026, 1, 5, 18)

    def test_bad_n_days(self, office: BusinessCalendar):
        """A negative or fractional day count is refused."""
        with pytest.raises(TimeError, match="n_days"):
            office.deadline(sh(2026, 1, 5, 10), -1)

    def test_two_days_ahead_of_holiday(self, office: BusinessCalendar):
        """Two working days ahead of New Year's Day 2026 is 30 December."""
        assert office.add_working_days(date(2026, 1, 1), -2) == date(2025, 12, 30)


class TestChina:
    def test_official_years(self):
        """The holidays package carries official arrangements through 2026."""
        years = china_official_years()
        assert {2024, 2025, 2026} <= years
        assert min(years) == 2001

    def test_2025_adjusted_working_days(self):
        """2025's weekend working days match the State Council notice."""
        assert china_adjusted_working_days(2025) == (
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28),
            date(2025, 10, 11),
        )

    def test_2026_adjusted_working_days(self):
        """2026's weekend working days match the State Council notice."""
        assert china_adjusted_working_days(2026) == (
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        )

    def test_sunday_working_day(self, china: BusinessCalendar):
        """2025-01-26 is a Sunday worked with Monday's hours."""
        assert date(2025, 1, 26).weekday() == 6
        assert china.is_working_day(date(2025, 1, 26))
        assert china.is_working_time(sh(2025, 1, 26, 9, 30))
        assert not china.is_holiday(date(2025, 1, 26))

    def test_national_day(self, china: BusinessCalendar):
        """2025-10-01 to 10-08 are days off; 10-09 is back to work."""
        assert china.is_holiday(date(2025, 10, 1))
        for day in range(1, 9):
            assert not china.is_working_day(date(2025, 10, day))
        assert china.is_working_day(date(2025, 10, 9))

    def test_spring_festival_2026(self, china: BusinessCalendar):
        """Spring Festival 2026: 2-15..2-23 off, 2-14 and 2-28 (Saturdays) worked."""
        for day in range(15, 24):
            assert not china.is_working_day(date(2026, 2, day))
        assert china.is_working_day(date(2026, 2, 14))
        assert china.is_working_day(date(2026, 2, 28))
        assert china.is_working_day(date(2026, 2, 24))

    def test_two_days_ahead_of_spring_festival(self, china: BusinessCalendar):
        """Two working days ahead of 2025-01-28 is Sunday 2025-01-26 (a 调休 day)."""
        assert china.add_working_days(date(2025, 1, 28), -1) == date(2025, 1, 27)
        assert china.add_working_days(date(2025, 1, 28), -2) == date(2025, 1, 26)

    def test_reply_within_three_business_days(self, china: BusinessCalendar):
        """A Friday ticket before National Day 2025 counts the Sunday 调休 day."""
        ticket = sh(2025, 9, 26, 15)
        assert china.add(ticket, "3 business days") == sh(2025, 9, 30, 15)
        assert china.deadline(ticket, 3) == sh(2025, 9, 30, 18)
        late = sh(2025, 9, 30, 10)
        assert china.add(late, "3 business days") == sh(2025, 10, 11, 10)

    def test_estimated_years_refused(self):
        """Years without an official arrangement need allow_estimated=True."""
        with pytest.raises(CalendarError, match="2099"):
            china_calendar(years=2099)
        estimated = china_calendar(years=2099, allow_estimated=True)
        assert estimated.is_holiday(date(2099, 10, 1))

    def test_custom_hours_and_zone(self):
        """Hours and zone can be replaced; adjusted days use Monday's hours."""
        cal = china_calendar(years=2025, hours={"mon-fri": ["08:30-12:00", "13:00-17:30"]})
        spans = cal.working_hours(date(2025, 1, 26))
        assert [
            (a.time().isoformat("minutes"), b.time().isoformat("minutes")) for a, b in spans
        ] == [
            ("08:30", "12:00"),
            ("13:00", "17:30"),
        ]


class TestDocExamples:
    def test_time_layer_docstrings(self):
        """Every docstring example in the time layer runs and prints what it claims."""
        import doctest
        import importlib
        import inspect

        from csrules._time.duties import Duty
        from csrules._time.shifts import Shift, ShiftPattern

        shared = {
            "date": date,
            "datetime": datetime,
            "timedelta": timedelta,
            "ZoneInfo": ZoneInfo,
            "cal": BusinessCalendar(
                timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"}, holidays=["2026-01-01"]
            ),
            "pattern": ShiftPattern.on_off(
                timezone="Asia/Shanghai",
                shifts=[Shift(name="late", start="16:00", end="00:50", night=True)],
                shift="late",
                on=6,
                off=1,
                anchor=date(2026, 1, 5),
            ),
            "duty": Duty(
                owner="team_lead",
                title={"en": "Quality report", "zh": "质检报告"},
                recurrence="monthly by the 22nd",
                timezone="Asia/Shanghai",
            ),
        }
        attempted = 0
        finder = doctest.DocTestFinder()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        for name in ("csrules._time.calendar", "csrules.domain.china", "csrules._time.shifts", "csrules._time.duties"):
            module = importlib.import_module(name)
            # Exported classes report ``csrules`` as their module, which testmod would skip:
            # collect the docstrings of everything defined in this file explicitly.
            defined = [
                obj for obj in vars(module).values()
                if inspect.isclass(obj) and any(
                    getattr(getattr(member, "__code__", None), "co_filename", None) == module.__file__
                    for member in vars(obj).values()
                )
            ] + [module]
            for obj in defined:
                scope = module if obj is module else False
                for test in finder.find(obj, module=scope, globs={**vars(module), **shared}):
                    result = runner.run(test)
                    assert result.failed == 0, test.name
                    attempted += result.attempted
        assert attempted > 50
