"""Recurring duties: phrases, structured recurrences, due dates and overdue checks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import FR, MONTHLY, rrule

from csrules._time.duties import Duty, DutyTitle, Recurrence, parse_recurrence
from csrules._time.shifts import Shift, ShiftPattern
from csrules.exceptions import CalendarError, TimeError

SH = ZoneInfo("Asia/Shanghai")
TITLE = {"en": "Quality report", "zh": "质检报告"}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def duty(recurrence: str | Recurrence) -> Duty:
    return Duty(owner="team_lead", title=TITLE, recurrence=recurrence, timezone="Asia/Shanghai")


class TestPhrases:
    @pytest.mark.parametrize(
        ("phrase", "fields"),
        [
            ("every shift", {"freq": "shift"}),
            ("daily", {"freq": "daily"}),
            ("weekly on Monday", {"freq": "weekly", "byweekday": ("mon",)}),
            ("every Monday and Thursday", {"freq": "weekly", "byweekday": ("mon", "thu")}),
            ("monthly by the 22nd", {"freq": "monthly", "bymonthday": (22,)}),
            (
                "monthly on the Friday before the 25th",
                {"freq": "monthly", "byweekday": ("fri",), "bymonthday": tuple(range(18, 25))},
            ),
            ("half-yearly", {"freq": "yearly", "bymonth": (1, 7), "bymonthday": (1,)}),
            ("yearly", {"freq": "yearly", "bymonth": (1,), "bymonthday": (1,)}),
            ("yearly on December 31", {"freq": "yearly", "bymonth": (12,), "bymonthday": (31,)}),
            ("quarterly", {"freq": "yearly", "bymonth": (1, 4, 7, 10), "bymonthday": (1,)}),
            (
                "monthly on the last Friday",
                {"freq": "monthly", "byweekday": ("fri",), "bysetpos": (-1,)},
            ),
            ("每周一", {"freq": "weekly", "byweekday": ("mon",)}),
            ("每月22日前", {"freq": "monthly", "bymonthday": (22,)}),
        ],
    )
    def test_phrase(self, phrase: str, fields: dict[str, object]):
        """Each documented phrase reads as the expected structured recurrence."""
        parsed = parse_recurrence(phrase)
        assert parsed.model_dump(exclude={"text", "at"}, exclude_defaults=True) == fields
        assert parsed.text == phrase

    def test_due_time(self):
        """A trailing 'at HH:MM' sets the due time."""
        assert parse_recurrence("weekly on Monday at 10:00").at == time(10)

    @pytest.mark.parametrize(
        "phrase", ["fortnightly", "weekly on Funday", "monthly on the Friday before the 3rd", ""]
    )
    def test_unreadable(self, phrase: str):
        """An unreadable phrase is a CalendarError quoting it and listing the forms."""
        with pytest.raises(CalendarError, match=r"cannot read.*monthly by the 22nd"):
            parse_recurrence(phrase)

    def test_friday_before_the_25th_is_rrule(self):
        """The phrase gives exactly dateutil's rrule(MONTHLY, byweekday=FR, 18..24)."""
        start = datetime(2026, 1, 1)
        ours = list(parse_recurrence("monthly on the Friday before the 25th").rule(start)[:12])
        theirs = list(rrule(MONTHLY, byweekday=FR, bymonthday=range(18, 25), dtstart=start)[:12])
        assert ours == theirs
        assert all(d.weekday() == 4 and 18 <= d.day <= 24 for d in ours)


class TestStructured:
    def test_structured_equals_phrase(self):
        """The structured form and the phrase give the same due dates."""
        structured = Recurrence(freq="monthly", byweekday=["Friday"], bymonthday=range(18, 25))
        start, end = sh(2026, 1, 1), sh(2027, 1, 1)
        assert duty(structured).occurrences(start, end) == duty(
            "monthly on the Friday before the 25th"
        ).occurrences(start, end)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"freq": "weekly"}, "needs byweekday"),
            ({"freq": "monthly"}, "needs bymonthday"),
            ({"freq": "yearly", "bymonthday": [1]}, "needs bymonth"),
            ({"freq": "shift", "bymonthday": [1]}, "no other parts"),
            ({"freq": "monthly", "bymonthday": [32]}, r"1\.\.31.*\[32\]"),
            ({"freq": "yearly", "bymonth": [13], "bymonthday": [1]}, r"\[13\]"),
            ({"freq": "hourly"}, "freq"),
        ],
    )
    def test_incomplete(self, fields: dict[str, object], message: str):
        """Recurrences that depend on a start date or are out of range are refused."""
        with pytest.raises(CalendarError, match=message):
            Recurrence(**fields)

    def test_round_trip(self):
        """A duty survives a JSON round trip."""
        original = duty("monthly on the Friday before the 25th at 15:00")
        assert Duty.model_validate_json(original.model_dump_json()) == original

    def test_title(self):
        """Titles need both languages."""
        assert DutyTitle(en="Report", zh="报告").en == "Report"
        with pytest.raises(CalendarError, match="zh"):
            DutyTitle(en="Report")
        with pytest.raises(CalendarError, match="zh"):
            Duty(owner="lead", title={"en": "Report"}, recurrence="daily")


class TestOccurrences:
    def test_reports_by_the_22nd(self):
        """Monthly reports fall due at the end of each 22nd."""
        due = duty("monthly by the 22nd").occurrences(sh(2026, 1, 1), sh(2026, 4, 1))
        assert [d.date() for d in due] == [date(2026, 1, 22), date(2026, 2, 22), date(2026, 3, 22)]
        assert due[0].time() == time.max
        assert due[0].tzinfo == SH

    def test_meeting_friday_before_the_25th_2026(self):
        """The 2026 meetings fall on the real Fridays before each 25th."""
        due = duty("monthly on the Friday before the 25th at 15:00").occurrences(
            sh(2026, 1, 1), sh(2027, 1, 1)
        )
        assert [d.date() for d in due] == [
            date(2026, 1, 23),
            date(2026, 2, 20),
            date(2026, 3, 20),
            date(2026, 4, 24),
            date(2026, 5, 22),
            date(2026, 6, 19),
            date(2026, 7, 24),
            date(2026, 8, 21),
            date(2026, 9, 18),  # the 25th is itself a Friday: the one before it
            date(2026, 10, 23),
            date(2026, 11, 20),
            date(2026, 12, 18),
        ]
        assert all(d.time() == time(15) for d in due)

    def test_weekly_daily_half_yearly_yearly(self):
        """Other recurrences land on the expected dates."""
        jan = (sh(2026, 1, 1), sh(2026, 2, 1))
        assert len(duty("daily").occurrences(*jan)) == 31
        assert [d.day for d in duty("weekly on Monday").occurrences(*jan)] == [5, 12, 19, 26]
        year = (sh(2026, 1, 1), sh(2027, 1, 1))
        assert [d.month for d in duty("half-yearly").occurrences(*year)] == [1, 7]
        assert [d.date() for d in duty("yearly on December 31").occurrences(*year)] == [
            date(2026, 12, 31)
        ]

    def test_half_open_range(self):
        """A due instant equal to the end of the range is left out."""
        due = duty("daily at 09:00").occurrences(sh(2026, 1, 1, 9), sh(2026, 1, 3, 9))
        assert due == [sh(2026, 1, 1, 9), sh(2026, 1, 2, 9)]

    def test_every_shift(self):
        """Per-shift duties fall due at each shift's end and need a pattern."""
        pattern = ShiftPattern.on_off(
            timezone="Asia/Shanghai",
            shifts=[Shift(name="late", start="16:00", end="00:00", night=True)],
            shift="late",
            on=6,
            off=1,
            anchor=date(2026, 3, 2),
        )
        checks = duty("every shift")
        due = checks.occurrences(sh(2026, 3, 2), sh(2026, 3, 9), shifts=pattern)
        assert due == [sh(2026, 3, day) for day in range(3, 9)]
        with pytest.raises(CalendarError, match="shifts="):
            checks.occurrences(sh(2026, 3, 2), sh(2026, 3, 9))
        assert checks.is_overdue(sh(2026, 3, 2, 20), sh(2026, 3, 4, 1), shifts=pattern)
        assert not checks.is_overdue(sh(2026, 3, 3, 20), sh(2026, 3, 4, 1), shifts=pattern)

    def test_naive_and_reversed(self):
        """Naive instants and reversed ranges are TimeErrors."""
        monthly = duty("monthly by the 22nd")
        with pytest.raises(TimeError, match="timezone-aware"):
            monthly.occurrences(datetime(2026, 1, 1), sh(2026, 2, 1))
        with pytest.raises(TimeError, match="start <= end"):
            monthly.occurrences(sh(2026, 2, 1), sh(2026, 1, 1))


class TestOverdue:
    def test_report_by_the_22nd(self):
        """The February report is overdue on the 23rd unless done after January's due date."""
        monthly = duty("monthly by the 22nd")
        now = sh(2026, 2, 23, 9)
        assert monthly.is_overdue(sh(2026, 1, 20), now)
        assert monthly.is_overdue(None, now)
        assert not monthly.is_overdue(sh(2026, 2, 10), now)
        assert not monthly.is_overdue(sh(2026, 2, 23, 8), now)  # late, but caught up

    def test_not_overdue_on_the_due_day(self):
        """On the 22nd itself the report is not yet overdue."""
        monthly = duty("monthly by the 22nd")
        assert not monthly.is_overdue(sh(2026, 1, 22), sh(2026, 2, 22, 23))

    def test_done_in_the_future(self):
        """A completion after now is a TimeError."""
        with pytest.raises(TimeError, match="last_done_at is after now"):
            duty("daily").is_overdue(sh(2026, 1, 3), sh(2026, 1, 2))

    def test_next_due(self):
        """The next due instant is strictly after the given one."""
        meeting = duty("monthly on the Friday before the 25th at 15:00")
        assert meeting.next_due(sh(2026, 9, 1)) == sh(2026, 9, 18, 15)
        assert meeting.next_due(sh(2026, 9, 18, 15)) == sh(2026, 10, 23, 15)

    def test_leap_day(self):
        """A yearly duty on 29 February falls due every year, on the 28th in common years."""
        leap = duty("yearly on February 29")
        assert leap.next_due(sh(2025, 1, 1)).date() == date(2025, 2, 28)
        assert leap.next_due(sh(2028, 2, 28, 12)).date() == date(2028, 2, 29)
        assert leap.is_overdue(sh(2027, 2, 1), sh(2028, 3, 1))
        assert not leap.is_overdue(sh(2027, 3, 1), sh(2028, 3, 1))

    def test_window_spans_dst(self):
        """Due instants stay at the local clock time across DST changes."""
        berlin = ZoneInfo("Europe/Berlin")
        weekly = Duty(
            owner="ops", title=TITLE, recurrence="every Sunday at 10:00", timezone="Europe/Berlin"
        )
        due = weekly.occurrences(
            datetime(2026, 3, 20, tzinfo=berlin), datetime(2026, 4, 6, tzinfo=berlin)
        )
        assert [d.hour for d in due] == [10, 10, 10]
        utc = ZoneInfo("UTC")
        assert due[1].astimezone(utc) - due[0].astimezone(utc) == timedelta(days=7, hours=-1)
