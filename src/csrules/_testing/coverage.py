"""Rule coverage: which rules, and which parts of their conditions, tests made true and false.

A decision's trace records, for every rule of its engine, the result of every condition it
evaluated. :class:`Coverage` adds those results up per *outcome*: each condition of each rule
can be made true and can be made false, and each of the two is one outcome. A rule that no
test ever made true is a rule nobody has tested; a condition never made false is a branch
whose other side nobody has tried.

:func:`collect_coverage` records every decision any engine makes inside a ``with`` block,
and every session step (an event's rule traces; a tick's firings), which is how the pytest
plugin and ``csrules test --coverage`` measure a whole run, session examples included.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from csrules._engine.decision import Decision
from csrules._engine.engine import Engine
from csrules._policy.facts import get_fact_type
from csrules._policy.kinds.base import DescribeContext, handler_for
from csrules._policy.model import Policy
from csrules._policy.trace import RuleTrace, TraceNode
from csrules._sessions import SessionEngine, StepResult

__all__ = [
    "BranchCoverage",
    "Coverage",
    "CoverageReport",
    "RuleCoverage",
    "collect_coverage",
]

NodePath = tuple[int, ...]
RuleKey = tuple[str, str, str]  # policy id, policy version, rule id


@dataclass
class BranchCoverage:
    """One condition of a rule: how often tests made it true and made it false.

    ``node`` is its position in the condition tree (``()`` is the rule's whole condition,
    ``(0, 2)`` the third part of the first part).
    """

    node: NodePath
    text: str
    true: int = 0
    false: int = 0

    @property
    def missing(self) -> tuple[str, ...]:
        """The outcomes never seen: ``("true",)``, ``("false",)``, both or none."""
        return tuple(name for name, n in (("true", self.true), ("false", self.false)) if not n)


@dataclass
class RuleCoverage:
    """One rule's coverage: the rule as a whole and each condition inside it."""

    policy_id: str
    policy_version: str
    rule_id: str
    branches: dict[NodePath, BranchCoverage] = field(default_factory=dict)

    @property
    def made_true(self) -> int:
        """How many recorded decisions matched this rule."""
        root = self.branches.get(())
        return root.true if root else 0

    @property
    def made_false(self) -> int:
        """How many recorded decisions did not match this rule."""
        root = self.branches.get(())
        return root.false if root else 0

    def outcomes(self) -> tuple[int, int]:
        """(outcomes seen, outcomes possible) over every condition of the rule."""
        seen = sum(2 - len(b.missing) for b in self.branches.values())
        return seen, 2 * len(self.branches)


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of every rule seen, with the share of condition outcomes covered.

    >>> report.percent, [r.rule_id for r in report.never_true]  # doctest: +SKIP
    (87.5, ['director-approves'])
    """

    rules: tuple[RuleCoverage, ...]
    decisions: int

    @property
    def covered(self) -> int:
        """Condition outcomes seen."""
        return sum(rule.outcomes()[0] for rule in self.rules)

    @property
    def total(self) -> int:
        """Condition outcomes possible."""
        return sum(rule.outcomes()[1] for rule in self.rules)

    @property
    def percent(self) -> float:
        """Covered outcomes as a percentage.

        No decision recorded is 0 %: a run that judged nothing has tested nothing, so a
        fail-under threshold must be able to fail it. Decisions over rules without
        conditions (nothing to cover) are 100 %.
        """
        if not self.decisions:
            return 0.0
        return 100.0 if not self.total else round(100.0 * self.covered / self.total, 1)

    @property
    def never_true(self) -> tuple[RuleCoverage, ...]:
        """Rules no recorded decision matched: nobody has tested them."""
        return tuple(rule for rule in self.rules if not rule.made_true)

    @property
    def never_false(self) -> tuple[RuleCoverage, ...]:
        """Rules every recorded decision matched."""
        return tuple(rule for rule in self.rules if not rule.made_false)

    def fails_under(self, threshold: float) -> bool:
        """True when :attr:`percent` is below ``threshold``."""
        return self.percent < threshold

    def render(self, *, details: bool = True) -> str:
        """A readable table: per rule the times made true and false, then each missed branch.

        ``✓`` marks an outcome seen, ``✗`` one never seen, per condition:
        ``✓✗ days is more than 1`` was made true but never false.
        """
        full = sum(1 for r in self.rules if r.made_true and r.made_false)
        lines = [
            f"rule coverage: {full} of {len(self.rules)} rules made both true and false; "
            f"{self.covered} of {self.total} condition outcomes ({self.percent}%) "
            f"in {self.decisions} decisions"
        ]
        if not self.decisions:
            lines.append("no decision was recorded: nothing was tested")
        width = max((len(r.rule_id) for r in self.rules), default=0)
        policy = None
        for rule in self.rules:
            if rule.policy_id != policy:
                policy = rule.policy_id
                lines.append(f"{rule.policy_id}@{rule.policy_version}")
            note = "  NEVER TRUE" if not rule.made_true else ""
            lines.append(f"  {rule.rule_id:<{width}}  true {rule.made_true:>4}  false {rule.made_false:>4}{note}")
            if not details:
                continue
            for branch in rule.branches.values():
                if branch.missing:
                    marks = ("✓" if branch.true else "✗") + ("✓" if branch.false else "✗")
                    indent = "  " * len(branch.node)
                    lines.append(f"      {marks} {indent}{branch.text}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "percent": self.percent,
            "covered": self.covered,
            "total": self.total,
            "decisions": self.decisions,
            "rules": [
                {
                    "policy": r.policy_id,
                    "version": r.policy_version,
                    "rule": r.rule_id,
                    "made_true": r.made_true,
                    "made_false": r.made_false,
                    "branches": [
                        {"node": list(b.node), "text": b.text, "true": b.true, "false": b.false}
                        for b in r.branches.values()
                    ],
                }
                for r in self.rules
            ],
        }


class Coverage:
    """Adds up which rules and conditions decisions made true and false.

    Rules are identified by policy id, version and rule id. Register policies with
    :meth:`include` so that rules no decision reached still count (as uncovered).

    >>> coverage = Coverage().include(policy)            # doctest: +SKIP
    >>> coverage.record(engine.evaluate(fact))           # doctest: +SKIP
    >>> print(coverage.report().render())                # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._rules: dict[RuleKey, RuleCoverage] = {}
        self._included: set[tuple[str, str]] = set()
        self.decisions = 0

    def include(self, policies: Policy | Engine | SessionEngine | Iterable[Policy]) -> Coverage:
        """Register every rule and condition of ``policies`` (idempotent); returns self."""
        if isinstance(policies, Policy):
            policies = (policies,)
        elif isinstance(policies, Engine):
            policies = policies.policies
        elif isinstance(policies, SessionEngine):
            policies = policies.program.policies
        for policy in policies:
            if (policy.id, policy.version) in self._included:
                continue
            self._included.add((policy.id, policy.version))
            describe = DescribeContext(get_fact_type(policy.fact_type), policy.param_values)
            for rule in policy.rules:
                entry = self._rule(policy.id, policy.version, rule.id)
                for node, cond in _walk(rule.when):
                    text = handler_for(cond).describe(cond, "en", describe)
                    entry.branches.setdefault(node, BranchCoverage(node, text))
        return self

    def _rule(self, policy_id: str, version: str, rule_id: str) -> RuleCoverage:
        key = (policy_id, version, rule_id)
        entry = self._rules.get(key)
        if entry is None:
            entry = self._rules[key] = RuleCoverage(policy_id, version, rule_id)
        return entry

    def record(self, decision: Decision) -> None:
        """Count every condition result in ``decision``'s trace."""
        self.decisions += 1
        self._traces(decision.trace, {ref.id: ref.version for ref in decision.policies})

    def record_step(self, result: StepResult, policies: Iterable[Policy]) -> None:
        """Count a session step of an engine over ``policies``: an event's rule traces, and
        each rule a tick fired as made true (a deadline has no condition tree to walk)."""
        self.decisions += 1
        versions = {policy.id: policy.version for policy in policies}
        if result.kind == "event":
            self._traces(result.trace.rules, versions)
        for firing in result.firings:
            if firing.cause == "tick" and (firing.policy_id, versions.get(firing.policy_id)) in self._included:
                entry = self._rule(firing.policy_id, versions[firing.policy_id], firing.rule_id)
                root = entry.branches.get(())
                if root is not None:
                    root.true += 1

    def _traces(self, traces: Iterable[RuleTrace], versions: dict[str, str]) -> None:
        for rule in traces:
            entry = self._rule(rule.policy_id, versions.get(rule.policy_id, "?"), rule.rule_id)
            stack: list[tuple[NodePath, TraceNode]] = [((), rule.condition)]
            while stack:
                node_path, node = stack.pop()
                branch = entry.branches.get(node_path)
                if branch is None:
                    branch = entry.branches[node_path] = BranchCoverage(node_path, node.text)
                if node.result is True:
                    branch.true += 1
                elif node.result is False:
                    branch.false += 1
                stack.extend(((*node_path, i), child) for i, child in enumerate(node.children))

    def state(self) -> dict[str, Any]:
        """What was recorded, as plain JSON-ready data (:meth:`merge` adds it to another
        coverage: a pytest-xdist worker's records reach the run's report this way)."""
        return {
            "decisions": self.decisions,
            "included": sorted(self._included),
            "rules": [[*key, [[list(b.node), b.text, b.true, b.false] for b in entry.branches.values()]]
                      for key, entry in self._rules.items()],
        }

    def merge(self, state: dict[str, Any]) -> Coverage:
        """Add the records of :meth:`state` to these (counts add up); returns self."""
        self.decisions += int(state["decisions"])
        self._included.update((str(pid), str(version)) for pid, version in state["included"])
        for policy_id, version, rule_id, branches in state["rules"]:
            entry = self._rule(policy_id, version, rule_id)
            for node, text, true, false in branches:
                branch = entry.branches.setdefault(tuple(node), BranchCoverage(tuple(node), text))
                branch.true += true
                branch.false += false
        return self

    def report(self) -> CoverageReport:
        """The coverage so far, rules in the order first seen, conditions in tree order."""
        rules = []
        for entry in self._rules.values():
            ordered = dict(sorted(entry.branches.items()))
            rules.append(RuleCoverage(entry.policy_id, entry.policy_version, entry.rule_id, ordered))
        return CoverageReport(tuple(rules), self.decisions)


def _walk(cond: Any, at: NodePath = ()) -> Iterator[tuple[NodePath, Any]]:
    stack = [(at, cond)]
    while stack:
        node_path, node = stack.pop()
        yield node_path, node
        children = node.children()
        stack.extend(((*node_path, i), children[i]) for i in reversed(range(len(children))))


_ACTIVE: list[Coverage] = []
_ORIGINAL: dict[str, Any] = {}


def _record(engine: Engine, decision: Decision) -> None:
    for coverage in _ACTIVE:
        coverage.include(engine)
        coverage.record(decision)


def _evaluate(self: Engine, fact: Any, *, now: datetime | None = None, fact_type: str | None = None,
              as_of: date | None = None) -> Decision:
    decision: Decision = _ORIGINAL["evaluate"](self, fact, now=now, fact_type=fact_type, as_of=as_of)
    _record(self, decision)
    return decision


def _evaluate_many(
    self: Engine, facts: Iterable[Any], *, now: datetime | None = None, fact_type: str | None = None,
    as_of: date | None = None,
) -> Iterator[Decision]:
    for decision in _ORIGINAL["evaluate_many"](self, facts, now=now, fact_type=fact_type, as_of=as_of):
        _record(self, decision)
        yield decision


def _send(self: SessionEngine, subject_id: str, event: Any, *, now: datetime | None = None,
          fact_type: str | None = None) -> StepResult:
    result: StepResult = _ORIGINAL["send"](self, subject_id, event, now=now, fact_type=fact_type)
    _record_step(self, result)
    return result


def _tick(self: SessionEngine, subject_id: str, now: datetime) -> StepResult:
    result: StepResult = _ORIGINAL["tick"](self, subject_id, now)
    _record_step(self, result)
    return result


def _record_step(engine: SessionEngine, result: StepResult) -> None:
    for coverage in _ACTIVE:
        coverage.include(engine)
        coverage.record_step(result, engine.program.policies)


_PATCHED: tuple[tuple[type, str, Any], ...] = (
    (Engine, "evaluate", _evaluate),
    (Engine, "evaluate_many", _evaluate_many),
    (SessionEngine, "send", _send),
    (SessionEngine, "tick", _tick),
)


@contextmanager
def collect_coverage(coverage: Coverage | None = None) -> Iterator[Coverage]:
    """Record every decision any :class:`Engine` makes inside the block, and every event and
    tick a :class:`SessionEngine` handles (``tick_due`` is not recorded).

    Blocks may nest; each collects what happens inside it. Recording computes each
    decision's trace, so it belongs in test runs, not in production.

    >>> with collect_coverage() as coverage:            # doctest: +SKIP
    ...     engine.evaluate(fact)
    >>> coverage.report().percent                       # doctest: +SKIP
    """
    coverage = Coverage() if coverage is None else coverage
    if not _ACTIVE:
        for cls, name, patched in _PATCHED:
            _ORIGINAL[name] = getattr(cls, name)
            setattr(cls, name, patched)
    _ACTIVE.append(coverage)
    try:
        yield coverage
    finally:
        # Restore the engines even when the block raised: later code must run unrecorded.
        _ACTIVE.remove(coverage)
        if not _ACTIVE:
            for cls, name, _ in _PATCHED:
                setattr(cls, name, _ORIGINAL.pop(name))
