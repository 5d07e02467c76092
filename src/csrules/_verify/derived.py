"""What a fact model derives, as solver constraints a counterexample search starts from.

A proof leaves a derived field (a leave's ``request_lead_days``) free: any value is allowed,
so what is proven stays proven. A counterexample must be a fact the model completes to the
values the solver chose, else the engine judges it otherwise; the search therefore starts
from the derivations below (a leave request's and an attendance record's), which tie a
derived field the rules read to the fields it is computed from. They only narrow the search
(each fact found is still re-run through the engine), so a derivation missing here costs a
counterexample, never a proof.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]

from csrules._policy.facts import fact_type_name
from csrules._verify.encoding import DAY, SECOND, Encoding
from csrules._verify.kinds import fixed_offset, local_day
from csrules.domain.facts import LeaveRequest, derived_sources

__all__ = ["derivations"]

_FULL_DAY_MINUTES: int = LeaveRequest.model_fields["full_day_minutes"].default
"""A leave's full day when no rule reads it (the fact keeps its own, the model's default)."""

Derive = Callable[[Encoding, int], list[Any]]
"""A fact type's derivations over an encoding, its zone read with one UTC offset (microseconds)."""


def _leave_request(enc: Encoding, offset: int) -> list[Any]:
    """``LeaveRequest``: who asked, when (local clock, days ahead), and when the agent is back."""
    read = set(enc.vars)
    out: list[Any] = []
    if "in_person" in read:
        out.append(enc.field("in_person").value == (enc.field("requested_by").value == enc.field("agent_id").value))
    if "requested_clock" in read:
        out.append(enc.field("requested_clock").value == (enc.field("requested_at").value + offset) % DAY)
    start, end = enc.field("start").value, enc.field("end").value
    out.append(start < end)  # the model refuses a leave that does not end after it starts
    shift = enc.field("shift_start")
    first = z3.If(shift.present, shift.value, start)  # the shift start defaults to the leave's start
    # the model refuses a first shift outside the leave (less than a shift of full_day_minutes before it)
    full_day = enc.field("full_day_minutes").value if "full_day_minutes" in read else _FULL_DAY_MINUTES
    out.append(z3.And(first < end, start - first < full_day * 60 * SECOND))
    if "days" in read:  # the model refuses more days than the leave spans
        out.append(enc.field("days").value <= _periods(end - start))
    if "request_lead_days" in read:
        asked = enc.field("requested_at").value
        out.append(enc.field("request_lead_days").value == local_day(first, offset) - local_day(asked, offset))
    if "returned_at" in read:
        back = enc.field("returned_at")
        out.append(z3.And(back.present, back.value == end))
    if "first_day_back" in read:  # the day after the last shift the leave reaches
        reached = local_day(first, offset) + _periods(end - first)
        day = z3.If(reached >= local_day(end, offset), reached, local_day(end, offset))
        back = enc.field("first_day_back")
        out.append(z3.And(back.present, back.value == day * DAY - offset))
    return out


def _periods(wall: Any) -> Any:
    """The 24-hour periods in a span (microseconds), rounded up, at least one (the model's)."""
    return z3.If(wall <= DAY, 1, (wall + DAY - 1) / DAY)


def _minutes_between(first: Any, then: Any) -> Any:
    """Whole minutes from ``first`` to ``then`` (rounded down), never below 0."""
    minutes = (then - first) / (60 * SECOND)
    return z3.If(minutes > 0, minutes, 0)


def _attendance_record(enc: Encoding, offset: int) -> list[Any]:
    """``AttendanceRecord``: minutes late and left early, and absence (no arrival)."""
    read = set(enc.vars)
    start, end = enc.field("shift_start").value, enc.field("shift_end").value
    out: list[Any] = [start < end]  # the model refuses a shift that does not end after it starts
    arrived = enc.field("arrived_at")
    if "absent" in read:
        out.append(enc.field("absent").value == z3.Not(arrived.present))
    if "late_minutes" in read:
        late = z3.If(arrived.present, _minutes_between(start, arrived.value), 0)
        out.append(enc.field("late_minutes").value == late)
    if "early_leave_minutes" in read:
        left = enc.field("left_at")
        early = z3.If(left.present, _minutes_between(left.value, end), 0)
        out.append(enc.field("early_leave_minutes").value == early)
    return out


_DERIVATIONS: dict[str, Derive] = {"leave_request": _leave_request, "attendance_record": _attendance_record}

_BOUNDED: dict[str, tuple[str, ...]] = {"leave_request": ("days", "shift_start")}
"""Given fields the model checks against others (a leave's days against its span): reading
one ties it down as a derived field is."""


def derivations(enc: Encoding, zone: str | None) -> list[Any]:
    """Constraints tying the derived fields ``enc`` reads to their sources, for facts whose
    ``time_zone`` is ``zone`` (kept so), with the domain of every field they add; nothing when
    no derived field is read, for a fact type without derivations here, or for a zone whose
    offset changes."""
    name = fact_type_name(enc.model) or ""
    derive = _DERIVATIONS.get(name)
    offset = fixed_offset(zone) if zone is not None else None
    read = (*derived_sources(enc.model), *_BOUNDED.get(name, ()))
    if derive is None or offset is None or not any(path in enc.vars for path in read):
        return []
    domain, era = len(enc.domain), len(enc.era)
    out = derive(enc, offset)
    if "time_zone" in enc.vars:  # a rule reads it: keep it (else the fact keeps the example's)
        zoned = enc.field("time_zone")
        out.append(z3.And(zoned.present, zoned.value == enc.text(zone or "")))
    return [*enc.domain[domain:], *enc.era[era:], *out]
