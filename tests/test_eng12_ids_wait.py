"""A match pattern outside the cache reaching past the chunks whose rule ids are gathered when
its view is made: a host reading its outcome, violations, codes and approvers (and no rule
ids) does not pay for gathering its rule ids; they are gathered when first read."""

from __future__ import annotations

from itertools import permutations
from typing import Any

from pydantic import BaseModel

import csrules._engine.compile as compiled
from csrules import Decision, Engine, Policy, register_fact_type
from tests.test_eng9_miss_path import policy as rules_over_n_and_m
from tests.test_engine4_misses import FACTS as THINGS
from tests.test_engine4_misses import NOW, reference_reads
from tests.test_engine4_misses import policy as many


@register_fact_type(name="eng12_wait_fact")
class Fact(BaseModel):
    n: int
    m: int


def _then(at: int) -> list[dict[str, Any]]:
    if at % 2:
        return [{"type": "violation", "code": f"V{at % 3}", "message": "m"}]
    return [{"type": "approval", "role": "abc"[at % 3]}]


def policy(count: int) -> Policy:
    return rules_over_n_and_m(count, "eng12_wait_fact", _then)


PARTS = ("outcome", "violations", "violation_codes", "approvers")
FACTS = [Fact(n=n, m=m) for n in range(0, 24, 5) for m in range(0, 24, 7)]


def reference(engine: Engine, fact: Fact) -> compiled.MatchView:
    """The view made in one piece from the rules the fact's pattern selects."""
    plan = engine._plans["eng12_wait_fact"]
    selected = tuple(compiled.matched_positions(plan.decide(fact, None)))
    return compiled.MatchView(plan, tuple(plan.rules[at] for at in selected), selected)


def test_reading_every_part_but_the_rule_ids_does_not_gather_them() -> None:
    engine = Engine(policy(200))  # rules matched past the first sixteen chunks
    fact = Fact(n=10, m=4)
    decision = engine.evaluate(fact)
    view = decision._view
    assert view.mask.bit_length() > compiled.CHUNK * compiled.EAGER_IDS_CHUNKS
    expected = reference(engine, fact)
    assert {name: getattr(decision, name) for name in PARTS} == {name: getattr(expected, name) for name in PARTS}
    assert "rule_ids" not in view._lazy  # not gathered for a host that never read them
    again = engine.evaluate(fact)  # the cache's next decision of the pattern: plain slots
    assert type(again) is Decision
    assert again._view is view
    assert again.violations is decision.violations
    assert again.approvers is decision.approvers
    assert "rule_ids" not in view._lazy
    assert again.rule_ids == expected.rule_ids  # gathered now, in rule order
    assert type(view) is compiled.MatchView  # a plain view from now on
    assert decision.rule_ids is again.rule_ids


def test_a_miss_reads_like_the_reference_in_every_order() -> None:
    """Whatever order a host reads the parts in, rule ids first, last or not at all, a miss
    and the pattern's next decision read like the view made from its rules."""
    names = ("rule_ids", *PARTS)
    for count in (8, 64, 200):
        engine = Engine(policy(count))
        views = engine._plans["eng12_wait_fact"]._views
        for order in permutations(names):
            for fact in FACTS:
                views.clear()
                expected = reference(engine, fact)
                first = engine.evaluate(fact)
                read = {name: getattr(first, name) for name in order[:3]}
                assert read == {name: getattr(expected, name) for name in order[:3]}, (count, order)
                second = engine.evaluate(fact)
                for decision in (second, first):
                    assert {name: getattr(decision, name) for name in names} == {
                        name: getattr(expected, name) for name in names
                    }, (count, order)


def test_a_miss_with_due_times_reads_like_the_interpreter_with_its_rule_ids_read_last() -> None:
    """Patterns past sixteen chunks, some with due times: read for every part but the rule ids,
    then for the rule ids, a miss and the pattern's next decision give what the reference
    interpreter's matched rules give."""
    pol = many(136, due=True)
    engine = Engine([pol])
    (plan,) = engine._plans.values()
    reads = ("outcome", "violations", "violation_codes", "approvers", "obligations", "rule_ids", "effect_keys")
    past = 0
    for fact in THINGS:
        plan._views.clear()
        expected = reference_reads([pol], fact)
        first = engine.evaluate(fact, now=NOW)
        past += first._view.mask.bit_length() > compiled.CHUNK * compiled.EAGER_IDS_CHUNKS
        for decision in (first, engine.evaluate(fact, now=NOW)):
            assert {name: getattr(decision, name) for name in reads} == {name: expected[name] for name in reads}
    assert past  # some patterns reach past the sixteenth chunk
