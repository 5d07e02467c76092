"""``csrules diff`` on two packs (names, directories or their pack.yaml): policies, session
policies, dated versions, parameters, lifecycles, duties and roles; content changed under an
unchanged version is flagged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import csrules.policies
from csrules._cli.cli import main
from csrules._docs.diff import diff_subjects, pack_changes
from csrules._docs.subject import subject_from_pack
from csrules.policies import load_pack

PACKS = Path(csrules.policies.__file__).resolve().parent
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "company_pack"


def _diff(capsys: pytest.CaptureFixture[str], old: str, new: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["diff", old, new, "--lang", "en"])
    out, err = capsys.readouterr()
    return status, out, err


def _tuned(tmp_path: Path, overrides: dict[str, dict[str, str]]) -> Path:
    root = tmp_path / "tuned"
    root.mkdir()
    manifest = {"name": "tuned", "title": {"en": "Tuned", "zh": "Tuned"}, "version": "1",
                "extends": "call_centre", "overrides": overrides}
    (root / "pack.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return root


class TestSamePack:
    """A copied pack is no change, however it is named."""

    def test_copy_against_name_has_no_differences(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The built-in pack and its copied directory: no differences, session policies included."""
        shutil.copytree(PACKS / "call_centre", tmp_path / "call_centre")
        status, out, _ = _diff(capsys, "call_centre", str(tmp_path / "call_centre"))
        assert status == 0, out
        assert "No differences." in out
        assert "removed" not in out.lower()

    def test_pack_yaml_names_its_pack(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Diffing two pack.yaml files compares their packs instead of failing on the manifest."""
        shutil.copytree(PACKS / "mall", tmp_path / "mall")
        status, out, err = _diff(capsys, str(PACKS / "mall" / "pack.yaml"), str(tmp_path / "mall" / "pack.yaml"))
        assert (status, err) == (0, "")
        assert "No differences." in out


class TestChangedPack:
    """What a company pack changed is listed, old value to new."""

    def test_dated_notice_is_a_parameter_change_from_its_day(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The example pack's leave from 2026-07-01 reads personal_notice 1d -> 2d; exit status 1."""
        status, out, _ = _diff(capsys, "call_centre", str(EXAMPLE))
        assert status == 1
        assert "| call_centre.leave (from 2026-07-01) | personal_notice | in force | 1d | 2d |" in out
        assert "| pack | extends | — | call_centre |" in out

    def test_content_changed_version_did_not(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A tuned parameter keeps leave's version: the diff flags the policy."""
        status, out, _ = _diff(capsys, "call_centre", str(_tuned(tmp_path, {"leave": {"holiday_notice": "3d"}})))
        assert status == 1
        assert "Content changed, version did not: call\\_centre.leave 1.0" in out
        assert "| call_centre.leave | holiday_notice | in force | 2d | 3d |" in out

    def test_a_new_version_is_not_flagged(self) -> None:
        """A change that raises the version is listed as a version change, not flagged."""
        base = load_pack("call_centre")
        bumped = base.with_rules("leave", *base.policy("report").rules[:0])
        diff = diff_subjects(subject_from_pack(base), subject_from_pack(bumped))
        assert diff.versions == [("call_centre.leave", "1.0", "1.0+host")]
        assert diff.unversioned == []

    def test_lifecycle_parameters_are_compared(self, tmp_path: Path) -> None:
        """A lifecycle parameter changed by an override is a pack change, old -> new."""
        changes = pack_changes(load_pack("call_centre"), load_pack(_tuned(tmp_path, {"cmp-1": {"reply_within": "2d"}})))
        rows = {(what, item): (old, new) for what, item, old, new in changes}
        assert rows[("lifecycle", "cmp-1.reply_within")][1] == "2d"

    def test_a_lifecycle_only_one_pack_has(self) -> None:
        """A lifecycle present on one side reads as absent (—) to present, never as a boolean."""
        changes = pack_changes(load_pack("mall"), load_pack("call_centre"))
        assert ("lifecycle", "cmp-1", "—", "present") in changes
        assert not any("False" in (old, new) for _, _, old, new in changes)
