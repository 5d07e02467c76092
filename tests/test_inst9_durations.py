"""Durations are read exactly: ISO 8601's comma fraction is read, a length finer than a
microsecond is refused by name, a unit given twice is refused in every form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter

from csrules._time.durations import ClockDurationField, WallDuration, parse_clock_duration, parse_duration
from csrules.exceptions import DurationError

FACT: TypeAdapter[timedelta] = TypeAdapter(ClockDurationField)


class TestExactDurations:
    """Each text is the span it says, or a DurationError quoting it."""

    @pytest.mark.parametrize(("text", "delta"), [
        ("PT1,5H", timedelta(minutes=90)), ("P1,5D", timedelta(hours=36)), ("PT0,000001S", timedelta(microseconds=1)),
        ("PT1.5H", timedelta(minutes=90)), ("2.0000005min", timedelta(seconds=120, microseconds=30)),
        ("123456789.123456s", timedelta(seconds=123456789, microseconds=123456)),
    ])
    def test_read_exactly(self, text: str, delta: timedelta) -> None:
        """A policy and a fact read the span exactly, a comma fraction as ISO 8601 allows."""
        assert parse_duration(text) == WallDuration(delta)
        assert parse_clock_duration(text) == delta

    @pytest.mark.parametrize("text", ["1.000000001s", "0.0000005s", "PT0.0000001S", "PT1,0000000001S"])
    def test_finer_than_a_microsecond_is_refused(self, text: str) -> None:
        """1.000000001s is not read as 1s: refused, quoted, saying microseconds are the finest."""
        with pytest.raises(DurationError, match=rf"cannot read {text!r} as a duration: it is not a whole number "
                                                r"of microseconds"):
            parse_duration(text)
        with pytest.raises(ValueError, match="not a whole number of microseconds"):
            FACT.validate_python(text)

    @pytest.mark.parametrize("text", ["1h 1h", "1H 1h", "1h1h", "1 hour 60min 1h", "20min 5m", "1d 1 day"])
    def test_unit_twice_is_refused_as_written(self, text: str) -> None:
        """A unit given twice is refused, quoting the text as it was written."""
        with pytest.raises(DurationError, match=rf"cannot read {text!r} as a duration: it gives the unit"):
            parse_duration(text)

    @pytest.mark.parametrize("text", ["PT1H1H", "P1D1D", "1,5h"])
    def test_other_doubles_are_unreadable(self, text: str) -> None:
        """An ISO text repeating a part, and a comma outside ISO 8601, are not durations."""
        with pytest.raises(DurationError, match=rf"cannot read {text!r} as a duration; accepted forms"):
            parse_duration(text)
