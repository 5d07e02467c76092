"""Running worked examples: each rule's ``examples`` checked against the compiled engine.

An :class:`~csrules.Example` says which effect keys its rule must produce for a fact
(``expect: []`` means the rule must not apply). :func:`run_examples` evaluates every example
through an engine built from the example's policy and compares the keys of the effects
*that rule* produced with the expected ones, as sets. A mismatch carries the readable trace
of the rule so the failure explains itself.

Test files (YAML files of named cases) are run by the testing toolkit: :func:`run_test_files`
is the hook the CLI calls, delegating to ``csrules.testing.run_test_file`` when present.

.. versionadded:: 0.1
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from csrules._engine.engine import Engine
from csrules._policy.model import Example, Policy, Rule
from csrules.exceptions import CsrulesError

__all__ = [
    "ExampleResult",
    "Summary",
    "TestFileRunner",
    "find_test_files",
    "run_examples",
    "run_rule_example",
    "run_test_files",
    "summarise",
]

TestFileRunner = Callable[[Path, Sequence[Policy]], Iterable["ExampleResult"]]
"""The hook for test files: ``(path, policies) -> results``, one per named case."""


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """The outcome of one worked example or test case.

    ``id`` names it (``policy/rule#2`` or ``file.yaml::case``); ``message`` says why it
    failed (empty when it passed); ``expected`` and ``got`` are effect keys, sorted.
    """

    id: str
    passed: bool
    expected: tuple[str, ...] = ()
    got: tuple[str, ...] = ()
    message: str = ""
    error: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "id": self.id,
            "passed": self.passed,
            "expected": list(self.expected),
            "got": list(self.got),
            "message": self.message,
            "error": self.error,
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


def summarise(results: Iterable[ExampleResult]) -> Summary:
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
) -> ExampleResult:
    """Run one example of ``rule`` through ``engine`` (built from ``policy``)."""
    name = example_id(policy, rule, index, example)
    expected = tuple(sorted(set(example.expect)))
    now = example.now or default_now
    try:
        decision = engine.evaluate(example.fact, now=now, fact_type=policy.fact_type)
    except CsrulesError as exc:
        return ExampleResult(name, False, expected, (), f"could not evaluate: {exc}", error=True)
    got = tuple(sorted({e.key for e in decision.rule_effects.get((policy.id, rule.id), ())}))
    errors = [e.message for e in decision.errors if e.rule_id == rule.id and e.policy_id == policy.id]
    if errors:
        return ExampleResult(name, False, expected, got, f"the rule failed: {errors[0]}", error=True)
    if got == expected:
        return ExampleResult(name, True, expected, got)
    trace = next((t for t in decision.trace if t.policy_id == policy.id and t.rule_id == rule.id), None)
    why = ""
    if trace is not None:
        verdict = "matched" if trace.matched else "did not match"
        if trace.matched and not trace.selected:
            verdict += " but the hit policy dropped it"
        why = f"; the rule {verdict}: " + "; ".join(trace.decided_by)
    message = f"expected [{', '.join(expected)}], got [{', '.join(got)}]{why}"
    return ExampleResult(name, False, expected, got, message)


def run_examples(policies: Iterable[Policy], *, default_now: datetime | None = None) -> Iterator[ExampleResult]:
    """Every worked example of every rule, each policy judged by its own engine."""
    for policy in policies:
        if not any(rule.examples for rule in policy.rules):
            continue
        try:
            engine = Engine(policy)
        except CsrulesError as exc:
            yield ExampleResult(policy.id, False, message=f"cannot compile: {exc}", error=True)
            continue
        for rule in policy.rules:
            for index, example in enumerate(rule.examples):
                yield run_rule_example(engine, policy, rule, index, example, default_now=default_now)


TEST_FILE_PATTERNS = ("test_*.yaml", "test_*.yml", "*.test.yaml", "*.test.yml")
"""File names :func:`find_test_files` treats as test files."""


def find_test_files(root: Path) -> list[Path]:
    """Test files under ``root`` (a directory), sorted."""
    found: set[Path] = set()
    for pattern in TEST_FILE_PATTERNS:
        found.update(root.rglob(pattern))
    return sorted(found)


def _toolkit_runner() -> TestFileRunner | None:
    try:
        testing = importlib.import_module("csrules.testing")
    except ImportError:
        return None
    runner = getattr(testing, "run_test_file", None)
    return runner if callable(runner) else None


def run_test_files(
    paths: Sequence[Path], policies: Sequence[Policy], *, runner: TestFileRunner | None = None
) -> Iterator[ExampleResult]:
    """Run test files with ``runner`` (default: ``csrules.testing.run_test_file``).

    This is the hook the testing toolkit fills: a runner takes a file and the policies under
    test and yields one :class:`ExampleResult` per case. Without a runner each file is
    reported as a failure saying so, rather than silently skipped.
    """
    runner = runner or _toolkit_runner()
    for path in paths:
        if runner is None:
            yield ExampleResult(
                str(path),
                False,
                message="no test-file runner is installed (csrules.testing.run_test_file is missing)",
                error=True,
            )
            continue
        try:
            yield from runner(path, policies)
        except CsrulesError as exc:
            yield ExampleResult(str(path), False, message=str(exc), error=True)
