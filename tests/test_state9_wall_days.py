"""A session deadline written in days falls on the wall clock of the policy's zone: "3 days"
from 09:00 on the Friday before the clocks change is 09:00 on the Monday, whatever the number
of hours between. Hours stay elapsed time, and a zone with no clock changes reads both alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import csrules
from csrules._sessions import SessionEngine
from csrules.domain import ComplaintStep, complaint_lifecycle
from tests.test_session_support import BACKENDS, WorkOrder

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def open_orders(after: str, zone: str) -> csrules.Policy:
    return csrules.Policy(
        id="open-orders", version="1", title="open orders", fact_type="sess_work_order", timezone=zone,
        rules=[{"id": "late", "title": f"open after {after}", "then": [{"type": "escalation", "to": "shift_lead"}],
                "when": {"kind": "still_open", "key": "order_id", "since": "opened_at", "after": after,
                         "closed": {"kind": "compare", "path": "status", "op": "==", "value": "closed"}}}])


def escalated_at(backend: str, after: str, zone: ZoneInfo, opened: datetime, ticks: list[datetime]) -> list[str]:
    """The tick times (UTC) at which the open order escalates, and the due time it names."""
    s = SessionEngine([open_orders(after, zone.key)], backend=backend).session("desk")
    s.send(WorkOrder(order_id="wo-1", status="open", opened_at=opened), now=opened)
    found = []
    for moment in ticks:
        for firing in s.tick(moment).firings:
            found.append(f"{moment.astimezone(UTC):%d %H:%M} due {firing.due.isoformat()}")
    return found


class TestStillOpen:
    @pytest.mark.parametrize(("after", "opened", "ticks", "due"), [
        # London, Fri 27 Mar 2026 09:00 GMT + 3d is Mon 30 Mar 09:00 BST (71 h later), not 10:00
        ("3d", datetime(2026, 3, 27, 9, tzinfo=LONDON), [(30, 7, 59), (30, 8, 30)],
         "30 08:30 due 2026-03-30T09:00:00+01:00"),
        # London, Fri 23 Oct 2026 09:00 BST + 3d is Mon 26 Oct 09:00 GMT (73 h later)
        ("3d", datetime(2026, 10, 23, 9, tzinfo=LONDON), [(26, 8, 30), (26, 9, 30)],
         "26 09:30 due 2026-10-26T09:00:00+00:00"),
        # 72h is 72 hours of elapsed time across the change (10:00 BST on the Monday)
        ("72h", datetime(2026, 3, 27, 9, tzinfo=LONDON), [(30, 8, 30), (30, 9, 30)],
         "30 09:30 due 2026-03-30T10:00:00+01:00"),
    ], ids=["days-across-spring-forward", "days-across-fall-back", "hours-stay-elapsed"])
    def test_days_are_wall_days_and_hours_elapsed(self, backend: str, after: str, opened: datetime,
                                                   ticks: list[tuple[int, int, int]], due: str) -> None:
        """A deadline in days falls at the same London wall-clock time; one in hours is elapsed time."""
        month = opened.month
        instants = [datetime(2026, month, day, hour, minute, tzinfo=UTC) for day, hour, minute in ticks]
        assert escalated_at(backend, after, LONDON, opened, instants) == [due]

    def test_shanghai_days_are_elapsed_days(self, backend: str) -> None:
        """No clock changes in Shanghai: 3d is exactly 72 hours."""
        opened = datetime(2026, 3, 27, 9, tzinfo=SHANGHAI)
        ticks = [opened + timedelta(hours=72), opened + timedelta(hours=72, microseconds=1)]
        assert escalated_at(backend, "3d", SHANGHAI, opened, ticks) == [
            f"{ticks[1].astimezone(UTC):%d %H:%M} due 2026-03-30T09:00:00+08:00"]

    def test_restored_state_keeps_the_wall_clock_due_time(self, backend: str) -> None:
        """The next due time stored with the state is the wall-clock one: a restored session
        fires at 08:30 UTC on the Monday."""
        engine = SessionEngine([open_orders("3d", "Europe/London")], backend=backend)
        s = engine.session("desk")
        opened = datetime(2026, 3, 27, 9, tzinfo=LONDON)
        s.send(WorkOrder(order_id="wo-1", status="open", opened_at=opened), now=opened)
        restored = engine.restore(json.dumps(s.export()))
        assert [f.rule_id for f in restored.tick(datetime(2026, 3, 30, 8, 30, tzinfo=UTC)).firings] == ["late"]


class TestLifecycle:
    def test_reply_due_in_three_wall_days(self, backend: str) -> None:
        """A complaint registered Fri 27 Mar 09:00 in London is due a reply Mon 30 Mar 09:00 BST,
        breached at 09:30 BST."""
        engine = SessionEngine([open_orders("3d", "Europe/London")], lifecycles=[complaint_lifecycle()],
                               backend=backend)
        s = engine.session("c-1")
        registered = s.send(ComplaintStep(event="register", complainant="Ms Li"),
                            now=datetime(2026, 3, 27, 9, tzinfo=LONDON))
        (obligation,) = registered.obligations
        assert obligation.due.isoformat() == "2026-03-30T09:00:00+01:00"
        assert s.tick(datetime(2026, 3, 30, 8, 30, tzinfo=UTC)).effect_keys == ("violation:CMP-4",)

    def test_shanghai_reply_due_in_72_hours(self, backend: str) -> None:
        """In Shanghai the reply is due exactly 72 hours after registering."""
        s = SessionEngine(lifecycles=[complaint_lifecycle()], backend=backend).session("c-1")
        registered = s.send(ComplaintStep(event="register", complainant="Ms Li"),
                            now=datetime(2026, 3, 27, 9, tzinfo=SHANGHAI))
        (obligation,) = registered.obligations
        assert obligation.due == datetime(2026, 3, 27, 9, tzinfo=SHANGHAI) + timedelta(hours=72)


class TestStoredBefore:
    def test_a_state_stored_when_days_were_elapsed_time_loads(self, backend: str) -> None:
        """A London session stored before days were read on the wall clock (its next due time
        72 elapsed hours on, its engine text without the days part) loads and fires at the
        wall-clock due time; it used to be refused as inconsistent."""
        from csrules._sessions.state import seal

        engine = SessionEngine([open_orders("3d", "Europe/London")], backend=backend)
        s = engine.session("desk")
        opened = datetime(2026, 3, 27, 9, tzinfo=LONDON)
        s.send(WorkOrder(order_id="wo-1", status="open", opened_at=opened), now=opened)
        doc = s.export()
        doc.pop("checksum")
        doc["engine"] = ",".join(part for part in doc["engine"].split(",") if not part.startswith("days="))
        doc["state"]["nd"] += 3_600_000_000  # the due time then: an hour later
        restored = engine.restore(seal(doc))
        assert [f.rule_id for f in restored.tick(datetime(2026, 3, 30, 8, 30, tzinfo=UTC)).firings] == ["late"]
