"""Events that arrive late (a swap asked for an earlier shift after later ones) are counted
with the events before them, and an event older than the kept history is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import SessionEngine
from csrules._policy.model import Policy
from csrules.exceptions import SessionError
from csrules.policies import load_pack
from tests.test_session_support import BACKENDS

SH = ZoneInfo("Asia/Shanghai")
ASKED = datetime(2026, 2, 20, 9, tzinfo=SH)


def _swap(shift: datetime, asked: datetime) -> dict[str, Any]:
    """A swap of agent A01's shift starting at ``shift``, asked at ``asked``."""
    return {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
            "requester_shift": {"start": shift.isoformat(), "end": (shift + timedelta(hours=8)).isoformat()},
            "partner_shift": {"start": (shift + timedelta(days=1)).isoformat(),
                              "end": (shift + timedelta(days=1, hours=8)).isoformat()},
            "requested_at": asked.isoformat()}


def _keys(engine: SessionEngine, shifts: list[datetime]) -> list[list[str]]:
    """The effect keys of each swap, sent in the order given."""
    out = []
    for i, shift in enumerate(shifts):
        now = ASKED + timedelta(hours=i)
        result = engine.send("A01", _swap(shift, now), now=now, fact_type="shift_swap")
        out.append([e.key for e in result.effects])
    return out


def _rolling_engine(backend: str) -> SessionEngine:
    """The call centre's swap limit over a rolling seven days instead of the month."""
    policy = next(p for p in load_pack("call_centre").session_policies if p.id == "call_centre.swap_session")
    data = policy.model_dump(mode="python")
    data["rules"][0]["when"]["of"][1]["window"] = {"rolling": "7d"}  # the count under the not-declined guard
    data["rules"][0]["examples"] = []
    return SessionEngine([Policy(**data)], backend=backend)


def _day(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, tzinfo=SH)


class TestLateEvents:
    """Counts take in the events before a late one, whatever came in between."""

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_third_swap_of_a_month_sent_after_later_months(self, backend: str) -> None:
        """Two March swaps, then April to June, then a third March swap: it breaks the limit."""
        engine = load_pack("call_centre").sessions(backend=backend)
        shifts = [_day(3, 10), _day(3, 12), _day(4, 10), _day(5, 10), _day(6, 10), _day(3, 20)]
        assert _keys(engine, shifts)[-1] == ["violation:ATT-9"]

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_rolling_window_counts_the_events_before_a_late_one(self, backend: str) -> None:
        """Swaps on 1, 2 and 20 March, then a late one on 3 March: the third in seven days."""
        keys = _keys(_rolling_engine(backend), [_day(3, 1), _day(3, 2), _day(3, 20), _day(3, 3)])
        assert keys == [[], [], [], ["violation:ATT-9"]]

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_older_than_kept_periods_is_refused(self, backend: str) -> None:
        """After 24 months with swaps, a swap in an earlier month cannot be counted: refused."""
        engine = load_pack("call_centre").sessions(backend=backend)
        months = [_day(1 + m % 12, 10, 2026 + m // 12) for m in range(24)]
        _keys(engine, months)
        later = ASKED + timedelta(days=1)
        with pytest.raises(SessionError, match="older than the history"):
            engine.send("A01", _swap(_day(12, 10, 2025), later), now=later, fact_type="shift_swap")

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_rolling_event_far_older_than_the_newest_is_refused(self, backend: str) -> None:
        """A rolling window refuses an event more than 62 days before the newest."""
        engine = _rolling_engine(backend)
        _keys(engine, [_day(6, 1)])
        later = ASKED + timedelta(days=1)
        with pytest.raises(SessionError, match="older than the history"):
            engine.send("A01", _swap(_day(3, 1), later), now=later, fact_type="shift_swap")
