"""Time for policies: durations, business calendars, shifts, recurring duties, and the registry
that lets a policy name a calendar or a shift pattern.

- **durations**: :func:`parse_duration` reads ``"3d"``, ``"90min"``, ``"PT2H"`` or
  ``"2 business days"`` into a :class:`WallDuration` or a :class:`BusinessDuration`;
  :data:`DurationField` is the pydantic field type for a duration in a host's own models.
- **calendars**: :class:`BusinessCalendar` (working hours, holidays, adjusted working days)
  and :class:`TimeSpan`; China's official calendar is :func:`china_calendar` (its years are
  :func:`china_official_years`; it loads the ``holidays`` package on first use).
- **shifts and duties**: :class:`ShiftPattern` and its :class:`Shift` occurrences;
  :class:`Duty` with a :class:`Recurrence` ("monthly on the Friday before the 25th").
- **registry**: :func:`register_calendar` and :func:`register_shift_pattern` give a calendar
  or pattern a name policies use (``calendar: china``).

>>> from csrules.time import parse_duration
>>> str(parse_duration("2 business days"))
'2 business days'

.. versionadded:: 0.1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csrules._lazy import lazy_module
from csrules._time.calendar import BusinessCalendar, TimeSpan, Weekday
from csrules._time.durations import BusinessDuration, Duration, DurationField, WallDuration, parse_duration
from csrules._time.duties import Duty, DutyTitle, Recurrence, parse_recurrence
from csrules._time.registry import (
    DEFAULT_TIME_ZONE,
    calendar_label,
    calendar_names,
    get_calendar,
    get_shift_pattern,
    register_calendar,
    register_shift_pattern,
    registered_time,
    shift_pattern_names,
)
from csrules._time.shifts import Shift, ShiftOccurrence, ShiftPattern

if TYPE_CHECKING:
    from csrules.domain.china import ChinaYear, china_adjusted_working_days, china_calendar, china_official_years

__all__ = [
    "DEFAULT_TIME_ZONE",
    "BusinessCalendar",
    "BusinessDuration",
    "ChinaYear",
    "Duration",
    "DurationField",
    "Duty",
    "DutyTitle",
    "Recurrence",
    "Shift",
    "ShiftOccurrence",
    "ShiftPattern",
    "TimeSpan",
    "WallDuration",
    "Weekday",
    "calendar_label",
    "calendar_names",
    "china_adjusted_working_days",
    "china_calendar",
    "china_official_years",
    "get_calendar",
    "get_shift_pattern",
    "parse_duration",
    "parse_recurrence",
    "register_calendar",
    "register_shift_pattern",
    "registered_time",
    "shift_pattern_names",
]

# China's calendar is domain content (csrules.domain.china) built on the ``holidays``
# package, a fifth of a second to import: it loads when first read.
__getattr__, __dir__ = lazy_module(
    __name__,
    globals(),
    {"csrules.domain.china": ("ChinaYear", "china_adjusted_working_days", "china_calendar", "china_official_years")},
)
