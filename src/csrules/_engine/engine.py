"""The engine: policies compiled once into plain Python, evaluated many times.

For each fact type the engine generates one function that tests every rule in order and
returns the indices of the rules that matched (the way fastjsonschema compiles a schema).
Constants (literals, parameter values, phrase matchers) are bound as names in the generated
module; no value is ever spliced into the source. The explaining interpreter in
:mod:`csrules._policy.kinds.core` produces traces on demand and is held to the same answers by tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from csrules._engine.decision import (
    Approval,
    Decision,
    EffectResult,
    Escalation,
    Obligation,
    PolicyRef,
    Recommendation,
    RuleError,
    Violation,
    merge_approvals,
)
from csrules._policy.facts import fact_type_name, get_fact_type, read_path, validate_fact
from csrules._policy.kinds.base import (
    CompileContext,
    DescribeContext,
    Env,
    handler_for,
    show_value,
)
from csrules._policy.model import Approve, Escalate, Oblige, Policy, Recommend, Rule, Text, Violate
from csrules._policy.trace import RuleTrace, Trace
from csrules._time.calendar import BusinessCalendar, ensure_aware
from csrules._time.durations import BusinessDuration, WallDuration
from csrules._time.registry import get_calendar
from csrules.exceptions import CalendarError, FactError, PolicyError, TimeError

__all__ = ["Engine"]

_BUILTINS = {"bool": bool}


def render_text(text: Text | None, params: dict[str, Any]) -> Text | None:
    """``text`` with ``{param}`` placeholders replaced by the values in force, per language."""
    if text is None:
        return text
    return text.fill(
        {k: show_value(v, "en").strip("“”") for k, v in params.items()},
        {k: show_value(v, "zh").strip("“”") for k, v in params.items()},
    )


@dataclass(frozen=True, slots=True)
class _DueRule:
    """How to compute one obligation's due time from the fact and ``now``."""

    template: Obligation
    since: str | None
    delta: timedelta
    calendar: BusinessCalendar | None = None
    business: BusinessDuration | None = None

    def resolve(self, fact: Any, now: datetime | None) -> Obligation:
        start = now if self.since is None else read_path(fact, self.since)
        if start is None:
            due = None
        elif self.calendar is not None and self.business is not None:
            due = self.calendar.add(start, self.business)
        else:  # added to the instant, shown in start's zone: 24 h is 24 h across a DST change
            due = (ensure_aware(start) + self.delta).astimezone(start.tzinfo)
        return Obligation(
            self.template.policy_id,
            self.template.rule_id,
            self.template.action,
            self.template.who,
            due,
        )


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its effects pre-rendered with the parameter values in force."""

    policy_id: str
    rule_id: str
    priority: int
    rule: Rule
    static_effects: tuple[EffectResult | _DueRule, ...]

    def resolve(self, fact: Any, now: datetime | None) -> tuple[EffectResult, ...]:
        """The rule's effects for this fact (due times filled in)."""
        return tuple(
            e.resolve(fact, now) if isinstance(e, _DueRule) else e for e in self.static_effects
        )


def _compile_effects(policy: Policy, rule: Rule) -> tuple[EffectResult | _DueRule, ...]:
    params = policy.param_values
    out: list[EffectResult | _DueRule] = []
    for effect in rule.then:
        if isinstance(effect, Violate):
            out.append(
                Violation(
                    policy.id,
                    rule.id,
                    effect.code,
                    effect.severity,
                    render_text(effect.message, params) or effect.message,
                    render_text(effect.consequence, params),
                )
            )
        elif isinstance(effect, Approve):
            out.append(
                Approval(policy.id, rule.id, effect.role, render_text(effect.reason, params))
            )
        elif isinstance(effect, Escalate):
            out.append(
                Escalation(policy.id, rule.id, effect.to, render_text(effect.reason, params))
            )
        elif isinstance(effect, Recommend):
            out.append(
                Recommendation(policy.id, rule.id, render_text(effect.text, params) or effect.text)
            )
        elif isinstance(effect, Oblige):
            template = Obligation(
                policy.id, rule.id, render_text(effect.action, params) or effect.action, effect.who
            )
            if effect.due is None:
                out.append(template)
            else:
                duration = (
                    effect.due.after if effect.due.param is None else params[effect.due.param]
                )
                if isinstance(duration, BusinessDuration) and effect.due.calendar is not None:
                    calendar = get_calendar(effect.due.calendar)
                    out.append(_DueRule(template, effect.due.since, timedelta(0), calendar, duration))
                    continue
                if not isinstance(duration, WallDuration):
                    raise PolicyError(
                        f"due time {duration} is business time and needs a calendar "
                        "(add calendar: <name> to due)",
                        policy_id=policy.id,
                        rule_id=rule.id,
                    )
                out.append(_DueRule(template, effect.due.since, duration.delta))
    return tuple(out)


def _effects_read_now(rule: Rule) -> bool:
    return any(
        isinstance(e, Oblige) and e.due is not None and e.due.since is None for e in rule.then
    )


_MAX_VIEWS = 4096


def check_now(now: Any) -> None:
    """Refuse a ``now`` that is not an aware datetime (None passes: no rule may need it)."""
    if now is None:
        return
    if not isinstance(now, datetime):
        raise TimeError(
            f"now must be a datetime with a time zone (got {type(now).__name__} {now!r})"
        )
    if now.utcoffset() is None:
        raise TimeError(f"now must carry a time zone (got naive {now.isoformat()})")


class MatchView:
    """The rules a match mask selects, with their ids and (when fixed) their effects."""

    __slots__ = ("_static", "_static_by_rule", "matches", "rule_ids", "rules", "selected")

    def __init__(self, rules: tuple[CompiledRule, ...], selected: tuple[int, ...]) -> None:
        self.rules = rules
        self.selected = selected
        self.rule_ids = tuple(rule.rule_id for rule in rules)
        self.matches = tuple((rule.policy_id, rule.rule_id) for rule in rules)
        dynamic = any(isinstance(e, _DueRule) for rule in rules for e in rule.static_effects)
        self._static_by_rule: tuple[tuple[EffectResult, ...], ...] | None = (
            None if dynamic else tuple(rule.resolve(None, None) for rule in rules)
        )
        self._static: tuple[EffectResult, ...] | None = (
            None
            if self._static_by_rule is None
            else merge_approvals([e for effects in self._static_by_rule for e in effects])
        )

    def effects_for(self, fact: Any, now: datetime | None) -> tuple[EffectResult, ...]:
        """The effects for this fact, approvals of one role merged (:func:`merge_approvals`):
        shared when fixed, computed when a due time depends on it."""
        if self._static is not None:
            return self._static
        return merge_approvals([e for rule in self.rules for e in rule.resolve(fact, now)])

    def rule_effects_for(
        self, fact: Any, now: datetime | None
    ) -> dict[tuple[str, str], tuple[EffectResult, ...]]:
        """``(policy_id, rule_id)`` -> that rule's own effects; a due time that cannot be
        computed raises the csrules error with the rule's id in its message."""
        if self._static_by_rule is not None:
            return dict(zip(self.matches, self._static_by_rule, strict=True))
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

    def __post_init__(self) -> None:
        # model_validate minus its Python wrapper: the same core validator, one call less.
        self.validate: Callable[[Any], Any] = self.model.__pydantic_validator__.validate_python

    def view(self, mask: int) -> MatchView:
        """What a match mask means (rule ids, effects), worked out once per distinct mask."""
        view = self._views.get(mask)
        if view is None:
            matched = [i for i in range(len(self.rules)) if mask >> i & 1]
            selected = matched if self.select is None else self.select(matched)
            view = MatchView(tuple(self.rules[i] for i in selected), tuple(selected))
            if len(self._views) < _MAX_VIEWS:  # bounded: masks seen in practice are few
                self._views[mask] = view
        return view

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
        return Decision(self, fact, now, mask, tuple(errors))

    def _policy(self, policy_id: str) -> Policy:
        return next(p for p in self.policies if p.id == policy_id)

    def explain(self, fact: Any, now: datetime | None, selected: set[int]) -> Trace:
        """The trace for ``fact``: each rule's condition tree, interpreted with values."""
        traces = []
        contexts = {p.id: DescribeContext(self.model, p.param_values) for p in self.policies}
        for index, rule in enumerate(self.rules):
            policy = self._policy(rule.policy_id)
            env = Env(fact, now, policy.param_values, self.model, contexts[policy.id])
            node = env.evaluate(rule.rule.when)
            traces.append(
                RuleTrace(
                    rule.policy_id, rule.rule_id, node.result is True, index in selected, node
                )
            )
        return Trace(tuple(traces))


def _select_by_priority(
    plan_rules: tuple[CompiledRule, ...], priority_policies: frozenset[str]
) -> Callable[[list[int]], list[int]]:
    def select(matched: list[int]) -> list[int]:
        best: dict[str, int] = {}
        for index in matched:
            rule = plan_rules[index]
            if rule.policy_id in priority_policies:
                best[rule.policy_id] = max(best.get(rule.policy_id, rule.priority), rule.priority)
        return [
            i
            for i in matched
            if plan_rules[i].policy_id not in priority_policies
            or plan_rules[i].priority == best[plan_rules[i].policy_id]
        ]

    return select


def compile_plan(model: type[BaseModel], fact_type: str, policies: tuple[Policy, ...]) -> Plan:
    """Generate, compile and bind the decision function for one fact type."""
    rules: list[CompiledRule] = []
    body = ["def _decide(f, now):", "    m = 0"]
    checks = []
    reads_now = False
    constants: dict[str, Any] = {}
    counter = itertools.count()
    for policy in policies:
        ctx = CompileContext(model, policy.param_values, constants=constants, counter=counter)
        # "first": a flag skips the rest once a rule matched (an elif chain of thousands of
        # rules is too deep for Python's compiler)
        done = f"_d{next(counter)}" if policy.hit_policy == "first" else None
        if done is not None:
            body.append(f"    {done} = False")
        for rule in policy.rules:
            index = len(rules)
            handler = handler_for(rule.when)
            expression = handler.source(rule.when, ctx)
            reads_now = reads_now or handler.reads_now(rule.when) or _effects_read_now(rule)
            # 1 << index, not its value: a mask of thousands of rules has too many digits
            if done is None:
                body.extend((f"    if {expression}:", f"        m |= 1 << {index}"))
            else:
                body.extend((f"    if not {done} and ({expression}):",
                             f"        m |= 1 << {index}", f"        {done} = True"))
            checks.append(f"def _r{index}(f, now):\n    return bool({expression})")
            rules.append(
                CompiledRule(
                    policy.id, rule.id, rule.priority, rule, _compile_effects(policy, rule)
                )
            )
    body.append("    return m")
    source = "\n".join(body) + "\n\n" + "\n\n".join(checks) + "\n"
    namespace: dict[str, Any] = {"__builtins__": _BUILTINS, **constants}
    exec(compile(source, f"<csrules plan {fact_type}>", "exec"), namespace)
    priority = frozenset(p.id for p in policies if p.hit_policy == "priority")
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
        select=_select_by_priority(plan_rules, priority) if priority else None,
        policy_refs=tuple(PolicyRef(p.id, p.version) for p in policies),
    )


class Engine:
    """Policies compiled for evaluation. Immutable, and safe to share between threads.

    >>> engine = Engine([policy])                              # doctest: +SKIP
    >>> decision = engine.evaluate(fact, now=now)              # doctest: +SKIP
    >>> decision.outcome, decision.approvers, decision.trace   # doctest: +SKIP

    .. versionadded:: 0.1
    """

    __slots__ = ("_by_class", "_only", "_plans", "policies")

    def __init__(self, policies: Policy | Iterable[Policy]) -> None:
        if isinstance(policies, Policy):
            policies = [policies]
        policies = tuple(policies)
        if not policies:
            raise PolicyError("an engine needs at least one policy")
        for policy in policies:
            if not isinstance(policy, Policy):
                raise PolicyError(f"expected Policy objects, got {type(policy).__name__}")
        ids = [p.id for p in policies]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise PolicyError(
                f"policy ids must be unique in an engine (repeated: {', '.join(duplicated)})"
            )
        _set = object.__setattr__  # the engine is frozen; only __init__ writes its slots
        _set(self, "policies", policies)
        grouped: dict[str, list[Policy]] = {}
        for policy in policies:
            grouped.setdefault(policy.fact_type, []).append(policy)
        plans = {
            fact_type: compile_plan(get_fact_type(fact_type), fact_type, tuple(group))
            for fact_type, group in grouped.items()
        }
        _set(self, "_plans", plans)
        _set(self, "_by_class", {plan.model: plan for plan in plans.values()})
        # With one fact type, a dict fact needs no dispatch: validate it straight away.
        _set(self, "_only", next(iter(plans.values())) if len(plans) == 1 else None)

    policies: tuple[Policy, ...]
    _plans: dict[str, Plan]
    _by_class: dict[type, Plan]
    _only: Plan | None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Engine is immutable; build a new one to change {name!r}")

    @property
    def fact_types(self) -> tuple[str, ...]:
        """The fact types this engine judges."""
        return tuple(self._plans)

    def _plan_named(self, fact_type: Any, index: int | None) -> Plan:
        """The plan for ``fact_type``; a :class:`FactError` lists the types judged here."""
        plan = self._plans.get(fact_type)
        if plan is None:
            raise self._unjudged(fact_type, index)
        return plan

    def _unjudged(self, fact_type: Any, index: int | None) -> FactError:
        return FactError(
            f"no policy in this engine judges {fact_type!r} facts "
            f"(it judges: {', '.join(self._plans)})",
            fact_type=str(fact_type),
            index=index,
        )

    def _plan_for(self, fact: Any, fact_type: str | None, index: int | None) -> tuple[Plan, Any]:
        only = self._only
        if only is not None and fact_type is None and type(fact) is dict:
            try:
                return only, only.validate(fact)
            except ValidationError:
                pass  # validate_fact below turns the error into a FactError with every problem
        if fact_type is not None:
            named = self._plan_named(fact_type, index)
            return named, validate_fact(named.model, fact, index=index)
        if isinstance(fact, BaseModel):
            for cls in type(fact).__mro__:
                plan = self._by_class.get(cls)
                if plan is not None:
                    return plan, fact
            raise self._unjudged(fact_type_name(type(fact)) or type(fact).__name__, index)
        if len(self._plans) == 1:
            plan = next(iter(self._plans.values()))
            return plan, validate_fact(plan.model, fact, index=index)
        raise FactError(
            f"this engine judges several fact types ({', '.join(self._plans)}); "
            "pass fact_type= with a dict fact",
            index=index,
        )

    def evaluate(
        self, fact: Any, *, now: datetime | None = None, fact_type: str | None = None
    ) -> Decision:
        """Judge one fact (a model instance, or a dict that is validated first).

        ``now`` is required, and must carry a time zone, when a rule reads the current
        time; nothing reads the clock. A bad fact raises :class:`FactError` listing every
        problem. A rule that fails while running is recorded in ``decision.errors``.
        """
        plan = self._by_class.get(type(fact))
        if plan is None:
            plan, fact = self._plan_for(fact, fact_type, None)
        if now is not None:
            if type(now) is not datetime or now.utcoffset() is None:
                check_now(now)  # refuses anything but an aware datetime (or subclass)
        elif plan.reads_now:
            raise TimeError(
                f"a rule judging {plan.fact_type} facts reads the current time; pass now="
            )
        try:
            return Decision(plan, fact, now, plan.decide(fact, now))
        except Exception:  # a rule failed: find which, record it, keep the others
            return plan.decide_safely(fact, now)

    def evaluate_many(
        self, facts: Iterable[Any], *, now: datetime | None = None, fact_type: str | None = None
    ) -> Iterator[Decision]:
        """Judge facts one by one, yielding decisions as they come (bounded memory).

        A bad fact raises :class:`FactError` whose ``index`` is its position in ``facts``.
        """
        check_now(now)
        by_class = self._by_class
        for index, fact in enumerate(facts):
            plan = by_class.get(type(fact))
            if plan is None:
                plan, fact = self._plan_for(fact, fact_type, index)
            if now is None and plan.reads_now:
                raise TimeError(
                    f"a rule judging {plan.fact_type} facts reads the current time; pass now="
                )
            try:
                decision = Decision(plan, fact, now, plan.decide(fact, now))
            except Exception:
                decision = plan.decide_safely(fact, now)
            yield decision

    def explain(
        self, fact: Any, *, now: datetime | None = None, fact_type: str | None = None
    ) -> str:
        """The readable trace of one fact's decision."""
        return self.evaluate(fact, now=now, fact_type=fact_type).trace.render()

    def source(self, fact_type: str) -> str:
        """The generated Python for ``fact_type`` (for the curious and for debugging)."""
        return self._plan_named(fact_type, None).source

    def __repr__(self) -> str:
        return f"<Engine policies={[f'{p.id}@{p.version}' for p in self.policies]}>"
