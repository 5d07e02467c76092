"""Leave requests built the way a reviewer reads 001 請假制度: night shifts past midnight.

A night shift (16:00-00:00 or 11:50-00:50) runs past midnight; leave for one such shift is
one day of leave (三: "一天由客服部主任批準"), and its agent is back the next day (五).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from csrules._audit.run import audit
from csrules.domain.facts import LeaveRequest
from csrules.domain.leave import assess_leave
from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
PACK = load_pack("call_centre")
CC = PACK.engine()


def at(text: str) -> datetime:
    """``"2026-03-05 16:00"`` in Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def leave(start: str, end: str, **fields: Any) -> dict[str, Any]:
    """A personal leave from ``start`` to ``end`` (Beijing), asked on 1 March."""
    base: dict[str, Any] = {
        "agent_id": "A01",
        "kind": "personal",
        "requested_by": "A01",
        "start": at(start).isoformat(),
        "end": at(end).isoformat(),
        "requested_at": at("2026-03-01 09:00").isoformat(),
    }
    return base | fields


def approvers(fact: dict[str, Any], now: datetime) -> list[str]:
    """The approval roles of the ATT-2 rules for ``fact``."""
    decision = CC.evaluate(fact, fact_type="leave_request", now=now)
    return [a.role for a in decision.approvals if a.rule_id.startswith("ATT-2")]


class TestNightShiftIsOneDay:
    """One night shift past midnight is one day of leave, for the approver and the sick note."""

    def test_one_night_shift_is_approved_by_the_department_head(self) -> None:
        """Leave for the 16:00-00:50 night shift is one day: the department head approves it."""
        fact = leave("2026-03-05 16:00", "2026-03-06 00:50", night_shift=True)
        assert LeaveRequest.model_validate(fact).days == 1.0
        assert approvers(fact, at("2026-03-01 09:00")) == ["department_head"]

    def test_two_night_shifts_go_to_the_centre_director(self) -> None:
        """Leave for two night shifts (5 and 6 March) is more than a day: the centre director."""
        fact = leave("2026-03-05 16:00", "2026-03-07 00:50", night_shift=True)
        assert LeaveRequest.model_validate(fact).days == 2.0
        assert approvers(fact, at("2026-03-01 09:00")) == ["centre_director"]

    def test_day_shifts_count_as_before(self) -> None:
        """08:30 on the 5th to 16:30 on the 6th is two days, one shift 08:30-16:30 one day."""
        assert LeaveRequest.model_validate(leave("2026-03-05 08:30", "2026-03-06 16:30")).days == 2.0
        assert LeaveRequest.model_validate(leave("2026-03-05 08:30", "2026-03-05 16:30")).days == 1.0
        assert LeaveRequest.model_validate(leave("2026-03-05 00:00", "2026-03-06 00:00")).days == 1.0

    def test_sick_note_after_a_night_shift_is_due_the_next_day(self) -> None:
        """Sick on the night of the 5th (to 00:50): the first day back is the 6th, the note due by its end."""
        fact = leave("2026-03-05 16:00", "2026-03-06 00:50", kind="sick", night_shift=True)
        request = LeaveRequest.model_validate(fact)
        assert request.first_day_back == at("2026-03-06 00:00")
        decision = CC.evaluate(fact, fact_type="leave_request", now=at("2026-03-06 12:00"))
        (owed,) = [o for o in decision.obligations if o.rule_id == "ATT-4.certificate"]
        assert owed.due == at("2026-03-07 00:00")
        late = CC.evaluate(fact, fact_type="leave_request", now=at("2026-03-07 00:01"))
        assert "ATT-4.certificate-missing" in late.rule_ids

    def test_a_full_day_on_a_short_dst_day_is_one_day(self) -> None:
        """00:00-00:00 on the 23-hour 8 March in New York is one day of leave."""
        zone = ZoneInfo("America/New_York")
        request = LeaveRequest(
            agent_id="A01",
            kind="personal",
            requested_by="A01",
            start=datetime(2026, 3, 8, tzinfo=zone),
            end=datetime(2026, 3, 9, tzinfo=zone),
            requested_at=datetime(2026, 3, 1, 9, tzinfo=zone),
            time_zone="America/New_York",
        )
        assert request.days == 1.0
        assert request.first_day_back == datetime(2026, 3, 9, tzinfo=zone)

    def test_a_day_ending_where_clocks_jump_at_midnight_is_one_day(self) -> None:
        """In Santiago 6 September 2026 starts at 01:00: 00:00 on the 5th to then is one day, back on the 6th."""
        zone = ZoneInfo("America/Santiago")
        request = LeaveRequest(
            agent_id="A01",
            kind="sick",
            requested_by="A01",
            start=datetime(2026, 9, 5, tzinfo=zone),
            end=datetime(2026, 9, 6, 1, tzinfo=zone),
            requested_at=datetime(2026, 9, 1, 9, tzinfo=zone),
            time_zone="America/Santiago",
        )
        assert request.days == 1.0
        assert request.first_day_back == datetime(2026, 9, 6, 1, tzinfo=zone)

    def test_bulk_audits_count_the_same_days(self) -> None:
        """The columnar audit and the row engine both send one night shift to the department head."""
        facts = [leave("2026-03-05 16:00", "2026-03-06 00:50", night_shift=True)]
        for columnar in (True, False):
            result = audit(PACK, facts, fact_type="leave_request", now=at("2026-03-01 09:00"), workers=1,
                           columnar=columnar)
            rows = result.decisions.to_pylist()
            assert {row["approver"] for row in rows if str(row["rule"]).startswith("ATT-2")} == {"department_head"}


class TestSickLeaveAskedAhead:
    """遇病事假不能上班,必須提前請假 (二): sick leave is asked before the shift, else 曠工 unless approved."""

    def test_sick_leave_asked_during_the_shift_is_late(self) -> None:
        """Asked at 10:30 for the 08:30 shift: ATT-1.sick-notice, consequence 曠工, the head approves."""
        fact = leave("2026-03-05 08:30", "2026-03-05 16:30", kind="sick", certificate=True,
                     requested_at=at("2026-03-05 10:30").isoformat())
        decision = CC.evaluate(fact, fact_type="leave_request", now=at("2026-03-05 10:30"))
        (late,) = [v for v in decision.violations if v.rule_id == "ATT-1.sick-notice"]
        assert late.consequence is not None
        assert "曠工" in late.consequence.zh
        assert "department_head" in decision.approvers
        assert assess_leave(decision).notice_rule == "ATT-1.sick-notice"
        assert assess_leave(decision).absence_without_leave

    def test_sick_leave_asked_before_or_as_the_shift_starts_is_on_time(self) -> None:
        """Asked at 07:00 or at 08:30 for the 08:30 shift: no notice breach."""
        for asked in ("2026-03-05 07:00", "2026-03-05 08:30"):
            fact = leave("2026-03-05 08:30", "2026-03-05 16:30", kind="sick", certificate=True,
                         requested_at=at(asked).isoformat())
            decision = CC.evaluate(fact, fact_type="leave_request", now=at(asked))
            assert decision.violations == ()


class TestLevelByLevel:
    """請事假要逐級辦理 holds for personal leave; a business trip goes to the centre director (九)."""

    def test_business_trip_to_the_director_is_not_skipping_a_level(self) -> None:
        """A business trip submitted to the centre director breaks no ATT-2 rule."""
        fact = leave("2026-03-05 08:30", "2026-03-05 16:30", kind="business_trip", submitted_to="centre_director")
        decision = CC.evaluate(fact, fact_type="leave_request", now=at("2026-03-01 09:00"))
        assert "ATT-2.level-by-level" not in decision.rule_ids

    def test_personal_leave_to_the_director_skips_a_level(self) -> None:
        """Personal leave submitted straight to the centre director breaks ATT-2.level-by-level."""
        fact = leave("2026-03-05 08:30", "2026-03-05 16:30", submitted_to="centre_director")
        decision = CC.evaluate(fact, fact_type="leave_request", now=at("2026-03-01 09:00"))
        assert "ATT-2.level-by-level" in decision.rule_ids
