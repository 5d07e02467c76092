"""Regression tests for wrong answers found in review (lead lane)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules.policies import load_pack

CHINA = timezone(timedelta(hours=8))


def _written_in(instant: datetime, hours: int) -> datetime:
    """``instant`` written with the offset ``hours``."""
    return instant.astimezone(timezone(timedelta(hours=hours)))


class TestDueTimesShownInThePolicyZone:
    """A clock-duration due time does not take the offset its start was written with."""

    @pytest.mark.parametrize("hours", [8, 0, -5])
    def test_same_instant_same_due_text(self, hours: int) -> None:
        """One work order written in +08:00, Z or -05:00 gets its due time written alike."""
        engine = load_pack("call_centre").engine()
        opened = _written_in(datetime(2026, 3, 10, 9, tzinfo=CHINA), hours)
        now = _written_in(datetime(2026, 3, 11, 10, tzinfo=CHINA), hours)
        fact = {"order_id": "W1", "opened_at": opened.isoformat(), "first_handler": "A01", "owner": "A01"}
        decision = engine.evaluate(fact, fact_type="work_order", now=now)
        dues = [obligation.due for obligation in decision.obligations if obligation.due is not None]
        assert dues, "the worked example names a due time"
        assert [due.isoformat() for due in dues] == ["2026-03-12T09:00:00+08:00"]
