"""An SLA that does not resolve in a company pack is refused at the company manifest's own line."""

from __future__ import annotations

from pathlib import Path

import pytest

from csrules.exceptions import PolicyError
from csrules.policies import load_pack
from tests.company_support import company

CALLBACK = """id: call_centre.callback
version: "2"
title: {en: Callbacks, zh: 回訪}
fact_type: callback_task
rules:
  - id: CB-1.late
    title: {en: late, zh: 遲}
    when: {kind: is_missing, path: called_at}
    then: [{type: violation, code: CB-1, message: {en: late, zh: 遲}}]
"""
OWN_SLA = """slas:
  - id: X-1.fast
    title: {en: "fast {target}", zh: "快{target}"}
    policy: nopolicy
    start: created_at
    target: 2d
    citation: {source: "001", section: x}
"""


def _refusal(folder: Path) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_pack(folder)
    return caught.value


class TestInheritedSla:
    """A base SLA broken by the company's manifest names the entry that broke it."""

    def test_a_replaced_policy_without_the_target_parameter(self, tmp_path: Path) -> None:
        """Replacing call_centre.callback with a file lacking callback_within: the replace entry's line."""
        folder = company(tmp_path, "replace:\n  - callback.yaml\n", callback__yaml=CALLBACK)
        error = _refusal(folder)
        assert (error.file, error.line) == (str(folder / "pack.yaml"), 6)
        assert "CB-1.callback" in error.message
        assert "callback_within" in error.message

    def test_a_dropped_policy_the_sla_sets(self, tmp_path: Path) -> None:
        """Dropping work_order, whose follow_up_within CB-1.callback sets: the drop entry's line."""
        folder = company(tmp_path, "drop:\n  - qa\n  - work_order\n")
        error = _refusal(folder)
        assert (error.file, error.line) == (str(folder / "pack.yaml"), 7)
        assert "follow_up_within" in error.message


class TestOwnSla:
    def test_the_company_entry_line_not_its_place_among_the_base_slas(self, tmp_path: Path) -> None:
        """The company's first SLA, after the base's two: its own line (policy: at line 8)."""
        folder = company(tmp_path, OWN_SLA)
        error = _refusal(folder)
        assert (error.file, error.line) == (str(folder / "pack.yaml"), 8)
        assert error.loc == ("slas", 0, "policy")


class TestSlaOverride:
    def test_an_override_breaking_an_sla_names_no_made_up_file(self, tmp_path: Path) -> None:
        """A calendar on a clock-time SLA: the override's line, and no 'acme/pack.yaml' in the words."""
        folder = company(tmp_path, "overrides:\n  CB-1.callback: {calendar: china}\n")
        error = _refusal(folder)
        assert (error.file, error.line) == (str(folder / "pack.yaml"), 6)
        assert "acme/pack.yaml" not in str(error)
        assert "counts business time" in error.message
