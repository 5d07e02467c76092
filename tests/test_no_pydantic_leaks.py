"""Every policy object a user builds reports bad input as a csrules error, whichever way it is
built: ``Model(...)``, ``model_validate``, ``model_validate_json`` or ``model_validate_strings``.
pydantic's own ``ValidationError`` never reaches the caller."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

import csrules
from csrules.domain import RoleCatalogue, SlaPolicy
from csrules.exceptions import CsrulesError

# (model, a value that is wrong for it, a word the message must contain)
CASES: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (csrules.Policy, {"id": "p", "version": "1", "title": "t", "fact_type": "leave_request", "rules": 3}, "rules"),
    (RoleCatalogue, {"roles": [{"id": "a", "title": "x"}]}, "roles[0].title"),
    (SlaPolicy, {"targets": {"urgent": {"first_reply": "soon"}}}, "soon"),
    (csrules.BusinessCalendar, {"timezone": "Asia/Shanghai", "workdays": "weekdays"}, "workdays"),
    (csrules.ShiftPattern, {"timezone": "Asia/Shanghai", "shifts": 7}, "shifts"),
    (csrules.Duty, {"id": "d", "owner": "agent", "recurrence": 5}, "recurrence"),
]


def _ids(case: tuple[type[BaseModel], dict[str, Any], str]) -> str:
    return case[0].__name__


class TestNoPydanticLeaks:
    """Bad input to a policy object is a located csrules error."""

    @pytest.mark.parametrize("case", CASES, ids=_ids)
    @pytest.mark.parametrize("way", ["call", "model_validate", "model_validate_json", "model_validate_strings"])
    def test_every_way_of_building_raises_a_csrules_error(self, case: Any, way: str) -> None:
        """Each way of building the object raises a csrules error naming the field."""
        model, data, word = case
        build = {
            "call": lambda: model(**data),
            "model_validate": lambda: model.model_validate(data),
            "model_validate_json": lambda: model.model_validate_json(json.dumps(data)),
            "model_validate_strings": lambda: model.model_validate_strings(data),
        }[way]
        # pydantic's ValidationError is no CsrulesError: a leak fails this test
        with pytest.raises(CsrulesError) as caught:
            build()
        assert word in str(caught.value)
