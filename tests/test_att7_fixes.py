"""ATT-7.away reads 脫崗二十分鐘 as one absence that long; a company may add up the shift's absences."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from csrules import FactError
from csrules.domain.facts import AttendanceRecord, ClockEvent, build_fact
from csrules.policies import load_pack
from tests.columnar_support import assert_same, decisions

TZ = ZoneInfo("Asia/Shanghai")
CC = load_pack("call_centre").engine()
ADDED_UP = load_pack("call_centre", overrides={"attendance": {"max_shift_away_minutes": 20}}).engine()
NOW = datetime(2026, 3, 10, 17, tzinfo=TZ)
SHIFT = {"agent_id": "A01", "shift_start": "2026-03-10T08:30:00+08:00", "shift_end": "2026-03-10T16:30:00+08:00",
         "arrived_at": "2026-03-10T08:20:00+08:00"}


def _at(hour: int, minute: int = 0) -> datetime:
    """An instant of 10 March 2026 in Beijing."""
    return datetime(2026, 3, 10, hour, minute, tzinfo=TZ)


def _away(*absences: tuple[int, int, int, str | None], zone: Any = TZ) -> list[ClockEvent]:
    """A01's clock events of the 08:30-16:30 shift: clocked in 08:20, out 16:30, and each
    absence (hour, minute, minutes, approver) as a leave_post and its return_post, written in ``zone``."""
    def event(kind: str, at: datetime, by: str | None = None) -> ClockEvent:
        return ClockEvent(agent_id="A01", kind=kind, at=at.astimezone(zone), approved_by=by)  # type: ignore[arg-type]

    events = [event("clock_in", _at(8, 20)), event("clock_out", _at(16, 30))]
    for hour, minute, minutes, by in absences:
        events += [event("leave_post", _at(hour, minute), by), event("return_post", _at(hour, minute + minutes))]
    return events


def _fold(events: list[ClockEvent]) -> AttendanceRecord:
    """The events folded into A01's record of the shift."""
    return AttendanceRecord.from_events(events, shift_start=_at(8, 30), shift_end=_at(16, 30))


def _codes(record: AttendanceRecord | dict[str, Any], engine: Any = CC) -> list[str]:
    """The violation codes the engine gives the record at 17:00."""
    return sorted(v.code for v in engine.evaluate(record, fact_type="attendance_record", now=NOW).violations)


THREE_SHORT = ((9, 0, 7, None), (10, 0, 7, None), (11, 0, 7, None))


class TestOneAbsenceAtATime:
    """from_events records the longest unapproved absence and ATT-7.away reads it."""

    def test_three_short_absences(self) -> None:
        """Three 7-minute absences are 21 minutes away but no 20-minute 脫崗: only leaving the desk (ATT-11)."""
        record = _fold(_away(*THREE_SHORT))
        assert (record.away_minutes, record.longest_away_minutes) == (21, 7)
        assert _codes(record) == ["ATT-11"]

    def test_one_long_absence(self) -> None:
        """One 25-minute absence is 脫崗二十分鐘及以上."""
        record = _fold(_away((9, 0, 25, None), (11, 0, 5, None)))
        assert (record.away_minutes, record.longest_away_minutes) == (30, 25)
        assert _codes(record) == ["ATT-11", "ATT-7"]

    def test_absence_of_exactly_the_limit(self) -> None:
        """An absence of exactly 20 minutes is one (及以上), of 19 minutes is not."""
        assert "ATT-7" in _codes(_fold(_away((9, 0, 20, None))))
        assert "ATT-7" not in _codes(_fold(_away((9, 0, 19, None), (10, 0, 19, None))))

    def test_approved_long_absence_beside_short_ones(self) -> None:
        """An approved 40-minute absence is no breach; the short unapproved ones beside it are only ATT-11."""
        record = _fold(_away((9, 0, 40, "shift_lead"), (10, 0, 7, None), (11, 0, 7, None)))
        assert (record.away_minutes, record.longest_away_minutes, record.away_approved) == (14, 7, False)
        assert _codes(record) == ["ATT-11"]
        assert _codes(record, ADDED_UP) == ["ATT-11"]

    def test_leaving_again_without_coming_back_is_one_absence(self) -> None:
        """A second leave_post before any return continues the absence: 12 and 12 minutes are one of 24."""
        events = [*_away(), ClockEvent(agent_id="A01", kind="leave_post", at=_at(9, 0)),
                  ClockEvent(agent_id="A01", kind="leave_post", at=_at(9, 12)),
                  ClockEvent(agent_id="A01", kind="return_post", at=_at(9, 24))]
        record = _fold(events)
        assert (record.away_minutes, record.longest_away_minutes) == (24, 24)
        assert "ATT-7" in _codes(record)

    def test_approved_only_record_keeps_longest(self) -> None:
        """With only approved absences the record's longest is the longest approved one."""
        record = _fold(_away((9, 0, 30, "shift_lead"), (11, 0, 5, "shift_lead")))
        assert (record.away_minutes, record.longest_away_minutes, record.away_approved) == (35, 30, True)
        assert _codes(record) == []


class TestShiftTotalParameter:
    """max_shift_away_minutes set to the limit adds up every absence of the shift."""

    def test_added_up_reading(self) -> None:
        """With the shift's total read, three 7-minute absences break ATT-7.away; by default they do not."""
        record = _fold(_away(*THREE_SHORT))
        assert _codes(record, ADDED_UP) == ["ATT-11", "ATT-7"]
        assert _codes(record) == ["ATT-11"]

    def test_added_up_reading_below_the_limit(self) -> None:
        """Added up, 19 minutes in the shift is still under the limit."""
        record = _fold(_away((9, 0, 10, None), (10, 0, 9, None)))
        assert _codes(record, ADDED_UP) == ["ATT-11"]


class TestRecordWithoutLongest:
    """A host giving only away_minutes is read as one absence; a longest beyond the total is refused."""

    def test_away_minutes_alone_is_one_absence(self) -> None:
        """21 minutes away with no longest given is one 21-minute absence."""
        assert _codes({**SHIFT, "away_minutes": 21}) == ["ATT-11", "ATT-7"]

    def test_longest_beyond_total_refused(self) -> None:
        """A longest absence longer than all the time away contradicts it: FactError naming the field."""
        with pytest.raises(FactError, match="longest_away_minutes is more than away_minutes"):
            build_fact(AttendanceRecord, {**SHIFT, "away_minutes": 5, "longest_away_minutes": 7})


class TestOffsets:
    """The same clock events written in +08:00 and in UTC fold into the same record and answer."""

    def test_same_instants_same_record(self) -> None:
        """Events written in Z give the same minutes and violations as in +08:00."""
        absences = (*THREE_SHORT, (14, 0, 25, None))
        local, utc = _fold(_away(*absences)), _fold(_away(*absences, zone=UTC))
        assert (local.away_minutes, local.longest_away_minutes) == (46, 25)
        assert (utc.away_minutes, utc.longest_away_minutes) == (46, 25)
        assert _codes(local) == _codes(utc) == ["ATT-11", "ATT-7"]

    def test_record_written_in_z(self) -> None:
        """A record with its times in Z gets the answers of the same record in +08:00."""
        zulu = {"agent_id": "A01", "shift_start": "2026-03-10T00:30:00Z", "shift_end": "2026-03-10T08:30:00Z",
                "arrived_at": "2026-03-10T00:20:00Z"}
        for away in ({"away_minutes": 21, "longest_away_minutes": 7}, {"away_minutes": 27, "longest_away_minutes": 20}):
            assert _codes({**zulu, **away}) == _codes({**SHIFT, **away})
            assert _codes({**zulu, **away}, ADDED_UP) == _codes({**SHIFT, **away}, ADDED_UP) == ["ATT-11", "ATT-7"]


class TestColumnarAudit:
    """The columnar audit reads longest_away_minutes as evaluate does."""

    FACTS: ClassVar[list[dict[str, Any]]] = [
        {**SHIFT, "away_minutes": 21, "longest_away_minutes": 7},
        {**SHIFT, "away_minutes": 21, "longest_away_minutes": None},
        {**SHIFT, "away_minutes": 27, "longest_away_minutes": 20},
        {**SHIFT, "away_minutes": 0, "longest_away_minutes": 0},
    ]

    def test_same_as_evaluate(self) -> None:
        """Both audit paths agree, and give each row the codes evaluate gives."""
        assert_same(CC, "attendance_record", self.FACTS)
        rows = decisions(CC, "attendance_record", self.FACTS, columnar=True)
        for number, fact in enumerate(self.FACTS, start=1):
            audited = sorted(code for code in rows.filter(rows["row"] == number)["code"].to_list() if code)
            assert audited == _codes(fact)
