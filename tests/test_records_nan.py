"""A fact a record cannot keep whole (a NaN or infinite number) is refused, never written as null."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from csrules import Engine, RecordError
from csrules._policy.model import Policy
from csrules.records import JsonlLog
from tests.core_models import Thing

NOW = datetime(2026, 3, 1, tzinfo=UTC)
POLICY = Policy.model_validate({
    "id": "nan-check", "version": "1", "title": "not one", "fact_type": "core_thing",
    "rules": [{"id": "r1", "title": "x is not one", "when": {"kind": "compare", "path": "x", "op": "!=", "value": 1.0},
               "then": [{"type": "violation", "code": "R1", "message": "x is not one"}]}],
})


def _thing(x: float) -> Thing:
    return Thing(n=1, x=x, kind="a", flag=True, text="喂", at=NOW)


class TestNonFiniteFacts:
    """NaN and infinity have no JSON form."""

    @pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
    def test_record_refused_naming_the_field(self, x: float) -> None:
        """``record()`` raises a RecordError naming the field and the value."""
        decision = Engine(POLICY).evaluate(_thing(x), now=NOW)
        with pytest.raises(RecordError, match=r"fact's x is"):
            decision.record()

    def test_logging_engine_refuses_too(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """A logging engine raises instead of writing the fact with a null."""
        with JsonlLog(tmp_path / "log.jsonl") as log:
            engine = Engine(POLICY).with_log(log)
            with pytest.raises(RecordError, match="JSON cannot keep"):
                engine.evaluate(_thing(math.nan), now=NOW)
            engine.evaluate(_thing(2.0), now=NOW)
        lines = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1

    def test_finite_fact_recorded(self) -> None:
        """An ordinary fact is recorded with its number."""
        assert Engine(POLICY).evaluate(_thing(2.5), now=NOW).record().fact["x"] == 2.5
