"""Helpers of the columnar tests: audit a batch both ways and compare every row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa

from csrules import Engine
from csrules._audit.batch import AuditSpec, audit_batch
from csrules._audit.columnar import _plan, _with_leaves, judge_columnar, prepare
from csrules._audit.inputs import ROW

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def table(facts: list[dict[str, Any]]) -> pa.Table:
    """``facts`` as one table, every key of any fact a column (null where a fact lacks it)."""
    keys = list(dict.fromkeys(key for fact in facts for key in fact))
    return pa.Table.from_pylist([{key: fact.get(key) for key in keys} for fact in facts])


def batch(facts: list[dict[str, Any]]) -> pl.DataFrame:
    """``facts`` as an input batch with row numbers."""
    frame = pl.from_arrow(table(facts))
    assert isinstance(frame, pl.DataFrame)
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def decisions(engine: Engine, fact_type: str, facts: list[dict[str, Any]], *, columnar: bool) -> pl.DataFrame:
    """The decision rows of ``facts`` (an invalid row by row and field: messages are worded per path)."""
    spec = AuditSpec(engine, fact_type, NOW, columnar=columnar)
    frame = pl.from_arrow(audit_batch(spec, table(facts)))
    assert isinstance(frame, pl.DataFrame)
    return frame.drop("message")


def assert_same(engine: Engine, fact_type: str, facts: list[dict[str, Any]], *, columnar: bool = True) -> None:
    """Both paths give equal rows in the same order; with ``columnar`` the columnar path read the batch."""
    spec = AuditSpec(engine, fact_type, NOW)
    if columnar:
        assert prepare(spec, batch(facts)) is not None, "the columnar path did not read the batch"
        assert judge_columnar(spec, batch(facts)) is not None
    fast = decisions(engine, fact_type, facts, columnar=True)
    slow = decisions(engine, fact_type, facts, columnar=False)
    assert fast.equals(slow), (fast, slow)


def columnar_rules(engine: Engine, fact_type: str, facts: list[dict[str, Any]]) -> set[str]:
    """The rules the columnar path judges for this batch (the rest go to the row engine)."""
    spec = AuditSpec(engine, fact_type, NOW)
    prepared = prepare(spec, batch(facts))
    assert prepared is not None
    _, plan = _with_leaves(prepared[0], _plan(spec, set(prepared[0].columns)))
    return {rule.id for _, rule, _, expr in plan if expr is not None}


def all_rules(engine: Engine, fact_type: str) -> set[str]:
    """Every rule of ``engine`` judging ``fact_type``."""
    return {rule.id for policy in engine.policies if policy.fact_type == fact_type for rule in policy.rules}
