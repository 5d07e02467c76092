"""Boundary probes for the time condition kinds of :mod:`csrules._policy.kinds.time`.

Each deriver places facts one second before, at and one second after the instant where its
condition flips: a notice of exactly the duration (business time counted with the named
calendar), 11:59:59 and 12:00:00 on the related date, the edges of a daily window (also
across midnight), the first and last second of a holiday next to a working day, opening and
closing times, the start and end of a night shift, and the due time of a recurrence.

Two styles, as in :mod:`csrules._testing.boundaries.core`:

* *relative* probes move one field against another the fact already holds (the notice's
  ``until`` against ``since``, the time of day against ``day_of``, the window edges on the
  instant's own date), so every drawn date gets its boundary;
* *fixed* probes (calendars, shift patterns, recurrences without a ``period_start``) are
  instants worked out when the probes are derived, near ``now`` or else near the start of the
  generated range, because whether a condition holds there depends on the calendar itself.

Either way each probe says whether the condition then holds. Imported at the bottom of
:mod:`csrules._testing.boundaries.core`, which registers these derivers on import.
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from csrules._policy.kinds.time import (
    ClockRef,
    InWorkingHours,
    NightShift,
    Notice,
    OnDayOff,
    OnHoliday,
    OutsideWorkingHours,
    Recurring,
    TimeOfDay,
    WithinHours,
    _at,
    _RecurringTest,
    _TimeOfDayTest,
    _zone,
)
from csrules._testing.boundaries.core import (
    OPS,
    SIDES,
    BoundaryContext,
    Filler,
    Probe,
    Setter,
    _missing,
    _set,
    _shift,
    _show,
    clock_span_probes,
    register_boundaries,
)
from csrules._time.calendar import BusinessCalendar
from csrules._time.clock import in_daily_window, parse_clock, window_micros
from csrules._time.durations import BusinessDuration, WallDuration
from csrules._time.registry import calendar_label, get_calendar, get_shift_pattern
from csrules._time.shifts import ShiftOccurrence, ShiftPattern
from csrules.exceptions import CalendarError, TimeError

__all__: list[str] = []

_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
_MAX_BLOCKS = 2  # holiday blocks probed per day condition
_MAX_SPANS = 4  # working spans probed per hours condition
_MAX_SHIFTS = 1  # night shifts probed per night_shift condition
_SEARCH_DAYS = 400  # how far fixed probes look for a working day, a weekend, a night shift
_FAILED = (CalendarError, TimeError, OverflowError)  # the engine records these as the rule's error


# --------------------------------------------------------------------------- instants


def _plus(instant: datetime, delta: timedelta) -> datetime:
    """``instant + delta`` in real time (not wall time), shown in the instant's own zone."""
    return (instant.astimezone(UTC) + delta).astimezone(instant.tzinfo)


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of local date ``day`` in ``zone`` (after the jump if midnight is skipped)."""
    return _at(day, time(0), zone).astimezone(zone)


def _day_end(day: date, zone: tzinfo) -> datetime:
    """The last whole second of local date ``day`` in ``zone``."""
    return _plus(_day_start(day + _DAY, zone), -_SECOND)


def _local(day: date, clock: time, zone: tzinfo) -> datetime | None:
    """An instant reading ``clock`` in ``zone`` on ``day``, else on one of the next days (a
    clock time skipped by a daylight-saving jump exists the day after)."""
    for ahead in range(3):
        instant = _at(day + ahead * _DAY, clock, zone).astimezone(zone)
        if instant.time() == clock:
            return instant
    return None


def _reference(ctx: BoundaryContext, zone: tzinfo) -> date:
    """Where fixed probes are placed: the local date of ``now`` when given, else the first
    date facts are generated in (for a dated version, its first day there).

    A dated version's facts lie in its days, so a ``now`` outside them is moved to the
    nearest of them: a probe placed near ``now`` beyond the version's last day is one no fact
    for that version can hold (its own time is before then), and drawing for it only fails.
    """
    return ctx.first_day if ctx.now is None else ctx.nearest_day(ctx.now.astimezone(zone).date())


def _clock_label(ref: ClockRef, fixed: time | None, sign: int, shown: str) -> str:
    """``11:59:59`` for a fixed clock moved by ``sign`` seconds, else ``field - 1s``."""
    if fixed is not None:
        return _show(_shift(fixed, sign * _SECOND))
    return f"{ref.field}{shown}"


# --------------------------------------------------------------------------- notice


def _notice(cond: Notice, ctx: BoundaryContext) -> list[Probe]:
    """``until`` exactly the duration after ``since``, and one second either side.

    A clock duration is placed as for ``elapsed`` (whole days on the wall clock); a business one is reached at
    ``calendar.add(since, duration)``. Measured until ``now``, ``since`` is placed instead:
    for a business duration at the latest second whose deadline is not after ``now``.
    """
    duration = cond.duration if cond.param is None else ctx.params[cond.param]
    if cond.until is None and ctx.now is None:
        raise TimeError(f"notice since {cond.since} until now: boundary facts need now=")
    probes = _missing(ctx, cond.since, cond.until)
    if isinstance(duration, WallDuration):
        return probes + clock_span_probes(cond, duration)
    if not isinstance(duration, BusinessDuration) or cond.calendar is None:
        return probes  # refused when the policy was built
    calendar = get_calendar(cond.calendar)
    if cond.until is not None:
        for sign, shown in SIDES:
            label = f"{cond.until} = {cond.since} + {duration} ({calendar_label(cond.calendar)}){shown}"
            setter = _business_until(cond.since, cond.until, calendar, duration, sign)
            probes.append(Probe(label, setter, OPS[cond.op](sign, 0)))
        return probes
    assert ctx.now is not None
    latest = _latest_start(calendar, duration, ctx.now)
    if latest is None:
        return probes
    for sign, shown in SIDES:
        since = _plus(latest, sign * _SECOND)
        if ctx.valid(cond.since, since):
            holds = OPS[cond.op](ctx.now, calendar.add(since, duration))
            label = f"{cond.since} = {_show(since)} ({duration} before now{shown})"
            probes.append(Probe(label, _set(cond.since, since), holds))
    return probes


def _business_until(
    since: str, until: str, calendar: BusinessCalendar, duration: BusinessDuration, sign: int
) -> Setter:
    def apply(f: Filler) -> None:
        try:
            reached = calendar.add(f.get(since), duration)
        except _FAILED:
            return  # the engine fails on this fact too, and says so
        f.set(until, _plus(reached, sign * _SECOND))

    return apply


def _latest_start(calendar: BusinessCalendar, duration: BusinessDuration, now: datetime) -> datetime | None:
    """The latest whole second ``s`` with ``calendar.add(s, duration) <= now``, if one is near.

    ``add`` never runs backwards and never returns an instant before its start, so the
    second after ``now`` is too late and a bisection finds the last start in time.
    """

    def in_time(start: datetime) -> bool:
        return calendar.add(start, duration) <= now

    try:
        high = now.astimezone(UTC).replace(microsecond=0) + _SECOND
        width = _DAY
        low = high - width
        while not in_time(low):
            width *= 2
            if width > timedelta(days=4000):
                return None
            low = high - width
        while high - low > _SECOND:
            middle = low + ((high - low) // _SECOND // 2) * _SECOND
            if in_time(middle):
                low = middle
            else:
                high = middle
    except _FAILED:
        return None
    return low.astimezone(calendar.zone)


# --------------------------------------------------------------------------- time of day


def _time_of_day(cond: TimeOfDay, ctx: BoundaryContext) -> list[Probe]:
    """The instant one second before, at and one second after the clock time on the related
    date (the date of ``day_of``, its shift date with ``shifts``, moved by ``days`` or
    ``working_days``), read in the condition's zone."""
    probes = _missing(ctx, cond.path, cond.day_of, cond.time.field, cond.agent)
    test = _TimeOfDayTest(cond)
    fixed = cond.time.fixed(ctx.params)
    moved = cond.days or cond.working_days
    base = f"the {'shift ' if cond.shifts else ''}date of {cond.day_of or cond.path}"
    if cond.days:
        base += f" {cond.days:+d} days"
    elif cond.working_days:
        base += f" {cond.working_days:+d} working days"
    for sign, shown in SIDES:
        holds: bool | None = OPS[cond.op](sign, 0)
        if cond.day_of is None:
            # The instant picks its own date: the cutoff moves with it.
            if fixed is not None and _wraps(fixed, sign):
                continue
            if moved:
                holds = OPS[cond.op](-1 if moved > 0 else 1, 0)
            if cond.shifts is not None:
                holds = None  # moving the instant may move it into another shift
        label = f"{cond.path} = {_clock_label(cond.time, fixed, sign, shown)} on {base}"
        probes.append(Probe(label, _cutoff_setter(cond, ctx, test, fixed, sign), holds))
    return probes


def _wraps(clock: time, sign: int) -> bool:
    """Whether moving ``clock`` by ``sign`` seconds crosses midnight."""
    return (sign < 0 and clock == time(0)) or (sign > 0 and clock >= time(23, 59, 59))


def _cutoff_setter(
    cond: TimeOfDay, ctx: BoundaryContext, test: _TimeOfDayTest, fixed: time | None, sign: int
) -> Setter:
    def apply(f: Filler) -> None:
        instant = f.get(cond.path)
        on = instant if cond.day_of is None else f.get(cond.day_of)
        clock = _clock_of(f, cond.time, fixed)
        if cond.time.field is not None and cond.day_of is None and _wraps(clock, sign):
            clock = time(12)  # keep the instant on its own date
            f.set(cond.time.field, clock)
        agent = None if cond.agent is None else _known_agent(f, ctx, cond.agent, test.pattern)
        try:
            cutoff = test.cutoff(on, clock, agent)
        except _FAILED:
            return
        f.set(cond.path, _plus(cutoff, sign * _SECOND).astimezone(instant.tzinfo or UTC))

    return apply


def _agent_value(ctx: BoundaryContext, path: str, pattern: ShiftPattern) -> Any:
    """An agent the pattern knows, as the field at ``path`` can hold it (None: none fits)."""
    names = sorted(pattern.agents)
    candidates: list[Any] = names if ctx.field(path).kind == "text" else [int(n) for n in names if n.isdigit()]
    return next((value for value in candidates if ctx.valid(path, value)), None)


def _known_agent(f: Filler, ctx: BoundaryContext, path: str, pattern: ShiftPattern | None) -> Any:
    """The fact's agent, replaced by one the pattern knows when it is unknown to it."""
    value = f.get(path)
    if pattern is None or (not isinstance(value, bool) and str(value) in pattern.agents):
        return value
    known = _agent_value(ctx, path, pattern)
    if known is None:
        return value
    f.set(path, known)
    return known


# --------------------------------------------------------------------------- daily windows


def _within_hours(cond: WithinHours, ctx: BoundaryContext) -> list[Probe]:
    """Local times one second before, at and after the window's start and end, on the
    instant's own date (a window crossing midnight is probed at both of its edges).

    When an edge is a field, a window that is empty or nearly a whole day is widened to an
    hour first, so that each probe's side of the window is known.
    """
    probes = _missing(ctx, cond.path, cond.start.field, cond.end.field)
    start, end = cond.start.fixed(ctx.params), cond.end.fixed(ctx.params)
    zone = _zone(cond.tz, cond.calendar)
    for edge, ref in (("start", cond.start), ("end", cond.end)):
        fixed = start if edge == "start" else end
        for sign, shown in SIDES:
            if start is not None and end is not None:
                assert fixed is not None
                holds = in_daily_window(_shift(fixed, sign * _SECOND), start, end)
            else:
                holds = sign >= 0 if edge == "start" else sign < 0
            label = f"{cond.path} local time = {_clock_label(ref, fixed, sign, shown)} (window {edge})"
            probes.append(Probe(label, _window_setter(cond, zone, start, end, edge, sign), holds))
    return probes


def _clock_of(f: Filler, ref: ClockRef, fixed: time | None) -> time:
    """The clock time of ``ref`` in the fact being drawn (a fixed one as given)."""
    if fixed is not None:
        return fixed
    assert ref.field is not None
    return parse_clock(f.get(ref.field))


def _window_setter(
    cond: WithinHours, zone: tzinfo, start: time | None, end: time | None, edge: str, sign: int
) -> Setter:
    def apply(f: Filler) -> None:
        low = _clock_of(f, cond.start, start)
        high = _clock_of(f, cond.end, end)
        if (start is None or end is None) and not 2 <= window_micros(low, high) // 1_000_000 <= 86_398:
            if cond.end.field is not None:
                high = _shift(low, timedelta(hours=1))
                f.set(cond.end.field, high)
            else:
                assert cond.start.field is not None
                low = _shift(high, -timedelta(hours=1))
                f.set(cond.start.field, low)
        clock = _shift(low if edge == "start" else high, sign * _SECOND)
        instant = f.get(cond.path)
        placed = _local(instant.astimezone(zone).date(), clock, zone)
        if placed is not None:
            f.set(cond.path, placed)

    return apply


# --------------------------------------------------------------------------- days and hours


Meets = Callable[[date, date], bool]
"""Whether a run of days (first, last) meets the days probes are placed in."""


def _anywhere(first: date, last: date) -> bool:
    return True


def _holiday_blocks(
    calendar: BusinessCalendar, near: date, count: int, meets: Meets = _anywhere
) -> list[tuple[date, date]]:
    """The ``count`` runs of consecutive holidays nearest to ``near`` that ``meets`` keeps,
    nearest first (a break's weekend days, which the calendar counts as holidays, widen the
    run of listed holidays they join)."""
    runs = (block for block in _holiday_runs(calendar) if meets(*block))
    return heapq.nsmallest(count, runs, key=lambda block: (abs((block[0] - near).days), block[0]))


_RUNS: dict[int, tuple[BusinessCalendar, tuple[tuple[date, date], ...]]] = {}
"""The holiday runs of recent calendars by identity (a calendar is frozen; the entry holds
the calendar, so its id is never reused while the entry lives)."""
_RUNS_KEPT = 16


def _holiday_runs(calendar: BusinessCalendar) -> tuple[tuple[date, date], ...]:
    """Runs of consecutive holidays of ``calendar`` in date order, worked out once per calendar."""
    hit = _RUNS.get(id(calendar))
    if hit is not None and hit[0] is calendar:
        return hit[1]
    blocks: list[tuple[date, date]] = []
    for day in sorted(d for d in calendar.holidays if _covered(calendar, d)):
        if blocks and day - blocks[-1][1] <= _DAY:
            blocks[-1] = (blocks[-1][0], max(day, blocks[-1][1]))
            continue
        first = last = day
        while _covered(calendar, first - _DAY) and calendar.is_holiday(first - _DAY):
            first -= _DAY
        while _covered(calendar, last + _DAY) and calendar.is_holiday(last + _DAY):
            last += _DAY
        if blocks and first - blocks[-1][1] <= _DAY:
            blocks[-1] = (blocks[-1][0], max(last, blocks[-1][1]))
        else:
            blocks.append((first, last))
    if len(_RUNS) >= _RUNS_KEPT:
        _RUNS.clear()  # calendars made on the fly (tests, explorers): keep the table small
    runs = tuple(blocks)
    _RUNS[id(calendar)] = (calendar, runs)
    return runs


def _covered(calendar: BusinessCalendar, day: date) -> bool:
    """Whether ``calendar`` can answer for ``day`` (it holds the holidays of its year)."""
    years = calendar.holiday_years
    return years is None or day.year in years


def _days_from(calendar: BusinessCalendar, start: date, step: timedelta = _DAY) -> Iterator[date]:
    """The dates from ``start`` on (back, for a negative ``step``) for a year or so, ending where
    the calendar's holiday lists end."""
    for count in range(_SEARCH_DAYS):
        day = start + count * step
        if not _covered(calendar, day):
            return
        yield day


def _first_day(calendar: BusinessCalendar, start: date, test: Callable[[date], bool]) -> date | None:
    """The first date from ``start`` on that passes ``test`` (None: none within a year or so,
    or none before the calendar's holiday lists end)."""
    return next((day for day in _days_from(calendar, start) if test(day)), None)


def _after_weekend(calendar: BusinessCalendar, near: date, meets: Meets) -> date | None:
    """The working day after the first weekend from ``near`` on whose last day ``meets``
    keeps; failing that (a dated version ending before it), after the last such weekend
    before ``near``."""
    for step in (_DAY, -_DAY):
        for day in _days_from(calendar, near, step):
            if calendar.is_working_day(day) or calendar.is_holiday(day):
                continue
            try:
                back = calendar.add_working_days(day, 1)
            except _FAILED:  # no working day within the calendar's reach
                return None
            if meets(back - _DAY, back - _DAY):
                return back
    return None


def _days_near(calendar: BusinessCalendar, near: date, meets: Meets = _anywhere) -> list[tuple[date, str, str]]:
    """Days to probe near ``near``: each with the second of it to use (``start``/``end``) and
    what it is; only days the calendar can answer for, and holiday runs and days worked in
    exchange that ``meets`` keeps (a dated version's days)."""
    chosen: list[tuple[date, str, str]] = []
    for first, last in _holiday_blocks(calendar, near, _MAX_BLOCKS, meets):
        chosen += [
            (first - _DAY, "end", "day before a holiday"),
            (first, "start", "first day of a holiday"),
            (last, "end", "last day of a holiday"),
            (last + _DAY, "start", "day after a holiday"),
        ]
        with contextlib.suppress(*_FAILED):  # no working day within the calendar's reach
            before = calendar.add_working_days(first, -1)
            if before != first - _DAY:
                chosen.append((before, "end", "working day before a holiday"))
        with contextlib.suppress(*_FAILED):
            after = calendar.add_working_days(last, 1)
            if after != last + _DAY:
                chosen.append((after, "start", "working day after a holiday"))
    back = _after_weekend(calendar, near, meets)
    if back is not None:
        chosen += [(back - _DAY, "end", "last day of a weekend"), (back, "start", "working day after a weekend")]
    exchanged = (day for day in calendar.adjusted_working_days if meets(day, day))
    worked = heapq.nsmallest(1, exchanged, key=lambda d: (abs((d - near).days), d))
    chosen += [(day, "start", "a day off worked in exchange") for day in worked]
    return [entry for entry in chosen if _covered(calendar, entry[0])]


def _day_kind(cond: OnHoliday | OnDayOff, ctx: BoundaryContext) -> list[Probe]:
    """The first and last day of the holidays nearest the reference date with the days next
    to them and the nearest working days; also the end of a weekend with the working day
    after it, and a weekend day worked in exchange (调休). For an instant field, the last
    second of a day before the boundary and the first second of a day after it, in the
    calendar's zone.
    """
    calendar = get_calendar(cond.calendar)
    day_off = isinstance(cond, OnDayOff)
    zone = calendar.zone
    near = _reference(ctx, zone)
    calendar.is_holiday(near)  # a reference date the calendar does not hold raises, naming the year
    chosen = _days_near(calendar, near, ctx.meets_days)
    is_date = ctx.field(cond.path).kind == "date"
    probes = _missing(ctx, cond.path)
    seen: set[date] = set()
    for day, second, what in chosen:
        if day in seen:
            continue
        seen.add(day)
        value: date = day if is_date else (_day_start(day, zone) if second == "start" else _day_end(day, zone))
        if ctx.valid(cond.path, value):
            holds = not calendar.is_working_day(day) if day_off else calendar.is_holiday(day)
            probes.append(Probe(f"{cond.path} = {_show(value)} ({what})", _set(cond.path, value), holds))
    return probes


def _working_hours(cond: InWorkingHours | OutsideWorkingHours, ctx: BoundaryContext) -> list[Probe]:
    """Each opening and closing instant of the first working day from the reference date, one
    second either side, and the opening time on the nearest holiday (closed)."""
    calendar = get_calendar(cond.calendar)
    inside = isinstance(cond, InWorkingHours)
    zone = calendar.zone
    near = _reference(ctx, zone)
    calendar.is_holiday(near)  # a reference date the calendar does not hold raises, naming the year
    probes = _missing(ctx, cond.path)
    day = _first_day(calendar, near, calendar.is_working_day)
    if day is None:
        return probes
    spans = calendar.working_hours(day)
    points: list[tuple[datetime, str]] = []
    for opens, closes in spans[:_MAX_SPANS]:
        for edge, name in ((opens, "opening"), (closes, "closing")):
            points += [(_plus(edge, sign * _SECOND), name + shown) for sign, shown in SIDES]
    blocks = _holiday_blocks(calendar, near, 1, ctx.meets_days)
    if blocks:
        opening = _local(blocks[0][0], spans[0][0].time(), zone)
        if opening is not None and opening.date() == blocks[0][0]:
            points.append((opening, "opening time on a holiday"))
    for instant, what in points:
        if ctx.valid(cond.path, instant):
            holds = calendar.is_working_time(instant) is inside
            probes.append(Probe(f"{cond.path} = {_show(instant)} ({what})", _set(cond.path, instant), holds))
    return probes


# --------------------------------------------------------------------------- shifts


def _night_shifts(pattern: ShiftPattern, agent: Any, near: date) -> list[ShiftOccurrence]:
    """The first night shifts ``agent`` starts from local date ``near`` on."""
    found: list[ShiftOccurrence] = []
    after = _plus(_day_start(near, pattern.zone), -_SECOND)
    for _ in range(_SEARCH_DAYS):
        occurrence = pattern.next_shift(after, agent)
        if occurrence.night:
            found.append(occurrence)
            if len(found) == _MAX_SHIFTS:
                break
        after = occurrence.start
    return found


def _night_shift(cond: NightShift, ctx: BoundaryContext) -> list[Probe]:
    """The start and end of the first night shifts from the reference date, one second
    either side (for a named agent the pattern knows when the condition reads one)."""
    pattern = get_shift_pattern(cond.shifts)
    probes = _missing(ctx, cond.path, cond.agent)
    agent: Any = None
    if cond.agent is not None:
        agent = _agent_value(ctx, cond.agent, pattern)
        if agent is None:
            return probes
    offset = pattern.agent_offset(agent)
    try:
        shifts = _night_shifts(pattern, offset, _reference(ctx, pattern.zone))
    except _FAILED:
        return probes
    for occurrence in shifts:
        for edge, name in ((occurrence.start, "start"), (occurrence.end, "end")):
            for sign, shown in SIDES:
                instant = _plus(edge, sign * _SECOND)
                if ctx.valid(cond.path, instant):
                    label = f"{cond.path} = {_show(instant)} (night shift {name}{shown})"
                    setter = _with_agent(_set(cond.path, instant), cond.agent, agent)
                    probes.append(Probe(label, setter, pattern.is_night_shift(instant, offset)))
    return probes


def _with_agent(setter: Setter, path: str | None, agent: Any) -> Setter:
    if path is None:
        return setter

    def apply(f: Filler) -> None:
        f.set(path, agent)
        setter(f)

    return apply


# --------------------------------------------------------------------------- recurring dates


def _recurring(cond: Recurring, ctx: BoundaryContext) -> list[Probe]:
    """The due date's first and last second and the days either side (``==``, ``!=``), or
    the due time one second either side (and, for a due time at the end of the day, its
    last whole second and the next midnight).

    With ``period_start`` the due date follows that field of each fact; without, the first
    due date on or after the reference date is probed.
    """
    probes = _missing(ctx, cond.path, cond.period_start)
    test = _RecurringTest(cond)
    if cond.period_start is not None:
        for moved, label in _due_points(test):
            holds = OPS[cond.op](moved[0], 0)
            probes.append(Probe(f"{cond.path} = {label}", _due_setter(cond, test, moved), holds))
        return probes
    zone = test.zone
    try:
        due = test.due_date(_reference(ctx, zone))
    except _FAILED:
        return probes
    for moved, label in _due_points(test):
        point = _due_instant(test, due, moved, zone)
        if ctx.valid(cond.path, point):
            holds = test(point, point)
            probes.append(Probe(f"{cond.path} = {_show(point)} ({label})", _set(cond.path, point), holds))
    return probes


_Moved = tuple[int, int, timedelta]  # (side: -1/0/1, days from the due date, time from the due time)


def _due_points(test: _RecurringTest) -> list[tuple[_Moved, str]]:
    """Where to probe, relative to the due date (``==``) or the due time (orderings)."""
    if test.same_day:
        return [
            ((-1, -1, _DAY - _SECOND), "last second of the day before the due date"),
            ((0, 0, timedelta(0)), "first second of the due date"),
            ((0, 0, _DAY - _SECOND), "last second of the due date"),
            ((1, 1, timedelta(0)), "first second of the day after the due date"),
        ]
    points = [((sign, 0, sign * _SECOND), f"due time{shown}") for sign, shown in SIDES]
    fraction = test.clock.microsecond
    if fraction:  # due at the end of the day: its last whole second and the next midnight
        points.append(((-1, 0, -timedelta(microseconds=fraction)), "last whole second of the due day"))
        points.append(((1, 0, timedelta(microseconds=1_000_000 - fraction)), "midnight after the due day"))
    return points


def _due_instant(test: _RecurringTest, due: date, moved: _Moved, zone: tzinfo) -> datetime:
    """The probed instant for the due date ``due`` read in ``zone``."""
    _, days, delta = moved
    if test.same_day:
        day = due + days * _DAY
        return _day_end(day, zone) if delta else _day_start(day, zone)
    return _plus(_at(due, test.clock, zone).astimezone(zone), delta)


def _due_setter(cond: Recurring, test: _RecurringTest, moved: _Moved) -> Setter:
    def apply(f: Filler) -> None:
        assert cond.period_start is not None
        try:
            point = _due_instant(test, test.due_date(test.local(f.get(cond.period_start))), moved, test.zone)
        except _FAILED:
            return
        f.set(cond.path, point)

    return apply


register_boundaries("notice", _notice)
register_boundaries("time_of_day", _time_of_day)
register_boundaries("within_hours", _within_hours)
register_boundaries("on_holiday", _day_kind)
register_boundaries("on_day_off", _day_kind)
register_boundaries("in_working_hours", _working_hours)
register_boundaries("outside_working_hours", _working_hours)
register_boundaries("night_shift", _night_shift)
register_boundaries("recurring", _recurring)
