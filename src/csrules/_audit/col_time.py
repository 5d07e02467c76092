"""The time kinds per column: time of day in the rule's zone (on a rota's shift date too),
night shifts, public holidays and days off, working hours, daily windows, notice and recurring
due dates, each equal to the row engine's test on every row.

Local dates and clocks come from :mod:`csrules._audit.col_zone` (Python's zone data, as the
row engine reads it). Whatever a calendar answers is asked of the calendar itself, once per
distinct local date of the batch: a date table joined back to the rows. A cut-off instant is
computed by the row engine's own function once per distinct (date, clock) pair. When any of
those questions raises (a year the calendar does not cover, a date past the end of time), the
rule is not judged per column: the row engine judges it and reports the rule's error on the
rows that reach the question (never a guessed answer).

A rota's shifts are a join on a rota table (:mod:`csrules._audit.col_rota`).

Each kind compiles to a :class:`Leaf`: a column computed from the batch's typed facts.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import polars as pl

from csrules._audit.col_rota import shifts_at
from csrules._audit.col_zone import local_dates, local_wall
from csrules._audit.instants import INSTANT
from csrules._policy.kinds.span import HolidayInSpan, first_holiday_date
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
    _DayTest,
    _RecurringTest,
    _TimeOfDayTest,
    _zone,
)
from csrules._time.calendar import BusinessCalendar, wall_to_utc
from csrules._time.clock import DAY_MICROS
from csrules._time.durations import BusinessDuration, WallDuration, split_days
from csrules._time.nominal import add_days_then, steady_between
from csrules._time.registry import get_calendar, get_shift_pattern
from csrules.exceptions import CsrulesError

__all__ = ["ZONE", "Leaf", "Memo", "leaf_of", "reached_days", "time_leaf"]

Memo = dict[Any, Any]
"""What the leaves of one batch share (folded texts), built by the first leaf that needs it."""
Compute = Callable[[pl.DataFrame, Memo], "pl.Series | None"]
_FAILS = (CsrulesError, ValueError, OverflowError, ArithmeticError)
"""What a calendar or a date may raise for one value: the row engine's rule error."""
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


ZONE = "__zone"
"""The column of a zoned fact type's batch naming the one zone its facts are read in."""


def reached_days(start: pl.Expr, days: int, rest: timedelta, zone: pl.Expr) -> pl.Expr:
    """``start`` plus ``days`` on the wall clock of ``zone`` then ``rest`` elapsed, per row, as
    :func:`~csrules._time.nominal.add_days_then` reads it (the row engine's function): a batch
    whose zone keeps one UTC offset over its instants adds in UTC at once; any other adds
    each distinct start through that function."""
    if not days:
        return start + rest

    def reach(pairs: pl.Series) -> pl.Series:
        # Only element-wise kernels and plain Python in here: this runs on Polars' thread pool,
        # and a pooled operation (unique, join) would wait on that pool, for ever where it has
        # one thread (a Dask worker's).
        starts, zones = pairs.struct.field("s"), pairs.struct.field("z").to_list()
        named = set(zones) - {None}
        first, last = starts.min(), starts.max()
        if len(named) == 1 and isinstance(first, datetime) and isinstance(last, datetime) \
                and steady_between(str(next(iter(named))), first, last, days):
            return (starts + (timedelta(days=days) + rest)).alias("reached")
        added = lru_cache(maxsize=None)(lambda at, name: add_days_then(at, days, rest, name))  # once per start
        reached = [None if at is None or name is None else added(at, name)
                   for at, name in zip(starts.to_list(), zones, strict=True)]
        return pl.Series("reached", reached, dtype=INSTANT)

    return pl.struct(start.alias("s"), zone.alias("z")).map_batches(reach, return_dtype=INSTANT)


@dataclass(frozen=True)
class Leaf:
    """A condition leaf judged per column from a look-up built for the batch: ``compute``
    gives its answer per row of the typed facts, given what the batch's leaves share (None:
    the rule goes to the row engine)."""

    name: str
    compute: Compute


def leaf_of(node: Any, params: dict[str, Any], compute: Compute) -> Leaf:
    """A :class:`Leaf` named by the condition and the parameter values it reads."""
    digest = hashlib.sha1(f"{node!r}{sorted(params.items(), key=str)!r}".encode()).hexdigest()[:16]
    return Leaf(f"__leaf:{node.kind}:{digest}", compute)


def _series(facts: pl.DataFrame, expr: Any) -> pl.Series:
    return facts.select(expr.fill_null(False).alias("answer")).to_series()


def _clock(ref: ClockRef, params: dict[str, Any], columns: set[str]) -> pl.Expr | None:
    """A time of day as an expression: the literal or parameter, or the typed field."""
    fixed = ref.fixed(params)
    if fixed is not None:
        return pl.lit(fixed, pl.Time)
    return pl.col(ref.field) if ref.field in columns else None


def _by_day(facts: pl.DataFrame, days: pl.Expr, answer: Callable[[date], Any], dtype: pl.DataType) -> pl.Expr | None:
    """``answer`` of each distinct date of ``days``, joined back as an expression (None: it raised)."""
    distinct = facts.select(days.unique().drop_nulls()).to_series().to_list()
    try:
        found = [answer(day) for day in distinct]
    except _FAILS:
        return None
    return days.replace_strict(distinct, found, default=None, return_dtype=dtype)


def _time_of_day(node: TimeOfDay, params: dict[str, Any], columns: set[str]) -> Compute | None:
    clock = _clock(node.time, params, columns)
    day_of = node.day_of or node.path
    if clock is None or node.path not in columns or day_of not in columns or not _named(node.agent, columns):
        return None
    test = _TimeOfDayTest(node)
    op = _OPS[node.op]
    pattern = test.pattern

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        days = local_dates(facts, pl.col(day_of), test.zone.key)
        if days is None:
            return None
        if pattern is not None:  # the date of the shift running then, else the local date
            found = shifts_at(facts, day_of, node.agent, pattern, memo)
            if found is None:
                return None
            facts = facts.with_columns(found["shift_date"].alias("__shift_date"), found["known"].alias("__known"))
            days = pl.when(pl.col("__known")).then(pl.coalesce(pl.col("__shift_date"), days))
        pairs = facts.select(days.alias("day"), clock.alias("clock"))
        keys = pairs.unique().drop_nulls()
        try:
            cutoffs = [_at(test.day(day, None), at, test.zone).astimezone(UTC) for day, at in keys.iter_rows()]
        except _FAILS:
            return None
        table = keys.with_columns(pl.Series("cutoff", cutoffs, dtype=INSTANT))
        cutoff = pairs.join(table, on=["day", "clock"], how="left", maintain_order="left")["cutoff"]
        return _series(facts.with_columns(cutoff.alias("__cutoff")), op(pl.col(node.path), pl.col("__cutoff")))

    return compute


def _named(agent: str | None, columns: set[str]) -> bool:
    """Whether the rota's agent field, when the condition names one, is a column."""
    return agent is None or agent in columns


def _night(node: NightShift, columns: set[str]) -> Compute | None:
    if node.path not in columns or not _named(node.agent, columns):
        return None
    pattern = get_shift_pattern(node.shifts)

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        found = shifts_at(facts, node.path, node.agent, pattern, memo)
        return None if found is None else _series(found, pl.col("known") & pl.col("night"))

    return compute


def _day(node: OnHoliday | OnDayOff, columns: set[str]) -> Compute | None:
    if node.path not in columns:
        return None
    calendar = get_calendar(node.calendar)
    test = _DayTest(calendar, isinstance(node, OnDayOff))

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        days = local_dates(facts, pl.col(node.path), calendar.zone.key)
        answer = None if days is None else _by_day(facts, days, test, pl.Boolean())
        return None if answer is None else _series(facts, answer)

    return compute


def _span(node: HolidayInSpan, params: dict[str, Any], columns: set[str]) -> Compute | None:
    """``holiday_in_span`` per column: the first holiday of each distinct pair of local first
    and last dates covered, then its instant (``path`` on the first date, else its midnight)
    against ``since`` and the notice."""
    paths = (node.path, node.until, *(() if node.since is None else (node.since,)))
    duration = node.duration if node.param is None else params.get(node.param)
    if not all(path in columns for path in paths) or not (duration is None or isinstance(duration, WallDuration)):
        return None
    calendar = get_calendar(node.calendar)
    zone = calendar.zone
    # the notice's whole days on the wall clock of the fact's zone, else the calendar's (as the row engine)
    zone_of = pl.col(ZONE) if ZONE in columns else pl.lit(calendar.timezone)

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        firsts = local_dates(facts, pl.col(node.path), zone.key)
        lasts = local_dates(facts, pl.col(node.until) - pl.duration(microseconds=1), zone.key)
        if firsts is None or lasts is None:
            return None
        pairs = facts.select(firsts.alias("first"), lasts.alias("last"))
        keys = pairs.unique().drop_nulls()
        try:
            found = [first_holiday_date(calendar, a, b) for a, b in keys.iter_rows()]
            midnights = [None if day is None else wall_to_utc(datetime.combine(day, time(0)), zone).astimezone(UTC)
                         for day in found]
        except _FAILS:
            return None
        table = keys.with_columns(pl.Series("holiday", found, dtype=pl.Date()),
                                  pl.Series("midnight", midnights, dtype=INSTANT))
        joined = pairs.join(table, on=["first", "last"], how="left", maintain_order="left")
        facts = facts.with_columns(joined["holiday"].alias("__holiday"), joined["midnight"].alias("__midnight"),
                                   pairs["first"].alias("__first"))
        at = pl.when(pl.col("__holiday") == pl.col("__first")).then(pl.col(node.path)).otherwise(pl.col("__midnight"))
        held = pl.col("__holiday").is_not_null() & (pl.col(node.until) > pl.col(node.path))
        if duration is not None and node.since is not None:
            held = held & (at < reached_days(pl.col(node.since), *split_days(duration), zone_of))
        return _series(facts, held)

    return compute


def _utc_spans(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    return [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in calendar.working_hours(day)]


def _hours(node: InWorkingHours | OutsideWorkingHours, columns: set[str]) -> Compute | None:
    if node.path not in columns:
        return None
    calendar = get_calendar(node.calendar)
    inside = isinstance(node, InWorkingHours)

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        days = local_dates(facts, pl.col(node.path), calendar.zone.key)
        if days is None:
            return None
        distinct = facts.select(days.unique().drop_nulls()).to_series().to_list()
        try:
            spans = {day: _utc_spans(calendar, day) for day in distinct}
        except _FAILS:
            return None
        at = pl.col(node.path)
        tests = [pl.lit(False)]
        for index in range(max((len(found) for found in spans.values()), default=0)):
            listed = [day for day, found in spans.items() if len(found) > index]
            start, end = (days.replace_strict(listed, [spans[d][index][side] for d in listed], default=None,
                                              return_dtype=INSTANT) for side in (0, 1))
            tests.append(((at >= start) & (at < end)).fill_null(False))
        working = pl.any_horizontal(tests)
        return _series(facts, at.is_not_null() & (working if inside else ~working))

    return compute


def _micros(clock: pl.Expr) -> pl.Expr:
    return clock.cast(pl.Int64) // 1000  # a Polars time of day counts nanoseconds


def _within(node: WithinHours, params: dict[str, Any], columns: set[str]) -> Compute | None:
    start, end = _clock(node.start, params, columns), _clock(node.end, params, columns)
    if start is None or end is None or node.path not in columns:
        return None
    zone = _zone(node.tz, node.calendar).key

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        wall = local_wall(facts, pl.col(node.path), zone)
        if wall is None:
            return None
        low, high = _micros(start), _micros(end)
        return _series(facts, (_micros(wall.dt.time()) - low) % DAY_MICROS < (high - low) % DAY_MICROS)

    return compute


def _notice(node: Notice, params: dict[str, Any], now: datetime | None, columns: set[str]) -> Compute | None:
    duration = node.duration if node.param is None else params[node.param]
    until = pl.col(node.until) if node.until in columns else None
    if node.until is None and now is not None:
        until = pl.lit(now.astimezone(UTC), INSTANT)
    if node.since not in columns or until is None:
        return None
    op = _OPS[node.op]
    since = pl.col(node.since)
    if isinstance(duration, WallDuration):
        return lambda facts, memo: _series(facts, op(until - since, pl.lit(duration.delta)))
    if not isinstance(duration, BusinessDuration) or node.calendar is None:
        return None
    calendar = get_calendar(node.calendar)

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        starts = facts.select(since.unique().drop_nulls()).to_series().to_list()
        try:
            reached = [calendar.add(start, duration).astimezone(UTC) for start in starts]
        except _FAILS:
            return None
        return _series(facts, op(until, since.replace_strict(starts, reached, default=None, return_dtype=INSTANT)))

    return compute


def _recurring(node: Recurring, columns: set[str]) -> Compute | None:
    start = node.period_start or node.path
    if node.path not in columns or start not in columns:
        return None
    test = _RecurringTest(node)
    zone, op = test.zone.key, _OPS[node.op]

    def compute(facts: pl.DataFrame, memo: Memo) -> pl.Series | None:
        starts = local_dates(facts, pl.col(start), zone)
        due = None if starts is None else _by_day(facts, starts, test.due_date, pl.Date())
        if due is None:
            return None
        if test.same_day:
            own = local_dates(facts, pl.col(node.path), zone)
            return None if own is None else _series(facts, op(own, due))
        cutoff = _by_day(facts, due, lambda day: _at(day, test.clock, test.zone).astimezone(UTC), INSTANT)
        return None if cutoff is None else _series(facts, op(pl.col(node.path), cutoff))

    return compute


def time_leaf(node: Any, params: dict[str, Any], now: datetime | None, columns: set[str]) -> Leaf | None:
    """The time kind ``node`` as a :class:`Leaf` (None: not judged per column)."""
    compute: Compute | None = None
    if isinstance(node, TimeOfDay):
        compute = _time_of_day(node, params, columns)
    elif isinstance(node, OnHoliday | OnDayOff):
        compute = _day(node, columns)
    elif isinstance(node, HolidayInSpan):
        compute = _span(node, params, columns)
    elif isinstance(node, InWorkingHours | OutsideWorkingHours):
        compute = _hours(node, columns)
    elif isinstance(node, WithinHours):
        compute = _within(node, params, columns)
    elif isinstance(node, Notice):
        compute = _notice(node, params, now, columns)
    elif isinstance(node, Recurring):
        compute = _recurring(node, columns)
    elif isinstance(node, NightShift):
        compute = _night(node, columns)
    return None if compute is None else leaf_of(node, params, compute)

