"""When a session deadline falls: :func:`csrules._time.nominal.add_duration` on a session's clock.

A deadline written in whole days or weeks (``3d``, ``1 week``, ``P3D``) falls at the same
local clock time that many local dates later, in the zone the fact is read in (its own
``time_zone``, else its policy's), as business days are counted: "3 days" from 09:00 on the
Friday before a clock change is 09:00 on the Monday, 71 or 73 hours later. A deadline written
in hours, minutes or seconds (``72h``, ``PT72H``) is that much elapsed time; a mixed one
(``1d12h``) counts its days on the wall, then the rest as elapsed time. The stateless engine,
escalation ladders and SLA clocks read durations the same way. In a zone without clock
changes (Asia/Shanghai) both readings are the same instant.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from csrules._time.durations import WallDuration
from csrules._time.nominal import add_duration_us, split_days

__all__ = ["day_count", "due_after"]

_US: Final = timedelta(microseconds=1)


def day_count(duration: WallDuration) -> int | None:
    """The whole days ``duration`` counts on the wall clock, or None when it counts none
    (written in hours, minutes or seconds, or shorter than a day)."""
    return split_days(duration)[0] or None


def due_after(start_us: int, elapsed_us: int, days: int | None, zone: str) -> int:
    """The instant (microseconds since the epoch) a deadline of ``elapsed_us`` (its whole length)
    started at ``start_us`` falls: ``days`` local dates later at the same wall-clock time in
    ``zone`` when it counts days (see :func:`day_count`), then the rest of its length elapsed."""
    if not days:
        return start_us + elapsed_us
    return add_duration_us(start_us, days, elapsed_us - days * (timedelta(days=1) // _US), zone)
