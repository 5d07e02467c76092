"""csrules: customer-service house rules as typed, tested, documented policies.

Build or load a :class:`Policy`, compile it into an :class:`Engine`, and evaluate facts
into :class:`Decision` objects that say what holds, why, who approves and what is due.

The names below are grouped as ``__all__`` lists them. Each loads on first use, so
``import csrules`` costs little more than Python itself; the errors are there from the start.
The public modules hold the rest: :mod:`csrules.conditions` (every condition kind),
:mod:`csrules.time`, :mod:`csrules.sessions`, :mod:`csrules.records` (decision records, replay,
decision logs, impact), :mod:`csrules.domain` (fact models, roles,
SLAs, the complaint lifecycle, China's calendar), :mod:`csrules.policies` (the built-in
packs), :mod:`csrules.testing`, :mod:`csrules.typing`.
"""

from __future__ import annotations

from csrules import exceptions as _exceptions
from csrules._lazy import lazy_module as _lazy_module
from csrules.exceptions import (
    CalendarError,
    CsrulesError,
    DefinitionError,
    DurationError,
    EvaluationError,
    FactError,
    LogOptionError,
    LogWriteError,
    PolicyError,
    RecordError,
    SessionError,
    StateError,
    TimeError,
    TransitionError,
)

# typing itself is not imported (with re, enum and collections it costs about as much as
# Python's start): mypy reads any name TYPE_CHECKING as true, the interpreter sees False
TYPE_CHECKING = False
if TYPE_CHECKING:  # what mypy and IDEs see; at run time these load on first use
    from csrules import conditions as conditions
    from csrules import domain as domain
    from csrules import policies as policies
    from csrules import records as records
    from csrules import sessions as sessions
    from csrules import testing as testing
    from csrules import time as time
    from csrules import typing as typing
    from csrules._engine.decision import (
        Approval,
        Decision,
        ErrorMode,
        Escalation,
        Obligation,
        Outcome,
        PolicyRef,
        Recommendation,
        RuleError,
        Violation,
    )
    from csrules._engine.engine import Engine
    from csrules._policy.facts import get_fact_type, register_fact_type, registered_fact_types
    from csrules._policy.kinds.core import All, Any_, Compare, Contains, Elapsed, In, IsMissing, IsSet, Not, NotIn
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
    from csrules._policy.loader import dump_policy, load_policy, loads_policy, policy_schema
    from csrules._policy.model import (
        Approve,
        Citation,
        Condition,
        Due,
        Escalate,
        Example,
        Oblige,
        Parameter,
        Policy,
        Recommend,
        Rule,
        Source,
        Text,
        Violate,
    )
    from csrules._policy.trace import RuleTrace, Trace, TraceNode
    from csrules._sessions.backends import available_backends
    from csrules._sessions.lifecycle import Lifecycle, StepDeadline, Transition
    from csrules._sessions.postgres import PostgresStore
    from csrules._sessions.results import Firing, SessionTrace, StepResult, TransitionRecord
    from csrules._sessions.session import DueTicks, Session, SessionEngine
    from csrules._sessions.store import MemoryStore, SessionStore, SQLiteStore
    from csrules._time.calendar import BusinessCalendar, TimeSpan
    from csrules._time.durations import BusinessDuration, DurationField, WallDuration, parse_duration
    from csrules._time.duties import Duty, DutyTitle, Recurrence, parse_recurrence
    from csrules._time.registry import (
        calendar_names,
        get_calendar,
        get_shift_pattern,
        register_calendar,
        register_shift_pattern,
        registered_time,
        shift_pattern_names,
    )
    from csrules._time.shifts import Shift, ShiftOccurrence, ShiftPattern

    __version__: str

__all__ = ["__version__"]

# Errors (csrules.exceptions): everything csrules raises, each carrying its context.
__all__ += [
    "CalendarError",
    "CsrulesError",
    "DefinitionError",
    "DurationError",
    "EvaluationError",
    "FactError",
    "LogOptionError",
    "LogWriteError",
    "PolicyError",
    "RecordError",
    "SessionError",
    "StateError",
    "TimeError",
    "TransitionError",
]

# Policies: what a policy is made of, in Python or in YAML, and its effects.
__all__ += [
    "Approve",
    "Citation",
    "Condition",
    "Due",
    "Escalate",
    "Example",
    "Oblige",
    "Parameter",
    "Policy",
    "Recommend",
    "Rule",
    "Source",
    "Text",
    "Violate",
]

# Loading and writing policies, and the fact types they judge.
__all__ += [
    "dump_policy",
    "get_fact_type",
    "load_policy",
    "loads_policy",
    "policy_schema",
    "register_fact_type",
    "registered_fact_types",
]

# Conditions: the kinds of a condition tree (csrules.conditions has them all). The last five
# (counts, sequences, open items) run only in a session.
__all__ += [
    "All",
    "Any_",
    "ClockRef",
    "Compare",
    "Contains",
    "Count",
    "Elapsed",
    "In",
    "InARow",
    "InWorkingHours",
    "IsMissing",
    "IsSet",
    "NightShift",
    "Not",
    "NotIn",
    "Notice",
    "Nth",
    "OnDayOff",
    "OnHoliday",
    "OutsideWorkingHours",
    "Recurring",
    "StillOpen",
    "TimeOfDay",
    "Window",
    "WithinHours",
]

# Evaluation: the compiled engine, the decision it returns and the trace of why.
__all__ += [
    "Approval",
    "Decision",
    "Engine",
    "ErrorMode",
    "Escalation",
    "Obligation",
    "Outcome",
    "PolicyRef",
    "Recommendation",
    "RuleError",
    "RuleTrace",
    "Trace",
    "TraceNode",
    "Violation",
]

# Sessions (csrules.sessions): events, ticks and lifecycles per subject, and their stores.
__all__ += [
    "DueTicks",
    "Firing",
    "Lifecycle",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "Session",
    "SessionEngine",
    "SessionStore",
    "SessionTrace",
    "StepDeadline",
    "StepResult",
    "Transition",
    "TransitionRecord",
    "available_backends",
]

# Time (csrules.time): durations, business calendars, shifts, duties and their registry.
__all__ += [
    "BusinessCalendar",
    "BusinessDuration",
    "DurationField",
    "Duty",
    "DutyTitle",
    "Recurrence",
    "Shift",
    "ShiftOccurrence",
    "ShiftPattern",
    "TimeSpan",
    "WallDuration",
    "calendar_names",
    "get_calendar",
    "get_shift_pattern",
    "parse_duration",
    "parse_recurrence",
    "register_calendar",
    "register_shift_pattern",
    "registered_time",
    "shift_pattern_names",
]

_SOURCES: dict[str, tuple[str, ...]] = {
    "csrules._policy.model": (
        "Approve", "Citation", "Condition", "Due", "Escalate", "Example", "Oblige", "Parameter", "Policy",
        "Recommend", "Rule", "Source", "Text", "Violate",
    ),
    "csrules._policy.loader": ("dump_policy", "load_policy", "loads_policy", "policy_schema"),
    "csrules._policy.facts": ("get_fact_type", "register_fact_type", "registered_fact_types"),
    "csrules._policy.kinds.core": (
        "All", "Any_", "Compare", "Contains", "Elapsed", "In", "IsMissing", "IsSet", "Not", "NotIn",
    ),
    "csrules._policy.kinds.time": (
        "ClockRef", "InWorkingHours", "NightShift", "Notice", "OnDayOff", "OnHoliday", "OutsideWorkingHours",
        "Recurring", "TimeOfDay", "WithinHours",
    ),
    "csrules._policy.kinds.window": ("Count", "InARow", "Nth", "StillOpen", "Window"),
    "csrules._policy.trace": ("RuleTrace", "Trace", "TraceNode"),
    "csrules._engine.engine": ("Engine",),
    "csrules._engine.decision": (
        "Approval", "Decision", "ErrorMode", "Escalation", "Obligation", "Outcome", "PolicyRef", "Recommendation",
        "RuleError", "Violation",
    ),
    "csrules._sessions.backends": ("available_backends",),
    "csrules._sessions.lifecycle": ("Lifecycle", "StepDeadline", "Transition"),
    "csrules._sessions.postgres": ("PostgresStore",),
    "csrules._sessions.results": ("Firing", "SessionTrace", "StepResult", "TransitionRecord"),
    "csrules._sessions.session": ("DueTicks", "Session", "SessionEngine"),
    "csrules._sessions.store": ("MemoryStore", "SQLiteStore", "SessionStore"),
    "csrules._time.calendar": ("BusinessCalendar", "TimeSpan"),
    "csrules._time.durations": ("BusinessDuration", "DurationField", "WallDuration", "parse_duration"),
    "csrules._time.duties": ("Duty", "DutyTitle", "Recurrence", "parse_recurrence"),
    "csrules._time.registry": (
        "calendar_names", "get_calendar", "get_shift_pattern", "register_calendar", "register_shift_pattern",
        "registered_time", "shift_pattern_names",
    ),
    "csrules._time.shifts": ("Shift", "ShiftOccurrence", "ShiftPattern"),
    # the public modules, as attributes (``csrules.time.parse_duration``)
    **{
        f"csrules.{name}": (name,)
        for name in ("conditions", "domain", "policies", "records", "sessions", "testing", "time", "typing")
    },
}
"""Where each lazily loaded name lives."""

_MOVED = {
    name: f"csrules.domain:{name}"
    for name in (
        "COMPLAINT_STATES",
        "ChinaYear",
        "ComplaintStep",
        "china_adjusted_working_days",
        "china_calendar",
        "china_official_years",
        "complaint_lifecycle",
    )
}
"""Domain content once exported here; it still resolves, with a DeprecationWarning."""


if TYPE_CHECKING:
    from typing import Any


def _adopt(obj: Any) -> None:
    """Show an exported class as ``csrules.X``. Pydantic models and dataclasses keep their
    real module: pydantic resolves their postponed annotations in that module's namespace."""
    if (
        isinstance(obj, type)
        and obj.__module__.startswith("csrules.")
        and not hasattr(obj, "__pydantic_fields__")
        and not hasattr(obj, "__dataclass_fields__")
    ):
        try:  # noqa: SIM105 - contextlib.suppress would import contextlib
            obj.__module__ = "csrules"
        except (AttributeError, TypeError):  # some types refuse
            pass


for _error in vars(_exceptions).values():
    _adopt(_error)
del _error, TYPE_CHECKING


def _version() -> str:
    """The installed distribution's version, read on first use (the metadata costs 20 ms)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("csrules")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0"


__getattr__, __dir__ = _lazy_module(
    __name__, globals(), _SOURCES, moved=_MOVED, adopt=_adopt, computed={"__version__": _version}
)
