"""Workers read their own shares of a file and write their own part of the decisions; the
parent only plans and adds up; worker processes are started once and reused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from csrules._audit import run as running
from csrules._audit.batch import AuditSpec
from csrules._audit.inputs import file_parts, source_kind
from csrules.audit import AuditError, audit, audit_events
from csrules.policies import load_pack
from tests.audit_support import KILL, probe_engine
from tests.test_audit import FACTS, NOW, leave
from tests.test_audit_events import MALL, calls

PACK = load_pack("call_centre")
FACTS_30 = [leave(f"A{index % 7:02d}", 2 + index % 20, hour=6 + index % 16) for index in range(30)]


def run(data: Any, **options: Any) -> running.AuditResult:
    """Audit ``data`` as leave requests of the call-centre pack."""
    return audit(PACK, data, fact_type="leave_request", now=NOW, **options)


def parquet(folder: Path, facts: list[dict[str, Any]], name: str = "leave.parquet", group: int = 4) -> Path:
    """``facts`` written to a Parquet file in row groups of ``group`` rows."""
    path = folder / name
    pq.write_table(pa.Table.from_pylist(facts), path, row_group_size=group)
    return path


class TestShares:
    """The parent plans shares of a file from its footer; the rows stay in the file."""

    def test_parquet_shares_carry_no_rows(self, tmp_path):
        """A Parquet file's shares name row groups (numbered across inputs), never rows read here."""
        path = parquet(tmp_path, FACTS_30, group=4)
        spec = AuditSpec(PACK.engine(), "leave_request", NOW)
        shares = list(running._Planner(spec, 3, 2, None, None).shares([pa.Table.from_pylist(FACTS), path]))
        from_file = [share for share in shares if share.part is not None]
        assert all(share.batch is None for share in from_file)
        assert [(share.first, share.last) for share in from_file][:2] == [(5, 8), (9, 12)]
        assert from_file[-1].last == 4 + 30

    def test_one_row_group_is_cut_for_two_workers(self, tmp_path):
        """A file of one large row group is cut at whole batches, so two workers share it."""
        path = parquet(tmp_path, FACTS_30, group=30)
        schema, parts = file_parts(source_kind(path), 5, 2)  # type: ignore[misc]
        assert [(part.group, part.skip, part.rows) for part in parts] == [(0, 0, 15), (0, 15, 15)]
        assert "agent_id" in schema.names


class TestSameAnswers:
    """Rows judged by workers reading their own shares equal rows judged from memory."""

    @pytest.mark.parametrize("workers", [1, 2])
    def test_parquet_and_arrow_files(self, tmp_path, workers):
        """Parquet row groups and Arrow IPC record batches give the rows, in input order, of the same table."""
        table = pa.Table.from_pylist(FACTS_30)
        arrow = tmp_path / "leave.arrow"
        with ipc.new_file(arrow, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=7):
                writer.write_batch(batch)
        expected = run([table, table], workers=1, batch_rows=4).decisions
        found = run([parquet(tmp_path, FACTS_30), arrow], workers=workers, batch_rows=4).decisions
        assert found.equals(expected)

    @pytest.mark.parametrize(("where", "limit"), [("hour_asked < 9", None), (None, 11), ("hour_asked < 9", 5)])
    def test_where_and_limit(self, tmp_path, where, limit):
        """A condition (applied by the workers) and a limit (planned here) choose the rows in-memory input would."""
        facts = [dict(fact, hour_asked=6 + index % 16) for index, fact in enumerate(FACTS_30)]
        extra = ["hour_asked"]  # no field of leave requests: let through unjudged when --where does not name it
        expected = run(pa.Table.from_pylist(facts), workers=1, where=where, limit=limit, extra_columns=extra).decisions
        found = run(parquet(tmp_path, facts), workers=2, batch_rows=3, where=where, limit=limit, extra_columns=extra)
        assert found.decisions.equals(expected)
        assert found.summary.input_rows == len(set(expected.column("row").to_pylist()))


class TestOutput:
    """Each worker writes its own part file; they are read back as one table."""

    def test_parts_read_as_one_table(self, tmp_path):
        """``decisions.parquet`` is a folder of part files in input order, read as one table by pyarrow and polars."""
        expected = run(pa.Table.from_pylist(FACTS_30), workers=1).decisions
        result = run(parquet(tmp_path, FACTS_30), workers=2, batch_rows=4, out=tmp_path / "out")
        folder = tmp_path / "out" / "decisions.parquet"
        assert len(list(folder.glob("part-*.parquet"))) > 1
        assert pq.read_table(folder).equals(expected)
        frame = pl.read_parquet(folder)
        assert frame.equals(pl.from_arrow(expected))
        assert result.files[0] == folder

    def test_no_rows_still_one_table(self, tmp_path):
        """An audit that judged no row leaves one empty part, so the decisions read with their columns."""
        run(parquet(tmp_path, FACTS_30), workers=1, where="agent_id = 'nobody'", out=tmp_path / "out")
        table = pq.read_table(tmp_path / "out" / "decisions.parquet")
        assert table.num_rows == 0
        assert "rule" in table.schema.names

    def test_older_decisions_replaced(self, tmp_path):
        """A second audit into the same folder replaces the first one's decisions, file or folder."""
        out = tmp_path / "out"
        out.mkdir()
        pq.write_table(pa.table({"old": [1]}), out / "decisions.parquet")
        run(FACTS, workers=1, out=out)
        assert pq.read_table(out / "decisions.parquet").num_rows >= 4


class TestWorkerProcesses:
    """Worker processes are spawned once and reused; one that dies fails the run and is replaced."""

    def test_reused_by_the_next_audit(self, tmp_path):
        """Two audits with two workers run in the same two processes."""
        path = parquet(tmp_path, FACTS_30)
        run(path, workers=2, batch_rows=4)
        pool = running._POOLS[2]
        before = set(pool._processes)  # type: ignore[attr-defined]
        run(path, workers=2, batch_rows=4)
        assert running._POOLS[2] is pool
        assert set(pool._processes) == before  # type: ignore[attr-defined]

    def test_event_replays_share_them(self, tmp_path):
        """Stateful audits replay their partitions in the same worker processes as audits."""
        run(parquet(tmp_path, FACTS_30), workers=2, batch_rows=4)
        pool = running._POOLS[2]
        before = set(pool._processes)  # type: ignore[attr-defined]
        audit_events(MALL, calls(), fact_type="call_record", time="started_at", workers=2, partitions=2)
        assert running._POOLS[2] is pool
        assert set(pool._processes) == before  # type: ignore[attr-defined]

    def test_killed_reading_its_own_share(self, tmp_path):
        """A worker killed judging rows it read from the file fails the run naming its rows, leaves
        no decisions, and the next audit runs in fresh workers."""
        facts = [{"agent_id": "a", "value": index} for index in range(40)]
        facts[25]["value"] = KILL
        path = tmp_path / "probe.parquet"
        pq.write_table(pa.Table.from_pylist(facts), path, row_group_size=5)
        with pytest.raises(AuditError, match=r"worker process died .* rows \d+-\d+ unfinished"):
            audit(probe_engine(), path, workers=2, batch_rows=5, out=tmp_path / "out")
        assert list((tmp_path / "out").iterdir()) == []
        del facts[25]
        pq.write_table(pa.Table.from_pylist(facts), path, row_group_size=5)
        result = audit(probe_engine(), path, workers=2, batch_rows=5)
        assert result.summary.input_rows == 39
