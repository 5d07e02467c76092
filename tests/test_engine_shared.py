"""Tests shared across rules (one look-up per field) give the answers of rule-by-rule code and of
the reference interpreter: thresholds of every operator on one field, parameters, missing
values, NaN, flags, ints against floats, several policies and every hit policy."""

from __future__ import annotations

import itertools
import math
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csrules._engine.compile as compile_module
from csrules import All, Any_, Compare, Contains, Engine, In, NotIn, Oblige, Outcome, Policy, Rule, Text
from csrules._engine.compile import compile_effects
from csrules._engine.decision import Decision, TimedDecision, merge_approvals
from csrules.exceptions import PolicyError
from tests import reference_interpreter
from tests.core_models import Thing
from tests.strategies import PARAMS, effects
from tests.test_decision_views import assert_views_agree

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHANGHAI = ZoneInfo("Asia/Shanghai")
INSTANTS = (
    datetime(2026, 1, 5, 9, tzinfo=SHANGHAI),
    datetime(2026, 1, 5, 1, tzinfo=UTC),  # the same instant, another zone
    datetime(2026, 3, 1, 12, tzinfo=SHANGHAI),
)
N_VALUES = (-6, -5, 0, 1, 2, 3, 10, 11, 30)
X_VALUES = (None, -10.0, 0.0, 0.5, 2.0, 2.5, 10.0, math.nan, math.inf)
OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
NUMBERS = st.sampled_from([-5, 0, 1, 2, 3, 10, 30, 0.5, 2.5, 2.0])

SHAREABLE = st.one_of(
    st.builds(Compare, path=st.just("n"), op=OPS, value=NUMBERS),
    st.builds(Compare, path=st.just("n"), op=OPS, param=st.just("lim")),
    st.builds(Compare, path=st.just("x"), op=OPS, value=NUMBERS),
    st.builds(Compare, path=st.just("x"), op=OPS, param=st.just("limf")),
    st.builds(Compare, path=st.just("flag"), op=st.sampled_from(["==", "!="]), value=st.booleans()),
    st.builds(Compare, path=st.just("kind"), op=st.sampled_from(["==", "!="]), value=st.sampled_from("abc")),
    st.builds(Compare, path=st.just("at"), op=OPS, value=st.sampled_from([i.isoformat() for i in INSTANTS])),
    st.builds(In, path=st.just("kind"), value=st.lists(st.sampled_from("abc"), min_size=1, max_size=2)),
    st.builds(In, path=st.just("kind"), param=st.just("kinds")),
    st.builds(NotIn, path=st.just("kind"), value=st.lists(st.sampled_from("abc"), min_size=1, max_size=2)),
)
"""Leaves a plan shares: thresholds and equality on top-level fields of plain types."""

REST = st.one_of(
    st.builds(Contains, path=st.just("text"), phrases=st.just(["a"]), fold=st.just("none")),
    st.builds(Any_, of=st.lists(SHAREABLE, min_size=1, max_size=2)),
    st.builds(Compare, path=st.just("n"), op=OPS, field=st.just("sub.m")),
)
"""Leaves that stay ordinary code (the rest of an ``all``)."""

CONDITIONS = st.one_of(
    SHAREABLE,
    st.builds(All, of=st.lists(SHAREABLE, min_size=1, max_size=3)),
    st.builds(lambda head, rest: All(of=[*head, *rest]),
              st.lists(SHAREABLE, max_size=2), st.lists(REST, min_size=1, max_size=2)),
    REST,
)


@st.composite
def threshold_policies(draw: st.DrawFn, policy_id: str = "shared", least: int = 1, most: int = 12) -> Policy:
    """A policy of ``least`` to ``most`` rules, most of them tests on the same few fields."""
    count = draw(st.integers(least, most))
    return Policy(
        id=policy_id,
        version="1",
        title=Text(en="shared", zh="共享"),
        fact_type="core_thing",
        hit_policy=draw(st.sampled_from(["collect", "first", "priority"])),
        params=PARAMS,
        rules=[
            Rule(id=f"r{i}", title=Text(en="r", zh="r"), when=draw(CONDITIONS),
                 then=[draw(effects(f"r{i}"))], priority=draw(st.integers(0, 2)))
            for i in range(count)
        ],
    )


def grid() -> list[Thing]:
    """Facts on and between every constant the strategies use, with None, NaN and infinity."""
    facts = []
    for i, (n, x) in enumerate(itertools.product(N_VALUES, X_VALUES)):
        facts.append(Thing(n=n, x=x, kind="abc"[i % 3], flag=i % 2 == 0, text="ab"[i % 2],
                           at=INSTANTS[i % 3] + timedelta(seconds=i % 2 * (i % 5)),
                           sub={"m": i % 7} if i % 4 else None))
    return facts


FACTS = grid()


@contextmanager
def sharing(on: bool) -> Iterator[None]:
    """Engines built inside share tests across rules (on) or test rule by rule (off)."""
    with patch.object(compile_module, "SHARE_RULES_PER_FIELD", 0 if on else 1 << 30):
        yield


def expected(policies: list[Policy], fact: Thing, now: datetime) -> list[str]:
    """The reference interpreter's rule ids, policy after policy."""
    return [rid for p in policies for rid in reference_interpreter.matching_rules(p, fact, now)]


class TestSharedAgreesWithReference:
    @SETTINGS
    @given(threshold_policies())
    def test_one_policy(self, policy):
        """Shared and rule-by-rule plans give the reference's rules for every fact of the grid."""
        now = INSTANTS[0]
        for on in (True, False):
            with sharing(on):
                engine = Engine(policy)
            for fact in FACTS:
                decision = engine.evaluate(fact, now=now)
                assert list(decision.rule_ids) == expected([policy], fact, now), (on, fact)
                assert decision.errors == ()

    @SETTINGS
    @given(threshold_policies("one"), threshold_policies("two"))
    def test_several_policies(self, first, second):
        """Policies judged together share their fields' tests and still answer apart."""
        now = INSTANTS[0]
        with sharing(True):
            engine = Engine([first, second])
        for fact in FACTS:
            assert list(engine.evaluate(fact, now=now).rule_ids) == expected([first, second], fact, now)

    def test_explicit_boundaries(self):
        """Every operator against one threshold, ints against floats, at and around it."""
        tests = itertools.product(("n", "x"), ("==", "!=", "<", "<=", ">", ">="), (2, 2.5))
        rules = [Rule(id=f"r{i}", title=Text(en="r", zh="r"), when=Compare(path=path, op=op, value=value),
                      then=[{"type": "approval", "role": "lead"}])
                 for i, (path, op, value) in enumerate(tests)]
        policy = Policy(id="edges", version="1", title=Text(en="e", zh="e"), fact_type="core_thing",
                        rules=rules)
        with sharing(True):
            engine = Engine(policy)
        assert "_decide" in engine.source("core_thing")
        for fact in FACTS:
            assert list(engine.evaluate(fact).rule_ids) == expected([policy], fact, INSTANTS[0])


class TestChunkedViews:
    @settings(SETTINGS, max_examples=25)
    @given(threshold_policies(least=9, most=26))
    def test_joined_views_say_what_the_effects_say(self, policy):
        """Patterns joined from chunks of eight rules give the effects of the matched rules,
        approvals of one role merged across chunks, and every view agrees with them."""
        by_id = {rule.id: rule for rule in policy.rules}
        engine = Engine(policy)
        for fact in FACTS:
            decision = engine.evaluate(fact, now=INSTANTS[0])
            own = [e for rid in decision.rule_ids for e in compile_effects(policy, by_id[rid])]
            assert decision.effects == merge_approvals(own)  # type: ignore[arg-type]
            assert_views_agree(decision)
        fresh = Engine(policy)  # no chunk seen before: the first pattern read is a joined one
        for fact in FACTS[::9]:
            again, decision = fresh.evaluate(fact, now=INSTANTS[0]), engine.evaluate(fact, now=INSTANTS[0])
            assert again.approvers == decision.approvers
            assert again == decision


class TestSharedCode:
    def policy(self, rules: int) -> Policy:
        """``rules`` threshold rules on ``n`` and ``kind``."""
        return Policy(
            id="many", version="1", title=Text(en="m", zh="m"), fact_type="core_thing",
            rules=[Rule(id=f"r{i}", title=Text(en="r", zh="r"),
                        when=All(of=[Compare(path="n", op="<", value=i),
                                     Compare(path="kind", op="==", value="abc"[i % 3])]),
                        then=[{"type": "approval", "role": "lead"}]) for i in range(rules)],
        )

    def test_cost_grows_with_fields_not_rules(self):
        """Forty rules on two fields compile to two reads and two look-ups, no test per rule."""
        decide = Engine(self.policy(40)).source("core_thing").split("\n\n")[0]
        assert decide.count("f.n") == 1
        assert decide.count("f.kind") == 1
        assert decide.count(".get(") == 2
        assert "m |=" not in decide  # no rule tested on its own
        assert decide.count("\n") < 12

    def test_few_rules_stay_rule_by_rule(self):
        """A policy with fewer rules than fields' worth keeps one test per rule."""
        decide = Engine(self.policy(2)).source("core_thing").split("\n\n")[0]
        assert ".get(" not in decide

    def test_flags_are_truth_tests(self):
        """A yes/no field is tested for truth, never compared with False."""
        policy = Policy(id="flags", version="1", title=Text(en="f", zh="f"), fact_type="core_thing",
                        rules=[Rule(id="r", title=Text(en="r", zh="r"),
                                    when=Compare(path="flag", op="==", value=False),
                                    then=[{"type": "approval", "role": "lead"}])])
        source = Engine(policy).source("core_thing")
        assert "(not f.flag)" in source
        assert "==" not in source


class TestNaN:
    def test_nan_literal_refused(self):
        """A comparison with a NaN literal is refused when the policy is built (sharing relies
        on every constant being equal to itself)."""
        with pytest.raises(PolicyError, match="finite"):
            Policy(id="nan", version="1", title=Text(en="n", zh="n"), fact_type="core_thing",
                   rules=[Rule(id="r", title=Text(en="r", zh="r"),
                               when=Compare(path="x", op="<", value=math.nan),
                               then=[{"type": "approval", "role": "lead"}])])


class TestPatternCache:
    def test_a_pattern_read_again_outlives_an_older_unread_one(self):
        """When the cache is full, the oldest pattern not read since is dropped, not a reused one."""
        policy = Policy(
            id="bits", version="1", title=Text(en="b", zh="b"), fact_type="core_thing",
            rules=[Rule(id=f"n{k}", title=Text(en="n", zh="n"), when=Compare(path="n", op="==", value=k),
                        then=[{"type": "approval", "role": f"role{k}"}]) for k in range(3)],
        )
        engine = Engine(policy)
        plan = engine._plans["core_thing"]
        with patch.object(compile_module, "MAX_VIEWS", 2):
            for k in (0, 1, 0, 2):
                decision = engine.evaluate(Thing(n=k, kind="a", flag=False, text="", at=INSTANTS[0]))
                assert decision.approvers == (f"role{k}",)
        assert list(plan._views) == [1 << 0, 1 << 2]


class TestDecisionClasses:
    def test_due_times_make_timed_decisions(self):
        """A pattern with a due time gives decisions computing it; others read the view."""
        policy = Policy(
            id="due", version="1", title=Text(en="d", zh="d"), fact_type="core_thing",
            rules=[Rule(id="dated", title=Text(en="d", zh="d"), when=Compare(path="flag", op="==", value=True),
                        then=[Oblige(action=Text(en="reply", zh="回复"), who="agent",
                                     due={"after": "2h", "since": "at"})])],
        )
        engine = Engine(policy)
        dated = engine.evaluate(Thing(n=1, kind="a", flag=True, text="", at=INSTANTS[0]))
        plain = engine.evaluate(Thing(n=1, kind="a", flag=False, text="", at=INSTANTS[0]))
        assert type(dated) is TimedDecision
        assert type(plain) is Decision
        assert dated.obligations[0].due == INSTANTS[0] + timedelta(hours=2)
        assert dated.outcome is Outcome.ACTION_REQUIRED

    def test_outcome_values_read_alike(self):
        """Outcomes keep their values, names, look-up by value and pickling."""
        for outcome in Outcome:
            assert Outcome(outcome.value) is outcome
            assert outcome.value == outcome.name.lower()
            assert pickle.loads(pickle.dumps(outcome)) is outcome

