"""An event audit refuses a naive end of period up front, and an event at the calendar's
ends on its own row, replaying the other events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import pytest

from csrules.audit import AuditError, audit_events
from csrules.policies import load_pack


def _call(started_at: str) -> dict[str, Any]:
    return {"call_id": "C1", "agent_id": "M01", "started_at": started_at, "duration": "PT1M", "agent_lines": ["喂？"]}


class TestEventTimes:
    """Times an event audit cannot replay are named, never a traceback."""

    def test_naive_until_is_refused(self) -> None:
        """until without an offset is refused naming until, before anything is replayed."""
        with pytest.raises(AuditError, match=r"until must be a date-time with an offset or a zone"):
            audit_events(load_pack("mall"), [_call("2026-03-01T10:00:00+08:00")], fact_type="call_record",
                         time="started_at", workers=1, until=datetime(2026, 4, 1))

    @pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-08:00"])
    def test_event_at_the_calendars_ends(self, edge: str) -> None:
        """The event at the calendar's end is an invalid row naming started_at; the next event is judged."""
        found = pl.from_arrow(audit_events(load_pack("mall"), [_call(edge), _call("2026-03-02T10:00:00+08:00")],
                                           fact_type="call_record", time="started_at", workers=1))
        assert isinstance(found, pl.DataFrame)
        rows = found.select("row", "effect", "field", "message").rows()
        assert rows[0] == (1, "invalid", "started_at",
                           "a date-time too near the ends of the calendar (years 1 and 9999) to reckon with")
        assert [effect for row, effect, _, _ in rows if row == 2] == ["violation"]
