"""Escalation and role readings fixed: ladder times are shown in the order's zone, never in
the offset its opening was written with; a company role catalogue's errors name their line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from csrules.domain.escalation import EscalationLadder
from csrules.exceptions import CalendarError, PolicyError
from csrules.policies import load_pack
from tests.company_support import company

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
WRITINGS = (OPENED, OPENED.astimezone(UTC), OPENED.astimezone(timezone(timedelta(hours=-5))))


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


ROLE = "  - id: {id}\n    title: {{en: A, zh: 甲}}\n    reports_to: {above}\n"


class TestRoleCatalogueErrorsNameTheirLine:
    """A company roles file's unknown superior, repeated id or reporting cycle is located at its entry."""

    @pytest.mark.parametrize(("entries", "line", "message"), [
        ((("floor_boss", "nobody"),), 4, "unknown role 'nobody'"),
        ((("floor_boss", "shift_lead"), ("floor_boss", "shift_lead")), 5, "repeated: floor_boss"),
        ((("aa", "bb"), ("bb", "aa")), 7, r"cycle through 'bb' \(aa -> bb -> aa\)"),
        ((("shift_lead", "agent"),), 4, "cycle through 'shift_lead'"),
    ])
    def test_line(self, tmp_path: Path, entries: tuple[tuple[str, str], ...], line: int, message: str) -> None:
        """The error carries the roles file and the line of the offending entry."""
        text = "roles:\n" + "".join(ROLE.format(id=role, above=above) for role, above in entries)
        with pytest.raises(PolicyError, match=message) as raised:
            load_pack(company(tmp_path, "roles: roles.yaml\n", roles__yaml=text))
        assert (Path(str(raised.value.file)).name, raised.value.line) == ("roles.yaml", line)
