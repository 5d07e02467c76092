"""Where session state of record lives between calls: in memory, in SQLite, or in PostgreSQL.

A store keeps one document per subject (the exported form: format, version, engine
fingerprint, subject, state, checksum) and indexes the next time a tick could fire anything
for it, so a host can tick only the subjects with work due. Every call that changes a
session is one store transaction: the subject's document is read, the call computed and the
result written while the subject is locked, so any number of engines, threads and processes
can share one store and lose nothing. With :class:`SQLiteStore` (and the PostgreSQL store)
every such call is committed before it returns, so a host restart loses no count and no open
work order.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

from csrules._engine.forks import ForkGuard
from csrules._engine.wal import check_timeout, use_wal
from csrules.exceptions import SessionError, StateError

__all__ = ["MemoryStore", "SQLStore", "SQLiteStore", "SessionStore"]

_R = TypeVar("_R")

Change = Callable[[dict[str, Any] | None], tuple[dict[str, Any] | None, _R]]
"""What :meth:`SessionStore.update` runs: the current document (or None) to (the new
document or None to leave it, the caller's result)."""


@runtime_checkable
class SessionStore(Protocol):
    """What a session store provides. Documents are JSON-ready dicts.

    ``trusted`` stores hand back the very objects they were given (no need to re-validate
    them on every call); untrusted ones (files, databases) are validated when loaded.

    .. versionadded:: 0.1
    """

    trusted: bool

    def load(self, subject: str) -> dict[str, Any] | None:
        """The document of ``subject``, or None."""

    def save(self, subject: str, doc: dict[str, Any]) -> None:
        """Store (replace) the document of ``subject``."""

    def update(self, subject: str, change: Change[_R]) -> _R:
        """Read, change and write ``subject``'s document as one transaction.

        ``change`` gets the document as stored now (or None) while no other caller can
        change it, and returns the new document (None: leave it) and a result, which
        ``update`` returns after the write is committed. If ``change`` raises, nothing is
        written.
        """

    def delete(self, subject: str) -> None:
        """Forget ``subject`` (no error when unknown)."""

    def due(self, now_us: int) -> list[str]:
        """Subjects whose next deadline is at or before ``now_us``, earliest first."""

    def subjects(self) -> Iterator[str]:
        """Every stored subject."""

    def close(self) -> None:
        """Release files and connections."""


class MemoryStore:
    """Documents in a dict, in this process (the default). Fast; lost when the process ends.

    Documents are kept as given and never changed in place: each call stores a new one.
    A lock makes :meth:`update` one transaction, so several engines may share the store.

    .. versionadded:: 0.1
    """

    trusted = True

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._lock_owner: int | None = None  # the thread inside a call (see ForkGuard)
        _FORK.add(self)

    def _forked(self) -> None:
        """In a child just forked: a lock held by another of the parent's threads at the fork
        is never released here, so the child's copy gets a lock of its own."""
        self._lock = threading.Lock()

    def load(self, subject: str) -> dict[str, Any] | None:
        """The document of ``subject``, or None."""
        return self._docs.get(subject)

    def save(self, subject: str, doc: dict[str, Any]) -> None:
        """Keep ``doc`` (the object itself)."""
        with self._lock:
            self._docs[subject] = doc

    def update(self, subject: str, change: Change[_R]) -> _R:
        """Run ``change`` on the document of ``subject`` under the store's lock."""
        with self._lock, _FORK.inside(self):
            doc, result = change(self._docs.get(subject))
            if doc is not None:
                self._docs[subject] = doc
            return result

    def delete(self, subject: str) -> None:
        """Forget ``subject``."""
        with self._lock:
            self._docs.pop(subject, None)

    def due(self, now_us: int) -> list[str]:
        """Subjects with a deadline at or before ``now_us``, earliest first."""
        with self._lock:
            due = [(d["state"]["nd"], s) for s, d in self._docs.items()
                   if d["state"]["nd"] is not None and d["state"]["nd"] <= now_us]
        return [s for _, s in sorted(due)]

    def subjects(self) -> Iterator[str]:
        """Every stored subject."""
        with self._lock:
            return iter(list(self._docs))

    def __len__(self) -> int:
        return len(self._docs)

    def close(self) -> None:
        """Nothing to release."""


_MARK = "csrules.sessions/1"


def schema(integer: str) -> tuple[str, ...]:
    """The statements that create a store's tables, with ``integer`` the database's name
    of a 64-bit integer column (what ``next_due`` needs)."""
    return (
        "CREATE TABLE IF NOT EXISTS csrules_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS csrules_sessions "
        f"(subject TEXT PRIMARY KEY, doc TEXT NOT NULL, next_due {integer})",
        "CREATE INDEX IF NOT EXISTS csrules_sessions_due ON csrules_sessions (next_due) "
        "WHERE next_due IS NOT NULL",
    )

_DOC = "SELECT doc FROM csrules_sessions WHERE subject = ?"
_UPSERT = ("INSERT INTO csrules_sessions (subject, doc, next_due) VALUES (?, ?, ?) "
           "ON CONFLICT (subject) DO UPDATE SET doc = excluded.doc, next_due = excluded.next_due")


class SQLStore(ABC):
    """What the SQL stores share: the tables, the queries and one transaction per update.

    A subclass connects (in autocommit mode, so every transaction here is explicit), and
    says how a transaction starts while holding one subject's lock (:meth:`_begin`), how a
    statement runs (:meth:`_run`, with ``?`` placeholders) and which driver errors it raises.
    Documents are stored as JSON text, validated (checksum included) by the engine on load.

    .. versionadded:: 0.1
    """

    trusted = False
    _schema: ClassVar[tuple[str, ...]]
    _driver_errors: tuple[type[Exception], ...]  # the driver's base error(s), known once it is imported
    _db: Any = None
    """The connection, of the process :attr:`_pid` only (None: to open in this process)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._lock = threading.Lock()
        self._lock_owner: int | None = None  # the thread inside a call (see ForkGuard)
        self._pid = os.getpid()
        _FORK.add(self)

    # ------------------------------------------------------------------ what a subclass says

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Execute one statement; its rows (empty for statements without rows)."""

    @abstractmethod
    def _begin(self, subject: str | None) -> None:
        """Start a transaction that holds ``subject``'s lock (None: the schema's lock) until
        it ends, so concurrent transactions on the same subject run one after another."""

    @abstractmethod
    def _reconnect(self) -> Any:
        """A new connection to the store's database (its tables exist), for a process forked
        from the one that opened the store."""

    # ------------------------------------------------------------------ several processes

    def _forked(self) -> None:
        """In a process forked from the one that opened the store: the parent's connection
        is never used nor closed here (neither SQLite nor PostgreSQL may share one across
        processes, and closing it here could checkpoint or end the parent's), nor its lock,
        which another of the parent's threads may have held at the fork. The next call opens
        a connection of this process's own."""
        if self._db is not None:
            _INHERITED.append(self._db)
        self._db = None
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _own(self) -> None:
        """Make sure the connection is this process's (see :meth:`_forked`)."""
        if self._pid != os.getpid():  # forked without the at-fork hook having run
            self._forked()
        if self._db is None:
            with self._errors():
                self._db = self._reconnect()

    def _disconnect(self) -> None:
        """Close the connection (when there is one: a failed constructor calls this too)."""
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    def _check_foreign(self) -> None:
        """Raise :class:`StateError` when the database belongs to something else."""
        return  # a server database is shared with other applications: nothing to refuse

    # ------------------------------------------------------------------ shared

    def _setup(self) -> None:
        """Create the tables (once) and check the format mark, as one transaction."""
        with self._transaction(None):
            self._check_foreign()
            for statement in self._schema:
                self._run(statement)
            rows = self._run("SELECT value FROM csrules_meta WHERE key = 'format'")
            if not rows:
                self._run("INSERT INTO csrules_meta (key, value) VALUES ('format', ?)", (_MARK,))
            elif rows[0][0] != _MARK:
                raise StateError(f"{self.where} is a session store of format {rows[0][0]!r}, "
                                 f"this csrules reads {_MARK!r}")

    @contextmanager
    def _transaction(self, subject: str | None) -> Iterator[None]:
        self._own()
        with self._lock, _FORK.inside(self), self._errors():
            try:
                self._begin(subject)
                yield
                self._run("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        # When the connection failed the transaction is already gone: the error that ended
        # it is the one raised.
        with suppress(*self._driver_errors):
            self._run("ROLLBACK")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver errors as a :class:`SessionError` naming the store."""
        try:
            yield
        except self._driver_errors as exc:
            raise SessionError(f"session store {self.where} failed: {type(exc).__name__}: {exc}") from exc

    def _read(self, subject: str, rows: list[tuple[Any, ...]]) -> dict[str, Any] | None:
        if not rows:
            return None
        try:
            doc = json.loads(rows[0][0])
        except (json.JSONDecodeError, RecursionError) as exc:
            raise StateError(f"stored state of {subject!r} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise StateError(f"stored state of {subject!r} is not an object")
        return doc

    def _write(self, subject: str, doc: dict[str, Any]) -> None:
        self._run(_UPSERT, (subject, _json_text(doc), doc["state"]["nd"]))

    def load(self, subject: str) -> dict[str, Any] | None:
        """The stored document of ``subject`` (parsed JSON), or None."""
        _check_subject(subject)
        self._own()
        with self._lock, self._errors():
            rows = self._run(_DOC, (subject,))
        return self._read(subject, rows)

    def save(self, subject: str, doc: dict[str, Any]) -> None:
        """Write ``doc`` and commit."""
        _check_subject(subject)
        with self._transaction(subject):
            self._write(subject, doc)

    def update(self, subject: str, change: Change[_R]) -> _R:
        """Read, change and write ``subject``'s document in one transaction holding its lock."""
        _check_subject(subject)
        with self._transaction(subject):
            doc, result = change(self._read(subject, self._run(_DOC, (subject,))))
            if doc is not None:
                self._write(subject, doc)
        return result

    def delete(self, subject: str) -> None:
        """Forget ``subject``."""
        _check_subject(subject)
        with self._transaction(subject):
            self._run("DELETE FROM csrules_sessions WHERE subject = ?", (subject,))

    def due(self, now_us: int) -> list[str]:
        """Subjects with a deadline at or before ``now_us``, earliest first (indexed)."""
        self._own()
        with self._lock, self._errors():
            rows = self._run(
                "SELECT subject FROM csrules_sessions WHERE next_due IS NOT NULL AND next_due <= ? "
                "ORDER BY next_due, subject", (now_us,))
        return [r[0] for r in rows]

    def subjects(self) -> Iterator[str]:
        """Every stored subject."""
        self._own()
        with self._lock, self._errors():
            rows = self._run("SELECT subject FROM csrules_sessions ORDER BY subject")
        return iter([r[0] for r in rows])

    def __len__(self) -> int:
        self._own()
        with self._lock, self._errors():
            return int(self._run("SELECT COUNT(*) FROM csrules_sessions")[0][0])

    def close(self) -> None:
        """Close the connection (this process's: a parent's is left to the parent)."""
        if self._pid != os.getpid():
            self._forked()
        with self._lock:
            self._disconnect()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.where}>"


_INHERITED: list[Any] = []
"""Connections a forked process inherited: kept, never used nor closed (a connection closed
or collected here could disturb the parent's)."""


_FORK: ForkGuard[MemoryStore | SQLStore] = ForkGuard(lambda store: store._lock)
"""A fork waits for every store call in progress in another thread: a child then never
inherits a connection inside a transaction (its own connection would wait for ever on the
inherited one's write lock). A fork from inside a store's call (its change) cannot wait for
itself: that store's calls in the child fail as the database being locked."""


def _check_subject(subject: str) -> None:
    """A :class:`SessionError` for a subject id a database cannot store as text."""
    if not isinstance(subject, str):
        raise SessionError(f"a subject id is text (got {type(subject).__name__} {subject!r})")
    try:
        subject.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SessionError(f"subject id {subject!r} is not Unicode text: a lone surrogate "
                           f"{subject[exc.start]!r} at position {exc.start}") from None


def _json_text(doc: dict[str, Any]) -> str:
    """``doc`` as compact JSON text; a lone surrogate in it (JSON text may hold ``"\\ud800"``)
    is kept as that escape, so the document comes back as it was given."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(doc, separators=(",", ":"))
    return text


Synchronous = Literal["NORMAL", "FULL"]
"""SQLite's durability setting for a store (see :class:`SQLiteStore`)."""


class SQLiteStore(SQLStore):
    """Documents in one SQLite file (stdlib :mod:`sqlite3`, WAL), committed on every save.

    Any number of engines, threads and processes on one machine may share the file: each
    call that changes a session runs in one ``BEGIN IMMEDIATE`` transaction, waiting up to
    ``timeout`` seconds for another writer to finish. ``synchronous="NORMAL"`` (the default)
    survives a crash of the process; ``"FULL"`` also survives a power loss or an operating
    system crash, at the price of one disk flush per call.

    The file is marked as a csrules session store; opening any other SQLite file (or a
    file that is not SQLite) raises :class:`StateError` and changes nothing.

    .. versionadded:: 0.1
    """

    _schema = schema("INTEGER")
    _driver_errors = (sqlite3.Error,)
    _db: sqlite3.Connection

    def __init__(self, path: str | Path, *, synchronous: Synchronous = "NORMAL",
                 timeout: float = 60.0) -> None:
        if not isinstance(path, str | os.PathLike):
            raise SessionError(f"path must be a file path (got {type(path).__name__} {path!r})")
        if synchronous not in ("NORMAL", "FULL"):
            raise SessionError(f"synchronous must be 'NORMAL' or 'FULL' (got {synchronous!r})")
        self._timeout = check_timeout(timeout, SessionError)
        self._synchronous = synchronous
        self.path = Path(path)
        super().__init__(str(self.path))
        try:
            self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=self._timeout,
                                       check_same_thread=False)
            self._check_foreign()  # before anything changes (the journal mode is the file's)
            use_wal(self._db, self._timeout)
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._setup()  # which checks again, holding the file
        except (sqlite3.DatabaseError, SessionError) as exc:
            self._disconnect()
            raise StateError(f"{self.path} is not a usable SQLite session store: {exc}") from None
        except StateError:
            self._disconnect()
            raise

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    def _begin(self, subject: str | None) -> None:
        del subject  # SQLite has one writer at a time: the write lock covers every subject
        self._db.execute("BEGIN IMMEDIATE")

    def _reconnect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), isolation_level=None, timeout=self._timeout,
                             check_same_thread=False)
        db.execute(f"PRAGMA synchronous={self._synchronous}")  # WAL is the file's already
        return db

    def _check_foreign(self) -> None:
        tables = {row[0] for row in self._run("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "csrules_meta" not in tables:
            raise StateError(f"{self.path} is an SQLite file of something else "
                             f"(tables: {', '.join(sorted(tables))})")

