"""Rule coverage: which rules and conditions decisions made true and false."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from csrules import Engine, Policy, register_fact_type
from csrules.testing import Coverage, assert_decision, collect_coverage


@register_fact_type(name="tc_order")
class Order(BaseModel):
    amount: int = Field(ge=0)
    channel: Literal["web", "phone"]
    vip: bool = False


POLICY = Policy(
    id="orders",
    version="2",
    title="Orders",
    fact_type="tc_order",
    rules=[
        {
            "id": "big-web",
            "title": "Big web orders need a check",
            "when": {
                "kind": "all",
                "of": [
                    {"kind": "compare", "path": "amount", "op": ">=", "value": 1000},
                    {"kind": "compare", "path": "channel", "op": "==", "value": "web"},
                ],
            },
            "then": [{"type": "approval", "role": "supervisor"}],
        },
        {
            "id": "vip",
            "title": "VIPs get a call",
            "when": {"kind": "compare", "path": "vip", "op": "==", "value": True},
            "then": [{"type": "obligation", "who": "agent", "action": "call"}],
        },
    ],
)
ENGINE = Engine(POLICY)


def order(amount: int = 10, channel: str = "web", vip: bool = False) -> dict[str, object]:
    return {"amount": amount, "channel": channel, "vip": vip}


class TestCoverage:
    def test_included_rules_start_uncovered(self):
        """Registered rules count before any decision: nothing covered, every rule never true."""
        report = Coverage().include(POLICY).report()
        assert report.percent == 0.0
        assert report.total == 2 * 4  # all, its two parts, and the vip comparison
        assert [r.rule_id for r in report.never_true] == ["big-web", "vip"]

    def test_outcomes_are_counted_per_condition(self):
        """Each condition counts the times it was made true and made false."""
        coverage = Coverage().include(POLICY)
        coverage.record(ENGINE.evaluate(order(amount=2000)))
        coverage.record(ENGINE.evaluate(order(amount=5)))
        rule = coverage.report().rules[0]
        assert (rule.made_true, rule.made_false) == (1, 1)
        assert (rule.branches[(0,)].true, rule.branches[(0,)].false) == (1, 1)
        assert (rule.branches[(1,)].true, rule.branches[(1,)].false) == (1, 0)
        assert rule.branches[(1,)].missing == ("false",)

    def test_short_circuited_conditions_are_not_counted(self):
        """A part of an all skipped after an earlier false part is neither true nor false."""
        coverage = Coverage()
        coverage.record(ENGINE.evaluate(order(amount=5, channel="phone")))
        channel = coverage.report().rules[0].branches[(1,)]
        assert (channel.true, channel.false) == (0, 0)

    def test_full_coverage_is_a_hundred_percent(self):
        """Making every condition true and false once covers every outcome."""
        coverage = Coverage().include(POLICY)
        for fact in (order(2000, "web", True), order(5, "phone"), order(2000, "phone")):
            coverage.record(ENGINE.evaluate(fact))
        report = coverage.report()
        assert report.percent == 100.0
        assert not report.fails_under(100)
        assert report.never_true == ()
        assert report.never_false == ()

    def test_render_lists_rules_and_missed_branches(self):
        """The table names each rule, its counts, and each condition outcome never seen."""
        coverage = Coverage().include(POLICY)
        coverage.record(ENGINE.evaluate(order(amount=2000)))
        text = coverage.report().render()
        assert text.splitlines()[0].startswith("rule coverage: 0 of 2 rules made both true and false")
        assert "orders@2" in text
        assert "  vip      true    0  false    1  NEVER TRUE" in text
        assert "✓✗   amount is at least 1000" in text

    def test_to_dict_is_json_ready(self):
        """The report serialises to plain data."""
        import json

        coverage = Coverage().include(POLICY)
        coverage.record(ENGINE.evaluate(order()))
        data = json.loads(json.dumps(coverage.report().to_dict()))
        assert data["rules"][1]["rule"] == "vip"
        assert data["rules"][1]["made_false"] == 1


class TestCollectCoverage:
    def test_records_every_evaluation_in_the_block(self):
        """Decisions made by any engine inside the block are recorded, with their rules."""
        with collect_coverage() as coverage:
            ENGINE.evaluate(order(amount=2000))
            list(ENGINE.evaluate_many([order(vip=True), order()]))
            assert_decision(POLICY, order(), expect=[])
        report = coverage.report()
        assert report.decisions == 4
        assert [r.made_true for r in report.rules] == [1, 1]

    def test_engine_is_restored_even_after_an_error(self):
        """Leaving the block, also by an exception, stops recording."""
        original = Engine.evaluate
        with pytest.raises(RuntimeError), collect_coverage():
            raise RuntimeError("boom")
        assert Engine.evaluate is original
        with collect_coverage() as coverage:
            pass
        ENGINE.evaluate(order())
        assert coverage.report().decisions == 0

    def test_blocks_nest(self):
        """An inner block records what happens inside it; the outer block records it all."""
        with collect_coverage() as outer:
            ENGINE.evaluate(order())
            with collect_coverage() as inner:
                ENGINE.evaluate(order(vip=True))
            ENGINE.evaluate(order())
        assert (outer.report().decisions, inner.report().decisions) == (3, 1)
