"""Session internals: kind and effect tables cover every kind, and stored records keep their format."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from csrules._policy.kinds.base import condition_classes
from csrules._policy.kinds.window import WINDOW_KINDS
from csrules._sessions.backends.durable import PATTERNS
from csrules._sessions.program import DEADLINE_KINDS, WINDOW_SLOTS
from csrules._sessions.state import LifecycleStatus, OpenItem
from csrules.domain import ComplaintStep
from tests.test_session_support import BACKENDS, WorkOrder, at, engine

ITEM: dict[str, Any] = {"k": "w1", "s": 1_767_225_600_000_000, "f": {"order_id": "w1"},
                        "x": ["esc-2/shift-lead"], "o": 3}
STATUS: dict[str, Any] = {"st": "intake", "at": 1_767_225_600_000_000,
                          "d": {"reply": {"due": 1_767_484_800_000_000, "b": False}}}


class TestKindTables:
    """The session's kind tables name only registered kinds and cover every window kind."""

    def test_durable_patterns_name_registered_kinds(self) -> None:
        """Every kind durable translates natively is a registered condition kind."""
        kinds = {cls.model_fields["kind"].default for cls in condition_classes()}
        assert set(PATTERNS) <= kinds

    def test_window_kinds_are_slots_or_deadlines(self) -> None:
        """Each window kind is kept per event (a slot) or decided at ticks, never both."""
        assert set(WINDOW_SLOTS) | DEADLINE_KINDS == WINDOW_KINDS
        assert not set(WINDOW_SLOTS) & DEADLINE_KINDS


class TestRecords:
    """Typed values translate to and from the stored records without loss."""

    def test_open_item_round_trip(self) -> None:
        """An item record loads and dumps back to the same record."""
        item = OpenItem.load(ITEM)
        assert (item.key, item.since_us, item.fired, item.opened) == (
            "w1", ITEM["s"], ("esc-2/shift-lead",), 3)
        assert item.dump() == ITEM

    def test_lifecycle_status_round_trip(self) -> None:
        """A lifecycle record loads and dumps back to the same record."""
        status = LifecycleStatus.load(STATUS)
        assert status.deadlines["reply"].breached is False
        assert status.dump() == STATUS


@pytest.mark.parametrize("backend", BACKENDS)
class TestStoredFormat:
    """The exported state keeps its short keys (export format 2)."""

    def test_items_and_lifecycles_keep_their_keys(self, backend: str) -> None:
        """Open items, lifecycle statuses and deadlines are stored with their short keys."""
        s = engine(backend).session("s")
        s.send(WorkOrder(order_id="w1", status="open", opened_at=at(2)), now=at(2))
        s.send(ComplaintStep(event="register", complainant="Ms Li"), now=at(2))
        s.tick(at(2) + timedelta(hours=25))
        state = s.export()["state"]
        (items,) = state["i"].values()
        assert set(items['"w1"']) == {"k", "s", "f", "x", "o"}
        assert items['"w1"']["x"] == ["esc-2/shift-lead"]
        (status,) = state["l"].values()
        assert set(status) == {"st", "at", "d"}
        assert set(status["d"]["reply"]) == {"due", "b"}
