"""How an audit is shared out and added up: a file's last batches one a share, counts sent
by subject, team and month apart, refused facts judged once by the row engine, text read
once, a JSON Lines range's columns checked once."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrules._audit import columnar
from csrules._audit import run as running
from csrules._audit.batch import AuditSpec, audit_batch
from csrules._audit.columnar import judge_columnar
from csrules._audit.inputs import ROW, file_parts, source_kind
from csrules._audit.rows import ROW_SCHEMA
from csrules._audit.summary import Tally, partial
from csrules.audit import AuditError
from csrules.policies import load_pack
from tests.test_audit import NOW, leave
from tests.test_audit_counts import RANKS

PACK = load_pack("call_centre")
FACTS_40 = [leave(f"A{index % 7:02d}", 2 + index % 20, hour=6 + index % 16) for index in range(40)]


def parquet(folder: Path, facts: list[dict[str, Any]], group: int = 10) -> Path:
    """``facts`` written to a Parquet file in row groups of ``group`` rows."""
    path = folder / "leave.parquet"
    pq.write_table(pa.Table.from_pylist(facts), path, row_group_size=group)
    return path


def spec(columnar_path: bool = True) -> AuditSpec:
    """The spec of an audit of leave requests against the call-centre pack."""
    return AuditSpec(PACK.engine(), "leave_request", NOW, columnar=columnar_path)


class TestLastShares:
    """A file's last batches go one a share, so no worker waits long for another's last share."""

    def test_file_parts_end_in_single_batches(self, tmp_path):
        """Four row groups of ten (as many as the pieces asked), batches of five, the last four batches one a part."""
        found = file_parts(source_kind(parquet(tmp_path, FACTS_40)), 5, 4, None, 4)
        assert found is not None
        parts = [(part.group, part.skip, part.rows) for part in found[1]]
        assert parts == [(0, 0, 10), (1, 0, 10), (2, 0, 5), (2, 5, 5), (3, 0, 5), (3, 5, 5)]

    def test_no_tail_keeps_whole_groups(self, tmp_path):
        """Without a tail (one worker) a row group stays one share."""
        found = file_parts(source_kind(parquet(tmp_path, FACTS_40)), 5, 1)
        assert found is not None
        assert [part.rows for part in found[1]] == [10, 10, 10, 10]

    def test_two_workers_number_every_row_once(self, tmp_path):
        """The planner (four pieces) numbers the rows 1..40 without gap or overlap, its last two shares one batch."""
        shares = list(running._Planner(spec(), 5, 4, None, None).shares([parquet(tmp_path, FACTS_40)]))
        assert [(share.first, share.last) for share in shares] == [(1, 10), (11, 20), (21, 30), (31, 35), (36, 40)]
        numbers = [row for share in shares for row in range(share.first, share.last + 1)]
        assert numbers == list(range(1, 41))

    def test_last_text_ranges_cut_in_two(self, tmp_path):
        """A CSV file in four ranges with a tail of four batches has its last two ranges cut in two, every row once."""
        path = tmp_path / "leave.csv"
        pl.DataFrame(FACTS_40).write_csv(path)
        found = file_parts(source_kind(path), 5, 4, spec().model, 4)
        assert found is not None
        parts = list(found[1])
        rows = [part.rows for part in parts]  # cut by bytes, moved on to line starts: about 10, 10, 5, 5, 5, 5
        assert len(rows) == 6
        assert sum(rows) == 40
        assert max(rows[2:]) < min(rows[:2])
        ranges = [part.lines for part in parts if part.lines is not None]
        assert all(left.end == right.start for left, right in pairwise(ranges))

    def test_limit_cuts_into_the_last_shares(self, tmp_path):
        """A limit ends the plan inside the one-batch shares, every row up to it numbered once (two
        workers judging such shares give one worker's rows: tests/test_audit_workers.py)."""
        shares = list(running._Planner(spec(), 5, 4, None, 33).shares([parquet(tmp_path, FACTS_40)]))
        assert [(share.first, share.last) for share in shares] == [(1, 10), (11, 20), (21, 30), (31, 33)]
        assert [share.part.rows for share in shares if share.part is not None] == [10, 10, 10, 3]


def clean_row(number: int, subject: str, team: str, month: str) -> dict[str, Any]:
    """The one decision row of a clean fact."""
    return {"row": number, "fact_type": "t", "subject": subject, "team": team, "month": month,
            "effect": "clean", "outcome": "clean"}


class TestCountsApart:
    """A batch's fact counts are by subject, by team and by month, never by their combinations."""

    def test_combinations_not_crossed(self):
        """27 facts, each a different (subject, team, month), give 3 + 3 + 3 count rows, not 27."""
        rows = [clean_row(index + 1, f"A{index % 3}", f"T{index // 3 % 3}", f"2026-0{index // 9 + 1}")
                for index in range(27)]
        found = partial(pa.Table.from_pylist(rows, schema=ROW_SCHEMA))
        assert found is not None
        assert found[0].height == 9
        assert sorted(found[0]["facts"].to_list()) == [9] * 9

    def test_teams_and_months_add_up(self):
        """Counts by team and by month over two batches equal a plain count of worst outcomes."""
        outcomes = ["clean", "violation", "needs_approval", "invalid", "violation", "error", "clean", "violation"]
        rows = [dict(clean_row(index + 1, f"A{index % 2}", f"T{index % 3}", f"2026-0{index % 4 + 1}"),
                     outcome=outcome, effect=outcome) for index, outcome in enumerate(outcomes)]
        rows.insert(2, dict(rows[1], outcome="error", effect="error"))  # fact 2 counts once, by its worst: error
        tally = Tally()
        for half in (rows[:5], rows[5:]):  # a fact's rows come in one batch
            tally.add(len(half), partial(pa.Table.from_pylist(half, schema=ROW_SCHEMA)))
        summary = tally.summary("t", "t")
        worst: dict[int, dict[str, Any]] = {}
        for item in rows:
            if item["row"] not in worst or RANKS.index(item["outcome"]) > RANKS.index(worst[item["row"]]["outcome"]):
                worst[item["row"]] = item
        for key, table in (("team", summary.by_team), ("month", summary.by_month), ("subject", summary.by_subject)):
            plain = Counter((item[key], item["outcome"]) for item in worst.values())
            counted = Counter({(record[key], name): record[name] for record in table.to_dicts()
                               for name in RANKS if record[name]})
            assert counted == plain, key
        assert summary.totals["facts"] == 8
        assert summary.totals["error"] == 2


    def test_polars_frame_with_null_columns_adds_up(self):
        """Counts taken from a Polars frame whose text columns are all null (no type) add to an Arrow batch's."""
        frame = pl.DataFrame([clean_row(1, "A1", "T1", "2026-01")]).with_columns(
            pl.lit(None).alias(name) for name in ("team", "policy", "rule", "code", "severity", "approver", "who",
                                                  "field", "message"))
        tally = Tally()
        tally.add(1, partial(frame))
        tally.add(1, partial(pa.Table.from_pylist([clean_row(2, "A1", "T1", "2026-01")], schema=ROW_SCHEMA)))
        summary = tally.summary("t", "t")
        assert summary.totals["clean"] == 2
        assert dict(summary.by_team.select("team", "facts").iter_rows()) == {None: 1, "T1": 1}


class TestRefusedOnce:
    """Facts the columnar checks refuse are judged by the row engine, as the row engine alone judges them."""

    def test_columnar_gives_row_engine_problems(self):
        """The columnar path's own rows for refused facts are the row engine's (message and all)."""
        facts = [leave("A01", 2), {**leave("A02", 3), "kind": "holiday"}, {**leave("A03", 4), "agent_id": "  "},
                 {**leave("A04", 5), "end": leave("A04", 4)["start"]}]
        table = pa.Table.from_pylist(facts)
        table = table.append_column(ROW, pa.array(range(1, 5), pa.int64()))
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        found = judge_columnar(spec(), frame)
        assert found is not None
        expected = audit_batch(spec(columnar_path=False), table)
        assert found.filter(pl.col("effect") == "invalid").height >= 3
        assert found.to_arrow().cast(ROW_SCHEMA).equals(expected)


class TestReadOnce:
    """What the columnar path reads of a column it reads once."""

    def test_text_times_parsed_once(self, monkeypatch):
        """Date-time texts that do not all read natively are tried natively once, then read by pydantic."""
        calls: list[str] = []
        tried = columnar._text_instants

        def counted(column: pl.Series) -> pl.Series | None:
            calls.append(column.name)
            return tried(column)

        monkeypatch.setattr(columnar, "_text_instants", counted)
        facts = [leave("A01", 2), {**leave("A02", 3), "requested_at": "2026-03-03 20:00:00.5+0800"}]
        facts[1]["requested_at"] = "2026-03-03T20:00+08"  # pydantic reads it; the native forms do not
        rows = audit_batch(spec(), pa.Table.from_pylist(facts))
        assert calls.count("requested_at") == 1
        assert rows.equals(audit_batch(spec(columnar_path=False), pa.Table.from_pylist(facts)))

    def test_json_lines_range_checked_once(self, tmp_path, monkeypatch):
        """A JSON Lines range read in several batches has its columns checked once."""
        path = tmp_path / "leave.jsonl"
        path.write_text("".join(pl.DataFrame(FACTS_40[:12]).write_ndjson().splitlines(keepends=True)))
        where: list[str] = []
        check = running.check_columns

        def counted(schema: pa.Schema, model: Any, fact_type: str, name: str) -> None:
            where.append(name)
            check(schema, model, fact_type, name)

        monkeypatch.setattr(running, "check_columns", counted)
        result = running.audit(PACK, path, fact_type="leave_request", now=NOW, workers=1, batch_rows=5)
        assert result.summary.input_rows == 12
        assert len([name for name in where if "rows" in name]) == 1


class TestFailures:
    """A share that cannot be read fails the whole audit: nothing is reported or left behind."""

    def test_corrupt_last_row_group_after_written_shares(self, tmp_path):
        """A file whose last row group is corrupt (its footer intact) fails after earlier parts were written:
        an AuditError naming the file, and an empty output folder."""
        path = tmp_path / "leave.parquet"
        pq.write_table(pa.Table.from_pylist(FACTS_40 * 5), path, row_group_size=50, compression="zstd")
        data = bytearray(path.read_bytes())
        column = pq.ParquetFile(path).metadata.row_group(3).column(0)
        for at in range(column.data_page_offset + 20, column.data_page_offset + column.total_compressed_size - 2):
            data[at] = (data[at] * 7 + 13) % 256
        path.write_bytes(bytes(data))
        with pytest.raises(AuditError, match=r"leave\.parquet: cannot read it as parquet"):
            running.audit(PACK, path, fact_type="leave_request", now=NOW, workers=1, batch_rows=25,
                          out=tmp_path / "out")
        assert list((tmp_path / "out").iterdir()) == []
