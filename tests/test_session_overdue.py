"""An item sent already overdue fires on that send, with the due time it had, on both
backends; a send of a later time than its deadline never waits for the next tick."""

from __future__ import annotations

from datetime import timedelta

import pytest

from csrules.sessions import SessionEngine
from tests.test_session_support import BACKENDS, WorkOrder, at, engine


def _keyed(result: object) -> list[tuple[str, object]]:
    """Each firing's rule and due time."""
    return [(f.rule_id, f.due) for f in result.firings]  # type: ignore[attr-defined]


class TestOverdueOnSend:
    """An item opened with a deadline already behind ``now`` fires at once."""

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_fires_on_the_send(self, backend: str) -> None:
        """Opened 30 hours before it is sent, the 24-hour escalation fires on the send, due at 24 h."""
        e = engine(backend)
        t0 = at(5)
        sent = e.session("desk").send(WorkOrder(order_id="o1", status="open", opened_at=t0),
                                      now=t0 + timedelta(hours=30))
        assert _keyed(sent) == [("shift-lead", t0 + timedelta(hours=24))]
        assert sent.firings[0].cause == "tick"
        assert e.session("desk").tick(t0 + timedelta(hours=31)).firings == ()
        later = e.session("desk").tick(t0 + timedelta(hours=49))
        assert _keyed(later) == [("manager", t0 + timedelta(hours=48))]

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_both_rungs_in_due_order(self, backend: str) -> None:
        """Sent 50 hours late, both rungs fire on the send in due order; nothing is left for a tick."""
        e = engine(backend)
        t0 = at(5)
        sent = e.session("desk").send(WorkOrder(order_id="o1", status="open", opened_at=t0),
                                      now=t0 + timedelta(hours=50))
        assert _keyed(sent) == [("shift-lead", t0 + timedelta(hours=24)), ("manager", t0 + timedelta(hours=48))]
        assert e.export("desk")["state"]["nd"] is None
        assert dict(e.tick_due(t0 + timedelta(days=9))) == {}

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_exactly_at_the_deadline_waits(self, backend: str) -> None:
        """Sent exactly 24 hours after opening, nothing is breached yet (a deadline is met at its instant)."""
        e = engine(backend)
        t0 = at(5)
        sent = e.session("desk").send(WorkOrder(order_id="o1", status="open", opened_at=t0),
                                      now=t0 + timedelta(hours=24))
        assert sent.firings == ()
        assert _keyed(e.session("desk").tick(t0 + timedelta(hours=24, seconds=1))) == [
            ("shift-lead", t0 + timedelta(hours=24))]

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_without_now_the_clock_decides(self, backend: str) -> None:
        """A send without now judges the overdue item at the session's clock."""
        e = engine(backend)
        t0 = at(5)
        desk = e.session("desk")
        desk.tick(t0 + timedelta(hours=30))
        sent = desk.send(WorkOrder(order_id="o1", status="open", opened_at=t0))
        assert _keyed(sent) == [("shift-lead", t0 + timedelta(hours=24))]

    def test_same_as_a_tick_right_after(self) -> None:
        """The send's firings equal what a tick at the same instant fires after a timely send."""
        t0 = at(5)
        late = SessionEngine(engine("python").program.policies, backend="python")
        fired = late.session("s").send(WorkOrder(order_id="o1", status="open", opened_at=t0),
                                       now=t0 + timedelta(hours=30))
        timely = SessionEngine(engine("python").program.policies, backend="python")
        timely.session("s").send(WorkOrder(order_id="o1", status="open", opened_at=t0), now=t0)
        ticked = timely.session("s").tick(t0 + timedelta(hours=30))
        assert fired.firings == ticked.firings
        assert late.export("s")["state"]["i"] == timely.export("s")["state"]["i"]
