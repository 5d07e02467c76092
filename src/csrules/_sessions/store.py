"""Where session state of record lives between calls: in memory, or in one SQLite file.

A store keeps one document per subject (the exported form: format, version, engine
fingerprint, subject, state) and indexes the next time a tick could fire anything for it,
so a host can tick only the subjects with work due. With :class:`SQLiteStore` every call
that changes a session is committed before the call returns, so a host restart loses no
count and no open work order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from csrules.exceptions import StateError

__all__ = ["MemoryStore", "SQLiteStore", "SessionStore"]


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

    .. versionadded:: 0.1
    """

    trusted = True

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any]] = {}

    def load(self, subject: str) -> dict[str, Any] | None:
        """The document of ``subject``, or None."""
        return self._docs.get(subject)

    def save(self, subject: str, doc: dict[str, Any]) -> None:
        """Keep ``doc`` (the object itself)."""
        self._docs[subject] = doc

    def delete(self, subject: str) -> None:
        """Forget ``subject``."""
        self._docs.pop(subject, None)

    def due(self, now_us: int) -> list[str]:
        """Subjects with a deadline at or before ``now_us``, earliest first."""
        due = [(d["state"]["nd"], s) for s, d in self._docs.items()
               if d["state"]["nd"] is not None and d["state"]["nd"] <= now_us]
        return [s for _, s in sorted(due)]

    def subjects(self) -> Iterator[str]:
        """Every stored subject."""
        return iter(list(self._docs))

    def __len__(self) -> int:
        return len(self._docs)

    def close(self) -> None:
        """Nothing to release."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS csrules_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS csrules_sessions (
    subject TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    next_due INTEGER
);
CREATE INDEX IF NOT EXISTS csrules_sessions_due ON csrules_sessions (next_due)
    WHERE next_due IS NOT NULL;
"""
_MARK = "csrules.sessions/1"


class SQLiteStore:
    """Documents in one SQLite file (stdlib :mod:`sqlite3`), committed on every save.

    The file is marked as a csrules session store; opening any other SQLite file (or a
    file that is not SQLite) raises :class:`StateError` and changes nothing.

    .. versionadded:: 0.1
    """

    trusted = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(self.path), isolation_level=None,
                                       check_same_thread=False)
            tables = {row[0] for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "csrules_meta" not in tables:
                raise StateError(f"{self.path} is an SQLite file of something else "
                                 f"(tables: {', '.join(sorted(tables))})")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM csrules_meta WHERE key = 'format'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO csrules_meta VALUES ('format', ?)", (_MARK,))
            elif row[0] != _MARK:
                raise StateError(f"{self.path} is a session store of format {row[0]!r}, "
                                 f"this csrules reads {_MARK!r}")
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise StateError(f"{self.path} is not a usable SQLite session store: {exc}") from None
        except StateError:
            self._close_quietly()
            raise

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    def load(self, subject: str) -> dict[str, Any] | None:
        """The stored document of ``subject`` (parsed JSON), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM csrules_sessions WHERE subject = ?", (subject,)).fetchone()
        if row is None:
            return None
        try:
            doc = json.loads(row[0])
        except json.JSONDecodeError as exc:
            raise StateError(f"stored state of {subject!r} is not JSON: {exc.msg}") from None
        if not isinstance(doc, dict):
            raise StateError(f"stored state of {subject!r} is not an object")
        return doc

    def save(self, subject: str, doc: dict[str, Any]) -> None:
        """Write ``doc`` and commit."""
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT INTO csrules_sessions (subject, doc, next_due) VALUES (?, ?, ?) "
                "ON CONFLICT(subject) DO UPDATE SET doc = excluded.doc, next_due = excluded.next_due",
                (subject, text, doc["state"]["nd"]),
            )

    def delete(self, subject: str) -> None:
        """Forget ``subject``."""
        with self._lock:
            self._db.execute("DELETE FROM csrules_sessions WHERE subject = ?", (subject,))

    def due(self, now_us: int) -> list[str]:
        """Subjects with a deadline at or before ``now_us``, earliest first (indexed)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT subject FROM csrules_sessions WHERE next_due IS NOT NULL AND next_due <= ? "
                "ORDER BY next_due, subject", (now_us,)).fetchall()
        return [r[0] for r in rows]

    def subjects(self) -> Iterator[str]:
        """Every stored subject."""
        with self._lock:
            rows = self._db.execute("SELECT subject FROM csrules_sessions ORDER BY subject").fetchall()
        return iter([r[0] for r in rows])

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM csrules_sessions").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
