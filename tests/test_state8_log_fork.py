"""A SQLiteLog in a process forked while another thread writes a batch: the fork waits for
the batch, so the child's own records are written and none of either process is lost."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from csrules import Engine, Policy
from csrules._engine.logs import SQLiteLog
from tests.test_session_support import CON1, Greeting, at
from tests.test_state8_store_fork import _FORKING, in_child

pytestmark = pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="needs os.fork")


class _Paused(SQLiteLog):
    """A log whose first batch waits, inside its write transaction, until ``release``."""

    def __init__(self, path: Path) -> None:
        self.inside, self.release = threading.Event(), threading.Event()
        super().__init__(path, batch=1000)

    def _write(self, records: list) -> None:  # type: ignore[type-arg]
        if not self.inside.is_set():
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")
            self.inside.set()
            self.release.wait()
            db.execute("COMMIT")
        super()._write(records)


def record() -> object:
    policy = Policy(**{**CON1, "rules": [{**rule, "when": {"kind": "contains", "path": "opening",
                                                          "phrases": ["喂"]}} for rule in CON1["rules"]]})
    return Engine(policy).evaluate(Greeting(agent="a", at=at(1), opening="喂"), now=at(1)).record()


class TestForkedLog:
    def test_a_fork_during_another_threads_batch(self, tmp_path: Path) -> None:
        """The child's record is written although the fork began during the parent's batch."""
        log = _Paused(tmp_path / "log.db")
        log.write(record())
        writer = threading.Thread(target=log.flush)
        writer.start()
        log.inside.wait()
        _FORKING.append(log.release)

        def child() -> str:
            log.write(record())
            log.flush()
            return "written"

        try:
            said = in_child(child)
        finally:
            _FORKING.clear()
        writer.join()
        assert said == "written"
        assert log.count() == 2
        log.close()
