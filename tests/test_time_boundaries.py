"""Boundary-seeking generation for the time kinds: facts on both sides of every time threshold.

Each kind is probed on a small policy: the exact boundary instants appear among the drawn
facts (a night-shift leave requested at 11:59:59 and at 12:00:00 on the shift date, a notice
of exactly two business days and one second less, ...), and both the matching and the
non-matching outcome occur. Every probe's claimed outcome is checked against the engine, and
a planted off-by-one on a 12:00 cutoff is found by boundary facts and missed by random ones.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from pydantic import AwareDatetime, BaseModel, Field

from csrules import BusinessCalendar, Engine, Policy, Shift, ShiftPattern, register_fact_type
from csrules._testing.boundaries.core import Target, boundary_targets, facts_for_targets
from csrules._time.registry import registered_time
from csrules.testing import explore, probe_examples

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 15, 30, tzinfo=SH)  # a Monday afternoon

# Thursday 2026-01-01 and Friday 01-02 off, Sunday 01-04 worked in exchange (调休).
OFFICE = BusinessCalendar(
    timezone="Asia/Shanghai",
    hours={"mon-fri": ["09:00-12:00", "13:00-18:00"]},
    holidays=["2026-01-01", "2026-01-02"],
    adjusted_working_days=["2026-01-04"],
)
# 16:00-00:50 night shift six days on, one off, from Monday 2026-01-05.
ROTA = ShiftPattern.on_off(
    timezone="Asia/Shanghai",
    shifts=[Shift(name="late", start="16:00", end="00:50", night=True)],
    shift="late",
    on=6,
    off=1,
    anchor=date(2026, 1, 5),
    agents={"li": 0, "wang": 1},
)


@register_fact_type(name="ttb_fact")
class Fact(BaseModel):
    """Every field type the time kinds read."""

    requested_at: AwareDatetime
    starts_at: AwareDatetime
    day: date
    rest_from: time | None = None
    rest_until: time | None = None
    agent: str | None = None
    kind: str = Field(default="personal", max_length=10)


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """The office calendar and the rota, registered for this module only."""
    with registered_time(calendars={"ttb-office": OFFICE}, shift_patterns={"ttb-rota": ROTA}):
        yield


def policy(when: dict[str, Any], **params: Any) -> Policy:
    """A policy whose one rule ``r`` holds when ``when`` does."""
    return Policy(
        id="ttb",
        version="1",
        title="t",
        fact_type="ttb_fact",
        params=params,
        rules=[{"id": "r", "title": "r", "when": when, "then": [{"type": "violation", "code": "R", "message": "m"}]}],
    )


def probe_pairs(pol: Policy, now: datetime | None = None) -> list[tuple[Target, Any]]:
    """Every probe of ``pol`` in order with facts drawn for it (each probe gets at least one):
    which probes are tried never depends on the draws."""
    pairs = probe_examples(pol, now=now)
    _, targets = boundary_targets(pol, now=now)
    assert [t.label for t in targets] == list(dict.fromkeys(t.label for t, _ in pairs))
    return pairs


def probe_facts(pol: Policy, now: datetime | None = None) -> list[Any]:
    """The facts of :func:`probe_pairs`."""
    return [fact for _, fact in probe_pairs(pol, now)]


def outcomes(pol: Policy, facts: list[Fact], now: datetime | None = None) -> set[bool]:
    """Whether the rule matched, for each fact (errors fail the test)."""
    engine = Engine(pol)
    seen = set()
    for fact in facts:
        decision = engine.evaluate(fact, now=now)
        assert not decision.errors, decision.errors
        seen.add(decision.rule_ids == ("r",))
    return seen


def local(instant: datetime, zone: ZoneInfo = SH) -> datetime:
    """The naive local wall time of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


NIGHT = {"kind": "night_shift", "path": "starts_at", "shifts": "ttb-rota"}
NIGHT_CUTOFF = {
    "kind": "time_of_day",
    "path": "requested_at",
    "op": ">=",
    "time": "12:00",
    "day_of": "starts_at",
    "shifts": "ttb-rota",
}


class TestNotice:
    def test_wall_notice_of_exactly_the_duration_and_one_second_less(self):
        """A 24 h notice draws requests exactly 24 h, 24 h - 1 s and 24 h + 1 s ahead."""
        pol = policy({"kind": "notice", "since": "requested_at", "until": "starts_at", "op": "<", "duration": "24h"})
        facts = probe_facts(pol)
        day = timedelta(hours=24)
        assert {day - timedelta(seconds=1), day, day + timedelta(seconds=1)} <= {
            f.starts_at - f.requested_at for f in facts
        }
        assert outcomes(pol, facts) == {True, False}

    def test_business_notice_at_the_calendar_deadline_and_one_second_before(self):
        """Two business days: the leave starts at calendar.add(requested_at, 2 business days), 1 s before, 1 s after."""
        pol = policy(
            {
                "kind": "notice",
                "since": "requested_at",
                "until": "starts_at",
                "op": "<",
                "duration": "2 business days",
                "calendar": "ttb-office",
            }
        )
        facts = probe_facts(pol)
        offsets = {f.starts_at - OFFICE.add(f.requested_at, "2 business days") for f in facts}
        assert {timedelta(seconds=-1), timedelta(0), timedelta(seconds=1)} <= offsets
        assert outcomes(pol, facts) == {True, False}

    def test_business_notice_until_now_places_the_start(self):
        """Four business hours before now: the last start in time, and the second after it."""
        pol = policy(
            {
                "kind": "notice",
                "since": "requested_at",
                "op": ">=",
                "duration": "4 business hours",
                "calendar": "ttb-office",
            }
        )
        facts = probe_facts(pol, now=NOW)
        starts = {f.requested_at for f in facts}
        last = max(s for s in starts if OFFICE.add(s, "4 business hours") <= NOW)
        assert last + timedelta(seconds=1) in starts
        assert OFFICE.add(last + timedelta(seconds=1), "4 business hours") > NOW
        assert local(last) == datetime(2026, 3, 2, 10, 30)  # 10:30-12:00 and 13:00-15:30
        assert outcomes(pol, facts, now=NOW) == {True, False}


class TestTimeOfDay:
    def test_night_shift_leave_requested_at_11_59_59_and_at_12_00_00(self):
        """Leave from a night shift asked at 11:59:59 and at 12:00:00 on the shift date (after midnight too)."""
        pol = policy({"kind": "all", "of": [NIGHT, NIGHT_CUTOFF]})
        facts = probe_facts(pol)
        asked: set[time] = set()
        for fact in facts:
            shift = ROTA.shift_at(fact.starts_at)
            if shift is not None and shift.night and local(fact.requested_at).date() == shift.shift_date:
                asked.add(local(fact.requested_at).time())
        assert {time(11, 59, 59), time(12, 0), time(12, 0, 1)} <= asked
        assert outcomes(pol, facts) == {True, False}

    def test_a_date_field_moved_a_day_in_another_zone(self):
        """12:00 Berlin time the day before ``day``: requests at 11:59:59 and 12:00:00 that day."""
        pol = policy(
            {
                "kind": "time_of_day",
                "path": "requested_at",
                "op": "<",
                "time": "12:00",
                "day_of": "day",
                "days": -1,
                "tz": "Europe/Berlin",
            }
        )
        facts = probe_facts(pol)
        cutoffs = {local(f.requested_at, BERLIN) - datetime.combine(f.day - timedelta(days=1), time(12)) for f in facts}
        assert {timedelta(seconds=-1), timedelta(0)} <= cutoffs
        assert outcomes(pol, facts) == {True, False}


class TestWithinHours:
    def test_a_quiet_window_across_midnight(self):
        """21:00-09:00: callbacks at 20:59:59, 21:00:00, 08:59:59 and 09:00:00 local time."""
        pol = policy(
            {
                "kind": "within_hours",
                "path": "requested_at",
                "start": {"param": "quiet_from"},
                "end": {"param": "quiet_until"},
                "tz": "Asia/Shanghai",
            },
            quiet_from={"type": "time", "default": "21:00"},
            quiet_until={"type": "time", "default": "09:00"},
        )
        facts = probe_facts(pol)
        clocks = {local(f.requested_at).time() for f in facts}
        assert {time(20, 59, 59), time(21), time(21, 0, 1), time(8, 59, 59), time(9), time(9, 0, 1)} <= clocks
        assert outcomes(pol, facts) == {True, False}

    def test_a_window_given_by_the_fact(self):
        """The customer's own rest hours: callbacks one second before and at each edge."""
        pol = policy(
            {
                "kind": "within_hours",
                "path": "requested_at",
                "start": {"field": "rest_from"},
                "end": {"field": "rest_until"},
                "tz": "Asia/Shanghai",
            }
        )
        facts = [f for f in probe_facts(pol) if f.rest_from is not None and f.rest_until is not None]
        edges = set()
        for fact in facts:
            clock = datetime.combine(date(2026, 1, 1), local(fact.requested_at).time())
            for name, edge in (("start", fact.rest_from), ("end", fact.rest_until)):
                edges.add((name, clock - datetime.combine(date(2026, 1, 1), edge)))
        second = timedelta(seconds=1)
        assert {("start", -second), ("start", timedelta(0)), ("end", -second), ("end", timedelta(0))} <= edges
        assert outcomes(pol, facts) == {True, False}


class TestDays:
    def test_a_holiday_and_the_working_day_next_to_it(self):
        """The break's first and last days (Saturday 01-03 is in the break: days off join it to Friday's
        holiday), the working day before it and the working day after it (a Sunday worked)."""
        pol = policy({"kind": "on_holiday", "path": "day", "calendar": "ttb-office"})
        facts = probe_facts(pol)
        assert {date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 3), date(2026, 1, 4)} <= {f.day for f in facts}
        assert outcomes(pol, facts) == {True, False}

    def test_a_day_off_to_the_second(self):
        """The last second before the break and its first second, its last second and the first second
        after it, in the calendar's zone."""
        pol = policy({"kind": "on_day_off", "path": "starts_at", "calendar": "ttb-office"})
        facts = probe_facts(pol)
        instants = {local(f.starts_at) for f in facts}
        assert {datetime(2025, 12, 31, 23, 59, 59), datetime(2026, 1, 1), datetime(2026, 1, 3, 23, 59, 59),
                datetime(2026, 1, 4)} <= instants
        assert outcomes(pol, facts) == {True, False}


class TestWorkingHours:
    @pytest.mark.parametrize("kind", ["in_working_hours", "outside_working_hours"])
    def test_opening_and_closing_to_the_second(self, kind):
        """Each opening and closing of the first working day (the Sunday worked), one second either side."""
        pol = policy({"kind": kind, "path": "starts_at", "calendar": "ttb-office"})
        _, targets = boundary_targets(pol)
        placed = {t.probe.fixed[1]: t.probe.holds for t in targets if t.probe.fixed is not None}
        sunday = {local(at): holds for at, holds in placed.items() if local(at).date() == date(2026, 1, 4)}
        wanted = {time(8, 59, 59), time(9), time(11, 59, 59), time(12), time(12, 59, 59), time(13), time(17, 59, 59)}
        assert {datetime.combine(date(2026, 1, 4), t) for t in wanted | {time(18)}} <= set(sunday)
        inside = kind == "in_working_hours"
        for instant, holds in placed.items():
            assert holds is (OFFICE.is_working_time(instant) is inside), instant
        assert set(sunday.values()) == {True, False}
        assert outcomes(pol, probe_facts(pol)) == {True, False}


class TestNightShift:
    def test_shift_start_and_end_to_the_second(self):
        """15:59:59, 16:00:00, 00:49:59 and 00:50:00 around the first night shift."""
        pol = policy(NIGHT)
        facts = probe_facts(pol)
        clocks = {local(f.starts_at).time() for f in facts}
        assert {time(15, 59, 59), time(16), time(0, 49, 59), time(0, 50)} <= clocks
        assert outcomes(pol, facts) == {True, False}

    def test_a_named_agent_is_used(self):
        """With an agent field, probes name an agent the rota knows, on that agent's shifts."""
        pol = policy({**NIGHT, "agent": "agent"})
        facts = probe_facts(pol)
        assert {f.agent for f in facts} <= {"li", "wang", None}
        assert outcomes(pol, facts) == {True, False}


def due_22nd(day: date) -> date:
    """The first 22nd on or after ``day``."""
    if day.day <= 22:
        return day.replace(day=22)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=22)


class TestRecurring:
    def test_a_report_due_by_the_22nd_of_each_month(self):
        """Submitted at 23:59:59 on the 22nd and at 00:00:00 on the 23rd of the fact's month."""
        pol = policy(
            {
                "kind": "recurring",
                "path": "requested_at",
                "op": ">",
                "recurrence": "monthly by the 22nd",
                "period_start": "day",
                "tz": "Asia/Shanghai",
            }
        )
        facts = probe_facts(pol)
        late = {local(f.requested_at) - datetime.combine(due_22nd(f.day), time(0)) for f in facts}
        assert {timedelta(days=1, seconds=-1), timedelta(days=1)} <= late  # 22nd 23:59:59, 23rd 00:00:00
        assert outcomes(pol, facts) == {True, False}

    def test_a_meeting_on_the_friday_before_the_25th(self):
        """The due date's first and last second and the days either side."""
        pol = policy(
            {
                "kind": "recurring",
                "path": "requested_at",
                "op": "==",
                "recurrence": "monthly on the Friday before the 25th",
                "tz": "Asia/Shanghai",
            }
        )
        facts = probe_facts(pol)
        instants = {local(f.requested_at) for f in facts}
        friday = datetime(2026, 1, 23)  # the first such Friday from 2026-01-01
        second = timedelta(seconds=1)
        assert {friday - second, friday, friday + timedelta(days=1) - second, friday + timedelta(days=1)} <= instants
        assert outcomes(pol, facts) == {True, False}


CONDITIONS = {
    "notice wall": {"kind": "notice", "since": "requested_at", "until": "starts_at", "op": ">=", "duration": "1h"},
    "notice business": {
        "kind": "notice",
        "since": "requested_at",
        "until": "starts_at",
        "op": "<=",
        "duration": "3 business hours",
        "calendar": "ttb-office",
    },
    "notice until now": {
        "kind": "notice",
        "since": "requested_at",
        "op": "<",
        "duration": "1 business day",
        "calendar": "ttb-office",
    },
    "time of day": {"kind": "time_of_day", "path": "requested_at", "op": "<=", "time": "00:00:30"},
    "time of day own date late": {"kind": "time_of_day", "path": "requested_at", "op": ">=", "time": "23:59:59"},
    "time of day field": {
        "kind": "time_of_day",
        "path": "requested_at",
        "op": "<",
        "time": {"field": "rest_from"},
        "day_of": "starts_at",
        "working_days": 1,
        "calendar": "ttb-office",
    },
    "time of day own date field": {
        "kind": "time_of_day",
        "path": "requested_at",
        "op": ">=",
        "time": {"field": "rest_until"},
    },
    "time of day shift agent": {**NIGHT_CUTOFF, "agent": "agent"},
    "within hours": {"kind": "within_hours", "path": "requested_at", "start": "09:00", "end": "09:00:01"},
    "within hours field": {
        "kind": "within_hours",
        "path": "requested_at",
        "start": "22:00",
        "end": {"field": "rest_until"},
        "calendar": "ttb-office",
    },
    "on holiday": {"kind": "on_holiday", "path": "starts_at", "calendar": "ttb-office"},
    "on day off": {"kind": "on_day_off", "path": "day", "calendar": "ttb-office"},
    "in working hours": {"kind": "in_working_hours", "path": "starts_at", "calendar": "ttb-office"},
    "outside working hours": {"kind": "outside_working_hours", "path": "starts_at", "calendar": "ttb-office"},
    "night shift": NIGHT,
    "recurring own date": {"kind": "recurring", "path": "requested_at", "op": "==", "recurrence": "weekly on Monday"},
    "recurring daily": {"kind": "recurring", "path": "requested_at", "op": ">", "recurrence": "daily at 09:00"},
    "recurring at": {
        "kind": "recurring",
        "path": "requested_at",
        "op": ">=",
        "recurrence": "monthly by the 22nd at 15:00",
        "period_start": "starts_at",
    },
}


class TestProbesTellTheTruth:
    @pytest.mark.parametrize("name", sorted(CONDITIONS))
    def test_each_probe_says_what_the_engine_decides(self, name):
        """For every fact drawn for a probe, the rule matches exactly when the probe says it holds."""
        pol = policy(CONDITIONS[name])
        engine = Engine(pol)
        pairs = probe_pairs(pol, now=NOW)
        checked = 0
        for target, fact in pairs:
            assert target is not None
            decision = engine.evaluate(fact, now=NOW)
            assert not decision.errors, (target.label, decision.errors)
            if target.probe.holds is not None:
                assert (decision.rule_ids == ("r",)) is target.probe.holds, (target.label, fact)
                checked += 1
        assert checked > len(pairs) / 2
        assert outcomes(pol, [fact for _, fact in pairs], now=NOW) == {True, False}


class TestPlantedOffByOne:
    """Boundary generation finds a '<=' written for '<' at 12:00 that random facts miss."""

    EXAMPLES = 100

    @staticmethod
    def rule(op: str) -> Policy:
        """Leave from a night shift asked before 12:00 on the shift date is in time."""
        return policy(
            {"kind": "all", "of": [NIGHT, {**NIGHT_CUTOFF, "op": op}]},
        )

    @staticmethod
    def oracle(fact: Fact) -> list[str]:
        shift = ROTA.shift_at(fact.starts_at)
        if shift is None or not shift.night:
            return []
        cutoff = datetime.combine(shift.shift_date, time(12), tzinfo=SH)
        return ["violation:R"] if fact.requested_at < cutoff else []

    def test_the_correct_rule_passes(self):
        """Without the planted bug, exploration agrees with the oracle."""
        result = explore(self.rule("<"), oracle=self.oracle, max_examples=self.EXAMPLES)
        assert result.ok
        assert result.examples == self.EXAMPLES

    def test_the_noon_probe_exposes_the_planted_bug(self):
        """The probes of the planted rule include 12:00:00 on the shift date, and every fact drawn
        for that probe (its night shift steered) gets a violation the oracle says is wrong."""
        planted = self.rule("<=")
        model, targets = boundary_targets(planted)
        labels = [t.label for t in targets]
        noon = "r: requested_at = 12:00:00 on the shift date of starts_at"
        assert noon in labels
        target = targets[labels.index(noon)]
        engine = Engine(planted)

        @settings(max_examples=30, database=None, deadline=None, derandomize=True)
        @given(facts_for_targets(model, [target], now=None, always_steer=True))
        def every_fact_shows_it(pair: tuple[Target, Fact]) -> None:
            fact = pair[1]
            shift = ROTA.shift_at(fact.starts_at)
            assert shift is not None
            assert shift.night
            assert local(fact.requested_at) == datetime.combine(shift.shift_date, time(12))
            assert self.oracle(fact) == []
            assert engine.evaluate(fact).effect_keys == ("violation:R",)

        every_fact_shows_it()

    def test_at_most_instead_of_before_noon(self):
        """'<=' for '<' on 12:00: explore tries every probe first, so it finds the bug (only a
        request at exactly 12:00:00 on the shift date shows it) by the noon probe's first
        example at the latest; random facts miss it."""
        planted = self.rule("<=")
        found = explore(planted, oracle=self.oracle, max_examples=self.EXAMPLES)
        assert found.finding is not None
        fact = found.finding.fact
        shift = ROTA.shift_at(fact.starts_at)
        assert shift is not None
        assert local(fact.requested_at) == datetime.combine(shift.shift_date, time(12))
        assert "expected [], got ['violation:R']" in found.render()
        _, targets = boundary_targets(planted)
        share = self.EXAMPLES // (2 * len(targets))
        noon = [t.label for t in targets].index("r: requested_at = 12:00:00 on the shift date of starts_at")
        assert found.finding.example <= noon * share + 1
        # A random fact would need a night shift and a request at exactly 12:00:00 on its date.
        missed = explore(planted, oracle=self.oracle, boundaries=False, max_examples=self.EXAMPLES)
        assert missed.ok
        assert missed.examples == self.EXAMPLES
