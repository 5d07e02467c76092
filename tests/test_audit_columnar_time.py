"""The time kinds judged per column equal the row engine on edge instants: clock changes,
year ends, holidays and calendars that do not cover a year (refused, never guessed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csrules import Engine
from csrules._audit import columnar
from csrules._audit.col_zone import day_offsets
from csrules._policy.loader import loads_policy
from csrules._time.calendar import BusinessCalendar, load_zone
from csrules._time.registry import registered_time
from tests.columnar_support import assert_same, columnar_rules

NEW_YORK = BusinessCalendar(
    timezone="America/New_York", hours={"mon-sun": ["00:30-02:30", "09:00-18:00"]}, holidays=["2026-11-26"],
    holiday_years=[2025, 2026], holiday_source="a test")


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """A calendar of a zone that changes its clocks, registered for this module only."""
    with registered_time(calendars={"test-new-york": NEW_YORK}):
        yield

CONDITIONS = {
    "noon-on-creation-day": '{kind: time_of_day, path: called_at, op: "<", time: "12:00", day_of: created_at,'
                            ' tz: America/New_York}',
    "after-rest-start": '{kind: time_of_day, path: called_at, op: ">=", time: {field: rest_from}}',
    "next-working-day": '{kind: time_of_day, path: called_at, op: "<=", time: "18:00", day_of: created_at,'
                        ' working_days: 1, calendar: china}',
    "day-before-kathmandu": '{kind: time_of_day, path: called_at, op: ">", time: "23:30", days: -1,'
                            ' tz: Asia/Kathmandu}',
    "gap-clock": '{kind: time_of_day, path: called_at, op: ">=", time: "02:30", tz: America/New_York}',
    "holiday": "{kind: on_holiday, path: called_at, calendar: china}",
    "day-off": "{kind: on_day_off, path: called_at, calendar: test-new-york}",
    "working-hours": "{kind: in_working_hours, path: called_at, calendar: test-new-york}",
    "outside-hours": "{kind: outside_working_hours, path: called_at, calendar: china}",
    "rest-window": "{kind: within_hours, path: called_at, start: {field: rest_from}, end: {field: rest_to},"
                   " tz: Europe/London}",
    "notice-business": '{kind: notice, since: created_at, until: called_at, op: ">=", duration: 2 business days,'
                       " calendar: china}",
    "notice-clock": '{kind: notice, since: created_at, op: "<", duration: 24h}',
    "recurring-day": '{kind: recurring, path: called_at, op: "==", recurrence: "monthly on the last day",'
                     " tz: America/New_York}",
    "recurring-due": '{kind: recurring, path: called_at, op: ">", recurrence: "monthly by the 8th",'
                     " period_start: created_at, tz: Europe/London}",
}


def _policy(name: str, when: str) -> Any:
    text = f"""
id: t-{name}
version: "1"
title: {{en: {name}, zh: 測試}}
fact_type: callback_task
rules:
  - id: R-{name}
    title: {{en: {name}, zh: 測試}}
    when: {when}
    then:
      - {{type: violation, code: R-{name}, message: {{en: hit, zh: 中}}}}
      - {{type: obligation, action: {{en: call back, zh: 回電}}, who: agent,
         due: {{after: 1 business days, since: created_at, calendar: china}}}}
"""
    return loads_policy(text, name=f"{name}.yaml")


@cache
def engine() -> Engine:
    """One policy per condition (built once the test calendar is registered)."""
    return Engine([_policy(name, when) for name, when in CONDITIONS.items()])

INSTANTS = [
    None, "2025-12-31T23:59:59.999999+08:00", "2026-01-01T00:00:00+08:00", "2026-01-02T09:00:00+08:00",
    "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z", "2026-03-08T16:59:59.999999Z",
    "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-10-01T10:00:00+08:00", "2026-09-27T10:00:00+08:00",
    "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", "2026-11-26T12:00:00-05:00",
    "2026-05-31T18:15:00Z",
]
RESTS = [(None, None), ("22:00", "08:00"), ("02:30", "02:30"), ("00:00", "23:59:59.999999")]


def _facts(instants: list[str | None]) -> list[dict[str, Any]]:
    facts = []
    for index, called in enumerate(instants):
        for rest_from, rest_to in RESTS:
            created = instants[(index + 3) % len(instants)] or "2026-03-07T12:00:00-05:00"
            if called is not None and datetime.fromisoformat(called) < datetime.fromisoformat(created):
                created, called = called, created  # a call cannot come before its task: both instants kept
            facts.append({"customer": "K1", "created_at": created, "called_at": called,
                          "rest_from": rest_from, "rest_to": rest_to})
    return facts


class TestTimeKinds:
    """Every time kind judged per column agrees with the row engine on every row."""

    def test_every_kind_is_columnar_on_covered_years(self, monkeypatch):
        """With every date in years the calendars cover, each kind and each business due time is judged per column."""
        assert columnar_rules(engine(), "callback_task", _facts(INSTANTS)) == {f"R-{name}" for name in CONDITIONS}
        sent: list[object] = []
        monkeypatch.setattr(columnar, "_fallback_engine", lambda spec, keep: sent.append(keep))
        assert_same(engine(), "callback_task", _facts(INSTANTS)[::5])
        assert sent == []

    @pytest.mark.parametrize("part", range(3))
    def test_edge_instants_agree(self, part):
        """Clock changes, year ends, holidays, adjusted days and missing instants agree (a third each)."""
        assert_same(engine(), "callback_task", _facts(INSTANTS)[part::3])

    def test_uncovered_year_is_refused_not_guessed(self):
        """A date in a year the calendar does not list goes to the row engine, which reports the rule's error."""
        late = ["2027-03-03T10:00:00+08:00", "2027-01-01T10:00:00+08:00", "2026-12-31T16:00:00Z"]
        facts = _facts([*INSTANTS[:6], *late])
        judged = columnar_rules(engine(), "callback_task", facts)
        assert not judged & {"R-holiday", "R-notice-business", "R-next-working-day"}
        assert "R-notice-clock" in judged  # its business due time is computed only where it matched
        assert "R-noon-on-creation-day" in judged
        assert_same(engine(), "callback_task", facts)

    def test_far_dates(self):
        """Instants at the ends of the calendar of datetimes agree (or go to the row engine)."""
        facts = _facts([None, "0001-01-02T00:00:00+00:00", "9999-12-30T00:00:00+00:00", "2026-03-08T07:00:00Z"])
        assert_same(engine(), "callback_task", facts)


ZONES = ["America/New_York", "Europe/London", "Asia/Kathmandu", "Australia/Lord_Howe", "America/Sao_Paulo",
         "Asia/Shanghai", "Pacific/Apia"]


class TestDayOffsets:
    """The per-day offsets equal ``astimezone`` at every second around each clock change."""

    @pytest.mark.parametrize("zone", ZONES)
    def test_offsets_match_zoneinfo(self, zone):
        """For each UTC day of 2026 (and 1900 and 2011), the offset found for any instant equals Python's."""
        place = load_zone(zone)
        days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)] + [date(1900, 1, 1), date(2011, 12, 30)]
        for day in days:
            found = day_offsets(zone, day)
            assert found is not None
            start, change, after = found
            midnight = datetime.combine(day, time(0), tzinfo=UTC)
            assert midnight.astimezone(place).utcoffset() == start
            if change is not None:
                assert (change - timedelta(microseconds=1)).astimezone(place).utcoffset() == start
                assert change.astimezone(place).utcoffset() == after
            else:
                assert (midnight + timedelta(days=1, microseconds=-1)).astimezone(place).utcoffset() == start


_MOMENTS = st.datetimes(min_value=datetime(2025, 1, 2), max_value=datetime(2026, 12, 28),
                        timezones=st.just(UTC)).map(lambda at: at.isoformat())
_CLOCKS = st.times().map(lambda at: at.isoformat())


class TestDrawnInstants:
    """Drawn batches (the same draws every run) agree on every kind, on every row."""

    @settings(max_examples=8, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(_MOMENTS, st.one_of(st.none(), _MOMENTS), _CLOCKS, _CLOCKS), min_size=1, max_size=8))
    def test_drawn_batches(self, drawn):
        """Any instants of the covered years, with any rest window, agree."""
        facts = [{"customer": "K1", "created_at": created, "called_at": called, "rest_from": a, "rest_to": b}
                 for created, called, a, b in drawn]
        assert_same(engine(), "callback_task", facts)
