"""The help desk's own fact model: a support ticket, registered as ``helpdesk_ticket``."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from csrules import register_fact_type


class Customer(BaseModel):
    """Who opened the ticket."""

    tier: Literal["standard", "vip"] = "standard"
    complaints_this_month: int = Field(default=0, ge=0, le=50)


@register_fact_type(name="helpdesk_ticket")
class Ticket(BaseModel):
    """A support ticket as the help desk stores it."""

    priority: Literal["low", "normal", "urgent"]
    channel: Literal["email", "phone", "chat"]
    opened_at: AwareDatetime
    first_reply_at: AwareDatetime | None = None
    reopen_count: int = Field(default=0, ge=0, le=20)
    customer: Customer = Field(default_factory=Customer)
    message: str = Field(default="", max_length=500)
