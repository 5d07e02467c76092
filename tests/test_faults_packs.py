"""Hostile pack and policy files: dates that look like dates and are none, manifests that
are not UTF-8, role catalogues with a key given twice; each a located error on every
command, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csrules import PolicyError, loads_policy
from csrules._cli.cli import main
from csrules.policies import load_pack

COMPANY = (Path(__file__).parent.parent / "examples" / "company_pack" / "pack.yaml").read_text(encoding="utf-8")
COMMANDS = [["eval", "/dev/null", "--now", "2026-01-01T00:00:00Z"], ["check"], ["verify"], ["docs", "-o"]]


def company_pack(tmp_path: Path, manifest: bytes | None = None, roles: str | None = None) -> Path:
    """A copy of the example company pack, its manifest or a role catalogue replaced."""
    pack = tmp_path / "pack"
    pack.mkdir()
    text = COMPANY if roles is None else COMPANY + "roles: roles.yaml\n"
    (pack / "pack.yaml").write_bytes(text.encode("utf-8") if manifest is None else manifest)
    if roles is not None:
        (pack / "roles.yaml").write_text(roles, encoding="utf-8")
    return pack


def run(capsys: pytest.CaptureFixture[str], command: list[str], target: Path) -> tuple[int, str]:
    """``csrules COMMAND TARGET ...``: the exit status and the line that names the problem.
    ``check`` reports a pack that does not load as a finding of its file and line (stdout,
    exit 1: the checked pack has an error); the other commands cannot go on (stderr, exit 2)."""
    argv = [command[0], str(target), *command[1:]]
    if command[0] == "docs":
        argv.append(str(target.parent / "docs"))
    code = main(argv)
    out, err = capsys.readouterr()
    if command[0] == "check":
        return code, out.splitlines()[0] + "\n"
    return code, err


def expected(command: list[str], located: str) -> tuple[int, str]:
    """What ``run`` gives for a pack whose problem is ``located`` (``file:line: message``)."""
    if command[0] == "check":
        where, _, message = located.partition(": ")
        return 1, f"{where}: error [invalid] {message}\n"
    return 2, f"csrules {command[0]}: error: {located}\n"


class TestImpossibleDates:
    """YAML reads 2026-02-30 as a date; there is none."""

    @pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026-02-30T08:00:00+08:00"])
    def test_policy_file(self, value: str) -> None:
        """A policy with an impossible date is a PolicyError at its line."""
        text = f"id: p\nversion: '1'\nvalid_from: {value}\n"
        with pytest.raises(PolicyError, match=re.escape(f"p.yaml:3: '{value}' is not a date: ")):
            loads_policy(text, name="p.yaml")

    @pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
    def test_pack_manifest_on_every_command(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
    ) -> None:
        """An impossible valid_from in a company pack's overrides is one located line."""
        manifest = COMPANY.replace("valid_from: 2026-07-01", "valid_from: 2026-02-30").encode("utf-8")
        pack = company_pack(tmp_path, manifest)
        located = f"{pack}/pack.yaml:12: '2026-02-30' is not a date: day is out of range for month"
        assert run(capsys, command, pack) == expected(command, located)


class TestUnreadableManifest:
    """A pack.yaml that is not UTF-8 text."""

    @pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
    def test_every_command(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]) -> None:
        """Each command names the file, line and byte."""
        pack = company_pack(tmp_path, b"name: harbour\xff\n")
        located = f"{pack}/pack.yaml:1: the file is not UTF-8 text (byte 0xff at offset 13)"
        assert run(capsys, command, pack) == expected(command, located)


class TestRoleCatalogue:
    """A pack's roles.yaml read as strictly as its policies."""

    def test_duplicate_key(self, tmp_path: Path) -> None:
        """A key given twice is refused at its line, not silently the last one kept."""
        pack = company_pack(tmp_path, roles="roles:\n  - {id: a, title: {en: A, zh: A}}\nroles: []\n")
        with pytest.raises(PolicyError, match=r"roles\.yaml:3: duplicate key 'roles' at 3:1 \(first at 1:1\)"):
            load_pack(pack)
