"""Night shifts and time of day on a rota's shift date, judged per column as a join on a rota
table, equal the row engine on every row: clock-change days, midnights, shifts crossing
midnight, agents by name and by staff number, and unknown agents (the row engine's error)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel

from csrules import Engine
from csrules._audit import columnar
from csrules._audit.batch import AuditSpec, audit_batch
from csrules._policy.facts import register_fact_type
from csrules._policy.loader import loads_policy
from csrules._time.registry import registered_time
from csrules._time.shifts import Shift, ShiftPattern
from tests.columnar_support import NOW, assert_same, columnar_rules, decisions, table


@register_fact_type(name="rota_probe")
class RotaProbe(BaseModel):
    """A moment an agent (by name or staff number) did something, and when it was asked for."""

    agent: str | None = None
    staff: int | None = None
    at: AwareDatetime | None = None
    asked: AwareDatetime | None = None


def _pattern(zone: str) -> ShiftPattern:
    """A week of day, night and early shifts (night crossing midnight), for three agents."""
    shifts = [Shift(name="day", start="09:00", end="17:00"),
              Shift(name="night", start="22:00", end="06:30", night=True),
              Shift(name="early", start="00:00", end="01:30", night=True),
              Shift(name="late", start="18:00", end="21:00")]
    cycle = [["day"], ["night"], ["night"], ["off"], ["early", "day"], ["late"], ["off"]]
    return ShiftPattern(timezone=zone, shifts=shifts, cycle=[[n for n in day if n != "off"] for day in cycle],
                        anchor=date(2026, 1, 5), agents={"A01": 0, "A02": 3, "1017": 5})


ZONES = {"rota-ny": "America/New_York", "rota-santiago": "America/Santiago", "rota-shanghai": "Asia/Shanghai"}


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """Rotas in a zone changing clocks at 02:00, one changing them at midnight, and one that never does."""
    with registered_time(shift_patterns={name: _pattern(zone) for name, zone in ZONES.items()}):
        yield


CONDITIONS = {
    "night-{p}": "{{kind: night_shift, path: at, shifts: {p}, agent: agent}}",
    "night-staff-{p}": "{{kind: night_shift, path: at, shifts: {p}, agent: staff}}",
    "night-any-{p}": "{{kind: night_shift, path: at, shifts: {p}}}",
    "noon-{p}": '{{kind: time_of_day, path: asked, op: "<", time: "12:00", day_of: at, shifts: {p}, agent: agent}}',
    "eve-before-{p}": '{{kind: time_of_day, path: asked, op: ">=", time: "20:00", day_of: at, days: -1,'
                      ' shifts: {p}, agent: agent, tz: Europe/London}}',
}


def _policy(pattern: str) -> Any:
    rules = "".join(f"""
  - id: R-{name.format(p=pattern)}
    title: {{en: r, zh: 規}}
    when: {when.format(p=pattern)}
    then:
      - {{type: violation, code: V, message: {{en: hit, zh: 中}}}}
""" for name, when in CONDITIONS.items())
    text = f"""
id: t-{pattern}
version: "1"
title: {{en: rota, zh: 班表}}
fact_type: rota_probe
rules:{rules}"""
    return loads_policy(text, name=f"{pattern}.yaml")


@cache
def engine() -> Engine:
    """One policy per rota (built once the rotas are registered)."""
    return Engine([_policy(name) for name in ZONES])


EDGE_DAYS = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 4, 5), date(2026, 9, 6), date(2026, 1, 5),
             date(2026, 12, 31)]
"""New York's and Santiago's clock changes (Santiago's at midnight), a cycle's first day, a year's end."""
CLOCKS = [timedelta(hours=h, minutes=m) for h in (-1, 0, 1, 2, 3, 6, 21, 22, 23, 24, 25) for m in (0, 29, 30)]
AGENTS = [("A01", None), ("A02", 1017), (None, None), ("1017", 1017), ("A01", 1017)]


def _instant(day: date, clock: timedelta, zone: str) -> str:
    return (datetime.combine(day, datetime.min.time(), ZoneInfo(zone)) + clock).isoformat()


def _facts(zone: str) -> list[dict[str, Any]]:
    facts = []
    for index, (day, clock) in enumerate((day, clock) for day in EDGE_DAYS for clock in CLOCKS):
        agent, staff = AGENTS[index % len(AGENTS)]
        asked = _instant(day - timedelta(days=index % 2), clock - timedelta(hours=index % 13), zone)
        facts.append({"agent": agent, "staff": staff, "at": _instant(day, clock, zone), "asked": asked})
    return [*facts, {"agent": "A01", "at": None, "asked": None}]


class TestRotaPerColumn:
    """Both rota kinds are judged per column and agree with the row engine."""

    @pytest.mark.parametrize("zone", sorted(set(ZONES.values())))
    def test_edge_instants_agree(self, zone, monkeypatch):
        """Clock-change days, midnights and shifts over midnight in each zone: every rule per column, equal rows."""
        facts = _facts(zone)
        assert columnar_rules(engine(), "rota_probe", facts) == {
            f"R-{name.format(p=p)}" for name in CONDITIONS for p in ZONES}
        sent: list[object] = []
        monkeypatch.setattr(columnar, "_fallback_engine", lambda spec, keep: sent.append(keep))
        assert_same(engine(), "rota_probe", facts)
        assert sent == []

    def test_rules_hold_somewhere(self):
        """The edge facts make every rule both hold and fail (the comparison is not vacuous)."""
        facts = [fact for zone in sorted(set(ZONES.values())) for fact in _facts(zone)]
        found = decisions(engine(), "rota_probe", facts, columnar=True)
        hit = set(found.filter(found["effect"] == "violation")["rule"].to_list())
        assert hit == {f"R-{name.format(p=p)}" for name in CONDITIONS for p in ZONES}
        assert found.filter(found["effect"] == "clean").height > 0

    @given(st.lists(st.tuples(st.sampled_from(EDGE_DAYS), st.integers(-36 * 60, 60 * 60), st.integers(0, 4),
                              st.integers(-20 * 60, 20 * 60)), min_size=1, max_size=20))
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_generated_facts_agree(self, drawn):
        """Any facts around the edge days (minutes apart, any agent of the rota) agree with the row engine."""
        facts = []
        for day, minutes, who, asked in drawn:
            agent, staff = AGENTS[who]
            at = datetime.combine(day, datetime.min.time(), ZoneInfo("America/Santiago")) + timedelta(minutes=minutes)
            facts.append({"agent": agent, "staff": staff, "at": at.isoformat(),
                          "asked": (at + timedelta(minutes=asked)).isoformat()})
        assert_same(engine(), "rota_probe", facts)


class TestUnknownAgents:
    """An agent the rota does not register is the row engine's error, never a guessed offset."""

    @pytest.mark.parametrize(("agent", "staff"), [("B99", 1017), ("A01", 4242)])
    def test_unknown_agent_is_the_rules_error(self, agent, staff):
        """Rules reading that field report their error on that row, as the row engine does; the rest are judged."""
        facts = [*_facts("Asia/Shanghai")[:20], {"agent": agent, "staff": staff, "at": "2026-01-06T01:00:00+08:00"}]
        field = "agent" if agent == "B99" else "staff"
        reading = {name for name, when in CONDITIONS.items() if f"agent: {field}" in when}
        assert columnar_rules(engine(), "rota_probe", facts) == {
            f"R-{name.format(p=p)}" for name in CONDITIONS if name not in reading for p in ZONES}
        assert_same(engine(), "rota_probe", facts)
        rows = pl.from_arrow(audit_batch(AuditSpec(engine(), "rota_probe", NOW), table(facts)))
        assert isinstance(rows, pl.DataFrame)
        errors = rows.filter((pl.col("effect") == "error") & (pl.col("row") == len(facts)))
        assert errors.height > 0
        assert all("unknown agent" in message for message in errors["message"].to_list())
