"""Boundary-seeking fact generation: the values on both sides of every threshold.

Policies break at their thresholds: a notice of exactly 24 h, the 20th minute late, the
third swap of a month. Random facts almost never land there (two random instants are
almost never exactly a day apart), so this module reads each rule's conditions and derives
*probes*: points just below, at and just above every threshold, each with the result the
condition should have there.

A generated fact targets one probe of one leaf condition. The rest of the rule is steered
so that the target decides the rule: the other parts of an ``all`` are made true, the other
parts of an ``any`` false. The fact is otherwise random, drawn from the fact model
(:mod:`csrules._testing.strategies`), and validated by it.

Each condition kind has a *deriver* in a table, like the kinds table of the engine; a new
kind adds its own with :func:`register_boundaries`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Any

from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from csrules._engine.engine import Engine
from csrules._policy.facts import FieldInfo, _strip_optional, event_time_field, field_info, read_path
from csrules._policy.kinds import core as c
from csrules._policy.kinds.base import ConditionBase, handler_for, optional_method, show_value, walk
from csrules._policy.kinds.core import coerce_literal
from csrules._policy.model import Policy
from csrules._policy.text import TextMatcher
from csrules._policy.validity import DEFAULT_ZONE, day_of
from csrules._testing.boundaries.derived import never_reached, reaches, steer_derived
from csrules._testing.strategies import (
    EARLIEST,
    LATEST,
    _model_dicts,
    derived_fields,
    drawn_in,
    drawn_range,
    fact_dicts,
    resolve_fact_type,
    settle,
    strategy_for_annotation,
    within,
    without_derived,
)
from csrules._time.durations import WallDuration, split_days
from csrules._time.nominal import add_days_then, fact_zone
from csrules._time.registry import get_calendar
from csrules.domain.facts import derived_sources
from csrules.exceptions import CalendarError, PolicyError, TimeError

__all__ = [
    "BoundaryContext",
    "Filler",
    "Probe",
    "SetValue",
    "Target",
    "boundary_facts",
    "boundary_targets",
    "listed_names",
    "register_boundaries",
]

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDERED = {"number", "datetime", "date", "time", "duration"}
_MAX_LISTED = 3  # listed values (in, contains) probed per condition
_FIRST_DAY = EARLIEST.date()


class Filler:
    """Writes probe values into a fact being drawn (a plain dict, validated afterwards).

    Paths are the dotted field names conditions use; a missing object on the way is drawn
    first, so ``set("shift.start", ...)`` works on a fact whose shift was ``None``.
    """

    def __init__(self, draw: st.DrawFn, data: dict[str, Any], model: type[BaseModel], now: datetime | None) -> None:
        self.draw = draw
        self.data = data
        self.model = model
        self.now = now
        self.written: list[str] = []  # paths set, in order: derived ones get their sources steered

    def _walk(self, path: str, *, create: bool) -> tuple[dict[str, Any] | None, str]:
        """The dict holding the last part of ``path`` and that part's key."""
        parts = path.split(".")
        model, node = self.model, self.data
        for part in parts[:-1]:
            info = model.model_fields[part]
            key = _key(model, part)
            inner, _ = _strip_optional(info.annotation)
            if not isinstance(node.get(key), dict):
                if not create:
                    return None, key
                node[key] = dict(self.draw(_model_dicts(inner)))
            model, node = inner, node[key]
        return node, _key(model, parts[-1])

    def get(self, path: str) -> Any:
        """The value at ``path``; a missing one is drawn (and set) first."""
        node, key = self._walk(path, create=True)
        assert node is not None
        if node.get(key) is None:
            node[key] = self.draw(value_strategy(self.model, path))
        return node[key]

    def set(self, path: str, value: Any) -> None:
        """Put ``value`` at ``path``."""
        node, key = self._walk(path, create=True)
        assert node is not None
        node[key] = value
        self.written.append(path)

    def clear(self, path: str) -> None:
        """Make ``path`` missing: set its deepest optional step to ``None``."""
        steps = field_info(self.model, path).optional_steps
        deepest = max(i for i, optional in enumerate(steps) if optional)
        prefix = ".".join(path.split(".")[: deepest + 1])
        node, key = self._walk(prefix, create=False)
        if node is not None:
            node[key] = None

    def choose(self, options: Sequence[Any]) -> Any:
        """One of ``options``, drawn (it shrinks to the first)."""
        return self.draw(st.sampled_from(options))


Setter = Callable[[Filler], None]
"""Writes one probe (or one steering choice) into a fact being drawn."""


@dataclass(frozen=True)
class Probe:
    """One point to try for one condition: what to set, and whether the condition then holds.

    ``holds`` is None when the deriver cannot tell (the fact is still worth trying).
    """

    label: str
    apply: Setter = field(repr=False, compare=False)
    holds: bool | None

    @property
    def fixed(self) -> tuple[str, Any] | None:
        """``(path, value)`` when the probe writes one fixed value; None for a probe placed
        relative to other fields (a value drawn first, such as the date of ``day_of``)."""
        apply = self.apply
        return (apply.path, apply.value) if isinstance(apply, SetValue) else None

    def misses(self, fact: BaseModel) -> bool:
        """Whether ``fact`` lacks what the probe tries: the value of an ``is_set`` probe (an
        entry the model reads blank as missing), or the absence of an ``is_missing`` one."""
        apply = self.apply
        return isinstance(apply, SetPresence) and (read_path(fact, apply.path) is not None) != apply.given


@dataclass(frozen=True)
class Target:
    """A probe of one leaf condition of one rule, with the steering that makes it decisive."""

    policy_id: str
    rule_id: str
    node: tuple[int, ...]
    probe: Probe
    steering: tuple[Setter, ...] = field(repr=False, compare=False)
    days: tuple[date | None, date | None, str] | None = None
    """A dated version's days ``[valid_from, valid_until)`` and the zone it reads them in:
    facts for it are drawn inside them, so that this version judges them."""

    @property
    def label(self) -> str:
        """``rule-id: field = value``."""
        return f"{self.rule_id}: {self.probe.label}"


@dataclass
class BoundaryContext:
    """What a deriver may ask: the fact model, the parameter values in force and ``now``;
    ``in_force`` a dated version's days ``[valid_from, valid_until)`` (None: open-ended)."""

    model: type[BaseModel]
    params: dict[str, Any]
    now: datetime | None
    in_force: tuple[date | None, date | None] = (None, None)

    @property
    def first_day(self) -> date:
        """Where probes with no ``now`` are placed: the first day facts are drawn in that the
        version is in force on."""
        return self.nearest_day(_FIRST_DAY)

    def nearest_day(self, day: date) -> date:
        """``day``, or the version's day in force nearest it: a dated version's facts lie in its days."""
        start, end = self.in_force
        if start is not None and day < start:
            return start
        if end is not None and day >= end:
            return end - timedelta(days=1)
        return day

    def meets_days(self, first: date, last: date) -> bool:
        """Whether the days ``first`` to ``last`` meet the version's days in force (always,
        for an undated version): a dated version's facts lie in its days."""
        start, end = self.in_force
        return (start is None or last >= start) and (end is None or first < end)

    def field(self, path: str) -> FieldInfo:
        """The static type of ``path``."""
        return field_info(self.model, path)

    def valid(self, path: str, value: Any) -> bool:
        """Whether the field at ``path`` accepts ``value`` (bounds, choices, type)."""
        try:
            _adapter(self.model, path).validate_python(value)
        except ValidationError:
            return False
        return True


Deriver = Callable[[Any, BoundaryContext], list[Probe]]
"""Derives the probes of one condition kind."""

_DERIVERS: dict[str, Deriver] = {}


def register_boundaries(kind: str, deriver: Deriver) -> None:
    """Add (or replace) the boundary deriver of a condition ``kind``.

    >>> register_boundaries("night_shift", my_deriver)  # doctest: +SKIP
    """
    _DERIVERS[kind] = deriver


def _key(model: type[BaseModel], name: str) -> str:
    alias = model.model_fields[name].alias
    return alias if isinstance(alias, str) else name


def _leaf_field(model: type[BaseModel], path: str) -> Any:
    parts = path.split(".")
    for part in parts[:-1]:
        model = _strip_optional(model.model_fields[part].annotation)[0]
    return model.model_fields[parts[-1]]


@cache
def _adapter(model: type[BaseModel], path: str) -> TypeAdapter[Any]:
    info = _leaf_field(model, path)
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[info.annotation, *info.metadata])  # type: ignore[arg-type]


@cache
def value_strategy(model: type[BaseModel], path: str) -> st.SearchStrategy[Any]:
    """Non-missing values for the field at ``path`` (built once: probes draw from it per fact)."""
    info = _leaf_field(model, path)
    inner, _ = _strip_optional(info.annotation)
    return strategy_for_annotation(inner, tuple(info.metadata))


# --------------------------------------------------------------------------- points


def _step(kind: str) -> Any:
    return {
        "datetime": timedelta(seconds=1),
        "time": timedelta(seconds=1),
        "duration": timedelta(seconds=1),
        "date": timedelta(days=1),
    }.get(kind, 1)


def _shift(value: Any, delta: Any) -> Any:
    if isinstance(value, time):
        moved = datetime.combine(date(2000, 1, 2), value) + delta
        return moved.time().replace(tzinfo=value.tzinfo)
    return value + delta


def around(value: Any, kind: str, *, integral: bool = False) -> list[Any]:
    """The threshold itself and the nearest values on either side, in order.

    >>> around(20, "number", integral=True)
    [19, 20, 21]
    >>> around(timedelta(hours=24), "duration")[0]
    datetime.timedelta(seconds=86399)
    """
    if kind == "number" and integral:
        low, high = math.floor(value), math.ceil(value)
        return sorted({low - 1, low, high, high + 1})
    if kind == "number":
        return [value - 1, value - 0.5, value, value + 0.5, value + 1]
    step = _step(kind)
    return [_shift(value, -step), value, _shift(value, step)]


def _is_int(ctx: BoundaryContext, path: str) -> bool:
    inner, _ = _strip_optional(_leaf_field(ctx.model, path).annotation)
    return inner is int


def _show(value: Any) -> str:
    if isinstance(value, datetime | time | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)  # 23:59:59, 1 day, 0:00:01: the second is what matters
    if isinstance(value, str):
        return repr(value)
    return show_value(value)


@dataclass(frozen=True)
class SetValue:
    """A setter writing one fixed ``value`` at ``path`` (readable back from the probe)."""

    path: str
    value: Any

    def __call__(self, f: Filler) -> None:
        """Write the value into the fact being drawn."""
        f.set(self.path, self.value)


def _set(path: str, value: Any) -> Setter:
    return SetValue(path, value)


@dataclass(frozen=True)
class SetPresence:
    """A setter giving ``path`` a value (``given``: one that is not blank, which a model may
    read as missing) or leaving it missing (its deepest optional step None)."""

    path: str
    given: bool

    def __call__(self, f: Filler) -> None:
        if not self.given:
            f.clear(self.path)
            return
        if _absent(f.get(self.path)):  # a value drawn first may be None or blank text
            f.set(self.path, f.draw(value_strategy(f.model, self.path).filter(lambda v: not _absent(v))))


def _absent(value: Any) -> bool:
    """None, or blank text (empty or only whitespace), which an entry field reads as None."""
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def _missing(ctx: BoundaryContext, *paths: str | None) -> list[Probe]:
    out = []
    for path in paths:
        if path is not None and ctx.field(path).optional:
            out.append(Probe(f"{path} missing", _clear(path), holds=False))
    return out


def _clear(path: str) -> Setter:
    return lambda f: f.clear(path)


def _other_value(ctx: BoundaryContext, path: str, avoid: Iterable[Any]) -> Setter:
    """A setter drawing a value of ``path`` outside ``avoid``."""
    avoided = frozenset(avoid)
    values = value_strategy(ctx.model, path).filter(lambda v: v not in avoided)
    return lambda f: f.set(path, f.draw(values))


# --------------------------------------------------------------------------- derivers


def _compare(cond: Any, ctx: BoundaryContext) -> list[Probe]:
    path, op = cond.path, cond.op
    info = ctx.field(path)
    probes = _missing(ctx, path, getattr(cond, "field", None))
    if getattr(cond, "field", None) is not None:
        return probes + _compare_fields(path, op, cond.field, info, ctx)
    rhs = ctx.params[cond.param] if getattr(cond, "param", None) is not None else coerce_literal(info, cond.value)
    if isinstance(rhs, WallDuration):
        rhs = rhs.delta
    if info.kind in _ORDERED:
        values = around(rhs, info.kind, integral=_is_int(ctx, path))
    elif info.kind == "bool":
        values = [rhs, not rhs]
    else:
        values = [rhs]
        if info.choices is not None:
            values += sorted((v for v in info.choices if v != rhs), key=str)[:2]
        else:
            other = _other_value(ctx, path, [rhs])
            probes.append(Probe(f"{path} ≠ {_show(rhs)}", other, holds=op == "!="))
    for value in values:
        if ctx.valid(path, value):
            probes.append(Probe(f"{path} = {_show(value)}", _set(path, value), OPS[op](value, rhs)))
    return probes


def _compare_fields(path: str, op: str, other: str, info: FieldInfo, ctx: BoundaryContext) -> list[Probe]:
    probes = []
    if info.kind in _ORDERED:
        step = _step(info.kind)
        for sign, shown in ((-1, "-"), (0, ""), (1, "+")):
            delta = step * sign
            label = f"{path} = {other}" + (f" {shown} {_show(step)}" if sign else "")
            probes.append(Probe(label, _relative(path, other, delta), OPS[op](sign, 0)))
    else:
        probes.append(Probe(f"{path} = {other}", lambda f: f.set(path, f.get(other)), OPS[op](0, 0)))
        probes.append(Probe(f"{path} ≠ {other}", _unequal(ctx, path, other), OPS[op](0, 1)))
    return probes


def _relative(path: str, other: str, delta: Any) -> Setter:
    return lambda f: f.set(path, _shift(f.get(other), delta))


def _unequal(ctx: BoundaryContext, path: str, other: str) -> Setter:
    values = value_strategy(ctx.model, path)

    def apply(f: Filler) -> None:
        current = f.get(other)
        f.set(path, f.draw(values.filter(lambda v: v != current)))

    return apply


def _membership(cond: c.In | c.NotIn, ctx: BoundaryContext) -> list[Probe]:
    negate = isinstance(cond, c.NotIn)
    info = ctx.field(cond.path)
    listed = list(ctx.params[cond.param] if cond.param is not None else cond.value)
    probes = _missing(ctx, cond.path)
    for value in listed[:_MAX_LISTED]:
        if ctx.valid(cond.path, value):
            probes.append(Probe(f"{cond.path} = {_show(value)}", _set(cond.path, value), not negate))
    if info.choices is not None:
        outside = sorted((v for v in info.choices if v not in listed), key=str)[:2]
        probes += [Probe(f"{cond.path} = {_show(v)}", _set(cond.path, v), negate) for v in outside]
    else:
        probes.append(Probe(f"{cond.path} not listed", _other_value(ctx, cond.path, listed), negate))
    return probes


def _contains(cond: c.Contains, ctx: BoundaryContext) -> list[Probe]:
    info = ctx.field(cond.path)
    given: Any = cond.phrases if cond.param is None else ctx.params[cond.param]
    phrases: list[str] = [given] if isinstance(given, str) else list(given)
    matcher = TextMatcher(tuple(phrases), cond.fold)
    texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn")), max_size=8)
    clean = texts.filter(lambda s: not matcher(s))

    def saying(phrase: str) -> Setter:
        def apply(f: Filler) -> None:
            line = f.draw(clean) + phrase + f.draw(clean)
            f.set(cond.path, [line] if info.is_collection else line)

        return apply

    def silent(f: Filler) -> None:
        f.set(cond.path, [f.draw(clean)] if info.is_collection else f.draw(clean))

    probes = _missing(ctx, cond.path)
    probes += [Probe(f"{cond.path} says {p!r}", saying(p), True) for p in phrases[:_MAX_LISTED]]
    probes.append(Probe(f"{cond.path} says none of the phrases", silent, False))
    return probes


def _presence(cond: c.IsSet | c.IsMissing, ctx: BoundaryContext) -> list[Probe]:
    want_set = isinstance(cond, c.IsSet)
    probes = [Probe(f"{cond.path} given", SetPresence(cond.path, True), want_set)]
    if ctx.field(cond.path).optional:
        probes.append(Probe(f"{cond.path} missing", SetPresence(cond.path, False), not want_set))
    return probes


SIDES = ((-1, " - 1s"), (0, ""), (1, " + 1s"))
"""One second before a boundary, at it, one second after (with the words a probe's label adds)."""


def _elapsed(cond: c.Elapsed, ctx: BoundaryContext) -> list[Probe]:
    limit = cond.limit(ctx.params)
    if cond.until is None and ctx.now is None:
        raise TimeError(f"elapsed since {cond.since} until now: boundary facts need now=")
    probes = _missing(ctx, cond.since, cond.until)
    if not isinstance(limit, WallDuration | timedelta):
        return probes  # refused when the policy was built
    return probes + clock_span_probes(cond, limit)


def clock_span_probes(cond: Any, duration: WallDuration | timedelta) -> list[Probe]:
    """``until`` (or ``now``) exactly ``duration`` after ``since`` and one second either side,
    for an ``elapsed`` or ``notice`` with a clock duration. Hours are elapsed time; whole days
    fall on the wall clock of the fact's ``time_zone`` (else the condition's zone), as the
    engine counts them, so the probes straddle the engine's own boundary across a clock change."""
    until = cond.until or "now"
    days, rest = split_days(duration)
    if not days:
        limit = duration.delta if isinstance(duration, WallDuration) else duration
        return [Probe(f"{until} - {cond.since} = {_show(span)}", _span(cond.since, cond.until, span),
                      OPS[cond.op](span, limit)) for span in around(limit, "duration")]
    step = _step("duration")
    return [Probe(f"{until} = {cond.since} + {duration} on the wall clock{shown}",
                  _wall_span(cond.since, cond.until, days, rest, cond.days_zone, sign * step), OPS[cond.op](sign, 0))
            for sign, shown in SIDES]


def _wall_span(since: str, until: str | None, days: int, rest: timedelta, zone: str, off: timedelta) -> Setter:
    """Puts ``until`` at ``since`` plus the days on the wall clock of the fact's zone (else
    ``zone``) and ``rest``, moved by ``off``; without ``until``, ``since`` where that is
    ``now`` moved by ``-off``. A sum past the last date there is leaves the fact as drawn."""
    def apply(f: Filler) -> None:
        named = fact_zone(f.data, zone)
        try:
            if until is not None:
                start = f.get(since)
                f.set(until, (add_days_then(start, days, rest, named) + off).astimezone(start.tzinfo))
                return
            assert f.now is not None
            target = f.now.astimezone(UTC) - off - rest  # where the days end
            start = add_days_then(target, -days, timedelta(0), named)
            start += target - add_days_then(start, days, timedelta(0), named)  # a gap or fold on the way back
            f.set(since, start.astimezone(f.now.tzinfo))
        except OverflowError:
            return  # no such instant: the fact stays as drawn

    return apply


def _span(since: str, until: str | None, span: timedelta) -> Setter:
    def apply(f: Filler) -> None:
        if until is None:
            assert f.now is not None
            f.set(since, f.now - span)
        else:
            f.set(until, f.get(since) + span)

    return apply


def _generic(cond: Any, ctx: BoundaryContext) -> list[Probe]:
    """A kind without a deriver: treated like ``compare`` when it has path, op and value."""
    if all(isinstance(getattr(cond, name, None), str) for name in ("path", "op")) and (
        getattr(cond, "value", None) is not None or getattr(cond, "param", None) is not None
    ):
        try:
            return _compare(cond, ctx)
        except (PolicyError, KeyError, TypeError):
            return []
    return []


register_boundaries("compare", _compare)
register_boundaries("in", _membership)
register_boundaries("not_in", _membership)
register_boundaries("contains", _contains)
register_boundaries("is_set", _presence)
register_boundaries("is_missing", _presence)
register_boundaries("elapsed", _elapsed)


# --------------------------------------------------------------------------- steering


def probes_for(cond: ConditionBase, ctx: BoundaryContext) -> list[Probe]:
    """The probes of one leaf condition: from its registered deriver, else from its kind
    handler's ``boundaries(cond, ctx)`` method, else none.

    A condition reading a computed field gets none: its value follows from other fields
    and cannot be placed on a threshold directly.
    """
    if any(_through_computed(ctx.model, path) for path in _paths_of(cond)):
        return []
    derive = _DERIVERS.get(cond.kind) or optional_method(cond, "boundaries") or _generic
    return list(derive(cond, ctx))


def _paths_of(cond: ConditionBase) -> list[str]:
    return [
        value for name in ("path", "field", "since", "until")
        if isinstance(value := getattr(cond, name, None), str)
    ]


def _through_computed(model: type[BaseModel], path: str) -> bool:
    for part in path.split("."):
        if part not in model.model_fields:
            return True
        inner = _strip_optional(model.model_fields[part].annotation)[0]
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return False
        model = inner
    return False


def _steer(cond: ConditionBase, want: bool, ctx: BoundaryContext) -> Setter | None:
    """A setter making ``cond`` evaluate to ``want`` as far as derivers can tell."""
    children = cond.children()
    if not children:
        try:
            probes = probes_for(cond, ctx)
        except TimeError:
            if ctx.now is not None:
                raise
            return None  # it reads the clock, which a sequence sets event by event: left to chance
        fitting = [p for p in probes if p.holds is want]
        if not fitting:
            return None
        return lambda f: f.choose(fitting).apply(f)
    if cond.kind == "not":
        return _steer(children[0], not want, ctx)
    if cond.kind not in ("all", "any"):
        return None  # an extension kind with children: leave it to chance
    setters = [s for s in (_steer(child, want, ctx) for child in children) if s is not None]
    if not setters:
        return None
    if (cond.kind == "all") == want:  # a true all and a false any need every child

        def every(f: Filler) -> None:
            for setter in setters:
                setter(f)

        return every
    return lambda f: f.choose(setters)(f)


def _leaves(cond: ConditionBase, at: tuple[int, ...] = ()) -> Iterable[tuple[tuple[int, ...], list[ConditionBase]]]:
    """Every leaf's node path with its chain of conditions from the root."""
    stack: list[tuple[tuple[int, ...], list[ConditionBase]]] = [(at, [cond])]
    while stack:
        path, chain = stack.pop()
        children = chain[-1].children()
        if not children:
            yield path, chain
        for index in reversed(range(len(children))):
            stack.append(((*path, index), [*chain, children[index]]))


def _targets_of_rule(policy: Policy, rule_index: int, ctx: BoundaryContext) -> list[Target]:
    rule = policy.rules[rule_index]
    targets = []
    for path, chain in _leaves(rule.when):
        steering: list[Setter] = []
        for depth, parent in enumerate(chain[:-1]):
            chosen = path[depth]
            if parent.kind not in ("all", "any"):
                continue
            want = parent.kind == "all"  # siblings of an all hold, of an any fail
            for index, sibling in enumerate(parent.children()):
                setter = None if index == chosen else _steer(sibling, want, ctx)
                if setter is not None:
                    steering.append(setter)
        for probe in probes_for(chain[-1], ctx):
            targets.append(Target(policy.id, rule.id, path, probe, tuple(steering), _days(policy)))
    return targets


def _days(policy: Policy) -> tuple[date | None, date | None, str] | None:
    """``policy``'s days in force and their zone, for a dated version (else None)."""
    return (policy.valid_from, policy.valid_until, policy.timezone or DEFAULT_ZONE) if policy.dated else None


def _check_now_in_force(policy: Policy, model: type[BaseModel], now: datetime | None) -> None:
    """Refuse to probe a dated version of a fact type with no ``event_time`` at a ``now``
    outside its days: the version in force at ``now`` would judge every fact, not this one."""
    if not policy.dated or event_time_field(model) is not None:
        return
    if now is None or not policy.in_force_on(day_of(now, policy.timezone)):
        at = "no now" if now is None else f"now {now.isoformat()}"
        raise PolicyError(
            f"version {policy.version!r} of {policy.id!r} is in force {policy.validity}: its facts are judged by "
            f"the version in force at now, and {at} falls outside; pass a now= inside its days",
            policy_id=policy.id,
        )


def in_its_days(target: Target | None, model: type[BaseModel], fact: BaseModel) -> bool:
    """Whether ``fact``'s own time (its type's ``event_time``) falls on a day ``target``'s
    version is in force (always true of an undated version or a type without one)."""
    name = event_time_field(model) if target is not None and target.days is not None else None
    if target is None or target.days is None or name is None:
        return True
    start, end, zone = target.days
    day = day_of(getattr(fact, name), zone)
    return (start is None or start <= day) and (end is None or day < end)


def _drawn_in_days(target: Target) -> tuple[datetime, datetime]:
    """The wall-clock range facts are drawn in now, narrowed to ``target``'s version's days;
    a version with no day in that range is refused."""
    earliest, latest = drawn_range()
    if target.days is None:
        return earliest, latest
    start, end, _ = target.days
    low = max(earliest, datetime.combine(start, time())) if start is not None else earliest
    high = min(latest, datetime.combine(end, time()) - timedelta(seconds=1)) if end is not None else latest
    if low > high:
        raise PolicyError(
            f"version in force from {start or 'the start'} until {end or 'the end'} has no day between "
            f"{earliest:%Y-%m-%d} and {latest:%Y-%m-%d}, the days facts are drawn in (its calendars' years)",
            policy_id=target.policy_id,
        )
    return low, high


def boundary_targets(
    policies: Policy | Engine | Sequence[Policy], *, now: datetime | None = None
) -> tuple[type[BaseModel], list[Target]]:
    """The fact model and every probe of every rule of ``policies`` (one fact type).

    Raises :class:`TimeError` when a rule reads the current time and ``now`` is missing, and
    :class:`CalendarError` naming the rule when its calendar cannot answer for the dates
    probed (``now`` in a year whose holidays it does not hold).
    """
    group = _policies(policies)
    _, model = resolve_fact_type(group[0].fact_type)
    if now is not None and now.utcoffset() is None:
        raise TimeError(f"now must carry a time zone (got naive {now.isoformat()})")
    targets: list[Target] = []
    for policy in group:
        _check_now_in_force(policy, model, now)
        ctx = BoundaryContext(model, policy.param_values, now, (policy.valid_from, policy.valid_until))
        if now is None:
            for rule in policy.rules:
                if handler_for(rule.when).reads_now(rule.when):
                    raise TimeError(
                        f"rule {rule.id!r} of {policy.id!r} reads the current time; pass now= to place its thresholds"
                    )
        for index, rule in enumerate(policy.rules):
            try:
                targets.extend(_targets_of_rule(policy, index, ctx))
            except CalendarError as exc:  # say which rule, e.g. a date its calendar does not hold
                raise CalendarError(f"rule {policy.id}/{rule.id}: its boundaries cannot be placed: {exc}") from exc
    return model, targets


def _policies(policies: Policy | Engine | Sequence[Policy]) -> tuple[Policy, ...]:
    if isinstance(policies, Policy):
        return (policies,)
    if isinstance(policies, Engine):
        group: tuple[Any, ...] = tuple(policies.policies)
    elif isinstance(policies, Iterable) and not isinstance(policies, str | bytes | Mapping):
        group = tuple(policies)
    else:  # a policy's id or file name, None: said as such, not read as a list of letters
        group = (policies,)
    strays = [item for item in group if not isinstance(item, Policy)]
    if strays:
        stray = strays[0]
        shown = repr(stray) if len(repr(stray)) <= 60 else repr(stray)[:57] + "..."
        raise PolicyError(
            f"boundary facts take a Policy, an Engine or a sequence of policies (got {type(stray).__name__} {shown})"
        )
    if not group:
        raise PolicyError("boundary facts need at least one policy")
    kinds = sorted({p.fact_type for p in group})
    if len(kinds) > 1:
        raise PolicyError(f"boundary facts are for one fact type; these policies judge {', '.join(kinds)}")
    return group


def listed_names(policies: Sequence[Policy]) -> dict[str, tuple[str, ...]]:
    """Per top-level field, the text ``policies``' conditions test it against (``in``,
    ``not_in``, ``==``, ``!=``; literal or parameter), in the order written.

    A pack spells its catalogue roles into such lists when it is built (every id and alias),
    so these are the names that decide a role-gated rule.

    >>> listed_names([leave])["requester_role"][:2]  # doctest: +SKIP
    ('agent', '業務代表')
    """
    found: dict[str, list[str]] = {}
    for policy in policies:
        for rule in policy.rules:
            for node in walk(rule.when):
                if not isinstance(node, c.In | c.NotIn | c.Compare) or "." in node.path:
                    continue
                if isinstance(node, c.Compare) and node.op not in ("==", "!="):
                    continue
                given = policy.param_values.get(node.param) if node.param is not None else node.value
                values = given if isinstance(given, list | tuple | set | frozenset) else [given]
                found.setdefault(node.path, []).extend(v for v in values if isinstance(v, str))
    return {path: tuple(dict.fromkeys(values)) for path, values in found.items()}


def calendar_years(policies: Sequence[Policy]) -> tuple[datetime, datetime]:
    """The wall-clock range facts for ``policies`` are drawn in: the generated years, narrowed
    to the years every calendar the rules name holds the holidays of.

    A calendar cannot judge a day of a year it does not cover (it raises rather than guess),
    so a fact drawn there would report the calendar, not the policy. The range keeps a day
    clear of an uncovered year, as a time zone can move an instant across New Year.
    """
    covered: set[int] | None = None
    for policy in policies:
        for rule in policy.rules:
            for node in walk(rule.when):
                name = getattr(node, "calendar", None)
                years = get_calendar(name).holiday_years if isinstance(name, str) else None
                if years is not None:
                    covered = set(years) if covered is None else covered & set(years)
    if covered is None:
        return EARLIEST, LATEST
    if not covered:
        names = ", ".join(policy.id for policy in policies)
        raise CalendarError(f"the calendars of {names} hold no year in common: no fact can be judged by all of them")
    inside = [year for year in sorted(covered) if EARLIEST.year <= year <= LATEST.year]
    first = inside[0] if inside else (max(covered) if max(covered) < EARLIEST.year else min(covered))
    last = first
    while last + 1 in covered and last + 1 <= max(LATEST.year, first):
        last += 1
    earliest = datetime(first, 1, 1) + (timedelta(days=1) if first - 1 not in covered else timedelta())
    latest = datetime(last, 12, 31, 23, 59, 59) - (timedelta(days=1) if last + 1 not in covered else timedelta())
    return earliest, latest


def targeted_facts(
    policies: Policy | Engine | Sequence[Policy], *, now: datetime | None = None
) -> st.SearchStrategy[tuple[Target | None, BaseModel]]:
    """Pairs of the probe targeted and the fact drawn for it (for reports).

    Every target of ``policies`` is drawn from, and the rest of its rule is mostly steered
    (sometimes not, so other paths still occur); :func:`facts_for_targets` draws for chosen
    targets, optionally always steered.
    """
    model, targets = boundary_targets(policies, now=now)
    return within(facts_for_targets(model, targets, now=now, always_steer=False), *calendar_years(_policies(policies)))


def derived_values(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The derived fields' values in ``data`` before steering (see :func:`carry_into_sources`)."""
    return {name: data.get(name) for name in derived_sources(model)}


def carry_into_sources(data: dict[str, Any], model: type[BaseModel], before: dict[str, Any]) -> None:
    """Carry text steered into a derived field (``greeting``) into its one text source
    (``agent_lines``), which the model derives it from; otherwise the steering is lost."""
    for name, sources in derived_sources(model).items():
        value = data.get(name)
        if value == before.get(name) or not isinstance(value, str) or len(sources) != 1:
            continue
        source = sources[0]
        current = data.get(source)
        if isinstance(current, str):
            data[source] = value
        elif isinstance(current, list) and all(isinstance(item, str) for item in current):
            data[source] = [value, *current[1:]]


def through_sources(filler: Filler, before: dict[str, Any]) -> None:
    """Carry what steering wrote into derived fields into their sources (the model computes
    a derived field and drops a value written into it): text into its one text source, the
    rest by the ways :func:`steer_derived` knows. ``before`` is :func:`derived_values` of the
    fact before steering."""
    carry_into_sources(filler.data, filler.model, before)
    derived = derived_fields(filler.model)
    steer_derived(filler, [path for path in dict.fromkeys(filler.written) if path in derived])


def facts_for_targets(
    model: type[BaseModel], targets: Sequence[Target], *, now: datetime | None, always_steer: bool
) -> st.SearchStrategy[tuple[Target | None, BaseModel]]:
    """Facts of ``model`` for one of ``targets`` each (as :func:`targeted_facts`)."""
    chosen = list(targets)
    if chosen and all(never_reached(model, target.probe.fixed) for target in chosen):
        return st.nothing()  # no fact holds these probes: say so at once rather than search
    base = fact_dicts(model)
    derived = derived_fields(model)

    @st.composite
    def draw(draw: st.DrawFn) -> tuple[Target | None, dict[str, Any]]:
        if not chosen:
            return None, draw(base)
        target = draw(st.sampled_from(chosen))
        with drawn_in(*_drawn_in_days(target)):  # a dated version's facts lie in its days
            return target, steered(draw, target)

    def steered(draw: st.DrawFn, target: Target) -> dict[str, Any]:
        data = draw(base)
        filler = Filler(draw, data, model, now)
        before = derived_values(model, data)
        if always_steer or draw(st.integers(0, 3)) < 3:
            for setter in target.steering:
                setter(filler)
        target.probe.apply(filler)
        through_sources(filler, before)
        settle(draw, model, data, {path.split(".")[0] for path in filler.written})
        return data

    def build(pair: tuple[Target | None, dict[str, Any]]) -> tuple[Target | None, BaseModel] | None:
        target, data = pair
        try:
            fact = model.model_validate(without_derived(model, data))
        except ValidationError:
            return None
        # a probe of a derived field the model computed otherwise was not tried, a fact
        # outside its version's days is judged by another version: drop the fact
        if target is not None and not (reaches(fact, target.probe.fixed, derived) and in_its_days(target, model, fact)):
            return None
        if target is not None and target.probe.misses(fact):  # the model read the probed entry otherwise
            return None
        return target, fact

    return draw().map(build).filter(lambda x: x is not None)  # type: ignore[return-value]


def boundary_facts(
    policies: Policy | Engine | Sequence[Policy], *, now: datetime | None = None
) -> st.SearchStrategy[BaseModel]:
    """Facts placed on both sides of every threshold of ``policies``' rules.

    For ``late_minutes >= 20`` it draws facts 19, 20 and 21 minutes late; for a notice of
    ``24h`` it draws requests exactly 24 h and 24 h ± 1 s ahead; every other field is random.
    Rules that measure time until ``now`` need ``now=`` to place the threshold.

    >>> @given(boundary_facts(policy))                             # doctest: +SKIP
    ... def test_never_two_approvers(fact):
    ...     assert len(engine.evaluate(fact).approvers) <= 1
    """
    return targeted_facts(policies, now=now).map(lambda pair: pair[1])
