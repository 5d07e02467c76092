"""Summaries of an audit, tallied batch by batch: memory grows with subjects, teams, months
and rules, never with rows.

All rows of one fact come in one batch, so each batch is reduced to small counts (facts by
their worst outcome per subject, per team and per month; effects by rule) that add up exactly.
The three groupings are counted apart, not crossed: a batch's counts are a few rows per
subject, however many teams and months the subject's facts span, so they cost little to send
from a worker and to add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa

from csrules._time.calendar import load_zone

__all__ = ["OUTCOME_COLUMNS", "Counts", "Partial", "Summary", "Tally", "partial", "portable", "restored"]

_RANK = {"clean": 0, "action_required": 1, "needs_approval": 2, "violation": 3, "error": 4, "invalid": 5}
"""Outcomes by how a fact counts: a fact counts once, by the highest (invalid, then a rule
that failed, then its worst effect)."""
_NAMES = {rank: name for name, rank in _RANK.items()}
_OUTCOMES = pl.Enum(sorted(_RANK, key=_RANK.__getitem__))
"""Outcomes as an enumeration whose codes are their ranks (a cast, not a look-up per row)."""
OUTCOME_COLUMNS = ("violation", "needs_approval", "action_required", "clean", "invalid", "error")
"""The columns of the per-group fact counts, worst first (a fact counts once, by its worst outcome)."""

_GROUPS = ("subject", "team", "month")
_FACT_KEY = ("by", "value", "outcome")
_RULE_KEY = ("policy", "rule", "effect", "code", "severity", "approver", "who")


@dataclass(frozen=True)
class Summary:
    """What an audit found: facts by outcome, and counts by rule, subject, team and month.

    Each table is a polars frame; ``totals`` counts facts by their worst outcome (and invalid
    facts, and facts where a rule failed).
    """

    title: str
    fact_type: str
    input_rows: int
    totals: dict[str, int]
    by_rule: pl.DataFrame
    by_subject: pl.DataFrame
    by_team: pl.DataFrame
    by_month: pl.DataFrame
    invalid: pl.DataFrame = field(default_factory=pl.DataFrame)
    now: datetime | None = None
    """The instant rules reading the clock saw (None: no rule read it)."""
    zone: str | None = None
    """The zone months are read in."""
    month_field: str | None = None
    """The field each fact's month is read from (None: no month)."""

    @property
    def shown_now(self) -> str | None:
        """``now`` as the report shows it: in :attr:`zone` (the zone its months are read in),
        so one instant reads the same whatever offset it was given with."""
        if self.now is None or self.zone is None:
            return None if self.now is None else self.now.isoformat()
        try:
            return self.now.astimezone(load_zone(self.zone)).isoformat()
        except OverflowError:  # the zone's clock leaves years 1 to 9999 there: shown in UTC
            return self.now.astimezone(UTC).isoformat()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``summary.json``)."""
        return {
            "title": self.title,
            "fact_type": self.fact_type,
            "input_rows": self.input_rows,
            "now": self.shown_now,
            "timezone": self.zone,
            "month_from": self.month_field,
            "complete": True,
            "totals": self.totals,
            "by_rule": self.by_rule.to_dicts(),
            "by_subject": self.by_subject.to_dicts(),
            "by_team": self.by_team.to_dicts(),
            "by_month": self.by_month.to_dicts(),
            "invalid": self.invalid.to_dicts(),
        }


MAX_INVALID = 1000
"""Invalid rows kept for the report (all of them are in ``decisions.parquet``)."""


Partial = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None
"""One batch's counts: facts by grouping (``by``: subject, team or month), its ``value`` and
outcome; effects by rule; and its invalid rows."""

Counts = tuple[pa.Table, pa.Table, pa.Table] | None
"""A batch's :data:`Partial` as Arrow tables, the form in which counts cross to another
process: a Dask worker pickles a task's result on its event loop while its task thread runs
the next batch, and pickling a Polars frame there can wait for ever on the thread pool that
batch holds (Arrow's pickling needs no pool)."""


def portable(part: Partial) -> Counts:
    """``part`` as Arrow tables (see :data:`Counts`)."""
    return None if part is None else (part[0].to_arrow(), part[1].to_arrow(), part[2].to_arrow())


def restored(counts: Counts) -> Partial:
    """The :data:`Partial` of :func:`portable` ``counts``."""
    if counts is None:
        return None
    facts, rules, bad = (_frame(table) for table in counts)
    return facts, rules, bad


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def partial(table: pa.Table | pl.DataFrame) -> Partial:
    """The counts of one batch's decision rows, an Arrow table or a Polars frame (computed
    where the batch was judged: small, and they add up exactly, since all rows of a fact are
    in one batch)."""
    rows = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(rows, pl.DataFrame)
    if not rows.height:
        return None
    types = dict.fromkeys((*_GROUPS, *_RULE_KEY, "effect", "outcome", "field", "message"), pl.String)
    odd = {name: dtype for name, dtype in {**types, "row": pl.Int64}.items() if rows.schema[name] != dtype}
    if odd:  # a column all null in this batch, say: every batch's counts add up in one type
        rows = rows.cast(odd)  # type: ignore[arg-type]
    if not rows["row"].is_sorted():
        rows = rows.sort("row", maintain_order=True)
    # every row of a fact is adjacent: its first row names the groups, its highest rank the
    # outcome; grouping on the sorted row number is a single pass, with no hashing
    rank = pl.col("outcome").cast(_OUTCOMES).to_physical()
    facts = rows.lazy().set_sorted("row").group_by("row", maintain_order=True).agg(
        pl.col(*_GROUPS).first(), rank.max().alias("rank"))
    outcome = pl.col("rank").replace_strict(_NAMES, return_dtype=pl.String).alias("outcome")
    by_group = pl.concat([
        facts.group_by(key, "rank").agg(pl.len().alias("facts")).select(
            pl.lit(key).alias("by"), pl.col(key).cast(pl.String).alias("value"), outcome, "facts")
        for key in _GROUPS
    ])
    effect = pl.col("effect")
    by_rule = rows.lazy().filter(~effect.is_in(["clean", "invalid"])).group_by(*_RULE_KEY).agg(
        pl.len().alias("count"))
    bad = rows.lazy().filter(effect == "invalid").select("row", "subject", "field", "message").head(MAX_INVALID)
    counted = pl.collect_all([by_group, by_rule, bad])
    return _compact(counted[0]), _compact(counted[1]), _compact(counted[2])


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its own copy of its text: a few rows cut from a batch would otherwise
    keep the whole batch's text buffers alive (Polars' strings are views into them)."""
    copied = pl.from_arrow(frame.to_arrow())
    assert isinstance(copied, pl.DataFrame)
    return copied


class Tally:
    """Counts added batch by batch (:meth:`add`), then one :class:`Summary`."""

    def __init__(self) -> None:
        self.input_rows = 0
        self._facts: list[pl.DataFrame] = []
        self._rules: list[pl.DataFrame] = []
        self._invalid: list[pl.DataFrame] = []
        self._kept = 0

    def add(self, input_rows: int, part: Partial) -> None:
        """Count one batch (``input_rows`` rows were read for it) by its :func:`partial` counts."""
        self.input_rows += input_rows
        if part is None:
            return
        facts, rules, bad = part
        self._facts.append(facts)
        self._rules.append(rules)
        if self._kept < MAX_INVALID and bad.height:
            bad = bad.head(MAX_INVALID - self._kept)
            self._kept += bad.height
            self._invalid.append(bad)
        if len(self._facts) >= 16:  # fold the partial counts now and then: memory stays small
            self._fold()

    def _fold(self) -> None:
        self._facts = [_compact(_sum(self._facts, list(_FACT_KEY), "facts"))]
        self._rules = [_compact(_sum(self._rules, list(_RULE_KEY), "count"))]

    def summary(self, title: str, fact_type: str) -> Summary:
        """The summary of everything added."""
        self._fold()
        facts = self._facts[0]
        totals = dict.fromkeys(OUTCOME_COLUMNS, 0)
        every = facts.filter(pl.col("by") == "subject")  # each fact counted once, by its subject
        for outcome, count in every.group_by("outcome").agg(pl.col("facts").sum()).iter_rows():
            totals[outcome] = int(count)
        totals["facts"] = sum(totals[name] for name in OUTCOME_COLUMNS)
        # every key column breaks ties: the same rows always give the same summary
        rules = self._rules[0].sort(["count", *_RULE_KEY], descending=[True] + [False] * len(_RULE_KEY),
                                    nulls_last=True)
        invalid = pl.concat(self._invalid) if self._invalid else pl.DataFrame()
        return Summary(
            title=title,
            fact_type=fact_type,
            input_rows=self.input_rows,
            totals=totals,
            by_rule=rules,
            by_subject=_by(facts, "subject").sort(["violation", "subject"], descending=[True, False]),
            by_team=_by(facts, "team").sort("team", nulls_last=True),
            by_month=_by(facts, "month").sort("month", nulls_last=True),
            invalid=invalid,
        )


def _sum(frames: list[pl.DataFrame], keys: list[str], value: str) -> pl.DataFrame:
    if not frames:
        schema: dict[str, Any] = dict.fromkeys(keys, pl.String)
        schema[value] = pl.UInt32
        return pl.DataFrame(schema=schema)
    return pl.concat(frames).group_by(keys).agg(pl.col(value).sum())


def _by(facts: pl.DataFrame, key: str) -> pl.DataFrame:
    """Facts per ``key`` with one column per outcome (a fact counted once, by its worst outcome)."""
    facts = facts.filter(pl.col("by") == key).select(pl.col("value").alias(key), "outcome", "facts")
    grouped = facts.group_by(key).agg(
        pl.col("facts").sum().alias("facts"),
        *(pl.col("facts").filter(pl.col("outcome") == name).sum().alias(name) for name in OUTCOME_COLUMNS),
    )
    return grouped.with_columns(pl.col(name).cast(pl.Int64) for name in ("facts", *OUTCOME_COLUMNS))
