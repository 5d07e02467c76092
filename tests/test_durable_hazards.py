"""One test per durable-rules hazard (DURABLE-NOTES), showing csrules' sessions are immune.

Where cheap, each test first shows the hazard in raw durable-rules, then the same situation
through a csrules session.
"""

from __future__ import annotations

import copy
import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest

pytest.importorskip("durable")

import csrules
from csrules._engine.compile import CompiledRule
from csrules.domain import ComplaintStep, complaint_lifecycle
from csrules.exceptions import SessionError, TransitionError
from csrules.sessions import SessionEngine
from tests.test_session_support import CON1, ESC2, Greeting, WorkOrder, at, engine

ROOT = Path(__file__).resolve().parent.parent


def raw_host(rulesets, actions):
    """A plain durable host without threads, running real actions (the raw form)."""
    from durable import engine as durable_engine

    class Host(durable_engine.Host):
        def _run(self):
            pass

        def get_action(self, name):
            return actions[name]

    host = Host()
    host.register_rulesets(copy.deepcopy(rulesets))
    return host


# the join the notes measured (csrules itself compiles no joins: see durable_backend)
JOIN = {"esc": {"all": [
    {"o": {"t": "order"}},
    {"k": {"$and": [{"t": "tick"}, {"$gte": {"now": {"$add": {"$l": {"o": "opened"}, "$r": 24}}}}]}},
], "run": "fire"}}


def durable_is_empty(e: SessionEngine) -> bool:
    host = e._backend.host
    c, handle, sid = host._c, host._handle, "csrules"
    try:
        return c.get_facts(handle, sid) == "[]" and c.get_events(handle, sid) == "[]"
    except c.error:
        return True  # no state at all


class TestPartialMatch:
    """An event matching part of a rule stays pending in durable and fires much later."""

    def test_raw_durable_fires_a_stale_tick(self):
        """Raw: a tick posted as an event waits, then fires for an order asserted later."""
        fired = []
        host = raw_host({"r": JOIN}, {"fire": lambda c: fired.append(c.o.name)})
        host.post("r", {"sid": "1", "t": "tick", "now": 100})
        assert host.get_pending_events("r", "1")
        host.assert_fact("r", {"sid": "1", "t": "order", "opened": 0, "name": "late"})
        assert fired == ["late"]

    def test_session_tick_never_fires_later(self):
        """csrules: a tick with nothing open leaves nothing; an order opened later, already
        overdue, fires once on its own send and never again."""
        e = engine("durable")
        s = e.session("orders-1")
        t0 = at(5)
        assert s.tick(t0 + timedelta(hours=30)).effects == ()
        assert durable_is_empty(e)
        opened = s.send(WorkOrder(order_id="o1", status="open", opened_at=t0),
                        now=t0 + timedelta(hours=30))
        assert opened.effect_keys == ("escalation:shift_lead",)
        assert durable_is_empty(e)
        assert s.tick(t0 + timedelta(hours=31)).effect_keys == ()

    def test_refused_transition_leaves_nothing(self):
        """csrules: a refused close leaves nothing in durable and never fires."""
        e = SessionEngine(lifecycles=complaint_lifecycle(), backend="durable")
        s = e.session("c-1")
        s.send(ComplaintStep(event="register", complainant="Ms Li"), now=at(5))
        with pytest.raises(TransitionError):
            s.send(ComplaintStep(event="close"), now=at(5))
        assert durable_is_empty(e)
        result = s.send(ComplaintStep(event="judge", founded=False), now=at(5))
        assert [t.target for t in result.transitions] == ["unfounded"]

    def test_leftover_is_detected(self):
        """If anything is ever left in durable, the next call fails loudly and cleans up."""
        e = engine("durable")
        s = e.session("orders-1")
        e._backend.host.inject({"t": "e0", "w0": 1})  # a stray fact matching CON-1's first rule
        before = s.export()
        with pytest.raises(SessionError, match="facts left behind"):
            s.send(Greeting(agent="a", at=at(5), opening="喂"), now=at(5))
        assert durable_is_empty(e)
        assert s.export() == before
        assert s.send(Greeting(agent="a", at=at(5), opening="喂"), now=at(5)).rule_ids == ("correct",)


    def test_leftover_is_detected_on_a_refused_call(self):
        """A stray fact is caught even when the next event matches no rule at all."""
        e = engine("durable")
        s = e.session("orders-1")
        e._backend.host.inject({"t": "e0", "w0": 1})
        before = s.export()
        with pytest.raises(SessionError, match="left behind"):
            s.send(Greeting(agent="a", at=at(5), opening="您好"), now=at(5))
        assert durable_is_empty(e)
        assert s.export() == before

    def test_a_rule_fired_for_a_message_behind_the_hosts_back_is_refused(self):
        """A message put into durable outside the host never passes as the next call's answer."""
        e = engine("durable")
        s = e.session("orders-1")
        host = e._backend.host
        host._c.assert_event(host._handle, host.encode({"t": "e0", "w0": 1}))  # not marked dirty
        before = s.export()
        with pytest.raises(SessionError):
            s.send(Greeting(agent="a", at=at(5), opening="喂"), now=at(5))
        assert s.export() == before
        assert s.send(Greeting(agent="a", at=at(5), opening="喂"), now=at(5)).rule_ids == ("correct",)


class TestFirstRuleOnly:
    """An event fires only its first matching rule."""

    def test_raw_durable_event_fires_one_rule(self):
        """Raw: two rules match one event; only one fires."""
        fired = []
        rules = {"a": {"all": [{"m": {"t": "x"}}], "run": "a"},
                 "b": {"all": [{"m": {"t": "x"}}], "run": "b"}}
        host = raw_host({"r": rules}, {"a": lambda c: fired.append("a"),
                                       "b": lambda c: fired.append("b")})
        host.post("r", {"sid": "1", "t": "x"})
        assert len(fired) == 1

    def test_session_fires_every_matching_rule(self):
        """csrules: the third swap after a swap breaks both ATT-9 rules in one event."""
        from tests.test_session_support import Shift

        s = engine("durable").session("a")
        for day, swapped in ((1, True), (2, False), (3, True)):
            s.send(Shift(agent="a", at=at(day), swapped=swapped), now=at(day))
        result = s.send(Shift(agent="a", at=at(4), swapped=True), now=at(4))
        assert result.rule_ids == ("too-many", "in-a-row")


class TestSwallowedExceptions:
    """An exception inside a durable action is swallowed into the state."""

    def test_raw_durable_swallows(self):
        """Raw: post() returns normally; the error sits in the state."""
        def boom(c):
            raise RuntimeError("boom")

        host = raw_host({"r": {"a": {"all": [{"m": {"t": "x"}}], "run": "boom"}}}, {"boom": boom})
        host.post("r", {"sid": "1", "t": "x"})
        assert "boom" in host.get_state("r", "1")["exception"]

    def test_failing_effect_surfaces(self, monkeypatch):
        """csrules: an error while computing a rule's effects is a SessionError; nothing changes."""
        s = engine("durable").session("agent-1")
        s.send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2))
        before = s.export()

        def broken(self, fact, now):
            raise RuntimeError("effect computation failed")

        monkeypatch.setattr(CompiledRule, "resolve", broken)
        with pytest.raises(SessionError, match="effect computation failed"):
            s.send(Greeting(agent="a", at=at(3), opening="喂"), now=at(3))
        assert s.export() == before

    def test_exception_in_durable_state_surfaces(self):
        """csrules: an exception durable stored in its state is reported by the next call,
        which changes nothing; durable is wiped and the call after it works."""
        from durable.engine import Promise

        e = SessionEngine(csrules.Policy(**CON1), backend="durable")
        host = e._backend.host

        def boom(c):
            raise RuntimeError("boom inside durable")

        assert e._backend.compiled.ruleset["r0_0"]["all"][0]["m"] == {
            "$and": [{"t": "e0"}, {"w0": 1}]}
        host._ruleset._actions["r0_0"] = Promise(boom)
        host._host.post(host.name, {"sid": "csrules", "t": "e0", "w0": 1})  # durable's own path
        assert "boom inside durable" in host._c.get_state(host._handle, "csrules")
        s = e.session("agent-1")
        before = s.export()
        with pytest.raises(SessionError, match="an action raised"):
            s.send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2))
        assert s.export() == before
        assert s.send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2)).rule_ids == ("correct",)


class TestReservedFields:
    """durable's own id and sid fields: a user field named id has crashed it."""

    POLICY: ClassVar[dict] = {
        "id": "ids", "version": "1", "fact_type": "sess_greeting", "title": "ids",
        "rules": [
            {"id": "by-id", "title": "call id", "when": {"kind": "compare", "path": "id", "op": "==",
                                                         "value": "call-1"},
             "then": [{"type": "recommendation", "text": "seen call-1"}]},
            {"id": "by-sid", "title": "sid", "when": {"kind": "is_set", "path": "sid"},
             "then": [{"type": "recommendation", "text": "has sid"}]},
        ],
    }

    def test_fields_named_id_and_sid(self):
        """Rules over fields named id and sid work, also next to a join ruleset."""
        e = SessionEngine([csrules.Policy(**self.POLICY), csrules.Policy(**ESC2)],
                          backend="durable")
        s = e.session("a")
        fact = Greeting(agent="a", at=at(2), opening="您好", id="call-1", sid="zz")
        assert s.send(fact, now=at(2)).rule_ids == ("by-id", "by-sid")
        assert s.send(fact, now=at(2)).rule_ids == ("by-id", "by-sid")  # identical again
        other = Greeting(agent="a", at=at(2), opening="您好", id="call-2")
        assert s.send(other, now=at(2)).effects == ()
        assert '"id"' not in json.dumps(e._backend.compiled.ruleset).replace('"ids"', "")

    def test_no_match_is_not_an_exception(self):
        """An event no rule matches returns no effects (no MessageNotHandledException)."""
        s = engine("durable").session("a")
        assert s.send(Greeting(agent="a", at=at(2), opening="您好"), now=at(2)).effects == ()


class TestRegexDialect:
    """$mt is a full-match Lua-like dialect: csrules never sends a pattern to it."""

    def test_raw_mt_is_full_match(self):
        """Raw: '$mt': 'hello' does not match 'well hello there'."""
        fired = []
        host = raw_host({"r": {"a": {"all": [{"m": {"$mt": {"text": "hello"}}}], "run": "a"}}},
                        {"a": lambda c: fired.append(1)})
        from durable.engine import MessageNotHandledException

        with pytest.raises(MessageNotHandledException):
            host.post("r", {"sid": "1", "text": "well hello there"})
        host.post("r", {"sid": "1", "text": "hello"})
        assert fired == [1]

    def test_contains_is_a_probe(self):
        """csrules: 'contains' is computed by csrules (with zh folding), never $mt."""
        e = SessionEngine(csrules.Policy(**CON1), backend="durable")
        text = json.dumps(e._backend.compiled.ruleset)
        assert "$mt" not in text
        assert "$imt" not in text
        s = e.session("a")
        assert s.send(Greeting(agent="a", at=at(2), opening="well 餵 there"),
                      now=at(2)).rule_ids == ("correct",)


class TestJoinCrash:
    """Found here: a join whose facts are asserted and retracted can crash durable-rules 2.0.28
    (memory corruption: on some machines about four runs in five end in a segmentation fault,
    on others none does, so the crash itself is no test). csrules never compiles a join."""

    def test_csrules_compiles_no_joins(self):
        """csrules: every compiled rule has exactly one pattern."""
        e = engine("durable")
        rules = e._backend.compiled.ruleset.values()
        assert all(len(rule["all"]) == 1 for rule in rules)

    def test_session_with_chinese_literal_and_joins(self):
        """csrules: ticks reaching and missing deadlines, again and again, next to a rule
        comparing text with 喂, run fine (the raw sequence above, through a session)."""
        spec = json.loads(json.dumps(TestReservedFields.POLICY))
        spec["rules"] = [{"id": "wei", "title": "wei", "when": {
            "kind": "compare", "path": "opening", "op": "==", "value": "喂"},
            "then": [{"type": "recommendation", "text": "say 您好"}]}]
        e = SessionEngine([csrules.Policy(**spec), csrules.Policy(**ESC2)], backend="durable")
        s = e.session("a")
        t0 = at(5)
        for n in range(2):
            opened = t0 + timedelta(hours=25 * n)
            s.send(WorkOrder(order_id=f"o{n}", status="open", opened_at=opened), now=opened)
            result = s.tick(opened + timedelta(hours=24, seconds=1))
            assert (f"o{n}", "shift-lead") in [(f.item, f.rule_id) for f in result.firings]
        assert s.send(Greeting(agent="a", at=t0, opening="喂"),
                      now=t0 + timedelta(hours=60)).rule_ids == ("wei",)


class TestLiveStates:
    """durable keeps at most 1,024 live session states per ruleset (MemoryError past it)."""

    def test_raw_durable_limit(self):
        """Raw: the 1,025th live sid raises MemoryError."""
        host = raw_host({"r": {"a": {"all": [{"m": {"t": "x"}}], "run": "a"}}},
                        {"a": lambda c: None})
        for n in range(1024):
            host.post("r", {"sid": str(n), "t": "x"})
        with pytest.raises(MemoryError):
            host.post("r", {"sid": "1024", "t": "x"})

    def test_sessions_use_one_durable_state(self):
        """csrules: 2,000 subjects with state, one durable session id, no threads started."""
        before = threading.active_count()
        e = engine("durable")
        for n in range(2000):
            e.session(f"agent-{n}").send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2))
        assert len(e.store) == 2000
        assert threading.active_count() == before
        assert durable_is_empty(e)
