"""Wrong answers of the call-centre and online-support packs found against their sources
(001, 003, 004), each pinned at its boundary: instants written with other offsets, times
recorded after ``now``, and the readings stated in the pack READMEs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from csrules.policies import load_pack
from tests.columnar_support import assert_same

ONLINE = load_pack("online_support").engine()
CENTRE = load_pack("call_centre").engine()


def at(text: str) -> datetime:
    """An aware instant from its ISO text."""
    return datetime.fromisoformat(text)


def rules(engine: Any, fact: dict[str, Any], fact_type: str, now: str) -> tuple[str, ...]:
    """The rules that hold for ``fact`` at ``now``."""
    return tuple(engine.evaluate(fact, fact_type=fact_type, now=at(now)).rule_ids)


# ----------------------------------------------------------------------------- ORD-5 (003 篇27 4)

ORDER = {"order_no": "G9", "placed_at": "2026-03-10T10:00:00+08:00", "amount": 30}
"""An order placed at 10:00 Beijing time (拍下)."""


class TestPaymentAfterNow:
    """ORD-5: "拍下之後,12小時之內沒有付款的,應該及時和客戶聯系": a payment recorded for after
    ``now`` had not been made at ``now``, so 12 hours unpaid still asks for the reminder."""

    @pytest.mark.parametrize("paid_at", ["2026-03-10T23:00:00+08:00", "2026-03-10T15:00:00Z",
                                         "2026-03-10T10:00:00-05:00"])
    def test_paid_after_now_is_still_unpaid(self, paid_at: str) -> None:
        """Judged at 22:30, 12.5 h after the order, a payment at 23:00 (in any offset) is yet to come."""
        fact = {**ORDER, "paid_at": paid_at}
        assert rules(ONLINE, fact, "order", "2026-03-10T22:30:00+08:00") == ("ORD-5.urge-payment",)

    @pytest.mark.parametrize("status", ["paid", "shipping", "sent"])
    def test_later_status_with_payment_after_now(self, status: str) -> None:
        """A record replayed at 22:30 whose status is already later still shows no payment at 22:30."""
        fact = {**ORDER, "paid_at": "2026-03-10T23:00:00+08:00", "status": status}
        assert "ORD-5.urge-payment" in rules(ONLINE, fact, "order", "2026-03-10T22:30:00+08:00")

    def test_paid_by_now_is_not_urged(self) -> None:
        """Once the payment time has passed the order is paid: no reminder."""
        fact = {**ORDER, "paid_at": "2026-03-10T23:00:00+08:00"}
        assert rules(ONLINE, fact, "order", "2026-03-10T23:00:00+08:00") == ()

    def test_cancelled_order_is_never_urged(self) -> None:
        """A cancelled order is not urged, whatever its payment time says."""
        fact = {**ORDER, "paid_at": "2026-03-10T23:00:00+08:00", "status": "cancelled"}
        assert rules(ONLINE, fact, "order", "2026-03-10T22:30:00+08:00") == ()

    def test_within_twelve_hours_is_not_urged(self) -> None:
        """At exactly 12 h the order is still within them, payment to come or not."""
        fact = {**ORDER, "paid_at": "2026-03-10T23:00:00+08:00"}
        assert rules(ONLINE, fact, "order", "2026-03-10T22:00:00+08:00") == ()

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit reads a payment after now as the engine does."""
        facts = [{**ORDER, "paid_at": "2026-06-01T10:00:00+00:00", "placed_at": "2026-05-31T10:00:00+00:00"},
                 {**ORDER, "paid_at": "2026-06-01T08:00:00+00:00", "placed_at": "2026-05-31T10:00:00+00:00"},
                 {**ORDER, "status": "unpaid", "placed_at": "2026-05-31T10:00:00+00:00"}]
        assert_same(ONLINE, "order", facts)


# ----------------------------------------------------------------- ATT-9 (001 換班制度 六; 請假制度 九)

SWAPPED = {"agent_id": "A01", "requested_by": "A01", "on_swapped_shift": True, "start": "2026-03-10T08:30:00+08:00",
           "end": "2026-03-10T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00"}
"""A request for the swapped 08:30 shift of 10 March, asked nine days ahead."""


class TestDutyOnASwappedShift:
    """"換班和還班均不得請假,否則按曠工處理" bars leave asked; a business trip or training the
    centre director approves (請假制度 九) is duty, not leave, and no 曠工."""

    @pytest.mark.parametrize("kind", ["business_trip", "training"])
    def test_trip_or_training_is_no_leave(self, kind: str) -> None:
        """A trip or training on the swapped shift asks the centre director, with no ATT-9 absence."""
        fact = {**SWAPPED, "kind": kind}
        decision = CENTRE.evaluate(fact, fact_type="leave_request", now=at(SWAPPED["requested_at"]))
        assert "ATT-9.no-leave-on-swapped-shift" not in decision.rule_ids
        assert decision.effect_keys == ("approval:centre_director",)

    @pytest.mark.parametrize("kind", ["personal", "special_personal", "sick"])
    def test_leave_asked_is_still_absence(self, kind: str) -> None:
        """Leave asked for the swapped shift is still ATT-9's 曠工."""
        fact = {**SWAPPED, "kind": kind, "certificate": kind == "sick"}
        assert "ATT-9.no-leave-on-swapped-shift" in rules(CENTRE, fact, "leave_request", SWAPPED["requested_at"])


# ------------------------------------------------------------------ ATT-10 (001 交接班制度 1、4)

HANDOVER = {"shift_start": "2026-03-10T16:00:00+08:00", "outgoing_agent": "A01", "incoming_agent": "A02",
            "equipment_state": "ok", "open_cases": "none", "staffing_changes": "none", "notices_read": True}
"""A complete handover to the 16:00 shift of 10 March, with no times of arrival or departure."""


class TestHandoverTimesAfterNow:
    """An arrival or a departure recorded for after ``now`` has not happened yet at ``now``."""

    @pytest.mark.parametrize("arrived", ["2026-03-10T15:55:00+08:00", "2026-03-10T07:55:00Z",
                                         "2026-03-10T02:55:00-05:00"])
    def test_arrival_ahead_judged_before_the_shift(self, arrived: str) -> None:
        """At 15:00 an arrival recorded for 15:55 (any offset) has not happened: nothing is late yet."""
        fact = {**HANDOVER, "incoming_arrived_at": arrived}
        assert rules(CENTRE, fact, "handover", "2026-03-10T15:00:00+08:00") == ()

    def test_arrival_made_late_is_judged(self) -> None:
        """Once the 15:55 arrival has happened it is less than ten minutes early: ATT-10."""
        fact = {**HANDOVER, "incoming_arrived_at": "2026-03-10T15:55:00+08:00"}
        assert rules(CENTRE, fact, "handover", "2026-03-10T15:56:00+08:00") == ("ATT-10.arrive-early",)

    def test_arrival_still_ahead_at_the_shift_start_is_none(self) -> None:
        """From the shift start an arrival still ahead is no arrival: ATT-10."""
        fact = {**HANDOVER, "incoming_arrived_at": "2026-03-10T16:05:00+08:00"}
        assert rules(CENTRE, fact, "handover", "2026-03-10T16:00:00+08:00") == ("ATT-10.arrive-early",)

    @pytest.mark.parametrize("left", ["2026-03-10T16:00:00+08:00", "2026-03-10T08:00:00Z"])
    def test_departure_ahead_has_not_left(self, left: str) -> None:
        """At 15:30 a departure recorded for 16:00 has not happened: the outgoing agent is still there."""
        fact = {**HANDOVER, "outgoing_left_at": left}
        assert rules(CENTRE, fact, "handover", "2026-03-10T15:30:00+08:00") == ()

    def test_departure_made_before_the_successor_sat(self) -> None:
        """Once the departure has happened with no successor seated, ATT-10.wait-for-successor holds."""
        fact = {**HANDOVER, "incoming_arrived_at": "2026-03-10T15:45:00+08:00",
                "outgoing_left_at": "2026-03-10T16:00:00+08:00"}
        assert rules(CENTRE, fact, "handover", "2026-03-10T16:01:00+08:00") == ("ATT-10.wait-for-successor",)


# ------------------------------------------------------------------- ATT-7 (001 請假制度 一、八)

SHIFT = {"agent_id": "A01", "shift_start": "2026-03-10T08:30:00+08:00", "shift_end": "2026-03-10T16:30:00+08:00"}
"""A01's 08:30-16:30 shift of 10 March."""


class TestAttendanceTimesAfterNow:
    """An arrival or a departure recorded for after ``now`` has not happened yet at ``now``."""

    @pytest.mark.parametrize("arrived", ["2026-03-10T09:00:00+08:00", "2026-03-10T01:00:00Z",
                                         "2026-03-09T20:00:00-05:00"])
    def test_arrival_ahead_is_not_yet_late(self, arrived: str) -> None:
        """At 08:40 an arrival recorded for 09:00 (any offset) has not happened: not yet 20 minutes late."""
        fact = {**SHIFT, "arrived_at": arrived}
        assert rules(CENTRE, fact, "attendance_record", "2026-03-10T08:40:00+08:00") == ()

    def test_arrival_made_late_is_judged(self) -> None:
        """Once the 09:00 arrival has happened, 30 minutes late is ATT-7."""
        fact = {**SHIFT, "arrived_at": "2026-03-10T09:00:00+08:00"}
        assert rules(CENTRE, fact, "attendance_record", "2026-03-10T09:00:00+08:00") == ("ATT-7.late",)

    @pytest.mark.parametrize("left", ["2026-03-10T12:00:00+08:00", "2026-03-10T04:00:00Z"])
    def test_departure_ahead_is_not_yet_early_leave(self, left: str) -> None:
        """At 11:00 a departure recorded for 12:00 has not happened: the agent has not left duty."""
        fact = {**SHIFT, "arrived_at": "2026-03-10T08:20:00+08:00", "left_at": left}
        assert rules(CENTRE, fact, "attendance_record", "2026-03-10T11:00:00+08:00") == ()

    def test_departure_made_early_is_judged(self) -> None:
        """Once the 12:00 departure has happened, four and a half hours early is ATT-7."""
        fact = {**SHIFT, "arrived_at": "2026-03-10T08:20:00+08:00", "left_at": "2026-03-10T12:00:00+08:00"}
        assert rules(CENTRE, fact, "attendance_record", "2026-03-10T12:00:00+08:00") == ("ATT-7.early-leave",)

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit reads times after now as the engine does."""
        shift = {"agent_id": "A01", "shift_start": "2026-06-01T08:30:00+00:00",
                 "shift_end": "2026-06-01T16:30:00+00:00"}
        facts = [{**shift, "arrived_at": "2026-06-01T09:30:00+00:00"},
                 {**shift, "arrived_at": "2026-06-01T08:55:00+00:00"},
                 {**shift, "arrived_at": "2026-06-01T08:20:00+00:00", "left_at": "2026-06-01T12:00:00+00:00"},
                 {**shift, "arrived_at": "2026-06-01T08:20:00+00:00", "left_at": "2026-06-01T08:40:00+00:00"}]
        assert_same(CENTRE, "attendance_record", facts)


# ----------------------------------------------------------------------- ATT-4 (001 請假制度 五)

SICK = {"agent_id": "A01", "requested_by": "A01", "kind": "sick", "start": "2026-03-05T08:30:00+08:00",
        "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-05T07:00:00+08:00"}
"""A full day of sick leave on 5 March, asked before the shift: the first day back is 6 March."""


class TestSickNoteTimesAfterNow:
    """A hand-in or a phone call recorded for after ``now`` has not happened yet at ``now``."""

    @pytest.mark.parametrize("handed", ["2026-03-09T09:00:00+08:00", "2026-03-09T01:00:00Z"])
    def test_late_hand_in_ahead_is_not_yet_late(self, handed: str) -> None:
        """On the first day back a note recorded for 9 March is neither late nor missing yet: still owed."""
        fact = {**SICK, "certificate_handed_at": handed}
        found = rules(CENTRE, fact, "leave_request", "2026-03-06T10:00:00+08:00")
        assert not {"ATT-4.hand-in-late", "ATT-4.certificate-missing"} & set(found)
        assert "ATT-4.hand-in" in found

    def test_note_ahead_is_missing_after_the_first_day_back(self) -> None:
        """After the first day back a note recorded for 9 March has not reached the shift lead: missing."""
        fact = {**SICK, "certificate_handed_at": "2026-03-09T09:00:00+08:00"}
        found = rules(CENTRE, fact, "leave_request", "2026-03-07T00:01:00+08:00")
        assert "ATT-4.certificate-missing" in found
        assert "ATT-4.hand-in-late" not in found

    def test_late_hand_in_made_is_late(self) -> None:
        """Once the note handed in on 9 March has reached the shift lead, it is late (and no longer missing)."""
        fact = {**SICK, "certificate_handed_at": "2026-03-09T09:00:00+08:00"}
        found = rules(CENTRE, fact, "leave_request", "2026-03-09T10:00:00+08:00")
        assert "ATT-4.hand-in-late" in found
        assert "ATT-4.certificate-missing" not in found

    @pytest.mark.parametrize("phoned", ["2026-03-05T10:00:00+08:00", "2026-03-04T21:00:00-05:00"])
    def test_late_call_ahead_before_the_shift(self, phoned: str) -> None:
        """At 06:00 an emergency call recorded for 10:00 has not been made: before the shift nothing is late."""
        fact = {**SICK, "emergency": True, "requested_by": "A02", "requested_at": "2026-03-05T06:00:00+08:00",
                "phoned_shift_lead_at": phoned}
        found = rules(CENTRE, fact, "leave_request", "2026-03-05T06:00:00+08:00")
        assert not {"ATT-4.emergency-phone", "ATT-1.late-approval"} & set(found)

    def test_late_call_made_is_judged(self) -> None:
        """Once the 10:00 call has been made after the 08:30 start, it is late: ATT-4 and the approval."""
        fact = {**SICK, "emergency": True, "requested_by": "A02", "requested_at": "2026-03-05T06:00:00+08:00",
                "phoned_shift_lead_at": "2026-03-05T10:00:00+08:00"}
        found = rules(CENTRE, fact, "leave_request", "2026-03-05T10:00:00+08:00")
        assert {"ATT-4.emergency-phone", "ATT-1.late-approval"} <= set(found)

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit reads hand-ins and calls after now as the engine does."""
        sick = {**SICK, "start": "2026-05-30T08:30:00+00:00", "end": "2026-05-30T16:30:00+00:00",
                "requested_at": "2026-05-30T07:00:00+00:00", "time_zone": "UTC"}
        facts = [{**sick, "certificate_handed_at": "2026-06-02T09:00:00+00:00"},
                 {**sick, "certificate_handed_at": "2026-05-31T09:00:00+00:00"},
                 {**sick, "emergency": True, "start": "2026-06-01T10:00:00+00:00", "end": "2026-06-01T16:00:00+00:00",
                  "requested_at": "2026-06-01T08:00:00+00:00", "phoned_shift_lead_at": "2026-06-01T11:00:00+00:00"}]
        assert_same(CENTRE, "leave_request", facts)
