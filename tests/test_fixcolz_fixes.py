"""Facts naming no time zone are read in their policies' zone by every path, whatever the others name."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from csrules._audit.run import audit
from csrules._policy.facts import get_fact_type, register_fact_type, validate_fact
from csrules._testing.strategies import ZONE_NAMES, fact_dicts
from csrules.domain.facts import Fact, LeaveRequest
from csrules.exceptions import FactError
from csrules.policies import Pack, load_pack

NOW = datetime(2026, 4, 1, tzinfo=UTC)
NIGHT_LATE = {"agent_id": "A01", "kind": "special_personal", "night_shift": True,
              "start": "2026-03-05T16:00:00+08:00", "end": "2026-03-06T00:00:00+08:00",
              "requested_at": "2026-03-05T13:00:00+08:00", "requested_by": "A01"}
"""Special leave asked at 13:00 Beijing for that evening's night shift: past the noon deadline there."""
LONDON_ROW = {"agent_id": "B02", "kind": "personal", "start": "2026-03-20T09:00:00+00:00",
              "end": "2026-03-20T17:00:00+00:00", "requested_at": "2026-03-01T09:00:00+00:00",
              "requested_by": "B02", "time_zone": "Europe/London"}
"""An ordinary leave request naming Europe/London."""
ZONED = [("call_centre", "leave_request"), ("call_centre", "callback_task"), ("ecommerce", "leave_request")]
"""The built-in (pack, fact type) pairs whose facts have a time zone and local derived fields."""


def london_pack(root: Path) -> Pack:
    """The call-centre pack extended with the Europe/London zone."""
    (root / "pack.yaml").write_text("name: lonleave\ntitle: {en: L, zh: L}\nversion: \"1\"\n"
                                    "extends: call_centre\ntimezone: Europe/London\n", encoding="utf-8")
    return load_pack(root)


@pytest.fixture(scope="module")
def london(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """A London call-centre pack, built once for the module."""
    return london_pack(tmp_path_factory.mktemp("lonleave"))


def rows(pack: Pack, fact_type: str, facts: list[dict[str, Any]], *, columnar: bool) -> pl.DataFrame:
    """The audit rows of ``facts`` without messages (worded per path)."""
    result = audit(pack, facts, fact_type=fact_type, now=NOW, workers=1, columnar=columnar)
    frame = pl.from_arrow(result.decisions)
    assert isinstance(frame, pl.DataFrame)
    return frame.drop("message")


def assert_agree(pack: Pack, fact_type: str, facts: list[dict[str, Any]]) -> None:
    """The columnar and row-engine audits of ``facts`` give equal rows in the same order."""
    fast, slow = rows(pack, fact_type, facts, columnar=True), rows(pack, fact_type, facts, columnar=False)
    assert fast.equals(slow), (fast, slow)


def mixed(fact_type: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Batches whose first fact names no zone and whose second names one; the rest either."""
    model = get_fact_type(fact_type)
    named = fact_dicts(model, time_zone=st.sampled_from(ZONE_NAMES))
    unnamed = named.map(lambda fact: {key: value for key, value in fact.items() if key != "time_zone"})
    return st.tuples(unnamed, named, st.lists(st.one_of(named, unnamed), max_size=3)).map(
        lambda parts: [parts[0], parts[1], *parts[2]])


def night_rules(pack: Pack, facts: list[dict[str, Any]], *, columnar: bool) -> set[str]:
    """The rules the audit flags for the first fact."""
    frame = rows(pack, "leave_request", facts, columnar=columnar)
    return set(frame.filter(pl.col("row") == 1)["rule"].to_list())


class TestColumnarZoneLessRows:
    """A row naming no zone is read in the pack's zone even when another row names one."""

    def test_late_night_leave_flagged_beside_a_london_row(self) -> None:
        """A01's late night-shift leave is flagged by the columnar audit with a London row in the batch."""
        pack = load_pack("call_centre")
        assert "ATT-5.night-deadline" in night_rules(pack, [NIGHT_LATE, LONDON_ROW], columnar=True)

    def test_mixed_batch_equals_row_engine(self) -> None:
        """The A01 and London batch gives the row engine's rows."""
        assert_agree(load_pack("call_centre"), "leave_request", [NIGHT_LATE, LONDON_ROW])

    def test_london_pack_reads_zone_less_rows_in_london(self, london: Pack) -> None:
        """In a London pack a zone-less row beside a Shanghai row gives the row engine's rows."""
        shanghai = {**LONDON_ROW, "time_zone": "Asia/Shanghai"}
        assert_agree(london, "leave_request", [NIGHT_LATE, shanghai])

    @pytest.mark.parametrize(("name", "fact_type"), ZONED)
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_mixed_batches_equal_row_engine(self, name: str, fact_type: str, data: st.DataObject) -> None:
        """Batches mixing rows that name zones and rows that name none audit as the row engine does."""
        assert_agree(load_pack(name), fact_type, data.draw(mixed(fact_type)))

    @pytest.mark.parametrize("fact_type", ["leave_request", "callback_task"])
    @settings(max_examples=10, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test_mixed_batches_in_a_london_pack(self, london: Pack, fact_type: str, data: st.DataObject) -> None:
        """In a London pack, mixed batches audit as the row engine does."""
        assert_agree(london, fact_type, data.draw(mixed(fact_type)))


class TestFactsGivenAsDicts:
    """A field only a later fact of an audited list gives is read, not dropped."""

    def test_zone_named_by_a_later_fact_is_kept(self, london: Pack) -> None:
        """In a London pack, a Shanghai night-shift leave after a zone-less fact is read in Shanghai."""
        first = {key: value for key, value in LONDON_ROW.items() if key != "time_zone"}
        facts = [first, {**NIGHT_LATE, "time_zone": "Asia/Shanghai"}]
        for columnar in (True, False):
            frame = rows(london, "leave_request", facts, columnar=columnar)
            assert "ATT-5.night-deadline" in frame.filter(pl.col("row") == 2)["rule"].to_list()


class TestDerivedFieldInPackZone:
    """A built fact whose zone-dependent derived field disagrees in the pack's zone is refused with the reason."""

    def test_message_names_the_applied_zone_and_the_field(self, london: Pack) -> None:
        """The error says the pack's zone was applied, which derived field disagrees, and how to fix it."""
        fact = LeaveRequest.model_validate({**NIGHT_LATE, "start": "2026-03-05T16:00:00+00:00",
                                            "end": "2026-03-06T00:00:00+00:00",
                                            "requested_at": "2026-03-05T13:00:00+00:00", "request_lead_days": 1})
        with pytest.raises(FactError) as caught:
            london.engine().evaluate(fact, now=datetime(2026, 3, 5, 13, tzinfo=UTC))
        message = str(caught.value)
        assert "names no time_zone, so it is read in its policies' zone 'Europe/London'" in message
        assert "request_lead_days was given as 1 but reads 0 there" in message
        assert "give time_zone or leave request_lead_days out" in message
        assert caught.value.problems[0][0] == "request_lead_days"

    def test_agreeing_derived_field_is_read(self, london: Pack) -> None:
        """A zone-free derived field that agrees is read in the pack's zone as before."""
        fact = LeaveRequest.model_validate({**NIGHT_LATE, "in_person": True})
        decision = london.engine().evaluate(fact, now=datetime(2026, 3, 5, 13, tzinfo=UTC))
        assert "ATT-2.department-head" in decision.rule_ids


class TestNestedNonFinite:
    """Models nested in a registered fact type refuse inf and nan when the outer model has no float."""

    def test_plain_outer_without_float(self) -> None:
        """A plain outer model with only text and a nested float model refuses inf in the nested model."""
        class Inner(BaseModel):
            x: float

        class Outer(BaseModel):
            name: str
            inner: Inner

        register_fact_type(name="fixcolz_outer")(Outer)
        with pytest.raises(ValidationError):
            Outer.model_validate({"name": "a", "inner": {"x": math.inf}})

    def test_fact_subclass_with_list_of_models(self) -> None:
        """A Fact subclass holding a list of float models refuses "1e400" as a price."""
        class Item(BaseModel):
            price: float

        class Basket(Fact):
            basket_id: str
            items: list[Item]

        register_fact_type(name="fixcolz_basket")(Basket)
        with pytest.raises(FactError, match="items"):
            validate_fact(Basket, {"basket_id": "b", "items": [{"price": "1e400"}]})

    def test_model_reached_twice(self) -> None:
        """A float model reached through two nested models is refused through both."""
        class Leaf(BaseModel):
            x: float

        class Left(BaseModel):
            leaf: Leaf

        class Right(BaseModel):
            leaf: Leaf

        class Root(BaseModel):
            left: Left
            right: Right

        register_fact_type(name="fixcolz_root")(Root)
        with pytest.raises(ValidationError):
            Right.model_validate({"leaf": {"x": math.nan}})
        with pytest.raises(ValidationError):
            Root.model_validate({"left": {"leaf": {"x": 1.0}}, "right": {"leaf": {"x": math.nan}}})
