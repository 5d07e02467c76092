"""An order's confirmation deadline cannot come before the order was placed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings

from csrules import FactError
from csrules._testing.relations import relations_of
from csrules._testing.strategies import fact_dicts
from csrules.domain.facts import Order
from csrules.policies import load_pack
from tests.columnar_support import assert_same

MALL = load_pack("mall").engine()
PLACED = "2026-03-10T10:00:00+08:00"
NOW = datetime(2026, 3, 10, 3, tzinfo=UTC)


def _order(**changes: Any) -> dict[str, Any]:
    fact = {"order_no": "O1", "placed_at": PLACED, "status": "sent", "amount": 10}
    fact.update(changes)
    return fact


class TestConfirmationDeadline:
    """auto_confirm_at before placed_at is refused, naming the field, as paid_at before placed_at is."""

    @pytest.mark.parametrize("deadline", ["2026-03-01T00:00:00+08:00", "2026-03-10T01:59:59Z"])
    def test_a_deadline_before_the_order_is_refused(self, deadline: str):
        with pytest.raises(FactError, match="auto_confirm_at comes before placed_at"):
            MALL.evaluate(_order(auto_confirm_at=deadline), fact_type="order", now=NOW)

    @pytest.mark.parametrize("deadline", [PLACED, "2026-03-10T02:00:00Z", "2026-03-20T10:00:00+08:00"])
    def test_a_deadline_at_or_after_the_order_is_read(self, deadline: str):
        assert Order.model_validate(_order(auto_confirm_at=deadline)).auto_confirm_at is not None

    def test_strategies_know_the_relation(self):
        """Drawn orders keep the deadline at or after the placing (the model's own check)."""
        declared = {(r.head, r.op, r.sources) for r in relations_of(Order)}
        assert ("auto_confirm_at", ">=", ("placed_at",)) in declared

    @settings(max_examples=30, deadline=None)
    @given(fact_dicts(Order))
    def test_every_drawn_order_is_valid(self, data: dict[str, Any]):
        Order.model_validate(data)

    def test_columnar_audit_agrees(self):
        deadlines = [None, "2026-03-01T00:00:00+08:00", "2026-03-10T01:59:59.999999Z", PLACED,
                     "2026-03-20T10:00:00+08:00"]
        facts = [_order(auto_confirm_at=deadline) for deadline in deadlines]
        facts += [_order(auto_confirm_at="2026-03-01T00:00:00+08:00", paid_at="2026-03-01T00:00:00+08:00")]
        assert_same(MALL, "order", facts)
