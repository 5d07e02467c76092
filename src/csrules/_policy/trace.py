"""Traces: why each rule matched or not, with the values it saw."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RuleTrace", "Trace", "TraceNode"]


@dataclass(frozen=True, slots=True)
class TraceNode:
    """One condition's evaluation: its kind, its plain-words text, the result and values seen.

    ``result`` is None when the condition was not evaluated (short-circuited).

    .. versionadded:: 0.1
    """

    kind: str
    text: str
    result: bool | None
    values: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[TraceNode, ...] = ()
    error: str | None = None

    def deciding(self) -> tuple[TraceNode, ...]:
        """The leaf conditions that decided this node's result.

        A false ``all`` is decided by its first false part, a true ``any`` by its first true
        part; otherwise every evaluated part counts.
        """
        if not self.children:
            return (self,)
        evaluated = [c for c in self.children if c.result is not None]
        if self.kind == "all" and self.result is False:
            evaluated = [c for c in evaluated if c.result is False][:1]
        elif self.kind == "any" and self.result is True:
            evaluated = [c for c in evaluated if c.result is True][:1]
        return tuple(leaf for child in evaluated for leaf in child.deciding())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out: dict[str, Any] = {"kind": self.kind, "text": self.text, "result": self.result}
        if self.values:
            out["values"] = {k: _jsonable(v) for k, v in self.values.items()}
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        if self.error:
            out["error"] = self.error
        return out

    def render(self, indent: int = 0) -> list[str]:
        """Readable lines, one per condition, nested by indentation."""
        mark = {True: "✓", False: "✗", None: "·"}[self.result]
        values = ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())
        line = "  " * indent + f"{mark} {self.text}" + (f"  [{values}]" if values else "")
        if self.error:
            line += f"  ERROR: {self.error}"
        lines = [line]
        for child in self.children:
            lines.extend(child.render(indent + 1))
        return lines


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """Whether one rule matched, and the condition tree that decided it.

    ``selected`` is False for a matching rule whose effects the hit policy dropped
    (a later match under ``first``, a lower priority under ``priority``).

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    matched: bool
    selected: bool
    condition: TraceNode

    @property
    def decided_by(self) -> tuple[str, ...]:
        """Plain-words text of the conditions that decided the result."""
        return tuple(node.text for node in self.condition.deciding())

    def render(self) -> list[str]:
        """Readable lines: the verdict, then the condition tree with the values seen."""
        verdict = "MATCHED" if self.matched else "no match"
        if self.matched and not self.selected:
            verdict += " (not selected by the hit policy)"
        return [f"{self.policy_id}/{self.rule_id}: {verdict}", *self.condition.render(1)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "policy": self.policy_id,
            "rule": self.rule_id,
            "matched": self.matched,
            "selected": self.selected,
            "decided_by": list(self.decided_by),
            "condition": self.condition.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Trace:
    """Every rule's trace for one decision, in policy and rule order.

    .. versionadded:: 0.1
    """

    rules: tuple[RuleTrace, ...]

    def __iter__(self) -> Any:
        return iter(self.rules)

    def for_rule(self, rule_id: str) -> RuleTrace:
        """The trace of ``rule_id``."""
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(f"no rule {rule_id!r} in this trace")

    def render(self) -> str:
        """The whole trace as readable text."""
        return "\n".join(line for rule in self.rules for line in rule.render())

    def to_dict(self) -> list[dict[str, Any]]:
        """A JSON-ready form."""
        return [rule.to_dict() for rule in self.rules]


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | frozenset | set):
        return [_jsonable(v) for v in value]
    return str(value)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
