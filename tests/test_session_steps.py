"""Generated window steps, remembered period labels and the scheduled scan of durable's
messages, each held equal to a plain reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import pytest
from hypothesis import given

import csrules
from csrules._sessions import SessionEngine
from csrules._sessions.program import (
    _LABELS_KEPT,
    Counter,
    FactProgram,
    compile_program,
    period_label,
    to_us,
    window_step,
)
from csrules._sessions.state import Txn, new_state
from csrules.exceptions import SessionError
from tests.test_session_properties import HIT_POLICIES, PER_HIT, Prop, policies, streams
from tests.test_session_support import ATT9, BACKENDS, CON1, Greeting, Shift

CALENDARS = ("month", "day", "week", "year")
ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York")
WRITTEN = (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)))


def _hours(first: datetime, count: int) -> list[datetime]:
    return [first + timedelta(hours=h) for h in range(count)]


class TestPeriodLabels:
    """A counter's remembered period label is the label of the instant's local date."""

    def test_known_labels(self) -> None:
        """Months, days, ISO weeks (across a year end) and years."""
        assert period_label("month", date(2026, 1, 5)) == "2026-01"
        assert period_label("day", date(2026, 1, 5)) == "2026-01-05"
        assert period_label("week", date(2027, 1, 1)) == "2026-W53"
        assert period_label("week", date(2026, 1, 1)) == "2026-W01"
        assert period_label(None, date(2026, 1, 5)) == "2026"

    @pytest.mark.parametrize("zone", ZONES)
    @pytest.mark.parametrize("calendar", CALENDARS)
    def test_remembered_equals_computed(self, zone: str, calendar: str) -> None:
        """Every hour around a year end, a month end and both 2026 clock changes, written in
        three offsets and asked in two orders, gives the freshly computed label."""
        tz = ZoneInfo(zone)
        counter = Counter("k", lambda f, n: True, lambda f: f, calendar, tz, None)
        moments = [
            *_hours(datetime(2025, 12, 30, tzinfo=UTC), 96),
            *_hours(datetime(2026, 2, 27, tzinfo=UTC), 72),
            *_hours(datetime(2026, 3, 7, tzinfo=UTC), 72),
            *_hours(datetime(2026, 10, 24, tzinfo=UTC), 72),
            *_hours(datetime(2026, 11, 1, tzinfo=UTC), 48),
        ]
        for order in (moments, moments[::-1]):
            for moment in order:
                expected = period_label(calendar, moment.astimezone(tz).date())
                for written in WRITTEN:
                    assert counter.period(moment.astimezone(written)) == expected, moment

    def test_bounded(self) -> None:
        """The labels kept stay within their limit however many dates are seen."""
        counter = Counter("k", lambda f, n: True, lambda f: f, "day", ZoneInfo("UTC"), None)
        first = datetime(2000, 1, 1, tzinfo=UTC)
        for day in range(_LABELS_KEPT + 10):
            counter.period(first + timedelta(days=day))
        assert len(counter._labels) <= _LABELS_KEPT


def _reference(fp: FactProgram, facts: list[Prop]) -> list[list[int]]:
    """Window values per fact, recounted from the whole history for every fact."""
    out = []
    for index, fact in enumerate(facts):
        history = facts[: index + 1]
        w = []
        for plan, slot in zip(fp.window_plan, fp.slots, strict=True):
            if slot.run is not None:
                length = 0
                for earlier in history:
                    length = length + 1 if slot.run.match(earlier, earlier.at) else 0
                w.append(length)
                continue
            counter = slot.counter
            assert counter is not None
            matched = bool(counter.match(fact, fact.at))
            count = sum(1 for earlier in history if counter.match(earlier, earlier.at)
                        and _same_window(counter, earlier.at, fact.at))
            w.append((count if matched else 0) if plan.nth else count)
        out.append(w)
    return out


def _same_window(counter: Counter, earlier: datetime, now: datetime) -> bool:
    if counter.calendar is not None:
        assert counter.tz is not None
        return (period_label(counter.calendar, earlier.astimezone(counter.tz).date())
                == period_label(counter.calendar, now.astimezone(counter.tz).date()))
    if counter.rolling_us is not None:
        return to_us(now) - counter.rolling_us < to_us(earlier) <= to_us(now)
    return True


class TestWindowStep:
    """The generated step gives the values a recount from the whole history gives."""

    @pytest.mark.parametrize("hit", HIT_POLICIES)
    @PER_HIT
    @given(data=st.data())
    def test_equals_recount(self, hit: str, data: st.DataObject) -> None:
        """Counts, nth occurrences and runs, in every window, for random policies and streams
        (in parts by hit policy, so that the parts share the workers)."""
        policy = data.draw(policies(windows=True, hits=(hit,)), label="policy")
        facts = data.draw(streams(), label="facts")
        program = compile_program([policy])
        fp = program.facts["sess_prop"]
        assert fp.step is not None
        state = new_state()
        got = []
        for fact in facts:
            txn = Txn(state)
            w, failed = fp.step(txn, fact, fact.at)
            assert failed == {}
            got.append(w)
            state = txn.commit(program)
        assert got == _reference(fp, facts)

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_failed_condition_is_reported(self, backend: str) -> None:
        """A window condition that raises makes the rules reading it errors; the rest run."""
        policy = csrules.Policy(**CON1)
        engine = SessionEngine(policy, backend=backend)
        fp = engine.program.facts["sess_greeting"]
        counter = fp.counters[0]
        counter.match = _raises
        fp.step = window_step(fp)
        moment = datetime(2026, 1, 5, 9, tzinfo=UTC)
        result = engine.send("a", Greeting(agent="a", at=moment, opening="喂"), now=moment)
        assert result.rule_ids == ()
        assert {e.rule_id for e in result.errors} == {"correct", "warn", "fine"}
        assert all("window condition failed: ZeroDivisionError" in e.message for e in result.errors)


    def test_shared_condition_tested_once(self) -> None:
        """A count and a run over the same condition share one test, and its failure."""
        engine = SessionEngine(csrules.Policy(**ATT9), backend="python")
        fp = engine.program.facts["sess_shift"]
        assert fp.counters[0].match_key == fp.runs[0].match_key
        assert fp.step is not None
        assert [n for n in fp.step.__code__.co_names if n.endswith("_test")] == ["m0_test"]
        fp.counters[0].match = _raises
        fp.step = window_step(fp)
        moment = datetime(2026, 1, 5, 9, tzinfo=UTC)
        result = engine.send("a", Shift(agent="a", at=moment, swapped=True), now=moment)
        assert {e.rule_id for e in result.errors} == {"too-many", "in-a-row"}


def _raises(fact: Any, now: Any) -> bool:
    return bool(1 // 0)


@pytest.mark.skipif("durable" not in BACKENDS, reason="durable-rules is not installed")
class TestScheduledScan:
    """durable's facts and events are scanned on a schedule and after anything unusual."""

    def test_leftover_found_within_the_schedule(self) -> None:
        """A fact left in durable behind the host's back is found within 64 accepted events,
        and until then every answer is the one a clean host gives."""
        engine = SessionEngine(csrules.Policy(**CON1), backend="durable")
        clean = SessionEngine(csrules.Policy(**CON1), backend="durable")
        host = engine._backend.host
        c, handle = host._c, host._handle
        code, state = c.assert_fact(handle, host.encode({"t": "e0", "id": 10**12, "w0": 1}))
        assert code == 0
        action = c.start_action_for_state(handle, state)  # complete its rule: the fact stays
        while action:
            action = c.complete_and_start_action(handle, state)
        moment = datetime(2026, 1, 5, 9, tzinfo=UTC)
        greeting = Greeting(agent="a", at=moment, opening="喂")
        answers: list[tuple[str, ...]] = []

        def send_all() -> None:
            for n in range(64):
                answers.append(engine.send(f"a{n}", greeting, now=moment).rule_ids)

        with pytest.raises(SessionError, match="facts left behind"):
            send_all()
        assert answers == [clean.send(f"a{n}", greeting, now=moment).rule_ids
                           for n in range(len(answers))]
        assert engine.send("b", greeting, now=moment).rule_ids == ("correct",)
