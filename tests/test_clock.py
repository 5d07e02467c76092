"""The one clock reader and the one daily-window test, and the places that use them."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from csrules import TimeSpan
from csrules._policy.kinds.time import _WindowTest
from csrules._time.clock import clock_seconds, in_daily_window, parse_clock, window_micros
from csrules.domain.facts import in_rest_hours
from csrules.exceptions import CalendarError

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOWS = [(time(21), time(7)), (time(9), time(18)), (time(8), time(8)), (time(0), time(23, 59, 59))]
CLOCKS = [
    time(0), time(6, 59, 59), time(7), time(8), time(9),
    time(17, 59), time(18), time(20, 59), time(21), time(23, 59, 59),
]


def _expected(clock: time, start: time, end: time) -> bool:
    """The definition, spelt out: inside [start, end) on one day, or across midnight."""
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


class TestClockReader:
    @pytest.mark.parametrize(("text", "seconds"), [("9:30", 34200), (" 09:30:15 ", 34215), ("0:00", 0)])
    def test_reads_hours_minutes_and_seconds(self, text, seconds):
        """Both "H:MM" and "HH:MM:SS" read as seconds after midnight."""
        assert clock_seconds(text) == seconds

    def test_24_00_only_where_allowed(self):
        """24:00 ends working hours but is not a time of day."""
        assert clock_seconds("24:00", allow_24=True) == 86400
        with pytest.raises(CalendarError):
            clock_seconds("24:00")
        with pytest.raises(ValueError, match="a time of day must read like"):
            parse_clock("24:00")

    def test_working_hours_and_conditions_read_alike(self):
        """A calendar's hours and a condition's clock read the same text the same way."""
        span = TimeSpan.parse("9:05-18:00")
        clock = parse_clock("9:05")
        assert span.start == clock.hour * 3600 + clock.minute * 60


class TestDailyWindow:
    def test_agrees_with_the_definition(self):
        """Every listed clock against every listed window, including an empty one."""
        for start, end in WINDOWS:
            for clock in CLOCKS:
                assert in_daily_window(clock, start, end) is _expected(clock, start, end), (clock, start, end)

    def test_window_length_wraps_midnight(self):
        """21:00-07:00 lasts ten hours; 08:00-08:00 none."""
        assert window_micros(time(21), time(7)) == 10 * 3600 * 1_000_000
        assert window_micros(time(8), time(8)) == 0

    def test_rest_hours_and_within_hours_use_it(self):
        """in_rest_hours and the within_hours test answer as the window does, in the zone."""
        test = _WindowTest(SHANGHAI)
        for hour in range(24):
            instant = datetime(2026, 1, 5, hour, tzinfo=UTC)
            local = instant.astimezone(SHANGHAI).time()
            want = _expected(local, time(21), time(7))
            assert in_rest_hours(instant, time(21), time(7), SHANGHAI) is want
            assert test(instant, time(21), time(7)) is want

    def test_rest_hours_still_accept_a_naive_instant(self):
        """A naive instant is read as before (system local time), not refused."""
        assert isinstance(in_rest_hours(datetime(2026, 1, 5, 12), time(21), time(7), SHANGHAI), bool)
