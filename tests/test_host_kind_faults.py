"""A host kind whose handler fails, or hands back something that is not one Python expression,
is the engine's error naming the rule and the kind: a PolicyError when the policy is checked
or compiled, a rule error in ``decision.errors`` when the fact is judged (rule by rule and on
the shared-test path), an error node in the explaining interpreter's trace."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import pytest
from pydantic import BaseModel

import csrules
from csrules import Engine
from csrules._engine.compile import compile_plan
from csrules.conditions import (
    CheckContext,
    CompileContext,
    ConditionBase,
    DescribeContext,
    Env,
    Lang,
    TraceNode,
    register_kind,
)
from csrules.exceptions import PolicyError
from csrules.sessions import SessionEngine


@csrules.register_fact_type(name="fault_call")
class FaultCall(BaseModel):
    """A call, by its length in minutes."""

    minutes: float
    agent: str = "a1"


class Faulty(ConditionBase):
    """Holds when the call is shorter than ``below`` or longer than ``above`` minutes."""

    kind: Literal["faulty"] = "faulty"
    below: float = 2
    above: float = 10


FAULTS: set[str] = set()
"""The handler jobs that fail (or misbehave) right now; each test sets its own."""


def _explode(value: Any) -> bool:
    raise ValueError(f"cannot judge {value}")


class FaultyHandler:
    """A handler that fails on request, in any of its jobs."""

    def check(self, cond: Faulty, ctx: CheckContext) -> None:
        """Fails when asked; else the field exists."""
        if "check" in FAULTS:
            raise KeyError("check went wrong")
        ctx.field("minutes")

    def source(self, cond: Faulty, ctx: CompileContext) -> str | int:
        """An unbracketed ``or`` (legal: the compiler brackets it), or a fault on request."""
        if "source" in FAULTS:
            raise RuntimeError("source went wrong")
        if "not text" in FAULTS:
            return 42
        if "bad code" in FAULTS:
            return "f.minutes <"
        if "smuggled line" in FAULTS:
            return "True\n    m = 255"
        if "run" in FAULTS:
            return f"{ctx.const(_explode)}(f.minutes)"
        below, above = ctx.const(cond.below), ctx.const(cond.above)
        return f"f.minutes < {below} or f.minutes > {above}"

    def evaluate(self, cond: Faulty, env: Env) -> TraceNode:
        """The same test, failing as the generated code does when asked."""
        minutes = env.get("minutes")
        if "run" in FAULTS:
            _explode(minutes)
        if "no node" in FAULTS:
            return True  # type: ignore[return-value]
        holds = minutes < cond.below or minutes > cond.above
        return TraceNode("faulty", self.describe(cond, "en", env.describe), holds, {"minutes": minutes})

    def describe(self, cond: Faulty, lang: Lang, ctx: DescribeContext) -> str:
        """Plain words, or a fault on request."""
        if "describe" in FAULTS:
            raise LookupError("describe went wrong")
        return f"the call is under {cond.below:g} or over {cond.above:g} minutes"

    def reads_now(self, cond: Faulty) -> bool:
        """Never, or a fault on request."""
        if "reads_now" in FAULTS:
            raise AttributeError("reads_now went wrong")
        return False


register_kind(Faulty, FaultyHandler())

OTHER = {"kind": "compare", "path": "minutes", "op": ">", "value": 0}
SHORT = {"kind": "compare", "path": "minutes", "op": ">=", "value": 1}


def policy(when: dict[str, Any], *, extra: int = 0) -> csrules.Policy:
    """Rule ``odd`` with ``when``, then ``plain`` (minutes > 0) and ``extra`` threshold rules
    (enough of them make the plan share its tests)."""
    note = {"type": "recommendation", "text": {"en": "look", "zh": "看"}}
    rules = [
        {"id": "odd", "title": "odd", "when": when, "then": [note]},
        {"id": "plain", "title": "plain", "when": OTHER, "then": [note]},
    ]
    rules += [
        {"id": f"t{i}", "title": "t", "when": {"kind": "compare", "path": "minutes", "op": "<", "value": i},
         "then": [note]}
        for i in range(extra)
    ]
    return csrules.Policy(id="faults", version="1", title={"en": "f", "zh": "f"}, fact_type="fault_call",
                          rules=rules)


@contextmanager
def faults(*jobs: str) -> Iterator[None]:
    """The handler fails in ``jobs`` inside the block."""
    FAULTS.update(jobs)
    try:
        yield
    finally:
        FAULTS.clear()


def interpreted(decision: csrules.Decision, rule_id: str) -> bool:
    """What the explaining interpreter says of rule ``rule_id`` for the decision's fact."""
    return next(rule.matched for rule in decision.trace.rules if rule.rule_id == rule_id)


class TestCompileFaults:
    @pytest.mark.parametrize(
        ("job", "said"),
        [
            ("source", "its handler's source failed: RuntimeError: source went wrong"),
            ("not text", "its handler's source returned int 42, not a Python expression"),
            ("bad code", "its handler's source is not one Python expression"),
            ("smuggled line", "its handler's source is not one Python expression"),
            ("reads_now", "its handler's reads_now failed: AttributeError: reads_now went wrong"),
        ],
    )
    def test_a_faulty_handler_is_a_policy_error_naming_rule_and_kind(self, job: str, said: str) -> None:
        """Building the engine fails with a PolicyError naming the policy, the rule and the kind."""
        with faults(job), pytest.raises(PolicyError) as caught:
            Engine(policy({"kind": "faulty"}))
        error = caught.value
        assert (error.policy_id, error.rule_id) == ("faults", "odd")
        assert "condition kind 'faulty'" in str(error)
        assert said in str(error)

    def test_a_session_engine_names_rule_and_kind_too(self) -> None:
        """Building a session engine from a policy whose host kind's reads_now fails names them."""
        with faults("reads_now"), pytest.raises(PolicyError, match="condition kind 'faulty'") as caught:
            SessionEngine([policy({"kind": "faulty"})], backend="python")
        assert (caught.value.policy_id, caught.value.rule_id) == ("faults", "odd")

    def test_a_fault_nested_in_all_is_named_too(self) -> None:
        """A faulty host kind inside ``not`` inside ``all`` still names its rule and kind."""
        with faults("source"), pytest.raises(PolicyError, match="condition kind 'faulty'") as caught:
            Engine(policy({"kind": "all", "of": [OTHER, {"kind": "not", "condition": {"kind": "faulty"}}]}))
        assert caught.value.rule_id == "odd"

    def test_a_faulty_check_is_a_located_policy_error(self) -> None:
        """A handler's check that fails is a PolicyError naming the rule and the kind."""
        said = "condition kind 'faulty': its handler's check failed"
        with faults("check"), pytest.raises(PolicyError, match=said) as caught:
            policy({"kind": "faulty"})
        assert "odd" in str(caught.value)


class TestBrackets:
    @pytest.mark.parametrize("minutes", [0.5, 1.0, 5.0, 12.0])
    @pytest.mark.parametrize(
        "when",
        [
            {"kind": "not", "condition": {"kind": "faulty"}},
            {"kind": "all", "of": [{"kind": "faulty"}, SHORT]},
            {"kind": "all", "of": [SHORT, {"kind": "faulty"}]},
        ],
        ids=["not", "all-first", "all-after-shared"],
    )
    @pytest.mark.parametrize("extra", [0, 40], ids=["rule-by-rule", "shared"])
    def test_an_unbracketed_or_keeps_its_meaning(self, when: dict[str, Any], minutes: float, extra: int) -> None:
        """A host expression ``a or b`` nested in ``not``/``all`` decides as the interpreter does."""
        decision = Engine(policy(when, extra=extra)).evaluate({"minutes": minutes})
        assert ("odd" in decision.rule_ids) is interpreted(decision, "odd")


class TestRunFaults:
    @pytest.mark.parametrize("extra", [0, 40], ids=["rule-by-rule", "shared"])
    @pytest.mark.parametrize(
        "when",
        [{"kind": "faulty"}, {"kind": "all", "of": [SHORT, {"kind": "faulty"}]}],
        ids=["alone", "after-a-shared-test"],
    )
    def test_a_failing_condition_is_a_rule_error_naming_the_kind(self, when: dict[str, Any], extra: int) -> None:
        """The rule is recorded in decision.errors with the kind; the other rules still decide."""
        with faults("run"):
            engine = Engine(policy(when, extra=extra))
            decision = engine.evaluate({"minutes": 5})
            (error,) = decision.errors
            assert (error.policy_id, error.rule_id) == ("faults", "odd")
            assert error.message == "ValueError: cannot judge 5.0 (in condition kind 'faulty')"
            assert "plain" in decision.rule_ids
            assert "odd" not in decision.rule_ids
            assert not decision.is_clean
            assert next(iter(engine.evaluate_many([{"minutes": 5}]))).errors == decision.errors

    def test_the_shared_path_is_the_one_taken(self) -> None:
        """The many-rule policy above does compile with shared tests (the path under test)."""
        plan = compile_plan(FaultCall, "fault_call", (policy(SHORT, extra=40),))
        assert "_s" in plan.source
        assert ".get(" in plan.source

    def test_the_trace_shows_the_failing_kind(self) -> None:
        """The explaining interpreter records the fault on the host kind's node."""
        with faults("run"):
            decision = Engine(policy({"kind": "faulty"})).evaluate({"minutes": 5})
            node = next(r for r in decision.trace.rules if r.rule_id == "odd").condition
        assert node.kind == "faulty"
        assert node.error == "ValueError('cannot judge 5.0')"
        assert node.result is None

    def test_a_handler_that_cannot_word_still_traces(self) -> None:
        """A describe that fails leaves the kind and the fault in the trace, which still renders."""
        with faults("run"):
            engine = Engine(policy({"kind": "faulty"}))
        with faults("run", "describe"):
            decision = engine.evaluate({"minutes": 5})
            rendered = decision.trace.render()
            rendered_zh = decision.trace.render(lang="zh")
        assert "faulty (its handler's describe failed: LookupError: describe went wrong)" in rendered
        assert "ValueError('cannot judge 5.0')" in rendered
        assert "faulty" in rendered_zh

    def test_an_evaluate_that_returns_no_node_is_said_plainly(self) -> None:
        """A handler's evaluate that returns something other than a node is an error node saying so."""
        engine = Engine(policy({"kind": "faulty"}))
        with faults("no node"):
            node = next(r for r in engine.evaluate({"minutes": 5}).trace.rules if r.rule_id == "odd").condition
        assert node.error == "TypeError(\"the handler of 'faulty' returned bool, not a TraceNode\")"
