"""The example that generates a year of leave requests and audits it end to end."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "audit" / "year_of_leave.py"


def example() -> ModuleType:
    """The example script, imported as a module."""
    spec = importlib.util.spec_from_file_location("year_of_leave", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SCRIPT.is_file(), reason="the examples folder is not in this tree")
class TestYearOfLeaveExample:
    """The example runs on a small centre and leaves a complete audit."""

    def test_small_centre_end_to_end(self, tmp_path, capsys):
        """Twelve agents' year is generated, audited, and every output file is written."""
        result = example().main(["--agents", "12", "--out", str(tmp_path), "--workers", "1"])
        rows = pq.read_metadata(tmp_path / "data" / "leave-2026.parquet").num_rows
        assert result.summary.input_rows == rows > 100
        summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
        assert summary["complete"] is True
        assert len(summary["by_month"]) == 12
        assert {row["team"] for row in summary["by_team"]} == {"team-01"}
        assert "report.html" in capsys.readouterr().out

    def test_same_year_every_time(self, tmp_path):
        """The fixed seed makes the same data on every run."""
        module = example()
        module.generate(tmp_path / "a.parquet", agents=3)
        module.generate(tmp_path / "b.parquet", agents=3)
        assert pq.read_table(tmp_path / "a.parquet").equals(pq.read_table(tmp_path / "b.parquet"))
