"""Audit input: files (Parquet, CSV, JSON Lines, Arrow IPC) or in-memory tables and facts,
read as Arrow record batches of bounded size, each row numbered in the input.

Columns are checked against the fact model before any row is judged: a required field with
no column, or a column whose type can never hold the field, is an :class:`AuditError`
naming both. A column the model does not know is refused by name (a misspelt
``manager_aproved`` would otherwise leave every row judged as if no manager had approved),
unless the audit reads it itself (the team, subject and time columns, a column ``where``
names) or it is listed as an extra column that rides along unjudged (an export id).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from csrules._audit.errors import AuditError
from csrules._audit.json_types import bad_line, type_change
from csrules._audit.lines import BLOCK, Lines, csv_convert, json_schema, line_parts, read_lines
from csrules._policy.facts import field_info

__all__ = ["ROW", "Part", "Source", "check_columns", "check_extra", "check_names", "file_parts", "given", "in_utc",
           "is_source", "numbered", "read_batches", "read_part", "source_kind"]

ROW = "__row"
"""The column numbering input rows from 1 (added on reading; the audit's ``row``)."""

SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
}

_TEXT = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view, pa.types.is_dictionary)
_KIND_TYPES: dict[str, tuple[Any, ...]] = {
    "bool": (pa.types.is_boolean, *_TEXT),
    "number": (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal, *_TEXT),
    "text": _TEXT,
    "datetime": (pa.types.is_timestamp, *_TEXT),
    "date": (pa.types.is_date, pa.types.is_timestamp, *_TEXT),
    "time": (pa.types.is_time, *_TEXT),
    "duration": (pa.types.is_duration, pa.types.is_integer, *_TEXT),
}
"""The Arrow types a column may have for each kind of field (a number is never text). Text is
read for a flag or a number as a fact reads it ("yes", "12"): a CSV column where one cell is
not a number is typed as text, and that row, not the whole file, is invalid."""


@dataclass(frozen=True)
class Source:
    """One input: a file path with its format, or an in-memory object."""

    data: Any
    kind: str
    name: str


def is_source(item: Any) -> bool:
    """True for a file name or a table (one input of several), False for a fact."""
    module = type(item).__module__.split(".", 1)[0]
    return isinstance(item, str | Path | pa.Table | pa.RecordBatch) or module in ("polars", "pandas")


def source_kind(data: Any) -> Source:
    """What ``data`` is: a file (by suffix), an Arrow table, a polars or pandas frame, or facts."""
    if isinstance(data, str | Path):
        path = Path(data)
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            known = ", ".join(sorted(SUFFIXES))
            raise AuditError(f"{path}: unknown input format (file names end in one of {known})")
        if not path.is_file():
            raise AuditError(f"{path}: no such file")
        return Source(path, kind, str(path))
    if isinstance(data, pa.Table | pa.RecordBatch):
        return Source(data, "table", "table")
    module = type(data).__module__.split(".", 1)[0]
    if module in ("polars", "pandas"):
        return Source(data, module, f"{module} frame")
    if isinstance(data, Iterable) and not isinstance(data, str | bytes | dict):
        return Source(data, "facts", "facts")
    raise AuditError(f"cannot audit a {type(data).__name__}: give files, an Arrow, polars or pandas table, or facts")


@dataclass(frozen=True)
class Part:
    """A share of a file one worker reads by itself: ``rows`` rows from ``skip`` rows into its
    row group (Parquet) or record batch (Arrow) number ``group``, or from the start of the
    byte range ``lines`` (CSV, JSON Lines)."""

    path: str
    kind: str
    group: int
    skip: int
    rows: int
    lines: Lines | None = None


def file_parts(source: Source, batch_rows: int, pieces: int, model: type[BaseModel] | None = None,
               tail: int = 0) -> tuple[pa.Schema, Iterable[Part]] | None:
    """The schema of a file a worker can read a share of by itself, and its shares in order:
    a row group (Parquet) or record batch (Arrow IPC file) each, cut at whole batches when the
    file has fewer than ``pieces`` of them (a worker skipping into a row group still decodes
    what it skips), its last ``tail`` batches one a share (so no worker waits long at the end
    for another's last share), or byte ranges of a plain CSV or JSON Lines file (with ``model``;
    its last ``tail // 2`` ranges cut in two; see
    :mod:`csrules._audit.lines`); None for what is read from the start (an Arrow stream, a
    text file that is not plain). Only a file's footer, or a text file's line ends and first
    block, are read here."""
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    path = str(source.data)
    try:
        if source.kind in ("csv", "jsonl"):
            found = None if model is None else line_parts(path, source.kind, model, pieces, tail // 2)
            if found is None:
                return None
            schema, ranges = found
            return schema, (Part(path, source.kind, 0, 0, rows, lines) for lines, rows in ranges)
        if source.kind == "parquet":
            opened = pq.ParquetFile(path)
            schema, sizes = opened.schema_arrow, [opened.metadata.row_group(i).num_rows
                                                  for i in range(opened.num_row_groups)]
        elif source.kind == "arrow":
            with pa.memory_map(path) as stream:
                try:
                    reader = ipc.open_file(stream)
                except pa.ArrowInvalid:
                    return None  # a stream: read from the start
                schema = reader.schema
                sizes = [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)]
        else:
            return None
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise AuditError(_unreadable(path, source.kind, exc)) from None
    parts = []
    cuts = max(1, -(-pieces // max(1, len(sizes))))  # cut groups only when there are too few of them
    for group, size in enumerate(sizes):
        batches = -(-size // batch_rows)
        per = batch_rows * -(-batches // max(1, min(cuts, batches)))
        parts += [Part(path, source.kind, group, skip, min(per, size - skip)) for skip in range(0, size, per)]
    return schema, _singles(parts, batch_rows, tail)


def _unreadable(path: str | Path, kind: str, exc: Exception) -> str:
    """Why a file cannot be read: Arrow's words, or for a JSON Lines column that changes its
    JSON type, the line that does (Arrow's row is counted in its block, from 0)."""
    where = (type_change(path, str(exc)) or bad_line(path)) if kind == "jsonl" else None
    if where is not None:
        return f"{path}: {where}"
    return f"{path}: cannot read it as {kind}: {exc}"


def _singles(parts: list[Part], batch_rows: int, tail: int) -> list[Part]:
    """``parts`` with their last ``tail`` batches (at least) given one batch a part."""
    kept, last = list(parts), list[Part]()
    while kept and len(last) < tail:
        part = kept.pop()
        end = part.skip + part.rows
        last[:0] = [replace(part, skip=skip, rows=min(batch_rows, end - skip))
                    for skip in range(part.skip, end, batch_rows)]
    return kept + last


def read_part(part: Part, batch_rows: int, model: type[BaseModel] | None = None) -> Iterator[pa.RecordBatch]:
    """The batches of one :class:`Part`, read straight from its file (a text file's range
    read for ``model``)."""
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    try:
        if part.lines is not None:
            assert model is not None  # text ranges are planned for a model
            left = part.rows
            for batch in read_lines(part.path, part.kind, part.lines, model):
                if left <= 0:
                    return
                yield batch.slice(0, left)
                left -= batch.num_rows
        elif part.kind == "parquet":
            batches: Iterator[pa.RecordBatch] = pq.ParquetFile(part.path).iter_batches(
                batch_size=batch_rows, row_groups=[part.group])
            seen = 0
            for batch in batches:  # shares start at whole batches: skipped ones are not kept
                if seen >= part.skip + part.rows:
                    return
                if seen >= part.skip:
                    yield batch.slice(0, part.skip + part.rows - seen)
                seen += batch.num_rows
        else:
            with pa.memory_map(part.path) as stream:
                whole = ipc.open_file(stream).get_batch(part.group)
                for offset in range(part.skip, part.skip + part.rows, batch_rows):
                    yield whole.slice(offset, min(batch_rows, part.skip + part.rows - offset))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise AuditError(_unreadable(part.path, part.kind, exc)) from None


def _file_batches(source: Source, model: type[BaseModel], batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The batches of one file; a file that is not what its name says is an AuditError."""
    import pyarrow.csv as pcsv
    import pyarrow.ipc as ipc
    import pyarrow.json as pjson
    import pyarrow.parquet as pq

    path = source.data
    try:
        if source.kind == "parquet":
            yield from pq.ParquetFile(path).iter_batches(batch_size=batch_rows)
        elif source.kind == "csv":
            with pcsv.open_csv(path, convert_options=csv_convert(model),
                               read_options=pcsv.ReadOptions(block_size=BLOCK)) as reader:
                yield from reader
        elif source.kind == "jsonl":
            table = pjson.read_json(path, parse_options=pjson.ParseOptions(explicit_schema=json_schema(model)))
            yield from table.to_batches(max_chunksize=batch_rows)
        else:
            with pa.memory_map(str(path)) as stream:
                try:
                    opened: Any = ipc.open_file(stream)
                    batches = (opened.get_batch(i) for i in range(opened.num_record_batches))
                except pa.ArrowInvalid:
                    stream.seek(0)
                    batches = ipc.open_stream(stream)
                yield from batches
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise AuditError(_unreadable(path, source.kind, exc)) from None


def _fact_rows(facts: Iterable[Any], batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Facts (dicts or models) as batches; each model is dumped to its own fields."""
    chunk: list[dict[str, Any]] = []
    first = 1
    for fact in facts:
        chunk.append(fact.model_dump() if isinstance(fact, BaseModel) else dict(fact))
        if len(chunk) == batch_rows:
            yield _chunk_batch(chunk, first)
            first += len(chunk)
            chunk = []
    if chunk:
        yield _chunk_batch(chunk, first)


def _chunk_batch(chunk: list[dict[str, Any]], first: int = 1) -> pa.RecordBatch:
    """``chunk`` (facts ``first``, ``first + 1`` ...) as one batch, every key of any fact a
    column (null where a fact lacks it): arrow alone keeps only the first fact's keys,
    dropping a field only later facts give. Each column is typed from all its values, not
    from the first (see :func:`_column`)."""
    keys = list(dict.fromkeys(key for fact in chunk for key in fact))
    if not keys:
        return pa.RecordBatch.from_pylist(chunk)
    return pa.RecordBatch.from_pydict({key: _column(key, [fact.get(key) for fact in chunk], first) for key in keys})


def _column(key: str, values: list[Any], first: int) -> list[Any]:
    """One field's values ready for Arrow, which types a column from its first value: aware
    times in UTC (an instant, whatever zone it was given in; Arrow would take the first's zone
    for every row); times mixed with naive times or text as ISO 8601 text, so that each row is
    read, or refused, on its own as the fact model reads it, never as its neighbours are. Any
    other mix of kinds (``"1"`` and ``1``) is refused, naming the field and the facts."""
    kinds = {type(value) for value in values if value is not None}
    if (len(kinds) < 2 and not any(issubclass(kind, datetime) for kind in kinds)) or kinds <= {int, float}:
        return values
    if all(issubclass(kind, datetime | str) for kind in kinds):
        if kinds == {datetime} and all(value is None or value.utcoffset() is not None for value in values):
            return [None if value is None else value.astimezone(UTC) for value in values]
        return [None if value is None else _as_text(value) for value in values]
    seen: dict[type, int] = {}
    for index, value in enumerate(values, first):
        if value is not None:
            seen.setdefault(type(value), index)
    (one, at), (other, later) = list(seen.items())[:2]
    raise AuditError(f"facts: field {key!r} is {one.__name__} in row {at} but {other.__name__} in row {later}; "
                     "give a field one kind of value in every fact")


def _as_text(value: datetime | str) -> str:
    """A time as ISO 8601 text (text as it is)."""
    return value.isoformat() if isinstance(value, datetime) else value


def in_utc(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with every timestamp column that carries a zone in UTC: the same instants
    (Arrow keeps them in UTC already), and no zone Polars cannot name (a fixed ``+05:30``)."""
    odd = [index for index, column in enumerate(batch.schema)
           if pa.types.is_timestamp(column.type) and column.type.tz not in (None, "UTC")]
    if not odd:
        return batch
    schema = batch.schema
    for index in odd:
        column = schema.field(index)
        schema = schema.set(index, column.with_type(pa.timestamp(column.type.unit, "UTC")))
    return batch.cast(schema)


def read_batches(source: Source, model: type[BaseModel], batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The raw batches of ``source`` (no row numbers yet)."""
    if source.kind in ("parquet", "csv", "jsonl", "arrow"):
        yield from _file_batches(source, model, batch_rows)
        return
    if source.kind == "facts":
        yield from _fact_rows(source.data, batch_rows)
        return
    table = source.data
    if source.kind == "polars":
        table = table.to_arrow()
    elif source.kind == "pandas":
        table = pa.Table.from_pandas(table, preserve_index=False)
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    yield from table.to_batches(max_chunksize=batch_rows)


def numbered(batches: Iterable[pa.RecordBatch], batch_rows: int, start: int = 1) -> Iterator[pa.RecordBatch]:
    """``batches`` re-cut to at most ``batch_rows`` rows, each row numbered in :data:`ROW`."""
    row = start
    for batch in batches:
        if ROW in batch.schema.names:
            raise AuditError(f"the input has a column {ROW!r}, the name rows are numbered in: rename it")
        batch = in_utc(batch)
        for offset in range(0, batch.num_rows, batch_rows):
            part = batch.slice(offset, batch_rows)
            numbers = pl.int_range(row, row + part.num_rows, dtype=pl.Int64, eager=True).to_arrow()
            row += part.num_rows
            yield part.append_column(ROW, numbers)


def check_names(schema: pa.Schema, where: str) -> None:
    """Refuse input with two columns of one name (a table holds one column a name)."""
    seen: set[str] = set()
    for name in schema.names:
        if name in seen:
            raise AuditError(f"{where}: column {name!r} appears twice")
        seen.add(name)


def check_columns(schema: pa.Schema, model: type[BaseModel], fact_type: str, where: str) -> None:
    """Refuse input without a column for a required field, with two columns of one name, or
    with a column of a type the field can never take (a number where the model wants text, ...)."""
    check_names(schema, where)
    names = set(schema.names)
    missing = [name for name, info in model.model_fields.items() if info.is_required() and name not in names]
    if missing:
        raise AuditError(f"{where}: no column {', '.join(missing)} (required by {fact_type} facts)")
    for column in schema:
        if column.name not in model.model_fields or pa.types.is_null(column.type):
            continue
        info = field_info(model, column.name)
        allowed = _KIND_TYPES.get(info.kind)
        if info.is_collection:
            allowed = (pa.types.is_list, pa.types.is_large_list, pa.types.is_string)
        if allowed is None or any(test(column.type) for test in allowed):
            continue
        raise AuditError(
            f"{where}: column {column.name!r} holds {column.type}, but {fact_type}.{column.name} is {info.describe()}"
        )


def check_extra(schema: pa.Schema, model: type[BaseModel], fact_type: str, where: str, passed: Iterable[str]) -> None:
    """Refuse columns that are no field of ``model`` and not in ``passed`` (the columns read
    beside the fields, or let through unjudged), each named with the field it may misspell."""
    names = schema.names
    fields = [name for name in model.model_fields if name not in names]
    known = {*model.model_fields, *model.model_computed_fields, ROW, *passed}  # a dumped fact holds computed fields
    unknown = [name for name in names if name not in known]
    if not unknown:
        return
    shown = []
    for name in unknown:
        near = difflib.get_close_matches(name, fields, n=1, cutoff=0.75)
        shown.append(f"{name!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    raise AuditError(
        f"{where}: column {', '.join(shown)} is not a field of {fact_type} facts: rename it, or let it ride "
        "along unjudged as an extra column (extra_columns=, --extra-columns)"
    )


def given(value: Any) -> Any:
    """``value`` without the keys Arrow filled with null, at every depth: a struct column
    holds every field any row has, and a null there means "not given" (the model's default),
    as a missing column does."""
    if isinstance(value, dict):
        return {key: given(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [given(item) for item in value]
    return value
