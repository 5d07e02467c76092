"""``verify`` proves each property for every dated version of its policy, reporting each
version's verdict, and builds a policy's formulas once for all its properties."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from csrules._policy.model import Policy
from csrules._policy.validity import with_dated_params
from csrules._verify import analyses, report
from csrules._verify.properties import Properties, Property
from csrules._verify.report import verify_policies
from tests.test_verify import approve, days, policy

GIVEN: dict[str, Any] = {"kind": "compare", "path": "days", "op": ">", "value": 2}


def _versions(limits: list[dict[str, Any]]) -> tuple[Policy, ...]:
    """The planted policy, a director approving more than ``limit`` days, cut into versions."""
    base = policy({"id": "long", "title": "long", "when": days(">", param="limit"), "then": [approve("director")]},
                  params={"limit": {"type": "int", "default": 1}})
    return with_dated_params(base, {"limit": limits})


def _props(*claims: tuple[str, dict[str, Any]]) -> Properties:
    return Properties(properties=[Property.model_validate({"id": pid, "policy": "planted", **claim})
                                  for pid, claim in claims])


DIRECTOR = ("director", {"given": GIVEN, "expect": {"includes": ["approval:director"]}})


class TestEveryVersion:
    """Each dated version is proven on its own; a broken early version is not hidden."""

    def test_broken_first_version_is_reported(self) -> None:
        """Under 5 days until July the claim breaks; from July (1 day) it holds: both verdicts show."""
        versions = _versions([{"value": 5}, {"value": 1, "valid_from": "2026-07-01"}])
        found = verify_policies(versions, _props(DIRECTOR), analyses=False)
        assert [(r.extra.get("version"), r.status) for r in found.properties] == [
            ("1", "counterexample"), ("1@2026-07-01", "proven")]
        assert not found.ok
        witness = found.properties[0].witness
        assert witness is not None
        assert witness.reproduced

    def test_render_names_the_version(self) -> None:
        """The text and the JSON name each dated verdict's version."""
        versions = _versions([{"value": 5}, {"value": 1, "valid_from": "2026-07-01"}])
        found = verify_policies(versions, _props(DIRECTOR), analyses=False)
        text = found.render()
        assert "BROKEN planted version 1 / director" in text
        assert "PROVEN planted version 1@2026-07-01 / director" in text
        assert [p["version"] for p in found.to_dict()["properties"]] == ["1", "1@2026-07-01"]

    def test_analyses_of_every_version(self) -> None:
        """A rule that never holds in July's version only (more than 5 days and fewer than 3) is
        found there, not in June's."""
        window = {"kind": "all", "of": [days(">", param="limit"), days("<", 3)]}
        base = policy({"id": "short", "title": "short", "when": window, "then": [approve("director")]},
                      params={"limit": {"type": "int", "default": 1}})
        versions = with_dated_params(base, {"limit": [{"value": 1}, {"value": 5, "valid_from": "2026-07-01"}]})
        found = verify_policies(versions, Properties())
        never = [(r.rule_id, r.extra.get("version")) for r in found.findings if r.code == "never-holds"]
        assert never == [("short", "1@2026-07-01")]

    def test_undated_policy_unchanged(self) -> None:
        """An undated policy gives one verdict, with no version in it."""
        (plain,) = _versions([{"value": 1}])
        found = verify_policies([plain], _props(DIRECTOR), analyses=False)
        assert [(r.status, "version" in r.extra) for r in found.properties] == [("proven", False)]
        assert found.render().startswith("PROVEN planted / director")

    def test_gap_between_versions(self) -> None:
        """Versions with days between them are each proven; the gap is not a version."""
        first = _versions([{"value": 1}])[0].model_copy(update={"valid_until": date(2026, 6, 1)})
        second = _versions([{"value": 5}])[0].model_copy(
            update={"version": "2", "valid_from": date(2026, 7, 1)})
        found = verify_policies([first, second], _props(DIRECTOR), analyses=False)
        assert [(r.extra.get("version"), r.status) for r in found.properties] == [
            ("1", "proven"), ("2", "counterexample")]


class TestFormulasPerQuestion:
    """Each property, and each policy's analyses, is asked of formulas built for it alone."""

    def test_built_per_question_and_version(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Three properties and the analyses of two versions build four sets of formulas a version."""
        built: list[str] = []
        real = analyses.PolicyFormulas

        def counting(pol: Policy, free: bool = False) -> Any:
            built.append(pol.version)
            return real(pol, free)

        monkeypatch.setattr(analyses, "PolicyFormulas", counting)
        monkeypatch.setattr(report, "PolicyFormulas", counting, raising=False)
        versions = _versions([{"value": 5}, {"value": 1, "valid_from": "2026-07-01"}])
        excludes = ("no-director-for-a-day", {"given": {"kind": "compare", "path": "days", "op": "<=", "value": 1},
                                               "expect": {"excludes": ["approval:director"]}})
        at_most = ("one", {"expect": {"at_most_one": ["approval:*"]}})
        found = verify_policies(versions, _props(DIRECTOR, excludes, at_most))
        assert sorted(built) == ["1"] * 4 + ["1@2026-07-01"] * 4
        assert [r.status for r in found.properties] == [
            "counterexample", "proven", "proven", "proven", "proven", "proven"]
