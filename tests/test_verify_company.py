"""Verifying a company pack: its base's properties, and dated versions judged in force."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from csrules._cli import cli

COMPANY = Path(__file__).resolve().parent.parent / "examples" / "company_pack"


@pytest.fixture(scope="module")
def verified() -> tuple[int, str]:
    """``csrules verify`` of the company pack, run once: its exit code and what it printed
    (each test reads a different part of one report; a verification costs seconds)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(["verify", str(COMPANY)])
    return code, printed.getvalue()


class TestCompanyPackVerify:
    """The example company pack extends call_centre and dates a parameter (``check`` of it:
    tests/test_company_packs.py, TestExamplePack.test_check_takes_the_directory)."""

    def test_base_properties_apply(self, verified: tuple[int, str]) -> None:
        """With no properties of its own, the company pack is held to call_centre's."""
        code, out = verified
        assert code == 0
        assert "no properties file found" not in out
        for version in ("1.0", "1.0@2026-07-01"):  # every dated version is held to them
            assert f"PROVEN call_centre.leave version {version} / director-over-one-day" in out

    def test_counterexamples_reproduce_on_dated_versions(self, verified: tuple[int, str]) -> None:
        """A counterexample for a version in force from a day is re-run as of that day."""
        _, out = verified
        assert "does not validate" not in out
        for version in ("1.0", "1.0@2026-07-01"):
            assert f"BROKEN (known) call_centre.leave version {version} / head-or-director" in out
