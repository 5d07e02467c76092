"""Domain facts read local clocks and dates in their site time zone, never in a value's offset."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from csrules.domain import CallbackTask

MINUS_FIVE = timezone(timedelta(hours=-5))


def callback(**fields: Any) -> CallbackTask:
    """A callback task for a customer resting 12:00-14:00 Beijing time."""
    base: dict[str, Any] = {
        "customer": "C1",
        "created_at": datetime(2026, 3, 5, 9, tzinfo=UTC),
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
