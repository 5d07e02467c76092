"""Facts refuse contradictions and lax readings, and derive what their rules need right."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

import csrules
from csrules.domain.facts import (
    AttendanceRecord,
    ClockEvent,
    Fact,
    HandoverRecord,
    LeaveRequest,
    Order,
    ShiftSwapRequest,
    WorkOrder,
    build_fact,
)
from csrules.domain.leave import assess_leave
from csrules.exceptions import FactError
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
LEAVE: dict[str, Any] = {
    "agent_id": "A01",
    "kind": "sick",
    "start": "2026-03-05T08:30:00+08:00",
    "end": "2026-03-06T16:30:00+08:00",
    "requested_at": "2026-03-05T07:00:00+08:00",
    "requested_by": "A01",
}
ORDER: dict[str, Any] = {"order_no": "O1", "placed_at": "2026-03-10T10:00:00+08:00", "amount": 10}


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=TZ)


def _event(kind: str, hour: int, minute: int, **extra: Any) -> ClockEvent:
    return ClockEvent(agent_id="A01", kind=kind, at=_at(hour, minute), **extra)  # type: ignore[arg-type]


def _fact_models() -> list[type[BaseModel]]:
    return [model for model in csrules.registered_fact_types().values() if issubclass(model, Fact)]


class TestAttendanceFromEvents:
    """Clock events fold into a record whose time away is the unapproved part."""

    def test_approved_absence_does_not_count_with_an_unapproved_one(self) -> None:
        """An approved hour away and five unapproved minutes make five unapproved minutes, not 65."""
        events = [
            _event("clock_in", 8, 20),
            _event("leave_post", 10, 0, approved_by="shift_lead"),
            _event("return_post", 11, 0),
            _event("leave_post", 14, 0),
            _event("return_post", 14, 5),
            _event("clock_out", 16, 30),
        ]
        record = AttendanceRecord.from_events(events, shift_start=_at(8, 30), shift_end=_at(16, 30))
        assert (record.away_minutes, record.away_approved) == (5, False)
        decision = load_pack("call_centre").engine().evaluate(record, now=_at(17, 0))
        assert decision.rule_ids == ("ATT-11.unapproved-absence",)

    def test_only_approved_absences_are_approved(self) -> None:
        """Two approved absences add up and stay approved."""
        events = [
            _event("clock_in", 8, 25),
            _event("leave_post", 10, 0, approved_by="shift_lead"),
            _event("return_post", 10, 30),
            _event("leave_post", 14, 0, approved_by="shift_lead"),
            _event("return_post", 14, 10),
        ]
        record = AttendanceRecord.from_events(events, shift_start=_at(8, 30), shift_end=_at(16, 30))
        assert (record.away_minutes, record.away_approved) == (40, True)

    def test_a_blank_approver_is_refused(self) -> None:
        """A leave_post whose approver is blank text is refused, not counted as approved."""
        with pytest.raises(FactError, match="approved_by: blank text names no one"):
            build_fact(ClockEvent, {"agent_id": "A01", "kind": "leave_post", "at": _at(10, 0), "approved_by": "  "})

    def test_no_events_are_refused(self) -> None:
        """An empty event list is refused, not read as an absent agent named 'unknown'."""
        with pytest.raises(FactError, match="one agent"):
            AttendanceRecord.from_events([], shift_start=_at(8, 30), shift_end=_at(16, 30))


class TestContradictions:
    """A fact whose fields contradict each other is refused naming both; one that says less is completed."""

    def test_paid_at_without_status_is_a_paid_order(self) -> None:
        """An order with a payment time and no status is paid, so ORD-5 does not urge payment."""
        order = build_fact(Order, {**ORDER, "paid_at": "2026-03-10T10:05:00+08:00"})
        assert order.status == "paid"
        decision = load_pack("online_support").engine().evaluate(
            {**ORDER, "paid_at": "2026-03-10T10:05:00+08:00"}, fact_type="order", now=_at(10, 0).replace(day=11)
        )
        assert "ORD-5.urge-payment" not in decision.rule_ids

    def test_unpaid_status_with_paid_at_is_refused(self) -> None:
        """status 'unpaid' with paid_at is refused, naming both fields."""
        with pytest.raises(FactError, match=r"status is 'unpaid' but paid_at is given"):
            build_fact(Order, {**ORDER, "status": "unpaid", "paid_at": "2026-03-10T10:05:00+08:00"})

    def test_certificate_false_with_a_note_handed_in_is_refused(self) -> None:
        """certificate false with certificate_handed_at is refused, naming both fields."""
        with pytest.raises(FactError, match="certificate is false but certificate_handed_at is given"):
            build_fact(
                LeaveRequest, {**LEAVE, "certificate": False, "certificate_handed_at": "2026-03-07T09:00:00+08:00"}
            )

    def test_a_note_handed_in_is_a_certificate(self) -> None:
        """certificate_handed_at alone says a certificate reached the shift lead."""
        request = build_fact(LeaveRequest, {**LEAVE, "certificate_handed_at": "2026-03-07T09:00:00+08:00"})
        assert request.certificate


class TestBlankEntries:
    """A blank register or log entry is not recorded: rules testing is_missing see it."""

    @pytest.mark.parametrize("blank", ["", "   ", "\t"])
    def test_blank_handover_log_is_missing(self, blank: str) -> None:
        """A handover log with blank equipment, cases and staffing entries breaks ATT-10.log."""
        fact = {
            "shift_start": "2026-03-10T08:30:00+08:00",
            "outgoing_agent": "A01",
            "incoming_agent": "A02",
            "incoming_arrived_at": "2026-03-10T08:15:00+08:00",
            "notices_read": True,
            "equipment_state": blank,
            "open_cases": blank,
            "staffing_changes": blank,
        }
        assert build_fact(HandoverRecord, fact).equipment_state is None
        decision = load_pack("call_centre").engine().evaluate(fact, fact_type="handover", now=_at(9, 0))
        assert "ATT-10.log" in decision.rule_ids

    def test_blank_complaint_register_is_missing(self) -> None:
        """A complaint registered with blank complainant and content breaks CMP-1.register."""
        fact = {
            "order_id": "W1",
            "opened_at": "2026-03-10T08:00:00+08:00",
            "first_handler": "A01",
            "owner": "A01",
            "complainant": " ",
            "content": "",
        }
        decision = load_pack("call_centre").engine().evaluate(fact, fact_type="work_order", now=_at(9, 0))
        assert "CMP-1.register" in decision.rule_ids

    @pytest.mark.parametrize("field", ["approved_by", "reported_to"])
    def test_blank_name_is_refused(self, field: str) -> None:
        """A work order approved by, or reported to, blank text is refused, naming the field."""
        fact = {"order_id": "W1", "opened_at": "2026-03-10T08:00:00+08:00", "first_handler": "A", "owner": "A"}
        with pytest.raises(FactError, match=f"{field}: blank text names no one"):
            build_fact(WorkOrder, {**fact, field: "  "})

    def test_text_with_content_is_kept(self) -> None:
        """An entry with text is kept as written."""
        order = build_fact(Order, {**ORDER, "product": " book "})
        assert order.product == " book "


class TestLaxReadings:
    """Values pydantic would silently turn into something else are refused with the field named."""

    @pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
    def test_infinite_days_are_refused(self, value: float) -> None:
        """An infinite or NaN number of days is not a finite number."""
        with pytest.raises(FactError, match="days: not a finite number"):
            build_fact(LeaveRequest, {**LEAVE, "days": value})

    def test_every_float_field_is_finite(self) -> None:
        """Every float field of every fact model refuses infinity."""
        for model in _fact_models():
            for name, info in model.model_fields.items():
                if info.annotation is float:
                    assert any(getattr(m, "allow_inf_nan", None) is False for m in info.metadata), (model, name)

    def test_a_yes_no_value_is_not_a_number(self) -> None:
        """true for a number field is refused, not read as 1."""
        with pytest.raises(FactError, match=r"days: a number is expected, not a yes/no value \(got True\)"):
            build_fact(LeaveRequest, {**LEAVE, "days": True})

    def test_a_nested_yes_no_value_is_located(self) -> None:
        """A yes/no value in a nested model names its full path."""
        shift = {"start": "2026-03-05T08:30:00+08:00", "end": "2026-03-05T16:30:00+08:00"}
        fact = {
            "requester": {"agent_id": "A", "skill_level": True},
            "partner": {"agent_id": "B"},
            "requester_shift": shift,
            "partner_shift": shift,
            "requested_at": "2026-03-01T08:00:00+08:00",
        }
        with pytest.raises(FactError, match=r"requester\.skill_level: a number is expected"):
            build_fact(ShiftSwapRequest, fact)

    @pytest.mark.parametrize("value", [1773104400, 1773104400.5, "1773104400", " 1.7e9 "])
    def test_unix_time_is_not_a_date_time(self, value: object) -> None:
        """A number or numeric text for a date-time is refused, not read as Unix time."""
        with pytest.raises(FactError, match="start: a date-time is ISO 8601 text with an offset"):
            build_fact(LeaveRequest, {**LEAVE, "start": value})

    def test_direct_construction_refuses_too(self) -> None:
        """Building the model directly refuses a yes/no number as well."""
        with pytest.raises(ValueError, match="yes/no value"):
            LeaveRequest(**{**LEAVE, "days": True})


class TestPartDaySickLeave:
    """A sick leave shorter than a full day is not 滿一天 and needs no certificate."""

    def test_two_hours_are_a_quarter_day(self) -> None:
        """Two hours of an eight-hour day derive 0.25 days, and no ATT-4 follows."""
        fact = {**LEAVE, "end": "2026-03-05T10:30:00+08:00"}
        assert build_fact(LeaveRequest, fact).days == 0.25
        decision = load_pack("call_centre").engine().evaluate(
            fact, fact_type="leave_request", now=datetime(2026, 3, 7, 0, 1, tzinfo=TZ)
        )
        assert not any(rule.startswith("ATT-4") for rule in decision.rule_ids)

    def test_a_shift_is_a_full_day(self) -> None:
        """One eight-hour shift is still one day, a night shift past midnight too."""
        assert build_fact(LeaveRequest, {**LEAVE, "end": "2026-03-05T16:30:00+08:00"}).days == 1.0
        night = {**LEAVE, "start": "2026-03-05T16:00:00+08:00", "end": "2026-03-06T00:50:00+08:00"}
        assert build_fact(LeaveRequest, night).days == 1.0

    def test_full_day_minutes_is_the_company_s(self) -> None:
        """A company whose day is 7.5 hours sets full_day_minutes 450; 7.5 hours are then one day."""
        fact = {**LEAVE, "end": "2026-03-05T16:00:00+08:00"}
        assert build_fact(LeaveRequest, fact).days == 0.9375
        assert build_fact(LeaveRequest, {**fact, "full_day_minutes": 450}).days == 1.0


class TestAssessLeave:
    """A leave made not valid counts as absence without leave."""

    def test_invalid_sick_leave_is_absence_without_leave(self) -> None:
        """A sick leave without a certificate after the first day back (病假不生效) is 曠工."""
        decision = load_pack("call_centre").engine().evaluate(
            LEAVE, fact_type="leave_request", now=datetime(2026, 3, 9, 9, tzinfo=TZ)
        )
        assert "ATT-4.certificate-missing" in decision.rule_ids
        assert assess_leave(decision).absence_without_leave
