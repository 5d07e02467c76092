"""Bulk audits: output folders shared by audits, times read row by row, months in the pack's
zone, exit status, duplicated columns, one wording for invalid rows, internal columns hidden."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrules._cli import cli
from csrules._cli.auditing import status
from csrules.audit import AuditError, audit, audit_events
from csrules.policies import load_pack
from tests.test_audit_events import MALL, calls, live, replayed

PACK = load_pack("call_centre")
NOW = datetime(2026, 7, 1, tzinfo=UTC)
BASE = {"agent_id": "A1", "kind": "sick", "requested_by": "A1", "end": "2026-06-30T00:00:00+08:00",
        "requested_at": "2026-03-01T00:00:00+08:00"}


def leaves(count: int, agent: str = "A") -> list[dict[str, str]]:
    """``count`` well-formed sick leaves of agents named ``agent``1, ``agent``2, ..."""
    return [dict(BASE, agent_id=f"{agent}{i}", requested_by=f"{agent}{i}", start="2026-05-10T09:00:00+08:00")
            for i in range(1, count + 1)]


def decisions(result_or_folder: object) -> pl.DataFrame:
    """The decision rows of an audit (its table, or its output folder's ``decisions.parquet``)."""
    if isinstance(result_or_folder, Path):
        return pl.read_parquet(result_or_folder / "decisions.parquet")
    frame = pl.from_arrow(result_or_folder.decisions)  # type: ignore[attr-defined]
    assert isinstance(frame, pl.DataFrame)
    return frame


def cli_audit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``csrules audit call_centre ...`` with leave requests judged at :data:`NOW`, in this process."""
    code = cli.main(["audit", "call_centre", *argv, "--fact-type", "leave_request", "--now", "2026-07-01T00:00:00Z",
                     "--workers", "1"])
    out, err = capsys.readouterr()
    return code, out, err


class TestOutputFolder:
    """Audits writing into one folder each keep their own rows; inputs among the outputs are refused."""

    def test_an_audit_finishing_inside_another_keeps_its_own_rows(self, tmp_path: Path) -> None:
        """An audit run to its end while another writes to the same folder leaves the other's part files alone."""
        out = tmp_path / "out"
        inner: list[int] = []

        def meanwhile(_: int) -> None:
            if not inner:
                inner.append(audit(PACK, leaves(7, "B"), fact_type="leave_request", now=NOW, workers=1,
                                   out=out).summary.input_rows)

        first = audit(PACK, leaves(40), fact_type="leave_request", now=NOW, workers=1, batch_rows=5, out=out,
                      progress=meanwhile)
        assert inner == [7]
        assert first.summary.input_rows == 40
        found = decisions(out)  # the last audit to finish is the folder's, rows and reports alike
        assert set(found["subject"].str.slice(0, 1)) == {"A"}
        assert found["row"].n_unique() == 40
        assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["input_rows"] == 40
        assert not [p for p in out.iterdir() if p.name.endswith((".partial", ".old"))]

    def test_an_input_among_the_outputs_is_refused_and_kept(self, tmp_path: Path) -> None:
        """An input named like the decisions the audit would replace is refused before anything is removed."""
        out = tmp_path / "out"
        out.mkdir()
        path = out / "decisions.parquet"
        pq.write_table(pa.Table.from_pylist(leaves(3)), path)
        with pytest.raises(AuditError, match="inside the output"):
            audit(PACK, str(path), fact_type="leave_request", now=NOW, workers=1, out=out)
        assert pq.read_table(path).num_rows == 3

    def test_a_second_audit_replaces_the_first(self, tmp_path: Path) -> None:
        """Auditing into a folder holding an older audit replaces its decisions whole."""
        out = tmp_path / "out"
        audit(PACK, leaves(9), fact_type="leave_request", now=NOW, workers=1, out=out)
        audit(PACK, leaves(4, "B"), fact_type="leave_request", now=NOW, workers=1, out=out)
        assert sorted(decisions(out)["subject"].unique()) == ["B1", "B2", "B3", "B4"]


class TestTimesReadRowByRow:
    """Each row's time is read on its own: a row without an offset is invalid, its neighbours untouched."""

    NAIVE: ClassVar = dict(BASE, start="2026-04-10T09:00:00")
    GOOD = (dict(BASE, start="2026-04-30T20:00:00-04:00"), dict(BASE, start="2026-05-10T09:00:00Z"))

    def test_a_time_without_offset_leaves_other_months_alone(self) -> None:
        """Rows after a time without an offset keep their months; that row is invalid, named by its field."""
        result = audit(PACK, [self.NAIVE, *self.GOOD], fact_type="leave_request", now=NOW, workers=1)
        found = decisions(result)
        bad = found.filter(pl.col("row") == 1)
        assert bad["effect"].to_list() == ["invalid"]
        assert bad["field"].to_list() == ["start"]
        assert bad["month"].to_list() == [None]
        assert set(found.filter(pl.col("row") > 1)["month"]) == {"2026-05"}

    def test_months_do_not_depend_on_batches(self) -> None:
        """One row per batch and every row in one batch give the same months."""
        facts = [self.NAIVE, *self.GOOD, dict(BASE, start="2026-04-01 07:30+0800"), self.NAIVE, *self.GOOD]
        one = decisions(audit(PACK, facts, fact_type="leave_request", now=NOW, workers=1, batch_rows=1))
        every = decisions(audit(PACK, facts, fact_type="leave_request", now=NOW, workers=1))
        assert one.equals(every)
        assert one.group_by("row").agg(pl.col("month").first()).sort("row")["month"].to_list() == [
            None, "2026-05", "2026-05", "2026-04", None, "2026-05", "2026-05"]

    def test_an_untimed_event_is_invalid_and_the_rest_replay_in_time_order(self) -> None:
        """An event time without an offset is an invalid row; every other event fires as in live sessions."""
        events = calls()
        cut = [dict(events[0], started_at=str(events[0]["started_at"])[:19]), *events[1:]]
        table = audit_events(MALL, cut, fact_type="call_record", time="started_at", workers=1)
        rows = table.to_pylist()
        assert [(r["effect"], r["field"]) for r in rows if r["row"] == 1] == [("invalid", "started_at")]
        assert all(r["month"] == "2026-03" for r in rows if r["row"] != 1)
        assert {k for k in replayed(table) if k[0] != 1} == {(r + 1, rule, key) for r, rule, key in live(events[1:])}


class TestMonthZone:
    """Months are read in the pack's timezone unless the audit names another."""

    @pytest.fixture
    def london(self, tmp_path: Path) -> object:
        """A company pack over call_centre whose zone is Europe/London."""
        folder = tmp_path / "london"
        folder.mkdir()
        (folder / "pack.yaml").write_text('name: london\ntitle: {en: London, zh: 倫敦}\nversion: "1"\n'
                                          "extends: call_centre\ntimezone: Europe/London\n", encoding="utf-8")
        return load_pack(folder)

    FACT: ClassVar = dict(BASE, start="2026-04-30T20:00:00+01:00", time_zone="Europe/London")

    def test_the_packs_zone_by_default(self, london: object) -> None:
        """A London evening of 30 April counts in April for a London pack."""
        result = audit(london, [self.FACT], fact_type="leave_request", now=NOW, workers=1)
        assert set(decisions(result)["month"]) == {"2026-04"}

    def test_a_named_zone_wins(self, london: object) -> None:
        """``zone=`` reads the months elsewhere."""
        result = audit(london, [self.FACT], fact_type="leave_request", now=NOW, workers=1, zone="Asia/Shanghai")
        assert set(decisions(result)["month"]) == {"2026-05"}

    def test_an_unknown_zone_is_refused(self) -> None:
        """A zone that does not exist is an audit error naming it."""
        with pytest.raises(AuditError, match="Mars/Base"):
            audit(PACK, [self.FACT], fact_type="leave_request", now=NOW, workers=1, zone="Mars/Base")

    def test_command_line_option(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """``--timezone`` reads the months in the zone it names."""
        path = tmp_path / "one.jsonl"
        path.write_text(json.dumps(self.FACT) + "\n", encoding="utf-8")
        cli_audit(capsys, str(path), "-o", str(tmp_path / "out"), "--timezone", "Europe/London")
        assert set(decisions(tmp_path / "out")["month"]) == {"2026-04"}


class TestExitStatus:
    """``csrules audit`` exits 2 when a row was not judged, and says so."""

    def test_invalid_rows_exit_2(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """One invalid row among rows with violations: status 2 and the count on the summary line."""
        path = tmp_path / "some.jsonl"
        path.write_text("".join(json.dumps(f) + "\n" for f in [*leaves(2), dict(BASE, start="2026-04-10")]),
                        encoding="utf-8")
        code, out, _ = cli_audit(capsys, str(path), "-o", str(tmp_path / "out"))
        assert code == 2
        assert "1 invalid" in out
        assert "exit status 2" in out

    def test_every_row_judged_keeps_1_for_violations(self, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
        """Good rows only, with violations: status 1, no word of bad input."""
        path = tmp_path / "good.jsonl"
        path.write_text("".join(json.dumps(f) + "\n" for f in leaves(2)), encoding="utf-8")
        code, out, _ = cli_audit(capsys, str(path), "-o", str(tmp_path / "out"))
        assert code == 1
        assert "0 invalid, 0 with a rule error" in out
        assert "exit status 2" not in out

    @pytest.mark.parametrize(("invalid", "error", "violation", "expected"),
                             [(0, 0, 0, 0), (0, 0, 3, 1), (1, 0, 3, 2), (0, 1, 0, 2), (0, 2, 3, 2)])
    def test_the_rule(self, invalid: int, error: int, violation: int, expected: int) -> None:
        """A failed rule counts as bad input like an invalid row, before any violation."""
        assert status({"invalid": invalid, "error": error, "violation": violation}) == expected


class TestDuplicatedColumns:
    """Two columns of one name are refused, naming the column."""

    HEADER = ("agent_id", "kind", "kind", "requested_by", "start", "end", "requested_at")
    ROW = ("A1", "sick", "sick", "A1", "2026-05-10T09:00:00+08:00", BASE["end"], BASE["requested_at"])

    def test_csv(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A CSV header naming a column twice: one line, status 2."""
        path = tmp_path / "dup.csv"
        path.write_text(",".join(self.HEADER) + "\n" + ",".join(self.ROW) + "\n", encoding="utf-8")
        code, _, err = cli_audit(capsys, str(path), "-o", str(tmp_path / "out"))
        assert code == 2
        assert "column 'kind' appears twice" in err
        assert "Traceback" not in err

    @pytest.mark.parametrize("columnar", [True, False])
    def test_parquet(self, tmp_path: Path, columnar: bool) -> None:
        """A Parquet schema with a field twice is an audit error on either path."""
        path = tmp_path / "dup.parquet"
        pq.write_table(pa.table([pa.array([v]) for v in self.ROW], names=list(self.HEADER)), path)
        with pytest.raises(AuditError, match="column 'kind' appears twice"):
            audit(PACK, str(path), fact_type="leave_request", now=NOW, workers=1, columnar=columnar)


class TestOneWording:
    """Invalid rows read the same whichever path judged them."""

    def test_same_problems_as_the_row_engine(self, tmp_path: Path) -> None:
        """An empty text and a blank CSV cell give the row engine's messages on the columnar path."""
        facts = [*leaves(2), dict(leaves(1)[0], requested_by="")]
        path = tmp_path / "blank.csv"
        pl.DataFrame([*facts, dict(leaves(1)[0], agent_id=None)]).write_csv(path)
        for data in (facts, str(path)):
            got = [audit(PACK, data, fact_type="leave_request", now=NOW, workers=1, columnar=columnar)
                   for columnar in (True, False)]
            by_columns, by_rows = (decisions(r).filter(pl.col("effect") == "invalid") for r in got)
            assert by_columns.height
            assert by_columns.equals(by_rows)


class TestInternalColumns:
    """The row numbers the audit adds are not an input column."""

    def test_where_lists_only_input_columns(self) -> None:
        """A condition on an unknown column names the input's columns, never the row numbers."""
        with pytest.raises(AuditError, match="no column 'nosuch'") as caught:
            audit(PACK, leaves(2), fact_type="leave_request", now=NOW, workers=1, where="nosuch = 1")
        assert "__row" not in str(caught.value)

    def test_where_cannot_filter_row_numbers(self) -> None:
        """The row-number column cannot be filtered on."""
        with pytest.raises(AuditError, match="no column '__row'"):
            audit(PACK, leaves(5), fact_type="leave_request", now=NOW, workers=1, where="__row = 3")

    @pytest.mark.parametrize("name", ["empty.json", "empty.jsonl", "empty.yaml"])
    def test_empty_facts_file_is_bad_input(self, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           name: str) -> None:
        """An empty facts file is bad input in every format."""
        path = tmp_path / name
        path.write_text("", encoding="utf-8")
        code = cli.main(["eval", "call_centre", "--fact-type", "leave_request", "--now", "2026-03-20T09:00:00+08:00",
                         str(path)])
        assert code == 2
        assert "the file is empty" in capsys.readouterr().err
