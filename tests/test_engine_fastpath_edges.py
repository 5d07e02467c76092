"""The engine's fast paths (the generated judge, per-chunk views, joined views, the shared
"nothing matched" view, a single-type engine's direct call) held to the reference
interpreter on deterministic grids: facts that are not plainly validated instances, several
policies with different hit policies across chunk boundaries, rules failing in one chunk
while others match, dated versions, pickled and logging engines, every reading order, and
a pattern cache small enough to evict."""

from __future__ import annotations

import pickle
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import csrules._engine.compile as compile_module
from csrules import Engine, Policy
from csrules._engine.compile import CompiledRule, MatchView
from csrules._engine.decision import Decision, merge_approvals
from csrules.records import JsonlLog
from tests import reference_interpreter
from tests.core_models import Sub, Thing

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone(timedelta(hours=8)))
ROLES = ("head", "hr", "ceo")
READS = (
    "approvals", "approvers", "rule_ids", "violations", "obligations", "effects", "outcome",
    "effect_keys", "matches", "escalations", "recommendations", "is_clean",
)


class SubThing(Thing):
    """A subclass of the judged model (it must be judged as its parent is)."""

    extra: int = 0


def _leaf(rng: random.Random) -> dict[str, Any]:
    """One condition over ``core_thing``, drawn from ``rng``."""
    return rng.choice([
        {"kind": "compare", "path": "n", "op": rng.choice([">", "<", ">=", "=="]), "value": rng.randrange(-2, 12)},
        {"kind": "compare", "path": "kind", "op": "==", "value": rng.choice("abc")},
        {"kind": "compare", "path": "flag", "op": "==", "value": rng.random() < 0.5},
        {"kind": "compare", "path": "x", "op": ">", "value": rng.randrange(-3, 3)},
        {"kind": "compare", "path": "sub.m", "op": "<", "value": rng.randrange(0, 10)},
        {"kind": "is_set", "path": "x"},
    ])


def _effect(rng: random.Random, i: int) -> dict[str, Any]:
    """Effect ``i``: the five kinds in turn, roles repeating across chunks, some due times."""
    return [
        {"type": "violation", "code": f"V{i}", "message": "m"},
        {"type": "approval", "role": rng.choice(ROLES)},
        {"type": "obligation", "action": f"do {i}", "who": "hr",
         **({"due": {"after": "2h", "since": "at"}} if rng.random() < 0.5 else {})},
        {"type": "escalation", "to": rng.choice(ROLES)},
        {"type": "recommendation", "text": f"rec {i}"},
    ][i % 5]


def make_policies(seed: int, sizes: tuple[int, ...], hits: tuple[str, ...], *, version: str = "1") -> list[Policy]:
    """Policies of ``sizes`` rules with hit policies ``hits``, rule ids running on across them."""
    rng, out, at = random.Random(seed), [], 0
    for number, (size, hit) in enumerate(zip(sizes, hits, strict=True)):
        rules = []
        for i in range(at, at + size):
            when = _leaf(rng) if rng.random() < 0.5 else {"kind": "all", "of": [_leaf(rng), _leaf(rng)]}
            then = [_effect(rng, i)] + ([_effect(rng, i + 1)] if rng.random() < 0.4 else [])
            rules.append({"id": f"r{i}", "title": f"rule {i}", "when": when, "then": then,
                          "priority": rng.randrange(3)})
        at += size
        out.append(Policy(id=f"p{number}", version=version, title="t", fact_type="core_thing",
                          hit_policy=hit, rules=rules))
    return out


def make_facts(seed: int, count: int) -> Iterator[Thing]:
    """``count`` facts drawn from ``seed``: every field's interesting values."""
    rng = random.Random(seed)
    at = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    for _ in range(count):
        yield Thing(n=rng.randrange(-3, 13), x=rng.choice([None, -2.0, 0.5, 2.5]), kind=rng.choice("abc"),
                    flag=rng.random() < 0.5, text="t", at=at + timedelta(hours=rng.randrange(48)),
                    sub=rng.choice([None, Sub(m=rng.randrange(10))]))


def reference(policies: list[Policy], fact: Any) -> tuple[list[str], list[str], tuple[Any, ...]]:
    """The rules kept, the rules that failed, and the effects, by the reference interpreter
    (a rule that fails counts as not matched; a ``first`` policy stops at its first match or
    its first failure; a ``priority`` policy keeps no match below a failed rule's priority)."""
    kept, failed, effects = [], [], []
    for policy in policies:
        held, undecided = [], None
        for rule in policy.rules:
            try:
                if reference_interpreter.holds(rule.when, fact, policy.param_values, NOW):
                    held.append(rule)
            except Exception:
                failed.append(rule.id)
                if policy.hit_policy == "first":
                    break
                undecided = max(rule.priority, undecided if undecided is not None else rule.priority)
            if held and policy.hit_policy == "first":
                break
        if policy.hit_policy == "priority" and undecided is not None:
            held = [rule for rule in held if rule.priority >= undecided]
        if policy.hit_policy == "first":
            held = held[:1]
        elif policy.hit_policy == "priority" and held:
            top = max(rule.priority for rule in held)
            held = [rule for rule in held if rule.priority == top]
        kept.extend(rule.id for rule in held)
        effects.extend(e for rule in held for e in CompiledRule.of(policy, rule).resolve(fact, NOW))
    return kept, failed, merge_approvals(effects)


def assert_agrees(decision: Decision, policies: list[Policy], fact: Any, order: tuple[str, ...] = READS) -> None:
    """``decision`` says what the reference says, whatever is read first."""
    kept, failed, effects = reference(policies, fact)
    seen = {name: getattr(decision, name) for name in order}
    assert list(seen["rule_ids"]) == kept
    assert [e.rule_id for e in decision.errors] == failed
    assert seen["effects"] == effects
    assert seen["violations"] == tuple(e for e in effects if e.outcome.rank == 3)
    assert seen["approvers"] == tuple(dict.fromkeys(a.role for a in seen["approvals"]))
    assert seen["approvals"] == tuple(e for e in effects if type(e).__name__ == "Approval")
    assert seen["obligations"] == tuple(e for e in effects if type(e).__name__ == "Obligation")
    assert seen["outcome"].rank == max((e.outcome.rank for e in effects), default=0)
    assert seen["effect_keys"] == tuple(e.key for e in effects)
    assert seen["is_clean"] == (seen["outcome"].rank == 0 and not failed)
    assert [r.rule_id for r in decision.trace.rules if r.selected] == kept


Sizes = tuple[int, ...]
Hits = tuple[str, ...]

# (rules per policy, their hit policies): chunk boundaries at rules 8, 16 and 24
LAYOUTS = [
    ((9, 9, 9), ("collect", "first", "priority")),
    ((7, 2, 8), ("first", "priority", "collect")),
    ((17,), ("first",)),
    ((17,), ("priority",)),
    ((24,), ("collect",)),
    ((16, 1), ("priority", "first")),
]


class TestFactsThatAreNotPlainInstances:
    @pytest.mark.parametrize(("sizes", "hits"), LAYOUTS)
    def test_every_form_of_a_fact_gets_the_reference_decision(self, sizes: Sizes, hits: Hits) -> None:
        """Instances, subclasses, model_construct'ed, mutated and dict facts all agree with the reference."""
        policies = make_policies(len(sizes) * 7 + sum(sizes), sizes, hits)
        engine = Engine(policies)
        for fact in make_facts(sum(sizes), 60):
            forms: list[Any] = [fact, SubThing(**dict(fact)), Thing.model_construct(**dict(fact))]
            mutated = fact.model_copy()
            mutated.n = 11 - fact.n  # assignment is not validated: the fact is judged as it now is
            forms.append(mutated)
            for form in forms:
                assert_agrees(engine.evaluate(form, now=NOW), policies, form)
            assert engine.evaluate(fact.model_dump(), now=NOW) == engine.evaluate(fact, now=NOW)

    def test_a_subclass_fact_skips_the_single_type_shortcut_but_not_its_plan(self) -> None:
        """A subclass instance is judged by its parent's plan, with the same decision as its parent."""
        policies = make_policies(1, (9, 9), ("collect", "first"))
        engine = Engine(policies)
        for fact in make_facts(2, 40):
            child = SubThing(**dict(fact), extra=5)
            assert engine.evaluate(child, now=NOW) == engine.evaluate(fact, now=NOW)
            assert engine.evaluate(child, now=NOW).fact is child


class TestFailuresAcrossChunks:
    @pytest.mark.parametrize(("sizes", "hits"), LAYOUTS)
    def test_rules_failing_in_one_chunk_do_not_hide_matches_in_another(self, sizes: Sizes, hits: Hits) -> None:
        """A fact lacking ``n`` fails exactly the rules that read it; the other chunks still decide."""
        policies = make_policies(sum(sizes) + 3, sizes, hits)
        engine = Engine(policies)
        failing = 0
        for fact in make_facts(5, 60):
            partial = Thing.model_construct(**{k: v for k, v in dict(fact).items() if k != "n"})
            decision = engine.evaluate(partial, now=NOW)
            assert_agrees(decision, policies, partial)
            failing += bool(decision.errors)
        assert failing  # the grid holds facts whose rules fail


class TestEnginesOfEveryShape:
    def test_several_fact_types_pickled_and_logging_engines_agree(self, tmp_path: Path) -> None:
        """A two-type engine, a pickled engine and an engine with a log decide as the reference."""
        policies = make_policies(11, (9, 9, 9), ("collect", "first", "priority"))
        other = Policy(id="other", version="1", title="t", fact_type="core_leave", rules=[])
        engines = [Engine([*policies, other]), pickle.loads(pickle.dumps(Engine(policies)))]
        logged = Engine(policies).with_log(JsonlLog(tmp_path / "log.jsonl"))
        for fact in make_facts(12, 60):
            for engine in engines:
                assert_agrees(engine.evaluate(fact, now=NOW), policies, fact)
            assert_agrees(logged.evaluate(fact, now=NOW), policies, fact)

    def test_dated_versions_decide_as_their_own_policies(self) -> None:
        """Each dated version, chosen by ``as_of`` or the fact's time, decides as the reference."""
        old = make_policies(21, (9, 9), ("collect", "first"))
        new = make_policies(22, (9, 9), ("priority", "collect"), version="2")
        cut = date(2026, 1, 1)
        versions = [old[0].model_copy(update={"valid_until": cut}), new[0].model_copy(update={"valid_from": cut})]
        engine = pickle.loads(pickle.dumps(Engine([*versions, old[1]])))
        for fact in make_facts(23, 40):
            assert_agrees(engine.evaluate(fact, now=NOW), [new[0], old[1]], fact)
            before = engine.evaluate(fact, now=NOW, as_of=date(2025, 6, 1))
            assert_agrees(before, [old[0], old[1]], fact)


class TestViewsInEveryState:
    @pytest.mark.parametrize("seed", range(4))
    def test_any_reading_order_on_fresh_views_agrees(self, seed: int) -> None:
        """Whatever a host reads first from a view just made, every read agrees with the reference."""
        policies = make_policies(seed, (9, 9, 9), ("collect", "first", "priority"))
        engine = Engine(policies)
        rng = random.Random(seed)
        for fact in make_facts(30 + seed, 80):
            order = list(READS)
            rng.shuffle(order)
            assert_agrees(engine.evaluate(fact, now=NOW), policies, fact, tuple(order))

    def test_an_evicting_pattern_cache_keeps_every_answer(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With room for three patterns, patterns evicted and joined again still decide right."""
        monkeypatch.setattr(compile_module, "MAX_VIEWS", 3)
        policies = make_policies(41, (24,), ("collect",))
        engine = Engine(policies)
        facts = list(make_facts(42, 60))
        for fact in facts + facts:
            assert_agrees(engine.evaluate(fact, now=NOW), policies, fact)
        assert len(engine._plans["core_thing"]._views) <= 3  # type: ignore[union-attr]

    def test_nothing_matched_is_one_shared_view(self) -> None:
        """Every fact matching no rule reads the one "nothing matched" view: clean, no rules, no effects."""
        policy = Policy(id="p", version="1", title="t", fact_type="core_thing", rules=[
            {"id": f"r{i}", "title": "t", "when": {"kind": "compare", "path": "n", "op": "==", "value": 100 + i},
             "then": [{"type": "violation", "code": f"V{i}", "message": "m"}]} for i in range(20)])
        engine = Engine(policy)
        views = {id(engine.evaluate(fact, now=NOW)._view) for fact in make_facts(50, 20)}
        assert len(views) == 1
        decision = engine.evaluate(next(make_facts(50, 1)), now=NOW)
        assert isinstance(decision._view, MatchView)
        assert (decision.rule_ids, decision.effects, decision.outcome.value) == ((), (), "clean")


class TestChunkViewsAreLazy:
    def test_a_new_chunk_view_works_out_only_what_every_decision_reads(self) -> None:
        """A view just made holds outcome, rule ids, violations and approvers; the other kinds wait for a read."""
        policies = make_policies(60, (8,), ("collect",))
        engine = Engine(policies)
        seen: set[int] = set()
        for fact in make_facts(61, 30):
            decision = engine.evaluate(fact, now=NOW)
            view = decision._view
            if id(view) not in seen:
                seen.add(id(view))
                assert not {"obligations", "approvals", "escalations", "recommendations"} & set(view._lazy)
            assert_agrees(decision, policies, fact)
            assert {"obligations", "approvals"} <= set(view._lazy)
        assert len(seen) > 3  # the grid makes several patterns
