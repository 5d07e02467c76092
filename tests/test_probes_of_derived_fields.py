"""Probes of derived fields are drawn by construction: a number that counts on from an earlier
count (the third 喂 of the month, the third swap) writes the earlier count, ``absent`` writes
the missing arrival, and a value the model never computes (``late_minutes = -1``) is given no
fact at once, instead of drawing facts until one happens to fit or the search gives up."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from csrules._policy.model import Policy
from csrules._testing.boundaries.core import Filler
from csrules._testing.boundaries.derived import never_reached, steer_derived
from csrules.domain.facts import AttendanceRecord, CallRecord, ShiftSwapRequest, WorkOrder
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


def _probes_of_one_rule(pack: str, policy_id: str, rule_id: str) -> dict[str, list[Any]]:
    """The facts ``probe_examples`` finds for each probe of one rule of a built-in pack, by label."""
    data = load_pack(pack).policy(policy_id).model_dump(mode="python")
    data["rules"] = [r for r in data["rules"] if r["id"] == rule_id]
    now = datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    found: dict[str, list[Any]] = {}
    for target, fact in probe_examples(Policy(**data), now=now, per=2):
        found.setdefault(target.probe.label, []).append(fact)
    return found


def _attendance_probes(rule: str) -> dict[str, list[Any]]:
    """The call centre's ATT-7 ``rule`` alone, probed at 10 March 2026: facts per probe label."""
    return _probes_of_one_rule("call_centre", "call_centre.attendance", rule)


def test_an_absence_is_probed_on_a_record_without_arrival() -> None:
    """ATT-7.absent's ``absent = yes`` probe gets records with no arrival, ``absent = no`` records with one."""
    found = _attendance_probes("ATT-7.absent")
    assert found["absent = yes"]
    assert all(fact.absent and fact.arrived_at is None for fact in found["absent = yes"])  # type: ignore[attr-defined]
    assert found["absent = no"]
    assert all(not fact.absent and fact.arrived_at for fact in found["absent = no"])  # type: ignore[attr-defined]


def test_minus_one_minute_late_gets_no_fact() -> None:
    """Nobody is -1 minutes late (arriving early is 0): that probe gets none, the others theirs."""
    found = _attendance_probes("ATT-7.late")
    assert "late_minutes = -1" not in found
    assert {label: {fact.late_minutes for fact in facts} for label, facts in found.items()  # type: ignore[attr-defined]
            if label.startswith("late_minutes")} == {f"late_minutes = {n}": {n} for n in (0, 1, 19, 20, 21)}


@pytest.mark.parametrize(
    ("model", "fixed", "never"),
    [
        (AttendanceRecord, ("late_minutes", -1), True),
        (AttendanceRecord, ("late_minutes", 0), False),
        (AttendanceRecord, ("early_leave_minutes", -1), True),
        (CallRecord, ("greeting_offence_number", 0), True),
        (CallRecord, ("greeting_offence_number", 1), False),
        (ShiftSwapRequest, ("swap_number", 0), True),
        (WorkOrder, ("untraced_handoffs", -1), True),
        (WorkOrder, ("escalation_count", 0), False),
        (AttendanceRecord, ("away_minutes", -1), False),  # an input: the model says what it refuses
        (AttendanceRecord, None, False),
    ],
)
def test_values_never_computed(model: type[BaseModel], fixed: tuple[str, Any] | None, never: bool) -> None:
    """Only a derived field's impossible values are known never to be reached."""
    assert never_reached(model, fixed) is never


def test_a_swap_agreed_by_its_own_party_is_probed() -> None:
    """ATT-9.own-approval's ``own_approval = yes`` probe gets swaps a party agreed to as shift lead."""
    found = _probes_of_one_rule("call_centre", "call_centre.swap", "ATT-9.own-approval")
    assert found["own_approval = yes"]
    for fact in found["own_approval = yes"]:
        assert fact.own_approval
        assert fact.requester_lead in {fact.requester.agent_id, fact.partner.agent_id}
    assert found["own_approval = no"]
    assert not any(fact.own_approval for fact in found["own_approval = no"])


def test_a_call_following_the_script_is_probed() -> None:
    """online_support CB-3.script-order's ``script_in_order = yes`` probe gets calls that follow the script."""
    found = _probes_of_one_rule("online_support", "online_support.call", "CB-3.script-order")
    assert found["script_in_order = yes"]
    assert all(fact.script_in_order for fact in found["script_in_order = yes"])
    assert found["script_in_order = no"]
    assert not any(fact.script_in_order for fact in found["script_in_order = no"])
