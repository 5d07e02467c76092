"""Reading facts for ``csrules eval``: JSON, JSON Lines or YAML, from files or stdin, streamed.

JSON Lines and JSON (one object, an array of objects, or concatenated objects) are read
incrementally, so memory stays bounded whatever the input size; YAML, a format for
hand-written files, is read whole (up to the loader's file-size limit). Every record knows
its 1-based line number, so a bad fact is reported as ``file:line``.

A record is either a fact, or an envelope ``{"fact": {...}, "fact_type": ..., "now": ...,
"id": ...}`` naming its fact type (needed when a pack judges several), its own ``now``, and
an id echoed in the output.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Literal, TextIO

from csrules._cli._common import CliError, instant_problem
from csrules._cli.dates import iso_problem
from csrules._policy.loader import DuplicateKey, unique_keys

__all__ = ["BadRecord", "Format", "Record", "Utf8Text", "detect_format", "read_records"]

Format = Literal["auto", "json", "jsonl", "yaml"]

CHUNK = 1 << 16
MAX_RECORD_CHARS = 5_000_000
"""Largest single fact accepted in a JSON stream; anything longer is reported, not buffered."""

TOO_DEEP = "invalid JSON: nested too deep to read"
TOO_LONG_NUMBER = "invalid JSON: a number has too many digits to read"

_ENVELOPE_KEYS = frozenset({"fact", "fact_type", "now", "id"})
_RECORD_KEYS = frozenset({"schema_version", "id", "policies", "outcome"})
"""Keys every decision record has (a line of a decision log)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One fact read from the input."""

    index: int
    line: int
    fact: Any
    fact_type: str | None = None
    now: datetime | None = None
    id: Any = None


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not be read; ``message`` says why."""

    index: int
    line: int | None
    message: str


class Utf8Text:
    """A binary stream read as UTF-8 text (a leading BOM is skipped).

    Bytes that are not UTF-8 (binary data, UTF-16) raise a one-line :class:`CliError`
    naming the input, the line and the byte offset, instead of a decoding traceback.
    """

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = raw
        self._name = name
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._offset = 0
        self._line = 1

    def _decode(self, data: bytes) -> str:
        pending = self._decoder.getstate()[0]
        try:
            text: str = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            seen = pending + data
            where = self._offset - len(pending) + exc.start
            line = self._line + seen.count(b"\n", 0, exc.start)
            raise CliError(
                f"{self._name}:{line}: not UTF-8 text (byte 0x{seen[exc.start]:02x} at offset {where})"
            ) from None
        self._offset += len(data)
        self._line += text.count("\n")
        return text

    def read(self, size: int = -1) -> str:
        """Up to ``size`` characters' worth of input (all of it when negative)."""
        while True:
            data = self._raw.read(size)
            text = self._decode(data)
            if text or not data:
                return text

    def readline(self) -> str:
        """One line, with its newline; a line past :data:`MAX_RECORD_CHARS` is cut there
        (and the rest of it skipped by iteration), so memory stays bounded."""
        while True:
            data = self._raw.readline(MAX_RECORD_CHARS + 1)
            text = self._decode(data)
            if text or not data:
                self._skipping = len(data) > MAX_RECORD_CHARS and not data.endswith(b"\n")
                return text

    _skipping = False
    """Inside a line already given out cut (too long): the rest of it is not a line."""

    def __iter__(self) -> Iterator[str]:
        # Lines cut from large chunks: far cheaper than a decode call per line. A line past
        # the record limit is given out once, cut (the reader reports it as too large), and
        # the rest of it dropped, so a file without newlines never fills memory.
        rest = ""
        while chunk := self.read(CHUNK):
            *lines, rest = (rest + chunk).split("\n")
            for line in lines:
                if self._skipping:
                    self._skipping = False
                    continue
                yield line + "\n"
            if len(rest) > MAX_RECORD_CHARS:
                if not self._skipping:
                    yield rest
                self._skipping, rest = True, ""
        if rest and not self._skipping:
            yield rest


def detect_format(name: str, fmt: Format) -> Format:
    """The format from ``--format``, else from the file name's suffix (``auto`` for stdin)."""
    if fmt != "auto":
        return fmt
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson", ".jsonlines")):
        return "jsonl"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(_TABLE_SUFFIXES):
        # read as text, a CSV header is "a fact that is text" and Parquet "not UTF-8": neither says what to do
        raise CliError(f"{name}: a table file; facts are read from JSON, JSON Lines or YAML here "
                       "(csrules audit reads Parquet, CSV, JSON Lines and Arrow files)")
    return "auto"


_TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".arrow", ".feather", ".ipc")
"""File names of tables, which ``csrules audit`` reads and ``eval`` and ``explain`` do not."""


def read_records(stream: Any, fmt: Format, *, name: str = "<stdin>") -> Iterator[Record | BadRecord]:
    """Records from ``stream`` in ``fmt`` (``auto`` sniffs the first line)."""
    if fmt == "auto":
        first = stream.readline()
        # an object cut at the record limit is one too large line of JSON Lines, not the start
        # of a document (a long line opening an array stays JSON: it is read on in chunks)
        cut = len(first) > MAX_RECORD_CHARS and first.lstrip().startswith("{")
        fmt = "jsonl" if cut else _sniff(first)
        yield from _dispatch(_Prefixed(first, stream), fmt, name)
        return
    yield from _dispatch(stream, fmt, name)


def _sniff(first: str) -> Format:
    text = first.strip()
    if text.startswith("{"):
        try:
            json.loads(text)
        except ValueError:
            return "json"  # an object over several lines
        except RecursionError:
            return "jsonl"  # one line, too deep: reported by the JSON Lines reader
        return "jsonl"
    if text.startswith("[") or not text:
        return "json"
    return "yaml"


class _Prefixed:
    """A stream with an already-read first line put back in front."""

    def __init__(self, first: str, rest: TextIO) -> None:
        self._first: str | None = first
        self._rest = rest

    def read(self, size: int = -1) -> str:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return self._rest.read(size)

    def __iter__(self) -> Iterator[str]:
        if self._first is not None:
            first, self._first = self._first, None
            if first:
                yield first
        yield from self._rest


def _dispatch(stream: Any, fmt: Format, name: str) -> Iterator[Record | BadRecord]:
    if fmt == "jsonl":
        return _read_jsonl(stream)
    if fmt == "yaml":
        return _read_yaml(stream, name)
    return _read_json_stream(stream)


def json_kind(data: Any) -> str:
    """What a JSON value is, in JSON's words (``[1, 2]`` is an array, not a list)."""
    if isinstance(data, bool):
        return "true or false"
    kinds = ((dict, "an object"), (list, "an array"), (str, "text"), (int | float, "a number"))
    return next((kind for cls, kind in kinds if isinstance(data, cls)), "null")


def _record(index: int, line: int, data: Any, item: bool = False) -> Record | BadRecord:
    if isinstance(data, dict) and data.keys() >= _RECORD_KEYS:
        return BadRecord(index, line, "a decision record, not a fact: csrules impact judges a decision log again")
    if isinstance(data, dict) and {"fact", "fact_type"} <= data.keys() and not data.keys() <= _ENVELOPE_KEYS:
        # both envelope keys: an envelope with a misspelt or unsupported key, not a fact
        unknown = ", ".join(repr(key) for key in sorted(data.keys() - _ENVELOPE_KEYS))
        return BadRecord(index, line, f"envelope: unknown key {unknown} (an envelope holds fact, fact_type, now, id)")
    if isinstance(data, dict) and "fact" in data and data.keys() <= _ENVELOPE_KEYS:
        now = data.get("now")
        parsed: datetime | None = None
        if now is not None:
            try:
                parsed = datetime.fromisoformat(str(now))
            except ValueError as exc:
                problem = iso_problem(str(now), exc)
                return BadRecord(index, line, f"envelope 'now' {now!r}: {problem}" if problem else
                                 f"envelope 'now' is not an ISO 8601 date-time (got {now!r})")
            if parsed.utcoffset() is None:
                return BadRecord(index, line, f"envelope 'now' needs a time zone (got {now!r})")
            problem = instant_problem(parsed)
            if problem:
                return BadRecord(index, line, f"envelope 'now' {now!r}: {problem}")
        fact_type = data.get("fact_type")
        if fact_type is not None and not isinstance(fact_type, str):
            return BadRecord(index, line, f"envelope 'fact_type' must be text (got {fact_type!r})")
        return Record(index, line, data["fact"], fact_type, parsed, data.get("id"))
    if not isinstance(data, dict):
        where = f" (item {index + 1} of the array)" if item else ""
        return BadRecord(index, line, f"a fact is a JSON object, not {json_kind(data)}{where}")
    return Record(index, line, data)


def _read_jsonl(stream: Any) -> Iterator[Record | BadRecord]:
    index = -1  # 0 once a line is not blank
    loads = json.JSONDecoder(object_pairs_hook=unique_keys).decode
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        index = max(index, 0)
        if len(text) > MAX_RECORD_CHARS:
            yield BadRecord(index, number, _too_large())
            index += 1
            continue
        try:
            data = loads(text)
        except json.JSONDecodeError as exc:
            yield BadRecord(index, number, f"invalid JSON: {exc.msg}")
        except ValueError:
            yield BadRecord(index, number, TOO_LONG_NUMBER)
        except DuplicateKey as exc:
            yield BadRecord(index, number, str(exc))
        except RecursionError:
            yield BadRecord(index, number, TOO_DEEP)
        else:
            yield _record(index, number, data)
        index += 1
    if index < 0:  # nothing but blank lines, as an empty YAML file is refused
        yield BadRecord(0, 1, EMPTY)


def _read_json_stream(stream: Any) -> Iterator[Record | BadRecord]:
    """Objects from a JSON document that is an object, an array, or objects one after another."""
    decoder = json.JSONDecoder(object_pairs_hook=unique_keys)
    buffer = ""
    pos = 0
    line = 1
    index = 0
    eof = False
    in_array = False
    started = False

    def fill() -> bool:
        nonlocal buffer, pos, eof
        chunk = stream.read(CHUNK)
        if not chunk:
            eof = True
            return False
        buffer = buffer[pos:] + chunk
        pos = 0
        return True

    while True:
        # skip whitespace and, inside the top-level array, separators
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                if buffer[pos] == "," and not in_array:
                    yield BadRecord(index, line, "unexpected ',' outside an array")
                    return
                if buffer[pos] == "\n":
                    line += 1
                pos += 1
            if pos < len(buffer) or eof or not fill():
                break
        if pos >= len(buffer):
            if not started:  # nothing but white space, as an empty YAML file is refused
                yield BadRecord(0, 1, EMPTY)
            if in_array:
                yield BadRecord(index, line, "invalid JSON: the array is not closed with ']'")
            return
        char = buffer[pos]
        if char == "[" and not started:
            in_array = True
            started = True
            pos += 1
            continue
        if char == "]" and in_array:
            in_array = False
            pos += 1
            continue
        started = True
        while True:
            try:
                data, end = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError as exc:
                # More input may complete a record cut at the end of the buffer.
                cut = exc.msg.startswith("Unterminated string") or len(buffer) - exc.pos < 64
                too_large = cut and not eof and len(buffer) - pos >= MAX_RECORD_CHARS
                if cut and not eof and not too_large and fill():
                    continue
                where = line + buffer.count("\n", pos, exc.pos)
                yield BadRecord(index, where, _too_large() if too_large else f"invalid JSON: {exc.msg}")
                return
            except RecursionError:
                yield BadRecord(index, line, TOO_DEEP)
                return
            except ValueError:  # only int() fails this way: a number of thousands of digits
                yield BadRecord(index, line, TOO_LONG_NUMBER)
                return
            except DuplicateKey as exc:
                yield BadRecord(index, line, str(exc))
                return
            break
        yield _record(index, line, data, in_array)
        line += buffer.count("\n", pos, end)
        pos = end
        index += 1


EMPTY = "the file is empty"
"""A facts input with nothing in it: refused in every format (an empty export is not zero facts)."""


def _too_large() -> str:
    return f"the record is too large (limit {MAX_RECORD_CHARS:,} characters)"


def _read_yaml(stream: Any, name: str) -> Iterator[Record | BadRecord]:
    from csrules._policy.loader import MAX_FILE_BYTES, read_document
    from csrules.exceptions import PolicyError

    text = stream.read(MAX_FILE_BYTES + 1)  # read_document refuses more; never buffer it all
    try:
        data, lines = read_document(text, fmt="yaml", name=name)
    except PolicyError as exc:
        yield BadRecord(0, exc.line, exc.message)
        return
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items):
        line = lines.get((index,), 1) if isinstance(data, list) else lines.get((), 1)
        yield _record(index, line, item)
