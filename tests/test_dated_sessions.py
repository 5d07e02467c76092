"""Sessions with dated session policies: each event judged by the version in force on its
day, each tick by the version in force at its instant, windows shared across versions whose
definitions are equal, and a day without a version refused, naming the policy and the day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from csrules import FactError, Policy, PolicyError
from csrules._policy.validity import with_dated_params
from csrules._sessions import SessionEngine
from csrules._sessions.results import StepResult
from csrules._testing.examples import run_examples
from csrules.policies import load_pack
from tests.test_session_support import BACKENDS

JULY = date(2026, 7, 1)
TUNED = [{"value": 2}, {"value": 1, "valid_from": "2026-07-01"}]
"""At most two swaps in 30 days, then at most one from 1 July."""


def _swaps(**changes: Any) -> Policy:
    """Swaps counted in a rolling 30 days; more than ``max_swaps`` is a violation."""
    data: dict[str, Any] = {
        "id": "dated.swaps", "version": "1.0", "title": "swaps in 30 days", "fact_type": "shift_swap",
        "params": {"max_swaps": {"type": "int", "default": 2}},
        "rules": [{"id": "too-many", "title": "too many swaps",
                   "when": {"kind": "count", "match": {"kind": "is_set", "path": "requested_at"},
                            "at": "requested_at", "window": {"rolling": "30d"}, "op": ">", "param": "max_swaps"},
                   "then": [{"type": "violation", "code": "SWAP", "message": "more than {max_swaps} swaps"}]}],
    }
    return Policy(**{**data, **changes})


def _swap(requested: str) -> dict[str, Any]:
    """A swap requested at ``requested`` (Beijing time) of shifts a week later."""
    return {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
            "requester_shift": {"start": "2026-08-05T08:30:00+08:00", "end": "2026-08-05T16:30:00+08:00"},
            "partner_shift": {"start": "2026-08-06T08:30:00+08:00", "end": "2026-08-06T16:30:00+08:00"},
            "requested_at": f"{requested}+08:00"}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


def _judged(result: StepResult) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """Each firing's policy, version and effect keys."""
    return [(f.policy_id, f.version, tuple(e.key for e in f.effects)) for f in result.firings]


def _send(engine: SessionEngine, requested: str, now: str | None = None) -> StepResult:
    return engine.session("A01").send(_swap(requested), now=_at(now or requested), fact_type="shift_swap")


class TestEventsByDay:
    """Each event is judged by the version in force on its own day; counts go on across it."""

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_threshold_changes_on_its_day_and_counts_go_on(self, backend: str) -> None:
        """Two June swaps pass under 2; the July swap is judged by 1 and still sees June's two."""
        engine = SessionEngine(with_dated_params(_swaps(), {"max_swaps": TUNED}), backend=backend)
        assert _judged(_send(engine, "2026-06-20T09:00:00")) == []
        assert _judged(_send(engine, "2026-06-25T09:00:00")) == []  # 2 > 1 would fire under July's
        violation = ("dated.swaps", "1.0@2026-07-01", ("violation:SWAP",))
        assert _judged(_send(engine, "2026-07-02T09:00:00")) == [violation]  # 3 in 30 days
        assert list(engine.export("A01")["state"]["c"]) == [engine.program.facts["shift_swap"].counters[0].key]

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_event_time_chooses_before_now(self, backend: str) -> None:
        """A swap requested on 30 June and sent on 2 July is judged by June's version."""
        engine = SessionEngine(with_dated_params(_swaps(), {"max_swaps": TUNED}), backend=backend)
        _send(engine, "2026-06-20T09:00:00")
        assert _judged(_send(engine, "2026-06-30T23:59:00", "2026-07-02T09:00:00")) == []
        assert [f.version for f in _send(engine, "2026-07-02T10:00:00").firings] == ["1.0@2026-07-01"]

    def test_backends_agree_on_a_sequence_across_the_change(self) -> None:
        """Both backends give the same firings, versions and effects for swaps around 1 July."""
        if len(BACKENDS) < 2:
            pytest.skip("durable-rules is not installed")
        days = ["2026-06-29T09:00:00", "2026-06-30T23:59:59", "2026-07-01T00:00:00", "2026-07-20T09:00:00",
                "2026-08-25T09:00:00", "2026-08-26T09:00:00"]
        seen = []
        for backend in BACKENDS:
            engine = SessionEngine(with_dated_params(_swaps(), {"max_swaps": TUNED}), backend=backend)
            seen.append([_judged(_send(engine, day)) for day in days])
        assert seen[0] == seen[1]
        assert [bool(step) for step in seen[0]] == [False, False, True, True, False, True]

    def test_changed_window_is_a_window_of_its_own(self) -> None:
        """A version whose window differs keeps its own counter, counting from the session's start."""
        before = _swaps(valid_until=JULY)
        after = _swaps(valid_from=JULY, version="2.0")
        after_rule = after.rules[0].model_copy(update={"when": after.rules[0].when.model_copy(
            update={"window": after.rules[0].when.window.model_copy(update={"rolling": None, "calendar": "month"})})})
        after = Policy(**{**after.model_dump(mode="python"), "rules": [after_rule.model_dump(mode="python")]})
        engine = SessionEngine([before, after], backend="python")
        assert len(engine.program.facts["shift_swap"].counters) == 2
        for day in ("2026-06-20T09:00:00", "2026-06-25T09:00:00", "2026-07-02T09:00:00"):
            last = _send(engine, day)
        assert _judged(last) == []  # one swap in July's month: the June swaps are in June's month
        assert _judged(_send(engine, "2026-07-03T09:00:00")) == []
        assert _judged(_send(engine, "2026-07-04T09:00:00")) == [("dated.swaps", "2.0", ("violation:SWAP",))]


class TestRuleKeys:
    """Each version's rule has its own key; undated keys are as they were."""

    def test_keys(self) -> None:
        """The dated rules are keyed with their version, an undated one by policy and rule."""
        dated = SessionEngine(with_dated_params(_swaps(), {"max_swaps": TUNED}), backend="python")
        assert [r.key for r in dated.program.facts["shift_swap"].rules] == [
            "dated.swaps/too-many@1.0", "dated.swaps/too-many@1.0@2026-07-01"]
        plain = SessionEngine(_swaps(), backend="python")
        assert [r.key for r in plain.program.facts["shift_swap"].rules] == ["dated.swaps/too-many"]


def _orders(overrides: dict[str, Any]) -> SessionEngine:
    pack = load_pack("call_centre", overrides={"work_order_session": overrides})
    return pack.sessions(backend="python")


class TestTicks:
    """At a tick the version in force at the tick's instant decides; a deadline fires once."""

    def _order(self, opened: str) -> dict[str, Any]:
        return {"order_id": "W1", "opened_at": f"{opened}+08:00", "first_handler": "A01", "owner": "A01"}

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_shorter_deadline_from_its_day(self, backend: str) -> None:
        """Opened on 30 June at 20:00, 12 hours' grace from 1 July escalates at 09:00 on 1 July."""
        pack = load_pack("call_centre", overrides={"work_order_session": {"shift_lead_after": [
            {"value": "24h"}, {"value": "12h", "valid_from": "2026-07-01"}]}})
        engine = pack.sessions(backend=backend)
        desk = engine.session("desk-1")
        desk.send(self._order("2026-06-30T20:00:00"), now=_at("2026-06-30T20:00:00"), fact_type="work_order")
        assert desk.tick(_at("2026-06-30T23:59:00")).firings == ()
        fired = desk.tick(_at("2026-07-01T09:00:00")).firings
        assert [(f.rule_id, f.version, f.due) for f in fired] == [
            ("ESC-2.open-shift-lead", "1.0@2026-07-01", _at("2026-07-01T08:00:00"))]
        assert [f.rule_id for f in desk.tick(_at("2026-07-01T21:00:00")).firings] == []

    def test_fired_under_one_version_not_again_under_the_next(self) -> None:
        """An escalation reached under June's version is not fired again by July's."""
        engine = _orders({"shift_lead_after": [{"value": "24h"}, {"value": "12h", "valid_from": "2026-07-01"}]})
        desk = engine.session("desk-1")
        desk.send(self._order("2026-06-29T09:00:00"), now=_at("2026-06-29T09:00:00"), fact_type="work_order")
        fired = desk.tick(_at("2026-06-30T10:00:00")).firings
        assert [(f.rule_id, f.version) for f in fired] == [("ESC-2.open-shift-lead", "1.0")]
        assert desk.tick(_at("2026-07-01T01:00:00")).firings == ()


class TestGaps:
    """A day no version covers is refused, naming the policy and the day; nothing changes."""

    def test_event_in_a_gap(self) -> None:
        """A swap on 15 June, between a version ending 1 June and one starting 1 July, is refused."""
        engine = SessionEngine([_swaps(valid_until=date(2026, 6, 1)),
                                _swaps(valid_from=JULY, version="2.0")], backend="python")
        with pytest.raises(FactError, match=r"no version of policy 'dated.swaps' is in force on 2026-06-15"):
            _send(engine, "2026-06-15T09:00:00")
        assert engine.store.load("A01") is None
        assert _judged(_send(engine, "2026-07-15T09:00:00")) == []

    def test_overlap_refused(self) -> None:
        """Two versions of one session policy whose days overlap are refused at build."""
        with pytest.raises(PolicyError, match="overlap"):
            SessionEngine([_swaps(valid_until=date(2026, 7, 15)), _swaps(valid_from=JULY, version="2.0")],
                          backend="python")


class TestExamples:
    """The session examples of each dated version are run by that version."""

    def test_each_version_runs_its_examples(self) -> None:
        """With one swap a month from July, the base examples pass under 1.0 and fail under July's."""
        pack = load_pack("call_centre", overrides={"swap_session": {"max_swaps_per_month": [
            {"value": 2}, {"value": 1, "valid_from": "2026-07-01"}]}})
        results = list(run_examples(pack.session_policies))
        swaps = [r for r in results if r.id.startswith("call_centre.swap_session/")]
        assert len(swaps) == 6  # three examples, each under both versions
        assert sorted(r.passed for r in swaps) == [False, False, False, True, True, True]
        assert all(not r.error for r in swaps)


class TestDueTimes:
    """The due time stored with a session counts only rules that can still fire."""

    def test_rule_of_an_ended_version_is_never_due(self) -> None:
        """June's 12-hour rule never falls due for an order opened in July, where 24 hours hold."""
        engine = _orders({"shift_lead_after": [{"value": "12h"}, {"value": "24h", "valid_from": "2026-07-01"}]})
        order = {"order_id": "W1", "opened_at": "2026-07-02T09:00:00+08:00", "first_handler": "A01", "owner": "A01"}
        engine.session("desk-1").send(order, now=_at("2026-07-02T09:00:00"), fact_type="work_order")
        assert dict(engine.tick_due(_at("2026-07-02T22:00:00"))) == {}
        due = engine.tick_due(_at("2026-07-03T09:01:00"))["desk-1"]
        assert [(f.rule_id, f.version) for f in due.firings] == [("ESC-2.open-shift-lead", "1.0@2026-07-01")]


class TestStoredState:
    """Stored sessions carry over between engines with dated versions."""

    def test_restored_into_a_retuned_engine_counts_go_on(self) -> None:
        """A session exported by one dated engine is restored by another tuning, and its counts go on."""
        first = SessionEngine(with_dated_params(_swaps(), {"max_swaps": TUNED}), backend="python")
        _send(first, "2026-06-20T09:00:00")
        _send(first, "2026-06-25T09:00:00")
        later = [*TUNED, {"value": 5, "valid_from": "2026-08-01"}]
        second = SessionEngine(with_dated_params(_swaps(), {"max_swaps": later}), backend="python")
        second.restore(first.export("A01"))
        assert _judged(_send(second, "2026-07-02T09:00:00")) == [
            ("dated.swaps", "1.0@2026-07-01", ("violation:SWAP",))]

    def test_free_text_version_keeps_stored_fingerprints_readable(self) -> None:
        """A version with spaces and colons is keyed by a hash, and its documents restore elsewhere."""
        odd = [_swaps(valid_until=JULY), _swaps(valid_from=JULY, version="2026 rules: final, v2")]
        engine = SessionEngine(odd, backend="python")
        assert engine.program.facts["shift_swap"].rules[1].key.startswith("dated.swaps/too-many@~")
        _send(engine, "2026-06-20T09:00:00")
        other = SessionEngine(with_dated_params(_swaps(), {"max_swaps": TUNED}), backend="python")
        other.restore(engine.export("A01"))
        assert other.export("A01")["state"]["c"] == engine.export("A01")["state"]["c"]

    def test_mark_fired_before_dating_holds_after(self) -> None:
        """An escalation fired under the undated policy does not fire again once the policy is dated."""
        plain = load_pack("call_centre").sessions(backend="python")
        order = {"order_id": "W1", "opened_at": "2026-06-29T09:00:00+08:00", "first_handler": "A01", "owner": "A01"}
        plain.session("desk-1").send(order, now=_at("2026-06-29T09:00:00"), fact_type="work_order")
        assert plain.session("desk-1").tick(_at("2026-06-30T10:00:00")).firings
        dated = _orders({"shift_lead_after": [{"value": "24h"}, {"value": "12h", "valid_from": "2026-07-01"}]})
        dated.restore(plain.export("desk-1"))
        assert [f.rule_id for f in dated.session("desk-1").tick(_at("2026-07-01T08:00:00")).firings] == []
