"""An audit reads each row's times as instants on their own, whatever zone or kind its
neighbours were given in, as the engine reads each fact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrules.audit import AuditError, audit
from csrules.policies import load_pack

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
INDIA = timezone(timedelta(hours=5, minutes=30))
START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
BASE: dict[str, Any] = {"agent_id": "A1", "kind": "personal", "requested_by": "A1",
                        "start": START, "end": START + timedelta(hours=8)}
AWARE = {**BASE, "requested_at": START - timedelta(hours=16, minutes=30)}
NAIVE = {**BASE, "requested_at": datetime(2026, 2, 28, 20, 0)}


def _rows(data: Any, **options: Any) -> list[tuple[Any, ...]]:
    found = audit(load_pack("call_centre"), data, fact_type="leave_request", now=NOW, workers=1, **options)
    frame = pl.from_arrow(found.decisions)
    assert isinstance(frame, pl.DataFrame)
    return frame.select("row", "effect", "rule", "field").rows()


def _engine(fact: dict[str, Any]) -> set[str]:
    """The rules whose effects apply when the engine judges ``fact`` alone."""
    return set(load_pack("call_centre").engine().evaluate(fact, now=NOW, fact_type="leave_request").rule_ids)


class TestOffsetZones:
    """Timestamps in a fixed zone that is no whole hour (India's +05:30) are instants like any."""

    def test_parquet_in_a_half_hour_zone(self, tmp_path: Path) -> None:
        """A Parquet file whose timestamps carry +05:30 is judged as the same instants in UTC are."""
        stamp = pa.timestamp("us", tz="+05:30")
        columns = {"agent_id": ["A1"], "kind": ["personal"], "requested_by": ["A1"]}
        names = ("start", "end", "requested_at")
        for file, kind in (("in", stamp), ("utc", pa.timestamp("us", tz="UTC"))):
            pq.write_table(pa.table({**columns, **{name: pa.array([AWARE[name]], kind) for name in names}}),
                           tmp_path / f"{file}.parquet")
        judged = _rows([str(tmp_path / "in.parquet")])
        assert judged == _rows([str(tmp_path / "utc.parquet")])
        assert {rule for _, _, rule, _ in judged} >= {"ATT-2.department-head"}

    def test_facts_in_a_half_hour_zone(self) -> None:
        """Python facts whose times are at +05:30 are judged as the engine judges each."""
        fact = {**AWARE, **{name: AWARE[name].astimezone(INDIA) for name in ("start", "end", "requested_at")}}
        assert _rows([fact]) == _rows([AWARE])
        assert {rule for _, _, rule, _ in _rows([fact])} == _engine(fact)


class TestEachRowOnItsOwn:
    """A naive time makes its own row invalid, never its neighbours'; order changes nothing."""

    @pytest.mark.parametrize("order", [(AWARE, NAIVE), (NAIVE, AWARE)])
    def test_naive_among_aware(self, order: tuple[dict[str, Any], dict[str, Any]]) -> None:
        """The aware fact is judged (as the engine judges it) and the naive one is invalid, in either order."""
        rows = _rows(list(order))
        naive_row = order.index(NAIVE) + 1
        assert [(row, field) for row, effect, _, field in rows if effect == "invalid"] == [(naive_row, "requested_at")]
        assert {rule for row, _, rule, _ in rows if row != naive_row} == _engine(AWARE)

    def test_text_and_time_mixed(self) -> None:
        """A field given as ISO text in one fact and as a datetime in another is read in both."""
        text = {**AWARE, "requested_at": AWARE["requested_at"].astimezone(SHANGHAI).isoformat()}
        rows = _rows([text, AWARE])
        assert [r for r in rows if r[0] == 1] == [(1, *r[1:]) for r in rows if r[0] == 2]

    @pytest.mark.parametrize(("field", "one", "other"), [("days", "1", 1), ("agent_id", "A1", 17),
                                                         ("manager_approved", "yes", True)])
    def test_other_mixes_are_refused_by_name(self, field: str, one: Any, other: Any) -> None:
        """Two kinds of value in one field are refused, naming the field and the rows, not a pyarrow error."""
        with pytest.raises(AuditError, match=rf"facts: field {field!r} is \w+ in row 1 but \w+ in row 2"):
            _rows([{**AWARE, field: one}, {**AWARE, field: other}])


class TestNotANumber:
    """A NaN is refused on its row, as the engine refuses it, never read as an absent field."""

    TEXT: ClassVar[dict[str, Any]] = {"agent_id": "A1", "kind": "personal", "requested_by": "A1",
                                      "start": "2026-03-02T08:30:00+08:00", "end": "2026-03-02T16:30:00+08:00",
                                      "requested_at": "2026-03-01T20:00:00+08:00"}

    @pytest.mark.parametrize("form", ["facts", "parquet"])
    def test_nan_days_is_invalid(self, form: str, tmp_path: Path) -> None:
        """days = NaN makes its row invalid (days), also in a batch of its own, and the next row is judged in full."""
        facts = [{**self.TEXT, "days": float("nan")}, {**self.TEXT, "days": 1.0}, {**self.TEXT, "days": 0.5}]
        data: Any = facts
        if form == "parquet":
            pl.DataFrame(facts).write_parquet(tmp_path / "f.parquet")
            data = [str(tmp_path / "f.parquet")]
        rows = _rows(data, batch_rows=1)
        assert [(row, field) for row, effect, _, field in rows if effect == "invalid"] == [(1, "days")]
        assert {rule for row, _, rule, _ in rows if row == 2} == _engine(facts[1])


class TestCalendarEnds:
    """A row dated at the calendar's ends is an invalid row of its own; the others are judged."""

    @pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+08:00", "9999-12-31T20:00:00-08:00"])
    @pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
    def test_edge_start_is_invalid(self, edge: str, suffix: str, tmp_path: Path) -> None:
        """start at year 1 +08:00 (year 0 in UTC) or year 9999 -08:00 (year 10000 in UTC) is refused on row 1."""
        facts = [{**TestNotANumber.TEXT, "start": edge}, TestNotANumber.TEXT]
        path = tmp_path / f"f{suffix}"
        if suffix == ".csv":
            pl.DataFrame(facts).write_csv(path)
        else:
            pl.DataFrame(facts).write_ndjson(path)
        rows = _rows([str(path)])
        assert [(row, field) for row, effect, _, field in rows if effect == "invalid"] == [(1, "start")]
        assert {rule for row, _, rule, _ in rows if row == 2} == _engine(TestNotANumber.TEXT)


class TestCsvNullMarkers:
    """Only an empty CSV value is absent: ``NA``, ``null`` and ``NaN`` are read as the engine reads them."""

    def test_markers_are_values(self, tmp_path: Path) -> None:
        """Agent "NA" is an id and days "NaN" is refused on its row; an empty days is absent."""
        path = tmp_path / "f.csv"
        head = "agent_id,kind,start,end,requested_at,requested_by,days\n"
        times = "2026-03-02T08:30:00+08:00,2026-03-02T16:30:00+08:00,2026-03-01T20:00:00+08:00"
        path.write_text(f"{head}NA,personal,{times},NA,NaN\nA2,personal,{times},A2,\n", encoding="utf-8")
        found = audit(load_pack("call_centre"), [str(path)], fact_type="leave_request", now=NOW, workers=1)
        frame = pl.from_arrow(found.decisions)
        assert isinstance(frame, pl.DataFrame)
        rows = frame.select("row", "subject", "effect", "field").rows()
        assert [r for r in rows if r[2] == "invalid"] == [(1, "NA", "invalid", "days")]
        assert {rule for row, _, rule, _ in _rows([str(path)]) if row == 2} == _engine(
            {**TestNotANumber.TEXT, "agent_id": "A2", "requested_by": "A2"})
