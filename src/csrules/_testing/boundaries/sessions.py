"""Event sequences around the windows of session policies: the boundaries of memory.

A session rule breaks where its window turns: the (N-1)th, Nth and (N+1)th offence, the last
event before a month changes and the first after it, the event that breaks a run, the tick
just before, at and after a deadline. Random sequences almost never line up there, so this
module builds the *shapes* of sequences from each window condition (count, nth, in_a_row,
still_open), explicitly, and lets Hypothesis fill in only the events: each slot of a shape
is an event steered to match (or not match) the window's ``match`` condition, otherwise
drawn from the fact model, and placed at the shape's instant by moving all its times
together. Every shape is tried whatever is drawn.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from csrules._policy.kinds.base import ConditionBase, walk
from csrules._policy.kinds.window import Count, InARow, Nth, StillOpen, Window
from csrules._policy.model import Policy
from csrules._testing.boundaries.core import BoundaryContext, Filler, _steer, derived_values, through_sources
from csrules._testing.strategies import fact_dicts, resolve_fact_type, without_derived
from csrules._time.durations import WallDuration, format_timedelta, parse_duration
from csrules.exceptions import PolicyError

__all__ = ["EventSlot", "Sent", "Shape", "TickSlot", "example_base", "sequence_shapes", "shape_events"]

ORIGIN = datetime(2026, 3, 1)
"""The wall time (in the window's zone) of the period change every shape straddles."""

DEFAULT_TZ = "Asia/Shanghai"
"""The zone calendar windows are read in when they name none."""


@dataclass(frozen=True)
class EventSlot:
    """An event of a shape: whether it matches, when it happens, and which item it is about."""

    matches: bool
    at: datetime
    cond: ConditionBase
    at_path: str | None
    item: str | None = None
    key_path: str | None = None
    keeps_since: bool = False
    """A closing event of a keyed item: it keeps the item's ``since`` field where it was."""


@dataclass(frozen=True)
class TickSlot:
    """A tick of a shape."""

    at: datetime


@dataclass(frozen=True)
class Sent:
    """An event of a drawn sequence and the instant its shape placed it: sent with ``now``
    there, as a host sends an event when it happens (a session's first event then sets its
    clock, which a test reading the time now, such as an item's closing test, needs)."""

    event: BaseModel
    at: datetime


@dataclass(frozen=True)
class Shape:
    """A sequence to try for one window condition of one rule, with a readable label."""

    policy_id: str
    rule_id: str
    label: str
    slots: tuple[EventSlot | TickSlot, ...]

    @property
    def title(self) -> str:
        """``rule-id: label``."""
        return f"{self.rule_id}: {self.label}"


def _threshold(cond: Count | Nth | InARow, params: dict[str, Any]) -> int:
    if isinstance(cond, Count):
        number = cond.value if cond.value is not None else params[str(cond.param)]
        # ">" N first holds at N+1; ">=", "==" and "<"-style tests turn at N
        return int(number) + 1 if cond.op == ">" else max(int(number), 1)
    if isinstance(cond, Nth):
        return int(cond.n if cond.n is not None else params[str(cond.param)])
    return int(cond.times if cond.times is not None else params[str(cond.param)])


def _wall(value: Any) -> timedelta | None:
    """A clock span, or ``None`` for business time (which has no fixed length to straddle)."""
    duration = parse_duration(value)
    return duration.delta if isinstance(duration, WallDuration) else None


def _span(window: Window | None, policy: Policy) -> timedelta | None:
    if window is None or window.calendar is not None:
        return None
    return _wall(window.rolling if window.rolling is not None else policy.param_values[str(window.param)])


def _zone(window: Window | None) -> ZoneInfo:
    return ZoneInfo((window.tz if window is not None else None) or DEFAULT_TZ)


def sequence_shapes(policy: Policy) -> list[Shape]:
    """Every shape of every window condition of ``policy``'s rules, in rule order."""
    shapes: list[Shape] = []
    for rule in policy.rules:
        for node in walk(rule.when):
            made = list(_shapes_of(node, policy))
            shapes.extend(Shape(policy.id, rule.id, label, tuple(slots)) for label, slots in made)
    return shapes


def _shapes_of(node: Any, policy: Policy) -> Iterator[tuple[str, list[EventSlot | TickSlot]]]:
    params = policy.param_values
    if isinstance(node, Count | Nth):
        n = _threshold(node, params)
        zone = _zone(node.window)
        change = ORIGIN.replace(tzinfo=zone)
        span = _span(node.window, policy)
        if span is None and (node.window is None or node.window.calendar is None):
            return  # business-time rolling window: no fixed instant to straddle

        # a keyed count counts items: each event of a shape is an item of its own
        named = [path for path in node.key_paths if path != node.at][:1]
        made = itertools.count(1)

        def event(matches: bool, at: datetime) -> EventSlot:
            if not named:
                return EventSlot(matches, at, node.match, node.at)
            return EventSlot(matches, at, node.match, node.at, f"E{next(made)}", named[0])

        minute = timedelta(minutes=1)
        if span is None:  # a calendar window: straddle the change of period at ORIGIN
            # a count of days takes one event a day, up to the start of a week for a week window
            unit, lead = (timedelta(days=1), n + 1) if node.days else (minute, n + 2)
            if node.days and node.window is not None and node.window.calendar == "week":
                change += timedelta(days=-change.weekday() % 7)
            before = [event(True, change - (lead - i) * unit) for i in range(n + 1)]
            yield f"events {n - 1}, {n} and {n + 1} of one period, and one that does not count", (
                [event(False, change - (lead + 1) * unit), *before]
            )
            across = [event(True, change - (n - i) * unit) for i in range(max(n - 1, 0))]
            yield f"{n - 1} event(s) just before the period changes, 2 just after", (
                [*across, event(True, change), event(True, change + unit)]
            )
        else:
            step = span / (n + 1)
            inside: list[EventSlot | TickSlot] = [event(True, change + i * step) for i in range(n + 1)]
            yield f"{n + 1} events within {format_timedelta(span)}", inside
            edge = [event(True, change + i * minute) for i in range(max(n - 1, 0))]
            yield f"{n - 1} events, then one exactly {format_timedelta(span)} after the first and one just after", (
                [*edge, event(True, change + span), event(True, change + span + timedelta(seconds=1))]
            )
    elif isinstance(node, InARow):
        n = _threshold(node, params)
        day = timedelta(days=1)
        start = ORIGIN.replace(tzinfo=ZoneInfo(DEFAULT_TZ))
        # a keyed run counts items: each event of a shape is an item of its own
        key = node.key_paths[0] if node.key_paths else None
        made = itertools.count(1)

        def one(matches: bool, at: datetime) -> EventSlot:
            return EventSlot(matches, at, node.match, None, None if key is None else f"E{next(made)}", key)

        yield f"{n + 1} in a row", [one(True, start + i * day) for i in range(n + 1)]
        run = [True] * (n - 1) + [False] + [True] * n
        yield f"{n - 1} in a row, a break, then {n}", [one(m, start + i * day) for i, m in enumerate(run)]
    elif isinstance(node, StillOpen):
        yield from _still_open_shapes(node, policy)


def _still_open_shapes(node: StillOpen, policy: Policy) -> Iterator[tuple[str, list[EventSlot | TickSlot]]]:
    span = _wall(node.after if node.after is not None else policy.param_values[str(node.param)])
    if span is None:
        return
    opened = ORIGIN.replace(tzinfo=ZoneInfo(DEFAULT_TZ))
    second = timedelta(seconds=1)

    def item(matches: bool, at: datetime, name: str = "I1") -> EventSlot:
        # an open item matches "not closed"; its since field is placed at `opened`
        return EventSlot(matches, at, node.closed, node.since, name, node.key,
                         keeps_since=node.key is not None and matches)

    ticks = [TickSlot(opened + span - second), TickSlot(opened + span), TickSlot(opened + span + second)]
    yield f"open, ticks just before, at and after {format_timedelta(span)}, and later", [
        item(False, opened), *ticks, TickSlot(opened + 2 * span)
    ]
    yield f"open, closed halfway, a tick just after {format_timedelta(span)}", [
        item(False, opened), item(True, opened + span / 2), TickSlot(opened + span + second)
    ]


def shape_events(shape: Shape, fact_type: str, policy: Policy) -> st.SearchStrategy[list[Sent | datetime]]:
    """The events of ``shape`` (validated facts, each with its slot's instant) and its ticks
    (instants), drawn in order.

    One valid fact is drawn per sequence and each event is made from it (steered, keyed
    and placed), so a long sequence costs one draw the model may refuse, not one per event.
    """
    _, model = resolve_fact_type(fact_type)
    ctx = BoundaryContext(model, policy.param_values, None)
    steering = [_steer(slot.cond, slot.matches, ctx) if isinstance(slot, EventSlot) else None for slot in shape.slots]
    fallback = example_base(policy, model)

    @st.composite
    def draw(draw: st.DrawFn) -> list[Sent | datetime] | None:
        base = _dumped(model, draw(fact_dicts(model)))
        if base is None:  # the model refuses the drawn fact: the worked example's stands in
            base = fallback
            if base is None:
                return None
        out: list[Sent | datetime] = []
        for slot, steer in zip(shape.slots, steering, strict=True):
            if isinstance(slot, TickSlot):
                out.append(slot.at)
                continue
            event = _event(draw, slot, steer, copy.deepcopy(base), model)
            if event is None and fallback is not None and base is not fallback:
                event = _event(draw, slot, steer, copy.deepcopy(fallback), model)
            if event is None:
                return None
            out.append(Sent(event, slot.at))
        return out

    return draw().filter(lambda items: items is not None)  # type: ignore[return-value]


def example_base(policy: Policy, model: type[BaseModel]) -> dict[str, Any] | None:
    """The first fact of ``policy``'s worked examples that ``model`` accepts, as data (None:
    none does): events are made from it where the drawn facts cannot make them, so every
    shape runs whatever is drawn."""
    for rule in policy.rules:
        for example in rule.examples:
            for fact in [example.fact, *(step.fact for step in example.steps or ())]:
                found = None if fact is None else _dumped(model, fact)
                if found is not None:
                    return found
    return None


def _dumped(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any] | None:
    """``data`` validated by ``model`` and written out again (None: the model refuses it)."""
    try:
        return model.model_validate(data).model_dump(mode="python", by_alias=True)
    except (ValidationError, PolicyError):
        return None


def _event(
    draw: st.DrawFn, slot: EventSlot, steer: Any, data: dict[str, Any], model: type[BaseModel]
) -> BaseModel | None:
    filler = Filler(draw, data, model, None)
    before = derived_values(model, data)
    if steer is not None:
        steer(filler)
    through_sources(filler, before)
    at_path = slot.at_path
    if slot.key_path is not None and slot.item is not None:
        if isinstance(filler.get(slot.key_path), datetime):
            at_path = at_path or slot.key_path  # a time names the item: each item at its slot's time
        else:
            filler.set(slot.key_path, slot.item)
    if at_path is not None:
        # a closing event keeps its item's since field (`at` is when it arrives, not when opened)
        place = ORIGIN.replace(tzinfo=slot.at.tzinfo) if slot.keeps_since else slot.at
        current = filler.get(at_path)
        if isinstance(current, datetime):
            data = _moved(data, place - _aware(current))
    try:
        return model.model_validate(without_derived(model, data))
    except (ValidationError, PolicyError):
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(DEFAULT_TZ))


def _moved(data: Any, delta: timedelta) -> Any:
    """``data`` with every date-time moved by ``delta``, so their order and gaps stay valid."""
    if isinstance(data, dict):
        return {key: _moved(value, delta) for key, value in data.items()}
    if isinstance(data, list):
        return [_moved(value, delta) for value in data]
    if isinstance(data, datetime):
        return _aware(data) + delta
    return data
