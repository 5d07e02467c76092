"""A session stores the facts it keeps as instants: one fact written in +08:00, Z or -05:00
gives one stored state, one checksum and one answer at the tick."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

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
