"""One test per regulation id of REGULATIONS.md, through the public pack API.

Each test loads a built-in pack by name, evaluates realistic facts with the pack's engine and
checks the effects, the approvers and the due times the rules give.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import Decision, FactError
from csrules.domain import (
    AttendanceRecord,
    ClockEvent,
    EscalationLadder,
    ShiftSwapRequest,
    assess_leave,
)
from csrules.policies import Pack, load_pack

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """``"2026-03-10 09:00"`` in Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def iso(text: str) -> str:
    return at(text).isoformat()


LEAVE_NOW = at("2026-03-10 09:00")


@pytest.fixture(scope="module")
def cc() -> Pack:
    return load_pack("call_centre")


@pytest.fixture(scope="module")
def shop() -> Pack:
    return load_pack("ecommerce")


@pytest.fixture(scope="module")
def mall() -> Pack:
    return load_pack("mall")


@pytest.fixture(scope="module")
def online() -> Pack:
    return load_pack("online_support")


SHIFTS_OVER = datetime(2026, 3, 11, 9, tzinfo=TZ)
"""A ``now`` after the attendance and handover shifts of these tests (10 March)."""


def judge(pack: Pack, fact_type: str, fact: dict[str, Any], now: datetime | None = None) -> Decision:
    if now is None and fact_type == "leave_request":
        now = LEAVE_NOW  # leave rules read the clock: a sick note falls due on the first day back
    if now is None and fact_type in ("attendance_record", "handover"):
        now = SHIFTS_OVER  # absence and a missing arrival or log are judged once their time has come
    return pack.engine().evaluate(fact, fact_type=fact_type, now=now)


def codes(decision: Decision) -> set[str]:
    return {v.code for v in decision.violations}


def leave(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "agent_id": "A01",
        "kind": "personal",
        "requested_by": "A01",
        "start": iso("2026-03-10 08:30"),
        "end": iso("2026-03-10 16:30"),
        "requested_at": iso("2026-03-05 09:00"),
    }
    base.update(kw)
    return base


def call(lines: list[str], **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "call_id": "C1",
        "agent_id": "A01",
        "started_at": iso("2026-03-10 10:00"),
        "duration": "PT2M",
        "agent_lines": lines,
    }
    base.update(kw)
    return base


def work_order(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "order_id": "W1",
        "opened_at": iso("2026-03-10 09:00"),
        "first_handler": "A01",
        "owner": "A01",
        "complainant": "Ms Li",
        "content": "broadband down",
    }
    base.update(kw)
    return base


def swap(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "requester": {"agent_id": "A01", "job_type": "phone", "skill_level": 3},
        "partner": {"agent_id": "A02", "job_type": "phone", "skill_level": 3},
        "requester_shift": {"start": iso("2026-03-10 08:30"), "end": iso("2026-03-10 16:30")},
        "partner_shift": {"start": iso("2026-03-12 08:30"), "end": iso("2026-03-12 16:30")},
        "requested_at": iso("2026-03-05 09:00"),
        "requester_lead_approved": True,
        "partner_lead_approved": True,
        "form_filed": True,
    }
    base.update(kw)
    return base


def order(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"order_no": "O1", "placed_at": iso("2026-03-10 10:00"), "amount": 88.0}
    base.update(kw)
    return base


def report(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"raised_by": "agent", "topic": "other", "at": iso("2026-03-10 10:00")}
    base.update(kw)
    return base


def qa(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"reviewer": "Q1", "agent_id": "A01", "reviewed_at": iso("2026-03-10 15:00")}
    base.update(kw)
    return base


def duty(name: str, due: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"duty": name, "owner": "shift_lead", "due_at": iso(due)}
    base.update(kw)
    return base


# --------------------------------------------------------------------------- roles


class TestRoles:
    def test_ROLE_1_call_centre_chain_and_duties(self, cc: Pack) -> None:
        """Agent -> shift lead -> department head -> centre director; QA reports to the head."""
        assert [r.id for r in cc.roles.chain_above("agent")] == ["shift_lead", "department_head", "centre_director"]
        assert cc.roles.superior("qa_inspector").id == "department_head"  # type: ignore[union-attr]
        assert cc.roles.role("值班長").id == "shift_lead"
        assert any("22日前" in d.zh for d in cc.roles.role("shift_lead").duties)
        assert len(cc.roles.role("qa_inspector").duties) == 6

    def test_ROLE_2_department_supervisor(self, mall: Pack) -> None:
        """客服部主管 reports to the general manager and directs 客服專員."""
        supervisor = mall.roles.role("客服部主管")
        assert supervisor.reports_to == "general_manager"
        assert mall.roles.superior("cs_specialist") == supervisor
        assert {a.matter for a in supervisor.authority} >= {"direct", "coordinate", "supervise"}

    def test_ROLE_3_promotion_ladder(self, online: Pack) -> None:
        """客服專員 -> 客服組長 -> 客服主管 -> 客服經理 -> 客服總監."""
        chain = [r.title.zh for r in online.roles.chain_above("客服專員")]
        assert chain == ["客服組長", "客服主管", "客服經理", "客服總監"]

    def test_ROLE_4_mall_roles(self, mall: Pack) -> None:
        """網上客服 and 微笑天使 are in the mall catalogue with their duty lists."""
        assert "播音" in " ".join(d.zh for d in mall.roles.role("網上客服").duties)
        assert mall.roles.role("微笑天使").reports_to == "cs_supervisor"


# --------------------------------------------------------------------------- escalation


class TestEscalation:
    def test_ESC_1_first_handler_keeps_the_order(self, cc: Pack) -> None:
        """Passing an order on from its first handler is kicking the ball."""
        passed = judge(cc, "work_order", work_order(owner="A07"), now=at("2026-03-10 10:00"))
        assert "ESC-1" in codes(passed)
        assert "agent" in {o.who for o in passed.obligations}
        kept = judge(cc, "work_order", work_order(), now=at("2026-03-10 10:00"))
        assert "ESC-1" not in codes(kept)

    def test_ESC_2_time_ladder(self, cc: Pack) -> None:
        """More than 24 h unresolved (超過24小時): the shift lead, due before the manager step;
        then the manager. At exactly 24 h the order is not yet over the limit."""
        early = judge(cc, "work_order", work_order(), now=at("2026-03-11 09:00"))
        assert not early.escalations
        day = judge(cc, "work_order", work_order(), now=at("2026-03-11 09:01"))
        assert [e.to for e in day.escalations] == ["shift_lead"]
        (act,) = [o for o in day.obligations if o.who == "shift_lead"]
        assert act.due == at("2026-03-12 09:00")
        late = judge(cc, "work_order", work_order(), now=at("2026-03-12 09:30"))
        assert [e.to for e in late.escalations] == ["department_head"]
        ladder = EscalationLadder.from_policy(cc.policy("work_order"))
        position = ladder.position(at("2026-03-10 09:00"), at("2026-03-11 12:00"))
        assert (position.owner_role, position.next_role, position.next_at) == (
            "shift_lead",
            "department_head",
            at("2026-03-12 09:00"),
        )
        assert ladder.owner_at(at("2026-03-10 09:00"), at("2026-03-10 20:00")) == "agent"
        traced = judge(
            cc,
            "work_order",
            work_order(escalations=[{"at": iso("2026-03-11 09:00"), "to_role": "shift_lead"}]),
            now=at("2026-03-11 10:00"),
        )
        assert "ESC-2" in codes(traced)

    def test_ESC_2_ladder_follows_tuned_parameters(self) -> None:
        """A company that escalates after 12 h gets a 12 h ladder and 12 h rules."""
        pack = load_pack("call_centre", overrides={"work_order": {"shift_lead_after": "12h", "manager_after": "36h"}})
        ladder = EscalationLadder.from_policy(pack.policy("work_order"))
        assert ladder.position(at("2026-03-10 09:00"), at("2026-03-10 22:00")).next_at == at("2026-03-11 21:00")
        decision = judge(pack, "work_order", work_order(), now=at("2026-03-10 21:30"))
        assert [e.to for e in decision.escalations] == ["shift_lead"]

    def test_ESC_3_level_by_level_and_emergency_skip(self, cc: Pack) -> None:
        """A skip is a violation except in an emergency, which adds the duty to inform."""
        skip = cc.roles.report(
            raised_by="agent", addressed_to="department_head", topic="beyond_remit", at=at("2026-03-10 10:00")
        )
        assert skip.levels_up == 2
        assert "ESC-3" in codes(cc.engine().evaluate(skip))
        urgent = cc.roles.report(
            raised_by="agent", addressed_to="department_head", topic="safety", at=at("2026-03-10 10:00"), emergency=True
        )
        decision = cc.engine().evaluate(urgent)
        assert "ESC-3" not in codes(decision)
        assert [o.rule_id for o in decision.obligations] == ["ESC-3.inform-skipped"]
        assert [r.id for r in cc.roles.skipped_between("agent", "department_head")] == ["shift_lead"]
        difficult = judge(cc, "report", report(topic="difficult_customer"))
        assert [e.to for e in difficult.escalations] == ["shift_lead"]

    def test_ESC_4_cannot_handle_goes_up(self, cc: Pack) -> None:
        """Agent -> shift lead; shift lead's hard cases -> department head."""
        assert [e.to for e in judge(cc, "report", report(topic="cannot_handle")).escalations] == ["shift_lead"]
        lead = judge(cc, "report", report(raised_by="shift_lead", topic="other", emergency=True))
        assert [e.to for e in lead.escalations] == ["department_head"]

    def test_ESC_5_discounts_go_to_the_supervisor(self, shop: Pack) -> None:
        """Agents do not grant discounts; wholesale requests go to the CS supervisor."""
        wholesale = report(topic="discount_request", customer_type="wholesale")
        assert [e.to for e in judge(shop, "report", wholesale).escalations] == ["cs_supervisor"]
        chat = judge(shop, "call_record", call(["您好，亲", "好的，给您优惠十元"]))
        assert "ESC-5" in codes(chat)
        assert shop.roles.approver_for("discount").id == "cs_supervisor"


# --------------------------------------------------------------------------- complaints


class TestComplaints:
    def test_CMP_1_lifecycle(self, cc: Pack) -> None:
        """Register, judge, approve one proposal, handle, follow up within 3 days, archive."""
        now = at("2026-03-10 12:00")
        intake = judge(cc, "work_order", work_order(complainant=None), now=now)
        assert "CMP-1.register" in intake.rule_ids
        unfounded = judge(cc, "work_order", work_order(status="judged", founded=False), now=now)
        assert [o.rule_id for o in unfounded.obligations] == ["CMP-1.unfounded"]
        proposals = judge(
            cc,
            "work_order",
            work_order(
                status="proposals",
                founded=True,
                responsible_department="network",
                customer_asked_for_time=True,
                proposals=["refund", "upgrade"],
            ),
            now=now,
        )
        assert proposals.approvers == ("department_head",)
        unapproved = judge(cc, "work_order", work_order(status="handling", founded=True), now=now)
        assert "CMP-1.no-unapproved-handling" in unapproved.rule_ids
        handled = work_order(
            status="follow_up",
            founded=True,
            responsible_department="network",
            customer_asked_for_time=True,
            proposals=["refund"],
            approved_proposal=0,
            approved_by="department_head",
            resolved_at=iso("2026-03-10 11:00"),
        )
        (follow,) = judge(cc, "work_order", handled, now=now).obligations
        assert follow.due == at("2026-03-13 11:00")
        archived = judge(cc, "work_order", {**handled, "status": "archived"}, now=now)
        assert "CMP-1.archive" in archived.rule_ids
        closed = judge(  # judged once the follow-up was made: one recorded after now is not made yet
            cc, "work_order", {**handled, "status": "archived", "follow_up_at": iso("2026-03-11 10:00")},
            now=at("2026-03-11 12:00"),
        )
        assert closed.is_clean

    def test_CMP_2_emotion_triage(self, cc: Pack) -> None:
        """An angry complainant gets the soothing steps and a detailed record; an unknown emotion is refused."""
        angry = judge(cc, "work_order", work_order(emotion="angry"), now=at("2026-03-10 10:00"))
        assert "聆聽" in angry.recommendations[0].text.zh
        assert {o.rule_id for o in angry.obligations} == {"CMP-2.record"}
        with pytest.raises(FactError, match="emotion"):
            judge(cc, "work_order", work_order(emotion="furious"), now=at("2026-03-10 10:00"))

    def test_CMP_3_no_conflict(self, cc: Pack, online: Pack) -> None:
        """Blunt refusals in the transcript and conflict found by QA are violations."""
        assert "CMP-3" in codes(judge(cc, "call_record", call(["您好", "這個不行"])))
        assert "CMP-3" in codes(judge(online, "call_record", call(["您好，客服部", "不知道"])))
        assert "CMP-3" in codes(judge(cc, "qa_review", qa(argued=True)))
        assert not judge(online, "qa_review", qa()).violations

    def test_CMP_4_reply_within_three_days(self, online: Pack) -> None:
        """A deferred answer opens a full case and is answered within 3 days of the call."""
        case = work_order(answer_deferred=True, place="Nanchang", phone="13800000000")
        (reply,) = judge(online, "work_order", case, now=at("2026-03-10 10:00")).obligations
        assert reply.due == at("2026-03-13 09:00")
        assert "CMP-4" in codes(judge(online, "work_order", case, now=at("2026-03-13 10:00")))
        assert "CMP-4" in codes(judge(online, "work_order", {**case, "phone": None}, now=at("2026-03-10 10:00")))

    def test_CMP_5_severity_reported_upward(self, online: Pack) -> None:
        """Serious complaints go to the team lead, critical ones to the centre's head."""
        now = at("2026-03-10 10:00")
        assert [e.to for e in judge(online, "work_order", work_order(severity="serious"), now=now).escalations] == [
            "team_lead"
        ]
        assert [e.to for e in judge(online, "work_order", work_order(severity="critical"), now=now).escalations] == [
            "cs_supervisor"
        ]
        assert not judge(online, "work_order", work_order(severity="minor"), now=now).escalations

    def test_CMP_6_sensitive_questions(self, online: Pack) -> None:
        """Sensitive questions get no direct answer; others are recorded and answered."""
        now = at("2026-03-10 10:00")
        sensitive = judge(
            online, "work_order", work_order(question_topic="cross_region_goods", answered_directly=True), now=now
        )
        assert "CMP-6" in codes(sensitive)
        assert "查一下回復" in sensitive.recommendations[0].text.zh
        damaged = judge(online, "work_order", work_order(question_topic="damaged_goods"), now=now)
        assert [o.rule_id for o in damaged.obligations] == ["CMP-6.non-sensitive"]

    def test_CMP_7_problem_parcels_registered(self, shop: Pack) -> None:
        """A returned parcel without waybill number is an incomplete register."""
        returned = order(
            status="sent",
            paid_at=iso("2026-03-10 10:05"),
            problem="returned",
            product="tea",
            quantity=1,
            problem_note="refused",
            remote_area_checked=True,
        )
        assert "CMP-7" in codes(judge(shop, "order", returned))
        assert "CMP-7" not in codes(judge(shop, "order", {**returned, "waybill_no": "YT1"}))


# --------------------------------------------------------------------------- callbacks


class TestCallbacks:
    def test_CB_1_callbacks(self, cc: Pack) -> None:
        """Due within 3 days; key customers always; never in rest hours; complete records."""
        task = {"customer": "Acme", "key_customer": True, "created_at": iso("2026-03-10 10:00")}
        pending = judge(cc, "callback_task", task, now=at("2026-03-11 10:00"))
        assert [o.due for o in pending.obligations] == [at("2026-03-13 10:00")]
        overdue = judge(cc, "callback_task", task, now=at("2026-03-14 10:00"))
        assert {v.severity for v in overdue.violations} == {"major", "critical"}
        rest = {
            **task,
            "called_at": iso("2026-03-10 23:00"),
            "rest_from": "22:00",
            "rest_to": "08:00",
            "record_complete": True,
        }
        assert "CB-1.rest-hours" in judge(cc, "callback_task", rest, now=at("2026-03-11 10:00")).rule_ids
        fine = {**rest, "called_at": iso("2026-03-11 09:00")}
        assert judge(cc, "callback_task", fine, now=at("2026-03-11 10:00")).is_clean

    def test_CB_2_assigned_customers_within_a_week(self, cc: Pack) -> None:
        """An assigned customer is contacted within a week of assignment."""
        task = {"customer": "Acme", "kind": "assigned_customer", "created_at": iso("2026-03-02 09:00")}
        (due,) = judge(cc, "callback_task", task, now=at("2026-03-03 09:00")).obligations
        assert due.due == at("2026-03-09 09:00")
        assert "CB-2" in codes(judge(cc, "callback_task", task, now=at("2026-03-10 09:00")))

    def test_CB_3_outbound_script_order(self, online: Pack) -> None:
        """Verify identity, introduce, ask if convenient, give the solution, in that order."""
        good = call(
            ["您好，請問是王先生嗎？"],
            direction="outbound",
            script_steps=["verify_identity", "introduce", "ask_convenience", "give_solution"],
        )
        assert "CB-3" not in codes(judge(online, "call_record", good))
        bad = {**good, "script_steps": ["introduce", "give_solution"]}
        assert "CB-3" in codes(judge(online, "call_record", bad))


# --------------------------------------------------------------------------- attendance


class TestAttendance:
    def test_ATT_1_leave_notice(self, cc: Pack) -> None:
        """Personal leave a day ahead, special leave an hour before the shift, else 曠工 unless approved."""
        late = judge(cc, "leave_request", leave(requested_at=iso("2026-03-09 20:00")))
        verdict = assess_leave(late)
        assert verdict.notice_rule == "ATT-1.personal-notice"
        assert not verdict.notice_met
        assert verdict.absence_without_leave
        assert verdict.approvers == ("department_head",)
        approved = assess_leave(
            judge(cc, "leave_request", leave(requested_at=iso("2026-03-09 20:00"), manager_approved=True))
        )
        assert (approved.notice_met, approved.absence_without_leave) == (True, False)
        special = assess_leave(
            judge(cc, "leave_request", leave(kind="special_personal", requested_at=iso("2026-03-10 07:00")))
        )
        assert (special.notice_rule, special.notice_met) == ("ATT-1.special-notice", True)

    def test_ATT_2_approval_authority(self, cc: Pack) -> None:
        """One day: the department head; more: the centre director; no skipping levels."""
        one = judge(cc, "leave_request", leave())
        assert one.approvers == ("department_head",)
        two = judge(cc, "leave_request", leave(end=iso("2026-03-11 16:30")))
        assert two.approvers == ("centre_director",)
        assert cc.roles.approver_for("leave", 2, requester="agent").id == "centre_director"
        skipped = judge(cc, "leave_request", leave(submitted_to="centre_director"))
        assert "ATT-2" in codes(skipped)

    def test_ATT_3_in_person(self, cc: Pack) -> None:
        """Personal leave by someone else is refused; sick leave by someone else is fine."""
        assert "ATT-3" in codes(judge(cc, "leave_request", leave(requested_by="A09")))
        assert "ATT-3" not in codes(
            judge(cc, "leave_request", leave(kind="sick", requested_by="A09", certificate=True))
        )

    def test_ATT_4_sick_leave(self, cc: Pack) -> None:
        """A full sick day needs a certificate; emergencies phone the lead before the shift."""
        sick = judge(cc, "leave_request", leave(kind="sick"))
        assert [o.rule_id for o in sick.obligations] == ["ATT-4.certificate"]
        assert "ATT-4" in codes(judge(cc, "leave_request", leave(kind="sick"), now=at("2026-03-12 00:01")))
        emergency = leave(kind="sick", emergency=True, phoned_shift_lead_at=iso("2026-03-10 09:00"))
        verdict = assess_leave(judge(cc, "leave_request", emergency))
        assert (verdict.notice_rule, verdict.notice_met) == ("ATT-4.emergency-phone", False)
        note = judge(cc, "leave_request", leave(kind="sick", certificate=True))
        (hand_in,) = [o for o in note.obligations if o.rule_id == "ATT-4.hand-in"]
        assert hand_in.due == at("2026-03-12 00:00")

    def test_ATT_5_night_shift(self, cc: Pack) -> None:
        """Night-shift leave is asked before 12:00 that day and approved by a manager."""
        night = leave(
            kind="special_personal", night_shift=True, start=iso("2026-03-10 16:00"), end=iso("2026-03-11 00:00")
        )
        ok = judge(cc, "leave_request", {**night, "requested_at": iso("2026-03-10 11:30")})
        assert "ATT-5" not in codes(ok)
        assert ok.approvers == ("department_head",)
        late = assess_leave(judge(cc, "leave_request", {**night, "requested_at": iso("2026-03-10 12:30")}))
        assert (late.notice_rule, late.notice_met, late.absence_without_leave) == ("ATT-5.night-deadline", False, True)

    def test_ATT_6_public_holidays(self, cc: Pack) -> None:
        """Holiday leave two days ahead with approval."""
        holiday = leave(on_holiday=True, start=iso("2026-10-01 08:30"), end=iso("2026-10-01 16:30"))
        late = judge(cc, "leave_request", {**holiday, "requested_at": iso("2026-09-30 09:00")})
        assert "ATT-6" in codes(late)
        early = judge(cc, "leave_request", {**holiday, "requested_at": iso("2026-09-28 09:00")})
        assert "ATT-6" not in codes(early)
        assert "department_head" in early.approvers

    def test_ATT_7_lateness_and_away(self, cc: Pack, shop: Pack) -> None:
        """20 minutes late or away is a violation; 002 forbids any lateness."""
        events = [
            ClockEvent(agent_id="A01", kind="clock_in", at=at("2026-03-10 08:52")),
            ClockEvent(agent_id="A01", kind="leave_post", at=at("2026-03-10 10:00")),
            ClockEvent(agent_id="A01", kind="return_post", at=at("2026-03-10 10:25")),
            ClockEvent(agent_id="A01", kind="clock_out", at=at("2026-03-10 16:30")),
        ]
        record = AttendanceRecord.from_events(
            events, shift_start=at("2026-03-10 08:30"), shift_end=at("2026-03-10 16:30")
        )
        assert (record.late_minutes, record.away_minutes) == (22, 25)
        decision = cc.engine().evaluate(record, now=SHIFTS_OVER)
        assert [v.rule_id for v in decision.violations] == ["ATT-7.late", "ATT-7.away", "ATT-11.unapproved-absence"]
        five_late = AttendanceRecord(
            agent_id="E01",
            shift_start=at("2026-03-10 08:30"),
            shift_end=at("2026-03-10 16:30"),
            arrived_at=at("2026-03-10 08:35"),
            left_at=at("2026-03-10 16:30"),
        )
        assert "ATT-7" not in codes(cc.engine().evaluate(five_late, now=SHIFTS_OVER))
        assert "ATT-7" in codes(shop.engine().evaluate(five_late, now=SHIFTS_OVER))

    def test_ATT_8_business_trips_and_training(self, cc: Pack) -> None:
        """Business trips and training need the centre director."""
        assert judge(cc, "leave_request", leave(kind="business_trip")).approvers == ("centre_director",)

    def test_ATT_9_shift_swaps(self, cc: Pack) -> None:
        """Both leads, at most 2 a month, same job type, no holiday swaps, no leave on swapped shifts."""
        assert judge(cc, "shift_swap", swap()).is_clean
        third = judge(cc, "shift_swap", swap(swaps_this_month=2))
        assert [v.rule_id for v in third.violations] == ["ATT-9.monthly-limit"]
        pending = judge(cc, "shift_swap", swap(partner_lead_approved=False))
        assert pending.approvers == ("shift_lead",)
        other_job = judge(cc, "shift_swap", swap(partner={"agent_id": "A02", "job_type": "qa", "skill_level": 3}))
        assert "ATT-9.same-job-type" in other_job.rule_ids
        tuned = load_pack("call_centre", overrides={"swap": {"max_swaps_per_month": 3}})
        assert judge(tuned, "shift_swap", swap(swaps_this_month=2)).is_clean
        on_swap = assess_leave(judge(cc, "leave_request", leave(on_swapped_shift=True)))
        assert on_swap.absence_without_leave
        with pytest.raises(FactError, match="themself"):
            judge(cc, "shift_swap", swap(partner={"agent_id": "A01"}))
        with pytest.raises(ValueError, match="themself"):
            ShiftSwapRequest.model_validate(swap(partner={"agent_id": "A01"}))

    def test_ATT_10_handover(self, cc: Pack) -> None:
        """Arrive 10 minutes early, wait for the successor, keep the log, read the notices."""
        good = {
            "shift_start": iso("2026-03-10 16:00"),
            "outgoing_agent": "A01",
            "incoming_agent": "A02",
            "incoming_arrived_at": iso("2026-03-10 15:45"),
            "incoming_seated_at": iso("2026-03-10 15:58"),
            "outgoing_left_at": iso("2026-03-10 16:01"),
            "equipment_state": "ok",
            "open_cases": "none",
            "staffing_changes": "none",
            "notices_read": True,
        }
        assert judge(cc, "handover", good).is_clean
        bad = judge(
            cc,
            "handover",
            {**good, "incoming_arrived_at": iso("2026-03-10 15:55"), "outgoing_left_at": iso("2026-03-10 15:50")},
        )
        assert [v.rule_id for v in bad.violations] == ["ATT-10.arrive-early", "ATT-10.wait-for-successor"]

    def test_ATT_11_leaving_the_desk(self, cc: Pack) -> None:
        """Five unapproved minutes away is an ATT-11 violation but not yet ATT-7."""
        record = {
            "agent_id": "A01",
            "shift_start": iso("2026-03-10 08:30"),
            "shift_end": iso("2026-03-10 16:30"),
            "arrived_at": iso("2026-03-10 08:20"),
            "away_minutes": 5,
        }
        assert codes(judge(cc, "attendance_record", record)) == {"ATT-11"}
        assert judge(cc, "attendance_record", {**record, "away_approved": True}).is_clean

    def test_ATT_12_shift_patterns(self, shop: Pack, online: Pack) -> None:
        """Day 08:30-16:30, night 16:00-00:00, six on one off, night agent stays for a customer."""
        night = shop.shift_patterns["night_agents"]
        occurrence = night.shift_at(at("2026-03-10 23:30"))
        assert occurrence is not None
        assert occurrence.night
        assert shop.shift_patterns["day_agents"].shift_at(at("2026-03-11 08:00")) is None
        seventh = {
            "agent_id": "E01",
            "shift": "day",
            "start": iso("2026-03-10 08:30"),
            "end": iso("2026-03-10 16:30"),
            "consecutive_days_worked": 7,
        }
        decision = judge(shop, "shift_assignment", seventh)
        assert "ATT-12" in codes(decision)
        assert [o.who for o in decision.obligations] == ["cs_supervisor"]
        stays = {
            "agent_id": "E02",
            "shift": "night",
            "night": True,
            "start": iso("2026-03-10 16:00"),
            "end": iso("2026-03-11 00:00"),
            "customer_in_service_at_end": True,
            "left_at": iso("2026-03-11 00:00"),
        }
        assert "ATT-12.night-stays" in judge(shop, "shift_assignment", stays).rule_ids
        assert "evening_agents" in online.shift_patterns


# --------------------------------------------------------------------------- conduct


class TestConduct:
    def test_CON_1_greeting_discipline(self, mall: Pack) -> None:
        """您好, never 喂: every 喂 breaks the rule, corrected, then warned, then fined."""
        first = judge(mall, "call_record", call(["喂，您好", "請稍等，謝謝"]))
        assert first.rule_ids == ("CON-1.wei-corrected",)
        assert [(v.code, v.severity, v.consequence.zh) for v in first.violations if v.consequence] == [
            ("CON-1", "notice", "予以指正（處分第1級）")
        ]
        second = judge(mall, "call_record", call(["喂，您好"], prior_greeting_offences=1))
        assert [v.consequence.en for v in second.violations if v.consequence] == ["warning (step 2 of the ladder)"]
        third = judge(mall, "call_record", call(["喂？"], prior_greeting_offences=2))
        assert {v.consequence.en for v in third.violations if v.consequence} == {"fine (step 3 of the ladder)"}

    def test_CON_2_pick_up(self, online: Pack) -> None:
        """Three rings; after five apologise first; announce the company."""
        slow = judge(online, "call_record", call(["您好，客服部"], rings_before_pickup=6))
        assert [v.rule_id for v in slow.violations if v.code == "CON-2"] == ["CON-2.pickup", "CON-2.apologise"]
        sorry = judge(online, "call_record", call(["對不起，讓您久等了，這裡是客服部"], rings_before_pickup=6))
        assert [v.rule_id for v in sorry.violations if v.code == "CON-2"] == ["CON-2.pickup"]
        with pytest.raises(FactError, match="rings_before_pickup"):
            judge(online, "call_record", call(["您好"], rings_before_pickup=-1))

    def test_CON_3_call_length(self, online: Pack) -> None:
        """Over 3 minutes: advice; over 5: a violation."""
        assert judge(online, "call_record", call(["您好，客服部"], duration="PT4M")).recommendations
        assert "CON-3" in codes(judge(online, "call_record", call(["您好，客服部"], duration="PT5M1S")))

    def test_CON_4_courtesy_words(self, cc: Pack, mall: Pack, shop: Pack) -> None:
        """問聲/送聲 (001), 請/謝 (000), 您 (002)."""
        assert "CON-4" in codes(judge(cc, "call_record", call(["您好", "好的"])))
        assert "CON-4" not in codes(judge(cc, "call_record", call(["您好", "好的，再見"])))
        assert "CON-4" in codes(judge(mall, "call_record", call(["您好", "好的，再見"])))
        assert "CON-4" in codes(judge(shop, "call_record", call(["亲，在的", "你要哪个"])))

    @pytest.mark.parametrize(
        ("line", "rule"),
        [
            ("這不是我應該做的", "CON-5.not-my-job"),
            ("这不是我应该做的", "CON-5.not-my-job"),
            ("我不會做", "CON-5.i-wont-do"),
            ("我不会做", "CON-5.i-wont-do"),
            ("我不能", "CON-5.i-cannot"),
            ("我想我做不了", "CON-5.cannot-manage"),
            ("但是", "CON-5.but"),
        ],
    )
    def test_CON_5_forbidden_phrases_in_either_script(self, cc: Pack, line: str, rule: str) -> None:
        """Each forbidden phrase is caught in simplified and traditional script, with its replacement."""
        decision = judge(cc, "call_record", call(["您好，客服中心", f"這個嘛，{line}", "再見"]))
        assert rule in decision.rule_ids
        (advice,) = [r for r in decision.recommendations if r.rule_id == rule]
        assert advice.text.zh

    def test_CON_6_desk_conduct(self, cc: Pack, shop: Pack) -> None:
        """Phones in the machine room and second jobs are violations."""
        assert "CON-6" in codes(judge(cc, "qa_review", qa(phone_in_room=True)))
        assert "CON-6" in codes(judge(shop, "qa_review", qa(second_job=True)))

    def test_CON_7_confidentiality(self, cc: Pack) -> None:
        """A data disclosure is critical and escalated to the department head."""
        decision = judge(cc, "qa_review", qa(disclosed_customer_data=True))
        assert [v.severity for v in decision.violations] == ["critical"]
        assert [e.to for e in decision.escalations] == ["department_head"]

    def test_CON_8_uncertain_promises(self, shop: Pack) -> None:
        """保证明天到 is a guarantee; 两天左右 leaves room."""
        assert "CON-8" in codes(judge(shop, "call_record", call(["您好", "保证明天到"])))
        assert "CON-8" not in codes(judge(shop, "call_record", call(["您好", "快递两天左右到"])))


# --------------------------------------------------------------------------- orders


class TestOrders:
    def test_ORD_1_shipping_delay(self, mall: Pack) -> None:
        """Shipping for more than 3 hours: chase logistics and tell the customer."""
        shipping = order(status="shipping", paid_at=iso("2026-03-10 10:01"))
        assert not judge(mall, "order", shipping, now=at("2026-03-10 12:59")).obligations
        (chase,) = judge(mall, "order", shipping, now=at("2026-03-10 13:01")).obligations
        assert chase.who == "online_cs"

    def test_ORD_2_unconfirmed_to_finance(self, mall: Pack) -> None:
        """A sent order past its confirmation deadline goes to finance."""
        sent = order(status="sent", paid_at=iso("2026-03-10 10:01"), auto_confirm_at=iso("2026-03-20 00:00"))
        assert judge(mall, "order", sent, now=at("2026-03-20 09:00")).rule_ids == ("ORD-2.unconfirmed",)
        assert not judge(mall, "order", sent, now=at("2026-03-19 09:00")).obligations

    def test_ORD_2_without_a_deadline_is_checked_not_clean(self, mall: Pack) -> None:
        """A sent order with no confirmation deadline cannot be judged by the clock: the agent is
        asked to check it (檢視訂單狀態) rather than told nothing is due, until finance is contacted."""
        sent = order(status="sent", paid_at=iso("2026-03-10 10:01"))
        decision = judge(mall, "order", sent, now=at("2026-06-10 10:00"))
        assert decision.rule_ids == ("ORD-2.deadline-unknown",)
        (check,) = decision.obligations
        assert check.who == "online_cs"
        contacted = order(status="sent", paid_at=iso("2026-03-10 10:01"), finance_contacted=True)
        assert not judge(mall, "order", contacted, now=at("2026-06-10 10:00")).effects

    def test_ORD_3_out_of_stock(self, mall: Pack) -> None:
        """Out of stock: phone the customer to wait or change the goods."""
        decision = judge(mall, "order", order(status="paid", out_of_stock=True), now=at("2026-03-10 11:00"))
        assert "ORD-3.out-of-stock" in decision.rule_ids

    def test_ORD_4_self_pickup(self, mall: Pack) -> None:
        """Under 15 yuan or outside the delivery area: self pick-up."""
        now = at("2026-03-10 11:00")
        assert "ORD-4.small-order" in judge(mall, "order", order(status="paid", amount=14.9), now=now).rule_ids
        assert (
            "ORD-4.outside-area" in judge(mall, "order", order(status="paid", in_delivery_area=False), now=now).rule_ids
        )
        tuned = load_pack("mall", overrides={"order": {"min_delivery_amount": 10}})
        assert not judge(tuned, "order", order(status="paid", amount=14.9), now=now).obligations

    def test_ORD_5_urge_payment(self, online: Pack) -> None:
        """Not paid within 12 hours of the order (12小時之內沒有付款): remind the customer; at
        exactly 12 hours the order is still within them."""
        unpaid = order(status="unpaid")
        assert judge(online, "order", unpaid, now=at("2026-03-10 22:01")).rule_ids == ("ORD-5.urge-payment",)
        assert not judge(online, "order", unpaid, now=at("2026-03-10 22:00")).obligations

    def test_ORD_6_chat_changes_and_remote_areas(self, shop: Pack) -> None:
        """Changes agreed in chat are noted; the address is checked before shipping."""
        changed = order(
            status="paid", paid_at=iso("2026-03-10 10:01"), chat_changes=[{"kind": "address", "noted": False}]
        )
        decision = judge(shop, "order", changed)
        assert "ORD-6" in codes(decision)
        assert [o.rule_id for o in decision.obligations] == ["ORD-6.remote-area"]


# --------------------------------------------------------------------------- duties


class TestDuties:
    def _due(self, pack: Pack, duty_id: str, after: datetime) -> datetime:
        (entry,) = [d for d in pack.duties if d.id == duty_id]
        return entry.next_due(after)

    def test_DUTY_1_meetings(self, cc: Pack) -> None:
        """The all-agent meeting falls on the Friday before the 25th."""
        due = self._due(cc, "DUTY-1.all-agent-meeting", at("2026-03-01 00:00"))
        assert due.date().isoformat() == "2026-03-20"
        missed = judge(
            cc, "duty_record", duty("DUTY-1.all-agent-meeting", "2026-03-20 23:59:59"), now=at("2026-03-21 09:00")
        )
        assert "DUTY-1" in codes(missed)

    def test_DUTY_2_quality_report_by_the_22nd(self, cc: Pack) -> None:
        """The shift lead's monthly report is due by the 22nd; later is a violation."""
        assert self._due(cc, "DUTY-2.quality-report", at("2026-03-01 00:00")).day == 22
        late = duty("DUTY-2.quality-report", "2026-03-22 23:59:59", done_at=iso("2026-03-23 10:00"))
        assert "DUTY-2" in codes(judge(cc, "duty_record", late, now=at("2026-03-23 11:00")))

    def test_DUTY_3_qa_listening(self, cc: Pack) -> None:
        """Each agent is monitored at least once a month; reviews are recorded."""
        none = duty("DUTY-3.listening", "2026-03-31 23:59:59", owner="qa_inspector", count=0)
        assert "DUTY-3" in codes(judge(cc, "duty_record", none, now=at("2026-04-01 09:00")))
        assert [o.who for o in judge(cc, "qa_review", qa(recorded=False)).obligations] == ["qa_inspector"]

    def test_DUTY_4_weekly_rollup(self, cc: Pack) -> None:
        """The department head's weekly roll-up recurs weekly."""
        first = self._due(cc, "DUTY-4.weekly-rollup", at("2026-03-01 00:00"))
        assert self._due(cc, "DUTY-4.weekly-rollup", first) - first == timedelta(weeks=1)
        assert "DUTY-4" in codes(
            judge(cc, "duty_record", duty("DUTY-4.weekly-rollup", "2026-03-13 23:59:59"), now=at("2026-03-14 09:00"))
        )

    def test_DUTY_5_cleaning(self, cc: Pack) -> None:
        """The changing room is cleaned every Monday."""
        assert self._due(cc, "DUTY-5.changing-room", at("2026-03-10 00:00")).weekday() == 0

    def test_DUTY_6_daily_desk_start(self, online: Pack) -> None:
        """Yesterday's orders, messages and after-sales log every day."""
        assert {d.id for d in online.duties} == {
            "DUTY-6.check-orders",
            "DUTY-6.answer-messages",
            "DUTY-6.log-after-sales",
        }
        missed = duty("DUTY-6.answer-messages", "2026-03-10 23:59:59", owner="agent")
        assert "DUTY-6" in codes(judge(online, "duty_record", missed, now=at("2026-03-11 09:00")))

    def test_DUTY_7_products_known_before_sale(self, shop: Pack) -> None:
        """Training is due before the launch, and a launch before training is a violation."""
        record = {"agent_id": "E01", "product": "green tea", "on_sale_at": iso("2026-03-10 00:00")}
        (train,) = judge(shop, "training_record", record, now=at("2026-03-05 10:00")).obligations
        assert train.due == at("2026-03-10 00:00")
        assert "DUTY-7" in codes(judge(shop, "training_record", record, now=at("2026-03-10 10:00")))

    def test_DUTY_8_typing_speed(self, shop: Pack, online: Pack) -> None:
        """60 characters a minute in the shop, 50 in online support."""
        agent = {"agent_id": "X1", "typing_speed": 55}
        assert "DUTY-8" in codes(judge(shop, "agent", agent))
        assert "DUTY-8" not in codes(judge(online, "agent", agent))
