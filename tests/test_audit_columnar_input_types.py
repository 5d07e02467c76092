"""Columns whose type differs from the field's are read as pydantic reads them, never cast."""

from __future__ import annotations

import enum
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from pydantic import BaseModel, ConfigDict, Field

from csrules import Engine
from csrules._audit.batch import AuditSpec, audit_batch
from csrules._audit.columnar import prepare
from csrules._policy.facts import register_fact_type
from csrules._policy.loader import loads_policy
from csrules.policies import load_pack
from tests.columnar_support import NOW, assert_same, batch

ENGINE = load_pack("ecommerce").engine()
T0 = "2026-03-07T09:00:00+08:00"


def _order(**changes: Any) -> dict[str, Any]:
    fact: dict[str, Any] = {"order_no": "O1", "placed_at": T0, "amount": 10.0, "status": "paid"}
    fact.update(changes)
    return fact


CASES = {
    "a number for a text": [_order(order_no=12), _order(order_no=0)],
    "a fraction for a whole number": [_order(quantity=3.5), _order(quantity=3.0), _order(quantity=-1.0)],
    "texts for numbers and flags": [_order(quantity="3", out_of_stock="yes"), _order(quantity="x", out_of_stock="no")],
    "unusual datetime texts": [_order(placed_at="2026-03-07t09:00:00+08:00"), _order(placed_at="1772845200"),
                               _order(placed_at="2026-03-07T09:00:00.1234567+08:00"),
                               _order(placed_at="2026-02-30T09:00:00+08:00"), _order(placed_at="2026-03-07")],
}


class TestInputTypes:
    """Each odd column is judged per column, and both paths agree on every row."""

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_read_as_pydantic_reads(self, case):
        """Values pydantic refuses are invalid rows, values it converts are judged as converted."""
        assert_same(ENGINE, "order", CASES[case])

    def test_not_a_number_is_an_invalid_row(self):
        """A fact's numbers are finite: NaN and infinity are invalid rows on both paths."""
        facts = [_order(amount=float("nan")), _order(), _order(amount=float("inf"))]
        assert prepare(AuditSpec(ENGINE, "order", NOW), batch(facts)) is not None
        assert_same(ENGINE, "order", facts)

    def test_integer_beyond_64_bits(self):
        """An unsigned 64-bit quantity no signed column holds is judged by row, alike."""
        table = pa.table({"order_no": ["O1", "O2"], "placed_at": [T0, T0], "amount": [1.0, 2.0],
                          "quantity": pa.array([2**63 + 5, 1], pa.uint64())})
        slow = audit_batch(AuditSpec(ENGINE, "order", NOW, columnar=False), table)
        fast = audit_batch(AuditSpec(ENGINE, "order", NOW), table)
        assert pl.from_arrow(fast).equals(pl.from_arrow(slow))


MEMBERS = loads_policy("""
id: members
version: "1"
title: {en: members, zh: 成員}
fact_type: order
rules:
  - id: M-whole
    title: {en: whole, zh: 整數}
    when: {kind: in, path: quantity, value: [1, 2.0, 2.5]}
    then: [{type: violation, code: M1, message: {en: hit, zh: 中}}]
  - id: M-float
    title: {en: float, zh: 小數}
    when: {kind: not_in, path: amount, value: [10, 2.5]}
    then: [{type: violation, code: M2, message: {en: hit, zh: 中}}]
""", name="members.yaml")


class TestMembership:
    """``in`` over numbers finds a value written as an int or a float, as Python's ``in`` does."""

    def test_mixed_number_lists(self):
        """Whole and fractional values, ints and floats, and missing numbers agree."""
        facts = [_order(quantity=q, amount=a) for q in (None, 1, 2, 3) for a in (10.0, 2.5, 3.0)]
        assert_same(Engine([MEMBERS]), "order", facts)


@register_fact_type(name="columnar_stripped")
class Stripped(BaseModel):
    """A fact whose model strips the text it is given."""

    model_config = ConfigDict(str_strip_whitespace=True)
    agent_id: str = Field(max_length=3)


class Colour(enum.Enum):
    """An enumeration: a member is not the text a column holds."""

    RED = "red"


@register_fact_type(name="columnar_limited")
class Limited(BaseModel):
    """A fact with constraints the native reading does not check."""

    agent_id: str = Field(max_length=3, pattern="^A")


@register_fact_type(name="columnar_coloured")
class Coloured(BaseModel):
    """A fact with an enumeration."""

    agent_id: str
    colour: Colour | None = None


def _engine(fact_type: str) -> Engine:
    return Engine([loads_policy(f"""
id: {fact_type}
version: "1"
title: {{en: t, zh: 測}}
fact_type: {fact_type}
rules:
  - id: X-1
    title: {{en: t, zh: 測}}
    when: {{kind: compare, path: agent_id, op: "==", value: "A1"}}
    then: [{{type: violation, code: X1, message: {{en: hit, zh: 中}}}}]
""", name=f"{fact_type}.yaml")])


class TestModelSettings:
    """A model that rewrites or constrains values beyond the native checks is read exactly."""

    def test_rewriting_settings_go_to_the_row_engine(self):
        """A model that strips whitespace, or holds an enumeration, is judged by row."""
        facts = [{"agent_id": " A1 "}, {"agent_id": "A1"}, {"agent_id": "ABCDE"}]
        for fact_type in ("columnar_stripped", "columnar_coloured"):
            engine = _engine(fact_type)
            assert prepare(AuditSpec(engine, fact_type, NOW), batch(facts)) is None
            assert_same(engine, fact_type, facts, columnar=False)

    def test_other_constraints_are_pydantic_s(self):
        """A maximum length and a pattern are checked by pydantic itself, value by value."""
        facts = [{"agent_id": "A1"}, {"agent_id": "B1"}, {"agent_id": "A1234"}, {"agent_id": ""}]
        assert_same(_engine("columnar_limited"), "columnar_limited", facts)


class TestProblemOrder:
    """A fact's problems come in pydantic's order, whichever way each field was read."""

    def test_zone_problem_keeps_its_place(self):
        """An unknown zone is reported after the fields declared before it, as pydantic reports it."""
        leave = {"agent_id": "", "kind": "holiday", "requested_by": "A1", "start": T0,
                 "end": "2026-03-08T09:00:00+08:00", "requested_at": T0, "time_zone": "Mars/Olympus"}
        assert_same(load_pack("call_centre").engine(), "leave_request", [leave])
