"""Audits of facts in zones whose clocks change: the same decisions as the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from csrules.audit import audit
from csrules.policies import load_pack

NOW = datetime(2027, 1, 1, tzinfo=UTC)
SICK = {"agent_id": "A1", "kind": "sick", "requested_by": "A1", "certificate": True}

CASES: dict[str, list[dict[str, Any]]] = {
    # New York moves to summer time at 02:00 on 8 March 2026: the first day back (9 March)
    # starts at 00:00-04:00, and a note handed in at 00:30-04:00 on 10 March is late.
    "first day back after a clock change": [dict(
        SICK, time_zone="America/New_York", start="2026-03-08T00:30:00-05:00", end="2026-03-08T01:00:00-05:00",
        requested_at="2026-03-07T01:00:00-05:00", certificate_handed_at="2026-03-10T00:30:00-04:00")],
    # Havana's midnight of 1 November 2026 happens twice: the audit must not fail on it.
    "a midnight that happens twice": [
        dict(SICK, time_zone="America/Havana", start="2026-10-29T10:00:00-04:00", end="2026-10-31T10:00:00-04:00",
             requested_at="2026-10-28T10:00:00-04:00"),
        dict(SICK, time_zone="America/Havana", start="2026-11-20T10:00:00-05:00", end="2026-11-21T10:00:00-05:00",
             requested_at="2026-11-19T10:00:00-05:00")],
}


class TestClockChanges:
    """The columnar path gives the engine's answers around clock changes."""

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_audit_equals_engine(self, case: str) -> None:
        """Every row's rules are those the engine finds for the fact."""
        pack = load_pack("call_centre")
        facts = CASES[case]
        engine = pack.engine()
        expected = [rule for fact in facts
                    for rule in engine.evaluate(fact, fact_type="leave_request", now=NOW).rule_ids]
        table = audit(pack, facts, fact_type="leave_request", now=NOW, workers=1).decisions
        assert table is not None
        found = list(dict.fromkeys(zip(table.column("row").to_pylist(), table.column("rule").to_pylist(),
                                       strict=True)))
        assert [rule for _, rule in found] == expected
        if case == "first day back after a clock change":
            assert "ATT-4.hand-in-late" in expected
