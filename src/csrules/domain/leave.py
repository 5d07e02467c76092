"""Reading a leave decision the way an attendance clerk needs it.

A leave request judged by a pack's leave policy yields effects from several rules. The
clerk wants three answers: who approves (by role), which notice rule applied, and whether
the absence counts as absence without leave (曠工). :func:`assess_leave` reads them off a
:class:`~csrules.Decision`::

    decision = pack.engine().evaluate(request)
    assess_leave(decision).approvers            # ('department_head',)
    assess_leave(decision).notice_rule           # 'ATT-1.personal-notice'
    assess_leave(decision).absence_without_leave # True while a late request is unapproved,
                                                 # or once the leave is not valid (病假不生效)
    assess_leave(decision, pack.roles).approver  # the highest approver, ranked by the roles

It reads the leave policies of the built-in packs (``call_centre.leave``, ``ecommerce.leave``,
also as a company pack extends them): the notice rules are the ones of the policy that judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from csrules._engine.decision import Decision, Violation
from csrules._lang import simplified
from csrules._policy.kinds.span import first_holiday
from csrules._time.registry import get_calendar
from csrules.domain.facts import LeaveRequest, build_fact
from csrules.domain.roles import RoleCatalogue
from csrules.exceptions import PolicyError

__all__ = ["NOTICE_RULES", "LeaveAssessment", "assess_leave", "notice_rule_for", "notice_rules_for"]

NOTICE_RULES: tuple[str, ...] = (
    "ATT-1.personal-notice",
    "ATT-1.special-notice",
    "ATT-1.sick-notice",
    "ATT-4.emergency-phone",
    "ATT-5.night-deadline",
    "ATT-6.holiday-notice",
)
"""Every rule id :func:`notice_rule_for` can name: the notice deadlines of 001 請假制度."""

CALL_CENTRE_LEAVE = "call_centre.leave"
"""The call-centre pack's leave policy, whose notice rules :func:`notice_rule_for` names."""

OTHER_NOTICE_RULES: Mapping[str, Mapping[str, str]] = {
    "ecommerce.leave": {"personal": "ATT-1.one-day-ahead", "special_personal": "ATT-1.one-day-ahead"},
}
"""The notice rule of each kind of leave, per leave policy other than the call centre's."""

ABSENCE_MARK = "曠工"
"""The word every violation consequence that makes an absence count as 曠工 contains (read in
either script: 旷工 too)."""

INVALID_MARK = "不生效"
"""The words of a consequence that makes the leave not valid (病假不生效): an absence no valid
leave covers is 曠工 (001 請假制度 一、二: 不無故曠工……否則,按曠工處理)."""



@dataclass(frozen=True, slots=True)
class LeaveAssessment:
    """Approvers, the notice rule that applied, and whether the absence counts as 曠工.

    .. versionadded:: 0.1
    """

    approvers: tuple[str, ...]
    notice_rule: str | None
    """The notice rule of the first shift (:func:`notice_rule_for`); ``notice_met`` reads
    every governing one (:func:`notice_rules_for`)."""
    notice_met: bool
    absence_without_leave: bool
    violations: tuple[Violation, ...]

    ranked: bool = True
    """Whether ``approvers`` are ranked (by the role catalogue :func:`assess_leave` was given,
    or because there is at most one)."""

    @property
    def approver(self) -> str | None:
        """The highest approver required (the last of ``approvers``, ranked by the role
        catalogue :func:`assess_leave` was given); None when none is, or when several are and
        no catalogue ranks them (rule order says nothing of rank)."""
        return self.approvers[-1] if self.approvers and self.ranked else None


def _on_holiday(request: LeaveRequest, calendar: str = "china") -> bool:
    """Whether the shift ``request`` starts on falls on a public holiday of the registered
    ``calendar`` (its local date in the calendar's zone), as the call-centre pack's holiday
    rules read it; the host's ``on_holiday`` flag is not read. A year the calendar has no
    schedule for raises :class:`~csrules.exceptions.CalendarError`, never a guess.
    """
    cal = get_calendar(calendar)
    start = request.shift_start or request.start
    return cal.is_holiday(start.astimezone(cal.zone).date())


def _emergency(request: LeaveRequest) -> bool:
    """An emergency sick leave: phoned in (五), held to no notice deadline."""
    return request.kind == "sick" and request.emergency


def _leave_request(request: object) -> LeaveRequest:
    """``request`` as a :class:`LeaveRequest`: a mapping of its fields is validated (a
    :class:`~csrules.FactError` names what is wrong), anything else is one too."""
    return request if isinstance(request, LeaveRequest) else build_fact(LeaveRequest, request)


def notice_rules_for(request: LeaveRequest | Mapping[str, object], calendar: str = "china") -> tuple[str, ...]:
    """The ids of every notice rule that governs ``request``: :func:`notice_rule_for` (the
    first shift's), and ATT-6 too when a later day of the leave is a public holiday (七 asks
    two days' notice of the holiday, the first shift keeps its own deadline). Every day the
    leave covers is read, in ``calendar``'s zone; a year the calendar has no schedule for
    raises :class:`~csrules.exceptions.CalendarError`, never a guess.
    """
    return _notice_rules(_leave_request(request), calendar)[1]


def _notice_rules(request: LeaveRequest, calendar: str) -> tuple[str | None, tuple[str, ...]]:
    """:func:`notice_rule_for` and :func:`notice_rules_for` of ``request``, the first worked out once."""
    first = notice_rule_for(request, calendar)
    rules = () if first is None else (first,)
    if first == "ATT-6.holiday-notice" or _emergency(request):
        return first, rules
    later = first_holiday(get_calendar(calendar), request.shift_start or request.start, request.end)
    return first, rules if later is None else (*rules, "ATT-6.holiday-notice")


def notice_rule_for(request: LeaveRequest | Mapping[str, object], calendar: str = "china") -> str | None:
    """The id of the notice rule that governs the first shift of ``request`` (None when none applies).

    Exactly one deadline governs a leave's first shift, and the call-centre pack's notice
    rules hold only where it is theirs, so a decision never reports two notice breaches for
    one shift (a leave reaching a holiday after its first day is also held to ATT-6 for the
    holiday: see :func:`notice_rules_for`):

    1. an emergency sick leave: the phone call to the shift lead before the shift
       (ATT-4, 請假制度 五), because an emergency cannot be announced ahead;
    2. a public holiday of ``calendar`` (:func:`_on_holiday`): two days ahead (ATT-6, 七),
       which also meets the night-shift noon deadline, so it governs a night shift on a holiday;
    3. a night shift: before 12:00 that day with a manager's approval (ATT-5, 六), in place
       of the ordinary notice of 二;
    4. otherwise the kind of leave (ATT-1, 二): a day ahead for personal leave, an hour before
       the shift for special personal leave, before the shift for sick leave (提前請假).

    ``request`` may be a mapping of the fact's fields; one that does not validate raises
    :class:`~csrules.FactError`.
    """
    request = _leave_request(request)
    if _emergency(request):
        return "ATT-4.emergency-phone"
    if _on_holiday(request, calendar):
        return "ATT-6.holiday-notice"
    if request.night_shift:
        return "ATT-5.night-deadline"
    if request.kind == "personal":
        return "ATT-1.personal-notice"
    if request.kind == "special_personal":
        return "ATT-1.special-notice"
    if request.kind == "sick":
        return "ATT-1.sick-notice"
    return None


def _ranked(approvers: tuple[str, ...], roles: RoleCatalogue) -> tuple[str, ...]:
    """``approvers`` lowest first by ``roles`` (more superiors above a role: lower), rule order
    among equals; a role the catalogue does not hold ranks lowest."""

    def superiors(role: str) -> int:
        return len(roles.chain_above(role)) if role in roles else len(roles)

    return tuple(sorted(approvers, key=superiors, reverse=True))


_MARKS = tuple(simplified(mark) for mark in (ABSENCE_MARK, INVALID_MARK))
"""The consequence marks of absence and of leave not valid, in one script (folded once)."""


def assess_leave(decision: Decision, roles: RoleCatalogue | None = None) -> LeaveAssessment:
    """Summarise a leave decision (see the module docstring).

    ``decision.fact`` must be a :class:`LeaveRequest` judged by a leave policy of the built-in
    packs (see the module docstring); another raises :class:`~csrules.exceptions.PolicyError`
    naming it. With ``roles`` (the pack's, ``pack.roles``) the approvers are ranked by the
    catalogue, so ``approver`` is the highest of them (a two-day night-shift leave: the centre
    director, not the department head whose night-shift approval comes later in rule order);
    without, they keep rule order and ``approver`` is None when there are several.
    """
    if not isinstance(decision, Decision):
        raise TypeError(f"assess_leave needs the Decision of a leave_request (got {type(decision).__name__})")
    request = decision.fact
    if not isinstance(request, LeaveRequest):
        raise TypeError(f"assess_leave needs a leave_request decision (got {type(request).__name__})")
    rule, governing = _governing(decision, request)
    violations = decision.violations
    notice_met = all(v.rule_id not in governing for v in violations)
    absence = any(
        v.consequence is not None and any(mark in simplified(v.consequence.zh) for mark in _MARKS)
        for v in violations
    )
    return LeaveAssessment(
        approvers=decision.approvers if roles is None else _ranked(decision.approvers, roles),
        notice_rule=rule,
        notice_met=notice_met,
        absence_without_leave=absence,
        violations=violations,
        ranked=roles is not None or len(decision.approvers) <= 1,
    )


def _governing(decision: Decision, request: LeaveRequest) -> tuple[str | None, tuple[str, ...]]:
    """The notice rule of the leave policy that judged ``decision`` and every one governing it."""
    judged = {ref.id for ref in decision.policies}
    if CALL_CENTRE_LEAVE in judged:
        return _notice_rules(request, "china")
    for policy_id, by_kind in OTHER_NOTICE_RULES.items():
        if policy_id in judged:
            rule = by_kind.get(request.kind)
            return rule, () if rule is None else (rule,)
    known = ", ".join((CALL_CENTRE_LEAVE, *OTHER_NOTICE_RULES))
    raise PolicyError(f"assess_leave reads the leave policies {known}; this decision was made by "
                      f"{', '.join(sorted(judged)) or 'no policy'}, whose notice rules it does not know")
