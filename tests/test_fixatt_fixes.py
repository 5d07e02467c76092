"""Attendance, handover and shift rules: judged once their time has come, on times that agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import FactError
from csrules.domain.facts import AttendanceRecord, ClockEvent
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
CC = load_pack("call_centre").engine()
SHOP = load_pack("ecommerce").engine()
LEAD_AND_ABOVE = ("shift_lead", "department_head", "centre_director")


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant of March 2026 in Beijing."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=TZ)


def _record(**fields: Any) -> dict[str, Any]:
    """The day shift of 10 March, fields added."""
    return {"agent_id": "A01", "shift_start": _at(10, 8, 30), "shift_end": _at(10, 16, 30)} | fields


def _event(kind: str, at: datetime, **fields: Any) -> ClockEvent:
    return ClockEvent(agent_id="A01", kind=kind, at=at, **fields)  # type: ignore[arg-type]


def _fold(events: list[ClockEvent]) -> AttendanceRecord:
    return AttendanceRecord.from_events(events, shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30))


def _handover(**fields: Any) -> dict[str, Any]:
    return {"shift_start": _at(10, 16), "outgoing_agent": "A01", "incoming_agent": "A02", "equipment_state": "ok",
            "open_cases": "none", "staffing_changes": "none", "notices_read": True} | fields


class TestJudgedOnceDue:
    """A rule about something not done yet waits for its deadline (the rule reads now)."""

    @pytest.mark.parametrize(("now", "absent"), [(_at(9, 18), False), (_at(10, 8, 35), False),
                                                 (_at(10, 16, 29), False), (_at(10, 16, 30), True)])
    def test_absence_only_once_the_shift_is_over(self, now: datetime, absent: bool) -> None:
        """No arrival is 曠工 (ATT-7.absent) at the shift's end, not the evening before or during it."""
        assert ("ATT-7.absent" in CC.evaluate(_record(), fact_type="attendance_record", now=now).rule_ids) is absent

    def test_ecommerce_not_come_is_late_once_the_shift_starts(self) -> None:
        """002's labour discipline (不遲到、不曠工): a shift not come to is lateness once it has
        started and absence once it is over, never before it starts."""
        judged = [SHOP.evaluate(_record(), fact_type="attendance_record", now=now).rule_ids
                  for now in (_at(10, 8, 30), _at(10, 9), _at(10, 17))]
        assert judged == [(), ("ATT-7.discipline",), ("ATT-7.discipline",)]

    @pytest.mark.parametrize(("now", "expected"), [(_at(5, 6), False), (_at(5, 8, 30), False), (_at(5, 8, 31), True)])
    def test_emergency_call_may_come_until_the_shift_starts(self, now: datetime, expected: bool) -> None:
        """ATT-4.emergency-phone without a call is a violation only after the shift has started."""
        leave = {"agent_id": "A01", "kind": "sick", "emergency": True, "requested_by": "A02", "start": _at(5, 8, 30),
                 "end": _at(5, 16, 30), "requested_at": _at(5, 6)}
        decision = CC.evaluate(leave, fact_type="leave_request", now=now)
        assert ("ATT-4.emergency-phone" in decision.rule_ids) is expected

    def test_handover_before_the_shift_reports_no_missing_arrival_or_log(self) -> None:
        """Judged an hour before the shift, an empty handover is only the notices obligation."""
        bare = {"shift_start": _at(10, 16), "outgoing_agent": "A01", "incoming_agent": "A02"}
        assert CC.evaluate(bare, fact_type="handover", now=_at(10, 15)).rule_ids == ("ATT-10.notices",)
        after = CC.evaluate(bare, fact_type="handover", now=_at(10, 16)).rule_ids
        assert after == ("ATT-10.arrive-early", "ATT-10.log", "ATT-10.notices")

    def test_ecommerce_handover_book_waits_for_the_handover(self) -> None:
        """ATT-12.handover-book (the night agent's book, read by the day shift) is judged from the shift's start."""
        bare = {"shift_start": _at(11, 8, 30), "outgoing_agent": "E02", "incoming_agent": "E01"}
        assert SHOP.evaluate(bare, fact_type="handover", now=_at(11, 8, 29)).rule_ids == ()
        assert SHOP.evaluate(bare, fact_type="handover", now=_at(11, 8, 30)).rule_ids == ("ATT-12.handover-book",)


class TestAttendanceTimesAgree:
    """An attendance record whose times contradict each other is refused, naming the fields."""

    @pytest.mark.parametrize(("fields", "words"), [
        ({"arrived_at": _at(10, 8, 25), "left_at": _at(10, 8)}, "left_at comes before arrived_at"),
        ({"arrived_at": _at(10, 17, 30)}, "arrived_at is not before shift_end"),
        ({"arrived_at": _at(10, 16, 30)}, "arrived_at is not before shift_end"),
        ({"arrived_at": _at(10, 8, 25), "away_minutes": 481}, "away_minutes is longer than the shift"),
        ({"left_at": _at(10, 16, 30)}, "left_at is given without arrived_at"),
    ])
    def test_contradictions_are_refused(self, fields: dict[str, Any], words: str) -> None:
        """Leaving before or without arriving, arriving once the shift is over, away longer than the shift: refused."""
        with pytest.raises(FactError, match=words):
            CC.evaluate(_record(**fields), fact_type="attendance_record", now=_at(11, 9))

    def test_a_whole_shift_away_is_accepted(self) -> None:
        """Away for exactly the shift's 480 minutes is possible and judged (ATT-7.away)."""
        decision = CC.evaluate(_record(arrived_at=_at(10, 8, 25), away_minutes=480), fact_type="attendance_record",
                               now=_at(11, 9))
        assert "ATT-7.away" in decision.rule_ids


class TestFromEventsOfOneShift:
    """from_events folds one shift's events; another day's are refused, not folded."""

    def test_yesterdays_events_are_refused(self) -> None:
        """A clock-in of the day before is no arrival to this shift: refused, naming the event."""
        events = [_event("clock_in", _at(9, 8, 25)), _event("clock_out", _at(9, 16, 35)),
                  _event("clock_in", _at(10, 9, 10)), _event("clock_out", _at(10, 16, 30))]
        with pytest.raises(FactError, match=r"events\[0\] \(clock_in at 2026-03-09T08:25:00\+08:00\)"):
            _fold(events)

    def test_events_within_the_margin_are_folded(self) -> None:
        """An arrival four hours early and a departure four hours late still belong to the shift."""
        record = _fold([_event("clock_in", _at(10, 4, 30)), _event("clock_out", _at(10, 20, 30))])
        assert (record.arrived_at, record.left_at) == (_at(10, 4, 30), _at(10, 20, 30))

    def test_margin_is_a_parameter(self) -> None:
        """A narrower margin refuses an arrival two hours early."""
        with pytest.raises(FactError, match="outside the shift"):
            AttendanceRecord.from_events([_event("clock_in", _at(10, 6, 30))], shift_start=_at(10, 8, 30),
                                         shift_end=_at(10, 16, 30), margin=timedelta(hours=1))


class TestLeavingThePostApprovedByWhom:
    """Only the shift lead, or a role above in the catalogue, allows leaving the post (值班制度 5)."""

    @pytest.mark.parametrize(("approver", "rules"), [
        ("shift_lead", ()), ("值班長", ()), ("department_head", ()), ("centre_director", ()),
        ("agent", ("ATT-7.away", "ATT-11.unapproved-absence")),
        ("A02", ("ATT-7.away", "ATT-11.unapproved-absence", "ROLE-1.attendance-unknown-role")),
        ("qa_inspector", ("ATT-7.away", "ATT-11.unapproved-absence")),
    ])
    def test_approver_role_decides(self, approver: str, rules: tuple[str, ...]) -> None:
        """Forty minutes away approved by ``approver``: clean for the lead and above, ATT-7 and ATT-11 otherwise."""
        record = _fold([_event("clock_in", _at(10, 8, 20)), _event("leave_post", _at(10, 10), approved_by=approver),
                        _event("return_post", _at(10, 10, 40)), _event("clock_out", _at(10, 16, 30))])
        assert (record.away_approved, record.away_approved_by) == (True, approver)
        assert CC.evaluate(record, now=_at(10, 17)).rule_ids == rules

    def test_different_approvers_are_refused(self) -> None:
        """Two absences approved by different roles fold into no one record: refused."""
        events = [_event("clock_in", _at(10, 8, 20)),
                  _event("leave_post", _at(10, 10), approved_by="shift_lead"), _event("return_post", _at(10, 10, 5)),
                  _event("leave_post", _at(10, 11), approved_by="agent"), _event("return_post", _at(10, 11, 5))]
        with pytest.raises(FactError, match="different roles"):
            _fold(events)

    def test_approvers_count_an_agents_approval_as_none(self) -> None:
        """With approvers given, 40 minutes an agent allowed add to 5 unapproved ones: 45, ATT-7.away."""
        events = [_event("clock_in", _at(10, 8, 20)),
                  _event("leave_post", _at(10, 10), approved_by="agent"), _event("return_post", _at(10, 10, 40)),
                  _event("leave_post", _at(10, 14)), _event("return_post", _at(10, 14, 5))]
        record = AttendanceRecord.from_events(events, shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30),
                                              approvers=LEAD_AND_ABOVE)
        assert (record.away_minutes, record.away_approved) == (45, False)
        assert "ATT-7.away" in CC.evaluate(record, now=_at(10, 17)).rule_ids

    def test_approvers_accept_several_allowed_roles(self) -> None:
        """With approvers given, absences the shift lead and the head allowed are approved together."""
        events = [_event("clock_in", _at(10, 8, 20)),
                  _event("leave_post", _at(10, 10), approved_by="shift_lead"), _event("return_post", _at(10, 10, 15)),
                  _event("leave_post", _at(10, 14), approved_by="department_head"),
                  _event("return_post", _at(10, 14, 15))]
        record = AttendanceRecord.from_events(events, shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30),
                                              approvers=LEAD_AND_ABOVE)
        assert (record.away_minutes, record.away_approved) == (30, True)
        assert CC.evaluate(record, now=_at(10, 17)).rule_ids == ()

    def test_company_role_above_the_shift_lead_may_approve(self, tmp_path: Any) -> None:
        """A company's floor manager put between the shift lead and the head joins the approvers."""
        (tmp_path / "pack.yaml").write_text(
            'name: acme\ntitle: {en: Acme, zh: Acme}\nversion: "1"\nextends: call_centre\nroles: roles.yaml\n')
        (tmp_path / "roles.yaml").write_text(
            "roles:\n  - {id: floor_manager, title: {en: Floor manager, zh: 現場經理}, reports_to: department_head}\n"
            "  - {id: shift_lead, title: {en: Shift lead, zh: 班長}, reports_to: floor_manager}\n")
        engine = load_pack(str(tmp_path)).engine()
        fact = _record(arrived_at=_at(10, 8, 20), away_minutes=30, away_approved=True, away_approved_by="floor_manager")
        assert engine.evaluate(fact, fact_type="attendance_record", now=_at(10, 17)).rule_ids == ()
        assert CC.evaluate(fact, fact_type="attendance_record", now=_at(10, 17)).rule_ids == (
            "ATT-7.away", "ATT-11.unapproved-absence", "ROLE-1.attendance-unknown-role")


class TestHandoverParties:
    """A handover is between two agents, the incoming one seated after arriving."""

    def test_handing_over_to_oneself_is_refused(self) -> None:
        """outgoing_agent equal to incoming_agent is a FactError naming both fields."""
        with pytest.raises(FactError, match="outgoing_agent and incoming_agent are both 'A01'"):
            CC.evaluate(_handover(incoming_agent="A01"), fact_type="handover", now=_at(10, 17))

    def test_seated_before_arriving_is_refused(self) -> None:
        """incoming_seated_at before incoming_arrived_at is a FactError naming both fields."""
        with pytest.raises(FactError, match="incoming_seated_at comes before incoming_arrived_at"):
            CC.evaluate(_handover(incoming_arrived_at=_at(10, 15, 40), incoming_seated_at=_at(10, 15, 30)),
                        fact_type="handover", now=_at(10, 17))


class TestEcommerceLatenessByInstants:
    """002 不遲到、不早退: any lateness counts, not only whole minutes, unless a company sets a grace."""

    @pytest.mark.parametrize(("arrived", "left", "late"), [
        (_at(10, 8, 30, 59), _at(10, 16, 30), True), (_at(10, 8, 30), _at(10, 16, 29, 1), True),
        (_at(10, 8, 30), _at(10, 16, 30), False),
    ])
    def test_seconds_count(self, arrived: datetime, left: datetime, late: bool) -> None:
        """59 seconds late or early breaks labour discipline; on time both ends does not."""
        decision = SHOP.evaluate(_record(arrived_at=arrived, left_at=left), fact_type="attendance_record",
                                 now=_at(10, 17))
        assert ("ATT-7.discipline" in decision.rule_ids) is late

    def test_grace_parameter(self) -> None:
        """With a one-minute grace, 59 seconds late is tolerated and 61 seconds is not."""
        tuned = load_pack("ecommerce", overrides={"attendance": {"grace": "1min"}}).engine()
        on_time = _record(arrived_at=_at(10, 8, 30, 59), left_at=_at(10, 16, 30))
        late = _record(arrived_at=_at(10, 8, 31, 1), left_at=_at(10, 16, 30))
        assert tuned.evaluate(on_time, fact_type="attendance_record", now=_at(10, 17)).rule_ids == ()
        assert tuned.evaluate(late, fact_type="attendance_record", now=_at(10, 17)).rule_ids == ("ATT-7.discipline",)
