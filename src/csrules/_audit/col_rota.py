"""Shifts of a rota per column: which shift each row's instant falls in, as a join on a rota
table, equal to :meth:`ShiftPattern.shift_at` on every row.

The shift running at an instant started on its local date (in the pattern's zone) or the day
before. The rota table lists, for each distinct (local date, agent's day offset) of the batch,
the shifts started on those two days as the pattern's own tables give them (UTC start and
end, clock changes included), ranked in the order ``shift_at`` tries them; the rows are joined
to it and the first shift containing the instant is kept.

An agent the rota does not register, or a value that cannot name one, raises in the row
engine (the rule's error on that row): such a batch is not judged per column, so the row
engine reports it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from csrules._audit.col_zone import local_dates
from csrules._audit.instants import INSTANT, INTEGERS
from csrules._time.shifts import ShiftPattern
from csrules.exceptions import CsrulesError

__all__ = ["Shifts", "shifts_at"]

_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_MICROSECOND = timedelta(microseconds=1)
Shifts = pl.DataFrame
"""Per row: ``shift_date`` (the local date the shift containing the instant started, null for
none), ``night`` (whether it is a night shift) and ``known`` (an instant and, when the rule
names one, an agent were given: else the condition is false)."""


def _offsets(facts: pl.DataFrame, agent: str | None, pattern: ShiftPattern) -> pl.Expr | None:
    """Each row's day offset in the rota (0 without an agent field; null for no agent);
    None when a value names no registered agent."""
    if agent is None:
        return pl.lit(0, pl.Int64)
    column = facts[agent]
    if column.null_count() == column.len():
        return pl.lit(None, pl.Int64)
    if column.dtype not in (pl.String, *INTEGERS):
        return None  # not a name or staff number: the row engine's error
    names = column.drop_nulls().unique().to_list()
    try:
        offsets = [pattern.agent_offset(name) for name in names]
    except (CsrulesError, ValueError):
        return None
    return pl.col(agent).replace_strict(names, offsets, default=None, return_dtype=pl.Int64)


def _rota(pattern: ShiftPattern, keys: list[tuple[date, int]]) -> pl.DataFrame | None:
    """The shifts started on each key's date and the day before, ranked as ``shift_at``
    tries them (None: a date past the end of time). Built column by column from whole
    numbers (microseconds, days since 1970): the table has a row per shift and key."""
    core = pattern._core
    columns: tuple[list[int], ...] = ([], [], [], [], [], [])
    nights: list[bool] = []
    try:
        for day, offset in keys:
            rank = 0
            for started in (day, day - _DAY):
                for start, end, shift in core.day(started, offset):
                    for column, value in zip(columns, (_days(day), offset, rank, _micros(start), _micros(end),
                                                       _days(started)), strict=True):
                        column.append(value)
                    nights.append(shift.night)
                    rank += 1
    except (OverflowError, ValueError):
        return None
    names = ("__day", "__offset", "__rank", "__start", "__end", "shift_date")
    types = (pl.Date(), pl.Int64(), pl.Int64(), INSTANT, INSTANT, pl.Date())
    table = pl.DataFrame({name: pl.Series(values, dtype=pl.Int64) for name, values in zip(names, columns, strict=True)})
    return table.with_columns(
        *(pl.col(name).cast(pl.Int32).cast(kind) if kind == pl.Date else pl.col(name).cast(kind)
          for name, kind in zip(names, types, strict=True)),
        pl.Series("night", nights, dtype=pl.Boolean))


def _days(day: date) -> int:
    return day.toordinal() - _EPOCH_DAY


def _micros(instant: datetime) -> int:
    return (instant - _EPOCH) // _MICROSECOND


def shifts_at(facts: pl.DataFrame, instant: str, agent: str | None, pattern: ShiftPattern,
              memo: dict[Any, Any]) -> Shifts | None:
    """The shift each row's ``instant`` falls in, for the agent named by ``agent`` (row for
    row with ``facts``); None when the batch is the row engine's (an unknown agent, a date
    the zone data cannot place). Found once per batch (``memo``) for every leaf asking."""
    key = ("shifts", id(pattern), instant, agent)
    if key not in memo:
        memo[key] = _shifts_at(facts, instant, agent, pattern)
    found: Shifts | None = memo[key]
    return found


def _shifts_at(facts: pl.DataFrame, instant: str, agent: str | None, pattern: ShiftPattern) -> Shifts | None:
    offsets = _offsets(facts, agent, pattern)
    days = local_dates(facts, pl.col(instant), pattern.timezone)
    if offsets is None or days is None:
        return None
    rows = facts.select(pl.int_range(pl.len()).alias("__i"), pl.col(instant).alias("__at"),
                        days.alias("__day"), offsets.alias("__offset"))
    keys = rows.select("__day", "__offset").drop_nulls().unique(maintain_order=True)
    rota = _rota(pattern, list(keys.iter_rows()))
    if rota is None:
        return None
    hits = (rows.drop_nulls().join(rota, on=["__day", "__offset"])
            .filter((pl.col("__start") <= pl.col("__at")) & (pl.col("__at") < pl.col("__end")))
            .sort("__i", "__rank").unique("__i", keep="first").select("__i", "night", "shift_date"))
    known = pl.col("__at").is_not_null() & pl.col("__offset").is_not_null()
    return (rows.join(hits, on="__i", how="left", maintain_order="left")
            .select("shift_date", pl.col("night").fill_null(False), known.alias("known")))
