"""Recurring duties done after their due time are late (001 客服部會議制度, 質檢員, 主任, 衛生管理制度)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
PACK = load_pack("call_centre")
CC = PACK.engine()
OWNERS = {duty.id: duty.duty.owner for duty in PACK.duties}  # each record names its duty's owner (ROLE-1.duty-owner)
DUE = datetime(2026, 3, 20, 23, 59, 59, tzinfo=CST)  # the Friday before the 25th, end of day
NOW = datetime(2026, 3, 30, 9, tzinfo=CST)


def violations(duty: str, done: datetime | None) -> tuple[str, ...]:
    """The rule ids a ``duty`` occurrence due at DUE and done at ``done`` breaks, judged at NOW."""
    fact = {"duty": duty, "owner": OWNERS[duty], "due_at": DUE.isoformat()}
    if done is not None:
        fact["done_at"] = done.isoformat()
    return tuple(v.rule_id for v in CC.evaluate(fact, fact_type="duty_record", now=NOW).violations)


class TestLateIsNotOnTime:
    """A duty done after its due time breaks the rule as a missed one does; one done in time does not."""

    @pytest.mark.parametrize(
        ("duty", "rule"),
        [
            ("DUTY-1.all-agent-meeting", "DUTY-1.meetings"),
            ("DUTY-3.weekly-summary", "DUTY-3.reports"),
            ("DUTY-4.weekly-rollup", "DUTY-4.weekly-rollup"),
            ("DUTY-5.clean-leaves", "DUTY-5.cleaning"),
            ("DUTY-2.quality-report", "DUTY-2.shift-lead-reports"),
        ],
    )
    def test_done_late_missed_and_on_time(self, duty: str, rule: str) -> None:
        """Done a day late or never: violation; done a second before the due time: none."""
        assert violations(duty, DUE + timedelta(days=1)) == (rule,)
        assert violations(duty, None) == (rule,)
        assert violations(duty, DUE - timedelta(seconds=1)) == ()
        assert violations(duty, DUE) == ()
