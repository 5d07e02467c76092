"""Sessions judge event sequences by their instants: re-expressed datetimes give the same results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules import Policy, SessionEngine
from csrules._sessions import available_backends
from csrules.policies import load_pack
from tests.test_offset_invariance import OFFSETS, reexpress
from tests.test_pack_sessions import call, order, shift, swap

TZ = ZoneInfo("Asia/Shanghai")
BACKENDS = [b for b in ("durable", "python") if b in available_backends()]

Step = tuple[str, str | None, dict[str, Any] | None, datetime]
"""("send", fact type, event, now) or ("tick", None, None, now)."""


def at(text: str) -> datetime:
    """``"2026-03-10 09:00"`` in Beijing time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def sends(fact_type: str, events: list[tuple[dict[str, Any], datetime]]) -> list[Step]:
    """Send steps for ``events`` with their ``now``."""
    return [("send", fact_type, event, now) for event, now in events]


SCENARIOS: dict[str, tuple[str, list[Step]]] = {
    "mall-greetings-across-a-month-end": (
        "mall",
        sends(
            "call_record",
            [
                (call("M01", moment, "喂，您好"), moment)
                for moment in (
                    at("2026-01-05 09:00"),
                    at("2026-01-07 09:00"),
                    at("2026-01-31 23:30"),
                    at("2026-02-01 00:30"),
                    at("2026-02-01 07:30"),
                    at("2026-02-02 09:00"),
                )
            ],
        ),
    ),
    "call-centre-swaps-across-a-month-end": (
        "call_centre",
        sends(
            "shift_swap",
            [
                (swap(at("2026-01-20 10:00"), at("2026-01-31 07:00")), at("2026-01-20 10:00")),
                (swap(at("2026-01-21 10:00"), at("2026-01-31 23:00")), at("2026-01-21 10:00")),
                (swap(at("2026-01-22 10:00"), at("2026-02-01 07:00")), at("2026-01-22 10:00")),
                (swap(at("2026-01-23 10:00"), at("2026-02-01 23:30")), at("2026-01-23 10:00")),
                (swap(at("2026-01-24 10:00"), at("2026-02-02 07:00")), at("2026-01-24 10:00")),
            ],
        ),
    ),
    "call-centre-swapped-shifts-in-a-row": (
        "call_centre",
        sends(
            "shift_assignment",
            [(shift(at(f"2026-03-{day:02d} 07:00"), swapped=True), at(f"2026-03-{day:02d} 07:00")) for day in (9, 10)],
        ),
    ),
    "call-centre-open-work-order": (
        "call_centre",
        [
            ("send", "work_order", order("W1", at("2026-03-07 23:00")), at("2026-03-07 23:00")),
            *[("tick", None, None, at("2026-03-07 23:00") + timedelta(hours=h)) for h in (12, 25, 47, 49)],
        ],
    ),
    "online-support-open-case": (
        "online_support",
        [
            ("send", "work_order", order("C1", at("2026-03-07 23:00"), answer_deferred=True), at("2026-03-07 23:00")),
            *[("tick", None, None, at("2026-03-07 23:00") + timedelta(hours=h)) for h in (12, 71, 73, 80)],
        ],
    ),
    "ecommerce-shifts-in-a-cycle": (
        "ecommerce",
        sends(
            "shift_assignment",
            [
                (shift(at(f"2026-03-{day:02d} 07:00"), swapped=False), at(f"2026-03-{day:02d} 07:00"))
                for day in range(2, 12)
            ],
        ),
    ),
}


def run(engine: SessionEngine, steps: list[Step], offset: timezone | None) -> list[tuple[Any, ...]]:
    """Each step's fired rules and effects (due times compare as instants), events shown in ``offset``."""
    session = engine.session("subject-1")
    got: list[tuple[Any, ...]] = []
    for kind, fact_type, event, now in steps:
        moment = now if offset is None else now.astimezone(offset)
        if kind == "tick":
            result = session.tick(moment)
        else:
            shown = event if offset is None else reexpress(event, offset)
            result = session.send(shown, now=moment, fact_type=fact_type)
        got.append((result.rule_ids, result.effects, tuple(e.rule_id for e in result.errors)))
    return got


class TestPackSessionsAcrossOffsets:
    """Each pack's session scenario gives the same results in every offset, on every backend."""

    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize("name", sorted(SCENARIOS))
    def test_same_results(self, name: str, backend: str) -> None:
        """Re-expressing every event's datetimes and now leaves every step's results unchanged."""
        pack_name, steps = SCENARIOS[name]
        pack = load_pack(pack_name)
        expected = run(pack.sessions(backend=backend), steps, None)
        assert any(step[0] for step in expected), "the scenario fires something"
        for offset in OFFSETS:
            assert run(pack.sessions(backend=backend), steps, offset) == expected, f"in {offset}"


def monthly_greetings() -> Policy:
    """A session policy counting 喂 per calendar month, naming no time zone."""
    return Policy(
        id="zone_default",
        version="1",
        title="second 喂 of a month",
        fact_type="call_record",
        rules=[
            {
                "id": "second",
                "title": "second 喂 in a month",
                "when": {
                    "kind": "count",
                    "match": {"kind": "contains", "path": "greeting", "phrases": ["喂"]},
                    "at": "started_at",
                    "window": {"calendar": "month"},
                    "op": ">=",
                    "value": 2,
                },
                "then": [{"type": "violation", "code": "X", "message": "m"}],
            }
        ],
    )


class TestCalendarWindowWithoutZone:
    """A calendar window naming no tz reads periods in the default zone, not the event's offset."""

    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize("offset", [UTC, timezone(timedelta(hours=8))], ids=["utc", "plus-8"])
    def test_month_is_read_in_beijing(self, backend: str, offset: timezone) -> None:
        """16:30 UTC on 31 January is 1 February in Beijing: not a second 喂 of January, however written."""
        engine = SessionEngine(monthly_greetings(), backend=backend)
        agent = engine.session("M01")
        first = datetime(2026, 1, 31, 10, tzinfo=UTC).astimezone(offset)
        second = datetime(2026, 1, 31, 16, 30, tzinfo=UTC).astimezone(offset)
        assert agent.send(call("M01", first, "喂？"), now=first, fact_type="call_record").rule_ids == ()
        assert agent.send(call("M01", second, "喂？"), now=second, fact_type="call_record").rule_ids == ()
