"""Local wall clocks of a column of instants, exactly as ``instant.astimezone(zone)`` reads them.

Polars carries its own copy of the time-zone database, which may be of another release than
the one Python's :mod:`zoneinfo` reads; the row engine is the reference, so the offsets come
from :mod:`zoneinfo`: for each UTC day the batch touches, the offset at its start and, where the
zone changes its clocks that day, the second it changes (found by bisection) and the offset
after. A day with two changes is not read per column (None: the row engine judges the rule).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import polars as pl

from csrules._audit.instants import INSTANT
from csrules._time.calendar import load_zone

__all__ = ["day_offsets", "local_dates", "local_wall", "offsets"]

_HOUR = timedelta(hours=1)
_SECOND = timedelta(seconds=1)
DayOffsets = tuple[timedelta, datetime | None, timedelta | None]
"""A UTC day's offset at its start, and the instant the zone changes it that day with the
offset after (None, None when it keeps one offset all day)."""


def _offset(zone: str, at: datetime) -> timedelta:
    found = at.astimezone(load_zone(zone)).utcoffset()
    assert found is not None  # a ZoneInfo always knows its offset
    return found


@lru_cache(maxsize=65_536)
def day_offsets(zone: str, day: date) -> DayOffsets | None:
    """The offsets ``zone`` keeps through UTC ``day`` (None: it changes them twice that day,
    or the day lies where Python's datetimes end)."""
    try:
        start = datetime.combine(day, time(0), tzinfo=UTC)
        hourly = [_offset(zone, start + _HOUR * hour) for hour in range(25)]
    except OverflowError:
        return None
    changes = [hour for hour in range(24) if hourly[hour] != hourly[hour + 1]]
    if not changes:
        return hourly[0], None, None
    if len(changes) > 1:
        return None
    low, high = start + _HOUR * changes[0], start + _HOUR * (changes[0] + 1)
    after = hourly[changes[0] + 1]
    while high - low > _SECOND:  # offsets change on whole seconds: find the first second of the new one
        middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
        if _offset(zone, middle) == after:
            high = middle
        else:
            low = middle
    if _offset(zone, high - _SECOND) != hourly[0]:
        return None  # two changes within the hour: not read per column
    return hourly[0], high, after


def offsets(frame: pl.DataFrame, instant: pl.Expr, zone: str) -> pl.Expr | None:
    """The UTC offset of ``zone`` at each instant of ``instant`` (UTC), as a duration
    expression over ``frame`` (null for a null instant); None when a day of the batch is not
    read per column."""
    found_days = frame.select(instant.dt.date().unique().drop_nulls()).to_series()
    if not found_days.dt.year().is_between(1, 9999).all():
        return None  # a day Python has no date for (an instant at the calendar's ends): read row by row
    days = found_days.to_list()
    starts: dict[date, timedelta] = {}
    changes: dict[date, datetime] = {}
    afters: dict[date, timedelta] = {}
    for day in days:
        found = day_offsets(zone, day)
        if found is None:
            return None
        starts[day] = found[0]
        if found[1] is not None and found[2] is not None:
            changes[day], afters[day] = found[1], found[2]
    day_of = instant.dt.date()
    base = day_of.replace_strict(list(starts), list(starts.values()), default=None, return_dtype=pl.Duration("us"))
    if not changes:
        return base
    change = day_of.replace_strict(list(changes), list(changes.values()), default=None,
                                   return_dtype=INSTANT)
    after = day_of.replace_strict(list(afters), list(afters.values()), default=None, return_dtype=pl.Duration("us"))
    return pl.when(change.is_not_null() & (instant >= change)).then(after).otherwise(base)


def local_wall(frame: pl.DataFrame, instant: pl.Expr, zone: str) -> pl.Expr | None:
    """The naive local date-time of each instant in ``zone`` (None: not read per column)."""
    offset = offsets(frame, instant, zone)
    if offset is None:
        return None
    return instant.dt.replace_time_zone(None) + offset


def local_dates(frame: pl.DataFrame, instant: pl.Expr, zone: str) -> pl.Expr | None:
    """The local date of each instant in ``zone`` (None: not read per column)."""
    wall = local_wall(frame, instant, zone)
    return None if wall is None else wall.dt.date()
