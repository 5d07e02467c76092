"""The engine's compilation (one code generator, an effects table) and its one evaluate prologue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, get_args

import pytest

from csrules import Engine, Policy
from csrules._engine.compile import EFFECTS, CodeGenerator, hit_selector
from csrules._policy.kinds.core import Compare
from csrules._policy.model import Effect
from csrules._sessions.program import compile_program, session_generator
from csrules.exceptions import FactError, TimeError
from tests import core_models

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=CST)
FACT = {"kind": "personal", "requested_at": "2026-05-04T08:00:00+08:00",
        "starts_at": "2026-05-04T16:00:00+08:00", "days": 2}
ALWAYS = {"kind": "is_set", "path": "kind"}  # kind is required in both fact types: set on every fact
THING = {"n": 5, "kind": "a", "flag": True, "text": "hello", "at": "2026-05-04T08:00:00+08:00"}


def _policy(policy_id: str, fact_type: str, effect: dict[str, Any]) -> Policy:
    return Policy(id=policy_id, version="1", title="t", fact_type=fact_type, rules=[
        {"id": "r", "title": "r", "when": ALWAYS, "then": [effect]}])


def _evaluate(engine: Engine, fact: Any, **kwargs: Any) -> Any:
    return engine.evaluate(fact, **kwargs)


def _evaluate_many(engine: Engine, fact: Any, **kwargs: Any) -> Any:
    return next(engine.evaluate_many([fact], **kwargs))


CALLERS: list[Callable[..., Any]] = [_evaluate, _evaluate_many]

DUE_NOW = {"type": "obligation", "action": "call back", "who": "agent", "due": {"after": "2h"}}
APPROVE = {"type": "approval", "role": "lead"}


@pytest.mark.parametrize("call", CALLERS, ids=["evaluate", "evaluate_many"])
class TestOnePrologue:
    """evaluate and evaluate_many check ``now`` and dispatch facts the same way."""

    def test_naive_now_is_refused(self, call: Callable[..., Any]) -> None:
        """A naive ``now`` is a TimeError from either call."""
        engine = Engine(_policy("p", "core_leave", APPROVE))
        with pytest.raises(TimeError, match="carry a time zone"):
            call(engine, FACT, now=datetime(2026, 5, 4, 10))

    def test_now_that_is_not_a_datetime_is_refused(self, call: Callable[..., Any]) -> None:
        """A string ``now`` is a TimeError naming its type from either call."""
        engine = Engine(_policy("p", "core_leave", APPROVE))
        with pytest.raises(TimeError, match="got str"):
            call(engine, FACT, now="2026-05-04")

    def test_bad_now_is_reported_before_a_bad_fact(self, call: Callable[..., Any]) -> None:
        """``now`` is checked first: with both wrong, both calls raise the TimeError."""
        engine = Engine(_policy("p", "core_leave", APPROVE))
        with pytest.raises(TimeError):
            call(engine, {"kind": "nope"}, now=datetime(2026, 5, 4, 10))

    def test_a_rule_reading_the_clock_needs_now(self, call: Callable[..., Any]) -> None:
        """A due time counted from ``now`` makes ``now`` required, in either call."""
        engine = Engine(_policy("p", "core_leave", DUE_NOW))
        with pytest.raises(TimeError, match="reads the current time"):
            call(engine, FACT)
        assert call(engine, FACT, now=NOW).obligations[0].due == NOW + timedelta(hours=2)

    def test_dict_fact_needs_a_type_among_several(self, call: Callable[..., Any]) -> None:
        """With two fact types, a dict fact without fact_type is a FactError naming both."""
        engine = Engine([_policy("p", "core_leave", APPROVE), _policy("q", "core_thing", APPROVE)])
        with pytest.raises(FactError, match="core_leave, core_thing"):
            call(engine, FACT)
        assert call(engine, THING, fact_type="core_thing").approvers == ("lead",)

    def test_model_instances_dispatch_by_class(self, call: Callable[..., Any]) -> None:
        """A model instance goes to the plan of its class without fact_type."""
        engine = Engine([_policy("p", "core_leave", APPROVE), _policy("q", "core_thing", APPROVE)])
        decision = call(engine, core_models.Thing.model_validate(THING))
        assert decision.matches == (("q", "r"),)


class TestEvaluateMany:
    """evaluate_many names the position of a bad fact."""

    def test_bad_fact_carries_its_index(self) -> None:
        """The second fact's error has index 1."""
        engine = Engine(_policy("p", "core_leave", APPROVE))
        with pytest.raises(FactError) as caught:
            list(engine.evaluate_many([FACT, {"kind": "nope"}]))
        assert caught.value.index == 1


class TestEffectsTable:
    """Every effect type has exactly one entry in the effects table."""

    def test_table_covers_every_effect_type(self) -> None:
        """The table's keys are the ``type`` tags of the Effect union, no more, no less."""
        (union, *_) = get_args(Effect)
        tags = {cls.model_fields["type"].default for cls in get_args(union)}
        assert set(EFFECTS) == tags


class TestOneGenerator:
    """Sessions compile their checks with the engine's generator."""

    def test_session_programs_use_the_engine_generator(self) -> None:
        """The session generator is the engine's CodeGenerator."""
        assert isinstance(session_generator(core_models.Thing), CodeGenerator)

    def test_function_compiles_a_predicate(self) -> None:
        """A condition compiled on its own is a function of (f, now) giving its truth."""
        cond = Compare(path="n", op=">", value=3)
        check, source = CodeGenerator(core_models.Thing, "test").function(cond, {})
        thing = core_models.Thing.model_validate(THING)
        assert source.startswith("def _fn(f, now):")
        assert check(thing, None) is True
        assert check(thing.model_copy(update={"n": 2}), None) is False

    def test_session_rule_source_embeds_no_values(self) -> None:
        """Literals reach a session rule's generated code as names, never as source text."""
        policy = Policy(id="p", version="1", title="t", fact_type="core_thing", rules=[
            {"id": "r", "title": "r",
             "when": {"kind": "compare", "path": "text", "op": "==", "value": "secret-literal"},
             "then": [APPROVE]}])
        program = compile_program([policy])
        (rule,) = program.facts["core_thing"].rules
        assert "def _fn(f, now, w):" in rule.source
        assert "secret-literal" not in rule.source


def _hit_policy(policy_id: str, hit_policy: str) -> Policy:
    """Three always-true rules with priorities 1, 3, 3 under ``hit_policy``."""
    return Policy(id=policy_id, version="1", title="t", fact_type="core_leave", hit_policy=hit_policy,
                  rules=[{"id": f"r{i}", "title": "r", "priority": priority,
                          "when": ALWAYS,
                          "then": [{"type": "recommendation", "text": f"r{i}"}]}
                         for i, priority in enumerate((1, 3, 3))])


class TestHitPolicies:
    """One hit-policy selection serves the engine and sessions."""

    @pytest.mark.parametrize(("hit_policy", "kept"), [
        ("collect", ("r0", "r1", "r2")), ("first", ("r0",)), ("priority", ("r1", "r2"))])
    def test_engine_and_session_keep_the_same_rules(self, hit_policy: str, kept: tuple[str, ...]) -> None:
        """For each hit policy, a session step fires exactly the rules a decision keeps."""
        from csrules._sessions import SessionEngine

        policies = [_hit_policy("p", hit_policy), _hit_policy("q", "first")]
        decision = Engine(policies).evaluate(FACT)
        step = SessionEngine(policies, backend="python").session("s").send(
            FACT, fact_type="core_leave")
        assert decision.matches == (*(("p", r) for r in kept), ("q", "r0"))
        assert tuple((f.policy_id, f.rule_id) for f in step.firings) == decision.matches

    def test_all_collecting_needs_no_selection(self) -> None:
        """With every policy collecting there is no selector at all."""
        assert hit_selector([], {"p": "collect"}) is None
