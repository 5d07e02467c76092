"""A new match pattern of a plan of two blocks of rules is decided straight from its blocks'
views (a :class:`JoinedDecision`): its outcome, violation codes and approvers are joined in the
generated judge, the rest is worked out when first read. Whatever the rule count around the
block boundaries (63 to 129 rules), hit policy, due times and cache state (nothing seen, chunks
seen, blocks seen, a pattern seen once, seen twice, cached), every decision says exactly what
the reference interpreter's matched rules say, read in any order. The facts are a fixed grid,
so every run checks the same cases."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from csrules import Compare, Decision, Engine, Policy, Rule, Text
from csrules._engine import compile as compiled
from csrules._engine.decision import JoinedDecision, Outcome
from tests import reference_interpreter
from tests.core_models import Thing
from tests.test_decision_views import assert_views_agree
from tests.test_engine_verdicts import NOW, expected_effects

FACTS = [
    Thing(n=n, kind=kind, flag=flag, text="", at=NOW)
    for n, kind, flag in itertools.product(range(-1, 15), ("a", "b"), (False, True))
]
"""Both blocks matching (3 <= n < 10), only the first (n < 3), only the second (n >= 10)."""


def effects(i: int) -> list[dict[str, Any]]:
    """Rule ``i``'s effects: codes repeat, and roles cross the blocks in different orders (the
    second block also names a role the first never does)."""
    text = {"en": "t", "zh": "t"}
    role = f"role{(i * 7) % 5}" if i < compiled.BLOCK else f"role{i % 7}"
    kinds = [
        {"type": "violation", "code": f"V{i % 7}", "message": text},
        {"type": "approval", "role": role},
        {"type": "escalation", "to": f"boss{i % 2}"},
        {"type": "recommendation", "text": text},
        {"type": "approval", "role": "role1"},
    ]
    return [kinds[i % 5], kinds[(i * 3 + 1) % 5]]


def policy(count: int, hit_policy: str = "collect", *, due: bool = False) -> Policy:
    """``count`` rules: the first block's match small ``n``, the later blocks' larger ones (each
    rule's threshold its own), some also on ``flag`` or ``kind``; with ``due``, every fifth rule
    obliges a reply due two hours after the fact's ``at``."""
    rules = []
    for i in range(count):
        then = effects(i)
        if due and i % 5 == 0:
            then.append({"type": "obligation", "action": {"en": "r", "zh": "r"}, "who": "agent",
                         "due": {"after": "2h", "since": "at"}})
        first = i < compiled.BLOCK
        tests = [Compare(path="n", op="<" if first else ">=", value=10 - i % 5 if first else 3 + i % 7)]
        if i % 3 == 0:
            tests.append(Compare(path="flag", op="==", value=bool(i % 2)))
        if i % 4 == 1:
            tests.append(Compare(path="kind", op="!=", value="b"))
        rules.append(Rule(id=f"j{i}", title=Text(en="j", zh="j"), priority=i % 3,
                          when={"kind": "all", "of": tests}, then=then))
    return Policy(id=f"joins-{count}-{hit_policy}", version="1", title=Text(en="j", zh="j"),
                  fact_type="core_thing", hit_policy=hit_policy, rules=rules)


def plan_of(engine: Engine) -> compiled.Plan:
    """The engine's one plan."""
    plan = engine._plans["core_thing"]
    assert isinstance(plan, compiled.Plan)
    return plan


STATES = ("cold", "chunks", "blocks-once", "new", "again", "cached")
"""Cache states, in the order :func:`judged_in_turn` goes through them for one fact."""


def judged_in_turn(engine: Engine, fact: Thing, until: str = STATES[-1]) -> dict[str, Decision]:
    """``fact`` judged in every cache state: with nothing seen (every table emptied), with
    its chunks seen (block tables and patterns emptied), with its blocks seen once and then
    twice (patterns emptied: the second makes the blocks' views), then its pattern seen once
    (marked) and cached; only as far as ``until``."""
    plan = plan_of(engine)
    out = {}
    for state in STATES[:STATES.index(until) + 1]:
        if state in ("cold", "chunks", "blocks-once", "new"):
            plan._views.clear()
        if state == "cold":
            plan._chunks.clear()
        if state == "chunks":
            for table in plan._blocks:
                table.clear()
        out[state] = engine.evaluate(fact, now=NOW)
    return out


def assert_decides_as_reference(decision: Decision, pol: Policy, fact: Thing, state: str) -> None:
    """The slots a host reads first (before anything works the pattern's view out), then
    every view, equal those of the reference interpreter's matched rules' effects."""
    rule_ids = reference_interpreter.matching_rules(pol, fact, NOW)
    effects_ = expected_effects(pol, fact, rule_ids)
    violations = tuple(e for e in effects_ if e.KEY[0] == "violation")
    approvers = tuple(dict.fromkeys(e.role for e in effects_ if e.KEY[0] == "approval"))
    assert decision.outcome is Outcome.worst([e.outcome for e in effects_]), state
    assert decision.violation_codes == tuple(v.code for v in violations), state
    assert decision.approvers == approvers, state
    assert decision.is_clean == (decision.outcome is Outcome.CLEAN), state
    assert decision.violations == violations, state
    assert list(decision.rule_ids) == rule_ids, state
    assert decision.effects == effects_, state
    assert_views_agree(decision)


class TestBlockBoundaries:
    @pytest.mark.parametrize("count", [63, 64, 65, 82, 127, 128, 129])
    def test_every_rule_count_and_cache_state_equals_the_reference(self, count: int) -> None:
        """Around one and two blocks, every cache state decides as the reference; a plan of two
        blocks makes a joined decision for a new pattern whose blocks were seen, others never."""
        pol = policy(count)
        engine = Engine(pol)
        joined = 0
        for fact in FACTS[::2]:
            decisions = judged_in_turn(engine, fact)
            for state, decision in decisions.items():
                assert_decides_as_reference(decision, pol, fact, state)
            joined += isinstance(decisions["new"], JoinedDecision)
            assert all(not isinstance(decisions[state], JoinedDecision) for state in STATES if state != "new")
            assert decisions["new"] == decisions["cached"]
            assert decisions["new"].to_dict() == decisions["cached"].to_dict()
        assert bool(joined) == (compiled.BLOCK < count <= 2 * compiled.BLOCK)

    @pytest.mark.parametrize("hit_policy", ["first", "priority"])
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    def test_other_hit_policies_and_due_times_keep_the_general_path(self, hit_policy: str, due: bool) -> None:
        """Under ``first`` and ``priority``, or with due times, a new pattern goes the general
        way, and every cache state still decides as the reference."""
        for count in (65, 128):
            pol = policy(count, hit_policy, due=due)
            engine = Engine(pol)
            for fact in FACTS[::5]:
                for state, decision in judged_in_turn(engine, fact).items():
                    assert not isinstance(decision, JoinedDecision)
                    assert_decides_as_reference(decision, pol, fact, state)

    def test_due_times_with_collect_keep_the_general_path(self) -> None:
        """Due times under ``collect`` also go the general way (their decisions compute them)."""
        pol = policy(82, due=True)
        engine = Engine(pol)
        for fact in FACTS[::3]:
            for state, decision in judged_in_turn(engine, fact).items():
                assert not isinstance(decision, JoinedDecision)
                assert_decides_as_reference(decision, pol, fact, state)


class TestJoinedDecisions:
    def joined(self, engine: Engine, fact: Thing) -> JoinedDecision:
        """A joined decision for ``fact`` (its blocks seen, its pattern new)."""
        decision = judged_in_turn(engine, fact, "new")["new"]
        assert isinstance(decision, JoinedDecision)
        return decision

    @pytest.mark.parametrize("first_read", ["rule_ids", "violations", "effects", "trace", "record", "__repr__"])
    def test_any_first_read_works_the_view_out_and_caches_it(self, first_read: str) -> None:
        """Whatever is read first, the pattern's view is worked out once, cached, and the
        decision then agrees with the reference and with the cached decision."""
        pol = policy(82)
        engine = Engine(pol)
        fact = FACTS[20]  # n=4: both blocks match
        decision = self.joined(engine, fact)
        plan = plan_of(engine)
        mask = decision._mask
        assert plan._views.get(mask) is False  # seen once: marked, not worked out
        read = getattr(decision, first_read)
        if callable(read):
            read()
        assert plan._views.get(mask) is decision._view
        assert_decides_as_reference(decision, pol, fact, first_read)
        assert engine.evaluate(fact, now=NOW)._view is decision._view

    def test_approvers_join_the_second_blocks_new_roles_in_order(self) -> None:
        """Roles named by both blocks appear once, where the first block names them; roles only
        the second block names follow in its order; the tails kept are per role set, bounded."""
        pol = policy(82)
        engine = Engine(pol)
        seen = set()
        for fact in FACTS:
            decision = judged_in_turn(engine, fact, "new")["new"]
            assert_decides_as_reference(decision, pol, fact, "new")
            seen.add(decision.approvers)
        assert any("role5" in roles and roles.index("role5") > 0 for roles in seen)
        assert all(len(view.tails) <= compiled.MAX_TAILS
                   for table in plan_of(engine)._blocks for view in table.values() if view)

    def test_a_full_pattern_cache_still_marks_and_evicts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With room for three patterns, marks and views evict one another and every decision
        still agrees with the reference."""
        monkeypatch.setattr(compiled, "MAX_VIEWS", 3)
        pol = policy(82)
        engine = Engine(pol)
        plan = plan_of(engine)
        for fact in FACTS + FACTS[::-1] + FACTS:
            assert_decides_as_reference(engine.evaluate(fact, now=NOW), pol, fact, "bounded")
            assert len(plan._views) <= 3

    def test_emptied_tables_rebind_the_judges_block_lookups(self) -> None:
        """A plan whose tables were all emptied starts them again on its next pattern joined
        the general way, and its generated judge then reads the new block tables."""
        pol = policy(82)
        engine = Engine(pol)
        plan = plan_of(engine)
        self.joined(engine, FACTS[20])
        plan._blocks.clear()
        plan._chunks.clear()
        plan._views.clear()
        assert type(engine.evaluate(FACTS[17], now=NOW)) is Decision  # blocks not seen: the general way
        namespace = engine.evaluate.__globals__
        assert namespace["_first"].__self__ is plan._blocks[0]
        assert namespace["_second"].__self__ is plan._blocks[1]
        assert_decides_as_reference(self.joined(engine, FACTS[17]), pol, FACTS[17], "restarted")


class TestJoinedCopies:
    """A joined decision copies like any other decision."""

    def test_copy_equals_the_plain_decision(self) -> None:
        """``copy.copy`` of a decision joined from two blocks equals the cold engine's decision."""
        import copy

        joined = judged_in_turn(Engine(policy(82)), FACTS[20], "new")["new"]
        plain = Engine(policy(82)).evaluate(FACTS[20], now=NOW)
        assert type(joined).__name__ == "JoinedDecision"
        assert copy.copy(joined) == plain
        assert copy.copy(joined).violation_codes == plain.violation_codes
