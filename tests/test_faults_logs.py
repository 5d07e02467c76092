"""Decision logs under hostile conditions: several processes appending to one JSON Lines
log while it rotates, and writes that fail part-way (a full disk)."""

from __future__ import annotations

import multiprocessing
import re
import resource
import signal
from pathlib import Path

import pytest

from csrules import LogWriteError, RecordError
from csrules._engine.record import content_id, parse_record
from csrules.policies import load_pack
from csrules.records import DecisionLog, DecisionRecord, JsonlLog, SQLiteLog, read_log, replay_steps
from tests.test_records_logs import run_session_examples, write_records

PROCESSES = 4
PER_PROCESS = 40


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[DecisionRecord]:
    """Distinct decision records, PROCESSES × PER_PROCESS of them."""
    path = tmp_path_factory.mktemp("made") / "made.jsonl"
    with JsonlLog(path) as log:
        return write_records(log, PROCESSES * PER_PROCESS)


def _append(path: str, records: list[DecisionRecord], max_bytes: int) -> None:
    """One process writing its records one batch at a time."""
    with JsonlLog(path, max_bytes=max_bytes, batch=1) as log:
        for record in records:
            log.write(record)


def _size(record: DecisionRecord) -> int:
    return len(record.to_json().encode("utf-8")) + 1


class TestProcessesShareJsonl:
    """Several processes on one JSON Lines log."""

    def test_rotating_log_loses_nothing(self, tmp_path: Path, records: list[DecisionRecord]) -> None:
        """Processes appending while the log rotates every two records: each record is read back once, whole."""
        path = tmp_path / "shared.jsonl"
        max_bytes = 2 * max(_size(r) for r in records)
        context = multiprocessing.get_context("fork")
        workers = [
            context.Process(target=_append, args=(str(path), records[n::PROCESSES], max_bytes))
            for n in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert [w.exitcode for w in workers] == [0] * PROCESSES
        reader = read_log(path)
        back = sorted(r.id for r in reader)
        assert reader.problems == []
        assert back == sorted(r.id for r in records)
        segments = [p for p in tmp_path.iterdir() if p.name != "shared.jsonl.lock"]
        assert all(p.stat().st_size <= max_bytes for p in segments)


def _fill_disk(path: str, kind: str, records: list[DecisionRecord], result: multiprocessing.Queue[str]) -> None:
    """Write a batch past a file-size limit (the disk is full), then with room again."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    sink = JsonlLog if kind == "jsonl" else SQLiteLog
    log: DecisionLog = sink(path, batch=len(records) + 1)
    log.write_many(records)
    room = sum(_size(r) for r in records) // 2
    used = Path(path).stat().st_size if Path(path).exists() else 0
    resource.setrlimit(resource.RLIMIT_FSIZE, (used + room, hard))
    try:
        log.flush()
    except LogWriteError as exc:
        data = Path(path).read_bytes()
        tail = "whole" if kind == "sqlite" or not data or data.endswith(b"\n") else "cut"
        result.put(f"{tail} {log.pending} {exc}")
    else:
        result.put("no error")
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    log.close()


class TestFailedWrites:
    """A write that fails part-way."""

    @pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
    def test_full_disk(self, tmp_path: Path, records: list[DecisionRecord], kind: str) -> None:
        """A batch cut off by a full disk says why, leaves no half line, stays pending, then is written once."""
        path = tmp_path / f"full.{kind}"
        if kind == "sqlite":
            SQLiteLog(path).close()
        batch = records[:20]
        context = multiprocessing.get_context("fork")
        result: multiprocessing.Queue[str] = context.Queue()
        worker = context.Process(target=_fill_disk, args=(str(path), kind, batch, result))
        worker.start()
        outcome = result.get(timeout=300)
        worker.join(60)
        assert worker.exitcode == 0
        assert outcome.startswith(f"whole {len(batch)} ")
        assert "rollback" not in outcome  # the cause is said, not a failed clean-up
        assert re.search(r"(File too large|disk I/O error|full)", outcome)
        reader = read_log(path)
        assert [r.id for r in reader] == [r.id for r in batch]
        assert reader.problems == []


class TestReading:
    """Reading something that is not a decision log."""

    def test_directory(self, tmp_path: Path) -> None:
        """A directory is a RecordError naming it, not an IsADirectoryError."""
        logs = tmp_path / "logs"
        logs.mkdir()
        with pytest.raises(RecordError, match=r"logs: is a directory, not a decision log"):
            read_log(logs)


class TestReplaySteps:
    """Replaying session step records that lack what a step needs."""

    def test_tick_without_now(self, tmp_path: Path) -> None:
        """A well-formed tick record without its instant is a RecordError, not an AssertionError."""
        path = tmp_path / "steps.jsonl"
        run_session_examples(path)
        tick = next(r for r in read_log(path) if r.kind == "tick")
        bare = tick.model_copy(update={"now": None})
        bare = parse_record(bare.model_copy(update={"id": content_id(bare)}).to_json())
        engine = load_pack("call_centre").sessions(backend="python")
        with pytest.raises(RecordError, match=rf"session tick record {bare.id} has no now"):
            list(replay_steps([bare], engine))
