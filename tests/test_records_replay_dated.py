"""Replaying a decision judged ``as_of`` another day than its fact's own: the recorded
dated versions judge it again."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from csrules.policies import load_pack
from csrules.records import replay

COMPANY = Path(__file__).resolve().parent.parent / "examples" / "company_pack"
CST = timezone(timedelta(hours=8))


def _leave() -> tuple[dict[str, str], datetime]:
    """A personal leave in March asked 30 hours ahead: enough for one day's notice, not two."""
    start = datetime(2026, 3, 10, 8, 30, tzinfo=CST)
    asked = start - timedelta(hours=30)
    fact = {"agent_id": "A01", "kind": "personal", "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(), "requested_at": asked.isoformat(),
            "requested_by": "A01"}
    return fact, asked


class TestReplayAsOf:
    """The example company pack: a notice of one day, two from 2026-07-01."""

    def test_as_of_decision_replays_identical(self) -> None:
        """Judged as of August (two days' notice), the record replays under the same version."""
        engine = load_pack(COMPANY).engine()
        fact, asked = _leave()
        decision = engine.evaluate(fact, now=asked, fact_type="leave_request", as_of=date(2026, 8, 1))
        own_day = engine.evaluate(fact, now=asked, fact_type="leave_request")
        assert "violation:ATT-1" in decision.effect_keys
        assert "violation:ATT-1" not in own_day.effect_keys  # the versions really differ here
        result = replay(decision.record(), load_pack(COMPANY).engine())
        assert result.status == "identical"

    def test_own_day_decision_replays_identical(self) -> None:
        """Judged on its own day (one day's notice), the record replays under that version."""
        engine = load_pack(COMPANY).engine()
        fact, asked = _leave()
        decision = engine.evaluate(fact, now=asked, fact_type="leave_request")
        assert replay(decision.record(), load_pack(COMPANY).engine()).status == "identical"
