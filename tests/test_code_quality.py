"""The code-quality checks run where CI runs them: ``.ci/run`` runs the README's lint command
(ruff, mypy --strict and interrogate) as a step of its own, after the test suite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_command() -> str:
    """The README's lint command (the ``sh`` block after the words "lint command")."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"lint command.*?```sh\n(.*?)```", readme, flags=re.DOTALL)
    assert found is not None, "the README shows no lint command"
    return found.group(1).strip()


class TestLintStep:
    def test_ci_runs_the_readme_lint_command(self):
        """.ci/run runs the README's lint command verbatim."""
        assert lint_command() in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()

    def test_the_lint_command_runs_every_checker(self):
        """The lint command runs ruff, mypy and interrogate over the package."""
        command = lint_command()
        for checker in ("ruff check src tests", "mypy src/csrules", "interrogate src/csrules"):
            assert checker in command
