"""The matcher interface every session backend implements, and how one is chosen.

A backend only answers "which rules match?" for values the session computed: the rules of
an event (given its window values), the transitions a lifecycle event may take, and the
deadlines a tick reaches. State, windows, ordering, effects and errors are the session's,
so two backends that answer alike give identical sessions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from csrules._sessions.program import FactProgram, LifecycleProgram, Tracker

__all__ = [
    "Backend",
    "BackendName",
    "Match",
    "TickItem",
    "TickPosition",
    "due_rules",
    "reason",
]

BackendName = Literal["auto", "durable", "python"]
"""Which matcher runs a session engine: durable-rules' Rete engine, plain Python, or the
first available (durable where installed)."""


@dataclass(frozen=True, slots=True)
class TickItem:
    """Something a tick may reach: an open item of a tracker, or a lifecycle deadline."""

    tracker: Tracker | None = None
    fact: Any = None
    since_us: int = 0
    fired: frozenset[int] = frozenset()
    lifecycle: LifecycleProgram | None = None
    deadline: int = -1
    due_us: int = 0


Position = TypeVar("Position", int, tuple[int, int])
"""What a match names: a rule or transition position, or an ``(item index, rule position)``
pair at a tick."""

TickPosition = tuple[int, int]
"""``(item index, rule position)``; the rule position is -1 for a lifecycle deadline."""


@dataclass(slots=True)
class Match(Generic[Position]):
    """A backend's answer: matched positions (rules, transitions or ``(item, rule)`` pairs)
    and the rules that failed while being tested, by position, with the reason."""

    matched: list[Position]
    errors: dict[Position, str]


class Backend(Protocol):
    """What a session backend provides."""

    name: str

    def match_event(self, fp: FactProgram, fact: Any, now: datetime | None,
                    w: Sequence[Any]) -> Match[int]:
        """Positions (in ``fp.rules``) of the rules that hold for ``fact``."""

    def match_transition(self, lp: LifecycleProgram, state: str, event: str, fact: Any,
                         now: datetime | None) -> Match[int]:
        """Positions of the transitions of ``lp`` allowed from ``state`` for ``event``."""

    def match_tick(self, now_us: int, now: datetime,
                   items: Sequence[TickItem]) -> Match[TickPosition]:
        """``(item index, rule position)`` for tracker items, ``(item index, -1)`` for
        lifecycle deadlines, that the tick at ``now`` reaches."""

    def close(self) -> None:
        """Free what the backend holds (idempotent)."""


def reason(exc: Exception) -> str:
    """How a rule that raised while being tested is reported."""
    return f"{type(exc).__name__}: {exc}"


def due_rules(index: int, item: TickItem, now_us: int, now: datetime, errors: dict[TickPosition, str],
              only: Collection[int] | None = None) -> Iterator[TickPosition]:
    """``(index, rule position)`` of each unfired deadline rule of the tracker item ``item``
    (of those in ``only``, if given) that ``now`` reaches and whose condition holds; a rule
    that raises is recorded in ``errors`` instead."""
    assert item.tracker is not None
    for rule in item.tracker.rules:
        if only is not None and rule.position not in only:
            continue
        if rule.position in item.fired or now_us <= rule.due_us(item.since_us, item.fact):
            continue
        try:
            if rule.check(item.fact, now, (True,)):
                yield (index, rule.position)
        except Exception as exc:  # recorded as data, like the stateless engine
            errors[(index, rule.position)] = reason(exc)
