"""Decisions as plain rows: one per fact and effect, the form results take between processes.

A :class:`~csrules.Decision` holds its fact and a view of compiled rules: it stays in the
process that made it. What crosses to the parent (or to a cluster's client) is an Arrow
batch of these rows: the input row number, who and when (subject, team, month), and each
effect's rule, code, severity, approver, due time and outcome. A fact no rule applied to
has one ``clean`` row; a fact that does not validate has an ``invalid`` row per problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from csrules._engine.decision import (
    Approval,
    Decision,
    Escalation,
    Obligation,
    Violation,
)

__all__ = ["ROW_SCHEMA", "RowMeta", "clean_row", "decision_rows", "effect_row", "invalid_rows", "rows_batch"]

ROW_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("fact_type", pa.string()),
        ("subject", pa.string()),
        ("team", pa.string()),
        ("month", pa.string()),
        ("policy", pa.string()),
        ("rule", pa.string()),
        ("effect", pa.string()),
        ("code", pa.string()),
        ("severity", pa.string()),
        ("approver", pa.string()),
        ("who", pa.string()),
        ("due", pa.timestamp("us", tz="UTC")),
        ("outcome", pa.string()),
        ("field", pa.string()),
        ("message", pa.string()),
    ]
)
"""The columns of an audit's decisions (``decisions.parquet``)."""

RowMeta = tuple["int | None", str, "str | None", "str | None", "str | None"]
"""What every row of one fact repeats: row number (None for a deadline met after the last event),
fact type, subject, team, month."""

_NAMES = tuple(ROW_SCHEMA.names)


def effect_row(meta: RowMeta, policy: str | None, rule: str | None, effect: Any) -> dict[str, Any]:
    """The row of one effect of one fact (``effect`` a decision's effect result)."""
    row = dict(zip(_NAMES[:5], meta, strict=True))
    row.update(policy=policy, rule=rule, effect=effect.KEY[0], outcome=effect.outcome.value)
    if isinstance(effect, Violation):
        row.update(code=effect.code, severity=effect.severity)
    elif isinstance(effect, Approval):
        row["approver"] = effect.role
    elif isinstance(effect, Obligation):
        row.update(who=effect.who, due=effect.due)
    elif isinstance(effect, Escalation):
        row["who"] = effect.to
    return row


def _plain(meta: RowMeta, effect: str, outcome: str, **extra: Any) -> dict[str, Any]:
    row = dict(zip(_NAMES[:5], meta, strict=True))
    row.update(effect=effect, outcome=outcome, **extra)
    return row


def decision_rows(meta: RowMeta, decision: Decision) -> list[dict[str, Any]]:
    """Every row of one decision: each rule's own effects (approvals not merged), each rule
    that failed as an ``error`` row, or one ``clean`` row."""
    try:
        by_rule = decision.rule_effects
    except Exception as exc:  # a due time the calendar cannot compute: the fact's rules failed
        return [_plain(meta, "error", "error", message=f"{type(exc).__name__}: {exc}")]
    rows = [effect_row(meta, policy, rule, e) for (policy, rule), effects in by_rule.items() for e in effects]
    rows += [_plain(meta, "error", "error", policy=e.policy_id, rule=e.rule_id, message=e.message)
             for e in decision.errors]
    return rows or [clean_row(meta)]


def clean_row(meta: RowMeta) -> dict[str, Any]:
    """The one row of a fact (or event) no rule applied to."""
    return _plain(meta, "clean", "clean")


def invalid_rows(meta: RowMeta, problems: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The rows of a fact that does not validate: one per problem, naming the field."""
    return [_plain(meta, "invalid", "invalid", field=where, message=message) for where, message in problems]


def rows_batch(rows: list[dict[str, Any]]) -> pa.RecordBatch:
    """Rows as one Arrow batch of :data:`ROW_SCHEMA`."""
    return pa.RecordBatch.from_pylist(rows, schema=ROW_SCHEMA)
