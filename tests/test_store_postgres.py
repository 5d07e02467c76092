"""The PostgreSQL store, against a real server: same guarantees as SQLite, across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from csrules._sessions import SessionStore
from csrules.exceptions import StateError
from tests.store_support import (
    PostgresUnavailable,
    check_due_ticks_once,
    check_exact_counts,
    check_failed_change_writes_nothing,
    fresh_schema,
    greeting,
    postgres_cluster,
)
from tests.test_session_support import WorkOrder, at, engine

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    """A running PostgreSQL server (started here and stopped after), or a skip saying why."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (it comes with the test extra)")
    cluster = postgres_cluster()
    try:
        conninfo = cluster.__enter__()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server can be started here: {exc}")
    try:
        yield conninfo
    finally:
        cluster.__exit__(None, None, None)


@pytest.fixture
def pg(server):
    """A conninfo whose csrules tables start empty (a schema of its own)."""
    with fresh_schema(server) as conninfo:
        yield conninfo


def store(conninfo):
    from csrules._sessions import PostgresStore

    return PostgresStore(conninfo)


class TestPostgresStore:
    """One database holds every subject; a restart loses nothing."""

    def test_protocol(self, pg):
        """The store satisfies the SessionStore protocol."""
        assert isinstance(store(pg), SessionStore)

    def test_restart_keeps_counts_and_orders(self, pg):
        """A fresh engine on a fresh connection continues counts and escalates open orders."""
        first = engine("python", store=store(pg))
        first.send("agent-1", greeting())
        first.send("agent-1", greeting())
        first.send("wo-1", WorkOrder(order_id="o1", status="open", opened_at=at(3)), now=at(3))
        first.store.close()

        second = engine("python", store=store(pg))
        assert second.send("agent-1", greeting()).rule_ids == ("fine",)
        due = second.tick_due(at(4, 10))
        assert {s: r.effect_keys for s, r in due.items()} == {"wo-1": ("escalation:shift_lead",)}
        second.forget("agent-1")
        assert list(second.store.subjects()) == ["wo-1"]
        assert len(second.store) == 1

    def test_failed_change_writes_nothing(self, pg):
        """A change that raises is rolled back, and the subject's lock is released."""
        check_failed_change_writes_nothing(store(pg))

    def test_tampered_row_refused(self, pg):
        """A row edited in the database fails its checksum when loaded; the row stays."""
        import psycopg

        sessions = engine("python", store=store(pg))
        sessions.send("a", greeting())
        with psycopg.connect(pg, autocommit=True) as db:
            doc = json.loads(db.execute("SELECT doc FROM csrules_sessions").fetchone()[0])
            doc["state"]["seq"] = 99
            db.execute("UPDATE csrules_sessions SET doc = %s", (json.dumps(doc),))
            with pytest.raises(StateError, match="checksum does not match"):
                sessions.send("a", greeting())
            assert json.loads(db.execute("SELECT doc FROM csrules_sessions").fetchone()[0]) == doc

    def test_other_store_format_refused(self, pg):
        """Tables marked with another format are refused by name."""
        import psycopg

        store(pg).close()
        with psycopg.connect(pg, autocommit=True) as db:
            db.execute("UPDATE csrules_meta SET value = 'csrules.sessions/9'")
        with pytest.raises(StateError, match=r"format 'csrules\.sessions/9'"):
            store(pg)

    def test_unreachable_server(self, tmp_path):
        """A server that is not there is a StateError naming the connection problem."""
        pytest.importorskip("psycopg", reason="psycopg is not installed (it comes with the test extra)")
        with pytest.raises(StateError, match="cannot connect to the PostgreSQL session store"):
            store(f"host={tmp_path} port=1 connect_timeout=2")


class TestPostgresProcesses:
    """Several processes (like workers on several machines) on one database."""

    def test_every_acknowledged_send_is_counted_once(self, pg):
        """4 processes x 50 sends to one subject and to one subject each: exact counts after."""
        check_exact_counts(("postgres", pg))

    def test_due_orders_escalate_once_across_workers(self, pg):
        """4 processes running tick_due at once escalate each due work order exactly once."""
        check_due_ticks_once(("postgres", pg))


def python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=str(ROOT), env=env, check=False)


class TestOptionalDriver:
    """psycopg stays optional: csrules imports without it, and the store says what to install."""

    def test_import_csrules_leaves_psycopg_alone(self):
        """import csrules (and its sessions) does not import psycopg."""
        result = python("import sys, csrules, csrules._sessions\n"
                        "print('psycopg' in sys.modules)")
        assert result.stdout.strip() == "False", result.stderr

    def test_missing_driver_names_the_extra(self):
        """Without psycopg, PostgresStore raises a SessionError naming the postgres extra."""
        result = python("import sys\n"
                        "sys.modules['psycopg'] = None\n"
                        "from csrules import PostgresStore, SessionError\n"
                        "try:\n"
                        "    PostgresStore('')\n"
                        "except SessionError as exc:\n"
                        "    print(exc)\n")
        assert "pip install 'csrules[postgres]'" in result.stdout, result.stderr

