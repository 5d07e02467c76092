"""Regression tests for wrong answers found in review of the built-in packs."""

from __future__ import annotations

from datetime import datetime

import pytest

from csrules.policies import load_pack


@pytest.fixture(scope="module")
def call_centre():  # type: ignore[no-untyped-def]
    """The call-centre pack's engine."""
    return load_pack("call_centre").engine()


class TestNightLeaveDuringTheShift:
    """ATT-5: leave asked once the night shift has begun is late, whatever part of the shift it covers."""

    BASE = {
        "agent_id": "A01",
        "kind": "personal",
        "requested_by": "A01",
        "night_shift": True,
        "shift_start": "2026-03-05T00:00:00+08:00",
        "start": "2026-03-05T04:00:00+08:00",
        "end": "2026-03-05T08:00:00+08:00",
    }

    @pytest.mark.parametrize("asked", ["2026-03-05T02:00:00+08:00", "2026-03-04T18:00:00+00:00"])
    def test_leave_for_later_hours_asked_during_the_shift_is_late(self, call_centre, asked) -> None:  # type: ignore[no-untyped-def]
        """Leave for 04:00-08:00 of a shift that began at 00:00, asked at 02:00 (in any offset), breaks ATT-5."""
        decision = call_centre.evaluate(
            self.BASE | {"requested_at": asked}, fact_type="leave_request", now=datetime.fromisoformat(asked)
        )
        assert "ATT-5" in decision.violation_codes

    def test_leave_asked_before_the_shift_began_is_on_time(self, call_centre) -> None:  # type: ignore[no-untyped-def]
        """The same leave asked the morning before, before noon, is on time."""
        asked = "2026-03-04T11:00:00+08:00"
        decision = call_centre.evaluate(
            self.BASE | {"requested_at": asked}, fact_type="leave_request", now=datetime.fromisoformat(asked)
        )
        assert "ATT-5" not in decision.violation_codes
