"""Work orders on the time ladder (001 第二篇 二 首問負責,限時辦結) and daily desk duties (003 篇27)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
CC = load_pack("call_centre").engine()
ONLINE = load_pack("online_support").engine()
OPENED = datetime(2026, 3, 10, 9, tzinfo=CST)


def order(**fields: Any) -> dict[str, Any]:
    """A registered work order opened at OPENED by A01."""
    base = {"order_id": "W1", "opened_at": OPENED.isoformat(), "first_handler": "A01", "owner": "A01",
            "complainant": "Ms Li", "content": "line down"}
    return base | fields


def rules(fact: dict[str, Any], hours: float) -> tuple[str, ...]:
    """The rules with any effect on ``fact``, judged ``hours`` after opening."""
    return CC.evaluate(fact, fact_type="work_order", now=OPENED + timedelta(hours=hours)).rule_ids


class TestFirstHandler:
    """首問負責: passing an order to another agent is kicking the ball; the ladder upwards is not."""

    def test_escalated_to_the_shift_lead_is_not_kicking_the_ball(self) -> None:
        """After 24 h the shift lead holds the order: no ESC-1 violation."""
        step = {"at": (OPENED + timedelta(hours=24, minutes=1)).isoformat(), "to_role": "shift_lead",
                "chase_record": "ticket 4411"}
        fact = order(owner="L01", owner_role="shift_lead", escalations=[step])
        assert "ESC-1.first-handler" not in rules(fact, 25)

    def test_passed_to_another_agent_is_kicking_the_ball(self) -> None:
        """An order another agent holds breaks ESC-1."""
        assert "ESC-1.first-handler" in rules(order(owner="A02"), 1)


class TestClosedOrdersDoNotClimb:
    """A closed or archived order is finished (完結): it does not go up the ladder."""

    def test_closed_without_resolution_time(self) -> None:
        """A closed unfounded complaint judged 30 h and 50 h after opening escalates to nobody."""
        fact = order(status="closed", founded=False, answered_unfounded=True)
        assert not [r for r in rules(fact, 30) + rules(fact, 50) if r.startswith("ESC-2")]

    def test_open_order_still_climbs(self) -> None:
        """The same order still open goes to the shift lead after 24 h, the manager after 48 h."""
        assert "ESC-2.shift-lead" in rules(order(), 30)
        assert "ESC-2.department-manager" in rules(order(), 50)


class TestDeskDutiesDoneLate:
    """A daily desk duty done after its due time is late (003 篇27: 一定要及時回復)."""

    def test_answered_the_next_day_is_late(self) -> None:
        """Messages answered a day after the due time break DUTY-6; answered in time, nothing."""
        due = datetime(2026, 3, 10, 23, 59, 59, tzinfo=CST)
        now = due + timedelta(days=2)

        def judged(done: datetime) -> tuple[str, ...]:
            fact = {"duty": "DUTY-6.answer-messages", "owner": "agent", "due_at": due.isoformat(),
                    "done_at": done.isoformat()}
            return ONLINE.evaluate(fact, fact_type="duty_record", now=now).rule_ids

        assert judged(due + timedelta(days=1)) == ("DUTY-6.desk-start",)
        assert judged(due - timedelta(hours=1)) == ()
