"""Local clock times: the one reader of ``"HH:MM"`` and the one daily-window test.

A clock time is a time of day on the local wall clock, without a date or a zone. Working
hours, shifts, rest hours and the ``within_hours`` condition all read them here, so
``"9:30"`` means the same everywhere, and so does "is 23:00 inside 21:00-07:00".
"""

from __future__ import annotations

import re
from datetime import time

from csrules.exceptions import CalendarError

__all__ = ["DAY_MICROS", "clock_micros", "clock_seconds", "in_daily_window", "parse_clock", "window_micros"]

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")

DAY_MICROS = 86_400_000_000
"""Microseconds in a day of the wall clock."""


def clock_seconds(text: str, *, allow_24: bool = False) -> int:
    """Seconds after midnight of ``"HH:MM"`` or ``"HH:MM:SS"``; ``"24:00"`` only with ``allow_24``.

    A malformed or out-of-range text raises :class:`~csrules.exceptions.CalendarError`
    (a :class:`ValueError`).

    >>> clock_seconds("9:30")
    34200
    """
    match = _CLOCK.match(text)
    if not match:
        raise CalendarError(f"a clock time must look like 'HH:MM' (got {text!r})")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    total = hours * 3600 + minutes * 60 + seconds
    if minutes > 59 or seconds > 59 or total > 86400 or (total == 86400 and not allow_24):
        raise CalendarError(f"a clock time must be between 00:00 and 24:00 (got {text!r})")
    return total


def parse_clock(value: object) -> time:
    """A local clock time from ``"12:00"``, ``"9:30"``, ``"23:59:59"`` or a :class:`time`.

    >>> parse_clock("9:30")
    datetime.time(9, 30)
    """
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        try:
            seconds = clock_seconds(value)
        except CalendarError:
            pass
        else:
            return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    raise ValueError(f'a time of day must read like "12:00" or "09:30:15" (got {value!r})')


def clock_micros(clock: time) -> int:
    """Microseconds after midnight of ``clock``."""
    return ((clock.hour * 60 + clock.minute) * 60 + clock.second) * 1_000_000 + clock.microsecond


def window_micros(start: time, end: time) -> int:
    """Length of the daily window ``[start, end)`` in microseconds (0 when ``end == start``)."""
    return (clock_micros(end) - clock_micros(start)) % DAY_MICROS


def in_daily_window(clock: time, start: time, end: time) -> bool:
    """Whether ``clock`` lies in the daily window ``[start, end)``.

    A window whose ``end`` is before its ``start`` runs across midnight (21:00-07:00); one
    whose ``end`` equals its ``start`` is empty.

    >>> in_daily_window(time(23), time(21), time(7)), in_daily_window(time(7), time(21), time(7))
    (True, False)
    """
    return (clock_micros(clock) - clock_micros(start)) % DAY_MICROS < window_micros(start, end)
