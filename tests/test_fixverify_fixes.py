"""Regression tests: verification results independent of what ran before, and calendar days
in counterexamples that the calendar agrees with."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

pytest.importorskip("z3")

from csrules._engine.engine import Engine
from csrules._policy.facts import get_fact_type, validate_fact
from csrules._policy.model import Policy
from csrules._time.registry import get_calendar
from csrules._verify.analyses import prove
from csrules._verify.properties import Properties, Property, load_properties
from csrules._verify.report import verify_policies
from csrules._verify.solve import PolicyFormulas
from csrules.policies import load_pack
from tests.verify_support import NOW, POLICIES, holiday_policy


class TestCalendarDays:
    @pytest.mark.parametrize("kind", ["on_holiday", "on_day_off"])
    def test_a_counterexample_needing_a_holiday_starts_on_one(self, kind: str) -> None:
        """A witness that needs the shift to start on a holiday gets a day the calendar calls one."""
        pol = holiday_policy(kind)
        claim = Property.model_validate({"id": "p", "policy": "planted",
                                         "expect": {"excludes": ["approval:department_head"]}})
        result = prove(pol, claim)
        assert result.witness is not None, result
        fact = validate_fact(get_fact_type("leave_request"), result.witness.fact)
        day = fact.shift_start.astimezone(get_calendar("china").zone).date()
        calendar = get_calendar("china")
        assert calendar.is_holiday(day) if kind == "on_holiday" else not calendar.is_working_day(day)
        assert Engine([pol]).evaluate(fact, now=NOW).effect_keys == ("approval:department_head",)

    @pytest.mark.parametrize(("start", "answer"), [("2026-03-02T08:30:00+08:00", "unsat"),
                                                   ("2026-04-04T08:30:00+08:00", "sat")])
    def test_the_solver_reads_the_calendar(self, start: str, answer: str) -> None:
        """The solver cannot call a working Monday a holiday, whatever it chose before."""
        formulas = PolicyFormulas(holiday_policy())
        var = formulas.enc.field("shift_start")
        moment = formulas.enc.literal(var, datetime.fromisoformat(start))
        status, _ = formulas.satisfiable(formulas.fires["holiday"], var.present, var.value == moment)
        assert status == answer

    def test_a_claim_the_calendar_makes_true_is_proven(self) -> None:
        """Within the calendar's years a claim about its days is proven, not broken by a free flag."""
        pol = holiday_policy()
        claim = Property.model_validate({
            "id": "p", "policy": "planted",
            "given": {"kind": "all", "of": [
                {"kind": "compare", "path": "shift_start", "op": ">=", "value": "2026-03-02T00:00:00+08:00"},
                {"kind": "compare", "path": "shift_start", "op": "<", "value": "2026-03-03T00:00:00+08:00"}]},
            "expect": {"excludes": ["approval:department_head"]},
        })
        assert prove(pol, claim).status == "proven"
        assert not get_calendar("china").is_holiday(date(2026, 3, 2))


# Verifying call_centre after every pack gives the statuses of its first run: checked with
# every pack's verification, in tests/test_verify.py, TestBuiltInPacks.


class TestPackZone:
    def test_a_pack_in_another_zone_proves_the_base_swap_properties(self, tmp_path: Path) -> None:
        """A London pack extending call_centre reads the properties' month windows in London,
        as its policies do, so the base pack's swap limits stay proven."""
        (tmp_path / "pack.yaml").write_text(
            'name: lonleave\ntitle: {en: L, zh: L}\nversion: "1"\nextends: call_centre\n'
            "timezone: Europe/London\n", encoding="utf-8")
        pack = load_pack(tmp_path)
        props = load_properties(POLICIES / "call_centre" / "properties.yaml")
        swaps = [p for p in props.properties if p.policy == "call_centre.swap_session"]
        report = verify_policies(pack.session_policies, Properties(properties=swaps))
        found = {r.code: r.status for r in report.properties}
        assert found == {"two-swaps-a-month-allowed": "proven", "third-swap-breaks-the-limit": "proven"}


class TestOffsetYears:
    def late_orders(self) -> Policy:
        """Orders placed from 22:00 Beijing time are late."""
        return Policy.model_validate({
            "id": "late", "version": "1", "title": "late", "fact_type": "order",
            "rules": [{"id": "LATE-1", "title": "late",
                       "when": {"kind": "time_of_day", "path": "placed_at", "op": ">=", "time": "22:00"},
                       "then": [{"type": "violation", "code": "LATE-1", "message": "late"}]}],
        })

    def test_a_claim_about_summer_time_years_is_not_proven(self) -> None:
        """Shanghai kept summer time in 1988, so a claim about that June is not proven with the later offset."""
        claim = Property.model_validate({
            "id": "p", "policy": "late",
            "given": {"kind": "all", "of": [
                {"kind": "compare", "path": "placed_at", "op": ">=", "value": "1988-06-01T00:00:00+08:00"},
                {"kind": "compare", "path": "placed_at", "op": "<", "value": "1988-06-01T21:30:00+08:00"}]},
            "expect": {"excludes": ["violation:LATE-1"]},
        })
        result = prove(self.late_orders(), claim)
        assert result.status == "not proven"
        assert "1992-9999" in result.message

    def test_a_proof_reading_a_clock_names_its_years(self) -> None:
        """A claim proven with Shanghai's one offset says it holds for facts dated 1992-9999."""
        claim = Property.model_validate({
            "id": "p", "policy": "late",
            "given": {"kind": "time_of_day", "path": "placed_at", "op": "<", "time": "21:00"},
            "expect": {"excludes": ["violation:LATE-1"]},
        })
        result = prove(self.late_orders(), claim)
        assert result.status == "proven"
        assert "1992-9999" in result.message
