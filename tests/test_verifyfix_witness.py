"""Regression tests: a counterexample is a fact the property speaks of, as the engine reads
it, and the derived fields a counterexample search starts from agree with the fact model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

pytest.importorskip("z3")

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]

from csrules._engine.engine import Engine
from csrules._policy.facts import get_fact_type, validate_fact
from csrules._policy.model import Policy
from csrules._verify.analyses import analyse, prove
from csrules._verify.derived import derivations
from csrules._verify.encoding import clock_micros, instant
from csrules._verify.properties import Property, empty
from csrules._verify.solve import PolicyFormulas

FACT = {
    "agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
    "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00",
    "requested_by": "A01", "shift_start": "2026-03-02T08:30:00+08:00",
}
NOW = "2026-03-01T09:00:00+08:00"
LEAD_3 = {"kind": "compare", "path": "request_lead_days", "op": ">=", "value": 3}


def leave_policy(when: dict[str, Any], expect: list[str]) -> Policy:
    """A leave policy of one rule asking the centre director when ``when`` holds."""
    return Policy.model_validate({
        "id": "planted", "version": "1", "title": "planted", "fact_type": "leave_request",
        "rules": [{"id": "R", "title": "R", "when": when, "then": [{"type": "approval", "role": "centre_director"}],
                   "examples": [{"fact": FACT, "now": NOW, "expect": expect}]}],
    })


def no_director(given: dict[str, Any]) -> Property:
    """The claim that no leave meeting ``given`` needs the centre director."""
    return Property.model_validate({"id": "p", "policy": "planted", "given": given,
                                    "expect": {"excludes": ["approval:centre_director"]}})


class TestCounterexampleMeetsTheGiven:
    def test_the_counterexample_has_the_derived_value_the_given_asks_for(self) -> None:
        """A claim about leaves asked three days ahead is broken by a leave the model counts three days ahead."""
        pol = leave_policy({"kind": "compare", "path": "days", "op": ">", "value": 1}, [])
        result = prove(pol, no_director(LEAD_3))
        assert result.witness is not None, result
        fact = validate_fact(get_fact_type("leave_request"), result.witness.fact)
        assert fact.request_lead_days >= 3
        assert Engine([pol]).evaluate(fact, now=result.witness.now).effect_keys == ("approval:centre_director",)

    def test_a_true_claim_is_not_reported_broken_by_a_fact_outside_its_given(self) -> None:
        """Three local days ahead is more than 48 hours ahead: no fact outside the given is shown as breaking it."""
        short = {"kind": "notice", "since": "requested_at", "until": "shift_start", "op": "<", "duration": "48h"}
        result = prove(leave_policy(short, ["approval:centre_director"]), no_director(LEAD_3))
        assert result.status == "not proven", result
        assert result.witness is None


DERIVED = (
    {"kind": "compare", "path": "in_person", "op": "==", "value": True},
    {"kind": "is_set", "path": "requested_clock"},
    {"kind": "is_set", "path": "request_lead_days"},
    {"kind": "is_set", "path": "returned_at"},
    {"kind": "is_set", "path": "first_day_back"},
)
SOURCES = ("agent_id", "requested_by", "start", "end", "requested_at", "shift_start")
CASES = (
    {},  # a day shift asked for the day before
    {"start": "2026-03-02T16:00:00+08:00", "end": "2026-03-03T00:50:00+08:00"},  # a night shift past midnight
    {"end": "2026-03-03T16:30:00+08:00"},  # two days
    {"start": "2026-03-02T00:00:00+08:00", "end": "2026-03-03T00:00:00+08:00", "shift_start": None},  # 24 hours
    {"requested_at": "2026-03-01T15:30:00+00:00", "shift_start": "2026-03-01T16:10:00+00:00",
     "start": "2026-03-02T00:10:00+08:00"},  # written in UTC
    {"requested_by": "B02", "requested_at": "2026-03-02T08:45:00+08:00"},  # by someone else, after the start
    {"start": "2026-03-02T08:30:00+08:00", "end": "2026-03-05T08:30:00.000001+08:00"},  # three days and a moment
)


class TestDerivationsAgreeWithTheModel:
    @pytest.mark.parametrize("change", CASES)
    def test_each_derived_field_is_the_models_value(self, change: dict[str, Any]) -> None:
        """With its sources set to a fact's values, each derived field is the value the fact model computes."""
        data = {**FACT, **change}
        fact = validate_fact(get_fact_type("leave_request"), {k: v for k, v in data.items() if v is not None})
        enc = PolicyFormulas(leave_policy({"kind": "all", "of": list(DERIVED)}, [])).enc
        solver = z3.Solver(ctx=enc.ctx)
        solver.add(*enc.domain, *derivations(enc, "Asia/Shanghai"))
        for path in SOURCES:
            var, raw = enc.field(path), data[path]
            if raw is None:
                solver.add(z3.Not(var.present))
                continue
            value = datetime.fromisoformat(raw) if var.sort == "instant" else raw
            solver.add(var.present, var.value == enc.literal(var, value))
        assert solver.check() == z3.sat
        model = solver.model()

        def solved(path: str) -> Any:
            term = model.eval(enc.field(path).value, model_completion=True)
            return z3.is_true(term) if z3.is_bool(term) else term.as_long()

        assert solved("in_person") == fact.in_person
        assert solved("requested_clock") == clock_micros(fact.requested_clock)
        assert solved("request_lead_days") == fact.request_lead_days
        assert solved("returned_at") == instant(fact.returned_at)
        assert solved("first_day_back") == instant(fact.first_day_back)


class TestUnconfirmedFindings:
    def test_a_conflict_no_fact_reproduces_is_not_said_to_happen(self) -> None:
        """Asked after the shift's day, and a day's notice: no leave is both, so the overlap is only 'may'."""
        late = {"kind": "compare", "path": "request_lead_days", "op": "<", "value": 0}
        early = {"kind": "notice", "since": "requested_at", "until": "shift_start", "op": ">=", "duration": "24h"}
        pol = Policy.model_validate({
            "id": "planted", "version": "1", "title": "planted", "fact_type": "leave_request",
            "rules": [{"id": "late", "title": "late", "when": late, "then": [{"type": "approval", "role": "a"}]},
                      {"id": "early", "title": "early", "when": early, "then": [{"type": "approval", "role": "b"}],
                       "examples": [{"fact": FACT, "now": NOW, "expect": []}]}],
        })
        [conflict] = [r for r in analyse(pol, empty()).results if r.code == "conflict"]
        assert conflict.witness is None
        assert conflict.message.startswith("may fire together with rule 'early' (the solver allows it, but no fact")


SHIFT = {"agent_id": "A01", "shift_start": "2026-03-02T08:30:00+08:00", "shift_end": "2026-03-02T17:30:00+08:00",
         "arrived_at": "2026-03-02T08:41:59.999999+08:00", "left_at": "2026-03-02T17:00:00+08:00"}
SHIFT_CASES = (
    {},  # late 11 minutes (a moment short of 12), left 30 minutes early
    {"arrived_at": "2026-03-02T08:00:00+08:00", "left_at": "2026-03-02T18:00:00+08:00"},  # early in, late out
    {"arrived_at": None, "left_at": None},  # absent
    {"arrived_at": "2026-03-02T00:40:00+00:00", "left_at": "2026-03-02T09:29:00.5+00:00"},  # written in UTC
)


class TestAttendanceDerivations:
    @pytest.mark.parametrize("change", SHIFT_CASES)
    def test_each_derived_field_is_the_models_value(self, change: dict[str, Any]) -> None:
        """With its sources set to a record's values, lateness, leaving early and absence are the model's."""
        data = {**SHIFT, **change}
        record = validate_fact(get_fact_type("attendance_record"), {k: v for k, v in data.items() if v is not None})
        reads = [{"kind": "is_set", "path": path} for path in ("late_minutes", "early_leave_minutes", "absent")]
        pol = Policy.model_validate({"id": "planted", "version": "1", "title": "planted",
                                     "fact_type": "attendance_record",
                                     "rules": [{"id": "R", "title": "R", "when": {"kind": "all", "of": reads},
                                                "then": [{"type": "approval", "role": "lead"}]}]})
        enc = PolicyFormulas(pol).enc
        solver = z3.Solver(ctx=enc.ctx)
        solver.add(*enc.domain, *derivations(enc, "Asia/Shanghai"))
        for path in ("shift_start", "shift_end", "arrived_at", "left_at"):
            var, raw = enc.field(path), data[path]
            solver.add(z3.Not(var.present) if raw is None
                       else z3.And(var.present, var.value == enc.literal(var, datetime.fromisoformat(raw))))
        assert solver.check() == z3.sat
        model = solver.model()
        assert model.eval(enc.field("late_minutes").value).as_long() == record.late_minutes
        assert model.eval(enc.field("early_leave_minutes").value).as_long() == record.early_leave_minutes
        assert z3.is_true(model.eval(enc.field("absent").value)) == record.absent


class TestReadableCounterexamples:
    def test_a_counterexample_stays_beside_its_worked_example(self) -> None:
        """Fields the claim needs unchanged keep the example's values; a moved instant stays about a week of it,
        at a whole local day."""
        pol = leave_policy({"kind": "on_holiday", "path": "shift_start", "calendar": "china"}, [])
        claim = Property.model_validate({"id": "p", "policy": "planted",
                                         "expect": {"excludes": ["approval:centre_director"]}})
        result = prove(pol, claim)
        assert result.witness is not None, result
        fact = result.witness.fact
        # the leave's start follows its first shift (the model refuses a shift outside the leave)
        kept = [k for k in FACT if k not in ("shift_start", "start")]
        assert {k: fact[k] for k in kept} == {k: FACT[k] for k in kept}
        moved = datetime.fromisoformat(fact["shift_start"]) - datetime.fromisoformat(FACT["shift_start"])
        assert abs(moved.total_seconds()) <= 8 * 86_400
        assert fact["shift_start"].endswith(("T00:00:00+08:00", "T08:30:00+08:00"))
