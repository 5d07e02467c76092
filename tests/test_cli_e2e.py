"""End to end: the installed ``csrules`` command run as a subprocess, one test per command.

Each test checks a good run's exit status and output, and a bad input's exit status and
its one-line error (no traceback). The command is the console script next to the running
Python (``pip install -e .`` puts it there); without it the module is run with ``-m``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import csrules as csrules_package

DATA = Path(__file__).parent / "e2e" / "data"
LEAVE = str(DATA / "leave.yaml")
IMPORT = ["--import", str(DATA / "cli_facts.py")]
LATE = {
    "kind": "personal",
    "requested_at": "2026-01-05T08:00:00+08:00",
    "starts_at": "2026-01-05T16:00:00+08:00",
    "days": 1,
}
EARLY = {**LATE, "requested_at": "2026-01-01T08:00:00+08:00"}


def _command() -> list[str]:
    script = Path(sys.executable).with_name("csrules")
    if script.exists():
        return [str(script)]
    found = shutil.which("csrules")
    return [found] if found else [sys.executable, "-m", "csrules._cli.cli"]


CSRULES = _command()
PACKAGE_PARENT = str(Path(csrules_package.__file__).resolve().parents[1])
"""The directory this csrules is imported from (src/ when editable, site-packages from a wheel)."""


def cli_env(*folders: str) -> dict[str, str]:
    """The environment to run :data:`CSRULES` in: PYTHONPATH holds ``folders`` (a host's modules),
    and this csrules when it is run with ``-m``."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    paths = [*folders, *([PACKAGE_PARENT] if CSRULES[0] == sys.executable else [])]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def csrules(*args: str, stdin: str | None = None, imports: bool = True) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    return subprocess.run(
        [*CSRULES, *args, *(IMPORT if imports else [])],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert " error: " in result.stderr


def test_version_and_help():
    """--version names the version; the installed command's --help shows examples."""
    result = csrules("--version", imports=False)
    assert result.returncode == 0
    assert result.stdout.startswith("csrules ")
    # every command's --help is checked in-process (tests/test_cli.py); two here, installed
    for command in ("eval", "docs"):
        result = csrules(command, "--help", imports=False)
        assert result.returncode == 0, command
        assert "example" in result.stdout, command


def test_eval(tmp_path):
    """Exit 1 with a violation, 0 when clean, 2 with the bad fact's line; --keep-going goes on."""
    facts = tmp_path / "facts.jsonl"
    facts.write_text(f"{json.dumps(EARLY)}\n{json.dumps(LATE)}\n", encoding="utf-8")
    result = csrules("eval", LEAVE, str(facts))
    assert result.returncode == 1
    assert [json.loads(x)["outcome"] for x in result.stdout.splitlines()] == ["needs_approval", "violation"]
    assert csrules("eval", LEAVE, "-", stdin=json.dumps(EARLY)).returncode == 0
    table = csrules("eval", LEAVE, "--format", "table", stdin=json.dumps(EARLY))
    assert table.returncode == 0
    assert "needs_approval" in table.stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_text(f'{json.dumps(EARLY)}\n{{"kind": "holiday"}}\n{json.dumps(LATE)}\n', encoding="utf-8")
    result = csrules("eval", LEAVE, str(bad))
    one_line_error(result)
    assert f"{bad}:2: bad fact: " in result.stderr
    result = csrules("eval", LEAVE, str(bad), "--keep-going")
    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 2
    assert f"{bad}:2: bad fact: " in result.stderr
    one_line_error(csrules("eval", LEAVE, str(tmp_path / "missing.jsonl")))


def test_explain(tmp_path):
    """explain prints the trace, exits 1 on a violation and 0 otherwise; a bad fact is a one-line error."""
    fact = tmp_path / "fact.json"
    fact.write_text(json.dumps(LATE), encoding="utf-8")
    result = csrules("explain", LEAVE, str(fact))
    assert result.returncode == 1
    assert "cli-leave/personal-notice: MATCHED" in result.stdout
    fact.write_text(json.dumps(EARLY), encoding="utf-8")
    assert csrules("explain", LEAVE, str(fact)).returncode == 0
    fact.write_text(json.dumps({"kind": "personal"}), encoding="utf-8")
    one_line_error(csrules("explain", LEAVE, str(fact)))


def test_check(tmp_path):
    """check exits 0 when clean, 1 with file:line findings, 2 for a missing file."""
    assert csrules("check", LEAVE).returncode == 0
    bad = tmp_path / "p.yaml"
    bad.write_text(
        Path(LEAVE).read_text(encoding="utf-8").replace("    title: {en: Short", "    titel: {en: Short"),
        encoding="utf-8",
    )
    result = csrules("check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:41: error [invalid]" in result.stdout
    one_line_error(csrules("check", str(tmp_path / "nope.yaml")))


def test_test(tmp_path):
    """test prints the summary line; a failing example exits 1; a bad target exits 2."""
    result = csrules("test", str(DATA))
    assert result.returncode == 0
    assert result.stdout.strip().endswith("10 passed, 0 failed")
    broken = tmp_path / "leave.yaml"
    broken.write_text(Path(LEAVE).read_text(encoding="utf-8").replace("[violation:ATT-1]", "[]"), encoding="utf-8")
    result = csrules("test", str(broken))
    assert result.returncode == 1
    assert result.stdout.strip().endswith("5 passed, 1 failed")
    one_line_error(csrules("test", str(tmp_path / "none")))


def test_docs(tmp_path):
    """docs writes Markdown and HTML; SOURCE_DATE_EPOCH makes it reproducible; a bad --lang exits 2."""
    out = tmp_path / "out"
    result = csrules("docs", LEAVE, "--out", str(out), "--date", "2026-01-01")
    assert result.returncode == 0
    assert (out / "cli-leave.md").read_text(encoding="utf-8").count("2026-01-01") >= 1
    assert "<section class=\"rule\"" in (out / "cli-leave.html").read_text(encoding="utf-8")
    result = csrules("docs", LEAVE, "--lang", "fr")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert result.stderr.count("\n") == 1


def test_diff(tmp_path):
    """diff exits 0 for no change, 1 listing the change, 2 for a missing file."""
    assert csrules("diff", LEAVE, LEAVE).returncode == 0
    new = tmp_path / "leave.yaml"
    new.write_text(Path(LEAVE).read_text(encoding="utf-8").replace("default: 1d", "default: 2d"), encoding="utf-8")
    result = csrules("diff", LEAVE, str(new))
    assert result.returncode == 1
    assert "| cli-leave | notice | default | 1d | 2d |" in result.stdout
    one_line_error(csrules("diff", LEAVE, str(tmp_path / "gone.yaml")))


def test_schema():
    """schema prints JSON Schema; an unknown option exits 2."""
    result = csrules("schema", imports=False)
    assert result.returncode == 0
    assert json.loads(result.stdout)["type"] == "object"
    one_line_error(csrules("schema", "--colour", imports=False))


def test_packs():
    """packs lists the built-in packs (as JSON too); an unknown option exits 2."""
    result = csrules("packs", "--json", imports=False)
    assert result.returncode == 0
    assert isinstance(json.loads(result.stdout), list)
    one_line_error(csrules("packs", "extra", imports=False))


def test_demo(tmp_path, installed_demo):
    """demo runs and writes its documents where asked; a bad date exits 2."""
    result, out = installed_demo
    assert result.returncode == 0, result.stderr
    packs = json.loads(csrules("packs", "--json", imports=False).stdout)
    for pack in packs:
        assert (out / f"{pack['name']}.html").exists()
        assert f"== {pack['name']}" in result.stdout
    if packs:
        one_line_error(csrules("demo", "--out", str(tmp_path / "x"), "--date", "yesterday", imports=False))


@pytest.mark.parametrize("target", ["no_such_pack", "missing/file.yaml"])
def test_unknown_target_is_one_line(target):
    """An unknown pack or file: one line, exit 2, no traceback."""
    one_line_error(csrules("eval", target, stdin=""))
