"""The Python examples of the user guide (docs/*.md) run as written.

Each guide's ``python`` blocks run in order in one fresh interpreter, in an empty directory,
as a reader pasting them one after another would run them; a block written as an
interactive session (``>>>``) is checked as a doctest. A few blocks are fragments of a
reader's own test suite (they use the reader's policy, engine and events); they are named
below and must stay fragments of those documents, nothing else is skipped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import csrules

ROOT = Path(__file__).resolve().parent.parent
GUIDES = sorted((ROOT / "docs").glob("*.md"))

FRAGMENTS = {
    # the reader's policy, engine and NOW in their own pytest suite
    ("testing.md", 0),
    ("testing.md", 1),
    ("testing.md", 2),
    ("testing.md", 3),
    ("testing.md", 4),
}
"""(guide, index among its python blocks) of the blocks that are fragments of a reader's code."""

FILES = {"writing-policies.md": {"call-length.yaml": "kind: between"}}
"""Files a guide's code reads, written from the guide's YAML block that holds the marker."""

RUNNER = r"""
import doctest, json, sys
blocks = json.loads(sys.stdin.read())
namespace = {"__name__": "__guide__"}
for name, code in blocks:
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(code, namespace, name, name, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, out=sys.stderr.write)
        if runner.failures:
            sys.exit(f"{name}: the doctest fails")
        namespace.update(test.globs)
    else:
        exec(compile(code, name, "exec", dont_inherit=True), namespace)
"""


def python_blocks(guide: Path) -> list[str]:
    """The guide's fenced ``python`` blocks, in order."""
    return [body for lang, body in fenced(guide) if lang == "python"]


def fenced(guide: Path) -> list[tuple[str, str]]:
    """Every fenced block of the guide as (language, body)."""
    return re.findall(r"```(\w*)\n(.*?)```", guide.read_text(encoding="utf-8"), flags=re.DOTALL)


def run_guide(guide: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the guide's runnable python blocks in order in a fresh interpreter in ``cwd``."""
    for filename, marker in FILES.get(guide.name, {}).items():
        body = next(body for lang, body in fenced(guide) if lang == "yaml" and marker in body)
        (cwd / filename).write_text(body, encoding="utf-8")
    blocks = [
        (f"{guide.name}#{index}", code)
        for index, code in enumerate(python_blocks(guide))
        if (guide.name, index) not in FRAGMENTS
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(csrules.__file__).resolve().parents[1]), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(blocks),
        text=True,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


class TestGuides:
    @pytest.mark.parametrize("guide", [g for g in GUIDES if python_blocks(g)], ids=lambda g: g.name)
    def test_python_blocks_run_as_written(self, guide, tmp_path):
        """Every python block of the guide that is not a named fragment runs, in order."""
        result = run_guide(guide, tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]

    def test_fragments_are_still_there(self):
        """Each block named a fragment exists, so the list cannot hide a removed example."""
        for name, index in FRAGMENTS:
            assert index < len(python_blocks(ROOT / "docs" / name)), (name, index)
