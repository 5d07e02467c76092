"""A customer's rest hours are local clock times in the task's zone: one written with a UTC
offset is refused naming the field, never silently read as the zone's clock."""

from __future__ import annotations

from typing import Any

import pytest

from csrules import FactError
from csrules.domain import CallbackTask
from csrules.policies import load_pack
from tests.columnar_support import assert_same

TASK = {"customer": "C1", "created_at": "2026-03-10T09:00:00+08:00",
        "called_at": "2026-03-10T23:00:00+08:00"}


class TestRestHourOffsets:
    """Rest hours with an offset."""

    @pytest.mark.parametrize("field", ["rest_from", "rest_to"])
    def test_an_offset_is_refused_naming_the_field(self, field: str) -> None:
        """22:00+00:00 (or 06:00+00:00) is a FactError naming the field, by the engine and the model."""
        fact: dict[str, Any] = {**TASK, "rest_from": "22:00", "rest_to": "06:00"}
        fact[field] += "+00:00"
        with pytest.raises(FactError, match=field):
            load_pack("call_centre").engine().evaluate(fact, fact_type="callback_task")
        with pytest.raises(ValueError, match=f"{field} is a local clock time"):
            CallbackTask.model_validate(fact)

    def test_local_rest_hours_unchanged(self) -> None:
        """Rest hours without an offset are read on the zone's clock: 23:00 Beijing is within 22:00-06:00."""
        task = CallbackTask.model_validate({**TASK, "rest_from": "22:00", "rest_to": "06:00"})
        assert task.during_rest

    def test_columnar_audit_refuses_the_same_rows(self) -> None:
        """An audit reports the row with an offset invalid, as the row engine does, and judges the rest."""
        facts = [{**TASK, "rest_from": "22:00", "rest_to": "06:00"},
                 {**TASK, "rest_from": "22:00+00:00", "rest_to": "06:00+00:00"}]
        assert_same(load_pack("call_centre").engine(), "callback_task", facts, columnar=False)
