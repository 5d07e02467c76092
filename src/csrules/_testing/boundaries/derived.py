"""Steering a derived field: writing the source values that make the model compute a probe.

A derived field (``late_minutes``, ``requested_clock``) is computed by its model from other
fields, so a probe written straight into it is recomputed away when the fact is built. For
the library's own derived fields this module writes the sources instead: a probe of
``late_minutes = 20`` sets ``arrived_at`` to 20 minutes after ``shift_start``. A derived field
with no way here is left alone, and the drawn fact, which then misses the probe, is dropped
(:func:`reaches`), so a probe is never reported as tried on a fact that does not hold it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from csrules.domain.facts import _SCRIPT_ORDER as SCRIPT_ORDER
from csrules.domain.facts import (
    AttendanceRecord,
    CallbackTask,
    CallRecord,
    LeaveRequest,
    Order,
    ShiftSwapRequest,
    WorkOrder,
)

if TYPE_CHECKING:
    from csrules._testing.boundaries.core import Filler

__all__ = ["never_reached", "reaches", "steer_derived"]

Way = Callable[["Filler", Any], None]
"""Writes the sources of one derived field so the model computes the given value."""


def _zone(f: Filler) -> ZoneInfo:
    name = f.data.get("time_zone") or f.model.model_fields["time_zone"].default
    return ZoneInfo(str(name))


def _instant(f: Filler, path: str) -> datetime | None:
    value = f.get(path)
    return value if isinstance(value, datetime) and value.utcoffset() is not None else None


def _shifted(start: datetime, minutes: int) -> datetime:
    """``start`` moved by real minutes (in UTC, so a DST change counts), in its own zone."""
    return (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(start.tzinfo)


def _local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def _late(f: Filler, value: Any) -> None:
    start = _instant(f, "shift_start")
    if start is not None and isinstance(value, int) and value >= 0:
        f.set("arrived_at", _shifted(start, value))


def _early(f: Filler, value: Any) -> None:
    end = _instant(f, "shift_end")
    if end is not None and isinstance(value, int) and value >= 0:
        f.set("left_at", _shifted(end, -value))


def _requested_clock(f: Filler, value: Any) -> None:
    requested = _instant(f, "requested_at")
    clock = time.fromisoformat(value) if isinstance(value, str) else value
    if requested is not None and isinstance(clock, time):
        zone = _zone(f)  # keeps the local date, so request_lead_days stays as steered
        f.set("requested_at", _local(requested.astimezone(zone).date(), clock, zone))


def _lead_days(f: Filler, value: Any) -> None:
    requested = _instant(f, "requested_at")
    shift = f.data.get("shift_start") or f.data.get("start")
    if requested is None or not isinstance(shift, datetime) or not isinstance(value, int):
        return
    zone = _zone(f)  # keeps the local clock, so requested_clock stays as steered
    day = shift.astimezone(zone).date() - timedelta(days=value)
    f.set("requested_at", _local(day, requested.astimezone(zone).time(), zone))


_NOT_COME = (("arrived_at", None), ("left_at", None), ("away_minutes", 0), ("longest_away_minutes", None))
"""An attendance record with no arrival: nobody who did not come left or was away."""


def _absent(f: Filler, value: Any) -> None:
    # absent is no arrival: none for yes (and so no leaving and no time away), one for no
    if value is True:
        for path, none in _NOT_COME:
            f.set(path, none)
    elif value is False and f.data.get("arrived_at") is None:
        start = _instant(f, "shift_start")
        if start is not None:
            f.set("arrived_at", start)


def _own_approval(f: Filler, value: Any) -> None:
    # a party's own agreement: the requester agreed as his own shift lead (yes); no lead a party (no)
    if not isinstance(value, bool):
        return
    parties = {f.get("requester.agent_id"), f.get("partner.agent_id")}
    if value:
        f.set("requester_lead", f.get("requester.agent_id"))
        f.set("requester_lead_decision", "agreed")
        return
    for side in ("requester", "partner"):
        if f.data.get(f"{side}_lead") in parties:
            f.set(f"{side}_lead", None)


def _script_in_order(f: Filler, value: Any) -> None:
    # the script's steps each once, in order (yes), or in the reverse order (no)
    if value is True:
        f.set("script_steps", list(SCRIPT_ORDER))
    elif value is False:
        f.set("script_steps", list(reversed(SCRIPT_ORDER)))


def _in_person(f: Filler, value: Any) -> None:
    agent = f.get("agent_id")
    if isinstance(value, bool) and isinstance(agent, str):
        f.set("requested_by", agent if value else f"{agent}-deputy")


def _in_rest(at: str) -> Way:
    def way(f: Filler, value: Any) -> None:
        moment = _instant(f, at)
        if moment is None or not isinstance(value, bool):
            return
        if value and (f.data.get("rest_from") is None or f.data.get("rest_to") is None):
            f.set("rest_from", time(22))
            f.set("rest_to", time(8))
        start, end = f.data.get("rest_from"), f.data.get("rest_to")
        if isinstance(start, time) and isinstance(end, time):
            zone = _zone(f)  # rest hours start at rest_from and end before rest_to
            f.set(at, _local(moment.astimezone(zone).date(), start if value else end, zone))

    return way


def _awaited(f: Filler, value: Any) -> None:
    # awaited when deferred or the customer asked for time: one source for true, none for false
    if isinstance(value, bool):
        f.set("answer_deferred", value)
        f.set("customer_asked_for_time", False)


def _next_of(count: str) -> Way:
    """The way of a number that is one more than the earlier ``count`` (the third offence
    follows two): the count is written, not left to be drawn until it happens to fit."""

    def way(f: Filler, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            f.set(count, value - 1)

    return way


_WAYS: dict[tuple[type[BaseModel], str], Way] = {
    (AttendanceRecord, "late_minutes"): _late,
    (AttendanceRecord, "early_leave_minutes"): _early,
    (AttendanceRecord, "absent"): _absent,
    (LeaveRequest, "in_person"): _in_person,
    (LeaveRequest, "requested_clock"): _requested_clock,
    (LeaveRequest, "request_lead_days"): _lead_days,
    (CallbackTask, "during_rest"): _in_rest("called_at"),
    (CallbackTask, "planned_during_rest"): _in_rest("planned_at"),
    (WorkOrder, "answer_awaited"): _awaited,
    (CallRecord, "greeting_offence_number"): _next_of("prior_greeting_offences"),
    (CallRecord, "script_in_order"): _script_in_order,
    (ShiftSwapRequest, "own_approval"): _own_approval,
    (ShiftSwapRequest, "swap_number"): _next_of("swaps_this_month"),
    (ShiftSwapRequest, "partner_swap_number"): _next_of("partner_swaps_this_month"),
}


def _negative(value: Any) -> bool:
    return isinstance(value, int | float) and value < 0


def _below_one(value: Any) -> bool:
    return isinstance(value, int | float) and value < 1


_NEVER: dict[tuple[type[BaseModel], str], Callable[[Any], bool]] = {
    (AttendanceRecord, "late_minutes"): _negative,  # arriving early is 0 minutes late
    (AttendanceRecord, "early_leave_minutes"): _negative,
    (WorkOrder, "untraced_handoffs"): _negative,  # counts of a list's items
    (WorkOrder, "proposal_count"): _negative,
    (WorkOrder, "escalation_count"): _negative,
    (Order, "unnoted_changes"): _negative,
    (ShiftSwapRequest, "skill_gap"): _negative,  # a difference without its sign
    (CallRecord, "greeting_offence_number"): _below_one,  # one more than a count
    (ShiftSwapRequest, "swap_number"): _below_one,
    (ShiftSwapRequest, "partner_swap_number"): _below_one,
}
"""Values a derived field is never computed to hold: a probe of one gets no fact whatever is drawn."""


def never_reached(model: type[BaseModel], fixed: tuple[str, Any] | None) -> bool:
    """Whether a probe writing ``fixed`` (path, value) into a derived field asks for a value
    the model never computes (``late_minutes = -1``): drawing for it can only fail."""
    if fixed is None:
        return False
    never = _NEVER.get((model, fixed[0]))
    return never is not None and never(fixed[1])


def steer_derived(f: Filler, paths: list[str]) -> None:
    """Write the sources of each derived field in ``paths`` (in order) that a way is known for."""
    for path in paths:
        way = _WAYS.get((f.model, path))
        if way is not None:
            way(f, f.data.get(path))


def reaches(fact: BaseModel, fixed: tuple[str, Any] | None, derived: frozenset[str]) -> bool:
    """Whether ``fact`` holds a probe's value when the probe writes a derived field (the model
    computed it); a probe of an input field always does."""
    if fixed is None or fixed[0] not in derived:
        return True
    value = getattr(fact, fixed[0], None)
    wanted = time.fromisoformat(fixed[1]) if isinstance(value, time) and isinstance(fixed[1], str) else fixed[1]
    return bool(value == wanted)
