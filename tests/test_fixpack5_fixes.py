"""Company packs fixed: one parameter read by a stateless policy and by the session policy taking
over its rules is one number, dropping a policy takes its session policies with it, a role name
means one role, and a bad manifest timezone, a missing file or a bad rules file is located."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from csrules.domain.roles import RoleCatalogue
from csrules.exceptions import PolicyError
from csrules.policies import load_pack
from tests.company_support import company

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=CST)


def builtin(filename: str) -> dict[str, Any]:
    """A file of the call_centre pack, parsed."""
    text = resources.files("csrules.policies").joinpath("call_centre", filename).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def param(pack: Any, policy: str, name: str) -> Any:
    """The value of parameter ``name`` in force in ``policy`` of ``pack``."""
    return pack.policy(policy).param_values[name]


LINKED = [
    ("call_centre", "work_order", "work_order_session", "shift_lead_after", "12h"),
    ("call_centre", "work_order", "work_order_session", "manager_after", "72h"),
    ("call_centre", "swap", "swap_session", "max_swaps_per_month", 3),
    ("mall", "call", "call_session", "fine_at", 4),
    ("ecommerce", "shifts", "shifts_session", "days_on", 5),
]


class TestSharedParameters:
    """A parameter of a session policy that takes over rules of a stateless one is one number."""

    @pytest.mark.parametrize(("pack", "stateless", "session", "name", "value"), LINKED)
    @pytest.mark.parametrize("given", ["stateless", "session"])
    def test_override_of_either_sets_both(self, pack: str, stateless: str, session: str, name: str, value: Any,
                                          given: str) -> None:
        """An override of the parameter on either policy gives both the same value."""
        key = stateless if given == "stateless" else session
        tuned = load_pack(pack, overrides={key: {name: value}})
        assert param(tuned, stateless, name) == param(tuned, session, name) != param(load_pack(pack), session, name)

    def test_session_escalates_when_the_engine_does(self) -> None:
        """With shift_lead_after 12h on work_order, the session escalates at 13 hours as the engine does."""
        tuned = load_pack("call_centre", overrides={"work_order": {"shift_lead_after": "12h"}})
        order = {"order_id": "W1", "opened_at": OPENED.isoformat(), "first_handler": "A01", "owner": "A01"}
        at = OPENED + timedelta(hours=13)
        assert "ESC-2.shift-lead" in tuned.engine().evaluate(order, now=at, fact_type="work_order").rule_ids
        session = tuned.sessions(backend="python").session("desk-1")
        session.send(order, now=OPENED, fact_type="work_order")
        assert "ESC-2.open-shift-lead" in session.tick(now=at).rule_ids

    def test_company_manifest_override_sets_both(self, tmp_path: Path) -> None:
        """A company pack.yaml override of work_order.shift_lead_after reaches work_order_session."""
        tuned = load_pack(company(tmp_path, "overrides:\n  work_order:\n    shift_lead_after: 12h\n"))
        assert param(tuned, "work_order_session", "shift_lead_after") == param(tuned, "work_order", "shift_lead_after")
        assert str(param(tuned, "work_order_session", "shift_lead_after")) == "12h"

    def test_dated_override_dates_both(self) -> None:
        """A dated override splits the stateless and the session policy on the same day with the same values."""
        dated = [{"value": 2}, {"value": 1, "valid_from": "2026-07-01"}]
        tuned = load_pack("call_centre", overrides={"swap": {"max_swaps_per_month": dated}})

        def versions(policy: str) -> list[tuple[Any, Any]]:
            return [(p.valid_from, p.param_values["max_swaps_per_month"]) for p in tuned.versions(policy)]

        assert versions("swap") == versions("swap_session") == [(None, 2), (datetime(2026, 7, 1).date(), 1)]

    def test_two_different_values_are_refused(self) -> None:
        """Different values given to the two policies are refused, naming both."""
        overrides = {"work_order": {"shift_lead_after": "12h"}, "work_order_session": {"shift_lead_after": "13h"}}
        with pytest.raises(PolicyError, match=r"shift_lead_after.*'call_centre\.work_order'.*work_order_session"):
            load_pack("call_centre", overrides=overrides)

    def test_replacement_with_another_default_is_refused(self, tmp_path: Path) -> None:
        """A company work_order.yaml under replace: with its own default, the session keeping 24h, is refused."""
        text = yaml.safe_dump(builtin("work_order.yaml"), allow_unicode=True).replace("default: 24h", "default: 12h")
        assert "default: 12h" in text
        root = company(tmp_path, "replace: [work_order.yaml]\n", work_order__yaml=text)
        with pytest.raises(PolicyError, match=r"shift_lead_after is 12h in 'call_centre\.work_order' but 24h in "
                                              r"'call_centre\.work_order_session'"):
            load_pack(root)


class TestDropTakesSessions:
    """Dropping a base policy drops the session policies that take over its rules."""

    def test_dropped_swap_takes_its_session_policies(self, tmp_path: Path) -> None:
        """drop: [swap] leaves out swap_session and shift_session, and replaces names only rules the pack has."""
        pack = load_pack(company(tmp_path, "drop: [swap]\n"))
        assert [p.id for p in pack.session_policies] == ["call_centre.work_order_session"]
        rules = {rule.id for _, rule in pack.rules()}
        assert set(pack.replaces) == {"call_centre.work_order_session"}
        assert all(rule_id in rules for ids in pack.replaces.values() for rule_id in ids)

    def test_replacement_without_a_replaced_rule_is_refused(self, tmp_path: Path) -> None:
        """A swap.yaml under replace: without ATT-9.monthly-limit is refused, naming swap_session."""
        data = builtin("swap.yaml")
        data["rules"] = [rule for rule in data["rules"] if rule["id"] != "ATT-9.monthly-limit"]
        root = company(tmp_path, "replace: [swap.yaml]\n", swap__yaml=yaml.safe_dump(data, allow_unicode=True))
        with pytest.raises(PolicyError, match=r"pack\.yaml:5: replace: session policy 'call_centre\.swap_session' "
                                              r"takes over ATT-9\.monthly-limit"):
            load_pack(root)


class TestRoleNamesOnce:
    """A name (id or alias, either script) names one role of the catalogue."""

    ROLES = "roles:\n  - id: team_lead\n    title: {en: Team lead, zh: 組長}\n    reports_to: shift_lead\n"

    @pytest.mark.parametrize("alias", ["班長", "班长", "agent"])
    def test_company_alias_of_a_base_role_is_refused(self, tmp_path: Path, alias: str) -> None:
        """A company role given a base role's alias, its other script, or its id is refused at its line."""
        root = company(tmp_path, "roles: roles.yaml\n", roles__yaml=f"{self.ROLES}    aliases: [{alias}]\n")
        with pytest.raises(PolicyError, match=r"roles\.yaml:5, at roles\[0\]\.aliases\[0\].*given to roles "
                                              r"'(shift_lead|agent)' and 'team_lead'"):
            load_pack(root)

    def test_catalogue_refuses_one_alias_on_two_roles(self) -> None:
        """A catalogue with one alias on two roles is refused, naming both roles."""
        roles = [{"id": "a", "title": {"en": "A", "zh": "甲"}, "aliases": ["x"]},
                 {"id": "b", "title": {"en": "B", "zh": "乙"}, "aliases": ["x"]}]
        with pytest.raises(PolicyError, match="'x' is given to roles 'a' and 'b'"):
            RoleCatalogue(roles=roles)


class TestLocatedCompanyErrors:
    """Errors of a company pack name its own file and line."""

    def test_bad_timezone_is_located_in_pack_yaml(self, tmp_path: Path) -> None:
        """An unknown timezone: is reported at its line of pack.yaml, not on a built-in policy."""
        with pytest.raises(PolicyError, match=r"pack\.yaml:5: .*timezone: unknown time zone 'Mars/Olympus'"):
            load_pack(company(tmp_path, "timezone: Mars/Olympus\n"))

    def test_missing_named_file_is_located_in_pack_yaml(self, tmp_path: Path) -> None:
        """A roles: file that is not there is reported at the pack.yaml line naming it."""
        with pytest.raises(PolicyError, match=r"pack\.yaml:5: roles: no file 'nosuch\.yaml' next to pack\.yaml"):
            load_pack(company(tmp_path, "roles: nosuch.yaml\n"))

    RULE = ("rules:\n  - id: {id}\n    title: {{en: long leave, zh: 長假}}\n"
            "    when: {{kind: compare, path: {path}, op: '>', value: 5}}\n"
            "    then: [{{type: recommendation, text: hi}}]\n")

    def test_rules_file_error_names_its_line(self, tmp_path: Path) -> None:
        """An unknown field in a rules file is reported at its line of that file."""
        root = company(tmp_path, "rules:\n  leave: extra.yaml\n",
                       extra__yaml=self.RULE.format(id="ACME-1.long", path="dayz"))
        with pytest.raises(PolicyError, match=r"extra\.yaml:4, .*rule 'ACME-1\.long', at dayz: unknown field"):
            load_pack(root)

    def test_rules_file_duplicate_of_a_base_rule(self, tmp_path: Path) -> None:
        """A rules file reusing a base rule id is reported at its line, with its index in the file."""
        root = company(tmp_path, "rules:\n  leave: extra.yaml\n",
                       extra__yaml=self.RULE.format(id="ATT-1.personal-notice", path="days"))
        with pytest.raises(PolicyError, match=r"extra\.yaml:2, .*at rules\[0\]\.id: duplicate rule id: already a "
                                              r"rule of 'call_centre\.leave'"):
            load_pack(root)

    def test_non_utf8_manifest_is_not_called_a_policy_file(self, tmp_path: Path) -> None:
        """A pack.yaml that is not UTF-8 is named as the file it is, not as 'the policy file'."""
        (tmp_path / "pack.yaml").write_bytes(b"name: acme\xff\n")
        with pytest.raises(PolicyError, match=r"pack\.yaml:1: the file is not UTF-8 text") as caught:
            load_pack(tmp_path)
        assert "policy file" not in str(caught.value)

    def test_dated_value_out_of_range_is_located_where_written(self, tmp_path: Path) -> None:
        """A dated override with valid_from 9999-12-31 is refused at that value's line, naming valid_from."""
        root = company(tmp_path, "overrides:\n  leave:\n    personal_notice:\n      - {value: 1d}\n"
                                 "      - {value: 2d, valid_from: 9999-12-31}\n")
        with pytest.raises(PolicyError, match=r"pack\.yaml:9: .*valid_from 9999-12-31 is outside"):
            load_pack(root)
