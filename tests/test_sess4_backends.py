"""The durable and Python session backends give identical results and identical stored state
on generated streams with restarts, duplicates and out-of-order events; and the shortcuts of
the per-event path (the engine's fingerprint kept, contains answers remembered, durable's
state read from the first fired rule, a refused message's state left unread) change nothing.

Every stream is built so that it holds a duplicate, an out-of-order event, a restart and two
subjects whatever hypothesis draws: the properties never depend on which examples are drawn.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

import csrules
from csrules._policy.text import TextMatcher
from csrules._sessions.host import open_host
from csrules._sessions.migrate import fingerprint
from csrules.exceptions import CsrulesError, SessionError
from csrules.sessions import MemoryStore, SessionEngine, SQLiteStore
from tests.test_session_support import ATT9, BACKENDS, CON1, CST, ESC2, Greeting, Shift, WorkOrder

BOTH = len(BACKENDS) == 2
T0 = datetime(2026, 2, 1, 2, tzinfo=CST)  # just after a month's start: late events fall before it
LONG = "您好，" + "請問有什麼可以幫您" * 8 + "喂"  # over 64 characters: never remembered
OPENINGS = ["喂", "您好", "喂您好", "餵 您好", "hello", LONG, LONG[:-1]]

Step = tuple[Any, ...]
"""``("send", subject, gap hours, kind, argument, hours the event is late)``, ``("tick",
subject, gap hours)`` (a negative gap turns the clock back: later calls of a subject ticked
past it are refused until time catches up), ``("again",)`` (the previous event sent once more) or
``("restart",)`` (a new engine on the same store, or on exported documents)."""


@st.composite
def sends(draw: Any) -> Step:
    """One event for subject a or b, after a gap, possibly late (its own time earlier)."""
    kind = draw(st.sampled_from(["greet", "shift", "order"]))
    arg: Any = {"greet": st.sampled_from(OPENINGS), "shift": st.booleans(),
                "order": st.tuples(st.sampled_from(["o1", "o2"]), st.sampled_from(["open", "closed"]))}[kind]
    return ("send", draw(st.sampled_from(["a", "b"])), draw(st.integers(0, 30)), kind, draw(arg),
            draw(st.sampled_from([0, 0, 0, 5, 30])))


FIXED: list[Step] = [
    ("send", "a", 1, "greet", "喂", 0), ("send", "b", 0, "shift", True, 0),
    ("again",), ("send", "a", 2, "greet", "喂您好", 30), ("restart",),
    ("again",), ("restart",), ("send", "b", 0, "shift", True, 5),
]
"""The steps every stream holds, drawn steps between them."""


@st.composite
def streams(draw: Any) -> list[Step]:
    """Events and ticks, with a duplicate, a late event, restarts and both subjects always in."""
    body = draw(st.lists(st.one_of(sends(), st.tuples(st.just("tick"), st.sampled_from(["a", "b"]),
                                                      st.integers(-3, 40))), min_size=2, max_size=14))
    half = len(body) // 2
    return [*FIXED[:2], *body[:half], *FIXED[2:5], *body[half:], *FIXED[5:]]


class Runner:
    """One backend's engine over CON-1, ATT-9 and ESC-2, restarted on request: on the same
    SQLite file, or (in memory) from exported documents restored into a new store."""

    def __init__(self, backend: str, folder: Path | None) -> None:
        self.backend = backend
        self.path = None if folder is None else folder / f"{backend}.db"
        self.engine = self._open()
        self.now = T0
        self.last: tuple[str, Any] | None = None

    def _open(self) -> SessionEngine:
        store = MemoryStore() if self.path is None else SQLiteStore(self.path)
        return SessionEngine([csrules.Policy(**CON1), csrules.Policy(**ATT9), csrules.Policy(**ESC2)],
                             backend=self.backend, store=store)  # type: ignore[arg-type]

    def restart(self) -> None:
        old = self.engine
        exported = [old.export_json(s) for s in sorted(old.store.subjects())]
        old.close()
        old.store.close()
        self.engine = self._open()
        if self.path is None:
            for text in exported:
                self.engine.restore(text)

    def event(self, kind: str, arg: Any, late: int) -> Any:
        moment = self.now - timedelta(hours=late)
        if kind == "greet":
            return Greeting(agent="x", at=moment, opening=arg)
        if kind == "shift":
            return Shift(agent="x", at=moment, swapped=arg)
        return WorkOrder(order_id=arg[0], status=arg[1], opened_at=moment)

    def step(self, step: Step) -> Any:
        """Run one step: the result, or the error's type and text."""
        try:
            if step[0] == "restart":
                self.restart()
                return "restarted"
            if step[0] == "again":
                if self.last is None:
                    return "nothing to repeat"
                subject, event = self.last
                return self.engine.send(subject, event, now=self.now)
            self.now += timedelta(hours=step[2])
            if step[0] == "tick":
                return self.engine.tick(step[1], self.now)
            event = self.event(*step[3:])
            self.last = (step[1], event)
            return self.engine.send(step[1], event, now=self.now)
        except CsrulesError as exc:
            return type(exc).__name__, str(exc)

    def states(self) -> dict[str, Any]:
        """Every subject's stored state."""
        return {s: self.engine.export(s)["state"] for s in sorted(self.engine.store.subjects())}

    def close(self) -> None:
        self.engine.close()
        self.engine.store.close()


def run_both(steps: list[Step], on_disk: bool) -> dict[str, tuple[list[Any], list[dict[str, Any]]]]:
    """Each backend's results and states after every step."""
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for backend in ("durable", "python"):
            runner = Runner(backend, Path(folder) if on_disk else None)
            results, states = [], []
            for step in steps:
                results.append(runner.step(step))
                states.append(runner.states())
            runner.close()
            out[backend] = (results, states)
    return out


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.skipif(not BOTH, reason="durable-rules is not installed")
class TestBackendsAgreeOnStreams:
    """Results and stored state agree step by step, through restarts, duplicates and late events."""

    @SETTINGS
    @given(steps=streams())
    def test_in_memory_with_exports(self, steps: list[Step]) -> None:
        """In memory, restarted from exported documents: the same results and states."""
        both = run_both(steps, on_disk=False)
        assert both["durable"] == both["python"]

    @settings(SETTINGS, max_examples=8)
    @given(steps=streams())
    def test_on_sqlite_with_reopens(self, steps: list[Step]) -> None:
        """On SQLite files reopened by new engines: the same results and states."""
        both = run_both(steps, on_disk=True)
        assert both["durable"] == both["python"]

    @SETTINGS
    @given(steps=streams())
    def test_streams_hold_every_case(self, steps: list[Step]) -> None:
        """Every stream holds the fixed steps of the test below: a duplicate, a late event,
        two restarts and both subjects (the premises of the properties above)."""
        assert steps[:2] == FIXED[:2]
        assert steps[-3:] == FIXED[-3:]
        assert steps.count(("again",)) == 2
        assert steps.count(("restart",)) == 2
        assert FIXED[3] in steps

    def test_fixed_steps_mean_what_they_say(self) -> None:
        """The fixed steps repeat an event, send one late into the month before, restart
        twice and use both subjects; both backends agree on them."""
        both = run_both(FIXED, on_disk=False)
        results, states = both["durable"]
        assert [r.rule_ids for r in (results[0], results[1], results[2])] == [("correct",), (), ("in-a-row",)]
        assert results[3].rule_ids == ("correct",)  # late into January: the first 喂 there
        assert results[5].rule_ids == ("warn",)  # the late 喂 sent again after a restart: counted again
        assert results[5] != results[4]
        assert results[4] == "restarted"
        # the third swap of February, sent at its midnight: the count and the run survived two restarts
        assert results[7].rule_ids == ("too-many", "in-a-row")
        assert set(states[-1]) == {"a", "b"}
        assert sorted(next(iter(states[-1]["a"]["c"].values()))) == ["2026-01", "2026-02"]
        assert both["durable"] == both["python"]


class TestPerEventShortcuts:
    """What the per-event path skips or remembers changes no answer."""

    def test_contains_answers_remembered_as_computed(self) -> None:
        """A matcher answers every text, repeated and long ones too, as its own search does."""
        matcher = TextMatcher(("喂",), "zh", ignore=("喂喂喂",))
        texts = [*OPENINGS, "喂喂喂", "喂喂喂 喂", "", " 喂 ", LONG * 2]
        first = [matcher(text) for text in texts]
        again = [matcher(text) for text in texts]
        assert first == again == [matcher.find(text) is not None for text in texts]
        assert first == [True, False, True, True, False, True, False, False, True, False, True, True]
        assert matcher(["您好", "喂"])
        assert not matcher(["您好"])

    def test_contains_answers_bounded(self) -> None:
        """A matcher fed many distinct texts keeps a bounded number of answers, all right."""
        matcher = TextMatcher(("喂",), "zh")
        texts = [f"{n} 喂" if n % 3 == 0 else f"{n} 您好" for n in range(600)]
        assert [matcher(text) for text in texts] == [n % 3 == 0 for n in range(600)]
        assert len(matcher._seen) <= 256
        assert [matcher(text) for text in reversed(texts)] == [n % 3 == 0 for n in reversed(range(600))]

    def test_shared_store_between_equal_engines(self) -> None:
        """Two engines with equal policies share a memory store: each reads the other's
        documents (an equal fingerprint, not the same object) and counts on."""
        store = MemoryStore()
        first = SessionEngine(csrules.Policy(**CON1), backend=BACKENDS[0], store=store)
        second = SessionEngine(csrules.Policy(**CON1), backend=BACKENDS[-1], store=store)
        assert fingerprint(first.program) == fingerprint(second.program)
        assert fingerprint(first.program) is not fingerprint(second.program)
        got = [engine.send("a", Greeting(agent="a", at=T0, opening="喂"), now=T0).rule_ids
               for engine in (first, second, first)]
        assert got == [("correct",), ("warn",), ("fine",)]
        assert store.load("a")["state"]["seq"] == 3  # type: ignore[index]


@pytest.mark.skipif("durable" not in BACKENDS, reason="durable-rules is not installed")
class TestDurableStateCheck:
    """durable's state is checked on every message it accepts, and only then."""

    @staticmethod
    def _poison(host: Any) -> None:
        """Put an exception in durable's state, as durable's own action runner would."""
        host._c.update_state(host._handle, '{"sid": "csrules", "exception": "boom"}')

    def test_refused_message_answers(self) -> None:
        """A message durable refuses (no 喂: no pattern holds) ran nothing there and is
        answered; the next accepted message, whose rule fires, reports the exception and
        changes nothing, and the one after it works."""
        engine = SessionEngine(csrules.Policy(**CON1), backend="durable")
        self._poison(engine._backend.host)  # type: ignore[attr-defined]
        assert engine.send("a", Greeting(agent="a", at=T0, opening="您好"), now=T0).rule_ids == ()
        before = engine.export("a")
        with pytest.raises(SessionError, match="an action raised: boom"):
            engine.send("a", Greeting(agent="a", at=T0, opening="喂"), now=T0)
        assert engine.export("a") == before
        assert engine.send("a", Greeting(agent="a", at=T0, opening="喂"), now=T0).rule_ids == ("correct",)

    def test_accepted_message_firing_nothing_checked(self) -> None:
        """A message durable accepts without firing a rule (half of a join) has the state
        read by its own call, which reports the exception."""
        host = open_host("sess4_join", {"j": {"all": [{"m": {"t": "x"}}, {"n": {"t": "y"}}], "run": "csrules"}})
        assert host.fire_names(host.encode({"t": "x", "id": 1})) == []
        self._poison(host)
        with pytest.raises(SessionError, match="an action raised: boom"):
            host.fire_names(host.encode({"t": "x", "id": 2}))
        assert host.fire_names(host.encode({"t": "x", "id": 3})) == []  # wiped: clean again
        host.close()
