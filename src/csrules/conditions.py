"""Condition kinds: the built-in ones, and what a host needs to add its own.

A condition kind is two things: a model (a subclass of :class:`ConditionBase` whose
``kind`` is a literal tag) and a handler (a :class:`KindHandler`) that type-checks it
against the fact model, compiles it, evaluates it for a trace and words it. One call to
:func:`register_kind` adds both; from then on policies read from YAML, JSON or dicts may use
the kind, the engine runs it, traces explain it, generated documents describe it and, when
the handler offers ``boundaries``, :mod:`csrules.testing` probes its thresholds.

>>> from csrules.conditions import register_kind
>>> register_kind(Between, BetweenHandler())          # doctest: +SKIP

See "Adding a condition kind" in ``docs/writing-policies.md`` for a worked example.

.. versionadded:: 0.1
"""

from __future__ import annotations

from csrules._lang import Lang
from csrules._policy.kinds.base import (
    CheckContext,
    CompareOp,
    CompileContext,
    Condition,
    ConditionBase,
    Constraint,
    DescribeContext,
    Env,
    KindHandler,
    join,
    register_kind,
    show_value,
    walk,
)
from csrules._policy.kinds.core import (
    All,
    Any_,
    AnyIn,
    AnyNotIn,
    Compare,
    Contains,
    Elapsed,
    In,
    IsMissing,
    IsSet,
    Not,
    NotIn,
    TextFold,
)
from csrules._policy.kinds.span import HolidayInSpan
from csrules._policy.kinds.time import (
    ClockRef,
    InWorkingHours,
    NightShift,
    Notice,
    OnDayOff,
    OnHoliday,
    OutsideWorkingHours,
    Recurring,
    TimeOfDay,
    WithinHours,
)
from csrules._policy.kinds.window import Count, InARow, Nth, StillOpen, Window
from csrules._policy.trace import TraceNode

__all__ = [  # noqa: RUF022 - grouped by purpose, sorted within each group
    # writing a kind
    "CheckContext",
    "CompileContext",
    "ConditionBase",
    "Constraint",
    "DescribeContext",
    "Env",
    "KindHandler",
    "TraceNode",
    "join",
    "register_kind",
    "show_value",
    "walk",
    # types
    "CompareOp",
    "Condition",
    "Lang",
    "TextFold",
    # core kinds
    "All",
    "AnyIn",
    "AnyNotIn",
    "Any_",
    "Compare",
    "Contains",
    "Elapsed",
    "In",
    "IsMissing",
    "IsSet",
    "Not",
    "NotIn",
    # time kinds
    "ClockRef",
    "HolidayInSpan",
    "InWorkingHours",
    "NightShift",
    "Notice",
    "OnDayOff",
    "OnHoliday",
    "OutsideWorkingHours",
    "Recurring",
    "TimeOfDay",
    "WithinHours",
    # session (window) kinds
    "Count",
    "InARow",
    "Nth",
    "StillOpen",
    "Window",
]
