"""Time away from the post needs an arrival: a record away with none is refused, not read as 曠工 and away at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import Phase, find, settings

from csrules import FactError, audit
from csrules._testing.strategies import fact_dicts
from csrules.domain.facts import AttendanceRecord, ClockEvent
from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
CC = load_pack("call_centre")
AWAY_WITHOUT_ARRIVAL = "away_minutes is more than 0 without arrived_at"


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=TZ)


def _record(**fields: Any) -> dict[str, Any]:
    return {"agent_id": "A01", "shift_start": _at(8, 30), "shift_end": _at(16, 30), **fields}


class TestAwayWithoutArrival:
    """ATT-7.absent (曠工) and ATT-7.away / ATT-11 (脫崗) cannot both be true of one shift."""

    @pytest.mark.parametrize("fields", [{"away_minutes": 20}, {"away_minutes": 20, "longest_away_minutes": 20},
                                        {"away_minutes": 1, "away_approved": True, "away_approved_by": "shift_lead"}])
    def test_away_without_arrival_is_refused(self, fields: dict[str, Any]) -> None:
        """No arrival and minutes away: refused, naming both fields."""
        with pytest.raises(FactError, match=AWAY_WITHOUT_ARRIVAL):
            CC.engine().evaluate(_record(**fields), fact_type="attendance_record", now=_at(17))

    def test_absent_without_time_away_is_still_absent(self) -> None:
        """No arrival and no time away is 曠工 (ATT-7.absent), and nothing about time away."""
        decision = CC.engine().evaluate(_record(), fact_type="attendance_record", now=_at(17))
        assert "ATT-7.absent" in decision.rule_ids
        assert not {"ATT-7.away", "ATT-11"} & set(decision.rule_ids)

    def test_desk_events_without_a_clock_in_are_refused(self) -> None:
        """Leaving the post and coming back, with no clock-in: refused, saying a clock-in is missing."""
        events = [ClockEvent(agent_id="A01", kind="leave_post", at=_at(10)),
                  ClockEvent(agent_id="A01", kind="return_post", at=_at(10, 30))]
        with pytest.raises(FactError, match=rf"{AWAY_WITHOUT_ARRIVAL}.*clock-in missed.*no clock_in"):
            AttendanceRecord.from_events(events, shift_start=_at(8, 30), shift_end=_at(16, 30))

    @pytest.mark.parametrize("columnar", [True, False])
    def test_an_audit_refuses_it_with_the_same_words(self, columnar: bool) -> None:
        """The columnar audit and the row engine name the same problem for the same row."""
        rows = [_record(arrived_at=None, away_minutes=20), _record(arrived_at=_at(8, 40), away_minutes=20)]
        result = audit.audit(CC, pl.DataFrame(rows), fact_type="attendance_record", now=_at(17), columnar=columnar,
                             workers=1)
        assert result.decisions is not None
        first = [row for row in result.decisions.to_pylist() if row["row"] == 1]
        assert [(row["outcome"], row["field"]) for row in first] == [("invalid", "(fact)")]
        assert first[0]["message"].startswith(AWAY_WITHOUT_ARRIVAL)
        second = {row["outcome"] for row in result.decisions.to_pylist() if row["row"] == 2}
        assert "invalid" not in second

    def test_strategies_draw_absent_and_present_records(self) -> None:
        """Drawn records reach both an absence (no arrival) and time away after an arrival."""
        # the first record found, not shrunk: a shrunk one has no time away whatever the strategy does
        first = settings(database=None, phases=[Phase.generate])
        absent = find(fact_dicts(AttendanceRecord), lambda d: d["arrived_at"] is None, settings=first)
        assert absent["away_minutes"] == 0
        away = find(fact_dicts(AttendanceRecord), lambda d: d["away_minutes"] > 0, settings=first)
        assert away["arrived_at"] is not None


class TestEcommerceLeaveCoversOnlyWhatItCovers:
    """002 第二則 一 9 不遲到、不早退、不曠工、不脫崗、不串崗: leave excuses lateness and absence, not 脫崗/串崗."""

    @pytest.mark.parametrize("fields", [{"switched_post": True}, {"away_minutes": 30}])
    def test_approved_leave_does_not_cover_leaving_or_switching_posts(self, fields: dict[str, Any]) -> None:
        """Leave approved for the morning; at work in the afternoon, away 30 minutes or at another post."""
        fact = _record(arrived_at=_at(12), left_at=_at(16, 30), leave_approved=True, **fields)
        decision = load_pack("ecommerce").engine().evaluate(fact, fact_type="attendance_record", now=_at(17))
        assert "ATT-7.discipline" in decision.rule_ids

    def test_approved_leave_covers_the_late_arrival(self) -> None:
        """The same afternoon with nothing else: the leave covers the morning."""
        fact = _record(arrived_at=_at(12), left_at=_at(16, 30), leave_approved=True)
        decision = load_pack("ecommerce").engine().evaluate(fact, fact_type="attendance_record", now=_at(17))
        assert "ATT-7.discipline" not in decision.rule_ids
