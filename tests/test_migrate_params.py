"""Migration fingerprints hash every parameter a counted condition reads, nested ones too."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from csrules._policy.kinds.time import TimeOfDay
from csrules._sessions.migrate import _param_parts


class TestNestedParameters:
    """A clock's ``param`` inside ``time_of_day`` decides which events count."""

    def test_clock_parameter_hashed(self) -> None:
        """Retuning ``cutoff`` changes the fingerprint part of the window reading it."""
        cond = TimeOfDay.model_validate({"kind": "time_of_day", "path": "at", "op": "<", "time": {"param": "cutoff"}})
        before: Any = SimpleNamespace(param_values={"cutoff": "09:00"})
        after: Any = SimpleNamespace(param_values={"cutoff": "10:00"})
        assert set(_param_parts([cond], before)) == {"$cutoff"}
        assert _param_parts([cond], before) != _param_parts([cond], after)
