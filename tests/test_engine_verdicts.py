"""What a decision says per match pattern is the same whether the pattern was cached, is new
but joined from chunks of eight rules already seen, or is seen for the first time: on policies
of many rules (patterns joined from several chunks), every hit policy and due times, each
decision's rules are the reference interpreter's and its views equal those worked out from its
effects, which equal the matched rules' own effects. The facts are a fixed grid, so every
run checks the same cases."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import Compare, Decision, Engine, Policy, Rule, Text
from csrules._engine.compile import CompiledRule, MatchView, _TableView
from csrules._engine.decision import Outcome, TimedDecision, merge_approvals
from csrules.exceptions import TimeError
from tests import reference_interpreter
from tests.core_models import Thing
from tests.test_decision_views import assert_views_agree

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
RULES = 40
"""Five chunks of eight rules: most patterns are joined from several chunks."""


def effect(i: int) -> list[dict[str, Any]]:
    """Rule ``i``'s effects: codes and roles repeat across rules (and chunks), so that
    approvals of one role merge across chunks and violations share codes."""
    kinds = [
        {"type": "violation", "code": f"V{i % 7}", "message": {"en": "v", "zh": "v"}},
        {"type": "approval", "role": f"role{i % 3}"},
        {"type": "escalation", "to": f"boss{i % 2}"},
        {"type": "recommendation", "text": {"en": "r", "zh": "r"}},
        {"type": "approval", "role": "role0"},
    ]
    return [kinds[i % 5], kinds[(i * 3 + 1) % 5]]


def wide(hit_policy: str, *, due: bool = False, count: int = RULES, name: str = "wide") -> Policy:
    """``count`` rules (forty by default) on ``n``, ``flag`` and ``kind``, thresholds repeating
    every 13 rules; with ``due``, every fourth rule also obliges a reply due two hours after
    the fact's ``at``. ``name`` gives the policy id and the rules' id prefix (its first letter)."""
    rules = []
    for i in range(count):
        then = effect(i)
        if due and i % 4 == 0:
            then.append({"type": "obligation", "action": {"en": "reply", "zh": "回复"}, "who": "agent",
                         "due": {"after": "2h", "since": "at"}})
        tests = [Compare(path="n", op=">=" if i % 2 else "<", value=i % 13)]
        if i % 3 == 0:
            tests.append(Compare(path="flag", op="==", value=bool(i % 2)))
        if i % 5 == 1:
            tests.append(Compare(path="kind", op="!=", value="b"))
        rules.append(Rule(id=f"{name[0]}{i}", title=Text(en=name[0], zh=name[0]), priority=i % 4,
                          when={"kind": "all", "of": tests}, then=then))
    return Policy(id=f"{name}-{hit_policy}", version="1", title=Text(en=name[0], zh=name[0]),
                  fact_type="core_thing", hit_policy=hit_policy, rules=rules)


FACTS = [
    Thing(n=n, kind=kind, flag=flag, text="", at=NOW)
    for n, kind, flag in itertools.product(range(-1, 15), ("a", "b"), (False, True))
]


def expected_effects(policy: Policy, fact: Thing, rule_ids: list[str]) -> tuple[Any, ...]:
    """The matched rules' own effects, due times filled in, approvals of one role merged."""
    by_id = {rule.id: rule for rule in policy.rules}
    return merge_approvals([
        e for rule_id in rule_ids for e in CompiledRule.of(policy, by_id[rule_id]).resolve(fact, NOW)
    ])


def judged(engine: Engine, fact: Thing, cache: str) -> Decision:
    """``fact`` judged with its pattern cached, new (chunk tables made) or with nothing made."""
    plan = engine._plans["core_thing"]
    if cache == "cached":
        engine.evaluate(fact, now=NOW)
    elif cache in ("new", "cold"):
        plan._views.clear()
        if cache == "cold":
            plan._tables = plan._kept = None
    return engine.evaluate(fact, now=NOW)


class TestEveryCacheStateAgrees:
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    @pytest.mark.parametrize("hit_policy", ["collect", "first", "priority"])
    def test_decisions_equal_the_reference(self, hit_policy: str, due: bool) -> None:
        """Rules, effects and every view agree with the reference in all three cache states."""
        policy = wide(hit_policy, due=due)
        engine = Engine(policy)
        joined = 0
        for fact in FACTS:
            rule_ids = reference_interpreter.matching_rules(policy, fact, NOW)
            effects = expected_effects(policy, fact, rule_ids)
            seen = []
            for cache in ("cached", "new", "cold"):
                decision = judged(engine, fact, cache)
                joined += type(decision._view) is _TableView  # before any read fills it
                assert list(decision.rule_ids) == rule_ids, cache
                assert decision.effects == effects, cache
                assert_views_agree(decision)
                seen.append(decision.to_dict())
            assert seen[0] == seen[1] == seen[2]
        # patterns never seen were made from the chunk tables (a plan of few patterns keeps them)
        assert joined >= len(FACTS)

    def test_a_joined_view_reads_like_its_rules(self) -> None:
        """A view made from the chunk tables equals the view made from the same rules in one piece."""
        policy = wide("collect")
        engine = Engine(policy)
        plan = engine._plans["core_thing"]
        for fact in FACTS:
            view = engine.evaluate(fact, now=NOW)._view
            whole = MatchView(plan, view.rules, view.selected)
            for name in ("rule_ids", "outcome", "violations", "approvers", "approvals", "obligations",
                         "escalations", "recommendations", "templates", "effect_keys", "matches"):
                assert getattr(view, name) == getattr(whole, name), name


class TestDecisionSlots:
    def test_host_reads_are_plain_attributes(self) -> None:
        """Outcome, violations and approvers are the pattern's, held by the decision."""
        engine = Engine(wide("collect"))
        engine.evaluate(FACTS[5], now=NOW)  # the pattern outside the cache: a ViewDecision
        decision = engine.evaluate(FACTS[5], now=NOW)
        view = decision._view
        assert decision.outcome is view.outcome
        assert decision.violations is view.violations
        assert decision.approvers is view.approvers
        assert type(decision) is Decision

    def test_timed_decisions_still_compute_due_times_first(self) -> None:
        """A decision with due times reads its outcome through its own effects."""
        engine = Engine(wide("collect", due=True))
        fact = next(f for f in FACTS if engine.evaluate(f, now=NOW).obligations)
        decision = engine.evaluate(fact, now=NOW)
        assert type(decision) is TimedDecision
        assert decision.outcome is Outcome.worst([e.outcome for e in decision.effects])
        assert all(o.due is not None for o in decision.obligations)


class TestEvaluateShortcut:
    def test_the_shortcut_decides_as_the_general_path(self) -> None:
        """A fact of the only model, no option given, is judged as when its type is named."""
        policy = wide("priority", due=True)
        engine = Engine(policy)
        for fact in FACTS:
            quick = engine.evaluate(fact, now=NOW)
            named = engine.evaluate(fact, now=NOW, fact_type="core_thing")
            assert quick == named
            assert quick.to_dict() == named.to_dict()
            assert quick.obligations == named.obligations

    def test_the_shortcut_still_checks_the_clock(self) -> None:
        """A naive ``now``, or none where a due time counts from it, is refused as before."""
        engine = Engine(Policy(
            id="clock", version="1", title=Text(en="c", zh="c"), fact_type="core_thing",
            rules=[Rule(id="r", title=Text(en="r", zh="r"), when=Compare(path="flag", op="==", value=True),
                        then=[{"type": "obligation", "action": {"en": "a", "zh": "a"}, "who": "agent",
                               "due": {"after": "1h"}}])],
        ))
        with pytest.raises(TimeError, match="pass now="):
            engine.evaluate(FACTS[0])
        with pytest.raises(TimeError, match="time zone"):
            engine.evaluate(FACTS[0], now=NOW.replace(tzinfo=None))
