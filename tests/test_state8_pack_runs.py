"""call_centre's consecutive-swap rule counts a shift sent twice once (its shifts are keyed by start)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

import csrules
from csrules.policies import load_pack
from tests.test_session_support import BACKENDS

CST = timezone(timedelta(hours=8))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestPackShiftSession:
    def test_pack_counts_a_resent_shift_once(self, backend: str) -> None:
        """call_centre's ATT-9.swaps-in-a-row: one swapped shift sent twice is no violation."""
        pack = load_pack("call_centre")
        engine = pack.sessions(backend=backend)
        start = datetime(2026, 3, 2, 9, tzinfo=CST)
        fact = {"agent_id": "A01", "shift": "day", "start": start.isoformat(),
                "end": (start + timedelta(hours=8)).isoformat(), "swapped": True}
        s = engine.session("A01")
        first = s.send(csrules.get_fact_type("shift_assignment")(**fact))
        again = {**fact, "start": start.astimezone(UTC).isoformat()}
        second = s.send(csrules.get_fact_type("shift_assignment")(**again))
        assert [v.code for v in first.violations + second.violations] == []
