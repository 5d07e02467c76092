"""Named business calendars and shift patterns that policies refer to.

A policy file cannot hold a calendar object, so it names one: ``calendar: china`` in a time
condition, or ``due: {after: 3 business days, since: received_at, calendar: cn-office}`` in an
obligation. The host registers its calendars and shift patterns under those names before it
loads the policies::

    register_calendar("cn-office", china_calendar(hours={"mon-fri": "09:00-18:00"}))
    register_shift_pattern("call-centre", ShiftPattern.on_off(...))

``china`` is built in: China's public holidays and adjusted working days (调休) for every
officially published year, Monday to Friday 09:00-18:00 in ``Asia/Shanghai``
(:func:`csrules.time.china_calendar`), built on first use.

Names are checked when a policy is built; an unknown name is a
:class:`~csrules.exceptions.PolicyError` listing the known ones. A compiled engine keeps the
calendar it was built with, so re-registering a name later does not change running engines.
"""

from __future__ import annotations

import hashlib
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from pydantic import BaseModel

from csrules._time.calendar import BusinessCalendar
from csrules._time.shifts import ShiftPattern
from csrules.exceptions import CalendarError, PolicyError

__all__ = [
    "BUILTIN_CALENDARS",
    "DEFAULT_TIME_ZONE",
    "adopt_named_time",
    "adopt_pinned_calendar",
    "calendar_label",
    "calendar_names",
    "calendar_refs",
    "content_digest",
    "get_calendar",
    "get_shift_pattern",
    "named_time",
    "register_calendar",
    "register_pinned_calendar",
    "register_shift_pattern",
    "registered_time",
    "registry_generation",
    "shift_pattern_names",
]

DEFAULT_TIME_ZONE: Final = "Asia/Shanghai"
"""The zone local clocks and dates are read in when a rule names no ``tz``, calendar or shift
pattern, and a fact names no ``time_zone``: never the offset a value was written with."""

_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


def _china() -> BusinessCalendar:
    from csrules.domain.china import china_calendar

    return china_calendar()


BUILTIN_CALENDARS: Final[Mapping[str, Callable[[], BusinessCalendar]]] = types.MappingProxyType(
    {"china": _china}
)
"""Calendars every process knows, by name, each built on first use."""


_CALENDARS: dict[str, BusinessCalendar | Callable[[], BusinessCalendar]] = dict(BUILTIN_CALENDARS)
_PATTERNS: dict[str, ShiftPattern] = {}
_GENERATION = [0]


def registry_generation() -> int:
    """A number that changes whenever a registered name is given other content (``replace=True``,
    or the end of a :func:`registered_time` block that changed one): what was built from the
    registry before (a pack's engine) may read another calendar or shift pattern now."""
    return _GENERATION[0]


def _check_name(what: str, name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise CalendarError(
            f"a {what} name must start with a letter and hold only letters, digits, '_', '.'"
            f" or '-' (got {name!r})"
        )
    return name


def _put(table: dict[str, Any], what: str, name: str, value: Any, cls: type, replace: bool, built_in: bool) -> None:
    """Store ``value`` under ``name``: same object again is a no-op; a taken name needs ``replace``."""
    _check_name(what, name)
    if not isinstance(value, cls):
        raise TypeError(f"{what} {name!r} must be a {cls.__name__} (got {type(value).__name__})")
    existing = table.get(name)
    if existing is not None and not replace and existing != value:
        note = " (built in)" if built_in else ""
        raise CalendarError(f"{what} {name!r}{note} is already registered; pass replace=True to replace it")
    if existing is not None and existing is not value:
        _GENERATION[0] += 1
    table[name] = value


def register_calendar(
    name: str, calendar: BusinessCalendar, *, replace: bool = False
) -> BusinessCalendar:
    """Register ``calendar`` under ``name`` for policies to refer to; return it.

    >>> register_calendar("cn-office", china_calendar())            # doctest: +SKIP

    Registering the same calendar again is a no-op; another calendar under a taken name
    raises :class:`~csrules.exceptions.CalendarError` (a :class:`ValueError`) unless
    ``replace=True`` (the built-in ``china`` too); so does a name that is not a word.

    .. versionadded:: 0.1
    """
    _put(_CALENDARS, "calendar", name, calendar, BusinessCalendar, replace, name in BUILTIN_CALENDARS)
    return calendar


PIN = "@"
"""Separates a calendar's name from its content digest in a pinned name (never in a user's name)."""


def content_digest(part: BaseModel, length: int) -> str:
    """The first ``length`` hex digits of a SHA-256 of ``part``'s JSON: equal content, equal digest."""
    return hashlib.sha256(part.model_dump_json().encode("utf-8")).hexdigest()[:length]


def _pinned_name(name: str, calendar: BusinessCalendar) -> str:
    return f"{name}{PIN}{content_digest(calendar, 12)}"


def register_pinned_calendar(name: str, calendar: BusinessCalendar) -> str:
    """Register ``calendar`` under ``name@<digest of its content>`` and return that name.

    A pack binds its policies to the pinned name, so two packs that give different calendars
    one name (two versions of a company pack) each keep their own in one process.
    """
    _check_name("calendar", name)
    pinned = _pinned_name(name, calendar)
    _CALENDARS[pinned] = calendar
    return pinned


def adopt_pinned_calendar(pinned: str, calendar: BusinessCalendar) -> None:
    """Register ``calendar`` under the pinned name another process gave it (an unpickled engine).

    The name holds the digest of the content, so the name and the calendar must agree.
    """
    if _pinned_name(calendar_label(pinned), calendar) != pinned:
        raise PolicyError(f"calendar {pinned!r} does not hold the content its name was pinned to")
    _CALENDARS[pinned] = calendar


def calendar_refs(node: Any, key: str = "calendar") -> Iterator[dict[str, Any]]:
    """Every mapping inside ``node`` (a dumped policy: dicts and lists) holding a text ``key``
    (``calendar:``, or ``shifts:`` for shift patterns), outermost first."""
    if isinstance(node, dict):
        if isinstance(node.get(key), str):
            yield node
        children: Iterable[Any] = node.values()
    else:
        children = node if isinstance(node, list) else ()
    for child in children:
        yield from calendar_refs(child, key)


def _named(policies: Iterable[Any], key: str) -> set[str]:
    return {
        ref[key]
        for policy in policies
        for ref in calendar_refs(policy.model_dump(mode="python", exclude_unset=True), key)
    }


def named_time(policies: Iterable[Any]) -> tuple[dict[str, BusinessCalendar], dict[str, ShiftPattern]]:
    """The calendars and shift patterns ``policies`` name (``calendar:`` and ``shifts:`` keys
    inside them), by name: what an engine compiled from them carries to another process."""
    policies = tuple(policies)
    calendars = {name: get_calendar(name) for name in sorted(_named(policies, "calendar"))}
    patterns = {name: get_shift_pattern(name) for name in sorted(_named(policies, "shifts"))}
    return calendars, patterns


def adopt_named_time(calendars: Mapping[str, BusinessCalendar], patterns: Mapping[str, ShiftPattern]) -> None:
    """Register here the calendars and shift patterns an engine was compiled with in another
    process (an unpickled engine). A pinned calendar is adopted under its name; a plain name
    taken here by the same content is kept, one not taken is registered, and one taken by
    other content is refused: the engine would judge by a calendar it was not compiled with."""
    for name, calendar in calendars.items():
        if PIN in name:
            adopt_pinned_calendar(name, calendar)
        else:
            _adopt(_CALENDARS, "calendar", name, calendar, get_calendar)
    for name, pattern in patterns.items():
        _adopt(_PATTERNS, "shift pattern", name, pattern, get_shift_pattern)


def _adopt(table: dict[str, Any], what: str, name: str, value: BaseModel,
           get: Callable[[str], BaseModel]) -> None:
    if name not in table:
        table[name] = value
    elif content_digest(get(name), 64) != content_digest(value, 64):
        raise PolicyError(
            f"the {what} {name!r} registered in this process differs from the one the engine was "
            f"compiled with; register the same {what} here before unpickling the engine"
        )


def calendar_label(name: str) -> str:
    """The name a calendar is shown by: a pinned name without its digest."""
    return name.partition(PIN)[0]


def get_calendar(name: str) -> BusinessCalendar:
    """The calendar registered under ``name``; a :class:`PolicyError` lists the known names.

    >>> get_calendar("china").timezone
    'Asia/Shanghai'

    .. versionadded:: 0.1
    """
    entry = _CALENDARS.get(name)
    if entry is None:
        raise _unknown("calendar", name, calendar_names())
    if not isinstance(entry, BusinessCalendar):
        entry = entry()
        _CALENDARS[name] = entry
    return entry


def calendar_names() -> tuple[str, ...]:
    """Every registered calendar name, sorted.

    .. versionadded:: 0.1
    """
    return tuple(sorted(name for name in _CALENDARS if PIN not in name))


def register_shift_pattern(
    name: str, pattern: ShiftPattern, *, replace: bool = False
) -> ShiftPattern:
    """Register ``pattern`` under ``name`` for ``night_shift`` and ``time_of_day`` conditions.

    Same rules as :func:`register_calendar`.

    .. versionadded:: 0.1
    """
    _put(_PATTERNS, "shift pattern", name, pattern, ShiftPattern, replace, built_in=False)
    return pattern


def get_shift_pattern(name: str) -> ShiftPattern:
    """The shift pattern registered under ``name``; a :class:`PolicyError` lists the known names.

    .. versionadded:: 0.1
    """
    pattern = _PATTERNS.get(name)
    if pattern is None:
        raise _unknown("shift pattern", name, shift_pattern_names())
    return pattern


def shift_pattern_names() -> tuple[str, ...]:
    """Every registered shift pattern name, sorted.

    .. versionadded:: 0.1
    """
    return tuple(sorted(_PATTERNS))


@contextmanager
def registered_time(
    calendars: Mapping[str, BusinessCalendar] | None = None,
    shift_patterns: Mapping[str, ShiftPattern] | None = None,
) -> Iterator[None]:
    """Register calendars and shift patterns for the duration of a ``with`` block (tests).

    >>> with registered_time(calendars={"office": cal}):            # doctest: +SKIP
    ...     policy = loads_policy(text)

    Names taken before the block are replaced inside it and restored after.

    .. versionadded:: 0.1
    """
    saved_calendars = dict(_CALENDARS)
    saved_patterns = dict(_PATTERNS)
    try:
        for name, calendar in (calendars or {}).items():
            register_calendar(name, calendar, replace=True)
        for name, pattern in (shift_patterns or {}).items():
            register_shift_pattern(name, pattern, replace=True)
        yield
    finally:
        # Restore exactly what was there, including registrations made inside the block.
        if any(table.get(name) is not value for table, saved in ((_CALENDARS, saved_calendars),
                                                                 (_PATTERNS, saved_patterns))
               for name, value in saved.items()):
            _GENERATION[0] += 1
        _CALENDARS.clear()
        _CALENDARS.update(saved_calendars)
        _PATTERNS.clear()
        _PATTERNS.update(saved_patterns)


def _unknown(kind: str, name: str, known: tuple[str, ...]) -> PolicyError:
    """The error for a name nothing is registered under, listing the known ones."""
    return PolicyError(
        f"unknown {kind} {name!r} (known: {', '.join(known) or 'none'}); "
        f"register it with csrules.register_{kind.replace(' ', '_')}()"
    )
