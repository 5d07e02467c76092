"""A shift is checked once, however it is built, and its problems stay calendar errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, model_validator

from csrules._time.shifts import Shift
from csrules.exceptions import CalendarError


class _CountedShift(Shift):
    """A shift whose own check (after the shift's) counts its runs."""

    runs: ClassVar[list[str]] = []

    @model_validator(mode="after")
    def _counted(self) -> _CountedShift:
        self.runs.append(self.name)
        return self


class _Rota(BaseModel):
    shift: _CountedShift


BUILDS: list[Callable[[dict[str, Any]], Shift]] = [
    lambda data: _CountedShift(**data),
    _CountedShift.model_validate,
    lambda data: _Rota.model_validate({"shift": data}).shift,
    lambda data: _CountedShift.model_validate_json(
        '{"name": "%s", "start": "%s", "end": "%s"}' % (data["name"], data["start"], data["end"])),  # noqa: UP031
]


class TestShiftChecks:
    """Each way of building a shift runs its checks once."""

    @pytest.mark.parametrize("build", BUILDS)
    def test_checked_once(self, build: Callable[[dict[str, Any]], Shift]) -> None:
        """Built directly, by model_validate, as a nested field or from JSON, a shift's checks run once."""
        _CountedShift.runs.clear()
        shift = build({"name": "late", "start": "16:00", "end": "00:50"})
        assert shift.length.total_seconds() == 31800
        assert _CountedShift.runs == ["late"]

    @pytest.mark.parametrize("build", [*BUILDS[:2], BUILDS[3], Shift.model_validate])
    def test_errors_are_calendar_errors(self, build: Callable[[dict[str, Any]], Shift]) -> None:
        """An empty shift is a CalendarError naming it, built any way but as a field of a host's own model
        (whose pydantic error then quotes the same message)."""
        with pytest.raises(CalendarError, match="shift 'x' starts and ends at 08:00"):
            build({"name": "x", "start": "08:00", "end": "08:00"})

    def test_bad_time_is_a_calendar_error(self) -> None:
        """A time that is no time is a CalendarError naming the field, from model_validate too."""
        for build in (lambda data: Shift(**data), Shift.model_validate):
            with pytest.raises(CalendarError, match=r"invalid shift: start: "):
                build({"name": "x", "start": "8 o'clock", "end": "16:00"})
