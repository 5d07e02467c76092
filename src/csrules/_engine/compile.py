"""Policies compiled into plain Python: the one code generator, effects, and per-type plans.

For each fact type the engine generates one function that tests every rule in order and
returns the indices of the rules that matched (the way fastjsonschema compiles a schema).
Sessions generate their rule checks with the same :class:`CodeGenerator`, with window
values as an extra argument. Constants (literals, parameter values, phrase matchers) are
bound as names in the generated module; no value is ever spliced into the source. The
explaining interpreter in :mod:`csrules._policy.kinds.core` produces traces on demand and
is held to the same answers by tests.
"""

from __future__ import annotations

import ast
import builtins
import functools
import itertools
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter, iconcat
from types import CodeType
from typing import Any

from pydantic import BaseModel, ValidationError

from csrules._engine.decision import (
    BY_RANK,
    Approval,
    Decision,
    EffectResult,
    Escalation,
    Obligation,
    Outcome,
    PolicyRef,
    Recommendation,
    RuleError,
    TimedDecision,
    ValuesDecision,
    ViewDecision,
    Violation,
    make_decision,
    merge_approvals,
)
from csrules._engine.shared import SharedRule, atom_of, build_tables, patterns_at_most, split_rule, table_source
from csrules._engine.zones import fact_zone, shown_in
from csrules._policy.facts import dict_validator, read_path
from csrules._policy.kinds.base import (
    CompileContext,
    ConditionBase,
    DescribeContext,
    Env,
    is_builtin_kind,
    join,
    reads_now_of,
    show_value,
    source_of,
    walk,
)
from csrules._policy.kinds.core import All, Compare
from csrules._policy.model import Policy, Rule, Text
from csrules._policy.trace import RuleTrace, Trace
from csrules._time.calendar import BusinessCalendar
from csrules._time.durations import BusinessDuration, WallDuration
from csrules._time.nominal import add_days_then, split_days
from csrules._time.registry import DEFAULT_TIME_ZONE, get_calendar
from csrules.exceptions import CalendarError, PolicyError, TimeError

__all__ = [
    "CodeGenerator",
    "CompiledRule",
    "DueRule",
    "MatchView",
    "Plan",
    "compile_effects",
    "compile_plan",
    "hit_selector",
    "render_text",
    "trace_rule",
]

_BUILTINS = builtins.__dict__
"""The generated code's builtins: all of them, since C code it calls may import lazily through
the calling frame's ``__import__`` (a datetime out of range converting to UTC does)."""
MAX_VIEWS = 16384
"""How many match patterns a plan keeps worked out (the oldest makes room for a new one)."""
CHUNK = 8
"""Rules per chunk (a byte of the match mask): a plan of more rules keeps, per chunk, tables
indexed by the chunk's byte (see :class:`_ChunkTables`)."""
FEW_PATTERNS = 4096
"""A plan that provably gives at most this many match patterns keeps the view of each for good
(see :attr:`Plan.few`)."""


# --------------------------------------------------------------------------- the generator

_LITERALS = (bool, int, float, str)


def _literal(value: Any) -> bool:
    """True for a value the compiler can hold as a code constant."""
    kind = type(value)
    return kind in _LITERALS or (kind is frozenset and all(type(v) in _LITERALS for v in value))


def _inlined(tree: ast.Module, constants: dict[str, Any]) -> ast.Module:
    """``tree`` with each read of a constant name (``_k<n>``) holding a literal replaced by the
    value itself, in place: one walk over the nodes, a third of the time of a NodeTransformer."""
    literal = {name: value for name, value in constants.items() if _literal(value)}
    stack: list[ast.AST] = [tree] if literal else []
    while stack:
        node = stack.pop()
        for name in node._fields:
            child = getattr(node, name, None)
            if type(child) is list:
                for index, item in enumerate(child):
                    if type(item) is ast.Name:
                        if item.id in literal and type(item.ctx) is ast.Load:
                            child[index] = ast.copy_location(ast.Constant(literal[item.id]), item)
                    elif isinstance(item, ast.AST):
                        stack.append(item)
            elif type(child) is ast.Name:
                if child.id in literal and type(child.ctx) is ast.Load:
                    setattr(node, name, ast.copy_location(ast.Constant(literal[child.id]), child))
            elif isinstance(child, ast.AST):
                stack.append(child)
    return tree


CODE_KEPT = 256
"""How many compiled modules a process keeps by their source and literal constants."""

_COMPILED: OrderedDict[tuple[str, str, tuple[tuple[str, Hashable], ...]], CodeType] = OrderedDict()
_COMPILED_LOCK = threading.Lock()


def _constant_key(value: Any) -> Hashable:
    """A literal constant by type and value: ``1``, ``1.0`` and ``True`` (equal, and hashed
    alike) and ``0.0`` and ``-0.0`` are different constants of the code."""
    kind = type(value)
    if kind is frozenset:
        return kind, frozenset(map(_constant_key, value))
    return kind, repr(value) if kind is float else value


def _code(source: str, filename: str, constants: dict[str, Any]) -> CodeType:
    """``source`` compiled with its literal constants inlined (see :meth:`CodeGenerator.load`).

    One pack's plans are compiled again and again in a process (each engine of the pack, each
    unpickled copy): the code object, immutable, is kept by everything it is made from (the
    source, the file name it reports, the inlined constants), and only the module is run anew.
    """
    inlined = tuple((name, _constant_key(value)) for name, value in constants.items() if _literal(value))
    key = (filename, source, inlined)
    with _COMPILED_LOCK:
        code = _COMPILED.get(key)
        if code is not None:
            _COMPILED.move_to_end(key)
            return code
    code = compile(_inlined(ast.parse(source), constants), filename, "exec")
    with _COMPILED_LOCK:
        _COMPILED[key] = code
        while len(_COMPILED) > CODE_KEPT:
            _COMPILED.popitem(last=False)
    return code


class CodeGenerator:
    """Generates Python from the condition trees of one fact model.

    Every name it hands out (constants, temporaries, flags) comes from one counter, so
    everything one generator makes can share a module. The engine puts a whole plan in one
    module (:func:`compile_plan`); a session compiles each check as its own function
    (:meth:`function`), with ``w`` (the window values the session computed) as a third
    argument when the condition reads them, and its own ``context_class`` (one that knows
    where window values live).
    """

    def __init__(
        self,
        model: type[BaseModel],
        label: str,
        context_class: type[CompileContext] = CompileContext,
    ) -> None:
        self.model = model
        self.label = label
        self._context_class = context_class
        self._counter = itertools.count()

    def context(
        self, params: dict[str, Any], constants: dict[str, Any], **extra: Any
    ) -> CompileContext:
        """A compile context binding constants into ``constants`` (``extra`` goes to the
        context class: a session's window ``slots``)."""
        return self._context_class(
            self.model, params, constants=constants, counter=self._counter, **extra
        )

    def fresh(self, prefix: str) -> str:
        """A name no other piece of this generator's code uses."""
        return f"{prefix}{next(self._counter)}"

    @staticmethod
    def expression(cond: ConditionBase, ctx: CompileContext) -> str:
        """The Python boolean expression of ``cond`` (from its kind's handler)."""
        return source_of(cond, ctx)

    @staticmethod
    def predicate(name: str, args: str, expression: str) -> str:
        """The source of a function ``name(args)`` returning ``expression`` as a bool."""
        return f"def {name}({args}):\n    return bool({expression})"

    def load(self, source: str, constants: dict[str, Any]) -> dict[str, Any]:
        """Compile ``source`` with ``constants`` bound; the resulting namespace.

        Numbers, text, flags and frozen sets of them go into the compiled code as constants
        of the code object (the fastest read measured, ahead of globals, closure cells and
        keyword defaults), put there in the syntax tree: no value passes through the source
        text. Every other constant is a global of the module.
        """
        namespace: dict[str, Any] = {"__builtins__": _BUILTINS, **constants}
        exec(_code(source, f"<csrules {self.label}>", constants), namespace)
        return namespace

    def function(
        self,
        cond: ConditionBase,
        params: dict[str, Any],
        *,
        with_w: bool = False,
        **extra: Any,
    ) -> tuple[Callable[..., bool], str]:
        """``cond`` compiled now as ``_fn(f, now)`` (``_fn(f, now, w)`` with ``with_w``),
        and its source. Each function binds only its own constants."""
        constants: dict[str, Any] = {}
        ctx = self.context(params, constants, **extra)
        args = "f, now, w" if with_w else "f, now"
        source = self.predicate("_fn", args, self.expression(cond, ctx)) + "\n"
        function: Callable[..., bool] = self.load(source, constants)["_fn"]
        return function, source


# --------------------------------------------------------------------------- effects


def render_text(text: Text | None, policy: Policy) -> Text | None:
    """``text`` of ``policy`` with ``{param}`` placeholders replaced by its values in force, per
    language (Chinese values in the policy's script where the template shows none)."""
    if text is None:
        return text
    params = policy.param_values
    return text.fill(
        {k: show_value(v, "en").strip("“”") for k, v in params.items()},
        {k: show_value(v, "zh").strip("“”") for k, v in params.items()},
        policy.zh_script,
    )


@dataclass(frozen=True, slots=True)
class DueRule:
    """How to compute one obligation's due time from the fact and ``now``."""

    template: Obligation
    since: str | None
    delta: timedelta
    calendar: BusinessCalendar | None = None
    business: BusinessDuration | None = None
    zone: str = DEFAULT_TIME_ZONE
    """Where a clock-duration due time is counted and shown when the fact names no
    ``time_zone``: its policy's zone. Never the offset ``since`` or ``now`` was written with:
    one instant written in +08:00 or Z gets the same due time, written the same way."""
    days: int = 0
    """The whole days of ``delta`` counted on the wall clock (:func:`split_days`)."""
    rest: timedelta = field(init=False)
    """``delta`` past its whole ``days``, added as elapsed time (worked out once, not per fact)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rest", self.delta - timedelta(days=self.days))

    @property
    def reads_now(self) -> bool:
        """True when the due time counts from ``now`` (no ``since`` field)."""
        return self.since is None

    def resolve(self, fact: Any, now: datetime | None) -> Obligation:
        """The obligation with its due time for ``fact`` and ``now``."""
        start = now if self.since is None else read_path(fact, self.since)
        if start is None:
            due = None
        elif self.calendar is not None and self.business is not None:
            due = self.calendar.add(start, self.business)
        else:  # whole days on the fact's wall clock, hours elapsed; shown in the fact's zone
            try:
                due = shown_in(add_days_then(start, self.days, self.rest, fact_zone(fact, self.zone)), self.zone, fact)
            except OverflowError:  # a fact dated in year 9999: the caller names the rule
                raise TimeError(f"its due time, {self.since or 'now'} ({start.isoformat()}) + {self.delta}, "
                                "falls past the years 1 to 9999 dates can hold") from None
        template = self.template
        return Obligation(template.policy_id, template.rule_id, template.action, template.who, due)


CompiledEffect = EffectResult | DueRule
"""An effect ready to apply: fixed, or a due time still to compute per fact."""

EffectCompiler = Callable[[Any, Policy, Rule], CompiledEffect]
"""Turns one effect of a rule into its compiled form, parameter values filled in."""


def _violation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    return Violation(
        policy.id,
        rule.id,
        effect.code,
        effect.severity,
        render_text(effect.message, policy) or effect.message,
        render_text(effect.consequence, policy),
    )


def _approval(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    return Approval(policy.id, rule.id, effect.role, render_text(effect.reason, policy))


def _escalation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    return Escalation(policy.id, rule.id, effect.to, render_text(effect.reason, policy))


def _recommendation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    text = render_text(effect.text, policy) or effect.text
    return Recommendation(policy.id, rule.id, text)


def _obligation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    params = policy.param_values
    action = render_text(effect.action, policy) or effect.action
    template = Obligation(policy.id, rule.id, action, effect.who)
    due = effect.due
    if due is None:
        return template
    duration = due.after if due.param is None else params[due.param]
    if isinstance(duration, BusinessDuration) and due.calendar is not None:
        return DueRule(template, due.since, timedelta(0), get_calendar(due.calendar), duration)
    if not isinstance(duration, WallDuration):
        raise PolicyError(
            f"due time {duration} is business time and needs a calendar "
            "(add calendar: <name> to due)",
            policy_id=policy.id,
            rule_id=rule.id,
        )
    return DueRule(template, due.since, duration.delta, zone=policy.timezone or DEFAULT_TIME_ZONE,
                   days=split_days(duration)[0])


EFFECTS: dict[str, EffectCompiler] = {
    "violation": _violation,
    "obligation": _obligation,
    "approval": _approval,
    "escalation": _escalation,
    "recommendation": _recommendation,
}
"""Effect ``type`` tag -> its compiler: a new effect type is one entry here."""


def compile_effects(policy: Policy, rule: Rule) -> tuple[CompiledEffect, ...]:
    """The effects of ``rule``, rendered with the parameter values in force."""
    return tuple(EFFECTS[effect.type](effect, policy, rule) for effect in rule.then)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its effects pre-rendered with the parameter values in force."""

    policy_id: str
    rule_id: str
    priority: int
    rule: Rule
    static_effects: tuple[CompiledEffect, ...]
    #: The effects with every due time left out (what does not depend on the fact).
    templates: tuple[EffectResult, ...] = field(init=False)
    #: The rank of the worst outcome among the effects (see :class:`Outcome`).
    rank: int = field(init=False)
    #: True when an effect depends on the fact or ``now`` (a due time).
    dynamic: bool = field(init=False)
    #: The violations among the effects (what a match view joins when made).
    violations: tuple[Violation, ...] = field(init=False)
    #: The roles of the approvals among the effects, in order.
    roles: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        templates = tuple(
            e.template if isinstance(e, DueRule) else e for e in self.static_effects
        )
        object.__setattr__(self, "templates", templates)
        object.__setattr__(self, "violations", tuple(e for e in templates if isinstance(e, Violation)))
        object.__setattr__(self, "roles", tuple(e.role for e in templates if isinstance(e, Approval)))
        object.__setattr__(self, "rank", max((e.outcome.rank for e in templates), default=0))
        object.__setattr__(self, "dynamic", any(isinstance(e, DueRule) for e in self.static_effects))

    @classmethod
    def of(cls, policy: Policy, rule: Rule) -> CompiledRule:
        """``rule`` of ``policy`` with its effects compiled."""
        return cls(policy.id, rule.id, rule.priority, rule, compile_effects(policy, rule))

    @property
    def effects_read_now(self) -> bool:
        """True when a due time counts from ``now``."""
        return any(isinstance(e, DueRule) and e.reads_now for e in self.static_effects)

    def resolve(self, fact: Any, now: datetime | None) -> tuple[EffectResult, ...]:
        """The rule's effects for this fact (due times filled in)."""
        if not self.dynamic:
            return self.templates
        return tuple(
            e.resolve(fact, now) if isinstance(e, DueRule) else e for e in self.static_effects
        )


# --------------------------------------------------------------------------- plans

_BITS = tuple(tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256))


def matched_positions(mask: int) -> list[int]:
    """The set bits of ``mask``, lowest first (rule ``i`` matched), a byte at a time.

    >>> matched_positions(0b1000000101)
    [0, 2, 9]
    """
    if mask < 256:  # the first eight rules
        return list(_BITS[mask])
    out: list[int] = []
    for at, byte in enumerate(mask.to_bytes((mask.bit_length() + 7) // 8, "little")):
        if byte:
            base = at * 8
            out.extend([base + bit for bit in _BITS[byte]])
    return out



_RULE_ID = attrgetter("rule_id")
_MATCH = attrgetter("policy_id", "rule_id")
_RANK_OF = attrgetter("rank")
_DYNAMIC = attrgetter("dynamic")
_VIOLATIONS = attrgetter("violations")
_CODE = attrgetter("code")
_ROLES = attrgetter("roles")
_CHAIN = itertools.chain.from_iterable
_AT = list.__getitem__
_EXTENDED = functools.reduce
_NEW = object.__new__
_FROMKEYS = dict.fromkeys

_KINDS: dict[type, str] = {
    Violation: "violations",
    Obligation: "obligations",
    Approval: "approvals",
    Escalation: "escalations",
    Recommendation: "recommendations",
}


def _by_kind(effects: Sequence[EffectResult]) -> dict[str, tuple[Any, ...]]:
    """``effects`` sorted by kind (in order within each), approvals of one role merged."""
    found: dict[type, list[Any]] = {kind: [] for kind in _KINDS}
    for effect in effects:
        bucket = found.get(type(effect))
        if bucket is None:  # a subclass of an effect class
            bucket = next(found[kind] for kind in _KINDS if isinstance(effect, kind))
        bucket.append(effect)
    out = {name: tuple(found[kind]) for kind, name in _KINDS.items()}
    if len(out["approvals"]) > 1:  # only approvals need merging (one per role)
        out["approvals"] = merge_approvals(out["approvals"])
    return out


def _templates(view: MatchView) -> tuple[EffectResult, ...]:
    return merge_approvals([e for rule in view.rules for e in rule.templates])


_LAZY: dict[str, Callable[[MatchView], Any]] = {
    "selected": lambda view: tuple(matched_positions(view.mask)),
    "rules": lambda view: tuple(map(view.plan.rules.__getitem__, view.selected)),
    "matches": lambda view: tuple(map(_MATCH, view.rules)),
    "templates": _templates,
    "effect_keys": lambda view: tuple([effect.key for effect in view.templates]),
}
"""The parts of a view worked out when first read (the kinds by :func:`_by_kind`, all at once:
a host reads several kinds)."""


class MatchView:
    """What one match pattern means: the rules it selects, their ids, and everything else
    that depends only on which rules matched (outcome, effects by kind, approvers, effect
    keys), worked out once and then shared by every decision with that pattern. Due times
    depend on the fact: :meth:`effects_for` computes them.

    What every decision reads (outcome, rule ids, violations and their codes, approvers, the
    decision class) is a plain slot, worked out when the view is made (a view made from its
    plan's chunk tables, :class:`_TableView`, holds its rule ids when made and fills the others
    when first read). The rest is worked out when first read. The class has no ``__getattr__``, so that every read of a
    slot stays a plain, specialised attribute read.
    """

    __slots__ = (
        "_lazy",
        "approvers",
        "dynamic",
        "make",
        "mask",
        "outcome",
        "plan",
        "policies",
        "rank",
        "recent",
        "rule_ids",
        "violation_codes",
        "violations",
    )

    plan: Plan
    #: The rules selected, a bit each (set on views made from chunk tables, which work out their
    #: rules and ids from it).
    mask: int

    def __init__(
        self, plan: Plan, rules: tuple[CompiledRule, ...] = (), selected: tuple[int, ...] = ()
    ) -> None:
        self.plan = plan
        self.policies = plan.policy_refs
        # map with C-level getters: no Python frame per rule; the other kinds wait for a read
        self._lazy: dict[str, Any] = {"rules": rules, "selected": selected}
        self.rule_ids: tuple[str, ...] = tuple(map(_RULE_ID, rules))
        self.rank: int = max(map(_RANK_OF, rules), default=0)
        self.dynamic: bool = plan.dynamic and any(map(_DYNAMIC, rules))
        self.violations: tuple[Violation, ...] = tuple(_CHAIN(map(_VIOLATIONS, rules)))
        self.violation_codes: tuple[str, ...] = tuple(map(_CODE, self.violations))
        # the roles in rule order, each once: the roles of the merged approvals
        self.approvers: tuple[str, ...] = tuple(dict.fromkeys(_CHAIN(map(_ROLES, rules))))
        self.outcome: Outcome = BY_RANK[self.rank]
        #: The class of this pattern's decisions (views computing due times first, or not).
        self.make: type[Decision] = TimedDecision if self.dynamic else Decision
        #: Read since the cache last looked (a second chance before eviction).
        self.recent = False

    def _part(self, name: str) -> Any:
        """The part ``name``, worked out once when first read."""
        lazy = self._lazy
        value = lazy.get(name)
        if value is None:
            if name in _LAZY:
                value = lazy[name] = _LAZY[name](self)
            else:  # a kind: every kind at once
                lazy.update(_by_kind([e for rule in self.rules for e in rule.templates]))
                value = lazy[name]
        return value

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        """The rules the pattern selects, in order."""
        return self._part("rules")  # type: ignore[no-any-return]

    @property
    def selected(self) -> tuple[int, ...]:
        """The positions of those rules in the plan."""
        return self._part("selected")  # type: ignore[no-any-return]

    @property
    def matches(self) -> tuple[tuple[str, str], ...]:
        """``(policy_id, rule_id)`` of each selected rule."""
        return self._part("matches")  # type: ignore[no-any-return]

    @property
    def templates(self) -> tuple[EffectResult, ...]:
        """The effects without due times, approvals of one role merged."""
        return self._part("templates")  # type: ignore[no-any-return]

    @property
    def effect_keys(self) -> tuple[str, ...]:
        """The effects' short names."""
        return self._part("effect_keys")  # type: ignore[no-any-return]

    @property
    def obligations(self) -> tuple[Obligation, ...]:
        """The obligations, without due times."""
        return self._part("obligations")  # type: ignore[no-any-return]

    @property
    def approvals(self) -> tuple[Approval, ...]:
        """The approvals, one per role."""
        return self._part("approvals")  # type: ignore[no-any-return]

    @property
    def escalations(self) -> tuple[Escalation, ...]:
        """The escalations."""
        return self._part("escalations")  # type: ignore[no-any-return]

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """The recommendations."""
        return self._part("recommendations")  # type: ignore[no-any-return]

    def effects_for(self, fact: Any, now: datetime | None) -> tuple[EffectResult, ...]:
        """The effects for this fact, approvals of one role merged (:func:`merge_approvals`):
        shared when fixed, computed when a due time depends on it."""
        if not self.dynamic:
            return self.templates
        return merge_approvals([e for rule in self.rules for e in rule.resolve(fact, now)])

    def rule_effects_for(
        self, fact: Any, now: datetime | None
    ) -> dict[tuple[str, str], tuple[EffectResult, ...]]:
        """``(policy_id, rule_id)`` -> that rule's own effects; a due time that cannot be
        computed raises the csrules error with the rule's id in its message."""
        if not self.dynamic:
            return {match: rule.templates for match, rule in zip(self.matches, self.rules, strict=True)}
        out: dict[tuple[str, str], tuple[EffectResult, ...]] = {}
        for rule in self.rules:
            try:
                out[(rule.policy_id, rule.rule_id)] = rule.resolve(fact, now)
            except (CalendarError, TimeError) as exc:
                raise type(exc)(
                    f"rule {rule.policy_id}/{rule.rule_id}: its effects cannot be worked out: {exc}"
                ) from exc
        return out


_PARTS = ("violations", "violation_codes", "approvers")
"""What a decision made from a plain view copies from it (besides its outcome)."""


def _joined(table: list[list[tuple[Any, ...]]], mask: int) -> tuple[Any, ...]:
    """The entries of ``table`` (a part of :class:`_ChunkTables`) for the bytes of ``mask``,
    joined in rule order by C-level loops: within :data:`EAGER_IDS_CHUNKS` chunks added up
    over a fixed number of bytes (the map stops at the table's last chunk; adding an empty
    entry costs less than finding the last byte with a match), past them extended onto one
    list up to the last chunk with a match (adding up copies the sum so far on every chunk);
    both measured faster than chaining them."""
    if not mask >> _EAGER_BITS:
        return sum(map(_AT, table, mask.to_bytes(EAGER_IDS_CHUNKS, "little")), ())
    return tuple(_EXTENDED(iconcat, map(_AT, table, mask.to_bytes((mask.bit_length() + 7) >> 3, "little")), []))


def _gather(name: str, view: MatchView) -> Any:
    """The part ``name`` of a view made from its plan's chunk tables (:class:`_TableView`),
    gathered when first read (:func:`_joined`; past :data:`EAGER_IDS_CHUNKS` chunks, the
    approvers of a plan naming few roles from its role masks). Once the three parts a decision
    copies are read, the view becomes a plain :class:`MatchView`; a view of many chunks whose
    rule ids have not been read, an :class:`_IdsToGatherView` (they are not gathered for it)."""
    lazy = view._lazy
    value = lazy.get(name)
    if value is not None:
        return value
    plan, mask = view.plan, view.mask
    if mask >> _EAGER_BITS and name == "approvers" and plan.role_masks is not None:
        value = plan.approvers_of(mask)  # each role once
    else:
        value = _joined(getattr(plan._tables or plan.tables(), name), mask)
        if name == "approvers" and len(value) > 1:  # each chunk names a role once: repeats across chunks
            value = tuple(_FROMKEYS(value))
    lazy[name] = value
    if "violations" in lazy and "violation_codes" in lazy and "approvers" in lazy:
        # a pattern read again: every part becomes a plain slot (kept in _lazy too: a read
        # under way finds it)
        for part in _PARTS:
            _SLOTS[part].__set__(view, lazy[part])
        view.make = TimedDecision if view.dynamic else Decision
        ids = lazy.get("rule_ids")  # a view of many chunks: its rule ids, if read already
        if ids is not None:
            _SLOTS["rule_ids"].__set__(view, ids)
        try:  # by the slot, not the class: another thread may have switched the class meanwhile
            _SLOTS["rule_ids"].__get__(view)
        except AttributeError:  # not read: a host reading the other parts may never read them
            view.__class__ = _IdsToGatherView
            return value
        view.__class__ = MatchView  # the same slots: plain reads from now on
    return value


def _rule_ids(view: MatchView) -> tuple[str, ...]:
    """The rule ids of a view of many chunks (:class:`_LazyIdsView`), gathered when first read."""
    lazy = view._lazy
    ids: tuple[str, ...] | None = lazy.get("rule_ids")
    if ids is None:
        plan = view.plan
        ids = lazy["rule_ids"] = _joined((plan._tables or plan.tables()).rule_ids, view.mask)
    return ids


class _TableView(MatchView):
    """A view made from its plan's chunk tables (:attr:`Plan._table_view`): only its outcome
    (from the plan's rank masks) and its rule ids (every host reads them: decision records,
    logs, the command line) are worked out when made; its violations, codes and approvers are
    each gathered from the tables when first read (:func:`_gather`: a host reads some of them,
    rarely all; the approvers of a plan naming few roles from its role masks,
    :meth:`Plan.approvers_of`), and its rules and their positions from :attr:`mask`. Its
    decisions (:class:`ViewDecision`) read them through it. Once a decision's three parts are
    read (the cache's next decision of the pattern copies them), it becomes a plain
    :class:`MatchView`: every later read is a plain slot read (a :class:`_LazyIdsView` whose
    rule ids are not read yet, an :class:`_IdsToGatherView`: plain reads but for those)."""

    __slots__ = ()

    # a partial calls _gather from C (a lambda around it would cost a Python frame per read);
    # a plain function, never looked up on the view: another thread may turn the view into a
    # plain MatchView while a read is under way
    violations = property(functools.partial(_gather, "violations"), doc="The violations.")
    violation_codes = property(functools.partial(_gather, "violation_codes"), doc="Their codes.")
    approvers = property(functools.partial(_gather, "approvers"), doc="The approving roles.")


class _LazyIdsView(_TableView):
    """A :class:`_TableView` of a pattern reaching past :data:`EAGER_IDS_CHUNKS` chunks: its
    rule ids too are gathered when first read (:func:`_rule_ids`), since gathering them costs
    about as much as the whole cached decision and a host reading outcome, violations or
    approvers alone never needs them."""

    __slots__ = ()

    rule_ids = property(_rule_ids, doc="The ids of the rules selected.")


def _ids_then_plain(view: MatchView) -> tuple[str, ...]:
    """The rule ids of an :class:`_IdsToGatherView`, gathered when first read; the view then
    becomes a plain :class:`MatchView`."""
    ids = _rule_ids(view)
    _SLOTS["rule_ids"].__set__(view, ids)
    view.__class__ = MatchView
    return ids


class _IdsToGatherView(MatchView):
    """A :class:`_LazyIdsView` whose violations, codes and approvers have been read (plain
    slots now) but not its rule ids: they are gathered when first read
    (:func:`_ids_then_plain`), not for the switch, since gathering them costs about as much
    as the whole cached decision and a host reading the other parts may never read them."""

    __slots__ = ()

    rule_ids = property(_ids_then_plain, doc="The ids of the rules selected.")


EAGER_IDS_CHUNKS = 16
"""A view made from chunk tables gathers its rule ids when made while its mask spans at most
this many chunks (a short C-level sum, cheaper than the Python call a lazy read costs); past
it, when first read (:class:`_LazyIdsView`). Past it too, a plan's role masks find the
approvers (within it, the chunk tables' sum is cheaper)."""
_EAGER_BITS = CHUNK * EAGER_IDS_CHUNKS


_SLOTS = {name: vars(MatchView)[name] for name in ("rule_ids", *_PARTS)}
"""The slots of a view made from chunk tables, filled when it becomes a plain view."""


@dataclass(frozen=True, slots=True)
class _ChunkTables:
    """Per chunk of :data:`CHUNK` rules, what every decision reads of the rules that each
    value of the chunk's byte selects (``table[chunk][byte]``, a tuple, in rule order): rule
    ids, violations, their codes, and the approving roles (each once within the chunk). A
    pattern's part is its chunks' entries joined (see :func:`_gather`)."""

    rule_ids: list[list[tuple[str, ...]]]
    violations: list[list[tuple[Violation, ...]]]
    violation_codes: list[list[tuple[str, ...]]]
    approvers: list[list[tuple[str, ...]]]

    @classmethod
    def of(cls, rules: Sequence[CompiledRule]) -> _ChunkTables:
        """The tables of ``rules``: each entry is the lowest selected rule's items before the
        entry of the byte without it (``table[b] = item(b & -b) + table[b & (b - 1)]``)."""
        tables: tuple[list[Any], ...] = ([], [], [], [])
        for start in range(0, len(rules), CHUNK):
            chunk = rules[start:start + CHUNK]
            items = [((r.rule_id,), r.violations, tuple(map(_CODE, r.violations)), r.roles) for r in chunk]
            ids: list[tuple[Any, ...]] = [()] * (1 << len(chunk))
            violations, codes, approvers = ids[:], ids[:], ids[:]
            for byte in range(1, len(ids)):
                low = byte & -byte
                rest = byte ^ low
                rule_id, violation, code, roles = items[low.bit_length() - 1]
                ids[byte] = rule_id + ids[rest]
                violations[byte] = violation + violations[rest]
                codes[byte] = code + codes[rest]
                both = roles + approvers[rest]
                approvers[byte] = both if len(both) < 2 else tuple(_FROMKEYS(both))
            for table, made in zip(tables, (ids, violations, codes, approvers), strict=True):
                table.append(made)
        return cls(*tables)


def _role_masks(rules: Sequence[CompiledRule]) -> tuple[tuple[str, int], ...] | None:
    """Each approving role of ``rules`` and the rules naming it, a bit each, when there are
    fewer roles than chunks of :data:`CHUNK` rules; else None (the chunk tables are cheaper)."""
    masks: dict[str, int] = {}
    for at, rule in enumerate(rules):
        for role in rule.roles:
            masks[role] = masks.get(role, 0) | 1 << at
    chunks = (len(rules) + CHUNK - 1) // CHUNK
    return tuple(masks.items()) if len(masks) < chunks else None


def _mask_of(rules: Sequence[CompiledRule], test: Callable[[CompiledRule], Any]) -> int:
    """The rules passing ``test``, a bit each."""
    return sum(1 << at for at, rule in enumerate(rules) if test(rule))


def _table_view_lines(rules: Sequence[CompiledRule], const: Callable[[Any], str]) -> list[str]:
    """The lines (one indent deep) making ``view``, the :class:`_TableView` of the nonzero mask
    ``m`` (after the hit policies) of a plan of ``rules``, with no call but the rule ids' join:
    the body of the generated :attr:`Plan._table_view`, and the generated judge's miss path
    inline (see :func:`_judge_source`). Its outcome comes from the rank masks (ranks no rule
    has are left out), whether it computes due times from the mask of rules with one (a plan
    with none: never), its rule ids from the chunk tables within :data:`EAGER_IDS_CHUNKS` chunks
    (joined over a fixed number of bytes: adding an empty entry costs less than finding the
    last byte with a match), past them when first read (:class:`_LazyIdsView`). Constants go
    through ``const``."""
    ranks = [(rank, _mask_of(rules, lambda rule: rule.rank == rank)) for rank in (3, 2, 1)]  # noqa: B023 - used at once
    rank = " else ".join([f"{rank} if m & {const(mask)}" for rank, mask in ranks if mask] + ["0"])
    eager = [
        "view = _NEW(_TableView)",
        "_tables = _plan._tables",
        "if _tables is None:",
        "    _tables = _plan.tables()",
        f"view.rule_ids = _sum(_map(_AT, _tables.rule_ids, m.to_bytes({EAGER_IDS_CHUNKS}, 'little')), ())",
    ]
    lines = eager if len(rules) <= _EAGER_BITS else [
        f"if m >> {_EAGER_BITS}:", "    view = _NEW(_LazyIdsView)", "else:", *("    " + line for line in eager),
    ]
    dynamic = _mask_of(rules, _DYNAMIC)
    lines += [
        "view.plan = _plan",
        "view.mask = m",
        "view.policies = _refs",
        "view._lazy = {}",
        f"view.rank = _rank = {rank}",
        "view.outcome = _BY_RANK[_rank]",
        *([f"view.dynamic = _due = m & {const(dynamic)} != 0",
           "view.make = _TimedDecision if _due else _ViewDecision"] if dynamic else
          ["view.dynamic = False", "view.make = _ViewDecision"]),
        "view.recent = False",
    ]
    return ["    " + line for line in lines]


def _evict(views: OrderedDict[int, MatchView]) -> None:
    """Drop one pattern: the oldest not read since it was last looked at; the others read
    meanwhile move to the back with their flag cleared (each is passed over at most once).
    The cache is ordered by a linked list (:class:`~collections.OrderedDict`): taking a plain
    dict's first key walks over the slots its earlier evictions emptied (6.4 µs per miss with
    the cache full, against 0.5 µs)."""
    for _ in range(len(views) + 1):
        try:  # one C-level call: another thread may evict at the same time
            mask, view = views.popitem(last=False)
        except KeyError:  # emptied meanwhile
            return
        if not view.recent:
            return
        view.recent = False
        views[mask] = view


@dataclass
class Plan:
    """Everything compiled for one fact type."""

    model: type[BaseModel]
    fact_type: str
    policies: tuple[Policy, ...]
    rules: tuple[CompiledRule, ...]
    decide: Callable[[Any, datetime | None], int]
    rule_checks: tuple[Callable[[Any, datetime | None], bool], ...]
    reads_now: bool
    source: str
    select: Callable[[list[int]], list[int]] | None = None
    policy_refs: tuple[PolicyRef, ...] = field(default=())
    _views: OrderedDict[int, MatchView] = field(default_factory=OrderedDict)
    """The pattern cache: mask -> its view."""
    few: int = 0
    """How many match patterns the plan can give at most, when that is provably few: ``2**n``
    for ``n <= CHUNK`` rules; for more, the product over fields of each field's distinct masks,
    when every rule is shared tests alone (:func:`~csrules._engine.shared.patterns_at_most`),
    and at most :data:`FEW_PATTERNS`. 0: not provably few."""
    _kept: dict[int, MatchView] | None = None
    """A plan of few patterns: the view of each pattern seen so far (after the hit policies),
    kept for good, never more than :attr:`few` (None: not made yet, or emptied)."""
    _tables: _ChunkTables | None = None
    """The plan's chunk tables, made when a pattern's part is first gathered from them (None:
    not made yet, or emptied)."""
    pack: Any = None
    """The :class:`~csrules._engine.record.PackRef` the policies came from (set by the engine)."""
    judge: Callable[[Any, datetime | None], Decision] = field(init=False, repr=False, compare=False)
    """The decision for a validated fact: generated with :attr:`decide`'s tests inline, then
    the match pattern's view looked up (worked out on a miss) and the decision made; a rule
    that fails sends the fact to :meth:`decide_safely`, which finds and records it."""

    _table_view: Callable[[int], MatchView] = field(init=False, repr=False, compare=False)
    """The view of the rules a nonzero ``mask`` selects, made with no ``__init__`` frame: its
    outcome from the rank masks, its rule ids from the chunk tables (a plain slot, read with no
    call; past :data:`EAGER_IDS_CHUNKS` chunks, when first read), the rest from them when first
    read (:class:`_TableView`, which makes the tables if need be). Generated
    (:func:`_table_view_lines`): the generated judge makes a miss's view with the same lines
    inline."""

    entry: Callable[..., Decision] = field(init=False, repr=False, compare=False)
    """``Engine.evaluate`` of a one-type engine, generated with :attr:`judge`'s code inline
    (see :meth:`bind_entry`)."""

    def bind_entry(
        self, general: Callable[..., Decision], check_now: Callable[[Any], None]
    ) -> Callable[..., Decision]:
        """:attr:`entry`, sending what it does not judge itself (another type, a named type,
        ``as_of``, a dict it cannot validate) to ``general``, an engine's general path, and
        checking ``now`` with ``check_now``. One engine binds a plan's entry: plans are
        compiled per engine."""
        self.entry.__globals__.update(_general=general, _check_now=check_now)
        return self.entry

    def __post_init__(self) -> None:
        # model_validate minus its Python wrapper: the same core validator, one call less.
        self.validate: Callable[[Any], Any] = self.model.__pydantic_validator__.validate_python
        # False when no rule has a due time: no match pattern then needs looking at.
        self.dynamic = any(rule.dynamic for rule in self.rules)
        self._nothing = MatchView(self)  # the view of the pattern where no rule matched
        self.role_masks = _role_masks(self.rules)
        self._roles_shared_by_a_rule = any(len(rule.roles) > 1 for rule in self.rules)

    def approvers_of(self, mask: int) -> tuple[str, ...]:
        """The approving roles of the rules ``mask`` selects, in rule order, each once, from
        :attr:`role_masks`: a few big-integer operations per role, whatever the number of
        rules (the chunk tables cost one step per chunk)."""
        assert self.role_masks is not None
        # each role by its first rule selected (its lowest bit); bits compare as rule order
        found: list[tuple[Any, ...]] = [(hit & -hit, role) for role, bits in self.role_masks if (hit := mask & bits)]
        if len(found) < 2:
            return tuple([role for _, role in found])
        if self._roles_shared_by_a_rule:  # two roles may share a first rule: that rule's order
            found = [(low, self.rules[low.bit_length() - 1].roles.index(role), role) for low, role in found]
        found.sort()
        return tuple([pair[-1] for pair in found])

    role_masks: tuple[tuple[str, int], ...] | None = field(init=False, repr=False, compare=False)
    """Each approving role with the rules naming it, a bit each, when the plan has more chunks
    than roles (None otherwise): a pattern's approvers are then found from them."""

    def view(self, mask: int) -> MatchView:
        """What a match mask means, worked out once per distinct mask while it stays cached.

        The cache of patterns is bounded (:data:`MAX_VIEWS`) and keeps the patterns in use:
        once full, it drops the oldest pattern not read since it was last looked at ("second
        chance", an approximation of least-recently-used whose hit costs one flag). A pattern
        outside it is made from the plan's chunk tables, or, in a plan of few patterns
        (:attr:`few`), found among the views it keeps for good: see :meth:`_new_view`.
        """
        view = self._views.get(mask)
        return view if view is not None else self._new_view(mask)

    def _new_view(self, mask: int) -> MatchView:
        """The view of a mask not in the pattern cache, put in the cache (the generated judge
        calls this on a miss), made from the plan's chunk tables; a plan of few patterns
        (:attr:`few`) keeps every pattern's view for good."""
        kept = mask
        if self.select is not None:  # what the hit policies keep, as a mask again
            kept = 0
            for position in self.select(matched_positions(mask)):
                kept |= 1 << position
        view: MatchView | None
        if not kept:
            view = self._nothing
        elif self.few:
            views_kept = self._kept
            if views_kept is None:
                views_kept = self._kept = {}
            view = views_kept.get(kept)
            if view is None:
                view = self._table_view(kept)
                if len(views_kept) < self.few:  # bounded whatever comes (a rule failing drops its bit)
                    views_kept[kept] = view
        else:
            view = self._table_view(kept)
        views = self._views
        if len(views) >= MAX_VIEWS:
            _evict(views)
        views[mask] = view
        return view

    def tables(self) -> _ChunkTables:
        """The chunk tables, made when first needed (about 1 ms for 82 rules, 14 ms for 512)."""
        tables = self._tables
        if tables is None:
            tables = self._tables = _ChunkTables.of(self.rules)
        return tables

    def decide_safely(self, fact: Any, now: datetime | None) -> Decision:
        """Evaluate rule by rule, recording failures instead of raising (the slow path)."""
        mask = 0
        errors: list[RuleError] = []
        stopped: set[str] = set()
        # priority policies: the highest priority of a rule that failed; a match below it is not
        # kept, since the failed rule might have held and outranked it
        undecided: dict[str, int] = {}
        hit_policies = {policy.id: policy.hit_policy for policy in self.policies}  # once, not a search per rule
        for index, (rule, check) in enumerate(zip(self.rules, self.rule_checks, strict=True)):
            if rule.policy_id in stopped:
                continue
            hit_policy = hit_policies[rule.policy_id]
            try:
                hit = check(fact, now)
            except Exception as exc:  # recorded as data: ErrorMode.SKIP
                errors.append(self._rule_error(rule, exc, fact, now))
                if hit_policy == "first":  # a later rule must not win in its place
                    stopped.add(rule.policy_id)
                elif hit_policy == "priority":
                    undecided[rule.policy_id] = max(undecided.get(rule.policy_id, rule.priority), rule.priority)
                continue
            if hit:
                mask |= 1 << index
                if hit_policy == "first":
                    stopped.add(rule.policy_id)
        if undecided:
            for index, rule in enumerate(self.rules):
                if mask >> index & 1 and rule.priority < undecided.get(rule.policy_id, rule.priority):
                    mask &= ~(1 << index)
        view = self.view(mask)
        return make_decision(view, fact, now, tuple(errors))

    def _policy(self, policy_id: str) -> Policy:
        return next(p for p in self.policies if p.id == policy_id)

    def _rule_error(self, rule: CompiledRule, exc: Exception, fact: Any, now: datetime | None) -> RuleError:
        """The error of a rule that failed; a host kind failing in it is named (found by the
        explaining interpreter, which fails at the same condition)."""
        message = f"{type(exc).__name__}: {exc}"
        if all(is_builtin_kind(cond.kind) for cond in walk(rule.rule.when)):
            return RuleError(rule.policy_id, rule.rule_id, message)
        policy = self._policy(rule.policy_id)
        describe = DescribeContext(self.model, policy.param_values)
        node = trace_rule(self.model, policy, rule.rule, fact, now, describe, selected=False).condition
        nodes, failed = [node], dict[str, None]()
        while nodes:
            node = nodes.pop()
            nodes.extend(node.children)
            if node.error is not None and not is_builtin_kind(node.kind):
                failed[node.kind] = None
        if failed:
            message += f" (in condition kind {', '.join(map(repr, failed))})"
        return RuleError(rule.policy_id, rule.rule_id, message)

    def explain(self, fact: Any, now: datetime | None, selected: set[int]) -> Trace:
        """The trace for ``fact``: each rule's condition tree, interpreted with values."""
        contexts = {p.id: DescribeContext(self.model, p.param_values) for p in self.policies}
        return Trace(tuple(
            trace_rule(self.model, self._policy(rule.policy_id), rule.rule, fact, now,
                       contexts[rule.policy_id], selected=index in selected)
            for index, rule in enumerate(self.rules)
        ))


def trace_rule(
    model: type[BaseModel],
    policy: Policy,
    rule: Rule,
    fact: Any,
    now: datetime | None,
    describe: DescribeContext,
    *,
    selected: bool,
    matched: bool | None = None,
    windows: Mapping[int, Any] | None = None,
) -> RuleTrace:
    """One rule's trace: its condition tree interpreted with the values seen. ``matched`` is
    what the fast path found (a session's backend); None takes the interpreter's answer.
    ``windows`` are a session's window values (see :class:`Env`)."""
    env = Env(fact, now, policy.param_values, model, describe, windows)
    node = env.evaluate(rule.when)
    held = node.result is True if matched is None else matched
    return RuleTrace(policy.id, rule.id, held, selected, node)


def hit_selector(
    rules: Sequence[CompiledRule], hit: Mapping[str, str]
) -> Callable[[list[int]], list[int]] | None:
    """What each policy's hit policy (``hit``: policy id -> mode) keeps of the matched rule
    positions, in rule order: ``first`` the first, ``priority`` those of the highest
    priority, ``collect`` all. None when every policy collects (nothing to select)."""
    if all(mode == "collect" for mode in hit.values()):
        return None

    def select(matched: list[int]) -> list[int]:
        best: dict[str, int] = {}
        for position in matched:
            rule = rules[position]
            if hit[rule.policy_id] == "priority":
                best[rule.policy_id] = max(best.get(rule.policy_id, rule.priority), rule.priority)
        kept: list[int] = []
        first_done: set[str] = set()
        for position in matched:
            rule = rules[position]
            mode = hit[rule.policy_id]
            if mode == "first":
                if rule.policy_id in first_done:
                    continue
                first_done.add(rule.policy_id)
            elif mode == "priority" and rule.priority != best[rule.policy_id]:
                continue
            kept.append(position)
        return kept

    return select


_FIELD_READ = re.compile(r"(?<![\w.])f\.([A-Za-z_][A-Za-z0-9_]*)")


def hoist_fields(body: list[str], model: type[BaseModel], read: frozenset[str] = frozenset()) -> list[str]:
    """``body`` (the lines of ``_decide``) reading each model field that several conditions
    read once, into a local, at the top. Fields in ``read`` are already in their locals
    (``_f_<name>``): every read of them uses the local.

    Only declared fields move (a plain read of the validated fact, never a computed one).
    Reading them first changes no answer: a fact whose field cannot be read makes
    ``_decide`` fail either way, and the rule-by-rule fallback decides as before.
    """
    counts: dict[str, int] = {}
    for line in body[1:]:
        for name in _FIELD_READ.findall(line):
            counts[name] = counts.get(name, 0) + 1
    hoisted = {name for name, count in counts.items() if count > 1 and name in model.model_fields}
    local_names = hoisted | read
    if not local_names:
        return body

    def local(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"_f_{name}" if name in local_names else match.group(0)

    reads = [f"    _f_{name} = f.{name}" for name in sorted(hoisted - read)]
    return [body[0], *reads, *(_FIELD_READ.sub(local, line) for line in body[1:])]


SHARE_RULES_PER_FIELD = 6
"""A plan shares tests across rules when at least this many rules per shared field take part:
a field's look-up (and bisection) costs about what four to six plain rule tests cost, so
below that, testing rule by rule is faster (measured with ``benchmarks/bench_scaling.py``)."""


@dataclass
class _Entry:
    """One rule on its way into the plan: where it stands and how it compiles."""

    index: int
    policy: Policy
    rule_id: str
    ctx: CompileContext
    expression: str
    rule: Rule


def _text_equality(entry: _Entry, model: type[BaseModel]) -> tuple[str, str, list[ConditionBase]] | None:
    """``(field, constant, rest)`` when ``entry``'s rule starts with ``field == "constant"``
    on a top-level text field (its ``all``'s first test, or its whole condition)."""
    rule = entry.rule
    parts = list(rule.when.of) if isinstance(rule.when, All) and rule.when.of else [rule.when]
    if not isinstance(parts[0], Compare) or parts[0].op != "==":
        return None
    found = atom_of(parts[0], model, entry.policy.param_values)
    if found is None or type(found[1].constant) is not str:
        return None
    return found[0], found[1].constant, parts[1:]


_Led = tuple[_Entry, str, str, list[ConditionBase]]
"""A rule led by an equality on a text field: the rule, the field, the constant, the rest."""


def _grouped(entries: list[_Entry], model: type[BaseModel]) -> dict[int, list[_Led]]:
    """Rules of policies that do not stop at their first match, starting with an equality
    on a text field that at least one other such rule starts with too: by the position of
    the first of them, the rules of each field. A text value equals at most one constant,
    so their tests become one ``if``/``elif`` chain on the field."""
    by_field: dict[str, list[_Led]] = {}
    for entry in entries:
        if entry.policy.hit_policy == "first":
            continue
        found = _text_equality(entry, model)
        if found is not None:
            by_field.setdefault(found[0], []).append((entry, *found))
    return {group[0][0].index: group for group in by_field.values() if len(group) > 1}


def _chain(group: list[_Led], ctx: CompileContext) -> list[str]:
    """The ``if``/``elif`` chain of one field's equality-led rules (see :func:`_grouped`):
    under each constant, the rest of each rule led by it, in rule order."""
    by_constant: dict[str, list[tuple[_Entry, list[ConditionBase]]]] = {}
    for entry, _, constant, rest in group:
        by_constant.setdefault(constant, []).append((entry, rest))
    value = ctx.attribute("f", group[0][1])
    lines: list[str] = []
    for at, (constant, rules) in enumerate(by_constant.items()):
        lines.append(f"    {'elif' if at else 'if'} {value} == {ctx.const(constant)}:")
        for entry, rest in rules:
            if not rest:
                lines.append(f"        m += 1 << {entry.index}")
                continue
            try:
                test = join([source_of(part, entry.ctx) for part in rest], "and")
            except PolicyError as exc:
                raise exc.located(policy_id=entry.policy.id, rule_id=entry.rule_id) from exc.__cause__
            lines.extend((f"        if {test}:", f"            m += 1 << {entry.index}"))
    return lines


def _rule_by_rule(entries: list[_Entry], generator: CodeGenerator, model: type[BaseModel]) -> list[str]:
    """The body of ``_decide`` testing every rule in order (rules led by an equality on one
    text field share its tests, see :func:`_grouped`). Each rule adds its own bit once:
    ``+=`` sets it as ``|=`` would, and is the faster operation on ints. The order in which
    rules are tested matters only under ``first``; a rule that fails sends the whole fact
    down the rule-by-rule path, whichever rule fails first."""
    body = ["def _decide(f, now):", "    m = 0"]
    flags: dict[str, str] = {}
    groups = _grouped(entries, model)
    chained = {entry.index for group in groups.values() for entry, *_ in group}
    for entry in entries:
        index, expression = entry.index, entry.expression
        if index in groups:
            body.extend(_chain(groups[index], entry.ctx))
        if index in chained:
            continue
        # 1 << index, not its value: a mask of thousands of rules has too many digits
        if entry.policy.hit_policy != "first":
            body.extend((f"    if {expression}:", f"        m += 1 << {index}"))
            continue
        # "first": a flag skips the rest once a rule matched (an elif chain of thousands of
        # rules is too deep for Python's compiler)
        done = flags.get(entry.policy.id)
        if done is None:
            done = flags[entry.policy.id] = generator.fresh("_d")
            body.append(f"    {done} = False")
        body.extend((f"    if not {done} and ({expression}):",
                     f"        m += 1 << {index}", f"        {done} = True"))
    body.append("    return m")
    return body


def _shared_body(
    entries: list[_Entry],
    split: list[SharedRule],
    generator: CodeGenerator,
    model: type[BaseModel],
    constants: dict[str, Any],
) -> tuple[list[str], list[str], frozenset[str]]:
    """The body of ``_decide`` with tests shared across rules (:mod:`csrules._engine.shared`):
    the lines reading the shared fields, the rest, and the fields read into ``_f_<name>``."""
    everyone = (1 << len(entries)) - 1
    tables = build_tables(split, everyone)
    ctx = generator.context({}, constants)
    body = ["def _decide(f, now):"]
    reads: list[str] = []
    read: set[str] = set()
    outs = []
    for table in tables:
        if table.path.isascii() and table.path.isidentifier():
            local = f"_f_{table.path}"
            read.add(table.path)
        else:
            local = generator.fresh("_v")
        reads.append(f"    {local} = {ctx.attribute('f', table.path)}")
        out = generator.fresh("_s")
        body.extend(table_source(table, local, ctx.const, out))
        outs.append(out)
    body.append(f"    M = {' & '.join(outs)}")
    full = sum(1 << rule.index for rule in split if rule.atoms and not rule.rest)
    body.append(f"    m = M & {ctx.const(full)}")
    for rule in split:
        if not rule.rest:
            continue
        entry = entries[rule.index]
        try:
            rest = join([source_of(part, entry.ctx) for part in rule.rest], "and")
        except PolicyError as exc:
            raise exc.located(policy_id=entry.policy.id, rule_id=entry.rule_id) from exc.__cause__
        test = f"M >> {rule.index} & 1 and {rest}" if rule.atoms else rest
        body.extend((f"    if {test}:", f"        m += 1 << {rule.index}"))  # a bit not set yet
    firsts: dict[str, int] = {}
    for entry in entries:
        if entry.policy.hit_policy == "first":
            firsts[entry.policy.id] = firsts.get(entry.policy.id, 0) | 1 << entry.index
    for segment in firsts.values():  # "first": keep the lowest rule matched in the policy
        name = ctx.const(segment)
        body.extend((f"    _h = m & {name}", "    if _h:", "        m ^= _h ^ (_h & -_h)"))
    body.append("    return m")
    return reads, body, frozenset(read)


def compile_plan(
    model: type[BaseModel], fact_type: str, policies: tuple[Policy, ...], *, share: bool | None = None
) -> Plan:
    """Generate, compile and bind the decision function for one fact type.

    ``share`` forces tests shared across rules on or off (None: on when enough rules per
    field take part, see :data:`SHARE_RULES_PER_FIELD`); the answers are the same either way.
    """
    generator = CodeGenerator(model, f"plan {fact_type}")
    constants: dict[str, Any] = {}
    rules: list[CompiledRule] = []
    entries: list[_Entry] = []
    split: list[SharedRule] = []
    checks = []
    reads_now = False
    for policy in policies:
        ctx = generator.context(policy.param_values, constants)
        for rule in policy.rules:
            index = len(rules)
            compiled = CompiledRule.of(policy, rule)
            try:  # a host kind's faulty handler is named with the rule
                expression = generator.expression(rule.when, ctx)
                reads_now = reads_now_of(rule.when) or compiled.effects_read_now or reads_now
            except PolicyError as exc:
                raise exc.located(policy_id=policy.id, rule_id=rule.id) from exc.__cause__
            checks.append(generator.predicate(f"_r{index}", "f, now", expression))
            entries.append(_Entry(index, policy, rule.id, ctx, expression, rule))
            split.append(split_rule(index, rule.when, model, policy.param_values))
            rules.append(compiled)
    sharing = [rule for rule in split if rule.atoms]
    fields = {path for rule in sharing for path in rule.atoms}
    if share is None:
        share = len(sharing) >= SHARE_RULES_PER_FIELD * max(1, len(fields))
    reads: list[str] = []
    if share and sharing:
        reads, body, read = _shared_body(entries, split, generator, model, constants)
    else:
        body, read = _rule_by_rule(entries, generator, model), frozenset()
    lines = hoist_fields(body, model, read)
    lines[1:1] = reads  # the shared fields' reads come first, as written
    source = "\n".join(lines) + "\n\n" + "\n\n".join(checks) + "\n"
    dynamic = any(rule.dynamic for rule in rules)
    plan_rules = tuple(rules)
    select = hit_selector(plan_rules, {p.id: p.hit_policy for p in policies})
    everyone = (1 << len(plan_rules)) - 1
    few = 1 << len(plan_rules) if len(plan_rules) <= CHUNK else patterns_at_most(split, everyone, FEW_PATTERNS)
    view_lines = _table_view_lines(plan_rules, generator.context({}, constants).const)
    source += "\ndef _table_view(m):\n" + "\n".join(view_lines) + "\n    return view\n"
    # a plain model: a dict fact is judged from its validated values (see dict_validator)
    values = _values_body(lines, model)
    fast_dicts = dict_validator(model) if values is not None else None
    source += "\n" + _judge_source(
        lines, dynamic, reads_now, values=values if fast_dicts else None,
        view_lines=view_lines if select is None and not few else None,
    ) + "\n"
    namespace = generator.load(source, constants)
    plan = Plan(
        model=model,
        fact_type=fact_type,
        policies=policies,
        rules=plan_rules,
        decide=namespace["_decide"],
        rule_checks=tuple(namespace[f"_r{i}"] for i in range(len(plan_rules))),
        reads_now=reads_now,
        source=source,
        # "first" is already applied by the generated code; selecting again keeps the same
        select=select,
        policy_refs=tuple(PolicyRef(p.id, p.version, p.content_hash) for p in policies),
        few=few,
    )
    # what the generated _judge calls, bound once the plan exists (its globals are read per call)
    namespace.update(
        _get=plan._views.get, _view=plan._new_view, _safely=plan.decide_safely, _Failure=Exception,
        _make=make_decision, _Decision=Decision, _ViewDecision=ViewDecision, _type=type, _dict=dict, _Model=model,
        _validate=plan.validate, _Invalid=(ValidationError, OverflowError), _general=None,
        # the view of a miss, made by the generated lines (_table_view_lines, _miss_lines)
        _plan=plan, _refs=plan.policy_refs, _views=plan._views, _evict=_evict, _len=len,
        _compiled=sys.modules[__name__], _NEW=_NEW, _TableView=_TableView, _LazyIdsView=_LazyIdsView,
        _TimedDecision=TimedDecision, _BY_RANK=BY_RANK, _sum=sum, _map=map, _AT=_AT,
    )
    if fast_dicts is not None:
        validated, build = fast_dicts
        made = type("ValuesDecision", (ValuesDecision,), {"__slots__": (), "_build": staticmethod(build)})
        namespace.update(_values=validated, _build=build, _ValuesDecision=made)
    plan._table_view = namespace["_table_view"]
    plan.judge = namespace["_judge"]
    plan.entry = namespace["_entry"]
    plan.entry.__doc__ = f"Engine.evaluate for {fact_type} facts, generated (see Plan.entry)."
    return plan


def _values_body(decide: list[str], model: type[BaseModel]) -> list[str] | None:
    """The lines of ``_decide`` reading the fact's fields from the dict of its validated
    values (``f["name"]`` for ``f.name``), or None when they read the fact in any other way
    (a computed attribute, a helper given the fact): those need the model instance."""
    fields = model.model_fields

    def keyed(found: re.Match[str]) -> str:
        return f'f["{found.group(1)}"]' if found.group(1) in fields else found.group(0)

    out = [decide[0]]
    for line in decide[1:]:
        read = _FIELD_READ.sub(keyed, line)
        if _FACT.search(read.replace('f["', "")):  # f left: read some other way
            return None
        out.append(read)
    return out


_FACT = re.compile(r"(?<![\w.])f(?!\w)")
"""A use of the fact ``f``."""


def _miss_lines(view_lines: list[str] | None) -> list[str]:
    """The generated judge's lines finding ``view`` for the mask ``m`` outside the pattern
    cache: with ``view_lines`` (:func:`_table_view_lines`, for a plan whose patterns are neither
    selected by hit policies nor provably few), the view made inline and put in the cache as
    :meth:`Plan._new_view` puts it, with no Python frame (the three frames of the plan's miss
    path cost about a tenth of a 64-rule miss); else, and for the empty pattern, by
    :meth:`Plan._new_view`."""
    if view_lines is None:
        return ["        view = _view(m)"]
    return [
        "        if m:",
        *("        " + line for line in view_lines),
        "            if _len(_views) >= _compiled.MAX_VIEWS:",
        "                _evict(_views)",
        "            _views[m] = view",
        "        else:",
        "            view = _view(m)",
    ]


def _values_judge(decide: list[str], dynamic: bool, miss: list[str]) -> list[str]:
    """``_judge_values(f, now)``: the decision for the dict ``f`` of a fact's validated values
    (see :func:`~csrules._policy.facts.dict_validator`), the rule tests reading it; the fact
    itself is built when first read (:class:`ValuesDecision`), or at once when a rule fails or
    a due time needs it."""
    return [
        "def _judge_values(f, now):",
        "    try:",
        *("    " + line for line in decide[1:-1]),
        "    except _Failure:",
        "        return _safely(_build(f), now)",
        "    view = _get(m)",
        "    if view is None:",
        *miss,
        "    else:",
        "        view.recent = True",
        *(["    if view.dynamic:", "        return _make(view, _build(f), now)"] if dynamic else []),
        *_decision_lines("_ValuesDecision", "_values"),
        "",
    ]


def _decision_lines(cls: str, holder: str) -> list[str]:
    """The generated lines making the decision of class ``cls`` for ``view``, the fact (or its
    values) ``f`` kept in its slot ``holder``, as :func:`~csrules._engine.decision.make_decision`
    makes it."""
    return [
        f"    d = {cls}()",
        "    d._view = view",
        f"    d.{holder} = f",
        "    d.now = now",
        "    d._errors = ()",
        "    d.outcome = view.outcome",
        "    d.violations = view.violations",
        "    d.violation_codes = view.violation_codes",
        "    d.approvers = view.approvers",
        "    return d",
    ]


def _judge_source(
    decide: list[str], dynamic: bool, reads_now: bool, *, values: list[str] | None = None,
    view_lines: list[str] | None = None,
) -> str:
    """Two functions with the lines of ``_decide`` inline (in a ``try``: a rule that fails
    sends the fact to the rule-by-rule path), then the pattern's view and the decision, made
    inline as :func:`~csrules._engine.decision.make_decision` makes it:

    - ``_judge(f, now)``: the decision for a validated fact;
    - ``_entry(fact, *, now=None, fact_type=None, as_of=None)``: ``Engine.evaluate`` of a one-type
      engine, in one frame: a fact of the model (or a dict, validated here) with no option
      given is judged here, anything else goes to the engine's general path (``_general``).

    With ``values`` (the lines of ``_decide`` reading a dict, see :func:`_values_body`), the
    entry validates a dict fact into the dict of its values (``_values``) and judges it with
    ``_judge_values`` (:func:`_values_judge`), building no instance unless the fact is read.

    With ``view_lines`` a pattern outside the cache has its view made inline (:func:`_miss_lines`).
    """
    assert decide[-1] == "    return m"
    miss = _miss_lines(view_lines)
    verdict = [
        "    try:",
        *("    " + line for line in decide[1:-1]),
        "    except _Failure:",
        "        return _safely(f, now)",
        "    view = _get(m)",
        "    if view is None:",
        *miss,
        "        if view.make is _ViewDecision:  # its parts gathered when first read",
        "            d = _ViewDecision()",
        "            d._view = view",
        "            d.fact = f",
        "            d.now = now",
        "            d._errors = ()",
        "            return d",
        "    else:",
        "        view.recent = True",
        *(["    if view.dynamic:", "        return _make(view, f, now)"] if dynamic else []),
        *_decision_lines("_Decision", "fact"),
    ]
    options = "fact_type is not None or as_of is not None"
    entry = [
        "def _entry(fact, *, now=None, fact_type=None, as_of=None):",  # named as documented
        "    f = fact",
        f"    if _type(f) is not _Model or {options}:",
        f"        if _type(f) is not _dict or {options}:",
        "            return _general(f, now=now, fact_type=fact_type, as_of=as_of)",
        "        try:",
        f"            f = {'_values' if values else '_validate'}(f)",
        "        except _Invalid:  # the general path reports every problem as a FactError",
        "            return _general(f, now=now)",
        *([
            "        if now is not None:",
            "            _check_now(now)",
            *(["        else:", "            return _general(_build(f))  # refused: a rule reads the clock"]
              if reads_now else []),
            "        return _judge_values(f, now)",
        ] if values else []),
        "    if now is not None:",
        "        _check_now(now)",
        *(["    else:", "        return _general(f)  # refused: a rule reads the clock"] if reads_now else []),
    ]
    judge_values = _values_judge(values, dynamic, miss) if values else []
    return "\n".join([*judge_values, "def _judge(f, now):", *verdict, "", *entry, *verdict])
