"""Fact models that span a period refuse one that ends before it starts, alike."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules.domain import AttendanceRecord, ShiftAssignment, ShiftRef
from csrules.domain.facts import build_fact
from csrules.exceptions import FactError

START = datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
BEFORE = START - timedelta(hours=1)


class TestShiftOrder:
    """Every shift-shaped fact quotes both instants when its shift ends before it starts."""

    @pytest.mark.parametrize(("model", "data"), [
        (ShiftRef, {"start": START, "end": BEFORE}),
        (ShiftAssignment, {"agent_id": "a", "shift": "day", "start": START, "end": BEFORE}),
        (AttendanceRecord, {"agent_id": "a", "shift_start": START, "shift_end": BEFORE}),
    ])
    def test_backwards_shift_quotes_both_instants(self, model: Any, data: dict[str, Any]) -> None:
        """The error names the rule and the start and end it got, whichever model."""
        with pytest.raises(FactError, match=r"a shift must end after it starts \(got start 2026-01-05T09:00"):
            build_fact(model, data)
