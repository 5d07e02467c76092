"""Company packs: a pack directory that ``extends:`` a built-in pack (or another directory),
adding, replacing, dropping and tuning what it takes over; load_pack and the commands take it."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

import csrules.policies
from csrules import PolicyError
from csrules._cli.cli import main
from csrules.policies import load_pack
from csrules.time import calendar_label, calendar_names, get_calendar, registered_time

PACKS = Path(csrules.policies.__file__).resolve().parent
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "company_pack"
NOW = datetime.fromisoformat("2026-07-01T09:00:00+08:00")
JULY_1 = "2026-07-01"

EXTRA = {
    "id": "acme.extra_leave", "version": "1", "title": "Acme leave rules", "fact_type": "leave_request",
    "rules": [{"id": "ACME-1.training", "title": "Training leave goes to the department head",
               "when": {"kind": "compare", "path": "kind", "op": "==", "value": "training"},
               "then": [{"type": "approval", "role": "department_head"}]}],
}
HR = {"roles": [{"id": "hr", "title": {"en": "HR officer", "zh": "人事專員"}}]}
"""The role EXTRA's approval names: a pack's approvers are roles of its catalogue."""
RULES = {"rules": [{"id": "ACME-2.long-leave", "title": "Leave of over five days goes to the director",
                    "when": {"kind": "compare", "path": "days", "op": ">", "value": 5},
                    "then": [{"type": "approval", "role": "centre_director"}]}]}


def _company(tmp_path: Path, manifest: dict[str, Any], files: dict[str, Any] | None = None) -> Path:
    """A pack directory ``acme`` with ``manifest`` (name, title and version filled in) and ``files``."""
    root = tmp_path / "acme"
    root.mkdir(exist_ok=True)
    data = {"name": "acme", "title": {"en": "Acme care", "zh": "Acme客服"}, "version": "1", **manifest}
    (root / "pack.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name, content in (files or {}).items():
        (root / name).write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return root


def _leave(requested: str, start: str) -> dict[str, Any]:
    return {"agent_id": "A01", "kind": "personal", "start": start, "end": start.replace("08:30", "16:30"),
            "requested_at": requested, "requested_by": "A01"}


class TestCopiedPack:
    """A built-in pack copied to a directory is the same pack."""

    @pytest.mark.parametrize(("name", "as_text"), [("call_centre", False), ("mall", True)])
    def test_copy_loads_equal_to_the_built_in(self, tmp_path: Path, name: str, as_text: bool) -> None:
        """load_pack(path) of a copied built-in pack equals load_pack(name), the path a Path or a str."""
        shutil.copytree(PACKS / name, tmp_path / name)
        assert load_pack(str(tmp_path / name) if as_text else tmp_path / name) == load_pack(name)


class TestExamplePack:
    """examples/company_pack: call_centre with two days' notice from 1 July 2026."""

    def test_it_extends_call_centre_and_dates_the_notice(self) -> None:
        """The example keeps every call-centre policy and cuts leave into two versions at 1 July."""
        pack, base = load_pack(EXAMPLE), load_pack("call_centre")
        assert (pack.name, pack.base, pack.timezone) == ("harbour_telecom", "call_centre", "Asia/Shanghai")
        assert [p.id for p in pack.policies if p.id != "call_centre.leave"] == [
            p.id for p in base.policies if p.id != "call_centre.leave"]
        notice = [(p.validity, p.param_values["personal_notice"].delta.days) for p in pack.versions("leave")]
        assert notice == [("until 2026-07-01", 1), ("from 2026-07-01", 2)]
        assert pack.session_policies == base.session_policies

    def test_the_decision_flips_on_the_first_of_july(self) -> None:
        """36 hours' notice on 30 June is enough; 24.5 hours on 1 July is too little."""
        engine = load_pack(EXAMPLE).engine()
        before = engine.evaluate(_leave("2026-06-30T20:00:00+08:00", "2026-07-02T08:30:00+08:00"), now=NOW,
                                 fact_type="leave_request")
        after = engine.evaluate(_leave("2026-07-01T08:00:00+08:00", "2026-07-02T08:30:00+08:00"), now=NOW,
                                fact_type="leave_request")
        assert "violation:ATT-1" not in before.effect_keys
        assert "violation:ATT-1" in after.effect_keys
        assert after.policies[0].version == "1.0@2026-07-01"

    # csrules test, check, docs and eval run on the example directory: one test each, so the
    # suite's workers share them

    def test_test_takes_the_directory(self) -> None:
        """csrules test runs on the example directory."""
        assert main(["test", str(EXAMPLE)]) == 0

    @pytest.mark.parametrize("target", ["", "pack.yaml"], ids=["directory", "pack.yaml"])
    def test_check_takes_the_directory(self, target: str, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules check runs on the example directory and on its pack.yaml, reading the base's
        accepted overlaps as it does for the base itself: no warning."""
        capsys.readouterr()
        assert main(["check", str(EXAMPLE / target)]) == 0
        assert "0 error(s), 0 warning(s)" in capsys.readouterr().out

    def test_docs_take_the_directory(self, tmp_path: Path) -> None:
        """csrules docs runs on the example directory and shows the dated notice."""
        assert main(["docs", str(EXAMPLE), "-o", str(tmp_path / "docs"), "--format", "md"]) == 0
        assert "from 2026-07-01: 2 days; before: 1 day" in (tmp_path / "docs" / "harbour_telecom.md").read_text("utf-8")

    def test_eval_takes_the_directory(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules eval runs on the example directory."""
        facts = tmp_path / "leave.jsonl"
        facts.write_text(json.dumps(_leave("2026-07-01T08:00:00+08:00", "2026-07-02T08:30:00+08:00")) + "\n",
                         encoding="utf-8")
        capsys.readouterr()
        assert main(["eval", str(EXAMPLE), str(facts), "--fact-type", "leave_request",
                     "--now", "2026-07-01T09:00:00+08:00"]) == 1
        assert "ATT-1" in capsys.readouterr().out


    def test_manifest_validates_against_the_pack_schema(self) -> None:
        """The example's pack.yaml passes the JSON Schema editors use, as the built-in ones do."""
        from csrules.policies.schemas import pack_schema
        from tests.test_schemas import _validator

        manifest = yaml.safe_load((EXAMPLE / "pack.yaml").read_text(encoding="utf-8"))
        assert [e.message for e in _validator(pack_schema()).iter_errors(manifest)] == []

    def test_eval_as_of_chooses_the_versions(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules eval --as-of judges a 1 July request by the versions of 30 June; a bad day is refused."""
        facts = tmp_path / "leave.jsonl"
        facts.write_text(json.dumps(_leave("2026-07-01T08:00:00+08:00", "2026-07-02T08:30:00+08:00")) + "\n",
                         encoding="utf-8")
        args = ["eval", str(EXAMPLE), str(facts), "--fact-type", "leave_request", "--now", "2026-07-01T09:00:00+08:00"]
        capsys.readouterr()
        assert main([*args, "--as-of", "2026-06-30"]) == 0
        assert json.loads(capsys.readouterr().out)["policies"][0]["version"] == "1.0"
        assert main([*args, "--as-of", "30 June"]) == 2
        assert "--as-of must be a day such as 2026-07-01" in capsys.readouterr().err


class TestMerging:
    """What each key of an extending pack.yaml does."""

    def test_policies_add_and_rules_append(self, tmp_path: Path) -> None:
        """policies: adds a pack policy; rules: appends to a base policy, marking its version."""
        root = _company(tmp_path, {"extends": "call_centre", "policies": ["extra.yaml"],
                                   "rules": {"leave": "leave_rules.yaml"}, "roles": "roles.yaml"},
                        {"extra.yaml": EXTRA, "leave_rules.yaml": RULES, "roles.yaml": HR})
        pack = load_pack(root)
        assert pack.policies[-1].id == "acme.extra_leave"
        leave = pack.policy("leave")
        assert leave.version == "1.0+acme"
        assert leave.rules[-1].id == "ACME-2.long-leave"

    def test_replace_and_drop(self, tmp_path: Path) -> None:
        """replace: takes a base policy's place by id; drop: leaves a base policy out."""
        report = load_pack("call_centre").policy("report").model_dump(mode="json", exclude_none=True)
        root = _company(tmp_path, {"extends": "call_centre", "drop": ["qa"], "replace": ["report.yaml"]},
                        {"report.yaml": {**report, "version": "2.0"}})
        pack = load_pack(root)
        ids = [p.id for p in pack.policies]
        assert "call_centre.qa" not in ids
        assert pack.policy("report").version == "2.0"

    def test_roles_lifecycles_duties_and_zone_merge(self, tmp_path: Path) -> None:
        """Roles and duties merge by id, lifecycle parameters by name; the zone is inherited."""
        roles = {"roles": [{"id": "hr", "title": {"en": "HR officer", "zh": "人事專員"}}]}
        duty = {"id": "DUTY-9.hr-review", "owner": "hr", "recurrence": "monthly on the last day",
                "title": {"en": "HR review", "zh": "人事審查"}, "citation": "Acme handbook 3"}
        root = _company(tmp_path, {"extends": "call_centre", "roles": "roles.yaml", "duties": [duty],
                                   "lifecycles": [{"name": "cmp-1", "params": {}}],
                                   "overrides": {"cmp-1": {"reply_within": "2d"}}},
                        {"roles.yaml": roles})
        pack, base = load_pack(root), load_pack("call_centre")
        assert [r.id for r in pack.roles] == [*(r.id for r in base.roles), "hr"]
        assert pack.duties[-1].id == "DUTY-9.hr-review"
        assert len(pack.duties) == len(base.duties) + 1
        assert str(pack.lifecycle_params["cmp-1"]["reply_within"]) != str(base.lifecycle_params["cmp-1"].get(
            "reply_within"))
        assert pack.timezone == base.timezone

    def test_a_pack_may_extend_a_company_directory(self, tmp_path: Path) -> None:
        """extends: a relative path builds on another pack directory, which builds on its own base."""
        shutil.copytree(EXAMPLE, tmp_path / "harbour")
        root = _company(tmp_path, {"extends": "../harbour", "policies": ["extra.yaml"], "roles": "roles.yaml"},
                        {"extra.yaml": EXTRA, "roles.yaml": HR})
        pack = load_pack(root)
        assert pack.base == "harbour_telecom"
        assert len(pack.versions("leave")) == 2


class TestBadCompanyPacks:
    """Mistakes in a company pack are one clear error with the file and line."""

    def test_unknown_extends_names_the_packs_and_the_line(self, tmp_path: Path) -> None:
        """extends: of an unknown pack lists the built-in packs, with pack.yaml:line."""
        root = _company(tmp_path, {"extends": "call_center"})
        with pytest.raises(PolicyError, match=r"acme/pack\.yaml:6: extends: unknown pack 'call_center' "
                                              r"\(packs: call_centre, ecommerce, mall, online_support"):
            load_pack(root)

    def test_a_cycle_is_refused(self, tmp_path: Path) -> None:
        """A pack extending itself (through another) is refused, not recursed into."""
        root = _company(tmp_path, {"extends": "."})
        with pytest.raises(PolicyError, match="extends itself"):
            load_pack(root)

    def test_unknown_dropped_policy_is_located(self, tmp_path: Path) -> None:
        """drop: of a policy the base lacks names the base's policies and the line."""
        root = _company(tmp_path, {"extends": "mall", "drop": ["leave"]})
        with pytest.raises(PolicyError, match=r"pack\.yaml:8: 'leave' is not a policy of pack 'mall' \(policies: "):
            load_pack(root)

    def test_own_policy_with_another_prefix_is_refused(self, tmp_path: Path) -> None:
        """A new policy's id starts with the company pack's name."""
        root = _company(tmp_path, {"extends": "call_centre", "policies": ["extra.yaml"]},
                        {"extra.yaml": {**EXTRA, "id": "other.extra_leave"}})
        with pytest.raises(PolicyError, match=r"pack\.yaml:8.*starting with 'acme\.'"):
            load_pack(root)

    def test_bad_override_is_located_in_the_manifest(self, tmp_path: Path) -> None:
        """An override of an unknown parameter points at overrides: in pack.yaml."""
        root = _company(tmp_path, {"extends": "call_centre", "overrides": {"leave": {"notice": "2d"}}})
        with pytest.raises(PolicyError, match=r"pack\.yaml:9: overrides: .*unknown parameter 'notice'"):
            load_pack(root)

    def test_malformed_dated_value_is_located_at_its_item(self, tmp_path: Path) -> None:
        """A dated value with a bad day points at that item's line in pack.yaml."""
        root = _company(tmp_path, {"extends": "call_centre", "overrides": {"leave": {"personal_notice": [
            {"value": "1d"}, {"value": "2d", "valid_from": "1 July"}]}}})
        with pytest.raises(PolicyError, match=r"pack\.yaml:12: overrides: .*dated value #2: valid_from: a validity "
                                              r"date is written YYYY-MM-DD"):
            load_pack(root)

    def test_overlapping_company_version_is_refused(self, tmp_path: Path) -> None:
        """A dated version of a base policy that overlaps the base's own is refused naming both."""
        leave = load_pack("call_centre").policy("leave").model_dump(mode="json", exclude_none=True)
        root = _company(tmp_path, {"extends": "call_centre", "policies": ["leave.yaml"]},
                        {"leave.yaml": {**leave, "version": "2.0", "valid_from": "2027-01-01"}})
        with pytest.raises(PolicyError, match=r"version '1.0' \(always\) and version '2.0' \(from 2027-01-01\) "
                                              r"overlap"):
            load_pack(root)

    def test_dated_lifecycle_setting_is_refused(self) -> None:
        """A dated value for a lifecycle parameter is refused: only policies have versions."""
        with pytest.raises(PolicyError, match=r"override cmp-1.reply_within .*dated values are for policy parameters"):
            load_pack("call_centre", overrides={"cmp-1": {"reply_within": [{"value": "2d", "valid_from": JULY_1}]}})

    def test_a_pack_without_policies_or_base_is_refused(self, tmp_path: Path) -> None:
        """A manifest that neither lists policies nor extends a pack says it needs one of them."""
        root = _company(tmp_path, {})
        with pytest.raises(PolicyError, match="policies: a pack lists its policy files, or extends"):
            load_pack(root)

    def test_a_missing_directory_is_named(self, tmp_path: Path) -> None:
        """A path with no pack.yaml is refused naming the path."""
        with pytest.raises(PolicyError, match="not a pack directory"):
            load_pack(tmp_path)


class TestCalendar:
    """A company pack's calendar: registered under its name for its policies and SLAs."""

    def test_calendar_is_registered_and_inherited(self, tmp_path: Path) -> None:
        """calendar: registers a China calendar with the company's closures; packs extending it keep it."""
        root = _company(tmp_path, {"extends": "call_centre",
                                   "calendar": {"name": "acme-office", "closures": ["2026-12-24"]}})
        # registered_time() undoes the registration after the block: other tests list the known calendars
        with registered_time():
            pack = load_pack(root)
            assert calendar_label(pack.calendar or "") == "acme-office"
            assert get_calendar(pack.calendar or "") == get_calendar("acme-office")
            calendar = get_calendar("acme-office")
            assert not calendar.is_working_day(date(2026, 12, 24))
            assert not calendar.is_working_day(date(2026, 10, 1))
        assert "acme-office" not in calendar_names()

    def test_a_built_in_calendar_name_is_refused(self, tmp_path: Path) -> None:
        """The pack cannot take the name of the built-in china calendar."""
        root = _company(tmp_path, {"extends": "call_centre", "calendar": {"name": "china"}})
        with pytest.raises(PolicyError, match=r"pack\.yaml:8: calendar: 'china' is a built-in calendar"):
            load_pack(root)
