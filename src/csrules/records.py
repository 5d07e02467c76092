"""Decisions that can be defended later: records, replay, decision logs, and the impact of a
policy change on history.

>>> record = engine.evaluate(fact, now=now).record()                  # doctest: +SKIP
>>> replay(record, engine).identical                                   # doctest: +SKIP
True
>>> with SQLiteLog("decisions.db") as log:                             # doctest: +SKIP
...     logged = engine.with_log(log)           # called exactly like the engine
...     logged.evaluate(fact, now=now)
>>> report = impact("call_centre", "company/", ["decisions.db"])        # doctest: +SKIP
>>> print(report.to_markdown())                                       # doctest: +SKIP

- **records**: :class:`DecisionRecord` (from :meth:`csrules.Decision.record`), its parts
  :class:`RecordedPolicy`, :class:`RecordedEffect`, :class:`RecordedError`, :class:`PackRef`;
  :func:`record_schema` (``csrules schema --record``); :func:`parse_record`.
- **replay**: :func:`replay` gives a :class:`ReplayResult` (identical, differs with the
  :class:`EffectChange`\\ s, or other policy content with the :class:`PolicyMismatch`\\ es);
  :func:`replay_steps` replays a session log's events and ticks through a session engine.
- **logs**: :class:`JsonlLog`, :class:`SQLiteLog` (both :class:`DecisionLog`\\ s);
  ``engine.with_log(log)`` gives a :class:`LoggedEngine`; ``SessionEngine(..., log=log)``
  records every step; :func:`read_log` gives a :class:`LogReader`.
- **impact**: :func:`impact` gives an :class:`ImpactReport` (Markdown, HTML, JSON).

A fact model names its subject (what ``subject`` in a record and the SQLite index hold) with
a ``__subject__`` class attribute (a dotted path); else the first of :data:`SUBJECT_FIELDS`
it has is taken.

.. versionadded:: 0.2
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, suppress
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from csrules._engine.engine import Engine
from csrules._engine.impact import (
    DIRECTIONS,
    Direction,
    HistoricalFact,
    ImpactExample,
    ImpactGroup,
    ImpactReport,
    measure_impact,
)
from csrules._engine.logs import (
    UNREADABLE,
    DecisionLog,
    JsonlLog,
    LoggedEngine,
    LogPart,
    LogReader,
    SQLiteLog,
    is_sqlite,
    jsonl_parts,
    read_log,
    read_only,
)
from csrules._engine.record import (
    SCHEMA_VERSION,
    SUBJECT_FIELDS,
    DecisionRecord,
    PackRef,
    RecordedEffect,
    RecordedError,
    RecordedPolicy,
    parse_record,
    record_schema,
    subject_field,
)
from csrules._engine.replay import EffectChange, PolicyMismatch, ReplayResult, ReplayStatus, replay, replay_steps
from csrules._policy.loader import DuplicateKey, load_policy, unique_keys
from csrules.exceptions import FactError, RecordError
from csrules.policies import Pack, load_pack

__all__ = [
    "DIRECTIONS",
    "SCHEMA_VERSION",
    "SUBJECT_FIELDS",
    "DecisionLog",
    "DecisionRecord",
    "Direction",
    "EffectChange",
    "HistoricalFact",
    "ImpactExample",
    "ImpactGroup",
    "ImpactReport",
    "JsonlLog",
    "LogReader",
    "LoggedEngine",
    "PackRef",
    "PolicyMismatch",
    "RecordedEffect",
    "RecordedError",
    "RecordedPolicy",
    "ReplayResult",
    "ReplayStatus",
    "SQLiteLog",
    "count_facts",
    "engine_of",
    "history",
    "impact",
    "parse_record",
    "read_log",
    "record_schema",
    "replay",
    "replay_steps",
    "subject_field",
]

_POLICY_SUFFIXES = (".yaml", ".yml", ".json")


def engine_of(spec: Engine | Pack | str | os.PathLike[str]) -> tuple[Engine, str]:
    """The engine ``spec`` stands for, and its name: an engine as is; a pack's engine; a
    policy file's; otherwise ``load_pack(spec)`` (a built-in pack's name, or a pack
    directory where packs can be loaded from one)."""
    if isinstance(spec, Engine | Pack):
        engine = spec.engine() if isinstance(spec, Pack) else spec
        return engine, _engine_name(engine)
    text = os.fspath(spec)
    path = Path(text)
    if path.is_file() and path.suffix.lower() in _POLICY_SUFFIXES and path.name != "pack.yaml":
        return Engine(load_policy(path)), text
    return load_pack(text).engine(), text


def _engine_name(engine: Engine) -> str:
    """A short name for reports: the pack (and whether it is tuned), else the policies."""
    if engine.pack is not None:
        return engine.pack.name + (" (tuned: " + ", ".join(
            f"{policy}.{name}={value}" for policy, values in engine.pack.overrides.items()
            for name, value in values.items()) + ")" if engine.pack.overrides else "")
    shown = [f"{p.id}@{p.version}" for p in engine.policies]
    return ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")


def _is_record(data: Any) -> bool:
    """Whether a line's JSON is (meant as) a decision record: one with a ``schema_version``
    and an ``id`` or an ``outcome``. A damaged record (a key lost or misspelt) is read as one,
    so its problem names what is wrong, not judged as a plain fact of no type."""
    return isinstance(data, dict) and "schema_version" in data and ("id" in data or "outcome" in data)


def history(sources: Iterable[str | os.PathLike[str]], *, now: datetime | None = None,
            fact_type: str | None = None,
            problem: Callable[[str], None] | None = None) -> Iterator[HistoricalFact]:
    """The facts of ``sources``, one at a time: decision logs (JSON Lines, with their rotated
    files, or SQLite) give each record's fact at its own ``now`` (a session step's too, with its
    record, which :func:`impact` counts and leaves out); a JSON Lines file of plain
    facts gives each at ``now`` (and ``fact_type``). A line that cannot be read is passed to
    ``problem`` as ``file:line: why`` (raised as :class:`RecordError` without one). Each
    file is read once however often it is named (``d.jsonl d.jsonl.1``: the log already
    holds its rotated part)."""

    def bad(error: RecordError) -> None:
        if problem is None:
            raise error
        problem(str(error))

    seen: set[tuple[int, int]] = set()
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise RecordError("no such decision log or facts file", file=str(path))
        if path.is_dir():
            raise RecordError("is a directory, not a decision log or facts file", file=str(path))
        if is_sqlite(path):
            if not _first_time(path, seen):
                continue
            # session steps: counted, not judged; a bad row is passed on as it is met
            yield from (HistoricalFact.of_record(r, where) for where, r in LogReader(path, problem=bad).located())
            continue
        for part in jsonl_parts(path, seen):
            try:
                yield from _jsonl_history(part, now, fact_type, bad)
            except RecordError as exc:  # a damaged compressed part: the next parts are read
                bad(exc)


def _first_time(path: Path, seen: set[tuple[int, int]]) -> bool:
    """Whether the file at ``path`` is not in ``seen`` yet (it is added)."""
    status = path.stat()
    identity = (status.st_dev, status.st_ino)
    if identity in seen:
        return False
    seen.add(identity)
    return True


_WRITTEN = '{"schema_version":'
"""How every record a decision log writes begins."""

_UNIQUE_KEYS = json.JSONDecoder(object_pairs_hook=unique_keys)
"""Reads one line's JSON, refusing a key given twice."""


def _jsonl_history(part: LogPart, now: datetime | None, fact_type: str | None,
                   bad: Callable[[RecordError], None]) -> Iterator[HistoricalFact]:
    path = part.path
    for number, raw in part.lines():
        try:  # UTF-8 as every log is written (json.loads would take bytes as UTF-16 too)
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad(RecordError(f"not UTF-8 text ({exc.reason})", file=str(path), line=number))
            continue
        if text.startswith(_WRITTEN):  # a record as logs write it: its JSON is parsed once
            try:
                record = parse_record(text)
            except RecordError:
                pass  # read below, where its problem is named as ever
            else:
                yield HistoricalFact.of_record(record, f"{path}:{number}")
                continue
        try:  # a key given twice is refused, as eval refuses it (json would keep the last)
            data = _UNIQUE_KEYS.decode(text)
        except json.JSONDecodeError as exc:
            bad(RecordError(f"not JSON ({exc})", file=str(path), line=number))
            continue
        except DuplicateKey as exc:
            bad(RecordError(str(exc), file=str(path), line=number))
            continue
        if not _is_record(data):
            yield HistoricalFact(fact_type, data, now, f"{path}:{number}")
            continue
        try:
            record = parse_record(text, file=str(path), line=number)
        except RecordError as exc:
            bad(exc)
            continue
        yield HistoricalFact.of_record(record, f"{path}:{number}")


def impact(old: Engine | Pack | str | os.PathLike[str], new: Engine | Pack | str | os.PathLike[str],
           records: Iterable[str | os.PathLike[str]] | Iterable[DecisionRecord], *,
           now: datetime | None = None, fact_type: str | None = None,
           progress: Callable[[int, int], None] | None = None) -> ImpactReport:
    """Judge every historical fact of ``records`` (decision log or facts files, or
    :class:`DecisionRecord` objects) under ``old`` and ``new`` (engines, packs, pack names
    or directories, policy files) and report the decisions that change."""
    old_engine, old_name = engine_of(old)
    new_engine, new_name = engine_of(new)
    judged = dict.fromkeys([*old_engine.fact_types, *new_engine.fact_types])
    if fact_type is not None and fact_type not in judged:  # a misspelt type would skip every fact
        raise FactError(f"fact_type {fact_type!r}: neither side judges it (fact types: {', '.join(judged)})",
                        fact_type=fact_type)
    report = ImpactReport(old_name, new_name)
    given = iter(records)
    first = next(given, None)
    rest: Iterator[Any] = itertools.chain([first], given) if first is not None else iter(())
    facts: Iterable[HistoricalFact]
    if isinstance(first, DecisionRecord):  # records in memory: streamed as given
        facts = (HistoricalFact.of_record(r) for r in rest)
    else:
        facts = history(rest, now=now, fact_type=fact_type, problem=report.problem)
    return measure_impact(old_engine, new_engine, facts, report=report, progress=progress)


def count_facts(sources: Iterable[str | os.PathLike[str]]) -> int:
    """How many facts ``sources`` hold, about (rows of a SQLite log, lines of JSON Lines,
    rotated files included), counted in bounded memory for a progress bar."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for source in sources:
        path = Path(source)
        if not path.exists():
            continue
        if is_sqlite(path):
            if not _first_time(path, seen):
                continue
            with closing(read_only(path)) as db:
                try:
                    total += int(db.execute("SELECT count(*) FROM decisions").fetchone()[0])
                except sqlite3.Error:
                    continue
            continue
        for part in jsonl_parts(path, seen):
            with suppress(*UNREADABLE):  # a damaged compressed part: counted as far as it reads
                for chunk in iter(partial(part.handle.read, 1 << 20), b""):
                    total += chunk.count(b"\n")
    return total

