"""The built-in packs read their clauses as the source text says them.

Each class holds one clause whose reading is easy to get wrong: the night-shift deadline of
001 請假制度 六, the sick note of 五, the shift leads' consent of 換班制度 二, the discount
questions of 002 §10, the QA inspector's monthly listens (001 質檢員 3) and the customer's
rest hours for a planned callback (001 第四篇 二).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from csrules import FactError, PolicyError
from csrules._time.registry import get_calendar
from csrules.domain import facts as facts_module
from csrules.domain.facts import LeaveRequest
from csrules.domain.leave import NOTICE_RULES, assess_leave, notice_rule_for, notice_rules_for
from csrules.policies import load_pack
from csrules.testing import boundary_facts, facts

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=CST)
PROPERTY = settings(max_examples=80, deadline=None)

CALL_CENTRE = load_pack("call_centre")
CC = CALL_CENTRE.engine()
LEAVE = CALL_CENTRE.policy("call_centre.leave")


CHINA = get_calendar("china")


def covered_workday(request: LeaveRequest) -> bool:
    """Used with ``assume``: the leave's shift starts in a year the china calendar has a
    schedule for, on a day that is no public holiday (the pack reads holidays from it)."""
    day = request.shift_start.astimezone(CHINA.zone).date()
    return day.year in CHINA.holiday_years and not CHINA.is_holiday(day)


def in_covered_year(request: LeaveRequest) -> bool:
    """Used with ``assume``: the leave's shift starts in a year the china calendar covers."""
    return request.shift_start.astimezone(CHINA.zone).year in CHINA.holiday_years


def at(text: str) -> datetime:
    """``"2026-03-10 09:00"`` in Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def sick(**kw: Any) -> dict[str, Any]:
    """A one-day sick leave on 2026-03-05 (day shift), without a certificate unless given."""
    base: dict[str, Any] = {
        "agent_id": "A01",
        "kind": "sick",
        "requested_by": "A01",
        "start": at("2026-03-05 08:30").isoformat(),
        "end": at("2026-03-05 16:30").isoformat(),
        "requested_at": at("2026-03-05 07:00").isoformat(),
    }
    base.update(kw)
    return base


@st.composite
def night_requests_before_noon(draw: st.DrawFn) -> LeaveRequest:
    """Personal leave for a night shift (16:00-00:00), asked on the shift's own day before 12:00."""
    day = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
    asked = draw(st.times(min_value=time(0), max_value=time(11, 59, 59)))
    start = datetime.combine(day, time(16), tzinfo=CST)
    return LeaveRequest(
        agent_id="A01",
        kind=draw(st.sampled_from(["personal", "special_personal"])),
        requested_by="A01",
        night_shift=True,
        start=start,
        end=start + timedelta(hours=8),
        requested_at=datetime.combine(day, asked, tzinfo=CST),
    )


class TestNightShiftNotice:
    def test_night_request_before_noon_is_not_a_day_short(self) -> None:
        """Personal leave for tonight asked at 11:00 today breaks no notice rule; it needs a manager."""
        request = LeaveRequest(
            agent_id="A01",
            kind="personal",
            requested_by="A01",
            night_shift=True,
            start=at("2026-03-10 16:00"),
            end=at("2026-03-11 00:00"),
            requested_at=at("2026-03-10 11:00"),
        )
        decision = CC.evaluate(request, now=NOW)
        assert decision.violations == ()
        assert decision.approvers == ("department_head",)
        verdict = assess_leave(decision)
        assert (verdict.notice_rule, verdict.notice_met, verdict.absence_without_leave) == (
            "ATT-5.night-deadline",
            True,
            False,
        )

    @PROPERTY
    @given(night_requests_before_noon())
    def test_no_night_request_before_noon_is_flagged_by_the_day_notice(self, request: LeaveRequest) -> None:
        """Every night-shift request made before 12:00 that day is governed by 六 and meets it."""
        assume(covered_workday(request))
        decision = CC.evaluate(request, now=NOW)
        assert notice_rule_for(request) == "ATT-5.night-deadline"
        assert not any(v.rule_id.startswith("ATT-1.") for v in decision.violations)
        assert assess_leave(decision).notice_met

    @PROPERTY
    @given(boundary_facts(LEAVE, now=NOW) | facts("leave_request"))
    def test_only_the_governing_notice_rule_can_be_broken(self, request: LeaveRequest) -> None:
        """The pack reports a notice breach only from the rules notice_rules_for names."""
        assume(in_covered_year(request))
        decision = CC.evaluate(request, now=NOW)
        broken = {v.rule_id for v in decision.violations} & set(NOTICE_RULES)
        assert broken <= set(notice_rules_for(request))
        assert assess_leave(decision).notice_met == (not broken)

    def test_a_night_shift_on_a_holiday_needs_two_days(self) -> None:
        """A holiday night shift asked the morning before is governed by 七 (two days), not by 六."""
        request = LeaveRequest(
            agent_id="A01",
            kind="personal",
            requested_by="A01",
            night_shift=True,
            on_holiday=True,
            start=at("2026-10-01 16:00"),
            end=at("2026-10-02 00:00"),
            requested_at=at("2026-09-30 09:00"),
        )
        decision = CC.evaluate(request, now=NOW)
        assert notice_rule_for(request) == "ATT-6.holiday-notice"
        assert [v.rule_id for v in decision.violations] == ["ATT-6.holiday-notice"]


class TestSickNote:
    def test_missing_certificate_is_an_obligation_due_at_the_end_of_the_first_day_back(self) -> None:
        """Before the first day back has passed, a missing certificate is owed, not a breach."""
        decision = CC.evaluate(sick(), fact_type="leave_request", now=at("2026-03-05 18:00"))
        assert decision.violations == ()
        (owed,) = [o for o in decision.obligations if o.rule_id == "ATT-4.certificate"]
        assert (owed.who, owed.due) == ("agent", at("2026-03-07 00:00"))

    def test_violation_only_once_the_first_day_back_has_passed(self) -> None:
        """No note by midnight ending the first day back makes the sick leave not valid."""
        before = CC.evaluate(sick(), fact_type="leave_request", now=at("2026-03-06 23:59"))
        after = CC.evaluate(sick(), fact_type="leave_request", now=at("2026-03-07 00:01"))
        assert "ATT-4.certificate-missing" not in before.rule_ids
        (late,) = [v for v in after.violations if v.rule_id == "ATT-4.certificate-missing"]
        assert late.consequence is not None
        assert "不生效" in late.consequence.zh
        assert [o.rule_id for o in after.obligations] == []

    def test_a_note_on_the_evening_of_the_first_day_back_is_on_time(self) -> None:
        """A note handed in at 23:30 on the first day back is on time; at 00:30 the next day it is late."""
        evening = sick(certificate=True, certificate_handed_at=at("2026-03-06 23:30").isoformat())
        night = sick(certificate=True, certificate_handed_at=at("2026-03-07 00:30").isoformat())
        now = at("2026-03-08 09:00")
        assert CC.evaluate(evening, fact_type="leave_request", now=now).violations == ()
        assert "ATT-4.hand-in-late" in CC.evaluate(night, fact_type="leave_request", now=now).rule_ids

    def test_a_leave_ending_at_midnight_is_back_the_same_day(self) -> None:
        """A full-day leave ending at 00:00 makes that day the first day back."""
        request = LeaveRequest.model_validate(
            sick(start=at("2026-03-05 00:00").isoformat(), end=at("2026-03-06 00:00").isoformat())
        )
        assert request.first_day_back == at("2026-03-06 00:00")
        (owed,) = CC.evaluate(request, now=at("2026-03-06 09:00")).obligations
        assert owed.due == at("2026-03-07 00:00")

    def test_a_company_may_allow_more_days(self) -> None:
        """certificate_hand_in counts from the start of the first day back: 2d ends the second day."""
        pack = load_pack("call_centre", overrides={"leave": {"certificate_hand_in": "2d"}})
        decision = pack.engine().evaluate(sick(), fact_type="leave_request", now=at("2026-03-07 12:00"))
        assert decision.violations == ()
        assert [o.due for o in decision.obligations] == [at("2026-03-08 00:00")]

    def test_an_emergency_needs_no_certificate(self) -> None:
        """An emergency (急診) phoned in before the shift owes no certificate."""
        emergency = sick(emergency=True, phoned_shift_lead_at=at("2026-03-05 07:00").isoformat())
        decision = CC.evaluate(emergency, fact_type="leave_request", now=at("2026-03-09 09:00"))
        assert (decision.violations, decision.obligations) == ((), ())


def _night_premise_holds(request: LeaveRequest) -> bool:
    """Used with ``assume``: the request is a plain night shift (no holiday, no emergency)."""
    return request.night_shift and covered_workday(request) and not request.emergency


class TestNightShiftHelpers:
    @PROPERTY
    @given(facts("leave_request", night_shift=st.just(True), on_holiday=st.just(False), emergency=st.just(False)))
    def test_the_helper_names_the_night_rule_for_plain_night_shifts(self, request: LeaveRequest) -> None:
        """For a night shift that is neither a holiday nor an emergency, ATT-5 governs."""
        assume(_night_premise_holds(request))
        assert notice_rule_for(request) == "ATT-5.night-deadline"
        decision = CC.evaluate(request, now=NOW)
        assert not any(v.rule_id.startswith("ATT-1.") for v in decision.violations)


def swap(**kw: Any) -> dict[str, Any]:
    """A swap request between A01 and A02, with the given lead decisions and form."""
    base: dict[str, Any] = {
        "requester": {"agent_id": "A01"},
        "partner": {"agent_id": "A02"},
        "requester_shift": {"start": at("2026-03-10 08:30").isoformat(), "end": at("2026-03-10 16:30").isoformat()},
        "partner_shift": {"start": at("2026-03-12 08:30").isoformat(), "end": at("2026-03-12 16:30").isoformat()},
        "requested_at": at("2026-03-05 09:00").isoformat(),
        "form_filed": True,
    }
    base.update(kw)
    return base


class TestSwapConsent:
    def test_a_declining_lead_refuses_the_swap(self) -> None:
        """A lead who declines makes the swap a violation, not a pending approval."""
        decision = CC.evaluate(
            swap(requester_lead_decision="agreed", partner_lead_decision="declined"), fact_type="shift_swap"
        )
        assert [v.rule_id for v in decision.violations] == ["ATT-9.lead-declined"]
        assert decision.approvers == ()

    def test_an_unanswered_lead_leaves_the_swap_pending(self) -> None:
        """A lead who has not answered yet leaves the swap waiting for the shift lead."""
        decision = CC.evaluate(swap(requester_lead_decision="agreed"), fact_type="shift_swap")
        assert (decision.violations, decision.approvers) == ((), ("shift_lead",))

    def test_both_agreed_and_filed_is_clean(self) -> None:
        """Both leads agreed and the form filed: the swap stands."""
        agreed = swap(requester_lead_decision="agreed", partner_lead_decision="agreed")
        assert CC.evaluate(agreed, fact_type="shift_swap").is_clean

    def test_the_yes_no_form_still_works_and_cannot_contradict(self) -> None:
        """requester_lead_approved: true means agreed; together with declined it is refused as bad input."""
        request = facts_module.ShiftSwapRequest.model_validate(swap(requester_lead_approved=True))
        assert request.requester_lead_decision == "agreed"
        with pytest.raises(FactError, match="requester_lead_decision is 'declined'"):
            CC.evaluate(swap(requester_lead_approved=True, requester_lead_decision="declined"), fact_type="shift_swap")


SHOP = load_pack("ecommerce").engine()


class TestDiscountQuestions:
    def report(self, customer_type: str) -> dict[str, Any]:
        """A discount question of a customer of ``customer_type`` raised by a shop agent."""
        return {
            "raised_by": "agent",
            "topic": "discount_request",
            "customer_type": customer_type,
            "at": at("2026-03-10 10:00").isoformat(),
        }

    @pytest.mark.parametrize("customer_type", ["reseller", "wholesale", "other_trade"])
    def test_trade_customers_go_to_the_supervisor(self, customer_type: str) -> None:
        """代理、批發等: a reseller's or wholesale buyer's discount question goes to the CS supervisor."""
        decision = SHOP.evaluate(self.report(customer_type), fact_type="report")
        assert [e.to for e in decision.escalations] == ["cs_supervisor"]
        assert decision.recommendations == ()

    def test_an_ordinary_buyer_is_told_politely_there_is_no_discount(self) -> None:
        """An ordinary buyer is not transferred; the agent says kindly that there is no discount."""
        decision = SHOP.evaluate(self.report("ordinary"), fact_type="report")
        assert decision.escalations == ()
        (advice,) = decision.recommendations
        assert "不可以優惠" in advice.text.zh

    def test_a_company_may_narrow_the_trade_customers(self) -> None:
        """transfer_customer_types decides which customer types the 等 of the clause covers."""
        pack = load_pack("ecommerce", overrides={"report": {"transfer_customer_types": ["reseller", "wholesale"]}})
        decision = pack.engine().evaluate(self.report("other_trade"), fact_type="report")
        assert (decision.escalations, len(decision.recommendations)) == ((), 1)

    def test_an_agent_never_grants_a_discount(self) -> None:
        """Whoever asks, an agent's line granting a discount is an ESC-5 violation."""
        chat = {
            "call_id": "T1",
            "agent_id": "E01",
            "started_at": at("2026-03-10 10:00").isoformat(),
            "duration": "PT3M",
            "agent_lines": ["您好", "好的，给您优惠十元"],
        }
        assert "ESC-5.no-discount" in SHOP.evaluate(chat, fact_type="call_record").rule_ids


class TestPlannedCallbacks:
    def task(self, **kw: Any) -> dict[str, Any]:
        """A callback task for Ms Li, whose rest hours are 12:00-14:00 Beijing time."""
        base: dict[str, Any] = {
            "customer": "Ms Li",
            "created_at": at("2026-03-10 10:00").isoformat(),
            "rest_from": "12:00",
            "rest_to": "14:00",
        }
        base.update(kw)
        return base

    def test_a_callback_planned_in_rest_hours_is_refused_before_it_happens(self) -> None:
        """Scheduling a callback at 13:30, inside the rest hours, is a violation while nobody has called yet."""
        decision = CC.evaluate(
            self.task(planned_at=at("2026-03-10 13:30").isoformat()), fact_type="callback_task", now=NOW
        )
        (refused,) = [v for v in decision.violations if v.rule_id == "CB-1.planned-in-rest-hours"]
        assert refused.consequence is not None
        assert "refused" in refused.consequence.en

    def test_a_plan_is_read_in_the_customer_zone(self) -> None:
        """05:30 UTC is 13:30 in Beijing, inside the rest hours; 06:00 UTC is 14:00, outside."""
        inside = CC.evaluate(self.task(planned_at="2026-03-10T05:30:00+00:00"), fact_type="callback_task", now=NOW)
        outside = CC.evaluate(self.task(planned_at="2026-03-10T06:00:00+00:00"), fact_type="callback_task", now=NOW)
        assert "CB-1.planned-in-rest-hours" in inside.rule_ids
        assert "CB-1.planned-in-rest-hours" not in outside.rule_ids

    def test_a_call_made_is_judged_by_the_call_not_the_plan(self) -> None:
        """Once the call is made, only the time of the call counts (CB-1.rest-hours)."""
        made = self.task(
            planned_at=at("2026-03-10 13:00").isoformat(),
            called_at=at("2026-03-10 15:00").isoformat(),
            record_complete=True,
        )
        decision = CC.evaluate(made, fact_type="callback_task", now=at("2026-03-10 16:00"))
        assert decision.violations == ()


class TestMonthlyListens:
    def record(self, count: int) -> tuple[dict[str, Any], datetime]:
        """March's DUTY-3.listening record for agent A01 with ``count`` listens, judged on April 1."""
        fact = {
            "duty": "DUTY-3.listening",
            "owner": "qa_inspector",
            "due_at": at("2026-03-31 23:59:59").isoformat(),
            "subject": "A01",
            "count": count,
        }
        return fact, at("2026-04-01 09:00")

    def codes(self, engine: Any, count: int) -> list[str]:
        """The rule ids of the violations for a month with ``count`` listens."""
        fact, now = self.record(count)
        return [v.rule_id for v in engine.evaluate(fact, fact_type="duty_record", now=now).violations]

    def test_the_floor_is_checked(self) -> None:
        """Fewer listens than the floor at month end is a DUTY-3 violation; the floor itself is enough."""
        assert self.codes(CC, 0) == ["DUTY-3.listening"]
        assert self.codes(CC, 1) == []

    def test_no_maximum_unless_the_company_sets_one(self) -> None:
        """The source sets only a floor, so by default any number of listens is fine."""
        assert self.codes(CC, 40) == []

    def test_a_company_maximum_is_checked(self) -> None:
        """With a maximum of 5, a sixth listen breaks DUTY-3.listening-cap and a fifth does not."""
        pack = load_pack("call_centre", overrides={"duties": {"max_listens_per_agent": 5}})
        engine = pack.engine()
        assert self.codes(engine, 5) == []
        assert self.codes(engine, 6) == ["DUTY-3.listening-cap"]
        fact, now = self.record(6)
        (over,) = engine.evaluate(fact, fact_type="duty_record", now=now).violations
        assert "maximum" in over.message.en

    def test_a_company_picks_its_floor_within_one_to_five(self) -> None:
        """不少于1-5次: a floor of 3 makes two listens too few; a floor outside 1-5 is refused."""
        pack = load_pack("call_centre", overrides={"duties": {"min_listens_per_agent": 3}})
        assert self.codes(pack.engine(), 2) == ["DUTY-3.listening"]
        with pytest.raises(PolicyError):
            load_pack("call_centre", overrides={"duties": {"min_listens_per_agent": 6}})
