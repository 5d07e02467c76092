"""The README's quickstart runs as written, and CI runs the README's test command."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import csrules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    """The README's fenced code blocks in ``language``."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


class TestReadme:
    def test_ci_runs_the_readme_test_command(self):
        """.ci/run runs the README's second set-up command verbatim."""
        test_command = blocks("sh")[1].strip()
        assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()

    def test_quickstart_runs_and_prints_what_it_says(self, tmp_path, monkeypatch):
        """The quickstart's model, policy and evaluation work, with the outputs its comments show."""
        model_code, run_code = blocks("python")
        (tmp_path / "leave.yaml").write_text(blocks("yaml")[0], encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        namespace: dict[str, object] = {}
        # compiled as a user's own module would be, without this file's __future__ flags
        exec(compile(model_code, "quickstart", "exec", dont_inherit=True), namespace)
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(run_code, "quickstart", "exec", dont_inherit=True), namespace)
        lines = output.getvalue().splitlines()
        for line, code in zip(lines, run_code.splitlines()[-4:], strict=False):
            claimed = code.partition("# ")[2].split("  ")[0].strip()
            if claimed and not claimed.startswith("every rule"):
                assert line == claimed
        assert "head-approves: no match" in output.getvalue()

    def test_quickstart_typo_message(self, tmp_path):
        """The error the README quotes for a typo is the error csrules gives."""
        quoted = re.search(r"`(leave\.yaml:\d+, policy .*?)`\.", README, flags=re.DOTALL)
        assert quoted is not None
        path = tmp_path / "leave.yaml"
        path.write_text(blocks("yaml")[0].replace("path: days", "path: dayz"), encoding="utf-8")
        if "quick_leave" not in csrules.registered_fact_types():  # registered once per process
            exec(compile(blocks("python")[0], "quickstart", "exec", dont_inherit=True), {})
        with pytest.raises(csrules.PolicyError) as caught:
            csrules.load_policy(path)
        expected = " ".join(quoted.group(1).split())
        assert str(caught.value).replace(str(tmp_path) + "/", "") == expected
