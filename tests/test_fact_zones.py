"""Domain facts read local clocks and dates in their site time zone, never in a value's offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import find, given, settings
from pydantic import ValidationError

from csrules import Duty
from csrules._testing.strategies import ZONE_NAMES, fact_dicts
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.domain import CallbackTask, LeaveRequest
from csrules.domain.facts import in_rest_hours
from csrules.policies import pack_names
from csrules.testing import facts

MINUS_FIVE = timezone(timedelta(hours=-5))


def callback(**fields: Any) -> CallbackTask:
    """A callback task for a customer resting 12:00-14:00 Beijing time."""
    base: dict[str, Any] = {
        "customer": "C1",
        "created_at": datetime(2026, 3, 5, 0, tzinfo=UTC),
        "rest_from": time(12),
        "rest_to": time(14),
    }
    return CallbackTask(**{**base, **fields})


class TestPlannedCallback:
    """planned_at is judged against the rest hours exactly as called_at is."""

    def test_planned_inside_rest_hours(self) -> None:
        """A callback planned for 13:00 Beijing, written in UTC, is planned during rest."""
        task = callback(planned_at=datetime(2026, 3, 5, 5, tzinfo=UTC))
        assert task.planned_during_rest is True

    def test_planned_outside_rest_hours(self) -> None:
        """A callback planned for 15:00 Beijing is not planned during rest."""
        task = callback(planned_at=datetime(2026, 3, 5, 7, tzinfo=UTC))
        assert task.planned_during_rest is False

    def test_no_plan_is_not_during_rest(self) -> None:
        """Without a planned time nothing is planned during rest."""
        assert callback().planned_during_rest is False


class TestCallbackZone:
    """during_rest reads the called time in the task's site zone."""

    @pytest.mark.parametrize(
        "called",
        [
            datetime(2026, 3, 5, 13, tzinfo=timezone(timedelta(hours=8))),
            datetime(2026, 3, 5, 5, tzinfo=UTC),
            datetime(2026, 3, 5, 0, tzinfo=MINUS_FIVE),
        ],
    )
    def test_same_instant_same_answer(self, called: datetime) -> None:
        """The 13:00 Beijing call is during rest whatever offset it is written with."""
        assert callback(called_at=called).during_rest is True

    def test_site_zone_is_a_parameter(self) -> None:
        """A site in New York reads 13:00 UTC as 08:00, outside 12:00-14:00 rest hours."""
        task = callback(called_at=datetime(2026, 3, 5, 13, tzinfo=UTC), time_zone="America/New_York")
        assert task.during_rest is False

    def test_unknown_zone_is_refused(self) -> None:
        """An unknown zone name is refused with a message naming it."""
        with pytest.raises(ValidationError, match="Mars/Base"):
            callback(time_zone="Mars/Base")


class TestLeaveZone:
    """Leave requests read the request's clock and dates in the site zone."""

    def leave(self, requested_at: datetime, **fields: Any) -> LeaveRequest:
        """A night-shift leave request starting 22:00 Beijing on 10 March."""
        return LeaveRequest(
            agent_id="A01",
            kind="personal",
            requested_by="A01",
            start=datetime(2026, 3, 10, 14, tzinfo=UTC),
            end=datetime(2026, 3, 10, 22, tzinfo=UTC),
            requested_at=requested_at,
            **fields,
        )

    @pytest.mark.parametrize(
        "offset", [UTC, MINUS_FIVE, timezone(timedelta(hours=8))], ids=["utc", "minus-5", "plus-8"]
    )
    def test_clock_and_lead_days_ignore_the_offset(self, offset: timezone) -> None:
        """13:00 Beijing on the shift day is 13:00, zero days ahead, and the shift is one day of leave."""
        fact = self.leave(datetime(2026, 3, 10, 5, tzinfo=UTC).astimezone(offset))
        assert fact.requested_clock == time(13)
        assert fact.request_lead_days == 0
        assert fact.days == 1.0  # 22:00-06:00 Beijing: one night shift, though it touches two dates

    def test_site_zone_changes_the_reading(self) -> None:
        """On London clocks the same request is at 05:00 on the same date."""
        fact = self.leave(datetime(2026, 3, 10, 5, tzinfo=UTC), time_zone="Europe/London")
        assert fact.requested_clock == time(5)


class TestDefaultsAgree:
    """The default zone is the zone of the built-in packs and of duties."""

    def test_packs_declare_the_default_zone(self) -> None:
        """Every built-in pack's timezone is the zone facts and rules default to."""
        for name in pack_names():
            manifest = yaml.safe_load(
                resources.files("csrules.policies").joinpath(name, "pack.yaml").read_text(encoding="utf-8")
            )
            assert manifest["timezone"] == DEFAULT_TIME_ZONE, name

    def test_duty_dates_default_to_beijing(self) -> None:
        """A duty naming no zone falls due at the end of the 22nd in Beijing."""
        duty = Duty(owner="lead", title={"en": "Report", "zh": "報告"}, recurrence="monthly by the 22nd")
        due = duty.next_due(datetime(2026, 1, 1, tzinfo=UTC))
        assert due.astimezone(ZoneInfo("Asia/Shanghai")).date() == date(2026, 1, 22)
        assert due.utcoffset() == timedelta(hours=8)


class TestStrategies:
    """The shipped strategies draw valid zoned facts and never draw derived fields."""

    def test_no_derived_field_is_drawn(self) -> None:
        """Dictionaries drawn for a fact leave its derived fields to the model."""
        data = find(fact_dicts(CallbackTask), lambda d: True, settings=settings(database=None))
        assert "during_rest" not in data
        assert "planned_during_rest" not in data
        assert data["time_zone"] in ZONE_NAMES

    @settings(max_examples=20, deadline=None, database=None, derandomize=True)
    @given(facts("callback_task"))
    def test_drawn_facts_are_valid(self, fact: Any) -> None:
        """Every drawn callback task names a known zone and agrees with its derived fields."""
        assert fact.time_zone in ZONE_NAMES
        assert fact.during_rest == in_rest_hours(fact.called_at, fact.rest_from, fact.rest_to, ZoneInfo(fact.time_zone))
