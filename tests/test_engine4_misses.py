"""A match pattern outside the cache is worked out from its plan's chunk tables (plans of more
than eight rules) or from its rules (plans of eight or fewer), and the decision it makes says
exactly what a warm engine's decision and the reference interpreter say: outcome, violations,
codes, approvers, merged approvals, effect keys, rule ids, obligations with due times, the
trace. Checked over every hit policy, due times, the cache states (pattern cached, pattern
new, chunk tables emptied), plan sizes at the chunk boundaries (7 to 9, 63 to 65, 128, 129,
512 rules), two policies sharing one plan, and every order of first read (a view made from
the tables gathers each part when first read, and becomes a plain view once a decision's
three parts are read). The facts are a fixed grid, so every run checks the same cases."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any, Literal

import pytest
from pydantic import AwareDatetime, BaseModel

from csrules import Compare, Decision, Engine, Policy, Rule, Text, register_fact_type
from csrules._engine import compile as compiled
from csrules._engine.decision import Outcome, ValuesDecision, ViewDecision
from tests import reference_interpreter
from tests.core_models import Thing
from tests.test_decision_views import assert_views_agree
from tests.test_engine_verdicts import NOW, expected_effects

FACTS = [
    Thing(n=n, kind=kind, flag=flag, text="", at=NOW)
    for n, kind, flag in itertools.product(range(-1, 12), ("a", "b"), (False, True))
]
"""Every threshold of :func:`policy`'s rules, both kinds, both flags."""

STATES = ("miss", "cleared", "hit")
"""Cache states: the pattern new (its plan's tables made), new with the tables emptied too,
and cached."""


def effects(i: int) -> list[dict[str, Any]]:
    """Rule ``i``'s two effects: codes repeat, and roles repeat across chunks in different orders."""
    text = {"en": "t", "zh": "t"}
    kinds = [
        {"type": "violation", "code": f"V{i % 7}", "message": text},
        {"type": "approval", "role": f"role{(i * 7) % 5}" if i % 16 < 8 else f"role{i % 7}"},
        {"type": "escalation", "to": f"boss{i % 2}"},
        {"type": "recommendation", "text": text},
        {"type": "approval", "role": "role1"},
    ]
    return [kinds[i % 5], kinds[(i * 3 + 1) % 5]]


@register_fact_type(name="engine4_plain")
class PlainThing(BaseModel):
    """A plain model (every field required, no validator): a dict fact of it is judged from its
    validated values (:class:`~csrules._engine.decision.ValuesDecision`)."""

    n: int
    kind: Literal["a", "b", "c"]
    flag: bool
    at: AwareDatetime


def policy(
    count: int, hit_policy: str = "collect", *, due: bool = False, name: str = "p", fact_type: str = "core_thing"
) -> Policy:
    """``count`` rules on ``n`` (thresholds repeat every eleven rules), some also on ``flag`` or
    ``kind``, priorities 0 to 2; with ``due``, every fifth rule obliges a reply due two hours
    after the fact's ``at``."""
    rules = []
    for i in range(count):
        then = effects(i)
        if due and i % 5 == 0:
            then.append({"type": "obligation", "action": {"en": "r", "zh": "r"}, "who": "agent",
                         "due": {"after": "2h", "since": "at"}})
        tests = [Compare(path="n", op="<" if i % 2 else ">=", value=i % 11 - 1)]
        if i % 3 == 0:
            tests.append(Compare(path="flag", op="==", value=bool(i % 2)))
        if i % 4 == 1:
            tests.append(Compare(path="kind", op="!=", value="b"))
        rules.append(Rule(id=f"{name}{i}", title=Text(en="r", zh="r"), priority=i % 3,
                          when={"kind": "all", "of": tests}, then=then))
    return Policy(id=f"{name}-{count}-{hit_policy}", version="1", title=Text(en="p", zh="p"),
                  fact_type=fact_type, hit_policy=hit_policy, rules=rules)


def plan_of(engine: Engine) -> compiled.Plan:
    """The engine's one plan."""
    (plan,) = engine._plans.values()
    assert isinstance(plan, compiled.Plan)
    return plan


def judged(engine: Engine, fact: Any, state: str) -> Decision:
    """``fact`` (a model or a dict) judged in cache state ``state``."""
    plan = plan_of(engine)
    if state == "hit":
        engine.evaluate(fact, now=NOW)
    else:
        plan._views.clear()
        if state == "cleared":
            plan._tables = plan._kept = None
    return engine.evaluate(fact, now=NOW)


def expected_rules(policies: list[Policy], fact: Thing) -> list[tuple[str, str]]:
    """The reference interpreter's matched rules of each policy, in plan order."""
    return [(p.id, rule_id) for p in policies for rule_id in reference_interpreter.matching_rules(p, fact, NOW)]


def reference_reads(policies: list[Policy], fact: Thing) -> dict[str, Any]:
    """Every field a host reads, as the reference interpreter's matched rules' effects give it."""
    matches = expected_rules(policies, fact)
    by_policy = {p.id: p for p in policies}
    effects_ = tuple(itertools.chain.from_iterable(
        expected_effects(by_policy[policy_id], fact, [rule_id]) for policy_id, rule_id in matches
    ))
    merged = compiled.merge_approvals(effects_)
    return {
        "outcome": Outcome.worst([e.outcome for e in merged]),
        "violations": tuple(e for e in merged if e.KEY[0] == "violation"),
        "violation_codes": tuple(e.code for e in merged if e.KEY[0] == "violation"),
        "approvers": tuple(dict.fromkeys(e.role for e in merged if e.KEY[0] == "approval")),
        "approvals": tuple(e for e in merged if e.KEY[0] == "approval"),
        "obligations": tuple(e for e in merged if e.KEY[0] == "obligation"),
        "effect_keys": tuple(e.key for e in merged),
        "effects": merged,
        "rule_ids": tuple(rule_id for _, rule_id in matches),
        "matches": tuple(matches),
    }


FIRST_READS = ("rule_ids", "violation_codes", "approvers", "violations", "effects", "to_dict", "outcome")
"""What a host may read first of a decision."""

READS = ("outcome", "violations", "violation_codes", "approvers", "approvals", "obligations",
         "effect_keys", "effects", "rule_ids", "matches")


def assert_decides(decision: Decision, warm: Decision, reference: dict[str, Any], first: str, where: Any) -> None:
    """``decision``, ``first`` read first, then every field, equals the reference and ``warm``."""
    read = getattr(decision, first)
    if callable(read):
        read()
    for name in READS:
        assert getattr(decision, name) == reference[name], (where, name)
        assert getattr(decision, name) == getattr(warm, name), (where, name)
    assert all(o.due is not None for o in decision.obligations), where
    assert decision.is_clean == warm.is_clean, where
    assert decision == warm, where
    assert decision.to_dict() == warm.to_dict(), where
    assert_views_agree(decision)


def check(policies: list[Policy], facts: list[Thing], *, traced: int = 2, dicts: bool = False) -> None:
    """Every fact judged in every cache state, with every first read in turn, equals a warm
    engine's decision and the reference; the first ``traced`` facts' traces select the
    reference's rules."""
    engine, warm_engine = Engine(policies), Engine(policies)
    for at, fact in enumerate(facts):
        warm_engine.evaluate(fact, now=NOW)
        warm = warm_engine.evaluate(fact, now=NOW)
        reference = reference_reads(policies, fact)
        for state, first in zip(itertools.cycle(STATES), FIRST_READS, strict=False):
            where = (len(plan_of(engine).rules), fact, state, first)
            assert_decides(judged(engine, fact, state), warm, reference, first, where)
            if dicts:
                assert_decides(judged(engine, fact.model_dump(), state), warm, reference, first, where)
        if at < traced:
            decision = judged(engine, fact, "miss")
            selected = [(r.policy_id, r.rule_id) for r in decision.trace if r.selected]
            assert selected == list(reference["matches"])
            assert decision.trace.to_dict() == warm.trace.to_dict()


class TestPlanSizes:
    @pytest.mark.parametrize("count", [7, 8, 9, 63, 64, 65, 128, 129])
    @pytest.mark.parametrize("hit_policy", ["collect", "first", "priority"])
    def test_chunk_boundaries(self, count: int, hit_policy: str) -> None:
        """Around one chunk, eight chunks and sixteen, under each hit policy, every cache state
        and first read decides as the warm engine and the reference."""
        check([policy(count, hit_policy)], FACTS[::3])

    @pytest.mark.parametrize("count", [8, 9, 65])
    @pytest.mark.parametrize("hit_policy", ["collect", "first", "priority"])
    def test_due_times(self, count: int, hit_policy: str) -> None:
        """With due times (their decisions compute them first), the same, and dict facts too."""
        check([policy(count, hit_policy, due=True)], FACTS[::4], dicts=True)

    @pytest.mark.parametrize("hit_policy", ["collect", "priority"])
    def test_five_hundred_and_twelve_rules(self, hit_policy: str) -> None:
        """Sixty-four chunks, with due times: the same."""
        check([policy(512, hit_policy, due=True)], FACTS[::13], traced=1)

    def test_policies_sharing_a_plan(self) -> None:
        """A plan of three policies (collect, first, priority) whose rules share chunks decides
        each policy's rules as the reference does."""
        policies = [policy(13, "collect", name="c"), policy(20, "first", name="f", due=True),
                    policy(40, "priority", name="q")]
        check(policies, FACTS[::2], traced=1, dicts=True)


class TestValuesPath:
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    def test_dict_facts_of_a_plain_model(self, due: bool) -> None:
        """Dict facts of a plain model, judged from their validated values, decide in every
        cache state as the same facts validated first, and as the reference."""
        pol = policy(65, "priority", due=due, fact_type="engine4_plain")
        engine, warm_engine = Engine(pol), Engine(pol)
        for fact in FACTS[::3]:
            plain = PlainThing(n=fact.n, kind=fact.kind, flag=fact.flag, at=fact.at)
            warm_engine.evaluate(plain, now=NOW)
            warm = warm_engine.evaluate(plain, now=NOW)
            reference = reference_reads([pol], fact)
            for state, first in zip(STATES, FIRST_READS[1:], strict=False):
                decision = judged(engine, plain.model_dump(), state)
                assert isinstance(decision, ValuesDecision) or due
                assert_decides(decision, warm, reference, first, (fact, state))
                assert decision.fact == plain


class TestTableViews:
    def test_a_miss_makes_a_view_decision_and_the_next_hit_a_plain_one(self) -> None:
        """A pattern outside the cache of a plan of many rules gives a :class:`ViewDecision`
        reading through its view; the pattern's next decision is a plain one, its view now a
        plain :class:`~csrules._engine.compile.MatchView`, and both decisions agree."""
        engine = Engine(policy(65))
        fact = FACTS[9]
        first = engine.evaluate(fact, now=NOW)
        assert type(first) is ViewDecision
        assert type(first._view) is compiled._TableView
        second = engine.evaluate(fact, now=NOW)
        assert type(second) is Decision
        assert type(second._view) is compiled.MatchView
        assert second._view is first._view
        assert second.approvers is first.approvers
        assert second.violations is first.violations
        assert first == second
        assert first.to_dict() == second.to_dict()

    def test_a_view_read_only_in_part_stays_lazy(self) -> None:
        """A miss's rule ids are gathered when its view is made (every host reads them);
        reading its codes gathers only those; the approvers and the violations wait, and the
        view stays made from the tables until they are read."""
        engine = Engine(policy(129))
        decision = engine.evaluate(FACTS[9], now=NOW)
        view = decision._view
        decision.rule_ids, decision.violation_codes  # noqa: B018 - the reads are what is checked
        assert set(view._lazy) == {"violation_codes"}
        assert type(view) is compiled._TableView
        decision.approvers, decision.violations  # noqa: B018
        assert type(view) is compiled.MatchView

    def test_nothing_matched_is_the_plans_empty_view(self) -> None:
        """A pattern where no rule matched is the plan's one empty view, whose decisions are
        plain, clean and select nothing."""
        for count in (8, 65):
            plan = plan_of(Engine(policy(count)))
            plan._views.clear()
            assert plan.view(0) is plan._nothing
            decision = compiled.make_decision(plan._new_view(0), FACTS[0], NOW)
            assert type(decision) is Decision
            assert decision.outcome is Outcome.CLEAN
            assert decision.rule_ids == ()
            assert decision.effects == ()
            assert decision.approvers == ()

    def test_copies_and_bounded_cache(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A copied view decision equals the original; with room for three patterns, table views
        evict one another and every decision still equals the reference."""
        monkeypatch.setattr(compiled, "MAX_VIEWS", 3)
        pol = policy(70)
        engine = Engine(pol)
        for fact in FACTS + FACTS[::-1]:
            decision = engine.evaluate(fact, now=NOW)
            reference = reference_reads([pol], fact)
            clone = copy.copy(decision)
            for name in READS:
                assert getattr(clone, name) == reference[name], name
            assert len(plan_of(engine)._views) <= 3

    def test_tables_emptied_under_cached_table_views(self) -> None:
        """Views made from the tables and cached, unread, still read right (and their next
        decisions too) after the plan's tables were emptied: the tables are made again."""
        pol = policy(65)
        engine = Engine(pol)
        decisions = [engine.evaluate(fact, now=NOW) for fact in FACTS]
        plan_of(engine)._tables = None
        for fact, decision in zip(FACTS, decisions, strict=True):
            reference = reference_reads([pol], fact)
            for made in (decision, engine.evaluate(fact, now=NOW)):
                for name in READS:
                    assert getattr(made, name) == reference[name], name

    def test_every_decision_class_copies(self) -> None:
        """``copy.copy`` of a view decision, a decision with due times and a plain one each
        equals the original (a decision with due times could not be copied before)."""
        engine = Engine(policy(65, due=True))
        made = {}
        for fact in FACTS:
            plan_of(engine)._views.clear()
            made.setdefault(type(engine.evaluate(fact, now=NOW)).__name__, fact)
            made.setdefault(type(engine.evaluate(fact, now=NOW)).__name__, fact)
        assert set(made) == {"ViewDecision", "TimedDecision", "Decision"}
        for fact in made.values():
            for state in STATES:
                decision = judged(engine, fact, state)
                clone = copy.copy(decision)
                assert clone == decision
                assert clone.to_dict() == decision.to_dict()
                assert clone.obligations == decision.obligations
                assert clone.fact is decision.fact

    @pytest.mark.parametrize("read", [lambda d: d.record(), lambda d: repr(d), lambda d: d.rule_effects],
                             ids=["record", "repr", "rule_effects"])
    def test_other_first_reads(self, read: Callable[[Decision], Any]) -> None:
        """A record, a repr or the rule effects read first of a miss agree with a warm engine's."""
        pol = policy(65, due=True)
        engine, warm_engine = Engine(pol), Engine(pol)
        for fact in FACTS[::5]:
            warm_engine.evaluate(fact, now=NOW)
            warm = warm_engine.evaluate(fact, now=NOW)
            assert read(judged(engine, fact, "miss")) == read(warm)
