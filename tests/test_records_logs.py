"""Decision logs: JSON Lines with rotation, SQLite with indexes and several writers, logging
engines and sessions, failed writes and corrupt lines."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from csrules import LogWriteError, RecordError
from csrules.policies import load_pack
from csrules.records import DecisionRecord, JsonlLog, LogReader, SQLiteLog, read_log, replay_steps

WRITERS = 4
PER_WRITER = 150


def leave_facts(count: int) -> list[tuple[dict[str, Any], datetime]]:
    """``count`` leave requests (the first worked example, each a minute later)."""
    example = load_pack("call_centre").policy("leave").rules[0].examples[0]
    assert example.fact is not None
    assert example.now is not None
    return [({**example.fact, "agent_id": f"A{i % 7:02d}"}, example.now + timedelta(minutes=i)) for i in range(count)]


def write_records(log: Any, count: int, offset: int = 0) -> list[DecisionRecord]:
    """Judge ``count`` leave requests through a logging engine; return their records."""
    engine = load_pack("call_centre").engine()
    logged = engine.with_log(log)
    out = []
    for fact, now in leave_facts(count + offset)[offset:]:
        decision = logged.evaluate(fact, now=now, fact_type="leave_request")
        out.append(decision.record())
    return out


def _writer(path: str, offset: int) -> None:
    """One process appending to a shared SQLite log, in small batches."""
    with SQLiteLog(path, batch=7) as log:
        write_records(log, PER_WRITER, offset)


class TestJsonl:
    """JSON Lines logs."""

    def test_logged_engine_writes_every_decision(self, tmp_path: Path) -> None:
        """A logging engine answers as the engine does and logs each decision, in order."""
        path = tmp_path / "d.jsonl"
        with JsonlLog(path, batch=4) as log:
            written = write_records(log, 10)
            assert log.pending == 2
        assert list(read_log(path)) == written

    def test_evaluate_many_logs(self, tmp_path: Path) -> None:
        """evaluate_many through a logging engine logs every decision it yields."""
        path = tmp_path / "d.jsonl"
        facts = leave_facts(5)
        with JsonlLog(path) as log:
            logged = load_pack("call_centre").engine().with_log(log)
            decisions = list(logged.evaluate_many([f for f, _ in facts], now=facts[0][1], fact_type="leave_request"))
        assert [r.outcome for r in read_log(path)] == [d.outcome for d in decisions]

    def test_rotation_keeps_every_record_in_order(self, tmp_path: Path) -> None:
        """Past max_bytes the file is renamed .1, .2 ...; reading gives every record in order."""
        path = tmp_path / "d.jsonl"
        with JsonlLog(path, max_bytes=6000, batch=3) as log:
            written = write_records(log, 20)
        rotated = sorted(p.name for p in tmp_path.iterdir())
        assert len(rotated) > 2
        assert "d.jsonl.1" in rotated
        assert all(p.stat().st_size <= 6000 for p in tmp_path.iterdir())
        assert list(read_log(path)) == written

    def test_corrupt_line_reported_rest_read(self, tmp_path: Path) -> None:
        """A corrupt line is reported with file:line; the records around it are still read."""
        path = tmp_path / "d.jsonl"
        with JsonlLog(path) as log:
            written = write_records(log, 3)
        lines = path.read_text(encoding="utf-8").splitlines()
        lines.insert(1, '{"schema_version": 1, "id": "rec-x"')
        lines[2] = lines[2].replace('"violation"', '"clean"', 1)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        reader = read_log(path)
        assert list(reader) == [written[0], written[2]]
        assert [(p.file, p.line) for p in reader.problems] == [(str(path), 2), (str(path), 3)]
        assert str(reader.problems[0]).startswith(f"{path}:2: ")
        assert "does not match" in str(reader.problems[1])

    def test_missing_log(self, tmp_path: Path) -> None:
        """Reading a log that does not exist names it."""
        with pytest.raises(RecordError, match="no such decision log"):
            LogReader(tmp_path / "none.jsonl")

    def test_failed_write_is_an_error_and_keeps_records(self, tmp_path: Path) -> None:
        """A write that fails raises LogWriteError naming sink and path; nothing is dropped."""
        blocked = tmp_path / "blocked"
        blocked.write_text("a file where a directory should be", encoding="utf-8")
        log = JsonlLog(blocked / "d.jsonl", batch=1)
        wanted = r"JSON Lines log .*blocked/d.jsonl: 1 record\(s\) not written"
        with pytest.raises(LogWriteError, match=wanted) as caught:
            write_records(log, 1)
        assert caught.value.sink == "JSON Lines"
        assert caught.value.path == str(blocked / "d.jsonl")
        assert log.pending == 1
        blocked.unlink()
        log.flush()
        log.close()
        assert len(list(read_log(blocked / "d.jsonl"))) == 1

    def test_closed_log_refuses(self, tmp_path: Path) -> None:
        """Writing to a closed log is an error, not a lost record."""
        log = JsonlLog(tmp_path / "d.jsonl")
        log.close()
        with pytest.raises(LogWriteError, match="closed"):
            write_records(log, 1)


class TestSQLite:
    """SQLite logs."""

    def test_one_table_with_indexes(self, tmp_path: Path) -> None:
        """One table, decisions, indexed by time, subject and rule."""
        path = tmp_path / "d.db"
        with SQLiteLog(path) as log:
            write_records(log, 3)
        db = sqlite3.connect(path)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        indexes = {r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type='index'")}
        assert tables == ["decisions"]
        assert set(indexes) == {"decisions_at", "decisions_subject", "decisions_rule"}
        plan = " ".join(str(r) for r in db.execute("EXPLAIN QUERY PLAN SELECT * FROM decisions WHERE subject = 'A01'"))
        assert "decisions_subject" in plan
        db.close()

    def test_queries_by_subject_rule_time(self, tmp_path: Path) -> None:
        """records() narrows by subject, a rule that applied (first or not) and time."""
        path = tmp_path / "d.db"
        with SQLiteLog(path) as log:
            written = write_records(log, 14)
            log.flush()
            assert log.count() == 14
            assert list(log.records(subject="A01")) == [r for r in written if r.subject == "A01"]
            first = written[0].rule_ids[0]
            assert list(log.records(rule=first)) == [r for r in written if first in r.rule_ids]
            since = written[5].now
            assert list(log.records(since=since)) == written[5:]
        assert list(read_log(path)) == written

    def test_batched_until_flush(self, tmp_path: Path) -> None:
        """Records wait for their batch; flush writes them."""
        path = tmp_path / "d.db"
        log = SQLiteLog(path, batch=100)
        write_records(log, 5)
        assert log.count() == 0
        assert log.pending == 5
        log.flush()
        assert log.count() == 5
        log.close()

    def test_failed_write_names_sink(self, tmp_path: Path) -> None:
        """A database that refuses the batch gives LogWriteError; the batch stays pending."""
        path = tmp_path / "d.db"
        log = SQLiteLog(path, batch=1)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("DROP TABLE decisions")
        other.execute("CREATE TABLE decisions (seq INTEGER PRIMARY KEY)")
        other.close()
        with pytest.raises(LogWriteError, match=r"SQLite log .*d.db: 1 record\(s\) not written"):
            write_records(log, 1)
        assert log.pending == 1
        repair = sqlite3.connect(path, isolation_level=None)
        repair.execute("DROP TABLE decisions")
        repair.close()
        SQLiteLog(path).close()  # the table again
        log.close()
        assert len(list(read_log(path))) == 1

    def test_not_a_database(self, tmp_path: Path) -> None:
        """A file that is not a database cannot be opened as a log: the error names it."""
        path = tmp_path / "d.db"
        path.write_bytes(b"this is not a database at all" * 100)
        with pytest.raises(LogWriteError, match=r"SQLite log .*d\.db"):
            SQLiteLog(path)

    def test_several_processes_lose_nothing(self, tmp_path: Path) -> None:
        """Processes appending to one database at once: every record arrives."""
        path = tmp_path / "shared.db"
        SQLiteLog(path).close()
        context = multiprocessing.get_context("fork")
        workers = [context.Process(target=_writer, args=(str(path), n * PER_WRITER)) for n in range(WRITERS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert [w.exitcode for w in workers] == [0] * WRITERS
        records = list(read_log(path))
        assert len(records) == WRITERS * PER_WRITER
        assert len({r.id for r in records}) == WRITERS * PER_WRITER


def run_session_examples(path: Path, overrides: dict[str, Any] | None = None) -> list[Any]:
    """Run every session example of call_centre's session policies, each on its own subject,
    through a session engine logging to ``path``; return the step results."""
    pack = load_pack("call_centre", overrides=overrides)
    results = []
    with JsonlLog(path) as log:
        engine = pack.sessions(log=log, backend="python")
        for policy in pack.session_policies:
            for r, rule in enumerate(policy.rules):
                for e, example in enumerate(rule.examples):
                    session = engine.session(f"{policy.id}/{r}/{e}")
                    for step in example.steps or ():
                        if step.fact is not None:
                            results.append(session.send(step.fact, now=step.at, fact_type=policy.fact_type))
                        else:
                            assert step.tick is not None
                            results.append(session.tick(step.tick))
    return results


class TestSessions:
    """A session engine with a log records every committed step; the steps replay."""

    def test_session_steps_logged(self, tmp_path: Path) -> None:
        """Events and ticks of a pack's sessions land in the log with the session's subject."""
        path = tmp_path / "s.jsonl"
        results = run_session_examples(path)
        records = list(read_log(path))
        assert [r.kind for r in records] == [r.kind for r in results]
        assert {"tick", "event"} <= {r.kind for r in records}
        assert [r.subject for r in records] == [r.subject for r in results]
        assert [r.effect_keys for r in records] == [r.effect_keys for r in results]
        assert any(r.effect_keys for r in records)
        assert records[0].policies[0].id == "call_centre.swap_session"

    def test_steps_replay_identical(self, tmp_path: Path) -> None:
        """Every logged step, replayed in order through a new session engine, is identical."""
        path = tmp_path / "s.jsonl"
        run_session_examples(path)
        engine = load_pack("call_centre").sessions(backend="python")
        found = [result.status for result in replay_steps(read_log(path), engine)]
        assert found == ["identical"] * len(list(read_log(path)))

    def test_steps_under_other_policies(self, tmp_path: Path) -> None:
        """A session engine with a tuned session policy names it and sends nothing."""
        path = tmp_path / "s.jsonl"
        run_session_examples(path)
        tuned = load_pack("call_centre", overrides={"swap_session": {"max_swaps_per_month": 5}})
        engine = tuned.sessions(backend="python")
        results = list(replay_steps(read_log(path), engine))
        assert {r.status for r in results} == {"other_policies"}
        assert {m.id for r in results for m in r.policies} == {"call_centre.swap_session"}
        assert all(r.replayed is None for r in results)

    def test_a_decision_is_not_a_step(self, tmp_path: Path) -> None:
        """replay_steps refuses a single decision's record."""
        path = tmp_path / "d.jsonl"
        with JsonlLog(path) as log:
            write_records(log, 1)
        with pytest.raises(RecordError, match="not a session step"):
            list(replay_steps(read_log(path), load_pack("call_centre").sessions(backend="python")))


class TestThreads:
    """One log shared by threads, as an engine is."""

    def test_threads_lose_nothing(self, tmp_path: Path) -> None:
        """Eight threads logging through one engine: every decision is in the log once."""
        import threading

        path = tmp_path / "t.jsonl"
        facts = leave_facts(400)
        with JsonlLog(path, batch=5) as log:
            logged = load_pack("call_centre").engine().with_log(log)

            def work(part: int) -> None:
                for fact, now in facts[part::8]:
                    logged.evaluate(fact, now=now, fact_type="leave_request")

            threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        records = list(read_log(path))
        assert sorted(r.now for r in records if r.now) == sorted(now for _, now in facts)
