"""Workers read their own byte ranges of CSV and JSON Lines files: ranges cut at line starts,
rows numbered from line counts, answers equal to reading the whole file in one reader."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrules._audit import inputs, lines
from csrules._audit.batch import AuditSpec
from csrules._audit.inputs import file_parts, source_kind
from csrules.audit import AuditError, audit
from tests.audit_support import KILL, probe_engine
from tests.test_audit import NOW, PACK, leave, run

FACTS = [dict(leave(f"A{index % 7:02d}", 1 + index % 25, hour=6 + index % 16), days=1 + index % 3)
         for index in range(40)]
MODEL = AuditSpec(PACK.engine(), "leave_request", NOW).model


def csv_text(facts: list[dict[str, Any]], *, end: str = "\n") -> str:
    """``facts`` as a CSV file without quotes (the columns of the first fact)."""
    names = list(facts[0])
    return end.join([",".join(names), *(",".join(str(fact[name]) for name in names) for fact in facts)]) + end


def jsonl_text(facts: list[dict[str, Any]]) -> str:
    """``facts`` as JSON Lines."""
    return "".join(json.dumps(fact) + "\n" for fact in facts)


def write(folder: Path, name: str, text: str) -> Path:
    """``text`` written to ``folder / name``."""
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def whole(facts: list[dict[str, Any]], **options: Any) -> pa.Table:
    """The decisions of ``facts`` given as a table (no file read)."""
    return run(pa.Table.from_pylist(facts), **options).decisions


class TestRanges:
    """A plain text file is planned as byte ranges from its line ends alone."""

    @pytest.mark.parametrize(("name", "text"), [("leave.csv", csv_text(FACTS)), ("leave.jsonl", jsonl_text(FACTS)),
                                                ("crlf.csv", csv_text(FACTS, end="\r\n"))])
    def test_ranges_cover_every_row_once(self, tmp_path, name, text):
        """Ranges are contiguous, start at line starts, and their row counts add up to the file's rows."""
        path = write(tmp_path, name, text)
        found = file_parts(source_kind(path), 5, 4, MODEL)
        assert found is not None
        schema, parts = found[0], list(found[1])
        data = path.read_bytes()
        assert len(parts) == 4
        assert sum(part.rows for part in parts) == len(FACTS)
        bounds = [(part.lines.start, part.lines.end) for part in parts if part.lines is not None]
        assert all(data[start - 1:start] == b"\n" for start, _ in bounds if start)
        assert all(left[1] == right[0] for left, right in pairwise(bounds))
        assert bounds[-1][1] == len(data)
        assert "agent_id" in schema.names

    @pytest.mark.parametrize(("name", "text"), [
        ("quoted.csv", csv_text(FACTS).replace("A01", '"A01"')),
        ("starts-blank.csv", "\n" + csv_text(FACTS)),
        ("crlf-blank.csv", csv_text(FACTS, end="\r\n").replace("\r\n", "\r\n\r\n", 3)),
        ("mac.csv", csv_text(FACTS, end="\r")),
        ("pretty.jsonl", json.dumps(FACTS[0], indent=1) + "\n" + jsonl_text(FACTS[1:])),
        ("blank.jsonl", "\n" + jsonl_text(FACTS)),
    ])
    def test_files_a_line_is_not_a_row_of_are_read_whole(self, tmp_path, name, text):
        """Quotes, a leading or CRLF empty line, lone carriage returns, objects over lines: read whole, in order."""
        path = write(tmp_path, name, text)
        assert file_parts(source_kind(path), 5, 4, MODEL) is None


class TestAnswers:
    """Every range read by itself gives the decisions of the whole file."""

    @pytest.mark.parametrize("name", ["leave.csv", "leave.jsonl", "crlf.csv", "no-last-newline.csv", "blank.csv"])
    def test_same_decisions_as_the_table(self, tmp_path, name):
        """Shares of five rows (numbered from line counts) give the table's decisions, row numbers included."""
        text = jsonl_text(FACTS) if name.endswith("jsonl") else csv_text(FACTS, end="\r\n" if "crlf" in name else "\n")
        if name == "blank.csv":  # empty lines after the header, in a row, and at the end: skipped, never counted
            lines = text.split("\n")
            text = "\n".join([lines[0], "", *lines[1:9], "", "", *lines[9:], "", ""])
            assert file_parts(source_kind(write(tmp_path, name, text)), 5, 4, MODEL) is not None
        path = write(tmp_path, name, text.removesuffix("\n") if "no-last" in name else text)
        assert run(path, batch_rows=5).decisions.equals(whole(FACTS))

    def test_numbered_on_across_inputs_and_limited(self, tmp_path):
        """A CSV file after a Parquet file numbers on from it; a limit stops inside a range."""
        first = tmp_path / "first.parquet"
        pq.write_table(pa.Table.from_pylist(FACTS[:10]), first)
        second = write(tmp_path, "second.csv", csv_text(FACTS[10:]))
        assert run([first, second], batch_rows=4).decisions.equals(whole(FACTS))
        limited = run(second, batch_rows=4, limit=7)
        assert limited.summary.input_rows == 7
        assert limited.decisions.equals(whole(FACTS[10:17]))

    def test_two_workers(self, tmp_path):
        """Two worker processes reading their own ranges give the table's decisions."""
        path = write(tmp_path, "leave.csv", csv_text(FACTS))
        assert run(path, batch_rows=5, workers=2).decisions.equals(whole(FACTS))


class TestBadInput:
    """A bad range fails the audit, naming the file, as reading the whole file does."""

    @pytest.mark.parametrize("name", ["cut.csv", "cut.jsonl"])
    def test_truncated_file(self, tmp_path, name):
        """A CSV or JSON Lines file cut inside its last line is an AuditError naming it (a JSON
        Lines file, and the line: line 40 of 40)."""
        text = csv_text(FACTS) if name.endswith("csv") else jsonl_text(FACTS)
        path = write(tmp_path, name, text[: len(text) - 60])
        said = (r"cut\.csv: cannot read it as csv" if name.endswith("csv")
                else rf"cut\.jsonl: line {len(FACTS)}: not valid JSON")
        with pytest.raises(AuditError, match=said):
            run(path, batch_rows=5)

    def test_csv_value_its_column_cannot_hold(self, tmp_path, monkeypatch):
        """A number column holding text after the first block is refused, as the first block typed
        it, by a range read alone (plain file) and by one reader of the whole file (quoted file)."""
        monkeypatch.setattr(lines, "BLOCK", 1024)  # the first block: a few rows
        monkeypatch.setattr(inputs, "BLOCK", 1024)
        text = csv_text([dict(fact, days=3) for fact in FACTS])
        text = text[: text.rindex(",3\n")] + ",three\n"
        for name, body in (("typed.csv", text), ("quoted.csv", text.replace("A01", '"A01"'))):
            path = write(tmp_path, name, body)
            with pytest.raises(AuditError, match=rf"{name.replace('.', '[.]')}: cannot read it as csv.*three"):
                run(path, batch_rows=5)

    def test_jsonl_range_of_a_wrong_type(self, tmp_path):
        """A JSON Lines range whose text field holds objects is refused, naming the file and its rows."""
        facts = [*FACTS[:-5], *(dict(fact, days={"n": 1}) for fact in FACTS[-5:])]
        path = write(tmp_path, "typed.jsonl", jsonl_text(facts))
        with pytest.raises(AuditError, match=r"typed\.jsonl.*days"):
            run(path, batch_rows=5)

    def test_missing_column(self, tmp_path):
        """A CSV file without a required column is refused before any range is read."""
        path = write(tmp_path, "short.csv", csv_text([{k: v for k, v in f.items() if k != "kind"} for f in FACTS]))
        with pytest.raises(AuditError, match=r"short\.csv: no column kind"):
            run(path, batch_rows=5)

    def test_worker_killed_in_its_range(self, tmp_path):
        """A worker killed judging its own CSV range fails the run naming its rows; no decisions are left."""
        facts = [{"agent_id": "a", "value": KILL if index == 25 else index} for index in range(40)]
        path = write(tmp_path, "probe.csv", csv_text(facts))
        with pytest.raises(AuditError, match=r"worker process died .* rows \d+-\d+ unfinished"):
            audit(probe_engine(), path, workers=2, batch_rows=5, out=tmp_path / "out")
        assert list((tmp_path / "out").iterdir()) == []
