"""A company pack's own duty is judged late as the base's are (001 班長責任制 1; 004 篇6 1)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from csrules.policies import load_pack
from tests.company_support import company

NOW = datetime(2026, 4, 1, tzinfo=UTC)
DUTY = ('  - {id: DUTY-9.inventory, owner: %s, recurrence: monthly by the 5th,'
        ' title: {en: Inventory, zh: 盤點}, citation: "house"}\n')
INVENTORY = {"duty": "DUTY-9.inventory", "due_at": "2026-03-05T23:59:59+08:00"}
OWN_RULE = """id: acme.inventory
version: "1"
title: {en: Inventory, zh: 盤點}
fact_type: duty_record
rules:
  - id: DUTY-9.counted
    title: {en: The inventory is counted, zh: 盤點}
    when:
      kind: all
      of:
        - {kind: compare, path: duty, op: "==", value: DUTY-9.inventory}
        - {kind: is_missing, path: done_at}
    then: [{type: violation, code: DUTY-9, message: {en: not counted, zh: 未盤點}}]
"""
OWNERS = {"call_centre": "shift_lead", "online_support": "team_lead"}


def _pack(folder: Path, base: str, extra: str = "", **files: str) -> Path:
    """A company pack over ``base`` adding DUTY-9.inventory (owned by the base's lead)."""
    company(folder, "duties:\n" + DUTY % OWNERS[base] + extra, **files)
    text = (folder / "pack.yaml").read_text(encoding="utf-8")
    (folder / "pack.yaml").write_text(text.replace("extends: call_centre", f"extends: {base}"), encoding="utf-8")
    return folder


def _rules(folder: Path, owner: str = "shift_lead", **fields: Any) -> tuple[str, ...]:
    engine = load_pack(folder).engine()
    return engine.evaluate({**INVENTORY, "owner": owner, **fields}, fact_type="duty_record", now=NOW).rule_ids


BASES = [("call_centre", "ROLE-1.own-duty-late"), ("online_support", "ROLE-3.own-duty-late")]


class TestCompanyDutyLateness:
    """A duty the company adds (duties:) and no rule names is judged as DUTY-2's reports are."""

    @pytest.mark.parametrize(("base", "rule"), BASES)
    def test_never_done_26_days_after_due_is_a_violation(self, tmp_path: Path, base: str, rule: str) -> None:
        """Monthly by the 5th, still not done on 1 April: flagged (it passed before)."""
        assert _rules(_pack(tmp_path, base), OWNERS[base]) == (rule,)

    @pytest.mark.parametrize(("base", "rule"), BASES)
    def test_done_on_time_is_clean(self, tmp_path: Path, base: str, rule: str) -> None:
        """Done on the 5th itself: nothing."""
        assert _rules(_pack(tmp_path, base), OWNERS[base], done_at="2026-03-05T10:00:00+08:00") == ()

    def test_done_after_the_due_day_is_late(self, tmp_path: Path) -> None:
        """Done on the 7th, judged at that time: flagged, as a late quality report is."""
        assert _rules(_pack(tmp_path, "call_centre"), done_at="2026-03-07T10:00:00+08:00") == ("ROLE-1.own-duty-late",)

    @pytest.mark.parametrize(("grace", "expected"), [("30d", ()), ("20d", ("ROLE-1.own-duty-late",))])
    def test_grace_applies(self, tmp_path: Path, grace: str, expected: tuple[str, ...]) -> None:
        """The duties policy's grace delays it, as for the pack's own duties (26 days overdue)."""
        folder = _pack(tmp_path, "call_centre", f"overrides:\n  duties: {{grace: {grace}}}\n")
        assert _rules(folder) == expected

    def test_a_company_rule_naming_the_duty_takes_it_over(self, tmp_path: Path) -> None:
        """A company rule on DUTY-9.inventory judges it: the lateness rule leaves the pack."""
        folder = _pack(tmp_path, "call_centre", "policies: [inventory.yaml]\n", inventory__yaml=OWN_RULE)
        assert _rules(folder) == ("DUTY-9.counted",)
        duties = load_pack(folder).policy("call_centre.duties")
        assert "ROLE-1.own-duty-late" not in {rule.id for rule in duties.rules}

    def test_a_pack_extending_the_company_pack_keeps_judging_it(self, tmp_path: Path) -> None:
        """A pack over the company pack, with nothing of its own, judges the duty too."""
        (tmp_path / "acme").mkdir()
        (tmp_path / "branch").mkdir()
        _pack(tmp_path / "acme", "call_centre")
        (tmp_path / "branch" / "pack.yaml").write_text(
            'name: branch\ntitle: {en: B, zh: 乙}\nversion: "1"\nextends: ../acme\n', encoding="utf-8")
        assert _rules(tmp_path / "branch") == ("ROLE-1.own-duty-late",)

    def test_a_pack_extending_it_with_a_rule_naming_the_duty_takes_it_over(self, tmp_path: Path) -> None:
        """The rule written for the company pack leaves when a pack over it judges the duty."""
        (tmp_path / "acme").mkdir()
        (tmp_path / "branch").mkdir()
        _pack(tmp_path / "acme", "call_centre")
        (tmp_path / "branch" / "inventory.yaml").write_text(OWN_RULE.replace("acme.", "branch."), encoding="utf-8")
        (tmp_path / "branch" / "pack.yaml").write_text(
            'name: branch\ntitle: {en: B, zh: 乙}\nversion: "1"\nextends: ../acme\npolicies: [inventory.yaml]\n',
            encoding="utf-8")
        assert _rules(tmp_path / "branch") == ("DUTY-9.counted",)

    def test_a_company_rule_of_the_same_id_is_kept(self, tmp_path: Path) -> None:
        """A company's own rule called ROLE-1.own-duty-late is neither replaced nor dropped."""
        own = OWN_RULE.split("rules:\n", 1)[1].replace("DUTY-9.counted", "ROLE-1.own-duty-late")
        folder = _pack(tmp_path, "call_centre", "rules:\n  duties: own.yaml\n", own__yaml="rules:\n" + own)
        assert _rules(folder) == ("ROLE-1.own-duty-late",)
        rule = next(r for r in load_pack(folder).policy("call_centre.duties").rules if r.id == "ROLE-1.own-duty-late")
        assert rule.title.en == "The inventory is counted"

    def test_a_replacement_duties_policy_without_grace_loads(self, tmp_path: Path) -> None:
        """A company's own duties policy in place of the base's, with no grace, is left as written."""
        own = OWN_RULE.replace("acme.inventory", "call_centre.duties")
        folder = _pack(tmp_path, "call_centre", "replace: [inventory.yaml]\n", inventory__yaml=own)
        assert _rules(folder) == ("DUTY-9.counted",)

    @pytest.mark.parametrize(("base", "rule"), BASES)
    def test_its_worked_examples_pass(self, tmp_path: Path, base: str, rule: str) -> None:
        """The rule the pack writes carries examples on the company's duty, and they hold."""
        checks = [check for check in load_pack(_pack(tmp_path, base)).check_examples() if check.rule_id == rule]
        assert len(checks) == 2
        assert all(check.passed for check in checks)


class TestBuiltInPacksUnchanged:
    """In a built-in pack every duty has a rule of its own: no lateness rule is written."""

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_duties_policy_is_not_rewritten(self, pack: str) -> None:
        """The built-in duties policy keeps its own version and rules."""
        duties = load_pack(pack).policy(f"{pack}.duties")
        assert duties.version == "1.0"
        assert not {rule.id for rule in duties.rules} & {"ROLE-1.own-duty-late", "ROLE-3.own-duty-late"}

    def test_a_company_pack_adding_no_duty_keeps_the_policy(self, tmp_path: Path) -> None:
        """A company pack without duties of its own has the base's duties policy as it is."""
        folder = company(tmp_path, "")
        assert load_pack(folder).policy("call_centre.duties") == load_pack("call_centre").policy("call_centre.duties")
