"""Invariants of the compiled evaluator, checked on random policies and facts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csrules import Engine, Outcome, Policy, dump_policy, loads_policy
from tests import reference_interpreter
from tests.strategies import aware_datetimes, policies, things

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestCompiledAgreesWithInterpreter:
    @SETTINGS
    @given(policies(), st.lists(things(), min_size=1, max_size=5), aware_datetimes)
    def test_same_rules_match(self, policy, facts, now):
        """The compiled evaluator and a plain recursive interpreter pick the same rules."""
        engine = Engine(policy)
        for fact in facts:
            expected = reference_interpreter.matching_rules(policy, fact, now)
            assert list(engine.evaluate(fact, now=now).rule_ids) == expected

    @SETTINGS
    @given(policies(), things(), aware_datetimes)
    def test_trace_agrees_with_decision(self, policy, fact, now):
        """The explaining trace marks exactly the matched rules as matched."""
        decision = Engine(policy).evaluate(fact, now=now)
        matched_in_trace = {t.rule_id for t in decision.trace if t.matched}
        expected = reference_interpreter.matching_rules(policy.model_copy(update={"hit_policy": "collect"}), fact, now)
        assert matched_in_trace == set(expected)
        selected = [t.rule_id for t in decision.trace if t.selected]
        assert selected == list(decision.rule_ids)

    @SETTINGS
    @given(policies(), things(), aware_datetimes)
    def test_dict_and_model_facts_agree(self, policy, fact, now):
        """A fact passed as a dict is validated and judged like the model instance."""
        engine = Engine(policy)
        as_dict = fact.model_dump(mode="json")
        assert engine.evaluate(as_dict, now=now) == engine.evaluate(fact, now=now)


class TestRoundTrip:
    @SETTINGS
    @given(policies(), st.sampled_from(["yaml", "json"]))
    def test_save_load_gives_an_equal_policy(self, policy, fmt):
        """Saving a policy and loading it back gives an equal policy."""
        assert loads_policy(dump_policy(policy, fmt=fmt), fmt=fmt) == policy


class TestCollectInvariants:
    @SETTINGS
    @given(policies(hit_policy="collect"), things(), aware_datetimes, st.randoms(use_true_random=False))
    def test_rule_order_never_changes_a_collect_decision(self, policy, fact, now, rnd):
        """Shuffling the rules of a collect policy changes no effect, only their order."""
        shuffled_rules = list(policy.rules)
        rnd.shuffle(shuffled_rules)
        shuffled = policy.model_copy(update={"rules": shuffled_rules})
        first = Engine(policy).evaluate(fact, now=now)
        second = Engine(shuffled).evaluate(fact, now=now)
        assert sorted(first.effect_keys) == sorted(second.effect_keys)
        assert first.outcome is second.outcome

    @SETTINGS
    @given(policies(hit_policy="collect"), policies(hit_policy="collect"), things(), aware_datetimes)
    def test_adding_a_rule_never_removes_an_effect(self, policy, extra, fact, now):
        """Under collect, extending a policy keeps every effect it had."""
        added = [r.model_copy(update={"id": f"extra-{r.id}"}) for r in extra.rules]
        extended = policy.with_rules(*added)
        before = Engine(policy).evaluate(fact, now=now)
        after = Engine(extended).evaluate(fact, now=now)
        assert set(before.effect_keys) <= set(after.effect_keys)
        assert after.outcome.rank >= before.outcome.rank

    @given(st.lists(st.sampled_from(list(Outcome))), st.integers(min_value=0))
    def test_violation_outranks_everything(self, outcomes, at):
        """Combining outcomes keeps the worst; a violation added anywhere always wins."""
        assert Outcome.worst(outcomes).rank == max((o.rank for o in outcomes), default=0)
        with_violation = [*outcomes]
        with_violation.insert(at % (len(outcomes) + 1), Outcome.VIOLATION)
        assert Outcome.worst(with_violation) is Outcome.VIOLATION

    def test_no_outcome_is_clean(self):
        """Combining no outcomes gives a clean result."""
        assert Outcome.worst([]) is Outcome.CLEAN


class TestDeterminism:
    @SETTINGS
    @given(policies(), things(), aware_datetimes)
    def test_same_input_same_decision_and_never_raises(self, policy: Policy, fact, now):
        """Evaluating twice (and in two engines) gives equal decisions, with no errors."""
        first = Engine(policy).evaluate(fact, now=now)
        second = Engine(policy).evaluate(fact, now=now)
        assert first == second
        assert first.to_dict(trace=True) == second.to_dict(trace=True)
        assert first.errors == ()
