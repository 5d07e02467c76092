"""A holiday break's weekend days are holidays whatever hours the desk keeps: they come from the
civil weekend (Saturday and Sunday), not from the weekdays a calendar has no hours for."""

from __future__ import annotations

from datetime import date

import pytest

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
