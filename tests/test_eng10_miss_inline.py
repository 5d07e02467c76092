"""A match pattern outside the cache of a plan of many patterns has its view made by the
generated judge itself (no call to the plan's miss path), with the same lines as the generated
:meth:`~csrules._engine.compile.Plan._table_view`: every read of its decision equals the
reference interpreter's, for model and dict facts, with and without due times, within and past
sixteen chunks, and the cache bound in force when the miss is put in the cache is kept. The
facts and masks are fixed lists, so every run checks the same cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from csrules import Engine, Policy, Rule, Text
from csrules._engine import compile as compiled
from tests.test_engine4_misses import FACTS, NOW, PlainThing, plan_of, reference_reads
from tests.test_engine5_misses import many

READS = ("outcome", "rule_ids", "violations", "violation_codes", "approvers", "effects", "obligations")


def refusing_misses(plan: compiled.Plan) -> list[int]:
    """Make the plan's own miss path refuse every pattern but the empty one (which the judge
    still sends there); the masks it was asked for."""
    asked: list[int] = []
    new_view = plan._new_view

    def refuse(mask: int) -> compiled.MatchView:
        asked.append(mask)
        if mask:
            raise AssertionError(f"the miss of {mask:#x} went to the plan's miss path")
        return new_view(mask)

    plan.entry.__globals__["_view"] = refuse
    return asked


def on_plain_facts(pol: Policy) -> Policy:
    """``pol`` over :class:`PlainThing` (a plain model: dict facts are judged from their values)."""
    return Policy.model_validate({**pol.model_dump(mode="json"), "fact_type": "engine4_plain"})


@pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
@pytest.mark.parametrize("count", [9, 65, 129, 200])
def test_a_miss_is_made_in_the_judge(count: int, due: bool) -> None:
    pol = many(count, due=due)
    engine = Engine(pol)
    plan = plan_of(engine)
    assert plan.select is None  # the plans whose misses are made inline: all collect,
    assert not plan.few  # and not provably few patterns
    asked = refusing_misses(plan)
    for fact in FACTS:
        plan._views.clear()
        decision = engine.evaluate(fact, now=NOW)
        mask = plan.decide(fact, NOW)
        assert plan._views[mask] is decision._view
        reference = reference_reads([pol], fact)
        for name in READS:
            assert getattr(decision, name) == reference[name], (count, fact, name)
    assert set(asked) <= {0}


@pytest.mark.parametrize("count", [65, 129])
def test_a_dict_facts_miss_is_made_in_the_judge(count: int) -> None:
    pol = on_plain_facts(many(count))
    engine = Engine(pol)
    plan = plan_of(engine)
    asked = refusing_misses(plan)
    for fact in FACTS[::3]:
        plan._views.clear()
        values = PlainThing(n=fact.n, kind=fact.kind, flag=fact.flag, at=fact.at).model_dump()
        decision = engine.evaluate(values, now=NOW)
        reference = reference_reads([many(count)], fact)
        for name in READS:
            assert getattr(decision, name) == reference[name], (count, fact, name)
    assert set(asked) <= {0}


def test_the_cache_bound_in_force_at_a_miss_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound is read when a miss is put in the cache, not when the engine was built."""
    pol = many(65)
    engine = Engine(pol)
    monkeypatch.setattr(compiled, "MAX_VIEWS", 2)
    plan = plan_of(engine)
    for fact in FACTS:
        decision = engine.evaluate(fact, now=NOW)
        assert len(plan._views) <= 2
        assert decision.rule_ids == reference_reads([pol], fact)["rule_ids"]


def _effect(kind: str, at: int) -> dict[str, Any]:
    text = {"en": "t", "zh": "t"}
    return {
        "violation": {"type": "violation", "code": f"V{at % 3}", "message": text},
        "approval": {"type": "approval", "role": f"r{at % 4}"},
        "obligation": {"type": "obligation", "action": text, "who": "agent"},
        "recommendation": {"type": "recommendation", "text": text},
    }[kind]


def of_kinds(kinds: tuple[str, ...], count: int = 20) -> Policy:
    """``count`` rules on ``n``, rule ``i`` with the effect ``kinds[i % len(kinds)]``."""
    rules = [Rule.model_validate({
        "id": f"k{at}", "title": {"en": "r", "zh": "r"},
        "when": {"kind": "compare", "path": "n", "op": ">=", "value": at % 7},
        "then": [_effect(kinds[at % len(kinds)], at)],
    }) for at in range(count)]
    return Policy(id="kinds", version="1", title=Text(en="k", zh="k"), fact_type="core_thing", rules=rules)


KINDS = [("violation",), ("approval",), ("obligation",), ("recommendation",), ("recommendation", "obligation"),
         ("approval", "violation", "obligation")]
"""Plans whose rules have one outcome rank, none, or several (the generated rank test names
only the ranks a plan has)."""


@pytest.mark.parametrize("kinds", KINDS, ids="+".join)
def test_the_generated_view_maker_reads_like_the_rules(kinds: tuple[str, ...]) -> None:
    plan = plan_of(Engine(of_kinds(kinds)))
    count = len(plan.rules)
    masks = [1 << at for at in range(count)] + [(1 << count) - 1, 0b1010_0101, 1 | 1 << (count - 1)]
    read: Callable[[compiled.MatchView, str], Any] = getattr
    for mask in masks:
        selected = tuple(compiled.matched_positions(mask))
        whole = compiled.MatchView(plan, tuple(plan.rules[at] for at in selected), selected)
        made = plan._table_view(mask)
        for name in ("rank", "outcome", "dynamic", "rule_ids", "violations", "violation_codes", "approvers"):
            assert read(made, name) == read(whole, name), (kinds, mask, name)
