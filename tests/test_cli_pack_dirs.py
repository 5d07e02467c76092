"""A pack directory given as a path is tested and judged like the pack given by name: its
session policies (listed under ``sessions:`` in ``pack.yaml``) and their event-sequence
examples are part of it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import csrules.policies
from tests.test_cli_e2e import csrules as run_csrules

PACKS = Path(csrules.policies.__file__).resolve().parent


def _csrules(*args: str) -> subprocess.CompletedProcess[str]:
    return run_csrules(*args, imports=False)


class TestPackDirectory:
    """`csrules test DIR` on a pack directory runs its session examples too."""

    def test_directory_and_name_run_the_same_examples(self) -> None:
        """The mall pack by path runs as many examples as by name, sequences included."""
        by_name = _csrules("test", "mall")
        by_path = _csrules("test", str(PACKS / "mall"))
        assert by_name.returncode == by_path.returncode == 0, by_path.stderr
        assert by_name.stdout.strip().splitlines()[-1] == by_path.stdout.strip().splitlines()[-1]

    def test_a_broken_session_example_fails_the_directory(self, tmp_path: Path) -> None:
        """A session example expecting no effect where one holds fails `csrules test` on the copied pack."""
        copy = tmp_path / "mall"
        shutil.copytree(PACKS / "mall", copy)
        sessions = copy / "sessions" / "call.yaml"
        text = sessions.read_text(encoding="utf-8")
        assert "expect: [violation:CON-1]" in text
        sessions.write_text(text.replace("expect: [violation:CON-1]", "expect: []", 1), encoding="utf-8")
        result = _csrules("test", str(copy))
        assert result.returncode == 1
        assert "1 failed" in result.stdout

    def test_eval_on_a_pack_directory_leaves_sessions_out(self, tmp_path: Path) -> None:
        """Judging facts against a pack directory uses its stateless policies only."""
        facts = tmp_path / "orders.jsonl"
        facts.write_text(
            '{"order_no": "O1", "placed_at": "2026-03-10T10:00:00+08:00", "status": "shipping", "amount": 88}\n',
            encoding="utf-8",
        )
        result = _csrules("eval", str(PACKS / "mall"), str(facts), "--fact-type", "order",
                          "--now", "2026-03-10T14:00:00+08:00")
        assert result.returncode == 0, result.stderr
        assert "ORD-1.shipping-delay" in result.stdout


class TestOneTestFile:
    """`csrules test FILE.test.yaml` runs that test file, never reads it as a policy."""

    def test_the_helpdesk_test_file_runs_alone(self) -> None:
        """The example project's test file, named alone, runs its cases and passes."""
        path = Path(__file__).resolve().parents[1] / "examples" / "helpdesk" / "tests" / "triage.test.yaml"
        result = _csrules("test", str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith("passed, 0 failed")
        assert "required field" not in result.stdout + result.stderr
