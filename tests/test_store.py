"""Session stores: SQLite survives a restart; corrupt or foreign files are refused."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from csrules._sessions import MemoryStore, SessionStore, SQLiteStore
from csrules.exceptions import StateError
from tests.test_session_support import BACKENDS, Greeting, WorkOrder, at, engine

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

ROOT = Path(__file__).resolve().parent.parent


def greet(s, when):
    return s.send(Greeting(agent="a", at=when, opening="喂"), now=when)


class TestSQLiteStore:
    """One SQLite file holds every subject; a restart loses nothing."""

    def test_protocol(self, backend, tmp_path):
        """Both stores satisfy the SessionStore protocol."""
        del backend
        assert isinstance(MemoryStore(), SessionStore)
        assert isinstance(SQLiteStore(tmp_path / "s.db"), SessionStore)

    def test_restart_keeps_counts_and_orders(self, backend, tmp_path):
        """A fresh engine on the same file continues counts and escalates open orders."""
        path = tmp_path / "sessions.db"
        first = engine(backend, store=SQLiteStore(path))
        agent = first.session("agent-1")
        greet(agent, at(2))
        greet(agent, at(3))
        first.session("wo-1").send(WorkOrder(order_id="o1", status="open", opened_at=at(3)),
                                   now=at(3))
        first.close()
        first.store.close()

        second = engine(backend, store=SQLiteStore(path))
        assert greet(second.session("agent-1"), at(3, 12)).rule_ids == ("fine",)
        due = second.tick_due(at(4, 10))
        assert {s: r.effect_keys for s, r in due.items()} == {"wo-1": ("escalation:shift_lead",)}

    def test_restart_in_another_process(self, backend, tmp_path):
        """A child process writes to the file; this process continues from it."""
        path = tmp_path / "sessions.db"
        code = (
            "from tests.test_session_support import engine, Greeting, at\n"
            "from csrules._sessions import SQLiteStore\n"
            f"e = engine({backend!r}, store=SQLiteStore({str(path)!r}))\n"
            "s = e.session('agent-1')\n"
            "for d in (2, 3):\n"
            "    s.send(Greeting(agent='a', at=at(d), opening='喂'), now=at(d))\n"
        )
        env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
        subprocess.run([sys.executable, "-c", code], check=True, cwd=str(ROOT), env=env)
        e = engine(backend, store=SQLiteStore(path))
        assert greet(e.session("agent-1"), at(4)).rule_ids == ("fine",)

    def test_failed_call_not_saved(self, backend, tmp_path):
        """A refused call writes nothing to the file."""
        from csrules.exceptions import TimeError

        store = SQLiteStore(tmp_path / "s.db")
        e = engine(backend, store=store)
        s = e.session("agent-1")
        greet(s, at(3))
        before = store.load("agent-1")
        with pytest.raises(TimeError):
            greet(s, at(2))
        assert store.load("agent-1") == before

    def test_forget(self, backend, tmp_path):
        """forget deletes the subject's row."""
        store = SQLiteStore(tmp_path / "s.db")
        e = engine(backend, store=store)
        greet(e.session("agent-1"), at(2))
        e.forget("agent-1")
        assert list(store.subjects()) == []


class TestCorruption:
    """Corrupt or foreign state is a clear StateError, and nothing changes."""

    def test_not_sqlite(self, backend, tmp_path):
        """A text file is not a store."""
        del backend
        path = tmp_path / "notes.db"
        path.write_text("hello, this is not a database" * 100)
        with pytest.raises(StateError, match="not a usable SQLite session store"):
            SQLiteStore(path)
        assert path.read_text().startswith("hello")

    def test_foreign_sqlite(self, backend, tmp_path):
        """Another application's SQLite file is refused and left alone."""
        del backend
        path = tmp_path / "other.db"
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE invoices (n INTEGER)")
        db.commit()
        db.close()
        with pytest.raises(StateError, match="something else"):
            SQLiteStore(path)
        tables = {r[0] for r in sqlite3.connect(path).execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"invoices"}

    @pytest.mark.parametrize(("reseal", "message"), [
        (False, "checksum does not match"),
        (True, "unknown counter"),
    ])
    def test_tampered_row(self, backend, tmp_path, reseal, message):
        """A row edited by hand is refused when loaded (by its checksum, or by its content when
        the checksum was recomputed); the row stays as it was."""
        from csrules._sessions.state import seal

        path = tmp_path / "s.db"
        e = engine(backend, store=SQLiteStore(path))
        greet(e.session("agent-1"), at(2))
        db = sqlite3.connect(path)
        doc = json.loads(db.execute("SELECT doc FROM csrules_sessions").fetchone()[0])
        doc["state"]["c"] = {"not-a-counter": 3}
        if reseal:
            doc = seal(doc)
        db.execute("UPDATE csrules_sessions SET doc = ?", (json.dumps(doc),))
        db.commit()
        with pytest.raises(StateError, match=message):
            greet(e.session("agent-1"), at(3))
        row = db.execute("SELECT doc FROM csrules_sessions").fetchone()[0]
        assert json.loads(row) == doc

    @pytest.mark.parametrize("mutate", [
        lambda d: "{not json",
        lambda d: json.dumps({**d, "format": "something.else"}),
        lambda d: json.dumps({**d, "version": 99}),
        lambda d: json.dumps({**d, "engine": "0000"}),
        lambda d: json.dumps({**d, "state": {**d["state"], "seq": -0.5}}),
        lambda d: json.dumps({**d, "state": {**d["state"], "extra": 1}}),
        lambda d: json.dumps({**d, "state": {**d["state"], "nd": 12}}),
        lambda d: json.dumps({**d, "subject": ""}),
        lambda d: json.dumps(d)[: len(json.dumps(d)) // 2],
    ])
    def test_bad_documents(self, backend, mutate):
        """Truncated, foreign or malformed exports raise StateError; the store is untouched."""
        e = engine(backend)
        s = e.session("agent-1")
        greet(s, at(2))
        s.send(WorkOrder(order_id="o", status="open", opened_at=at(2)), now=at(2))
        good = s.export()
        before = dict(e.store._docs)
        with pytest.raises(StateError):
            e.restore(mutate(good))
        assert e.store._docs == before

    def test_restore_checks_subject(self, backend):
        """Restoring under another subject id is refused."""
        e = engine(backend)
        greet(e.session("agent-1"), at(2))
        with pytest.raises(StateError, match="belongs to subject 'agent-1'"):
            e.restore(e.export_json("agent-1"), subject_id="agent-2")
