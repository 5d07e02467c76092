"""``-o -`` is standard output for the commands that write one file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csrules._cli.cli import main


class TestDashIsStdout:
    """No file named ``-`` is ever written."""

    def test_schema(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """``csrules schema -o -`` prints the schema."""
        monkeypatch.chdir(tmp_path)
        assert main(["schema", "-o", "-"]) == 0
        assert "properties" in json.loads(capsys.readouterr().out)
        assert not (tmp_path / "-").exists()

    def test_diff(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """``csrules diff A B -o -`` prints the change document."""
        monkeypatch.chdir(tmp_path)
        assert main(["diff", "call_centre", "call_centre", "-o", "-", "--format", "md"]) == 0
        assert capsys.readouterr().out.startswith("#")
        assert not (tmp_path / "-").exists()
