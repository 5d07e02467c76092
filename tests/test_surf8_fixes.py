"""Regressions for faults found on the command line and in audits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
from pydantic import BaseModel, Field

from csrules import Engine
from csrules._policy.facts import register_fact_type
from csrules._policy.loader import loads_policy
from tests.columnar_support import assert_same


@register_fact_type(name="surf8_naive_times")
class NaiveTimes(BaseModel):
    """A host's fact whose times are plain ``datetime``: pydantic keeps a time with no offset naive."""

    agent_id: str
    opened: datetime = Field(title="opened")
    closed: datetime | None = Field(default=None, title="closed")


NAIVE_ENGINE = Engine([loads_policy(
    """
id: naive-times
version: "1"
title: {en: Naive times, zh: 無時區時間}
fact_type: surf8_naive_times
rules:
  - id: NT-1
    title: {en: closed after opened, zh: 開後關}
    when: {kind: compare, path: closed, op: ">", field: opened}
    then:
      - {type: violation, code: NT-1, message: {en: late, zh: 晚}}
""",
    name="naive.yaml",
)])


class TestNaiveTimesInAudits:
    """A time with no offset is no instant: the columnar path must not read it as UTC when the
    row engine cannot compare it with an aware one (a rule error there, a finding here)."""

    def test_naive_text_beside_aware_text_is_judged_as_by_the_row_engine(self) -> None:
        """A naive ``opened`` text beside an aware ``closed`` gives the row engine's rule error."""
        facts = [{"agent_id": "A1", "opened": "2026-03-01T09:00:00", "closed": "2026-03-01T10:00:00+08:00"},
                 {"agent_id": "A2", "opened": "2026-03-01T09:00:00+08:00", "closed": "2026-03-01T10:00:00+08:00"}]
        assert_same(NAIVE_ENGINE, "surf8_naive_times", facts, columnar=False)

    def test_naive_timestamp_column_is_judged_as_by_the_row_engine(self) -> None:
        """A timestamp column without a zone (Parquet's naive timestamps), for a field that accepts
        it, gives the row engine's answer."""
        facts = [{"agent_id": "A1", "opened": datetime(2026, 3, 1, 9),
                  "closed": datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=8)))}]
        assert pa.Table.from_pylist(facts).schema.field("opened").type.tz is None
        assert_same(NAIVE_ENGINE, "surf8_naive_times", facts, columnar=False)
