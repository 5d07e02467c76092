"""The package stays mypy --strict and ruff clean (both run from the test extra)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a checker from this environment, in the repository."""
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


class TestCodeQuality:
    def test_ruff_is_clean(self):
        """ruff finds nothing in the package, tests, benchmarks and examples."""
        ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
        if ruff is None:
            pytest.skip("ruff is not installed (it comes with the test extra)")
        result = run(ruff, "check", "src", "tests", "benchmarks", "examples")
        assert result.returncode == 0, result.stdout + result.stderr

    def test_every_public_object_has_a_docstring(self):
        """interrogate (configured in pyproject.toml) finds no public object without a docstring."""
        pytest.importorskip("interrogate", reason="interrogate is not installed (it comes with the test extra)")
        result = run(sys.executable, "-m", "interrogate", "src/csrules")
        assert result.returncode == 0, result.stdout + result.stderr

    def test_mypy_strict_is_clean(self):
        """mypy --strict (configured in pyproject.toml) finds nothing in the package."""
        pytest.importorskip("mypy", reason="mypy is not installed (it comes with the test extra)")
        result = run(sys.executable, "-m", "mypy", "src/csrules")
        assert result.returncode == 0, result.stdout + result.stderr
