"""Fact models the core tests judge (registered under ``core_*`` names)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from csrules import register_fact_type


class Sub(BaseModel):
    """A nested object, optional on its parent."""

    m: int
    label: str | None = None


@register_fact_type(name="core_thing")
class Thing(BaseModel):
    """Every value kind the condition language compares."""

    # the host's explicit choice, which registration keeps: the engine's tests judge NaN and infinity
    model_config = ConfigDict(allow_inf_nan=True)

    n: int
    x: float | None = None
    kind: Literal["a", "b", "c"]
    flag: bool
    text: str
    lines: list[str] = Field(default_factory=list)
    at: AwareDatetime
    until: AwareDatetime | None = None
    sub: Sub | None = None
    id: str = "t-1"


@register_fact_type(name="core_leave")
class Leave(BaseModel):
    """A small leave request."""

    kind: Literal["personal", "special", "sick"]
    requested_at: AwareDatetime
    starts_at: AwareDatetime
    days: float = Field(title="days requested", json_schema_extra={"zh": "请假天数"})
    manager_approved: bool = False
    certificate: str | None = None
