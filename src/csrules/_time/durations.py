"""Durations as policies and facts write them: ``"20min"``, ``"24h"``, ``"3 business days"``, ``"PT20M"``.

Two kinds, kept apart on purpose: a :class:`WallDuration` is clock time; a
:class:`BusinessDuration` counts working days or working hours and only means something
together with a business calendar. Clock time added to an instant follows RFC 5545 and
ISO 8601: days and weeks are *nominal* (a day is a calendar day: the same wall-clock time the
next date, 23 or 25 hours across a clock change), hours, minutes and seconds are *exact*
(``24h`` is 24 real hours, as 超過24小時 says); see :mod:`csrules._time.nominal`.

Policies (:data:`DurationField`) and facts (:data:`ClockDurationField`, a fact's
``timedelta``) read the same text forms, so ``"3m"`` in a fact means what it means in a
policy. One reading of ``m``: minutes, always (``"3m"`` = ``"3min"`` = ``"PT3M"``). ISO 8601
months and years (``"P3M"``, ``"P1Y"``) have no fixed length and are refused, like
``"3 months"``. A fact's duration is clock time, so business durations are refused there.
A duration written in one unit (``"24h"``, ``"PT24H"``) is shown in that unit ("24 hours",
as 超過24小時 says), never converted to a larger one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from csrules._lang import Lang
from csrules.exceptions import DurationError

__all__ = [
    "ACCEPTED_FORMS",
    "BusinessDuration",
    "ClockDurationField",
    "Duration",
    "DurationField",
    "WallDuration",
    "parse_clock_duration",
    "parse_duration",
    "split_days",
]

CLOCK_FORMS = '"20min" (or "20m"), "90s", "24h", "3d", "1 week", "2 weeks 3 days", ISO 8601 such as "PT20M" or "P3D"'
"""The clock-time duration forms policies and facts accept (a fact's duration is clock time)."""

ACCEPTED_FORMS = CLOCK_FORMS.replace(", ISO", ', "3 business days", "2 working hours", ISO')
"""The duration forms policies accept, business time included, as errors and schemas list them."""

_NOT_ACCEPTED = '"m" is minutes; months and years have no fixed length and are not accepted'

_WALL_UNITS: dict[str, timedelta] = {}
for _names, _delta in (
    (("s", "sec", "secs", "second", "seconds"), timedelta(seconds=1)),
    (("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    (("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    (("d", "day", "days"), timedelta(days=1)),
    (("w", "wk", "week", "weeks"), timedelta(weeks=1)),
):
    for _name in _names:
        _WALL_UNITS[_name] = _delta

_BUSINESS_UNITS: dict[str, Literal["days", "hours"]] = {
    "day": "days",
    "days": "days",
    "hour": "hours",
    "hours": "hours",
}

MAX_DURATION = timedelta(days=36_500)
"""Longest duration a policy may give (100 years of 365 days): any later instant is nonsense,
and a longer one would overflow date arithmetic when a rule runs."""

_NUMBER = r"(\d+(?:\.\d+)?)"
_WALL_PART = re.compile(rf"\s*{_NUMBER}\s*([a-z]+)\s*")
_BUSINESS = re.compile(rf"^\s*{_NUMBER}\s+(?:business|working)\s+([a-z]+)\s*$")
_ISO_NUMBER = r"\d+(?:[.,]\d+)?"  # ISO 8601 writes a fraction with a full stop or a comma ("PT1,5H")
_ISO = re.compile(
    rf"^P(?:(?P<w>{_ISO_NUMBER})W)?(?:(?P<d>{_ISO_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<h>{_ISO_NUMBER})H)?(?:(?P<m>{_ISO_NUMBER})M)?(?:(?P<s>{_ISO_NUMBER})S)?)?$"
)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class WallDuration:
    """A span of clock time, such as ``24h``.

    .. versionadded:: 0.1
    """

    delta: timedelta
    unit: timedelta | None = field(default=None, compare=False, repr=False)
    """The one unit the text was written in (``24h`` and ``PT24H``: an hour), kept for documents;
    not part of the value (``24h`` equals ``1d``). A policy is written back (and so its content
    hashed) in this unit: ``24h`` and ``PT24H`` read "24 hours" alike and hash alike, while
    ``24h`` and ``1d`` read differently to a reviewer and hash differently."""

    def __post_init__(self) -> None:
        if self.delta < timedelta(0):
            raise DurationError(f"a duration cannot be negative (got {self.delta})", text=None)

    def __str__(self) -> str:
        days, rest = split_days(self)
        if days and rest:  # "1d12h" stays a day on the wall and 12 hours ("36h" would be elapsed time)
            return format_timedelta(timedelta(days=days)) + format_timedelta(rest)
        return format_timedelta(self.delta, largest=self.unit)

    def describe(self, lang: Lang = "en") -> str:
        """The duration in words for documents (``1 day``, ``1天``), in the unit it was written
        in where that is one unit (``24h``: ``24 hours``, ``24小时``, as 超過24小時 says); days
        and the rest apart (``1 day 12 hours``), as they are counted apart."""
        days, rest = split_days(self)
        if days and rest:
            words = (describe_timedelta(timedelta(days=days), lang), describe_timedelta(rest, lang))
            return "".join(words) if lang == "zh" else " ".join(words)
        return describe_timedelta(self.delta, lang, largest=self.unit)


@dataclass(frozen=True, slots=True)
class BusinessDuration:
    """A number of working days or working hours, counted in a business calendar.

    .. versionadded:: 0.1
    """

    amount: float
    unit: Literal["days", "hours"]

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise DurationError(f"a duration cannot be negative (got {self.amount})", text=None)

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        unit = self.unit if amount != 1 else self.unit[:-1]
        return f"{amount} business {unit}"

    def describe(self, lang: Lang = "en") -> str:
        """The duration in words for documents (``3 business days``, ``3个工作日``)."""
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        if lang == "zh":
            return f"{amount}个工作日" if self.unit == "days" else f"{amount}个工作小时"
        return str(self)


Duration = WallDuration | BusinessDuration
"""Either kind of duration."""

_DAY = timedelta(days=1)


def split_days(duration: WallDuration | timedelta) -> tuple[int, timedelta]:
    """``duration`` as (whole days counted on the wall clock, the elapsed rest): a duration
    written in hours, minutes or seconds alone is all elapsed time; any other (days, weeks,
    mixed, or a ``timedelta`` given in Python) counts its whole days on the wall clock (see
    :mod:`csrules._time.nominal`).

    >>> split_days(parse_duration("1d12h")), split_days(parse_duration("36h"))
    ((1, datetime.timedelta(seconds=43200)), (0, datetime.timedelta(days=1, seconds=43200)))
    """
    if isinstance(duration, timedelta):
        delta, unit = duration, None
    else:
        delta, unit = duration.delta, duration.unit
    if unit is not None and unit < _DAY:  # written in hours, minutes or seconds alone: elapsed
        return 0, delta
    return delta // _DAY, delta % _DAY


def parse_duration(text: str | timedelta | Duration) -> Duration:
    """Parse a duration as policies write it.

    >>> parse_duration("24h")
    WallDuration(delta=datetime.timedelta(days=1))
    >>> parse_duration("3 business days")
    BusinessDuration(amount=3.0, unit='days')

    A string no form accepts raises :class:`~csrules.exceptions.DurationError` quoting it
    and listing the accepted forms.
    """
    return _parse_duration(text, ACCEPTED_FORMS)


def _parse_duration(text: str | timedelta | Duration, forms: str) -> Duration:
    """:func:`parse_duration`, listing ``forms`` when the text is unreadable."""
    if isinstance(text, WallDuration | BusinessDuration):
        return _within_limit(text, text)
    if isinstance(text, timedelta):
        return _within_limit(WallDuration(text), text)
    if not isinstance(text, str):
        raise DurationError(
            f'a duration must be a string such as "24h" (got {type(text).__name__} {text!r})',
            text=None,
        )
    try:
        parsed = _parse_text(text)
    except OverflowError:  # a number too big for a timedelta
        parsed = WallDuration(timedelta.max)
    if parsed is None:
        raise DurationError(
            f"cannot read {text!r} as a duration; accepted forms: {forms} ({_NOT_ACCEPTED})",
            text=text,
        )
    return _within_limit(parsed, text)


def parse_clock_duration(value: str | timedelta) -> timedelta:
    """A fact's duration: a ``timedelta``, or text in any clock form :func:`parse_duration` reads.

    >>> parse_clock_duration("3m")
    datetime.timedelta(seconds=180)

    A ``timedelta`` is returned as given (its model judges its sign). Anything else that
    is not text, and business durations, raise :class:`~csrules.exceptions.DurationError`.
    """
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise DurationError(
            f"a duration is text such as \"3min\" or \"PT3M\" (got {type(value).__name__} {value!r}); "
            f"accepted forms: {CLOCK_FORMS}",
            text=None,
        )
    parsed = _parse_duration(value, CLOCK_FORMS)
    if isinstance(parsed, BusinessDuration):
        raise DurationError(
            f"{value!r} counts working time, which needs a business calendar; a fact's duration is "
            'clock time such as "3d" or "PT72H"',
            text=value,
        )
    return parsed.delta


def _within_limit(duration: Duration, given: object) -> Duration:
    """``duration``, unless it is longer than :data:`MAX_DURATION` (business time too)."""
    if isinstance(duration, WallDuration):
        length = duration.delta.total_seconds()
    else:
        length = duration.amount * (86400 if duration.unit == "days" else 3600)
    if not length <= MAX_DURATION.total_seconds():  # also refuses a NaN amount
        shown = str(given)
        shown = repr(shown) if len(shown) <= 40 else repr(shown[:37] + "...")
        raise DurationError(
            f"cannot use {shown} as a duration: it is longer than the limit of "
            f"{describe_timedelta(MAX_DURATION)}",
            text=given if isinstance(given, str) else None,
        )
    return duration


def _parse_text(text: str) -> Duration | None:
    lowered = text.strip().lower()
    business = _BUSINESS.match(lowered)
    if business:
        unit = _BUSINESS_UNITS.get(business.group(2))
        if unit is not None:
            return BusinessDuration(float(business.group(1)), unit)
    iso = _ISO.match(text.strip().upper())
    if iso and any(iso.groupdict().values()):
        parts = {key: number for key, number in iso.groupdict().items() if number}
        iso_total = sum((_exact(number, _WALL_UNITS[key], text) for key, number in parts.items()), timedelta(0))
        # one part: the unit it is written in (PT24H reads 24 hours, as 24h does)
        return WallDuration(iso_total, _WALL_UNITS[parts.popitem()[0]] if len(parts) == 1 else None)
    single = _WALL_PART.fullmatch(lowered)
    written = _WALL_UNITS.get(single.group(2)) if single else None  # one part: the unit it is written in
    total = _parse_wall_parts(lowered, text)
    return None if total is None else WallDuration(total, written)


def _exact(number: str, unit: timedelta, text: str) -> timedelta:
    """``number`` (decimal text) times ``unit``, exactly: a float would round ``1.000000001s``
    to 1 s without a word; a length finer than a microsecond, the finest a duration keeps,
    is refused quoting ``text``."""
    microseconds = Fraction(number.replace(",", ".")) * (unit // _MICROSECOND)
    if microseconds.denominator != 1:
        raise DurationError(f"cannot read {text!r} as a duration: it is not a whole number of microseconds "
                            "(a duration keeps microseconds, nothing finer)", text=text)
    return timedelta(microseconds=int(microseconds))


def _parse_wall_parts(text: str, given: str) -> timedelta | None:
    """``"1 week 2 days"`` (lower case) -> timedelta, or None when any part is not a known
    unit. A unit given twice (``"1d 1d"``, ``"20min 5m"``) is a typo, not a sum:
    DurationError quotes it as ``given``."""
    position, total, seen = 0, timedelta(0), set[timedelta]()
    while position < len(text):
        match = _WALL_PART.match(text, position)
        if not match or match.group(2) not in _WALL_UNITS:
            return None
        unit = _WALL_UNITS[match.group(2)]
        if unit in seen:
            raise DurationError(
                f"cannot read {given!r} as a duration: it gives the unit {match.group(2)!r} twice;"
                ' write each unit once ("1h 30min")',
                text=given,
            )
        seen.add(unit)
        total += _exact(match.group(1), unit, given)
        position = match.end()
    return total if seen else None


def format_timedelta(delta: timedelta, *, largest: timedelta | None = None) -> str:
    """The shortest round-trippable spelling of ``delta`` (``"1d"``, ``"20min"``, ``"90s"``);
    with ``largest`` (an hour) no larger unit is used: ``"24h"``."""
    seconds = delta.total_seconds()
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("min", 60)):
        if largest is not None and size > largest.total_seconds():
            continue
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds}s"


_WORDS = {
    "en": (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)),
    "zh": (("周", 604800), ("天", 86400), ("小时", 3600), ("分钟", 60), ("秒", 1)),
}


def describe_timedelta(delta: timedelta, lang: Lang = "en", *, largest: timedelta | None = None) -> str:
    """``timedelta(days=1)`` -> ``"1 day"`` / ``"1天"`` for generated documents; with
    ``largest`` (an hour) no larger unit is used: ``"24 hours"``."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0 seconds" if lang == "en" else "0秒"
    for word, size in _WORDS[lang]:
        if largest is not None and size > largest.total_seconds():
            continue
        if seconds % size == 0:
            count = seconds // size
            if lang == "zh":
                return f"{count}{word}"
            return f"{count} {word}" + ("s" if count != 1 else "")
    return f"{seconds} seconds"


def _validate_duration(value: Any) -> Duration:
    try:
        return parse_duration(value)
    except DurationError as exc:
        # pydantic turns ValueError into a located validation error; keep our message.
        raise ValueError(str(exc)) from None


def _validate_clock_duration(value: Any) -> timedelta:
    try:
        return parse_clock_duration(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


ClockDurationField = Annotated[timedelta, BeforeValidator(_validate_clock_duration)]
"""A pydantic field type for a fact's duration: a ``timedelta`` read from the policy forms."""

DurationField = Annotated[
    Duration,
    BeforeValidator(_validate_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "description": f"A duration: {ACCEPTED_FORMS}"}),
]
"""A pydantic field type that reads and writes durations as strings."""
