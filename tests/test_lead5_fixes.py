"""Decision logs and durations: a torn line, session records written at once, the rule
filter, a store's file refused, and a bare ISO "T"."""

from __future__ import annotations

import copy
import json
import sqlite3
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from csrules import DurationError, Engine, LogWriteError, Policy
from csrules._sessions import SQLiteStore
from csrules.audit import audit
from csrules.policies import load_pack
from csrules.records import JsonlLog, SQLiteLog, read_log
from csrules.time import parse_duration
from tests.core_models import Thing

CST = "+08:00"
NOW = datetime.fromisoformat(f"2026-03-14T09:00:00{CST}")


def leave(hour: int) -> tuple[dict[str, Any], datetime]:
    """A one-day personal leave asked at ``hour`` the day before (late: the head approves)."""
    fact = {"agent_id": "A01", "kind": "personal", "start": f"2026-03-02T08:30:00{CST}",
            "end": f"2026-03-02T16:30:00{CST}", "requested_at": f"2026-03-01T{hour:02d}:00:00{CST}",
            "requested_by": "A01"}
    return fact, datetime.fromisoformat(f"2026-03-01T{hour:02d}:00:00{CST}")


def work_order(number: int) -> dict[str, Any]:
    """A work order opened on 2 March 2026 at 09:00."""
    return {"order_id": f"W{number}", "opened_at": f"2026-03-02T09:00:00{CST}", "first_handler": "A01", "owner": "A01"}


class TestTornLine:
    """A JSON Lines log left ending in half a line."""

    def test_record_after_a_torn_line_is_read_whole(self, tmp_path: Path) -> None:
        """A record appended after a writer was killed mid-line is read; only the torn line is a problem."""
        engine = load_pack("call_centre").engine()
        path = tmp_path / "d.jsonl"
        decisions = [engine.evaluate(fact, now=now, fact_type="leave_request") for fact, now in map(leave, (8, 9, 10))]
        with JsonlLog(path) as log:
            log.write_decision(decisions[0])
        torn = decisions[1].record().to_json()
        with path.open("a", encoding="utf-8") as file:  # the killed writer's half line
            file.write(torn[: len(torn) // 2])
        with JsonlLog(path) as log:
            log.write_decision(decisions[2])
        reader = read_log(path)
        assert [record.now for record in reader] == [decisions[0].now, decisions[2].now]
        assert len(reader.problems) == 1
        assert "d.jsonl:2" in str(reader.problems[0])


class TestSessionLog:
    """A session engine's log holds what its store holds."""

    @pytest.mark.parametrize("sink", [JsonlLog, SQLiteLog])
    def test_step_record_written_when_committed(self, tmp_path: Path, sink: type[JsonlLog | SQLiteLog]) -> None:
        """A committed step's record is in the log file at once, not pending for a later batch."""
        log = sink(tmp_path / "log")
        engine = load_pack("call_centre").sessions(backend="python", store=SQLiteStore(tmp_path / "s.db"), log=log)
        for number in range(3):
            engine.send("desk", work_order(number), now=datetime.fromisoformat(f"2026-03-02T09:00:00{CST}"),
                        fact_type="work_order")
            assert log.pending == 0
        assert len(list(read_log(log.path))) == 3
        log.close()


class TestRuleFilter:
    """SQLiteLog.records(rule=...)."""

    def test_a_rule_that_applied_second_is_found(self, tmp_path: Path) -> None:
        """A decision is found by any rule that applied in it, not only its first."""
        engine = load_pack("call_centre").engine()
        fact, now = leave(20)
        decision = engine.evaluate(fact, now=now, fact_type="leave_request")
        assert len(decision.rule_ids) >= 2
        with SQLiteLog(tmp_path / "d.db") as log:
            log.write_decision(decision)
            log.flush()
            for rule in decision.rule_ids:
                assert [r.id for r in log.records(rule=rule)] == [decision.record().id]
            assert list(log.records(rule=decision.rule_ids[0][:-1])) == []  # a prefix is not the rule


class TestWrongFile:
    """A decision log refuses a session store's file."""

    def test_sqlite_log_on_a_session_store_refused(self, tmp_path: Path) -> None:
        """SQLiteLog on a session store's database raises LogWriteError and adds no table."""
        path = tmp_path / "sessions.db"
        SQLiteStore(path).close()
        with pytest.raises(LogWriteError, match="session store"):
            SQLiteLog(path)
        tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
        assert "decisions" not in tables


class TestIsoDurations:
    """ISO 8601 durations."""

    @pytest.mark.parametrize("text", ["P1DT", "PT", "P"])
    def test_designator_without_a_part_refused(self, text: str) -> None:
        """A "T" (or "P") with no part after it is not a duration."""
        with pytest.raises(DurationError):
            parse_duration(text)

    def test_time_part_after_t_read(self) -> None:
        """P1DT2H is 26 hours."""
        assert parse_duration("P1DT2H").delta == timedelta(hours=26)


class TestJsonlNestedTimes:
    """`csrules audit` of JSON Lines whose facts hold nested date-times."""

    @staticmethod
    def orders(at: str) -> list[dict[str, Any]]:
        """Work orders opened 10 March, the first handed up at ``at``, the second never."""
        opened = f"2026-03-10T09:00:00{CST}"
        return [
            {"order_id": "W1", "opened_at": opened, "first_handler": "A01", "owner": "A01",
             "escalations": [{"at": at, "to_role": "shift_lead", "chase_record": "ticket 1"}]},
            {"order_id": "W2", "opened_at": opened, "first_handler": "A01", "owner": "A01"},
        ]

    @staticmethod
    def audited(tmp_path: Path, orders: list[dict[str, Any]]) -> Any:
        """The audit of ``orders`` written as a JSON Lines file."""
        path = tmp_path / "orders.jsonl"
        path.write_text("".join(json.dumps(order) + "\n" for order in orders), encoding="utf-8")
        return audit(load_pack("call_centre"), path, fact_type="work_order", now=NOW, workers=1)

    @pytest.mark.parametrize("at", [f"2026-03-11T09:00:00{CST}", "2026-03-11T01:00:00Z"])
    def test_offsets_kept_and_judged_as_the_engine(self, tmp_path: Path, at: str) -> None:
        """A nested date-time with an offset is read whole: each row's rules are the engine's."""
        orders = self.orders(at)
        result = self.audited(tmp_path, orders)
        rows = result.decisions.to_pylist()
        assert not [row for row in rows if row["outcome"] == "invalid"]
        engine = load_pack("call_centre").engine()
        for number, order in enumerate(orders, start=1):
            expected = set(engine.evaluate(order, now=NOW, fact_type="work_order").rule_ids)
            assert {row["rule"] for row in rows if row["row"] == number and row["rule"]} == expected

    def test_naive_nested_time_refused(self, tmp_path: Path) -> None:
        """A nested date-time without an offset is an invalid row, as the engine refuses it."""
        rows = self.audited(tmp_path, self.orders("2026-03-11T09:00:00")).decisions.to_pylist()
        assert [row["row"] for row in rows if row["outcome"] == "invalid"] == [1]


def contains_policy(rules: int) -> Policy:
    """``rules`` rules, rule ``i`` matching a text holding ``w<i>x``: a violation and an approval each."""
    return Policy.model_validate({
        "id": "p", "version": "1", "fact_type": "core_thing", "title": {"en": "t", "zh": "t"},
        "rules": [{"id": f"r{i}", "title": {"en": "t", "zh": "t"},
                   "when": {"kind": "contains", "path": "text", "phrases": [f"w{i}x"]},
                   "then": [{"type": "violation", "code": f"V{i}", "message": {"en": "m", "zh": "m"}},
                            {"type": "approval", "role": f"role{i % 3}"}]} for i in range(rules)]})


def thing(mask: int, rules: int) -> Thing:
    """The fact matching the rules whose bits ``mask`` sets."""
    return Thing(n=0, kind="a", flag=True, text=" ".join(f"w{i}x" for i in range(rules) if mask >> i & 1),
                 at=datetime(2026, 1, 1, tzinfo=UTC))


class TestEngineUnderThreads:
    """Decisions of patterns outside the cache, read from several threads at once."""

    def test_reads_of_new_patterns_from_four_threads(self) -> None:
        """Four threads reading the same new patterns' parts in different orders all read them right."""
        rules = 10
        engine = Engine([contains_policy(rules)])
        facts = [thing(mask, rules) for mask in range(1 << rules)]
        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def work(order: int) -> None:
            start.wait()
            try:
                for mask, fact in enumerate(facts):
                    decision = engine.evaluate(fact)
                    want = tuple(f"V{i}" for i in range(rules) if mask >> i & 1)
                    if order % 2:
                        parts = (decision.violation_codes, decision.approvers, decision.rule_ids)
                    else:
                        parts = (decision.rule_ids, decision.approvers, decision.violation_codes)
                    assert want in parts
                    assert tuple(v.code for v in decision.violations) == want
            except BaseException as exc:  # reported below: a thread's failure is the test's
                errors.append(exc)

        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # threads take turns often: the reads interleave
        try:
            threads = [threading.Thread(target=work, args=(order,)) for order in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            sys.setswitchinterval(switch)
        assert errors == []

    @pytest.mark.parametrize("rules", [8, 9, 65, 129])
    def test_deep_copy_of_a_decision(self, rules: int) -> None:
        """A deep copy of any decision equals it, also of a pattern outside the cache."""
        engine = Engine([contains_policy(rules)])
        decision = engine.evaluate(thing(0b101 | 1 << (rules - 1), rules))
        copied = copy.deepcopy(decision)
        assert copied == decision
        assert copied.violation_codes == decision.violation_codes
        assert copied.approvers == decision.approvers


class TestDurableCompilesEveryPolicy:
    """Every built-in policy runs as a session on durable-rules."""

    @pytest.mark.parametrize("pack", ["call_centre", "ecommerce", "online_support", "mall"])
    def test_each_policy_compiles(self, pack: str) -> None:
        """A session engine of each policy alone starts on the durable backend (a rule too wide
        for durable, such as role pairs widened to every alias, is left to csrules' evaluator)."""
        from csrules import SessionEngine

        for policy in load_pack(pack).policies:
            assert SessionEngine([policy], backend="durable").backend == "durable"
