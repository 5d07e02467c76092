"""``csrules check``: validate policy files and lint them, with ``file:line`` locations.

Validation reports every problem the loader finds (unknown fields, type errors, duplicate
ids, a condition that does not fit the fact model). Lint then reports what loads but is
probably wrong: parameters no rule uses, rules without a citation or with fewer than two
worked examples, and conditions that can never hold (``x < 5 and x > 10``).

.. versionadded:: 0.1
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from csrules._errors import Problem, ValidationProblems, readable_loc
from csrules._policy.check import check_policy
from csrules._policy.errors import rule_id_at
from csrules._policy.facts import field_info, get_fact_type
from csrules._policy.kinds.base import ConditionBase, Constraint, optional_method
from csrules._policy.loader import Lines, format_of, line_for, read_document, read_policy_text
from csrules._policy.model import CHECKED_CONTEXT, Policy, check_depth
from csrules.exceptions import PolicyError

__all__ = ["MIN_EXAMPLES", "Finding", "lint_file", "lint_policy", "never_holds"]

MIN_EXAMPLES = 2
"""Fewer worked examples than this on a rule is a finding: one example cannot show both sides."""

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, located. ``code`` is stable for filtering (``unused-parameter`` ...)."""

    file: str
    line: int | None
    severity: Severity
    code: str
    message: str
    policy_id: str | None = None
    rule_id: str | None = None

    def render(self) -> str:
        """``file:line: severity [code] message`` on one line."""
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        context = ""
        if self.rule_id:
            context = f"rule {self.rule_id!r}: "
        elif self.policy_id:
            context = f"policy {self.policy_id!r}: "
        return f"{where}: {self.severity} [{self.code}] {context}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "policy": self.policy_id,
            "rule": self.rule_id,
        }


def lint_file(path: str | Path) -> tuple[Policy | None, list[Finding]]:
    """Load and lint one policy file; the policy is None when it does not load."""
    name = str(path)
    file = Path(path)
    try:
        text = read_policy_text(file)
    except PolicyError as exc:
        return None, [Finding(name, exc.line, "error", "unreadable", exc.message)]
    try:
        data, lines = read_document(text, fmt=format_of(file), name=name)
    except PolicyError as exc:
        return None, [Finding(name, exc.line, "error", "syntax", exc.message)]
    findings = sorted(_validate(data, lines, name), key=lambda f: f.line or 0)
    if findings:
        return None, findings
    try:
        policy = Policy.model_validate(data)
    except PolicyError:  # reported by _validate; defensive
        return None, findings
    return policy, lint_policy(policy, file=name, lines=lines)


MAX_PASSES = 50
"""Most validation passes :func:`_validate` makes (each removes the unknown fields it found)."""


def _validate(data: Any, lines: Lines, name: str) -> Iterator[Finding]:
    """Every validation problem of ``data`` as a located finding.

    Validation stops at the first failing part of a policy, so unknown fields are reported,
    removed from a copy, and validation runs again: a file with three misspelt keys gets
    three findings at once. Any other problem ends the passes.
    """
    if not isinstance(data, dict):
        yield Finding(
            name, lines.get(()), "error", "invalid", f"a policy file holds a mapping, not {type(data).__name__}"
        )
        return
    current = copy.deepcopy(data)
    for _ in range(MAX_PASSES):
        problems = list(_problems(current))
        for loc, message, _ in problems:
            yield Finding(
                name, line_for(lines, data, loc), "error", "invalid", message, _policy_id(data), rule_id_at(data, loc)
            )
        unknown = [loc for loc, _, is_unknown in problems if is_unknown]
        if not problems or len(unknown) != len(problems) or not all(_drop(current, loc) for loc in unknown):
            return


def _policy_id(data: dict[str, Any]) -> str | None:
    value = data.get("id")
    return value if isinstance(value, str) else None


def _problems(data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str, bool]]:
    """``(loc, message, is_unknown_key)`` for each problem one validation pass reports."""
    try:
        check_depth(data)
        Policy.model_validate(data, context=CHECKED_CONTEXT)
    except ValidationProblems as exc:
        for problem in exc.details:
            yield problem.loc, _worded(problem), problem.kind == "unknown"
    except PolicyError as exc:
        yield exc.loc, exc.message, False


def _worded(problem: Problem) -> str:
    """A problem's message, naming where it is when the message alone does not."""
    where = readable_loc(problem.loc)
    if problem.kind == "unknown":
        return f"unknown field {where}"
    if problem.kind == "missing":
        return f"required field {where} is missing"
    if problem.kind == "check":
        if problem.path and problem.path not in problem.message:
            return f"at {problem.path}: {problem.message}"
        return problem.message
    return f"{where or '(top)'}: {problem.message}"


def _drop(data: Any, loc: tuple[Any, ...]) -> bool:
    """Remove the key at ``loc`` (skipping union tags not in the data); False when absent."""
    parent: Any = None
    key: Any = None
    current = data
    for part in loc:
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            parent, key, current = current, part, current[part]
    if isinstance(parent, dict) and key == loc[-1]:
        del parent[key]
        return True
    return False


def lint_policy(policy: Policy, *, file: str = "<policy>", lines: Lines | None = None) -> list[Finding]:
    """Lint a loaded policy; ``lines`` (from :func:`read_document`) locates the findings."""
    lines = lines or {}
    findings: list[Finding] = []
    used = check_policy(policy)
    model = get_fact_type(policy.fact_type)  # known: check_policy resolved it
    for name in policy.params:
        if name not in used:
            findings.append(
                Finding(
                    file,
                    lines.get(("params", name)),
                    "warning",
                    "unused-parameter",
                    f"parameter {name!r} is never used by a rule",
                    policy.id,
                )
            )
    for index, rule in enumerate(policy.rules):
        at = lines.get(("rules", index))
        if rule.citation is None:
            findings.append(
                Finding(
                    file,
                    at,
                    "warning",
                    "no-citation",
                    "has no citation (which clause does it encode?)",
                    policy.id,
                    rule.id,
                )
            )
        if len(rule.examples) < MIN_EXAMPLES:
            findings.append(
                Finding(
                    file,
                    lines.get(("rules", index, "examples"), at),
                    "warning",
                    "few-examples",
                    f"has {len(rule.examples)} worked example(s); give at least "
                    f"{MIN_EXAMPLES} (one that applies, one that does not)",
                    policy.id,
                    rule.id,
                )
            )
        reason = never_holds(rule.when, policy.param_values, model)
        if reason is not None:
            findings.append(
                Finding(
                    file,
                    lines.get(("rules", index, "when"), at),
                    "warning",
                    "never-holds",
                    f"its condition can never hold: {reason}",
                    policy.id,
                    rule.id,
                )
            )
    return findings


# --------------------------------------------------------------------------- satisfiability


@dataclass
class _Range:
    """What an ``all`` says about one value: bounds, equalities, exclusions, allowed set."""

    low: tuple[Any, bool] | None = None  # (value, inclusive)
    high: tuple[Any, bool] | None = None
    equal: list[Any] = field(default_factory=list)
    excluded: list[Any] = field(default_factory=list)
    allowed: set[Any] | None = None
    said: list[str] = field(default_factory=list)

    def add(self, op: str, value: Any) -> None:
        if op == "==":
            self.equal.append(value)
        elif op == "!=":
            self.excluded.append(value)
        elif op in (">", ">="):
            bound = (value, op == ">=")
            if self.low is None or _tighter_low(bound, self.low):
                self.low = bound
        else:
            bound = (value, op == "<=")
            if self.high is None or _tighter_high(bound, self.high):
                self.high = bound

    def contradiction(self) -> bool:
        values = list(dict.fromkeys(map(_key, self.equal)))
        if len(values) > 1:
            return True
        for value in self.equal:
            if any(_key(value) == _key(x) for x in self.excluded):
                return True
            if self.allowed is not None and _key(value) not in self.allowed:
                return True
            if not _within(value, self.low, self.high):
                return True
        if self.allowed is not None and not (self.allowed - {_key(x) for x in self.excluded}):
            return True
        if self.low is not None and self.high is not None:
            (lo, lo_in), (hi, hi_in) = self.low, self.high
            if lo > hi or (lo == hi and not (lo_in and hi_in)):
                return True
        return False


def _key(value: Any) -> Any:
    return getattr(value, "delta", value)


def _tighter_low(new: tuple[Any, bool], old: tuple[Any, bool]) -> bool:
    return bool(new[0] > old[0] or (new[0] == old[0] and not new[1]))


def _tighter_high(new: tuple[Any, bool], old: tuple[Any, bool]) -> bool:
    return bool(new[0] < old[0] or (new[0] == old[0] and not new[1]))


def _within(value: Any, low: tuple[Any, bool] | None, high: tuple[Any, bool] | None) -> bool:
    try:
        if low is not None and (value < low[0] or (value == low[0] and not low[1])):
            return False
        return not (high is not None and (value > high[0] or (value == high[0] and not high[1])))
    except TypeError:
        return True


_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _orderable(value: Any) -> bool:
    return isinstance(value, int | float | str) and not (isinstance(value, float) and math.isnan(value))


def never_holds(
    cond: ConditionBase, params: dict[str, Any], model: type[BaseModel] | None = None
) -> str | None:
    """Why ``cond`` can never hold, or None when it may (or this cannot tell).

    Finds contradictory comparisons of one field inside an ``all`` (including negated
    leaves), ``is_set`` with ``is_missing`` on one field, an empty ``any``, and an ``any``
    whose every branch can never hold. What a leaf says comes from its handler's
    ``constraints`` method, so a kind without one is simply not analysed. A leaf on a missing
    value is false, so a negated leaf bounds its value only when the value is sure to be
    given: required in ``model``, or read by a plain leaf of the same ``all``.
    """
    if cond.kind == "any":
        children = cond.children()
        if not children:
            return "an empty 'any' never holds"
        reasons = [never_holds(child, params, model) for child in children]
        if all(reasons):
            return "every branch of 'any' can never hold (" + "; ".join(r for r in reasons if r) + ")"
        return None
    if cond.kind == "all":
        for child in cond.children():
            reason = never_holds(child, params, model)
            if reason:
                return reason
        ranges: dict[str, _Range] = {}
        presence: dict[str, set[bool]] = {}
        leaves = list(_conjuncts(cond))
        given = {
            said.subject
            for leaf, negated in leaves if not negated
            for said in _said(leaf, params) if said.op != "missing"
        }
        for leaf, negated in leaves:
            for said in _said(leaf, params):
                if negated and said.op not in ("given", "missing") and not _sure_given(said.subject, given, model):
                    continue  # "not (x > 5)" also holds when x is missing: no bound on x
                _add(said, negated, ranges, presence)
        for path, states in presence.items():
            if states == {True, False}:
                return f"{path} is required to be both given and missing"
        for path, rng in ranges.items():
            try:
                if rng.contradiction():
                    return f"{path}: " + " and ".join(rng.said)
            except TypeError:
                continue
    return None


_STRUCTURE = frozenset({"all", "any", "not"})


def _conjuncts(cond: ConditionBase) -> Iterator[tuple[ConditionBase, bool]]:
    for child in cond.children():
        if child.kind == "all":
            yield from _conjuncts(child)
        elif child.kind == "not" and child.children()[0].kind not in _STRUCTURE:
            yield child.children()[0], True
        else:
            yield child, False


def _said(leaf: ConditionBase, params: dict[str, Any]) -> list[Constraint]:
    constraints = optional_method(leaf, "constraints")
    return list(constraints(leaf, params)) if constraints is not None else []


def _sure_given(subject: str, given: set[str], model: type[BaseModel] | None) -> bool:
    if subject in given:
        return True
    if model is None:
        return False
    try:
        return not field_info(model, subject).optional
    except (PolicyError, AttributeError, KeyError):
        return False  # a span or another subject that is not a field path


def _add(said: Constraint, negated: bool, ranges: dict[str, _Range], presence: dict[str, set[bool]]) -> None:
    if said.op in ("given", "missing"):
        presence.setdefault(said.subject, set()).add((said.op == "given") != negated)
        return
    rng = ranges.setdefault(said.subject, _Range())
    if said.op in ("in", "not in"):
        values = said.value
        if (said.op == "in") != negated:
            allowed = {_key(v) for v in values}
            rng.allowed = allowed if rng.allowed is None else rng.allowed & allowed
            rng.said.append(f"in {sorted(map(str, values))}")
        else:
            rng.excluded.extend(values)
            rng.said.append(f"not in {sorted(map(str, values))}")
        return
    value = _key(said.value)
    if not (_orderable(value) or hasattr(value, "total_seconds")):
        return
    op = _NEGATE[said.op] if negated else said.op
    rng.add(op, value)
    rng.said.append(f"{op} {said.said}")
