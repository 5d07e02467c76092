"""A probe of a number that counts on from an earlier count (the third 喂 of the month, the
third swap) writes the earlier count, instead of drawing facts until one happens to fit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from csrules._policy.model import Policy
from csrules._testing.boundaries.core import Filler
from csrules._testing.boundaries.derived import steer_derived
from csrules.domain.facts import CallRecord, ShiftSwapRequest
from csrules.policies import load_pack
from csrules.testing import probe_examples


def _no_draw(strategy: Any) -> Any:
    raise AssertionError(f"nothing should be drawn here (asked for {strategy!r})")


@pytest.mark.parametrize(
    ("model", "number", "count"),
    [
        (CallRecord, "greeting_offence_number", "prior_greeting_offences"),
        (ShiftSwapRequest, "swap_number", "swaps_this_month"),
        (ShiftSwapRequest, "partner_swap_number", "partner_swaps_this_month"),
    ],
)
@pytest.mark.parametrize("value", [1, 3])
def test_the_earlier_count_is_written(model: type[BaseModel], number: str, count: str, value: int) -> None:
    """Steering ``number = value`` writes ``count = value - 1``, which the model counts on from."""
    data: dict[str, Any] = {number: value, count: 7}
    filler = Filler(_no_draw, data, model, None)
    steer_derived(filler, [number])
    assert data[count] == value - 1
    assert filler.written == [count]


@pytest.mark.parametrize("value", [0, -1, True, "3"])
def test_no_number_to_count_on_leaves_the_count(value: Any) -> None:
    """A number that cannot follow a count (zero, negative, not an integer) writes nothing."""
    data: dict[str, Any] = {"greeting_offence_number": value, "prior_greeting_offences": 7}
    steer_derived(Filler(_no_draw, data, CallRecord, None), ["greeting_offence_number"])
    assert data["prior_greeting_offences"] == 7


def test_the_third_wei_is_probed_on_a_third_offence() -> None:
    """Each probe of the mall's first 喂 rule gets facts, the offence number probed being the fact's."""
    call = load_pack("mall").policy("mall.call")
    data = call.model_dump(mode="python")
    data["rules"] = [rule for rule in data["rules"] if rule["id"] == "CON-1.wei-corrected"]
    now = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    pairs = probe_examples(Policy(**data), now=now, per=2)
    numbered = [(t, fact) for t, fact in pairs if t.probe.label.startswith("greeting_offence_number = ")]
    assert {t.probe.label for t, _ in numbered} == {f"greeting_offence_number = {n}" for n in (1, 2, 3)}
    for target, fact in numbered:
        assert target.probe.label == f"greeting_offence_number = {fact.greeting_offence_number}"
        assert fact.prior_greeting_offences == fact.greeting_offence_number - 1
