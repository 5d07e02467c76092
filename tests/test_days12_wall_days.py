"""Whole days fall on one wall clock for every reader of a policy: an ``elapsed`` or ``notice``
on a fact type without a ``time_zone`` field counts them in the policy's ``timezone`` (as its
due times do), ``holiday_in_span`` counts its notice's days on the wall clock, the solver
refuses to read a day as 24 hours where the zone changes its clocks, and boundary probes sit
on the engine's own boundary. London moves its clocks on 29 March and 25 October 2026."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import csrules
from csrules._engine.engine import Engine
from csrules._policy.facts import get_fact_type
from csrules._policy.kinds.core import Elapsed
from csrules._testing.boundaries.core import BoundaryContext, Filler, probes_for
from csrules._time.calendar import BusinessCalendar
from csrules._time.registry import registered_time
from csrules._verify.analyses import prove
from csrules._verify.properties import Property
from csrules._verify.solve import PolicyFormulas
from csrules.audit import audit

US = timedelta(microseconds=1)
SPRING = datetime(2026, 3, 28, 9, tzinfo=UTC)  # 09:00 GMT, the day before the clocks go forward
AUTUMN = datetime(2026, 10, 24, 8, tzinfo=UTC)  # 09:00 BST, the day before they go back
ORDER = {"order_id": "wo-1", "first_handler": "A01", "owner": "A01", "owner_role": "agent"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def order_policy(zone: str | None) -> csrules.Policy:
    """Work orders (no ``time_zone`` field): late a day after opening, and a reply due a day
    after opening."""
    return csrules.Policy(
        id="orders", version="1", title="orders", fact_type="work_order", timezone=zone,
        rules=[{"id": "late", "title": "late", "then": [{"type": "escalation", "to": "shift_lead"}],
                "when": {"kind": "elapsed", "since": "opened_at", "op": ">=", "duration": "1d"}},
               {"id": "late-notice", "title": "late", "then": [{"type": "escalation", "to": "agent"}],
                "when": {"kind": "notice", "since": "opened_at", "op": ">=", "duration": "P1D"}},
               {"id": "reply", "title": "reply", "when": {"kind": "is_set", "path": "opened_at"},
                "then": [{"type": "obligation", "action": "reply", "who": "agent",
                          "due": {"since": "opened_at", "after": "1d"}}]}])


def judged(engine: Engine, fact: dict[str, Any], fact_type: str, now: datetime) -> tuple[set[str], set[str], set[str]]:
    """The rules fired by the compiled path, matched in the explaining trace, and fired per column."""
    decision = engine.evaluate(fact, fact_type=fact_type, now=now)
    explained = {rule.rule_id for rule in decision.trace.rules if rule.matched}
    table = audit(engine, [fact], fact_type=fact_type, now=now, workers=1).decisions
    assert table is not None
    return set(decision.rule_ids), explained, {rule for rule in table.column("rule").to_pylist() if rule}


class TestPolicyZone:
    """``elapsed`` and ``notice`` on a fact type without ``time_zone`` count days where the due time does."""

    @pytest.mark.parametrize("opened", [SPRING, AUTUMN], ids=["spring-23h", "autumn-25h"])
    @pytest.mark.parametrize("minutes", [-30, -1, 0, 30])
    def test_late_exactly_when_the_reply_is_overdue(self, opened: datetime, minutes: int) -> None:
        engine = Engine([order_policy("Europe/London")])
        fact = {**ORDER, "opened_at": opened.isoformat()}
        due = engine.evaluate(fact, fact_type="work_order", now=opened).obligations[0].due
        assert due is not None
        assert due.astimezone(UTC) - opened == timedelta(hours=23 if opened == SPRING else 25)
        now = due + timedelta(minutes=minutes)
        expected = {"reply", "late", "late-notice"} if now >= due else {"reply"}
        compiled, explained, columnar = judged(engine, fact, "work_order", now)
        assert compiled == explained == columnar == expected

    def test_the_condition_names_the_policy_zone(self) -> None:
        """Building the policy writes its zone into the conditions, as for ``time_of_day``."""
        rule = order_policy("Europe/London").rule("late")
        assert isinstance(rule.when, Elapsed)
        assert rule.when.tz == "Europe/London"
        assert order_policy(None).rule("late").when.tz is None

    @pytest.mark.parametrize("zone", [None, "Asia/Shanghai"])
    def test_shanghai_days_stay_24_hours(self, zone: str | None) -> None:
        engine = Engine([order_policy(zone)])
        fact = {**ORDER, "opened_at": SPRING.isoformat()}
        for now, expected in ((SPRING + timedelta(hours=24) - US, {"reply"}),
                              (SPRING + timedelta(hours=24), {"reply", "late", "late-notice"})):
            compiled, explained, columnar = judged(engine, fact, "work_order", now)
            assert compiled == explained == columnar == expected

    def test_a_zone_the_data_does_not_know_is_refused(self) -> None:
        with pytest.raises(csrules.CsrulesError, match="Mars/Olympus"):
            csrules.Policy(id="p", version="1", title="p", fact_type="work_order", rules=[
                {"id": "r", "title": "r", "then": [{"type": "escalation", "to": "shift_lead"}],
                 "when": {"kind": "elapsed", "since": "opened_at", "op": ">=", "duration": "1d",
                          "tz": "Mars/Olympus"}}])


LONDON_DESK = BusinessCalendar(timezone="Europe/London", hours={"mon-fri": "09:00-17:00"},
                               holidays=["2026-03-30", "2026-10-26"], holiday_years=[2026],
                               holiday_source="a test", holiday_breaks=False)


@pytest.fixture
def london_desk() -> Any:
    with registered_time(calendars={"days12-london": LONDON_DESK}):
        yield


def holiday_policy(fact_type: str, path: str, until: str, since: str) -> csrules.Policy:
    return csrules.Policy(
        id="holiday", version="1", title="holiday", fact_type=fact_type,
        rules=[{"id": "short", "title": "short", "then": [{"type": "escalation", "to": "shift_lead"}],
                "when": {"kind": "holiday_in_span", "path": path, "until": until, "since": since,
                         "calendar": "days12-london", "duration": "2d"}}])


# (asked, span starts) -> short notice: the holiday's midnight is 2026-03-29 23:00Z and
# 2026-10-26 00:00Z; two wall days before it, 2026-03-28 00:00Z and 2026-10-23 23:00Z
HOLIDAY_CASES = (
    ("2026-03-27 23:30", "2026-03-29 11:00", False),  # 47.5 real hours, but more than two wall days
    ("2026-03-28 00:00", "2026-03-29 11:00", False),  # exactly two wall days
    ("2026-03-28 00:30", "2026-03-29 11:00", True),
    ("2026-10-23 22:30", "2026-10-25 12:00", False),
    ("2026-10-23 23:30", "2026-10-25 12:00", True),  # 48.5 real hours, but less than two wall days
)


class TestHolidayNotice:
    """Two days before Monday's holiday (local midnight) is Saturday's midnight on the wall clock."""

    @pytest.mark.parametrize(("asked", "start", "short"), HOLIDAY_CASES)
    def test_leave_in_london(self, london_desk: None, asked: str, start: str, short: bool) -> None:
        engine = Engine([holiday_policy("leave_request", "start", "end", "requested_at")])
        fact = {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "time_zone": "Europe/London",
                "requested_at": utc(asked).isoformat(), "start": utc(start).isoformat(),
                "end": (utc(start) + timedelta(days=1)).isoformat()}
        expected = {"short"} if short else set()
        compiled, explained, columnar = judged(engine, fact, "leave_request", utc(asked))
        assert compiled == explained == columnar == expected

    @pytest.mark.parametrize(("asked", "start", "short"), HOLIDAY_CASES)
    def test_fact_without_zone_reads_the_calendar_zone(self, london_desk: None, asked: str, start: str,
                                                       short: bool) -> None:
        engine = Engine([holiday_policy("work_order", "replied_at", "resolved_at", "opened_at")])
        fact = {**ORDER, "opened_at": utc(asked).isoformat(), "replied_at": utc(start).isoformat(),
                "resolved_at": (utc(start) + timedelta(days=1)).isoformat()}
        expected = {"short"} if short else set()
        compiled, explained, columnar = judged(engine, fact, "work_order", utc(asked))
        assert compiled == explained == columnar == expected

    def test_trace_names_where_the_notice_ends(self, london_desk: None) -> None:
        engine = Engine([holiday_policy("leave_request", "start", "end", "requested_at")])
        fact = {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "time_zone": "Europe/London",
                "requested_at": "2026-03-27T23:30:00+00:00", "start": "2026-03-29T11:00:00+00:00",
                "end": "2026-03-30T11:00:00+00:00"}
        node = engine.evaluate(fact, fact_type="leave_request", now=SPRING).trace.rules[0].condition
        assert node.values["2d after requested_at"] == utc("2026-03-29 22:30")


LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2026-03-05T08:30:00+08:00",
         "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00", "requested_by": "A01"}


def late_leave(zone: str | None) -> csrules.Policy:
    return csrules.Policy.model_validate({
        "id": "planted", "version": "1", "title": "planted", "fact_type": "leave_request", "timezone": zone,
        "rules": [{"id": "late", "title": "late", "then": [{"type": "violation", "code": "L", "message": "m"}],
                   "when": {"kind": "elapsed", "since": "requested_at", "until": "start", "op": "<", "duration": "1d"},
                   "examples": [{"fact": LEAVE, "now": "2026-03-01T09:00:00+08:00", "expect": []}]}]})


AT_LEAST_24H = Property.model_validate({
    "id": "p", "policy": "planted", "expect": {"excludes": ["violation:L"]},
    "given": {"kind": "elapsed", "since": "requested_at", "until": "start", "op": ">=", "duration": "24h"}})


class TestVerify:
    """The solver reads a day as 24 hours only in a zone that keeps one offset."""

    def test_london_day_is_not_proven_24_hours(self) -> None:
        """A request 24 real hours ahead across the autumn change is less than one London day
        ahead, so "24h ahead is never late" is false: the solver must not prove it."""
        pol = late_leave("Europe/London")
        asked = datetime(2026, 10, 24, 9, tzinfo=UTC)
        fact = {**LEAVE, "requested_at": asked.isoformat(), "start": (asked + timedelta(hours=24)).isoformat(),
                "end": (asked + timedelta(hours=32)).isoformat()}
        assert "violation:L" in Engine([pol]).evaluate(fact, fact_type="leave_request", now=asked).effect_keys
        result = prove(pol, AT_LEAST_24H)
        assert result.status == "not proven"
        assert "changes its clocks" in result.message

    @pytest.mark.parametrize("zone", [None, "Asia/Shanghai"])
    def test_shanghai_day_is_proven(self, zone: str | None) -> None:
        result = prove(late_leave(zone), AT_LEAST_24H)
        assert result.status == "proven"
        assert "1992" in result.message  # the years Shanghai keeps one offset (it changed clocks 1986-1991)


def open_orders(after: str, zone: str | None) -> csrules.Policy:
    return csrules.Policy(
        id="open-orders", version="1", title="open orders", fact_type="work_order", timezone=zone,
        rules=[{"id": "late", "title": f"open after {after}", "then": [{"type": "escalation", "to": "shift_lead"}],
                "when": {"kind": "still_open", "key": "order_id", "since": "opened_at", "after": after,
                         "closed": {"kind": "compare", "path": "status", "op": "==", "value": "closed"}}}])


class TestVerifySessionDeadline:
    """A session's counterexamples are not run again through the engine: a ``still_open`` of
    whole days in a zone with clock changes must not be read as 24-hour days."""

    @pytest.mark.parametrize(("after", "zone", "translated"), [
        ("1d", "Europe/London", False),
        ("P1D", "America/New_York", False),
        ("24h", "Europe/London", True),  # elapsed time: 24 hours in any zone
        ("1d", None, True),
        ("1d", "Asia/Shanghai", True),
    ])
    def test_translated_only_with_24_hour_days(self, after: str, zone: str | None, translated: bool) -> None:
        formulas = PolicyFormulas(open_orders(after, zone))
        assert ("late" not in formulas.unknown) is translated
        if not translated:
            assert "changes its clocks" in formulas.unknown["late"].why


class TestProbes:
    """Boundary probes of a day duration straddle the engine's own boundary across a clock change."""

    @pytest.mark.parametrize("asked", [SPRING, AUTUMN], ids=["spring", "autumn"])
    @pytest.mark.parametrize("kind", ["elapsed", "notice"])
    def test_until_probes(self, asked: datetime, kind: str) -> None:
        policy = csrules.Policy(
            id="ahead", version="1", title="ahead", fact_type="leave_request", timezone="Europe/London",
            rules=[{"id": "short", "title": "short", "then": [{"type": "approval", "role": "department_head"}],
                    "when": {"kind": kind, "since": "requested_at", "until": "start", "op": "<", "duration": "1d"}}])
        engine = Engine([policy])
        cond = policy.rule("short").when
        ctx = BoundaryContext(get_fact_type("leave_request"), policy.param_values, None)
        probes = [p for p in probes_for(cond, ctx) if "missing" not in p.label]
        assert [p.holds for p in probes] == [True, False, False]
        for probe in probes:
            data = {**LEAVE, "time_zone": "Europe/London", "requested_at": asked}
            probe.apply(Filler(_no_draw, data, ctx.model, None))
            data["end"] = data["start"] + timedelta(hours=8)
            fired = engine.evaluate(data, fact_type="leave_request", now=asked).rule_ids
            assert ("short" in fired) is probe.holds, probe.label

    @pytest.mark.parametrize("opened", [SPRING, AUTUMN], ids=["spring", "autumn"])
    def test_now_probes(self, opened: datetime) -> None:
        engine = Engine([order_policy("Europe/London")])
        due = engine.evaluate({**ORDER, "opened_at": opened.isoformat()}, fact_type="work_order",
                              now=opened).obligations[0].due
        assert due is not None
        policy = order_policy("Europe/London")
        for rule_id in ("late", "late-notice"):
            ctx = BoundaryContext(get_fact_type("work_order"), policy.param_values, due)
            probes = [p for p in probes_for(policy.rule(rule_id).when, ctx) if "missing" not in p.label]
            assert [p.holds for p in probes] == [False, True, True]
            for probe in probes:
                data = dict(ORDER)
                probe.apply(Filler(_no_draw, data, ctx.model, due))
                fired = engine.evaluate(data, fact_type="work_order", now=due).rule_ids
                assert (rule_id in fired) is probe.holds, probe.label


def _no_draw(strategy: Any) -> Any:
    raise AssertionError("the probe drew a value: every field it reads is given")
