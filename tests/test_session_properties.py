"""Properties of sessions (hypothesis): interruptions change nothing, backends agree, and
stateless rules give the compiled evaluator's answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from pydantic import AwareDatetime, BaseModel

import csrules
from csrules.domain import ComplaintStep
from csrules.exceptions import CsrulesError
from csrules.sessions import SessionEngine, available_backends
from tests.test_session_support import BACKENDS, CST, Greeting, Shift, WorkOrder, engine

T0 = datetime(2026, 1, 28, 8, tzinfo=CST)
BOTH = len(BACKENDS) == 2


@csrules.register_fact_type(name="sess_prop")
class Prop(BaseModel):
    """A fact with one field of each kind the durable compiler treats differently."""

    at: AwareDatetime
    n: int
    x: int | None = None
    s: Literal["a", "b", "喂"]
    txt: str | None = None
    flag: bool
    id: str


# --------------------------------------------------------------------------- strategies

OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
EQ = st.sampled_from(["==", "!="])


@st.composite
def leaves(draw: Any) -> dict[str, Any]:
    """One stateless leaf condition over Prop (native in durable, or a probe)."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return {"kind": "compare", "path": "n", "op": draw(OPS), "value": draw(st.integers(-2, 3))}
    if choice == 1:
        return {"kind": "compare", "path": "x", "op": draw(OPS), "value": draw(st.integers(-2, 3))}
    if choice == 2:
        return {"kind": "compare", "path": "s", "op": draw(EQ), "value": draw(st.sampled_from(["a", "b", "喂"]))}
    if choice == 3:
        return {"kind": "compare", "path": "flag", "op": "==", "value": draw(st.booleans())}
    if choice == 4:
        return {"kind": "compare", "path": "id", "op": draw(EQ), "value": draw(st.sampled_from(["k1", "k2"]))}
    if choice == 5:
        return {"kind": "compare", "path": "n", "op": draw(OPS), "field": "x"}
    if choice == 6:
        kind = draw(st.sampled_from(["in", "not_in"]))
        return {"kind": kind, "path": draw(st.sampled_from(["s", "n", "x"])),
                "value": draw(st.lists(st.sampled_from(["a", "喂"]), min_size=1, max_size=2))}
    if choice == 7:
        return {"kind": draw(st.sampled_from(["is_set", "is_missing"])),
                "path": draw(st.sampled_from(["x", "txt"]))}
    if choice == 8:
        return {"kind": "contains", "path": "txt", "phrases": [draw(st.sampled_from(["喂", "ok"]))]}
    return {"kind": "in", "path": "n", "value": draw(st.lists(st.integers(0, 3), min_size=1, max_size=2))}


def fix_in(cond: dict[str, Any]) -> dict[str, Any]:
    """Make in/not_in values fit the field (text for s, numbers for n)."""
    if cond["kind"] in ("in", "not_in") and cond["path"] in ("n", "x"):
        return {**cond, "value": [v if isinstance(v, int) else len(v) for v in cond["value"]]}
    return cond


WINDOWS = st.sampled_from([None, {"calendar": "day"}, {"calendar": "month"}, {"rolling": "2d"}])


@st.composite
def window_leaves(draw: Any) -> dict[str, Any]:
    """A count, nth or in_a_row over a stateless leaf."""
    match = fix_in(draw(leaves()))
    kind = draw(st.sampled_from(["count", "nth", "in_a_row"]))
    if kind == "count":
        return {"kind": "count", "match": match, "window": draw(WINDOWS), "op": draw(OPS),
                "value": draw(st.integers(0, 3))}
    if kind == "nth":
        return {"kind": "nth", "match": match, "window": draw(WINDOWS), "n": draw(st.integers(1, 3)),
                "or_later": draw(st.booleans())}
    return {"kind": "in_a_row", "match": match, "times": draw(st.integers(1, 3))}


def conditions(windows: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Random condition trees (all / any / not over leaves)."""
    base = st.builds(fix_in, leaves())
    if windows:
        base = st.one_of(base, window_leaves())
    return st.recursive(
        base,
        lambda inner: st.one_of(
            st.builds(lambda of: {"kind": "all", "of": of}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda of: {"kind": "any", "of": of}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda c: {"kind": "not", "condition": c}, inner),
        ),
        max_leaves=5,
    )


def shallow() -> st.SearchStrategy[dict[str, Any]]:
    """A leaf or window leaf, possibly negated: every compiler case, densely."""
    leaf = st.one_of(st.builds(fix_in, leaves()), window_leaves())
    return st.one_of(leaf, st.builds(lambda c: {"kind": "not", "condition": c}, leaf))


HIT_POLICIES = ("collect", "first", "priority")


@st.composite
def policies(draw: Any, windows: bool, flat: bool = False, hits: tuple[str, ...] = HIT_POLICIES) -> csrules.Policy:
    """A policy over Prop with 1-4 random rules and a random hit policy (one of ``hits``)."""
    tree = shallow() if flat else conditions(windows)
    rules = [
        {"id": f"r{i}", "title": f"rule {i}", "when": draw(tree),
         "priority": draw(st.integers(0, 2)),
         "then": [{"type": "recommendation", "text": f"rule {i} holds"}]}
        for i in range(draw(st.integers(1, 6 if flat else 4)))
    ]
    return csrules.Policy(id="prop", version="1", title="prop", fact_type="sess_prop",
                          hit_policy=draw(st.sampled_from(hits)),
                          rules=rules)


@st.composite
def streams(draw: Any) -> list[Prop]:
    """Facts in time order (gaps of 0-30 hours)."""
    moment = T0
    out = []
    for _ in range(draw(st.integers(1, 12))):
        moment += timedelta(hours=draw(st.integers(0, 30)))
        out.append(Prop(
            at=moment, n=draw(st.integers(-1, 3)), x=draw(st.none() | st.integers(-1, 3)),
            s=draw(st.sampled_from(["a", "b", "喂"])), txt=draw(st.none() | st.sampled_from(["喂喂", "ok", "餵", ""])),
            flag=draw(st.booleans()), id=draw(st.sampled_from(["k1", "k2"])),
        ))
    return out


def run(policy: csrules.Policy, backend: str, facts: list[Prop]) -> list[Any]:
    e = SessionEngine(policy, backend=backend)
    s = e.session("subject")
    out = [s.send(fact, now=fact.at) for fact in facts]
    e.close()
    return out


SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# The same search cut into one part per hit policy, each a third of the examples, so that the
# test's parts run side by side on several workers: together they draw as many as SETTINGS.
PER_HIT = settings(SETTINGS, max_examples=-(-SETTINGS.max_examples // len(HIT_POLICIES)))


# --------------------------------------------------------------------------- differential


@pytest.mark.skipif(not BOTH, reason="durable-rules is not installed")
class TestBackendsAgree:
    """The durable backend and the pure-Python backend give identical results."""

    @pytest.mark.parametrize("hit", HIT_POLICIES)
    @PER_HIT
    @given(data=st.data())
    def test_random_policies_and_streams(self, hit, data):
        """Random policies (windows, negations, probes, each hit policy) on random streams."""
        policy = data.draw(policies(windows=True, hits=(hit,)), label="policy")
        facts = data.draw(streams(), label="facts")
        assert run(policy, "durable", facts) == run(policy, "python", facts)

    @SETTINGS
    @given(policy=policies(windows=True, flat=True), facts=streams())
    def test_leaves_and_negations(self, policy, facts):
        """Every leaf kind, window kind and their negations, several rules per event."""
        assert run(policy, "durable", facts) == run(policy, "python", facts)

    @SETTINGS
    @given(data=st.data())
    def test_domain_streams(self, data):
        """CON-1, ATT-9 and ESC-2 with ticks: identical effects on random streams."""
        steps = data.draw(st.lists(domain_steps(), min_size=1, max_size=25))
        results = {}
        for backend in ("durable", "python"):
            e = engine(backend)
            clock = {0: T0}
            results[backend] = [apply(e, step, clock) for step in steps]
            e.close()
        assert results["durable"] == results["python"]


class TestStatelessAgreesWithEngine:
    """For stateless rules a session's effects equal the compiled evaluator's."""

    @pytest.mark.parametrize("hit", HIT_POLICIES)
    @PER_HIT
    @given(data=st.data(), backend=st.sampled_from(BACKENDS))
    def test_same_effects(self, hit, data, backend):
        """Every event's effects and errors are the stateless Engine's, under each hit policy."""
        policy = data.draw(policies(windows=False, hits=(hit,)), label="policy")
        facts = data.draw(streams(), label="facts")
        stateless = csrules.Engine(policy)
        for fact, result in zip(facts, run(policy, backend, facts), strict=True):
            decision = stateless.evaluate(fact, now=fact.at)
            assert result.effects == decision.effects
            assert result.errors == decision.errors


# --------------------------------------------------------------------------- domain streams


@st.composite
def domain_steps(draw: Any) -> tuple[Any, ...]:
    """One step: an event of some type after a gap, or a tick."""
    gap = draw(st.integers(0, 20))
    kind = draw(st.sampled_from(["greet", "shift", "order", "complaint", "tick"]))
    if kind == "greet":
        return gap, kind, draw(st.sampled_from(["喂", "您好", "餵您好"]))
    if kind == "shift":
        return gap, kind, draw(st.booleans())
    if kind == "order":
        return gap, kind, (draw(st.sampled_from(["o1", "o2", "o3"])), draw(st.sampled_from(["open", "closed"])))
    if kind == "complaint":
        return gap, kind, (draw(st.sampled_from(
            ["register", "judge", "propose", "approve", "handle", "follow_up", "archive", "close"])),
            draw(st.sampled_from([None, True, False])))
    return gap, kind, None


def apply(e: SessionEngine, step: tuple[Any, ...], clock: dict[int, datetime]) -> Any:
    """Run one step on ``e`` (subject 's'); return the result or the error's type and text."""
    gap, kind, arg = step
    clock[0] = clock[0] + timedelta(hours=gap)
    now = clock[0]
    s = e.session("s")
    try:
        if kind == "tick":
            return s.tick(now)
        if kind == "greet":
            return s.send(Greeting(agent="a", at=now, opening=arg), now=now)
        if kind == "shift":
            return s.send(Shift(agent="a", at=now, swapped=arg), now=now)
        if kind == "order":
            order, status = arg
            return s.send(WorkOrder(order_id=order, status=status, opened_at=now), now=now)
        event, founded = arg
        return s.send(ComplaintStep(event=event, founded=founded, approved_by="department_head", complainant="c"),
                      now=now)
    except CsrulesError as exc:
        return type(exc).__name__, str(exc)


# --------------------------------------------------------------------------- stateful


class InterruptedSession(RuleBasedStateMachine):
    """Random events, ticks, exports and restores (into fresh engines, either backend) give the
    same results as one uninterrupted session."""

    @initialize(backend=st.sampled_from(BACKENDS))
    def start(self, backend: str) -> None:
        self.reference = engine("python")
        self.current = engine(backend)
        self.ref_clock = {0: T0}
        self.cur_clock = {0: T0}

    def step(self, step: tuple[Any, ...]) -> None:
        expected = apply(self.reference, step, self.ref_clock)
        got = apply(self.current, step, self.cur_clock)
        assert got == expected

    @rule(step=domain_steps())
    def event_or_tick(self, step: tuple[Any, ...]) -> None:
        self.step(step)

    @rule(backend=st.sampled_from(BACKENDS), through_text=st.booleans())
    def export_and_restore(self, backend: str, through_text: bool) -> None:
        if "s" not in list(self.current.store.subjects()):
            return
        exported = self.current.export_json("s") if through_text else self.current.export("s")
        self.current.close()
        self.current = engine(backend)
        self.current.restore(exported)

    @invariant()
    def same_state(self) -> None:
        subjects = list(self.reference.store.subjects())
        if subjects:
            assert self.current.export("s")["state"] == self.reference.export("s")["state"]

    def teardown(self) -> None:
        self.reference.close()
        self.current.close()


InterruptedSession.TestCase.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestInterruptedSession = InterruptedSession.TestCase


def test_available_backends_listed():
    """The backends this interpreter can run are listed, Python always among them."""
    assert "python" in available_backends()


def test_durable_imported_lazily():
    """Importing csrules and running a Python-backend session never imports durable-rules;
    choosing the durable backend by hand where it is missing is a clear SessionError."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys\n"
        "import csrules, csrules._sessions\n"
        "from tests.test_session_support import engine, Greeting, at\n"
        "e = engine('python')\n"
        "e.session('a').send(Greeting(agent='a', at=at(2), opening='喂'), now=at(2))\n"
        "assert 'durable' not in sys.modules and 'durable_rules_engine' not in sys.modules\n"
        "sys.modules['durable'] = None  # as if durable-rules were not installed\n"
        "import csrules._sessions.backends as b\n"
        "b.durable_available = lambda: False\n"
        "assert b.available_backends() == ('python',)\n"
        "assert engine('auto').backend == 'python'\n"
        "try:\n"
        "    engine('durable')\n"
        "except csrules.exceptions.SessionError as exc:\n"
        "    print('refused:', exc)\n"
    )
    # csrules as this run imports it (a source tree or an installed wheel), then the tests
    package = Path(csrules.__file__).resolve().parent.parent
    env = {"PYTHONPATH": f"{package}:{root}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(root), env=env)
    assert "refused: backend 'durable' needs durable-rules" in out.stdout
