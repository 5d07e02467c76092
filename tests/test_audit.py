"""Bulk audits: inputs, outputs, summaries, filters, bad input and workers that die."""

from __future__ import annotations

import io
import json
import pickle
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from csrules._cli.cli import main
from csrules._cli.evaluate import Progress
from csrules.audit import ROW_SCHEMA, AuditError, AuditSpec, audit, audit_batch
from csrules.policies import load_pack
from tests.audit_support import KILL, probe_engine

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
PACK = load_pack("call_centre")


def leave(agent: str, day: int, *, hour: int = 20, kind: str = "personal", team: str = "north") -> dict[str, Any]:
    """A personal leave request for 2026-03-(day+1), asked at ``hour`` the evening before."""
    return {
        "agent_id": agent, "kind": kind, "team": team,
        "start": f"2026-03-{day + 1:02d}T08:30:00+08:00", "end": f"2026-03-{day + 1:02d}T16:30:00+08:00",
        "requested_at": f"2026-03-{day:02d}T{hour:02d}:00:00+08:00", "requested_by": agent,
    }


FACTS = [leave("A01", 2), leave("A01", 3, hour=7), leave("A02", 4, team="south"), leave("A03", 5, hour=6)]


def run(data: Any, **options: Any):
    """Audit ``data`` as leave requests of the call-centre pack, in this process."""
    options.setdefault("workers", 1)
    return audit(PACK, data, fact_type="leave_request", now=NOW, **options)


def keys(table: pa.Table) -> list[tuple[Any, ...]]:
    """The (row, rule, effect) triples of decision rows."""
    return list(zip(*(table.column(name).to_pylist() for name in ("row", "rule", "effect")), strict=True))


class TestInputs:
    """Every input form gives the same decisions."""

    def expected(self) -> list[tuple[Any, ...]]:
        return keys(run(FACTS).decisions)

    def test_facts_give_effects_per_rule(self):
        """Facts as dicts: a late personal request has ATT-1's violation and approval rows."""
        table = run(FACTS).decisions
        assert table.schema == ROW_SCHEMA
        found = keys(table)
        assert (1, "ATT-1.personal-notice", "violation") in found
        assert (1, "ATT-1.late-approval", "approval") in found  # the late notice's approval is its own rule
        assert not any(row == 2 and rule == "ATT-1.personal-notice" for row, rule, _ in found)

    @pytest.mark.parametrize("form", ["arrow", "polars", "pandas", "batch"])
    def test_tables(self, form):
        """A pyarrow table or batch, a polars frame and a pandas frame are read alike."""
        table = pa.Table.from_pylist(FACTS)
        if form == "pandas":
            pytest.importorskip("pandas", reason="pandas is optional: a pandas frame is read when it is installed")
        data = {"arrow": table, "polars": pl.from_arrow(table), "batch": table.to_batches()[0]}.get(form)
        data = table.to_pandas() if data is None else data
        assert keys(run(data).decisions) == self.expected()

    @pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl", ".arrow"])
    def test_files(self, tmp_path, suffix):
        """Parquet, CSV, JSON Lines and Arrow IPC files are read alike."""
        table = pa.Table.from_pylist(FACTS)
        path = tmp_path / f"leave{suffix}"
        if suffix == ".parquet":
            pq.write_table(table, path)
        elif suffix == ".csv":
            pcsv.write_csv(table, path)
        elif suffix == ".jsonl":
            path.write_text("".join(json.dumps(fact) + "\n" for fact in FACTS), encoding="utf-8")
        else:
            with ipc.new_file(path, table.schema) as writer:
                writer.write_table(table)
        assert keys(run(path).decisions) == self.expected()

    def test_several_files_numbered_across(self, tmp_path):
        """Two files are one input: rows are numbered on from the first file into the second."""
        for index, part in enumerate((FACTS[:2], FACTS[2:])):
            pq.write_table(pa.Table.from_pylist(part), tmp_path / f"p{index}.parquet")
        found = run([tmp_path / "p0.parquet", tmp_path / "p1.parquet"], batch_rows=1).decisions
        assert keys(found) == self.expected()

    def test_where_and_limit(self):
        """--where keeps the rows an SQL condition holds for; --limit stops after that many rows."""
        assert set(run(FACTS, where="agent_id = 'A01'").decisions.column("subject").to_pylist()) == {"A01"}
        assert run(FACTS, limit=2).summary.input_rows == 2
        assert run(FACTS, where="agent_id = 'A01'", limit=1).summary.totals["facts"] == 1

    def test_bad_where(self):
        """A condition naming no column is an AuditError quoting it."""
        with pytest.raises(AuditError, match="--where"):
            run(FACTS, where="nonsense_column = 1")


class TestOutputs:
    """Decisions, summaries and reports written to the output folder."""

    def test_files_and_summary(self, tmp_path):
        """The folder holds every decision as Parquet, the summary and both reports."""
        result = run(FACTS, out=tmp_path)
        names = sorted(path.name for path in result.files)
        assert names == ["decisions.parquet", "report.html", "report.md", "summary.json"]
        assert pq.read_table(tmp_path / "decisions.parquet").schema == ROW_SCHEMA
        summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
        assert summary["complete"] is True
        assert summary["totals"]["facts"] == 4
        assert {row["team"] for row in summary["by_team"]} == {"north", "south"}
        assert [row["month"] for row in summary["by_month"]] == ["2026-03"]
        assert summary["by_subject"][0]["subject"] == "A01"

    def test_counts_each_fact_once_by_worst_outcome(self):
        """A fact with a violation and an approval counts as a violation only."""
        totals = run(FACTS).summary.totals
        assert totals["violation"] == 2  # the requests asked the evening before
        assert totals["facts"] == sum(totals[name] for name in
                                      ("violation", "needs_approval", "action_required", "clean", "invalid", "error"))

    def test_html_is_self_contained(self, tmp_path):
        """The HTML report has inline SVG charts and no script or outside reference."""
        run(FACTS, out=tmp_path)
        html = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert "<svg" in html
        assert "<script" not in html
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html


class TestBadInput:
    """Bad input is a clear AuditError naming the file or column; bad rows are reported."""

    def test_wrong_column_type(self, tmp_path):
        """A number column where the model wants text names the column and both types."""
        table = pa.Table.from_pylist(FACTS).set_column(0, "agent_id", pa.array([1, 2, 3, 4]))
        with pytest.raises(AuditError, match=r"column 'agent_id' holds int64, but leave_request.agent_id is text"):
            run(table)

    def test_missing_required_column(self):
        """A required field with no column is named."""
        with pytest.raises(AuditError, match="no column requested_at"):
            run(pa.Table.from_pylist(FACTS).drop_columns(["requested_at"]))

    def test_not_parquet(self, tmp_path):
        """A file named .parquet that is not Parquet names the file."""
        path = tmp_path / "leave.parquet"
        path.write_text("agent_id,kind\nA01,personal\n", encoding="utf-8")
        with pytest.raises(AuditError, match=r"leave\.parquet: cannot read it as parquet"):
            run(path)

    def test_truncated_parquet(self, tmp_path):
        """A Parquet file cut short names the file."""
        path = tmp_path / "leave.parquet"
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(FACTS * 50), buffer)
        path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        with pytest.raises(AuditError, match="cannot read it as parquet"):
            run(path)

    def test_unknown_format_and_missing_file(self, tmp_path):
        """An unknown suffix lists the known ones; a missing file says so."""
        with pytest.raises(AuditError, match="unknown input format"):
            run(tmp_path / "leave.xlsx")
        with pytest.raises(AuditError, match="no such file"):
            run(tmp_path / "leave.csv")

    def test_bad_rows_reported_rest_audited(self):
        """An unknown leave kind and an empty agent are reported by row and field; the rest are judged."""
        facts = [*FACTS, dict(FACTS[0], kind="holiday"), dict(FACTS[0], agent_id="")]
        result = run(facts)
        invalid = result.summary.invalid
        assert invalid["row"].to_list() == [5, 6]
        assert invalid["field"].to_list() == ["kind", "agent_id"]
        assert result.summary.totals["invalid"] == 2
        assert result.summary.totals["facts"] == 6

    def test_row_engine_reports_bad_rows_too(self):
        """The row engine reports the same bad rows by number."""
        facts = [*FACTS, dict(FACTS[0], kind="holiday")]
        assert run(facts, columnar=False).summary.invalid["row"].to_list() == [5]

    def test_ambiguous_fact_type(self):
        """A pack judging several fact types needs to be told which one the rows are."""
        with pytest.raises(AuditError, match="say which fact type"):
            audit(PACK, FACTS, now=NOW, workers=1)


class TestWorkers:
    """Batches judged in worker processes; a worker that dies stops the run."""

    def test_two_workers_same_rows(self):
        """Two spawned workers give the same rows, in input order, as one process."""
        facts = FACTS * 5
        assert run(facts, workers=2, batch_rows=3).decisions.equals(run(facts, batch_rows=3).decisions)

    def test_one_worker_runs_in_this_process(self, monkeypatch):
        """workers=1 judges in the calling process: no pool of worker processes is started."""

        def no_pool(*args, **kwargs):
            raise AssertionError("a process pool was started for one worker")

        monkeypatch.setattr("csrules._audit.run.ProcessPoolExecutor", no_pool)
        assert run(FACTS, workers=1).summary.totals["facts"] == 4

    def test_killed_worker_fails_clearly(self, tmp_path):
        """A worker killed mid-run is an AuditError naming its rows; no report is written."""
        facts = [{"agent_id": "a", "value": index} for index in range(40)]
        facts[25]["value"] = KILL
        with pytest.raises(AuditError, match=r"worker process died .* rows \d+-\d+ unfinished"):
            audit(probe_engine(), facts, workers=2, batch_rows=5, out=tmp_path)
        assert sorted(path.name for path in tmp_path.iterdir()) == []

    def test_spec_pickles(self):
        """The per-batch spec travels to workers (its engine as policies) and judges alike there."""
        spec = AuditSpec(PACK.engine(), "leave_request", NOW)
        batch = pa.Table.from_pylist(FACTS)
        assert audit_batch(pickle.loads(pickle.dumps(spec)), batch).equals(audit_batch(spec, batch))


class TestCommand:
    """``csrules audit``."""

    def test_audit_command(self, tmp_path, capsys):
        """The command writes the folder, says what it found, and exits 1 on a violation."""
        pq.write_table(pa.Table.from_pylist(FACTS), tmp_path / "leave.parquet")
        status = main(["audit", "call_centre", str(tmp_path / "leave.parquet"), "--fact-type", "leave_request",
                       "--out", str(tmp_path / "out"), "--now", "2026-06-01T09:00:00Z", "--workers", "1"])
        assert status == 1
        assert "4 rows audited: 2 with a violation" in capsys.readouterr().out
        assert (tmp_path / "out" / "report.html").is_file()

    def test_default_folder(self, tmp_path, capsys, monkeypatch):
        """Without -o the audit is written to ./csrules-out, like the other commands' files."""
        monkeypatch.chdir(tmp_path)
        pq.write_table(pa.Table.from_pylist(FACTS), tmp_path / "leave.parquet")
        main(["audit", "call_centre", "leave.parquet", "--fact-type", "leave_request", "--workers", "1",
              "--now", "2026-06-01T09:00:00Z"])
        assert pq.read_table(tmp_path / "csrules-out" / "decisions.parquet").num_rows >= 4

    def test_bad_file_is_one_line(self, tmp_path, capsys):
        """A file that is not Parquet is a one-line error with status 2."""
        path = tmp_path / "leave.parquet"
        path.write_text("nope", encoding="utf-8")
        status = main(["audit", "call_centre", str(path), "--fact-type", "leave_request", "--out", str(tmp_path / "o")])
        assert status == 2
        assert "cannot read it as parquet" in capsys.readouterr().err

    def test_progress_bar_off_when_not_a_terminal(self):
        """The bar writes nothing to a stream that is not a terminal."""
        stream = io.StringIO()
        bar = Progress(stream, total_bytes=None, enabled=stream.isatty(), label="csrules audit", unit="rows")
        bar.last = 0.0
        bar.update(100_000)
        bar.close()
        assert stream.getvalue() == ""

