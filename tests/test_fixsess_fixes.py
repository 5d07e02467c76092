"""Regression tests: keyed counts keep each item's place, an event without its key is its
own item, built-in session windows read the pack's zone, and ATT-12 counts days worked."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

import csrules
from csrules import SessionEngine
from csrules._sessions.migrate import incompatible
from csrules._sessions.program import compile_program, counted_at
from csrules._sessions.state import _carried_over, new_state
from csrules.exceptions import PolicyError
from csrules.policies import load_pack

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
LATER = datetime(2026, 3, 20, 10, tzinfo=SHANGHAI)


def _call(call_id: str, day: int) -> dict[str, Any]:
    """A call record of agent A01 on ``day`` March that opens with 喂."""
    at = datetime(2026, 3, day, 10, tzinfo=SHANGHAI)
    return {"call_id": call_id, "agent_id": "A01", "started_at": at.isoformat(), "duration": "3m",
            "agent_lines": ["喂，你好"]}


def _swap(day: int, **decisions: str) -> dict[str, Any]:
    """A swap request of A01 giving away the shift of ``day`` March."""
    start = datetime(2026, 3, day, 8, 30, tzinfo=SHANGHAI)
    return {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
            "requester_shift": {"start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()},
            "partner_shift": {"start": (start + timedelta(days=1)).isoformat(),
                              "end": (start + timedelta(days=1, hours=8)).isoformat()},
            "requested_at": datetime(2026, 3, 1, 9, tzinfo=SHANGHAI).isoformat(), **decisions}


def _shift(start: datetime, hours: int = 8) -> dict[str, Any]:
    """A shift of E01 starting at ``start``."""
    return {"agent_id": "E01", "shift": "day", "start": start.isoformat(),
            "end": (start + timedelta(hours=hours)).isoformat(), "swapped": False}


def _orders_policy(window: dict[str, Any]) -> csrules.Policy:
    """More than two problem orders a month, each order (by waybill) once."""
    data: dict[str, Any] = {
        "id": "acme.orders", "version": "1", "title": "orders", "fact_type": "order",
        "rules": [{"id": "ACME-1.many", "title": "more than two problem parcels a month",
                   "when": {"kind": "count", "match": {"kind": "compare", "path": "problem", "op": "==",
                                                      "value": "problem"},
                            "key": "waybill_no", "at": "placed_at", "window": window, "op": ">", "value": 2},
                   "then": [{"type": "violation", "code": "ACME-1", "message": "x"}]}]}
    return csrules.Policy(**data)


class TestKeyedPlace:
    """A keyed count gives each item the place it was first counted at."""

    def test_first_call_sent_again_after_the_third_is_still_corrected(self) -> None:
        """The first 喂 call delivered again after the third is corrected, never fined."""
        session = load_pack("mall").sessions(backend="python").session("A01")
        seen = [session.send(_call(cid, day), now=LATER, fact_type="call_record").rule_ids
                for cid, day in [("C1", 2), ("C2", 3), ("C3", 4), ("C1", 2), ("C2", 3)]]
        assert seen == [("CON-1.month-corrected",), ("CON-1.month-warned",),
                        ("CON-1.month-fined",), ("CON-1.month-corrected",),
                        ("CON-1.month-warned",)]

    def test_place_survives_export_and_restore(self) -> None:
        """An exported session (its JSON keys sorted) restores the items' places."""
        engine = load_pack("mall").sessions(backend="python")
        session = engine.session("A01")
        for cid, day in [("C9", 2), ("C2", 3), ("C1", 4)]:
            session.send(_call(cid, day), now=LATER, fact_type="call_record")
        restored = load_pack("mall").sessions(backend="python").restore(engine.export_json("A01"))
        again = restored.send(_call("C9", 2), now=LATER, fact_type="call_record")
        assert again.rule_ids == ("CON-1.month-corrected",)

    def test_declined_request_after_the_limit_and_first_swap_agreed_do_not_fire(self) -> None:
        """A declined request is no swap over the limit; the first swap agreed later is still the first."""
        session = load_pack("call_centre").sessions(backend="python").session("A01")
        steps = [_swap(5), _swap(10), _swap(16), _swap(20, requester_lead_decision="declined"),
                 _swap(5, requester_lead_decision="agreed", partner_lead_decision="agreed")]
        seen = [bool(session.send(s, now=LATER, fact_type="shift_swap").rule_ids) for s in steps]
        assert seen == [False, False, True, False, False]

    def test_entry_written_before_places_reads_as_counted_first(self) -> None:
        """A stored entry holding only where its item falls reads as counted before any new item."""
        assert counted_at("2026-03") == ("2026-03", 0)
        assert counted_at(["2026-03", 4]) == ("2026-03", 4)


class TestMissingKey:
    """An event without its key value is an item of its own."""

    def test_events_without_the_key_each_count(self) -> None:
        """Four problem orders with no waybill are four items: the third breaks a limit of two."""
        session = SessionEngine([_orders_policy({"calendar": "month"})], backend="python").session("shop")
        seen = []
        for i in range(4):
            at = datetime(2026, 3, i + 1, 10, tzinfo=SHANGHAI)
            fact = {"order_no": f"O{i}", "placed_at": at.isoformat(), "amount": 10, "problem": "problem"}
            seen.append(bool(session.send(fact, now=at + timedelta(hours=1), fact_type="order").rule_ids))
        assert seen == [False, False, True, True]


class TestPackZone:
    """Built-in session windows read the pack's zone; in Shanghai nothing moves."""

    def _london(self, tmp_path: Path) -> Any:
        """A company pack extending ecommerce, in London."""
        root = tmp_path / "acme"
        root.mkdir()
        (root / "pack.yaml").write_text(yaml.safe_dump({
            "name": "acme", "title": {"en": "A", "zh": "A"}, "version": "1", "extends": "ecommerce",
            "timezone": "Europe/London"}))
        return load_pack(root)

    def test_london_week_with_a_rest_sunday_never_fires(self, tmp_path: Path) -> None:
        """Shifts at 17:00 London Sun 8 to Sat 14 March: six days in the London week Mon 9 to Sun 15."""
        session = self._london(tmp_path).sessions(backend="python").session("E01")
        fired = [session.send(_shift(datetime(2026, 3, d, 17, tzinfo=LONDON), 6), fact_type="shift_assignment",
                              now=datetime(2026, 3, d, 23, tzinfo=LONDON)).rule_ids for d in range(8, 15)]
        assert not any(fired)

    def test_built_in_counters_keep_their_keys(self) -> None:
        """The mall and call-centre counters keep the keys states were stored under."""
        keys = {name: sorted(compile_program(tuple(load_pack(name).session_policies), ()).counter_index)
                for name in ("mall", "call_centre")}
        # the mall's key changed when the 喂 of feeding stopped being counted, and again when
        # calls the agent makes stopped being counted (the ladder is for answered calls)
        assert keys == {"mall": ["3d3c5f56942937c9"], "call_centre": ["b3000fbd7e0da842"]}

    def test_state_under_a_window_naming_no_zone_carries_over(self) -> None:
        """A counter stored under the key of a window naming no zone is read under its new key."""
        program = compile_program((_orders_policy({"calendar": "month"}),), ())
        [(old, new)] = program.counter_aliases.items()
        state = {**new_state(), "seq": 1, "c": {old: {'["W1"]': ["2026-03", 1]}}}
        assert incompatible("an older engine", state, program, "shop") == []
        assert _carried_over(state, program)["c"] == {new: {'["W1"]': ["2026-03", 1]}}


class TestDaysWorked:
    """ATT-12 counts the days worked in a calendar week, not the shifts."""

    def test_two_shifts_on_one_day_are_one_day(self) -> None:
        """Mon 2 March day and night shifts, Tue to Sat one each, Sunday off: no finding."""
        session = load_pack("ecommerce").sessions(backend="python").session("E01")
        starts = [datetime(2026, 3, 2, 8, tzinfo=SHANGHAI), datetime(2026, 3, 2, 16, tzinfo=SHANGHAI)]
        starts += [datetime(2026, 3, d, 8, tzinfo=SHANGHAI) for d in range(3, 8)]
        fired = [session.send(_shift(s), now=s + timedelta(hours=8), fact_type="shift_assignment").rule_ids
                 for s in starts]
        assert not any(fired)

    def test_seventh_day_worked_fires(self) -> None:
        """A shift on each of Mon 2 to Sun 8 March: the Sunday is the seventh day worked."""
        session = load_pack("ecommerce").sessions(backend="python").session("E01")
        fired = [bool(session.send(_shift(datetime(2026, 3, d, 8, tzinfo=SHANGHAI)), fact_type="shift_assignment",
                                   now=datetime(2026, 3, d, 18, tzinfo=SHANGHAI)).rule_ids) for d in range(2, 9)]
        assert fired == [False] * 6 + [True]

    def test_days_without_a_calendar_window_is_refused(self) -> None:
        """``days: true`` over a rolling window is refused, naming the field."""
        data: dict[str, Any] = {
                "id": "acme.days", "version": "1", "title": "days", "fact_type": "shift_assignment",
                "rules": [{"id": "D-1", "title": "days",
                           "when": {"kind": "count", "match": {"kind": "is_set", "path": "start"}, "days": True,
                                    "at": "start", "window": {"rolling": "7d"}, "op": ">", "value": 6},
                           "then": [{"type": "violation", "code": "D-1", "message": "x"}]}]}
        with pytest.raises(PolicyError, match=r"days.*calendar window"):
            csrules.Policy(**data)
