"""``csrules audit`` refuses nonsense sizes and says the instant it took from the clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrules._audit.errors import AuditError
from csrules._audit.run import audit
from csrules._cli.cli import main
from csrules.policies import load_pack
from tests.test_audit import FACTS, NOW

NOTE = re.compile(r"csrules audit: no --now given: judged at (\S+) by the clock \(--now \1 repeats this run\)\n")


def leave_file(folder: Path) -> Path:
    """The leave requests of the audit tests, as a Parquet file in ``folder``."""
    path = folder / "leave.parquet"
    pq.write_table(pa.Table.from_pylist(FACTS), path)
    return path


class TestSizes:
    """Worker and batch counts below one are refused, not quietly run some other way."""

    @pytest.mark.parametrize("option", ["workers", "batch_rows"])
    @pytest.mark.parametrize("value", [0, -1])
    def test_python_call_is_an_audit_error(self, option: str, value: int) -> None:
        """``audit(..., workers=0)`` (or batch_rows) is an AuditError naming the option and value."""
        with pytest.raises(AuditError, match=f"{option} must be 1 or more \\(got {value}\\)"):
            audit(load_pack("call_centre"), FACTS, fact_type="leave_request", now=NOW, **{option: value})

    @pytest.mark.parametrize("option", ["--workers", "--batch-rows"])
    def test_command_exits_2_on_one_line(self, option: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        """The command exits 2 with one line naming the option, and writes no report."""
        status = main(["audit", "call_centre", str(leave_file(tmp_path)), "--fact-type", "leave_request",
                       "--now", "2026-06-01T09:00:00Z", "-o", str(tmp_path / "out"), option, "-1"])
        err = capsys.readouterr().err
        assert status == 2
        assert "must be 1 or more (got -1)" in err
        assert len(err.strip().splitlines()) == 1
        assert not (tmp_path / "out" / "report.html").exists()


class TestClockNow:
    """Without --now the audit says the instant it judged at, and giving it back repeats the run."""

    def test_audit_says_the_now_it_used(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """stderr ends with the instant taken from the clock; the summary with --now that instant is the same."""
        data = str(leave_file(tmp_path))
        before = datetime.now(UTC).replace(microsecond=0)
        first = main(["audit", "call_centre", data, "--fact-type", "leave_request", "--workers", "1",
                      "-o", str(tmp_path / "a")])
        out, err = capsys.readouterr()
        said = NOTE.search(err)
        assert said is not None
        assert before <= datetime.fromisoformat(said[1]) <= datetime.now(UTC)
        again = main(["audit", "call_centre", data, "--fact-type", "leave_request", "--workers", "1",
                      "-o", str(tmp_path / "b"), "--now", said[1]])
        assert (again, capsys.readouterr().out.replace("/b/", "/a/")) == (first, out)
        assert (tmp_path / "a" / "summary.json").read_text() == (tmp_path / "b" / "summary.json").read_text()


class TestSummaryOrder:
    """The summary is the same for the same rows, whatever order grouping happens to give."""

    def test_rules_with_equal_counts_follow_their_keys(self) -> None:
        """by_rule lists rules by count, then by policy, rule, effect, code, severity, approver and
        who, so rows of equal count (here an approval and a violation of one rule) keep one order."""
        rows = audit(load_pack("call_centre"), FACTS, fact_type="leave_request", now=NOW,
                     workers=1).summary.by_rule.to_dicts()
        keys = ("policy", "rule", "effect", "code", "severity", "approver", "who")
        counts = [row["count"] for row in rows]
        assert len(set(counts)) < len(counts)  # premise: some counts are equal
        assert rows == sorted(rows, key=lambda row: (-row["count"], *((row[k] is None, row[k] or "") for k in keys)))
