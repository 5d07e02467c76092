"""Every public way of building policy objects raises a csrules error, never pydantic's."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

import csrules
from csrules import ClockRef, Compare, Policy, Rule, register_fact_type
from csrules.conditions import Window
from csrules.exceptions import CsrulesError, PolicyError
from tests import core_models  # noqa: F401  (registers core_thing)

GOOD = {
    "id": "p",
    "version": "1",
    "title": "t",
    "fact_type": "core_thing",
    "rules": [
        {
            "id": "r1",
            "title": "t",
            "when": {"kind": "compare", "path": "n", "op": ">", "value": 1},
            "then": [{"type": "recommendation", "text": "x"}],
        }
    ],
}


def _bad_op() -> dict:
    data = json.loads(json.dumps(GOOD))
    data["rules"][0]["when"]["op"] = "=>"
    return data


class TestNoPydanticErrors:
    def test_model_validate_raises_a_located_policy_error(self):
        """Policy.model_validate names the policy, the rule and the place."""
        with pytest.raises(PolicyError) as caught:
            Policy.model_validate(_bad_op())
        assert not isinstance(caught.value, ValidationError)
        assert caught.value.policy_id == "p"
        assert caught.value.rule_id == "r1"
        assert caught.value.loc == ("rules", 0, "when", "op")

    def test_model_validate_json_raises_a_policy_error(self):
        """JSON text goes through the same converter."""
        with pytest.raises(PolicyError, match=r"rules\[0\]\.when\.op"):
            Policy.model_validate_json(json.dumps(_bad_op()))

    def test_a_check_failure_keeps_its_message(self):
        """A condition that does not fit the fact model is reported as the checker says it."""
        data = json.loads(json.dumps(GOOD))
        data["rules"][0]["when"]["path"] = "nn"
        with pytest.raises(PolicyError, match="unknown field 'nn' in Thing; known fields: "):
            Policy.model_validate(data)

    def test_rule_and_condition_constructors_raise_policy_errors(self):
        """Building a Rule, a condition or a clock by hand raises PolicyError too."""
        with pytest.raises(PolicyError, match="when"):
            Rule(id="r", title="t", when={"kind": "nope"}, then=[{"type": "recommendation", "text": "x"}])
        with pytest.raises(PolicyError, match="op"):
            Compare(path="n", op="=>", value=1)  # type: ignore[arg-type]
        with pytest.raises(PolicyError, match="time of day"):
            ClockRef(value="25:00")  # type: ignore[arg-type]
        with pytest.raises(PolicyError, match="exactly one"):
            Window()

    def test_a_when_that_is_not_a_mapping_is_refused(self):
        """A condition written as a list says what a condition is."""
        with pytest.raises(PolicyError, match="a condition is a mapping with a 'kind'"):
            Rule(id="r", title="t", when=["all"], then=[{"type": "recommendation", "text": "x"}])  # type: ignore[arg-type]

    def test_a_missing_kind_lists_the_known_kinds(self):
        """A condition without a kind lists every kind the table knows."""
        with pytest.raises(PolicyError, match="no 'kind'; known kinds: all, any, "):
            Rule(id="r", title="t", when={"path": "n"}, then=[{"type": "recommendation", "text": "x"}])


class TestRegisterFactType:
    def test_registering_a_taken_name_raises_a_csrules_error(self):
        """A second model under a taken name is a PolicyError naming the first."""

        class Other(BaseModel):
            n: int

        with pytest.raises(PolicyError, match=r"already registered to tests\.core_models\.Thing"):
            register_fact_type(Other, name="core_thing")

    def test_registering_something_else_raises_a_csrules_error(self):
        """Only pydantic model classes can be fact types."""
        with pytest.raises(CsrulesError, match="pydantic model class"):
            register_fact_type(dict, name="not_a_model")  # type: ignore[type-var]

    def test_the_decorator_returns_the_model(self):
        """Used as a decorator with a name, the class comes back unchanged and registered."""

        @register_fact_type(name="errors_returned")
        class Returned(BaseModel):
            n: int

        assert csrules.get_fact_type("errors_returned") is Returned


class TestFactProblems:
    def test_a_fact_is_worded_by_the_same_converter(self):
        """A fact missing a field says so in the words a policy uses."""
        from csrules import Engine, Policy

        engine = Engine([Policy.model_validate(GOOD)])
        with pytest.raises(csrules.FactError) as caught:
            engine.evaluate({"kind": "a", "flag": True, "text": "x", "at": "2026-01-05T09:00:00+08:00"})
        problems = dict(caught.value.problems)
        assert problems["n"] == "required field is missing"
