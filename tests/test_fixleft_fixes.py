"""Wrong answers of the built-in packs and domain helpers, each pinned by the fact that showed it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import PolicyError
from csrules.conditions import HolidayInSpan
from csrules.domain.facts import LeaveRequest
from csrules.domain.leave import assess_leave, notice_rules_for
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 29, 12, tzinfo=TZ)


def leave(start: str, end: str, requested: str, **more: Any) -> dict[str, Any]:
    """A personal leave request of A01 (times in Beijing)."""
    return {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "start": f"{start}+08:00",
            "end": f"{end}+08:00", "requested_at": f"{requested}+08:00", **more}


def judged(fact: dict[str, Any], fact_type: str = "leave_request", now: datetime = NOW,
           pack: str = "call_centre") -> Any:
    """The decision of the pack's engine on ``fact``."""
    return load_pack(pack).engine().evaluate(fact, fact_type=fact_type, now=now)


class TestHolidaySpan:
    """Every day a leave (or a swapped shift) covers is read in the holiday calendar."""

    def test_leave_running_into_national_day_is_holiday_leave(self) -> None:
        """Leave from 30 Sep to 2 Oct asked on 29 Sep breaks the two days' notice of 七 and needs approval."""
        decision = judged(leave("2026-09-30T08:30", "2026-10-02T16:30", "2026-09-29T09:00"))
        assert "ATT-6.holiday-notice" in decision.rule_ids
        assert "ATT-6.holiday-approval" in decision.rule_ids

    def test_notice_runs_to_the_first_holiday(self) -> None:
        """Asked more than two days before 1 Oct (but for 30 Sep a day ahead), the holiday notice is met."""
        decision = judged(leave("2026-09-30T08:30", "2026-10-02T16:30", "2026-09-28T23:00"))
        assert "ATT-6.holiday-notice" not in decision.rule_ids
        assert "ATT-1.personal-notice" not in decision.rule_ids
        assert "ATT-6.holiday-approval" in decision.rule_ids

    def test_first_day_keeps_its_own_notice(self) -> None:
        """A leave from 30 Sep asked that morning breaks the first day's notice and the holiday's."""
        fact = leave("2026-09-30T08:30", "2026-10-02T16:30", "2026-09-30T07:00")
        decision = judged(fact, now=datetime(2026, 9, 30, 7, tzinfo=TZ))
        codes = {v.rule_id for v in decision.violations}
        assert {"ATT-1.personal-notice", "ATT-6.holiday-notice"} <= codes
        request = LeaveRequest.model_validate(fact)
        assert notice_rules_for(request) == ("ATT-1.personal-notice", "ATT-6.holiday-notice")
        assert assess_leave(decision).notice_met is False

    def test_leave_ending_at_midnight_covers_no_holiday(self) -> None:
        """A leave ending at 00:00 on 1 Oct does not reach National Day."""
        decision = judged(leave("2026-09-30T16:00", "2026-10-01T00:00", "2026-09-25T09:00"))
        assert not any(rule.startswith("ATT-6") for rule in decision.rule_ids)

    def test_a_span_into_an_uncovered_year_is_a_rule_error(self) -> None:
        """A leave in a year the calendar has no schedule for is the holiday rules' error, never a guess;
        one from 2026 into 2027 is holiday leave (1 January is fixed whatever the schedule)."""
        decision = judged(leave("2027-01-04T08:30", "2027-01-06T16:30", "2026-12-20T09:00"),
                          now=datetime(2026, 12, 20, 9, tzinfo=TZ))
        assert {"ATT-6.holiday-approval", "ATT-6.holiday-notice"} <= {error.rule_id for error in decision.errors}
        crossing = judged(leave("2026-12-31T08:30", "2027-01-05T16:30", "2026-12-20T09:00"),
                          now=datetime(2026, 12, 20, 9, tzinfo=TZ))
        assert "ATT-6.holiday-approval" in crossing.rule_ids

    def test_night_shift_into_a_holiday_cannot_be_swapped(self) -> None:
        """A night shift from 30 Sep into 1 Oct is on duty on National Day (換班制度 九)."""
        fact = {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
                "requester_shift": {"start": "2026-09-30T16:00:00+08:00", "end": "2026-10-01T00:50:00+08:00"},
                "partner_shift": {"start": "2026-10-09T16:00:00+08:00", "end": "2026-10-10T00:50:00+08:00"},
                "requested_at": "2026-09-25T09:00:00+08:00"}
        assert "ATT-9.holiday" in judged(fact, "shift_swap").rule_ids

    def test_columnar_audits_read_the_span_alike(self) -> None:
        """A columnar audit of holiday spans (into a holiday, ending at midnight, in a year without a
        schedule) gives the row engine's rows."""
        import polars as pl

        from csrules.audit import audit

        facts = [leave("2026-09-30T08:30", "2026-10-02T16:30", "2026-09-29T09:00"),
                 leave("2026-09-30T08:30", "2026-10-02T16:30", "2026-09-28T23:00"),
                 leave("2026-09-30T16:00", "2026-10-01T00:00", "2026-09-25T09:00"),
                 leave("2026-10-01T08:30", "2026-10-01T16:30", "2026-09-30T09:00"),
                 leave("2026-12-31T08:30", "2027-01-05T16:30", "2026-12-20T09:00")]

        def rows(columnar: bool) -> pl.DataFrame:
            result = audit(load_pack("call_centre"), facts, fact_type="leave_request", now=NOW, workers=1,
                           columnar=columnar)
            frame = pl.from_arrow(result.decisions)
            assert isinstance(frame, pl.DataFrame)
            return frame.select("row", "effect", "rule").sort("row", "rule")

        columnar = rows(True)
        assert columnar.equals(rows(False))
        assert "ATT-6.holiday-notice" in columnar["rule"].to_list()

    def test_notice_without_since_is_refused(self) -> None:
        """A notice duration without the instant it runs from is a policy error naming the kind."""
        with pytest.raises((PolicyError, ValueError), match="holiday_in_span"):
            HolidayInSpan(path="start", until="end", calendar="china", param="holiday_notice")


class TestPartDayLeave:
    """Leave days count the time inside the agent's shifts, not the clock time between start and end."""

    def test_afternoon_to_next_morning_is_half_a_day(self) -> None:
        """14:30 to 10:30 the next day on an 08:30 shift is 2 + 2 hours: half a day, no certificate (滿一天)."""
        fact = {**leave("2026-03-05T14:30", "2026-03-06T10:30", "2026-03-05T07:00"), "kind": "sick",
                "shift_start": "2026-03-05T08:30:00+08:00"}
        assert LeaveRequest.model_validate(fact).days == 0.5
        decision = judged(fact, now=datetime(2026, 3, 6, 12, tzinfo=TZ))
        assert "ATT-4.certificate" not in decision.rule_ids
        assert "ATT-2.department-head" in decision.rule_ids

    def test_a_columnar_audit_counts_the_same_days(self) -> None:
        """The audit's columnar reading gives the same half day as the fact model, row for row."""
        import polars as pl

        from csrules.audit import audit

        fact = {**leave("2026-03-05T14:30", "2026-03-06T10:30", "2026-03-05T07:00"), "kind": "sick",
                "shift_start": "2026-03-05T08:30:00+08:00"}
        facts = [fact, {k: v for k, v in fact.items() if k != "shift_start"}]
        now = datetime(2026, 3, 6, 12, tzinfo=TZ)

        def judged_rows(columnar: bool) -> pl.DataFrame:
            result = audit(load_pack("call_centre"), facts, fact_type="leave_request", now=now, workers=1,
                           columnar=columnar)
            frame = pl.from_arrow(result.decisions)
            assert isinstance(frame, pl.DataFrame)
            return frame.select("row", "rule").sort("row", "rule")

        columnar = judged_rows(True)
        assert columnar.equals(judged_rows(False))
        first, second = sorted(set(columnar["row"].to_list()))
        assert "ATT-4.certificate" not in columnar.filter(pl.col("row") == first)["rule"].to_list()
        assert "ATT-4.certificate" in columnar.filter(pl.col("row") == second)["rule"].to_list()

    @pytest.mark.parametrize(("start", "end", "days"), [
        ("2026-03-05T08:30", "2026-03-06T16:30", 2.0),
        ("2026-03-05T16:00", "2026-03-06T00:50", 1.0),
        ("2026-03-05T08:30", "2026-03-05T10:30", 0.25),
        ("2026-03-05T08:30", "2026-03-06T12:30", 1.5),
    ])
    def test_whole_shifts_and_shares(self, start: str, end: str, days: float) -> None:
        """A shift missed is a day (also past midnight), a part of one its share."""
        assert LeaveRequest.model_validate(leave(start, end, "2026-03-01T07:00")).days == days


class TestNoSelfApproval:
    """Nobody approves his own request: the approver is the level above, or the request is flagged."""

    @staticmethod
    def own(role: str, kind: str = "personal", **more: Any) -> dict[str, Any]:
        """A two-day leave of someone in ``role``."""
        return {**leave("2026-03-05T08:30", "2026-03-06T16:30", "2026-03-01T09:00"), "requester_role": role,
                "kind": kind, **more}

    @pytest.mark.parametrize("kind", ["personal", "business_trip"])
    @pytest.mark.parametrize("role", ["centre_director", "客服中心主任"])
    def test_the_centre_director_does_not_approve_his_own_leave(self, role: str, kind: str) -> None:
        """His own leave or trip asks no centre_director approval and is flagged (ROLE-1)."""
        decision = judged(self.own(role, kind), now=datetime(2026, 3, 1, 9, tzinfo=TZ))
        assert "centre_director" not in decision.approvers
        assert "ROLE-1.own-approval" in decision.rule_ids

    def test_the_department_head_s_night_leave_goes_up(self) -> None:
        """The department head's night-shift or holiday leave is not approved by himself but by the director."""
        decision = judged(self.own("department_head", night_shift=True), now=datetime(2026, 3, 1, 9, tzinfo=TZ))
        assert decision.approvers == ("centre_director",)
        holiday = judged({**leave("2026-10-01T08:30", "2026-10-01T16:30", "2026-09-20T09:00"),
                          "requester_role": "department_head"}, now=datetime(2026, 9, 20, 9, tzinfo=TZ))
        assert holiday.approvers == ("centre_director",)

    def test_a_tuned_pack_keeps_the_guard(self) -> None:
        """Parameters set on the pack rebuild its role lists, and the director's own leave stays unapproved."""
        pack = load_pack("call_centre").with_params({"call_centre.leave": {"head_max_days": 2}})
        decision = pack.engine().evaluate(self.own("centre_director"), fact_type="leave_request",
                                          now=datetime(2026, 3, 1, 9, tzinfo=TZ))
        assert "centre_director" not in decision.approvers

    def test_the_holder_of_a_complaint_does_not_approve_its_solution(self) -> None:
        """A department head approving the solution of a complaint he holds is flagged (CMP-1)."""
        order = {"order_id": "W1", "opened_at": "2026-03-10T09:00:00+08:00", "first_handler": "A01", "owner": "H01",
                 "owner_role": "department_head", "status": "approved", "founded": True,
                 "proposals": ["refund"], "approved_proposal": 0, "approved_by": "department_head"}
        decision = judged(order, "work_order", now=datetime(2026, 3, 10, 10, tzinfo=TZ))
        assert "CMP-1.own-approval" in decision.rule_ids


class TestReplyAfterNow:
    """A reply recorded after ``now`` has not happened at ``now``: CMP-4 runs its clock to now, as the SLA does."""

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_a_future_reply_is_not_late_on_day_one(self, pack: str) -> None:
        """Opened 10 Mar, judged 11 Mar with a reply recorded for 20 Mar: not late yet."""
        order = {"order_id": "W1", "opened_at": "2026-03-10T09:00:00+08:00", "first_handler": "A01", "owner": "A01",
                 "answer_deferred": True, "replied_at": "2026-03-20T09:00:00+08:00"}
        early = judged(order, "work_order", now=datetime(2026, 3, 11, 9, tzinfo=TZ), pack=pack)
        assert "CMP-4.late" not in early.rule_ids
        late = judged(order, "work_order", now=datetime(2026, 3, 14, 9, tzinfo=TZ), pack=pack)
        assert "CMP-4.late" in late.rule_ids

    def test_the_rule_and_the_sla_agree(self) -> None:
        """The engine rule and the CMP-4.reply SLA give one answer for a reply recorded after now."""
        pack = load_pack("call_centre")
        order = {"order_id": "W1", "opened_at": "2026-03-10T09:00:00+08:00", "first_handler": "A01", "owner": "A01",
                 "answer_deferred": True, "replied_at": "2026-03-20T09:00:00+08:00"}
        for day in (11, 14):
            now = datetime(2026, 3, day, 9, tzinfo=TZ)
            (check,) = pack.slas.check(order, fact_type="work_order", now=now)
            breached = bool(check.decision.violations)
            assert breached == ("CMP-4.late" in judged(order, "work_order", now=now).rule_ids)


class TestWindowFields:
    """A window's ``key`` and ``days`` are refused when they say nothing, with the field named."""

    @staticmethod
    def session_policy(**count: Any) -> dict[str, Any]:
        """The call centre's swap session policy with its count condition changed."""
        import yaml

        import csrules.policies

        folder = Path(csrules.policies.__file__).parent
        data = yaml.safe_load((folder / "call_centre" / "sessions" / "swap.yaml").read_text(encoding="utf-8"))
        data["rules"][0]["when"]["of"][1].update(count)
        data["rules"][0].pop("examples")
        return data

    @pytest.mark.parametrize("key", ["", [], ["requester.agent_id", ""]])
    def test_an_empty_key_is_refused_naming_key(self, key: Any) -> None:
        """``key: ''`` (or an empty list) is an error at ``key``, not a count without a key."""
        from csrules._policy.model import Policy

        with pytest.raises(PolicyError) as caught:
            Policy.model_validate(self.session_policy(key=key))
        assert caught.value.loc[-1] == "key"

    def test_an_unknown_key_is_located_at_key(self) -> None:
        """An unknown key path is reported at ``key``, not at ``path``."""
        from csrules._policy.model import Policy

        with pytest.raises(PolicyError) as caught:
            Policy.model_validate(self.session_policy(key="nope"))
        assert caught.value.loc[-1] == "key"

    @pytest.mark.parametrize("days", ["yes", 1])
    def test_days_is_a_flag(self, days: Any) -> None:
        """``days: "yes"`` or ``days: 1`` is refused: only true or false."""
        from csrules._policy.model import Policy

        with pytest.raises(PolicyError, match="days"):
            Policy.model_validate(self.session_policy(days=days))


class TestReviewedLeaveFindings:
    """Leave findings of the review: the night deadline, the e-commerce supervisor, the ranked approver."""

    def test_leave_asked_during_a_night_shift_is_late(self) -> None:
        """Part of a night shift begun at 00:00, asked at 02:00 during it, breaks ATT-5 (六, 二)."""
        fact = {**leave("2026-03-05T04:00", "2026-03-05T08:00", "2026-03-05T02:00"), "night_shift": True,
                "shift_start": "2026-03-05T00:00:00+08:00"}
        assert "ATT-5.night-deadline" in judged(fact, now=datetime(2026, 3, 5, 2, tzinfo=TZ)).rule_ids

    @pytest.mark.parametrize("role", ["cs_supervisor", "客服主管"])
    def test_the_ecommerce_supervisor_does_not_approve_her_own_leave(self, role: str) -> None:
        """The CS supervisor's own leave asks no cs_supervisor approval and is flagged (ROLE-1)."""
        fact = {**leave("2026-03-05T08:30", "2026-03-05T16:30", "2026-03-01T09:00"), "requester_role": role}
        decision = judged(fact, now=datetime(2026, 3, 1, 9, tzinfo=TZ), pack="ecommerce")
        assert decision.approvers == ()
        assert "ROLE-1.own-approval" in decision.rule_ids

    def test_the_highest_approver_is_ranked_by_the_catalogue(self) -> None:
        """A two-day night-shift leave: the highest approver is the centre director, not the later-listed head."""
        pack = load_pack("call_centre")
        fact = {**leave("2026-03-05T16:00", "2026-03-07T00:00", "2026-03-01T09:00"), "night_shift": True}
        decision = pack.engine().evaluate(fact, fact_type="leave_request", now=datetime(2026, 3, 1, 9, tzinfo=TZ))
        assert set(decision.approvers) == {"centre_director", "department_head"}
        assert assess_leave(decision, pack.roles).approver == "centre_director"


class TestCopiedFacts:
    """A fact copied with changed fields derives its derived fields afresh."""

    def test_a_leave_moved_to_national_day_is_holiday_leave(self) -> None:
        """model_copy(update=...) of a 9 Oct leave to 1 Oct reads 1 Oct (ATT-6), not the old day (ATT-1)."""
        request = LeaveRequest.model_validate(leave("2026-10-09T08:30", "2026-10-09T16:30", "2026-09-30T09:00"))
        moved = request.model_copy(update={"start": datetime(2026, 10, 1, 8, 30, tzinfo=TZ),
                                           "end": datetime(2026, 10, 1, 16, 30, tzinfo=TZ)})
        assert moved.shift_start == datetime(2026, 10, 1, 8, 30, tzinfo=TZ)
        decision = load_pack("call_centre").engine().evaluate(moved, now=datetime(2026, 9, 30, 9, tzinfo=TZ))
        assert "ATT-6.holiday-notice" in decision.rule_ids
        assert "ATT-1.personal-notice" not in decision.rule_ids

    def test_a_bad_update_is_refused(self) -> None:
        """An update that breaks the fact (ending before it starts) is refused, not copied."""
        from csrules.exceptions import FactError

        request = LeaveRequest.model_validate(leave("2026-10-09T08:30", "2026-10-09T16:30", "2026-09-30T09:00"))
        with pytest.raises(FactError, match="must end after it starts"):
            request.model_copy(update={"end": datetime(2026, 10, 9, 8, 0, tzinfo=TZ)})


class TestEffectRoles:
    """A company pack's rule cannot ask the approval of a role its catalogue does not hold."""

    def test_a_typo_in_an_approver_is_refused(self, tmp_path: Path) -> None:
        """``approval: centre_directr`` in a company pack's rules is a load error naming the role and the rule."""
        (tmp_path / "pack.yaml").write_text("name: acme\ntitle: {en: Acme, zh: 阿克米}\nversion: '1'\n"
                                            "extends: call_centre\nrules: {leave: extra.yaml}\n", encoding="utf-8")
        (tmp_path / "extra.yaml").write_text(
            "rules:\n  - id: ACME-2\n    title: {en: x, zh: x}\n"
            "    when: {kind: compare, path: kind, op: '==', value: training}\n"
            "    then:\n      - {type: approval, role: centre_directr}\n", encoding="utf-8")
        with pytest.raises(PolicyError, match="centre_directr") as caught:
            load_pack(tmp_path)
        assert caught.value.rule_id == "ACME-2"


class TestCompanyLadder:
    """A report's level count is held to the pack's own chain, a company's added levels included."""

    def test_an_added_team_lead_counts_as_a_level(self, tmp_path: Path) -> None:
        """With a team lead between agent and shift lead, an agent's report to the shift lead is two levels up."""
        import yaml

        roles = {"roles": [
            {"id": "team_lead", "title": {"en": "Team lead", "zh": "組長"}, "reports_to": "shift_lead"},
            {"id": "agent", "title": {"en": "Agent", "zh": "業務代表"}, "reports_to": "team_lead"},
        ]}
        (tmp_path / "pack.yaml").write_text("name: acme\ntitle: {en: Acme, zh: 阿克米}\nversion: '1'\n"
                                            "extends: call_centre\nroles: roles.yaml\n", encoding="utf-8")
        (tmp_path / "roles.yaml").write_text(yaml.safe_dump(roles, allow_unicode=True), encoding="utf-8")
        engine = load_pack(tmp_path).engine()

        def flagged(levels: int) -> bool:
            report = {"raised_by": "agent", "addressed_to": "shift_lead", "topic": "beyond_remit",
                      "at": "2026-03-10T10:00:00+08:00", "levels_up": levels}
            return "ROLE-1.levels-up" in engine.evaluate(report, fact_type="report", now=NOW).rule_ids

        assert (flagged(1), flagged(2)) == (True, False)
