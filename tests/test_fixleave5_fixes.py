"""Wrong answers of the leave rules and ``assess_leave``, each pinned by the fact that showed it."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import FactError, PolicyError
from csrules.domain.facts import LeaveRequest
from csrules.domain.leave import assess_leave
from csrules.policies import Pack, load_pack
from tests.company_support import company

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A Beijing time written ``2026-03-05T08:30``."""
    return datetime.fromisoformat(f"{text}+08:00")


def leave(start: str, end: str, requested: str, **more: Any) -> dict[str, Any]:
    """A personal leave request of A01 (times in Beijing)."""
    return {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "start": f"{start}+08:00",
            "end": f"{end}+08:00", "requested_at": f"{requested}+08:00", **more}


@cache
def pack(name: str = "call_centre") -> Pack:
    """A built-in pack, loaded once."""
    return load_pack(name)


def judged(fact: dict[str, Any], now: str, name: str = "call_centre") -> Any:
    """The decision of the pack's engine on the leave request ``fact`` at ``now`` (Beijing)."""
    return pack(name).engine().evaluate(fact, fact_type="leave_request", now=at(now))


def violated(fact: dict[str, Any], now: str) -> set[str]:
    """The rule ids of the violations the call-centre pack finds in ``fact``."""
    return {v.rule_id for v in judged(fact, now).violations}


def with_roles(tmp_path: Path, roles: str, overrides: str = "") -> Pack:
    """A company pack over the call centre with its own ``roles.yaml``."""
    return load_pack(company(tmp_path, f"roles: roles.yaml\n{overrides}", roles__yaml=roles))


ABOVE_DIRECTOR = """roles:
  - id: general_manager
    title: {en: General manager, zh: 總經理}
  - id: centre_director
    title: {en: CS centre director, zh: 客服中心主任}
    aliases: [客服中心主任]
    reports_to: general_manager
"""


class TestFirstDayBack:
    """The first day back is the day after the last shift the leave reaches."""

    def test_leave_from_the_evening_before(self) -> None:
        """Sick leave from 20:00 the evening before a day shift is back the day after that shift."""
        fact = {**leave("2026-03-04T20:00", "2026-03-05T16:30", "2026-03-04T20:00"), "kind": "sick",
                "shift_start": "2026-03-05T08:30:00+08:00"}
        assert LeaveRequest.model_validate(fact).first_day_back == at("2026-03-06T00:00")
        assert "ATT-4.certificate-missing" not in violated(fact, "2026-03-06T09:00")

    def test_night_shift_past_midnight_is_its_first_days(self) -> None:
        """A night shift 16:00-00:50 is back the next day, as before."""
        fact = leave("2026-03-05T16:00", "2026-03-06T00:50", "2026-03-01T09:00")
        assert LeaveRequest.model_validate(fact).first_day_back == at("2026-03-06T00:00")

    def test_columnar_audit_agrees(self) -> None:
        """The columnar audit derives the same first day back as the model."""
        polars = pytest.importorskip("polars")
        from csrules.audit import audit

        fact = {**leave("2026-03-04T20:00", "2026-03-05T16:30", "2026-03-04T20:00"), "kind": "sick",
                "shift_start": "2026-03-05T08:30:00+08:00"}
        frames = [polars.from_arrow(audit(pack(), [fact], fact_type="leave_request", now=at("2026-03-06T09:00"),
                                          workers=1, columnar=columnar).decisions) for columnar in (True, False)]
        assert frames[0].select("rule").to_series().to_list() == frames[1].select("rule").to_series().to_list()
        assert "ATT-4.certificate-missing" not in frames[0].select("rule").to_series().to_list()


class TestLeaveSpan:
    """The first shift and the days a host gives must fit the leave."""

    @pytest.mark.parametrize("shift_start", ["2026-03-09T08:30:00+08:00", "2026-02-26T08:30:00+08:00",
                                             "2026-03-05T00:30:00+08:00"])
    def test_first_shift_outside_the_leave_is_refused(self, shift_start: str) -> None:
        """A shift_start after the leave's end, or a full shift or more before its start, is a FactError."""
        fact = {**leave("2026-03-05T08:30", "2026-03-06T16:30", "2026-03-01T09:00"), "shift_start": shift_start}
        with pytest.raises(FactError, match="shift_start must fall within the leave"):
            judged(fact, "2026-03-01T09:00")

    def test_more_days_than_spanned_is_refused(self) -> None:
        """A one-shift leave given as five days is refused, naming days."""
        with pytest.raises(FactError, match="days is more than the days the leave spans"):
            judged({**leave("2026-03-05T08:30", "2026-03-05T16:30", "2026-03-01T09:00"), "days": 5},
                   "2026-03-01T09:00")

    def test_a_shift_already_under_way_is_accepted(self) -> None:
        """Leave for the later hours of a night shift that began at 00:00 keeps its shift_start."""
        fact = {**leave("2026-03-05T04:00", "2026-03-05T08:00", "2026-03-04T09:00"),
                "shift_start": "2026-03-05T00:00:00+08:00", "night_shift": True}
        assert LeaveRequest.model_validate(fact).shift_start == at("2026-03-05T00:00")


class TestApprover:
    """Only a manager (the department head or above) approves a late leave."""

    @pytest.mark.parametrize("approver", ["agent", "A02", "nobody"])
    def test_approval_by_someone_else_is_none(self, approver: str) -> None:
        """A late leave 'approved' by an agent or an unknown name stays late (曠工)."""
        fact = leave("2026-03-02T08:30", "2026-03-02T16:30", "2026-03-01T20:00", manager_approved=True,
                     approver=approver)
        decision = judged(fact, "2026-03-01T20:00")
        assert "ATT-1.personal-notice" in {v.rule_id for v in decision.violations}
        assert assess_leave(decision).absence_without_leave

    def test_unknown_approver_is_flagged(self) -> None:
        """An approver the catalogue does not hold is flagged by ROLE-1."""
        fact = leave("2026-03-02T08:30", "2026-03-02T16:30", "2026-03-01T20:00", manager_approved=True, approver="A02")
        assert "ROLE-1.leave-unknown-role" in violated(fact, "2026-03-01T20:00")

    @pytest.mark.parametrize("approver", ["department_head", "客服中心主任"])
    def test_a_manager_approves(self, approver: str) -> None:
        """The department head, or the centre director by alias, approves the late leave."""
        fact = leave("2026-03-02T08:30", "2026-03-02T16:30", "2026-03-01T20:00", manager_approved=True,
                     approver=approver)
        assert violated(fact, "2026-03-01T20:00") == set()


class TestOwnApproval:
    """Nobody approves his own leave, nor his superior's."""

    def test_department_heads_late_leave_goes_above_him(self) -> None:
        """The department head's late leave asks the centre director, not himself."""
        fact = leave("2026-03-02T08:30", "2026-03-02T16:30", "2026-03-01T20:00", requester_role="department_head",
                     agent_id="H01", requested_by="H01")
        decision = judged(fact, "2026-03-01T20:00")
        assert decision.approvers == ("centre_director",)
        assert "ATT-1.personal-notice" in {v.rule_id for v in decision.violations}

    def test_department_head_approving_his_own_late_leave_is_none(self) -> None:
        """The department head naming himself as approver of his late leave leaves it late."""
        fact = leave("2026-03-02T08:30", "2026-03-02T16:30", "2026-03-01T20:00", requester_role="department_head",
                     agent_id="H01", requested_by="H01", manager_approved=True, approver="department_head")
        assert "ATT-1.personal-notice" in violated(fact, "2026-03-01T20:00")

    def test_role_above_the_director_is_not_approved_by_him(self, tmp_path: Path) -> None:
        """A company's general manager above the centre director gets no approval from him, and is flagged."""
        acme = with_roles(tmp_path, ABOVE_DIRECTOR)
        for role in ("general_manager", "centre_director"):
            fact = leave("2026-03-05T08:30", "2026-03-06T16:30", "2026-03-01T09:00", requester_role=role)
            decision = acme.engine().evaluate(fact, fact_type="leave_request", now=at("2026-03-01T09:00"))
            assert "approval:centre_director" not in decision.effect_keys, role
            assert "ROLE-1.own-approval" in {v.rule_id for v in decision.violations}, role
        trip = leave("2026-03-05T08:30", "2026-03-06T16:30", "2026-03-01T09:00", requester_role="general_manager",
                     kind="training")
        decision = acme.engine().evaluate(trip, fact_type="leave_request", now=at("2026-03-01T09:00"))
        assert decision.approvers == ()


class TestAuthority:
    """A roles file whose leave authority differs from the parameter the rules read is refused."""

    RAISED = """roles:
  - id: department_head
    title: {en: CS department head, zh: 客服部主任}
    aliases: [客服部主任]
    reports_to: centre_director
    authority:
      - {matter: leave, up_to: 3, unit: days}
"""

    def test_a_raised_authority_alone_is_refused(self, tmp_path: Path) -> None:
        """up_to 3 in roles.yaml with head_max_days still 1 names the file, the role and the override."""
        with pytest.raises(PolicyError, match=r"roles.yaml:2.*department_head.*head_max_days = 1.*head_max_days: 3"):
            with_roles(tmp_path, self.RAISED)

    def test_with_the_override_the_rules_follow(self, tmp_path: Path) -> None:
        """With head_max_days overridden to 3 the pack loads and a 2-day leave goes to the department head."""
        acme = with_roles(tmp_path, self.RAISED, "overrides:\n  leave: {head_max_days: 3}\n")
        fact = leave("2026-03-05T08:30", "2026-03-06T16:30", "2026-03-01T09:00")
        decision = acme.engine().evaluate(fact, fact_type="leave_request", now=at("2026-03-01T09:00"))
        assert decision.approvers == ("department_head",)


class TestShiftStartBoundary:
    """Leave asked as the shift starts is in time for a day shift and a night shift alike."""

    def test_night_shift_asked_as_it_starts(self) -> None:
        """Sick leave asked at 00:00 for a 00:00 night shift is no ATT-5 breach."""
        fact = {**leave("2026-03-05T00:00", "2026-03-05T08:00", "2026-03-05T00:00"), "kind": "sick",
                "night_shift": True, "certificate": True}
        decision = judged(fact, "2026-03-05T00:00")
        assert "ATT-5.night-deadline" not in decision.rule_ids
        assert not assess_leave(decision).absence_without_leave


class TestAssessLeave:
    """``assess_leave`` reads the policy that judged the leave."""

    def test_without_roles_no_unranked_approver(self) -> None:
        """A two-day night-shift leave without the catalogue names no 'highest' approver; with it, the director."""
        fact = leave("2026-03-05T16:00", "2026-03-07T00:00", "2026-03-01T09:00", night_shift=True)
        decision = judged(fact, "2026-03-01T09:00")
        assert assess_leave(decision).approver is None
        assert assess_leave(decision, pack().roles).approver == "centre_director"

    def test_absence_in_simplified_script(self, tmp_path: Path) -> None:
        """A company rule whose consequence reads 按旷工处理 counts as absence without leave."""
        company(tmp_path, "rules:\n  leave: extra.yaml\n", extra__yaml=(
            'rules:\n  - id: acme.peak\n    title: {en: No leave in the peak, zh: 高峰期不得请事假}\n'
            '    when: {kind: compare, path: kind, op: "==", value: personal}\n'
            "    then:\n      - {type: violation, code: ACME-1, message: {en: leave in the peak, zh: 高峰期请事假},"
            " consequence: {en: absence without leave, zh: 按旷工处理}}\n"))
        acme = load_pack(tmp_path)
        fact = leave("2026-03-05T08:30", "2026-03-05T16:30", "2026-03-01T09:00")
        decision = acme.engine().evaluate(fact, fact_type="leave_request", now=at("2026-03-01T09:00"))
        assert [v.rule_id for v in decision.violations] == ["acme.peak"]
        assert assess_leave(decision).absence_without_leave

    def test_ecommerce_notice_rule(self) -> None:
        """An e-commerce leave asked 12.5 hours ahead breaks its own notice rule: notice_met is False."""
        decision = judged({**leave("2026-03-02T08:30", "2026-03-02T16:30", "2026-03-01T20:00"), "agent_id": "E01",
                           "requested_by": "E01"}, "2026-03-01T20:00", "ecommerce")
        verdict = assess_leave(decision)
        assert (verdict.notice_rule, verdict.notice_met) == ("ATT-1.one-day-ahead", False)


class TestWholeNumbers:
    """Parameters of whole numbers read as integers in texts."""

    def test_approval_reasons(self) -> None:
        """The director's reason reads more than 1 day / 超過1天, never 1.0 nor 以上."""
        decision = judged(leave("2026-03-05T08:30", "2026-03-06T16:30", "2026-03-01T09:00"), "2026-03-01T09:00")
        reasons = [approval.reason for approval in decision.approvals if approval.reason is not None]
        assert [(reason.en, reason.zh) for reason in reasons] == [("leave of more than 1 day(s)", "超過1天的假期")]

    def test_certificate_message(self) -> None:
        """The missing certificate's message reads 1 day(s), not 1.0."""
        fact = {**leave("2026-03-05T08:30", "2026-03-05T16:30", "2026-03-05T07:00"), "kind": "sick"}
        messages = [v.message.en for v in judged(fact, "2026-03-07T00:01").violations]
        assert messages
        assert all("1.0" not in message and "1 day(s)" in message for message in messages)
