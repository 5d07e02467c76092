"""Sessions give one answer however their input is written or carried: every pack's session
examples across UTC offsets, backends, export and restore between steps, and sent twice;
calendar windows at their boundaries in zones with daylight saving, and rolling windows at
exactly their span (explicit, finite lists: nothing is drawn)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import AwareDatetime, BaseModel

import csrules
from csrules.policies import list_packs, load_pack
from csrules.sessions import SessionEngine
from tests.test_session_support import BACKENDS

OFFSETS = [UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=13, minutes=45))]
PACKS = [info.name for info in list_packs()]


def _written_in(value: Any, zone: timezone) -> Any:
    """``value`` with every aware instant (a datetime or ISO text) written in ``zone``."""
    if isinstance(value, dict):
        return {k: _written_in(v, zone) for k, v in value.items()}
    if isinstance(value, list):
        return [_written_in(v, zone) for v in value]
    moment = _instant(value)
    if moment is None:
        return value
    return moment.astimezone(zone) if isinstance(value, datetime) else moment.astimezone(zone).isoformat()


def _instant(value: Any) -> datetime | None:
    """``value`` as an aware instant, when it is one (a datetime or ISO text)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else None
    return None


def _plain(value: Any) -> Any:
    """``value`` with every instant as its microseconds since 1970 (offsets forgotten)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    moment = _instant(value)
    return value if moment is None else moment.timestamp()


def _step(result: Any) -> Any:
    """What a step did, instants as instants."""
    firings = [(f.policy_id, f.rule_id, f.cause, [e.to_dict() for e in f.effects], json.dumps(f.item),
                f.due, f.version) for f in result.firings]
    return _plain([firings, [(e.policy_id, e.rule_id, e.message) for e in result.errors],
                   [t.to_dict() for t in result.transitions]])


@cache
def _pack(name: str) -> Any:
    return load_pack(name)


def _run(name: str, zone: timezone | None = None, backend: str = "python", restore: bool = False,
         twice: bool = False) -> list[Any]:
    """Every session example of pack ``name``, each on its own subject: each step's result,
    then each subject's state (the stored copies of facts left out: they keep the offset
    they were written in). With ``restore`` each step runs in the other of two engines, the
    session exported from one and restored into the other."""
    pack = _pack(name)
    engines = [pack.sessions(backend=backend), pack.sessions(backend=backend)]
    out: list[Any] = []
    for policy in pack.session_policies:
        for rule in policy.rules:
            for number, example in enumerate(rule.examples):
                subject = f"{rule.id}#{number}"
                for step in example.steps or ():
                    if restore:
                        engines[1].restore(engines[0].export(subject))
                        engines.reverse()
                    session = engines[0].session(subject)
                    if step.fact is None:
                        assert step.tick is not None
                        out.append(_step(session.tick(step.tick if zone is None else step.tick.astimezone(zone))))
                        continue
                    fact = step.fact if zone is None else _written_in(step.fact, zone)
                    at = step.at if zone is None or step.at is None else step.at.astimezone(zone)
                    for _ in range(2 if twice else 1):
                        out.append(_step(session.send(fact, now=at, fact_type=policy.fact_type)))
                state = engines[0].export(subject)["state"]
                for items in state["i"].values():
                    for item in items.values():
                        item.pop("f")
                out.append(state)
    return out


class TestPackExamples:
    """The packs' session examples, written and carried every way, give the same answers."""

    @pytest.mark.parametrize("name", PACKS)
    def test_offsets(self, name: str) -> None:
        """Instants written in UTC, UTC-11 or UTC+13:45 give the same steps and states."""
        plain = _run(name)
        for zone in OFFSETS:
            assert _run(name, zone) == plain, zone

    @pytest.mark.parametrize("name", PACKS)
    def test_backends_and_restores(self, name: str) -> None:
        """Each backend, with or without export and restore before every step, gives the same."""
        plain = _run(name)
        for backend in BACKENDS:
            assert _run(name, backend=backend) == plain
            assert _run(name, backend=backend, restore=True) == plain

    @pytest.mark.parametrize("name", PACKS)
    def test_events_sent_twice(self, name: str) -> None:
        """Every event sent twice: the backends agree, and restoring between steps changes nothing."""
        twice = _run(name, twice=True)
        for backend in BACKENDS:
            assert _run(name, backend=backend, twice=True) == twice
        assert _run(name, restore=True, twice=True) == twice


@csrules.register_fact_type(name="sess_invariance_event")
class Event(BaseModel):
    """An event placed in windows by ``at``."""

    at: AwareDatetime


def _counting(window: dict[str, Any]) -> csrules.Policy:
    """Rules n1..n6: the event is the n-th in its window (so the firing tells the count)."""
    every = {"kind": "is_set", "path": "at"}
    return csrules.Policy.model_validate({
        "id": "invariance.count", "version": "1", "title": "counts", "fact_type": "sess_invariance_event",
        "rules": [{"id": f"n{n}", "title": f"event {n}",
                   "when": {"kind": "count", "match": every, "at": "at", "window": window, "op": "==", "value": n},
                   "then": [{"type": "violation", "code": f"N{n}", "message": f"event {n}"}]} for n in range(1, 7)],
    })


def _label(calendar: str, local: datetime) -> Any:
    """The calendar period of a local time, by the calendar's own definition."""
    return {"day": local.date(), "week": local.isocalendar()[:2], "month": (local.year, local.month),
            "year": local.year}[calendar]


ZONES = ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe"]
"""No daylight saving; one-hour saving; half-hour saving (south: in April and October)."""

TURNS = [(2025, 12, 29), (2026, 1, 1), (2026, 3, 1), (2026, 3, 8), (2026, 3, 9), (2026, 4, 5),
         (2026, 10, 4), (2026, 11, 1), (2026, 11, 2)]
"""Local midnights where a day, an ISO week, a month or a year turns, or a clock changes."""


class TestWindowBoundaries:
    """Counts at the exact boundary of every window, written in offsets other than the window's zone."""

    @pytest.mark.parametrize("zone", ZONES)
    @pytest.mark.parametrize("calendar", ["day", "week", "month", "year"])
    def test_calendar_periods(self, zone: str, calendar: str) -> None:
        """Events a microsecond and an hour around each local midnight count in their local period."""
        local = ZoneInfo(zone)
        instants = sorted({(datetime(*day, tzinfo=local) + timedelta(microseconds=us, hours=h)).astimezone(UTC)
                           for day in TURNS for us in (-1, 0, 1) for h in (-1, 0, 1)})
        for backend in BACKENDS:
            engine = SessionEngine(_counting({"calendar": calendar, "tz": zone}), backend=backend)
            seen: dict[Any, int] = {}
            for index, moment in enumerate(instants):
                period = _label(calendar, moment.astimezone(local))
                seen[period] = seen.get(period, 0) + 1
                written = moment.astimezone(OFFSETS[index % len(OFFSETS)])
                fired = engine.session("s").send(Event(at=written), now=moment).rule_ids
                assert fired == ((f"n{seen[period]}",) if seen[period] <= 6 else ()), (backend, written)

    @pytest.mark.parametrize("span", [timedelta(hours=1), timedelta(days=1), timedelta(days=7)])
    def test_rolling_span(self, span: timedelta) -> None:
        """An event exactly a span after another no longer counts it; a microsecond less still does."""
        start = datetime(2026, 3, 1, tzinfo=UTC)
        instants = sorted({start + k * span + timedelta(microseconds=us) for k in range(3) for us in (-1, 0, 1)})
        for backend in BACKENDS:
            engine = SessionEngine(_counting({"rolling": f"{int(span.total_seconds())}s"}), backend=backend)
            for index, moment in enumerate(instants):
                count = sum(1 for earlier in instants[:index] if moment - span < earlier) + 1
                written = moment.astimezone(OFFSETS[index % len(OFFSETS)])
                assert engine.session("s").send(Event(at=written), now=moment).rule_ids == (f"n{count}",)
