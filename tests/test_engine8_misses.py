"""A match pattern outside the cache of a plan of many rules holds its rule ids from the moment
its view is made: a plain slot, read with no call, equal to what the reference interpreter
selects, and kept as it is when the view becomes a plain one. The masks are a fixed list over
plans at the chunk boundaries (9, 16, 17, 129 and 136 rules), so every run checks the same
cases."""

from __future__ import annotations

from csrules import Compare, Engine, Policy
from csrules._engine import compile as compiled
from tests.test_engine4_misses import FACTS, NOW, plan_of, policy, reference_reads

SIZES = (9, 16, 17, 129, 136)
"""Plans just past one chunk, at two chunks, past two, past sixteen and at seventeen."""


def masks(count: int) -> list[int]:
    """Patterns over ``count`` rules: each rule alone, the first and last chunk full, every
    other rule, every rule, and the last rule with the first."""
    everyone = (1 << count) - 1
    alone = [1 << at for at in range(count)]
    return [*alone, 0xFF, 0xFF << (count - 8), everyone // 3, everyone, 1 | 1 << (count - 1)]


class TestRuleIdsWhenMade:
    def test_a_table_view_holds_its_rule_ids_when_made(self) -> None:
        """A view made from the chunk tables of a mask within 16 chunks has its rule ids in
        :class:`MatchView`'s slot before anything is read (nothing is gathered when a host reads
        them), in rule order; past 16 chunks they are gathered on first read, in the same order."""
        slot = vars(compiled.MatchView)["rule_ids"]
        for count in SIZES:
            plan = plan_of(Engine(policy(count)))
            for mask in masks(count):
                view = plan._table_view(mask)
                expected = tuple(plan.rules[at].rule_id for at in compiled.matched_positions(mask))
                assert view._lazy == {}  # the other parts still wait for a read
                if mask.bit_length() > 128:
                    assert type(view) is compiled._LazyIdsView
                    assert view.rule_ids == expected
                    continue
                assert type(view) is compiled._TableView
                held = slot.__get__(view)
                assert type(held) is tuple
                assert held == expected

    def test_rule_ids_survive_the_switch_to_a_plain_view(self) -> None:
        """Once a decision's three parts are read the view is a plain one, holding the very
        tuple of rule ids it was made with."""
        plan = plan_of(Engine(policy(129)))
        view = plan._table_view((1 << 129) - 1 - (1 << 64))
        made = view.rule_ids
        view.violations, view.violation_codes, view.approvers  # noqa: B018 - the reads switch it
        assert type(view) is compiled.MatchView
        assert view.rule_ids is made

    def test_misses_read_like_the_reference(self) -> None:
        """Every fact judged with its pattern outside the cache gives the reference's rule ids
        (and its other reads), whichever part is read first."""
        for count in SIZES:
            pol = policy(count)
            engine = Engine(pol)
            for fact in FACTS:
                plan_of(engine)._views.clear()
                decision = engine.evaluate(fact, now=NOW)
                reference = reference_reads([pol], fact)
                assert list(decision.rule_ids) == list(reference["rule_ids"])
                assert decision.approvers == reference["approvers"]
                assert decision.violation_codes == reference["violation_codes"]

    def test_a_rule_ids_tuple_holds_only_text(self) -> None:
        """The rule ids of a miss are a tuple of the rules' own id strings (the public type)."""
        rules = [{"id": f"r-{at}", "title": "t", "when": Compare(path="n", op=">=", value=at % 3).model_dump(),
                  "then": [{"type": "approval", "role": "lead"}]} for at in range(20)]
        pol = Policy(id="ids", version="1", title={"en": "t", "zh": "t"}, fact_type="core_thing", rules=rules)
        decision = Engine(pol).evaluate(FACTS[10], now=NOW)
        assert decision.rule_ids
        assert all(type(rule_id) is str for rule_id in decision.rule_ids)
        assert decision.rule_ids == tuple(f"r-{at}" for at in range(20) if FACTS[10].n >= at % 3)
