"""Fact models for the command-line and document tests (imported with --import)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

import csrules


@csrules.register_fact_type(name="cli_leave")
class CliLeave(BaseModel):
    """A leave request, as a host application might model it."""

    kind: Literal["personal", "special", "sick"] = Field(title="the leave", json_schema_extra={"zh": "假别"})
    requested_at: AwareDatetime = Field(title="requested at", json_schema_extra={"zh": "申请时间"})
    starts_at: AwareDatetime = Field(title="the shift start", json_schema_extra={"zh": "班次开始时间"})
    days: float = Field(title="days", json_schema_extra={"zh": "天数"})
    manager_approved: bool = Field(default=False, title="manager approved", json_schema_extra={"zh": "经理已批准"})
    note: str | None = None


@csrules.register_fact_type(name="cli_order")
class CliOrder(BaseModel):
    """A work order that escalates while it stays open."""

    opened_at: AwareDatetime = Field(title="opened at", json_schema_extra={"zh": "开单时间"})
    resolved: bool = False
    amount: float = 0
