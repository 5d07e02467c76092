"""A SQLiteStore used in a process forked while its connection is open: the child opens a
connection of its own (never the parent's), and every write of both processes is kept."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from csrules._sessions import SessionEngine
from csrules._sessions.store import SQLiteStore
from tests.test_session_support import Shift, at, policies

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def swap(engine: SessionEngine, subject: str, day: int) -> None:
    engine.session(subject).send(Shift(agent=subject, at=at(day), swapped=True))


def in_child(work: Callable[[], str]) -> str:
    """Run ``work`` in a forked child; what it returned (or the error it raised) as text.
    A watchdog ends a child that hangs (a lock the parent's thread held at the fork), so
    the test fails instead of waiting for ever."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, running no test machinery
        os.close(read)
        signal.alarm(60)
        try:
            said = work()
        except BaseException as exc:  # reported to the parent, which fails
            said = f"{type(exc).__name__}: {exc}"
        os.write(write, said.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return said if os.waitstatus_to_exitcode(status) == 0 else f"child ended with {status}"


class TestForkedStore:
    def test_the_child_uses_a_connection_of_its_own(self, tmp_path: Path) -> None:
        """After a fork the child's calls never go through the parent's connection, and the
        sessions both processes write are all kept."""
        store = SQLiteStore(tmp_path / "s.db")
        engine = SessionEngine(policies(), store=store, backend="python")
        swap(engine, "parent", 1)
        inherited = store._db

        def child() -> str:
            swap(engine, "child", 1)
            swap(engine, "parent", 2)
            return "own" if store._db is not inherited else "shared the parent's connection"

        assert in_child(child) == "own"
        swap(engine, "parent", 3)
        assert engine.session("parent").export()["state"]["seq"] == 3
        assert engine.session("child").export()["state"]["seq"] == 1
        store.close()

    def test_a_fork_during_another_threads_call(self, tmp_path: Path) -> None:
        """A fork while another thread is inside a call (holding the store's lock and its write
        transaction) waits for that call to end: the child's own writes then go ahead, and
        nothing of either process is lost."""
        store = SQLiteStore(tmp_path / "s.db")
        engine = SessionEngine(policies(), store=store, backend="python")
        inside, release = threading.Event(), threading.Event()

        def held(doc: object) -> tuple[None, None]:
            inside.set()
            release.wait()
            return None, None

        thread = threading.Thread(target=store.update, args=("held", held))
        thread.start()
        inside.wait()
        _FORKING.append(release)  # the fork begins while the other thread is inside its call

        def child() -> str:
            swap(engine, "child", 1)
            return str(engine.session("child").export()["state"]["seq"])

        try:
            said = in_child(child)
        finally:
            _FORKING.clear()
        thread.join()
        assert said == "1"
        assert engine.session("child").export()["state"]["seq"] == 1
        store.close()


_FORKING: list[threading.Event] = []
"""Events a test sets as a fork begins (the hook cannot be removed: it is armed per test)."""


def _release_at_fork() -> None:
    for event in _FORKING:
        event.set()


if hasattr(os, "register_at_fork"):  # registered after csrules': runs before its hook
    os.register_at_fork(before=_release_at_fork)
