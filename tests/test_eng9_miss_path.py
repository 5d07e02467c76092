"""A match pattern outside the cache: its view works out nothing but its outcome when made, and
a plan naming few approving roles finds a pattern's approvers from one mask per role."""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import chain
from typing import Any

from pydantic import BaseModel

import csrules._engine.compile as compiled
from csrules import Engine, Policy, register_fact_type


@register_fact_type(name="eng9_miss_fact")
class Fact(BaseModel):
    n: int
    m: int


def _then(at: int) -> list[dict[str, Any]]:
    """Rule ``at``'s effects: violations, and approvals of roles a, b, c, some rules naming two
    roles in either order (so that two roles may share their first rule selected)."""
    if at % 7 == 3:
        return [{"type": "approval", "role": "b"}, {"type": "approval", "role": "a"}]
    if at % 7 == 5:
        return [{"type": "approval", "role": "a"}, {"type": "approval", "role": "c"}]
    if at % 2:
        return [{"type": "violation", "code": f"V{at % 3}", "message": "m"}]
    return [{"type": "approval", "role": "abc"[at % 3]}]


def policy(count: int, fact_type: str = "eng9_miss_fact",
           then: Callable[[int], list[dict[str, Any]]] = _then) -> Policy:
    """``count`` rules over ``n`` and ``m`` of ``fact_type``, rule ``at`` giving ``then(at)``."""
    return Policy(
        id="p", version="1", title="t", fact_type=fact_type,
        rules=[{"id": f"r{at}", "title": "r",
                "when": {"kind": "compare", "path": "n" if at % 2 else "m", "op": ">=", "value": at % 23},
                "then": then(at)} for at in range(count)],
    )


def expected_approvers(plan: Any, mask: int) -> tuple[str, ...]:
    """The roles of the selected rules in rule order, each once (as a plain view has them)."""
    return tuple(dict.fromkeys(chain.from_iterable(plan.rules[at].roles for at in compiled.matched_positions(mask))))


def test_a_plan_of_few_roles_finds_approvers_from_its_role_masks() -> None:
    plan = Engine(policy(96))._plans["eng9_miss_fact"]
    assert plan.role_masks is not None  # three roles, twelve chunks
    rng = random.Random(7)  # fixed masks: the same every run
    masks = [rng.getrandbits(96) & rng.getrandbits(96) for _ in range(400)]
    masks += [1 << at for at in range(96)] + [(1 << 3) | (1 << 10), (1 << 10) | (1 << 12), (1 << 96) - 1]
    for mask in masks:
        assert plan.approvers_of(mask) == expected_approvers(plan, mask), bin(mask)


def test_a_miss_reads_like_a_plain_view_whatever_is_read_first() -> None:
    pol = policy(200)
    plain = Engine(pol)._plans["eng9_miss_fact"]
    facts = [Fact(n=n, m=m) for n in range(0, 24, 3) for m in range(0, 24, 5)]
    reads = ("rule_ids", "approvers", "violations", "violation_codes", "outcome")
    for first in reads:
        engine = Engine(pol)
        assert engine._plans["eng9_miss_fact"].role_masks is not None
        views = engine._plans["eng9_miss_fact"]._views
        for fact in facts:
            views.clear()
            decision = engine.evaluate(fact)
            mask = engine._plans["eng9_miss_fact"].decide(fact, None)
            reference = compiled.MatchView(plain, tuple(plain.rules[at] for at in compiled.matched_positions(mask)))
            order = (first, *(name for name in reads if name != first))
            assert {name: getattr(decision, name) for name in order} == {
                name: getattr(reference, name) for name in reads
            }


def test_a_miss_of_many_chunks_gathers_its_rule_ids_only_when_read() -> None:
    engine = Engine(policy(200))  # rules matched past the first sixteen chunks
    decision = engine.evaluate(Fact(n=10, m=4))
    view = decision._view
    assert type(view) is compiled._LazyIdsView
    assert decision.outcome.value == "violation"
    assert view._lazy == {}  # the outcome alone is worked out when the view is made
    assert decision.rule_ids == tuple(f"r{at}" for at in range(200) if at % 23 <= (10 if at % 2 else 4))
    assert set(view._lazy) == {"rule_ids"}
    decision.violations, decision.violation_codes, decision.approvers  # noqa: B018 - the reads switch it
    assert type(view) is compiled.MatchView
    assert view.rule_ids is decision.rule_ids  # the very tuple gathered, now a plain slot
