"""Fact models, policies and helpers shared by the session tests (no tests here)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel

import csrules
from csrules._sessions import SessionEngine

CST = timezone(timedelta(hours=8))


def at(day: int, hour: int = 9, minute: int = 0, month: int = 1) -> datetime:
    """A time in January 2026 (or ``month``), China Standard Time."""
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


@csrules.register_fact_type(name="sess_greeting")
class Greeting(BaseModel):
    """How an agent opened a call."""

    agent: str
    at: AwareDatetime
    opening: str
    id: str | None = None  # a user field named id: durable's own identity field
    sid: str | None = None  # and durable's session id field


@csrules.register_fact_type(name="sess_shift")
class Shift(BaseModel):
    """A shift an agent worked; ``swapped`` when it was a swap."""

    agent: str
    at: AwareDatetime
    swapped: bool


@csrules.register_fact_type(name="sess_work_order")
class WorkOrder(BaseModel):
    """A work order's latest status."""

    order_id: str
    status: Literal["open", "closed"]
    opened_at: AwareDatetime
    priority: int = 1


CON1: dict[str, Any] = {
    "id": "con-1", "version": "1.0", "fact_type": "sess_greeting",
    "title": {"en": "Open with 您好, never 喂", "zh": "接聽用您好，不說喂"},
    "rules": [
        {"id": "correct", "title": "first time: corrected",
         "when": {"kind": "nth", "match": {"kind": "contains", "path": "opening", "phrases": ["喂"]},
                  "window": {"calendar": "month"}, "n": 1},
         "then": [{"type": "violation", "code": "CON-1", "severity": "notice",
                   "message": "said 喂", "consequence": "corrected"}]},
        {"id": "warn", "title": "second time: warned",
         "when": {"kind": "nth", "match": {"kind": "contains", "path": "opening", "phrases": ["喂"]},
                  "window": {"calendar": "month"}, "n": 2},
         "then": [{"type": "violation", "code": "CON-1", "severity": "minor",
                   "message": "said 喂 again", "consequence": "warned"}]},
        {"id": "fine", "title": "third time and later: fined",
         "when": {"kind": "nth", "match": {"kind": "contains", "path": "opening", "phrases": ["喂"]},
                  "window": {"calendar": "month"}, "n": 3, "or_later": True},
         "then": [{"type": "violation", "code": "CON-1", "severity": "major",
                   "message": "said 喂 a third time", "consequence": "fined"}]},
    ],
}

SWAP = {"kind": "compare", "path": "swapped", "op": "==", "value": True}

ATT9: dict[str, Any] = {
    "id": "att-9", "version": "1.0", "fact_type": "sess_shift",
    "title": {"en": "Shift swaps", "zh": "換班制度"},
    "params": {"max_swaps": {"type": "int", "default": 2, "min": 0}},
    "rules": [
        {"id": "too-many", "title": "at most {max_swaps} swaps a month",
         "when": {"kind": "all", "of": [
             SWAP,
             {"kind": "count", "match": SWAP, "window": {"calendar": "month"}, "op": ">",
              "param": "max_swaps"}]},
         "then": [{"type": "violation", "code": "ATT-9", "message": "more than {max_swaps} swaps this month"}]},
        {"id": "in-a-row", "title": "no consecutive swaps",
         "when": {"kind": "in_a_row", "match": SWAP, "times": 2},
         "then": [{"type": "violation", "code": "ATT-9", "message": "two swaps in a row"}]},
    ],
}

CLOSED = {"kind": "compare", "path": "status", "op": "==", "value": "closed"}

ESC2: dict[str, Any] = {
    "id": "esc-2", "version": "1.0", "fact_type": "sess_work_order",
    "title": {"en": "Time ladder", "zh": "限時辦結"},
    "params": {"first": {"type": "duration", "default": "24h"},
               "second": {"type": "duration", "default": "48h"}},
    "rules": [
        {"id": "shift-lead", "title": "open after {first}: shift lead",
         "when": {"kind": "still_open", "key": "order_id", "since": "opened_at", "param": "first",
                  "closed": CLOSED},
         "then": [{"type": "escalation", "to": "shift_lead"}]},
        {"id": "manager", "title": "open after {second}: department manager",
         "when": {"kind": "still_open", "key": "order_id", "since": "opened_at", "param": "second",
                  "closed": CLOSED},
         "then": [{"type": "escalation", "to": "department_manager"}]},
    ],
}


def policies() -> list[csrules.Policy]:
    """CON-1, ATT-9 and ESC-2 as policies."""
    return [csrules.Policy(**CON1), csrules.Policy(**ATT9), csrules.Policy(**ESC2)]


from csrules._sessions import available_backends  # noqa: E402

BACKENDS = [b for b in ("durable", "python") if b in available_backends()]


def engine(backend: str, **kwargs: Any) -> SessionEngine:
    """A session engine over CON-1, ATT-9 and ESC-2 (and the complaint lifecycle)."""
    from csrules.domain import complaint_lifecycle

    return SessionEngine(policies(), lifecycles=[complaint_lifecycle()], backend=backend, **kwargs)
