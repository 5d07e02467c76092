"""One meaning of "a day" wherever a duration is added to an instant: whole days fall on the wall
clock of the fact's zone (RFC 5545's nominal duration), hours are elapsed time. The engine's
conditions (compiled and explained), obligation due times, session deadlines, escalation
ladders, SLA targets and the columnar audit give the same instant at London's and New York's
clock changes, and Asia/Shanghai (no clock changes) reads both alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import csrules
from csrules._engine.engine import Engine
from csrules._sessions.due import day_count, due_after
from csrules._time.durations import parse_duration
from csrules._time.nominal import HORIZON, add_duration, steady_between, steady_since
from csrules.audit import audit
from csrules.domain.escalation import EscalationLadder, LadderStep
from csrules.domain.slas import SlaPolicy, SlaTicket
from csrules.policies import load_pack

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
US = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestAddDuration:
    """The one function that adds a duration to an instant."""

    @pytest.mark.parametrize(("start", "written", "zone", "expected"), [
        # London jumps 01:00 GMT -> 02:00 BST on Sun 29 Mar 2026: one day is 23 hours
        (datetime(2026, 3, 28, 9, tzinfo=LONDON), "1d", LONDON, "2026-03-29 08:00"),
        # and back 02:00 BST -> 01:00 GMT on Sun 25 Oct 2026: one day is 25 hours
        (datetime(2026, 10, 24, 9, tzinfo=LONDON), "1d", LONDON, "2026-10-25 09:00"),
        # New York jumps on Sun 8 Mar 2026 and falls back on Sun 1 Nov 2026
        (datetime(2026, 3, 7, 9, tzinfo=NEW_YORK), "P1D", NEW_YORK, "2026-03-08 13:00"),
        (datetime(2026, 10, 31, 9, tzinfo=NEW_YORK), "1 day", NEW_YORK, "2026-11-01 14:00"),
        (datetime(2026, 3, 27, 9, tzinfo=LONDON), "1 week", LONDON, "2026-04-03 08:00"),
        # 01:30 on 29 Mar does not exist in London: moved forward by the gap, to 02:30 BST
        (datetime(2026, 3, 28, 1, 30, tzinfo=LONDON), "1d", LONDON, "2026-03-29 01:30"),
        # 01:30 on 25 Oct happens twice: the earlier, 01:30 BST
        (datetime(2026, 10, 24, 1, 30, tzinfo=LONDON), "1d", LONDON, "2026-10-25 00:30"),
        # hours are elapsed time, however the clocks move
        (datetime(2026, 3, 28, 9, tzinfo=LONDON), "24h", LONDON, "2026-03-29 09:00"),
        (datetime(2026, 3, 28, 9, tzinfo=LONDON), "PT24H", LONDON, "2026-03-29 09:00"),
        # mixed: the day on the wall (09:00 BST), then 12 elapsed hours
        (datetime(2026, 3, 28, 9, tzinfo=LONDON), "1d12h", LONDON, "2026-03-29 20:00"),
        (datetime(2026, 3, 28, 9, tzinfo=LONDON), "P1DT12H", LONDON, "2026-03-29 20:00"),
        # Shanghai keeps one offset since September 1991: a day is 24 hours
        (datetime(2026, 3, 28, 9, tzinfo=SHANGHAI), "1d", SHANGHAI, "2026-03-29 01:00"),
        # but it moved its clocks 1986-1991: the night of 17 April 1988 was 23 hours long,
        (datetime(1988, 4, 16, 9, tzinfo=SHANGHAI), "1d", SHANGHAI, "1988-04-17 00:00"),
        # and the last change, on 15 September 1991, made one 25 hours long
        (datetime(1991, 9, 14, 9, tzinfo=SHANGHAI), "1d", SHANGHAI, "1991-09-15 01:00"),
    ], ids=["london-spring", "london-autumn", "new-york-spring", "new-york-autumn", "week", "gap", "fold",
            "hours", "iso-hours", "mixed", "iso-mixed", "shanghai", "shanghai-1988", "shanghai-1991"])
    def test_add_duration(self, start: datetime, written: str, zone: ZoneInfo, expected: str) -> None:
        """Whole days keep the wall-clock time, hours are elapsed; gap forward, fold earlier."""
        duration = parse_duration(written)
        assert add_duration(start, duration, zone) == utc(expected)
        # the same instant written in another offset gives the same answer
        assert add_duration(start.astimezone(SHANGHAI), duration, zone.key) == utc(expected)

    @pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Kolkata", "Europe/London", "America/Sao_Paulo"])
    def test_steady_offset_shortcut(self, zone: str) -> None:
        """From the instant a zone keeps one offset, days added in UTC land on the same wall time;
        a microsecond before it, they may not (its last clock change)."""
        tz = ZoneInfo(zone)
        steady = steady_since(tz)
        if steady is None or steady.year >= 2099:  # still changing its clocks: nothing to shortcut
            assert zone == "Europe/London"
            return
        for at in (steady, steady + timedelta(days=400), HORIZON - timedelta(days=3)):
            reached = add_duration(at, timedelta(days=2), tz)
            assert reached.astimezone(tz).replace(tzinfo=None) == at.astimezone(tz).replace(tzinfo=None) + \
                timedelta(days=2)
            assert reached - at == timedelta(days=2)
        before = steady - US
        assert before.astimezone(tz).utcoffset() != steady.astimezone(tz).utcoffset() or steady.year == 1970

    @pytest.mark.parametrize(("zone", "first", "last", "days", "steady"), [
        ("Asia/Shanghai", "2000-01-01 00:00", "2030-01-01 00:00", 3, True),  # steady since 1991
        ("Asia/Shanghai", "1988-04-10 00:00", "1988-04-16 00:00", 1, False),  # the 1988 change
        ("Europe/London", "2026-06-01 00:00", "2026-06-30 00:00", 7, True),  # one summer
        ("Europe/London", "2026-03-01 00:00", "2026-03-28 09:00", 1, False),  # the day after: BST
        ("Europe/London", "2026-03-01 00:00", "2026-03-20 00:00", 9, False),  # the days reach it
    ])
    def test_batch_of_instants(self, zone: str, first: str, last: str, days: int, steady: bool) -> None:
        """A batch of instants adds its days as 24 hours each only where the zone keeps one offset
        from its first instant to the days after its last."""
        assert steady_between(zone, utc(first), utc(last), days) is steady

    def test_session_due_time_is_the_same_function(self) -> None:
        """A session's due time (microseconds) is add_duration's instant, mixed durations too."""
        start = datetime(2026, 3, 28, 9, tzinfo=LONDON)
        for written in ("1d", "1d12h", "36h", "1 week"):
            duration = parse_duration(written)
            start_us = (start - EPOCH) // US
            due = due_after(start_us, duration.delta // US, day_count(duration), "Europe/London")
            assert EPOCH + due * US == add_duration(start, duration, LONDON), written


class TestWrittenBack:
    """A duration is written back (and so hashed and documented) with the same meaning."""

    @pytest.mark.parametrize(("written", "shown", "words"), [
        ("1d12h", "1d12h", "1 day 12 hours"), ("1.5d", "1d12h", "1 day 12 hours"),
        ("P1DT12H", "1d12h", "1 day 12 hours"), ("36h", "36h", "36 hours"), ("1d", "1d", "1 day"),
    ])
    def test_mixed_durations_keep_their_days(self, written: str, shown: str, words: str) -> None:
        """``1d12h`` reads back as a day and 12 hours, not as 36 elapsed hours."""
        duration = parse_duration(written)
        assert str(duration) == shown
        assert duration.describe() == words
        start = datetime(2026, 3, 28, 9, tzinfo=LONDON)
        assert add_duration(start, parse_duration(str(duration)), LONDON) == add_duration(start, duration, LONDON)


def leave(zone: ZoneInfo, asked: datetime, start: datetime, **more: Any) -> dict[str, Any]:
    return {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "time_zone": zone.key,
            "requested_at": asked.isoformat(), "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(), **more}


def fired(engine: Engine, fact: dict[str, Any], now: datetime) -> tuple[set[str], set[str]]:
    """The rules the compiled path fires and those the explaining trace says matched."""
    decision = engine.evaluate(fact, fact_type="leave_request", now=now)
    return set(decision.rule_ids), {rule.rule_id for rule in decision.trace.rules if rule.matched}


CC = load_pack("call_centre")


class TestLeaveNotice:
    """ATT-1: ordinary personal leave is asked one day ahead (一般事假需在一天提出)."""

    @pytest.mark.parametrize("zone", [LONDON, NEW_YORK], ids=["london", "new-york"])
    def test_one_day_across_spring_forward_is_one_day(self, zone: ZoneInfo) -> None:
        """Asked 09:00 the day before the clocks go forward, for 09:00 next day: one day's notice
        (23 real hours), as a person and a session read it; compiled and explained paths agree."""
        day = 28 if zone is LONDON else 7
        asked = datetime(2026, 3, day, 9, tzinfo=zone)
        fact = leave(zone, asked, asked + timedelta(days=1))
        compiled, explained = fired(CC.engine(), fact, asked)
        assert "ATT-1.personal-notice" not in compiled
        assert compiled == explained

    def test_one_minute_short_is_late(self) -> None:
        """A minute less than the wall-clock day is short notice, on both paths."""
        asked = datetime(2026, 3, 28, 9, 1, tzinfo=LONDON)
        fact = leave(LONDON, asked, datetime(2026, 3, 29, 9, tzinfo=LONDON))
        compiled, explained = fired(CC.engine(), fact, asked)
        assert "ATT-1.personal-notice" in compiled
        assert compiled == explained

    def test_autumn_day_is_25_hours(self) -> None:
        """Before the clocks go back, 24 real hours ahead is an hour short of one day's notice."""
        asked = datetime(2026, 10, 24, 9, tzinfo=LONDON)
        fact = leave(LONDON, asked, asked.astimezone(UTC) + timedelta(hours=24))
        compiled, explained = fired(CC.engine(), fact, asked)
        assert "ATT-1.personal-notice" in compiled
        assert compiled == explained


SICK_BACK_ON_CHANGE = {
    # sick on Sat 28 Mar 2026 in London: the first day back is Sun 29 Mar, 23 hours long
    "agent_id": "A01", "kind": "sick", "requested_by": "A01", "time_zone": "Europe/London",
    "requested_at": "2026-03-28T07:00:00+00:00", "start": "2026-03-28T08:30:00+00:00",
    "end": "2026-03-28T16:30:00+00:00",
}


class TestSickNote:
    """ATT-4: the note reaches the shift lead on the first day back (假條必須在病假到期後第一天交給班長)."""

    def test_first_day_back_ends_at_local_midnight(self) -> None:
        """The obligation is due at the end of the first day back (00:00 BST, not 01:00 BST)."""
        decision = CC.engine().evaluate(SICK_BACK_ON_CHANGE, fact_type="leave_request",
                                        now=utc("2026-03-29 12:00"))
        (owed,) = [o for o in decision.obligations if o.rule_id == "ATT-4.certificate"]
        assert owed.due == datetime(2026, 3, 30, 0, tzinfo=LONDON)

    def test_missing_after_the_day_ended(self) -> None:
        """At 00:30 BST on the day after, the day has passed: ATT-4 is breached, on both paths
        and in the columnar audit."""
        now = datetime(2026, 3, 30, 0, 30, tzinfo=LONDON)
        compiled, explained = fired(CC.engine(), SICK_BACK_ON_CHANGE, now)
        assert "ATT-4.certificate-missing" in compiled
        assert "ATT-4.certificate" not in compiled
        assert compiled == explained
        table = audit(CC, [SICK_BACK_ON_CHANGE], fact_type="leave_request", now=now, workers=1).decisions
        assert table is not None
        assert set(table.column("rule").to_pylist()) == compiled

    def test_columnar_due_time(self) -> None:
        """The columnar audit names the engine's due time for the note."""
        now = utc("2026-03-29 12:00")
        table = audit(CC, [SICK_BACK_ON_CHANGE], fact_type="leave_request", now=now, workers=1).decisions
        assert table is not None
        dues = [due for rule, due in zip(table.column("rule").to_pylist(), table.column("due").to_pylist(),
                                         strict=True) if rule == "ATT-4.certificate"]
        assert dues == [datetime(2026, 3, 29, 23, tzinfo=UTC)]


class TestLadderAndSla:
    """Escalation ladders and SLA targets count days on the wall clock too."""

    def test_ladder_step_in_days(self) -> None:
        """A step of one day falls at the same London clock time; one of 24h, 24 real hours later."""
        opened = datetime(2026, 3, 28, 9, tzinfo=LONDON)
        ladder = EscalationLadder("agent", (LadderStep(timedelta(days=1), "shift_lead"),), "Europe/London")
        assert ladder.position(opened, opened).next_at == datetime(2026, 3, 29, 9, tzinfo=LONDON)
        later = opened.astimezone(UTC) + timedelta(hours=23, minutes=30)  # past 09:00 BST
        assert ladder.position(opened, later).owner_role == "shift_lead"
        hours = EscalationLadder("agent", (LadderStep(timedelta(days=1), "shift_lead", parse_duration("24h")),),
                                 "Europe/London")
        assert hours.position(opened, opened).next_at == datetime(2026, 3, 29, 10, tzinfo=LONDON)
        assert hours.position(opened, later).owner_role == "agent"

    def test_pack_ladder_hours_unchanged(self) -> None:
        """The call-centre ladder (超過24小時) stays 24 elapsed hours in London."""
        ladder = EscalationLadder.from_policy(CC.versions("call_centre.work_order"),
                                              as_of=datetime(2026, 3, 28, 9, tzinfo=LONDON))
        opened = datetime(2026, 3, 28, 9, tzinfo=LONDON)
        assert ladder.position(opened, opened, time_zone="Europe/London").next_at == \
            datetime(2026, 3, 29, 10, tzinfo=LONDON)

    def test_sla_target_in_days(self) -> None:
        """A resolution target of 1d breaches at the same London clock time the next day."""
        sla = SlaPolicy(targets={"normal": {"resolution": "1d", "first_reply": "24h"}}, timezone="Europe/London")
        ticket = SlaTicket(ticket_id="T1", priority="normal", created_at=datetime(2026, 3, 28, 9, tzinfo=LONDON))
        clocks = {c.metric: c for c in sla.clocks(ticket, now=datetime(2026, 3, 28, 10, tzinfo=LONDON))}
        assert clocks["resolution"].breach_at == datetime(2026, 3, 29, 9, tzinfo=LONDON)
        assert clocks["first_reply"].breach_at == datetime(2026, 3, 29, 10, tzinfo=LONDON)


def notice_policy(duration: str) -> csrules.Policy:
    return csrules.Policy(
        id="notice", version="1", title="notice", fact_type="leave_request",
        rules=[{"id": "short", "title": "short notice", "then": [{"type": "approval", "role": "department_head"}],
                "when": {"kind": "elapsed", "since": "requested_at", "until": "start", "op": "<",
                         "duration": duration}},
               {"id": "short-notice", "title": "short notice", "then": [{"type": "approval", "role": "agent"}],
                "when": {"kind": "notice", "since": "requested_at", "until": "start", "op": "<",
                         "duration": duration}}])


ZONES = st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Shanghai"])


class TestPathsAgree:
    """Row, compiled, explained, session and columnar paths put a deadline at one instant."""

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    # the clock changes themselves, whatever hypothesis draws: days of 23 and 25 hours, a wall
    # time the clocks skip and one they repeat, and a zone that keeps its offset
    @example(asked=utc("2026-03-28 09:00"), zone="Europe/London", days=1, hours="", before=True)
    @example(asked=utc("2026-03-28 09:00"), zone="Europe/London", days=1, hours="", before=False)
    @example(asked=utc("2026-03-28 01:30"), zone="Europe/London", days=1, hours="", before=True)  # gap
    @example(asked=utc("2026-10-24 00:30"), zone="Europe/London", days=1, hours="6h", before=True)  # fold
    @example(asked=utc("2026-03-07 14:00"), zone="America/New_York", days=1, hours="", before=False)
    @example(asked=utc("2026-10-31 13:00"), zone="America/New_York", days=2, hours="6h", before=True)
    @example(asked=utc("2026-10-02 22:00"), zone="Australia/Sydney", days=1, hours="", before=True)
    @example(asked=utc("2026-04-03 22:00"), zone="Australia/Sydney", days=3, hours="6h", before=False)
    @example(asked=utc("2026-03-28 09:00"), zone="Asia/Shanghai", days=1, hours="", before=True)
    @given(asked=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31),
                              timezones=st.just(UTC)),
           zone=ZONES, days=st.integers(1, 9), hours=st.sampled_from(["", "6h"]), before=st.booleans())
    def test_deadline_agrees(self, asked: datetime, zone: str, days: int, hours: str, before: bool) -> None:
        """A leave starting at the deadline (or a microsecond before it) has short notice on no
        path (on every path); the session's due time is the same instant."""
        written = f"{days}d{hours}"
        duration = parse_duration(written)
        deadline = add_duration(asked, duration, zone)
        start = deadline - US if before else deadline
        fact = {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "time_zone": zone,
                "requested_at": asked.isoformat(), "start": start.isoformat(),
                "end": (deadline + timedelta(hours=8)).isoformat()}
        engine = Engine([notice_policy(written)])
        compiled, explained = fired(engine, fact, asked)
        assert compiled == explained == ({"short", "short-notice"} if before else set())
        table = audit(engine, [fact], fact_type="leave_request", now=asked, workers=1).decisions
        assert table is not None
        assert {rule for rule in table.column("rule").to_pylist() if rule} == compiled
        asked_us = (asked - EPOCH) // US
        assert EPOCH + due_after(asked_us, duration.delta // US, day_count(duration), zone) * US == deadline
