"""Adding a duration to an instant: whole days on the wall clock, hours as elapsed time.

A rule's "one day" is a day of the calendar, not 86,400 seconds: leave asked at 09:00 for
09:00 the next day was asked one day ahead, even when the clocks went forward in between
(23 real hours). This is the distinction RFC 5545 (iCalendar, §3.3.6) and ISO 8601 draw
between *nominal* durations (days and weeks, whose real length depends on the calendar) and
*exact* ones (hours, minutes and seconds). :func:`add_duration` is the one place a rule's
clock duration is added to an instant, and these readers use it: condition kinds
(``elapsed``, ``notice``, the notice of ``holiday_in_span``), obligation due times, session
deadlines, escalation ladders, SLA targets, boundary probes and the columnar audit.
(``BusinessCalendar.add`` keeps a clock duration as plain elapsed time, as it says.) The
rule:

* A duration written in days or weeks (``1d``, ``3 days``, ``1 week``, ``P3D``), or in days
  and smaller units (``1d12h``, ``P1DT12H``, ``1.5d``), counts its **whole days on the wall
  clock** of the zone: the same local clock time that many local dates later. The rest (the
  ``12h``) is then added as **elapsed** time.
* A duration written in hours, minutes or seconds alone (``24h``, ``PT24H``, ``90min``) is
  **elapsed** time: ``24h`` is always 24 real hours (as 超過24小時 means).
* A ``timedelta`` (a duration given in Python, with no written unit) counts its whole days on
  the wall clock, as Python's own aware-datetime arithmetic does, and the rest as elapsed time
  (where Python keeps to the wall clock).
* A wall time the clocks skip (inside a spring-forward gap) is moved forward by the length of
  the gap (01:30 on the day London jumps from 01:00 to 02:00 reads 02:30 BST); one the clocks
  repeat (an autumn fold) is its earlier occurrence. Both are RFC 5545's reading (and Python's
  ``fold=0``).

Which zone: the fact's own ``time_zone`` where its model has one (the engine fills it with the
policy's ``timezone`` when the fact names none), else the zone each reader already shows its
times in (a policy's, which building a policy writes as ``tz`` into its ``elapsed`` and
``notice`` conditions; a calendar's; a ladder's or an SLA policy's). In a zone without clock
changes (``Asia/Shanghai``, the built-in packs' zone) a wall day is exactly 24 hours, so both
readings give the same instant.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from csrules._time.calendar import ensure_aware, load_zone
from csrules._time.durations import WallDuration, split_days

__all__ = [
    "HORIZON",
    "ZONE_FIELD",
    "add_days_then",
    "add_duration",
    "add_duration_us",
    "cached_zone",
    "fact_zone",
    "reach_utc",
    "split_days",
    "steady_between",
    "steady_since",
    "steady_zone",
]

ZONE_FIELD: Final = "time_zone"
"""The fact field naming the zone a fact's local clocks and days are read in."""

_DAY: Final = timedelta(days=1)
_US: Final = timedelta(microseconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

cached_zone = functools.cache(load_zone)
""":func:`load_zone` once per name: due times are worked out per decision (a bad name raises,
and is not kept)."""


def fact_zone(fact: object, default: str) -> str:
    """The zone ``fact`` (a model, or its stored body) names in ``time_zone``, else ``default``."""
    named = fact.get(ZONE_FIELD) if isinstance(fact, dict) else getattr(fact, ZONE_FIELD, None)
    return named if isinstance(named, str) else default


def add_duration(instant: datetime, duration: WallDuration | timedelta, zone: ZoneInfo | str) -> datetime:
    """The instant ``duration`` after aware ``instant`` (in UTC): whole days on the wall clock of
    ``zone``, the rest elapsed (see the module docstring). A naive ``instant`` raises
    :class:`~csrules.exceptions.TimeError`; a result past the last date there is raises
    OverflowError, as adding a ``timedelta`` does.

    >>> from csrules._time.durations import parse_duration
    >>> start = datetime(2026, 3, 28, 9, tzinfo=ZoneInfo("Europe/London"))
    >>> add_duration(start, parse_duration("1d"), "Europe/London").isoformat()
    '2026-03-29T08:00:00+00:00'
    >>> add_duration(start, parse_duration("24h"), "Europe/London").isoformat()
    '2026-03-29T09:00:00+00:00'
    """
    return add_days_then(instant, *split_days(duration), zone)


def add_days_then(instant: datetime, days: int, rest: timedelta, zone: ZoneInfo | str) -> datetime:
    """:func:`add_duration` of a duration already split by :func:`split_days`: ``days`` on the
    wall clock of ``zone``, then ``rest`` elapsed (UTC)."""
    utc = ensure_aware(instant).astimezone(UTC)
    return reach_utc(utc, days, rest, zone if isinstance(zone, ZoneInfo) else cached_zone(zone))


def reach_utc(utc: datetime, days: int, rest: timedelta, zone: ZoneInfo | str) -> datetime:
    """:func:`add_days_then` of an instant already in UTC (the per-decision path of conditions,
    which read their instants in UTC anyway)."""
    if days:
        tz, steady = steady_zone(zone) if isinstance(zone, str) else (zone, steady_since(zone))
        whole = timedelta(days=days)
        if steady is not None and steady <= utc and utc + whole < HORIZON:
            utc += whole  # one UTC offset all the way: a wall day is 24 hours
        else:
            utc = _wall_days(utc, days, tz)
    return utc + rest


_STEADY: dict[str, tuple[ZoneInfo, datetime | None]] = {}


def steady_zone(name: str) -> tuple[ZoneInfo, datetime | None]:
    """The zone ``name`` and :func:`steady_since` of it, looked up once per name."""
    found = _STEADY.get(name)
    if found is None:
        zone = cached_zone(name)
        found = _STEADY[name] = (zone, steady_since(zone))
    return found


def add_duration_us(start_us: int, days: int, rest_us: int, zone: str) -> int:
    """:func:`add_duration` on microseconds since the epoch (a session's clock): ``days`` on
    the wall clock of ``zone``, then ``rest_us`` elapsed. Past the last date there is, the days
    count 24 hours each (no wall clock is left to count on)."""
    if days:
        try:
            start_us = _wall_days_us(start_us, days, zone)
        except OverflowError:
            start_us += days * (_DAY // _US)
    return start_us + rest_us


HORIZON: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""The last instant :func:`steady_since` looks at."""
_SINCE: Final = datetime(1970, 1, 1, tzinfo=UTC)
_WEEK: Final = timedelta(weeks=1)


@functools.cache
def steady_since(zone: ZoneInfo) -> datetime | None:
    """The instant from which ``zone`` keeps one UTC offset until 2100 (at the earliest 1970):
    from there on a wall day is 24 hours, and adding days needs no look at the wall clock (the
    fast path of Asia/Shanghai, since 1991). A zone that still changes its clocks gets its last
    change before 2100 (late 2099 for Europe/London), or None when that falls in 2099's last
    week. The offset is read a week apart going back from 2100 (clock changes last months),
    and the last change found is then pinned to the microsecond by bisection."""
    offset = HORIZON.astimezone(zone).utcoffset()
    at = HORIZON
    while at > _SINCE:
        earlier = at - _WEEK
        if earlier.astimezone(zone).utcoffset() != offset:
            if at == HORIZON:
                return None
            while at - earlier > _US:  # the first instant with the last offset
                middle = earlier + (at - earlier) // 2
                if middle.astimezone(zone).utcoffset() == offset:
                    at = middle
                else:
                    earlier = middle
            return at
        at = earlier
    return _SINCE


_LONGEST_SCAN: Final = timedelta(days=366 * 200)
_SCAN_STEP: Final = timedelta(hours=6)


@functools.lru_cache(maxsize=1024)
def steady_between(zone: str, first: datetime, last: datetime, days: int) -> bool:
    """Whether ``zone`` keeps one UTC offset from ``first`` to ``days`` after ``last``, so that
    adding ``days`` to any instant in between is adding 24 hours each (a batch of instants at
    once). At once from :func:`steady_since` where the zone has stopped changing its clocks;
    else read every six hours (clock changes last months), over at most 200 years."""
    tz, steady = steady_zone(zone)
    if steady is not None and steady <= first and last < HORIZON - timedelta(days=days):
        return True
    if last - first > _LONGEST_SCAN:
        return False
    try:
        at, end = first - _SCAN_STEP, last + timedelta(days=days) + _SCAN_STEP
        offset = at.astimezone(tz).utcoffset()
        while at < end:
            at += _SCAN_STEP
            if at.astimezone(tz).utcoffset() != offset:
                return False
    except OverflowError:
        return False
    return True


@functools.lru_cache(maxsize=65_536)
def _wall_days_us(start_us: int, days: int, zone: str) -> int:
    """Cached: a session's state is checked for its next due time at every commit."""
    return (_wall_days(_EPOCH + timedelta(microseconds=start_us), days, cached_zone(zone)) - _EPOCH) // _US


def _wall_days(utc: datetime, days: int, zone: ZoneInfo) -> datetime:
    """``days`` local dates after ``utc`` at the same wall-clock time in ``zone``, in UTC; a gap
    time moves forward by the gap and a fold time is its earlier occurrence (``fold=0``)."""
    wall = utc.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
