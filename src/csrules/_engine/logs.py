"""Decision logs: append-only sinks for decision records, and readers for them.

Two sinks share one behaviour (:class:`DecisionLog`): records are batched and written when
a batch is full, on :meth:`~DecisionLog.flush`, on :meth:`~DecisionLog.close` (or leaving a
``with`` block) and at interpreter exit. A write that fails raises :class:`LogWriteError`
naming the sink, its path and the records not written; they stay pending, so a later flush
writes them: a record is never dropped silently.

- :class:`JsonlLog` writes one JSON line per record, rotating to ``<name>.1``, ``<name>.2``
  ... (oldest first) when the file would grow past ``max_bytes``;
- :class:`SQLiteLog` writes one row per record to the table ``decisions`` (indexed by time,
  subject and rule), one transaction per batch; several processes may append to one file.

:func:`read_log` reads either back, oldest first, in bounded memory; a line that is not a
record is reported (file:line) in :attr:`LogReader.problems` and the rest is still read.
A JSON Lines log is read as it stood when reading reached its current file: a rotation
meanwhile is noticed and the renamed file read, so no record written before is skipped.

A process forked while records are pending (a pre-forking server) leaves them to the parent:
the child starts with none pending, so each record is written once.
"""

from __future__ import annotations

import atexit
import gzip
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager, suppress
from datetime import UTC, date, datetime
from multiprocessing import util as _mp_util
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, ClassVar, cast

from csrules._engine.forks import ForkGuard
from csrules._engine.record import DecisionRecord, LogLine, decision_line, parse_record
from csrules._engine.wal import check_timeout, use_wal
from csrules._time.calendar import ensure_aware
from csrules.exceptions import LogOptionError, LogWriteError, RecordError

try:  # POSIX: writers of one JSON Lines log in several processes take turns
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from csrules._engine.decision import Decision
    from csrules._engine.engine import Engine

__all__ = [
    "UNREADABLE",
    "DecisionLog",
    "JsonlLog",
    "LogPart",
    "LogReader",
    "LoggedEngine",
    "SQLiteLog",
    "file_identity",
    "is_sqlite",
    "jsonl_parts",
    "read_log",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
_NOT_JSONL = "the file is a SQLite database, not a JSON Lines log (use SQLiteLog for it)"
_NOT_A_LOG = "the file is a session store, not a decision log (give the log a file of its own)"
_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DecisionLog:
    """An append-only sink for :class:`DecisionRecord`: batched writes, flush, close.

    .. versionadded:: 0.2
    """

    kind: ClassVar[str] = "decision"

    def __init__(self, path: str | os.PathLike[str], *, batch: int = 256) -> None:
        _check_whole(self, path, "batch", batch)
        self.path = Path(path)
        self.batch = batch
        self._pending: list[LogLine] = []
        self._lock = threading.Lock()  # guards the pending list
        self._write_lock = threading.Lock()  # one batch written at a time, in order; a fork waits for it
        self._lock_owner: int | None = None  # the thread writing a batch (see ForkGuard)
        self._closed = False
        self._exit_flush: _mp_util.Finalize
        atexit.register(self.flush)  # records still pending at exit are written then
        _flush_at_process_exit(self)
        # a multiprocessing child forked with this log: flushed at that child's exit too
        _mp_util.register_after_fork(self, _flush_at_process_exit)
        _FORK.add(self)

    def _forked(self) -> None:
        """In a child just forked: the pending records are the parent's to write (a copy
        written here too would be logged twice), and locks held by the parent's other
        threads at the fork are never released here."""
        self._pending = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()

    @property
    def pending(self) -> int:
        """How many records wait for the next write."""
        return len(self._pending)

    def write(self, record: DecisionRecord) -> None:
        """Append ``record`` (written with its batch; see :meth:`flush`)."""
        self._append(LogLine.of_record(record))

    def check_open(self) -> None:
        """Raise :class:`LogWriteError` when the log is closed: a caller about to commit
        something whose record goes here asks first, so a closed log refuses before anything
        is committed."""
        if self._closed:
            raise LogWriteError("it is closed: nothing was done", sink=self.kind, path=str(self.path))

    def write_decision(self, decision: Decision, *, trace: bool = False) -> None:
        """Append the record of ``decision`` (what ``decision.record(trace=trace)`` gives)."""
        self._append(LogLine.of_record(decision.record(trace=True)) if trace else decision_line(decision))

    def _append(self, line: LogLine) -> None:
        with self._lock:
            if self._closed:
                self._fail("it is closed", [line])
            self._pending.append(line)
            full = len(self._pending) >= self.batch
        if full:
            self.flush()

    def write_many(self, records: Iterable[DecisionRecord]) -> None:
        """Append every record of ``records``."""
        for record in records:
            self.write(record)

    def flush(self) -> None:
        """Write the pending records now; a failure raises :class:`LogWriteError` and
        keeps them pending (before any record added meanwhile)."""
        with self._write_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return
            with _FORK.inside(self):
                try:
                    self._write(pending)
                except (OSError, sqlite3.Error, ValueError) as exc:
                    with self._lock:
                        self._pending[:0] = pending
                    self._fail(f"{type(exc).__name__}: {exc}", pending)

    def close(self) -> None:
        """Write what is pending and release the file (safe to call twice)."""
        if self._closed:
            return
        self.flush()
        with self._write_lock, self._lock:
            self._closed = True
            atexit.unregister(self.flush)
            self._exit_flush.cancel()
            self._release()

    def _fail(self, why: str, records: list[LogLine]) -> None:
        first = records[0].id if records else "none"
        raise LogWriteError(
            f"{len(records)} record(s) not written (first {first}): {why}; they stay pending "
            "until a flush succeeds",
            sink=self.kind, path=str(self.path),
        )

    def _write(self, records: list[LogLine]) -> None:
        """Write ``records``; a sink may take off those it wrote before failing."""
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self.path)!r} pending={self.pending}>"


class JsonlLog(DecisionLog):
    """Records as JSON Lines in ``path``; past ``max_bytes`` the file is renamed
    ``<name>.N`` (N = 1, 2 ... oldest first) and a new one begun. Nothing is deleted.
    Threads and processes may share one file, through one log object or several: each batch
    is appended, and the file rotated, while holding a lock on ``<name>.lock`` (and, within a
    process, a lock per resolved path), so lines are never cut or mixed and no rotated file is
    overwritten. A batch that fails part-way is taken back out of the file (and stays
    pending), so the file never ends in half a line.

    .. versionadded:: 0.2
    """

    kind = "JSON Lines"

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int = 64 * 2**20, batch: int = 256) -> None:
        _check_whole(self, path, "max_bytes", max_bytes)  # before the log is made: a refused one leaves nothing behind
        super().__init__(path, batch=batch)
        self.max_bytes = max_bytes
        # the file itself: writers naming it by a symbolic link share its lock and rotate it,
        # not the link (whose renamed copies no reader of the file would find)
        self._file = _link_target(self.path)
        self._fd: int | None = None
        self._path_lock: _PathLock | None = None
        if self._file.is_dir():  # refused now, not when the first batch is written
            raise LogWriteError("it is a directory: give the log a file's path", sink=self.kind, path=str(self.path))
        if is_sqlite(self.path):
            raise LogWriteError(_NOT_JSONL, sink=self.kind, path=str(self.path))

    @property
    def lock_path(self) -> Path:
        """The file whose lock writers of this log take in turn."""
        return self._file.with_name(self._file.name + ".lock")

    def _write(self, records: list[LogLine]) -> None:
        # Records are taken off ``records`` as they reach the file: after a failure only
        # the rest stay pending (a batch that spans a rotation is written in two parts).
        written = 0
        with self._locked():
            try:
                fd = self._current()
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":  # a writer killed mid-line
                    # end the torn line, so the records appended now are lines of their own
                    # (the torn one is reported on its own when read), never glued onto it
                    self._append_lines(fd, [b"\n"])
                    size += 1
                chunk: list[bytes] = []
                for record in records:
                    line = (record.json + "\n").encode("utf-8")
                    if size and size + len(line) > self.max_bytes:
                        self._append_lines(fd, chunk)
                        written += len(chunk)
                        chunk, fd, size = [], self._rotate(), 0
                    chunk.append(line)
                    size += len(line)
                self._append_lines(fd, chunk)
                written += len(chunk)
            finally:
                del records[:written]

    @staticmethod
    def _append_lines(fd: int, lines: list[bytes]) -> None:
        """Append ``lines`` whole; on a failure cut the file back to where it was and raise."""
        start = os.fstat(fd).st_size
        view = memoryview(b"".join(lines))
        try:
            while view:
                view = view[os.write(fd, view):]
        except OSError:
            with suppress(OSError):
                os.ftruncate(fd, start)
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the log's lock (threads of this process, and other processes) while writing."""
        if self._path_lock is None:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            self._path_lock = _path_lock(self.lock_path)
        with _held(self._path_lock, write=True):
            yield

    def _current(self) -> int:
        """The open file at ``path``, reopened when another writer rotated it away."""
        if self._fd is not None:
            try:
                here, there = os.fstat(self._fd), os.stat(self._file)
                if (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino):
                    return self._fd
            except FileNotFoundError:
                pass
            self._close_file()
        self._file.parent.mkdir(parents=True, exist_ok=True)
        if is_sqlite(self._file):  # appended lines would sit where no reader looks
            raise ValueError(_NOT_JSONL)
        # readable too: a torn last line is looked for before each batch (see _write)
        self._fd = os.open(self._file, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        return self._fd

    def _rotate(self) -> int:
        """Rename the full file to the next free ``<name>.N`` and start a new one."""
        self._close_file()
        numbers = [n for n, _ in jsonl_segments(self._file)]
        self._file.rename(self._file.with_name(f"{self._file.name}.{max(numbers, default=0) + 1}"))
        return self._current()

    def _close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _release(self) -> None:
        self._close_file()
        if self._path_lock is not None:
            _let_go(self._path_lock)
            self._path_lock = None


class SQLiteLog(DecisionLog):
    """Records as rows of the table ``decisions`` in a SQLite database, one transaction per
    batch. Columns besides the record's JSON: ``id``, ``at_us`` (``now`` in microseconds
    since 1970 UTC), ``fact_type``, ``subject``, ``rule`` (the first rule that applied),
    ``rules`` (all, space-separated), ``outcome``; indexes on ``at_us``, ``subject`` and
    ``rule`` (not on ``id``: random keys would double the cost of a write). Several
    processes may append to one database (WAL journal, a writer waits up to ``timeout``
    seconds for another's batch). A database holding other tables (a session store's,
    another application's) is refused, and left as it was.

    .. versionadded:: 0.2
    """

    kind = "SQLite"

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS decisions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, "
        "at_us INTEGER, fact_type TEXT, subject TEXT, rule TEXT, rules TEXT NOT NULL, "
        "outcome TEXT NOT NULL, record TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS decisions_at ON decisions (at_us)",
        "CREATE INDEX IF NOT EXISTS decisions_subject ON decisions (subject, at_us)",
        "CREATE INDEX IF NOT EXISTS decisions_rule ON decisions (rule, at_us)",
    )
    _INSERT = ("INSERT INTO decisions (id, at_us, fact_type, subject, rule, rules, outcome, record) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")

    def __init__(self, path: str | os.PathLike[str], *, batch: int = 256, timeout: float = 60.0) -> None:
        try:  # before the log is made: a refused one leaves nothing behind
            self.timeout = check_timeout(timeout)
        except ValueError as exc:
            raise LogOptionError(str(exc), sink=self.kind, path=str(path)) from None
        super().__init__(path, batch=batch)
        self._db: sqlite3.Connection | None = None
        try:
            self._connect()
        except sqlite3.Error as exc:
            raise LogWriteError(f"cannot open the database: {type(exc).__name__}: {exc}",
                                sink=self.kind, path=str(self.path)) from None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            try:
                self._refuse_foreign(db)  # before anything is changed (the journal mode is the file's)
                use_wal(db, self.timeout)
                db.execute("PRAGMA synchronous=NORMAL")
                # fewer, larger checkpoints: a log only appends (the journal grows to 64 MiB)
                db.execute("PRAGMA wal_autocheckpoint=16384")
                db.execute("BEGIN IMMEDIATE")  # one creator at a time: a racing one finds the tables made
                self._refuse_foreign(db)
                for statement in self._SCHEMA:
                    db.execute(statement)
                db.execute("COMMIT")
            except (sqlite3.Error, LogWriteError):
                db.close()
                raise
            self._db = db
        return self._db

    def _refuse_foreign(self, db: sqlite3.Connection) -> None:
        """Raise :class:`LogWriteError` when the database holds tables and no decision log (a
        wrong path: records would hide in a session store or in another application's data)."""
        tables = {row[0] for row in db.execute(_TABLES)}
        if not tables or "decisions" in tables:
            return
        if db.in_transaction:
            db.execute("ROLLBACK")
        if tables & {"csrules_meta", "csrules_sessions"}:
            raise LogWriteError(_NOT_A_LOG, sink=self.kind, path=str(self.path))
        raise LogWriteError(f"the file is an SQLite database of something else (tables: {', '.join(sorted(tables))}), "
                            "not a decision log (give the log a file of its own)", sink=self.kind, path=str(self.path))

    def _write(self, records: list[LogLine]) -> None:
        db = self._connect()
        rows = [_row(record) for record in records]
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(self._INSERT, rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite ends it itself on some errors (a full disk)
                with suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise

    def _release(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _forked(self) -> None:
        """In a child just forked: the parent's connection is left alone (SQLite forbids
        using one across a fork; closing it here could disturb the parent's), a new one is
        opened on the next write."""
        super()._forked()
        if self._db is not None:
            _INHERITED.append(self._db)
            self._db = None

    def count(self) -> int:
        """How many records the database holds (pending ones not included)."""
        row = self._connect().execute("SELECT count(*) FROM decisions").fetchone()
        return int(row[0])

    def records(self, *, subject: str | None = None, rule: str | None = None,
                since: datetime | None = None, until: datetime | None = None) -> Iterator[DecisionRecord]:
        """The stored records, oldest first, narrowed by ``subject``, by ``rule`` (a rule
        that applied, first or not), and by ``now`` in ``[since, until)``. ``subject`` and the
        times are index look-ups; ``rule`` is read from each record's rule list. The records
        are those stored when reading began, read on a connection of their own: a record
        written meanwhile (through this log too, say by judging each record read again) is
        not read, so reading ends."""
        where, args = [], []
        for clause, value in (("subject = ?", subject), ("instr(' ' || rules || ' ', ' ' || ? || ' ') > 0", rule),
                              ("at_us >= ?", _bound_us("since", since)), ("at_us < ?", _bound_us("until", until))):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = "SELECT seq, record FROM decisions" + (" WHERE " + " AND ".join(where) if where else "")
        self._connect()  # the table exists
        with closing(read_only(self.path, timeout=self.timeout)) as db:
            for seq, text in db.execute(sql + " ORDER BY seq", args):
                yield parse_record(text, file=str(self.path), line=seq)


def _bound_us(name: str, moment: object) -> int | None:
    """``since`` or ``until`` of :meth:`SQLiteLog.records` as microseconds since 1970 UTC; a
    naive date-time (or a date) names no instant and is refused. Reckoned from the instant
    itself, not from it written in UTC: a bound past the ends of years 1 to 9999 in UTC
    (9999-12-31 at -08:00) lies beyond every recorded instant."""
    if moment is None:
        return None
    if isinstance(moment, datetime) and moment.utcoffset() is not None:
        return _us(moment)
    return _us(ensure_aware(moment, f"records({name}=...)"))  # which refuses it, naming the bound


def _us(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // _MICRO


_MICRO = _EPOCH.resolution


def _row(line: LogLine) -> tuple[Any, ...]:
    rules = line.rules
    return (line.id, _us(line.now), line.fact_type, line.subject, rules[0] if rules else None,
            " ".join(rules), line.outcome, line.json)


class _PathLock:
    """The lock of one log file within this process: a thread lock, and one descriptor of
    the lock file whose POSIX record lock excludes other processes. Record locks belong to
    a process (two descriptors in one process never exclude each other, and closing either
    drops both), so every writer and reader of the path in this process shares this one."""

    __slots__ = ("fd", "path", "thread", "users", "writable")

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread = threading.Lock()
        self.fd: int | None = None
        self.writable = False
        self.users = 0

    def descriptor(self, write: bool) -> int | None:
        """The lock file's descriptor (made for a writer; a reader only opens one that exists)."""
        if self.fd is not None and (self.writable or not write):
            return self.fd
        self.close()
        try:
            if write:
                self.fd, self.writable = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666), True
            else:
                self.fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            if write:
                raise
            return None  # no writer has made it (or it cannot be read): nothing to wait for
        return self.fd

    def close(self) -> None:
        """Close the descriptor (only while no lock of it is held)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd, self.writable = None, False


_PATH_LOCKS: dict[str, _PathLock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def _flush_at_process_exit(log: DecisionLog) -> None:
    """Write ``log``'s pending records when this process ends, a multiprocessing child too:
    a child leaves through ``os._exit``, which runs no ``atexit`` function, but runs the
    finalizers registered here first (a failed write is printed there, not lost silently)."""
    log._exit_flush = _mp_util.Finalize(log, log.flush, exitpriority=10)

_INHERITED: list[sqlite3.Connection] = []
"""Connections a forked child inherited: kept open, never used (closing one could disturb the parent)."""


def _path_lock(lock_path: Path) -> _PathLock:
    """This process's lock of ``lock_path`` (by resolved path), taken into use: give it back
    with :func:`_let_go`."""
    key = os.path.realpath(lock_path)
    with _PATH_LOCKS_GUARD:
        lock = _PATH_LOCKS.setdefault(key, _PathLock(key))
        lock.users += 1
        return lock


def _let_go(lock: _PathLock) -> None:
    """Give back a lock taken by :func:`_path_lock`; the last user closes its descriptor."""
    with _PATH_LOCKS_GUARD:
        lock.users -= 1
        if not lock.users:  # nobody else here uses it: closing drops no lock of theirs
            _PATH_LOCKS.pop(lock.path, None)
            lock.close()


@contextmanager
def _held(lock: _PathLock, *, write: bool) -> Iterator[None]:
    """Hold ``lock``: exclusive to write, shared to read (a reader waits for a batch)."""
    with lock.thread:
        fd = lock.descriptor(write) if _fcntl is not None else None
        if fd is not None:
            _fcntl.lockf(fd, _fcntl.LOCK_EX if write else _fcntl.LOCK_SH)
        try:
            yield
        finally:
            if fd is not None:
                _fcntl.lockf(fd, _fcntl.LOCK_UN)


@contextmanager
def _holding(lock_path: Path, *, write: bool) -> Iterator[None]:
    """Hold the lock of a log (``lock_path``) once."""
    lock = _path_lock(lock_path)
    try:
        with _held(lock, write=write):
            yield
    finally:
        _let_go(lock)


def _fresh_path_locks() -> None:
    """In a child just forked: locks held by the parent's other threads stay held here, so
    the path locks' thread locks are made anew."""
    global _PATH_LOCKS_GUARD
    _PATH_LOCKS_GUARD = threading.Lock()
    for lock in _PATH_LOCKS.values():
        lock.thread = threading.Lock()


_FORK: ForkGuard[DecisionLog] = ForkGuard(lambda log: log._write_lock, child=_fresh_path_locks)
"""A fork waits for a batch another thread is writing: a child then never inherits a SQLite
connection inside a write (its own connection would wait on the inherited one's lock until
the timeout) nor a JSON Lines file half appended; records pending in the parent are the
parent's to write (see :meth:`DecisionLog._forked`)."""


def _link_target(path: Path) -> Path:
    """The file a symbolic link ``path`` names (``path`` itself when it is no link)."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def jsonl_segments(path: Path) -> list[tuple[int, Path]]:
    """The rotated files of the JSON Lines log ``path`` as ``(N, path)``, oldest first:
    ``<name>.N``, or ``<name>.N.gz`` where it was compressed since (an archiving tool's
    copy next to a ``<name>.N`` still there is the same part, read once)."""
    found: dict[int, Path] = {}
    prefix = f"{path.name}."  # compared as text: a name holding [ ] * ? is no glob pattern
    for candidate in path.parent.iterdir() if path.parent.exists() else ():
        suffix = candidate.name[len(prefix):]
        number = suffix.removesuffix(_GZ)
        if candidate.name.startswith(prefix) and number.isascii() and number.isdigit() and (
                suffix == number or int(number) not in found):
            found[int(number)] = candidate
    return sorted(found.items())


_GZ = ".gz"
UNREADABLE = (OSError, EOFError, zlib.error)
"""What reading a damaged compressed part raises."""


def _open_part(path: Path) -> IO[bytes]:
    """A part of a JSON Lines log opened for reading, decompressed when it is ``.gz``."""
    if path.name.endswith(_GZ):
        return cast("IO[bytes]", gzip.open(path, "rb"))
    return open(path, "rb")


def read_only(path: Path, *, timeout: float = 5.0) -> sqlite3.Connection:
    """``path``'s SQLite database opened read-only, by a URI that quotes the path: a ``#``,
    ``?`` or ``%`` in a file name would otherwise cut the name or open another file."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def is_sqlite(path: Path) -> bool:
    """True when ``path`` is a SQLite database (by its first bytes)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


class LogPart:
    """One file of a JSON Lines log, open for reading: its path, and how many bytes of it
    belong to the log as read (None: all; the current file is read as it stood)."""

    __slots__ = ("handle", "limit", "path")

    def __init__(self, path: Path, handle: IO[bytes], limit: int | None = None) -> None:
        self.path, self.handle, self.limit = path, handle, limit

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """Each line that is not blank, with its number (from 1). A compressed part that
        cannot be read on raises :class:`RecordError` naming the line it stopped at."""
        read = number = 0
        lines = iter(self.handle)
        while True:
            try:
                raw = next(lines, None)
            except UNREADABLE as exc:
                raise RecordError(f"cannot be read on: {type(exc).__name__}: {exc}; the lines after are "
                                  "not read", file=str(self.path), line=number + 1) from None
            if raw is None:
                return
            number += 1
            read += len(raw)
            if self.limit is not None and read > self.limit:
                return  # written after the log was read: the next reading has it
            if raw.strip():
                yield number, raw


def file_identity(handle: IO[bytes]) -> tuple[int, int]:
    """The device and inode of an open file: the same file under two names (a rotated part
    named as well as its log) has one identity."""
    status = os.fstat(handle.fileno())
    return status.st_dev, status.st_ino


def jsonl_parts(path: Path, seen: set[tuple[int, int]] | None = None) -> Iterator[LogPart]:
    """The files of the JSON Lines log ``path``, oldest first, each open while it is read:
    the rotated ``<name>.N``, then ``path`` itself as it stood (under the writers' lock) once
    no rotation remains unread. A file in ``seen`` (:func:`file_identity`) is left out, and
    each file read is added to it: several names of one log read each file once."""
    seen = set() if seen is None else seen
    path = _link_target(path)  # a symbolic link: the log is its file's (see JsonlLog)
    done = 0  # the highest rotated part read
    while True:
        for number, segment in jsonl_segments(path):
            if number > done:
                done = number
                yield from _unseen(segment, seen, None)
        current = _current_part(path, done)
        if current is not _ROTATED:
            if current is not None:
                handle, size = current
                yield from _unseen(path, seen, size, handle)
            return


_ROTATED = object()
"""A rotation happened since the rotated parts were listed: read the new ones first."""


def _current_part(path: Path, done: int) -> Any:
    """``path`` opened with its size, taken under the writers' lock (so the size ends a whole
    line); :data:`_ROTATED` when a part newer than ``done`` appeared; None without the file.
    A compressed file named itself (``d.jsonl.3.gz``) is read whole, decompressed: nothing
    appends to it."""
    with _holding(path.with_name(path.name + ".lock"), write=False):
        if any(number > done for number, _ in jsonl_segments(path)):
            return _ROTATED
        try:
            handle = _open_part(path)
        except FileNotFoundError:
            return None
        return handle, None if path.name.endswith(_GZ) else os.fstat(handle.fileno()).st_size


def _unseen(path: Path, seen: set[tuple[int, int]], limit: int | None,
            handle: IO[bytes] | None = None) -> Iterator[LogPart]:
    """``path`` as a part unless its file is in ``seen``; it is closed once read."""
    if handle is None:
        try:
            handle = _open_part(path)
        except FileNotFoundError:  # a rotated part removed meanwhile: compressed, or deleted
            packed = path.with_name(path.name + _GZ)
            try:
                handle = _open_part(packed)
            except FileNotFoundError:
                return
            path = packed
    with handle:
        identity = file_identity(handle)
        if identity not in seen:
            seen.add(identity)
            yield LogPart(path, handle, limit)


class LogReader:
    """The records of a decision log, oldest first; bad lines go to :attr:`problems`, or,
    given ``problem``, to it as they are met (an audit of a year of records then keeps none
    in memory).

    .. versionadded:: 0.2
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 problem: Callable[[RecordError], None] | None = None) -> None:
        self.path = Path(path)
        self.problems: list[RecordError] = []
        self._problem = self.problems.append if problem is None else problem
        if not self.path.exists():
            raise RecordError("no such decision log", file=str(self.path))
        if self.path.is_dir():
            raise RecordError("is a directory, not a decision log", file=str(self.path))

    def __iter__(self) -> Iterator[DecisionRecord]:
        return (record for _, record in self.located())

    def located(self) -> Iterator[tuple[str, DecisionRecord]]:
        """Each record with where it was read: ``file:line`` (``file:seq`` in a SQLite log),
        what a report of a record that could not be judged names.

        .. versionadded:: 0.2
        """
        if is_sqlite(self.path):
            yield from self._rows()
            return
        for part in jsonl_parts(self.path):
            try:
                yield from self._lines(part)
            except RecordError as exc:  # a damaged compressed part: the next parts are read
                self._problem(exc)

    def _rows(self) -> Iterator[tuple[str, DecisionRecord]]:
        db = read_only(self.path, timeout=60)
        try:
            for seq, text in db.execute("SELECT seq, record FROM decisions ORDER BY seq"):
                try:
                    yield f"{self.path}:{seq}", parse_record(text, file=str(self.path), line=seq)
                except RecordError as exc:
                    self._problem(exc)
        except sqlite3.Error as exc:
            raise RecordError(f"not a decision log database: {exc}", file=str(self.path)) from None
        finally:
            db.close()

    def _lines(self, part: LogPart) -> Iterator[tuple[str, DecisionRecord]]:
        path = part.path
        for number, raw in part.lines():
            try:
                yield f"{path}:{number}", parse_record(raw.decode("utf-8"), file=str(path), line=number)
            except UnicodeDecodeError as exc:
                self._problem(RecordError(f"not UTF-8 text ({exc.reason})", file=str(path), line=number))
            except RecordError as exc:
                self._problem(exc)


def read_log(path: str | os.PathLike[str], *, problem: Callable[[RecordError], None] | None = None) -> LogReader:
    """The records of the JSON Lines or SQLite decision log at ``path`` (see :class:`LogReader`;
    ``problem`` takes each line that is not a record, as it is met)."""
    return LogReader(path, problem=problem)


class LoggedEngine:
    """An :class:`Engine` that writes the record of every decision to a log; called exactly
    like the engine it wraps (``evaluate``, ``evaluate_many``, ``explain``).

    .. versionadded:: 0.2
    """

    __slots__ = ("engine", "log", "trace")

    def __init__(self, engine: Engine, log: DecisionLog, *, trace: bool = False) -> None:
        self.engine = engine
        self.log = log
        self.trace = trace

    @property
    def policies(self) -> Any:
        """The wrapped engine's policies."""
        return self.engine.policies

    @property
    def fact_types(self) -> tuple[str, ...]:
        """The fact types the wrapped engine judges."""
        return self.engine.fact_types

    def evaluate(self, fact: Any, *, now: datetime | None = None, fact_type: str | None = None,
                 as_of: date | datetime | None = None) -> Decision:
        """:meth:`Engine.evaluate`, with the decision's record written to the log."""
        decision = self.engine.evaluate(fact, now=now, fact_type=fact_type, as_of=as_of)
        self.log.write_decision(decision, trace=self.trace)
        return decision

    def evaluate_many(self, facts: Iterable[Any], *, now: datetime | None = None,
                      fact_type: str | None = None, as_of: date | datetime | None = None) -> Iterator[Decision]:
        """:meth:`Engine.evaluate_many`, each decision's record written to the log."""
        for decision in self.engine.evaluate_many(facts, now=now, fact_type=fact_type, as_of=as_of):
            self.log.write_decision(decision, trace=self.trace)
            yield decision

    def __getattr__(self, name: str) -> Any:
        """Anything else is the wrapped engine's (``source``, ``pack`` ...)."""
        return getattr(self.engine, name)

    def explain(self, fact: Any, *, now: datetime | None = None, fact_type: str | None = None) -> str:
        """The readable trace of one fact's decision (the decision is logged too)."""
        return self.evaluate(fact, now=now, fact_type=fact_type).trace.render()

    def __repr__(self) -> str:
        return f"<LoggedEngine {self.engine!r} log={self.log!r}>"


def _check_whole(log: DecisionLog, path: str | os.PathLike[str], name: str, value: object) -> None:
    """Refuse ``value`` for the option ``name`` of ``log`` (at ``path``) unless it is a whole
    number of at least one."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LogOptionError(f"{name} must be a positive whole number (got {value!r})",
                             sink=log.kind, path=str(path))
