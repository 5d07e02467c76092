"""Regression tests for wrong answers found in review (sessions and records lane)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules.domain.complaint import ComplaintStep
from csrules.exceptions import TimeError
from csrules.policies import load_pack

CHINA = timezone(timedelta(hours=8))
OFFSETS = [8, 0, -5]


def _written_in(instant: datetime, hours: int) -> datetime:
    """``instant`` written with the offset ``hours``."""
    return instant.astimezone(timezone(timedelta(hours=hours)))


def _order(opened: datetime) -> dict[str, str]:
    """A work order opened at ``opened``, written in its offset."""
    return {"order_id": "W1", "opened_at": opened.isoformat(), "first_handler": "A01", "owner": "A01"}


class TestSessionTimesInTheFactZone:
    """Times a session shows are written in the fact's zone, not in the offset of an event or now."""

    @pytest.mark.parametrize("hours", OFFSETS)
    def test_deadline_firing_due_written_alike(self, hours: int) -> None:
        """One stream written in +08:00, Z or -05:00 shows its firing and obligation due times alike."""
        engine = load_pack("call_centre").sessions(backend="python")
        opened = _written_in(datetime(2026, 3, 2, 9, tzinfo=CHINA), hours)
        engine.send("desk-1", _order(opened), fact_type="work_order", now=opened)
        result = engine.tick("desk-1", _written_in(datetime(2026, 3, 3, 9, 1, tzinfo=CHINA), hours))
        shown = [(f.rule_id, f.due.isoformat() if f.due else None,
                  [e.due.isoformat() for e in f.effects if getattr(e, "due", None) is not None])
                 for f in result.firings]
        assert shown == [("ESC-2.open-shift-lead", "2026-03-03T09:00:00+08:00", ["2026-03-04T09:00:00+08:00"])]

    @pytest.mark.parametrize("hours", OFFSETS)
    def test_lifecycle_due_times_written_alike(self, hours: int) -> None:
        """The complaint lifecycle's reply obligation and its breach show their due time alike in every offset."""
        complaint = load_pack("call_centre").sessions(backend="python").session("complaint-1")
        registered = datetime(2026, 3, 10, 9, tzinfo=CHINA)
        sent = complaint.send(ComplaintStep(event="register", complainant="Ms Li"),
                              now=_written_in(registered, hours))
        breached = complaint.tick(_written_in(registered + timedelta(days=3, hours=1), hours))
        assert [o.due.isoformat() for o in sent.obligations if o.due is not None] == ["2026-03-13T09:00:00+08:00"]
        assert [f.due.isoformat() for f in breached.firings if f.due is not None] == ["2026-03-13T09:00:00+08:00"]

    @pytest.mark.parametrize("hours", OFFSETS)
    def test_clock_in_time_error_written_alike(self, hours: int) -> None:
        """Time going backwards names the session's clock in the policies' zone."""
        engine = load_pack("call_centre").sessions(backend="python")
        opened = datetime(2026, 3, 2, 9, tzinfo=CHINA)
        engine.send("desk-1", _order(opened), fact_type="work_order", now=opened)
        with pytest.raises(TimeError, match=r"clock 2026-03-02T09:00:00\+08:00"):
            engine.tick("desk-1", _written_in(opened - timedelta(hours=1), hours))
