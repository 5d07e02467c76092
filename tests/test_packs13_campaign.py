"""Six on, one off (002 第二則 二 1) outside a campaign only: 活動期間例外."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from csrules.policies import load_pack

NOW = datetime.fromisoformat("2026-11-16T09:00:00+08:00")
MONDAY = datetime.fromisoformat("2026-11-09T09:00:00+08:00")


def _shift(day: datetime, **fields: Any) -> dict[str, Any]:
    return {"agent_id": "E01", "shift": "day", "start": day.isoformat(),
            "end": (day + timedelta(hours=8)).isoformat(), **fields}


def _rules(**fields: Any) -> tuple[str, ...]:
    fact = _shift(MONDAY + timedelta(days=6), consecutive_days_worked=7, **fields)
    return load_pack("ecommerce").engine().evaluate(fact, fact_type="shift_assignment", now=NOW).rule_ids


class TestSixOnOneOff:
    """ATT-12.six-on-one-off holds a seventh day in a row to the rest day, but not in a campaign."""

    def test_a_campaign_day_is_exempt(self) -> None:
        """The seventh day in a row during a campaign (活動期間例外) is no violation."""
        assert "ATT-12.six-on-one-off" not in _rules(campaign=True)

    def test_outside_a_campaign_it_still_holds(self) -> None:
        """The same day outside a campaign is a violation, as before."""
        assert "ATT-12.six-on-one-off" in _rules()
        assert "ATT-12.six-on-one-off" in _rules(campaign=False)


class TestShiftsPerCycleSession:
    """The session count ATT-12.shifts-per-cycle reads the campaign the same way."""

    def _last(self, campaign: list[bool]) -> tuple[str, ...]:
        session = load_pack("ecommerce").sessions().session("E01")
        effects: tuple[str, ...] = ()
        for day, flag in enumerate(campaign):
            start = MONDAY + timedelta(days=day)
            effects = session.send(_shift(start, campaign=flag), fact_type="shift_assignment",
                                   now=start + timedelta(hours=1)).rule_ids
        return effects

    def test_a_seventh_campaign_day_is_exempt(self) -> None:
        """Six days and a campaign Sunday in one week: no finding on the Sunday."""
        assert "ATT-12.shifts-per-cycle" not in self._last([False] * 6 + [True])

    def test_a_day_after_the_campaign_owes_the_rest_day(self) -> None:
        """Six campaign days and a seventh outside the campaign, no rest taken: flagged."""
        assert "ATT-12.shifts-per-cycle" in self._last([True] * 6 + [False])
