"""A one-type engine's ``evaluate`` is its plan's generated entry, a plan of many rules makes a
new pattern's view from its chunk tables, and rules led by an equality on one text field are
tested as one chain: all give the reference's answers.

The entry must decide exactly as the general path (model facts, dict facts, bad dicts, named
types, the clock checks, the class-level call); the views must give, in every cache state
(pattern cached, new, nothing made), the reference interpreter's rules and the matched rules'
own effects. The facts are a fixed grid, so every run checks the same cases.
"""

from __future__ import annotations

from typing import Any

import pytest

from csrules import Compare, Engine, Policy, Rule, Text
from csrules._engine import compile as compiled
from csrules._engine.decision import Decision
from csrules.exceptions import FactError, TimeError
from tests import reference_interpreter
from tests.core_models import Leave, Thing
from tests.test_decision_views import assert_views_agree
from tests.test_engine_verdicts import FACTS, NOW, expected_effects, wide

BLOCK_RULES = 150
"""Nineteen chunks of rules (the last of six): most patterns span several."""


def many(hit_policy: str, *, due: bool = False) -> Policy:
    """``BLOCK_RULES`` rules of the same shape as :func:`wide`'s (thresholds repeat every 13
    rules, so every block has rules matching each fact)."""
    return wide(hit_policy, due=due, count=BLOCK_RULES, name="many")


def judged(engine: Engine, fact: Thing, cache: str) -> Decision:
    """``fact`` judged with its pattern cached, new, or with the chunk tables emptied too."""
    plan = engine._plans["core_thing"]
    assert isinstance(plan, compiled.Plan)
    if cache == "cached":
        engine.evaluate(fact, now=NOW)
    else:
        plan._views.clear()
        if cache == "cold":
            plan._tables = None
    return engine.evaluate(fact, now=NOW)


class TestBlocks:
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    @pytest.mark.parametrize("hit_policy", ["collect", "first", "priority"])
    def test_every_cache_state_equals_the_reference(self, hit_policy: str, due: bool) -> None:
        """Rules, effects and every view agree with the reference in every cache state."""
        policy = many(hit_policy, due=due)
        engine = Engine(policy)
        for fact in FACTS[::3]:  # every kind and flag, across the thresholds
            rule_ids = reference_interpreter.matching_rules(policy, fact, NOW)
            effects = expected_effects(policy, fact, rule_ids)
            seen = []
            for cache in ("cached", "new", "cold"):
                decision = judged(engine, fact, cache)
                assert list(decision.rule_ids) == rule_ids, cache
                assert decision.effects == effects, cache
                if cache == "new":  # the trace re-runs the interpreter: once per fact
                    assert [r.rule_id for r in decision.trace if r.selected] == rule_ids
                assert_views_agree(decision)
                seen.append(decision.to_dict())
            assert seen[0] == seen[1] == seen[2]

    def test_emptied_tables_are_made_again(self) -> None:
        """A plan whose chunk tables were emptied makes them again and agrees."""
        policy = many("priority")
        engine = Engine(policy)
        plan = engine._plans["core_thing"]
        assert isinstance(plan, compiled.Plan)
        for fact in FACTS[::3]:
            engine.evaluate(fact, now=NOW)
            plan._views.clear()
            plan._kept = None  # a plan of few patterns keeps its views: the pattern made anew
            plan._tables = None
            decision = engine.evaluate(fact, now=NOW)
            assert list(decision.rule_ids) == reference_interpreter.matching_rules(policy, fact, NOW)
            assert plan._tables is not None


class TestEntry:
    def test_a_one_type_engine_evaluates_through_its_entry(self) -> None:
        """``engine.evaluate`` of a one-type engine is its plan's entry; of two types, the
        general path; called on the class, either gives the same decision."""
        one = Engine(wide("collect"))
        two = Engine([wide("collect"), leave_policy()])
        assert one.evaluate is one._plans["core_thing"].entry
        assert two.evaluate.__func__ is Engine._evaluate_any  # type: ignore[attr-defined]
        for engine in (one, two):
            for fact in FACTS[:8]:
                assert Engine.evaluate(engine, fact, now=NOW) == engine.evaluate(fact, now=NOW)

    @pytest.mark.parametrize("hit_policy", ["collect", "first", "priority"])
    def test_every_way_in_decides_alike(self, hit_policy: str) -> None:
        """A model fact, its dict, its type named, and ``as_of`` give the same decision."""
        engine = Engine(wide(hit_policy, due=True))
        for fact in FACTS:
            engine.evaluate(fact, now=NOW)  # cached: a pattern outside the cache makes a ViewDecision
            decisions = [
                engine.evaluate(fact, now=NOW),
                engine.evaluate(fact.model_dump(), now=NOW),
                engine.evaluate(fact.model_dump(), now=NOW, fact_type="core_thing"),
                engine.evaluate(fact, now=NOW, as_of=NOW.date()),
                Engine._evaluate_any(engine, fact, now=NOW),
            ]
            assert all(d == decisions[0] for d in decisions)
            assert all(d.to_dict() == decisions[0].to_dict() for d in decisions)
            assert all(type(d) is type(decisions[0]) for d in decisions)

    def test_bad_input_is_refused_as_by_the_general_path(self) -> None:
        """A bad dict, another model's fact, a naive or missing ``now`` raise the same errors."""
        engine = Engine(wide("collect", due=True))
        bad = {**FACTS[0].model_dump(), "n": "many", "kind": "z"}
        messages = []
        for call in (engine.evaluate, lambda *a, **k: Engine._evaluate_any(engine, *a, **k)):
            with pytest.raises(FactError) as refused:
                call(bad, now=NOW)
            messages.append(str(refused.value))
            with pytest.raises(FactError, match="no policy in this engine judges"):
                call(Leave(kind="sick", requested_at=NOW, starts_at=NOW, days=1), now=NOW)
            with pytest.raises(TimeError, match="time zone"):
                call(FACTS[0], now=NOW.replace(tzinfo=None))
            with pytest.raises(TimeError, match="time zone"):
                call(FACTS[0], now="2026-01-05")
        assert messages[0] == messages[1]
        assert "kind: Input should be" in messages[0]
        clock = Engine(Policy(
            id="clock", version="1", title=Text(en="c", zh="c"), fact_type="core_thing",
            rules=[Rule(id="r", title=Text(en="r", zh="r"), when=Compare(path="flag", op="==", value=True),
                        then=[{"type": "obligation", "action": {"en": "a", "zh": "a"}, "who": "agent",
                               "due": {"after": "1h"}}])],
        ))
        for fact in (FACTS[0], FACTS[0].model_dump()):
            with pytest.raises(TimeError, match="pass now="):
                clock.evaluate(fact)

    def test_a_failing_rule_is_recorded_through_the_entry(self) -> None:
        """A rule that fails on a fact sends it to the rule-by-rule path: its error is kept."""
        engine = Engine(Policy(
            id="fails", version="1", title=Text(en="f", zh="f"), fact_type="core_thing",
            rules=[Rule(id="bad", title=Text(en="b", zh="b"), when=Compare(path="n", op=">", value=1),
                        then=[{"type": "approval", "role": "boss"}]),
                   Rule(id="ok", title=Text(en="o", zh="o"), when=Compare(path="flag", op="==", value=True),
                        then=[{"type": "approval", "role": "head"}])],
        ))
        fact = Thing.model_construct(n="many", kind="a", flag=True, text="", at=NOW)  # unvalidated on purpose
        decision = engine.evaluate(fact)
        assert decision.rule_ids == ("ok",)
        assert [error.rule_id for error in decision.errors] == ["bad"]
        assert decision.errors == Engine._evaluate_any(engine, fact).errors
        assert decision.approvers == ("head",)
        assert not decision.is_clean

def leave_policy() -> Policy:
    """One rule judging ``core_leave`` facts (a second fact type)."""
    return Policy(id="leave", version="1", title=Text(en="l", zh="l"), fact_type="core_leave",
                  rules=[Rule(id="sick", title=Text(en="s", zh="s"),
                              when=Compare(path="kind", op="==", value="sick"),
                              then=[{"type": "approval", "role": "head"}])])



GRID = [
    Thing(n=n, kind=kind, flag=flag, text="", at=NOW)
    for n in range(-1, 6) for kind in ("a", "b", "c") for flag in (False, True)
]


def led(hit_policy: str, name: str) -> Policy:
    """Rules led by equalities on ``kind`` (alone, in an ``all``, through a parameter, one
    constant shared by two rules) among rules that are not, with priorities."""
    tests: list[Any] = [
        {"kind": "compare", "path": "kind", "op": "==", "value": "a"},
        {"kind": "all", "of": [{"kind": "compare", "path": "kind", "op": "==", "value": "a"},
                               {"kind": "compare", "path": "n", "op": ">", "value": 2}]},
        {"kind": "compare", "path": "n", "op": "<", "value": 1},
        {"kind": "all", "of": [{"kind": "compare", "path": "kind", "op": "==", "param": "which"},
                               {"kind": "compare", "path": "flag", "op": "==", "value": True}]},
        {"kind": "all", "of": [{"kind": "compare", "path": "kind", "op": "!=", "value": "c"},
                               {"kind": "compare", "path": "n", "op": ">=", "value": 3}]},
        {"kind": "all", "of": [{"kind": "compare", "path": "kind", "op": "==", "value": "c"},
                               {"kind": "any", "of": [{"kind": "compare", "path": "n", "op": "==", "value": 0},
                                                      {"kind": "compare", "path": "flag", "op": "==",
                                                       "value": False}]}]},
        {"kind": "all", "of": [{"kind": "compare", "path": "flag", "op": "==", "value": True},
                               {"kind": "compare", "path": "kind", "op": "==", "value": "b"}]},
    ]
    return Policy(
        id=name, version="1", title=Text(en="l", zh="l"), fact_type="core_thing", hit_policy=hit_policy,
        params={"which": {"type": "str", "default": "b"}},
        rules=[Rule(id=f"{name}{i}", title=Text(en="l", zh="l"), priority=i % 3, when=when,
                    then=[{"type": "approval", "role": f"role{i % 4}"}])
               for i, when in enumerate(tests)],
    )


class TestEqualityChains:
    @pytest.mark.parametrize("hit_policies", [("collect",), ("priority",), ("first",), ("first", "collect"),
                                              ("collect", "priority")])
    def test_chained_rules_match_as_the_reference(self, hit_policies: tuple[str, ...]) -> None:
        """Rules led by equalities on one text field, tested as one chain, match as the reference."""
        policies = [led(mode, f"p{at}") for at, mode in enumerate(hit_policies)]
        engine = Engine(policies)
        chained = "    if _f_kind == " in engine.source("core_thing")  # a chain, not a rule's test
        assert chained == any(mode != "first" for mode in hit_policies)
        for fact in GRID:
            expected = [rule for policy in policies
                        for rule in reference_interpreter.matching_rules(policy, fact, NOW)]
            decision = engine.evaluate(fact, now=NOW)
            assert list(decision.rule_ids) == expected
            assert_views_agree(decision)
