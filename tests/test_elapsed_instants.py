"""elapsed measures real time between instants, also across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from csrules import Engine, Policy
from csrules.domain import EscalationLadder, LadderStep, SlaPolicy, SlaTicket
from tests.test_conditions import holds, one_rule, thing

NEW_YORK = ZoneInfo("America/New_York")
# 2026-03-08 02:00 New York clocks jump to 03:00: this wall-clock day lasts 23 real hours.
BEFORE = datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)
AFTER = datetime(2026, 3, 8, 12, tzinfo=NEW_YORK)


class TestElapsedAcrossDst:
    """Two datetimes sharing one ZoneInfo are compared as instants, not wall clocks."""

    def test_spring_forward_day_is_23_hours(self) -> None:
        """Noon to noon over the spring-forward night is less than 24 h, on both paths."""
        engine = one_rule({"kind": "elapsed", "since": "at", "until": "until", "op": "<", "duration": "24h"})
        assert holds(engine, thing(at=BEFORE, until=AFTER)) is True

    def test_real_24_hours_is_24_hours(self) -> None:
        """Exactly 24 real hours later (13:00 wall clock) is not less than 24 h."""
        engine = one_rule({"kind": "elapsed", "since": "at", "until": "until", "op": "<", "duration": "24h"})
        later = (BEFORE.astimezone(UTC) + timedelta(hours=24)).astimezone(NEW_YORK)
        assert later.hour == 13
        assert holds(engine, thing(at=BEFORE, until=later)) is False

    @pytest.mark.parametrize("now_zone", [NEW_YORK, UTC])
    def test_since_until_now(self, now_zone: ZoneInfo) -> None:
        """Against now, the span is real time too, whichever zone now is written in."""
        engine = one_rule({"kind": "elapsed", "since": "at", "op": ">=", "duration": "24h"})
        assert holds(engine, thing(at=BEFORE), now=AFTER.astimezone(now_zone)) is False

    def test_trace_shows_the_real_span(self) -> None:
        """The explaining trace records 23 hours as the elapsed time."""
        engine = one_rule({"kind": "elapsed", "since": "at", "until": "until", "op": "<", "duration": "24h"})
        node = engine.evaluate(thing(at=BEFORE, until=AFTER), now=AFTER).trace.for_rule("r").condition
        assert node.values["elapsed"] == timedelta(hours=23)


class TestSlaClockAcrossDst:
    """SLA clock time without a calendar is real time between instants."""

    def test_spring_forward_night_lasts_seven_hours(self) -> None:
        """Midnight to 08:00 New York on 8 March 2026 is 7 real hours of resolution time."""
        policy = SlaPolicy(targets={"urgent": {"resolution": "8h"}})
        ticket = SlaTicket(ticket_id="T", priority="urgent", created_at=datetime(2026, 3, 8, tzinfo=NEW_YORK))
        (clock,) = policy.clocks(ticket, now=datetime(2026, 3, 8, 8, tzinfo=NEW_YORK))
        assert clock.elapsed == timedelta(hours=7)
        assert not clock.breached


class TestDueTimesAcrossDst:
    """An obligation due a clock duration after a field is due that much real time later."""

    def test_due_24_hours_after_is_24_real_hours(self) -> None:
        """24 h after noon before the spring-forward night is 13:00 the next day in New York."""
        engine = Engine(
            Policy(
                id="p",
                version="1",
                title="t",
                fact_type="core_thing",
                rules=[
                    {
                        "id": "r",
                        "title": "r",
                        "when": {"kind": "is_set", "path": "at"},
                        "then": [
                            {
                                "type": "obligation",
                                "action": "reply",
                                "who": "agent",
                                "due": {"after": "24h", "since": "at"},
                            }
                        ],
                    }
                ],
            )
        )
        (obligation,) = engine.evaluate(thing(at=BEFORE), now=BEFORE).obligations
        assert obligation.due is not None
        assert obligation.due.astimezone(UTC) - BEFORE.astimezone(UTC) == timedelta(hours=24)
        assert obligation.due.astimezone(NEW_YORK).hour == 13


class TestDomainClocksAcrossDst:
    """The escalation ladder and SLA warnings count real hours."""

    def test_ladder_step_after_24_real_hours(self) -> None:
        """Noon to noon over the spring-forward night is 23 h: the 24 h step is not yet reached."""
        ladder = EscalationLadder("agent", (LadderStep(timedelta(hours=24), "shift_lead"),))
        position = ladder.position(BEFORE, AFTER)
        assert position.owner_role == "agent"
        assert position.next_at is not None
        assert position.next_at.astimezone(UTC) - BEFORE.astimezone(UTC) == timedelta(hours=24)

    def test_sla_breach_is_real_hours_after_now(self) -> None:
        """An 8 h target from midnight before the jump breaches at 09:00 New York, 8 real hours on."""
        policy = SlaPolicy(targets={"urgent": {"resolution": "8h"}})
        created = datetime(2026, 3, 8, tzinfo=NEW_YORK)
        ticket = SlaTicket(ticket_id="T", priority="urgent", created_at=created)
        (clock,) = policy.clocks(ticket, now=created)
        assert clock.breach_at is not None
        assert clock.breach_at.astimezone(UTC) - created.astimezone(UTC) == timedelta(hours=8)
