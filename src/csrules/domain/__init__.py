"""The customer-service domain: fact models, role catalogues, the escalation ladder, leave
assessment, service-level clocks, the complaint lifecycle and China's official calendar.

Policies name the built-in fact types (``agent``, ``leave_request``, ``work_order``,
``call_record`` ...) without importing this package first: the fact-type registry knows
where each one lives. Every name here loads on first use.

.. versionadded:: 0.1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csrules._lazy import lazy_module

if TYPE_CHECKING:
    from csrules.domain.china import ChinaYear, china_adjusted_working_days, china_calendar, china_official_years
    from csrules.domain.complaint import COMPLAINT_STATES, ComplaintStep, complaint_lifecycle
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
    from csrules.domain.leave import LeaveAssessment, assess_leave, notice_rule_for, notice_rules_for
    from csrules.domain.roles import Authority, DutyItem, Role, RoleCatalogue, UnknownRoleError
    from csrules.domain.slas import Pause, SlaClock, SlaClockFact, SlaPolicy, SlaTicket, SlaWarning

__all__ = [
    "COMPLAINT_STATES",
    "Agent",
    "AttendanceRecord",
    "Authority",
    "CallRecord",
    "CallbackTask",
    "ChatChange",
    "ChinaYear",
    "ClockEvent",
    "ComplaintStep",
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
    "china_adjusted_working_days",
    "china_calendar",
    "china_official_years",
    "complaint_lifecycle",
    "notice_rule_for",
    "notice_rules_for",
]

# Every name loads when first read: a policy naming ``leave_request`` needs the fact models
# alone, not the role catalogues or SLA clocks; the complaint lifecycle imports the session
# machinery, and the China calendar the ``holidays`` package (a fifth of a second).
__getattr__, __dir__ = lazy_module(
    __name__,
    globals(),
    {
        "csrules.domain.escalation": ("EscalationLadder", "LadderPosition", "LadderStep"),
        "csrules.domain.facts": (
            "Agent", "AttendanceRecord", "CallRecord", "CallbackTask", "ChatChange", "ClockEvent", "DutyRecord",
            "EscalationStep", "Fact", "HandoverRecord", "LeaveRequest", "Order", "QAReview", "ReportRequest",
            "ShiftAssignment", "ShiftRef", "ShiftSwapRequest", "TrainingRecord", "WorkOrder", "build_fact",
        ),
        "csrules.domain.leave": ("LeaveAssessment", "assess_leave", "notice_rule_for", "notice_rules_for"),
        "csrules.domain.roles": ("Authority", "DutyItem", "Role", "RoleCatalogue", "UnknownRoleError"),
        "csrules.domain.slas": ("Pause", "SlaClock", "SlaClockFact", "SlaPolicy", "SlaTicket", "SlaWarning"),
        "csrules.domain.china": ("ChinaYear", "china_adjusted_working_days", "china_calendar", "china_official_years"),
        "csrules.domain.complaint": ("COMPLAINT_STATES", "ComplaintStep", "complaint_lifecycle"),
    },
)
