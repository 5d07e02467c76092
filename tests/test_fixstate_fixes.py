"""Regression tests: session steps and decision logs, replay order, and the time layer's edges."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

import csrules
from csrules._engine.record import DecisionRecord
from csrules._sessions import MemoryStore, SessionEngine
from csrules.exceptions import LogWriteError, RecordError
from csrules.records import JsonlLog, SQLiteLog, read_log, replay_steps
from tests.test_migrate import greet_policy, hello
from tests.test_records_logs import write_records
from tests.test_session_support import ESC2, WorkOrder, at


class _Broken(JsonlLog):
    """A JSON Lines log whose writes fail while ``broken`` is set (a full or lost disk)."""

    broken = True

    def _write(self, records: list[Any]) -> None:
        if self.broken:
            raise OSError("no space left on device")
        super()._write(records)


class _Kept:
    """A decision log of the host's own, keeping the records in memory."""

    def __init__(self) -> None:
        self.records: list[DecisionRecord] = []

    def write(self, record: DecisionRecord) -> None:
        """Keep ``record``."""
        self.records.append(record)


def _greeter(log: Any, store: Any = None) -> SessionEngine:
    return SessionEngine([greet_policy(), csrules.Policy(**ESC2)], backend="python",
                         store=store if store is not None else MemoryStore(), log=log)


class TestCommittedStepsReachTheCaller:
    """A session step whose log write fails is committed, so it is returned, never raised."""

    def test_send_returns_the_committed_result(self, tmp_path: Path) -> None:
        """A failed log write leaves the send's result (with the error) and counts the event once."""
        log = _Broken(tmp_path / "steps.jsonl", batch=1)
        engine = _greeter(log)
        with pytest.warns(RuntimeWarning, match="is committed: do not repeat it"):
            result = engine.send("s", hello(2))
        assert isinstance(result.log_error, LogWriteError)
        assert engine.session("s").state["seq"] == 1
        assert log.pending == 1  # kept for the next flush
        log.broken = False
        log.close()
        assert [r.subject for r in read_log(tmp_path / "steps.jsonl")] == ["s"]

    def test_tick_due_returns_every_committed_tick(self, tmp_path: Path) -> None:
        """tick_due hands back every subject's escalation although the log fails on the first."""
        store = MemoryStore()
        plain = _greeter(None, store)
        for n in range(3):
            plain.send(f"wo-{n}", WorkOrder(order_id=f"o{n}", status="open", opened_at=at(3)), now=at(3))
        log = _Broken(tmp_path / "steps.jsonl", batch=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            due = _greeter(log, store).tick_due(at(4, 10))
        assert sorted(due) == ["wo-0", "wo-1", "wo-2"]
        assert all(r.effect_keys == ("escalation:shift_lead",) and r.log_error for r in due.values())
        assert log.pending == 3
        log.broken = False
        log.close()

    def test_closed_log_refused_before_the_commit(self, tmp_path: Path) -> None:
        """A send or tick whose log is closed raises and leaves the session as it was."""
        log = JsonlLog(tmp_path / "steps.jsonl")
        engine = _greeter(log)
        engine.send("s", hello(2))
        log.close()
        with pytest.raises(LogWriteError, match="it is closed: nothing was done"):
            engine.send("s", hello(3))
        with pytest.raises(LogWriteError, match="it is closed"):
            engine.tick("s", at(5))
        with pytest.raises(LogWriteError, match="it is closed"):
            engine.tick_due(at(5))
        assert engine.session("s").state["seq"] == 1
        assert engine.session("s").state["clock"] is None


class TestReplayStepsOrder:
    """A subject's steps replay in committed order, whatever order a shared log holds them in."""

    def test_blocks_written_out_of_order_replay_identically(self) -> None:
        """Two writers' batches landing block-wise in one log still replay identically."""
        kept = _Kept()
        engine = _greeter(kept)
        for day in range(2, 10):
            engine.send("shared", hello(day))
            engine.send("other", hello(day))
        engine.tick("shared", at(12))
        records = kept.records
        assert [r.seq for r in records if r.subject == "shared"] == [1, 2, 3, 4, 5, 6, 7, 8, 8]
        shuffled = records[8:] + records[:8]  # the second writer's batch first
        results = list(replay_steps(shuffled, _greeter(None)))
        assert [r.status for r in results] == ["identical"] * len(records)

    def test_a_missing_event_is_refused(self) -> None:
        """A subject whose log lacks one of its events raises RecordError naming it."""
        kept = _Kept()
        engine = _greeter(kept)
        for day in range(2, 6):
            engine.send("s", hello(day))
        with pytest.raises(RecordError, match=r"subject 's' cannot be replayed: event 2 is missing"):
            list(replay_steps([kept.records[0], *kept.records[2:]], _greeter(None)))
        with pytest.raises(RecordError, match=r"event 1 appears twice"):
            list(replay_steps([kept.records[0], *kept.records], _greeter(None)))


class TestJsonlLogOnDatabase:
    """A JSON Lines log never appends to a SQLite database, where its lines would be lost."""

    def test_refused_when_opened(self, tmp_path: Path) -> None:
        """JsonlLog on an existing SQLite decision log raises LogWriteError naming the file."""
        path = tmp_path / "decisions.db"
        with SQLiteLog(path) as log:
            write_records(log, 2)
        with pytest.raises(LogWriteError, match=r"decisions.db: the file is a SQLite database"):
            JsonlLog(path)
        assert len(list(read_log(path))) == 2

    def test_refused_when_the_file_becomes_one(self, tmp_path: Path) -> None:
        """A database made at the path after the log was opened is refused, records kept pending."""
        path = tmp_path / "decisions.db"
        log = JsonlLog(path, batch=1000)
        write_records(log, 2)
        with SQLiteLog(path) as other:
            write_records(other, 1)
        with pytest.raises(LogWriteError, match=r"2 record\(s\) not written .*SQLite database"):
            log.flush()
        assert log.pending == 2
        log._pending.clear()  # what a host would move elsewhere; nothing left for exit
        log.close()
