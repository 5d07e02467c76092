"""Call-centre work orders for the escalation tests: one opened on 10 March 09:00, and its hand-offs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
RESOLVED = OPENED + timedelta(hours=72)


def order(**values: Any) -> dict[str, Any]:
    """A registered call-centre work order opened on 10 March 09:00, held by its first handler."""
    return {"order_id": "W1", "opened_at": OPENED.isoformat(), "first_handler": "A01", "owner": "A01",
            "complainant": "Ms Li", "content": "line down", **values}


def step(hours: float, role: str) -> dict[str, Any]:
    """A hand-off ``hours`` after opening to ``role``, with its chase record."""
    return {"at": (OPENED + timedelta(hours=hours)).isoformat(), "to_role": role, "chase_record": "ticket 4411"}
