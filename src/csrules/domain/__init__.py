"""The customer-service domain: fact models, role catalogues, the escalation ladder, leave
assessment and service-level clocks.

Importing this package registers every fact type the built-in packs judge (``agent``,
``leave_request``, ``work_order``, ``call_record`` ...).

.. versionadded:: 0.1
"""

from __future__ import annotations

from csrules.domain.escalation import EscalationLadder, LadderPosition, LadderStep
from csrules.domain.facts import (
    Agent,
    AttendanceRecord,
    CallbackTask,
    CallRecord,
    ChatChange,
    ClockEvent,
    DutyRecord,
    EscalationStep,
    Fact,
    HandoverRecord,
    LeaveRequest,
    Order,
    QAReview,
    ReportRequest,
    ShiftAssignment,
    ShiftRef,
    ShiftSwapRequest,
    TrainingRecord,
    WorkOrder,
    build_fact,
)
from csrules.domain.leave import LeaveAssessment, assess_leave, notice_rule_for
from csrules.domain.roles import Authority, DutyItem, Role, RoleCatalogue, UnknownRoleError
from csrules.domain.slas import (
    Pause,
    SlaClock,
    SlaClockFact,
    SlaPolicy,
    SlaTicket,
    SlaWarning,
)

__all__ = [
    "Agent",
    "AttendanceRecord",
    "Authority",
    "CallRecord",
    "CallbackTask",
    "ChatChange",
    "ClockEvent",
    "DutyItem",
    "DutyRecord",
    "EscalationLadder",
    "EscalationStep",
    "Fact",
    "HandoverRecord",
    "LadderPosition",
    "LadderStep",
    "LeaveAssessment",
    "LeaveRequest",
    "Order",
    "Pause",
    "QAReview",
    "ReportRequest",
    "Role",
    "RoleCatalogue",
    "ShiftAssignment",
    "ShiftRef",
    "ShiftSwapRequest",
    "SlaClock",
    "SlaClockFact",
    "SlaPolicy",
    "SlaTicket",
    "SlaWarning",
    "TrainingRecord",
    "UnknownRoleError",
    "WorkOrder",
    "assess_leave",
    "build_fact",
    "notice_rule_for",
]
