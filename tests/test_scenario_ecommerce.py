"""E-commerce leave (002 第二則 二 1: 如有特殊事宜請假需要提前一天和主管申請)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
SHOP = load_pack("ecommerce").engine()


def leave(kind: str, asked: str) -> dict[str, Any]:
    """A day-shift leave of ``kind`` on 2 March 2026, asked at ``asked`` (Beijing)."""
    return {
        "agent_id": "E01",
        "kind": kind,
        "requested_by": "E01",
        "start": "2026-03-02T08:30:00+08:00",
        "end": "2026-03-02T16:30:00+08:00",
        "requested_at": datetime.fromisoformat(asked).replace(tzinfo=CST).isoformat(),
    }


def judge(fact: dict[str, Any]) -> tuple[tuple[str, ...], list[str]]:
    """Violated rules and approver roles of a leave request, judged when it is asked."""
    decision = SHOP.evaluate(fact, fact_type="leave_request", now=datetime.fromisoformat(fact["requested_at"]))
    return tuple(v.rule_id for v in decision.violations), [a.role for a in decision.approvals]


class TestLeaveADayAhead:
    """Personal leave is asked of the CS supervisor at least a day ahead."""

    def test_evening_before_is_too_late(self) -> None:
        """Asked at 20:00 for 08:30 the next day: ATT-1, and the supervisor approves."""
        assert judge(leave("personal", "2026-03-01 20:00")) == (("ATT-1.one-day-ahead",), ["cs_supervisor"])

    def test_exactly_a_day_ahead_is_on_time(self) -> None:
        """Asked 24 hours ahead: only the supervisor's approval."""
        assert judge(leave("personal", "2026-03-01 08:30")) == ((), ["cs_supervisor"])
        assert judge(leave("personal", "2026-03-01 08:31"))[0] == ("ATT-1.one-day-ahead",)

    def test_sick_leave_has_no_notice(self) -> None:
        """Sick leave asked the same morning is not late, and still goes to the supervisor."""
        assert judge(leave("sick", "2026-03-02 07:00")) == ((), ["cs_supervisor"])


class TestNightAgentStays:
    """晚班客服…如還有客戶在咨詢,接待客服工作自動延長: the night agent stays, the day agent hands over."""

    def test_day_agent_leaving_on_time_is_clean(self) -> None:
        """A day agent leaving at 16:30 with a customer still served breaks no ATT-12 rule."""
        shift = {"agent_id": "E01", "shift": "day", "start": "2026-03-10T08:30:00+08:00",
                 "end": "2026-03-10T16:30:00+08:00", "customer_in_service_at_end": True,
                 "left_at": "2026-03-10T16:30:00+08:00"}
        assert SHOP.evaluate(shift, fact_type="shift_assignment").rule_ids == ()

    def test_night_agent_leaving_at_midnight_is_flagged(self) -> None:
        """A night agent leaving at 00:00 with a customer still served breaks ATT-12.night-stays."""
        shift = {"agent_id": "E02", "shift": "night", "night": True, "start": "2026-03-10T16:00:00+08:00",
                 "end": "2026-03-11T00:00:00+08:00", "customer_in_service_at_end": True,
                 "left_at": "2026-03-11T00:00:00+08:00"}
        assert SHOP.evaluate(shift, fact_type="shift_assignment").rule_ids == ("ATT-12.night-stays",)
