"""Wrong answers of the attendance rules and the time layer, each pinned by the fact that showed it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import CalendarError, FactError, TimeError
from csrules._time.durations import parse_duration
from csrules.domain.china import ChinaYear
from csrules.domain.facts import (
    AttendanceRecord,
    ClockEvent,
    LeaveRequest,
    ShiftAssignment,
    ShiftSwapRequest,
    build_fact,
)
from csrules.domain.leave import assess_leave
from csrules.policies import Pack, load_pack
from tests.columnar_support import assert_same

TZ = ZoneInfo("Asia/Shanghai")
CALL_CENTRE = load_pack("call_centre")
CC = CALL_CENTRE.engine()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of March 2026 in Beijing."""
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def _event(kind: str, hour: int, minute: int = 0, by: str | None = None) -> ClockEvent:
    """A clock event of A01 on 10 March."""
    return ClockEvent(agent_id="A01", kind=kind, at=_at(10, hour, minute), approved_by=by)  # type: ignore[arg-type]


def _fold(*events: ClockEvent) -> AttendanceRecord:
    """The events folded into A01's record of the 08:30-16:30 shift of 10 March."""
    return AttendanceRecord.from_events(list(events), shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30))


class TestClockOutInsideApprovedAbsence:
    """A clock-out gap inside an absence the shift lead allowed is part of that absence."""

    def test_gap_inside_is_approved(self) -> None:
        """Clocked out 10:05-10:15 inside an approved 10:00-10:20 absence: 20 approved minutes, no ATT-7.away."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 10, by="shift_lead"), _event("clock_out", 10, 5),
                       _event("clock_in", 10, 15), _event("return_post", 10, 20), _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved, record.away_approved_by) == (20, True, "shift_lead")
        assert "ATT-7.away" not in CC.evaluate(record, now=_at(10, 18)).rule_ids

    def test_gap_running_past_the_return_is_unapproved_beyond_it(self) -> None:
        """A gap outlasting the approved absence is unapproved for the minutes after the return only."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 10, by="shift_lead"), _event("clock_out", 10, 5),
                       _event("return_post", 10, 20), _event("clock_in", 10, 45), _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved) == (25, False)
        assert "ATT-7.away" in CC.evaluate(record, now=_at(10, 18)).rule_ids


LATE = {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "start": "2026-03-02T08:30:00+08:00",
        "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00"}
"""Personal leave asked the evening before a morning shift (late for a day's notice)."""


@cache
def _notice_tuned(notice: str) -> Pack:
    """The call-centre pack with personal_notice written ``notice``, loaded once."""
    return load_pack("call_centre", overrides={"leave": {"personal_notice": notice}})


class TestIsoDurationsAsWritten:
    """A duration written in ISO 8601 with one part is shown in that part's unit, as its short form is."""

    @pytest.mark.parametrize(("text", "en", "zh", "back"), [
        ("PT24H", "24 hours", "24小时", "24h"), ("P1D", "1 day", "1天", "1d"),
        ("PT90M", "90 minutes", "90分钟", "90min"),
        ("PT1440M", "1440 minutes", "1440分钟", "1440min"), ("P1DT2H", "1 day 2 hours", "1天2小时", "1d2h")])
    def test_shown_in_its_unit(self, text: str, en: str, zh: str, back: str) -> None:
        """One part keeps its unit, in words and written back; days and hours stay apart (a day
        counts on the wall clock, hours elapse)."""
        duration = parse_duration(text)
        assert (duration.describe("en"), duration.describe("zh"), str(duration)) == (en, zh, back)

    def test_override_message_says_hours(self) -> None:
        """A notice tuned to PT24H says 24 hours in the violation, as 24h does, and 1 day stays 1 day."""
        def message(notice: str) -> str:
            decision = _notice_tuned(notice).engine().evaluate(LATE, fact_type="leave_request", now=_at(1, 20))
            return next(v.message.en for v in decision.violations if v.rule_id == "ATT-1.personal-notice")

        assert message("PT24H") == message("24h") == "personal leave requested less than 24 hours ahead"
        assert message("P1D") == "personal leave requested less than 1 day ahead"

    def test_hash_follows_the_text_shown(self) -> None:
        """Two spellings shown alike (24h, PT24H) hash alike; spellings shown differently (24h, 1d) do not."""
        def digest(notice: str) -> str:
            return _notice_tuned(notice).policy("leave").content_hash

        assert digest("PT24H") == digest("24h") != digest("1d") == digest("P1D")


NIGHT = {"agent_id": "A01", "kind": "sick", "requested_by": "A01", "night_shift": True,
         "shift_start": "2026-03-05T11:50:00+08:00", "start": "2026-03-06T00:00:00+08:00",
         "end": "2026-03-06T00:50:00+08:00", "requested_at": "2026-03-05T23:00:00+08:00"}
"""Sick leave for the last 50 minutes (after midnight) of a 13-hour night shift 11:50-00:50."""


class TestShiftLongerThanADay:
    """A shift longer than full_day_minutes gives its length there; the refusal says so."""

    def test_refusal_names_the_remedy(self) -> None:
        """Leave after midnight of an 11:50-00:50 shift under the default 480 is refused, saying to give the length."""
        with pytest.raises(FactError, match=r"gives its length as full_day_minutes \(780 for 11:50-00:50\)"):
            build_fact(LeaveRequest, NIGHT)

    def test_given_its_length_the_leave_is_its_share(self) -> None:
        """With full_day_minutes 780 the 50 minutes are 50/780 of a day and the note is due the next day."""
        request = build_fact(LeaveRequest, {**NIGHT, "full_day_minutes": 780})
        assert request.days == pytest.approx(50 / 780)
        assert request.first_day_back == datetime(2026, 3, 6, tzinfo=TZ)


class TestRequesterRoleRead:
    """A leave's requester_role is read as the other role fields are: spaces dropped, blank refused."""

    @pytest.mark.parametrize("role", [" department_head", "department_head ", "\u3000客服部主任"])
    def test_padded_role_is_the_role(self, role: str) -> None:
        """The department head written with spaces around is the department head, not an unknown role."""
        fact = {**LATE, "agent_id": "H01", "requested_by": "H01", "requester_role": role,
                "requested_at": "2026-02-20T09:00:00+08:00"}
        decision = CC.evaluate(fact, fact_type="leave_request", now=_at(1, 9))
        assert decision.rule_ids == ("ATT-2.centre-director",)

    @pytest.mark.parametrize("role", ["", "   "])
    def test_blank_role_refused(self, role: str) -> None:
        """Blank text names no role: refused, naming the field, rather than flagged as an unknown role."""
        with pytest.raises(FactError, match="requester_role: blank text names no one"):
            build_fact(LeaveRequest, {**LATE, "requester_role": role})

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit reads padded and blank roles as the model does."""
        facts = [{**LATE, "requester_role": role} for role in (" shift_lead", "department_head ", "", " ")]
        assert_same(CC, "leave_request", facts)


class TestFoldedShiftChecked:
    """from_events names the shift argument at fault, not the clock events."""

    def test_shift_ending_before_it_starts(self) -> None:
        """A shift given backwards is refused as a shift, naming shift_end, not blamed on an event."""
        with pytest.raises(FactError, match="a shift must end after it starts") as caught:
            AttendanceRecord.from_events([_event("clock_in", 8, 25)], shift_start=_at(10, 16, 30),
                                         shift_end=_at(10, 8, 30))
        assert caught.value.problems == (("shift_end", "shift_end is not after shift_start"),)

    def test_naive_shift_start_named(self) -> None:
        """A naive shift_start is refused naming shift_start."""
        with pytest.raises(TimeError, match="shift_start must be timezone-aware"):
            AttendanceRecord.from_events([_event("clock_in", 8, 25)], shift_start=datetime(2026, 3, 10, 8, 30),
                                         shift_end=_at(10, 16, 30))


class TestOwnRoleAliasApproval:
    """A late leave approved by the requester's own role under another of its names is no approval."""

    @pytest.mark.parametrize(("role", "approver"), [
        ("department_head", "客服部主任"), ("部門經理", "department_head"), ("部门经理", "department_manager")])
    def test_alias_of_own_role_is_no_approval(self, role: str, approver: str) -> None:
        """The department head's late leave approved as 客服部主任 (his own role) stays late, in both audit paths."""
        fact = {**LATE, "agent_id": "H01", "requested_by": "H01", "requester_role": role,
                "manager_approved": True, "approver": approver}
        assert "ATT-1.personal-notice" in CC.evaluate(fact, fact_type="leave_request", now=_at(1, 20)).rule_ids
        assert_same(CC, "leave_request", [fact])


def _swap(mine: str, theirs: str) -> dict[str, Any]:
    """A swap of A01's 10 March day shift for A02's of 12 March, with the two job types."""
    return {"requester": {"agent_id": "A01", "job_type": mine}, "partner": {"agent_id": "A02", "job_type": theirs},
            "requester_shift": {"start": _at(10, 8, 30), "end": _at(10, 16, 30)},
            "partner_shift": {"start": _at(12, 8, 30), "end": _at(12, 16, 30)}, "requested_at": _at(5, 9)}


class TestBlankJobType:
    """A blank job type names no job: refused, not read as the same job as another blank one."""

    @pytest.mark.parametrize(("mine", "theirs"), [("", ""), ("  ", "phone")])
    def test_blank_refused(self, mine: str, theirs: str) -> None:
        """Two blank job types were one job (no ATT-9.same-job-type); now the request is refused naming the field."""
        with pytest.raises(FactError, match="job_type: blank text names no one"):
            build_fact(ShiftSwapRequest, _swap(mine, theirs))

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit refuses the blank job types and reads padded ones as the model does."""
        assert_same(CC, "shift_swap", [_swap("", ""), _swap(" phone", "phone "), _swap("phone", "qa")])


SHOP = load_pack("ecommerce").engine()


def _night(shift: str) -> dict[str, Any]:
    """E02's night shift of 10 March, left at 23:55 while a customer was still served."""
    return {"agent_id": "E02", "shift": shift, "start": "2026-03-10T16:00:00+08:00", "end": "2026-03-11T00:00:00+08:00",
            "customer_in_service_at_end": True, "left_at": "2026-03-10T23:55:00+08:00"}


class TestShiftName:
    """A shift's name is read as the pack's pattern names it: spaces dropped, blank refused."""

    @pytest.mark.parametrize("shift", [" night", "night "])
    def test_padded_night_is_night(self, shift: str) -> None:
        """A shift named night with spaces around is the night shift: leaving while serving is ATT-12.night-stays."""
        assert "ATT-12.night-stays" in SHOP.evaluate(_night(shift), fact_type="shift_assignment",
                                                     now=_at(11, 1)).rule_ids

    def test_blank_refused(self) -> None:
        """A blank shift name is refused naming the field."""
        with pytest.raises(FactError, match="shift: blank text names no one"):
            build_fact(ShiftAssignment, _night(" "))

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit reads padded and blank shift names as the model does."""
        assert_same(SHOP, "shift_assignment", [_night(" night"), _night(""), _night("day")])


def _record(**fields: Any) -> dict[str, Any]:
    """A01's attendance on the 08:30-16:30 shift of 10 March, fields added."""
    return {"agent_id": "A01", "shift_start": _at(10, 8, 30), "shift_end": _at(10, 16, 30), **fields}


class TestZeroThresholds:
    """A company's threshold of 0 minutes flags any lateness or time away, never a record of none."""

    ZERO = load_pack("call_centre", overrides={"attendance": {"max_late_minutes": 0, "max_away_minutes": 0}}).engine()

    @pytest.mark.parametrize("fields", [{"arrived_at": _at(10, 8, 20)}, {"arrived_at": _at(10, 8, 30)}, {}])
    def test_on_time_or_absent_is_not_late_nor_away(self, fields: dict[str, Any]) -> None:
        """Arriving early or on time, or not at all, is neither ATT-7.late nor ATT-7.away under zero thresholds."""
        rules = self.ZERO.evaluate(_record(**fields), fact_type="attendance_record", now=_at(10, 17)).rule_ids
        assert not {"ATT-7.late", "ATT-7.away"} & set(rules)

    def test_any_lateness_and_time_away_flagged(self) -> None:
        """One minute late and one minute away are violations under zero thresholds."""
        rules = self.ZERO.evaluate(_record(arrived_at=_at(10, 8, 31), away_minutes=1), fact_type="attendance_record",
                                   now=_at(10, 17)).rule_ids
        assert {"ATT-7.late", "ATT-7.away"} <= set(rules)


EMERGENCY = {"agent_id": "A01", "kind": "sick", "emergency": True, "start": "2026-03-05T08:30:00+08:00",
             "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-05T10:00:00+08:00", "requested_by": "A02",
             "phoned_shift_lead_at": "2026-03-05T10:00:00+08:00"}
"""An emergency sick leave phoned to the shift lead an hour and a half into the 08:30 shift."""


class TestEmergencyPhonedLate:
    """An emergency not phoned in before the shift is valid only with a manager's approval (二, 五)."""

    def test_unapproved_is_absence_without_leave(self) -> None:
        """Unapproved, the late call counts as 曠工 and asks the department head's approval."""
        decision = CC.evaluate(EMERGENCY, fact_type="leave_request", now=_at(5, 10))
        assert "ATT-1.late-approval" in decision.rule_ids
        assert assess_leave(decision).absence_without_leave

    @pytest.mark.parametrize("approver", ["department_head", "客服中心主任"])
    def test_approved_by_a_manager_is_valid(self, approver: str) -> None:
        """A manager's approval of the late call makes the leave valid: no ATT-4.emergency-phone, no 曠工."""
        fact = {**EMERGENCY, "manager_approved": True, "approver": approver}
        decision = CC.evaluate(fact, fact_type="leave_request", now=_at(5, 10))
        assert "ATT-4.emergency-phone" not in decision.rule_ids
        assert not assess_leave(decision).absence_without_leave

    def test_phoned_before_the_shift_needs_nothing_more(self) -> None:
        """An emergency phoned in before the shift is in time: no late approval, no 曠工."""
        fact = {**EMERGENCY, "phoned_shift_lead_at": "2026-03-05T08:00:00+08:00"}
        decision = CC.evaluate(fact, fact_type="leave_request", now=_at(5, 10))
        assert not {"ATT-4.emergency-phone", "ATT-1.late-approval"} & set(decision.rule_ids)


class TestChinaYearTypos:
    """A year's notice typed in by hand refuses a weekday among the days worked in exchange."""

    def test_weekday_adjusted_working_day_refused(self) -> None:
        """2027-01-05 is a Tuesday: no 调休 day, refused naming it, rather than silently a working day anyway."""
        with pytest.raises(CalendarError, match="2027-01-05 is a weekday"):
            ChinaYear(2027, holidays=["2027-01-01"], adjusted_working_days=["2027-01-05"])

    def test_weekend_adjusted_working_day_kept(self) -> None:
        """A Saturday worked in exchange is read as given."""
        year = ChinaYear(2027, holidays=["2027-01-01"], adjusted_working_days=["2027-01-09"])
        assert year.adjusted_working_days == (date(2027, 1, 9),)


class TestApproversRead:
    """from_events reads the names of approvers as it reads the events' approvers."""

    EVENTS = (_event("clock_in", 8, 25), _event("leave_post", 10, by="班長"), _event("return_post", 10, 30),
              _event("clock_out", 16, 31))

    @pytest.mark.parametrize("approvers", [[" shift_lead"], ["班長 "], ["\u3000shift_lead\u3000"]])
    def test_padded_approver_approves(self, approvers: list[str]) -> None:
        """An approver named with spaces around is the role: the shift lead's approval stands."""
        record = AttendanceRecord.from_events(list(self.EVENTS), shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30),
                                              approvers=approvers, roles=CALL_CENTRE.roles)
        assert (record.away_minutes, record.away_approved) == (30, True)

    def test_blank_approver_refused(self) -> None:
        """A blank name in approvers is refused, naming approvers."""
        with pytest.raises(FactError, match="names none") as caught:
            AttendanceRecord.from_events(list(self.EVENTS), shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30),
                                         approvers=["shift_lead", " "])
        assert caught.value.problems == (("approvers", "approvers holds a blank name"),)


class TestFoldedShiftAtCalendarEnds:
    """from_events names a shift too near the ends of the calendar to look around it."""

    @pytest.mark.parametrize(("start", "end", "named"), [
        (datetime(1, 1, 1, 1, tzinfo=TZ), datetime(1, 1, 1, 9, tzinfo=TZ), "shift_start"),
        (datetime(9999, 12, 31, 12, tzinfo=UTC), datetime(9999, 12, 31, 22, tzinfo=UTC), "shift_end")])
    def test_shift_at_the_ends_of_the_calendar(self, start: datetime, end: datetime, named: str) -> None:
        """A shift too near year 1 or 9999 to look around is a TimeError naming it, not an OverflowError."""
        with pytest.raises(TimeError, match=f"{named} .* too near the ends of the dates supported"):
            AttendanceRecord.from_events([_event("clock_in", 8, 25)], shift_start=start, shift_end=end)


class TestApprovedClockOut:
    """A clock-out in the middle of the shift that names who allowed it is an approved absence."""

    def test_approved_gap(self) -> None:
        """Clocked out 12:00-12:30 with the shift lead's leave: 30 approved minutes, no ATT-7.away nor ATT-11."""
        record = _fold(_event("clock_in", 8, 25), _event("clock_out", 12, by="shift_lead"), _event("clock_in", 12, 30),
                       _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved, record.away_approved_by) == (30, True, "shift_lead")
        assert not {"ATT-7.away", "ATT-11.unapproved-absence"} & set(CC.evaluate(record, now=_at(10, 18)).rule_ids)

    def test_unnamed_gap_stays_unapproved(self) -> None:
        """A clock-out naming nobody is still time away nobody approved."""
        record = _fold(_event("clock_in", 8, 25), _event("clock_out", 12), _event("clock_in", 12, 30),
                       _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved) == (30, False)
