"""Every time condition reads an instant field through one reader: a naive datetime is refused
naming the field, alike in the decision and in its trace, and the answer never depends on the
offset the instant was written with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from csrules import Engine, Policy, register_fact_type
from csrules._time.registry import registered_time
from csrules._time.shifts import Shift, ShiftPattern

SH = ZoneInfo("Asia/Shanghai")
ROTA = ShiftPattern(
    timezone="Asia/Shanghai",
    shifts=[Shift(name="late", start="16:00", end="00:50", night=True)],
    cycle=["late", "late", "off"],
    anchor=date(2026, 1, 5),
)


@register_fact_type(name="eng9_reader_fact")
class Fact(BaseModel):
    """Plain ``datetime`` fields: a host's model may declare them so, naive values and all."""

    at: datetime
    other: datetime | None = None


CONDITIONS: dict[str, dict[str, Any]] = {
    "night_shift": {"kind": "night_shift", "path": "at", "shifts": "eng9-rota"},
    "on_holiday": {"kind": "on_holiday", "path": "at", "calendar": "china"},
    "on_day_off": {"kind": "on_day_off", "path": "at", "calendar": "china"},
    "in_working_hours": {"kind": "in_working_hours", "path": "at", "calendar": "china"},
    "within_hours": {"kind": "within_hours", "path": "at", "start": "22:00", "end": "08:00"},
    "time_of_day": {"kind": "time_of_day", "path": "other", "op": "<", "time": "12:00", "day_of": "at"},
    "recurring": {"kind": "recurring", "path": "other", "op": ">", "recurrence": "monthly by the 22nd",
                  "period_start": "at"},
    "notice": {"kind": "notice", "since": "other", "until": "at", "op": ">=", "duration": "2 hours"},
    "holiday_in_span": {"kind": "holiday_in_span", "path": "other", "until": "at", "calendar": "china"},
    "elapsed": {"kind": "elapsed", "since": "other", "until": "at", "op": ">=", "duration": "2 hours"},
}


@pytest.fixture(autouse=True, scope="module")
def _rota():
    with registered_time(shift_patterns={"eng9-rota": ROTA}):
        yield


def engine(when: dict[str, Any]) -> Engine:
    return Engine(Policy(
        id="p", version="1", title="t", fact_type="eng9_reader_fact",
        rules=[{"id": "r", "title": "r", "when": when, "then": [{"type": "violation", "code": "X", "message": "m"}]}],
    ))


@pytest.mark.parametrize("kind", sorted(CONDITIONS))
def test_a_naive_instant_is_refused_naming_its_field_in_the_decision_and_the_trace(kind: str) -> None:
    fact = Fact(at=datetime(2026, 1, 6, 0, 30), other=datetime(2026, 1, 5, 9, tzinfo=SH))
    decision = engine(CONDITIONS[kind]).evaluate(fact)
    (error,) = decision.errors
    expected = "field at holds 2026-01-06T00:30:00 without a UTC offset"
    assert expected in error.message
    traced = decision.trace.for_rule("r").condition.error
    assert traced is not None
    assert expected in traced


OFFSETS = (SH, UTC, timezone(timedelta(hours=-9, minutes=-30)), timezone(timedelta(hours=14)))


@pytest.mark.parametrize("kind", sorted(CONDITIONS))
def test_the_answer_does_not_depend_on_the_offset_an_instant_is_written_with(kind: str) -> None:
    judge = engine(CONDITIONS[kind])
    instants = [datetime(2026, 1, 5, 0, tzinfo=SH) + timedelta(hours=7 * step + step % 3) for step in range(40)]
    for step, at in enumerate(instants):
        other = at - timedelta(hours=step % 5 + 1, minutes=step * 13 % 60)
        answers = set()
        for zone in OFFSETS:
            decision = judge.evaluate(Fact(at=at.astimezone(zone), other=other.astimezone(OFFSETS[step % 4])))
            assert not decision.errors
            answers.add((decision.rule_ids, decision.trace.for_rule("r").matched))
        assert len(answers) == 1, (kind, at, answers)
        (ids, traced), = answers
        assert traced is (ids == ("r",))
