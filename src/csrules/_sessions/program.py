"""Compile policies and lifecycles into a session program, shared by every backend.

The program says, per fact type, which window values an event needs (counters, runs),
which rules judge it, which items (work orders) it opens or closes, and which lifecycles it
drives. Counting, windows, deadlines and lifecycle status are csrules' own state; a backend
only decides which rules match, given the values the program computed.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from csrules._engine.compile import CodeGenerator, CompiledRule, hit_selector
from csrules._engine.decision import Obligation, Violation
from csrules._engine.zones import fact_zone, shown_in
from csrules._policy.facts import event_time_field, get_fact_type, path_getter
from csrules._policy.kinds.base import ConditionBase, is_param_key, reads_now_of, walk
from csrules._policy.kinds.core import All
from csrules._policy.kinds.window import (
    WINDOW_KINDS,
    SessionCompileContext,
    StillOpen,
    Window,
    window_dump,
)
from csrules._policy.model import Policy, Rule
from csrules._policy.validity import Timeline, check_versions, day_of, day_start
from csrules._sessions.due import day_count, due_after
from csrules._sessions.lifecycle import Lifecycle, StepDeadline
from csrules._time.durations import WallDuration
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.exceptions import FactError, PolicyError, SessionError, TimeError

if TYPE_CHECKING:
    from csrules._sessions.state import Txn

__all__ = [
    "DEADLINE_KINDS",
    "WINDOW_SLOTS",
    "Counter",
    "DeadlineRule",
    "EventRule",
    "FactProgram",
    "LifecycleProgram",
    "Program",
    "RunTracker",
    "Slot",
    "Tracker",
    "WindowSlotPlan",
    "WindowStep",
    "carried",
    "family",
    "from_us",
    "period_label",
    "rule_key",
    "session_generator",
    "to_us",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

Check = Callable[[Any, "datetime | None", Sequence[Any]], bool]
Predicate = Callable[[Any, "datetime | None"], bool]


def to_us(moment: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, comparable)."""
    return (moment - _EPOCH) // _US


def from_us(value: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=value)


def zoned(value: int, zone: str, fact: object = None) -> datetime:
    """Microseconds since the epoch as a session shows them: in ``fact``'s ``time_zone`` when
    it names one, else in ``zone`` (its policy's). Never in the offset an event or ``now`` was
    written with, so one stream written in +08:00, Z or -05:00 reads alike (as an engine
    shows a due time)."""
    return shown_in(from_us(value), zone, fact)


def fact_body(fact: BaseModel, zone: str) -> dict[str, Any]:
    """``fact`` as a session stores it (JSON), every instant in it shown as :func:`zoned`
    shows one: the same fact written in +08:00 or Z is stored, hashed and judged again at a
    tick alike."""
    return _instants_shown(fact, zone, fact).model_dump(mode="json")  # type: ignore[no-any-return]


def _instants_shown(value: Any, zone: str, fact: BaseModel) -> Any:
    """``value`` with each aware datetime in it (fields of nested models, items of lists,
    tuples and dicts) shown in ``fact``'s zone or ``zone``; ``value`` itself when none moves."""
    if isinstance(value, datetime):
        return value if value.utcoffset() is None else shown_in(value, zone, fact)
    if isinstance(value, BaseModel):
        moved = {name: shown for name in type(value).model_fields
                 if (shown := _instants_shown(was := getattr(value, name), zone, fact)) is not was}
        return value.model_copy(update=moved) if moved else value
    if type(value) in (list, tuple):  # a named tuple is left as it is: built otherwise
        items = [_instants_shown(item, zone, fact) for item in value]
        return type(value)(items) if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        entries = {key: _instants_shown(item, zone, fact) for key, item in value.items()}
        return entries if any(entries[key] is not value[key] for key in value) else value
    return value


def _one_zone(policies: Iterable[Policy], default: str = DEFAULT_TIME_ZONE) -> str:
    """The zone ``policies`` name when they name one alone, else ``default``."""
    zones = {policy.timezone or DEFAULT_TIME_ZONE for policy in policies}
    return zones.pop() if len(zones) == 1 else default


def signature(*parts: Any) -> str:
    """A short stable key for state shared by equal window definitions."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def param_names(cond: Any) -> set[str]:
    """The names of the parameters ``cond`` reads, at any depth (a clock's ``param`` too, and
    a ``contains``'s exception lists ``ignore_param`` ...)."""
    names: set[str] = set()
    stack: list[Any] = [cond.model_dump(mode="json")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            names |= {name for key, name in node.items() if is_param_key(key) and isinstance(name, str)}
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def params_read(cond: Any, params: Mapping[str, Any]) -> str:
    """A signature of the values of the parameters ``cond`` reads (empty when it reads none)."""
    names = param_names(cond)
    return signature(sorted((name, params.get(name)) for name in names)) if names else ""


def shared_key(table: Mapping[str, Any], key: str, reads: str) -> str:
    """``key``, unless the window held under it reads other parameter values: then a key of
    its own. Equal definitions share one window, but two policies whose counted events
    differ only by a parameter's value (their own phrase lists) must each count their own."""
    held = table.get(key)
    return key if held is None or held.reads == reads else signature(key, reads)


def session_generator(model: type[BaseModel]) -> CodeGenerator:
    """The engine's code generator, with a context that knows where window values live."""
    return CodeGenerator(model, "session rule", SessionCompileContext)


# --------------------------------------------------------------------------- pieces


@dataclass(eq=False)
class Counter:
    """Counts the events matching ``match`` per window; nodes with equal definitions share it."""

    key: str
    match: Predicate
    at: Callable[[Any], Any]
    calendar: str | None
    tz: ZoneInfo | None
    rolling_us: int | None
    match_key: str = ""
    """The signature of the ``match`` condition: windows with equal ones share one test
    per event (empty: shares with none)."""
    reads: str = ""
    """The values of the parameters ``match`` reads (see :func:`shared_key`)."""
    item: Callable[[Any, int], str] | None = None
    """The item an event (given its number in the session) is about (``key`` of the node):
    each item counts once, as last sent, at the place it was first counted. None: every
    matching event counts."""
    _labels: dict[int, str] = field(default_factory=dict, repr=False)
    """Period labels by local date ordinal: a period depends on the local date alone."""

    def period(self, moment: datetime) -> str:
        """The calendar period ``moment`` falls in (``2026-01``, ``2026-W03``), in the
        counter's zone (a calendar window always has one), whatever ``moment``'s offset;
        remembered per local date."""
        local = local_time(moment, self.tz)
        day = local.toordinal()
        label = self._labels.get(day)
        if label is None:
            label = period_label(self.calendar, local.date())
            if len(self._labels) >= _LABELS_KEPT:
                self._labels.clear()
            self._labels[day] = label
        return label


_LABELS_KEPT = 4096


def local_time(moment: datetime, tz: ZoneInfo | None) -> datetime:
    """``moment`` on the clocks of ``tz``; a TimeError naming it when that falls outside the
    years a datetime holds (0001-01-01T00:00+08:00 is still year 0 in UTC)."""
    try:
        return moment.astimezone(tz)
    except OverflowError:
        raise TimeError(f"window time {moment.isoformat()} falls outside years 1 to 9999 in "
                        f"{tz}: no calendar period holds it") from None


def period_label(calendar: str | None, day: date) -> str:
    """The label of the calendar period (``month``, ``day``, ``week``, else year) holding
    local date ``day``: ``2026-01``, ``2026-01-05``, ``2026-W02``, ``2026``."""
    if calendar == "month":
        return "%04d-%02d" % (day.year, day.month)  # noqa: UP031 - faster than an f-string
    if calendar == "day":
        return day.isoformat()
    if calendar == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{day.year:04d}"


@dataclass(eq=False)
class RunTracker:
    """Counts consecutive events matching ``match`` (a run), for ``in_a_row``."""

    key: str
    match: Predicate
    match_key: str = ""
    """As :attr:`Counter.match_key`."""
    reads: str = ""
    """As :attr:`Counter.reads`."""
    item: Callable[[Any, int], str] | None = None
    """The item an event is about (``key`` of the node), as :attr:`Counter.item`: an item
    sent again keeps its place in the run. None: every event counts."""


@dataclass(eq=False)
class Slot:
    """One window node of one rule: where its value comes from."""

    index: int
    cond: ConditionBase
    counter: Counter | None = None
    run: RunTracker | None = None
    nth: bool = False
    """True for ``nth`` (the value is 0 unless the current event matches)."""

    def plan(self) -> WindowSlotPlan:
        """Where the hot path finds this slot's value."""
        if self.counter is not None:
            return WindowSlotPlan(True, self.counter.key, self.nth)
        assert self.run is not None
        return WindowSlotPlan(False, self.run.key, False)


class WindowSlotPlan(NamedTuple):
    """Where one slot's value comes from, for the hot path: a counter or a run, by key."""

    counted: bool
    """True for a counter, False for a run."""
    key: str
    nth: bool
    """True for ``nth``: the count only when the current event matches, else 0."""


@dataclass(eq=False)
class EventRule:
    """A rule judged when an event of its fact type arrives."""

    position: int
    key: str
    policy: Policy
    rule: Rule
    compiled: CompiledRule
    check: Check
    source: str
    slots: tuple[Slot, ...]
    version: str | None = field(init=False, default=None)
    """The version each firing names: its dated policy's, None for an undated one."""

    def __post_init__(self) -> None:
        self.version = self.policy.version if self.policy.dated else None  # the policy is frozen


def _reads_now(rule: EventRule) -> bool:
    """Whether an event rule needs ``now`` (a host handler's fault names the rule)."""
    try:
        return reads_now_of(rule.rule.when)
    except PolicyError as exc:
        raise exc.located(policy_id=rule.policy.id, rule_id=rule.rule.id) from exc.__cause__


@dataclass(eq=False)
class DeadlineRule:
    """A rule judged at ticks for each open item of its tracker (``still_open``)."""

    position: int
    key: str
    policy: Policy
    rule: Rule
    compiled: CompiledRule
    node: StillOpen
    after_us: int
    check: Check
    source: str
    tracker: Tracker | None = None
    active_us: tuple[int | None, int | None] | None = None
    """The instants ``[from, until)`` its dated policy's version is in force (None: open;
    None for an undated policy)."""
    days: int | None = None
    """``after`` as whole days on the wall clock (see :mod:`csrules._sessions.due`), or None
    when it is elapsed time."""

    def due_us(self, since_us: int, fact: object) -> int:
        """When the rule is reached for an item opened at ``since_us``: ``after`` later, whole
        days counted on the wall clock of ``fact``'s zone (its ``time_zone``, else the policy's)."""
        if self.days is None:
            return since_us + self.after_us
        return due_after(since_us, self.after_us, self.days,
                         fact_zone(fact, self.policy.timezone or DEFAULT_TIME_ZONE))

    @property
    def family(self) -> str:
        """The rule's key without its version: one deadline fires once per item, whichever
        version of its policy was in force when it was reached."""
        return family(self.key)


@dataclass(eq=False)
class Tracker:
    """Open items (work orders) of one fact type, keyed by a field; shared by equal
    ``still_open`` definitions."""

    position: int
    key: str
    fact_type: str
    model: type[BaseModel]
    item_key: Callable[[Any], Any] | None
    since: Callable[[Any], Any]
    closed: Predicate
    rules: list[DeadlineRule] = field(default_factory=list)
    reads: str = ""
    """As :attr:`Counter.reads`, for ``closed``."""


@dataclass(eq=False)
class LifecycleProgram:
    """A lifecycle ready to run: guards compiled, deadlines in microseconds."""

    position: int
    lifecycle: Lifecycle
    model: type[BaseModel]
    event: Callable[[Any], Any]
    guards: tuple[Predicate | None, ...]
    obligations: tuple[Obligation, ...]
    breaches: tuple[Violation, ...]
    zone: str = DEFAULT_TIME_ZONE
    """Where its due times are shown when the event names no ``time_zone``: the zone of its
    fact type's policies, else of the session's."""

    @property
    def id(self) -> str:
        """The lifecycle id."""
        return self.lifecycle.id

    def deadline(self, index: int) -> StepDeadline:
        """The deadline at ``index``."""
        return self.lifecycle.deadlines[index]

    def due_us(self, index: int, start: datetime, fact: object) -> int:
        """When deadline ``index`` started at ``start`` falls: the value in force then, whole
        days counted on the wall clock of ``fact``'s zone (its ``time_zone``, else :attr:`zone`)."""
        within = self.lifecycle.deadlines[index].within_at(start)
        return due_after(to_us(start), within.delta // _US, day_count(within), fact_zone(fact, self.zone))


@dataclass(eq=False)
class FactProgram:
    """Everything a session does with one fact type."""

    fact_type: str
    model: type[BaseModel]
    counters: list[Counter] = field(default_factory=list)
    runs: list[RunTracker] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    rules: list[EventRule] = field(default_factory=list)
    trackers: list[Tracker] = field(default_factory=list)
    lifecycles: list[LifecycleProgram] = field(default_factory=list)
    hit: dict[str, str] = field(default_factory=dict)
    reads_now: bool = False
    window_plan: tuple[WindowSlotPlan, ...] = ()
    """Per slot, in slot order: where its value comes from, for the hot path."""
    selector: Callable[[list[int]], list[int]] | None = None
    """Applies the hit policies (:func:`~csrules._engine.compile.hit_selector`); None when
    every policy collects."""
    step: WindowStep | None = None
    """The generated window step (:func:`window_step`): counts, runs and window values."""
    timeline: Timeline | None = None
    """The type's policies cut at their validity days; None when none is dated."""
    in_force: tuple[frozenset[int], ...] = ()
    """Per stretch of the timeline: the positions of the event rules in force in it."""
    deadlines_in_force: tuple[frozenset[int], ...] = ()
    """Per stretch of the timeline: the positions of the deadline rules in force in it."""
    event_time: Callable[[Any], Any] | None = None
    """The fact's own time (its type's ``event_time``), which chooses the versions in force."""

    def rules_in_force(self, fact: Any, now: datetime | None) -> frozenset[int] | None:
        """The event rules of the versions in force on the event's day (its own time, else
        ``now``); None when every rule is (no policy of the type is dated)."""
        if self.timeline is None:
            return None
        when = self.event_time(fact) if self.event_time is not None else None
        when = now if when is None else when
        if when is None:
            raise FactError(f"the {self.fact_type} session policies have dated versions and the event names "
                            "no time: pass now= to choose the version in force", fact_type=self.fact_type)
        if when.utcoffset() is None:
            raise TimeError(f"the time {when.isoformat()} choosing the version in force has no time zone")
        return self.in_force[self.timeline.stretch_at(when)]

    def deadlines_at(self, moment: datetime) -> frozenset[int] | None:
        """The deadline rules of the versions in force at ``moment`` (None: all of them). A
        policy with no version in force there (a gap, or before its first) has none."""
        if self.timeline is None:
            return None
        return self.deadlines_in_force[bisect.bisect_right(self.timeline.starts, moment)]

    def gaps_at(self, moment: datetime) -> list[str]:
        """What a tick at ``moment`` reports of the dated policies with no version in force
        there: their deadlines do not fire."""
        timeline = self.timeline
        if timeline is None:
            return []
        present = {p.id for p in timeline.stretches[bisect.bisect_right(timeline.starts, moment)]}
        day = day_of(moment, timeline.zone)
        return [f"no version of policy {policy_id!r} is in force on {day}: its deadlines do not fire"
                for policy_id in timeline.ids if policy_id not in present]

    def select(self, matched: list[int]) -> list[int]:
        """Apply each policy's hit policy to the matched rule positions (in rule order)."""
        if not matched or self.selector is None:
            return matched
        return self.selector(matched)


@dataclass(eq=False)
class Program:
    """Policies and lifecycles compiled for sessions."""

    policies: tuple[Policy, ...]
    lifecycles: tuple[LifecycleProgram, ...]
    facts: dict[str, FactProgram]
    by_class: dict[type, FactProgram]
    trackers: tuple[Tracker, ...]
    deadline_rules: tuple[DeadlineRule, ...]
    fingerprint: str
    zone: str = DEFAULT_TIME_ZONE
    """Where a time no fact places is shown (a subject's clock): the zone the policies name,
    when they name one alone."""
    counter_aliases: dict[str, str] = field(default_factory=dict)
    """Counter keys of states written before calendar windows spelt out their zone -> the
    key the counter has now (a stored state under the old key is read under the new)."""
    run_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Run keys of states written before the runs were keyed -> the key of every keyed run
    that run became (the stored length is read as each one's, no item of it known)."""
    engine_text: str | None = field(default=None, repr=False)
    """What stored documents carry as their ``engine`` (set by
    :func:`csrules._sessions.migrate.fingerprint` when first asked: every stored document
    carries it, so it is built once per program)."""

    @cached_property
    def counter_index(self) -> dict[str, Counter]:
        """Every counter by key (for checking a stored state)."""
        return {c.key: c for fp in self.facts.values() for c in fp.counters}

    @cached_property
    def run_index(self) -> dict[str, RunTracker]:
        """Every run by key (for checking a stored state)."""
        return {r.key: r for fp in self.facts.values() for r in fp.runs}

    @cached_property
    def tracker_index(self) -> dict[str, Tracker]:
        """Every item tracker by key (for checking a stored state)."""
        return {t.key: t for t in self.trackers}

    @cached_property
    def lifecycle_index(self) -> dict[str, LifecycleProgram]:
        """Every lifecycle by id (for checking a stored state)."""
        return {lp.id: lp for lp in self.lifecycles}

    def fact_program(self, model: type) -> FactProgram | None:
        """The fact program for a fact class (or one of its bases)."""
        for cls in model.__mro__:
            found = self.by_class.get(cls)
            if found is not None:
                return found
        return None


# --------------------------------------------------------------------------- building


def _window_parts(window: Window | None, params: dict[str, Any]) -> tuple[str | None, ZoneInfo | None, int | None]:
    if window is None:
        return None, None, None
    if window.calendar is not None:
        return window.calendar, ZoneInfo(window.tz or DEFAULT_TIME_ZONE), None
    span = window.rolling if window.param is None else params[window.param]
    if not isinstance(span, WallDuration):
        raise PolicyError(f"window {span} must be clock time")
    return None, None, span.delta // _US


def _deadline_node(rule: Rule, policy: Policy) -> StillOpen | None:
    """The rule's ``still_open`` node, checked to sit in a chain of ``all`` from the top."""
    nodes = [n for n in walk(rule.when) if n.kind in DEADLINE_KINDS]
    if not nodes:
        return None
    pid, rid = policy.id, rule.id
    if len(nodes) > 1:
        raise PolicyError("a rule can have only one still_open condition", policy_id=pid, rule_id=rid)
    others = [n.kind for n in walk(rule.when) if n.kind in WINDOW_KINDS and n is not nodes[0]]
    if others:
        raise PolicyError(f"still_open cannot be combined with {', '.join(others)} in one rule",
                          policy_id=pid, rule_id=rid)
    node: ConditionBase = rule.when
    while node is not nodes[0]:
        if not isinstance(node, All) or not any(_contains(child, nodes[0]) for child in node.of):
            raise PolicyError(
                "still_open must be the condition itself or part of an 'all' (not under "
                "'any' or 'not'): a deadline fires once when reached", policy_id=pid, rule_id=rid)
        node = next(child for child in node.of if _contains(child, nodes[0]))
    return cast("StillOpen", nodes[0])


def _contains(tree: ConditionBase, target: ConditionBase) -> bool:
    return any(n is target for n in walk(tree))


def compile_program(
    policies: Iterable[Policy], lifecycles: Iterable[Lifecycle] = ()
) -> Program:
    """Compile ``policies`` and ``lifecycles`` into a :class:`Program`."""
    policies = tuple(policies)
    lifecycles = tuple(lifecycles)
    if not policies and not lifecycles:
        raise PolicyError("a session engine needs at least one policy or lifecycle")
    check_versions(policies)  # versions of one policy: days apart, one fact type and zone
    ids = [p.id for p in policies if not p.dated] + list({p.id: p for p in policies if p.dated})
    ids += [lc.id for lc in lifecycles]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise PolicyError(f"policy and lifecycle ids must be unique (repeated: {', '.join(repeated)})")
    facts: dict[str, FactProgram] = {}
    generators: dict[str, CodeGenerator] = {}
    counters: dict[str, Counter] = {}
    runs: dict[str, RunTracker] = {}
    aliases: dict[str, str] = {}
    run_aliases: dict[str, tuple[str, ...]] = {}
    unkeyed_reads: dict[str, str] = {}
    trackers: dict[str, Tracker] = {}
    deadline_rules: list[DeadlineRule] = []

    def fact_program(fact_type: str) -> FactProgram:
        if fact_type not in facts:
            model = get_fact_type(fact_type)
            facts[fact_type] = FactProgram(fact_type, model)
            generators[fact_type] = session_generator(model)
        return facts[fact_type]

    for policy in policies:
        if not isinstance(policy, Policy):
            raise PolicyError(f"expected Policy objects, got {type(policy).__name__}")
        fp = fact_program(policy.fact_type)
        compiler = generators[policy.fact_type]
        params = policy.param_values
        if fp.hit.setdefault(policy.id, policy.hit_policy) != policy.hit_policy:
            raise PolicyError(f"version {policy.version!r} has hit policy {policy.hit_policy!r}, another version "
                              f"{fp.hit[policy.id]!r}: the versions of one session policy share one",
                              policy_id=policy.id)
        for rule in policy.rules:
            try:
                _add_rule(policy, rule, params, fp, compiler,
                          _Shared(counters, runs, aliases, run_aliases, unkeyed_reads), trackers, deadline_rules)
            except PolicyError as exc:
                raise exc.located(policy_id=policy.id, rule_id=rule.id) from None
    lc_programs: list[LifecycleProgram] = []
    zone = _one_zone(policies)
    for lifecycle in lifecycles:
        if not isinstance(lifecycle, Lifecycle):
            raise PolicyError(f"expected Lifecycle objects, got {type(lifecycle).__name__}")
        fp = fact_program(lifecycle.fact_type)
        compiler = generators[lifecycle.fact_type]
        guards = tuple(
            None if move.guard is None else compiler.function(move.guard, {}, slots={})[0]
            for move in lifecycle.transitions
        )
        lp = LifecycleProgram(
            position=len(lc_programs),
            lifecycle=lifecycle,
            model=fp.model,
            event=path_getter(lifecycle.event_field),
            guards=guards,
            obligations=tuple(
                Obligation(lifecycle.id, d.id, d.action, d.who) for d in lifecycle.deadlines
            ),
            breaches=tuple(
                Violation(lifecycle.id, d.id, d.breach.code, d.breach.severity, d.breach.message,
                          d.breach.consequence)
                for d in lifecycle.deadlines
            ),
            zone=_one_zone([p for p in policies if p.fact_type == lifecycle.fact_type], zone),
        )
        fp.lifecycles.append(lp)
        lc_programs.append(lp)
    for fp in facts.values():
        fp.counters = [c for c in counters.values() if any(s.counter is c for s in fp.slots)]
        fp.runs = [r for r in runs.values() if any(s.run is r for s in fp.slots)]
        fp.reads_now = any(_reads_now(r) for r in fp.rules)
        fp.window_plan = tuple(slot.plan() for slot in fp.slots)
        fp.selector = hit_selector([r.compiled for r in fp.rules], fp.hit)
        fp.step = window_step(fp)
        _date_versions(fp, [p for p in policies if p.fact_type == fp.fact_type], deadline_rules)
    fingerprint = signature(
        [p.model_dump(mode="json") for p in policies],
        [lc.model_dump(mode="json", by_alias=True) for lc in lifecycles],
    )
    return Program(
        policies=policies,
        lifecycles=tuple(lc_programs),
        facts=facts,
        by_class={fp.model: fp for fp in facts.values()},
        trackers=tuple(trackers.values()),
        deadline_rules=tuple(deadline_rules),
        fingerprint=fingerprint,
        zone=zone,
        counter_aliases={old: new for old, new in aliases.items() if old not in counters},
        run_aliases=run_aliases,
    )


def _date_versions(fp: FactProgram, policies: list[Policy], deadline_rules: list[DeadlineRule]) -> None:
    """Give ``fp`` its timeline and the rules in force in each stretch, when a policy is dated."""
    if not any(policy.dated for policy in policies):
        return
    fp.timeline = Timeline(policies)
    fp.event_time = path_getter(name) if (name := event_time_field(fp.model)) else None
    stretches = [{id(p) for p in stretch} for stretch in fp.timeline.stretches]
    fp.in_force = tuple(frozenset(r.position for r in fp.rules if id(r.policy) in ids) for ids in stretches)
    fp.deadlines_in_force = tuple(
        frozenset(r.position for r in deadline_rules if id(r.policy) in ids) for ids in stretches)
    zone = fp.timeline.zone  # the zone the timeline places a tick in, so next_due agrees with it
    for rule in deadline_rules:
        if rule.policy.fact_type == fp.fact_type and rule.policy.dated:
            start, end = rule.policy.valid_from, rule.policy.valid_until
            rule.active_us = (None if start is None else to_us(day_start(start, zone)),
                              None if end is None else to_us(day_start(end, zone)))


def family(key: str) -> str:
    """A rule key without its version (``policy/rule``): ids never hold an ``@``."""
    return key.split("@", 1)[0]


def rule_key(policy: Policy, rule: Rule) -> str:
    """The key of ``rule`` in sessions: ``policy/rule``, and ``@version`` for a dated policy,
    so that each version's rule has its own (durable rule names, fired marks, fingerprints)."""
    key = f"{policy.id}/{rule.id}"
    if not policy.dated:
        return key
    # a version is free text: one that could break a stored fingerprint is written as a hash
    version = policy.version if _PLAIN_VERSION.fullmatch(policy.version) else f"~{signature(policy.version)}"
    return f"{key}@{version}"


_PLAIN_VERSION = re.compile(r"[A-Za-z0-9_.@\-]+")


def _add_rule(
    policy: Policy,
    rule: Rule,
    params: dict[str, Any],
    fp: FactProgram,
    compiler: CodeGenerator,
    shared: _Shared,
    trackers: dict[str, Tracker],
    deadline_rules: list[DeadlineRule],
) -> None:
    compiled = CompiledRule.of(policy, rule)
    key = rule_key(policy, rule)
    node = _deadline_node(rule, policy)
    if node is not None:
        after = node.after if node.param is None else params[node.param]
        if not isinstance(after, WallDuration):
            raise PolicyError(f"still_open needs clock time (got {after})")
        check, source = compiler.function(rule.when, params, slots={id(node): "w[0]"}, with_w=True)
        closed = compiler.function(node.closed, params, slots={})[0]
        reads = params_read(node.closed, params)
        tracker_key = shared_key(trackers, signature("item", fp.fact_type, node.key, node.since,
                                                     node.closed.model_dump(mode="json")), reads)
        tracker = trackers.get(tracker_key)
        if tracker is None:
            tracker = Tracker(len(trackers), tracker_key, fp.fact_type, fp.model,
                              path_getter(node.key) if node.key else None, path_getter(node.since), closed,
                              reads=reads)
            trackers[tracker_key] = tracker
            fp.trackers.append(tracker)
        deadline = DeadlineRule(len(deadline_rules), key, policy, rule, compiled, node,
                                after.delta // _US, check, source, tracker, days=day_count(after))
        tracker.rules.append(deadline)
        deadline_rules.append(deadline)
        return
    slots: dict[int, str] = {}
    rule_slots: list[Slot] = []
    for each in walk(rule.when):
        make = WINDOW_SLOTS.get(each.kind)
        if make is None or id(each) in slots:
            continue
        cond: Any = each  # a window kind: it has the ``match`` its events must meet
        match = compiler.function(cond.match, params, slots={})[0]
        slot = make(_SlotBuild(fp, params, shared.counters, shared.runs, shared.aliases,
                                shared.run_aliases, shared.unkeyed_reads), cond, match)
        fp.slots.append(slot)
        rule_slots.append(slot)
        slots[id(cond)] = f"w[{slot.index}]"
    check, source = compiler.function(rule.when, params, slots=slots, with_w=True)
    fp.rules.append(EventRule(len(fp.rules), key, policy, rule, compiled, check, source,
                              tuple(rule_slots)))


@dataclass(frozen=True, slots=True)
class _Shared:
    """The counters and runs shared by equal window definitions, and their old keys."""

    counters: dict[str, Counter]
    runs: dict[str, RunTracker]
    aliases: dict[str, str]
    run_aliases: dict[str, tuple[str, ...]]
    unkeyed_reads: dict[str, str]


@dataclass(frozen=True, slots=True)
class _SlotBuild:
    """What a window slot is built in: its fact program and the shared counters and runs."""

    fp: FactProgram
    params: dict[str, Any]
    counters: dict[str, Counter]
    runs: dict[str, RunTracker]
    aliases: dict[str, str]
    run_aliases: dict[str, tuple[str, ...]]
    unkeyed_reads: dict[str, str]


def _counter_slot(build: _SlotBuild, cond: Any, match: Predicate, *, nth: bool) -> Slot:
    """A slot whose value is a count in the node's window (shared by equal definitions)."""
    fp = build.fp
    calendar, tz, rolling = _window_parts(cond.window, build.params)
    matching = cond.match.model_dump(mode="json")
    reads = params_read(cond.match, build.params)
    keyed = [list(cond.key_paths)] if cond.key_paths else ["days"] if cond.days else []

    def named(window: Any) -> str:
        return signature("count", fp.fact_type, matching, cond.at, window, rolling, *keyed)

    base = named(window_dump(cond.window))
    key = shared_key(build.counters, base, reads)
    written = named(None if cond.window is None else cond.window.model_dump(mode="json"))
    if written != base:  # the key a state written before zones were spelt out holds it under
        build.aliases[written if key == base else signature(written, reads)] = key
    at = path_getter(cond.at)
    item = _item_of(cond.key_paths) if cond.key_paths else _day_of(at, tz) if cond.days and tz else None
    counter = build.counters.setdefault(
        key, Counter(key, match, at, calendar, tz, rolling,
                     signature("match", build.params, matching), reads=reads, item=item))
    return Slot(len(fp.slots), cond, counter=counter, nth=nth)


def _run_slot(build: _SlotBuild, cond: Any, match: Predicate) -> Slot:
    """A slot whose value is the length of the current run of matching events."""
    fp = build.fp
    matching = cond.match.model_dump(mode="json")
    reads = params_read(cond.match, build.params)
    unkeyed = signature("run", fp.fact_type, matching)
    first = build.unkeyed_reads.setdefault(unkeyed, reads)  # what the first such run read
    paths = cond.key_paths
    key = shared_key(build.runs, signature(unkeyed, list(paths)) if paths else unkeyed, reads)
    if paths:  # a state written before the run was keyed holds its length under the key the
        # unkeyed run had (shared_key's, among unkeyed runs), which runs keyed apart all go on from
        old = unkeyed if first == reads else signature(unkeyed, reads)
        if key not in (became := build.run_aliases.get(old, ())):
            build.run_aliases[old] = (*became, key)
    run = build.runs.setdefault(
        key, RunTracker(key, match, signature("match", build.params, matching), reads=reads,
                        item=_item_of(paths) if paths else None))
    return Slot(len(fp.slots), cond, run=run)


SlotMaker = Callable[[_SlotBuild, Any, Predicate], Slot]
"""Builds the slot of one window node, given the compiled ``match`` of its events."""

WINDOW_SLOTS: dict[str, SlotMaker] = {
    "count": partial(_counter_slot, nth=False),
    "nth": partial(_counter_slot, nth=True),
    "in_a_row": _run_slot,
}
"""Window kind -> how its value is kept per event: a new window kind is one entry here."""

DEADLINE_KINDS = frozenset({"still_open"})
"""Kinds decided at ticks, per open item, rather than per event."""



# --------------------------------------------------------------------------- window steps

WindowStep = Callable[["Txn", Any, "datetime | None"], tuple[list[Any], dict[int, str]]]
"""One fact type's window step: ``(txn, fact, now) -> (window values by slot, failed
slots)``. It updates every counter and run of the type in ``txn``; a slot whose window
condition raised is in the failed slots with the reason (its value then counts as 0)."""

_MIN_US = to_us(datetime.min.replace(tzinfo=UTC))  # the instants a session clock carries
_MAX_US = to_us(datetime.max.replace(tzinfo=UTC))


def carried(value_us: int, moment: datetime, what: str = "now") -> None:
    """Refuse an instant outside what a session clock carries (its UTC form must exist)."""
    if not _MIN_US <= value_us <= _MAX_US:
        raise TimeError(f"{what} {moment.isoformat()} is outside the instants a session clock "
                        "carries (0001-01-01 to 9999-12-31 in UTC)")


def window_step(fp: FactProgram) -> WindowStep:
    """Generate ``fp``'s window step: every counter, then every run, unrolled in one
    function with its matchers and counters bound as globals of that function, and the
    window values written as one list display.

    What it computes is what the loop over ``fp.counters`` and ``fp.runs`` computed:
    a counter or run whose condition raises is skipped (value 0) and reported against the
    slots that read it; an event without its window time counts nowhere (value 0).
    """
    env: dict[str, Any] = {"_fail": _fail, "_failed_slots": _failed_slots, "fp": fp}
    lines = ["def step(txn, fact, now):", "    failed = None"]
    tested: dict[str, str] = {}  # match signature -> the variable holding its result

    def test(window: Counter | RunTracker, name: str, keys: str) -> list[str]:
        """Lines setting ``name`` to the window's match (shared with an equal earlier one:
        the same test, so the same result, or the same exception, already recorded)."""
        known = tested.get(window.match_key) if window.match_key else None
        if known is not None:
            return [f"    {name} = {known}", f"    if {known} is None:",
                    f"        failed[{keys}] = failed[{known}_key]"]
        tested[window.match_key] = name
        env[f"{name}_test"] = window.match
        return ["    try:", f"        {name} = True if {name}_test(fact, now) else False",
                "    except Exception as exc:", f"        {name} = None",
                f"        failed = _fail(failed, {keys}, exc)", f"    {name}_key = {keys}"]

    counter_at: dict[str, int] = {}
    for i, counter in enumerate(fp.counters):
        counter_at[counter.key] = i
        counting, bound = _counting(counter)
        env[f"count{i}"], env[f"K{i}"] = counting, counter.key
        names = []
        for n, value in enumerate(bound):  # the counting function's leading arguments
            env[f"a{i}_{n}"] = value
            names.append(f"a{i}_{n}, ")
        lines += test(counter, f"m{i}", f"K{i}")
        lines += [f"    c{i} = 0 if m{i} is None else count{i}({''.join(names)}txn, fact, m{i})"]
    run_at: dict[str, int] = {}
    for j, run in enumerate(fp.runs):
        run_at[run.key] = j
        env[f"R{j}"] = run.key
        lines += test(run, f"r{j}", f"R{j}")
        if run.item is not None:
            env[f"run{j}"], env["_step_keyed_run"] = run, step_keyed_run
            lines += [f"    n{j} = 0 if r{j} is None else _step_keyed_run(run{j}, txn, fact, r{j})"]
            continue
        lines += [
            f"    if r{j} is None:",
            f"        n{j} = 0",
            "    else:",
            f"        n{j} = txn.run(R{j}) + 1 if r{j} else 0",
            f"        txn.set_run(R{j}, n{j})",
        ]
    values = []
    for plan in fp.window_plan:
        if plan.counted:
            i = counter_at[plan.key]
            values.append(f"(c{i} if m{i} else 0)" if plan.nth else f"c{i}")
        else:
            values.append(f"n{run_at[plan.key]}")
    lines += [
        f"    w = [{', '.join(values)}]",
        "    return (w, {}) if failed is None else (w, _failed_slots(fp, failed))",
    ]
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<window step of {fp.fact_type}>", "exec"), env)
    step: WindowStep = env["step"]
    return step


KEPT_RUN_ITEMS = 400
"""The latest items a keyed run remembers (over a year of daily shifts): an item sent again
within them is not counted again; an older one counts as new."""


def keyed_run(value: dict[str, Any] | None) -> tuple[int, list[str], list[int]]:
    """A keyed run's stored value as (the run's length before its first kept item, the kept
    items in the order first sent, the run's length at each, 0 where it did not match); None
    (no event yet) is an empty run. A state written before the run was keyed is given the
    keyed form when loaded."""
    if value is None:
        return 0, [], []
    return value["b"], value["k"], value["n"]


def step_keyed_run(run: RunTracker, txn: Txn, fact: Any, matched: bool) -> int:
    """The length of the run at the event's item, which keeps the place it was first sent
    at: a new item extends (or, not matching, breaks) the run; an item sent again with the
    same outcome changes nothing and is answered as before; one sent with the other
    outcome replaces it, and the lengths of the items after it follow."""
    assert run.item is not None
    base, items, lengths = keyed_run(txn.run_record(run.key))
    item = run.item(fact, txn.seq)
    try:
        at = items.index(item)  # items and lengths are parallel lists: a look-up in C
    except ValueError:
        at = len(items)
    length = (lengths[at - 1] if at else base) + 1 if matched else 0
    if at < len(items):
        if lengths[at] == length:
            return length
        changed = lengths[:at]
        changed.append(length)
        for was in lengths[at + 1:]:  # the items sent after it: their runs follow from it
            changed.append(changed[-1] + 1 if was else 0)
        lengths = changed
    else:
        items, lengths = [*items, item], [*lengths, length]
    if len(items) > KEPT_RUN_ITEMS:
        base, items, lengths = lengths[0], items[1:], lengths[1:]
    txn.set_run(run.key, {"b": base, "k": items, "n": lengths})
    return length


def _fail(failed: dict[str, str] | None, key: str, exc: Exception) -> dict[str, str]:
    """``failed`` with the reason window ``key``'s condition raised ``exc``."""
    failed = failed or {}
    failed[key] = f"window condition failed: {type(exc).__name__}: {exc}"
    return failed


def _failed_slots(fp: FactProgram, failed: dict[str, str]) -> dict[int, str]:
    """The slots reading a failed counter or run, by index, with the reason."""
    return {index: failed[slot.key] for index, slot in enumerate(fp.window_plan)
            if slot.key in failed}


Counting = Callable[..., int]
"""Update one counter for an event (``matched`` or not); the count in the event's window.
Called with the arguments :func:`_counting` names, then ``txn, fact, matched``."""


def _item_of(paths: tuple[str, ...]) -> Callable[[Any, int], str]:
    """The item an event (the ``seq``-th of its session, from 0) is about: the values at
    ``paths``, instants as instants (the same call written with another UTC offset is the
    same call), numbers and text kept apart (``1`` is not ``"1"``). An event missing a key
    value is an item of its own: events that cannot say which item they are about are never
    merged into one."""
    getters = [path_getter(path) for path in paths]

    def item(fact: Any, seq: int) -> str:
        values = [get(fact) for get in getters]
        if any(v is None for v in values):
            return json.dumps(["#event", seq + 1])
        return json.dumps([_item_part(v) for v in values], ensure_ascii=False)

    return item


def _day_of(at: Callable[[Any], Any], tz: ZoneInfo) -> Callable[[Any, int], str]:
    """The item of a count of days: the local date (in ``tz``) of the event's window time."""

    def item(fact: Any, seq: int) -> str:
        return str(local_time(at(fact), tz).date())

    return item


def _item_part(value: Any) -> Any:
    """One key value as the item names it: an instant as microseconds, JSON scalars as they
    are, anything else (a date, a decimal) as its text."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return to_us(value)
    if isinstance(value, (str, int, float)):
        return value
    return str(value)


def _counting(counter: Counter) -> tuple[Counting, tuple[Any, ...]]:
    """The counting function for ``counter``'s kind of window (total, calendar, rolling) and
    its leading arguments (the generated step passes them itself: no partial per event)."""
    if counter.item is not None:
        return _count_items, (counter,)
    if counter.calendar is not None:
        return _count_calendar, (counter.key, counter.at, counter.period)
    if counter.rolling_us is not None:
        return _count_rolling, (counter.key, counter.at, counter.rolling_us)
    return _count_total, (counter.key,)


def _count_total(key: str, txn: Txn, fact: Any, matched: bool) -> int:
    """Every matching event of the session so far."""
    total = int(txn.counter(key) or 0) + (1 if matched else 0)
    if matched:
        txn.set_counter(key, total)
    return total


def _naive_window_time(moment: datetime) -> TimeError:
    """The error for an event whose window time has no time zone."""
    return TimeError(f"window time {moment.isoformat()} has no time zone")


KEPT_PERIODS = 24
"""The calendar periods a counter keeps per subject: a late event may reach back this far."""

LATE_US = 62 * 86_400 * 1_000_000
"""How much older than a subject's newest event a rolling window's event may be: the times
kept reach back this far before the window."""


def _too_old(moment: datetime, kept: str) -> SessionError:
    return SessionError(
        f"an event with window time {moment.isoformat()} is older than the history this "
        f"session keeps for its window ({kept}): its count cannot be known, so it is refused"
    )


def _count_calendar(key: str, at: Callable[[Any], Any], period: Callable[[datetime], str],
                    txn: Txn, fact: Any, matched: bool) -> int:
    """Matching events in the event's calendar period. The last ``KEPT_PERIODS`` periods
    are kept, so a late event still counts the events before it; an event older than
    those is refused, never counted from a history that was let go."""
    moment = at(fact)  # the event's window time: none, and it counts nowhere
    if moment is None:
        return 0
    if moment.utcoffset() is None:
        raise _naive_window_time(moment)
    label = period(moment)
    periods = txn.counter(key) or {}
    if label not in periods and len(periods) >= KEPT_PERIODS and label < min(periods):
        raise _too_old(moment, f"the {KEPT_PERIODS} periods from {min(periods)}")
    count: int = periods.get(label, 0) + (1 if matched else 0)
    if matched:
        periods = {**periods, label: count}
        if len(periods) > KEPT_PERIODS:
            periods = {p: periods[p] for p in sorted(periods)[-KEPT_PERIODS:]}
        txn.set_counter(key, periods)
    return count


def _count_items(counter: Counter, txn: Txn, fact: Any, matched: bool) -> int:
    """A matching event's item's place among the items matching in its window: the items
    first counted no later than it, each as its latest event says (an item sent again keeps
    its place, so a re-sent first call stays the first). An event that does not match sees
    every item counted in its window.

    The state maps each counted item to ``[where, n]``: where it falls (its calendar period,
    its instant, or 1 without a window) and the number of the event that first counted it;
    an item whose latest event no longer matches is dropped."""
    moment = counter.at(fact)
    if moment is None:
        return 0
    if moment.utcoffset() is None:
        raise _naive_window_time(moment)
    assert counter.item is not None
    if counter.calendar is not None:
        here: Any = counter.period(moment)
        within: Callable[[Any], bool] = lambda period: period == here  # noqa: E731 - one comparison
    elif counter.rolling_us is not None:
        here = to_us(moment)
        carried(here, moment, "window time")
        span = counter.rolling_us
        within = lambda t: here - span < t <= here  # noqa: E731 - one comparison
    else:
        here, within = 1, lambda _: True
    items = {item: counted_at(entry) for item, entry in (txn.counter(counter.key) or {}).items()}
    _check_not_too_old(counter, {item: where for item, (where, _) in items.items()}, here, moment)
    item = counter.item(fact, txn.seq)
    was = items.pop(item, None)
    if matched:
        first = txn.seq + 1 if was is None else was[1]
        items[item] = (here, first)
    if matched or was is not None:
        kept = _kept_items(counter, {i: where for i, (where, _) in items.items()})
        txn.set_counter(counter.key, {i: [where, items[i][1]] for i, where in kept.items()})
    if not matched:
        return sum(1 for where, _ in items.values() if within(where))
    return sum(1 for where, n in items.values() if n <= first and within(where))


def counted_at(entry: Any) -> tuple[Any, int]:
    """A keyed counter's stored entry as (where, number of the event that first counted it);
    an entry written before items kept their place (``where`` alone) reads as counted first."""
    if isinstance(entry, list):
        return entry[0], entry[1]
    return entry, 0


def _check_not_too_old(counter: Counter, items: dict[str, Any], here: Any, moment: datetime) -> None:
    """Refuse an event older than the history a keyed counter keeps (as unkeyed ones do)."""
    if not items:
        return
    if counter.calendar is not None:
        periods = set(items.values())
        if here not in periods and len(periods) >= KEPT_PERIODS and here < min(periods):
            raise _too_old(moment, f"the {KEPT_PERIODS} periods from {min(periods)}")
    elif counter.rolling_us is not None and here < max(items.values()) - LATE_US:
        raise _too_old(moment, "62 days before its newest event")


def _kept_items(counter: Counter, items: dict[str, Any]) -> dict[str, Any]:
    """The items a keyed counter still needs: those of the last ``KEPT_PERIODS`` periods,
    or within ``LATE_US`` of a rolling window's newest (all of them without a window)."""
    if counter.calendar is not None:
        periods = sorted(set(items.values()))[-KEPT_PERIODS:]
        return {item: where for item, where in items.items() if where in periods}
    if counter.rolling_us is not None and items:
        cutoff = max(items.values()) - counter.rolling_us - LATE_US
        return {item: t for item, t in items.items() if t > cutoff}
    return items


def _count_rolling(key: str, at: Callable[[Any], Any], span: int,
                   txn: Txn, fact: Any, matched: bool) -> int:
    """Matching events in the ``span`` microseconds up to the event's time."""
    moment = at(fact)
    if moment is None:
        return 0
    if moment.utcoffset() is None:
        raise _naive_window_time(moment)
    at_us = to_us(moment)
    carried(at_us, moment, "window time")
    times = list(txn.counter(key) or [])
    if times and at_us < times[-1] - LATE_US:
        raise _too_old(moment, "62 days before its newest event")
    count = sum(1 for t in times if at_us - span < t <= at_us) + (1 if matched else 0)
    if matched:
        bisect.insort(times, at_us)
        cutoff = times[-1] - span - LATE_US  # what a late event within LATE_US still needs
        times = [t for t in times if t > cutoff]
        txn.set_counter(key, times)
    return count
