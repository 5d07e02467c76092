"""A dict fact of a plain model (every field required, no Python validator, default, alias or
nested model) is validated by pydantic-core as a typed dict of the same field schemas and
settings, judged from that dict, and its model instance built when first read: it must accept
exactly the dicts ``model_validate`` accepts, hold exactly the values it holds (types, order,
fields set), refuse exactly what it refuses, and decide exactly as the validated model does."""

from __future__ import annotations

import enum
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from csrules import Engine, FactError, Policy, register_fact_type
from csrules._engine.decision import ValuesDecision
from csrules._policy.facts import dict_validator
from tests import reference_interpreter
from tests.test_decision_views import assert_views_agree

NOW = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=8)))


class Tier(enum.Enum):
    """An enum field's values."""

    GOLD = "gold"
    SILVER = "silver"


@register_fact_type(name="engine3_plain")
class Plain(BaseModel):
    """Every plain field kind: text, numbers, flags, a literal, an enum, an optional number, a
    list, an aware instant."""

    kind: Literal["a", "b"]
    n: int
    x: float
    flag: bool
    text: str
    tier: Tier
    maybe: int | None
    tags: list[str]
    at: AwareDatetime


FIELDS = list(Plain.model_fields)
VALID: dict[str, list[Any]] = {
    "kind": ["a", "b"],
    "n": [0, -3, 2**70, True, 4.0, "12"],
    "x": [0.0, -1.5, 3, 1e300, "2.5", False],
    "flag": [True, False, 1, 0, "yes", "false"],
    "text": ["", "hello", "您好", "\ud800", b"bytes"],
    "tier": [Tier.GOLD, "silver"],
    "maybe": [None, 4, 7.0],
    "tags": [[], ["x", "y"], ("x",)],
    "at": [NOW, datetime(2026, 1, 1, tzinfo=UTC), "2026-03-02T09:00:00+08:00"],
}
"""Values ``model_validate`` accepts (some converted: ``"12"`` to 12, ``3`` to 3.0...)."""
INVALID: dict[str, list[Any]] = {
    "kind": ["c", 1, None, b"a"],
    "n": [1.5, "x", None, math.inf],
    "x": [math.nan, math.inf, -math.inf, "nan", None, "1e400"],
    "flag": [2, "maybe", None],
    "text": [1, None, b"\xff"],
    "tier": ["bronze", 1],
    "maybe": ["x", 1.5],
    "tags": ["x", [1], None],
    "at": [datetime(2026, 1, 1), "noon", None],
}
"""Values ``model_validate`` refuses (the model refuses ``inf`` and ``nan``, as registered)."""


def fact_dicts() -> st.SearchStrategy[Any]:
    """Dicts of valid and invalid values, with fields missing and keys added; and non-dicts."""
    value = {name: st.sampled_from(VALID[name] + INVALID[name]) for name in FIELDS}
    base = st.fixed_dictionaries({name: value[name] for name in FIELDS})
    dropped = st.tuples(base, st.sets(st.sampled_from(FIELDS), max_size=2)).map(
        lambda pair: {k: v for k, v in pair[0].items() if k not in pair[1]}
    )
    extra = st.tuples(base, st.sampled_from(["other", 1, "kind "])).map(lambda pair: {**pair[0], pair[1]: 0})
    return st.one_of(base, base, dropped, extra, st.sampled_from([None, [], "x", 3]))


def held(instance: BaseModel) -> Any:
    """Everything an instance holds, with each value's type (so 1 and 1.0 differ, and nan
    equals nan)."""
    values = [(k, type(v), repr(v)) for k, v in instance.__dict__.items()]
    return (type(instance), values, instance.__pydantic_fields_set__, instance.__pydantic_extra__,
            instance.__pydantic_private__, repr(instance.model_dump()))


def outcome_of(validate: Any, fact: Any) -> Any:
    """What validating ``fact`` gives: what the instance holds, or that it was refused."""
    try:
        return held(validate(fact))
    except ValidationError:
        return "refused"


FAST = dict_validator(Plain)
assert FAST is not None


def fast(fact: Any) -> BaseModel:
    """The typed-dict validation, then the instance built from its values."""
    assert FAST is not None
    values, build = FAST
    return build(values(fact))


class TestSameAsModelValidate:
    def test_every_listed_value_alone(self) -> None:
        """Each listed value, in an otherwise valid fact, is accepted or refused as
        ``model_validate`` does, and accepted gives the same instance."""
        base = {name: VALID[name][0] for name in FIELDS}
        for name in FIELDS:
            for refused, values in ((False, VALID[name]), (True, INVALID[name])):
                for value in values:
                    fact = {**base, name: value}
                    expected = outcome_of(Plain.model_validate, fact)
                    assert outcome_of(fast, fact) == expected, (name, value)
                    assert (expected == "refused") == refused, (name, value)

    @settings(max_examples=300, deadline=None)
    @given(fact_dicts())
    def test_any_dict(self, fact: Any) -> None:
        """Any dict (valid, invalid, missing fields, extra keys) or non-dict: the same
        instance or the same refusal as ``model_validate``."""
        if not isinstance(fact, dict):
            with pytest.raises(ValidationError):
                fast(fact)
            return
        assert outcome_of(fast, fact) == outcome_of(Plain.model_validate, fact)

    def test_the_values_are_a_fresh_dict(self) -> None:
        """The instance holds a dict of its own: changing the caller's dict changes nothing."""
        fact = {name: VALID[name][0] for name in FIELDS}
        instance = fast(fact)
        fact["n"] = 99
        assert instance.n == 0
        assert instance.__dict__ is not fact


class TestSettings:
    @pytest.mark.parametrize("config", [
        ConfigDict(extra="forbid"), ConfigDict(strict=True), ConfigDict(str_strip_whitespace=True, str_to_lower=True),
        ConfigDict(allow_inf_nan=True), ConfigDict(coerce_numbers_to_str=True),
    ], ids=["forbid", "strict", "text", "inf-nan", "numbers-to-text"])
    def test_the_models_settings_apply_alike(self, config: ConfigDict) -> None:
        """Under the model's own settings, every listed fact is accepted or refused as
        ``model_validate`` does, with the same values."""

        class Set(BaseModel):
            model_config = config
            text: str
            x: float
            n: int

        pair = dict_validator(Set)
        assert pair is not None
        values, build = pair
        facts = [{"text": text, "x": x, "n": n, **more}
                 for text in (" Hi ", 5, "ok") for x in (1.5, 2, "3", math.nan, math.inf) for n in (1, "2", 2.0)
                 for more in ({}, {"other": 1})]
        for fact in facts:
            assert outcome_of(lambda f: build(values(f)), fact) == outcome_of(Set.model_validate, fact), fact


class TestOnlyPlainModels:
    def test_models_with_anything_else_are_left_to_model_validate(self) -> None:
        """A default, a validator, an alias, a nested model, kept extras, a private value or a
        post-init hook: no typed-dict path."""

        class Default(BaseModel):
            n: int = 1

        class Validated(BaseModel):
            n: int

            @field_validator("n")
            @classmethod
            def positive(cls, n: int) -> int:
                return abs(n)

        class Whole(BaseModel):
            n: int

            @model_validator(mode="before")
            @classmethod
            def given(cls, data: Any) -> Any:
                return data

        class Aliased(BaseModel):
            n: int = Field(alias="N")

        class Nested(BaseModel):
            inner: Default

        class Extra(BaseModel):
            model_config = ConfigDict(extra="allow")
            n: int

        class Private(BaseModel):
            n: int
            _seen: int = 0

        class Hooked(BaseModel):
            n: int

            def model_post_init(self, context: Any) -> None:
                pass

        for model in (Default, Validated, Whole, Aliased, Nested, Extra, Private, Hooked):
            assert dict_validator(model) is None, model.__name__


def policy(*, due: bool = False) -> Policy:
    """Rules on every kind of field of :class:`Plain` (one with a due time if ``due``)."""
    then: list[dict[str, Any]] = [{"type": "violation", "code": "P-1", "message": "m"}]
    if due:
        then.append({"type": "obligation", "action": "reply", "who": "agent", "due": {"after": "2h", "since": "at"}})
    return Policy.model_validate({
        "id": f"plain{'-due' if due else ''}", "version": "1", "title": "p", "fact_type": "engine3_plain",
        "rules": [
            {"id": "r1", "title": "r1", "when": {"kind": "compare", "path": "n", "op": ">", "value": 2}, "then": then},
            {"id": "r2", "title": "r2", "when": {"kind": "all", "of": [
                {"kind": "compare", "path": "kind", "op": "==", "value": "a"},
                {"kind": "compare", "path": "flag", "op": "==", "value": True}]},
             "then": [{"type": "approval", "role": "head"}]},
            {"id": "r3", "title": "r3", "when": {"kind": "compare", "path": "x", "op": "<=", "value": 0}, "then": [
                {"type": "escalation", "to": "lead"}]},
            {"id": "r4", "title": "r4", "when": {"kind": "is_set", "path": "maybe"}, "then": [
                {"type": "approval", "role": "lead"}]},
            {"id": "r5", "title": "r5", "when": {"kind": "in", "path": "text", "value": ["hello", "您好"]}, "then": [
                {"type": "recommendation", "text": "t"}]},
        ],
    })


ENGINES = {due: (pol, Engine(pol)) for due, pol in ((due, policy(due=due)) for due in (False, True))}
"""The two policies, each with its engine (compiled once for every example)."""


class TestEngineOnDicts:
    @pytest.mark.parametrize("due", [False, True], ids=["fixed", "due-times"])
    @settings(max_examples=120, deadline=None)
    @given(fact=fact_dicts())
    def test_a_dict_decides_as_its_validated_model(self, due: bool, fact: Any) -> None:
        """A dict fact gives the decision of its validated model (the reference's rules,
        effects, every view, the fact itself), or the same FactError."""
        pol, engine = ENGINES[due]
        try:
            model = Plain.model_validate(fact)
        except ValidationError:
            with pytest.raises(FactError) as refused:
                engine.evaluate(fact, now=NOW)
            with pytest.raises(FactError) as reference:
                engine.evaluate(fact, now=NOW, fact_type="engine3_plain")
            assert str(refused.value) == str(reference.value)
            return
        decision = engine.evaluate(fact, now=NOW)
        expected = engine.evaluate(model, now=NOW)
        assert (decision.outcome, decision.violation_codes, decision.approvers) == (
            expected.outcome, expected.violation_codes, expected.approvers)
        assert list(decision.rule_ids) == reference_interpreter.matching_rules(pol, model, NOW)
        assert decision == expected
        assert decision.to_dict() == expected.to_dict()
        assert held(decision.fact) == held(model)
        assert decision.fact is decision.fact
        assert_views_agree(decision)

    def test_the_typed_dict_path_is_taken_and_reads_work(self) -> None:
        """A valid dict makes a decision built from its values; its fact, trace and record
        read as a validated model's."""
        engine = Engine(policy())
        fact = {name: VALID[name][1] for name in FIELDS}
        decision = engine.evaluate(fact, now=NOW)
        assert isinstance(decision, ValuesDecision)
        expected = engine.evaluate(Plain.model_validate(fact), now=NOW)
        assert decision.rule_ids == expected.rule_ids == ("r3", "r4", "r5")
        assert decision.trace.to_dict() == expected.trace.to_dict()
        assert decision.record().fact == expected.record().fact
