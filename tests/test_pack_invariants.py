"""Invariants of the built-in packs, written as properties over boundary and random facts."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel

from csrules import Policy, register_fact_type
from csrules._testing.strategies import without_derived
from csrules.testing import boundary_facts, facts

policies = pytest.importorskip("csrules.policies")
if not hasattr(policies, "load_pack"):  # pragma: no cover - the packs have not landed
    pytest.skip("the built-in packs are not available", allow_module_level=True)

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=CST)
PROPERTY = settings(max_examples=60, deadline=None)


@register_fact_type(name="pi_greeting")
class Greeting(BaseModel):
    """A call's opening line, for the session version of the 喂 ladder."""

    at: AwareDatetime
    opening: str


CALL_CENTRE = policies.load_pack("call_centre")
CC_ENGINE = CALL_CENTRE.engine()
LEAVE = CALL_CENTRE.policy("call_centre.leave")
WORK_ORDER = CALL_CENTRE.policy("call_centre.work_order")
MALL = policies.load_pack("mall")
MALL_ENGINE = MALL.engine()
MALL_CALL = MALL.policy("mall.call")


@cache
def leave_requests() -> st.SearchStrategy:
    """Leave requests at every threshold of the leave policy, and some random ones (built once:
    placing the policy's probes takes seconds, and each example of a composite draws from it)."""
    return boundary_facts(LEAVE, now=NOW) | facts("leave_request")


def changed(fact: BaseModel, **fields: object) -> BaseModel:
    """``fact`` with ``fields`` replaced, validated again (derived fields recomputed)."""
    model = type(fact)
    return model.model_validate(without_derived(model, {**fact.model_dump(), **fields}))


@st.composite
def long_leave(draw: st.DrawFn) -> BaseModel:
    """A leave request (at a threshold or random) made personal, special or sick, over one day."""
    fact = draw(leave_requests())
    kind = draw(st.sampled_from(["personal", "special_personal", "sick"]))
    days = draw(st.sampled_from([1.5, 2.0]) | st.floats(1.0, 60.0, exclude_min=True))
    # the leave spans at least its days (a model refuses more days than it spans)
    end = max(fact.end, fact.start + timedelta(days=math.ceil(days)))
    return changed(fact, kind=kind, days=days, end=end)


@st.composite
def short_notice_holiday_leave(draw: st.DrawFn) -> BaseModel:
    """A leave request on a holiday, requested less than two days before its shift starts."""
    fact = draw(leave_requests())
    ahead = draw(st.sampled_from([2 * 86400 - 1, 0]) | st.integers(-3 * 86400, 2 * 86400 - 1))
    shift_start = fact.shift_start or fact.start
    return changed(fact, on_holiday=True, requested_at=shift_start - timedelta(seconds=ahead))


class TestLeave:
    @PROPERTY
    @given(long_leave())
    def test_leave_over_one_day_always_needs_the_centre_director(self, fact):
        """Personal, special or sick leave of more than a day always needs the centre director,
        but his own, which nobody approves and which is flagged instead."""
        assert fact.kind in ("personal", "special_personal", "sick")
        assert fact.days > 1
        decision = CC_ENGINE.evaluate(fact, now=NOW)
        roles = CALL_CENTRE.roles
        if fact.requester_role in roles and roles.role(fact.requester_role).id == "centre_director":
            assert "centre_director" not in decision.approvers
            assert "ROLE-1.own-approval" in decision.rule_ids
        else:
            assert "centre_director" in decision.approvers

    @PROPERTY
    @given(short_notice_holiday_leave())
    def test_holiday_leave_asked_less_than_two_days_ahead_is_never_clean(self, fact):
        """Leave on a holiday requested under two days before the shift is never clean."""
        shift_start = fact.shift_start or fact.start
        assert fact.on_holiday
        assert shift_start - fact.requested_at < timedelta(days=2)
        assert not CC_ENGINE.evaluate(fact, now=NOW).is_clean


LADDER = {"shift_lead": 1, "department_head": 2}
OFFSETS = st.lists(
    st.sampled_from([-86400, -3600, -1, 0, 1, 3600, 86400]) | st.integers(-3 * 86400, 3 * 86400),
    min_size=2,
    max_size=5,
)


def owner_level(fact: object, now: datetime) -> int:
    """How far up the ESC-2 chain the order stands at ``now`` (0: still the agent's)."""
    decision = CC_ENGINE.evaluate(fact, now=now)
    return max(
        (LADDER[e.to] for e in decision.escalations if e.rule_id.startswith("ESC-2") and e.to in LADDER),
        default=0,
    )


class TestWorkOrder:
    @PROPERTY
    @given(boundary_facts(WORK_ORDER, now=NOW) | facts("work_order"), OFFSETS)
    def test_the_owner_only_moves_up_the_chain_as_time_passes(self, fact, offsets):
        """Later instants never put an unresolved order lower on the escalation chain."""
        instants = [NOW + timedelta(seconds=s) for s in sorted(offsets)]
        # a resolution recorded after an instant had not happened then: judge the order while unresolved
        resolved = fact.resolved_at
        levels = [owner_level(fact, at) for at in instants if resolved is None or at < resolved]
        assert levels == sorted(levels)


CONSEQUENCE = {"CON-1.wei-corrected": 1, "CON-1.wei-warned": 2, "CON-1.wei-fined": 3}


def consequence(fact: object) -> int:
    """How heavy the 喂 consequence is: corrected 1, warned 2, fined 3 (0: none)."""
    rules = MALL_ENGINE.evaluate(fact, now=NOW).rule_ids
    return max((CONSEQUENCE.get(rule, 0) for rule in rules), default=0)


class TestGreetingOffences:
    @PROPERTY
    @given(facts("call_record", agent_lines=st.just(["喂，您好"]), direction=st.just("inbound")),
           st.integers(0, 5), st.integers(0, 5))
    def test_more_earlier_offences_never_lighten_the_consequence(self, call, prior, more):
        """The n-th 喂 of a month answering a call is treated at least as heavily as any earlier
        one (a call the agent makes is not on the ladder: 接聽顧客)."""
        data = call.model_dump(exclude={"greeting", "greeting_offence_number"})  # derived
        first = type(call).model_validate({**data, "prior_greeting_offences": prior})
        later = type(call).model_validate({**data, "prior_greeting_offences": prior + more})
        assert 1 <= consequence(first) <= consequence(later)

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 27 * 24), st.booleans()), min_size=1, max_size=8))
    def test_a_session_offence_count_never_decreases_within_a_month(self, calls):
        """Run in a session, the 喂 count of a month only grows, so its level never drops."""
        sessions = pytest.importorskip("csrules._sessions")
        warn_at = MALL_CALL.param_values["warn_at"]
        fine_at = MALL_CALL.param_values["fine_at"]
        levels = {"CON-1.first": 1, "CON-1.warn": warn_at, "CON-1.fine": fine_at}
        policy = Policy(
            id="wei-month",
            version="1",
            title="喂 per month",
            fact_type="pi_greeting",
            rules=[
                {
                    "id": rule_id,
                    "title": rule_id,
                    "then": [{"type": "violation", "code": rule_id, "message": "喂"}],
                    "when": {
                        "kind": "count",
                        "window": {"calendar": "month"},
                        "op": ">=",
                        "value": level,
                        "match": {"kind": "contains", "path": "opening", "phrases": ["喂"]},
                    },
                }
                for rule_id, level in levels.items()
            ],
        )
        session = sessions.SessionEngine([policy], backend="python").session("M01")
        start = datetime(2026, 3, 1, 9, 0, tzinfo=CST)
        events = [
            (Greeting(at=start + timedelta(hours=h), opening="喂？" if wei else "您好"), start + timedelta(hours=h))
            for h, wei in sorted(calls)
        ]
        steps = [session.send(event, now=now) for event, now in events]
        reached = [
            max((levels[k.split(":", 1)[1]] for k in step.effect_keys), default=0)
            for step, (event, _) in zip(steps, events, strict=True)
            if "喂" in event.opening
        ]
        assert reached == sorted(reached)
        # the n-th 喂 of the month reaches the highest level at or below n
        assert reached == [max(v for v in levels.values() if v <= n) for n in range(1, len(reached) + 1)]
