"""Shared state under several processes and threads, decision records and their audit:
regressions found by review."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from csrules._engine import wal
from csrules._sessions import SQLiteStore
from csrules.exceptions import StateError
from csrules.records import SQLiteLog
from tests.test_records_logs import write_records
from tests.test_store6_support import create_at_once, document

CREATORS = 5
ROUNDS = 4


class TestCreatorsAtOnce:
    """Several processes creating the same new SQLite store or log at once all succeed."""

    def test_creators_race(self, tmp_path: Path) -> None:
        """CREATORS spawned processes create each new store and log at once: every one works,
        and every creator's session and record is kept."""
        record = write_records(SQLiteLog(tmp_path / "seed.db"), 1)[0].model_dump_json()
        context = multiprocessing.get_context("spawn")
        barrier, out = context.Barrier(CREATORS), context.Queue()
        workers = [context.Process(target=create_at_once, args=(str(tmp_path), ROUNDS, record, w, barrier, out))
                   for w in range(CREATORS)]
        for worker in workers:
            worker.start()
        failures = [out.get() for _ in workers]
        for worker in workers:
            worker.join()
        assert failures == [[]] * CREATORS
        for n in range(ROUNDS):
            store = SQLiteStore(tmp_path / f"store-{n}.db")
            assert [store.load(f"creator-{w}") for w in range(CREATORS)] == [document(w) for w in range(CREATORS)]
            assert len(store) == CREATORS
            store.close()
            with SQLiteLog(tmp_path / f"log-{n}.db") as log:
                assert log.count() == CREATORS

    @pytest.mark.parametrize("kind", ["store", "log"])
    def test_waits_for_a_creator_holding_the_file(self, tmp_path: Path, kind: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        """While another connection holds the new file's write lock, creation waits for it
        (SQLite refuses the WAL switch at once then) instead of failing "database is locked"."""
        path = tmp_path / "new.db"
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        waited: list[float] = []

        def pause(seconds: float) -> None:
            waited.append(seconds)
            if other.in_transaction:
                other.execute("COMMIT")

        monkeypatch.setattr(wal, "_pause", pause)
        made = SQLiteStore(path) if kind == "store" else SQLiteLog(path)
        made.close()
        other.close()
        assert waited
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)

    def test_gives_up_after_the_timeout(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A file held past the timeout is still a clear store error naming the file."""
        path = tmp_path / "new.db"
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        monkeypatch.setattr(wal, "_pause", lambda seconds: None)
        try:
            with pytest.raises(StateError, match=r"new\.db is not a usable SQLite session store: database is locked"):
                SQLiteStore(path, timeout=0)
        finally:
            other.execute("ROLLBACK")
            other.close()
