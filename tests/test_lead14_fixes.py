"""Regression tests of fixes to the audit's cluster path."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import polars as pl
import pyarrow as pa

from csrules._audit.batch import AuditSpec, judged_on_a_cluster
from csrules._audit.summary import partial, portable, restored
from csrules.policies import load_pack
from tests.columnar_support import NOW, table
from tests.test_audit_agreement import examples

ZONE = timezone(timedelta(hours=8))


def _judged_examples() -> tuple[pa.Table, object]:
    engine = load_pack("call_centre").engine()
    spec = AuditSpec(engine, "leave_request", NOW)
    batch = table(examples("call_centre", "leave_request")).to_batches()[0]
    return judged_on_a_cluster(spec, batch)


class TestWhatAClusterWorkerSends:
    """A Dask worker pickles a task's result on its event loop while its task thread judges the
    next batch with Polars; pickling a Polars frame there could wait for ever on the thread pool
    that batch holds. What a cluster's task returns is Arrow only."""

    def test_the_result_pickles_without_polars(self) -> None:
        rows, counts = _judged_examples()
        assert isinstance(rows, pa.Table)
        assert counts is not None
        assert all(isinstance(part, pa.Table) for part in counts)
        assert b"polars" not in pickle.dumps((rows, counts))

    def test_the_counts_come_back_as_they_were_counted(self) -> None:
        rows, counts = _judged_examples()
        frame = pl.from_arrow(rows)
        assert isinstance(frame, pl.DataFrame)
        expected = partial(frame)
        back = restored(pickle.loads(pickle.dumps(counts)))
        assert expected is not None
        assert back is not None
        for want, got in zip(expected, back, strict=True):
            assert got.equals(want)
            assert got.schema == want.schema

    def test_no_counts_stay_none(self) -> None:
        assert portable(None) is None
        assert restored(None) is None


class TestChineseTraceKeepsOneLinePerCondition:
    """A text value holding a line break (a call's opening of two lines) is shown with the break
    escaped, as the English trace's ``repr`` shows it: each condition stays on one line."""

    def test_a_two_line_value_is_shown_on_one_line(self) -> None:
        engine = load_pack("online_support").engine()
        fact = {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T09:00:00+08:00",
                "duration": "PT1M", "rings_before_pickup": 6,
                "agent_lines": ["您好", "對不起，讓您久等了，這裡是客服部", "謝謝，再見"]}
        decision = engine.evaluate(fact, fact_type="call_record", now=datetime(2026, 3, 10, 10, tzinfo=ZONE))
        rendered = decision.trace.render(lang="zh")
        assert "“您好\\n對不起" in rendered  # the value was shown, its break escaped
        assert all(line.count("“") == line.count("”") for line in rendered.splitlines())
