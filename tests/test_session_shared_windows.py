"""Windows with one definition but other parameter values are not shared between policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import csrules
from csrules._sessions import SessionEngine
from tests.test_session_support import BACKENDS, Greeting


def _policy(pid: str, words: list[str]) -> csrules.Policy:
    """A policy counting greetings that use one of ``words`` (a parameter), twice a month."""
    said = {"kind": "contains", "path": "opening", "param": "words"}
    data: dict[str, Any] = {
        "id": pid, "version": "1.0", "fact_type": "sess_greeting",
        "title": {"en": "words", "zh": "用語"},
        "params": {"words": {"type": "str_list", "default": words}},
        "rules": [
            {"id": "twice", "title": "twice a month",
             "when": {"kind": "all", "of": [said, {"kind": "count", "match": said,
                                                   "window": {"calendar": "month"}, "op": ">=", "value": 2}]},
             "then": [{"type": "violation", "code": pid, "message": "said it twice"}]},
            {"id": "in-a-row", "title": "twice in a row",
             "when": {"kind": "in_a_row", "match": said, "times": 2},
             "then": [{"type": "violation", "code": f"{pid}-row", "message": "twice in a row"}]},
        ],
    }
    return csrules.Policy.model_validate(data)


class TestParameterValuesKeepWindowsApart:
    """Two policies whose counted events differ only by a parameter's value."""

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_each_policy_counts_its_own_events(self, backend: str) -> None:
        """Saying 喂 twice breaks the 喂 policy only; the 哈囉 policy counts nothing."""
        engine = SessionEngine([_policy("wei", ["喂"]), _policy("hello", ["哈囉"])], backend=backend)
        start = datetime(2026, 3, 2, 9, tzinfo=UTC)
        codes: list[str] = []
        with engine.session("A01") as session:
            for minute in range(2):
                fact = Greeting(agent="A01", at=start + timedelta(minutes=minute), opening="喂，你好")
                result = session.send(fact, now=fact.at)
                codes.extend(v.code for v in result.violations)
        assert sorted(codes) == ["wei", "wei-row"]

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_equal_values_still_share(self, backend: str) -> None:
        """Two policies with equal values both count every matching greeting."""
        engine = SessionEngine([_policy("one", ["喂"]), _policy("two", ["喂"])], backend=backend)
        start = datetime(2026, 3, 2, 9, tzinfo=UTC)
        codes: list[str] = []
        with engine.session("A01") as session:
            for minute in range(2):
                fact = Greeting(agent="A01", at=start + timedelta(minutes=minute), opening="喂")
                codes.extend(v.code for v in session.send(fact, now=fact.at).violations)
        assert sorted(codes) == ["one", "one-row", "two", "two-row"]
