"""Derived fact fields never overwrite what the caller said: agreeing is fine, contradicting is an error."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from pydantic import BaseModel, ValidationError

from csrules import FactError, PolicyError
from csrules._policy.facts import get_fact_type
from csrules._testing.strategies import derived_fields, fact_dicts
from csrules.domain import AttendanceRecord, CallRecord, LeaveRequest, build_fact
from csrules.domain import facts as domain
from csrules.domain.facts import ID_SPACES
from csrules.policies import load_pack, pack_names
from csrules.testing import boundary_facts

MODELS: list[type[BaseModel]] = [
    value
    for value in vars(domain).values()
    if isinstance(value, type) and issubclass(value, domain.Fact) and derived_fields(value)
]


def sample_fact(model: type[BaseModel]) -> BaseModel:
    """A valid fact of ``model``: the first worked example of a built-in pack judging it."""
    for name in pack_names():
        for policy, rule in load_pack(name).rules():
            if rule.examples and get_fact_type(policy.fact_type) is model:
                return model.model_validate(rule.examples[0].fact)
    raise AssertionError(f"no worked example builds a {model.__name__}")


def contradiction(value: Any, annotation: Any = None) -> Any:
    """A value of the same type as ``value`` (of a field typed ``annotation``) that differs from it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, datetime):
        return value + timedelta(hours=1)
    if isinstance(value, time):
        return time((value.hour + 1) % 24, value.minute)
    if value is None:
        return "x" if str in get_args(annotation) else datetime(2026, 1, 1).astimezone()
    if isinstance(value, list):
        return [*value, "x"]
    raise AssertionError(f"no contradiction for {value!r}")


CASES = [(model, name) for model in MODELS for name in sorted(derived_fields(model))]


class TestEveryDerivedField:
    """Each derived field of each domain fact is checked against what it derives from."""

    def test_models_with_derived_fields_are_found(self) -> None:
        """The shipped facts with derived fields are all collected (sanity of the parametrisation)."""
        assert {m.__name__ for m in MODELS} >= {"LeaveRequest", "AttendanceRecord", "CallRecord", "CallbackTask"}

    @pytest.mark.parametrize(("model", "name"), CASES, ids=[f"{m.__name__}.{n}" for m, n in CASES])
    def test_agreeing_value_is_accepted(self, model: type[BaseModel], name: str) -> None:
        """Giving a derived field the value it derives to builds the same fact."""
        fact = sample_fact(model)
        again = model.model_validate({**fact.model_dump(), name: getattr(fact, name)})
        assert again == fact

    @pytest.mark.parametrize(("model", "name"), CASES, ids=[f"{m.__name__}.{n}" for m, n in CASES])
    def test_contradicting_value_is_refused(self, model: type[BaseModel], name: str) -> None:
        """Giving a derived field another value than it derives to is a FactError naming the field."""
        fact = sample_fact(model)
        data = {**fact.model_dump(), name: contradiction(getattr(fact, name), model.model_fields[name].annotation)}
        with pytest.raises(FactError, match=f"{name} was given as"):
            build_fact(model, data)


SHIFT = {"shift_start": "2026-03-10T08:30:00+08:00", "shift_end": "2026-03-10T16:30:00+08:00"}
LEAVE = {
    "agent_id": "A01",
    "kind": "personal",
    "requested_by": "A01",
    "start": "2026-03-10T08:30:00+08:00",
    "end": "2026-03-10T16:30:00+08:00",
    "requested_at": "2026-03-05T09:00:00+08:00",
}


class TestNamedContradictions:
    """The contradictions reported in practice are refused with both fields and values named."""

    def test_late_minutes_against_on_time_arrival(self) -> None:
        """25 minutes late with an on-time arrival names late_minutes, 25, 0 and arrived_at."""
        data = {"agent_id": "A01", **SHIFT, "arrived_at": "2026-03-10T08:30:00+08:00", "late_minutes": 25}
        with pytest.raises(FactError) as caught:
            build_fact(AttendanceRecord, data)
        message = str(caught.value)
        for part in ("late_minutes was given as 25", "derives 0", "arrived_at 2026-03-10T08:30:00+08:00"):
            assert part in message

    def test_agreeing_late_minutes_is_kept(self) -> None:
        """A lateness that matches the clock-in is accepted as is."""
        data = {"agent_id": "A01", **SHIFT, "arrived_at": "2026-03-10T08:55:00+08:00", "late_minutes": 25}
        assert build_fact(AttendanceRecord, data).late_minutes == 25

    def test_in_person_against_requester(self) -> None:
        """in_person=False for a request the employee filed names requested_by and agent_id."""
        data = {**LEAVE, "in_person": False}
        with pytest.raises(FactError, match=r"in_person was given as False.*requested_by 'A01', agent_id 'A01'"):
            build_fact(LeaveRequest, data)

    def test_given_days_stay_input(self) -> None:
        """days is an input with a default, not derived: a given value is kept."""
        data = {**LEAVE, "days": 0.5}
        assert build_fact(LeaveRequest, data).days == 0.5

    def test_greeting_against_agent_lines(self) -> None:
        """A greeting that is not the agent's first line names greeting and agent_lines."""
        data = {
            "call_id": "c1",
            "agent_id": "A01",
            "started_at": "2026-03-10T09:00:00+08:00",
            "duration": "PT2M",
            "agent_lines": ["喂，哪位？"],
            "greeting": "您好",
        }
        with pytest.raises(FactError, match=r"greeting was given as '您好'.*agent_lines \['喂，哪位？'\]"):
            build_fact(CallRecord, data)

    def test_direct_build_raises_validation_error(self) -> None:
        """Built directly, the model raises pydantic's ValidationError, as for any bad input."""
        with pytest.raises(ValidationError, match="absent was given as True"):
            AttendanceRecord(
                agent_id="A01",
                shift_start=datetime.fromisoformat(SHIFT["shift_start"]),
                shift_end=datetime.fromisoformat(SHIFT["shift_end"]),
                arrived_at=datetime.fromisoformat(SHIFT["shift_start"]),
                absent=True,
            )


class TestGenerators:
    """Fact generators leave derived fields to the model, so they never draw contradictions."""

    def test_narrowing_a_derived_field_is_refused(self) -> None:
        """facts(..., late_minutes=...) names the fields to narrow instead."""
        with pytest.raises(PolicyError, match="late_minutes is derived from shift_start, arrived_at"):
            fact_dicts(AttendanceRecord, late_minutes=25)

    def test_boundary_facts_probing_a_derived_field_stay_valid(self) -> None:
        """The mall's 喂 rules probe greeting; drawn facts are still built, not filtered away."""
        policies = [p for p in load_pack("mall").policies if p.fact_type == "call_record"]

        @settings(max_examples=30, database=None, derandomize=True, deadline=None)
        @given(boundary_facts(policies))
        def check(fact: BaseModel) -> None:
            assert isinstance(fact, CallRecord)
            assert fact.greeting == next((line for line in fact.agent_lines if line.strip(ID_SPACES)), "")

        check()
