"""The example host project (examples/helpdesk) passes its own suite, which uses csrules.testing."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

import csrules
from csrules.testing import run_test_file

HELPDESK = Path(__file__).resolve().parents[1] / "examples" / "helpdesk"


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in the example project, as its developers would."""
    plugins = {e.name for e in importlib.metadata.entry_points(group="pytest11")}
    extra = [] if "csrules" in plugins else ["-p", "csrules.pytest_plugin"]
    source = str(Path(csrules.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", *extra, "-p", "no:cacheprovider", "-q", *args],
        cwd=HELPDESK,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(not HELPDESK.is_dir(), reason="the examples folder is not in this tree")
class TestHelpdeskExample:
    def test_its_suite_passes_with_full_rule_coverage(self):
        """The help desk's tests (Python and YAML cases) pass, and cover every rule both ways."""
        result = _pytest("--csrules-coverage-fail-under=100")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "passed" in result.stdout
        assert "triage.test.yaml" not in result.stdout  # nothing failed there
        assert "5 of 5 rules made both true and false" in result.stdout

    def test_its_test_file_runs_outside_pytest(self):
        """The same YAML cases pass through run_test_file, the csrules test path."""
        sys.path.insert(0, str(HELPDESK))
        try:
            results = run_test_file(HELPDESK / "tests" / "triage.test.yaml")
        finally:
            sys.path.remove(str(HELPDESK))
        assert len(results) == 7
        assert all(r.passed for r in results), [r.message for r in results if not r.passed]
