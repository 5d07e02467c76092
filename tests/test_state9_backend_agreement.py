"""The session backends answer as the stateless engine does where numbers of two types meet
(a Decimal field against a float field or literal: Decimal("0.3") equals 0.3), where a list
holds a None item (any_in / any_not_in skip it) and where a list of lines holds a None line
(contains skips it), negated too."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel

import csrules
from csrules._sessions import SessionEngine
from tests.test_session_support import BACKENDS

AT = datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(hours=8)))


@csrules.register_fact_type(name="state9_mixed")
class Mixed(BaseModel):
    """Numbers of two types, and lists that may hold None."""

    at: AwareDatetime
    price: Decimal | None = None
    paid: float | None = None
    roles: list[str | None] = []
    nums: list[int | None] = []
    lines: list[str | None] = []


CONDITIONS: dict[str, dict[str, Any]] = {
    "eq": {"kind": "compare", "path": "price", "op": "==", "field": "paid"},
    "ne": {"kind": "compare", "path": "price", "op": "!=", "field": "paid"},
    "ge": {"kind": "compare", "path": "paid", "op": ">=", "field": "price"},
    "lt": {"kind": "compare", "path": "paid", "op": "<", "field": "price"},
    "literal": {"kind": "compare", "path": "price", "op": "==", "value": 0.3},
    "any-in": {"kind": "any_in", "path": "roles", "value": ["agent"]},
    "any-not-in": {"kind": "any_not_in", "path": "roles", "value": ["agent", "lead"]},
    "any-not-in-numbers": {"kind": "any_not_in", "path": "nums", "value": [1, 2]},
    "contains": {"kind": "contains", "path": "lines", "phrases": ["退"]},
}
CONDITIONS.update({f"not-{name}": {"kind": "not", "condition": cond} for name, cond in list(CONDITIONS.items())})

FACTS: list[dict[str, Any]] = [
    {"price": Decimal("0.3"), "paid": 0.3},
    {"price": Decimal("0.30"), "paid": 0.3},
    {"price": Decimal("0.1"), "paid": 0.3},
    {"price": Decimal("0.3"), "paid": 0.30000000000000004},
    {"price": None, "paid": 0.3},
    {"roles": ["agent", None]},
    {"roles": [None]},
    {"roles": ["nobody", None]},
    {"nums": [1, None]},
    {"nums": [None, 3]},
    {"lines": [None, "我要退货"]},
    {"lines": [None]},
]


def policy() -> csrules.Policy:
    return csrules.Policy(id="mixed", version="1", title="mixed", fact_type="state9_mixed", rules=[
        {"id": name, "title": name, "when": cond, "then": [{"type": "violation", "code": "X", "message": name}]}
        for name, cond in CONDITIONS.items()])


@pytest.mark.parametrize("backend", BACKENDS)
def test_sessions_answer_as_the_engine(backend: str) -> None:
    engine, sessions = csrules.Engine(policy()), SessionEngine([policy()], backend=backend)
    for index, data in enumerate(FACTS):
        fact = Mixed(at=AT, **data)
        expected = sorted(v.rule_id for v in engine.evaluate(fact, now=AT).violations)
        got = sorted(v.rule_id for v in sessions.session(f"s{index}").send(fact, now=AT).violations)
        assert got == expected, data


def test_the_engine_reads_them_as_numbers_and_skips_none() -> None:
    """What the backends are held to: Decimal("0.3") equals 0.3; None items and lines are skipped."""
    engine = csrules.Engine(policy())

    def fired(**data: Any) -> set[str]:
        return {v.rule_id for v in engine.evaluate(Mixed(at=AT, **data), now=AT).violations}

    assert {"eq", "ge", "literal"} <= fired(price=Decimal("0.3"), paid=0.3)
    assert "any-not-in" not in fired(roles=["agent", None])
    assert "contains" in fired(lines=[None, "我要退货"])
