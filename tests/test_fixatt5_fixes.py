"""Staff ids read as one id however padded; clock events folded as the agent's day went; duties
and job types matched as the pack names them."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import FactError, PolicyError
from csrules.audit import audit_events
from csrules.domain.facts import (
    ID_SPACES,
    AttendanceRecord,
    ClockEvent,
    HandoverRecord,
    LeaveRequest,
    ShiftSwapRequest,
    build_fact,
)
from csrules.policies import load_pack
from tests.columnar_support import assert_same, decisions

TZ = ZoneInfo("Asia/Shanghai")
CALL_CENTRE = load_pack("call_centre")
CC = CALL_CENTRE.engine()
SHOP = load_pack("ecommerce").engine()
ONLINE = load_pack("online_support").engine()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of March 2026 in Beijing."""
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def _swap(**fields: Any) -> dict[str, Any]:
    """A swap of A01's 10 March day shift for A02's of 12 March, fields changed."""
    return {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
            "requester_shift": {"start": _at(10, 8, 30), "end": _at(10, 16, 30)},
            "partner_shift": {"start": _at(12, 8, 30), "end": _at(12, 16, 30)},
            "requested_at": _at(5, 9)} | fields


class TestPaddedIds:
    """Spaces around a staff number are no part of it: the same person however the id was padded."""

    @pytest.mark.parametrize("requested_by", ["A01 ", " A01", "\tA01\n"])
    def test_leave_filed_by_the_agent_is_in_person(self, requested_by: str) -> None:
        """A personal leave filed under the agent's own padded staff number is filed in person (ATT-3)."""
        leave = LeaveRequest(agent_id="A01", kind="personal", start=_at(5, 8, 30), end=_at(5, 16, 30),
                             requested_at=_at(1, 10), requested_by=requested_by)
        assert (leave.requested_by, leave.in_person) == ("A01", True)
        assert "ATT-3.in-person" not in CC.evaluate(leave, now=_at(6, 9)).rule_ids

    def test_swap_with_oneself_refused(self) -> None:
        """A swap whose partner is the requester under a padded id is refused as a swap with oneself."""
        with pytest.raises(FactError, match="cannot swap with themself"):
            build_fact(ShiftSwapRequest, _swap(partner={"agent_id": "A01 "}))

    def test_handover_to_oneself_refused(self) -> None:
        """A handover to the outgoing agent under a padded id is refused as a handover to oneself."""
        with pytest.raises(FactError, match="cannot hand over to themself"):
            build_fact(HandoverRecord, {"shift_start": _at(10, 16), "outgoing_agent": "A01",
                                        "incoming_agent": " A01"})

    @pytest.mark.parametrize("columnar", [False, True])
    def test_order_held_by_its_first_handler_is_not_passed_on(self, columnar: bool) -> None:
        """ESC-1 sees the first handler in an owner id padded with spaces, in the engine and in both audit paths."""
        facts = [{"order_id": "W1", "opened_at": "2026-05-30T09:00:00+08:00", "first_handler": "A01", "owner": owner,
                  "complainant": "x", "content": "c"} for owner in ("A01", "A01 ", " A01")]
        rules = set(decisions(CC, "work_order", facts, columnar=columnar)["rule"].to_list())
        assert "ESC-1.first-handler" not in rules
        assert "ESC-1.first-handler" not in CC.evaluate(facts[1], fact_type="work_order", now=_at(30, 10)).rule_ids

    def test_columnar_audit_reads_ids_as_the_model(self) -> None:
        """The columnar path reads ids itself, padded with any space Python strips or blank, as the row engine does."""
        pads = ["", " ", "\t", "\x1c", "\xa0", "\u3000", "\u2028"]
        facts = [{"order_id": f"W{i}", "opened_at": "2026-05-30T09:00:00+08:00", "first_handler": "A01",
                  "owner": f"{pad}A01{pad}", "complainant": "x", "content": "c"} for i, pad in enumerate(pads)]
        facts += [dict(facts[0], owner=blank) for blank in ("\u3000", "\x1f \x85")]
        assert_same(CC, "work_order", facts)
        assert all(item.isspace() for item in ID_SPACES)
        assert set(ID_SPACES) == {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}

    @pytest.mark.parametrize("blank", ["", "   "])
    def test_blank_id_refused(self, blank: str) -> None:
        """A staff number of only spaces names no one: refused, naming the field."""
        with pytest.raises(FactError, match="requested_by: blank text is no id"):
            build_fact(LeaveRequest, {"agent_id": "A01", "kind": "personal", "start": _at(5, 8, 30),
                                      "end": _at(5, 16, 30), "requested_at": _at(1, 10), "requested_by": blank})

    def test_event_audit_keeps_one_session_per_agent(self) -> None:
        """An event log naming one agent padded and unpadded replays one session: two swapped shifts in a row."""
        events = [{"agent_id": agent, "shift": "day", "start": f"2026-03-0{day}T09:00:00+08:00",
                   "end": f"2026-03-0{day}T17:00:00+08:00", "swapped": True}
                  for day, agent in ((2, "A01"), (3, "A01 "))]
        table = audit_events(CALL_CENTRE, events, fact_type="shift_assignment", time="start", workers=1)
        assert [(row["row"], row["rule"]) for row in table.to_pylist() if row["effect"] == "violation"] == [
            (2, "ATT-9.swaps-in-a-row")]


def _event(kind: str, hour: int, minute: int = 0, by: str | None = None) -> ClockEvent:
    """A clock event of A01 on 10 March."""
    return ClockEvent(agent_id="A01", kind=kind, at=_at(10, hour, minute), approved_by=by)  # type: ignore[arg-type]


def _fold(*events: ClockEvent, **options: Any) -> AttendanceRecord:
    """The events folded into A01's record of the 08:30-16:30 shift of 10 March."""
    return AttendanceRecord.from_events(list(events), shift_start=_at(10, 8, 30), shift_end=_at(10, 16, 30),
                                        **options)


class TestClockEventsFolded:
    """Time away is time the agent was off the post while on duty, each minute counted once."""

    def test_clock_out_gap_is_time_away(self) -> None:
        """An hour clocked out in the middle of the shift is an hour away that nobody approved (ATT-7.away)."""
        record = _fold(_event("clock_in", 8, 25), _event("clock_out", 12), _event("clock_in", 13),
                       _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved) == (60, False)
        assert "ATT-7.away" in CC.evaluate(record, now=_at(10, 18)).rule_ids

    def test_time_after_clocking_out_is_early_leave(self) -> None:
        """Left the post at 16:00 and clocked out at 16:01: one minute away, the rest is early leave (no ATT-7.away)."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 16), _event("clock_out", 16, 1))
        assert (record.away_minutes, record.early_leave_minutes) == (1, 29)
        assert "ATT-7.away" not in CC.evaluate(record, now=_at(10, 18)).rule_ids

    def test_time_before_clocking_in_is_lateness(self) -> None:
        """An absence begun before a late clock-in counts from the clock-in only."""
        record = _fold(_event("leave_post", 8, 20), _event("clock_in", 8, 40), _event("return_post", 8, 50),
                       _event("clock_out", 16, 31))
        assert (record.late_minutes, record.away_minutes) == (10, 10)

    def test_second_leave_post_starts_its_own_absence(self) -> None:
        """An unapproved leave_post before the approved absence's return is unapproved from then on."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 10, by="shift_lead"),
                       _event("leave_post", 10, 5), _event("return_post", 10, 30), _event("clock_out", 16, 31))
        assert (record.away_minutes, record.away_approved) == (25, False)

    def test_overlapping_times_away_counted_once(self) -> None:
        """An absence overlapping a clock-out gap is counted once."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 11, 50), _event("clock_out", 12),
                       _event("clock_in", 12, 10), _event("return_post", 12, 15), _event("clock_out", 16, 31))
        assert record.away_minutes == 25

    def test_one_role_under_two_spellings_is_one_approver(self) -> None:
        """Given the pack's roles, 班長 and shift_lead approve as one role: the approved absences add up."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 10, by="班長"), _event("return_post", 10, 30),
                       _event("leave_post", 12, by="shift_lead"), _event("return_post", 12, 30),
                       _event("clock_out", 16, 31), roles=CALL_CENTRE.roles)
        assert (record.away_minutes, record.away_approved, record.away_approved_by) == (60, True, "shift_lead")

    def test_aliases_in_approvers_read_by_roles(self) -> None:
        """Given the roles, an approver named by an alias of a role in approvers approves."""
        record = _fold(_event("clock_in", 8, 25), _event("leave_post", 10, by="值班長"), _event("return_post", 10, 30),
                       _event("clock_out", 16, 31), roles=CALL_CENTRE.roles, approvers=["shift_lead"])
        assert (record.away_approved, record.away_approved_by) == (True, "shift_lead")

    def test_clocked_out_breaks_may_be_allowed(self) -> None:
        """A host whose agents clock out for allowed breaks reads the gap as no time away."""
        record = _fold(_event("clock_in", 8, 25), _event("clock_out", 12), _event("clock_in", 13),
                       _event("clock_out", 16, 31), clocked_out_is_away=False)
        assert record.away_minutes == 0


class TestJobTypes:
    """Swaps keep one job type (ATT-9.same-job-type), a job read as text rules read text."""

    @pytest.mark.parametrize(("mine", "theirs"), [("話務員", "话务员"), ("phone", "phone "), ("phone", "Phone")])
    def test_one_job_in_two_spellings_is_one_job(self, mine: str, theirs: str) -> None:
        """One job written in two scripts, cases or paddings is the same job: no ATT-9.same-job-type."""
        fact = _swap(requester={"agent_id": "A01", "job_type": mine}, partner={"agent_id": "A02", "job_type": theirs})
        assert build_fact(ShiftSwapRequest, fact).same_job_type
        assert "ATT-9.same-job-type" not in CC.evaluate(fact, fact_type="shift_swap", now=_at(5, 10)).rule_ids

    @pytest.mark.parametrize("columnar", [False, True])
    def test_different_jobs_still_flagged(self, columnar: bool) -> None:
        """Two jobs are flagged in both audit paths, one job in two spellings in neither."""
        facts = [_swap(requester={"agent_id": "A01", "job_type": mine}, partner={"agent_id": "A02", "job_type": theirs})
                 for mine, theirs in (("phone", "qa"), ("話務員", "话务员"), ("Agent", "agent"))]
        found = decisions(CC, "shift_swap", facts, columnar=columnar).filter(rule="ATT-9.same-job-type")
        assert found["row"].to_list() == [1]


def _duty(**fields: Any) -> dict[str, Any]:
    """DUTY-2.quality-report of March, done on the 20th, fields changed."""
    return {"duty": "DUTY-2.quality-report", "owner": "shift_lead", "due_at": _at(22, 23, 59),
            "done_at": _at(20, 10)} | fields


def _company(tmp_path: Path, owner: str) -> Path:
    """A company pack over call_centre adding a monthly report owned by ``owner``."""
    (tmp_path / "pack.yaml").write_text(
        "name: acme\ntitle: {en: Acme, zh: 甲}\nversion: '1'\nextends: call_centre\nduties:\n"
        f"  - {{id: ACME-1.report, owner: {owner}, recurrence: monthly by the 22nd, title: {{en: Report, zh: 報告}},"
        " citation: x}\n", encoding="utf-8")
    return tmp_path


class TestDutyRecords:
    """A duty record names a duty of the pack and its owner; duties are owned by roles of the pack."""

    @pytest.mark.parametrize("duty", ["DUTY-2.quality_report", "DUTY-9.anything"])
    def test_unknown_duty_flagged(self, duty: str) -> None:
        """A duty id the pack does not hold is flagged (ROLE-1.unknown-duty), not passed as clean."""
        assert CC.evaluate(_duty(duty=duty, done_at=None), fact_type="duty_record", now=_at(31, 9)).rule_ids == (
            "ROLE-1.unknown-duty",)

    @pytest.mark.parametrize(("owner", "flagged"), [("agent", True), ("nobody", True), ("班長", False),
                                                    (" shift_lead ", False)])
    def test_owner_is_the_duty_s(self, owner: str, flagged: bool) -> None:
        """A record naming another owner than the duty's is flagged (ROLE-1.duty-owner); an alias is the owner."""
        found = CC.evaluate(_duty(owner=owner), fact_type="duty_record", now=_at(31, 9)).rule_ids
        assert ("ROLE-1.duty-owner" in found) is flagged

    @pytest.mark.parametrize("field", ["duty", "owner"])
    def test_blank_names_refused(self, field: str) -> None:
        """A blank duty or owner names nothing: refused, naming the field."""
        with pytest.raises(FactError, match=f"{field}: blank text is no id"):
            CC.evaluate(_duty(**{field: " "}), fact_type="duty_record", now=_at(31, 9))

    def test_listening_names_the_agent(self) -> None:
        """A listening record that names no agent is flagged (DUTY-3.listening-subject)."""
        fact = {"duty": "DUTY-3.listening", "owner": "qa_inspector", "due_at": _at(31, 23, 59), "count": 3}
        assert CC.evaluate(fact, fact_type="duty_record", now=_at(31, 9)).rule_ids == ("DUTY-3.listening-subject",)

    def test_company_duties_join_the_lists(self, tmp_path: Path) -> None:
        """A company pack's own duty is no unknown duty; its owner is checked as the pack's are."""
        engine = load_pack(_company(tmp_path, "班長")).engine()
        mine = {"duty": "ACME-1.report", "due_at": _at(22, 23, 59), "done_at": _at(20, 10)}
        assert engine.evaluate(mine | {"owner": "shift_lead"}, fact_type="duty_record", now=_at(31, 9)).rule_ids == ()
        assert engine.evaluate(mine | {"owner": "agent"}, fact_type="duty_record", now=_at(31, 9)).rule_ids == (
            "ROLE-1.duty-owner",)

    def test_tuned_pack_keeps_its_duty_rules(self) -> None:
        """Tuning a pack rewrites no duty rule it already holds (its version stays the file's)."""
        tuned = load_pack("call_centre", overrides={"duties": {"grace": "1h"}})
        assert {p.version for p in tuned.policies if p.fact_type == "duty_record"} == {"1.0"}

    def test_duty_owner_outside_the_roles_refused(self, tmp_path: Path) -> None:
        """A company duty owned by a role the pack does not hold is refused when the pack loads."""
        with pytest.raises(PolicyError, match=r"duty 'ACME-1\.report'.*'team_leader', which is no role"):
            load_pack(_company(tmp_path, "team_leader"))


class TestOnlineDutyRecords:
    """The online-support pack holds its duty records to its duties and owners, as the call centre does."""

    @pytest.mark.parametrize(("duty", "owner", "rule"), [
        ("DUTY-6.answer_messages", "agent", "DUTY-6.unknown-duty"), ("DUTY-6.answer-messages", "cs_manager",
                                                                     "DUTY-6.duty-owner")])
    def test_flagged(self, duty: str, owner: str, rule: str) -> None:
        """A duty the pack does not hold, or another owner than the duty's, is flagged."""
        fact = {"duty": duty, "owner": owner, "due_at": _at(10, 23, 59), "done_at": _at(10, 9, 30)}
        assert ONLINE.evaluate(fact, fact_type="duty_record", now=_at(11, 9)).rule_ids == (rule,)


class TestShopAttendanceApprover:
    """The e-commerce pack flags an absence approver its role catalogue does not hold, as the call centre does."""

    @pytest.mark.parametrize(("approver", "flagged"), [("Supervisor", True), ("E02", True), ("主管", False),
                                                       ("cs_supervisor", False)])
    def test_unknown_approver_flagged(self, approver: str, flagged: bool) -> None:
        """An approver outside the catalogue is flagged (ROLE-1.attendance-unknown-role); a role or alias is not."""
        fact = {"agent_id": "E01", "shift_start": _at(10, 8, 30), "shift_end": _at(10, 16, 30),
                "arrived_at": _at(10, 8, 20), "left_at": _at(10, 16, 30), "away_minutes": 5, "away_approved": True,
                "away_approved_by": approver}
        found = SHOP.evaluate(fact, fact_type="attendance_record", now=_at(10, 17)).rule_ids
        assert ("ROLE-1.attendance-unknown-role" in found) is flagged


class TestSwapOwnApproval:
    """A swap agreed by one of its own parties as shift lead has no shift lead's consent (ATT-9.own-approval)."""

    @staticmethod
    def _agreed(requester_lead: str | None, partner_lead: str | None, **fields: Any) -> dict[str, Any]:
        """A swap both leads agreed to, filed, with who answered for each side."""
        leads = {key: value for key, value in (("requester_lead", requester_lead), ("partner_lead", partner_lead))
                 if value is not None}
        return _swap(**{"requester_lead_decision": "agreed", "partner_lead_decision": "agreed", "form_filed": True,
                        **leads, **fields})

    @pytest.mark.parametrize(("requester_lead", "partner_lead", "flagged"), [
        ("A01", "L02", True), ("L01", "A02", True), ("L01", " A01 ", True), ("L01", "L02", False), (None, None, False)])
    def test_party_agreeing_flagged(self, requester_lead: str | None, partner_lead: str | None,
                                    flagged: bool) -> None:
        """A lead who agreed and is the requester or the partner is flagged; other leads, or none named, are not."""
        fact = self._agreed(requester_lead, partner_lead)
        assert build_fact(ShiftSwapRequest, fact).own_approval is flagged
        found = CC.evaluate(fact, fact_type="shift_swap", now=_at(5, 10)).rule_ids
        assert ("ATT-9.own-approval" in found) is flagged

    def test_own_decline_is_no_approval(self) -> None:
        """A party who declines as lead approved nothing: no own-approval (the decline is ATT-9.lead-declined's)."""
        fact = self._agreed("A01", "L02", requester_lead_decision="declined")
        assert not build_fact(ShiftSwapRequest, fact).own_approval

    @pytest.mark.parametrize("columnar", [False, True])
    def test_audit_paths_agree(self, columnar: bool) -> None:
        """Both audit paths flag the same swaps."""
        facts = [self._agreed(*leads) for leads in (("A01", "L02"), ("L01", "L02"), (None, None), ("L01", "A02"))]
        found = decisions(CC, "shift_swap", facts, columnar=columnar).filter(rule="ATT-9.own-approval")
        assert found["row"].to_list() == [1, 4]
