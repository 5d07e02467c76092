"""What introspection shows of ``evaluate``, and ``Decision.violation_codes``.

``Engine.evaluate`` (a property-like method read by a C-level getter) and an engine's own
``evaluate`` (its plan's generated entry, or the general path) show the documented name,
signature and docstring, and take the fact by its documented name. ``violation_codes`` is
worked out once per match pattern: it must equal the codes of ``violations`` and the codes of
the reference interpreter's matched rules, for every hit policy, with and without due times,
in every cache state; on random policies and facts; and on every built-in pack's examples.
"""

from __future__ import annotations

import inspect
import pydoc
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csrules import Decision, Engine, Policy, registered_time
from csrules._engine import compile as compiled
from csrules._engine.decision import TimedDecision
from csrules._engine.examples import day_in_force
from csrules.exceptions import CalendarError
from csrules.policies import load_pack, pack_names
from tests import reference_interpreter
from tests.core_models import Leave, Thing
from tests.strategies import aware_datetimes, policies, things
from tests.test_decision_views import CALENDAR_2026, assert_views_agree, late_reply
from tests.test_engine_entry import judged, many
from tests.test_engine_verdicts import FACTS, NOW, expected_effects, wide

DOCUMENTED = Engine.evaluate.__wrapped__  # type: ignore[attr-defined]
"""The documented method, as written in the class."""

PARAMETERS = ["fact", "now", "fact_type", "as_of"]


def reference_codes(policy: Policy, fact: Any, now: datetime | None) -> tuple[str, ...]:
    """The violation codes of the rules the reference interpreter selects, in rule order."""
    by_id = {rule.id: rule for rule in policy.rules}
    return tuple(
        effect.code
        for rule_id in reference_interpreter.matching_rules(policy, fact, now)
        for effect in by_id[rule_id].then
        if effect.type == "violation"
    )


def assert_codes(decision: Decision) -> None:
    """The decision's codes are its violations' codes, as a tuple of strings."""
    assert type(decision.violation_codes) is tuple
    assert decision.violation_codes == tuple(v.code for v in decision.violations)


class TestIntrospection:
    def test_the_class_attribute_shows_the_documented_method(self) -> None:
        """``Engine.evaluate`` has the documented name, signature and docstring; help shows both."""
        method = Engine.evaluate
        assert inspect.signature(method) == inspect.signature(DOCUMENTED)
        assert list(inspect.signature(method).parameters) == ["self", *PARAMETERS]
        assert (method.__name__, method.__qualname__) == ("evaluate", "Engine.evaluate")
        assert inspect.cleandoc(DOCUMENTED.__doc__) in inspect.getdoc(method)
        shown = pydoc.render_doc(method, renderer=pydoc.plaintext)
        assert "evaluate(fact, *, now=None, fact_type=None, as_of=None) -> Decision" in shown
        assert "Judge one fact" in shown

    @pytest.mark.parametrize("types", ["one", "two"])
    def test_an_engines_evaluate_shows_the_documented_method(self, types: str) -> None:
        """A one-type engine's generated entry and a two-type engine's general path both
        show the documented name, signature (without the engine) and docstring."""
        policies = [wide("collect")] + ([Policy.model_validate(leave_policy())] if types == "two" else [])
        evaluate = Engine(policies).evaluate
        signature = inspect.signature(evaluate)
        assert list(signature.parameters) == PARAMETERS
        assert signature == inspect.signature(DOCUMENTED.__get__(object()))
        assert (evaluate.__name__, evaluate.__qualname__) == ("evaluate", "Engine.evaluate")
        assert evaluate.__doc__ == DOCUMENTED.__doc__
        shown = pydoc.render_doc(evaluate, renderer=pydoc.plaintext)
        assert "evaluate(fact: 'Any', *, now:" in shown
        assert "Judge one fact" in shown

    @pytest.mark.parametrize("types", ["one", "two"])
    def test_the_fact_is_taken_by_its_documented_name(self, types: str) -> None:
        """``evaluate(fact=...)`` decides as ``evaluate(...)``, on either kind of engine."""
        policies = [wide("collect")] + ([Policy.model_validate(leave_policy())] if types == "two" else [])
        engine = Engine(policies)
        for fact in FACTS[::7]:
            by_name = engine.evaluate(fact=fact, now=NOW)
            assert by_name == engine.evaluate(fact, now=NOW)
            as_dict = fact.model_dump()
            assert by_name == engine.evaluate(fact=as_dict, now=NOW, fact_type="core_thing")
            assert by_name == engine.evaluate(as_dict, now=NOW, fact_type="core_thing")


def leave_policy() -> dict[str, Any]:
    """A small policy judging a second fact type (``core_leave``)."""
    assert Leave  # the fact type is registered by its model's module
    return {
        "id": "leave-codes", "version": "1", "title": {"en": "l", "zh": "l"}, "fact_type": "core_leave",
        "rules": [{"id": "l1", "title": {"en": "l", "zh": "l"}, "when": {"kind": "compare", "path": "days",
                   "op": ">", "value": 3}, "then": [{"type": "violation", "code": "L-1", "message": "m"}]}],
    }


class TestViolationCodes:
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    @pytest.mark.parametrize("hit_policy", ["collect", "first", "priority"])
    def test_every_cache_state_gives_the_reference_codes(self, hit_policy: str, due: bool) -> None:
        """Over nineteen chunks of rules, codes equal the reference's whether the pattern is
        cached, new, or new with the chunk tables emptied."""
        policy = many(hit_policy, due=due)
        engine = Engine(policy)
        for fact in FACTS[::3]:
            expected = reference_codes(policy, fact, NOW)
            for cache in ("cached", "new", "cold"):
                decision = judged(engine, fact, cache)
                assert decision.violation_codes == expected, cache
                assert_codes(decision)

    def test_chunk_joined_patterns_give_the_reference_codes(self) -> None:
        """Over one block of five chunks, joined and single-chunk views give the reference's codes."""
        policy = wide("collect")
        engine = Engine(policy)
        plan = engine._plans["core_thing"]
        assert isinstance(plan, compiled.Plan)
        for fact in FACTS:
            plan._views.clear()
            decision = engine.evaluate(fact, now=NOW)
            assert decision.violation_codes == reference_codes(policy, fact, NOW)
            assert_codes(decision)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(policies(), st.lists(things(), min_size=1, max_size=4), aware_datetimes)
    def test_random_policies_give_the_reference_codes(
        self, policy: Policy, facts: list[Thing], now: datetime
    ) -> None:
        """On random policies and facts, the codes are the reference interpreter's."""
        engine = Engine(policy)
        for fact in facts:
            decision = engine.evaluate(fact, now=now)
            if not decision.errors:  # a failed rule counts as not matched: the reference raises
                assert decision.violation_codes == reference_codes(policy, fact, now)
            assert_codes(decision)

    @pytest.mark.parametrize("name", pack_names())
    def test_every_packs_examples(self, name: str) -> None:
        """Every stateless example of every built-in pack: the codes are the violations'
        codes, cached and new, and those of the matched rules' own violations."""
        pack = load_pack(name)
        engine = pack.engine()
        judged_examples = 0
        for policy, rule in pack.rules():
            for example in rule.examples:
                if example.fact is None:
                    continue
                for cache in ("cached", "new"):
                    if cache == "new":
                        for plan in engine._plans.values():
                            if isinstance(plan, compiled.Plan):
                                plan._views.clear()
                    decision = engine.evaluate(
                        example.fact, now=example.now, fact_type=policy.fact_type, as_of=day_in_force(policy)
                    )
                    assert_codes(decision)
                    own = [e.code for effects in decision.rule_effects.values() for e in effects
                           if e.key.startswith("violation:")]
                    assert list(decision.violation_codes) == own
                    judged_examples += 1
        assert judged_examples


class TestTwoBlocks:
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    @pytest.mark.parametrize("hit_policy", ["collect", "priority"])
    def test_every_cache_state_equals_the_reference(self, hit_policy: str, due: bool) -> None:
        """A plan of 100 rules gives the reference's rules, effects and codes in every cache
        state."""
        whole = many(hit_policy, due=due)
        policy = Policy.model_validate({**whole.model_dump(), "rules": whole.model_dump()["rules"][:100]})
        engine = Engine(policy)
        plan = engine._plans["core_thing"]
        assert isinstance(plan, compiled.Plan)
        for fact in FACTS[::3]:
            rule_ids = reference_interpreter.matching_rules(policy, fact, NOW)
            effects = expected_effects(policy, fact, rule_ids)
            for cache in ("cached", "new", "new", "cold"):
                decision = judged(engine, fact, cache)
                assert list(decision.rule_ids) == rule_ids, cache
                assert decision.effects == effects, cache
                assert decision.violation_codes == reference_codes(policy, fact, NOW), cache
                assert_views_agree(decision)


class TestJoin:
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    def test_table_views_read_like_their_rules(self, due: bool) -> None:
        """Views made from the chunk tables for patterns over one to five chunks equal the view
        made from their rules in one piece (outcome, codes, approvers merged across chunks,
        every kind, the class), read in two orders."""
        plan = Engine(wide("collect", due=due))._plans["core_thing"]
        assert isinstance(plan, compiled.Plan)
        bytes_ = [1, 3, 0x55, 0xAA, 0xFF, 0x81]
        groups = [(0,), (1,), (0, 1), (1, 3), (2, 4), (0, 2, 4), (1, 2, 3), (0, 1, 2, 3, 4)]
        names = ("rank", "outcome", "violations", "violation_codes", "approvers", "rule_ids", "selected",
                 "templates", "approvals", "obligations", "escalations", "effect_keys", "dynamic")
        for chunks in groups:
            for pattern in bytes_:
                mask = sum((pattern if at % 2 else pattern ^ 0x0F) << 8 * at for at in chunks)
                mask &= (1 << len(plan.rules)) - 1
                selected = tuple(compiled.matched_positions(mask))
                whole = compiled.MatchView(plan, tuple(plan.rules[i] for i in selected), selected)
                for order in (names, names[::-1]):
                    made = plan._table_view(mask)
                    for name in order:
                        assert getattr(made, name) == getattr(whole, name), (chunks, pattern, name)
                    assert made.make is whole.make  # every part read: a plain view now
                    assert type(made) is compiled.MatchView


class TestCodesSlot:
    def test_codes_are_the_patterns_held_by_the_decision(self) -> None:
        """A decision without due times holds its pattern's codes (no tuple made per read)."""
        decision = Engine(wide("collect")).evaluate(FACTS[5], now=NOW)
        assert decision.violation_codes
        assert decision.violation_codes is decision._view.violation_codes

    def test_a_timed_decision_raises_like_its_effects(self) -> None:
        """An uncomputable due time raises from ``violation_codes`` as from ``violations``."""
        with registered_time(calendars={"codes-2026-only": CALENDAR_2026}):
            engine = Engine(late_reply("codes-2026-only", {"type": "violation", "code": "LATE", "message": "m"}))
            late = Thing(n=1, kind="a", flag=True, text="", at=datetime(2030, 1, 7, tzinfo=NOW.tzinfo))
            with pytest.raises(CalendarError, match="2030"):
                engine.evaluate(late).violation_codes  # noqa: B018 - the read raises
            ok = engine.evaluate(late.model_copy(update={"at": NOW}))
            assert type(ok) is TimedDecision
            assert ok.violation_codes == ("LATE",)


class TestOutcomeValue:
    def test_every_member_reads_its_value(self) -> None:
        """Each outcome's ``value`` is its name, looked up back to the member, kept by pickling."""
        import pickle

        from csrules import Outcome

        for member in Outcome:
            assert member.value == member._value_
            assert Outcome(member.value) is member
            assert pickle.loads(pickle.dumps(member)) is member
        assert [m.value for m in Outcome] == ["clean", "action_required", "needs_approval", "violation"]
        assert "name" in (Outcome.value.__doc__ or "")  # read on the class: the documented descriptor


class TestSharedViews:
    def test_the_shared_views_give_the_same_codes(self) -> None:
        """Any effect view (as session step results are) lists the codes of its violations."""
        from csrules._engine.decision import EffectViews

        class Effects(EffectViews):
            """The effects of one decision, viewed by the shared implementation."""

            def __init__(self, decision: Decision) -> None:
                self.decision = decision

            @property
            def effects(self) -> tuple[Any, ...]:
                """The decision's effects."""
                return self.decision.effects

        engine = Engine(wide("collect"))
        for fact in FACTS[::5]:
            decision = engine.evaluate(fact, now=NOW)
            assert Effects(decision).violation_codes == decision.violation_codes
