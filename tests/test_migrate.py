"""Sessions across a change of policy: compatible changes carry over, others migrate."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from contextlib import closing, nullcontext
from typing import Any

import pytest

import csrules
from csrules._sessions import MemoryStore, SessionEngine, SQLiteStore
from csrules._sessions.program import compile_program
from csrules._sessions.state import FORMAT, seal
from csrules.domain import complaint_lifecycle
from csrules.exceptions import StateError
from tests import test_store_postgres
from tests.store_support import run_workers
from tests.test_session_support import ESC2, Greeting, WorkOrder, at

server = test_store_postgres.server  # the PostgreSQL fixtures, shared
pg = test_store_postgres.pg

HELLO = {"kind": "contains", "path": "opening", "phrases": ["喂"]}

GREET: dict[str, Any] = {
    "id": "greet", "version": "1.0", "fact_type": "sess_greeting",
    "title": {"en": "Greeting", "zh": "问候"},
    "params": {"limit": {"type": "int", "default": 4, "min": 1},
               "banned": {"type": "str_list", "default": ["喂"]}},
    "rules": [
        {"id": "too-many", "title": "{limit} or more 喂 a month",
         "when": {"kind": "count", "match": HELLO, "window": {"calendar": "month"}, "op": ">=",
                  "param": "limit"},
         "then": [{"type": "violation", "code": "G-1", "message": "said 喂 too often"}]},
        {"id": "banned", "title": "banned words, counted",
         "when": {"kind": "count", "match": {"kind": "contains", "path": "opening", "param": "banned"},
                  "window": {"calendar": "month"}, "op": ">=", "value": 99},
         "then": [{"type": "violation", "code": "G-2", "message": "banned words"}]},
    ],
}


def greet_policy(**changes: Any) -> csrules.Policy:
    """GREET with ``changes`` applied to its first rule (or, with ``limit=``/``banned=``,
    to its parameters)."""
    data = copy.deepcopy(GREET)
    params = {k: changes.pop(k) for k in ("limit", "banned") if k in changes}
    data["rules"][0].update(changes)
    return csrules.Policy(**data).with_params(**params) if params else csrules.Policy(**data)


def sessions(store: Any, *policies: csrules.Policy) -> SessionEngine:
    """A Python-backend engine over ``policies`` (GREET by default) and ESC-2, with the
    complaint lifecycle, on ``store``."""
    chosen = list(policies) or [greet_policy()]
    return SessionEngine([*chosen, csrules.Policy(**ESC2)], lifecycles=[complaint_lifecycle()],
                         backend="python", store=store)


def hello(day: int = 2) -> Greeting:
    """One 喂 greeting in January 2026."""
    return Greeting(agent="a", at=at(day), opening="喂")


def counts(engine: SessionEngine, subject: str) -> list[Any]:
    """The session's counter values."""
    return list(engine.session(subject).state["c"].values())


def snapshot(store: Any) -> dict[str, Any]:
    """Every stored document, as stored."""
    return {subject: store.load(subject) for subject in store.subjects()}


WEEKLY = {"kind": "count", "match": HELLO, "window": {"calendar": "week"}, "op": ">=", "param": "limit"}


def check_migration(opened: Callable[[], Any]) -> None:
    """A store (``opened()`` opens it) written by the plain engine, then opened by one
    whose greeting window is weekly: refused, dry-run report, apply, a second run no-op."""
    with opened() as store:
        before = sessions(store)
        before.send("agent", hello())
        before.send("agent", hello())
        before.send("wo", WorkOrder(order_id="o", status="open", opened_at=at(3)), now=at(3))
        stored = snapshot(store)
    with opened() as store:
        after = sessions(store, greet_policy(when=WEEKLY))
        with pytest.raises(StateError, match=r"windows changed.*migrate"):
            after.send("agent", hello())
        dry = after.migrate()
        assert snapshot(store) == stored  # a dry run writes nothing
        [reset] = dry.resets
        assert (reset.subject, reset.piece, reset.rules) == ("agent", "counter", ("greet/too-many",))
        assert reset.reason == "its definition changed: the window changed"
        assert reset.dropped == {"2026-01": 2}
        assert list(dry.by_policy()) == ["greet"]
        assert "agent: counter" in dry.render()
        done = after.migrate(apply=True)
        assert done.resets == dry.resets
        assert done.applied
        assert {s.subject: s.status for s in done.sessions} == {"agent": "reset", "wo": "compatible"}
        after.send("agent", hello())
        assert {"2026-W01": 1} in counts(after, "agent")
        assert {"2026-01": 3} in counts(after, "agent")  # the unchanged window counts on
        migrated = snapshot(store)
        again = after.migrate(apply=True)
        assert again.changed == ()
        assert snapshot(store) == migrated


class TestCompatibleChange:
    """Tuned parameters, messages and new rules: the state carries over and counts go on."""

    def test_tuned_threshold_counts_on_in_sqlite(self, tmp_path):
        """Two greetings before, a lower threshold after: the third counts as the third."""
        path = tmp_path / "s.db"
        with closing(SQLiteStore(path)) as store:
            before = sessions(store)
            for _ in range(2):
                assert not before.send("agent", hello()).effects
        with closing(SQLiteStore(path)) as store:
            after = sessions(store, greet_policy(limit=3))
            result = after.send("agent", hello())
            assert [e.code for e in result.effects] == ["G-1"]
            assert counts(after, "agent")[0] == {"2026-01": 3}

    def test_changed_message_and_new_rule_carry_over(self, tmp_path):
        """A reworded message and an added rule leave the stored counts in force."""
        path = tmp_path / "s.db"
        with closing(SQLiteStore(path)) as store:
            sessions(store).send("agent", hello())
        data = copy.deepcopy(GREET)
        data["rules"][0]["then"][0]["message"] = "too many 喂"
        data["rules"].append({"id": "new", "title": "new", "when": HELLO,
                              "then": [{"type": "violation", "code": "G-3", "message": "new"}]})
        with closing(SQLiteStore(path)) as store:
            after = sessions(store, csrules.Policy(**data))
            assert after.migrate().changed == ("agent",)  # only the fingerprint to rewrite
            assert not after.migrate().resets
            after.send("agent", hello())
            assert {"2026-01": 2} in counts(after, "agent")

    def test_exported_document_from_tuned_engine_imports(self):
        """A document exported by an engine with a tuned parameter restores, counts intact."""
        tuned = sessions(None, greet_policy(limit=2))
        tuned.send("agent", hello())
        plain = sessions(None)
        plain.restore(tuned.export_json("agent"))
        plain.send("agent", hello())
        assert counts(plain, "agent")[0] == {"2026-01": 2}

    def test_tuned_deadline_moves_the_due_time(self):
        """A still_open parameter tuned from 24 h to 12 h: the open order escalates at 12 h."""
        before = sessions(None)
        before.send("wo", WorkOrder(order_id="o", status="open", opened_at=at(3)), now=at(3))
        esc = csrules.Policy(**ESC2).with_params(first="12h")
        after = SessionEngine([greet_policy(), esc], lifecycles=[complaint_lifecycle()],
                              backend="python")
        after.restore(before.export("wo"))
        assert after.tick_due(at(3, 22)).keys() == {"wo"}


class TestIncompatibleChange:
    """A window's definition or a counted event changed: refused until migrated."""

    def test_sqlite_store_migrates_with_a_report(self, tmp_path):
        """Month to week: sends are refused, the dry run names the reset, apply resets it."""
        path = tmp_path / "s.db"
        check_migration(lambda: closing(SQLiteStore(path)))

    def test_parameter_of_a_counted_event(self):
        """A tuned phrase list changes which events count: that counter is reset, by name."""
        before = sessions(None)
        before.send("agent", hello())
        after = sessions(None, greet_policy(banned=["喂", "餵"]))
        with pytest.raises(StateError, match="parameter banned changed"):
            after.restore(before.export("agent"))
        doc, report = after.migrate_document(before.export("agent"))
        [reset] = report.resets
        assert reset.rules == ("greet/banned",)
        assert "parameter banned changed" in reset.reason
        session = after.restore(doc)
        assert {"2026-01": 1} in session.state["c"].values()  # greet/too-many kept its count
        assert len(session.state["c"]) == 1

    def test_changed_item_definition_resets_open_items(self):
        """A still_open whose closing condition changed drops the open items, reported."""
        before = sessions(None)
        before.send("wo", WorkOrder(order_id="o", status="open", opened_at=at(3)), now=at(3))
        esc = json.loads(json.dumps(ESC2).replace('"value": "closed"', '"value": "open"'))
        after = SessionEngine([greet_policy(), csrules.Policy(**esc)],
                              lifecycles=[complaint_lifecycle()], backend="python")
        doc, report = after.migrate_document(before.export("wo"))
        [reset] = report.resets
        assert reset.piece == "items"
        assert set(reset.rules) == {"esc-2/shift-lead", "esc-2/manager"}
        assert "closes an item" in reset.reason
        assert after.restore(doc).state["i"] == {}

    def test_changed_lifecycle_deadline_is_reset(self):
        """A lifecycle deadline whose time limit changed drops the running deadline only."""
        before = sessions(None)
        before.send("c", {"event": "register", "complainant": "Ms Li"}, now=at(3), fact_type="complaint_step")
        lifecycle = complaint_lifecycle().to_dict()
        lifecycle["deadlines"][0]["within"] = "5d"
        after = SessionEngine([greet_policy(), csrules.Policy(**ESC2)],
                              lifecycles=[csrules.sessions.Lifecycle(**lifecycle)], backend="python")
        with pytest.raises(StateError, match="migrate"):
            after.restore(before.export("c"))
        doc, report = after.migrate_document(before.export("c"))
        assert [r.piece for r in report.resets] == ["deadline"]
        status = after.restore(doc).state["l"]["cmp-1"]
        assert status["st"] == before.session("c").state["l"]["cmp-1"]["st"]


class TestOlderDocuments:
    """Documents of layout version 2 (one hash of everything) are still read."""

    def version2(self, engine: SessionEngine, subject: str) -> dict[str, Any]:
        """``subject``'s export rewritten in the version 2 layout."""
        doc = engine.export(subject)
        program = compile_program(engine.program.policies,
                                  [lp.lifecycle for lp in engine.program.lifecycles])
        return seal({"format": FORMAT, "version": 2, "engine": program.fingerprint,
                     "subject": subject, "state": doc["state"]})

    def test_version2_document_from_a_tuned_engine(self):
        """A version 2 document whose windows this engine has restores and counts on."""
        tuned = sessions(None, greet_policy(limit=2))
        tuned.send("agent", hello())
        plain = sessions(None)
        plain.restore(self.version2(tuned, "agent")).send(hello())
        assert counts(plain, "agent")[0] == {"2026-01": 2}
        report = plain.migrate()
        assert report.changed == ()
        assert not report.resets

    def test_version2_unknown_window_needs_migration(self):
        """A version 2 document with a window this engine lacks is reset on migration."""
        weekly = sessions(None, greet_policy(when={
            "kind": "count", "match": HELLO, "window": {"calendar": "week"}, "op": ">=", "value": 2}))
        weekly.send("agent", hello())
        plain = sessions(None)
        old = self.version2(weekly, "agent")
        with pytest.raises(StateError, match="no such window"):
            plain.restore(old)
        _, report = plain.migrate_document(old)
        assert [r.piece for r in report.resets] == ["counter"]

    def test_malformed_fingerprint_refused(self):
        """A version 3 document whose engine fingerprint is not the per-window layout is refused."""
        engine = sessions(None)
        engine.send("agent", hello())
        doc = engine.export("agent")
        for engine_field, problem in [({"all": "x"}, "must be a fingerprint text"),
                                      ('{"all": "x"}', "starting with all:"),
                                      ("all:ab c:12:greet:", "malformed window 'c:12:greet:'")]:
            doc["engine"] = engine_field
            with pytest.raises(StateError, match=problem):
                engine.restore(seal(doc))


NEW_BANNED = ["喂", "嗨"]


def work(path: str, sends: int) -> Any:
    """In a worker process, through an engine with a tuned threshold and phrase list:
    ``sends`` greetings, retrying a send refused because its session awaits migration
    (returns how many were acknowledged); or, with ``sends == 0``, the migration (returns
    its report)."""
    import time

    with closing(SQLiteStore(path)) as store:
        engine = sessions(store, greet_policy(limit=3, banned=NEW_BANNED))
        if sends == 0:
            time.sleep(0.2)  # let the senders find the session refused first
            return engine.migrate(apply=True).to_dict()
        done = 0
        while done < sends:
            try:
                engine.send("agent", hello())
            except StateError:
                time.sleep(0.01)
                continue
            done += 1
    return done


class TestSharedStore:
    """Migration runs while other processes keep using the store."""

    def test_migration_alongside_workers_loses_nothing(self, tmp_path):
        """Two processes send through the new engine while a third migrates: every send counts."""
        path = str(tmp_path / "s.db")
        with closing(SQLiteStore(path)) as store:
            sessions(store).send("agent", hello())
        sent_a, sent_b, report = run_workers(work, [(path, 20), (path, 20), (path, 0)])
        assert sent_a + sent_b == 40
        assert [r["rules"] for s in report["sessions"] for r in s["resets"]] == [["greet/banned"]]
        with closing(SQLiteStore(path)) as store:
            engine = sessions(store, greet_policy(limit=3, banned=NEW_BANNED))
            assert sorted(map(str, counts(engine, "agent"))) == [
                str({"2026-01": 40}), str({"2026-01": 41})]


class TestOtherStores:
    """The same carry-over and migration in memory and in PostgreSQL."""

    def test_memory_store_shared_by_two_engines(self):
        """An engine with a tuned threshold reads another engine's in-memory sessions."""
        store = MemoryStore()
        sessions(store).send("agent", hello())
        tuned = sessions(store, greet_policy(limit=2))
        assert [e.code for e in tuned.send("agent", hello()).effects] == ["G-1"]
        with pytest.raises(StateError, match="migrate"):
            sessions(store, greet_policy(when=WEEKLY)).send("agent", hello())

    def test_memory_store_migrates(self):
        """A memory store migrates like a database."""
        store = MemoryStore()
        check_migration(lambda: nullcontext(store))

    def test_postgres_store_migrates(self, pg):
        """A PostgreSQL store migrates through the same code as SQLite."""
        from csrules._sessions.postgres import PostgresStore

        check_migration(lambda: closing(PostgresStore(pg)))
