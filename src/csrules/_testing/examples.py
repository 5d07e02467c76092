"""Running worked examples of every kind: single facts through an Engine, event sequences
through a fresh session of a :class:`~csrules.SessionEngine`.

A session example (and a test-file case with ``steps``) is a list of steps, each an event or
a tick with the effect keys expected right after it. :func:`run_steps` feeds them to one
subject's session and stops at the first step that differs, reporting every step so far
and the trace of the step that went wrong. Results are :class:`CaseResult`, the one type
worked examples and test cases share.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from csrules._engine.decision import EffectViews
from csrules._engine.engine import Engine
from csrules._engine.examples import CaseResult, example_id, run_rule_example
from csrules._policy.model import Example, Policy, Rule, Step
from csrules._sessions import SessionEngine, StepResult
from csrules.exceptions import CsrulesError

__all__ = ["DEFAULT_SUBJECT", "StepsOutcome", "due_problems", "run_examples", "run_session_example", "run_steps"]

Dues = tuple[tuple[str, datetime], ...]
"""Due instants expected, by effect key: ``(("obligation:agent", <instant>),)``."""

DEFAULT_SUBJECT = "example"
"""The subject whose session runs an example or case that names none."""

KeysOf = Callable[[StepResult], tuple[str, ...]]
"""Which effect keys of a step count: a rule's own (worked examples) or all (test cases)."""


class StepsOutcome:
    """What a sequence of steps did: passed or not, and a readable account of each step."""

    __slots__ = ("error", "expected", "got", "lines", "passed", "step")

    def __init__(self) -> None:
        self.passed = True
        self.error = False
        self.expected: tuple[str, ...] = ()
        self.got: tuple[str, ...] = ()
        self.lines: list[str] = []
        self.step: int | None = None
        """The step that differed, from 1 (None: every step passed)."""

    @property
    def message(self) -> str:
        """Empty when every step passed; else the steps up to the first that differed."""
        return "" if self.passed else "\n".join(self.lines)


def _label(index: int, step: Step) -> str:
    if step.tick is not None:
        return f"step {index + 1} (tick {step.tick.isoformat()})"
    at = f" at {step.at.isoformat()}" if step.at is not None else ""
    return f"step {index + 1} (event{at})"


def all_keys(result: StepResult) -> tuple[str, ...]:
    """Every effect key of a step, sorted and unique."""
    return tuple(sorted(set(result.effect_keys)))


def rule_keys(policy_id: str, rule_id: str) -> KeysOf:
    """The effect keys one rule's firings gave in a step."""

    def keys(result: StepResult) -> tuple[str, ...]:
        mine = (f for f in result.firings if (f.policy_id, f.rule_id) == (policy_id, rule_id))
        return tuple(sorted({effect.key for firing in mine for effect in firing.effects}))

    return keys


def run_steps(
    engine: SessionEngine,
    steps: Sequence[Step],
    *,
    subject: str = DEFAULT_SUBJECT,
    fact_type: str | None = None,
    keys_of: KeysOf = all_keys,
    rules: Iterable[tuple[str, str]] | None = None,
    dues: Sequence[Dues] = (),
) -> StepsOutcome:
    """Feed ``steps`` to a fresh session of ``subject`` and compare each step's effect keys.

    The subject's stored state is forgotten first, so the sequence starts from nothing.
    ``rules`` (policy id, rule id pairs) limit the trace shown for a failing step and the
    rule errors that count; ``None`` means every rule. ``dues`` (one per step, or fewer)
    pins due instants of a step's effects (see :func:`due_problems`).
    """
    wanted = None if rules is None else set(rules)
    outcome = StepsOutcome()
    engine.forget(subject)
    session = engine.session(subject)
    try:
        for index, step in enumerate(steps):
            label = _label(index, step)
            expected = tuple(sorted(set(step.expect)))
            try:
                if step.tick is not None:
                    result = session.tick(step.tick)
                else:
                    result = session.send(dict(step.fact or {}), now=step.at, fact_type=fact_type)
            except CsrulesError as exc:
                outcome.passed, outcome.error, outcome.expected, outcome.step = False, True, expected, index + 1
                outcome.lines.append(f"{label}: could not run: {exc}")
                return outcome
            got = keys_of(result)
            errors = [e for e in result.errors if wanted is None or (e.policy_id, e.rule_id) in wanted]
            late = due_problems(result, dues[index] if index < len(dues) else ())
            outcome.expected, outcome.got = expected, got
            if got == expected and not errors and not late:
                outcome.lines.append(f"{label}: [{', '.join(got)}] as expected")
                continue
            outcome.passed, outcome.error, outcome.step = False, bool(errors), index + 1
            if got != expected:
                outcome.lines.append(f"{label}: expected [{', '.join(expected)}], got [{', '.join(got)}]")
            outcome.lines += [f"{label}: {problem}" for problem in late]
            outcome.lines += [f"  rule {e.policy_id}/{e.rule_id} failed: {e.message}" for e in errors]
            outcome.lines += _trace_lines(result, wanted)
            return outcome
    finally:
        engine.forget(subject)
    return outcome


def _trace_lines(result: StepResult, wanted: set[tuple[str, str]] | None) -> list[str]:
    trace = result.trace
    lines = [f"  {note}" for note in trace.notes]
    for rule in trace.rules:
        if wanted is None or (rule.policy_id, rule.rule_id) in wanted:
            lines += [f"  {line}" for line in rule.render()]
    return lines


def run_session_example(
    engine: SessionEngine, policy: Policy, rule: Rule, index: int, example: Example
) -> CaseResult:
    """Run one session example of ``rule`` on a fresh session of ``engine`` (built from ``policy``).

    Each step's expected keys are compared with the keys of the effects *that rule* fired.
    """
    name = example_id(policy, rule, index, example)
    outcome = run_steps(
        engine,
        example.steps or (),
        subject=example.subject or DEFAULT_SUBJECT,
        fact_type=policy.fact_type,
        keys_of=rule_keys(policy.id, rule.id),
        rules=[(policy.id, rule.id)],
    )
    return CaseResult(name, outcome.passed, outcome.expected, outcome.got, outcome.message, outcome.error,
                      step=outcome.step)


def _session_engine(policy: Policy) -> SessionEngine:
    # The pure-Python backend: both backends agree (checked by their own tests), and it
    # builds in no time, with nothing registered globally. A dated version judges every step
    # of its examples, whatever day they are of (as a stateless example is judged as_of it).
    if policy.dated:
        policy = type(policy)(**{**policy.model_dump(mode="python"), "valid_from": None, "valid_until": None})
    return SessionEngine(policy, backend="python")


def run_examples(policies: Iterable[Policy], *, default_now: datetime | None = None) -> Iterator[CaseResult]:
    """Every worked example of every rule, each policy judged by its own engine: an
    :class:`Engine` for a stateless policy, a :class:`SessionEngine` for a session policy."""
    for policy in policies:
        if not any(rule.examples for rule in policy.rules):
            continue
        try:
            engine: Engine | SessionEngine = _session_engine(policy) if policy.needs_session else Engine(policy)
        except CsrulesError as exc:
            yield CaseResult(policy.id, False, message=f"cannot compile: {exc}", error=True)
            continue
        for rule in policy.rules:
            for index, example in enumerate(rule.examples):
                if isinstance(engine, SessionEngine):
                    yield run_session_example(engine, policy, rule, index, example)
                else:
                    yield run_rule_example(engine, policy, rule, index, example, default_now=default_now)


def due_problems(decision: EffectViews, due: Iterable[tuple[str, datetime]]) -> list[str]:
    """What differs between the due instants of ``decision``'s effects and ``due`` (effect
    key -> instant, compared as instants whatever the offset each is written with)."""
    problems = []
    for key, wanted in due:
        dues = {when for effect in decision.effects if effect.key == key and (when := _due_of(effect)) is not None}
        got = sorted(dues, key=lambda when: when.timestamp())
        if got != [wanted]:
            shown = ", ".join(when.isoformat() for when in got) or "no due time"
            problems.append(f"due of {key}: expected {wanted.isoformat()}, got {shown}")
    return problems


def _due_of(effect: Any) -> datetime | None:
    """An effect's due time (only obligations carry one), or None."""
    return getattr(effect, "due", None)
