"""Escalation and role readings fixed: ladder times are shown in the order's zone, never in
the offset its opening was written with."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules.domain.escalation import EscalationLadder
from csrules.exceptions import CalendarError
from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
WRITINGS = (OPENED, OPENED.astimezone(timezone.utc), OPENED.astimezone(timezone(timedelta(hours=-5))))


class TestLadderTimesInTheOrdersZone:
    """One instant written in +08:00, Z or -05:00 gives the same ladder times, written the same way."""

    @pytest.mark.parametrize("hours", [1, 30, 80])
    def test_same_text_for_every_writing(self, hours: int) -> None:
        """Each step time is shown in the policy's zone, whatever offset the opening was written in."""
        ladder = EscalationLadder.from_policy(load_pack("call_centre").policy("call_centre.work_order"))
        shown = {
            (p.since.isoformat(), p.next_at.isoformat() if p.next_at else None)
            for p in (ladder.position(opened, opened + timedelta(hours=hours)) for opened in WRITINGS)
        }
        assert len(shown) == 1
        (since, _), = shown
        assert since.endswith("+08:00")

    def test_order_zone_wins(self) -> None:
        """An order's own zone is where its times are shown."""
        ladder = EscalationLadder.from_policy(load_pack("call_centre").policy("call_centre.work_order"))
        position = ladder.position(OPENED, OPENED + timedelta(hours=1), time_zone="Europe/London")
        assert position.next_at is not None
        assert position.next_at.isoformat() == "2026-03-11T01:00:00+00:00"

    def test_unknown_zone_is_refused(self) -> None:
        """A ladder zone that is no IANA name is refused, naming it."""
        with pytest.raises(CalendarError, match="Mars/Base"):
            EscalationLadder("agent", (), zone="Mars/Base")
