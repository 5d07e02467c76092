"""A fact of the wrong kind is refused in plain English, its article fitting the name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csrules.exceptions import FactError
from csrules.policies import load_pack

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class TestFactArticles:
    """"an order", "an Order", "an int"; "a leave_request"."""

    def test_not_a_mapping_order(self) -> None:
        """An order fact given as a number names it with "an"."""
        with pytest.raises(FactError, match=r"^an order fact must be a mapping or an Order \(got int\)"):
            load_pack("ecommerce").engine().evaluate(5, now=NOW, fact_type="order")

    def test_not_a_mapping_leave(self) -> None:
        """A leave request given as text keeps "a"."""
        with pytest.raises(FactError, match=r"^a leave_request fact must be a mapping or a LeaveRequest \(got str\)"):
            load_pack("call_centre").engine().evaluate("x", now=NOW, fact_type="leave_request")
