"""Running an audit: plan the shares of the input, judge them on every core (or a Dask
cluster), each worker writing its own part of the decisions, then add up their summaries
and report.

The parent only plans: a Parquet file's row groups (an Arrow IPC file's record batches, a
plain CSV or JSON Lines file's byte ranges, :mod:`csrules._audit.lines`) are read by the
worker judging them, which writes its decision rows to its own part file of
``decisions.parquet`` (a folder of ``part-NNNNNN.parquet`` files in input order, read as one
table by pyarrow, polars, pandas, DuckDB or Spark) and sends back only the counts. Other text
files, Arrow streams and tables in memory are read by the parent, in batches. Worker
processes are started (spawned) once and reused by later audits.

Nothing is reported complete unless every share came back: a worker that dies makes the run
an :class:`AuditError` naming the rows it held, and the partial output is removed.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pickle
import secrets
import shutil
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from csrules._audit.batch import AuditSpec, as_instant, judged
from csrules._audit.errors import AuditError
from csrules._audit.hosts import carried
from csrules._audit.inputs import (
    ROW,
    SUFFIXES,
    Part,
    Source,
    check_columns,
    check_extra,
    file_parts,
    is_source,
    numbered,
    read_batches,
    read_part,
    source_kind,
)
from csrules._audit.instants import zone_of
from csrules._audit.rows import ROW_SCHEMA
from csrules._audit.summary import Partial, Summary, Tally, restored
from csrules._engine.engine import Engine

__all__ = ["AuditResult", "Progress", "Share", "audit", "close_workers", "engine_of", "fact_type_of", "filtered",
           "forget_pool", "worker_pool"]

BATCH_ROWS = 50_000
"""Rows per batch: the unit of work of a worker and the bound on memory per worker."""

Progress = Callable[[int], None]
"""Told the number of input rows judged so far, after each batch."""


@dataclass(frozen=True)
class AuditResult:
    """A finished audit: the decision rows, their summary, and where they were written.

    ``decisions`` is the Arrow table of every row (``None`` when written to ``out`` only:
    read the folder ``out / "decisions.parquet"`` as one table, e.g. ``pq.read_table`` or
    ``pl.read_parquet``); ``files`` lists what was written.
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


@dataclass(frozen=True)
class Share:
    """One task of an audit: rows a worker reads from a file itself (``part``), or a batch
    the parent read (``batch``, rows numbered already). ``first`` and ``last`` are its input
    row numbers (for messages); ``index`` orders the part files."""

    index: int
    first: int
    last: int
    part: Part | None = None
    batch: pa.RecordBatch | None = None

    def rows(self) -> str:
        """Its input rows, for a message."""
        return f"rows {self.first}-{self.last}"


@dataclass(frozen=True)
class Done:
    """What a share gave back: rows judged, their counts per batch, and the decision rows
    themselves unless the worker wrote them to its part file."""

    input_rows: int
    counts: list[Partial]
    table: pa.Table | None


def _predicate(where: str | None) -> pl.Expr | None:
    if not where:
        return None
    try:
        return pl.sql_expr(where)
    except Exception as exc:
        raise AuditError(f"--where {where!r}: {exc}") from None


def filtered(batches: Iterable[pa.RecordBatch], where: str | None, limit: int | None,
             times: frozenset[str] = frozenset()) -> Iterator[pa.RecordBatch]:
    """``batches`` keeping the rows ``where`` (an SQL condition) holds for, up to ``limit`` rows.
    The columns in ``times`` (the fact's datetime fields) are compared as instants in UTC,
    whether the input holds them as timestamps or as text with any offset."""
    predicate = _predicate(where)
    left = limit
    for batch in batches:
        if predicate is not None:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            _known(where, predicate, frame.columns)
            frame = _kept(frame, predicate, where, [name for name in predicate.meta.root_names() if name in times])
            if not frame.height:
                continue
            batch = frame.to_arrow().combine_chunks().to_batches()[0]
        if left is not None:
            if left <= 0:
                return
            batch = batch.slice(0, left)
            left -= batch.num_rows
        yield batch


def _kept(frame: pl.DataFrame, predicate: pl.Expr, where: str | None, times: list[str]) -> pl.DataFrame:
    """The rows of ``frame`` ``predicate`` holds for, the ``times`` columns seen as instants in
    UTC (without a zone, as SQL's TIMESTAMP literals are): text that sorts as text would put
    08:30+08:00 after 01:00Z, an hour earlier in fact."""
    hidden = {name: f"\x00{name}" for name in times}
    view = frame.with_columns(*(pl.col(name).alias(kept) for name, kept in hidden.items()),
                              *(as_instant(pl.col(name), frame.schema[name]).dt.replace_time_zone(None).alias(name)
                                for name in times))
    try:
        kept = view.filter(predicate)
    except Exception as exc:
        told = str(exc)
        if times and ("to a string" in told or "expected String" in told):
            raise AuditError(f"--where {where!r}: {', '.join(times)} is a time, compared as an instant: compare it "
                             "with TIMESTAMP 'YYYY-MM-DD HH:MM:SS' in UTC (a text is not compared with a time, "
                             "as text a time with another offset would sort wrongly)") from None
        raise AuditError(f"--where {where!r}: {told}") from None
    if not times:
        return kept
    return kept.drop(times).rename({kept_as: name for name, kept_as in hidden.items()}).select(frame.columns)


def _known(where: str | None, predicate: pl.Expr, columns: list[str]) -> None:
    """Refuse a condition naming a column the input does not have (the row numbers the
    audit adds are not the input's)."""
    known = [name for name in columns if name != ROW]
    for name in predicate.meta.root_names():
        if name not in known:
            raise AuditError(f"--where {where!r}: no column {name!r} (the input's columns: {', '.join(known)})")


class _Planner:
    """The shares of every input in order, rows numbered across inputs: a file's own parts
    when workers can read them (no ``limit`` with a ``where``: that needs the rows in order),
    else batches read here."""

    def __init__(self, spec: AuditSpec, batch_rows: int, pieces: int, where: str | None,
                 limit: int | None) -> None:
        self.spec, self.batch_rows, self.pieces = spec, batch_rows, pieces
        self.where, self.left = where, limit
        self.start = 1
        self.index = 0

    def shares(self, data: Sequence[Any]) -> Iterator[Share]:
        """Every share of ``data``, in input order."""
        read_here: list[Iterator[pa.RecordBatch]] = []
        for item in data:
            source = source_kind(item)
            planned = None if self.where and self.left is not None else file_parts(
                source, self.batch_rows, self.pieces, self.spec.model, self.pieces // 2 if self.pieces > 1 else 0)
            if planned is None:
                read_here.append(self._read(source))
                continue
            if read_here:  # inputs read here before this file keep their place in the numbering
                yield from self._batches(read_here)
                read_here = []
            schema, parts = planned
            _check(self.spec, schema, source.name)
            rows = 0
            for part in parts:
                take = part.rows if self.left is None else min(part.rows, self.left)
                if take <= 0:
                    return
                rows += take
                yield self._share(take, part=replace(part, rows=take))
                if self.left is not None:
                    self.left -= take
            _refuse_empty(source, rows)
        if read_here:
            yield from self._batches(read_here)

    def _share(self, rows: int, **what: Any) -> Share:
        share = Share(self.index, self.start, self.start + rows - 1, **what)
        self.index += 1
        self.start += rows
        return share

    def _read(self, source: Any) -> Iterator[pa.RecordBatch]:
        """The batches of an input read here, columns checked, rows numbered."""
        checked, rows = False, 0
        for batch in numbered(read_batches(source, self.spec.model, self.batch_rows), self.batch_rows, self.start):
            if not checked:
                _check(self.spec, batch.schema, source.name)
                checked = True
            self.start += batch.num_rows
            rows += batch.num_rows
            yield batch
        _refuse_empty(source, rows)

    def _batches(self, readers: list[Iterator[pa.RecordBatch]]) -> Iterator[Share]:
        """Shares of one batch each, from inputs read here (and filtered here)."""
        def every() -> Iterator[pa.RecordBatch]:
            for reader in readers:
                yield from reader

        start = self.start
        for batch in filtered(every(), self.where, self.left, self.spec.time_columns()):
            if self.left is not None:
                self.left -= batch.num_rows
            rows = batch.column(ROW)
            first, last = (rows[0].as_py(), rows[-1].as_py()) if len(rows) else (start, start)
            yield Share(self.index, first, last, batch=batch)
            self.index += 1


def _check(spec: AuditSpec, schema: pa.Schema, where: str) -> None:
    """Refuse columns the audit cannot judge by (see :func:`check_columns`) or does not know
    (:func:`check_extra`: a misspelt field must not leave every row judged without it)."""
    check_columns(schema, spec.model, spec.fact_type, where)
    check_extra(schema, spec.model, spec.fact_type, where, spec.passed_columns())


def _refuse_empty(source: Source, rows: int) -> None:
    """Refuse a file with no row (a header alone, an empty export): an audit of it would
    report "0 rows audited" and exit clean, as if the records had passed."""
    if rows == 0 and source.kind in SUFFIXES.values():
        raise AuditError(f"{source.name}: the file holds no rows: nothing to audit (an empty export is not "
                         "a clean audit)")


def _part_batches(spec: AuditSpec, share: Share, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The numbered batches of a share read from its file; a JSON Lines range's columns (its
    own, as a block infers them: one table, so its batches' are its first's) are checked like
    the file's first."""
    part = share.part
    assert part is not None
    checked = part.kind != "jsonl"
    for batch in numbered(read_part(part, batch_rows, spec.model), batch_rows, share.first):
        if not checked:
            _check(spec, batch.schema, f"{part.path} ({share.rows()})")
            checked = True
        yield batch


def _judge_share(spec: AuditSpec, share: Share, batch_rows: int, where: str | None, folder: str | None) -> Done:
    """Judge one share where it is (a worker, or this process): read its rows, judge them batch
    by batch, and write the decision rows to its own part file in ``folder`` (or keep them)."""
    if share.part is not None:
        batches: Iterable[pa.RecordBatch] = filtered(_part_batches(spec, share, batch_rows), where, None,
                                                     spec.time_columns())
    else:
        assert share.batch is not None
        batches = [share.batch]
    writer = None
    tables: list[pa.Table] = []
    counts: list[Partial] = []
    rows = 0
    try:
        for batch in batches:
            table, count = judged(spec, batch)
            rows += batch.num_rows
            counts.append(count)
            if folder is None:
                tables.append(table)
                continue
            if writer is None:
                writer = _writer(Path(folder) / f"part-{share.index:06d}.parquet")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    if folder is not None:
        return Done(rows, counts, None)
    return Done(rows, counts, pa.concat_tables(tables) if tables else ROW_SCHEMA.empty_table())


_FREE_TEXT = ("row", "due", "field", "message")
"""Columns not worth a dictionary: numbers, instants, and the messages of invalid rows."""


def _writer(path: Path) -> pq.ParquetWriter:
    """A part file's writer; statistics only where a reader filters (row numbers, due
    times): those of the text columns cost as much again as writing them."""
    coded = [name for name in ROW_SCHEMA.names if name not in _FREE_TEXT]
    return pq.ParquetWriter(path, ROW_SCHEMA, compression="zstd", compression_level=1,
                            write_statistics=["row", "due"], use_dictionary=coded)


_SPECS: dict[str, AuditSpec] = {}
"""In a worker: the specs of recent audits by the hash of their pickled form (each unpickled,
so its engine rebuilt and its columnar plans compiled, once). Every task carries the pickled
spec compressed (a fifth of the size: a pack's spec fits the pipe to a worker in one write),
and a worker that has it already does not read it."""


def _worker_share(token: str, blob: bytes, share: Share, batch_rows: int, where: str | None,
                  folder: str | None) -> Done:
    spec = _SPECS.get(token)
    if spec is None:
        while len(_SPECS) >= 4:
            _SPECS.pop(next(iter(_SPECS)))
        spec = _SPECS[token] = pickle.loads(zlib.decompress(blob))
    return _judge_share(spec, share, batch_rows, where, folder)


_POOLS: dict[int, ProcessPoolExecutor] = {}
"""Worker processes by count: spawned by the first audit that needs them, reused by later ones."""


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """The pool of ``workers`` processes (spawned: safe on every platform), started once; a
    pool a worker died in is replaced."""
    pool = _POOLS.get(workers)
    if pool is None or getattr(pool, "_broken", False):
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        pool = _POOLS[workers] = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
        _start(pool, workers)
    return pool


def _start(pool: ProcessPoolExecutor, workers: int) -> None:
    """Spawn every worker now, each with its share of the cores for Polars' threads (unless
    ``POLARS_MAX_THREADS`` says otherwise): workers that each used every core would take
    turns on them."""
    own = "POLARS_MAX_THREADS" not in os.environ
    if own:
        os.environ["POLARS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        for _ in range(workers):  # a process is spawned per task while none is idle
            pool.submit(os.getpid)
    finally:
        if own:
            del os.environ["POLARS_MAX_THREADS"]


def forget_pool(workers: int) -> None:
    """Drop the pool of ``workers`` processes (one of them died): the next audit starts anew."""
    pool = _POOLS.pop(workers, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def close_workers() -> None:
    """Stop the worker processes audits started (they are otherwise kept for the next audit)."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown(wait=True, cancel_futures=True)


def _local(spec: AuditSpec, shares: Iterator[Share], workers: int, batch_rows: int, where: str | None,
           folder: str | None) -> Iterator[Done]:
    """Each share's result in input order, judged in worker processes (at most two shares
    per worker in flight), or here for one worker."""
    if workers <= 1:
        for share in shares:
            yield _judge_share(spec, share, batch_rows, where if share.part is not None else None, folder)
        return
    pool = worker_pool(workers)
    blob = pickle.dumps(carried(spec))  # a worker imports the host's modules before the spec
    token = hashlib.sha256(blob).hexdigest()  # an audit like an earlier one reuses its engine in the workers
    blob = zlib.compress(blob, 1)
    pending: deque[tuple[Share, Future[Done]]] = deque()
    try:
        for share in shares:
            task_where = where if share.part is not None else None
            pending.append((share, pool.submit(_worker_share, token, blob, share, batch_rows, task_where, folder)))
            if len(pending) >= 2 * workers:
                yield _oldest(pending)
        while pending:
            yield _oldest(pending)
    except BrokenProcessPool:
        forget_pool(workers)
        where_died = pending[0][0].rows() if pending else "rows"
        raise AuditError(
            f"a worker process died (killed, or out of memory) with {where_died} unfinished; "
            "the audit did not finish and nothing was reported"
        ) from None
    finally:
        for _, future in pending:  # a failed audit leaves no task behind writing into its folder
            future.cancel()
        for _, future in pending:
            if not future.cancelled():
                with contextlib.suppress(BaseException):  # its failure is already being reported
                    future.exception()


def _oldest(pending: deque[tuple[Share, Future[Done]]]) -> Done:
    """The oldest share's result, removed from ``pending`` only once it arrived."""
    done = pending[0][1].result()
    pending.popleft()
    return done


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
    zone: str | None = None,
    progress: Progress | None = None,
    title: str | None = None,
    extra_columns: Sequence[str] = (),
) -> AuditResult:
    """Audit ``data`` (file names, tables, frames or facts) against ``target`` (a pack, an
    engine or policies); see :mod:`csrules.audit`.

    ``fact_type`` names what the rows are (needed when the policies judge several); ``now``
    is the instant rules reading the clock see. ``workers`` processes judge the batches
    (every core by default; 1: in this process), or the Dask ``scheduler`` does. ``where`` (an
    SQL condition on the input's columns) and ``limit`` choose the rows; ``columnar=False``
    judges every row with the row engine. ``subject``, ``team``, ``time`` and ``zone`` say what
    the summaries group by (months are read in ``zone``: by default the pack's timezone,
    Asia/Shanghai for a target without one). With ``out`` the decisions and reports are
    written there and ``decisions`` is None. ``progress`` is told the rows judged after each batch.
    A column that is no field of the fact model is refused by name unless the audit reads it
    (``team``, ``subject``, ``time``, a column ``where`` names) or ``extra_columns`` lists it
    (it then rides along unjudged).

    Unusable input, or a worker that dies, raises :class:`AuditError`; nothing is then reported.
    """
    engine = engine_of(target)
    predicate = _predicate(where)  # a condition that does not parse stops the audit before any row is read
    named = tuple(predicate.meta.root_names()) if predicate is not None else ()
    spec = AuditSpec(engine, fact_type_of(engine, fact_type, "audit"), now, subject, team, time, zone_of(target, zone),
                     columnar, (*extra_columns, *named))
    several = isinstance(data, list | tuple) and data and all(is_source(item) for item in data)
    inputs = list(data) if several else [data]
    if limit is not None and limit < 0:
        raise AuditError(f"limit must be 0 or more (got {limit})")
    for name, value in (("workers", workers), ("batch_rows", batch_rows)):
        if value is not None and value < 1:
            raise AuditError(f"{name} must be 1 or more (got {value})")
    count = 1 if scheduler is not None else workers if workers is not None else os.cpu_count() or 1
    # four shares a worker at least, so one slowed by other work on the machine holds up little
    shares = _Planner(spec, batch_rows, 4 * count if count > 1 else 1, where, limit).shares(inputs)
    folder = Path(out) if out is not None else None
    partial = _staging(folder, inputs) if folder is not None else None
    try:
        if scheduler is not None:
            from csrules._audit.distributed import on_dask

            results = _from_dask(on_dask(spec, _batches_of(spec, shares, batch_rows, where), scheduler), partial)
        else:
            results = _local(spec, shares, count, batch_rows, where, None if partial is None else str(partial))
        tally = _tally(results, progress)
    except BaseException:
        if partial is not None:
            _remove(partial)
        raise
    return _finish(spec, tally, folder, partial, title or getattr(target, "name", None) or spec.fact_type)


def _remove(path: Path) -> None:
    """Remove a file or folder of decisions, if there."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _batches_of(spec: AuditSpec, shares: Iterator[Share], batch_rows: int,
                where: str | None) -> Iterator[pa.RecordBatch]:
    """The batches of ``shares``, read here (for a cluster whose workers may not see the files)."""
    for share in shares:
        if share.part is None:
            assert share.batch is not None
            yield share.batch
        else:
            yield from filtered(_part_batches(spec, share, batch_rows), where, None, spec.time_columns())


def _from_dask(results: Iterator[tuple[int, Any]], folder: Path | None) -> Iterator[Done]:
    """A cluster's results as :class:`Done`, written here as part files when there is a folder."""
    for index, (rows, (table, count)) in enumerate(results):
        if folder is not None:
            with _writer(folder / f"part-{index:06d}.parquet") as writer:
                writer.write_table(table)
            table = None
        yield Done(rows, [restored(count)], table)


@dataclass
class _Tallied:
    tally: Tally
    tables: list[pa.Table]


def _tally(results: Iterator[Done], progress: Progress | None) -> _Tallied:
    """Every share's counts added up (in input order), and the decision rows kept here."""
    tally = Tally()
    tables: list[pa.Table] = []
    for done in results:
        for index, count in enumerate(done.counts):
            tally.add(done.input_rows if index == 0 else 0, count)
        if not done.counts:
            tally.add(done.input_rows, None)
        if done.table is not None:
            tables.append(done.table)
        if progress is not None:
            progress(tally.input_rows)
    return _Tallied(tally, tables)


def _finish(spec: AuditSpec, tallied: _Tallied, folder: Path | None, partial: Path | None,
            title: str) -> AuditResult:
    """The summary, and the decisions: the rows gathered here, or the part files moved into
    place as ``decisions.parquet`` (one empty part when no row was judged)."""
    # what the counts depend on beside the rows, for the reviewer: the instant and the months' zone
    summary = replace(tallied.tally.summary(title, spec.fact_type), now=spec.now, zone=spec.zone,
                      month_field=spec.time_field())
    if folder is None or partial is None:
        tables = tallied.tables
        return AuditResult(summary, pa.concat_tables(tables) if tables else ROW_SCHEMA.empty_table())
    if not any(partial.iterdir()):
        with _writer(partial / "part-000000.parquet"):
            pass
    target = folder / "decisions.parquet"
    from csrules._audit.report import write_reports

    with _turn(folder):
        _publish(partial, target)
        written = write_reports(summary, folder)
    return AuditResult(summary, None, folder, (target, *written))


OUTPUTS = ("decisions.parquet", "summary.json", "report.md", "report.html")
"""What an audit writes into its output folder."""


def _staging(folder: Path, inputs: Sequence[Any]) -> Path:
    """This audit's own new folder for its part files inside ``folder`` (another audit
    writing to the same folder has its own), once no input is among the outputs it replaces."""
    outputs = [(folder / name).resolve() for name in OUTPUTS]
    for item in inputs:
        if not isinstance(item, str | Path):
            continue
        path = Path(item).resolve()
        for output in outputs:
            if path == output or output in path.parents:
                raise AuditError(f"{item}: an input inside the output this audit replaces ({output}); "
                                 "write the audit to another folder (-o)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return _fresh(folder, "partial")
    except OSError as exc:
        raise AuditError(f"{folder}: cannot write the audit there ({exc})") from None


def _fresh(folder: Path, what: str) -> Path:
    """A new folder of a name no other audit has (made with the usual permissions: readers of
    ``decisions.parquet`` may be other users)."""
    path = folder / f".decisions.{secrets.token_hex(8)}.{what}"
    path.mkdir()
    return path


@contextlib.contextmanager
def _turn(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock: audits finishing into one folder take turns, so its decisions
    and reports are all one audit's (the last to finish)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no advisory locks (Windows): the renames alone
        yield
        return
    with open(folder / ".csrules-audit.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(partial: Path, target: Path) -> None:
    """``partial`` renamed to ``target``; an older audit's ``target`` is first moved aside
    (under a name of its own) and removed after."""
    aside = None
    if target.exists() or target.is_symlink():
        aside = _fresh(target.parent, "old")
        os.replace(target, aside / target.name)
    os.replace(partial, target)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
