"""Regression tests: a proof's answer and counterexample do not depend on what the solver was
asked before in the process, and a counterexample reading a calendar is dated in a year the
calendar lists."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pytest

pytest.importorskip("z3")

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]

from csrules._engine.engine import Engine
from csrules._policy.facts import get_fact_type, validate_fact
from csrules._policy.kinds.base import ConditionBase, register_kind
from csrules._policy.model import Policy
from csrules._policy.trace import TraceNode
from csrules._time.registry import get_calendar
from csrules._verify import solve
from csrules._verify.analyses import Result, prove
from csrules._verify.properties import Properties, Property, load_properties
from csrules._verify.report import verify_policies
from csrules.policies import load_pack
from tests.verify_support import NOW, POLICIES, holiday_policy


def no_head(given: dict[str, Any] | None = None) -> Property:
    """The claim that no leave (meeting ``given``) needs the department head."""
    return Property.model_validate({"id": "p", "policy": "planted", "given": given,
                                    "expect": {"excludes": ["approval:department_head"]}})


def shift_between(first: str, last: str) -> dict[str, Any]:
    """Shifts starting from ``first`` and before ``last`` (Beijing time)."""
    return {"kind": "all", "of": [
        {"kind": "compare", "path": "shift_start", "op": ">=", "value": f"{first}T00:00:00+08:00"},
        {"kind": "compare", "path": "shift_start", "op": "<", "value": f"{last}T00:00:00+08:00"}]}


def answer(result: Result) -> tuple[str, str, Any]:
    """A verdict as a reader sees it: status, message and counterexample."""
    return result.status, result.message, None if result.witness is None else result.witness.to_dict()


def other_queries() -> None:
    """Ask the solver unrelated questions, in its global context and through verify."""
    terms = [z3.Int(f"unrelated{i}") for i in range(40)]
    solver = z3.Solver()
    solver.add(z3.Or(*[t * 3 == i + 7 for i, t in enumerate(terms)]), z3.Sum(*terms) > 11)
    solver.check()
    pack = load_pack("ecommerce")
    verify_policies(pack.policies, load_properties(POLICIES / "ecommerce" / "properties.yaml"))
    prove(holiday_policy(), no_head(shift_between("2026-10-01", "2026-10-09")))


class TestSameAnswerWhateverCameBefore:
    def test_a_proof_asked_again_after_other_queries_gives_the_same_counterexample(self) -> None:
        """The same claim asked before and after other questions gets the same verdict and fact."""
        first = answer(prove(holiday_policy(), no_head()))
        other_queries()
        assert answer(prove(holiday_policy(), no_head())) == first
        assert first[0] == "counterexample"

    def test_a_global_seed_does_not_change_the_counterexample(self) -> None:
        """A random seed set globally leaves each solver's own seeds, and so the fact, as they were."""
        first = answer(prove(holiday_policy(), no_head()))
        z3.set_param("smt.random_seed", 7)
        try:
            again = answer(prove(holiday_policy(), no_head()))
        finally:
            z3.reset_params()
        assert again == first

    def test_verify_gives_each_property_the_result_it_has_alone(self) -> None:
        """Through verify, each leave property gets the verdict and fact it gets proven alone."""
        leave = next(p for p in load_pack("call_centre").policies if p.id == "call_centre.leave")
        props = load_properties(POLICIES / "call_centre" / "properties.yaml")
        mine = [p for p in props.properties if p.policy == leave.id]
        report = verify_policies([leave], Properties(properties=mine), analyses=False)
        alone = [answer(prove(leave, p)) for p in reversed(mine)][::-1]  # each alone, asked in reverse order
        assert [answer(r) for r in report.properties] == alone
        assert any(r.witness is not None for r in report.properties)


class TestResourceLimit:
    def test_a_question_beyond_the_solvers_steps_is_not_proven(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The limit is counted in the solver's steps, not seconds: too few steps give "not proven", saying why."""
        monkeypatch.setattr(solve, "STEPS", 1)
        result = prove(holiday_policy(), no_head())
        assert (result.status, result.message) == (
            "not proven", "not proven (the solver gave no answer within its resource limit)")


class TestCalendarYears:
    def test_a_counterexample_is_dated_in_a_year_the_calendar_lists(self) -> None:
        """A claim broken on New Year's Day 2001 gets that day, not a day of 2000 the calendar refuses."""
        result = prove(holiday_policy(), no_head(shift_between("2000-12-20", "2001-01-02")))
        assert result.witness is not None, result
        fact = validate_fact(get_fact_type("leave_request"), result.witness.fact)
        assert fact.shift_start.astimezone(get_calendar("china").zone).date() == date(2001, 1, 1)
        assert Engine([holiday_policy()]).evaluate(fact, now=NOW).effect_keys == ("approval:department_head",)

    def test_a_claim_broken_only_in_unlisted_years_says_why_no_fact_was_written(self) -> None:
        """Shifts in 2040, a year the calendar neither lists nor knows a fixed holiday of, give no
        fact, and the message says why."""
        result = prove(holiday_policy(), no_head(shift_between("2040-01-01", "2041-01-01")))
        assert result.status == "not proven"
        assert "the years its calendars list" in result.message

    def test_a_fixed_holiday_of_an_unlisted_year_is_a_counterexample(self) -> None:
        """In 2030, which the calendar does not list, the counterexample is a holiday fixed by law."""
        result = prove(holiday_policy(), no_head(shift_between("2030-01-01", "2031-01-01")))
        assert result.witness is not None, result
        fact = validate_fact(get_fact_type("leave_request"), result.witness.fact)
        day = fact.shift_start.astimezone(get_calendar("china").zone).date()
        assert day in get_calendar("china").fixed_holidays


class _Ahead(ConditionBase):
    kind: Literal["verifyfix_ahead"] = "verifyfix_ahead"


class _AheadMixed(ConditionBase):
    kind: Literal["verifyfix_ahead_mixed"] = "verifyfix_ahead_mixed"


class _AheadHandler:
    """A host kind: the leave is asked at least a day ahead, translated in z3's default context."""

    def check(self, cond: Any, ctx: Any) -> None:
        """Nothing to check."""

    def source(self, cond: Any, ctx: Any) -> str:
        """The engine's test."""
        return f"({ctx.access('request_lead_days')[1]} >= 1)"

    def evaluate(self, cond: Any, env: Any) -> TraceNode:
        """The explaining interpreter's test."""
        return TraceNode(cond.kind, "ahead", env.get("request_lead_days") >= 1)

    def describe(self, cond: Any, lang: Any, ctx: Any) -> str:
        """Plain words."""
        return "ahead"

    def reads_now(self, cond: Any) -> bool:
        """It does not read now."""
        return False

    def translate(self, cond: Any, encoding: Any) -> Any:
        """Made without naming a context: the constant matches the encoding's by name."""
        return z3.Int("request_lead_days") >= 1


class _AheadMixedHandler(_AheadHandler):
    def translate(self, cond: Any, encoding: Any) -> Any:
        """The encoding's field compared with a constant of z3's default context."""
        return encoding.field("request_lead_days").value >= z3.IntVal(1)


class TestHostTranslations:
    def ahead(self, kind: str) -> Policy:
        """Asked a day ahead needs the head."""
        return Policy.model_validate({
            "id": "planted", "version": "1", "title": "planted", "fact_type": "leave_request",
            "rules": [{"id": "ahead", "title": "ahead", "when": {"kind": kind},
                       "then": [{"type": "approval", "role": "department_head"}]}],
        })

    def test_a_translation_in_the_default_context_takes_part_in_proofs(self) -> None:
        """A host's formula made in z3's default context is read in the proof's own context."""
        register_kind(_Ahead, _AheadHandler())
        claim = Property.model_validate({
            "id": "p", "policy": "planted", "expect": {"includes": ["approval:department_head"]},
            "given": {"kind": "compare", "path": "request_lead_days", "op": ">=", "value": 2}})
        assert prove(self.ahead("verifyfix_ahead"), claim).status == "proven"

    def test_a_translation_mixing_contexts_is_not_proven_and_says_how_to_mend_it(self) -> None:
        """A host's formula mixing the two contexts makes the property "not proven", naming ctx=encoding.ctx."""
        register_kind(_AheadMixed, _AheadMixedHandler())
        claim = Property.model_validate({"id": "p", "policy": "planted",
                                         "expect": {"includes": ["approval:department_head"]}})
        result = prove(self.ahead("verifyfix_ahead_mixed"), claim)
        assert result.status == "not proven"
        assert "kind verifyfix_ahead_mixed at rule ahead" in result.message
        assert "ctx=encoding.ctx" in result.message
