"""What an evaluation returns: the effects that hold, the outcome, and a trace on demand."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar

from csrules._policy.model import KeyedEffect, Text
from csrules.exceptions import CalendarError, TimeError

if TYPE_CHECKING:
    from csrules._engine.record import DecisionRecord
    from csrules._policy.trace import Trace

__all__ = [
    "Approval",
    "Decision",
    "EffectViews",
    "ErrorMode",
    "Escalation",
    "Obligation",
    "Outcome",
    "PolicyRef",
    "Recommendation",
    "RuleError",
    "TimedDecision",
    "ValuesDecision",
    "ViewDecision",
    "Violation",
    "make_decision",
]


class Outcome(enum.Enum):
    """The overall result of a decision, from best to worst.

    - ``CLEAN``: nothing to do (recommendations may still be shown);
    - ``ACTION_REQUIRED``: an obligation or escalation applies, but nothing is wrong;
    - ``NEEDS_APPROVAL``: the fact stands only once a role approves it;
    - ``VIOLATION``: a rule is broken.

    Combining outcomes keeps the worst: a violation always outranks a clean result.

    .. versionadded:: 0.1
    """

    CLEAN = "clean"
    ACTION_REQUIRED = "action_required"
    NEEDS_APPROVAL = "needs_approval"
    VIOLATION = "violation"

    @property
    def rank(self) -> int:
        """0 for clean up to 3 for violation."""
        return _RANK[self]

    @classmethod
    def worst(cls, outcomes: Sequence[Outcome]) -> Outcome:
        """The worst of ``outcomes`` (``CLEAN`` for none)."""
        return max(outcomes, key=_RANK.__getitem__, default=cls.CLEAN)


class _MemberValue:
    """The outcome's name (``"violation"``...).

    Enum's own ``value`` descriptor runs two Python frames per read (3.11), and hosts read it
    on every decision: each member keeps its value in its own ``__dict__``, which a read finds
    first past this descriptor (it defines no ``__set__``), so a read is a plain attribute
    read with no call (measured faster than a C-level getter). Read on the class, it is itself.
    """

    def __get__(self, member: Outcome | None, owner: type | None = None) -> Any:
        return self if member is None else member._value_


type.__setattr__(Outcome, "value", _MemberValue())
for _member in Outcome:
    vars(_member)["value"] = _member._value_

_RANK = {
    Outcome.CLEAN: 0,
    Outcome.ACTION_REQUIRED: 1,
    Outcome.NEEDS_APPROVAL: 2,
    Outcome.VIOLATION: 3,
}
BY_RANK: tuple[Outcome, ...] = tuple(sorted(_RANK, key=_RANK.__getitem__))
"""Outcomes indexed by rank: ``BY_RANK[3] is Outcome.VIOLATION``."""


class ErrorMode(enum.Enum):
    """What happens when a rule fails while being evaluated.

    ``SKIP``: the rule counts as not matched and the failure is recorded in
    :attr:`Decision.errors`; other rules still decide. It is the only mode.

    .. versionadded:: 0.1
    """

    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """A policy's id, version and content hash, as recorded in a decision.

    The hash (:attr:`Policy.content_hash`) changes with any edit or parameter override, so
    two engines with differently tuned copies of one policy version are told apart.
    """

    id: str
    version: str
    content_hash: str = ""


def _text_dict(text: Text | None) -> dict[str, str] | None:
    return None if text is None else {"en": text.en, "zh": text.zh}


@dataclass(frozen=True, slots=True)
class Violation(KeyedEffect):
    """A rule is broken. ``consequence`` says what follows (for instance 曠工).

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    code: str
    severity: str
    message: Text
    consequence: Text | None = None

    outcome = Outcome.VIOLATION

    KEY: ClassVar[tuple[str, str | None]] = ("violation", "code")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "type": "violation",
            "policy": self.policy_id,
            "rule": self.rule_id,
            "code": self.code,
            "severity": self.severity,
            "message": _text_dict(self.message),
            "consequence": _text_dict(self.consequence),
        }


@dataclass(frozen=True, slots=True)
class Obligation(KeyedEffect):
    """Someone (``who``, a role) must do ``action``, by ``due`` when there is a deadline.

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    action: Text
    who: str
    due: datetime | None = None

    outcome = Outcome.ACTION_REQUIRED

    KEY: ClassVar[tuple[str, str | None]] = ("obligation", "who")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "type": "obligation",
            "policy": self.policy_id,
            "rule": self.rule_id,
            "action": _text_dict(self.action),
            "who": self.who,
            "due": self.due.isoformat() if self.due else None,
        }


@dataclass(frozen=True, slots=True)
class Approval(KeyedEffect):
    """The fact needs approval by ``role``.

    One approval per role in a :class:`Decision`: when several rules require the same role,
    ``rules`` lists every one of them in rule order (``rule_id`` and ``reason`` are the
    first's); a single rule's approval has ``rules == (rule_id,)``.

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    role: str
    reason: Text | None = None
    rules: tuple[str, ...] = ()

    outcome = Outcome.NEEDS_APPROVAL

    def __post_init__(self) -> None:
        if not self.rules:
            object.__setattr__(self, "rules", (self.rule_id,))

    KEY: ClassVar[tuple[str, str | None]] = ("approval", "role")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "type": "approval",
            "policy": self.policy_id,
            "rule": self.rule_id,
            "rules": list(self.rules),
            "role": self.role,
            "reason": _text_dict(self.reason),
        }


@dataclass(frozen=True, slots=True)
class Escalation(KeyedEffect):
    """The matter goes up to ``to`` (a role).

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    to: str
    reason: Text | None = None

    outcome = Outcome.ACTION_REQUIRED

    KEY: ClassVar[tuple[str, str | None]] = ("escalation", "to")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "type": "escalation",
            "policy": self.policy_id,
            "rule": self.rule_id,
            "to": self.to,
            "reason": _text_dict(self.reason),
        }


@dataclass(frozen=True, slots=True)
class Recommendation(KeyedEffect):
    """Advice to show, such as the phrase to use instead of a forbidden one.

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    text: Text

    outcome = Outcome.CLEAN

    KEY: ClassVar[tuple[str, str | None]] = ("recommendation", None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "type": "recommendation",
            "policy": self.policy_id,
            "rule": self.rule_id,
            "text": _text_dict(self.text),
        }


EffectResult = Violation | Obligation | Approval | Escalation | Recommendation


def merge_approvals(effects: Sequence[EffectResult]) -> tuple[EffectResult, ...]:
    """``effects`` with the approvals of one role merged into the first, listing every rule.

    >>> a = Approval("p", "r1", "head")
    >>> merged = merge_approvals([a, Approval("p", "r2", "head")])
    >>> [(e.role, e.rules) for e in merged]
    [('head', ('r1', 'r2'))]
    """
    first: dict[str, int] = {}
    merged: dict[int, dict[str, None]] = {}  # position of a role's first approval -> rules
    out: list[EffectResult] = []
    for effect in effects:
        if not isinstance(effect, Approval):
            out.append(effect)
            continue
        at = first.get(effect.role)
        if at is None:
            first[effect.role] = len(out)
            out.append(effect)
            continue
        rules = merged.get(at)
        if rules is None:
            kept = out[at]
            assert isinstance(kept, Approval)
            rules = merged[at] = dict.fromkeys(kept.rules)
        rules.update(dict.fromkeys(effect.rules))
    for at, rules in merged.items():  # one new approval per merged role
        kept = out[at]
        assert isinstance(kept, Approval)
        out[at] = Approval(kept.policy_id, kept.rule_id, kept.role, kept.reason, tuple(rules))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class RuleError:
    """A rule that failed while being evaluated (it counts as not matched).

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready form."""
        return {"policy": self.policy_id, "rule": self.rule_id, "message": self.message}


class EffectViews:
    """The effects of a decision or a session step, viewed by kind; one implementation for both.

    Subclasses provide :attr:`effects`.
    """

    __slots__ = ()

    @property
    def effects(self) -> tuple[EffectResult, ...]:
        """Every effect that holds, in order."""
        raise NotImplementedError

    @property
    def outcome(self) -> Outcome:
        """The worst outcome among the effects (``CLEAN`` when none)."""
        return Outcome.worst([effect.outcome for effect in self.effects])

    @property
    def is_clean(self) -> bool:
        """True when no violation, approval, obligation or escalation applies and no rule failed.

        A rule that failed (``errors``, for instance on a date its calendar does not cover)
        could not say whether it holds, so the result is not clean.
        """
        return self.outcome is Outcome.CLEAN and not getattr(self, "errors", ())

    @property
    def violations(self) -> tuple[Violation, ...]:
        """The violations that hold."""
        return tuple(e for e in self.effects if isinstance(e, Violation))

    @property
    def violation_codes(self) -> tuple[str, ...]:
        """The codes of the violations that hold, in the order of :attr:`violations`
        (repeated when two violations share a code).

        .. versionadded:: 0.2
        """
        return tuple([violation.code for violation in self.violations])

    @property
    def obligations(self) -> tuple[Obligation, ...]:
        """The obligations that hold, with their due times."""
        return tuple(e for e in self.effects if isinstance(e, Obligation))

    @property
    def approvals(self) -> tuple[Approval, ...]:
        """The approvals required."""
        return tuple(e for e in self.effects if isinstance(e, Approval))

    @property
    def escalations(self) -> tuple[Escalation, ...]:
        """The escalations that apply."""
        return tuple(e for e in self.effects if isinstance(e, Escalation))

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """The recommendations to show."""
        return tuple(e for e in self.effects if isinstance(e, Recommendation))

    @property
    def approvers(self) -> tuple[str, ...]:
        """The roles that must approve, in rule order, without repeats."""
        return tuple(dict.fromkeys(a.role for a in self.approvals))

    @property
    def effect_keys(self) -> tuple[str, ...]:
        """Short names of the effects (``violation:ATT-7``, ``approval:centre_director``)."""
        return tuple(effect.key for effect in self.effects)


class Decision(EffectViews):
    """The answer for one fact: effects, outcome, the rules that decided, and a trace.

    Decisions are cheap to make and to read: everything that depends only on which rules
    matched (outcome, violations, approvers, effect keys...) is worked out once per match
    pattern and shared by every decision with that pattern; due times, which depend on the
    fact, are computed once per decision, when first read. The trace is computed only when
    :attr:`trace` is read (by re-running the explaining interpreter on the same fact and
    ``now``, which gives the same answer by construction).

    .. versionadded:: 0.1
    """

    __slots__ = (
        "_effects", "_errors", "_trace", "_view", "approvers", "fact", "now", "outcome", "violation_codes",
        "violations",
    )

    error_mode = ErrorMode.SKIP
    _effects: tuple[EffectResult, ...]
    _errors: tuple[RuleError, ...]
    _trace: Trace
    _view: Any  # the match pattern's MatchView
    fact: Any
    """The fact judged (as validated)."""
    now: datetime | None
    """The current time the fact was judged at (None when no rule reads it)."""
    outcome: Outcome
    """The worst outcome among the effects (``CLEAN`` when none)."""
    violations: tuple[Violation, ...]
    """The violations that hold."""
    violation_codes: tuple[str, ...]
    """The codes of the violations that hold, in the order of :attr:`violations` (repeated
    when two violations share a code): worked out once per match pattern.

    .. versionadded:: 0.2
    """
    approvers: tuple[str, ...]
    """The roles that must approve, in rule order, without repeats."""

    # No ``__init__``: a decision is made by :func:`make_decision` (or by the generated judge,
    # which fills the same slots inline): calling a class without a Python ``__init__`` and
    # storing slots costs less than one Python frame.

    errors = property(
        attrgetter("_errors"), doc="Rules that failed while being evaluated (each counts as not matched)."
    )

    @property
    def policies(self) -> tuple[PolicyRef, ...]:
        """The ids, versions and content hashes of the policies that judged the fact."""
        return self._view.policies  # type: ignore[no-any-return]

    @property
    def matches(self) -> tuple[tuple[str, str], ...]:
        """``(policy_id, rule_id)`` of every rule whose effects apply, in order."""
        return self._view.matches  # type: ignore[no-any-return]

    rule_ids = property(  # a C-level getter: no Python frame on a read every host makes
        attrgetter("_view.rule_ids"), doc="Ids of the rules whose effects apply, in order."
    )

    @property
    def effects(self) -> tuple[EffectResult, ...]:
        """Every effect that holds, in rule order (approvals of one role merged)."""
        return self._view.templates  # type: ignore[no-any-return]

    @property
    def obligations(self) -> tuple[Obligation, ...]:
        """The obligations that hold, with their due times."""
        return self._view.obligations  # type: ignore[no-any-return]

    @property
    def approvals(self) -> tuple[Approval, ...]:
        """The approvals required."""
        return self._view.approvals  # type: ignore[no-any-return]

    @property
    def escalations(self) -> tuple[Escalation, ...]:
        """The escalations that apply."""
        return self._view.escalations  # type: ignore[no-any-return]

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """The recommendations to show."""
        return self._view.recommendations  # type: ignore[no-any-return]

    @property
    def effect_keys(self) -> tuple[str, ...]:
        """Short names of the effects (``violation:ATT-7``, ``approval:centre_director``)."""
        return self._view.effect_keys  # type: ignore[no-any-return]

    @property
    def is_clean(self) -> bool:
        """True when no violation, approval, obligation or escalation applies and no rule failed.

        A rule that failed (``errors``, for instance on a date its calendar does not cover)
        could not say whether it holds, so the result is not clean.
        """
        return self.outcome is Outcome.CLEAN and not self._errors

    @property
    def rule_effects(self) -> dict[tuple[str, str], tuple[EffectResult, ...]]:
        """``(policy_id, rule_id)`` -> that rule's own effects, for every rule that applies.

        Tells apart rules that share a regulation code (``violation:ATT-9`` from any of
        eight rules) or an approver, in rule order.
        """
        return self._view.rule_effects_for(self.fact, self.now)  # type: ignore[no-any-return]

    @property
    def trace(self) -> Trace:
        """For every rule: matched or not, the conditions that decided it, the values seen."""
        try:
            return self._trace
        except AttributeError:
            view = self._view
            self._trace = view.plan.explain(self.fact, self.now, set(view.selected))
            return self._trace

    def to_dict(self, *, trace: bool = False) -> dict[str, Any]:
        """A JSON-ready form (add ``trace=True`` for the full trace)."""
        out: dict[str, Any] = {
            "outcome": self.outcome.value,
            "policies": [{"id": p.id, "version": p.version, "content_hash": p.content_hash} for p in self.policies],
            "rules": [rule for _, rule in self.matches],
            "effects": [effect.to_dict() for effect in self.effects],
        }
        if self._errors:
            out["errors"] = [error.to_dict() for error in self._errors]
        if trace:
            out["trace"] = self.trace.to_dict()
        return out

    def record(self, *, trace: bool = False) -> DecisionRecord:
        """This decision kept as data (:class:`~csrules.records.DecisionRecord`): the fact,
        ``now``, the policies' ids, versions, content hashes and parameters, the pack, the
        effects and the outcome; with ``trace=True`` the trace too."""
        from csrules._engine.record import make_record  # records load on first use

        return make_record(self, trace=trace)

    def __copy__(self) -> Decision:
        # subclasses read some slots through properties (the pattern's view, due times), which
        # slot-by-slot copying cannot set: a copy is the decision of the same pattern, fact and now
        return make_decision(self._view, self.fact, self.now, self._errors)

    def __deepcopy__(self, memo: dict[int, Any]) -> Decision:
        # the same for a deep copy, with the fact copied deeply (the view is the plan's, shared)
        import copy  # only when asked: not on import

        return make_decision(self._view, copy.deepcopy(self.fact, memo), self.now, self._errors)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return (self.policies, self.matches, self.effects, self.errors) == (
            other.policies,
            other.matches,
            other.effects,
            other.errors,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        failed = f" errors={[e.rule_id for e in self.errors]}" if self.errors else ""
        return f"<Decision {self.outcome.value} rules={list(self.rule_ids)}{failed}>"


# What hosts read on every decision, swapped for C-level getters of the same attributes
# (no Python frame per read); the properties above stay the documented, typed definitions.
_VIEW_READS = {name: name for name in (
    "policies", "matches", "rule_ids", "obligations", "approvals", "escalations", "recommendations",
    "effect_keys",
)} | {"effects": "templates"}
for _name, _attr in _VIEW_READS.items():
    setattr(Decision, _name, property(attrgetter(f"_view.{_attr}"), doc=getattr(Decision, _name).__doc__))


def make_decision(view: Any, fact: Any, now: datetime | None, errors: tuple[RuleError, ...] = ()) -> Decision:
    """The decision for ``fact`` judged at ``now`` whose match pattern ``view`` (a
    :class:`~csrules._engine.compile.MatchView`) holds everything that depends only on which
    rules matched; what hosts read on every decision is copied into plain slots (read with no
    call). A pattern with due times makes a :class:`TimedDecision`, whose views compute them; a
    pattern whose view works those parts out when first read, a :class:`ViewDecision`."""
    make = view.make
    decision: Decision = make()
    decision._view = view
    decision.fact = fact
    decision.now = now
    decision._errors = errors
    if make is Decision:
        decision.outcome = view.outcome
        decision.violations = view.violations
        decision.violation_codes = view.violation_codes
        decision.approvers = view.approvers
    return decision


class TimedDecision(Decision):
    """A decision whose effects include a due time computed from the fact or ``now``.

    Its views first compute this decision's effects, so a due time that cannot be computed
    (a date the calendar does not cover) raises the csrules error, naming the rule, from
    every view, as :attr:`effects` does.
    """

    __slots__ = ()

    @property
    def effects(self) -> tuple[EffectResult, ...]:
        """Every effect that holds, in rule order (due times computed for this fact).

        Approvals of one role are merged into one that lists every rule requiring it
        (:attr:`Approval.rules`); :attr:`rule_effects` keeps each rule's own effects.
        """
        try:
            return self._effects
        except AttributeError:
            view = self._view
            try:
                self._effects = view.effects_for(self.fact, self.now)
            except (CalendarError, TimeError):  # raised again naming the rule that failed
                view.rule_effects_for(self.fact, self.now)
                raise
            return self._effects

    def _shared(self) -> Any:
        """The match view, once this decision's due times are known."""
        self.effects  # noqa: B018 - computed once, raises the csrules error
        return self._view

    @property
    def outcome(self) -> Outcome:  # type: ignore[override]
        """The worst outcome among the effects (``CLEAN`` when none)."""
        return self._shared().outcome  # type: ignore[no-any-return]

    @property
    def violations(self) -> tuple[Violation, ...]:  # type: ignore[override]
        """The violations that hold."""
        return self._shared().violations  # type: ignore[no-any-return]

    @property
    def violation_codes(self) -> tuple[str, ...]:  # type: ignore[override]
        """The codes of the violations that hold, in the order of :attr:`violations`."""
        return self._shared().violation_codes  # type: ignore[no-any-return]

    @property
    def obligations(self) -> tuple[Obligation, ...]:
        """The obligations that hold, with their due times."""
        return tuple(e for e in self.effects if isinstance(e, Obligation))

    @property
    def approvals(self) -> tuple[Approval, ...]:
        """The approvals required."""
        return self._shared().approvals  # type: ignore[no-any-return]

    @property
    def escalations(self) -> tuple[Escalation, ...]:
        """The escalations that apply."""
        return self._shared().escalations  # type: ignore[no-any-return]

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """The recommendations to show."""
        return self._shared().recommendations  # type: ignore[no-any-return]

    @property
    def approvers(self) -> tuple[str, ...]:  # type: ignore[override]
        """The roles that must approve, in rule order, without repeats."""
        return self._shared().approvers  # type: ignore[no-any-return]

    @property
    def effect_keys(self) -> tuple[str, ...]:
        """Short names of the effects (``violation:ATT-7``, ``approval:centre_director``)."""
        return self._shared().effect_keys  # type: ignore[no-any-return]


class ViewDecision(Decision):
    """A decision reading its outcome, violations, codes and approvers through its pattern's
    view (C-level getters), which works each out when first read: the decision of a pattern
    outside the cache of a plan of many rules, where a host reads only some of them."""

    __slots__ = ()


for _name in ("outcome", "violations", "violation_codes", "approvers"):
    setattr(ViewDecision, _name, property(attrgetter(f"_view.{_name}"), doc=getattr(Decision, _name).__doc__))


def _lazy_slot(slot: Any, make: Callable[[Any], Any], doc: str) -> property:
    """A property over the slot ``slot`` (a :class:`Decision` slot a subclass shadows): its
    value, or ``make(decision)`` kept in it when first read; setting it sets the slot."""

    def read(decision: Any) -> Any:
        try:
            return slot.__get__(decision)
        except AttributeError:
            value = make(decision)
            slot.__set__(decision, value)
            return value

    return property(read, slot.__set__, doc=doc)


class ValuesDecision(Decision):
    """A decision on a dict fact of a plain model, judged from the dict of its validated
    values: the model instance (:attr:`fact`, the one ``model_validate`` returns) is built from
    them when first read. Each plan judging such a model makes its own subclass, whose class
    holds the function building it (``_build``).
    """

    __slots__ = ("_values",)

    _values: dict[str, Any]
    _build: Any

    fact = _lazy_slot(vars(Decision)["fact"], lambda d: d._build(d._values),
                      "The fact judged (as validated), built from its values when first read.")
