"""SlaPolicy.measure: one span's clock, as the pack targets use it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules._time.registry import get_calendar
from csrules.domain.slas import Pause, SlaPolicy, SlaTicket
from csrules.exceptions import PolicyError, TimeError

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=CST)


class TestMeasure:
    """A clock over a given span."""

    def test_running_clock_gives_breach_and_warning_instants(self) -> None:
        """A running 4 h clock read after 1 h has its breach and 80 % warning ahead."""
        policy = SlaPolicy(targets={"normal": {"resolution": "4h"}})
        clock = policy.measure("resolution", T0, None, now=T0 + timedelta(hours=1), priority="normal")
        assert clock.breach_at == T0 + timedelta(hours=4)
        assert clock.next_warning_at == T0 + timedelta(hours=2)
        assert clock.fact(sla="X-1.t").sla == "X-1.t"

    def test_matches_the_ticket_clock(self) -> None:
        """Measuring a ticket's resolution span equals the ticket's own resolution clock."""
        policy = SlaPolicy(targets={"normal": {"resolution": "4h"}})
        now = T0 + timedelta(hours=5)
        ticket = SlaTicket(ticket_id="t", priority="normal", created_at=T0)
        (from_ticket,) = policy.clocks(ticket, now=now)
        measured = policy.measure("resolution", T0, None, now=now, priority="normal", ticket_id="t")
        assert measured == from_ticket

    def test_pause_stops_the_clock(self) -> None:
        """A pause still open at now stops the clock and its due instants."""
        policy = SlaPolicy(targets={"normal": {"first_reply": "1h"}})
        pauses = (Pause(start=T0 + timedelta(minutes=30)),)
        clock = policy.measure("first_reply", T0, None, now=T0 + timedelta(hours=2), priority="normal", pauses=pauses)
        assert clock.paused
        assert clock.elapsed == timedelta(minutes=30)
        assert clock.breach_at is None

    def test_business_target_counts_working_time(self) -> None:
        """A 1 business day target started on Friday is missed on Monday, not Saturday."""
        policy = SlaPolicy(targets={"": {"resolution": "1 business day"}}, calendar=get_calendar("china"))
        friday = datetime(2026, 1, 9, 10, 0, tzinfo=CST)
        clock = policy.measure("resolution", friday, None, now=friday + timedelta(days=1), priority="")
        assert not clock.breached
        assert clock.breach_at == datetime(2026, 1, 12, 10, 0, tzinfo=CST)

    def test_unknown_priority_and_naive_now_are_refused(self) -> None:
        """A priority without that target, or a naive now, raises a clear error."""
        policy = SlaPolicy(targets={"normal": {"resolution": "4h"}})
        with pytest.raises(PolicyError, match="no first_reply target for priority 'normal'"):
            policy.measure("first_reply", T0, None, now=T0, priority="normal")
        with pytest.raises(TimeError, match="time zone"):
            policy.measure("resolution", T0, None, now=T0.replace(tzinfo=None), priority="normal")
