"""Helpers for proving, in a host's own test suite, what its policies decide.

Four tools, each usable alone:

- **strategies**: :func:`facts` and :func:`facts_for` draw valid facts from any registered
  fact model (the library's and the host's), derived from the pydantic model and its
  constraints; :func:`boundary_facts` draws facts on both sides of every threshold of a
  policy's rules, where policies break; :func:`probe_examples` lists every probe with facts
  for it; :func:`explore` runs them and reports what it found.
- **assertions**: :func:`assert_decision` checks violations, approvers, obligations ... and
  fails with the expected and actual effects and the trace of the rules that decided;
  :func:`assert_effects_after` does the same for a session after a series of events.
- **test files**: :func:`load_test_file`, :func:`run_cases` and :func:`run_test_file` read
  and run YAML files of named cases; the pytest plugin collects the same files.
- **rule coverage**: :func:`collect_coverage` records which rules and conditions a run made
  true and false.

>>> from csrules.testing import assert_decision, facts_for
>>> from hypothesis import given
>>> @given(facts_for(policy))                                      # doctest: +SKIP
... def test_long_leave_needs_the_director(fact):
...     if fact.days > 1:
...         assert_decision(engine, fact, approver="centre_director")

.. versionadded:: 0.1
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from pydantic import BaseModel

from csrules._engine.decision import Decision, Outcome
from csrules._engine.engine import Engine
from csrules._engine.examples import CaseResult
from csrules._policy.model import EFFECT_KEY, Policy
from csrules._sessions import SessionEngine, StepResult, available_backends
from csrules._testing.boundaries import sessions as _shapes
from csrules._testing.boundaries.core import (
    BoundaryContext,
    Filler,
    Probe,
    Target,
    boundary_facts,
    register_boundaries,
)
from csrules._testing.boundaries.core import (
    boundary_targets as _boundary_targets,
)
from csrules._testing.boundaries.core import (
    calendar_years as _calendar_years,
)
from csrules._testing.boundaries.core import (
    facts_for_targets as _facts_for_targets,
)
from csrules._testing.boundaries.core import (
    listed_names as _listed_names,
)
from csrules._testing.coverage import (
    BranchCoverage,
    Coverage,
    CoverageReport,
    RuleCoverage,
    collect_coverage,
)
from csrules._testing.strategies import facts
from csrules._testing.strategies import naming_dicts as _naming_dicts
from csrules._testing.strategies import resolve_fact_type as _resolve_fact_type
from csrules._testing.strategies import validated as _validated
from csrules._testing.strategies import within as _within
from csrules._testing.testfiles import (
    TestCase,
    TestFileError,
    load_test_file,
    run_cases,
    run_test_file,
)
from csrules._testing.testfiles import (
    describe_mismatch as _describe_mismatch,
)
from csrules._testing.testfiles import (
    due_problems as _due_problems,
)
from csrules._testing.testfiles import (
    listed_again as _listed_again,
)
from csrules.exceptions import CsrulesError, PolicyError

__all__ = [
    "BoundaryContext",
    "BranchCoverage",
    "CaseResult",
    "Coverage",
    "CoverageReport",
    "DecisionMismatch",
    "EventSink",
    "Exploration",
    "Filler",
    "Finding",
    "Probe",
    "RuleCoverage",
    "Target",
    "TestCase",
    "TestFileError",
    "Tick",
    "assert_decision",
    "assert_effects_after",
    "boundary_facts",
    "collect_coverage",
    "explore",
    "explore_sessions",
    "facts",
    "facts_for",
    "load_test_file",
    "probe_examples",
    "register_boundaries",
    "run_cases",
    "run_test_file",
]


# --------------------------------------------------------------------------- strategies


def facts_for(policy: Policy) -> st.SearchStrategy[BaseModel]:
    """Valid facts of the type ``policy`` judges (random; see :func:`boundary_facts`).

    >>> @given(facts_for(policy))                     # doctest: +SKIP
    ... def test_every_fact_is_judged(fact):
    ...     engine.evaluate(fact)

    Dates and datetimes fall in the years the policy's calendars hold the holidays of. A
    text field the rules test against listed names (``requester_role in [agent, shift_lead
    ...]``: every role and alias of the pack's catalogue) is drawn from those names and its
    default half the time, random text otherwise, so role-gated rules fire.
    """
    if not isinstance(policy, Policy):  # a policy's id or file name: said as such, not failed on
        shown = f"{policy!r:.60}"
        raise PolicyError(f"facts_for takes a Policy (pack.policy(...), load_policy(...)); got "
                          f"{type(policy).__name__} {shown}")
    return _named_facts([policy])


def _named_facts(policies: Sequence[Policy]) -> st.SearchStrategy[BaseModel]:
    """Facts of the one type ``policies`` judge, text fields drawn from the names they test
    for, dates in the years their calendars hold (:func:`facts_for`)."""
    _, model = _resolve_fact_type(policies[0].fact_type)
    drawn = _validated(model, _naming_dicts(model, _listed_names(policies)))
    return _within(drawn, *_calendar_years(policies))


@dataclass(frozen=True)
class Finding:
    """A fact on which a policy went wrong, shrunk to a small example.

    ``kind`` is ``"error"`` (a rule raised), ``"disagreement"`` (the compiled engine and
    the explaining interpreter differ) or ``"oracle"`` (the effects differ from what the
    oracle expects). ``example`` is the 1-based number of the first failing example drawn.
    """

    kind: Literal["error", "disagreement", "oracle"]
    message: str
    fact: BaseModel
    now: datetime | None
    target: str | None
    example: int

    def render(self) -> str:
        """The finding in readable lines."""
        lines = [f"{self.kind} at example {self.example}: {self.message}"]
        if self.target:
            lines.append(f"  probing {self.target}")
        try:
            shown: Any = self.fact.model_dump(mode="json")
        except Exception:  # a computed field that raises on this very fact: show the stored fields
            shown = self.fact.model_dump(mode="json", include=set(type(self.fact).model_fields), round_trip=True)
        lines.append(f"  fact: {shown}")
        if self.now is not None:
            lines.append(f"  now: {self.now.isoformat()}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Exploration:
    """What :func:`explore` (or :func:`explore_sessions`) found: at most one (shrunk)
    finding, and the coverage reached over the facts or event sequences ``explored``."""

    examples: int
    finding: Finding | None
    coverage: CoverageReport
    boundaries: bool
    explored: Literal["facts", "event sequences"] = "facts"
    untried: tuple[str, ...] = ()
    """The shapes no valid event sequence could be made for (:func:`explore_sessions`)."""
    unbuilt: tuple[str, ...] = ()
    """The probes no valid fact could be built for (:func:`explore`), such as a derived field
    whose sources cannot be steered to the probed value: listed, never counted as tried."""

    @property
    def ok(self) -> bool:
        """True when nothing went wrong and every shape ran."""
        return self.finding is None and not self.untried

    def render(self) -> str:
        """A readable report: the finding (if any) and which rules were never made true."""
        how = "boundary" if self.boundaries else "random"
        found = "found a problem" if self.finding is not None else "no problem found"
        if self.finding is None and self.untried:
            found = "not every shape ran"
        lines = [f"explored {self.examples} {how} {self.explored}: {found}"]
        if self.finding is not None:
            lines.append(self.finding.render())
        if self.untried:
            lines.append("no valid event sequence could be made for (give the policy a worked example "
                         "whose facts the model accepts): " + "; ".join(self.untried))
        if self.unbuilt:
            lines.append("probes not tried, as no valid fact holds them (a derived field the generator "
                         "cannot steer there, or values the model refuses): " + "; ".join(self.unbuilt))
        unreached = self.coverage.never_true
        if unreached:
            names = ", ".join(f"{r.policy_id}/{r.rule_id}" for r in unreached)
            lines.append(f"never made true (contradictory, or out of reach of generated facts?): {names}")
        return "\n".join(lines)


class _Found(Exception):
    """Raised inside the exploring test so Hypothesis shrinks the fact."""


Oracle = Callable[[BaseModel], Iterable[str]] | Engine
"""What :func:`explore` compares with: a function from a fact to its effect keys, or a
reference :class:`~csrules.Engine` (then compared rule by rule as well)."""


def explore(
    policies: Policy | Sequence[Policy],
    *,
    now: datetime | None = None,
    oracle: Oracle | None = None,
    boundaries: bool = True,
    max_examples: int = 200,
    seed_value: int = 0,
) -> Exploration:
    """Judge generated facts and report the first problem, shrunk to a readable fact.

    A problem is a rule that raises, the compiled engine and the explaining interpreter
    disagreeing, or, given an ``oracle``, a decision that differs from it. The oracle is a
    reference :class:`~csrules.Engine` (the policy as it should be) or a function from a
    fact to the effect keys it should get. An engine is compared rule by rule as well (each
    rule both engines have must give the same effects), so a wrong threshold is found even
    when another rule gives the same effect on the probe's fact; a function can only be
    compared on the merged effect keys, which such a rule can mask. Facts come from
    :func:`boundary_facts` (the default, as in ``csrules test --explore``) or, with
    ``boundaries=False``, from :func:`facts_for`. With boundaries every probe is tried
    first, in order, with its share of the examples (at least one each, the rest of its
    rule steered), so with an engine as oracle a wrong threshold is found whatever else is
    drawn; the remaining examples draw probes at random. Runs are
    deterministic for a given ``seed_value``. Session policies are explored with
    :func:`explore_sessions`; as ``now``, ``oracle`` and ``boundaries=False`` do not apply
    to them, giving one for session policies is refused rather than silently ignored (a
    test relying on an oracle that is never asked could not fail). With
    ``boundaries=False`` facts of every fact type of ``policies`` are drawn, each with its
    share of ``max_examples``.

    >>> def oracle(fact):                                            # doctest: +SKIP
    ...     return ["violation:ATT-7"] if fact.late_minutes >= 20 else []
    >>> result = explore(policy, oracle=oracle)                      # doctest: +SKIP
    >>> print(result.render())                                       # doctest: +SKIP
    """
    group = (policies,) if isinstance(policies, Policy) else tuple(policies)
    sessions = [policy.needs_session for policy in group]
    if any(sessions):
        if not all(sessions):
            raise PolicyError("explore session policies apart from stateless ones (explore_sessions)")
        _refuse_for_sessions(group, now=now, oracle=oracle, boundaries=boundaries)
        return explore_sessions(group, max_examples=max_examples, seed_value=seed_value)
    engine = Engine(group)
    coverage = Coverage().include(engine)
    state: dict[str, Any] = {"runs": 0, "first": None, "last": None}

    def check(pair: tuple[Target | None, BaseModel]) -> None:
        target, fact = pair
        decision = engine.evaluate(fact, now=now)
        if state["first"] is None:  # count and cover the search, not the shrinking
            state["runs"] += 1
            coverage.record(decision)
        problem = _problem(decision, engine, oracle, now)
        if problem is not None:
            if state["first"] is None:
                state["first"] = state["runs"]
            state["last"] = (problem, fact, target)
            raise _Found(problem[1])

    unbuilt: list[str] = []
    for strategy, examples, label in _search_plan(group, now, boundaries, max_examples):
        run = _quiet(examples, Phase.generate, Phase.shrink)(seed(seed_value)(given(strategy)(check)))
        before = state["runs"]
        with contextlib.suppress(_Found, Unsatisfiable):  # the shrunk finding is in `state`
            run()
        if state["last"] is not None:
            break
        if label is not None and state["runs"] == before:  # never reported as tried
            unbuilt.append(label)
    finding = None
    if state["last"] is not None:
        (kind, message), fact, target = state["last"]
        finding = Finding(kind, message, fact, now, target.label if target else None, state["first"])
    return Exploration(state["runs"], finding, coverage.report(), boundaries, unbuilt=tuple(unbuilt))


def _refuse_for_sessions(
    group: tuple[Policy, ...], *, now: datetime | None, oracle: Oracle | None, boundaries: bool
) -> None:
    """Refuse the :func:`explore` arguments event sequences cannot honour, naming them."""
    ignored = [name for name, given_ in (("now", now is not None), ("oracle", oracle is not None),
                                          ("boundaries=False", not boundaries)) if given_]
    if ignored:
        names = ", ".join(policy.id for policy in group)
        raise PolicyError(
            f"explore: {' and '.join(ignored)} do not apply to session policies ({names}): their "
            "event sequences carry their own times and are explored around every window "
            "(use explore_sessions, and check a session's effects with assert_effects_after)"
        )


def explore_sessions(
    policies: Policy | Sequence[Policy], *, max_examples: int = 200, seed_value: int = 0
) -> Exploration:
    """Run event sequences around every window of session ``policies`` and report the first
    problem, shrunk.

    Every shape of every window condition is tried, by construction (the (N-1)th, Nth and
    (N+1)th event in one period, events just before and after the period changes, a run and
    a broken run, ticks just before, at and after a deadline), each with its share of
    ``max_examples``; Hypothesis only draws the events' other fields. A problem is a rule
    that fails or a call that raises, a rule the session fired whose condition the explaining
    interpreter finds false (or the reverse), or, where durable-rules is installed, the two
    backends disagreeing. Deterministic for a given ``seed_value``.

    >>> print(explore_sessions(load_pack("mall").session_policies).render())  # doctest: +SKIP
    """
    group = (policies,) if isinstance(policies, Policy) else tuple(policies)
    engines = [SessionEngine(group, backend="python")]
    if "durable" in available_backends():
        engines.append(SessionEngine(group, backend="durable"))
    coverage = Coverage().include(group)
    shapes = [(policy, shape) for policy in group for shape in _shapes.sequence_shapes(policy)]
    share = max(1, max_examples // max(len(shapes), 1))
    state: dict[str, Any] = {"runs": 0, "first": None, "last": None}
    untried: list[str] = []
    for policy, shape in shapes:
        strategy = _shapes.shape_events(shape, policy.fact_type, policy)
        check = _sequence_check(engines, policy, shape, coverage, state)
        run = _quiet(share, Phase.generate, Phase.shrink)(seed(seed_value)(given(strategy)(check)))
        before = state["runs"]
        with contextlib.suppress(_Found, Unsatisfiable):
            run()
        if state["last"] is not None:
            break
        if state["runs"] == before:  # never silently: a shape that did not run is reported
            untried.append(shape.title)
    finding = None
    if state["last"] is not None:
        (kind, message, fact, moment), shape = state["last"]
        finding = Finding(kind, message, fact, moment, shape.title, state["first"])
    return Exploration(state["runs"], finding, coverage.report(), True, "event sequences", tuple(untried))


def _sequence_check(
    engines: Sequence[SessionEngine], policy: Policy, shape: _shapes.Shape, coverage: Coverage, state: dict[str, Any]
) -> Callable[[list[_shapes.Sent | datetime]], None]:
    """The test Hypothesis runs for one shape: record the first problem and raise to shrink it."""

    def check(items: list[_shapes.Sent | datetime]) -> None:
        searching = state["first"] is None  # count and cover the search, not the shrinking
        state["runs"] += searching
        problem = _sequence_problem(engines, policy.fact_type, items, coverage if searching else None)
        if problem is not None:
            if state["first"] is None:
                state["first"] = state["runs"]
            state["last"] = (problem, shape)
            raise _Found(problem[1])

    return check


def _sequence_problem(
    engines: Sequence[SessionEngine], fact_type: str, items: Sequence[_shapes.Sent | datetime],
    coverage: Coverage | None
) -> tuple[Literal["error", "disagreement"], str, BaseModel, datetime | None] | None:
    """Feed ``items`` to a fresh session of each engine; the first problem, with the last event
    and the instant it was sent at."""
    runs: list[list[tuple[str, ...]]] = []
    last: tuple[BaseModel, datetime | None] | None = None
    for engine in engines:
        engine.forget("explore")
        session, keys = engine.session("explore"), []
        for number, item in enumerate(items, 1):
            if not isinstance(item, datetime):
                # sent when it happens, where its shape placed it, as a host sends it: its own
                # time places it in its windows, and the clock is there for a test reading now
                last = (item.event, item.at)
            try:
                result = session.tick(item) if isinstance(item, datetime) else session.send(item.event, now=item.at)
            except CsrulesError as exc:
                return "error", f"step {number} ({engine.backend}) raised: {exc}", *_shown(last, items)
            problem = _step_problem(result)
            if problem is not None:
                return problem[0], f"step {number} ({engine.backend}): {problem[1]}", *_shown(last, items)
            if coverage is not None and engine is engines[0]:
                coverage.record_step(result, engine.program.policies)
            keys.append(tuple(sorted(set(result.effect_keys))))
        runs.append(keys)
    for other in runs[1:]:
        for number, (mine, theirs) in enumerate(zip(runs[0], other, strict=True), 1):
            if mine != theirs:
                message = f"step {number}: the backends disagree: python {list(mine)}, durable {list(theirs)}"
                return "disagreement", message, *_shown(last, items)
    return None


def _shown(
    last: tuple[BaseModel, datetime | None] | None, items: Sequence[_shapes.Sent | datetime]
) -> tuple[BaseModel, datetime | None]:
    if last is not None:
        return last
    first = next(i for i in items if isinstance(i, _shapes.Sent))
    return first.event, first.at


def _step_problem(result: StepResult) -> tuple[Literal["error", "disagreement"], str] | None:
    if result.errors:
        error = result.errors[0]
        return "error", f"rule {error.policy_id}/{error.rule_id} failed: {error.message}"
    if result.kind != "event":
        return None
    for rule in result.trace.rules:
        if rule.matched != (rule.condition.result is True):
            return "disagreement", (
                f"rule {rule.policy_id}/{rule.rule_id}: the session says "
                f"{'match' if rule.matched else 'no match'}, the interpreter "
                f"{'match' if rule.condition.result else 'no match'}"
            )
    return None


_Pairs = st.SearchStrategy[tuple[Target | None, BaseModel]]


def probe_examples(
    policies: Policy | Engine | Sequence[Policy],
    *,
    now: datetime | None = None,
    per: int = 2,
    seed_value: int = 0,
) -> list[tuple[Target, BaseModel]]:
    """Every probe of ``policies``' rules, in order, each with up to ``per`` facts drawn for it.

    Unlike a sample of :func:`boundary_facts`, which probes appear never depends on the
    draws: each target is tried in turn, the rest of its rule steered, so a test can check
    that a threshold is probed, and what the engine decides there. A probe whose facts the
    model always refuses gets none, as does a probe of a derived field whose sources cannot
    be steered to the probed value: every fact returned holds its probe.

    >>> pairs = probe_examples(policy, now=now)                      # doctest: +SKIP
    >>> {fact.late_minutes for _, fact in pairs} >= {19, 20, 21}      # doctest: +SKIP
    True
    """
    model, targets = _boundary_targets(policies, now=now)
    out: list[tuple[Target, BaseModel]] = []

    def keep(pair: tuple[Target | None, BaseModel]) -> None:
        target, fact = pair
        assert target is not None
        out.append((target, fact))

    years = _calendar_years(_group(policies))
    for target in targets:
        steered = _within(_facts_for_targets(model, [target], now=now, always_steer=True), *years)
        run = _quiet(per, Phase.generate)(seed(seed_value)(given(steered)(keep)))
        with contextlib.suppress(Unsatisfiable):  # the model refuses every fact for this probe
            run()
    return out


def _quiet(examples: int, *phases: Phase) -> settings:
    """Settings for a search run inside a call: quiet, no database, no deadline, no health checks."""
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        phases=phases,
    )


def _search_plan(
    group: tuple[Policy, ...], now: datetime | None, boundaries: bool, max_examples: int
) -> list[tuple[_Pairs, int, str | None]]:
    """The searches :func:`explore` runs, in order, each with its number of examples and the
    label of the one probe it tries (None for a search over several).

    With boundaries, every probe first gets its own share of steered facts (at least one),
    so each threshold is tried by construction; the rest of the budget draws freely.
    """
    if not boundaries:  # every fact type gets its share: none is left unexplored
        types = list(dict.fromkeys(policy.fact_type for policy in group))
        share = max(1, max_examples // len(types))
        drawn = [_named_facts([p for p in group if p.fact_type == name]) for name in types]
        return [(strategy.map(_untargeted), share, None) for strategy in drawn]
    years = _calendar_years(group)  # drawn where the rules' calendars can judge
    model, targets = _boundary_targets(group, now=now)
    mixed = _within(_facts_for_targets(model, targets, now=now, always_steer=False), *years)
    if not targets:
        return [(mixed, max_examples, None)]
    share = max(1, max_examples // (2 * len(targets)))
    plan: list[tuple[_Pairs, int, str | None]] = [
        (_within(_facts_for_targets(model, [t], now=now, always_steer=True), *years), share, t.label) for t in targets
    ]
    rest = max_examples - share * len(targets)
    return plan + ([(mixed, rest, None)] if rest > 0 else [])


def _untargeted(fact: BaseModel) -> tuple[Target | None, BaseModel]:
    return None, fact


def _group(policies: Policy | Engine | Sequence[Policy]) -> tuple[Policy, ...]:
    """``policies`` as a tuple (an engine's own)."""
    if isinstance(policies, Policy):
        return (policies,)
    return tuple(policies.policies) if isinstance(policies, Engine) else tuple(policies)


def _problem(decision: Decision, engine: Engine, oracle: Oracle | None, now: datetime | None) -> tuple[Any, str] | None:
    if decision.errors:
        error = decision.errors[0]
        return "error", f"rule {error.policy_id}/{error.rule_id} failed: {error.message}"
    hit = {policy.id: policy.hit_policy for policy in engine.policies}
    for rule in decision.trace:
        # under "collect" the compiled engine keeps exactly the rules the interpreter matches
        if (rule.selected and not rule.matched) or (
            hit[rule.policy_id] == "collect" and rule.matched and not rule.selected
        ):
            return "disagreement", (
                f"rule {rule.policy_id}/{rule.rule_id}: the compiled engine says "
                f"{'match' if rule.selected else 'no match'}, the interpreter "
                f"{'match' if rule.matched else 'no match'}"
            )
    if isinstance(oracle, Engine):
        return _engine_oracle_problem(decision, engine, oracle.evaluate(decision.fact, now=now), oracle)
    if oracle is not None:
        expected = sorted(set(oracle(decision.fact)))
        got = sorted(set(decision.effect_keys))
        if expected != got:
            return "oracle", f"expected {expected}, got {got}"
    return None


def _engine_oracle_problem(
    decision: Decision, engine: Engine, reference: Decision, oracle: Engine
) -> tuple[Any, str] | None:
    """How ``decision`` differs from the reference engine's: in the merged effect keys, else
    in the effects of a rule both engines have (another rule giving the same key would mask
    a wrong threshold in the merged keys)."""
    expected, got = sorted(set(reference.effect_keys)), sorted(set(decision.effect_keys))
    if expected != got:
        return "oracle", f"expected {expected}, got {got}"
    shared = _rule_ids(engine) & _rule_ids(oracle)
    mine, theirs = _keys_by_rule(decision, shared), _keys_by_rule(reference, shared)
    for policy_id, rule_id in sorted(set(mine) | set(theirs)):
        want, have = theirs.get((policy_id, rule_id), []), mine.get((policy_id, rule_id), [])
        if want != have:
            return "oracle", (f"rule {policy_id}/{rule_id}: expected {want}, got {have} "
                              f"(the merged effects agree: {got})")
    return None


def _rule_ids(engine: Engine) -> set[tuple[str, str]]:
    """``(policy_id, rule_id)`` of every rule of ``engine``."""
    return {(policy.id, rule.id) for policy in engine.policies for rule in policy.rules}


def _keys_by_rule(decision: Decision, rules: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The effect keys of each rule in ``rules`` that applies in ``decision``."""
    return {rule: sorted({e.key for e in effects}) for rule, effects in decision.rule_effects.items() if rule in rules}


# --------------------------------------------------------------------------- assertions


class DecisionMismatch(AssertionError):
    """A decision differs from what a test expected.

    ``problems`` lists each difference; ``decision`` is the decision itself. The message
    adds the effects that hold and the trace of the rules that decided.

    .. versionadded:: 0.1
    """

    def __init__(self, message: str, *, problems: Sequence[str], decision: Decision) -> None:
        self.problems = tuple(problems)
        self.decision = decision
        super().__init__(message)


class _Unset(enum.Enum):
    UNSET = "unset"


_UNSET = _Unset.UNSET
Expected = str | Iterable[str] | None | _Unset


def _as_set(value: str | Iterable[str] | None, name: str) -> set[str]:
    """``value`` as a set; a value listed twice in ``name`` raises ValueError (compared as a
    set, the second listing would assert nothing more)."""
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    listed = list(value)
    again = _listed_again(listed)
    if again is not None:
        raise ValueError(f"{name}= lists {listed[again]!r} twice: it is compared as a set, list each once")
    return set(listed)


_CHECKS: tuple[tuple[str, str, Callable[[Decision], Iterable[str]]], ...] = (
    ("violates", "violation", lambda d: (v.code for v in d.violations)),
    ("approver", "approval", lambda d: d.approvers),
    ("obligations", "obligation", lambda d: (o.who for o in d.obligations)),
    ("escalates", "escalation", lambda d: (e.to for e in d.escalations)),
)


def _engine(target: Engine | Policy) -> Engine:
    if isinstance(target, Engine):
        return target
    cached = _ENGINES.get(id(target))
    if cached is None or cached[0] is not target:
        cached = _ENGINES[id(target)] = (target, Engine(target))
        while len(_ENGINES) > 64:  # keep the policies alive that the ids refer to, a few
            _ENGINES.pop(next(iter(_ENGINES)))
    return cached[1]


_ENGINES: dict[int, tuple[Policy, Engine]] = {}


def assert_decision(
    engine: Engine | Policy,
    fact: Any,
    *,
    now: datetime | None = None,
    fact_type: str | None = None,
    expect: Expected = _UNSET,
    violates: Expected = _UNSET,
    approver: Expected = _UNSET,
    obligations: Expected = _UNSET,
    escalates: Expected = _UNSET,
    rules: Expected = _UNSET,
    outcome: Outcome | str | None = None,
    due: Mapping[str, datetime] | None = None,
    allow_errors: bool = False,
) -> Decision:
    """Evaluate ``fact`` and check the decision; return it for further checks.

    Each keyword given is checked exactly, as a set: ``violates`` the violation codes,
    ``approver`` the approving roles, ``obligations`` the roles obliged, ``escalates`` the
    roles escalated to, ``expect`` every effect key (``violation:ATT-7``, ``approval:<role>``
    ...), ``rules`` the ids of the rules that apply (telling apart rules that share a code,
    such as the eight ATT-9 rules), ``due`` the due instant of each effect key named
    (``{"obligation:agent": datetime(2026, 3, 13, 10, tzinfo=Z)}``, compared as instants: the
    deadline a reviewer signs). A single string means one; ``None`` or ``()`` means none. A rule that fails while
    evaluating fails the assertion too (each is named), unless ``allow_errors=True`` (the
    expectation is then checked on the rules that ran). The failure message shows expected and actual
    effects and the trace of the rules that decided. A call with no expectation raises
    ``TypeError``: an assertion that cannot fail proves nothing.

    >>> assert_decision(engine, fact, violates="ATT-1", approver="head")  # doctest: +SKIP
    >>> assert_decision(engine, fact, expect=[])                          # doctest: +SKIP
    """
    wanted_any = (expect, violates, approver, obligations, escalates, rules)
    if outcome is None and due is None and all(value is _UNSET for value in wanted_any):
        raise TypeError(
            "assert_decision needs an expectation, or it cannot fail: give at least one of expect=, "
            "violates=, approver=, obligations=, escalates=, rules=, outcome=, due= (expect=[] for no effects)"
        )
    due_items = _due_items(due)
    engine = _engine(engine)
    decision = engine.evaluate(fact, now=now, fact_type=fact_type)
    problems: list[str] = []
    keys: set[str] = set()
    given_values = {
        "violates": violates,
        "approver": approver,
        "obligations": obligations,
        "escalates": escalates,
    }
    for name, prefix, read in _CHECKS:
        wanted = given_values[name]
        if wanted is _UNSET:
            continue
        expected, got = _as_set(wanted, name), set(read(decision))
        if expected != got:
            problems.append(f"{name}: expected {sorted(expected)}, got {sorted(got)}")
            keys |= {f"{prefix}:{x}" for x in expected ^ got}
    if expect is not _UNSET:
        expected, got = _as_set(expect, "expect"), set(decision.effect_keys)
        if expected != got:
            problems.append(f"effects: expected {sorted(expected)}, got {sorted(got)}")
            keys |= expected ^ got
    if rules is not _UNSET:
        expected, got = _as_set(rules, "rules"), set(decision.rule_ids)
        if expected != got:
            problems.append(f"rules: expected {sorted(expected)}, got {sorted(got)}")
    if outcome is not None:
        wanted_outcome = Outcome(outcome)
        if decision.outcome is not wanted_outcome:
            problems.append(f"outcome: expected {wanted_outcome.value}, got {decision.outcome.value}")
    problems += _due_problems(decision, due_items)
    if decision.errors and not allow_errors:
        problems.append(f"{len(decision.errors)} rule(s) failed while evaluating")
        problems += _failed_rules(decision.errors)
    if problems:
        detail = _describe_mismatch(decision, problems, keys, engine)
        raise DecisionMismatch(
            f"the decision differs from what was expected:\n{detail}",
            problems=problems,
            decision=decision,
        )
    return decision


def _failed_rules(errors: Iterable[Any], step: str = "") -> list[str]:
    """One line per rule that failed, naming it (and the step it failed in)."""
    return [f"{step}rule {error.policy_id}/{error.rule_id} failed: {error.message}" for error in errors]


def _due_items(due: Mapping[str, datetime] | None) -> tuple[tuple[str, datetime], ...]:
    """``due`` checked: effect keys to aware datetimes (a TypeError names a bad entry)."""
    if due is None:
        return ()
    if not isinstance(due, Mapping):
        raise TypeError(f"due must map effect keys to datetimes (got {type(due).__name__})")
    for key, when in due.items():
        if not isinstance(key, str) or not re.match(EFFECT_KEY, key):
            raise TypeError(f"due: {key!r} is not an effect key (obligation:<who>, ...)")
        if not isinstance(when, datetime) or when.utcoffset() is None:
            raise TypeError(f"due[{key!r}] must be a datetime with a time zone (got {when!r})")
    return tuple(due.items())


class EventSink(Protocol):
    """Anything that takes one event and returns what it caused.

    A csrules session (an object with ``send(event, now=...)`` and ``tick(now)``) is used
    through those methods; any other callable is called with each event. What comes back
    may be a step result or :class:`Decision` (read through ``effect_keys``), effects
    (objects with a ``key``) or effect keys.
    """

    def __call__(self, event: Any, /) -> Any:
        """Process ``event``; return its result, effects or effect keys."""


@dataclass(frozen=True)
class Tick:
    """An item of :func:`assert_effects_after`'s events: move the session's clock to ``now``.

    >>> assert_effects_after(session, [opened, Tick(t + timedelta(hours=25))],  # doctest: +SKIP
    ...                      expect=["escalation:shift_lead"])
    """

    now: datetime


def _keys(result: Any) -> list[str]:
    if result is None:
        return []
    keys = getattr(result, "effect_keys", None)
    if keys is not None:
        return list(keys)
    effects = getattr(result, "effects", result)
    return [item if isinstance(item, str) else item.key for item in effects]


def _step(session: Any, item: Any) -> Any:
    if isinstance(item, Tick):
        return session.tick(item.now)
    event, now = item if isinstance(item, tuple) else (item, None)
    send = getattr(session, "send", None)
    if callable(send):
        return send(event, now=now) if now is not None else send(event)
    return session(event)


def assert_effects_after(
    session: Any,
    events: Iterable[Any],
    *,
    expect: Expected = _UNSET,
    violates: Expected = _UNSET,
    over: Literal["last", "all"] = "last",
    allow_errors: bool = False,
) -> list[Any]:
    """Feed ``events`` to ``session`` one by one and check the effects they caused.

    Each item is an event, an ``(event, now)`` pair, or a :class:`Tick`. ``session`` is a
    session (``send``/``tick``) or any :class:`EventSink`. ``over="last"`` (the default)
    checks the effect keys of the last step; ``"all"`` checks the union over every step.
    ``expect`` is the exact set of effect keys, ``violates`` the exact set of violation
    codes; at least one must be given (``TypeError`` otherwise), and any other ``over``
    raises ``ValueError``. A step whose result carries ``errors`` (a rule that failed while
    running, as in :attr:`~csrules.Decision.errors`) fails the assertion, naming the rule
    and the step, whatever ``over`` says, unless ``allow_errors=True``. Returns what each
    step returned, in order.

    >>> assert_effects_after(session, [(greeting, t1), (greeting, t2), (greeting, t3)],
    ...                      violates="CON-1")                          # doctest: +SKIP
    """
    if over not in ("last", "all"):
        raise ValueError(f'assert_effects_after: over must be "last" or "all" (got {over!r})')
    if expect is _UNSET and violates is _UNSET:
        raise TypeError("assert_effects_after needs an expectation, or it cannot fail: give expect= or violates= "
                        "(expect=[] for no effects)")
    results = [_step(session, item) for item in events]
    if not results:
        raise ValueError("assert_effects_after needs at least one event")
    history = [_keys(result) for result in results]
    seen = set(history[-1]) if over == "last" else {k for keys in history for k in keys}
    problems = []
    if expect is not _UNSET:
        expected = _as_set(expect, "expect")
        if expected != seen:
            problems.append(f"effects: expected {sorted(expected)}, got {sorted(seen)}")
    if violates is not _UNSET:
        codes = {k.split(":", 1)[1] for k in seen if k.startswith("violation:")}
        expected = _as_set(violates, "violates")
        if expected != codes:
            problems.append(f"violates: expected {sorted(expected)}, got {sorted(codes)}")
    if not allow_errors:
        for index, result in enumerate(results):
            problems += _failed_rules(getattr(result, "errors", None) or (), f"step {index + 1}: ")
    if problems:
        steps = "\n".join(f"  step {i + 1}: {keys or 'nothing'}" for i, keys in enumerate(history))
        raise AssertionError(
            f"after {len(history)} steps (checking {over}):\n  " + "\n  ".join(problems) + f"\n{steps}"
        )
    return results


for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("csrules._"):
        _obj.__module__ = "csrules.testing"
del _name, _obj
