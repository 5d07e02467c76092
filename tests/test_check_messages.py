"""One message for a misspelt fact field, whichever entry reads the policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csrules import load_policy
from csrules._cli import cli
from csrules._cli._common import import_modules
from csrules.exceptions import PolicyError

DATA = Path(__file__).parent / "e2e" / "data"
IMPORT = ["--import", str(DATA / "cli_facts.py")]
import_modules([str(DATA / "cli_facts.py")])

EXPECTED = "unknown field 'manager_aproved' in CliLeave; known fields: "


def _misspelt(tmp_path: Path) -> Path:
    """The CLI's leave policy with ``manager_approved`` misspelt in the third condition."""
    text = (DATA / "leave.yaml").read_text(encoding="utf-8")
    assert "path: manager_approved" in text
    path = tmp_path / "typo.yaml"
    path.write_text(text.replace("path: manager_approved", "path: manager_aproved", 1), encoding="utf-8")
    return path


class TestMisspeltFactField:
    def test_load_policy_names_the_field_and_the_known_ones(self, tmp_path):
        """load_policy says which field is unknown and lists the model's fields."""
        with pytest.raises(PolicyError) as caught:
            load_policy(_misspelt(tmp_path))
        assert EXPECTED in str(caught.value)

    def test_check_prints_the_same_message_once(self, tmp_path, capsys):
        """csrules check reports the same message, once, and no invented missing field."""
        code = cli.main(["check", str(_misspelt(tmp_path)), *IMPORT])
        out, _ = capsys.readouterr()
        assert code == 1
        assert EXPECTED in out
        assert "required field" not in out
        assert out.count("manager_aproved") == 1

    def test_check_json_has_one_finding_at_the_line(self, tmp_path, capsys):
        """The JSON report holds one finding, at the line of the misspelt condition."""
        path = _misspelt(tmp_path)
        cli.main(["check", str(path), "--format", "json", *IMPORT])
        report = json.loads(capsys.readouterr().out)
        findings = [f for f in report["findings"] if f["severity"] == "error"]
        assert len(findings) == 1
        line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "aproved" in text)
        assert findings[0]["line"] == line
        assert EXPECTED in findings[0]["message"]
