"""One converter turns pydantic's validation errors into csrules errors in every area."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args

import pytest

import csrules.typing
from csrules._lang import Lang
from csrules._time.durations import describe_timedelta
from csrules.domain import RoleCatalogue
from csrules.exceptions import CalendarError, PolicyError, StateError
from csrules.time import BusinessCalendar
from tests.test_session_support import engine
from tests.test_state_integrity import first, resealed


def _bad_item_fact(doc: dict[str, Any]) -> None:
    item = next(iter(first(doc, "i").values()))
    item["f"]["status"] = "lost"
    item["f"]["priority"] = "high"


class TestOneConverter:
    """Calendars, role catalogues and stored facts list every problem, located, the same way."""

    def test_role_catalogue_lists_every_problem(self) -> None:
        """A role catalogue names each refused field by its location, not only the first message."""
        with pytest.raises(PolicyError) as caught:
            RoleCatalogue(roles=[{"id": "Bad Id", "title": {"en": "A", "zh": "甲"}, "colour": "red"}])
        message = str(caught.value)
        assert message.startswith("invalid role catalogue: ")
        assert "roles[0].id: " in message
        assert "roles[0].colour: unknown field (got 'red')" in message

    def test_stored_fact_lists_every_problem(self) -> None:
        """A stored item's invalid fact names each refused field with the value refused."""
        with pytest.raises(StateError) as caught:
            engine("python").restore(resealed(_bad_item_fact))
        message = str(caught.value)
        assert "holds an invalid fact: status: " in message
        assert "(got 'lost')" in message
        assert "priority: " in message

    def test_calendar_locations_read_like_policy_locations(self) -> None:
        """A calendar's problem is located as ``field[index]``, the form policy errors use."""
        with pytest.raises(CalendarError, match=r"invalid business calendar: holidays\[1\]: .*\(got 'x'\)"):
            BusinessCalendar(timezone="Asia/Shanghai", hours={"mon": ["09:00-18:00"]}, holidays=["2026-01-01", "x"])


class TestOneLang:
    """The language type is defined once and used by every layer."""

    def test_public_alias_is_the_one(self) -> None:
        """``csrules.typing.Lang`` is the bottom-floor type, of English and Chinese."""
        assert csrules.typing.Lang is Lang
        assert get_args(Lang) == ("en", "zh")

    def test_durations_speak_both(self) -> None:
        """Durations describe themselves in each language of the type."""
        words = {lang: describe_timedelta(timedelta(hours=2), lang) for lang in get_args(Lang)}
        assert words["en"] != words["zh"]
