"""An ``is_set`` probe ("X given") gives the fact a value of X: a value drawn as None, or blank
text an entry field reads as missing, is replaced, and a fact the model still reads without it
is dropped, never returned as trying the probe."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csrules._policy.facts import get_fact_type, read_path
from csrules._testing.boundaries.core import Filler, SetPresence
from csrules.policies import load_pack
from csrules.testing import probe_examples

NOW = datetime(2026, 6, 10, 10, tzinfo=timezone(timedelta(hours=8)))
ORDER = {"order_id": "wo-1", "opened_at": "2026-06-01T09:00:00+08:00", "first_handler": "A01", "owner": "A01",
         "owner_role": "agent"}


@settings(max_examples=25, deadline=None)
@given(data=st.data(), written=st.sampled_from([None, "", "   ", "\u3000"]))
def test_given_replaces_a_missing_or_blank_entry(data: st.DataObject, written: str | None) -> None:
    """Whatever is drawn, the entry the probe gives is one the model keeps."""
    model = get_fact_type("work_order")
    fact: dict[str, Any] = {**ORDER, "place": written}
    SetPresence("place", True)(Filler(data.draw, fact, model, NOW))
    assert read_path(model.model_validate(fact), "place") is not None


def test_missing_clears_the_entry() -> None:
    model = get_fact_type("work_order")
    fact: dict[str, Any] = {**ORDER, "place": "front desk"}
    SetPresence("place", False)(Filler(_no_draw, fact, model, NOW))
    assert read_path(model.model_validate(fact), "place") is None


@pytest.fixture(scope="module")
def work_order_probes() -> list[Any]:
    policy = next(p for p in load_pack("online_support").policies if p.id == "online_support.work_order")
    return probe_examples(policy, now=NOW)


def test_every_presence_probe_holds_its_value(work_order_probes: list[Any]) -> None:
    """online_support CMP-4.case-record (place, complainant, content or phone missing): each
    "given" fact has the entry, each "missing" fact lacks it."""
    seen = 0
    for target, fact in work_order_probes:
        label = target.probe.label
        for suffix, wanted in ((" given", True), (" missing", False)):
            if label.endswith(suffix):
                seen += 1
                assert (read_path(fact, label[: -len(suffix)]) is not None) is wanted, label
    assert seen


def test_case_record_is_judged_on_the_probed_entry(work_order_probes: list[Any]) -> None:
    """With the other entries steered given, the rule fires exactly on the probes of a missing entry."""
    engine = load_pack("online_support").engine()
    found = [(target.probe.label, target.probe.holds) for target, _ in work_order_probes
             if target.rule_id == "CMP-4.case-record" and target.probe.label.endswith(("given", "missing"))]
    assert {label for label, _ in found} >= {"place given", "place missing", "phone given", "phone missing"}
    for target, fact in work_order_probes:
        if target.rule_id == "CMP-4.case-record" and target.probe.label.endswith(("given", "missing")):
            fired = "CMP-4.case-record" in engine.evaluate(fact, now=NOW).rule_ids
            assert fired is target.probe.holds, target.probe.label


def _no_draw(strategy: Any) -> Any:
    raise AssertionError("nothing is drawn to leave a field missing")
