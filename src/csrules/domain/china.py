"""China's public holidays and adjusted working days (调休) as a business calendar.

Source: the ``holidays`` package (``holidays.China``, https://github.com/vacanza/holidays),
which transcribes the State Council General Office's yearly notice on the holiday
arrangement (国务院办公厅关于N年部分节假日安排的通知, published on www.gov.cn each November;
the package cites one notice per year, 2001 onwards).

``holidays.China`` lists each weekday given off in exchange for a weekend day as
``"Day off (substituted from MM/DD/YYYY)"`` (English names): the date in parentheses is the
Saturday or Sunday that becomes a working day. :func:`china_calendar` derives the adjusted
working days from exactly those entries; every listed date is a holiday.

Coverage: the package carries official arrangements only for the years in its static table
(:func:`china_official_years`, read from the installed package: with ``holidays`` 0.109 that
is 2001-2026). For later years it only *estimates* holidays (weekend festivals moved to
Monday) and lists no adjusted working days, so :func:`china_calendar` refuses them unless
``allow_estimated=True``, and a calendar it builds raises
:class:`~csrules.exceptions.CalendarError` for any date outside the years it holds instead of
calling it an ordinary weekday. A company that has the next year's notice before the package
ships it adds the year by hand with :class:`ChinaYear` (``extra_years=``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import version
from typing import Any

from holidays.countries.china import China

from csrules._time.calendar import BusinessCalendar
from csrules.exceptions import CalendarError

__all__ = ["ChinaYear", "china_adjusted_working_days", "china_calendar", "china_official_years"]

_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
_DEFAULT_HOURS: Mapping[str, Any] = {"mon-fri": "09:00-18:00"}


@cache
def china_official_years() -> frozenset[int]:
    """The years for which the installed ``holidays.China`` has the State Council's arrangement.

    Read from the package itself (its table of substituted days off, the years whose notice
    it transcribes), so it moves with the installed version.

    >>> {2025, 2026} <= china_official_years()
    True
    """
    try:
        return _static_years()
    except (ImportError, AttributeError):  # another layout: ask the data year by year
        last = getattr(China, "end_year", 2100)
        return frozenset(y for y in range(China.start_year, last + 1) if _china(y)[1])


def _static_years() -> frozenset[int]:
    """The years of the package's table of official arrangements (where 0.109 keeps it)."""
    from holidays.countries.china import ChinaStaticHolidays

    return frozenset(int(y) for y in ChinaStaticHolidays.special_public_holidays)


@cache
def _table(year: int) -> tuple[tuple[date, str], ...]:
    """The package's entries for ``year`` (date, English name), sorted; built once per year."""
    factory: Any = China  # the package's constructor is untyped
    table: Mapping[date, str] = factory(years=year, language="en_US")
    return tuple(sorted((day, str(name)) for day, name in table.items()))


@cache
def _china(year: int) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """(holidays, adjusted working days) listed under ``year``."""
    days_off: list[date] = []
    working: list[date] = []
    for day, name in _table(year):
        days_off.append(day)
        for label in name.split(";"):
            match = _SUBSTITUTED.search(label)
            if match:
                month, dom, yyyy = (int(part) for part in match.groups())
                working.append(date(yyyy, month, dom))
    return tuple(days_off), tuple(working)


def china_adjusted_working_days(year: int) -> tuple[date, ...]:
    """Weekend dates made working days by ``year``'s arrangement (调休上班), sorted.

    >>> date(2025, 1, 26) in china_adjusted_working_days(2025)
    True
    """
    return tuple(sorted(_china(year)[1]))


@dataclass(frozen=True, slots=True, init=False)
class ChinaYear:
    """One year's official arrangement, typed in by hand from the State Council's notice.

    >>> y2027 = ChinaYear(2027, holidays=["2027-01-01"], adjusted_working_days=[])
    >>> y2027.holidays
    (datetime.date(2027, 1, 1),)

    ``holidays`` are every day off of the notice (including weekend days inside a break);
    ``adjusted_working_days`` the weekend days worked in exchange (调休上班; a weekday there is
    refused as a typo). Dates may be
    ISO strings; each must lie in ``year`` or the December before it (a New Year break can
    start then), else :class:`~csrules.exceptions.CalendarError` names it.

    .. versionadded:: 0.1
    """

    year: int
    holidays: tuple[date, ...]
    adjusted_working_days: tuple[date, ...]

    def __init__(
        self, year: int, holidays: Iterable[date | str], adjusted_working_days: Iterable[date | str] = ()
    ) -> None:
        if not isinstance(year, int) or isinstance(year, bool):
            raise CalendarError(f"ChinaYear: year must be a whole number such as 2027 (got {year!r})")
        object.__setattr__(self, "year", year)
        object.__setattr__(self, "holidays", self._dates("holidays", holidays))
        object.__setattr__(self, "adjusted_working_days", self._dates("adjusted_working_days", adjusted_working_days))
        if not self.holidays:
            raise CalendarError(f"ChinaYear({year}) lists no holidays")
        weekdays = [day.isoformat() for day in self.adjusted_working_days if day.weekday() < 5]
        if weekdays:  # a typo in the notice typed in: a weekday is worked anyway
            raise CalendarError(
                f"ChinaYear({year}).adjusted_working_days: {', '.join(weekdays)} is a weekday; the days worked"
                " in exchange (调休上班) are the Saturdays and Sundays the notice names"
            )

    def _dates(self, name: str, values: Iterable[date | str]) -> tuple[date, ...]:
        out = []
        for value in values:
            try:
                day = value if isinstance(value, date) else date.fromisoformat(value)
            except (TypeError, ValueError):
                raise CalendarError(
                    f"ChinaYear({self.year}).{name}: {value!r} is not a date (use 'YYYY-MM-DD')"
                ) from None
            if not (day.year == self.year or (day.year == self.year - 1 and day.month == 12)):
                raise CalendarError(
                    f"ChinaYear({self.year}).{name}: {day.isoformat()} is outside {self.year}"
                    f" (only {self.year} and December {self.year - 1} belong to its notice)"
                )
            out.append(day)
        return tuple(sorted(set(out)))


def china_calendar(
    years: int | Iterable[int] | None = None,
    hours: Mapping[str, Any] | None = None,
    *,
    timezone: str = "Asia/Shanghai",
    closures: Iterable[date] = (),
    special_days: Mapping[date, Any] | None = None,
    allow_estimated: bool = False,
    extra_years: Iterable[ChinaYear] = (),
) -> BusinessCalendar:
    """A :class:`BusinessCalendar` with China's holidays and 调休 working days.

    >>> cal = china_calendar(years=[2025, 2026])
    >>> cal.is_working_day(date(2025, 1, 26))  # Sunday, worked for Spring Festival
    True
    >>> cal.is_holiday(date(2025, 10, 1))
    True

    ``years`` defaults to every officially covered year (:func:`china_official_years`) plus
    the ``extra_years`` typed in by hand (:class:`ChinaYear`; one replaces the package's data
    for its year). ``hours`` defaults to Monday-Friday 09:00-18:00, and adjusted working days
    use Monday's hours. A year with neither raises :class:`~csrules.exceptions.CalendarError`
    unless ``allow_estimated=True`` (then its holidays are the package's estimate and it has
    no adjusted working days). The calendar answers only for the years it holds: any other
    date raises :class:`~csrules.exceptions.CalendarError` naming its year. A year's
    December also takes the days the next year's notice moves there (2012's made Saturday
    2011-12-31 a working day) when that notice is known, whether or not its year is wanted.

    .. versionadded:: 0.1
    """
    by_hand = {entry.year: entry for entry in extra_years}
    known = china_official_years() | by_hand.keys()
    wanted = _wanted_years(years, known)
    missing = [y for y in wanted if y not in known]
    if missing and not allow_estimated:
        raise CalendarError(
            f"holidays.China {version('holidays')} has no official arrangement (调休) for"
            f" {', '.join(map(str, missing))}; it covers {_span(china_official_years())}."
            " Upgrade the holidays package once it carries that year, add the year by hand"
            " with extra_years=[ChinaYear(...)], or pass allow_estimated=True to use the"
            " package's estimate without adjusted working days"
        )
    days_off: set[date] = set()
    working: set[date] = set()
    for year in wanted:
        off, work = _arrangement(year, by_hand)
        days_off.update(off)
        working.update(work)
        # the next year's notice may move days of this December (2012's made Saturday
        # 2011-12-31 a working day): read them even when that year itself is not wanted
        if year + 1 in known and year + 1 not in wanted:
            off, work = _arrangement(year + 1, by_hand)
            days_off.update(day for day in off if day.year == year)
            working.update(day for day in work if day.year == year)
    return BusinessCalendar(
        timezone=timezone,
        hours=dict(hours if hours is not None else _DEFAULT_HOURS),
        holidays=sorted(days_off),
        adjusted_working_days=sorted(working),
        adjusted_hours_from="mon",
        closures=tuple(closures),
        special_days=dict(special_days or {}),
        holiday_years=tuple(wanted),
        # an estimated year stays visible: in the source, and to traces through estimated_years
        holiday_source=f"holidays.China {version('holidays')}" + (
            f" ({', '.join(map(str, missing))} estimated, no 调休)" if missing else ""),
        estimated_years=tuple(missing),
        fixed_holidays=_statutory_days(set(wanted)),
    )


def _arrangement(year: int, by_hand: Mapping[int, ChinaYear]) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """(days off, adjusted working days) of ``year``'s notice: typed in by hand, else the package's."""
    entry = by_hand.get(year)
    return (entry.holidays, entry.adjusted_working_days) if entry else _china(year)


# How many years past the last official one the statutory days are listed for.
_STATUTORY_HORIZON = 10


def _statutory_days(held: set[int]) -> tuple[date, ...]:
    """The statutory days off (全国年节及纪念日放假办法) of the years after the official ones.

    They are law, not estimates: New Year's Day, the Spring Festival days, Qingming, Labour
    Day, the Dragon Boat and Mid-Autumn festivals and National Day fall on these dates
    whatever the year's arrangement adds around them. The package's "observed" entries (its
    guess at the arrangement) are left out.
    """
    return _statutory_from(max(china_official_years() | held) + 1)


@cache
def _statutory_from(start: int) -> tuple[date, ...]:
    """The statutory days off of the ``_STATUTORY_HORIZON`` years from ``start`` on."""
    return tuple(
        day
        for year in range(start, start + _STATUTORY_HORIZON)
        for day, name in _table(year)
        if "observed" not in name.lower()
    )


def _wanted_years(years: int | Iterable[int] | None, known: frozenset[int]) -> list[int]:
    if years is None:
        wanted = sorted(known)
    elif isinstance(years, int):
        wanted = [years]
    else:
        wanted = sorted(set(years))
    if not wanted:
        raise CalendarError("china_calendar() needs at least one year (got none)")
    return wanted


def _span(years: frozenset[int]) -> str:
    return f"{min(years)}-{max(years)}" if years else "no year"
