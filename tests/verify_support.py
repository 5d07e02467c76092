"""What the verification regression tests share: the built-in packs' folder, a leave fact and
its time, and a leave policy planted with a holiday rule for the solver to find."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from csrules._policy.model import Policy

POLICIES = Path(__import__("csrules.policies").policies.__file__).parent
FACT = {
    "agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
    "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00",
    "requested_by": "A01", "shift_start": "2026-03-02T08:30:00+08:00",
}
NOW = datetime.fromisoformat("2026-03-01T09:00:00+08:00")


def holiday_policy(kind: str = "on_holiday") -> Policy:
    """A leave policy asking the head's approval when the shift starts on a holiday (day off)."""
    return Policy.model_validate({
        "id": "planted", "version": "1", "title": "planted", "fact_type": "leave_request",
        "rules": [{
            "id": "holiday", "title": "holiday",
            "when": {"kind": kind, "path": "shift_start", "calendar": "china"},
            "then": [{"type": "approval", "role": "department_head"}],
            "examples": [{"fact": FACT, "now": NOW.isoformat(), "expect": []}],
        }],
    })
