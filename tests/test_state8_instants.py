"""A session stores the facts it keeps as instants: one fact written in +08:00, Z or -05:00
gives one stored state, one checksum and one answer at the tick."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

import pytest
from pydantic import AwareDatetime, BaseModel

import csrules
from csrules._sessions import SessionEngine
from tests.test_session_support import BACKENDS, WorkOrder, at, engine

NEW_YORK = timezone(timedelta(hours=-5))
WRITINGS: list[Callable[[datetime], datetime]] = [
    lambda moment: moment,
    lambda moment: moment.astimezone(UTC),
    lambda moment: moment.astimezone(NEW_YORK),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def stored_and_ticked(backend: str, written: Callable[[datetime], datetime]) -> tuple[dict, str, list]:
    """A work order opened (times written by ``written``), its export, and the tick after 24 h."""
    s = engine(backend).session("agent-1")
    opened = written(at(1))
    s.send(WorkOrder(order_id="wo-1", status="open", opened_at=opened), now=opened)
    exported = s.export()
    ticked = s.tick(written(at(2, 10)))
    return exported, exported["checksum"], [(f.rule_id, f.due.isoformat()) for f in ticked.firings]


class TestStoredFactsAreInstants:
    def test_one_instant_one_stored_state(self, backend: str) -> None:
        """The open item's stored fact, the document's checksum and the tick agree across offsets."""
        seen = [stored_and_ticked(backend, written) for written in WRITINGS]
        assert all(found == seen[0] for found in seen[1:])
        assert seen[0][2] == [("shift-lead", "2026-01-02T09:00:00+08:00")]

    def test_restore_gives_the_state_back_whole(self, backend: str) -> None:
        """An exported session restored and exported again is the same document, field for field."""
        exported, _, _ = stored_and_ticked(backend, WRITINGS[2])
        again = engine(backend).restore(json.dumps(exported)).export()
        assert again == exported


class Handoff(BaseModel):
    """One hand-over of a ticket."""

    to: str
    at: AwareDatetime


@csrules.register_fact_type(name="state8_ticket")
class Ticket(BaseModel):
    """A ticket with its hand-overs (times nested in a list of models)."""

    ticket_id: str
    status: Literal["open", "closed"]
    opened_at: AwareDatetime
    handoffs: list[Handoff] = []


def ticket_engine() -> SessionEngine:
    policy = csrules.Policy(id="tickets", version="1", title="tickets", fact_type="state8_ticket", rules=[
        {"id": "late", "title": "open a day", "then": [{"type": "escalation", "to": "shift_lead"}],
         "when": {"kind": "still_open", "key": "ticket_id", "since": "opened_at", "after": "24h",
                  "closed": {"kind": "compare", "path": "status", "op": "==", "value": "closed"}}}])
    return SessionEngine([policy], backend="python")


class TestNestedInstants:
    def test_times_inside_lists_of_models_are_stored_as_instants(self) -> None:
        """A hand-over time nested in the fact is stored alike whatever offset it was written in."""
        stored = []
        for written in WRITINGS:
            s = ticket_engine().session("t")
            ticket = Ticket(ticket_id="T1", status="open", opened_at=written(at(1)),
                            handoffs=[Handoff(to="A02", at=written(at(1, 10)))])
            s.send(ticket, now=written(at(1, 11)))
            stored.append(s.export())
        assert all(doc == stored[0] for doc in stored[1:])
        (item,) = next(iter(stored[0]["state"]["i"].values())).values()
        assert item["f"]["handoffs"][0]["at"] == "2026-01-01T10:00:00+08:00"
