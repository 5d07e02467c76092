"""Shared stores lose nothing: processes, threads and engines writing one store at once."""

from __future__ import annotations

import sqlite3
import sys
import threading

import pytest

from csrules._sessions import MemoryStore, SQLiteStore
from csrules.exceptions import SessionError, StateError
from tests.store_support import (
    check_due_ticks_once,
    check_exact_counts,
    check_failed_change_writes_nothing,
    greeting,
)
from tests.test_session_support import engine


class TestProcessesShareSQLite:
    """Several processes (like gunicorn or celery workers) on one SQLite file."""

    def test_every_acknowledged_send_is_counted_once(self, tmp_path):
        """4 processes x 50 sends to one subject and to one subject each: exact counts after."""
        check_exact_counts(("sqlite", str(tmp_path / "shared.db")))

    def test_due_orders_escalate_once_across_workers(self, tmp_path):
        """4 processes running tick_due at once escalate each due work order exactly once."""
        check_due_ticks_once(("sqlite", str(tmp_path / "shared.db")))


@pytest.fixture
def busy_threads():
    """Switch threads as often as possible, so unprotected read-modify-writes would interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


class TestEnginesShareOneStore:
    """Two engines in one process, in two threads, on one store object."""

    @pytest.mark.parametrize("kind", ["memory", "sqlite"])
    @pytest.mark.usefixtures("busy_threads")
    def test_two_engines_lose_nothing(self, tmp_path, kind):
        """Two engines sending to the same subject from two threads: every send is counted."""
        store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "s.db")
        engines = [engine("python", store=store) for _ in range(2)]
        sends = 150

        def work(sessions):
            for _ in range(sends):
                sessions.send("shared", greeting())

        threads = [threading.Thread(target=work, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        state = engines[0].session("shared").state
        assert state["seq"] == 2 * sends
        assert [p["2026-01"] for p in state["c"].values()] == [2 * sends]

    def test_export_is_a_snapshot(self):
        """An exported state is not changed by later calls (stored states are never edited in place)."""
        store = MemoryStore()
        sessions = engine("python", store=store)
        sessions.send("a", greeting())
        before = store.load("a")
        sessions.send("a", greeting())
        assert before is not None
        assert before["state"]["seq"] == 1
        assert store.load("a")["state"]["seq"] == 2


class TestSQLiteTransactions:
    """update() is one transaction: a failure writes nothing and releases the lock."""

    def test_failed_change_writes_nothing(self, tmp_path):
        """A change that raises leaves the row as it was, and the next update proceeds."""
        check_failed_change_writes_nothing(SQLiteStore(tmp_path / "s.db"))

    def test_locked_store_is_a_session_error(self, tmp_path):
        """A writer that holds the file past the timeout makes the call fail clearly; nothing changes."""
        path = tmp_path / "s.db"
        store = SQLiteStore(path, timeout=0.05)
        sessions = engine("python", store=store)
        sessions.send("a", greeting())
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(SessionError, match=r"session store .*s\.db failed: .*locked"):
                sessions.send("a", greeting())
        finally:
            other.execute("ROLLBACK")
        assert sessions.session("a").state["seq"] == 1

    @pytest.mark.parametrize(("setting", "value"), [("NORMAL", 1), ("FULL", 2)])
    def test_synchronous_setting(self, tmp_path, setting, value):
        """synchronous= sets SQLite's durability level on the store's connection."""
        store = SQLiteStore(tmp_path / "s.db", synchronous=setting)
        assert store._run("PRAGMA synchronous") == [(value,)]

    def test_unknown_synchronous_setting(self, tmp_path):
        """Only NORMAL and FULL are offered; anything else is refused before the file is touched."""
        with pytest.raises(SessionError, match="synchronous must be 'NORMAL' or 'FULL'"):
            SQLiteStore(tmp_path / "s.db", synchronous="OFF")  # type: ignore[arg-type]
        assert not (tmp_path / "s.db").exists()

    def test_other_store_format_refused(self, tmp_path):
        """A store file marked with another format is refused by name."""
        path = tmp_path / "s.db"
        SQLiteStore(path).close()
        db = sqlite3.connect(path)
        db.execute("UPDATE csrules_meta SET value = 'csrules.sessions/9'")
        db.commit()
        with pytest.raises(StateError, match=r"format 'csrules\.sessions/9'"):
            SQLiteStore(path)
