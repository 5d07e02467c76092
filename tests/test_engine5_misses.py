"""A match pattern outside the cache, made in one pass of the generated judge, decides exactly
as a warm engine and the reference interpreter: every Decision field, under each hit policy,
with due times, in each cache state (pattern cached, new, evicted, tables and kept views
emptied), at plan sizes around the chunk boundaries (7 to 9, 63 to 65, 512 rules), for plans
of provably few patterns (which keep every pattern's view) and plans of many (views made from
the chunk tables), and from several threads at once. The facts are a fixed grid and every
thread's answers are checked against the same warm decisions, so each run checks the same
cases whatever the interleaving."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest

from csrules import Compare, Decision, Engine, Policy, Rule, Text
from csrules._engine import compile as compiled
from csrules._engine.decision import ViewDecision
from tests.test_engine4_misses import FACTS, READS, assert_decides, plan_of, policy, reference_reads
from tests.test_engine_verdicts import NOW

STATES = ("hit", "new", "evicted", "cleared")
"""Cache states: cached; the pattern cache emptied; the pattern evicted by others (the cache
holding two); pattern cache, kept views and chunk tables emptied."""


def many(count: int, hit_policy: str = "collect", *, due: bool = False) -> Policy:
    """:func:`policy`'s rules with every seventh also requiring ``flag or kind == "c"`` (an
    ``any``, not a shared test): its patterns are not provably few."""
    base = policy(count, hit_policy, due=due, name="m")
    rules = []
    for i, rule in enumerate(base.rules):
        when = rule.when
        if i % 7 == 3:
            either = {"kind": "any", "of": [Compare(path="flag", op="==", value=True),
                                            Compare(path="kind", op="==", value="c")]}
            when = {"kind": "all", "of": [*when.of, either]}  # type: ignore[attr-defined]
        rules.append(Rule(id=rule.id, title=rule.title, priority=rule.priority, when=when,
                          then=rule.model_dump(mode="json")["then"]))
    return Policy(id=base.id, version="1", title=Text(en="m", zh="m"), fact_type="core_thing",
                  hit_policy=hit_policy, rules=rules)


def judged(engine: Engine, fact: Any, state: str) -> Decision:
    """``fact`` judged in cache state ``state`` (see :data:`STATES`)."""
    plan = plan_of(engine)
    if state == "hit":
        engine.evaluate(fact, now=NOW)
    elif state == "new":
        plan._views.clear()
    elif state == "evicted":
        engine.evaluate(fact, now=NOW)
        for other in FACTS[::5]:  # three others at least, the cache holding two
            engine.evaluate(other, now=NOW)
    else:
        plan._views.clear()
        plan._kept = plan._tables = None
    return engine.evaluate(fact, now=NOW)


def check(policies: list[Policy], facts: list[Any]) -> None:
    """Every fact in every cache state, with one field read first in turn, equals a warm
    engine's decision and the reference in every field."""
    engine, warm_engine = Engine(policies), Engine(policies)
    firsts = itertools.cycle(("rule_ids", "violation_codes", "approvers", "outcome", "effects"))
    for fact in facts:
        warm_engine.evaluate(fact, now=NOW)
        warm = warm_engine.evaluate(fact, now=NOW)
        reference = reference_reads(policies, fact)
        for state in STATES:
            decision = judged(engine, fact, state)
            assert_decides(decision, warm, reference, next(firsts), (len(plan_of(engine).rules), fact, state))


@pytest.fixture(autouse=True)
def small_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern cache of two patterns: "evicted" really evicts."""
    monkeypatch.setattr(compiled, "MAX_VIEWS", 2)


class TestPlanSizes:
    @pytest.mark.parametrize("count", [7, 8, 9, 63, 64, 65])
    @pytest.mark.parametrize("hit_policy", ["collect", "first", "priority"])
    @pytest.mark.parametrize("make", [policy, many], ids=["few", "many"])
    def test_chunk_boundaries(self, make: Any, hit_policy: str, count: int) -> None:
        """Around one chunk and eight, plans of few patterns and of many decide as the warm
        engine and the reference in every cache state."""
        check([make(count, hit_policy)], FACTS[::7])

    @pytest.mark.parametrize("count", [9, 65])
    @pytest.mark.parametrize("hit_policy", ["first", "priority"])
    def test_due_times(self, hit_policy: str, count: int) -> None:
        """With due times (decisions computing them first), the same, few patterns or many."""
        check([policy(count, hit_policy, due=True)], FACTS[::9])
        check([many(count, hit_policy, due=True)], FACTS[::9])

    @pytest.mark.parametrize("make", [policy, many], ids=["few", "many"])
    def test_five_hundred_and_twelve_rules(self, make: Any) -> None:
        """Sixty-four chunks, priority and due times: the same."""
        check([make(512, "priority", due=True)], FACTS[::26])


class TestFewPatterns:
    def test_how_many_patterns_a_plan_can_give(self) -> None:
        """Eight rules or fewer: every subset; shared tests alone: at least every pattern the
        grid of facts shows; an ``any`` among the rules: not provably few."""
        assert plan_of(Engine(policy(7))).few == 1 << 7
        assert plan_of(Engine(policy(8))).few == 1 << 8
        assert plan_of(Engine(many(9))).few == 0
        assert plan_of(Engine(many(65))).few == 0
        grid = [fact.model_copy(update={"n": n}) for fact in FACTS for n in range(-3, 15)]
        for count in (9, 65, 512):
            plan = plan_of(Engine(policy(count)))
            seen = {plan.decide(fact, NOW) for fact in grid}
            assert len(seen) <= plan.few <= compiled.FEW_PATTERNS, count

    def test_a_kept_view_outlives_the_cache(self) -> None:
        """A plan of few patterns gives a pattern its view once: emptying the pattern cache
        does not make it again."""
        engine = Engine(policy(65))
        first = engine.evaluate(FACTS[9], now=NOW)
        plan_of(engine)._views.clear()
        assert engine.evaluate(FACTS[9], now=NOW)._view is first._view

    def test_a_plan_of_many_makes_a_new_view(self) -> None:
        """A plan of many patterns makes a new pattern's view again from its chunk tables."""
        engine = Engine(many(65))
        first = engine.evaluate(FACTS[9], now=NOW)
        plan_of(engine)._views.clear()
        again = engine.evaluate(FACTS[9], now=NOW)
        assert type(again) is ViewDecision
        assert again._view is not first._view
        assert again == first

    def test_the_kept_views_never_outgrow_the_bound(self) -> None:
        """However many patterns come (a rule that fails drops its bit, giving patterns the
        count does not foresee), the kept views stay within the plan's bound, and patterns
        beyond it still decide right."""
        pol = policy(65)
        engine, warm_engine = Engine(pol), Engine(pol)
        plan = plan_of(engine)
        plan.few = 3
        for fact in FACTS[::2]:
            plan._views.clear()
            assert engine.evaluate(fact, now=NOW) == warm_engine.evaluate(fact, now=NOW)
            assert len(plan._kept or ()) <= 3
        assert len(plan._kept or ()) == 3


class TestThreads:
    @pytest.mark.parametrize("make", [policy, many], ids=["few", "many"])
    def test_threads_share_views_as_they_are_made(self, make: Any) -> None:
        """Four threads judging the same facts, one of them emptying the caches as it goes,
        read every field as a warm engine's decision says, whichever thread made a view or
        filled its parts."""
        pol = make(65, "priority")
        engine, warm_engine = Engine(pol), Engine(pol)
        facts = FACTS[::3]
        warm = [warm_engine.evaluate(fact, now=NOW) for fact in facts]
        plan = plan_of(engine)
        failures: list[str] = []
        start = threading.Barrier(4)

        def work(worker: int) -> None:
            start.wait()
            for turn in range(3):
                for at in range(len(facts)):
                    at = (at * (worker + 1) + turn) % len(facts)
                    if worker == 0 and at % 4 == 0:
                        plan._views.clear()
                        plan._kept = None
                    decision = engine.evaluate(facts[at], now=NOW)
                    name = READS[(at + worker) % len(READS)]
                    if getattr(decision, name) != getattr(warm[at], name) or decision != warm[at]:
                        failures.append(f"worker {worker}, fact {at}, {name}")

        threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []



class TestFullCache:
    @pytest.mark.parametrize("make", [policy, many], ids=["few", "many"])
    def test_a_pattern_read_between_evictions_stays(self, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """With the cache full and making room for every new pattern, a pattern read between
        any two new ones is never dropped, the cache never holds more than its bound, and
        every decision equals a warm engine's."""
        monkeypatch.setattr(compiled, "MAX_VIEWS", 4)
        pol = make(65, "collect")
        engine, warm_engine = Engine(pol), Engine(pol)
        plan = plan_of(engine)
        kept = FACTS[9]
        mask = plan.decide(kept, NOW)
        engine.evaluate(kept, now=NOW)
        for fact in FACTS:
            for judged_fact in (fact, kept):
                decision = engine.evaluate(judged_fact, now=NOW)
                assert decision == warm_engine.evaluate(judged_fact, now=NOW)
                assert decision.to_dict() == warm_engine.evaluate(judged_fact, now=NOW).to_dict()
                assert len(plan._views) <= 4
                assert mask in plan._views
        assert len({plan.decide(fact, NOW) for fact in FACTS}) > 8  # the cache made room many times
