"""A decision tells apart the rules behind its effects, and lists each approver once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from csrules import Approval, Decision, Violation
from csrules._engine.decision import merge_approvals
from csrules.policies import load_pack
from csrules.testing import DecisionMismatch, assert_decision

# A special leave on a night shift, asked for half an hour ahead: the one-day rule and the night-shift
# rule (which governs its notice) both want the department head.
NIGHT_LEAVE: dict[str, Any] = {
    "agent_id": "A01",
    "kind": "special_personal",
    "night_shift": True,
    "start": "2026-03-05T16:00:00+08:00",
    "end": "2026-03-06T00:00:00+08:00",
    "requested_at": "2026-03-05T15:30:00+08:00",
    "requested_by": "A01",
}
NOW = datetime(2026, 3, 5, 15, 30, tzinfo=timezone(timedelta(hours=8)))
SHIFT = {"start": "2026-03-10T08:30:00+08:00", "end": "2026-03-10T16:30:00+08:00"}
# A swap that breaks two ATT-9 rules at once.
SWAP: dict[str, Any] = {
    "requester": {"agent_id": "A01", "job_type": "phone", "skill_level": 3},
    "partner": {"agent_id": "A02", "job_type": "qa", "skill_level": 3},
    "requester_shift": SHIFT,
    "partner_shift": {"start": "2026-03-12T08:30:00+08:00", "end": "2026-03-12T16:30:00+08:00"},
    "requested_at": "2026-03-05T09:00:00+08:00",
    "previous_was_swap": True,
    "requester_lead_approved": True,
    "partner_lead_approved": True,
    "form_filed": True,
}


@pytest.fixture(scope="module")
def engine():
    """The call-centre pack's engine."""
    return load_pack("call_centre").engine()


def judge(engine: Any, fact_type: str, fact: dict[str, Any]) -> Decision:
    """The pack's decision on ``fact``."""
    return engine.evaluate(fact, fact_type=fact_type, now=NOW)


class TestOneApprovalPerRole:
    def test_three_rules_one_approval(self, engine):
        """Two rules requiring the department head give one approval listing both."""
        decision = judge(engine, "leave_request", NIGHT_LEAVE)
        heads = [a for a in decision.approvals if a.role == "department_head"]
        assert len(heads) == 1
        assert heads[0].rules == ("ATT-2.department-head", "ATT-5.night-approval")
        assert set(heads[0].rules) <= set(decision.rule_ids)
        assert decision.effect_keys.count("approval:department_head") == 1
        assert decision.approvers.count("department_head") == 1

    def test_each_rule_keeps_its_own_approval(self, engine):
        """rule_effects still shows the approval under each rule that asks for it."""
        decision = judge(engine, "leave_request", NIGHT_LEAVE)
        asking = [
            rule_id
            for (_, rule_id), effects in decision.rule_effects.items()
            if any(isinstance(e, Approval) and e.role == "department_head" for e in effects)
        ]
        (merged,) = (a for a in decision.approvals if a.role == "department_head")
        assert tuple(asking) == merged.rules
        assert merged.rule_id == merged.rules[0]

    def test_json_lists_the_rules(self, engine):
        """to_dict gives the merged approval with every rule, and survives JSON."""
        decision = judge(engine, "leave_request", NIGHT_LEAVE)
        data = json.loads(json.dumps(decision.to_dict()))
        approvals = [e for e in data["effects"] if e["type"] == "approval" and e["role"] == "department_head"]
        assert len(approvals) == 1
        assert approvals[0]["rules"] == ["ATT-2.department-head", "ATT-5.night-approval"]

    def test_merge_keeps_order_and_other_effects(self):
        """Merging keeps effects in order, the first approval's place and reason, other roles apart."""
        v = Violation("p", "r0", "X", "major", message=None)  # type: ignore[arg-type]
        effects = [Approval("p", "r1", "head"), v, Approval("p", "r2", "director"), Approval("p", "r3", "head")]
        merged = merge_approvals(effects)
        assert [getattr(e, "role", None) for e in merged] == ["head", None, "director"]
        assert merged[0].rules == ("r1", "r3")  # type: ignore[union-attr]
        assert merged[2].rules == ("r2",)  # type: ignore[union-attr]

    def test_single_approval_names_its_rule(self):
        """An approval made by one rule lists that rule."""
        assert Approval("p", "r1", "head").rules == ("r1",)


class TestRulesApart:
    def test_two_att9_rules_are_told_apart(self, engine):
        """Two rules with code ATT-9: rule_effects names each, effect_keys keeps the code."""
        decision = judge(engine, "shift_swap", SWAP)
        fired = {
            rule_id for (_, rule_id), effects in decision.rule_effects.items()
            if any(isinstance(e, Violation) and e.code == "ATT-9" for e in effects)
        }
        assert fired == {"ATT-9.consecutive", "ATT-9.same-job-type"}
        assert {v.rule_id for v in decision.violations if v.code == "ATT-9"} == fired
        assert "violation:ATT-9" in decision.effect_keys

    def test_rule_effects_follow_the_trace(self, engine):
        """The rules in rule_effects are exactly the rules the trace shows as selected."""
        decision = judge(engine, "shift_swap", SWAP)
        selected = [(r.policy_id, r.rule_id) for r in decision.trace if r.selected]
        assert list(decision.rule_effects) == selected == list(decision.matches)

    def test_assert_decision_checks_the_rules(self, engine):
        """assert_decision(rules=...) passes on the rules that apply and fails naming the difference."""
        assert_decision(engine, SWAP, fact_type="shift_swap", rules=["ATT-9.consecutive", "ATT-9.same-job-type"])
        with pytest.raises(DecisionMismatch, match=r"rules: expected \['ATT-9.consecutive'\]"):
            assert_decision(engine, SWAP, fact_type="shift_swap", rules=["ATT-9.consecutive"])
