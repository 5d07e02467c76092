"""The condition language: a typed AST, one pydantic model per kind, tagged by ``kind``.

Each kind is data, never code. The table in :mod:`csrules._policy.kinds.core` maps every kind to the
handler that checks, compiles, traces and describes it; a new kind is a new model here (or in
its own module) plus one ``register_kind`` call, and no existing kind changes.

In a policy file a condition reads::

    when:
      kind: all
      of:
        - {kind: compare, path: kind, op: "==", value: personal}
        - {kind: elapsed, since: requested_at, until: shift_start, op: "<", duration: 1d}
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csrules._time.durations import DurationField

__all__ = [
    "All",
    "Any_",
    "Compare",
    "CompareOp",
    "ConditionBase",
    "Contains",
    "Elapsed",
    "In",
    "IsMissing",
    "IsSet",
    "Not",
    "NotIn",
]

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
"""The comparison operators."""


class ConditionBase(BaseModel):
    """Base of every condition kind: frozen, closed, tagged by ``kind``.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str

    def children(self) -> tuple[ConditionBase, ...]:
        """Nested conditions, for walkers (checker, docs, coverage)."""
        return ()


if TYPE_CHECKING:
    # At run time the union of every registered kind is bound by csrules._policy.model.
    Condition = ConditionBase


class All(ConditionBase):
    """Holds when every condition in ``of`` holds (an empty list holds).

    ``{kind: all, of: [{kind: is_set, path: approver},
    {kind: compare, path: days, op: ">", value: 1}]}``
    holds for ``{approver: "lead", days: 2}``, not for ``{approver: null, days: 2}``.
    """

    kind: Literal["all"] = "all"
    of: list[Condition]

    def children(self) -> tuple[ConditionBase, ...]:
        """The conjuncts."""
        return tuple(self.of)


class Any_(ConditionBase):
    """Holds when at least one condition in ``of`` holds (an empty list does not).

    ``{kind: any, of: [{kind: compare, path: emotion, op: "==", value: angry}, ...]}``
    """

    kind: Literal["any"] = "any"
    of: list[Condition]

    def children(self) -> tuple[ConditionBase, ...]:
        """The disjuncts."""
        return tuple(self.of)


class Not(ConditionBase):
    """Holds when ``condition`` does not.

    ``{kind: not, condition: {kind: is_set, path: certificate}}`` holds when no certificate.
    """

    kind: Literal["not"] = "not"
    condition: Condition

    def children(self) -> tuple[ConditionBase, ...]:
        """The negated condition."""
        return (self.condition,)


class _Operand(ConditionBase):
    """Shared right-hand side: exactly one of a literal ``value``, a ``param`` or a ``field``."""

    value: Any = None
    param: str | None = None
    field: str | None = None

    @field_validator("value", mode="after")
    @classmethod
    def _as_written(cls, value: Any) -> Any:
        # Keep literals as a file spells them, so save -> load gives an equal policy;
        # the checker types them against the field when the policy is built.
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        if isinstance(value, tuple):
            return list(value)
        return value

    @model_validator(mode="after")
    def _one_operand(self) -> _Operand:
        given = [
            name
            for name in ("value", "param", "field")
            if name in self.model_fields_set and getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                f"{self.kind} needs exactly one of 'value', 'param' or 'field' "
                f"(got {', '.join(given) or 'none'})"
            )
        return self


class Compare(_Operand):
    """Compares the field at ``path`` with a literal, a parameter or another field.

    ``{kind: compare, path: late_minutes, op: ">=", param: max_late_minutes}`` holds for
    ``late_minutes: 20`` when the parameter is 20, not for ``19``. A missing (None) value on
    either side makes a comparison false; test for it with ``is_missing``.
    """

    kind: Literal["compare"] = "compare"
    path: str
    op: CompareOp


class In(_Operand):
    """Holds when the field's value is one of ``value`` (a list) or the list parameter ``param``.

    ``{kind: in, path: kind, value: [personal, special]}`` holds for ``kind: personal``.
    """

    kind: Literal["in"] = "in"
    path: str


class NotIn(_Operand):
    """Holds when the field is set and its value is none of the listed values.

    ``{kind: not_in, path: area, param: delivery_areas}`` holds for an address outside them.
    """

    kind: Literal["not_in"] = "not_in"
    path: str


TextFold = Literal["none", "case", "zh"]
"""How text is folded before matching: exactly, case-insensitively, or also across
simplified and traditional Chinese (``zh`` implies ``case``)."""


class Contains(ConditionBase):
    """Holds when the text at ``path`` (or any line of a list of texts) contains any phrase.

    Phrases come from ``phrases`` or from a list parameter ``param``. With ``fold: zh`` (the
    default) matching ignores case and the difference between simplified and traditional
    Chinese: ``{kind: contains, path: transcript, phrases: [这不是我应该做的]}`` holds for a
    line reading ``這不是我應該做的``.
    """

    kind: Literal["contains"] = "contains"
    path: str
    phrases: list[str] | None = None
    param: str | None = None
    fold: TextFold = "zh"

    @model_validator(mode="after")
    def _one_source(self) -> Contains:
        if (self.phrases is None) == (self.param is None):
            raise ValueError("contains needs exactly one of 'phrases' or 'param'")
        if self.phrases is not None and (not self.phrases or any(not p for p in self.phrases)):
            raise ValueError("contains needs at least one phrase, and no phrase may be empty")
        return self


class IsSet(ConditionBase):
    """Holds when the field at ``path`` has a value (is not None / not missing).

    ``{kind: is_set, path: certificate}`` holds for a request carrying a certificate.
    """

    kind: Literal["is_set"] = "is_set"
    path: str


class IsMissing(ConditionBase):
    """Holds when the field at ``path`` (or any object on the way to it) is None.

    ``{kind: is_missing, path: approver}`` holds for ``approver: null``.
    """

    kind: Literal["is_missing"] = "is_missing"
    path: str


class Elapsed(ConditionBase):
    """Compares the time from ``since`` to ``until`` (a datetime field, or ``now`` when omitted)
    with a duration or a duration parameter.

    ``{kind: elapsed, since: requested_at, until: shift_start, op: "<", duration: 1d}`` holds
    for a request made 20 hours before the shift, not for one made 30 hours before.
    """

    kind: Literal["elapsed"] = "elapsed"
    since: str
    until: str | None = Field(default=None, description="a datetime field; omitted means now")
    op: CompareOp
    duration: DurationField | None = None
    param: str | None = None

    @model_validator(mode="after")
    def _one_duration(self) -> Elapsed:
        if (self.duration is None) == (self.param is None):
            raise ValueError("elapsed needs exactly one of 'duration' or 'param'")
        return self

    @property
    def reads_now(self) -> bool:
        """True when the span ends at ``now``."""
        return self.until is None
