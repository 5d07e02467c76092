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

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

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
    Violation,
    merge_approvals,
)
from csrules._policy.facts import read_path
from csrules._policy.kinds.base import (
    CompileContext,
    ConditionBase,
    DescribeContext,
    Env,
    handler_for,
    show_value,
)
from csrules._policy.model import Policy, Rule, Text
from csrules._policy.trace import RuleTrace, Trace
from csrules._time.calendar import BusinessCalendar, ensure_aware
from csrules._time.durations import BusinessDuration, WallDuration
from csrules._time.registry import get_calendar
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

_BUILTINS = {"bool": bool}
MAX_VIEWS = 16384
"""How many match patterns a plan keeps worked out (the oldest makes room for a new one)."""


# --------------------------------------------------------------------------- the generator


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
        return handler_for(cond).source(cond, ctx)

    @staticmethod
    def predicate(name: str, args: str, expression: str) -> str:
        """The source of a function ``name(args)`` returning ``expression`` as a bool."""
        return f"def {name}({args}):\n    return bool({expression})"

    def load(self, source: str, constants: dict[str, Any]) -> dict[str, Any]:
        """Compile ``source`` with ``constants`` bound as globals; the resulting namespace."""
        namespace: dict[str, Any] = {"__builtins__": _BUILTINS, **constants}
        exec(compile(source, f"<csrules {self.label}>", "exec"), namespace)
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


def render_text(text: Text | None, params: dict[str, Any]) -> Text | None:
    """``text`` with ``{param}`` placeholders replaced by the values in force, per language."""
    if text is None:
        return text
    return text.fill(
        {k: show_value(v, "en").strip("“”") for k, v in params.items()},
        {k: show_value(v, "zh").strip("“”") for k, v in params.items()},
    )


@dataclass(frozen=True, slots=True)
class DueRule:
    """How to compute one obligation's due time from the fact and ``now``."""

    template: Obligation
    since: str | None
    delta: timedelta
    calendar: BusinessCalendar | None = None
    business: BusinessDuration | None = None

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
        else:  # added to the instant, shown in start's zone: 24 h is 24 h across a DST change
            due = (ensure_aware(start) + self.delta).astimezone(start.tzinfo)
        template = self.template
        return Obligation(template.policy_id, template.rule_id, template.action, template.who, due)


CompiledEffect = EffectResult | DueRule
"""An effect ready to apply: fixed, or a due time still to compute per fact."""

EffectCompiler = Callable[[Any, Policy, Rule], CompiledEffect]
"""Turns one effect of a rule into its compiled form, parameter values filled in."""


def _violation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    params = policy.param_values
    return Violation(
        policy.id,
        rule.id,
        effect.code,
        effect.severity,
        render_text(effect.message, params) or effect.message,
        render_text(effect.consequence, params),
    )


def _approval(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    return Approval(policy.id, rule.id, effect.role, render_text(effect.reason, policy.param_values))


def _escalation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    return Escalation(policy.id, rule.id, effect.to, render_text(effect.reason, policy.param_values))


def _recommendation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    text = render_text(effect.text, policy.param_values) or effect.text
    return Recommendation(policy.id, rule.id, text)


def _obligation(effect: Any, policy: Policy, rule: Rule) -> CompiledEffect:
    params = policy.param_values
    action = render_text(effect.action, params) or effect.action
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
    return DueRule(template, due.since, duration.delta)


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

    def __post_init__(self) -> None:
        templates = tuple(
            e.template if isinstance(e, DueRule) else e for e in self.static_effects
        )
        object.__setattr__(self, "templates", templates)
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



class MatchView:
    """What one match pattern means: the rules it selects, their ids, and everything else
    that depends only on which rules matched (outcome, effects by kind, approvers, effect
    keys), each worked out when first read and then shared by every decision with that
    pattern. Due times depend on the fact: :meth:`effects_for` computes them."""

    __slots__ = (
        "_approvers",
        "_keys",
        "_kinds",
        "_outcome",
        "_templates",
        "dynamic",
        "matches",
        "plan",
        "rule_ids",
        "rules",
        "selected",
    )

    def __init__(self, plan: Plan, rules: tuple[CompiledRule, ...], selected: tuple[int, ...]) -> None:
        # Only what every decision reads is made now: a pattern seen once stays cheap.
        self.plan = plan
        self.rules = rules
        self.selected = selected
        self.rule_ids = tuple([rule.rule_id for rule in rules])
        self.matches = tuple([(rule.policy_id, rule.rule_id) for rule in rules])
        self.dynamic = plan.dynamic and any(rule.dynamic for rule in rules)
        self._templates: tuple[EffectResult, ...] | None = None
        self._outcome: Outcome | None = None
        self._approvers: tuple[str, ...] | None = None
        self._keys: tuple[str, ...] | None = None
        self._kinds: dict[type, tuple[Any, ...]] = {}

    @property
    def templates(self) -> tuple[EffectResult, ...]:
        """The effects with due times left out, approvals of one role merged."""
        if self._templates is None:
            self._templates = merge_approvals([e for rule in self.rules for e in rule.templates])
        return self._templates

    @property
    def outcome(self) -> Outcome:
        """The worst outcome among the effects (a due time never changes it)."""
        if self._outcome is None:
            self._outcome = BY_RANK[max([rule.rank for rule in self.rules], default=0)]
        return self._outcome

    def of_kind(self, kind: type) -> tuple[Any, ...]:
        """The effects of one class (obligations without their due times); only approvals
        need merging, so the other kinds never wait for it."""
        found = self._kinds.get(kind)
        if found is None:
            own = [e for rule in self.rules for e in rule.templates if isinstance(e, kind)]
            found = self._kinds[kind] = merge_approvals(own) if kind is Approval else tuple(own)
        return found

    @property
    def approvers(self) -> tuple[str, ...]:
        """The roles that must approve, in rule order, without repeats."""
        if self._approvers is None:  # merged approvals: one per role, first-required order
            self._approvers = tuple([approval.role for approval in self.of_kind(Approval)])
        return self._approvers

    @property
    def effect_keys(self) -> tuple[str, ...]:
        """Short names of the effects (a due time never changes them)."""
        if self._keys is None:
            self._keys = tuple([effect.key for effect in self.templates])
        return self._keys

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
    _views: dict[int, MatchView] = field(default_factory=dict)
    pack: Any = None
    """The :class:`~csrules._engine.record.PackRef` the policies came from (set by the engine)."""

    def __post_init__(self) -> None:
        # model_validate minus its Python wrapper: the same core validator, one call less.
        self.validate: Callable[[Any], Any] = self.model.__pydantic_validator__.validate_python
        # False when no rule has a due time: no match pattern then needs looking at.
        self.dynamic = any(rule.dynamic for rule in self.rules)

    def view(self, mask: int) -> MatchView:
        """What a match mask means, worked out once per distinct mask while it stays cached.

        The cache is bounded: once full, a new mask evicts the oldest one, so a policy with
        more patterns than fit keeps the recent ones (a pattern made afresh costs little:
        a view computes its parts when first read).
        """
        view = self._views.get(mask)
        if view is None:
            matched = matched_positions(mask)
            selected = matched if self.select is None else self.select(matched)
            rules = self.rules
            view = MatchView(self, tuple([rules[i] for i in selected]), tuple(selected))
            views = self._views
            if len(views) >= MAX_VIEWS:
                del views[next(iter(views))]
            views[mask] = view
        return view

    def judge(self, fact: Any, now: datetime | None) -> Decision:
        """The decision for a validated fact (a failing rule is found and recorded)."""
        try:
            mask = self.decide(fact, now)
        except Exception:  # a rule failed: find which, record it, keep the others
            return self.decide_safely(fact, now)
        return Decision(self._views.get(mask) or self.view(mask), fact, now)

    def decide_safely(self, fact: Any, now: datetime | None) -> Decision:
        """Evaluate rule by rule, recording failures instead of raising (the slow path)."""
        mask = 0
        errors: list[RuleError] = []
        stopped: set[str] = set()
        for index, (rule, check) in enumerate(zip(self.rules, self.rule_checks, strict=True)):
            if rule.policy_id in stopped:
                continue
            try:
                hit = check(fact, now)
            except Exception as exc:  # recorded as data: ErrorMode.SKIP
                errors.append(
                    RuleError(rule.policy_id, rule.rule_id, f"{type(exc).__name__}: {exc}")
                )
                continue
            if hit:
                mask |= 1 << index
                if self._policy(rule.policy_id).hit_policy == "first":
                    stopped.add(rule.policy_id)
        return Decision(self.view(mask), fact, now, tuple(errors))

    def _policy(self, policy_id: str) -> Policy:
        return next(p for p in self.policies if p.id == policy_id)

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


def hoist_fields(body: list[str], model: type[BaseModel]) -> list[str]:
    """``body`` (the lines of ``_decide``) reading each model field that several conditions
    read once, into a local, at the top.

    Only declared fields move (a plain read of the validated fact, never a computed one).
    Reading them first changes no answer: a fact whose field cannot be read makes
    ``_decide`` fail either way, and the rule-by-rule fallback decides as before.
    """
    counts: dict[str, int] = {}
    for line in body[1:]:
        for name in _FIELD_READ.findall(line):
            counts[name] = counts.get(name, 0) + 1
    hoisted = {name for name, count in counts.items() if count > 1 and name in model.model_fields}
    if not hoisted:
        return body

    def local(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"_f_{name}" if name in hoisted else match.group(0)

    reads = [f"    _f_{name} = f.{name}" for name in sorted(hoisted)]
    return [body[0], *reads, *(_FIELD_READ.sub(local, line) for line in body[1:])]


def compile_plan(model: type[BaseModel], fact_type: str, policies: tuple[Policy, ...]) -> Plan:
    """Generate, compile and bind the decision function for one fact type."""
    generator = CodeGenerator(model, f"plan {fact_type}")
    constants: dict[str, Any] = {}
    rules: list[CompiledRule] = []
    body = ["def _decide(f, now):", "    m = 0"]
    checks = []
    reads_now = False
    for policy in policies:
        ctx = generator.context(policy.param_values, constants)
        # "first": a flag skips the rest once a rule matched (an elif chain of thousands of
        # rules is too deep for Python's compiler)
        done = generator.fresh("_d") if policy.hit_policy == "first" else None
        if done is not None:
            body.append(f"    {done} = False")
        for rule in policy.rules:
            index = len(rules)
            compiled = CompiledRule.of(policy, rule)
            expression = generator.expression(rule.when, ctx)
            reads_now = (
                reads_now or handler_for(rule.when).reads_now(rule.when) or compiled.effects_read_now
            )
            # 1 << index, not its value: a mask of thousands of rules has too many digits
            if done is None:
                body.extend((f"    if {expression}:", f"        m |= 1 << {index}"))
            else:
                body.extend((f"    if not {done} and ({expression}):",
                             f"        m |= 1 << {index}", f"        {done} = True"))
            checks.append(generator.predicate(f"_r{index}", "f, now", expression))
            rules.append(compiled)
    body.append("    return m")
    source = "\n".join(hoist_fields(body, model)) + "\n\n" + "\n\n".join(checks) + "\n"
    namespace = generator.load(source, constants)
    plan_rules = tuple(rules)
    return Plan(
        model=model,
        fact_type=fact_type,
        policies=policies,
        rules=plan_rules,
        decide=namespace["_decide"],
        rule_checks=tuple(namespace[f"_r{i}"] for i in range(len(plan_rules))),
        reads_now=reads_now,
        source=source,
        # "first" is already applied by the generated code; selecting again keeps the same
        select=hit_selector(plan_rules, {p.id: p.hit_policy for p in policies}),
        policy_refs=tuple(PolicyRef(p.id, p.version, p.content_hash) for p in policies),
    )
