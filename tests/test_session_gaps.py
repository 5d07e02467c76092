"""Ticks in a gap between effective-dated versions: the policy with no version in force
fires nothing there and the step says so; other subjects and policies go on; the next
version fires what is due once it is in force."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

import csrules
from csrules.domain import ComplaintStep, complaint_lifecycle
from csrules.sessions import SessionEngine
from tests.test_session_support import BACKENDS, CST, ESC2, WorkOrder

JUNE, JULY = date(2026, 6, 1), date(2026, 7, 1)


def _at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CST)


def _ladder(**changes: Any) -> csrules.Policy:
    """ESC-2's ladder as a dated policy of its own id."""
    return csrules.Policy(**{**ESC2, "id": "esc-2-dated", **changes})


def _engine(backend: str) -> SessionEngine:
    """Version 1.0 until 1 June, 2.0 from 1 July (nothing in June), and the complaint lifecycle."""
    return SessionEngine([_ladder(valid_until=JUNE), _ladder(version="2.0", valid_from=JULY)],
                         lifecycles=[complaint_lifecycle()], backend=backend)


def _order(opened: datetime) -> WorkOrder:
    return WorkOrder(order_id="o1", status="open", opened_at=opened)


class TestTickInAGap:
    """A tick in June fires nothing of the dated ladder and reports the gap."""

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_tick_fires_nothing_and_says_why(self, backend: str) -> None:
        """Due on 31 May but ticked on 15 June: nothing fires, the note names the policy and the day."""
        engine = _engine(backend)
        engine.session("desk").send(_order(_at(5, 30, 20)), now=_at(5, 30, 20))
        result = engine.session("desk").tick(_at(6, 15))
        assert result.firings == ()
        assert "no version of policy 'esc-2-dated' is in force on 2026-06-15: its deadlines do not fire" \
            in result.trace.notes
        assert engine.export("desk")["state"]["clock"] is not None

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_next_version_fires_once_in_force(self, backend: str) -> None:
        """After the gap, the first tick in July fires version 2.0's two rungs, each once."""
        engine = _engine(backend)
        desk = engine.session("desk")
        desk.send(_order(_at(5, 30, 20)), now=_at(5, 30, 20))
        desk.tick(_at(6, 15))
        fired = desk.tick(_at(7, 1, 1)).firings
        assert [(f.rule_id, f.version) for f in fired] == [("shift-lead", "2.0"), ("manager", "2.0")]
        assert desk.tick(_at(7, 9)).firings == ()

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_tick_due_goes_on_past_the_gap(self, backend: str) -> None:
        """tick_due in June ticks the subject in the gap and still breaches the complaint due after it."""
        engine = _engine(backend)
        engine.session("desk").send(_order(_at(5, 30, 20)), now=_at(5, 30, 20))
        engine.session("c-1").send(ComplaintStep(event="register", complainant="Ms Li"), now=_at(6, 5))
        due = engine.tick_due(_at(6, 15))
        assert sorted(due) == ["c-1", "desk"]
        assert due["desk"].firings == ()
        assert due["c-1"].effect_keys == ("violation:CMP-4",)

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_before_the_first_version(self, backend: str) -> None:
        """Before a policy's first version nothing of it fires either, and the tick goes through."""
        engine = SessionEngine([_ladder(valid_from=JULY)], backend=backend)
        desk = engine.session("desk")
        desk.send(_order(_at(7, 2)), now=_at(7, 2))
        assert desk.tick(_at(7, 3, 10)).effect_keys == ("escalation:shift_lead",)
        late = SessionEngine([_ladder(valid_until=JUNE)], backend=backend).session("desk")
        late.send(_order(_at(5, 30)), now=_at(5, 30))
        result = late.tick(_at(6, 2))
        assert result.firings == ()
        assert any("no version of policy 'esc-2-dated'" in note for note in result.trace.notes)

    def test_overdue_send_in_force_day_not_gap(self) -> None:
        """An order sent on 2 July, opened on 31 May, fires July's ladder at once (version 2.0)."""
        engine = _engine("python")
        sent = engine.session("desk").send(_order(_at(5, 31)), now=_at(7, 2))
        assert [(f.rule_id, f.version, f.due) for f in sent.firings] == [
            ("shift-lead", "2.0", _at(6, 1)), ("manager", "2.0", _at(6, 2))]
        assert sent.firings[0].due == _at(5, 31) + timedelta(hours=24)
