"""Under ``first`` and ``priority`` a rule that fails leaves its policy undecided where it could
have won: a later (or lower-priority) rule does not give an answer in its place; the failure is
in ``decision.errors``."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel

import csrules
from csrules import Engine, Outcome
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


@csrules.register_fact_type(name="hit_error_call")
class HitErrorCall(BaseModel):
    """A call, by its length in minutes (a negative length makes the ``fragile`` kind fail)."""

    minutes: float


def _fragile(minutes: float) -> bool:
    if minutes < 0:
        raise ValueError(f"cannot judge {minutes} minutes")
    return minutes > 10


class Fragile(ConditionBase):
    """Holds for a call over ten minutes; fails for a negative length."""

    kind: Literal["fragile"] = "fragile"


class FragileHandler:
    """The handler of :class:`Fragile`."""

    def check(self, cond: Fragile, ctx: CheckContext) -> None:
        """The field exists."""
        ctx.field("minutes")

    def source(self, cond: Fragile, ctx: CompileContext) -> str:
        """A call of :func:`_fragile`."""
        return f"{ctx.const(_fragile)}(f.minutes)"

    def evaluate(self, cond: Fragile, env: Env) -> TraceNode:
        """The same test, failing as the generated code does."""
        minutes = env.get("minutes")
        return TraceNode("fragile", "over ten minutes", _fragile(minutes), {"minutes": minutes})

    def describe(self, cond: Fragile, lang: Lang, ctx: DescribeContext) -> str:
        """Plain words."""
        return "the call is over ten minutes"

    def reads_now(self, cond: Fragile) -> bool:
        """Never."""
        return False


register_kind(Fragile, FragileHandler())

ANY = {"kind": "compare", "path": "minutes", "op": "<", "value": 1000}


def policy(hit: str, rules: list[tuple[str, dict[str, Any], int, str]]) -> csrules.Policy:
    """A policy of ``rules`` (id, condition, priority, approver) under hit policy ``hit``."""
    return csrules.Policy(
        id="p", version="1", title={"en": "p", "zh": "p"}, fact_type="hit_error_call", hit_policy=hit,
        rules=[{"id": rid, "title": rid, "when": when, "priority": priority,
                "then": [{"type": "approval", "role": approver}]} for rid, when, priority, approver in rules],
    )


class TestFirst:
    """``first``: the failing rule stops its policy."""

    def test_a_later_rule_does_not_win_after_a_failure(self) -> None:
        """urgent fails, default would hold: no approval is asked, and the error says why."""
        engine = Engine(policy("first", [("urgent", {"kind": "fragile"}, 0, "head"), ("default", ANY, 0, "lead")]))
        decision = engine.evaluate({"minutes": -1})
        assert decision.rule_ids == ()
        assert decision.approvers == ()
        assert [(e.rule_id, "cannot judge" in e.message) for e in decision.errors] == [("urgent", True)]

    def test_an_earlier_match_still_wins(self) -> None:
        """A rule that held before the failing one is the policy's answer, as without the failure."""
        engine = Engine(policy("first", [("default", ANY, 0, "lead"), ("urgent", {"kind": "fragile"}, 0, "head")]))
        decision = engine.evaluate({"minutes": -1})
        assert decision.rule_ids == ("default",)
        assert decision.outcome is Outcome.NEEDS_APPROVAL

    def test_without_failure_unchanged(self) -> None:
        """A fact the failing rule judges gives the usual first match."""
        engine = Engine(policy("first", [("urgent", {"kind": "fragile"}, 0, "head"), ("default", ANY, 0, "lead")]))
        assert engine.evaluate({"minutes": 5}).rule_ids == ("default",)
        assert engine.evaluate({"minutes": 50}).rule_ids == ("urgent",)


class TestPriority:
    """``priority``: a match below a failing rule's priority is not kept; one at or above it is."""

    @pytest.mark.parametrize(("other", "kept"), [(1, ()), (5, ("other",)), (9, ("other",))])
    def test_matches_against_the_failing_priority(self, other: int, kept: tuple[str, ...]) -> None:
        """The failing rule has priority 5: a holding rule of priority 1 is dropped, of 5 or 9 kept."""
        engine = Engine(policy("priority", [("fragile", {"kind": "fragile"}, 5, "head"),
                                            ("other", ANY, other, "lead")]))
        decision = engine.evaluate({"minutes": -1})
        assert decision.rule_ids == kept
        assert [e.rule_id for e in decision.errors] == ["fragile"]
