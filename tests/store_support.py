"""Helpers shared by the store tests (no tests here): workers that run in other processes,
the exact-count check they feed, and a throwaway PostgreSQL cluster."""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.test_session_support import Greeting, WorkOrder, at, engine

# A store is named by a picklable spec, so each worker process opens its own connection.
StoreSpec = tuple[str, str]

PROCESSES = 4
SENDS = 50


def open_store(spec: StoreSpec) -> Any:
    """The store ``spec`` names: ("sqlite", path) or ("postgres", conninfo)."""
    kind, where = spec
    if kind == "sqlite":
        from csrules._sessions import SQLiteStore

        return SQLiteStore(where)
    from csrules._sessions.postgres import PostgresStore

    return PostgresStore(where)


def greeting() -> Greeting:
    """One 喂 greeting, counted by CON-1's monthly window (January 2026)."""
    return Greeting(agent="a", at=at(2), opening="喂")


def send_greetings(spec: StoreSpec, worker: int, sends: int) -> int:
    """In a worker process: ``sends`` greetings to ``shared`` and to ``own-<worker>``,
    interleaved, each through a fresh engine call. Returns how many were acknowledged."""
    store = open_store(spec)
    done = 0
    with engine("python", store=store) as sessions:
        for _ in range(sends):
            sessions.send("shared", greeting())
            sessions.send(f"own-{worker}", greeting())
            done += 2
    store.close()
    return done


def tick_due_escalations(spec: StoreSpec, now: datetime) -> int:
    """In a worker process: one ``tick_due(now)``; how many escalations it fired."""
    store = open_store(spec)
    with engine("python", store=store) as sessions:
        fired = sum(len(r.effects) for r in sessions.tick_due(now).values())
    store.close()
    return fired


def run_workers(target: Any, args: list[tuple[Any, ...]]) -> list[Any]:
    """``target(*a)`` for each ``a``, each in its own spawned process, all at once."""
    with multiprocessing.get_context("spawn").Pool(len(args)) as pool:
        return pool.starmap(target, args)


def check_exact_counts(spec: StoreSpec) -> None:
    """PROCESSES workers x SENDS greetings to one shared subject and to one subject each:
    every acknowledged send is in the store, counted once."""
    acknowledged = run_workers(send_greetings, [(spec, w, SENDS) for w in range(PROCESSES)])
    assert acknowledged == [2 * SENDS] * PROCESSES
    store = open_store(spec)
    try:
        sessions = engine("python", store=store)
        shared = sessions.session("shared").state
        assert shared["seq"] == PROCESSES * SENDS
        assert [periods["2026-01"] for periods in shared["c"].values()] == [PROCESSES * SENDS]
        for w in range(PROCESSES):
            assert sessions.session(f"own-{w}").state["seq"] == SENDS
        assert len(list(store.subjects())) == PROCESSES + 1
    finally:
        store.close()


def check_due_ticks_once(spec: StoreSpec, orders: int = 20) -> None:
    """PROCESSES workers tick the same due work orders at once: each escalates exactly once."""
    store = open_store(spec)
    try:
        sessions = engine("python", store=store)
        for n in range(orders):
            sessions.send(f"wo-{n}", WorkOrder(order_id=f"o{n}", status="open", opened_at=at(3)),
                          now=at(3))
    finally:
        store.close()
    fired = run_workers(tick_due_escalations, [(spec, at(4, 10))] * PROCESSES)
    assert sum(fired) == orders


def check_failed_change_writes_nothing(store: Any) -> None:
    """A change that raises leaves the row as it was (rolled back), and the subject's lock
    is released: the next send proceeds."""
    sessions = engine("python", store=store)
    sessions.send("a", greeting())
    before = store.load("a")

    def broken(doc: Any) -> Any:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        store.update("a", broken)
    assert store.load("a") == before
    sessions.send("a", greeting())
    assert sessions.session("a").state["seq"] == 2


# --------------------------------------------------------------------------- PostgreSQL

DSN_VARIABLE = "CSRULES_TEST_POSTGRES_DSN"


def postgres_bin() -> Path | None:
    """A directory holding initdb, pg_ctl and postgres: from PATH, else Debian's newest."""
    found = shutil.which("initdb")
    candidates = [Path(os.path.realpath(found)).parent] if found else []
    candidates += sorted((Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True)
    for directory in candidates:
        if all((directory / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: ourselves, or (as root, which postgres refuses) postgres/nobody."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    return None


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A conninfo for a PostgreSQL server: ``CSRULES_TEST_POSTGRES_DSN`` when set, else a
    throwaway cluster (initdb + pg_ctl, unix socket only) that is stopped and deleted after.

    Raises :class:`PostgresUnavailable` when neither is possible.
    """
    if os.environ.get(DSN_VARIABLE):
        yield os.environ[DSN_VARIABLE]
        return
    bindir = postgres_bin()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in "
                                  f"/usr/lib/postgresql/*/bin, and {DSN_VARIABLE} is not set")
    user = _server_user()
    if user is None:
        raise PostgresUnavailable("running as root with no 'postgres' or 'nobody' user to run the server")
    # /tmp rather than $TMPDIR: the server's user must be able to reach its directory.
    base = Path(tempfile.mkdtemp(prefix="csrules-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    os.chown(base, user.pw_uid, user.pw_gid)
    data, log = base / "data", base / "server.log"

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        as_user: dict[str, Any] = ({"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
                                   if os.geteuid() == 0 else {})
        return subprocess.run(command, capture_output=True, text=True, cwd=base, check=False,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C",
                                   "HOME": str(base)}, **as_user)

    started = False
    try:
        made = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--no-sync")
        if made.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {(made.stderr or made.stdout)[-500:]}")
        options = f"-k {base} -c listen_addresses='' -p 5432 -F"
        start = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                    "-o", options, "start")
        started = True
        if start.returncode != 0:
            detail = log.read_text(errors="replace")[-500:] if log.exists() else start.stderr
            raise PostgresUnavailable(f"pg_ctl could not start the server: {detail}")
        yield f"host={base} port=5432 user=postgres dbname=postgres"
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def fresh_schema(conninfo: str) -> Iterator[str]:
    """A conninfo whose tables go to a new, empty schema (dropped afterwards)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    schema = f"csrules_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield make_conninfo(conninfo, options=f"-c search_path={schema}")
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
