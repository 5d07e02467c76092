"""Recurring duties: who must do what, and by when, again and again.

A :class:`Duty` pairs an owner role and a bilingual title with a :class:`Recurrence`, read
from a phrase (``"monthly by the 22nd"``, ``"monthly on the Friday before the 25th"``) or
given in structured form. Each occurrence is a *due instant*: the duty for that occurrence
may be done any time after the previous due instant, and is on time when done at or before
its own. Recurrences are built on :func:`dateutil.rrule.rrule`; "the Friday before the 25th"
is ``rrule(MONTHLY, byweekday=FR, bymonthday=range(18, 25))``: days 18-24 hold exactly one
Friday, the last one before the 25th. "The Friday after the 25th" is the first Friday after
each month's 25th, in the next month when the month runs out first (``weekday_after=25``).

Accepted phrases (case-insensitive; append ``"at 15:00"`` for a due time, otherwise a
duty is due at the end of the day)::

    every shift                 daily / every day            weekly on Monday [and ...]
    every Monday                monthly by|on the 22nd       monthly on the last day
    monthly on the Friday before|after the 25th              monthly on the first|last Friday
    quarterly                   half-yearly (Jan 1, Jul 1)   yearly / annually [on December 31]
    每班  每天  每周一  每月22日  每半年  每年

A day of the month the month lacks falls on its last day ("monthly by the 31st" is due on
30 April and 28 February; "the Friday after the 31st" is the first Friday after the month's
last day); a date no month has ("yearly on February 30", "the Friday before the 32nd") raises
:class:`~csrules.exceptions.CalendarError` when the recurrence is built, and so does "the
Friday before the 30th" or 31st (February lacks days before them: write "the last Friday").

"every shift" duties are due at the end of each shift of a :class:`ShiftPattern` passed to
the methods. Time conventions follow :mod:`csrules._time.calendar`.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, ClassVar, Final, Literal

from dateutil.rrule import (
    DAILY,
    FR,
    MO,
    MONTHLY,
    SA,
    SU,
    TH,
    TU,
    WE,
    WEEKLY,
    YEARLY,
    rrule,
    rruleset,
    weekday,
)
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from csrules._errors import ConvertedModel
from csrules._lang import simplified
from csrules._time.calendar import (
    WEEKDAYS,
    Weekday,
    ensure_aware,
    load_zone,
    naive_clock,
    parse_weekday,
    wall_to_utc,
    within_dates,
)
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules._time.shifts import ShiftPattern
from csrules.exceptions import CalendarError, TimeError

__all__ = ["Duty", "DutyTitle", "Recurrence", "parse_recurrence"]

Frequency = Literal["shift", "daily", "weekly", "monthly", "yearly"]

_RruleFreq = Literal[0, 1, 2, 3, 4, 5, 6]
_RRULE_FREQ: Final[dict[str, _RruleFreq]] = {
    "daily": DAILY,
    "weekly": WEEKLY,
    "monthly": MONTHLY,
    "yearly": YEARLY,
}
_RRULE_DAY: Final[dict[str, weekday]] = dict(
    zip(WEEKDAYS, (MO, TU, WE, TH, FR, SA, SU), strict=True)
)
_MONTHS: Final = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ORDINALS: Final = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_ZH_DAYS: Final = "一二三四五六日"
_SEARCH_YEARS: Final = 12  # a due date recurs within a year; leave room
_SHORTEST_MONTH: Final = 28  # every month has days 1-28; later days may be clamped


class Recurrence(ConvertedModel):
    """When a duty falls due: an rrule-style description that never depends on a start date.

    >>> Recurrence.parse("monthly on the Friday before the 25th").bymonthday
    (18, 19, 20, 21, 22, 23, 24)
    >>> Recurrence(freq="weekly", byweekday=("mon",), at="10:00").describe()
    'weekly on mon at 10:00'

    ``at`` is the due clock time; ``None`` means the end of the due day (``23:59:59.999999``).
    Weekly needs ``byweekday``; monthly needs ``bymonthday`` or ``byweekday``; yearly needs
    ``bymonth`` and a day; "shift" takes no other parts. Anything else raises
    :class:`~csrules.exceptions.CalendarError`.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    freq: Frequency
    byweekday: tuple[Weekday, ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    weekday_after: int | None = None
    """With one ``byweekday``: due on that weekday first after this day of each month (a
    month lacking the day: after its last day), in the next month when the month runs out."""
    at: time | None = None
    text: str | None = None

    _error: ClassVar[Callable[[str], Exception]] = CalendarError
    _what: ClassVar[str] = "invalid recurrence"

    @field_validator("byweekday", mode="before")
    @classmethod
    def _weekdays(cls, value: object) -> object:
        if isinstance(value, str | int):
            value = (value,)
        if isinstance(value, list | tuple):
            return tuple(parse_weekday(item) for item in value)
        return value

    @field_validator("at")
    @classmethod
    def _local_at(cls, value: time | None) -> time | None:
        return None if value is None else naive_clock(value, "due times")

    @field_validator("bymonthday", "bymonth", "bysetpos", mode="before")
    @classmethod
    def _int_tuple(cls, value: object) -> object:
        if isinstance(value, int):
            return (value,)
        if isinstance(value, range):
            return tuple(value)
        return value

    @model_validator(mode="after")
    def _complete(self) -> Recurrence:
        if self.weekday_after is not None:
            self._rolls(self.weekday_after)
        bad_days = [d for d in self.bymonthday if not (1 <= abs(d) <= 31)]
        if bad_days:
            raise CalendarError(f"bymonthday must be 1..31 or -31..-1 (got {bad_days})")
        bad_months = [m for m in self.bymonth if not 1 <= m <= 12]
        if bad_months:
            raise CalendarError(f"bymonth must be 1..12 (got {bad_months})")
        self._days_exist()
        parts = self.byweekday or self.bymonthday or self.bymonth or self.bysetpos
        problem = None
        if self.freq == "shift" and (parts or self.at is not None):
            problem = "a per-shift duty is due at each shift's end and takes no other parts"
        elif self.freq == "weekly" and not self.byweekday:
            problem = "a weekly duty needs byweekday (e.g. ['mon'])"
        elif self.freq == "monthly" and not (self.bymonthday or self.byweekday):
            problem = "a monthly duty needs bymonthday (e.g. [22]) or byweekday"
        elif self.freq == "yearly" and not (self.bymonth and (self.bymonthday or self.byweekday)):
            problem = "a yearly duty needs bymonth and bymonthday (e.g. [12] and [31])"
        if problem:
            raise CalendarError(f"{problem} (got {self.describe()})")
        return self

    def _rolls(self, after: int) -> None:
        """Check a "weekday after the ``after``-th" recurrence: one weekday, a day 1..31, no other days."""
        if self.freq not in ("monthly", "yearly") or len(self.byweekday) != 1 or self.bymonthday \
                or self.bysetpos or not 1 <= after <= 31:
            raise CalendarError(
                "weekday_after needs a monthly or yearly recurrence with exactly one byweekday, no"
                f" bymonthday or bysetpos, and a day 1..31 (got {self.describe()})")

    def _days_exist(self) -> None:
        """Refuse a day of the month that none of the recurrence's months has (February 30)."""
        months = self.bymonth or tuple(range(1, 13))
        longest = max(_calendar.monthrange(2000, m)[1] for m in months)  # 2000: a leap year
        missing = [d for d in self.bymonthday if abs(d) > longest]
        if missing and self.freq in ("monthly", "yearly"):
            names = ", ".join(_calendar.month_name[m] for m in months) if self.bymonth else "any month"
            raise CalendarError(
                f"day {missing[0]} never exists in {names}, so {self.describe()!r} would never"
                " fall due; pick a day the month has ('monthly on the last day' for month ends)"
            )

    @property
    def clamps(self) -> bool:
        """Whether days 29-31 fall back to a shorter month's last day (plain day-of-month rules).

        "monthly by the 31st" is due on 30 April and 28 February: a report due "by the 31st"
        is still due in a month without one, and a reviewer reads the month's last day.
        With ``byweekday`` or ``bysetpos`` the days are a filter and are left as written.
        """
        return (
            self.freq in ("monthly", "yearly")
            and not (self.byweekday or self.bysetpos)
            and any(abs(d) > _SHORTEST_MONTH for d in self.bymonthday)
        )

    @classmethod
    def parse(cls, phrase: str) -> Recurrence:
        """Read a phrase such as ``"weekly on Monday at 10:00"``; see the module docstring."""
        return parse_recurrence(phrase)

    def describe(self) -> str:
        """A compact structured description, for messages and documents."""
        if self.text:
            return self.text
        words: list[str] = [self.freq]
        if self.bysetpos:
            words.append(f"setpos {list(self.bysetpos)}")
        if self.byweekday:
            words.append("on " + ",".join(self.byweekday))
        if self.bymonth:
            words.append(f"in months {list(self.bymonth)}")
        if self.bymonthday:
            words.append(f"on days {list(self.bymonthday)}")
        if self.weekday_after is not None:
            words.append(f"after day {self.weekday_after}")
        if self.at is not None:
            words.append(f"at {self.at.isoformat('minutes')}")
        return " ".join(words)

    def rule(self, dtstart: datetime) -> rrule | rruleset | _Rolled:
        """The :class:`~dateutil.rrule.rrule` of due *dates* (midnight) from naive ``dtstart``.

        >>> r = Recurrence.parse("monthly by the 22nd").rule(datetime(2026, 1, 1))
        >>> r[0]
        datetime.datetime(2026, 1, 22, 0, 0)
        >>> Recurrence.parse("monthly by the 31st").rule(datetime(2026, 2, 1))[0]
        datetime.datetime(2026, 2, 28, 0, 0)
        """
        if self.freq == "shift":
            raise CalendarError("a per-shift recurrence has no rrule; pass a ShiftPattern")
        if self.weekday_after is not None:  # anchor days (clamped), each rolled to the weekday
            anchors = self.model_copy(update={"byweekday": (), "bymonthday": (self.weekday_after,),
                                              "weekday_after": None})
            return _Rolled(anchors.rule(dtstart - _WEEK), _RRULE_DAY[self.byweekday[0]].weekday)
        if self.clamps:
            return self._clamped_rule(dtstart)
        return rrule(
            _RRULE_FREQ[self.freq],
            dtstart=dtstart,
            byweekday=[_RRULE_DAY[d] for d in self.byweekday] or None,
            bymonthday=list(self.bymonthday) or None,
            bymonth=list(self.bymonth) or None,
            bysetpos=list(self.bysetpos) or None,
            cache=False,
        )

    def _clamped_rule(self, dtstart: datetime) -> rruleset:
        """One monthly rule per day; day 30 is the last of days 28-30 a month has (bysetpos)."""
        rules = rruleset()
        for day in self.bymonthday:
            if abs(day) <= _SHORTEST_MONTH:
                days, pick = [day], 1
            elif day > 0:
                days, pick = list(range(_SHORTEST_MONTH, day + 1)), -1
            else:  # -30: the 30th day from the end, or the month's first day
                days, pick = list(range(day, -_SHORTEST_MONTH + 1)), 1
            rules.rrule(
                rrule(
                    MONTHLY,
                    dtstart=dtstart,
                    bymonth=list(self.bymonth) or None,
                    bymonthday=days,
                    bysetpos=pick,
                    cache=False,
                )
            )
        return rules


_WEEK: Final = timedelta(days=7)


class _Rolled:
    """Due dates on a weekday first after each date of an anchor rule (a week at most later,
    so the dates stay in order); answers ``between`` and ``after`` as an rrule does."""

    def __init__(self, anchors: rrule | rruleset | _Rolled, weekday: int) -> None:
        self._anchors = anchors
        self._weekday = weekday

    def _roll(self, anchor: datetime) -> datetime:
        return anchor + timedelta(days=(self._weekday - anchor.weekday() - 1) % 7 + 1)

    def between(self, after: datetime, before: datetime, inc: bool = False) -> list[datetime]:
        """The due dates from ``after`` to ``before`` (ends included with ``inc``)."""
        rolled = (self._roll(a) for a in self._anchors.between(after - _WEEK, before, inc=True))
        return [d for d in rolled if (after <= d <= before if inc else after < d < before)]

    def after(self, dt: datetime, inc: bool = False) -> datetime | None:
        """The first due date after ``dt`` (or on it, with ``inc``)."""
        anchor = self._anchors.after(dt - _WEEK, inc=True)
        while anchor is not None:
            due = self._roll(anchor)
            if due > dt or (inc and due == dt):
                return due
            anchor = self._anchors.after(anchor, inc=False)
        return None


def _weekday_list(text: str) -> tuple[str, ...]:
    return tuple(parse_weekday(part) for part in re.split(r"\s*(?:,|and|&)\s*", text) if part)


_AT = re.compile(r"^(?P<body>.*?)(?:\s+at\s+|\s*@\s*)(?P<h>\d{1,2}):(?P<m>\d{2})$")
_DAYNUM = r"(\d{1,2})(?:st|nd|rd|th)?"
_WEEKDAY_WORD = r"([a-z]+)"


def parse_recurrence(phrase: str) -> Recurrence:
    """Read a recurrence phrase; unreadable phrases raise CalendarError listing the forms.

    >>> parse_recurrence("monthly by the 22nd").bymonthday
    (22,)
    >>> parse_recurrence("half-yearly").bymonth
    (1, 7)
    """
    if not isinstance(phrase, str):
        raise CalendarError(f"a recurrence must be a phrase string (got {phrase!r})")
    text = simplified(" ".join(phrase.strip().lower().split()))  # 每週一 reads as 每周一
    at: time | None = None
    timed = _AT.match(text)
    if timed:
        hours, minutes = int(timed["h"]), int(timed["m"])
        if hours > 23 or minutes > 59:
            raise CalendarError(f"due time must be HH:MM within a day (got {phrase!r})")
        at, text = time(hours, minutes), timed["body"].strip()
    try:
        fields = _phrase_fields(text)
    except _PhraseError as exc:
        raise CalendarError(f"cannot use {phrase!r} as a recurrence: {exc}") from None
    if fields is None:
        raise CalendarError(
            f"cannot read {phrase!r} as a recurrence; try 'every shift', 'daily', 'weekly on"
            " Monday', 'monthly by the 22nd', 'monthly on the Friday before the 25th',"
            " 'quarterly', 'half-yearly', 'yearly on December 31', optionally + ' at 15:00'"
        )
    return Recurrence(**fields, at=at, text=phrase.strip())


def _phrase_fields(text: str) -> dict[str, Any] | None:
    try:
        if text in {"every shift", "each shift", "per shift", "每班", "每个班次"}:
            return {"freq": "shift"}
        if text in {"daily", "every day", "each day", "每天", "每日"}:
            return {"freq": "daily"}
        if text in {"quarterly", "每季度"}:
            return {"freq": "yearly", "bymonth": (1, 4, 7, 10), "bymonthday": (1,)}
        if text in {"half-yearly", "half yearly", "semi-annually", "twice a year", "每半年"}:
            return {"freq": "yearly", "bymonth": (1, 7), "bymonthday": (1,)}
        if text in {"yearly", "annually", "every year", "每年"}:
            return {"freq": "yearly", "bymonth": (1,), "bymonthday": (1,)}
        match = re.fullmatch(r"(?:weekly on|every) (.+)", text)
        if match:
            return {"freq": "weekly", "byweekday": _weekday_list(match[1])}
        match = re.fullmatch(r"每周([一二三四五六日天])", text)
        if match:
            return {"freq": "weekly", "byweekday": (_ZH_DAYS.index(match[1].replace("天", "日")),)}
        match = re.fullmatch(rf"monthly (?:by|on) (?:the )?(?:day )?{_DAYNUM}", text)
        if match:
            return {"freq": "monthly", "bymonthday": (int(match[1]),)}
        match = re.fullmatch(r"每月(\d{1,2})[日号](?:前)?", text)
        if match:
            return {"freq": "monthly", "bymonthday": (int(match[1]),)}
        if text in {"monthly on the last day", "monthly by the last day", "每月最后一天"}:
            return {"freq": "monthly", "bymonthday": (-1,)}
        match = re.fullmatch(rf"monthly on the {_WEEKDAY_WORD} (before|after) the {_DAYNUM}", text)
        if match:
            day, anchor = parse_weekday(match[1]), int(match[3])
            if match[2] == "after":
                return {"freq": "monthly", "byweekday": (day,), "weekday_after": anchor}
            if anchor < 8:
                return None
            if anchor > _SHORTEST_MONTH + 1:  # days anchor-7..anchor-1 are not in every month
                raise _PhraseError(
                    f"a weekday before day {anchor} needs the seven days before it in every month"
                    f" (days 8 to 29 do); for a month's end write 'monthly on the last {match[1]}'")
            return {"freq": "monthly", "byweekday": (day,), "bymonthday": tuple(range(anchor - 7, anchor))}
        match = re.fullmatch(
            rf"monthly on the (first|second|third|fourth|last) {_WEEKDAY_WORD}", text
        )
        if match:
            return {
                "freq": "monthly",
                "byweekday": (parse_weekday(match[2]),),
                "bysetpos": (_ORDINALS[match[1]],),
            }
        match = re.fullmatch(
            rf"(?:yearly|annually) (?:on|by) (?:([a-z]+) {_DAYNUM}|{_DAYNUM} ([a-z]+))", text
        )
        if match:
            month_name = match[1] or match[4]
            day_number = int(match[2] or match[3])
            if month_name not in _MONTHS:
                return None
            return {
                "freq": "yearly",
                "bymonth": (_MONTHS[month_name],),
                "bymonthday": (day_number,),
            }
    except _PhraseError:
        raise
    except CalendarError:
        return None
    return None


class _PhraseError(CalendarError):
    """A phrase read, but naming days that do not work: said as such, not as unreadable."""


def _validate_recurrence(value: object) -> object:
    return parse_recurrence(value) if isinstance(value, str) else value


class DutyTitle(ConvertedModel):
    """A duty's title in English and Chinese.

    >>> DutyTitle(en="Monthly report", zh="月度报告").zh
    '月度报告'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    _error: ClassVar[Callable[[str], Exception]] = CalendarError
    _what: ClassVar[str] = "invalid duty title"


class Duty(ConvertedModel):
    """A recurring duty of an owner role, with due instants from its recurrence.

    >>> duty = Duty(owner="team_lead", title={"en": "Quality report", "zh": "质检报告"},
    ...             recurrence="monthly by the 22nd", timezone="Asia/Shanghai")
    >>> z = ZoneInfo("Asia/Shanghai")
    >>> [d.date().isoformat() for d in duty.occurrences(datetime(2026, 1, 1, tzinfo=z),
    ...                                                 datetime(2026, 3, 1, tzinfo=z))]
    ['2026-01-22', '2026-02-22']

    ``recurrence`` accepts a phrase or a structured :class:`Recurrence`. Each due instant
    ``D`` closes a window that opened at the previous due instant ``P``; the duty for ``D`` is
    done by any completion after ``P`` (late if after ``D``). Dates are read in ``timezone``
    (default ``Asia/Shanghai``), never in the offset a datetime was written with.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str = Field(min_length=1)
    title: DutyTitle
    recurrence: Annotated[Recurrence, BeforeValidator(_validate_recurrence)]
    timezone: str = DEFAULT_TIME_ZONE

    _error: ClassVar[Callable[[str], Exception]] = CalendarError
    _what: ClassVar[str] = "invalid duty"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        load_zone(value)
        return value

    @within_dates("start")
    def occurrences(
        self,
        start: datetime,
        end: datetime,
        *,
        shifts: ShiftPattern | None = None,
        agent: str | int = 0,
    ) -> list[datetime]:
        """Due instants in ``[start, end)``, in order, in the duty's zone.

        "every shift" duties need ``shifts`` (and optionally ``agent``); their due instants
        are shift ends, in the pattern's zone.
        """
        low = ensure_aware(start, "start")
        high = ensure_aware(end, "end")
        if high < low:
            raise TimeError(
                f"occurrences() needs start <= end (got start={start.isoformat()},"
                f" end={end.isoformat()})"
            )
        if self.recurrence.freq == "shift":
            pattern = self._pattern(shifts)
            found = pattern.occurrences(low - timedelta(days=1), high, agent)
            return [occ.end for occ in found if low <= occ.end < high]
        zone = load_zone(self.timezone)
        first = low.astimezone(zone).date() - timedelta(days=1)
        last = high.astimezone(zone).date() + timedelta(days=1)
        out = []
        for due in self._due_walls(first, last):
            instant = wall_to_utc(due, zone)
            if low <= instant < high:
                out.append(instant.astimezone(zone))
        return out

    @within_dates("after")
    def next_due(
        self, after: datetime, *, shifts: ShiftPattern | None = None, agent: str | int = 0
    ) -> datetime:
        """The first due instant strictly after ``after``."""
        low = ensure_aware(after, "after") + timedelta(microseconds=1)
        span = timedelta(days=7) if self.recurrence.freq != "shift" else timedelta(days=2)
        while span <= timedelta(days=366 * _SEARCH_YEARS):
            found = self.occurrences(low, low + span, shifts=shifts, agent=agent)
            if found:
                return found[0]
            span *= 4
        raise CalendarError(f"{self.recurrence.describe()} never falls due after {after}")

    @within_dates("now")
    def last_two_due(
        self, now: datetime, *, shifts: ShiftPattern | None = None, agent: str | int = 0
    ) -> tuple[datetime | None, datetime | None]:
        """``(P, D)``: the last due instant strictly before ``now`` and the one before it."""
        high = ensure_aware(now, "now")
        span = timedelta(days=7) if self.recurrence.freq != "shift" else timedelta(days=2)
        found: list[datetime] = []
        while span <= timedelta(days=366 * _SEARCH_YEARS):
            found = [
                d
                for d in self.occurrences(high - span, high, shifts=shifts, agent=agent)
                if d < high
            ]
            if len(found) >= 2:
                return found[-2], found[-1]
            span *= 4
        return None, (found[-1] if found else None)

    def is_overdue(
        self,
        last_done_at: datetime | None,
        now: datetime,
        *,
        shifts: ShiftPattern | None = None,
        agent: str | int = 0,
    ) -> bool:
        """Whether the duty is overdue at ``now`` given when it was last done.

        Let ``D`` be the last due instant before ``now`` and ``P`` the one before ``D``: the
        duty is overdue when ``D`` exists and it was not done after ``P`` (never done, or
        ``last_done_at <= P``). Catching up after ``D`` clears it.

        >>> z = ZoneInfo("Asia/Shanghai")
        >>> duty.is_overdue(datetime(2026, 1, 20, tzinfo=z), datetime(2026, 2, 23, tzinfo=z))
        True
        """
        current = ensure_aware(now, "now")
        done = None
        if last_done_at is not None:
            done = ensure_aware(last_done_at, "last_done_at")
            if done > current:
                raise TimeError(
                    f"last_done_at is after now (got last_done_at={last_done_at.isoformat()},"
                    f" now={now.isoformat()})"
                )
        previous, due = self.last_two_due(now, shifts=shifts, agent=agent)
        if due is None:
            return False
        if done is None:
            return True
        # Compare in UTC: same-zone datetimes compare by wall clock (wrong in a DST fold).
        return previous is not None and done <= previous.astimezone(UTC)

    def _pattern(self, shifts: ShiftPattern | None) -> ShiftPattern:
        if shifts is None:
            raise CalendarError(
                f"duty {self.title.en!r} recurs every shift: pass shifts=<ShiftPattern>"
            )
        return shifts

    def _due_walls(self, first: date, last: date) -> list[datetime]:
        """Naive local due times on dates ``first``..``last``."""
        rule = self.recurrence.rule(datetime.combine(first, time(0)))
        clock = self.recurrence.at or time.max
        until = datetime.combine(last, time(0))
        return [
            datetime.combine(d.date(), clock)
            for d in rule.between(datetime.combine(first, time(0)), until, inc=True)
        ]
