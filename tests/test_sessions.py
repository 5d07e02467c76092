"""Sessions: CON-1, ATT-9 and ESC-2 through sessions with ticks, on both backends."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import tracemalloc
from datetime import datetime, timedelta

import pytest

import csrules
from csrules._sessions import SessionEngine, available_backends
from csrules.exceptions import FactError, PolicyError, SessionError, StateError, TimeError
from tests.test_session_support import (
    ATT9,
    BACKENDS,
    CON1,
    ESC2,
    Greeting,
    Shift,
    WorkOrder,
    at,
    engine,
)

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def greet(s, when: datetime, opening: str = "喂，您好"):
    return s.send(Greeting(agent="a1", at=when, opening=opening), now=when)


def shift(s, when: datetime, swapped: bool):
    return s.send(Shift(agent="a1", at=when, swapped=swapped), now=when)


class TestCON1:
    """Progressive discipline for 喂: corrected, warned, then fined, per calendar month."""

    def test_first_second_third_and_later(self, backend):
        """The 1st 喂 in a month is corrected, the 2nd warned, the 3rd and 4th fined."""
        s = engine(backend).session("agent-1")
        got = [greet(s, at(day)).rule_ids for day in (2, 3, 4, 5)]
        assert got == [("correct",), ("warn",), ("fine",), ("fine",)]

    def test_clean_openings_do_not_count(self, backend):
        """您好 alone triggers nothing and does not advance the count."""
        s = engine(backend).session("agent-1")
        assert greet(s, at(2)).rule_ids == ("correct",)
        assert greet(s, at(3), "您好").effects == ()
        assert greet(s, at(4)).rule_ids == ("warn",)

    def test_traditional_script_counts(self, backend):
        """The phrase matches across simplified and traditional Chinese (fold zh)."""
        s = engine(backend).session("agent-1")
        assert greet(s, at(2), "餵？").rule_ids == ("correct",)

    def test_month_boundary_resets(self, backend):
        """23:30 on 31 January (+08:00) is January; 00:30 on 1 February starts again."""
        s = engine(backend).session("agent-1")
        assert greet(s, at(30)).rule_ids == ("correct",)
        assert greet(s, at(31, 23, 30)).rule_ids == ("warn",)
        assert greet(s, at(1, 0, 30, month=2)).rule_ids == ("correct",)
        assert greet(s, at(2, month=2)).rule_ids == ("warn",)

    def test_subjects_are_counted_apart(self, backend):
        """Each agent's session has its own count."""
        e = engine(backend)
        a, b = e.session("agent-a"), e.session("agent-b")
        greet(a, at(2))
        greet(a, at(3))
        assert greet(b, at(4)).rule_ids == ("correct",)
        assert greet(a, at(5)).rule_ids == ("fine",)

    def test_effects_carry_severity_and_consequence(self, backend):
        """The fine is a major CON-1 violation whose consequence says fined."""
        s = engine(backend).session("agent-1")
        results = [greet(s, at(day)) for day in (2, 3, 4)]
        fine = results[-1].violations[0]
        assert (fine.code, fine.severity, fine.consequence.en) == ("CON-1", "major", "fined")


class TestATT9:
    """Swaps: at most twice a month, never twice in a row."""

    def test_third_swap_in_a_month(self, backend):
        """The third swap of a month breaks the limit; two do not."""
        s = engine(backend).session("agent-1")
        assert shift(s, at(1), True).effects == ()
        assert shift(s, at(2), False).effects == ()
        assert shift(s, at(3), True).effects == ()
        assert shift(s, at(4), False).effects == ()
        assert shift(s, at(5), True).rule_ids == ("too-many",)

    def test_two_in_a_row(self, backend):
        """A swap right after a swap is refused even within the monthly limit."""
        s = engine(backend).session("agent-1")
        assert shift(s, at(1), True).effects == ()
        assert shift(s, at(2), True).rule_ids == ("in-a-row",)
        assert shift(s, at(3), False).effects == ()

    def test_both_rules_on_one_event(self, backend):
        """The third swap, right after the second, breaks both rules at once."""
        s = engine(backend).session("agent-1")
        shift(s, at(1), True)
        shift(s, at(2), False)
        shift(s, at(3), True)
        assert shift(s, at(4), True).rule_ids == ("too-many", "in-a-row")

    def test_new_month_new_allowance(self, backend):
        """Swaps in February are not counted against January's limit."""
        s = engine(backend).session("agent-1")
        for day in (1, 3):
            shift(s, at(day), True)
            shift(s, at(day + 1), False)
        assert shift(s, at(1, month=2), True).effects == ()

    def test_parameter_override(self, backend):
        """With max_swaps overridden to 1 the second swap of a month is already refused."""
        policy = csrules.Policy(**ATT9).with_params(max_swaps=1)
        s = SessionEngine([policy], backend=backend).session("agent-1")
        shift(s, at(1), True)
        shift(s, at(2), False)
        assert shift(s, at(3), True).rule_ids == ("too-many",)


def open_order(s, when: datetime, order: str = "wo-1", status: str = "open"):
    return s.send(WorkOrder(order_id=order, status=status, opened_at=when), now=when)


class TestESC2:
    """Work orders open past 24 h go to the shift lead, past 48 h to the department manager."""

    def test_each_step_fires_once(self, backend):
        """Ticks every 6 hours: the shift lead past 24 h (超過), the manager past 48 h, each once;
        the ticks at exactly 24 h and 48 h fire nothing."""
        s = engine(backend).session("orders-1")
        t0 = at(5)
        open_order(s, t0)
        fired = []
        for hours in range(6, 80, 6):
            result = s.tick(t0 + timedelta(hours=hours))
            fired.extend((hours, key) for key in result.effect_keys)
        assert fired == [(30, "escalation:shift_lead"), (54, "escalation:department_manager")]

    def test_one_tick_past_both_deadlines(self, backend):
        """A single tick at 50 h fires both steps, in due order, and later ticks fire nothing."""
        s = engine(backend).session("orders-1")
        t0 = at(5)
        open_order(s, t0)
        result = s.tick(t0 + timedelta(hours=50))
        assert result.effect_keys == ("escalation:shift_lead", "escalation:department_manager")
        assert [f.due for f in result.firings] == [t0 + timedelta(hours=24), t0 + timedelta(hours=48)]
        assert s.tick(t0 + timedelta(hours=90)).effects == ()

    def test_closed_order_never_escalates(self, backend):
        """An order closed before 24 h is never escalated."""
        s = engine(backend).session("orders-1")
        t0 = at(5)
        open_order(s, t0)
        s.send(WorkOrder(order_id="wo-1", status="closed", opened_at=t0), now=t0 + timedelta(hours=3))
        assert s.tick(t0 + timedelta(hours=72)).effects == ()

    def test_closed_between_steps(self, backend):
        """Closed after the first escalation: the second never comes."""
        s = engine(backend).session("orders-1")
        t0 = at(5)
        open_order(s, t0)
        assert s.tick(t0 + timedelta(hours=25)).effect_keys == ("escalation:shift_lead",)
        s.send(WorkOrder(order_id="wo-1", status="closed", opened_at=t0), now=t0 + timedelta(hours=30))
        assert s.tick(t0 + timedelta(hours=72)).effects == ()

    def test_several_orders_keyed_apart(self, backend):
        """Two orders of one subject escalate separately, each naming its order."""
        s = engine(backend).session("orders-1")
        open_order(s, at(5, 9), "wo-1")
        open_order(s, at(5, 15), "wo-2")
        result = s.tick(at(6, 12))
        assert [(f.item, f.rule_id) for f in result.firings] == [("wo-1", "shift-lead")]
        result = s.tick(at(6, 16))
        assert [(f.item, f.rule_id) for f in result.firings] == [("wo-2", "shift-lead")]

    def test_event_with_later_now_fires_due_deadlines_first(self, backend):
        """An event whose now passes a deadline reports that deadline before its own effects."""
        s = engine(backend).session("orders-1")
        t0 = at(5)
        open_order(s, t0, "wo-1")
        result = open_order(s, t0 + timedelta(hours=26), "wo-2")
        assert result.effect_keys == ("escalation:shift_lead",)
        assert result.firings[0].cause == "tick"

    def test_tick_due_over_many_subjects(self, backend):
        """tick_due ticks only the subjects with something due: past 24 h, not at exactly 24 h."""
        e = engine(backend)
        t0 = at(5)
        for n in range(5):
            open_order(e.session(f"s{n}"), t0 + timedelta(hours=n))
        results = e.tick_due(t0 + timedelta(hours=26))
        assert sorted(results) == ["s0", "s1"]
        assert all(r.effect_keys == ("escalation:shift_lead",) for r in results.values())


class TestStatelessRefusal:
    """Window kinds need a session."""

    @pytest.mark.parametrize("spec", [CON1, ATT9, ESC2])
    def test_engine_refuses_window_kinds(self, backend, spec):
        """A stateless Engine refuses a policy with window kinds, saying it needs a session."""
        del backend
        policy = csrules.Policy(**spec)
        with pytest.raises(PolicyError, match="needs a session"):
            csrules.Engine(policy)

    def test_still_open_under_any_refused(self, backend):
        """still_open under 'any' is refused when the session engine compiles."""
        spec = json.loads(json.dumps(ESC2))
        spec["rules"] = [dict(spec["rules"][0], when={"kind": "any", "of": [spec["rules"][0]["when"]]})]
        with pytest.raises(PolicyError, match="part of an 'all'"):
            SessionEngine(csrules.Policy(**spec), backend=backend)

    def test_window_field_checked(self, backend):
        """A window on a field that is not a datetime is refused when the policy is built."""
        del backend
        spec = json.loads(json.dumps(CON1))
        spec["rules"][0]["when"]["at"] = "opening"
        with pytest.raises(PolicyError, match="at needs a datetime field"):
            csrules.Policy(**spec)


class TestBadInput:
    """Bad input is a clear error and changes nothing."""

    def test_unknown_event_type(self, backend):
        """An event of a type no policy judges raises FactError naming the accepted types."""
        from pydantic import BaseModel

        class Stranger(BaseModel):
            x: int = 1

        s = engine(backend).session("agent-1")
        greet(s, at(2))
        before = s.export()
        with pytest.raises(FactError, match="do not accept Stranger"):
            s.send(Stranger())
        with pytest.raises(FactError, match="accepts several event types"):
            s.send({"x": 1})
        assert s.export() == before

    def test_invalid_dict_event(self, backend):
        """A dict event that does not validate raises FactError listing the problem."""
        s = engine(backend).session("agent-1")
        with pytest.raises(FactError, match="swapped"):
            s.send({"agent": "a", "at": at(1).isoformat()}, fact_type="sess_shift")

    def test_tick_backwards(self, backend):
        """A tick earlier than the clock raises TimeError and leaves the session unchanged."""
        s = engine(backend).session("orders-1")
        open_order(s, at(5))
        s.tick(at(5, 12))
        before = s.export()
        with pytest.raises(TimeError, match="backwards"):
            s.tick(at(5, 11))
        with pytest.raises(TimeError, match="backwards"):
            open_order(s, at(4), "wo-2")
        assert s.export() == before

    def test_naive_now(self, backend):
        """A naive now is refused."""
        s = engine(backend).session("orders-1")
        with pytest.raises(TimeError, match="time zone"):
            s.tick(datetime(2026, 1, 1, 9))

    def test_bad_subject(self, backend):
        """A subject id must be a non-empty string."""
        with pytest.raises(SessionError, match="non-empty string"):
            engine(backend).session("")

    def test_closed_engine_and_handle(self, backend):
        """Calls on a closed engine or a closed handle raise SessionError."""
        e = engine(backend)
        s = e.session("a")
        s.close()
        with pytest.raises(SessionError, match="closed"):
            s.tick(at(1))
        e.close()
        with pytest.raises(SessionError, match="closed"):
            e.session("a").tick(at(1))

    def test_foreign_export(self, backend):
        """State exported under a window whose definition changed is refused until migrated."""
        s = engine(backend).session("agent-1")
        greet(s, at(2))
        weekly = json.loads(json.dumps(CON1).replace('"month"', '"week"'))
        other = SessionEngine(csrules.Policy(**weekly), backend=backend)
        with pytest.raises(StateError, match=r"windows changed.*SessionEngine\.migrate"):
            other.restore(s.export_json())


class TestTraceAndResults:
    """Results explain themselves."""

    def test_trace_shows_window_values(self, backend):
        """The trace names the occurrence number and which rule matched."""
        s = engine(backend).session("agent-1")
        greet(s, at(2))
        text = greet(s, at(3)).trace.render()
        assert "con-1/warn: MATCHED" in text
        assert "occurrence=2" in text
        assert f"backend {backend}" in text

    def test_to_dict_is_json(self, backend):
        """to_dict(trace=True) is JSON-serialisable."""
        s = engine(backend).session("agent-1")
        result = greet(s, at(2))
        json.dumps(result.to_dict(trace=True), ensure_ascii=False)
        assert result.to_dict()["outcome"] == "violation"


class TestExportRestore:
    """Export and restore continue a session exactly."""

    def test_restore_in_other_backend(self, backend):
        """Counts and open orders exported from one backend continue in the other."""
        e = engine(backend)
        s = e.session("agent-1")
        greet(s, at(2))
        greet(s, at(3))
        open_order(s, at(3))
        text = s.export_json()
        other = "python" if backend == "durable" else "durable"
        if other not in available_backends():
            pytest.skip("durable-rules is not installed")
        restored = engine(other).restore(text)
        assert greet(restored, at(3, 12)).rule_ids == ("fine",)
        assert restored.tick(at(4, 10)).effect_keys == ("escalation:shift_lead",)

    def test_restore_in_another_process(self, backend, tmp_path):
        """A child process restores the JSON and makes the same next decisions."""
        s = engine(backend).session("agent-1")
        greet(s, at(2))
        open_order(s, at(2))
        path = tmp_path / "state.json"
        path.write_text(s.export_json(), encoding="utf-8")
        code = (
            "import sys, json\n"
            "from tests.test_session_support import engine, Greeting, at\n"
            f"e = engine({backend!r})\n"
            f"s = e.restore(open({str(path)!r}, encoding='utf-8').read())\n"
            "r1 = s.send(Greeting(agent='a1', at=at(2, 18), opening='喂'), now=at(2, 18))\n"
            "r2 = s.tick(at(3, 10))\n"
            "print(json.dumps([r1.rule_ids, r2.effect_keys]))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=str(_root()), env=_env())
        child = json.loads(out.stdout)
        here = [list(greet(s, at(2, 18), "喂").rule_ids), list(s.tick(at(3, 10)).effect_keys)]
        assert child == here == [["warn"], ["escalation:shift_lead"]]


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def _env():
    import os
    from pathlib import Path

    env = dict(os.environ)
    # csrules as this run imports it (a source tree or an installed wheel), then the tests
    package = Path(csrules.__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join([str(package), str(_root())])
    return env


class TestScale:
    """Many subjects, many sessions: no MemoryError, no threads, bounded memory."""

    def test_5000_subjects_with_open_orders(self, backend):
        """5,000 subjects with open work orders in one engine; each escalates once."""
        e = engine(backend)
        t0 = at(5)
        for n in range(5000):
            open_order(e.session(f"wo-{n}"), t0, f"o{n}")
        assert len(e.store) == 5000
        first = e.tick_due(t0 + timedelta(hours=25))
        assert len(first) == 5000
        assert {r.effect_keys for r in first.values()} == {("escalation:shift_lead",)}
        assert e.tick_due(t0 + timedelta(hours=26)) == {}
        e.close()

    def test_sessions_open_and_close_flat(self, backend):
        """1,000 sessions created, used, closed and forgotten: thread count flat, memory bounded."""
        e = engine(backend)
        threads_before = threading.active_count()

        def cycle(offset: int) -> None:
            for n in range(500):
                subject = f"tmp-{offset}-{n}"
                with e.session(subject) as s:
                    greet(s, at(2))
                    open_order(s, at(2))
                    s.tick(at(3, 10))
                e.forget(subject)

        cycle(0)  # warm up caches
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        cycle(1)
        cycle(2)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        assert threading.active_count() == threads_before
        assert len(e.store) == 0
        assert grown < 2_000_000, f"memory grew by {grown} bytes over 1,000 sessions"
        e.close()
