"""Wrong answers of the built-in packs, each pinned by the fact that showed it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import PolicyError
from csrules._policy.model import Policy
from csrules.domain.leave import assess_leave
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 12, tzinfo=TZ)


def rules(pack: str, fact: dict[str, Any], fact_type: str, now: datetime = NOW) -> tuple[str, ...]:
    """The rule ids the pack's engine gives ``fact``."""
    return load_pack(pack).engine().evaluate(fact, fact_type=fact_type, now=now).rule_ids


def chat(line: str) -> dict[str, Any]:
    """An ecommerce chat whose second agent line is ``line`` (the first says 您 and 請, CON-4)."""
    return {"call_id": "T1", "agent_id": "E01", "started_at": "2026-03-10T10:00:00+08:00",
            "duration": "PT3M", "agent_lines": ["您好，請問", line]}


class TestEcommerceRefusals:
    """ESC-5 and CON-8 read the prescribed refusal and hedges as what they are."""

    @pytest.mark.parametrize("line", [
        "親，不好意思，不可以優惠哦", "抱歉，这个价格不可以便宜了", "本店不能给您打折的，请您谅解",
        "沒辦法給您優惠呢", "我们不能保证明天到，尽量给您发货", "不是絕對的，一般三天左右到", "不一定會到哦",
    ])
    def test_refusals_and_hedges_are_clean(self, line: str) -> None:
        """A refusal of a discount or a hedged promise breaks neither rule."""
        assert rules("ecommerce", chat(line), "call_record") == ()

    @pytest.mark.parametrize(("line", "rule"), [
        ("好的，給您優惠十元", "ESC-5.no-discount"), ("不可以便宜，但是给您优惠五元", "ESC-5.no-discount"),
        ("保證明天到", "CON-8.no-guarantees"), ("绝对没问题，明天一定能到", "CON-8.no-guarantees"),
    ])
    def test_grants_and_guarantees_still_fire(self, line: str, rule: str) -> None:
        """A discount granted or a flat guarantee is still found, also beside a refusal."""
        assert rule in rules("ecommerce", chat(line), "call_record")


def report(raised_by: str, topic: str = "major_error", **extra: Any) -> dict[str, Any]:
    """A call-centre report fact."""
    return {"raised_by": raised_by, "topic": topic, "at": "2026-03-10T10:00:00+08:00", **extra}


class TestRoleAliases:
    """The catalogue's aliases name their role; unknown roles are flagged, not read as agents."""

    @pytest.mark.parametrize(("raised_by", "to"), [
        ("班長", "escalation:department_head"), ("值班長", "escalation:department_head"),
        ("department_manager", "escalation:centre_director"), ("部門經理", "escalation:centre_director"),
        ("業務代表", "escalation:shift_lead"),
    ])
    def test_an_alias_escalates_like_its_role(self, raised_by: str, to: str) -> None:
        """A major error raised by an alias goes to that role's superior."""
        decision = load_pack("call_centre").engine().evaluate(report(raised_by), fact_type="report", now=NOW)
        assert to in decision.effect_keys
        assert "escalation:shift_lead" not in decision.effect_keys or to == "escalation:shift_lead"

    @pytest.mark.parametrize("raised_by", ["shiftlead", "nobody"])
    def test_an_unknown_role_is_flagged_not_escalated_as_an_agent(self, raised_by: str) -> None:
        """An unknown role gets ROLE-1 and no agent's escalation."""
        assert rules("call_centre", report(raised_by), "report") == ("ROLE-1.unknown-role",)

    def test_a_shift_lead_alias_meeting_a_difficult_customer_is_not_sent_to_a_shift_lead(self) -> None:
        """班長 resolves a difficult customer himself."""
        assert "ESC-3.difficult-customer" not in rules("call_centre", report("班長", "difficult_customer"), "report")

    @pytest.mark.parametrize("to", ["班長", "值班長", "shift_lead"])
    def test_leave_handed_to_a_shift_lead_alias_is_level_by_level(self, to: str) -> None:
        """Leave handed to the shift lead under any of its names skips no level."""
        got = set(rules("call_centre", leave(to), "leave_request"))
        assert not {"ATT-2.level-by-level", "ROLE-1.leave-unknown-role"} & got

    @pytest.mark.parametrize("to", ["部門組長", "本中心負責人"])
    def test_online_support_serious_complaint_reported_to_an_alias(self, to: str) -> None:
        """CMP-5: a serious complaint reported to the team lead's alias is reported."""
        pack = load_pack("online_support")
        names = {name for role in pack.roles for name in (role.id, *role.aliases)}
        assert to in names
        order = {"order_id": "W1", "opened_at": "2026-03-10T09:00:00+08:00", "first_handler": "A01",
                 "owner": "A01", "severity": "serious", "reported_to": to}
        assert not [r for r in rules("online_support", order, "work_order") if r.startswith("CMP-5")]


def leave(submitted_to: str, **extra: Any) -> dict[str, Any]:
    """A one-day personal leave asked four days ahead."""
    return {"agent_id": "A01", "kind": "personal", "start": "2026-03-05T08:30:00+08:00",
            "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00",
            "requested_by": "A01", "submitted_to": submitted_to, **extra}


class TestLevelByLevelLeave:
    """ATT-2: the first level is the requester's direct superior."""

    @pytest.mark.parametrize(("role", "to"), [
        ("shift_lead", "department_head"), ("qa_inspector", "客服部主任"), ("department_head", "centre_director"),
    ])
    def test_a_superior_asking_their_own_superior_skips_no_level(self, role: str, to: str) -> None:
        """A shift lead, QA inspector or department head hands leave one level up."""
        got = rules("call_centre", leave(to, requester_role=role), "leave_request", datetime(2026, 3, 1, 9, tzinfo=TZ))
        assert "ATT-2.level-by-level" not in got

    def test_an_agent_going_to_the_department_head_skips_a_level(self) -> None:
        """An agent's leave handed to the department head skipped the shift lead."""
        got = rules("call_centre", leave("department_head"), "leave_request", datetime(2026, 3, 1, 9, tzinfo=TZ))
        assert "ATT-2.level-by-level" in got

    def test_the_department_heads_own_leave_goes_to_the_centre_director(self) -> None:
        """The department head does not approve his own one-day leave."""
        got = rules("call_centre", leave("centre_director", requester_role="department_head"), "leave_request",
                    datetime(2026, 3, 1, 9, tzinfo=TZ))
        assert "ATT-2.centre-director" in got
        assert "ATT-2.department-head" not in got


class TestNightDeadline:
    """ATT-5: leave asked once a night shift has begun is late."""

    @pytest.mark.parametrize(("kind", "asked"),
                             [("personal", "07:00"), ("special_personal", "11:30"), ("sick", "06:00")])
    def test_leave_asked_during_or_after_a_midnight_shift_is_late(self, kind: str, asked: str) -> None:
        """A 00:00-08:00 night shift asked off at or after its start misses the deadline."""
        moment = datetime.fromisoformat(f"2026-03-05T{asked}:00+08:00")
        fact = {"agent_id": "A01", "kind": kind, "night_shift": True, "start": "2026-03-05T00:00:00+08:00",
                "end": "2026-03-05T08:00:00+08:00", "requested_at": moment.isoformat(), "requested_by": "A01"}
        decision = load_pack("call_centre").engine().evaluate(fact, fact_type="leave_request", now=moment)
        assert "ATT-5.night-deadline" in decision.rule_ids
        assert assess_leave(decision).notice_met is False

    def test_leave_asked_the_evening_before_a_midnight_shift_is_on_time(self) -> None:
        """Asked the day before the shift begins, the night leave is not late."""
        fact = {"agent_id": "A01", "kind": "personal", "night_shift": True, "start": "2026-03-05T00:00:00+08:00",
                "end": "2026-03-05T08:00:00+08:00", "requested_at": "2026-03-04T10:00:00+08:00", "requested_by": "A01"}
        assert "ATT-5.night-deadline" not in rules("call_centre", fact, "leave_request",
                                                   datetime(2026, 3, 4, 10, tzinfo=TZ))


def swap(day: int, **extra: Any) -> dict[str, Any]:
    """A March swap of A01's shift on ``day`` with A02's the day after."""
    return {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
            "requester_shift": {"start": f"2026-03-{day:02d}T08:30:00+08:00",
                                "end": f"2026-03-{day:02d}T16:30:00+08:00"},
            "partner_shift": {"start": f"2026-03-{day + 1:02d}T08:30:00+08:00",
                              "end": f"2026-03-{day + 1:02d}T16:30:00+08:00"},
            "requested_at": f"2026-03-{day - 3:02d}T09:00:00+08:00", **extra}


class TestDeclinedSwap:
    """ATT-9: a declined request is no swap, stateless as in the session."""

    @pytest.mark.parametrize("side", ["requester_lead_decision", "partner_lead_decision"])
    def test_a_declined_third_request_breaks_no_monthly_limit(self, side: str) -> None:
        """Stateless ATT-9.monthly-limit ignores a request a lead declined."""
        got = rules("call_centre", swap(16, swaps_this_month=2, **{side: "declined"}), "shift_swap")
        assert "ATT-9.monthly-limit" not in got
        assert "ATT-9.lead-declined" in got

    def test_session_and_stateless_agree(self) -> None:
        """Three requests, the third declined: neither way reports a monthly limit."""
        session = load_pack("call_centre").sessions(backend="python").session("A01")
        results = [session.send(swap(day, **extra), fact_type="shift_swap", now=NOW)
                   for day, extra in [(5, {}), (10, {}), (16, {"requester_lead_decision": "declined"})]]
        assert not [r for r in results[-1].rule_ids if r == "ATT-9.swaps-per-month"]
        assert "ATT-9.monthly-limit" not in rules(
            "call_centre", swap(16, swaps_this_month=2, requester_lead_decision="declined"), "shift_swap")


def night_shift(start: datetime, name: str) -> dict[str, Any]:
    """An ecommerce shift of eight hours from ``start``."""
    return {"agent_id": "E01", "shift": name, "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(), "swapped": False}


class TestSixOnOneOff:
    """ATT-12 session: a calendar rest day taken is never a violation."""

    def test_night_shifts_rest_day_then_day_shift(self) -> None:
        """Six nights, a whole day of rest, then a day shift: no finding."""
        session = load_pack("ecommerce").sessions(backend="python").session("E01")
        starts = [datetime(2026, 3, day, 16, tzinfo=TZ) for day in range(2, 8)]
        starts.append(datetime(2026, 3, 9, 8, 30, tzinfo=TZ))
        got = [session.send(night_shift(s, "night" if s.hour == 16 else "day"), now=s,
                            fact_type="shift_assignment").rule_ids for s in starts]
        assert got == [()] * 7

    def test_seven_days_in_one_week_fire(self) -> None:
        """Seven shifts from Monday to Sunday: no rest day that week."""
        session = load_pack("ecommerce").sessions(backend="python").session("E01")
        starts = [datetime(2026, 3, day, 9, tzinfo=TZ) for day in range(2, 9)]
        got = [session.send(night_shift(s, "day"), now=s, fact_type="shift_assignment").rule_ids for s in starts]
        assert got[-1] == ("ATT-12.shifts-per-cycle",)
        assert got[:-1] == [()] * 6


def order(**extra: Any) -> dict[str, Any]:
    """A 10-yuan mall order placed the day before."""
    return {"order_no": "O1", "placed_at": "2026-03-10T10:00:00+08:00", "amount": 10, **extra}


class TestMallOrdersOutOfDispatch:
    """ORD-3 / ORD-4 concern orders still to be dispatched."""

    @pytest.mark.parametrize("status", ["cancelled", "completed", "sent"])
    def test_no_pick_up_or_stock_call_for_a_finished_order(self, status: str) -> None:
        """A cancelled, completed or sent order gets no ORD-3 or ORD-4 duty."""
        got = rules("mall", order(status=status, out_of_stock=True, in_delivery_area=False), "order",
                    datetime(2026, 3, 11, 10, tzinfo=TZ))
        assert not [r for r in got if r.startswith(("ORD-3", "ORD-4"))]

    def test_a_paid_small_order_still_gets_the_pick_up_call(self) -> None:
        """A paid 10-yuan order is still sent to the pick-up point."""
        got = rules("mall", order(status="paid", paid_at="2026-03-10T10:05:00+08:00"), "order",
                    datetime(2026, 3, 11, 10, tzinfo=TZ))
        assert "ORD-4.small-order" in got


def complaint(**extra: Any) -> dict[str, Any]:
    """A founded complaint with one proposal."""
    return {"order_id": "W1", "opened_at": "2026-03-10T09:00:00+08:00", "first_handler": "A01", "owner": "A01",
            "founded": True, "proposals": ["refund"], "approved_proposal": 0, **extra}


class TestSupervisingLeaderApproval:
    """CMP-1: only the department head or above approves a proposal."""

    @pytest.mark.parametrize("approver", ["agent", "A01", "shift_lead"])
    def test_an_approval_below_the_leader_is_none(self, approver: str) -> None:
        """Handling on an agent's, a staff number's or a shift lead's approval breaks CMP-1."""
        got = rules("call_centre", complaint(status="handling", approved_by=approver), "work_order")
        assert "CMP-1.no-unapproved-handling" in got

    @pytest.mark.parametrize("approver", ["department_head", "客服部主任", "centre_director"])
    def test_the_leaders_approval_counts(self, approver: str) -> None:
        """The department head (any alias) or the centre director approves."""
        got = rules("call_centre", complaint(status="handling", approved_by=approver), "work_order")
        assert "CMP-1.no-unapproved-handling" not in got
        assert "CMP-1.leader-approval" not in got


class TestLevelsUpFromRoles:
    """ESC-3 data facts: levels_up the role chain contradicts is flagged."""

    def test_agent_to_centre_director_with_default_levels_is_flagged(self) -> None:
        """An agent's report to the centre director left at levels_up 1 is not clean."""
        assert rules("call_centre", report("agent", "beyond_remit", addressed_to="centre_director"), "report")

    def test_counted_levels_judge_the_skip(self) -> None:
        """With levels_up counted by the catalogue, ESC-3 finds the skipped levels."""
        fact = load_pack("call_centre").roles.report(raised_by="agent", addressed_to="centre_director",
                                                     topic="beyond_remit", at=NOW)
        assert rules("call_centre", fact.model_dump(), "report") == ("ESC-3.level-by-level",)


class TestOrderedParameters:
    """Parameter pairs out of order are refused at load, naming both."""

    @pytest.mark.parametrize(("pack", "overrides", "names"), [
        ("call_centre", {"duties": {"min_listens_per_agent": 5, "max_listens_per_agent": 2}},
         ("min_listens_per_agent", "max_listens_per_agent")),
        ("mall", {"call": {"warn_at": 3, "fine_at": 2}}, ("warn_at", "fine_at")),
        ("mall", {"call_session": {"warn_at": 3, "fine_at": 3}}, ("warn_at", "fine_at")),
        ("online_support", {"call": {"target_length": "10min"}}, ("target_length", "max_length")),
        ("online_support", {"call": {"pickup_rings": 6}}, ("pickup_rings", "apology_rings")),
    ])
    def test_inverted_pair_is_refused(self, pack: str, overrides: dict[str, dict[str, Any]],
                                      names: tuple[str, str]) -> None:
        """Loading with the pair inverted raises a PolicyError naming both parameters."""
        with pytest.raises(PolicyError) as caught:
            load_pack(pack, overrides=overrides)
        assert all(name in str(caught.value) for name in names)

    def test_pairs_in_order_load(self) -> None:
        """Moved but ordered values load."""
        assert load_pack("mall", overrides={"call": {"warn_at": 2, "fine_at": 5}})
        assert load_pack("call_centre", overrides={"duties": {"min_listens_per_agent": 3, "max_listens_per_agent": 3}})


class TestNightShiftByName:
    """ATT-12.night-stays: a shift named night in the pattern is a night shift."""

    def test_night_named_shift_without_flag(self) -> None:
        """Leaving a night shift at 23:55 with a customer still served breaks the rule."""
        fact = {"agent_id": "E02", "shift": "night", "start": "2026-03-10T16:00:00+08:00",
                "end": "2026-03-11T00:00:00+08:00", "customer_in_service_at_end": True,
                "left_at": "2026-03-10T23:55:00+08:00"}
        assert "ATT-12.night-stays" in rules("ecommerce", fact, "shift_assignment")

    def test_the_patterns_night_shifts_are_the_parameters(self) -> None:
        """Every shift the pack's patterns mark night is named in night_shifts."""
        pack = load_pack("ecommerce")
        night = {s.name for p in pack.shift_patterns.values() for s in p.shifts if s.night}
        assert night
        assert night <= set(pack.policy("shifts").param_values["night_shifts"])


class TestItemsCountOnce:
    """Keyed session counts: an item sent again replaces what was counted for it."""

    def test_the_same_call_resent_does_not_climb_the_ladder(self) -> None:
        """One 喂 call delivered three times is corrected three times, never warned or fined."""
        session = load_pack("mall").sessions(backend="python").session("M01")
        call = {"call_id": "C-100", "agent_id": "M01", "started_at": "2026-03-10T10:00:00+08:00",
                "duration": "PT1M", "agent_lines": ["喂，你好", "請稍等，謝謝"]}
        got = [session.send(call, now=NOW, fact_type="call_record").rule_ids for _ in range(3)]
        assert got == [("CON-1.month-corrected",)] * 3

    def test_a_swap_resent_when_agreed_counts_once(self) -> None:
        """Request 1 pending then agreed, then request 2: two swaps, no ATT-9."""
        session = load_pack("call_centre").sessions(backend="python").session("A01")
        sends = [swap(5, requester_lead_decision="pending"), swap(5, requester_lead_decision="agreed"),
                 swap(10, requester_lead_decision="pending")]
        got = [session.send(s, fact_type="shift_swap", now=NOW).rule_ids for s in sends]
        assert not [r for ids in got for r in ids if r == "ATT-9.swaps-per-month"]

    def test_a_swap_later_declined_stops_counting(self) -> None:
        """Two swaps, one re-sent declined, then a third: only two real swaps, no ATT-9."""
        session = load_pack("call_centre").sessions(backend="python").session("A01")
        sends = [swap(5), swap(10), swap(10, requester_lead_decision="declined"), swap(16)]
        got = [session.send(s, fact_type="shift_swap", now=NOW).rule_ids for s in sends]
        assert "ATT-9.swaps-per-month" not in got[-1]

    def test_a_third_distinct_swap_still_counts(self) -> None:
        """Three distinct agreed swaps in March break the monthly limit."""
        session = load_pack("call_centre").sessions(backend="python").session("A01")
        got = [session.send(swap(day), fact_type="shift_swap", now=NOW).rule_ids for day in (5, 10, 16)]
        assert "ATT-9.swaps-per-month" in got[-1]

    def test_an_unknown_key_path_is_refused(self) -> None:
        """A count keyed by a field the fact type lacks is refused, naming the path."""
        data = load_pack("mall").policy("call_session").model_dump(mode="python", exclude_unset=True)
        data["rules"][0]["when"]["of"][1]["key"] = "call_number"
        with pytest.raises(PolicyError, match="call_number"):
            Policy(**data)


def as_partner_sees_it(fact: dict[str, Any]) -> dict[str, Any]:
    """``fact`` with the two sides exchanged, as the partner's session is sent it."""
    sides = {"requester": "partner", "partner": "requester", "requester_shift": "partner_shift",
             "partner_shift": "requester_shift", "requester_lead_decision": "partner_lead_decision",
             "partner_lead_decision": "requester_lead_decision"}
    return {sides.get(name, name): value for name, value in fact.items()}


class TestPartnerMonth:
    """ATT-9 session: a partner's swap counts in the month of the partner's own shift."""

    def test_partner_swap_counts_in_the_partners_month(self) -> None:
        """A01 gives away two April shifts and, as partner, a third in April: the limit breaks."""
        session = load_pack("call_centre").sessions(backend="python").session("A01")

        def own(day: str, other: str) -> dict[str, Any]:
            return {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
                    "requester_shift": {"start": f"2026-04-{day}T08:30:00+08:00",
                                        "end": f"2026-04-{day}T16:30:00+08:00"},
                    "partner_shift": {"start": f"{other}T08:30:00+08:00", "end": f"{other}T16:30:00+08:00"},
                    "requested_at": "2026-03-20T09:00:00+08:00"}
        partner = {"requester": {"agent_id": "A03"}, "partner": {"agent_id": "A01"},
                   "requester_shift": {"start": "2026-03-31T08:30:00+08:00", "end": "2026-03-31T16:30:00+08:00"},
                   "partner_shift": {"start": "2026-04-01T08:30:00+08:00", "end": "2026-04-01T16:30:00+08:00"},
                   "requested_at": "2026-03-20T09:00:00+08:00"}
        sends = [own("03", "2026-04-04"), own("10", "2026-04-11"), as_partner_sees_it(partner)]
        got = [session.send(s, fact_type="shift_swap", now=NOW).rule_ids for s in sends]
        assert got[-1] == ("ATT-9.swaps-per-month",)
