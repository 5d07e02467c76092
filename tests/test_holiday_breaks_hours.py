"""A holiday break's weekend days are holidays whatever hours the desk keeps: they come from the
civil weekend (Saturday and Sunday), not from the weekdays a calendar has no hours for."""

from __future__ import annotations

from datetime import date

import pytest

from csrules._testing.boundaries.time import _days_near
from csrules.time import china_calendar

HOURS = {
    "mon-fri": {"mon-fri": "09:00-18:00"},
    "mon-sat": {"mon-sat": "09:00-18:00"},
    "every day": {"mon-sun": "09:00-18:00"},
}


class TestBreaksAndHours:
    """Golden Week 2025 (1-8 October, with Saturday 4 and Sunday 5 inside it) on three desks."""

    @pytest.mark.parametrize("desk", sorted(HOURS))
    def test_weekend_days_inside_the_break_are_holidays(self, desk: str) -> None:
        """Saturday 4 and Sunday 5 October are holidays on a desk open five, six or seven days."""
        calendar = china_calendar(years=[2025], hours=HOURS[desk])
        assert [calendar.is_holiday(date(2025, 10, day)) for day in range(1, 10)] == [True] * 8 + [False]

    @pytest.mark.parametrize("desk", sorted(HOURS))
    def test_weekend_days_worked_in_exchange_stay_working(self, desk: str) -> None:
        """Sunday 28 September and Saturday 11 October, worked in exchange (调休), are no holidays."""
        calendar = china_calendar(years=[2025], hours=HOURS[desk])
        assert not calendar.is_holiday(date(2025, 9, 28))
        assert not calendar.is_holiday(date(2025, 10, 11))


class TestProbesFollowBreaks:
    """Boundary probes name a break's real edges, its weekend days included."""

    def test_labels_agree_with_the_calendar(self) -> None:
        """Each day probed as a holiday's first or last day is a holiday, each day before or after is
        not (Dragon Boat 2026: Friday 19 to Sunday 21 June; May Day: 1 to 5 May)."""
        calendar = china_calendar(years=[2026])
        probes = _days_near(calendar, date(2026, 6, 17))
        edges = {(day, what) for day, _, what in probes if what.endswith("day of a holiday")}
        assert {(date(2026, 6, 19), "first day of a holiday"), (date(2026, 6, 21), "last day of a holiday"),
                (date(2026, 5, 1), "first day of a holiday"), (date(2026, 5, 5), "last day of a holiday")} <= edges
        for day, _, what in probes:
            if what in ("first day of a holiday", "last day of a holiday"):
                assert calendar.is_holiday(day), (day, what)
            if what in ("day before a holiday", "day after a holiday"):
                assert not calendar.is_holiday(day), (day, what)
