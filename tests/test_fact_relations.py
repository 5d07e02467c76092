"""Fact strategies honour the relations a model declares between its fields (``__relations__``).

Fields drawn one by one break a model's checks across fields in almost every draw (a leave's
first shift outside the leave, an end before its start); drawn in dependency order, within
what the fields drawn before allow, every draw is a fact the model accepts.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import find, given, settings
from pydantic import AwareDatetime, BaseModel, Field, model_validator

import csrules
from csrules import PolicyError
from csrules._testing.strategies import fact_dicts

importlib.import_module("csrules.domain")
SHIPPED = sorted(n for n, m in csrules.registered_fact_types().items() if m.__module__ == "csrules.domain.facts")


class Booking(BaseModel):
    """A host's own model declaring the relations its validator checks."""

    start: AwareDatetime
    end: AwareDatetime
    seats: int = Field(ge=1, le=50)
    taken: int = Field(ge=0)
    confirmed: bool = False
    confirmed_at: AwareDatetime | None = None
    __relations__ = (
        ("end", ">", "start"),
        ("taken", "<=", "seats"),
        ("confirmed_at", "if", "confirmed"),
        ("confirmed_at", "<", "start"),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Booking:
        if self.end <= self.start:
            raise ValueError("end before start")
        if self.taken > self.seats:
            raise ValueError("more taken than seats")
        if self.confirmed_at is not None and (not self.confirmed or self.confirmed_at >= self.start):
            raise ValueError("confirmed_at contradicts confirmed or start")
        return self


def test_every_shipped_fact_type_is_declared() -> None:
    """The shipped models are found (a rename would make the checks below vacuous)."""
    assert {"leave_request", "attendance_record", "work_order", "shift_swap", "order"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_models_accept_every_drawn_fact(name: str) -> None:
    """No dictionary drawn for a built-in fact type is refused by its model: none is filtered away."""
    model = csrules.get_fact_type(name)

    @settings(max_examples=60)
    @given(fact_dicts(model))
    def run(data: dict[str, object]) -> None:
        model.model_validate(data)

    run()


@settings(max_examples=60)
@given(fact_dicts(Booking))
def test_a_hosts_declared_relations_hold_in_every_draw(data: dict[str, object]) -> None:
    """A host's model declaring its relations gets valid facts by construction too."""
    Booking.model_validate(data)


@settings(max_examples=40)
@given(fact_dicts(csrules.get_fact_type("leave_request"), start=datetime(2026, 3, 5, 8, 30, tzinfo=UTC)))
def test_a_fixed_field_anchors_the_fields_related_to_it(data: dict[str, object]) -> None:
    """A field the caller fixes is the one the related fields are drawn around."""
    csrules.get_fact_type("leave_request").model_validate(data)


def test_draws_shrink_to_the_boundary_of_a_relation() -> None:
    """The smallest draw lies on the relation's edge (end one second after start), so draws reach it."""
    smallest = find(fact_dicts(Booking), lambda data: True, settings=settings(database=None))
    assert smallest["end"] - smallest["start"] == timedelta(seconds=1)
    assert smallest["taken"] == 0


def test_a_gated_field_is_drawn_on_both_sides_of_its_gate() -> None:
    """A field given only with its flag is found given (flag true) and left out."""
    given_one = find(fact_dicts(Booking), lambda d: d["confirmed_at"] is not None, settings=settings(database=None))
    assert given_one["confirmed"] is True
    found = find(fact_dicts(Booking), lambda d: d["confirmed"] and d["confirmed_at"] is None,
                 settings=settings(database=None))
    assert found["confirmed_at"] is None


@pytest.mark.parametrize(
    ("relations", "message"),
    [
        ((("finish", ">", "start"),), r"Bad.__relations__ entry .*'finish'.*no field 'finish'"),
        ((("end", "after", "start"),), r"unknown op 'after'"),
        ((("end", ">", 3),), r"source is a field path or a tuple"),
        ((("end", "if", "start"),), r"end is required"),
        ((("end", ">", "start"), ("start", "<", "end")), r"in a circle: end, start"),
    ],
)
def test_a_wrong_declaration_is_named(relations: tuple[tuple[object, ...], ...], message: str) -> None:
    """A relation naming no field, an unknown op, or relations reading each other are refused by name."""

    class Bad(BaseModel):
        start: AwareDatetime
        end: AwareDatetime
        __relations__ = relations

    with pytest.raises(PolicyError, match=message):
        fact_dicts(Bad)
