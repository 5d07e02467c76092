"""Fact models: validation errors, derived fields, clock events, and SLA clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import csrules
from csrules import FactError
from csrules.domain import (
    AttendanceRecord,
    CallbackTask,
    CallRecord,
    ClockEvent,
    LeaveRequest,
    Pause,
    SlaPolicy,
    SlaTicket,
    WorkOrder,
    build_fact,
)
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


LEAVE: dict[str, Any] = {
    "agent_id": "A01",
    "kind": "personal",
    "requested_by": "A01",
    "start": "2026-03-10T08:30:00+08:00",
    "end": "2026-03-10T16:30:00+08:00",
    "requested_at": "2026-03-05T09:00:00+08:00",
}


class TestBadInput:
    def test_leave_ending_before_it_starts(self) -> None:
        """A leave that ends before it starts is a FactError wrapping pydantic's error."""
        bad = {**LEAVE, "end": "2026-03-09T16:30:00+08:00"}
        with pytest.raises(FactError, match="leave must end after it starts") as info:
            build_fact(LeaveRequest, bad)
        assert info.value.fact_type == "leave_request"
        assert info.value.__cause__ is not None
        with pytest.raises(FactError):
            load_pack("call_centre").engine().evaluate(bad, fact_type="leave_request")

    def test_swap_with_oneself(self) -> None:
        """A swap between an agent and themself is refused."""
        fact = {
            "requester": {"agent_id": "A01"},
            "partner": {"agent_id": "A01"},
            "requester_shift": {"start": "2026-03-10T08:30:00+08:00", "end": "2026-03-10T16:30:00+08:00"},
            "partner_shift": {"start": "2026-03-12T08:30:00+08:00", "end": "2026-03-12T16:30:00+08:00"},
            "requested_at": "2026-03-05T09:00:00+08:00",
        }
        with pytest.raises(FactError, match="cannot swap with themself"):
            load_pack("call_centre").engine().evaluate(fact, fact_type="shift_swap")

    def test_unknown_emotion(self) -> None:
        """A complaint with an emotion outside the five is refused, naming the field."""
        fact = {
            "order_id": "W1",
            "opened_at": "2026-03-10T09:00:00+08:00",
            "first_handler": "A",
            "owner": "A",
            "emotion": "furious",
        }
        with pytest.raises(FactError) as info:
            build_fact(WorkOrder, fact)
        assert [loc for loc, _ in info.value.problems] == ["emotion"]

    def test_negative_rings(self) -> None:
        """A call with negative rings is refused."""
        fact = {
            "call_id": "C",
            "agent_id": "A",
            "started_at": "2026-03-10T09:00:00+08:00",
            "duration": "PT1M",
            "rings_before_pickup": -1,
        }
        with pytest.raises(FactError, match="rings_before_pickup"):
            build_fact(CallRecord, fact)

    def test_naive_datetimes_are_refused(self) -> None:
        """Times without a zone are refused."""
        with pytest.raises(FactError, match="start"):
            build_fact(LeaveRequest, {**LEAVE, "start": "2026-03-10T08:30:00"})

    def test_unknown_fields_are_refused(self) -> None:
        """Facts are closed: a misspelt field is an error, not ignored."""
        with pytest.raises(FactError, match="requestd_by"):
            build_fact(LeaveRequest, {**LEAVE, "requestd_by": "A01"})


class TestDerivedFields:
    def test_leave_days_and_in_person(self) -> None:
        """Days count local dates; a night shift ending at midnight is one day."""
        night = build_fact(
            LeaveRequest,
            {**LEAVE, "start": "2026-03-10T16:00:00+08:00", "end": "2026-03-11T00:00:00+08:00", "requested_by": "A02"},
        )
        assert (night.days, night.in_person, night.request_lead_days) == (1.0, False, 5)
        assert night.shift_start == night.start

    def test_given_days_are_kept(self) -> None:
        """A host that grants half days passes them."""
        assert build_fact(LeaveRequest, {**LEAVE, "days": 0.5}).days == 0.5

    def test_call_greeting_and_closing(self) -> None:
        """The greeting is the first agent line, the closing the last."""
        call = build_fact(
            CallRecord,
            {
                "call_id": "C",
                "agent_id": "A",
                "started_at": "2026-03-10T09:00:00+08:00",
                "duration": "PT1M",
                "agent_lines": ["您好", "稍等", "再見"],
                "prior_greeting_offences": 2,
            },
        )
        assert (call.greeting, call.closing_line, call.greeting_offence_number) == ("您好", "再見", 3)

    def test_rest_hours_across_midnight(self) -> None:
        """A call at 23:00 falls in rest hours 22:00-08:00."""
        task = CallbackTask(
            customer="Li",
            created_at=at("2026-03-10 10:00"),
            called_at=at("2026-03-10 23:00"),
            rest_from="22:00",
            rest_to="08:00",
        )
        assert task.during_rest

    def test_attendance_from_clock_events(self) -> None:
        """Events fold into lateness, time away and whether leaving the post was approved."""
        events = [
            ClockEvent(agent_id="A", kind="clock_in", at=at("2026-03-10 08:40")),
            ClockEvent(agent_id="A", kind="leave_post", at=at("2026-03-10 11:00"), approved_by="shift_lead"),
            ClockEvent(agent_id="A", kind="return_post", at=at("2026-03-10 11:10")),
            ClockEvent(agent_id="A", kind="clock_out", at=at("2026-03-10 16:00")),
        ]
        record = AttendanceRecord.from_events(
            events, shift_start=at("2026-03-10 08:30"), shift_end=at("2026-03-10 16:30")
        )
        assert (record.late_minutes, record.early_leave_minutes, record.away_minutes, record.away_approved) == (
            10,
            30,
            10,
            True,
        )
        with pytest.raises(ValueError, match="several agents"):
            AttendanceRecord.from_events(
                [*events, ClockEvent(agent_id="B", kind="clock_in", at=at("2026-03-10 08:30"))],
                shift_start=at("2026-03-10 08:30"),
                shift_end=at("2026-03-10 16:30"),
            )

    def test_fact_types_are_registered(self) -> None:
        """The domain registers every fact type the packs name, with Chinese labels."""
        names = set(csrules.registered_fact_types())
        assert {"leave_request", "work_order", "call_record", "shift_swap", "sla_clock"} <= names
        field = LeaveRequest.model_fields["kind"]
        assert isinstance(field.json_schema_extra, dict)
        assert field.json_schema_extra["zh"] == "假別"


class TestSla:
    POLICY = SlaPolicy(
        targets={"urgent": {"first_reply": "1h", "next_reply": "2h", "resolution": "8h"}}, warn_at=(0.5, 0.8)
    )

    def test_warnings_come_before_the_breach(self) -> None:
        """At 50 % and 80 % of the first-reply target, warnings fall due before the breach."""
        ticket = SlaTicket(ticket_id="T", priority="urgent", created_at=at("2026-03-10 09:00"))
        (first, resolution) = self.POLICY.clocks(ticket, now=at("2026-03-10 09:20"))
        assert first.metric == "first_reply"
        assert [w.at for w in first.warnings] == [at("2026-03-10 09:30"), at("2026-03-10 09:48")]
        assert first.breach_at == at("2026-03-10 10:00")
        assert resolution.next_warning_at == at("2026-03-10 13:00")
        (late, _) = self.POLICY.clocks(ticket, now=at("2026-03-10 09:50"))
        assert late.warning_level == 0.8
        assert not late.breached

    def test_pauses_stop_the_clock(self) -> None:
        """Waiting on the customer pauses resolution and moves the breach later."""
        ticket = SlaTicket(
            ticket_id="T",
            priority="urgent",
            created_at=at("2026-03-10 09:00"),
            agent_replies=(at("2026-03-10 09:10"),),
            pauses=(Pause(start=at("2026-03-10 10:00"), end=at("2026-03-10 12:00")),),
        )
        clocks = {c.metric: c for c in self.POLICY.clocks(ticket, now=at("2026-03-10 13:00"))}
        assert clocks["resolution"].elapsed == timedelta(hours=2)
        assert clocks["resolution"].breach_at == at("2026-03-10 19:00")
        assert clocks["first_reply"].stopped_at == at("2026-03-10 09:10")
        waiting = SlaTicket(
            ticket_id="T",
            priority="urgent",
            created_at=at("2026-03-10 09:00"),
            pauses=(Pause(start=at("2026-03-10 10:00")),),
        )
        paused = {c.metric: c for c in self.POLICY.clocks(waiting, now=at("2026-03-10 13:00"))}
        assert paused["resolution"].paused
        assert paused["resolution"].breach_at is None

    def test_next_reply_clock(self) -> None:
        """The next-reply clock starts at the oldest unanswered customer message."""
        ticket = SlaTicket(
            ticket_id="T",
            priority="urgent",
            created_at=at("2026-03-10 09:00"),
            agent_replies=(at("2026-03-10 09:10"),),
            customer_messages=(at("2026-03-10 10:00"), at("2026-03-10 10:30")),
        )
        clocks = {c.metric: c for c in self.POLICY.clocks(ticket, now=at("2026-03-10 11:00"))}
        assert clocks["next_reply"].started_at == at("2026-03-10 10:00")
        assert clocks["next_reply"].breach_at == at("2026-03-10 12:00")

    def test_business_hours(self) -> None:
        """Business-hour targets count only opening hours of the calendar."""
        from csrules._time.calendar import BusinessCalendar

        calendar = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"})
        policy = SlaPolicy(targets={"normal": {"first_reply": "4 business hours"}}, calendar=calendar)
        ticket = SlaTicket(ticket_id="T", priority="normal", created_at=at("2026-03-13 16:00"))  # a Friday
        (clock,) = policy.clocks(ticket, now=at("2026-03-13 17:00"))
        assert clock.breach_at == at("2026-03-16 11:00")
        assert clock.warnings[0].at == at("2026-03-16 09:00")

    def test_business_targets_need_a_calendar(self) -> None:
        """A business-time target without a calendar is a definition error."""
        with pytest.raises(csrules.PolicyError, match="calendar"):
            SlaPolicy(targets={"normal": {"first_reply": "4 business hours"}})

    def test_clock_facts_drive_escalation(self) -> None:
        """A host policy escalates at 80 % of any target, before the breach."""
        policy = csrules.loads_policy("""
id: host.sla
version: "1"
title: {en: SLA warnings, zh: 服務水平預警}
fact_type: sla_clock
params:
  escalate_at: {type: float, default: 0.8, min: 0, max: 1}
rules:
  - id: SLA-warn
    title: {en: Escalate at 80 %, zh: 用時達80%升級}
    when:
      kind: all
      of:
        - {kind: compare, path: warning_level, op: ">=", param: escalate_at}
        - {kind: compare, path: breached, op: "==", value: false}
    then: [{type: escalation, to: shift_lead}]
""")
        engine = csrules.Engine(policy)
        ticket = SlaTicket(ticket_id="T", priority="urgent", created_at=at("2026-03-10 09:00"))
        early, late = (self.POLICY.clocks(ticket, now=at(t))[0] for t in ("2026-03-10 09:40", "2026-03-10 09:50"))
        assert not engine.evaluate(early.fact()).escalations
        assert [e.to for e in engine.evaluate(late.fact()).escalations] == ["shift_lead"]
