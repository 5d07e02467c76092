"""Time condition kinds naming no zone read clocks and dates in the default zone, never a value's offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from tests.test_offset_invariance import OFFSETS
from tests.test_time_kinds import holds, sh, trace_values

CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    (
        "before noon on the related date",
        {"kind": "time_of_day", "path": "at", "op": "<", "time": "12:00", "day_of": "other"},
        {"at": sh(2026, 1, 8, 11), "other": sh(2026, 1, 8, 22)},
        True,
    ),
    (
        "after 18:00 on its own date",
        {"kind": "time_of_day", "path": "at", "op": ">=", "time": "18:00"},
        {"at": sh(2026, 1, 8, 19)},
        True,
    ),
    (
        "before noon on a date field",
        {"kind": "time_of_day", "path": "at", "op": "<", "time": "12:00", "day_of": "day"},
        {"at": sh(2026, 1, 8, 11), "day": date(2026, 1, 8)},
        True,
    ),
    (
        "inside the rest hours",
        {"kind": "within_hours", "path": "at", "start": "12:00", "end": "14:00"},
        {"at": sh(2026, 1, 8, 13)},
        True,
    ),
    (
        "on the meeting date",
        {"kind": "recurring", "path": "at", "op": "==", "recurrence": "monthly on the Friday before the 25th"},
        {"at": sh(2026, 1, 23, 7)},
        True,
    ),
    (
        "after the report's due time",
        {"kind": "recurring", "path": "at", "op": ">", "recurrence": "monthly by the 22nd", "period_start": "other"},
        {"at": sh(2026, 1, 23, 0, 30), "other": sh(2026, 1, 1, 7)},
        True,
    ),
]


def moved(fact: dict[str, Any], offset: timezone) -> dict[str, Any]:
    """``fact`` with every datetime shown in ``offset``."""
    return {k: v.astimezone(offset) if isinstance(v, datetime) else v for k, v in fact.items()}


class TestNoZoneNamed:
    """Without tz, calendar or shifts, the answer depends only on the instants."""

    @pytest.mark.parametrize(("name", "when", "fact", "expected"), CASES, ids=[c[0] for c in CASES])
    def test_every_offset_gives_the_beijing_answer(
        self, name: str, when: dict[str, Any], fact: dict[str, Any], expected: bool
    ) -> None:
        """The condition holds as read in Beijing, whichever offset the fact is written in."""
        assert holds(when, **fact) is expected
        for offset in OFFSETS:
            assert holds(when, **moved(fact, offset)) is expected, f"{name} in {offset}"

    def test_cutoff_is_shown_in_the_zone_read(self) -> None:
        """The trace shows the cut-off in the zone it was read in, not in the value's offset."""
        when = {"kind": "time_of_day", "path": "at", "op": "<", "time": "12:00"}
        values = trace_values(when, at=datetime(2026, 1, 8, 3, tzinfo=UTC))
        assert values["cutoff"] == sh(2026, 1, 8, 12)
        assert values["cutoff"].utcoffset() == timedelta(hours=8)

    def test_named_zone_still_wins(self) -> None:
        """A rule naming tz reads clocks there: 13:00 UTC is 08:00 in New York, outside 12:00-14:00."""
        when = {"kind": "within_hours", "path": "at", "start": "12:00", "end": "14:00", "tz": "America/New_York"}
        assert not holds(when, at=datetime(2026, 1, 8, 13, tzinfo=UTC))
        assert holds({**when, "start": time(8), "end": time(9)}, at=datetime(2026, 1, 8, 13, tzinfo=UTC))
