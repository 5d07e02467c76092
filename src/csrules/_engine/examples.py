"""Worked examples and test cases: the one result type, and running stateless examples.

An :class:`~csrules.Example` says which effect keys its rule must produce for a fact
(``expect: []`` means the rule must not apply). :func:`run_rule_example` evaluates one
example through an engine built from the example's policy and compares the keys of the
effects *that rule* produced with the expected ones, as sets. A mismatch carries the
readable trace of the rule so the failure explains itself.

Every worked example, session example and test-file case is reported as a
:class:`CaseResult`, defined here so that every runner (the CLI, pack checks, the testing
toolkit, the pytest plugin) speaks one type without importing the toolkit. Session examples
(sequences of events and ticks) and test files are run by :mod:`csrules._testing`.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from csrules._engine.engine import Engine
from csrules._policy.model import Example, Policy, Rule
from csrules._policy.validity import day_in_force
from csrules._test_file_rule import TEST_FILE_PATTERNS, is_test_file
from csrules.exceptions import CsrulesError

__all__ = [
    "CaseResult",
    "Summary",
    "example_id",
    "find_test_files",
    "run_rule_example",
    "summarise",
]


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one worked example or test case, stateless or a session sequence.

    ``id`` names it (``policy/rule#2`` or ``file.yaml::case``); ``message`` says why it
    failed (empty when it passed); ``expected`` and ``got`` are effect keys, sorted (for a
    sequence, those of the first step that differed, else of the last step); ``step`` numbers
    that step (from 1; None for a stateless case or a sequence that passed); ``error`` marks
    a case that could not run (a fact that does not validate, a rule that raised). ``case``
    is the test case (``None`` for a worked example) and ``decision`` the decision of a
    stateless case, for further checks.

    .. versionadded:: 0.1
    """

    id: str
    passed: bool
    expected: tuple[str, ...] = ()
    got: tuple[str, ...] = ()
    message: str = ""
    error: bool = False
    file: str | None = None
    line: int | None = None
    case: Any = field(default=None, repr=False, compare=False)
    decision: Any = field(default=None, repr=False, compare=False)
    step: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "id": self.id,
            "passed": self.passed,
            "expected": list(self.expected),
            "got": list(self.got),
            "message": self.message,
            "error": self.error,
            "file": self.file,
            "line": self.line,
            **({} if self.step is None else {"step": self.step}),
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over results."""

    passed: int
    failed: int

    @property
    def line(self) -> str:
        """``N passed, N failed``."""
        return f"{self.passed} passed, {self.failed} failed"


def summarise(results: Iterable[CaseResult]) -> Summary:
    """Count passed and failed results."""
    passed = failed = 0
    for result in results:
        if result.passed:
            passed += 1
        else:
            failed += 1
    return Summary(passed, failed)


def example_id(policy: Policy, rule: Rule, index: int, example: Example) -> str:
    """``policy/rule#N`` (1-based), with the example's name when it has one."""
    base = f"{policy.id}/{rule.id}#{index + 1}"
    return f"{base} ({example.name})" if example.name else base


def run_rule_example(
    engine: Engine,
    policy: Policy,
    rule: Rule,
    index: int,
    example: Example,
    *,
    default_now: datetime | None = None,
) -> CaseResult:
    """Run one stateless example of ``rule`` through ``engine`` (built from ``policy``)."""
    name = example_id(policy, rule, index, example)
    if example.fact is None or example.expect is None:
        return CaseResult(name, False, message="a session example (steps) needs a session engine", error=True)
    expected = tuple(sorted(set(example.expect)))
    now = example.now or default_now
    try:
        # a dated version's examples are judged by that version, whatever day their fact is of
        as_of = day_in_force(policy)
        decision = engine.evaluate(example.fact, now=now, fact_type=policy.fact_type, as_of=as_of)
    except CsrulesError as exc:
        return CaseResult(name, False, expected, (), f"could not evaluate: {exc}", error=True)
    got = tuple(sorted({e.key for e in decision.rule_effects.get((policy.id, rule.id), ())}))
    errors = [e.message for e in decision.errors if e.rule_id == rule.id and e.policy_id == policy.id]
    if errors:
        return CaseResult(name, False, expected, got, f"the rule failed: {errors[0]}", error=True)
    if got == expected:
        return CaseResult(name, True, expected, got)
    trace = next((t for t in decision.trace if t.policy_id == policy.id and t.rule_id == rule.id), None)
    why = ""
    if trace is not None:
        verdict = "matched" if trace.matched else "did not match"
        if trace.matched and not trace.selected:
            verdict += " but the hit policy dropped it"
        why = f"; the rule {verdict}: " + "; ".join(trace.decided_by)
    message = f"expected [{', '.join(expected)}], got [{', '.join(got)}]{why}"
    return CaseResult(name, False, expected, got, message)


def find_test_files(root: Path) -> list[Path]:
    """Test files under ``root`` (a directory), sorted: the files the pytest plugin collects
    (a ``test_*.yaml`` file only when it holds cases; see :mod:`csrules._test_file_rule`)."""
    found: set[Path] = set()
    for pattern in TEST_FILE_PATTERNS:
        found.update(path for path in root.rglob(pattern) if is_test_file(path))
    return sorted(found)
