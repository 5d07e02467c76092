"""Shared state under several processes and threads, decision records and their audit:
regressions found by review."""

from __future__ import annotations

import gzip
import json
import math
import multiprocessing
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from csrules import Engine, Policy
from csrules._engine import wal
from csrules._sessions import MemoryStore, SessionEngine, SQLiteStore
from csrules._sessions import session as session_module
from csrules.exceptions import LogWriteError, RecordError, SessionError, StateError
from csrules.policies import Pack, load_pack
from csrules.records import DecisionRecord, JsonlLog, SQLiteLog, impact, parse_record, read_log, replay, replay_steps
from tests.store_support import greeting
from tests.test_records_logs import leave_facts
from tests.test_session_support import CON1, WorkOrder, at, engine

CREATORS = 6
ROUNDS = 5
WEI: dict[str, Any] = {
    "id": "wei", "version": "1.0", "fact_type": "sess_greeting", "title": "Never open with 喂",
    "rules": [{"id": "wei", "title": "opened with 喂",
               "when": {"kind": "contains", "path": "opening", "phrases": ["喂"]},
               "then": [{"type": "violation", "code": "CON-1", "message": "said 喂"}]}],
}


def document(worker: int) -> dict[str, Any]:
    """The session document creator ``worker`` stores (the store keeps it as given)."""
    return {"subject": f"creator-{worker}", "state": {"nd": None, "seq": worker, "text": "您好 ✓"}}


def create_at_once(folder: str, rounds: int, record: str, worker: int, barrier: Any, out: Any) -> None:
    """For each round: wait for every creator, then create the round's new store and write one
    document of its own; wait again, then create its new log and write one record; put what
    failed on ``out``."""
    failed = []
    for n in range(rounds):
        barrier.wait()
        try:
            store = SQLiteStore(f"{folder}/store-{n}.db")
            store.save(f"creator-{worker}", document(worker))
            store.close()
        except Exception as exc:  # reported to the test, which names it
            failed.append(f"store {n}: {type(exc).__name__}: {exc}")
        barrier.wait()
        try:
            with SQLiteLog(f"{folder}/log-{n}.db") as log:
                log.write(parse_record(record))
        except Exception as exc:  # reported to the test, which names it
            failed.append(f"log {n}: {type(exc).__name__}: {exc}")
    out.put(failed)


class TestCreatorsAtOnce:
    """Several processes creating the same new SQLite store or log at once all succeed."""

    def test_creators_race(self, tmp_path: Path) -> None:
        """CREATORS processes create each new store and log at once: every one works,
        and every creator's session and record is kept."""
        record = Engine(Policy(**WEI)).evaluate(greeting(), now=at(2)).record().to_json()
        context = multiprocessing.get_context("fork")
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
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)

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


class TestStateComesBackWhole:
    """Event text a JSON document may carry comes back from every store exactly as given."""

    @pytest.mark.parametrize("kind", ["memory", "sqlite"])
    def test_lone_surrogate_offset_and_big_number(self, tmp_path: Path, kind: str) -> None:
        """A work order whose id holds a lone surrogate (JSON text may say "\\ud800"), opened at
        +05:45 with microseconds and a priority past 64 bits, is stored (its opening time as
        the same instant), exported, restored and escalated with its fact whole, instead of
        the session becoming unreadable."""
        store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "s.db")
        sessions = engine("python", store=store)
        nepal = timezone(timedelta(hours=5, minutes=45))
        order = WorkOrder(order_id="工单-e\u0301\u200b\ud800", status="open", priority=2**70,
                          opened_at=datetime(2026, 1, 3, 9, 0, 0, 123456, tzinfo=nepal))
        sessions.send("客服\u0301", order, now=at(3, 12))
        exported = sessions.session("客服\u0301").export_json()
        (item,) = [i for items in json.loads(exported)["state"]["i"].values() for i in items.values()]
        assert WorkOrder.model_validate(item["f"]) == order
        # the same instant, stored in the policies' zone: one instant is one stored state
        assert item["f"]["opened_at"] == "2026-01-03T11:15:00.123456+08:00"
        elsewhere = engine("python", store=SQLiteStore(tmp_path / "other.db"))
        restored = elsewhere.restore(exported)
        assert restored.export() == sessions.session("客服\u0301").export()
        assert [e.to for e in restored.tick(at(5, 12)).escalations] == ["shift_lead", "department_manager"]


class TestRecordsKeepTheFact:
    """A fact a record could not keep whole is refused by name, before anything is committed."""

    def test_decision_record_names_the_field(self) -> None:
        """A judged fact whose text holds a lone surrogate gives a RecordError naming the field,
        not a serializer's traceback."""
        ((fact, now),) = leave_facts(1)
        decision = load_pack("call_centre").engine().evaluate({**fact, "agent_id": "A\ud800"}, now=now,
                                                              fact_type="leave_request")
        with pytest.raises(RecordError, match=r"the fact's agent_id is 'A\\ud800', which is not Unicode text"):
            decision.record()

    def test_logged_session_refuses_before_committing(self, tmp_path: Path) -> None:
        """A session with a decision log refuses such an event before its transaction: the
        state is unchanged and the log holds no step without its record."""
        sessions = engine("python", log=JsonlLog(tmp_path / "steps.jsonl"))
        order = WorkOrder(order_id="工单\ud800", status="open", opened_at=at(3))
        with pytest.raises(RecordError, match=r"the fact's order_id is '工单\\ud800'"):
            sessions.send("a", order, now=at(3, 12))
        assert sessions.session("a").state["seq"] == 0
        assert not (tmp_path / "steps.jsonl").exists()


def late_leave() -> tuple[DecisionRecord, Pack]:
    """The record of the first worked leave example under the built-in pack, and the pack."""
    pack = load_pack("call_centre")
    example = pack.policy("leave").rules[0].examples[0]
    return pack.engine().evaluate(example.fact, now=example.now, fact_type="leave_request").record(), pack


class TestReplaySaysWhy:
    """A record replayed under other policy content says what changed, and a forced replay why it differs."""

    def test_tuned_parameter_named_with_both_values(self) -> None:
        """A tuned notice period is named with its recorded and current value, not only by hash."""
        record, pack = late_leave()
        result = replay(record, pack.with_params({"leave": {"personal_notice": "1h"}}).engine())
        assert [m.params for m in result.policies] == [(("personal_notice", "1d", "1h"),)]
        assert "parameters personal_notice 1d -> 1h" in result.render()

    def test_forced_replay_lists_the_other_content(self) -> None:
        """A forced replay that differs lists the policy content it was judged under before the changes."""
        record, pack = late_leave()
        lines = replay(record, pack.with_params({"leave": {"personal_notice": "1h"}}).engine(),
                       force=True).render().splitlines()
        assert lines[1] == "  judged under other content:"
        assert lines[2].startswith("    call_centre.leave: recorded 1.0")
        assert lines[2].endswith("parameters personal_notice 1d -> 1h")
        assert lines[3] == "  outcome violation -> needs_approval"

    def test_text_change_said_to_be_no_parameter(self) -> None:
        """A policy whose title alone changed is said to have the same parameters."""
        record, pack = late_leave()
        data = pack.policy("leave").model_dump(mode="json", exclude_none=True)
        data["title"] = {**data["title"], "en": "Leave, retitled"}
        (mismatch,) = replay(record, Engine(Policy(**data))).policies
        assert mismatch.params == ()
        assert mismatch.render().endswith("same parameters: rules or texts changed")

    def test_new_version_alone_not_said_to_change_rules(self) -> None:
        """A policy whose version alone changed is said to keep its parameters, not to have changed rules."""
        record = Engine(Policy(**WEI)).evaluate(greeting(), now=at(2)).record()
        (mismatch,) = replay(record, Engine(Policy(**{**WEI, "version": "1.1"}))).policies
        assert mismatch.render().endswith("engine 1.1 (" + str(mismatch.engine_hash) + "); same parameters")

    def test_rules_that_applied_shown(self) -> None:
        """A replay whose effects agree but whose applying rules do not says which rules differ."""
        record, pack = late_leave()
        fewer = record.model_copy(update={"matches": record.matches[:1]})
        result = replay(fewer, pack.engine())
        assert result.status == "differs"
        assert result.render().splitlines()[1] == (
            "  rules that applied ['ATT-1.personal-notice'] -> "
            "['ATT-1.personal-notice', 'ATT-1.late-approval', 'ATT-2.department-head']")


class TestAuditNamesEveryLine:
    """Auditing a decision log names each line it cannot use, by file:line and by what is wrong."""

    def test_bad_lines_named_by_what_is_wrong(self, tmp_path: Path) -> None:
        """A line that is not UTF-8 is said to be so (not decoded as UTF-16 by a BOM-like
        start), and a record with a misspelt key is named as a damaged record, not judged as
        a plain fact of no type; the good records are judged."""
        record, pack = late_leave()
        good = record.to_json()
        path = tmp_path / "year.jsonl"
        path.write_bytes(b"\n".join([good.encode(), b"\xff\xfe {}", good.replace('"outcome"', '"outcom"').encode(),
                                     good.encode()]) + b"\n")
        report = impact(pack, pack, [path])
        assert (report.facts, report.problem_count) == (2, 2)
        assert report.problems == [f"{path}:2: not UTF-8 text (invalid start byte)",
                                   f"{path}:3: not a decision record: outcome: required field is missing; "
                                   "outcom: unknown field (got 'violation')"]


class TestLogNamedByLink:
    """A JSON Lines log named by a symbolic link is its file's log: one lock, one rotation."""

    def test_writers_by_link_and_by_file_share_one_log(self, tmp_path: Path) -> None:
        """Writers naming one log by its file and by a link, rotating often, leave every record
        in the file's log, read whole by either name, and the link still names the log."""
        real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
        real.touch()
        link.symlink_to(real)
        greeting_engine = Engine(Policy(**WEI))
        records = [greeting_engine.evaluate(greeting(), now=at(2, minute=n)).record() for n in range(40)]
        with JsonlLog(real, max_bytes=3000, batch=1) as by_file, JsonlLog(link, max_bytes=3000, batch=1) as by_link:
            for n, record in enumerate(records):
                (by_file if n % 2 else by_link).write(record)
        assert link.is_symlink()
        assert not list(tmp_path.glob("link.jsonl.*"))
        assert [r.id for r in read_log(real)] == [r.id for r in records]
        assert [r.id for r in read_log(link)] == [r.id for r in records]


class TestSQLiteLogReading:
    """SQLiteLog.records reads the records stored when reading began."""

    def test_rejudging_into_the_same_log_ends(self, tmp_path: Path) -> None:
        """Judging each stored record again through the same log reads each once and ends
        (rows written meanwhile on the log's connection were read too, without end)."""
        with SQLiteLog(tmp_path / "d.db", batch=1) as log:
            logged = Engine(Policy(**WEI)).with_log(log)
            for minute in range(10):
                logged.evaluate(greeting(), now=at(2, minute=minute))
            read = 0
            for record in log.records():
                logged.evaluate(record.fact, now=record.now, fact_type=record.fact_type)
                read += 1
                if read > 100:  # the old reading never ended
                    break
            assert (read, log.count()) == (10, 20)


class TestSQLiteLogFile:
    """A SQLite log is a file of its own."""

    def test_other_applications_database_refused_and_left_alone(self, tmp_path: Path) -> None:
        """A database of something else is refused by name, its journal mode and tables unchanged
        (the log switched it to WAL and added its table)."""
        path = tmp_path / "app.db"
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE customers (name TEXT)")
            db.commit()
        with pytest.raises(LogWriteError, match=r"app\.db: the file is an SQLite database of something else "
                                                r"\(tables: customers\), not a decision log"):
            SQLiteLog(path)
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("customers",)]

    def test_session_store_still_refused(self, tmp_path: Path) -> None:
        """A session store's file is refused as such, and a log's own file opens again."""
        SQLiteStore(tmp_path / "s.db").close()
        with pytest.raises(LogWriteError, match="the file is a session store, not a decision log"):
            SQLiteLog(tmp_path / "s.db")
        SQLiteLog(tmp_path / "d.db").close()
        with SQLiteLog(tmp_path / "d.db") as log:
            assert log.count() == 0


def rotated_log(tmp_path: Path, count: int = 30) -> tuple[Path, list[DecisionRecord]]:
    """A JSON Lines log of ``count`` greeting decisions, rotated into several parts."""
    greeting_engine = Engine(Policy(**WEI))
    records = [greeting_engine.evaluate(greeting(), now=at(2, minute=n)).record() for n in range(count)]
    path = tmp_path / "d.jsonl"
    with JsonlLog(path, max_bytes=len(records[0].to_json()) * 8, batch=1) as log:
        log.write_many(records)
    return path, records


def compress(part: Path, keep: bool = False) -> Path:
    """``part`` compressed as an archiving tool does (``<part>.gz``; the original removed unless ``keep``)."""
    packed = part.with_name(part.name + ".gz")
    packed.write_bytes(gzip.compress(part.read_bytes()))
    if not keep:
        part.unlink()
    return packed


class TestCompressedParts:
    """Rotated parts compressed since (``d.jsonl.N.gz``) are read, never skipped silently."""

    def test_compressed_parts_read_in_order(self, tmp_path: Path) -> None:
        """A log whose older parts were compressed, one of them still there uncompressed too,
        is read whole and in order, each part once, by read_log and by impact."""
        path, records = rotated_log(tmp_path)
        compress(path.with_name("d.jsonl.1"))
        compress(path.with_name("d.jsonl.2"), keep=True)
        reader = read_log(path)
        assert [r.id for r in reader] == [r.id for r in records]
        assert reader.problems == []
        report = impact(Engine(Policy(**WEI)), Engine(Policy(**WEI)), [path])
        assert (report.facts, report.problem_count) == (len(records), 0)

    def test_damaged_compressed_part_named(self, tmp_path: Path) -> None:
        """A compressed part cut short is named with the line it stopped at; the other parts are read."""
        path, records = rotated_log(tmp_path)
        first = len(path.with_name("d.jsonl.1").read_bytes().splitlines())
        packed = compress(path.with_name("d.jsonl.1"))
        packed.write_bytes(packed.read_bytes()[:-30])
        reader = read_log(path)
        ids = [r.id for r in reader]
        ((problem),) = reader.problems
        assert str(problem).startswith(f"{packed}:")
        assert "cannot be read on: EOFError" in str(problem)
        assert ids[-(len(records) - first):] == [r.id for r in records[first:]]
        assert ids[:-(len(records) - first)] == [r.id for r in records[:first]][:len(ids) - len(records) + first]

    def test_next_rotation_numbers_past_compressed_parts(self, tmp_path: Path) -> None:
        """A rotation after the parts were compressed takes the next number, reusing none."""
        path, records = rotated_log(tmp_path)
        parts = sorted(tmp_path.glob("d.jsonl.*[0-9]"), key=lambda p: int(p.suffix[1:]))
        for part in parts:
            compress(part)
        with JsonlLog(path, max_bytes=len(records[0].to_json()) * 8, batch=1) as log:
            log.write_many(records)
        assert not any(tmp_path.glob("d.jsonl.1"))
        assert [r.id for r in read_log(path)] == [r.id for r in records] * 2

    def test_compressed_part_named_itself(self, tmp_path: Path) -> None:
        """A compressed part named on its own is read decompressed (its bytes were read as lines)."""
        path, records = rotated_log(tmp_path)
        first = len(path.with_name("d.jsonl.1").read_bytes().splitlines())
        reader = read_log(compress(path.with_name("d.jsonl.1")))
        assert [r.id for r in reader] == [r.id for r in records[:first]]
        assert reader.problems == []

    def test_part_compressed_while_the_log_is_read(self, tmp_path: Path) -> None:
        """A part compressed (and its original removed) after the reader listed the parts is read
        from its compressed copy, not skipped."""
        path, records = rotated_log(tmp_path)
        reader = read_log(path)
        read = iter(reader)
        ids = [next(read).id]
        compress(path.with_name("d.jsonl.2"))
        ids += [r.id for r in read]
        assert ids == [r.id for r in records]
        assert reader.problems == []


class TestImpactNamesWhere:
    """A logged record impact cannot judge is named by file:line (file:seq in SQLite), not by its id alone."""

    @pytest.mark.parametrize("name", ["d.jsonl", "d.db"])
    def test_unjudgeable_record_named_by_file_and_line(self, tmp_path: Path, name: str) -> None:
        """A record made without now, judged by new policies that read the clock, is listed
        with the file and line it was read from, and its id."""
        old = Engine(Policy(**WEI))
        clock = {**WEI, "version": "2.0", "rules": [*WEI["rules"], {
            "id": "old", "title": "an old greeting", "when": {"kind": "notice", "since": "at", "op": ">",
                                                              "duration": "1h"},
            "then": [{"type": "violation", "code": "CON-9", "message": "an old greeting"}]}]}
        path = tmp_path / name
        with (JsonlLog(path) if name.endswith(".jsonl") else SQLiteLog(path)) as log:
            records = [old.evaluate(greeting()).record() for _ in range(2)]
            log.write_many(records)
        report = impact(old, Engine(Policy(**clock)), [path])
        assert report.problems == [f"{path}:{n} ({records[0].id}): a rule judging sess_greeting facts reads the "
                                   "current time; pass now=" for n in (1, 2)]


class TestReplayStepsAfterAPolicyChange:
    """A subject's steps after one that cannot be replayed are not replayed from a state lacking it."""

    def test_later_steps_not_replayed(self) -> None:
        """Steps logged before and after a policy change, replayed under the new policies: the
        old steps are other content, the new ones are not_replayed, not said to differ
        (replayed from an empty state, the 3rd 喂 came out as a first)."""
        reworded = {**CON1, "version": "1.1", "rules": [*CON1["rules"][:2], {
            **CON1["rules"][2], "then": [{**CON1["rules"][2]["then"][0], "message": "said 喂 a third time!"}]}]}
        store, steps = MemoryStore(), []

        class Steps:
            """A log keeping the records in a list."""

            def write(self, record: DecisionRecord) -> None:
                """Keep ``record``."""
                steps.append(record)

        for policy in (CON1, CON1, reworded, reworded):
            SessionEngine([Policy(**policy)], store=store, log=Steps(), backend="python").send("s", greeting())
        results = list(replay_steps(steps, SessionEngine([Policy(**reworded)], backend="python")))
        assert [r.status for r in results] == ["other_policies", "other_policies", "not_replayed", "not_replayed"]
        assert results[2].render().splitlines()[1] == (
            f"  an earlier step of subject 's' (record {steps[0].id}) was made under other policy content and "
            "not replayed: this step's state cannot be rebuilt")


class TestLogPaths:
    """A decision log, and the history impact reads, are files."""

    def test_jsonl_log_at_a_directory_refused_at_once(self, tmp_path: Path) -> None:
        """A JSON Lines log given a directory is refused when made, not when a batch is written later."""
        with pytest.raises(LogWriteError, match=r"JSON Lines log .*: it is a directory: give the log a file's path"):
            JsonlLog(tmp_path)

    def test_impact_of_a_directory_named(self, tmp_path: Path) -> None:
        """impact() given a directory as history raises a RecordError naming it, not IsADirectoryError."""
        (tmp_path / "logs").mkdir()
        with pytest.raises(RecordError, match=r"logs: is a directory, not a decision log or facts file"):
            impact(Engine(Policy(**WEI)), Engine(Policy(**WEI)), [tmp_path / "logs"])


class TestProblemsAsMet:
    """Bad lines of a long log are passed on as they are met, not gathered in memory."""

    def test_sqlite_rows_passed_on_in_order(self, tmp_path: Path) -> None:
        """read_log(problem=...) hands each bad row over as it is met and keeps none; impact
        lists a SQLite log's bad rows in row order among the rest."""
        path = tmp_path / "d.db"
        greeting_engine = Engine(Policy(**WEI))
        with SQLiteLog(path) as log:
            log.write_many(greeting_engine.evaluate(greeting(), now=at(2, minute=n)).record() for n in range(4))
        with closing(sqlite3.connect(path)) as db:
            db.execute("UPDATE decisions SET record = 'damaged' WHERE seq IN (2, 4)")
            db.commit()
        met: list[str] = []
        reader = read_log(path, problem=lambda error: met.append(str(error)))
        assert len(list(reader)) == 2
        assert reader.problems == []
        assert [m.split(": ")[0] for m in met] == [f"{path}:2", f"{path}:4"]
        report = impact(greeting_engine, greeting_engine, [path])
        assert (report.facts, [p.split(": ")[0] for p in report.problems]) == (2, [f"{path}:2", f"{path}:4"])


class TestSettingsChecked:
    """A store's or a log's settings, and its file, are checked before anything is changed."""

    @pytest.mark.parametrize("timeout", ["5", -1, math.nan, math.inf, True, None])
    def test_bad_timeout_named(self, tmp_path: Path, timeout: Any) -> None:
        """A timeout that is no number of seconds (text, negative, NaN, endless, a bool) is refused by name."""
        with pytest.raises(SessionError, match=r"timeout must be a number of seconds, zero or more \(got "):
            SQLiteStore(tmp_path / "s.db", timeout=timeout)
        with pytest.raises(ValueError, match=r"timeout must be a number of seconds, zero or more \(got "):
            SQLiteLog(tmp_path / "d.db", timeout=timeout)
        assert list(tmp_path.iterdir()) == []

    def test_bool_batch_and_size_refused(self, tmp_path: Path) -> None:
        """True is no batch size and no byte limit (it was taken as 1)."""
        with pytest.raises(ValueError, match=r"batch must be a positive whole number \(got True\)"):
            JsonlLog(tmp_path / "d.jsonl", batch=True)
        with pytest.raises(ValueError, match=r"max_bytes must be a positive whole number \(got True\)"):
            JsonlLog(tmp_path / "d.jsonl", max_bytes=True)

    def test_store_leaves_another_applications_database_alone(self, tmp_path: Path) -> None:
        """A session store refused on a database of something else leaves its journal mode as it
        was (the store had switched it to WAL first)."""
        path = tmp_path / "app.db"
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE customers (name TEXT)")
            db.commit()
        with pytest.raises(StateError, match=r"app\.db is an SQLite file of something else \(tables: customers\)"):
            SQLiteStore(path)
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


class TestPaddedSubjects:
    """A subject id with white space around it would start a session apart from the one meant."""

    @pytest.mark.parametrize("subject", ["agent-7 ", " agent-7", "agent-7\n", "\u3000agent-7", "  "])
    def test_refused_by_name(self, subject: str) -> None:
        """send, tick and session() refuse a padded or blank subject id by name; nothing is stored."""
        store = MemoryStore()
        sessions = engine("python", store=store)
        sessions.send("agent-7", greeting())
        for call in (lambda: sessions.send(subject, greeting()), lambda: sessions.tick(subject, at(3)),
                     lambda: sessions.session(subject)):
            with pytest.raises(SessionError, match=r"subject id .* (is blank|has white space around it)"):
                call()
        assert list(store.subjects()) == ["agent-7"]
        assert sessions.send("agent-7", greeting()).seq == 2

    def test_stored_padded_subject_still_ticks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A subject already stored with white space in its id (by an earlier csrules) is still
        ticked by tick_due, so one such id does not stop every other subject's deadlines."""
        sessions = engine("python")
        with monkeypatch.context() as earlier:  # the earlier csrules took any non-empty id
            earlier.setattr(session_module, "_given_subject", lambda subject: None)
            sessions.send("wo-1 ", WorkOrder(order_id="o1", status="open", opened_at=at(3)), now=at(3))
        sessions.send("wo-2", WorkOrder(order_id="o2", status="open", opened_at=at(3)), now=at(3))
        assert sorted(sessions.tick_due(at(5))) == ["wo-1 ", "wo-2"]
