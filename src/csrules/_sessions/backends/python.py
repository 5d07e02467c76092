"""The pure-Python session backend: the compiled rule functions, run directly.

It has the durable backend's semantics by construction (the session computes every window
value and orders every result), needs nothing beyond the standard library, and is chosen
automatically where durable-rules is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from csrules._sessions.backends.base import Match, TickItem, TickPosition, due_rules, reason
from csrules._sessions.program import FactProgram, LifecycleProgram, Program

__all__ = ["PythonBackend"]


class PythonBackend:
    """Matches rules by calling the functions the program compiled."""

    name = "python"

    def __init__(self, program: Program) -> None:
        self.program = program

    def match_event(self, fp: FactProgram, fact: Any, now: datetime | None,
                    w: Sequence[Any]) -> Match[int]:
        """Every rule of ``fp`` whose condition holds."""
        matched: list[int] = []
        errors: dict[int, str] = {}
        for rule in fp.rules:
            try:
                if rule.check(fact, now, w):
                    matched.append(rule.position)
            except Exception as exc:  # recorded as data, like the stateless engine
                errors[rule.position] = reason(exc)
        return Match(matched, errors)

    def match_transition(self, lp: LifecycleProgram, state: str, event: str, fact: Any,
                         now: datetime | None) -> Match[int]:
        """Every transition from ``state`` on ``event`` whose guard holds."""
        matched: list[int] = []
        errors: dict[int, str] = {}
        for position, move in enumerate(lp.lifecycle.transitions):
            if move.from_ != state or move.on != event:
                continue
            guard = lp.guards[position]
            try:
                if guard is None or guard(fact, now):
                    matched.append(position)
            except Exception as exc:
                errors[position] = reason(exc)
        return Match(matched, errors)

    def match_tick(self, now_us: int, now: datetime, items: Sequence[TickItem]) -> Match[TickPosition]:
        """Every unfired deadline rule and unbreached lifecycle deadline that ``now`` reaches."""
        matched: list[TickPosition] = []
        errors: dict[TickPosition, str] = {}
        for index, item in enumerate(items):
            if item.lifecycle is not None:
                if now_us > item.due_us:
                    matched.append((index, -1))
                continue
            matched.extend(due_rules(index, item, now_us, now, errors))
        return Match(matched, errors)

    def close(self) -> None:
        """Nothing to free."""
