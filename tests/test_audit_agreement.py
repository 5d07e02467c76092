"""The columnar path, the row engine and (where installed) Dask give the same audit rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csrules._audit.batch import AuditSpec
from csrules._audit.columnar import prepare
from csrules._audit.inputs import ROW
from csrules._audit.run import audit
from csrules._policy.facts import get_fact_type
from csrules._testing.strategies import fact_dicts
from csrules.policies import PACK_NAMES, load_pack

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
COMPARED = ["row", "fact_type", "subject", "month", "policy", "rule", "effect", "code", "severity",
            "approver", "who", "due", "outcome"]
CASES = [(name, fact_type) for name in PACK_NAMES for fact_type in load_pack(name).engine().fact_types]


def rows(name: str, fact_type: str, facts: list[dict[str, Any]], **options: Any) -> pl.DataFrame:
    """The audit rows of ``facts`` (effects compared whole; invalid rows by row number only)."""
    result = audit(load_pack(name), facts, fact_type=fact_type, now=NOW, workers=1, **options)
    frame = pl.from_arrow(result.decisions)
    assert isinstance(frame, pl.DataFrame)
    judged = frame.filter(pl.col("effect") != "invalid").select(COMPARED)
    invalid = frame.filter(pl.col("effect") == "invalid").select("row").unique().sort("row")
    return pl.concat([judged, invalid], how="diagonal")


def examples(name: str, fact_type: str) -> list[dict[str, Any]]:
    """Every worked example's fact of ``fact_type`` in pack ``name``."""
    pack = load_pack(name)
    return [dict(example.fact) for policy in pack.policies if policy.fact_type == fact_type
            for rule in policy.rules for example in rule.examples if example.fact is not None]


def assert_agree(name: str, fact_type: str, facts: list[dict[str, Any]]) -> None:
    """Columnar and row-engine audits of ``facts`` give equal rows, in the same order."""
    columnar = rows(name, fact_type, facts, columnar=True)
    by_row = rows(name, fact_type, facts, columnar=False)
    assert columnar.equals(by_row), (columnar, by_row)


def columnar_cases() -> list[tuple[str, str]]:
    """The (pack, fact type) pairs the columnar path reads (the others are judged by the row
    engine either way: drawing facts for them would compare the row engine with itself)."""
    found = []
    for name, fact_type in CASES:
        spec = AuditSpec(load_pack(name).engine(), fact_type, NOW)
        frame = pl.from_arrow(pa.Table.from_pylist(examples(name, fact_type)))
        assert isinstance(frame, pl.DataFrame)
        frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
        if prepare(spec, frame) is not None:
            found.append((name, fact_type))
    return found


def _facts(fact_type: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    model = get_fact_type(fact_type)
    fixed = {"time_zone": "Asia/Shanghai"} if "time_zone" in model.model_fields else {}
    return st.lists(fact_dicts(model, **fixed), min_size=1, max_size=6)


class TestColumnarAgreesWithRows:
    """For every built-in pack's stateless policies, columnar and row paths agree on every effect."""

    def test_columnar_path_is_taken(self):
        """The columnar path reads leave requests and at least ten of the built-in fact types."""
        cases = columnar_cases()
        assert ("call_centre", "leave_request") in cases
        assert len(cases) >= 10

    @pytest.mark.parametrize(("name", "fact_type"), CASES)
    def test_worked_examples(self, name, fact_type):
        """The worked examples' facts give the same rows by both paths."""
        facts = examples(name, fact_type)
        assert facts
        assert_agree(name, fact_type, facts)

    @pytest.mark.parametrize(("name", "fact_type"), columnar_cases())
    def test_generated_facts(self, name, fact_type):
        """Facts drawn from the shipped strategies (derandomized: the same draws every run) agree."""

        @settings(max_examples=3, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(_facts(fact_type))
        def check(facts: list[dict[str, Any]]) -> None:
            assert_agree(name, fact_type, facts)

        check()

    @pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Asia/Kathmandu"])
    def test_leave_across_a_clock_change(self, zone):
        """Leave requests read in a zone with a DST change in the batch (local dates and the sick
        note's local midnight) agree, as do those of zones with one offset all year."""
        facts = []
        for day in range(5, 12):
            for hour in (0, 1, 2, 3, 23):
                facts.append({"agent_id": "A01", "kind": "sick", "requested_by": "A01", "time_zone": zone,
                              "start": f"2026-03-{day:02d}T{hour:02d}:30:00-05:00",
                              "end": f"2026-03-{day + 1:02d}T{hour:02d}:00:00-04:00",
                              "requested_at": f"2026-03-{day - 1:02d}T{(hour + 7) % 24:02d}:00:00+00:00"})
        assert_agree("call_centre", "leave_request", facts)

    def test_bad_rows_reported_rest_audited(self):
        """A leave request without an agent and one ending before it starts are reported by row;
        the others are judged alike by both paths."""
        facts = examples("call_centre", "leave_request")[:4]
        broken = dict(facts[0], agent_id="")
        backwards = dict(facts[1], end="2020-01-01T00:00:00+08:00")
        batch = [*facts, broken, backwards]
        assert_agree("call_centre", "leave_request", batch)
        found = rows("call_centre", "leave_request", batch, columnar=True)
        assert found.filter(pl.col("effect").is_null())["row"].to_list() == [5, 6]
