"""When a session deadline falls: days on the wall clock, hours and minutes as elapsed time.

A deadline written in whole days or weeks (``3d``, ``1 week``, ``P3D``) falls at the same
local clock time that many local dates later, in the zone the fact is read in (its own
``time_zone``, else its policy's), as business days are counted: "3 days" from 09:00 on the
Friday before a clock change is 09:00 on the Monday, 71 or 73 hours later. A deadline written
in hours, minutes or seconds (``72h``, ``PT72H``) is that much elapsed time. In a zone
without clock changes (Asia/Shanghai) both readings are the same instant.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Final

from csrules._engine.zones import cached_zone
from csrules._time.calendar import wall_to_utc
from csrules._time.durations import WallDuration

__all__ = ["day_count", "due_after"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)
_DAY: Final = timedelta(days=1)



def day_count(duration: WallDuration) -> int | None:
    """The whole days ``duration`` counts on the wall clock, or None when it is elapsed time
    (written in hours, minutes or seconds, or not a whole number of days)."""
    if duration.delta % _DAY or (duration.unit is not None and duration.unit < _DAY):
        return None
    return duration.delta // _DAY


def due_after(start_us: int, elapsed_us: int, days: int | None, zone: str) -> int:
    """The instant (microseconds since the epoch) a deadline started at ``start_us`` falls:
    ``days`` local dates later at the same wall-clock time in ``zone`` when it counts days
    (see :func:`day_count`), else ``elapsed_us`` later."""
    if days is None:
        return start_us + elapsed_us
    return _wall_days_after(start_us, days, zone)


@functools.lru_cache(maxsize=65_536)
def _wall_days_after(start_us: int, days: int, zone: str) -> int:
    """Cached: a session's state is checked for its next due time at every commit."""
    tz = cached_zone(zone)
    try:
        local = (_EPOCH + timedelta(microseconds=start_us)).astimezone(tz)
        # a wall time the clocks skip falls at the jump; one they repeat, at its first occurrence
        return (wall_to_utc(local.replace(tzinfo=None) + timedelta(days=days), tz) - _EPOCH) // _US
    except OverflowError:  # past the last date there is: no wall clock to count on
        return start_us + days * (_DAY // _US)
