"""Stateful audits: event logs partitioned by subject, each subject's events replayed in time
order through a :class:`~csrules.SessionEngine`, partitions in parallel.

A subject's events all go to one partition, so every session sees its whole history in order
and gives the effects a live session would have given; partitions share nothing.
"""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from csrules._audit.batch import as_instant
from csrules._audit.errors import AuditError
from csrules._audit.inputs import ROW, check_names, given, is_source, numbered, read_batches, source_kind
from csrules._audit.instants import zone_of
from csrules._audit.rows import ROW_SCHEMA, clean_row, effect_row, invalid_rows
from csrules._policy.facts import OUT_OF_RANGE, get_fact_type, validate_fact
from csrules._sessions.session import SessionEngine
from csrules._time.calendar import load_zone
from csrules.domain.facts import ID_SPACES
from csrules.exceptions import CsrulesError, FactError

__all__ = ["audit_events", "replay_partition"]


def replay_partition(engine: SessionEngine, fact_type: str, subject: str, time: str, zone: str,
                     table: pa.Table, until: datetime | None = None) -> pa.Table:
    """Replay one partition's events (several subjects, each in time order) through fresh
    sessions; the rows of every firing. Arrow in, Arrow out, like :func:`audit_batch`.

    With ``until``, each subject's clock is then moved on to it, so deadlines falling after
    its last event fire too (their rows have no input row number)."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    at = as_instant(pl.col(time), frame.schema[time])
    # an instant whose local date in some zone leaves years 1 to 9999 has no Python datetime:
    # left without a time, so the fact model names it on its own row (never a lost audit)
    frame = frame.with_columns(pl.when(at.is_between(_FIRST, _LAST)).then(at).alias("__at"),
                               (at.is_not_null() & ~at.is_between(_FIRST, _LAST)).alias("__far"))
    frame = frame.sort(subject, "__at", ROW)
    model = get_fact_type(fact_type)
    fields = [name for name in frame.columns if name in model.model_fields]
    out: list[dict[str, Any]] = []
    subjects = frame[subject].to_list()
    for index, (record, number, who, at, far) in enumerate(zip(frame.select(fields).to_dicts(), frame[ROW], subjects,
                                                               frame["__at"], frame["__far"], strict=True)):
        last = index + 1 == len(subjects) or subjects[index + 1] != who
        month = at.astimezone(load_zone(zone)).strftime("%Y-%m") if at is not None else None
        meta = (number, fact_type, None if who is None else str(who), None, month)
        fact = given(record)
        if far:
            out += invalid_rows(meta, [(time, OUT_OF_RANGE)])
        elif at is None:
            out += _untimed(model, meta, fact, time)
        else:
            out += _send(engine, meta, fact, at, fact_type, time)
        if last and until is not None and at is not None and until > at:
            tick = (None, fact_type, meta[2], None, until.astimezone(load_zone(zone)).strftime("%Y-%m"))
            step = engine.tick(str(who), until)
            out += [effect_row(tick, f.policy_id, f.rule_id, e) for f in step.firings for e in f.effects]
    return pa.Table.from_pylist(out, schema=ROW_SCHEMA)


_FIRST = datetime(1, 1, 2, tzinfo=UTC)
_LAST = datetime(9999, 12, 30, tzinfo=UTC)
"""The instants an event may be replayed at: a day inside the calendar's ends, whatever zone."""


def _send(engine: SessionEngine, meta: Any, fact: dict[str, Any], at: datetime | None, fact_type: str,
          time: str) -> list[dict[str, Any]]:
    """The rows of one event sent to its subject's session (invalid rows when it is refused)."""
    try:
        step = engine.send(str(meta[2]), fact, now=at, fact_type=fact_type)
    except FactError as exc:
        return invalid_rows(meta, exc.problems or [("", str(exc))])
    except CsrulesError as exc:
        return invalid_rows(meta, [(time, str(exc))])
    found = [effect_row(meta, f.policy_id, f.rule_id, e) for f in step.firings for e in f.effects]
    return found or [clean_row(meta)]


def _untimed(model: type[BaseModel], meta: Any, fact: dict[str, Any], time: str) -> list[dict[str, Any]]:
    """The invalid rows of an event whose time cannot be read: never sent (a session would
    take the clock's time for it, out of its place in the history)."""
    try:
        validate_fact(model, fact)
    except FactError as exc:
        return invalid_rows(meta, exc.problems or [("", str(exc))])
    return invalid_rows(meta, [(time, "the event has no time: give a date-time with an offset")])


def audit_events(
    target: Any,
    data: Any,
    *,
    fact_type: str,
    subject: str = "agent_id",
    time: str,
    zone: str | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    until: datetime | None = None,
) -> pa.Table:
    """Replay an event log (files, tables or facts, as :func:`~csrules.audit.audit` reads
    them) through session engines, subjects partitioned over ``workers`` processes.

    ``target`` is a pack (its :meth:`~csrules.policies.Pack.sessions`) or a SessionEngine;
    ``time`` names the column each event happened at; ``until`` (the end of the audited
    period) moves every subject's clock on after its last event, so deadlines still open then
    fire; months are read in ``zone`` (by default the pack's timezone, else Asia/Shanghai).
    Returns the rows of every firing.
    """
    if until is not None and (not isinstance(until, datetime) or until.utcoffset() is None):
        raise AuditError(f"until must be a date-time with an offset or a zone, the instant the audited period ends "
                         f"(got {until!r})")
    engine = target if isinstance(target, SessionEngine) else target.sessions(backend="python")
    zone = zone_of(target, zone)
    if fact_type not in engine.fact_types:
        raise AuditError(f"no session policy takes {fact_type!r} events (they take {', '.join(engine.fact_types)})")
    model = get_fact_type(fact_type)
    items = list(data) if isinstance(data, list | tuple) and data and all(is_source(i) for i in data) else [data]
    batches = [b for item in items for b in read_batches(source_kind(item), model, 1 << 30)]
    if batches:
        check_names(batches[0].schema, "events")
    table = pa.Table.from_batches(list(numbered(batches, 1 << 30)))
    for column in (subject, time):
        if column not in table.column_names:
            raise AuditError(f"events: no column {column!r} (the subject and the time of each event)")
    count = workers if workers is not None else os.cpu_count() or 1
    parts = max(1, partitions or count)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.schema[subject] == pl.String:  # an id padded with spaces is the same subject (as facts read it)
        frame = frame.with_columns(pl.col(subject).str.strip_chars(ID_SPACES))
    bucket = frame[subject].cast(pl.String).hash(seed=0) % parts
    pieces = [frame.filter(bucket == index).to_arrow() for index in range(parts)]
    args = [(engine, fact_type, subject, time, zone, piece, until) for piece in pieces if piece.num_rows]
    if count <= 1:
        results = [replay_partition(*a) for a in args]
    else:
        from csrules._audit.run import forget_pool, worker_pool

        try:
            results = list(worker_pool(count).map(_replay, args))
        except BrokenProcessPool:
            forget_pool(count)
            raise AuditError("a worker process died (killed, or out of memory) replaying events; "
                             "the audit did not finish and nothing was reported") from None
    merged = pa.concat_tables(results) if results else ROW_SCHEMA.empty_table()
    return merged.sort_by([("row", "ascending")])  # deadline rows (no input row) come last


def _replay(args: tuple[Any, ...]) -> pa.Table:
    return replay_partition(*args)
