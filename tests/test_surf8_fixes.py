"""Regressions for faults found on the command line and in audits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet
import pytest
from pydantic import BaseModel, Field

from csrules import Engine
from csrules._cli.cli import main
from csrules._policy.facts import register_fact_type
from csrules._policy.loader import loads_policy
from csrules.audit import AuditError, audit
from csrules.policies import load_pack
from tests.columnar_support import assert_same


@register_fact_type(name="surf8_naive_times")
class NaiveTimes(BaseModel):
    """A host's fact whose times are plain ``datetime``: pydantic keeps a time with no offset naive."""

    agent_id: str
    opened: datetime = Field(title="opened")
    closed: datetime | None = Field(default=None, title="closed")


AUDIT_NOW = datetime(2026, 3, 3, 9, tzinfo=timezone(timedelta(hours=8)))
LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
         "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00", "requested_by": "A01"}

NAIVE_ENGINE = Engine([loads_policy(
    """
id: naive-times
version: "1"
title: {en: Naive times, zh: 無時區時間}
fact_type: surf8_naive_times
rules:
  - id: NT-1
    title: {en: closed after opened, zh: 開後關}
    when: {kind: compare, path: closed, op: ">", field: opened}
    then:
      - {type: violation, code: NT-1, message: {en: late, zh: 晚}}
""",
    name="naive.yaml",
)])


class TestNaiveTimesInAudits:
    """A time with no offset is no instant: the columnar path must not read it as UTC when the
    row engine cannot compare it with an aware one (a rule error there, a finding here)."""

    def test_naive_text_beside_aware_text_is_judged_as_by_the_row_engine(self) -> None:
        """A naive ``opened`` text beside an aware ``closed`` gives the row engine's rule error."""
        facts = [{"agent_id": "A1", "opened": "2026-03-01T09:00:00", "closed": "2026-03-01T10:00:00+08:00"},
                 {"agent_id": "A2", "opened": "2026-03-01T09:00:00+08:00", "closed": "2026-03-01T10:00:00+08:00"}]
        assert_same(NAIVE_ENGINE, "surf8_naive_times", facts, columnar=False)

    def test_naive_timestamp_column_is_judged_as_by_the_row_engine(self) -> None:
        """A timestamp column without a zone (Parquet's naive timestamps), for a field that accepts
        it, gives the row engine's answer."""
        facts = [{"agent_id": "A1", "opened": datetime(2026, 3, 1, 9),
                  "closed": datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=8)))}]
        assert pa.Table.from_pylist(facts).schema.field("opened").type.tz is None
        assert_same(NAIVE_ENGINE, "surf8_naive_times", facts, columnar=False)


class TestImpossibleDates:
    """A well-formed date that names no real day is told apart from a text that is no date at all."""

    @pytest.mark.parametrize(("option", "text", "said"), [
        ("--now", "2026-02-30T09:00:00+08:00", "'2026-02-30T09:00:00+08:00': no such day: February 2026 has 28 days"),
        ("--now", "2026-03-01T24:00:00+08:00", "--now '2026-03-01T24:00:00+08:00': hour must be in 0..23"),
        ("--now", "2026-03-01T09:00:00+24:00", "the offset must be less than 24 hours"),
        ("--as-of", "2026-04-31", "--as-of '2026-04-31': no such day: April 2026 has 30 days"),
    ])
    def test_option_names_the_part_out_of_range(self, option: str, text: str, said: str,
                                                capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """``--now`` and ``--as-of`` say which part of a well-formed text is out of range."""
        fact = tmp_path / "fact.json"
        fact.write_text(json.dumps(LEAVE), encoding="utf-8")
        args = ["eval", "call_centre", str(fact), "--fact-type", "leave_request"]
        now = [] if option == "--now" else ["--now", "2026-03-01T09:00:00+08:00"]
        assert main([*args, *now, option, text]) == 2
        assert said in capsys.readouterr().err

    def test_a_text_that_is_no_date_still_shows_the_form(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A text that is not ISO 8601 at all is shown the form to write."""
        assert main(["eval", "call_centre", "--fact-type", "leave_request", "--now", "tomorrow"]) == 2
        assert "--now must be an ISO 8601 date-time such as 2026-03-01T09:00:00+08:00" in capsys.readouterr().err

    def test_envelope_now_names_the_day(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """An envelope's ``now`` on 29 February of a common year names the month's length, at its line."""
        facts = tmp_path / "facts.jsonl"
        facts.write_text(json.dumps({"fact": LEAVE, "fact_type": "leave_request",
                                     "now": "2026-02-29T10:00:00+08:00"}) + "\n", encoding="utf-8")
        assert main(["eval", "call_centre", str(facts)]) == 2
        assert (f"{facts}:1: bad fact: envelope 'now' '2026-02-29T10:00:00+08:00': no such day: "
                "February 2026 has 28 days") in capsys.readouterr().err


class TestCsvFlagsAndNumbersAsText:
    """A CSV column whose cells are not all Arrow flags or numbers is read as text, and each
    cell then as a fact reads it: one bad cell makes its row invalid, not the whole file."""

    @pytest.mark.parametrize("columnar", [True, False])
    def test_cells_are_read_as_the_engine_reads_them(self, columnar: bool, tmp_path: Path) -> None:
        """"yes" is a flag set, as for ``Engine.evaluate``; "maybe" is its row's invalid field."""
        fact = {**LEAVE, "kind": "sick", "requested_at": "2026-03-02T10:30:00+08:00", "certificate": "true"}
        cells = ["yes", "maybe", "False"]
        path = tmp_path / "leave.csv"
        rows = [",".join([*fact, "night_shift"])] + [",".join([*map(str, fact.values()), cell]) for cell in cells]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        result = audit(load_pack("call_centre"), [str(path)], fact_type="leave_request", now=AUDIT_NOW,
                       workers=1, columnar=columnar)
        assert result.decisions is not None
        found = pl.from_arrow(result.decisions)
        assert isinstance(found, pl.DataFrame)
        engine = load_pack("call_centre").engine()
        for row, cell in enumerate(cells, start=1):
            mine = found.filter(pl.col("row") == row)
            if cell == "maybe":
                assert mine.select("outcome", "field").rows() == [("invalid", "night_shift")]
                continue
            decision = engine.evaluate({**fact, "night_shift": cell}, now=AUDIT_NOW, fact_type="leave_request")
            assert set(mine["rule"].drop_nulls()) == set(decision.rule_ids)
        assert "ATT-5.night-approval" in set(found.filter(pl.col("row") == 1)["rule"])


class TestJsonLinesTypeChange:
    """A JSON Lines column that changes its JSON type is refused naming the file's line, not the
    row Arrow counts from 0 within the block it was reading."""

    @pytest.mark.parametrize(("line", "said"), [
        (json.dumps({**LEAVE, "night_shift": "maybe"}),
         'line 12000: night_shift is a JSON string ("maybe"), but the column holds booleans: every line\'s '
         "night_shift must be a JSON boolean"),
        (json.dumps({**LEAVE, "night_shift": False})[:-1],
         "line 12000: not valid JSON at column 203: Expecting ',' delimiter"),
        ("[1, 2]", "line 12000: a fact is a JSON object, not a JSON array"),
    ], ids=["type-change", "truncated", "array"])
    def test_the_line_past_the_first_block_is_named(self, line: str, said: str, tmp_path: Path) -> None:
        """A bad line 12,000 of a file of several blocks is named at line 12,000."""
        path = tmp_path / "leave.jsonl"
        lines = [json.dumps({**LEAVE, "night_shift": False}) + "\n"] * 15_000
        lines[11_999] = line + "\n"
        path.write_text("".join(lines), encoding="utf-8")
        assert path.stat().st_size > 2 * 1024 * 1024  # beyond the reader's first block
        with pytest.raises(AuditError) as caught:
            audit(load_pack("call_centre"), [str(path)], fact_type="leave_request", now=AUDIT_NOW, workers=1)
        assert str(caught.value).startswith(f"{path}: {said}")


class TestAuditReportBasis:
    """An audit report says what its counts depend on beside the rows: the instant rules
    reading the clock saw, and the field and zone months are read in."""

    def test_report_and_summary_name_now_and_the_months_zone(self, tmp_path: Path) -> None:
        """Months read in New York and now given in UTC are stated in report.md, report.html and summary.json."""
        now = datetime(2026, 3, 3, 1, tzinfo=UTC)
        fact = {**LEAVE, "start": "2026-03-01T08:30:00+08:00", "end": "2026-03-01T16:30:00+08:00",
                "requested_at": "2026-02-27T20:00:00+08:00"}  # 28 February, 19:30 in New York
        audit(load_pack("call_centre"), [fact], fact_type="leave_request", now=now, workers=1,
              zone="America/New_York", out=tmp_path)
        said = ("Rules reading the clock saw now = 2026-03-02T20:00:00-05:00 (America/New_York). A fact's month "
                "is the local month of its start in America/New_York.")
        assert said in (tmp_path / "report.md").read_text(encoding="utf-8")
        assert said.replace("'", "&#x27;") in (tmp_path / "report.html").read_text(encoding="utf-8")
        summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
        assert (summary["now"], summary["timezone"], summary["month_from"]) == (
            "2026-03-02T20:00:00-05:00", "America/New_York", "start")
        assert summary["by_month"][0]["month"] == "2026-02"


class TestTableFilesOnEval:
    """``eval`` and ``explain`` read facts from JSON, JSON Lines and YAML; a table file is told
    so, and pointed to ``audit``, rather than read as text."""

    @pytest.mark.parametrize("command", ["eval", "explain"])
    @pytest.mark.parametrize("suffix", [".csv", ".parquet"])
    def test_a_table_file_points_to_audit(self, command: str, suffix: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        """A CSV or Parquet file given to eval or explain is refused naming the file and the command that reads it."""
        path = tmp_path / f"leave{suffix}"
        if suffix == ".csv":
            path.write_text(",".join(LEAVE) + "\n" + ",".join(LEAVE.values()) + "\n", encoding="utf-8")
        else:
            pa.parquet.write_table(pa.Table.from_pylist([LEAVE]), path)
        status = main([command, "call_centre", str(path), "--fact-type", "leave_request",
                       "--now", "2026-03-01T09:00:00+08:00"])
        assert status == 2
        assert (f"{path}: a table file; facts are read from JSON, JSON Lines or YAML here (csrules audit reads "
                "Parquet, CSV, JSON Lines and Arrow files)") in capsys.readouterr().err


class TestDocumentDate:
    """``--date`` of the document commands names the part of a day that is out of range."""

    @pytest.mark.parametrize("command", [["docs", "mall"], ["diff", "mall", "mall"], ["demo"]])
    def test_no_such_day(self, command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """29 February 2025 is refused saying February 2025 has 28 days, before anything is written."""
        out = ["-o", str(tmp_path / "out")] if command[0] != "diff" else []
        assert main([*command, *out, "--date", "2025-02-29"]) == 2
        assert "--date '2025-02-29': no such day: February 2025 has 28 days" in capsys.readouterr().err
        assert not (tmp_path / "out").exists()
