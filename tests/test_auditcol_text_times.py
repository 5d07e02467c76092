"""Datetimes given as text (JSON Lines, text columns) are read once per batch: every aware ISO
8601 form a row may use gives the same instants, and the same months, as the row engine reads."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from csrules._audit.batch import AuditSpec, audit_batch
from tests.columnar_support import NOW, assert_same
from tests.test_audit import PACK, leave

FORMS = ["2026-03-03T08:30:00+08:00", "2026-03-03 08:30+08:00", "2026-03-03T00:30:00Z", "2026-03-03T08:30:00.5+0800",
         "2026-03-31T20:00:00-04:00"]


def facts() -> list[dict[str, str]]:
    """Leave requests whose start is written in each form (the first row's form differs from the rest)."""
    return [dict(leave("A01", 2), start=form, end="2026-04-03T16:30:00+08:00") for form in FORMS]


class TestTextDatetimes:
    """Text datetimes in mixed forms are read alike by both paths."""

    def test_mixed_forms_agree_with_the_row_engine(self):
        """Each form of the start gives the row engine's decisions, per column."""
        assert_same(PACK.engine(), "leave_request", facts())

    def test_every_form_has_its_month(self):
        """The month of every row is read in the audit's zone, whichever form the first row used."""
        spec = AuditSpec(PACK.engine(), "leave_request", NOW, time="start")
        rows = pl.from_arrow(audit_batch(spec, pa.Table.from_pylist(facts())))
        assert isinstance(rows, pl.DataFrame)
        months = dict(rows.select("row", "month").unique().iter_rows())
        assert months == {1: "2026-03", 2: "2026-03", 3: "2026-03", 4: "2026-03", 5: "2026-04"}


class TestEndOfTime:
    """A leave whose local clock the zone data cannot place per column goes to the row engine whole."""

    def test_last_day_there_is(self):
        """A leave on 9999-12-31 (its UTC day has no next hour) is judged as the row engine judges it."""
        last = dict(leave("A01", 2), start="9999-12-31T10:00:00+08:00", end="9999-12-31T12:00:00+08:00",
                    requested_at="9999-12-30T10:00:00+08:00")
        assert_same(PACK.engine(), "leave_request", [*facts(), last], columnar=False)
