"""Regression tests of the fixes to SLA clocks, dated targets, lifecycles and the testing tools."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from csrules.domain.china import china_calendar
from csrules.domain.slas import SlaPolicy, SlaTicket
from csrules.exceptions import CalendarError

Z = ZoneInfo("Asia/Shanghai")


class TestSlaClockTime:
    """A clock-time target counts real time even when the policy has a calendar."""

    def test_clock_target_counts_real_time_beside_business_targets(self) -> None:
        """An urgent 1h first reply read 16.5 real hours later (over a weekend evening) is breached."""
        policy = SlaPolicy(
            targets={"urgent": {"first_reply": "1h"}, "normal": {"first_reply": "8 business hours"}},
            calendar=china_calendar(years=[2026]),
        )
        ticket = SlaTicket(ticket_id="T1", priority="urgent", created_at=datetime(2026, 3, 6, 17, 30, tzinfo=Z))
        clock = policy.clocks(ticket, now=datetime(2026, 3, 7, 10, 0, tzinfo=Z))[0]
        assert (clock.elapsed, clock.breached) == (timedelta(hours=16, minutes=30), True)

    def test_business_target_still_counts_working_time(self) -> None:
        """A normal 8 business hours first reply over the same span counts only working time."""
        policy = SlaPolicy(targets={"normal": {"first_reply": "8 business hours"}},
                           calendar=china_calendar(years=[2026]))
        ticket = SlaTicket(ticket_id="T2", priority="normal", created_at=datetime(2026, 3, 6, 17, 30, tzinfo=Z))
        clock = policy.clocks(ticket, now=datetime(2026, 3, 7, 10, 0, tzinfo=Z))[0]
        assert clock.elapsed < timedelta(hours=1)


class TestSlaCalendarEnd:
    """A business-time clock reaching the end of the calendar's data refuses, naming the year."""

    def test_clock_after_last_working_hour_of_the_data_refuses(self) -> None:
        """Read at 18:30 on the last day the calendar covers, the clock raises naming 2027."""
        policy = SlaPolicy(targets={"normal": {"resolution": "8 business hours"}},
                           calendar=china_calendar(years=[2026]))
        ticket = SlaTicket(ticket_id="T3", priority="normal", created_at=datetime(2026, 12, 31, 14, tzinfo=Z))
        with pytest.raises(CalendarError, match="2027"):
            policy.clocks(ticket, now=datetime(2026, 12, 31, 18, 30, tzinfo=Z))
