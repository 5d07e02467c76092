"""Complaint handling, callbacks and the work-order ladder as a host drives them: wrong answers
that looked right and inputs that were silently accepted (sources 001 第二篇 二, 第四篇 二-三)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules.domain import ComplaintStep
from csrules.domain.escalation import EscalationLadder
from csrules.domain.facts import CallbackTask, WorkOrder
from csrules.exceptions import FactError, PolicyError, TimeError
from csrules.policies import load_pack
from tests.columnar_support import assert_same, decisions

OPENED = "2026-03-10T09:00:00+08:00"


def at(text: str) -> datetime:
    """An aware instant from its ISO text."""
    return datetime.fromisoformat(text)


def judge(fact: dict[str, Any], now: str, fact_type: str) -> tuple[str, ...]:
    """The rules of the call-centre pack that fire on ``fact`` at ``now``."""
    return load_pack("call_centre").engine().evaluate(fact, now=at(now), fact_type=fact_type).rule_ids


def order(**fields: Any) -> dict[str, Any]:
    """A registered founded work order approved by the department head, with ``fields``."""
    base: dict[str, Any] = {
        "order_id": "W1", "opened_at": OPENED, "first_handler": "A01", "owner": "A01",
        "complainant": "Ms Li", "content": "line down", "founded": True, "responsible_department": "network",
        "customer_asked_for_time": True, "proposals": ["refund"], "approved_proposal": 0,
        "approved_by": "department_head",
    }
    return {**base, **fields}


class TestKeyCustomerCallback:
    """CB-1's 100 % callback of key customers runs on the callback's three days only."""

    def test_assigned_key_customer_has_the_week(self) -> None:
        """A key customer assigned four days ago and not yet contacted is within CB-2's week: no critical CB-1."""
        fact = {"customer": "Acme", "kind": "assigned_customer", "key_customer": True, "created_at": OPENED}
        assert judge(fact, "2026-03-14T10:00:00+08:00", "callback_task") == ("CB-2.first-contact",)

    def test_key_customer_callback_still_breaks_after_three_days(self) -> None:
        """A key customer's callback not made after three days is still the critical CB-1 finding."""
        fact = {"customer": "Acme", "key_customer": True, "created_at": OPENED}
        assert "CB-1.key-customers" in judge(fact, "2026-03-14T10:00:00+08:00", "callback_task")


class TestFollowUpLate:
    """A founded complaint's follow-up call comes within follow_up_within (3 days) of the result."""

    def test_follow_up_ten_days_late_is_found(self) -> None:
        """An archived order followed up ten days after the result breaks CB-1."""
        fact = order(status="archived", resolved_at="2026-03-11T09:00:00+08:00",
                     follow_up_at="2026-03-21T09:00:00+08:00")
        assert "CB-1.follow-up-late" in judge(fact, "2026-03-22T10:00:00+08:00", "work_order")

    def test_exactly_three_days_written_in_utc_is_on_time(self) -> None:
        """A follow-up exactly three days after the result, written in UTC, is on time."""
        fact = order(status="archived", resolved_at="2026-03-11T09:00:00+08:00",
                     follow_up_at="2026-03-14T01:00:00+00:00")
        assert "CB-1.follow-up-late" not in judge(fact, "2026-03-15T10:00:00+08:00", "work_order")

    def test_missing_follow_up_breaks_one_second_after(self) -> None:
        """No follow-up at three days is not yet late; one second later it is."""
        fact = order(status="follow_up", resolved_at="2026-03-11T01:00:00+00:00")
        assert "CB-1.follow-up-late" not in judge(fact, "2026-03-14T09:00:00+08:00", "work_order")
        assert "CB-1.follow-up-late" in judge(fact, "2026-03-14T09:00:01+08:00", "work_order")


class TestTimesInOrder:
    """A step of a work order dated before what it follows is refused, naming both."""

    @pytest.mark.parametrize("field", ["resolved_at", "replied_at", "solution_at", "follow_up_at"])
    def test_work_order_step_before_opening(self, field: str) -> None:
        """A work order resolved, replied to, solved or followed up before it was opened is refused."""
        with pytest.raises(FactError, match=f"{field} comes before opened_at"):
            judge(order(**{field: "2026-03-01T09:00:00+08:00"}), "2026-03-12T10:00:00+08:00", "work_order")

    def test_escalation_before_opening(self) -> None:
        """A hand-off up the ladder dated before the order was opened is refused."""
        steps = [{"at": "2026-03-10T00:59:00+00:00", "to_role": "shift_lead", "chase_record": "t1"}]
        with pytest.raises(FactError, match=r"escalations\.at comes before opened_at"):
            judge(order(escalations=steps), "2026-03-12T10:00:00+08:00", "work_order")

    def test_follow_up_before_result(self) -> None:
        """A follow-up call before the result it follows up is refused."""
        fact = order(resolved_at="2026-03-11T09:00:00+08:00", follow_up_at="2026-03-11T08:00:00+08:00")
        with pytest.raises(FactError, match="follow_up_at comes before resolved_at"):
            judge(fact, "2026-03-12T10:00:00+08:00", "work_order")

    def test_same_instant_in_another_offset_is_accepted(self) -> None:
        """A resolution at the very instant of opening, written in UTC, is accepted."""
        assert WorkOrder.model_validate(order(resolved_at="2026-03-10T01:00:00+00:00")).resolved_at is not None


class TestRestHours:
    """The customer's rest hours need both ends."""

    def test_half_given_rest_hours(self) -> None:
        """A start of rest without an end is refused instead of meaning no rest hours."""
        with pytest.raises(ValueError, match="rest_from and rest_to are given together"):
            CallbackTask(customer="Li", created_at=at(OPENED), rest_from=time(12))


class TestLadderOrder:
    """ESC-2's department-manager step comes after the shift lead's, whatever the overrides."""

    def test_inverted_overrides_are_refused(self) -> None:
        """Moving the shift lead's step past the manager's is refused, naming the policy and both values."""
        with pytest.raises(PolicyError, match=r"work_order'.*manager_after \(24h\).*shift_lead_after \(48h\)"):
            load_pack("call_centre", overrides={"work_order": {"shift_lead_after": "48h", "manager_after": "24h"}})

    def test_equal_steps_in_the_session_policy_are_refused(self) -> None:
        """Equal steps in the session policy are refused too: the shift lead would never hold the order alone."""
        with pytest.raises(PolicyError, match="work_order_session"):
            load_pack("call_centre", overrides={
                "work_order_session": {"shift_lead_after": "1d", "manager_after": "24h"}
            })

    def test_ordered_overrides_move_both_steps(self) -> None:
        """Ordered overrides are accepted and move the steps."""
        pack = load_pack("call_centre", overrides={"work_order": {"shift_lead_after": "12h", "manager_after": "36h"}})
        fact = order(founded=None, proposals=[], approved_proposal=None, approved_by=None)
        decision = pack.engine().evaluate(fact, now=at(OPENED) + timedelta(hours=13), fact_type="work_order")
        assert "ESC-2.shift-lead" in decision.rule_ids


class TestEmptyApprover:
    """An approval names who approved: an empty name is no approval."""

    def test_empty_approver_on_a_step(self) -> None:
        """An approve step with an empty approved_by is refused instead of passing the guard."""
        with pytest.raises(ValueError, match="approved_by"):
            ComplaintStep(event="approve", approved_by="")

    def test_empty_approver_on_a_work_order(self) -> None:
        """A work order approved by '' is refused instead of counting as approved."""
        with pytest.raises(FactError, match="approved_by"):
            judge(order(status="handling", approved_by=""), "2026-03-10T10:00:00+08:00", "work_order")


NEW_YORK = ZoneInfo("America/New_York")


def ladder() -> EscalationLadder:
    """The ESC-2 ladder of the call-centre pack's work-order policy."""
    return EscalationLadder.from_policy(load_pack("call_centre").policy("call_centre.work_order"))


class TestLadderPosition:
    """EscalationLadder.position reads instants in real time and refuses what it cannot place."""

    def test_now_in_the_repeated_hour_after_opening(self) -> None:
        """Forty minutes after an order opened at 01:30 EDT, at 01:10 EST, the agent holds it (no error)."""
        opened = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
        position = ladder().position(opened, datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=NEW_YORK))
        assert (position.owner_role, position.next_role) == ("agent", "shift_lead")

    def test_resolution_after_now_in_the_repeated_hour(self) -> None:
        """A resolution at 01:20 EST comes after now at 01:40 EDT: the order still has its next step."""
        opened = datetime(2026, 11, 1, 1, 5, tzinfo=NEW_YORK)
        now = datetime(2026, 11, 1, 1, 40, tzinfo=NEW_YORK)
        position = ladder().position(opened, now, resolved_at=datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=NEW_YORK))
        assert position.next_role == "shift_lead"

    def test_naive_resolution_is_a_time_error(self) -> None:
        """A resolution time without a zone is a TimeError naming resolved_at, not a TypeError."""
        with pytest.raises(TimeError, match="resolved_at must be timezone-aware"):
            ladder().position(at(OPENED), at("2026-03-12T10:00:00+08:00"), resolved_at=datetime(2026, 3, 10, 12))

    def test_resolution_before_opening_is_refused(self) -> None:
        """A resolution before the order opened is refused instead of reading as resolved at once."""
        with pytest.raises(TimeError, match=r"resolved_at \(2026-03-01"):
            ladder().position(at(OPENED), at("2026-03-12T10:00:00+08:00"), resolved_at=at("2026-03-01T09:00:00+08:00"))

    def test_text_now_is_a_time_error(self) -> None:
        """A now given as text is a TimeError naming now, not an AttributeError."""
        with pytest.raises(TimeError, match="now must be an aware datetime"):
            ladder().position(at(OPENED), "2026-03-12")  # type: ignore[arg-type]


class TestOneCallbackNumber:
    """CB-1's three days are one number for callbacks, the lifecycle and the work-order follow-up."""

    @pytest.mark.parametrize(
        "overrides",
        [
            {"callback": {"callback_within": "2d"}},
            {"cmp-1": {"callback_within": "2d"}},
            {"work_order": {"follow_up_within": "2d"}},
        ],
    )
    def test_any_override_moves_all_three(self, overrides: dict[str, dict[str, str]]) -> None:
        """Overriding any of the three callback limits moves the other two with it."""
        pack = load_pack("call_centre", overrides=overrides)
        limits = (
            pack.policy("call_centre.work_order").param_values["follow_up_within"],
            pack.policy("call_centre.callback").param_values["callback_within"],
            pack.lifecycle_params["cmp-1"]["callback_within"],
        )
        assert [str(limit) for limit in limits] == ["2d", "2d", "2d"]


class TestSeverityReports:
    """CMP-5 of the online-support pack: a complaint is reported up to its severity's role or above."""

    @staticmethod
    def case(severity: str, reported_to: str) -> tuple[str, ...]:
        """The escalations of a case of ``severity`` reported to ``reported_to``."""
        fact = {"order_id": "K1", "opened_at": OPENED, "first_handler": "S01", "owner": "S01",
                "severity": severity, "reported_to": reported_to}
        decision = load_pack("online_support").engine().evaluate(fact, now=at(OPENED), fact_type="work_order")
        return tuple(e.to for e in decision.escalations)

    def test_critical_reported_only_to_the_team_lead(self) -> None:
        """A critical complaint reported to the team lead still goes to the head of the centre."""
        assert self.case("critical", "team_lead") == ("cs_supervisor",)

    def test_serious_reported_to_an_agent(self) -> None:
        """A serious complaint 'reported' to an agent still goes to the team lead."""
        assert self.case("serious", "agent") == ("team_lead",)

    def test_reported_to_the_role_or_above(self) -> None:
        """Reported to its role or a higher one, a complaint needs no further escalation."""
        assert self.case("critical", "cs_manager") == ()
        assert self.case("serious", "team_lead") == ()


class TestColumnarAudits:
    """Columnar audits refuse the same out-of-order work-order times and half-given rest hours as the models."""

    def test_work_orders_agree(self) -> None:
        """Steps before opening, and a follow-up before the result, are the same problems on both paths."""
        early = "2026-03-10T00:59:00+00:00"
        facts = [order(), order(resolved_at=early), order(replied_at=early), order(solution_at=early),
                 order(escalations=[{"at": early, "to_role": "shift_lead", "chase_record": "t"}]),
                 order(resolved_at="2026-03-11T09:00:00+08:00", follow_up_at="2026-03-11T00:59:00+00:00"),
                 order(resolved_at="2026-03-11T09:00:00+08:00", follow_up_at="2026-03-11T01:00:00+00:00")]
        engine = load_pack("call_centre").engine()
        assert_same(engine, "work_order", facts)
        invalid = decisions(engine, "work_order", facts, columnar=True).filter(outcome="invalid")["row"].to_list()
        assert invalid == [2, 3, 4, 5, 6]

    def test_callbacks_agree(self) -> None:
        """Half-given rest hours are the same problem on both paths."""
        early = "2026-03-10T00:59:00+00:00"
        base = {"customer": "Li", "created_at": OPENED}
        facts = [base, {**base, "rest_from": "12:00"}, {**base, "rest_to": "08:00", "called_at": early},
                 {**base, "rest_from": "22:00", "rest_to": "08:00"}]
        engine = load_pack("call_centre").engine()
        assert_same(engine, "callback_task", facts)
        invalid = decisions(engine, "callback_task", facts, columnar=True).filter(outcome="invalid")["row"].to_list()
        assert invalid == [2, 3]
