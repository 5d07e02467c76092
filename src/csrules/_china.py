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
(:func:`china_official_years`; with ``holidays`` 0.109 that is 2001-2026). For later years it
only *estimates* holidays (weekend festivals moved to Monday) and lists no adjusted working
days, so :func:`china_calendar` refuses them unless ``allow_estimated=True``. Re-check every
December when the next notice is published and the package is updated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

from holidays.countries.china import China

from csrules._calendar import BusinessCalendar
from csrules.exceptions import CalendarError

__all__ = ["china_adjusted_working_days", "china_calendar", "china_official_years"]

_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
_DEFAULT_HOURS: Mapping[str, Any] = {"mon-fri": "09:00-18:00"}


@cache
def china_official_years() -> frozenset[int]:
    """The years for which ``holidays.China`` has the State Council's official arrangement.

    >>> {2025, 2026} <= china_official_years()
    True
    """
    try:
        from holidays.countries.china import ChinaStaticHolidays

        years = frozenset(int(y) for y in ChinaStaticHolidays.special_public_holidays)
    except (ImportError, AttributeError):  # layout changed: fall back to what 0.109 has
        years = frozenset(range(2001, 2027))
    return years


@cache
def _china(year: int) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """(holidays, adjusted working days) listed under ``year``."""
    factory: Any = China  # the package's constructor is untyped
    table: Mapping[date, str] = factory(years=year, language="en_US")
    days_off: list[date] = []
    working: list[date] = []
    for day, name in sorted(table.items()):
        days_off.append(day)
        for label in str(name).split(";"):
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


def china_calendar(
    years: int | Iterable[int] | None = None,
    hours: Mapping[str, Any] | None = None,
    *,
    timezone: str = "Asia/Shanghai",
    closures: Iterable[date] = (),
    special_days: Mapping[date, Any] | None = None,
    allow_estimated: bool = False,
) -> BusinessCalendar:
    """A :class:`BusinessCalendar` with China's holidays and 调休 working days.

    >>> cal = china_calendar(years=[2025, 2026])
    >>> cal.is_working_day(date(2025, 1, 26))  # Sunday, worked for Spring Festival
    True
    >>> cal.is_holiday(date(2025, 10, 1))
    True

    ``years`` defaults to every officially covered year (:func:`china_official_years`);
    ``hours`` defaults to Monday-Friday 09:00-18:00, and adjusted working days use Monday's
    hours. A year outside the official coverage raises
    :class:`~csrules.exceptions.CalendarError` unless ``allow_estimated=True`` (then its
    holidays are the package's estimate and it has no adjusted working days).

    .. versionadded:: 0.1
    """
    official = china_official_years()
    if years is None:
        wanted = sorted(official)
    elif isinstance(years, int):
        wanted = [years]
    else:
        wanted = sorted(set(years))
    if not wanted:
        raise CalendarError("china_calendar() needs at least one year (got none)")
    missing = [y for y in wanted if y not in official]
    if missing and not allow_estimated:
        raise CalendarError(
            f"holidays.China has no official arrangement (调休) for {missing}; it covers"
            f" {min(official)}-{max(official)}. Pass allow_estimated=True to use its estimate"
            " without adjusted working days."
        )
    days_off: set[date] = set()
    working: set[date] = set()
    for year in wanted:
        off, work = _china(year)
        days_off.update(off)
        working.update(work)
    return BusinessCalendar(
        timezone=timezone,
        hours=dict(hours if hours is not None else _DEFAULT_HOURS),
        holidays=sorted(days_off),
        adjusted_working_days=sorted(working),
        adjusted_hours_from="mon",
        closures=tuple(closures),
        special_days=dict(special_days or {}),
    )
