"""Service-level targets a pack declares (``slas:`` in ``pack.yaml``), checked by the
stateless engine and used by sessions alike.

A declaration names the clock (``start`` and ``stop`` fields of the facts of one ``policy``,
and the field values under which it runs), the target, and the clause it comes from::

    slas:
      - id: CB-1.callback
        title: {en: Callback within three days, zh: 三天之內回訪}
        policy: callback                    # the clock reads callback_task facts
        applies: {kind: callback}
        start: created_at
        stop: called_at
        target: {param: callback_within}    # the policy parameter: one number, one place
        rule: CB-1.overdue                  # the rule reporting the breach reads the same one
        sets: [cmp-1.callback_within]   # and the complaint lifecycle's deadline follows it
        warn_at: [0.5, 0.8]
        citation: {source: "001", section: 第四篇 二 回訪規範, quote: 必須保證在三天之內回訪}

A declaration may also name ``pauses``, a field listing the spans (``{start, end}``) while
the clock stands still (a ticket waiting on the customer), and a ``calendar`` for a target
in business time (``3 business days``), counted in working time.

One source of truth: a target read from a policy parameter follows that parameter's
overrides; the rule named by ``rule`` must measure from the same field with the same
parameter (else the pack does not load); and every ``sets`` entry (a lifecycle parameter or
a session policy parameter) is given the target, so a session's deadline cannot drift from
the stateless rule. A dated override of the parameter (``[{value: 3d}, {value: 1d,
valid_from: 2026-07-01}]``) dates all of them alike: :meth:`PackSlas.check` measures a fact
against the target in force at its own time (its fact type's event time, as the engine
chooses versions), a lifecycle deadline runs the value in force when it starts, and a policy
parameter the SLA sets takes the same dated values. Overrides keyed by the SLA id tune
``warn_at``, ``who``, ``calendar`` and a literal ``target``.

:meth:`PackSlas.check` measures a fact against each declaration that applies and judges the
clock (an ``sla_clock`` fact) with a generated policy through the normal
:class:`~csrules.Decision`: a breach is a violation with the rule's code, a warning an
obligation due when the target will be missed.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from csrules._engine.decision import Decision
from csrules._engine.engine import Engine
from csrules._policy.facts import event_time_field, fact_type_name, get_fact_type, validate_fact
from csrules._policy.kinds.base import CheckContext, ConditionBase, walk
from csrules._policy.kinds.core import All, Compare, Elapsed
from csrules._policy.kinds.time import Notice
from csrules._policy.model import BiText, Citation, Oblige, Policy, Rule, Text, Violate
from csrules._policy.validity import day_start, with_dated_params
from csrules._sessions.lifecycle import Lifecycle
from csrules._time.calendar import BusinessCalendar
from csrules._time.durations import BusinessDuration, Duration, DurationField, parse_duration
from csrules._time.nominal import ZONE_FIELD, add_duration
from csrules._time.registry import calendar_label, get_calendar
from csrules.domain.slas import Metric, Pause, SlaClock, SlaPolicy, positive_target
from csrules.exceptions import CsrulesError, FactError, PolicyError

if TYPE_CHECKING:
    from csrules.policies import Pack

__all__ = [
    "PackSla",
    "PackSlas",
    "SlaCheck",
    "SlaDeclaration",
    "SlaParam",
    "target_text",
]

_ID = r"^[A-Z]+-\d+(\.[A-Za-z0-9_\-]+)*$"
_OVERRIDABLE = ("target", "warn_at", "who", "calendar")


class SlaParam(BaseModel):
    """A target read from a parameter of the declaration's policy: ``{param: callback_within}``.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    param: str


class SlaDeclaration(BaseModel):
    """One entry of a pack's ``slas:`` section, as written (see the module docstring).

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID, description="starts with the regulation id it encodes (CB-1.callback)")
    title: BiText
    policy: str = Field(description="the stateless policy whose facts the clock reads")
    applies: dict[str, Any] = Field(default_factory=dict, description="field values under which the clock runs")
    metric: Metric = "resolution"
    start: str = Field(description="the datetime field the clock starts at")
    stop: str | None = Field(default=None, description="the datetime field that stops it (None: never)")
    pauses: str | None = Field(default=None, description="a field listing the spans ({start, end}) it stands still")
    target: SlaParam | DurationField
    rule: str | None = Field(default=None, description="the rule reporting the breach")
    code: str | None = Field(default=None, description="breach code (default: the rule's, else the id's regulation)")
    who: str = "agent"
    calendar: str | None = Field(default=None, description="business calendar for a business-time target")
    warn_at: tuple[float, ...] = (0.5, 0.8)
    sets: tuple[str, ...] = Field(default=(), description="lifecycle or session policy parameters set to the target")
    citation: Citation

    @field_validator("title")
    @classmethod
    def _title_quotes_target(cls, value: Text) -> Text:
        # a title stating the target quotes it, so it follows a company's override
        others = sorted(value.placeholders() - {"target"})
        if others:
            raise ValueError(f"an SLA title may quote only {{target}} (got {{{others[0]}}})")
        return value

    @field_validator("warn_at")
    @classmethod
    def _fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f < 1 for f in value):
            raise ValueError(f"warning fractions must lie strictly between 0 and 1 (got {list(value)})")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _calendar_known(self) -> SlaDeclaration:
        if self.calendar is not None:
            get_calendar(self.calendar)  # an unknown name raises, listing the known ones
        return self


@dataclass(frozen=True)
class PackSla:
    """A declaration resolved against its pack: the fact type, the target in force and the
    breach code.

    .. versionadded:: 0.1
    """

    declaration: SlaDeclaration
    policy_id: str
    fact_type: str
    target: Duration
    code: str
    duty: Oblige | None = None
    """When the rule the target governs is a duty (it obliges and never violates), missing
    the target is that duty, not a breach: e.g. ORD-1's chase of an order still shipping."""
    dated: tuple[tuple[date, Duration], ...] = ()
    """Later targets, each in force from its day on (the target parameter's dated values,
    read in :attr:`zone`); :attr:`target` holds before the first."""
    zone: str | None = None
    """The zone its clock days and the days of :attr:`dated` are counted in, where a fact names
    none: the policy's, else the pack's (None: the calendar's, or the default)."""

    def target_at(self, instant: datetime) -> Duration:
        """The target in force at ``instant`` (aware): the version of the day it falls on."""
        target = self.target
        for day, value in self.dated:
            if day_start(day, self.zone) > instant:
                break
            target = value
        return target

    @property
    def targets(self) -> tuple[Duration, ...]:
        """Every target the declaration has, the first then the dated ones."""
        return (self.target, *(value for _, value in self.dated))

    @property
    def id(self) -> str:
        """The declaration's id (``CB-1.callback``)."""
        return self.declaration.id

    @property
    def title(self) -> Text:
        """The declaration's title with ``{target}`` filled with the target in force."""
        return self.declaration.title.fill({"target": target_text(self, "en")}, {"target": target_text(self, "zh")})

    @property
    def regulation(self) -> str:
        """The regulation id the target encodes (``CB-1``)."""
        return self.id.split(".", 1)[0]

    @property
    def target_param(self) -> str | None:
        """The policy parameter the target is read from, if any."""
        target = self.declaration.target
        return target.param if isinstance(target, SlaParam) else None

    @property
    def calendar(self) -> BusinessCalendar | None:
        """The business calendar the clock counts in (None: clock time)."""
        name = self.declaration.calendar
        return None if name is None else get_calendar(name)

    def applies(self, fact: Any) -> bool:
        """Whether ``fact`` (a validated fact) has the field values the clock runs under."""
        return all(getattr(fact, name) == value for name, value in self.declaration.applies.items())

    def clock(self, fact: Any, *, now: datetime) -> SlaClock | None:
        """The clock of ``fact`` at ``now``; None when the declaration does not apply or the
        clock has not started (``start`` unset)."""
        decl = self.declaration
        start = getattr(fact, decl.start)
        if not self.applies(fact) or start is None:
            return None
        stop = getattr(fact, decl.stop) if decl.stop is not None else None
        spans = getattr(fact, decl.pauses) or () if decl.pauses is not None else ()
        pauses = tuple(Pause(start=span.start, end=span.end) for span in spans)
        # the target of the version judging the fact: the one in force at its own time, as the engine reads it
        event_time = event_time_field(type(fact))
        when = (getattr(fact, event_time) if event_time else None) or now
        policy = self._policy(self.target_at(when), self.zone_of(fact))
        if stop is not None and stop < start:
            # the fact model should refuse it; a model that does not is refused here, in its own words
            raise FactError(f"SLA {self.id!r}: {decl.stop} ({stop.isoformat()}) comes before {decl.start} "
                            f"({start.isoformat()})", fact_type=self.fact_type,
                            problems=[(str(decl.stop), f"comes before {decl.start}")])
        return policy.measure(decl.metric, start, stop, now=now, priority="", ticket_id=self.id, pauses=pauses)

    def zone_of(self, fact: BaseModel) -> str | None:
        """The zone whose wall clock counts the clock days of ``fact`` (a validated fact): the
        one it gives as ``time_zone``, else :attr:`zone` (None: the calendar's, or the default),
        as the engine reads the rule the target governs."""
        return getattr(fact, ZONE_FIELD) if ZONE_FIELD in fact.model_fields_set else self.zone

    def _policy(self, target: Duration, zone: str | None) -> SlaPolicy:
        """The clock arithmetic of ``target`` alone, under the empty priority, in ``zone``."""
        key = (str(target), zone)
        policy = self._policies.get(key)
        if policy is None:
            policy = self._policies[key] = SlaPolicy(targets={"": {self.declaration.metric: target}},
                                                     calendar=self.calendar, warn_at=self.declaration.warn_at,
                                                     timezone=zone)
        return policy

    @cached_property
    def _policies(self) -> dict[tuple[str, str | None], SlaPolicy]:
        """:meth:`_policy`'s, by target and zone (few: a pack's zones are few)."""
        return {}

    def due_at(self, start: datetime, target: Duration | None = None, *, zone: str | None = None) -> datetime:
        """When a clock started at ``start`` misses ``target`` (default: the one in force at
        ``start``), pauses aside; clock days on the wall clock of ``zone`` (a fact's
        ``time_zone``; default :attr:`zone`)."""
        target = self.target_at(start) if target is None else target
        calendar = self.calendar
        if isinstance(target, BusinessDuration):
            assert calendar is not None  # checked when the declaration was resolved
            return calendar.add(start, target)
        # whole days on the wall clock where the clocks count theirs, the rest elapsed; shown
        # there too (never in start's offset)
        shown = self._policy(target, zone or self.zone).shown_in
        return add_duration(start, target, shown).astimezone(shown)


@dataclass(frozen=True, slots=True)
class SlaCheck:
    """One declaration measured against one fact: the clock and the engine's decision on it.

    .. versionadded:: 0.1
    """

    sla: PackSla
    clock: SlaClock
    decision: Decision
    zone: str | None = None
    """The zone the fact's clock days were counted in (its ``time_zone``, else the SLA's)."""

    @property
    def breached(self) -> bool:
        """Whether the target was missed."""
        return self.clock.breached

    @property
    def due_at(self) -> datetime:
        """When the target is (or was) missed, for this clock's start."""
        return self.sla.due_at(self.clock.started_at, self.clock.target, zone=self.zone)


@dataclass(frozen=True)
class PackSlas:
    """A pack's SLA declarations, resolved, with the engine that judges their clocks.

    .. versionadded:: 0.1
    """

    pack: str = ""
    items: tuple[PackSla, ...] = ()

    def __iter__(self) -> Iterator[PackSla]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def get(self, sla_id: str) -> PackSla:
        """The declaration ``sla_id``; an unknown id raises naming the known ones."""
        for sla in self.items:
            if sla.id == sla_id:
                return sla
        known = ", ".join(s.id for s in self.items) or "none"
        raise PolicyError(f"pack {self.pack!r} has no SLA {sla_id!r} (SLAs: {known})")

    def with_calendar(self, plain: str, pinned: str) -> PackSlas:
        """These declarations with the calendar named ``plain`` read as ``pinned`` (a pack's own)."""

        def pin(sla: PackSla) -> PackSla:
            if sla.declaration.calendar != plain:
                return sla
            return replace(sla, declaration=sla.declaration.model_copy(update={"calendar": pinned}))

        return replace(self, items=tuple(map(pin, self.items)))

    @cached_property
    def policy(self) -> Policy:
        """The generated ``sla_clock`` policy: a breach and a warning rule per declaration."""
        return sla_policy(self.pack, self.items)

    @cached_property
    def engine(self) -> Engine:
        """An engine over :attr:`policy` (built once per set of declarations)."""
        return Engine([self.policy])

    def check(self, fact: Any, *, now: datetime, fact_type: str | None = None) -> list[SlaCheck]:
        """Measure ``fact`` against every declaration for its fact type and judge each clock.

        ``fact`` is a fact model or a mapping (then ``fact_type`` names its type, unless only
        one fact type has SLAs). A fact type without SLAs, declarations that do not apply and
        clocks that have not started give nothing.
        """
        kind = fact_type or _fact_type_of(fact, self)
        model = get_fact_type(kind)
        typed = validate_fact(model, fact)
        checks: list[SlaCheck] = []
        for sla in self.items:
            if sla.fact_type != kind:
                continue
            clock = sla.clock(typed, now=now)
            if clock is not None:
                checks.append(SlaCheck(sla, clock, self.engine.evaluate(clock.fact(sla.id), now=now),
                                       sla.zone_of(typed)))
        return checks


def _fact_type_of(fact: Any, slas: PackSlas) -> str:
    """The fact type of ``fact``: its model's registered name, else (a mapping) the only fact
    type the pack has SLAs for."""
    if isinstance(fact, BaseModel):
        name = fact_type_name(type(fact))
        if name is None:
            raise PolicyError(f"{type(fact).__name__} is not a registered fact type")
        return name
    kinds = sorted({sla.fact_type for sla in slas.items})
    if len(kinds) != 1:
        raise PolicyError(f"name the fact type of a mapping (fact_type=...); pack {slas.pack!r} has SLAs for "
                          f"{', '.join(kinds) or 'no fact type'}")
    return kinds[0]


# --------------------------------------------------------------------------- loading


def read_slas(pack: str, data: Mapping[str, Any]) -> tuple[SlaDeclaration, ...]:
    """The ``slas:`` section of ``pack``'s manifest, validated; errors name file and key."""
    raw = data.get("slas") or []
    where = f"{pack}/pack.yaml"
    if not isinstance(raw, list):
        raise PolicyError("slas must be a list of SLA declarations", file=where, loc=("slas",))
    out: list[SlaDeclaration] = []
    for index, item in enumerate(raw):
        try:
            out.append(SlaDeclaration.model_validate(item))
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = ("slas", index, *error["loc"])
            raise PolicyError(_message(error), file=where, loc=loc) from None
        except CsrulesError as exc:
            raise PolicyError(str(exc), file=where, loc=("slas", index)) from None
    return checked_slas(pack, out, data)


def checked_slas(pack: str, decls: Sequence[SlaDeclaration], data: Mapping[str, Any]) -> tuple[SlaDeclaration, ...]:
    """``decls`` (validated entries of ``pack``'s manifest ``data``) checked together: each
    id declared once, and no lifecycle parameter an SLA sets given a value in the manifest."""
    where = f"{pack}/pack.yaml"
    ids = [decl.id for decl in decls]
    for index, sla_id in enumerate(ids):
        if sla_id in ids[:index]:
            raise PolicyError(f"SLA id {sla_id!r} is declared twice", file=where, loc=("slas", index, "id"))
    _not_set_twice(decls, data, where)
    return tuple(decls)


def _not_set_twice(decls: Sequence[SlaDeclaration], data: Mapping[str, Any], where: str) -> None:
    """A lifecycle parameter an SLA sets is not also given a value in the manifest."""
    owned = {_owner(sink): decl.id for decl in decls for sink in decl.sets}
    for index, entry in enumerate(data.get("lifecycles") or ()):
        if not isinstance(entry, Mapping):
            continue
        for param in entry.get("params") or {}:
            sla_id = owned.get((str(entry.get("name")), str(param)))
            if sla_id is not None:
                raise PolicyError(f"{param} is set by SLA {sla_id!r}; remove it here (one source of truth)",
                                  file=where, loc=("lifecycles", index, "params", str(param)))


def _message(error: Any) -> str:
    """A pydantic error's message without the ``Value error,`` prefix."""
    return str(error["msg"]).removeprefix("Value error, ")


def resolve_sla(pack: str, index: int, decl: SlaDeclaration, policies: Sequence[Policy]) -> PackSla:
    """``decl`` checked against the pack's stateless ``policies`` and resolved to a target."""
    def fail(message: str, *key: str) -> PolicyError:
        return PolicyError(f"SLA {decl.id!r}: {message}", loc=("slas", index, *key), file=f"{pack}/pack.yaml")

    policy = _find_policy(pack, decl.policy, policies)
    if policy is None:
        known = ", ".join(p.id for p in policies)
        raise fail(f"unknown policy {decl.policy!r} (policies: {known})", "policy")
    versions = sorted((p for p in policies if p.id == policy.id), key=lambda p: p.valid_from or date.min)
    policy = versions[0]
    model = get_fact_type(policy.fact_type)
    ctx = CheckContext(model, {})
    for key in ("start", "stop"):
        path = getattr(decl, key)
        if path is None:
            continue
        try:
            info = ctx.field(path, at=key)
        except PolicyError as exc:
            raise fail(exc.message, key) from None
        if info.kind != "datetime" or info.is_collection:
            raise fail(f"{key} {path!r} must be a datetime field of {policy.fact_type} (is {info.describe()})", key)
    _check_applies(decl, model, fail)
    _check_pauses(decl, model, fail)
    target = _target(decl, policy, fail)
    dated = _dated_targets(decl, versions, target, fail)
    for value in (target, *(later for _, later in dated)):
        if not positive_target(value):
            where = f" (parameter {decl.target.param!r} of {policy.id})" if isinstance(decl.target, SlaParam) else ""
            raise fail(f"the target {value}{where} must be more than no time", "target")
        if isinstance(value, BusinessDuration) and decl.calendar is None:
            raise fail(f"the target {value} is business time; name the calendar to count it in (calendar: china)",
                       "calendar")
        if not isinstance(value, BusinessDuration) and decl.calendar is not None:
            raise fail(f"calendar {calendar_label(decl.calendar)!r} counts business time; write the target as "
                       "business time (3 business days) or leave the calendar out", "calendar")
    rule = _governing_rule(decl, policy, target, fail)
    rule_code = None if rule is None else next((e.code for e in rule.then if isinstance(e, Violate)), None)
    code = decl.code or rule_code or decl.id.split(".", 1)[0]
    duty = None
    if rule is not None and rule_code is None and decl.code is None:
        # a duty (the rule obliges and never violates): missing the target is that duty
        duty = next((e for e in rule.then if isinstance(e, Oblige)), None)
    return PackSla(decl, policy.id, policy.fact_type, target, code, duty, dated, policy.timezone)


def _dated_targets(
    decl: SlaDeclaration, versions: Sequence[Policy], first: Duration, fail: Callable[..., PolicyError]
) -> tuple[tuple[date, Duration], ...]:
    """The target's later values: each version of the policy (in order of days) whose
    parameter differs from the one before, with the day it starts (one source of truth: a
    dated override of the parameter moves the SLA and what it ``sets`` on the same day)."""
    if not isinstance(decl.target, SlaParam):
        return ()
    out: list[tuple[date, Duration]] = []
    last = first
    for version in versions[1:]:
        value = _target(decl, version, fail)
        if value != last and version.valid_from is not None:
            out.append((version.valid_from, value))
            last = value
    return tuple(out)


def _find_policy(pack: str, name: str, policies: Sequence[Policy]) -> Policy | None:
    """The policy ``name`` names: its id, the pack's own ``<pack>.<name>``, or else the one
    policy whose short name it is (a base pack's ``online_support.work_order_session`` in a
    company pack extending it), as :meth:`Pack.policy` reads it."""
    found = next((p for p in policies if p.id in (name, f"{pack}.{name}")), None)
    if found is not None:
        return found
    named = list(dict.fromkeys(p.id for p in policies if p.id.partition(".")[2] == name))
    return next(p for p in policies if p.id == named[0]) if len(named) == 1 else None


def _check_applies(decl: SlaDeclaration, model: type[BaseModel], fail: Callable[..., PolicyError]) -> None:
    """Every ``applies`` field exists and the value fits its type."""
    for name, value in decl.applies.items():
        info = model.model_fields.get(name)
        if info is None:
            raise fail(f"{model.__name__} has no field {name!r}", "applies", name)
        try:
            TypeAdapter(info.annotation or object).validate_python(value)
        except ValidationError as exc:
            raise fail(f"{value!r} is not a possible value of {name}: {_message(exc.errors()[0])}",
                       "applies", name) from None


def _check_pauses(decl: SlaDeclaration, model: type[BaseModel], fail: Callable[..., PolicyError]) -> None:
    """``pauses`` names a list of spans: models with ``start`` and ``end`` fields."""
    if decl.pauses is None:
        return
    info = model.model_fields.get(decl.pauses)
    if info is None:
        raise fail(f"{model.__name__} has no field {decl.pauses!r}", "pauses")
    spans = [arg for arg in get_args(info.annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)]
    if not any({"start", "end"} <= set(span.model_fields) for span in spans):
        raise fail(f"{decl.pauses!r} must list spans with start and end (such as csrules.domain.slas.Pause)",
                   "pauses")


def _target(decl: SlaDeclaration, policy: Policy, fail: Callable[..., PolicyError]) -> Duration:
    """The target in force: the literal duration, or the policy parameter's value."""
    if not isinstance(decl.target, SlaParam):
        return decl.target
    name = decl.target.param
    param = policy.params.get(name)
    if param is None or param.type != "duration":
        known = ", ".join(n for n, p in policy.params.items() if p.type == "duration") or "none"
        raise fail(f"policy {policy.id!r} has no duration parameter {name!r} (duration parameters: {known})",
                   "target", "param")
    return parse_duration(policy.param_values[name])


def _governing_rule(
    decl: SlaDeclaration, policy: Policy, target: Duration, fail: Callable[..., PolicyError]
) -> Rule | None:
    """The rule ``decl.rule`` names, after checking it measures the same clock."""
    if decl.rule is None:
        return None
    rule = next((r for r in policy.rules if r.id == decl.rule), None)
    if rule is None:
        raise fail(f"policy {policy.id!r} has no rule {decl.rule!r}", "rule")
    problem = _clock_problem(rule, decl, target)
    if problem is not None:
        raise fail(f"rule {rule.id!r} {problem}; the rule and the SLA could disagree", "rule")
    return rule


def _clock_problem(rule: Rule, decl: SlaDeclaration, target: Duration) -> str | None:
    """Why ``rule`` could judge the SLA's clock otherwise than the SLA does (None: it reads
    the same clock: from ``start`` to ``stop`` or now, the same target, missed strictly
    after it, in the same calendar, under the same ``applies`` values, without pauses)."""
    nodes = [node for node in walk(rule.when)
             if isinstance(node, Elapsed | Notice) and _reads_target(node, decl, target)]
    if not nodes:
        wanted = f"parameter {decl.target.param!r}" if isinstance(decl.target, SlaParam) else f"duration {target}"
        return f"does not measure from {decl.start} with the {wanted}"
    for node in nodes:
        if node.op != ">":
            return f"compares the time from {decl.start} with {node.op!r}; the SLA is missed strictly after its target"
        if node.until not in (None, decl.stop):
            return f"measures from {decl.start} to {node.until}, the SLA to {decl.stop or 'now'}"
        calendar = getattr(node, "calendar", None)
        if calendar != decl.calendar:
            return f"counts in {_clock_name(calendar)}, the SLA in {_clock_name(decl.calendar)}"
    required = list(_conjuncts(rule.when))
    for name, value in decl.applies.items():
        # a test the rule requires (not one alternative of an ``any``, which the rule can do without)
        if not any(isinstance(node, Compare) and node.path == name and node.op == "==" and node.value == value
                   for node in required):
            return f"does not require {name} == {value!r}, under which the SLA's clock runs"
    if decl.pauses is not None:
        return f"cannot leave out the pauses in {decl.pauses!r} that stop the SLA's clock"
    return None


def _conjuncts(cond: ConditionBase) -> Iterator[ConditionBase]:
    """The conditions ``cond`` requires: itself, and through ``all`` each part's."""
    yield cond
    if isinstance(cond, All):
        for part in cond.of:
            yield from _conjuncts(part)


def _reads_target(node: Elapsed | Notice, decl: SlaDeclaration, target: Duration) -> bool:
    """Whether the time condition ``node`` measures from ``decl.start`` against the target."""
    if node.since != decl.start:
        return False
    if isinstance(decl.target, SlaParam):
        return node.param == decl.target.param
    return node.duration == target


def _clock_name(calendar: str | None) -> str:
    return "clock time" if calendar is None else f"the working time of calendar {calendar_label(calendar)!r}"


# --------------------------------------------------------------------------- binding to a pack

LifecycleBuilder = Callable[[str, str, Mapping[str, Any]], Lifecycle]
"""Builds a pack's lifecycle by manifest name with parameters (the pack loader's builder)."""


def split_overrides(
    pack: Pack, overrides: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``overrides`` split into those of the SLAs (keyed by SLA id) and the rest.

    An override of a parameter an SLA ``sets`` (``{"cmp-1": {"callback_within": "2d"}}``)
    is forwarded to the SLA's source (the policy parameter, or the SLA's own target), so the
    rule, the SLA and the deadline move together; two different values for one source are
    refused.
    """
    ids = {sla.id for sla in pack.slas}
    mine: dict[str, dict[str, Any]] = {k: dict(v) for k, v in overrides.items() if k in ids}
    rest: dict[str, dict[str, Any]] = {k: dict(v) for k, v in overrides.items() if k not in ids}
    for key, values in list(rest.items()):
        for param, value in list(values.items()):
            sla = _owning_sla(pack, key, param)
            if sla is None:
                continue
            del values[param]
            _checked_duration(value, f"{key}.{param}", sla)  # named as given, wherever it is forwarded
            if sla.target_param is not None:
                policy_key = next((k for k in rest if sla.policy_id in (k, f"{pack.name}.{k}")), sla.policy_id)
                _forward(rest.setdefault(policy_key, {}), sla.target_param, value, f"{key}.{param}", sla)
            else:
                _forward(mine.setdefault(sla.id, {}), "target", value, f"{key}.{param}", sla)
    return mine, rest


def _owning_sla(pack: Pack, key: str, param: str) -> PackSla | None:
    """The SLA whose ``sets`` names parameter ``param`` of the policy or lifecycle ``key``."""
    names = {key, f"{pack.name}.{key}", key.removeprefix(f"{pack.name}.")}  # a lifecycle key is its id already
    for sla in pack.slas:
        for sink in sla.declaration.sets:
            owner, name = _owner(sink)
            if name == param and owner in names:
                return sla
    return None


def _checked_duration(value: Any, given: str, sla: PackSla) -> None:
    try:
        parse_duration(value)
    except CsrulesError as exc:
        raise PolicyError(f"override {given} (the target of SLA {sla.id!r}): {exc}") from None


def _forward(values: dict[str, Any], name: str, value: Any, given: str, sla: PackSla) -> None:
    """Set ``values[name]`` to ``value``, refusing a different value given for the same source."""
    if name in values and parse_duration(values[name]) != parse_duration(value):
        raise PolicyError(f"override {given} sets the target of SLA {sla.id!r}, which is also overridden "
                          f"with {values[name]!r}: give one value")
    values[name] = value


def bind_slas(
    pack: Pack,
    build_lifecycle: LifecycleBuilder,
    declarations: Sequence[SlaDeclaration] | None = None,
    *,
    sla_overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Pack:
    """``pack`` with its SLAs (``declarations``, else those it has) resolved against its
    policies in force and every ``sets`` parameter given its SLA's target.

    ``sla_overrides`` (keyed by SLA id, see :func:`split_overrides`) tune the declarations.
    """
    if declarations is None:
        declarations = [sla.declaration for sla in pack.slas]
    decls = [_overridden(pack.name, decl, (sla_overrides or {}).get(decl.id)) for decl in declarations]
    slas = tuple(resolve_sla(pack.name, index, decl, pack.policies) for index, decl in enumerate(decls))
    # targets count their days in the policy's zone, else the pack's (as its policies do)
    slas = tuple(replace(sla, zone=sla.zone or pack.timezone) for sla in slas)
    for index, sla in enumerate(slas):
        for position, sink in enumerate(sla.declaration.sets):
            pack = _set(pack, sla, sink, build_lifecycle, ("slas", index, "sets", position))
    return replace(pack, slas=PackSlas(pack.name, slas))


def _overridden(pack: str, decl: SlaDeclaration, values: Mapping[str, Any] | None) -> SlaDeclaration:
    """``decl`` with the overrides keyed by its id (checked like a manifest entry)."""
    if not values:
        return decl
    unknown = sorted(set(values) - set(_OVERRIDABLE))
    if unknown:
        raise PolicyError(f"SLA {decl.id!r} in pack {pack!r} has no overridable setting {unknown[0]!r} "
                          f"(settings: {', '.join(_OVERRIDABLE)})")
    if "target" in values and isinstance(decl.target, SlaParam):
        raise PolicyError(f"SLA {decl.id!r} reads its target from parameter {decl.target.param!r} of policy "
                          f"{decl.policy!r}: override that parameter instead")
    data = decl.model_dump(mode="python", exclude_none=True)
    data.update(values)
    try:
        return SlaDeclaration.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise PolicyError(f"override of SLA {decl.id!r} in pack {pack!r}: {key}: {_message(error)}") from None


def _owner(sink: str) -> tuple[str, str]:
    """``cmp-1.callback_within`` -> (``cmp-1``, ``callback_within``)."""
    owner, _, param = sink.rpartition(".")
    return owner, param


def _set(pack: Pack, sla: PackSla, sink: str, build: LifecycleBuilder, loc: tuple[str | int, ...]) -> Pack:
    """``pack`` with the parameter ``sink`` (``lifecycle.param`` or ``policy.param``) set to the target."""
    owner, param = _owner(sink)

    def fail(message: str) -> PolicyError:
        return PolicyError(f"SLA {sla.id!r}: {message}", file=f"{pack.name}/pack.yaml", loc=loc)

    lifecycle = pack._lifecycle_key(owner) if owner else None
    if lifecycle is not None:
        business = next((t for t in sla.targets if isinstance(t, BusinessDuration)), None)
        if business is not None:
            raise fail(f"a lifecycle deadline runs in clock time; {business} is business time")
        params = {name: dict(values) for name, values in pack.lifecycle_params.items()}
        value: Any = str(sla.target)
        if sla.dated:  # the deadline follows the target's versions: each from the instant its day starts
            value = [{"value": value}, *({"value": str(later), "since": day_start(day, sla.zone).isoformat()}
                                         for day, later in sla.dated)]
        if params[lifecycle].get(param) == value:
            return pack
        params[lifecycle][param] = value
        return replace(
            pack,
            lifecycles=tuple(build(pack.name, name, values) for name, values in params.items()),
            lifecycle_params=params,
        )
    others = (*pack.policies, *pack.session_policies)
    policy = _find_policy(pack.name, owner, others)
    if policy is None or policy.id == sla.policy_id:
        known = ", ".join([*pack.lifecycle_params, *(p.id for p in pack.session_policies)]) or "none"
        raise fail(f"{sink!r} names no lifecycle or other policy of the pack "
                   f"(lifecycles and session policies: {known})")
    if param not in policy.params:
        raise fail(f"policy {policy.id!r} has no parameter {param!r}")
    if sla.dated:  # every version of the policy takes the target's dated values
        dated = [{"value": str(sla.target)},
                 *({"value": str(later), "valid_from": day.isoformat()} for day, later in sla.dated)]

        def versions(p: Policy) -> tuple[Policy, ...]:
            return with_dated_params(p, {param: dated}) if p.id == policy.id else (p,)

        return replace(
            pack,
            policies=tuple(v for p in pack.policies for v in versions(p)),
            session_policies=tuple(v for p in pack.session_policies for v in versions(p)),
        )
    if parse_duration(policy.param_values[param]) == sla.target:
        return pack
    updated = policy.with_params(**{param: str(sla.target)})
    return replace(
        pack,
        policies=tuple(updated if p is policy else p for p in pack.policies),
        session_policies=tuple(updated if p is policy else p for p in pack.session_policies),
    )


# --------------------------------------------------------------------------- the clock policy


def _breach(sla: PackSla, title: Text, target: dict[str, str]) -> dict[str, Any]:
    """What missing the target is: the governed rule's duty, due at once, or a violation."""
    if sla.duty is not None:
        return {"type": "obligation", "who": sla.duty.who, "action": sla.duty.action.model_dump(mode="json"),
                "due": {"since": "breach_at", "after": "0s"}}
    return {"type": "violation", "code": sla.code,
            "message": {"en": f"{title.en}: not within {target['en']}",
                        "zh": f"{title.zh}：超過{target['zh']}"}}


def _literal(text: str) -> str:
    """``text`` as a template that shows it as written (its braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


def target_text(sla: PackSla, lang: Literal["en", "zh"]) -> str:
    """The target in words, with its dated values (``3 days (1 day from 2026-07-01)``)."""
    text = sla.target.describe(lang)
    for day, later in sla.dated:
        text += f"（{day}起{later.describe(lang)}）" if lang == "zh" else f" ({later.describe(lang)} from {day})"
    return text


def sla_policy(pack: str, slas: Sequence[PackSla]) -> Policy:
    """The ``sla_clock`` policy judging the clocks of ``slas``: per declaration, a breach rule
    (violation with the declaration's code) and one warning rule per fraction (an obligation
    for ``who``, due when the target will be missed)."""
    rules: list[dict[str, Any]] = []
    for sla in slas:
        decl = sla.declaration
        mine = {"kind": "compare", "path": "sla", "op": "==", "value": sla.id}
        citation = decl.citation.model_dump(mode="json", exclude_none=True)
        target = {"en": target_text(sla, "en"), "zh": target_text(sla, "zh")}
        title = Text(en=_literal(sla.title.en), zh=_literal(sla.title.zh))  # the rules' texts are templates
        rules.append({
            "id": f"{sla.id}.breach",
            "title": {"en": f"{title.en}: target missed", "zh": f"{title.zh}：已超時"},
            "citation": citation,
            "when": {"kind": "all", "of": [mine, {"kind": "compare", "path": "breached", "op": "==", "value": True}]},
            "then": [_breach(sla, title, target)],
        })
        for fraction in decl.warn_at:
            share = f"{fraction * 100:g}"
            rules.append({
                "id": f"{sla.id}.warning-{share}",
                "title": {"en": f"{title.en}: {share} % of the target used",
                          "zh": f"{title.zh}：已用{share}%時限"},
                "citation": citation,
                "when": {"kind": "all", "of": [
                    mine,
                    {"kind": "compare", "path": "running", "op": "==", "value": True},
                    {"kind": "compare", "path": "breached", "op": "==", "value": False},
                    {"kind": "compare", "path": "warning_level", "op": "==", "value": fraction},
                ]},
                "then": [{"type": "obligation", "who": decl.who,
                          "action": {"en": f"{title.en} ({share} % of {target['en']} used)",
                                     "zh": f"{title.zh}（已用{target['zh']}的{share}%）"},
                          "due": {"since": "breach_at", "after": "0s"}}],
            })
    return Policy.model_validate({
        "id": f"{pack}.slas" if pack else "slas",
        "version": "1.0",
        "title": {"en": "Service-level targets", "zh": "服務水平目標"},
        "fact_type": "sla_clock",
        "rules": rules or [_never()],
    })


def _never() -> dict[str, Any]:
    """A rule that never holds, for a pack without SLAs (a policy needs a rule)."""
    return {"id": "none", "title": "no SLA declared", "when": {"kind": "is_missing", "path": "ticket_id"},
            "then": [{"type": "recommendation", "text": "no SLA declared"}]}
