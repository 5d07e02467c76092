"""Shares of a CSV or JSON Lines file that workers read by themselves: byte ranges cut at line
starts, each range's rows counted here (so every row keeps its number in the input) by
counting line ends, never by parsing.

A line is a row (or an empty line, which the reader skips and the count leaves out) only in
plain files, so any other file is read from the start by one reader, as before: a CSV file
with a quote character anywhere (a quoted value may hold a line end), starting with an empty
line, with an empty line ended by a carriage return, or with a lone carriage return (a line
end to the reader, not here); a JSON Lines file with a line that does not start with ``{``
(an object over several lines, an empty line). A CSV file's header and column types (those its first block gives a
reader of the whole file) are read here and handed to every range, so each is read as a
reader of the whole file reads it; JSON Lines ranges infer their own, as blocks do.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from csrules._audit.errors import AuditError
from csrules._policy.facts import field_info

__all__ = ["BLOCK", "Lines", "csv_convert", "json_schema", "line_parts", "read_lines"]

BLOCK = 1 << 22
"""Bytes per block of the CSV and JSON readers."""
RANGE_BYTES = 1 << 26
"""The most bytes one range holds (a JSON Lines range is read whole: memory stays bounded)."""
_COUNT_BYTES = 1 << 24
"""Bytes counted at a time (the counting copy stays small)."""
_LONE_CR = re.compile(rb"\r(?!\n)")
_NOT_AN_OBJECT = re.compile(rb"\n[^{]")


@dataclass(frozen=True)
class Lines:
    """A byte range of a text file, from a line start to a line start (or the file's end),
    with the CSV header's names and the column types every range is read with."""

    start: int
    end: int
    names: tuple[str, ...] = ()
    schema: pa.Schema | None = None


def text_columns(model: type[BaseModel], kinds: tuple[str, ...] = ("text",)) -> dict[str, pa.DataType]:
    """Fields of ``kinds`` read as text from CSV and JSON: an agent id ``1001`` stays
    ``"1001"``, and a datetime keeps its offset (Arrow's JSON reader would drop it)."""
    out: dict[str, pa.DataType] = {}
    for name in model.model_fields:
        info = field_info(model, name)
        if info.kind in kinds and not info.is_collection:
            out[name] = pa.string()
    return out


_TEXT_KINDS = ("text", "datetime", "date", "time", "duration")
_NESTED_TYPES: dict[str, pa.DataType] = {"bool": pa.bool_(), "number": pa.float64()}


def json_schema(model: type[BaseModel]) -> pa.Schema:
    """The columns a JSON Lines reader is told the type of (text, and models or lists of
    models holding text; the rest inferred)."""
    columns = text_columns(model, _TEXT_KINDS)
    for name in model.model_fields:
        info = field_info(model, name)
        if info.kind == "model" and info.model is not None:
            nested: pa.DataType = _struct(info.model)
            columns[name] = pa.list_(nested) if info.is_collection else nested
    return pa.schema(list(columns.items()))


def _struct(model: type[BaseModel]) -> pa.DataType:
    """``model`` as an Arrow struct whose date-times and other text stay text: Arrow's JSON
    reader would read a nested date-time with an offset as a time of no zone (a row then
    refused as naive) where the same value at the top is kept whole."""
    fields = []
    for name in model.model_fields:
        info = field_info(model, name)
        if info.kind == "model" and info.model is not None:
            inner = _struct(info.model)
        else:
            inner = pa.string() if info.kind in _TEXT_KINDS else _NESTED_TYPES.get(info.kind, pa.string())
        fields.append(pa.field(name, pa.list_(inner) if info.is_collection else inner))
    return pa.struct(fields)


def _plain(data: mmap.mmap, kind: str) -> bool:
    """Whether every line end of ``data`` ends a row or an empty line (see the module's
    text): what costs a full search is searched for only where its first character occurs."""
    if data[:1] in (b"\n", b"\r"):
        return False
    if data.find(b"\r") >= 0 and (_LONE_CR.search(data) or data.find(b"\n\r\n") >= 0):
        return False
    if kind == "csv":
        return data.find(b'"') < 0
    return data[:1] == b"{" and not _NOT_AN_OBJECT.search(data)


def _rows(data: mmap.mmap, start: int, end: int) -> int:
    """Rows in ``data[start:end]``: its line ends, less its empty lines (the reader skips
    them), and a last line without one."""
    count = sum(data[at:min(at + _COUNT_BYTES, end)].count(b"\n") for at in range(start, end, _COUNT_BYTES))
    at = max(start - 1, 0)
    while (at := data.find(b"\n\n", at, end)) >= 0:
        count -= 1
        at += 1
    return count + (1 if end > start and data[end - 1:end] != b"\n" else 0)


def _cuts(data: mmap.mmap, body: int, size: int, pieces: int, halved: int = 0) -> list[int]:
    """Range bounds from ``body`` to ``size``: ``pieces`` ranges at least (none over
    :data:`RANGE_BYTES`), the last ``halved`` of them cut in two (so the shares that end an
    audit are small), each bound moved on to the next line start."""
    count = max(pieces, -(-(size - body) // RANGE_BYTES), 1)
    middles = {2 * index + 1 for index in range(max(0, count - halved), count)}
    halves = sorted({2 * index for index in range(1, count)} | middles)  # in half ranges
    bounds = [body]
    for half in halves:
        newline = data.find(b"\n", body + (size - body) * half // (2 * count))
        at = size if newline < 0 else newline + 1
        if at > bounds[-1] and at < size:
            bounds.append(at)
    return [*bounds, size]


def line_parts(path: str, kind: str, model: type[BaseModel], pieces: int,
               halved: int = 0) -> tuple[pa.Schema, Iterator[tuple[Lines, int]]] | None:
    """The schema of a plain CSV or JSON Lines file and its ranges with their rows, in order
    (the last ``halved`` cut in two), each counted as it is asked for (the first ones are
    judged while later ones are counted); None for a file read from the start (not plain, or
    empty)."""
    with open(path, "rb") as handle:
        if not handle.seek(0, 2):
            return None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if not _plain(data, kind):
                return None
            size = len(data)
            body, names, schema = 0, (), None
            if kind == "csv":
                body = data.find(b"\n") + 1
                if body == 0:
                    return None  # a header alone: read as a whole
                _utf8_header(path, data[:body])
                schema = _csv_schema(path, model)
                names = tuple(schema.names)
            bounds = _cuts(data, body, size, pieces, halved)
            if schema is None:  # JSON Lines: the columns of its first block's lines
                first = data.rfind(b"\n", 0, min(size, BLOCK)) + 1
                schema = _json_schema_of(path, Lines(0, first if first > 0 else bounds[1]), model)
    return schema, _counted(path, bounds, names, schema if kind == "csv" else None)


def _utf8_header(path: str, header: bytes) -> None:
    """Refuse a CSV header that is not UTF-8 text (a UTF-16 export, a GBK column name) by file
    and line: Arrow hands its column names back undecoded."""
    try:
        header.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuditError(f"{path}:1: not UTF-8 text (byte 0x{header[exc.start]:02x} at offset {exc.start})") from None


def _counted(path: str, bounds: list[int], names: tuple[str, ...],
             schema: pa.Schema | None) -> Iterator[tuple[Lines, int]]:
    """Each range between ``bounds`` that holds rows, with their count."""
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for start, end in pairwise(bounds):
                rows = _rows(data, start, end)
                if rows:
                    yield Lines(start, end, names, schema), rows
    except (OSError, ValueError) as exc:
        raise AuditError(f"{path}: cannot read it any more: {exc}") from None


def _csv_schema(path: str, model: type[BaseModel]) -> pa.Schema:
    """The columns and types a reader of the whole file gives (its first block's)."""
    import pyarrow.csv as pcsv

    with pcsv.open_csv(path, convert_options=csv_convert(model), read_options=pcsv.ReadOptions(block_size=BLOCK)) as r:
        return r.schema


def _json_schema_of(path: str, first: Lines, model: type[BaseModel]) -> pa.Schema:
    """The columns of a JSON Lines file's ``first`` lines (checked here before any share runs)."""
    return next(iter(read_lines(path, "jsonl", first, model))).schema


def csv_convert(model: type[BaseModel], schema: pa.Schema | None = None) -> Any:
    """How CSV values are converted: text fields as text, empty values null; with
    ``schema``, every column as that schema types it."""
    import pyarrow.csv as pcsv

    types = text_columns(model) if schema is None else {column.name: column.type for column in schema}
    return pcsv.ConvertOptions(column_types=types, strings_can_be_null=True, null_values=[""])


def read_lines(path: str, kind: str, lines: Lines, model: type[BaseModel]) -> Iterator[pa.RecordBatch]:
    """The batches of one range, read straight from the file (mapped, not copied)."""
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson

    with pa.memory_map(path) as mapped:
        mapped.seek(lines.start)
        piece = pa.BufferReader(mapped.read_buffer(lines.end - lines.start))
        if kind == "csv":
            options = pcsv.ReadOptions(column_names=list(lines.names), block_size=BLOCK)
            with pcsv.open_csv(piece, read_options=options, convert_options=csv_convert(model, lines.schema)) as reader:
                yield from reader
            return
        parse = pjson.ParseOptions(explicit_schema=json_schema(model))
        yield from pjson.read_json(piece, parse_options=parse).to_batches()  # as the whole file is read
