"""Running an audit: read the input in batches, judge them on every core (or a Dask cluster),
write every decision row to Parquet as batches finish, then summarise and report.

Nothing is reported complete unless every batch came back: a worker that dies makes the run
an :class:`AuditError` naming the rows it held, and the partial output is removed.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from csrules._audit.batch import AuditSpec, Judged, judged
from csrules._audit.errors import AuditError
from csrules._audit.inputs import ROW, check_columns, is_source, numbered, read_batches, source_kind
from csrules._audit.rows import ROW_SCHEMA
from csrules._audit.summary import Summary, Tally
from csrules._engine.engine import Engine

__all__ = ["AuditResult", "Progress", "audit", "engine_of", "fact_type_of", "filtered"]

BATCH_ROWS = 50_000
"""Rows per batch: the unit of work of a worker and the bound on memory per worker."""

Progress = Callable[[int], None]
"""Told the number of input rows judged so far, after each batch."""


@dataclass(frozen=True)
class AuditResult:
    """A finished audit: the decision rows, their summary, and where they were written.

    ``decisions`` is the Arrow table of every row (``None`` when written to ``out`` only:
    read ``out / "decisions.parquet"``); ``files`` lists what was written.
    """

    summary: Summary
    decisions: pa.Table | None = None
    out: Path | None = None
    files: tuple[Path, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Always True: an audit that did not finish raises instead of returning."""
        return True


def engine_of(target: Any) -> Engine:
    """The engine of a Pack, an Engine, or policies."""
    if isinstance(target, Engine):
        return target
    engine = getattr(target, "engine", None)
    if callable(engine):
        built = engine()
        if isinstance(built, Engine):
            return built
    return Engine(target)


def fact_type_of(engine: Engine, fact_type: str | None, where: str) -> str:
    """The fact type audited: the one named, or the engine's only one."""
    if fact_type is not None:
        if fact_type not in engine.fact_types:
            raise AuditError(f"{where}: no policy judges {fact_type!r} facts (judged: {', '.join(engine.fact_types)})")
        return fact_type
    if len(engine.fact_types) == 1:
        return engine.fact_types[0]
    raise AuditError(f"{where}: say which fact type the rows are (fact_type=, --fact-type): "
                     f"the policies judge {', '.join(engine.fact_types)}")


def filtered(batches: Iterable[pa.RecordBatch], where: str | None, limit: int | None) -> Iterator[pa.RecordBatch]:
    """``batches`` keeping the rows ``where`` (an SQL condition) holds for, up to ``limit`` rows."""
    predicate = None
    if where:
        try:
            predicate = pl.sql_expr(where)
        except Exception as exc:
            raise AuditError(f"--where {where!r}: {exc}") from None
    left = limit
    for batch in batches:
        if predicate is not None:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            try:
                frame = frame.filter(predicate)
            except Exception as exc:
                raise AuditError(f"--where {where!r}: {exc}") from None
            if not frame.height:
                continue
            batch = frame.to_arrow().combine_chunks().to_batches()[0]
        if left is not None:
            if left <= 0:
                return
            batch = batch.slice(0, left)
            left -= batch.num_rows
        yield batch


def _batches(data: Sequence[Any], spec: AuditSpec, batch_rows: int,
             where: str | None, limit: int | None) -> Iterator[pa.RecordBatch]:
    """Every input's batches, columns checked, rows numbered across inputs, then filtered."""
    start = 1

    def one(item: Any) -> Iterator[pa.RecordBatch]:
        nonlocal start
        source = source_kind(item)
        checked = False
        for batch in numbered(read_batches(source, spec.model, batch_rows), batch_rows, start):
            if not checked:
                check_columns(batch.schema, spec.model, spec.fact_type, source.name)
                checked = True
            start += batch.num_rows
            yield batch

    def every() -> Iterator[pa.RecordBatch]:
        for item in data:
            yield from one(item)

    yield from filtered(every(), where, limit)


def _worker_init(spec: AuditSpec) -> None:
    global _SPEC
    _SPEC = spec


_SPEC: AuditSpec | None = None


def _worker_batch(batch: pa.RecordBatch) -> Judged:
    assert _SPEC is not None
    return judged(_SPEC, batch)


def _rows_of(batch: pa.RecordBatch) -> str:
    rows = batch.column(ROW)
    return f"rows {rows[0].as_py()}-{rows[-1].as_py()}" if len(rows) else "no rows"


def _local(spec: AuditSpec, batches: Iterator[pa.RecordBatch], workers: int) -> Iterator[tuple[int, Judged]]:
    """(input rows, decision rows) per batch in input order, judged in worker processes
    (spawned: safe on every platform), at most two batches per worker in flight."""
    if workers <= 1:
        for batch in batches:
            yield batch.num_rows, judged(spec, batch)
        return
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_init, initargs=(spec,))
    pending: deque[tuple[pa.RecordBatch, Future[Judged]]] = deque()
    try:
        for batch in batches:
            pending.append((batch, pool.submit(_worker_batch, batch)))
            if len(pending) >= 2 * workers:
                yield _oldest(pending)
        while pending:
            yield _oldest(pending)
    except BrokenProcessPool:
        unfinished = pending[0][0] if pending else None
        where = _rows_of(unfinished) if unfinished is not None else "rows"
        raise AuditError(
            f"a worker process died (killed, or out of memory) with {where} unfinished; "
            "the audit did not finish and nothing was reported"
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _oldest(pending: deque[tuple[pa.RecordBatch, Future[Judged]]]) -> tuple[int, Judged]:
    """The oldest batch's result, removed from ``pending`` only once it arrived."""
    batch, future = pending[0]
    table = future.result()
    pending.popleft()
    return batch.num_rows, table


def audit(
    target: Any,
    data: Any,
    *,
    out: str | Path | None = None,
    fact_type: str | None = None,
    now: datetime | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    where: str | None = None,
    limit: int | None = None,
    batch_rows: int = BATCH_ROWS,
    columnar: bool = True,
    subject: str | None = None,
    team: str | None = "team",
    time: str | None = None,
    zone: str = "Asia/Shanghai",
    progress: Progress | None = None,
    title: str | None = None,
) -> AuditResult:
    """Audit ``data`` (file names, tables, frames or facts) against ``target`` (a pack, an
    engine or policies); see :mod:`csrules.audit`.

    ``fact_type`` names what the rows are (needed when the policies judge several); ``now``
    is the instant rules reading the clock see. ``workers`` processes judge the batches
    (every core by default; 1: in this process), or the Dask ``scheduler`` does. ``where`` (an
    SQL condition on the input's columns) and ``limit`` choose the rows; ``columnar=False``
    judges every row with the row engine. ``subject``, ``team``, ``time`` and ``zone`` say what
    the summaries group by. With ``out`` the decisions and reports are written there and
    ``decisions`` is None. ``progress`` is told the rows judged after each batch.

    Unusable input, or a worker that dies, raises :class:`AuditError`; nothing is then reported.
    """
    engine = engine_of(target)
    spec = AuditSpec(engine, fact_type_of(engine, fact_type, "audit"), now, subject, team, time, zone, columnar)
    several = isinstance(data, list | tuple) and data and all(is_source(item) for item in data)
    inputs = list(data) if several else [data]
    if limit is not None and limit < 0:
        raise AuditError(f"limit must be 0 or more (got {limit})")
    batches = _batches(inputs, spec, max(1, batch_rows), where, limit)
    if scheduler is not None:
        from csrules._audit.distributed import on_dask

        results = on_dask(spec, batches, scheduler)
    else:
        results = _local(spec, batches, workers if workers is not None else os.cpu_count() or 1)
    return _finish(spec, results, out, progress, title or getattr(target, "name", None) or spec.fact_type)


def _finish(spec: AuditSpec, results: Iterator[tuple[int, Judged]], out: str | Path | None,
            progress: Progress | None, title: str) -> AuditResult:
    """Write (or gather) every batch's rows and tally them; a failure removes what was written."""
    folder = Path(out) if out is not None else None
    parts: list[pa.Table] = []
    tally = Tally()
    writer = None
    partial = folder / ".decisions.parquet.partial" if folder is not None else None
    try:
        if folder is not None and partial is not None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "decisions.parquet").unlink(missing_ok=True)  # an older audit's rows are not this one's
            writer = pq.ParquetWriter(partial, ROW_SCHEMA, compression="zstd", compression_level=1)
        for count, (table, counts) in results:
            if writer is not None:
                writer.write_table(table)
            else:
                parts.append(table)
            tally.add(count, counts)
            if progress is not None:
                progress(tally.input_rows)
        if writer is not None:
            writer.close()
            writer = None
    except BaseException:
        if writer is not None:
            writer.close()
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    summary = tally.summary(title, spec.fact_type)
    if folder is None or partial is None:
        table = pa.concat_tables(parts) if parts else ROW_SCHEMA.empty_table()
        return AuditResult(summary, table)
    target = folder / "decisions.parquet"
    os.replace(partial, target)
    from csrules._audit.report import write_reports

    return AuditResult(summary, None, folder, (target, *write_reports(summary, folder)))
