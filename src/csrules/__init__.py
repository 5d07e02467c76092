"""csrules: customer-service house rules as typed, tested, documented policies.

Build or load a :class:`Policy`, compile it into an :class:`Engine`, and evaluate facts
into :class:`Decision` objects that say what holds, why, who approves and what is due.
"""

from __future__ import annotations

import contextlib as _contextlib
import dataclasses as _dataclasses
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from pydantic import BaseModel as _BaseModel

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
from csrules._policy.kinds.core import (
    All,
    Any_,
    Compare,
    Contains,
    Elapsed,
    In,
    IsMissing,
    IsSet,
    Not,
    NotIn,
)
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
from csrules._sessions import (
    COMPLAINT_STATES,
    ComplaintStep,
    Count,
    DueTicks,
    Firing,
    InARow,
    Lifecycle,
    MemoryStore,
    Nth,
    PostgresStore,
    Session,
    SessionEngine,
    SessionStore,
    SessionTrace,
    SQLiteStore,
    StepDeadline,
    StepResult,
    StillOpen,
    Transition,
    TransitionRecord,
    Window,
    available_backends,
    complaint_lifecycle,
)
from csrules._time.calendar import BusinessCalendar, TimeSpan
from csrules._time.durations import BusinessDuration, WallDuration, parse_duration
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
from csrules.domain.china import ChinaYear, china_adjusted_working_days, china_calendar, china_official_years
from csrules.exceptions import (
    CalendarError,
    CsrulesError,
    DefinitionError,
    DurationError,
    EvaluationError,
    FactError,
    PolicyError,
    SessionError,
    StateError,
    TimeError,
    TransitionError,
)

try:
    __version__ = _version("csrules")
except _PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "COMPLAINT_STATES",
    "All",
    "Any_",
    "Approval",
    "Approve",
    "BusinessCalendar",
    "BusinessDuration",
    "CalendarError",
    "ChinaYear",
    "Citation",
    "ClockRef",
    "Compare",
    "ComplaintStep",
    "Condition",
    "Contains",
    "Count",
    "CsrulesError",
    "Decision",
    "DefinitionError",
    "Due",
    "DueTicks",
    "DurationError",
    "Duty",
    "DutyTitle",
    "Elapsed",
    "Engine",
    "ErrorMode",
    "Escalate",
    "Escalation",
    "EvaluationError",
    "Example",
    "FactError",
    "Firing",
    "In",
    "InARow",
    "InWorkingHours",
    "IsMissing",
    "IsSet",
    "Lifecycle",
    "MemoryStore",
    "NightShift",
    "Not",
    "NotIn",
    "Notice",
    "Nth",
    "Obligation",
    "Oblige",
    "OnDayOff",
    "OnHoliday",
    "Outcome",
    "OutsideWorkingHours",
    "Parameter",
    "Policy",
    "PolicyError",
    "PolicyRef",
    "PostgresStore",
    "Recommend",
    "Recommendation",
    "Recurrence",
    "Recurring",
    "Rule",
    "RuleError",
    "RuleTrace",
    "SQLiteStore",
    "Session",
    "SessionEngine",
    "SessionError",
    "SessionStore",
    "SessionTrace",
    "Shift",
    "ShiftOccurrence",
    "ShiftPattern",
    "Source",
    "StateError",
    "StepDeadline",
    "StepResult",
    "StillOpen",
    "Text",
    "TimeError",
    "TimeOfDay",
    "TimeSpan",
    "Trace",
    "TraceNode",
    "Transition",
    "TransitionError",
    "TransitionRecord",
    "Violate",
    "Violation",
    "WallDuration",
    "Window",
    "WithinHours",
    "__version__",
    "available_backends",
    "calendar_names",
    "china_adjusted_working_days",
    "china_calendar",
    "china_official_years",
    "complaint_lifecycle",
    "dump_policy",
    "get_calendar",
    "get_fact_type",
    "get_shift_pattern",
    "load_policy",
    "loads_policy",
    "parse_duration",
    "parse_recurrence",
    "policy_schema",
    "register_calendar",
    "register_fact_type",
    "register_shift_pattern",
    "registered_fact_types",
    "registered_time",
    "shift_pattern_names",
]

# Show exported classes as ``csrules.X``. Pydantic models and dataclasses keep their real
# module: pydantic resolves their postponed annotations in that module's namespace.
for _name in __all__:
    _obj = globals()[_name]
    if (
        isinstance(_obj, type)
        and _obj.__module__.startswith("csrules.")
        and not issubclass(_obj, _BaseModel)
        and not _dataclasses.is_dataclass(_obj)
    ):
        with _contextlib.suppress(AttributeError, TypeError):  # some types refuse
            _obj.__module__ = "csrules"
del _name, _obj
