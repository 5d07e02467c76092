"""Dated policies choose their version by the fact's own time: a naive one is refused with the
csrules error naming the field, and the version does not depend on the offset it is written in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from csrules import Engine, Policy
from csrules._policy.facts import register_fact_type
from csrules.exceptions import TimeError


@register_fact_type(name="eng9_dated_fact", event_time="at")
class Fact(BaseModel):
    """A host's model declaring a plain ``datetime`` event time."""

    at: datetime
    n: int = 0


def version(limit: int, number: str, **dates: date) -> Policy:
    return Policy(id="d", version=number, title="t", fact_type="eng9_dated_fact", timezone="Asia/Shanghai",
                  rules=[{"id": "r", "title": "r", "when": {"kind": "compare", "path": "n", "op": ">", "value": limit},
                          "then": [{"type": "violation", "code": "X", "message": "m"}]}], **dates)


ENGINE = Engine([version(1, "1", valid_until=date(2026, 7, 1)), version(5, "2", valid_from=date(2026, 7, 1))])


def test_a_naive_event_time_is_refused_naming_the_field() -> None:
    with pytest.raises(TimeError, match=r"field at holds 2026-07-01T09:00:00 without a UTC offset"):
        ENGINE.evaluate(Fact(at=datetime(2026, 7, 1, 9), n=3))


@pytest.mark.parametrize("hours", [8, 0, -5, 14])
def test_the_version_is_chosen_by_the_instant_whatever_its_offset(hours: int) -> None:
    zone = timezone(timedelta(hours=hours))
    before = datetime(2026, 6, 30, 15, 59, tzinfo=UTC).astimezone(zone)  # 23:59 on 30 June in Shanghai
    after = before + timedelta(minutes=1)  # 00:00 on 1 July in Shanghai
    assert [ref.version for ref in ENGINE.evaluate(Fact(at=before, n=3)).policies] == ["1"]
    assert [ref.version for ref in ENGINE.evaluate(Fact(at=after, n=3)).policies] == ["2"]
