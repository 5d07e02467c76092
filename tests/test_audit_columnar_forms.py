"""The columnar forms of the domain models' validators equal the models on edge values."""

from __future__ import annotations

from typing import Any

import pytest

from csrules._audit.batch import AuditSpec
from csrules._audit.columnar import prepare
from csrules.policies import load_pack
from tests.columnar_support import NOW, assert_same, batch

CALL_CENTRE = load_pack("call_centre").engine()
ECOMMERCE = load_pack("ecommerce").engine()
ONLINE = load_pack("online_support").engine()
T0 = "2026-03-07T09:00:00+08:00"


def _attendance(**changes: Any) -> dict[str, Any]:
    fact = {"agent_id": "A1", "shift_start": T0, "shift_end": "2026-03-07T18:00:00+08:00"}
    fact.update(changes)
    return fact


ARRIVALS = [None, "2026-03-07T08:00:00+08:00", T0, "2026-03-07T09:00:59.999999+08:00", "2026-03-07T09:01:00+08:00",
            "2026-03-07T01:05:00Z", "2026-03-07T09:30:00.000001+08:00", "2026-03-08T09:00:00+08:00"]


class TestAttendance:
    """Lateness, early leave and absence in whole minutes, as the model counts them."""

    def test_minutes_at_their_edges(self):
        """Arrivals and departures around whole minutes, early, missing and a day late agree."""
        facts = [_attendance(arrived_at=a, left_at=b) for a in ARRIVALS for b in (None, "2026-03-07T17:59:00.5+08:00")]
        assert_same(CALL_CENTRE, "attendance_record", facts)

    def test_backwards_shift_and_bad_fields(self):
        """A shift ending as it starts is refused for the fact; a bad field hides that check, as in pydantic."""
        facts = [_attendance(), _attendance(shift_end=T0), _attendance(agent_id="", shift_end=T0),
                 _attendance(away_minutes=-1)]
        assert_same(CALL_CENTRE, "attendance_record", facts)

    def test_spans_too_long_for_exact_minutes(self):
        """An arrival centuries late is judged by the row engine (the model's float minutes), still agreeing."""
        facts = [_attendance(), _attendance(arrived_at="2400-03-07T09:00:00+08:00")]
        assert prepare(AuditSpec(CALL_CENTRE, "attendance_record", NOW), batch(facts)) is None
        assert_same(CALL_CENTRE, "attendance_record", facts, columnar=False)


def _call(**changes: Any) -> dict[str, Any]:
    fact = {"call_id": "C1", "agent_id": "A1", "started_at": T0, "duration": "3m"}
    fact.update(changes)
    return fact


SCRIPTS = [[], ["verify_identity", "introduce", "ask_convenience", "give_solution"],
           ["verify_identity", "other", "introduce", "verify_identity", "ask_convenience", "give_solution"],
           ["introduce", "verify_identity", "ask_convenience", "give_solution"],
           ["verify_identity", "introduce", "give_solution"]]


class TestCalls:
    """Opening and closing lines, offence numbers and the outbound script."""

    def test_lines_and_scripts(self):
        """Empty, one-line and long transcripts, and scripts with repeats, extras, gaps and swaps agree."""
        lines = [[], ["喂"], ["您好，請問有什麼可以幫您", "但是我不能", "再見"]]
        facts = [_call(agent_lines=a, script_steps=s, direction="outbound", prior_greeting_offences=n)
                 for a in lines for s in SCRIPTS for n in (0, 2)]
        assert_same(ONLINE, "call_record", facts)

    def test_durations_and_bad_values(self):
        """Duration forms, a negative duration, an unknown script step and a missing duration agree."""
        facts = [_call(duration=d) for d in ("3m", "PT20M", "90s", "-5m", "soon")]
        facts += [_call(script_steps=["verify_identity", "dance"]),
                  {"call_id": "C2", "agent_id": "A1", "started_at": T0}]
        assert_same(ONLINE, "call_record", facts)


def _callback(**changes: Any) -> dict[str, Any]:
    fact = {"customer": "K1", "created_at": T0}
    fact.update(changes)
    return fact


class TestCallbacks:
    """Rest hours read on the site's clock, across midnight and across a clock change."""

    @pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Europe/London"])
    def test_rest_hours(self, zone):
        """Calls around the ends of rest windows, on the days around a clock change, agree."""
        windows = [("22:00", "08:00"), ("12:00", "14:00"), ("09:00", "09:00"), (None, "08:00")]
        instants = ["2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-03-08T12:00:00Z",
                    "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z",
                    "2026-03-08T04:00:00+08:00", None]
        facts = [_callback(rest_from=a, rest_to=b, called_at=c, planned_at=instants[-2], time_zone=zone)
                 for a, b in windows for c in instants]
        assert_same(CALL_CENTRE, "callback_task", facts)

    def test_aware_rest_hours_go_to_the_row_engine(self):
        """A rest hour written with an offset has no column form: the row engine reads the batch."""
        facts = [_callback(rest_from="22:00+08:00", rest_to="08:00", called_at=T0)]
        assert prepare(AuditSpec(CALL_CENTRE, "callback_task", NOW), batch(facts)) is None
        assert_same(CALL_CENTRE, "callback_task", facts, columnar=False)


def _work_order(**changes: Any) -> dict[str, Any]:
    fact = {"order_id": "W1", "opened_at": T0, "first_handler": "A1", "owner": "A1"}
    fact.update(changes)
    return fact


class TestWorkOrders:
    """Hand-offs without a chase record, proposal counts and the approved proposal."""

    def test_counts_and_checks(self):
        """Chase records missing, empty and given; proposals approved in and out of range agree."""
        steps = [{"at": T0, "to_role": "shift_lead"}, {"at": T0, "to_role": "manager", "chase_record": ""},
                 {"at": T0, "to_role": "manager", "chase_record": "called"}]
        facts = [_work_order(escalations=steps[:n], proposals=["a", "b"][:m], approved_proposal=k)
                 for n in range(4) for m in range(3) for k in (None, 0, 1)]
        facts += [_work_order(escalations=[{"to_role": "x"}]),
                  _work_order(escalations=[{"at": T0, "to_role": "x", "extra": 1}])]
        assert_same(CALL_CENTRE, "work_order", facts)


def _swap(**changes: Any) -> dict[str, Any]:
    shift = {"start": T0, "end": "2026-03-07T18:00:00+08:00"}
    fact = {"requester": {"agent_id": "A1", "skill_level": 3}, "partner": {"agent_id": "A2", "skill_level": 1},
            "requester_shift": shift, "partner_shift": dict(shift, on_holiday=True), "requested_at": T0}
    fact.update(changes)
    return fact


class TestSwaps:
    """Nested agents and shifts, swap numbers, the skill gap and the shift leads' answers."""

    def test_derived_and_leads(self):
        """Every pair of the leads' three-way answers, the yes/no derived from them, and the derived
        numbers agree."""
        facts = [_swap(requester_lead_decision=d, partner_lead_decision=e, swaps_this_month=n)
                 for d in ("pending", "agreed", "declined") for e in ("pending", "agreed", "declined")
                 for n in (0, 3)]
        assert_same(CALL_CENTRE, "shift_swap", facts)

    def test_given_yes_no_is_the_models_to_check(self):
        """A yes/no the input gives (derived from the three-way answer) goes to the row engine,
        which refuses a contradiction and accepts agreement, as both paths then say."""
        facts = [_swap(requester_lead_approved=a, requester_lead_decision=d) for a in (False, True)
                 for d in ("pending", "agreed", "declined")]
        assert prepare(AuditSpec(CALL_CENTRE, "shift_swap", NOW), batch(facts)) is None
        assert_same(CALL_CENTRE, "shift_swap", facts, columnar=False)

    def test_nested_problems(self):
        """Swapping with oneself, a backwards shift, a null or unknown nested value and a missing side agree."""
        shift = {"start": T0, "end": T0}
        facts = [_swap(), _swap(partner={"agent_id": "A1"}), _swap(requester_shift=shift),
                 _swap(partner={"agent_id": "A3", "skill_level": None}), _swap(partner={"agent_id": "A3", "x": 1}),
                 _swap(partner=None), _swap(partner={"agent_id": "A3", "skill_level": 9, "job_type": "agent"})]
        assert_same(CALL_CENTRE, "shift_swap", facts)


class TestOrdersAndShifts:
    """Orders' unnoted chat changes and payment order; shifts' order."""

    def test_orders(self):
        """Changes noted, not noted, noted by default, and payments before and after placing agree."""
        changes = [{"kind": "address", "noted": True}, {"kind": "courier"}, {"kind": "quantity", "noted": False}]
        facts = [{"order_no": "O1", "placed_at": T0, "amount": 10, "chat_changes": changes[:n], "paid_at": p}
                 for n in range(4) for p in (None, "2026-03-07T08:59:59+08:00", T0)]
        facts.append({"order_no": "O2", "placed_at": T0, "amount": 1, "chat_changes": [{"kind": "gift"}]})
        assert_same(ECOMMERCE, "order", facts)

    def test_shifts(self):
        """A shift ending before, at and after its start agrees."""
        facts = [{"agent_id": "A1", "shift": "day", "start": T0, "end": end}
                 for end in ("2026-03-07T08:00:00+08:00", T0, "2026-03-07T18:00:00+08:00")]
        assert_same(ECOMMERCE, "shift_assignment", facts)


class TestLeave:
    """A leave request with a bad field and a backwards span is reported once, for the field."""

    def test_field_problem_hides_the_order_check(self):
        """pydantic runs the model's check only when the fields are valid: one invalid row, not two."""
        fact = {"agent_id": "", "kind": "sick", "requested_by": "A1", "start": "2026-03-08T09:00:00+08:00",
                "end": T0, "requested_at": T0}
        assert_same(CALL_CENTRE, "leave_request", [fact, dict(fact, agent_id="A1")])

    @pytest.mark.parametrize(("zone", "day"), [("America/New_York", 8), ("America/Havana", 8),
                                               ("Asia/Beirut", 29), ("America/Santiago", 5), ("Asia/Kathmandu", 8)])
    def test_local_dates_across_clock_changes(self, zone, day):
        """Leave around a clock change, some at a midnight it skips or repeats, agrees and is read per column."""
        month = 4 if zone == "America/Santiago" else 3
        facts = []
        for hour in range(0, 24, 3):
            for offset in ("-05:00", "+02:00", "Z"):
                at = f"2026-{month:02d}-{day:02d}T{hour:02d}:00:00{offset}"
                facts.append({"agent_id": "A1", "kind": "sick", "requested_by": "A1", "time_zone": zone,
                              "start": f"2026-{month:02d}-{day - 1:02d}T{hour:02d}:30:00{offset}", "end": at,
                              "requested_at": f"2026-{month:02d}-{day - 2:02d}T{hour:02d}:59:59.999999{offset}"})
        assert_same(CALL_CENTRE, "leave_request", facts)

    @pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Santiago", "America/New_York"])
    def test_days_are_local_24_hour_periods(self, zone):
        """Days and the first day back agree with the model for one night shift past midnight,
        exactly one and two days, a microsecond more, and leave from the instant a day starts where
        clocks jump at midnight (Santiago, 2026-09-06 starts at 01:00) — and are read per column."""
        spans = [("2026-09-05T16:00:00", "2026-09-06T00:50:00"), ("2026-09-05T08:30:00", "2026-09-06T16:30:00"),
                 ("2026-09-05T00:00:00", "2026-09-06T00:00:00"), ("2026-09-05T00:00:00", "2026-09-07T00:00:00"),
                 ("2026-09-05T00:00:00", "2026-09-06T00:00:00.000001"), ("2026-09-06T01:00:00", "2026-09-07T00:00:00"),
                 ("2026-09-05T09:00:00", "2026-09-05T18:00:00")]
        offset = {"Asia/Shanghai": "+08:00", "America/Santiago": "-04:00", "America/New_York": "-04:00"}[zone]
        facts = [{"agent_id": "A1", "kind": "personal", "requested_by": "A1", "time_zone": zone,
                  "start": start + offset, "end": end + offset,
                  "requested_at": "2026-09-01T09:00:00" + offset} for start, end in spans]
        if zone == "America/Santiago":  # after the change Santiago is at -03:00
            for fact in facts:
                for key in ("start", "end"):
                    if fact[key][:19] >= "2026-09-06T01:00:00":
                        fact[key] = fact[key][:-6] + "-03:00"
        assert_same(CALL_CENTRE, "leave_request", facts)
