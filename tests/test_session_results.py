"""Session step results view their effects as decisions do: approvals of one role merged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import csrules
from csrules._sessions import SessionEngine
from tests.test_session_support import BACKENDS, CLOSED, SWAP, Shift, WorkOrder, at

APPROVE_LEAD: dict[str, Any] = {"type": "approval", "role": "shift_lead"}

SWAPS: dict[str, Any] = {
    "id": "swap-approval", "version": "1.0", "fact_type": "sess_shift",
    "title": {"en": "Swaps need the shift lead", "zh": "換班需班長批准"},
    "rules": [
        {"id": "any-swap", "title": "a swap",
         "when": SWAP,
         "then": [APPROVE_LEAD, {"type": "escalation", "to": "planner"}]},
        {"id": "second-swap", "title": "a second swap this month",
         "when": {"kind": "count", "match": SWAP, "window": {"calendar": "month"},
                  "op": ">=", "value": 2},
         "then": [APPROVE_LEAD, {"type": "approval", "role": "manager"}]},
    ],
}

OPEN_ORDERS: dict[str, Any] = {
    "id": "open-orders", "version": "1.0", "fact_type": "sess_work_order",
    "title": {"en": "Open orders need the shift lead", "zh": "逾時工單需班長處理"},
    "rules": [
        {"id": rule_id, "title": rule_id,
         "when": {"kind": "still_open", "key": "order_id", "since": "opened_at",
                  "after": "24h", "closed": CLOSED},
         "then": [APPROVE_LEAD]}
        for rule_id in ("first", "second")
    ],
}


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> SessionEngine:
    """A session engine with both policies on each installed backend."""
    policies = [csrules.Policy(**SWAPS), csrules.Policy(**OPEN_ORDERS)]
    return SessionEngine(policies, backend=request.param)


class TestMergedApprovals:
    """Approvals asking the same role in one step are merged, as in a Decision."""

    def test_event_approvals_of_one_role_are_merged(self, engine: SessionEngine) -> None:
        """Two rules asking the shift lead in one event give one approval listing both rules."""
        agent = engine.session("a1")
        agent.send(Shift(agent="a1", at=at(2), swapped=True), now=at(2))
        result = agent.send(Shift(agent="a1", at=at(3), swapped=True), now=at(3))
        assert [(a.role, a.rules) for a in result.approvals] == [
            ("shift_lead", ("any-swap", "second-swap")), ("manager", ("second-swap",))]
        assert result.approvers == ("shift_lead", "manager")
        assert result.effect_keys == (
            "approval:shift_lead", "escalation:planner", "approval:manager")

    def test_firings_keep_each_rules_own_effects(self, engine: SessionEngine) -> None:
        """Each firing still lists its own approval, unmerged."""
        agent = engine.session("a1")
        agent.send(Shift(agent="a1", at=at(2), swapped=True), now=at(2))
        result = agent.send(Shift(agent="a1", at=at(3), swapped=True), now=at(3))
        own = [[e.key for e in f.effects] for f in result.firings]
        assert own == [["approval:shift_lead", "escalation:planner"],
                       ["approval:shift_lead", "approval:manager"]]

    def test_a_single_rules_approval_lists_that_rule(self, engine: SessionEngine) -> None:
        """One rule asking a role gives one approval whose rules name that rule alone."""
        result = engine.session("a1").send(Shift(agent="a1", at=at(2), swapped=True), now=at(2))
        assert [(a.role, a.rules) for a in result.approvals] == [("shift_lead", ("any-swap",))]

    def test_tick_approvals_of_one_role_are_merged(self, engine: SessionEngine) -> None:
        """Two deadline rules asking the shift lead at one tick give one merged approval."""
        desk = engine.session("desk")
        desk.send(WorkOrder(order_id="w1", status="open", opened_at=at(2)), now=at(2))
        result = desk.tick(at(2) + timedelta(hours=25))
        assert [f.rule_id for f in result.firings] == ["first", "second"]
        assert [(a.role, a.rules) for a in result.approvals] == [("shift_lead", ("first", "second"))]
        assert result.effect_keys == ("approval:shift_lead",)
