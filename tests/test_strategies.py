"""Fact strategies derived from pydantic models: csrules.testing.facts and facts_for."""

from __future__ import annotations

import enum
import importlib
import importlib.util
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Literal

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, Field, model_validator

import csrules
from csrules import PolicyError, register_fact_type
from csrules._testing.strategies import fact_dicts, strategy_for_annotation
from csrules.testing import facts, facts_for

SOME = settings(max_examples=40, deadline=None)


def _shipped_fact_types() -> list[str]:
    """Names of the fact models the library registers (csrules.domain, when installed)."""
    if importlib.util.find_spec("csrules.domain") is not None:
        importlib.import_module("csrules.domain")
    registered = csrules.registered_fact_types()
    return sorted(n for n, m in registered.items() if m.__module__.startswith("csrules."))


class Channel(enum.Enum):
    PHONE = "phone"
    CHAT = "chat"


class Address(BaseModel):
    city: Annotated[str, Field(min_length=2, max_length=12)]
    floor: int | None = Field(default=None, ge=1, le=40)


@register_fact_type(name="tk_request")
class Request(BaseModel):
    """A host model using every constraint the strategies honour."""

    kind: Literal["refund", "exchange", "question"]
    channel: Channel
    minutes_late: Annotated[int, Field(ge=0, le=600)]
    amount: float = Field(gt=0, le=5000, multiple_of=0.5)
    price: Decimal = Field(ge=0, le=100)
    code: str = Field(pattern=r"^[A-Z]{2}-[0-9]{3}$")
    tags: list[Annotated[str, Field(max_length=5)]] = Field(default_factory=list, max_length=3)
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    on: date
    at: time
    waited: timedelta = Field(ge=timedelta(0), le=timedelta(hours=2))
    address: Address | None = None
    note: str | None = None


@register_fact_type(name="tk_late")
class Late(BaseModel):
    """A small model, to show what shrinking gives."""

    kind: Literal["refund", "exchange"]
    minutes_late: int = Field(ge=0)
    reason: str
    note: str | None = None
    opened_at: AwareDatetime


@register_fact_type(name="tk_window")
class Window(BaseModel):
    """A model with a cross-field validator the strategies cannot see."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("end before start")
        return self


class TestDerivedStrategies:
    @SOME
    @given(fact_dicts(Request))
    def test_drawn_values_are_valid_by_construction(self, data):
        """Every drawn dictionary validates, before any filtering."""
        Request.model_validate(data)

    @SOME
    @given(facts("tk_request"))
    def test_constraints_are_honoured(self, fact):
        """Bounds, lengths, patterns, multiples and time zones hold on every drawn fact."""
        assert 0 <= fact.minutes_late <= 600
        assert 0 < fact.amount <= 5000
        assert (fact.amount * 2).is_integer()
        assert len(fact.tags) <= 3
        assert all(len(tag) <= 5 for tag in fact.tags)
        assert fact.opened_at.utcoffset() is not None
        assert fact.opened_at.microsecond == 0
        assert fact.address is None or 2 <= len(fact.address.city) <= 12

    def test_shrinks_to_a_readable_fact(self):
        """The smallest fact is plain: zeros, empty text, no optionals, 2026-01-01 at +08:00."""
        fact = find(facts(Late), lambda f: f.minutes_late > 19, settings=settings(database=None))
        assert fact == Late(
            kind="refund",
            minutes_late=20,
            reason="",
            note=None,
            opened_at=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8))),
        )

    def test_optional_fields_take_both_forms(self):
        """An optional field can be drawn as None and as a value (searched for, not sampled)."""
        # found is enough: shrinking a fact with a regex-drawn field to its minimum took minutes
        quick = settings(database=None, phases=[Phase.generate])
        assert find(facts(Request), lambda f: f.closed_at is None, settings=quick).closed_at is None
        assert find(facts(Request), lambda f: f.closed_at is not None, settings=quick).closed_at is not None

    @SOME
    @given(facts(Window))
    def test_model_validators_filter_the_rest(self, fact):
        """Facts the model's own validators refuse are never produced."""
        assert fact.end >= fact.start

    @SOME
    @given(facts("tk_request", kind="question", minutes_late=st.integers(19, 20)))
    def test_fields_can_be_fixed_or_narrowed(self, fact):
        """Keyword arguments fix a field (a value) or narrow it (a strategy)."""
        assert fact.kind == "question"
        assert fact.minutes_late in (19, 20)

    @SOME
    @given(
        facts_for(
            csrules.Policy(
                id="p",
                version="1",
                title="t",
                fact_type="tk_window",
                rules=[
                    {
                        "id": "r",
                        "title": "t",
                        "when": {"kind": "is_set", "path": "start"},
                        "then": [{"type": "recommendation", "text": "x"}],
                    }
                ],
            )
        )
    )
    def test_facts_for_draws_the_policy_fact_type(self, fact):
        """facts_for(policy) draws facts of the type the policy judges."""
        assert isinstance(fact, Window)

    @pytest.mark.parametrize(
        ("annotation", "check"),
        [
            (Annotated[int, Field(gt=3, lt=6)], lambda v: v in (4, 5)),
            (Annotated[float, Field(ge=1, lt=2)], lambda v: 1 <= v < 2),
            (frozenset[Literal["a", "b"]], lambda v: v <= {"a", "b"}),
            (tuple[int, str], lambda v: isinstance(v[0], int) and isinstance(v[1], str)),
            (dict[str, int], lambda v: isinstance(v, dict)),
        ],
    )
    def test_annotations(self, annotation, check):
        """Constrained and container annotations draw values that satisfy them."""

        @settings(max_examples=25, database=None)
        @given(strategy_for_annotation(annotation))
        def run(value):
            assert check(value)

        run()


class TestShippedModels:
    @pytest.mark.parametrize("name", _shipped_fact_types())
    def test_every_shipped_fact_model_draws_valid_facts(self, name):
        """Each fact model the library ships has a working strategy."""
        model = csrules.get_fact_type(name)

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
        @given(facts(name))
        def run(fact):
            assert isinstance(fact, model)

        run()


class TestBadInput:
    def test_unregistered_model_is_refused(self):
        """A model class that was never registered is refused, naming the fix."""

        class Stray(BaseModel):
            x: int

        with pytest.raises(PolicyError, match=r"not a registered fact type.*register_fact_type"):
            facts(Stray)

    def test_unknown_name_lists_the_known_ones(self):
        """An unknown fact type name is refused with the registered names."""
        with pytest.raises(PolicyError, match=r"unknown fact type 'nope' \(known: .*tk_request"):
            facts("nope")

    def test_not_a_model_is_refused(self):
        """Something that is neither a name nor a model class is refused."""
        with pytest.raises(PolicyError, match="registered name or a pydantic model"):
            facts(42)  # type: ignore[arg-type]

    def test_unknown_override_field_is_named(self):
        """Fixing a field the model does not have names the field and the known ones."""
        with pytest.raises(PolicyError, match=r"no field 'minutes'.*minutes_late"):
            facts(Request, minutes=3)

    def test_undrawable_field_asks_for_a_strategy(self):
        """A field type with no strategy is named, and an override makes it drawable."""

        class Blob:
            pass

        @register_fact_type(name="tk_blob")
        class WithBlob(BaseModel):
            model_config = {"arbitrary_types_allowed": True}
            blob: Blob

        with pytest.raises(PolicyError, match=r"cannot draw WithBlob.blob .*blob=st"):
            facts(WithBlob)

        @settings(max_examples=5, database=None)
        @given(facts(WithBlob, blob=st.builds(Blob)))
        def run(fact):
            assert isinstance(fact.blob, Blob)

        run()
