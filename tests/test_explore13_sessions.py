"""The session explorer sends each event at the instant its sequence places it, as a host
sends an event when it happens. It sent events without now, so a session whose item closing
test reads the time now (the work-order ladders of call_centre and online_support) refused
the first event, and the built-in packs failed their own ``csrules test PACK --explore``."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel

import csrules
from csrules import SessionEngine, available_backends
from csrules._cli.cli import main
from csrules._testing.boundaries.sessions import ORIGIN, Sent, Shape, sequence_shapes, shape_events
from csrules._testing.strategies import resolve_fact_type
from csrules.policies import load_pack
from csrules.testing import _sequence_problem, explore_sessions

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORK_ORDER_LADDERS = [("call_centre", "call_centre.work_order_session"),
                      ("online_support", "online_support.work_order_session")]


@csrules.register_fact_type(name="explore13_case")
class Case(BaseModel):
    """A case whose resolution time is always given: its closing test always reads now."""

    case_id: str
    opened_at: AwareDatetime
    resolved_at: AwareDatetime


def _ladder() -> csrules.Policy:
    """A case still unresolved a day after it opened is escalated; resolved means resolved by now."""
    return csrules.Policy.model_validate({
        "id": "explore13.ladder", "version": "1", "title": "case ladder", "fact_type": "explore13_case",
        "rules": [{"id": "open-a-day", "title": "open a day",
                   "when": {"kind": "still_open", "key": "case_id", "since": "opened_at", "after": "1d",
                            "closed": {"kind": "elapsed", "since": "resolved_at", "op": ">=", "duration": "0s"}},
                   "then": [{"type": "violation", "code": "LATE", "message": "open a day"}]}],
    })


def _engines(policy: csrules.Policy) -> list[SessionEngine]:
    return [SessionEngine((policy,), backend=backend) for backend in available_backends()]


def _work_order_ladder(pack: str, policy_id: str) -> csrules.Policy:
    return next(p for p in load_pack(pack).session_policies if p.id == policy_id)


class TestAClosingTestReadingNow:
    def test_every_sequence_runs_and_the_full_budget_is_explored(self) -> None:
        """Every event of this type reads now to know whether its item is closed: sent without
        now, the first event of every sequence was refused and the exploration stopped there."""
        policy = _ladder()
        shapes = sequence_shapes(policy)
        assert shapes  # the still-open shapes
        result = explore_sessions(policy, max_examples=2 * len(shapes))
        assert result.finding is None, result.render()
        assert result.ok
        assert result.examples == 2 * len(shapes)  # not stopped at a first (false) problem

    def test_an_open_case_resolved_later_escalates_once_its_day_is_up(self) -> None:
        """The explorer's sequence means what a host's does: opened at its instant (resolution
        still ahead, so open), escalated at the first tick after a day, not before."""
        opened = ORIGIN.replace(tzinfo=SHANGHAI)
        case = Case(case_id="C1", opened_at=opened, resolved_at=opened + timedelta(days=3))
        for engine in _engines(_ladder()):
            session = engine.session("s")
            assert session.send(case, now=opened).effect_keys == ()
            assert session.tick(opened + timedelta(hours=23)).effect_keys == ()
            assert session.tick(opened + timedelta(days=1, seconds=1)).effect_keys == ("violation:LATE",)
        items: list[Sent | datetime] = [Sent(case, opened), opened + timedelta(days=1, seconds=1)]
        assert _sequence_problem(_engines(_ladder()), "explore13_case", items, None) is None


class TestTheWorkOrderLadders:
    @pytest.mark.parametrize(("pack", "policy_id"), WORK_ORDER_LADDERS)
    def test_an_order_resolved_ahead_runs_without_the_clock_error(self, pack: str, policy_id: str) -> None:
        """An open order whose resolution is recorded ahead (its closing test reads now) is
        sent at its instant: no "this session has no clock yet"."""
        policy = _work_order_ladder(pack, policy_id)
        opened = ORIGIN.replace(tzinfo=SHANGHAI)
        order = resolve_fact_type(policy.fact_type)[1].model_validate({
            "order_id": "W1", "opened_at": opened, "first_handler": "A01", "owner": "A01",
            "answer_deferred": True, "resolved_at": opened + timedelta(days=5),
            "replied_at": opened + timedelta(days=5)})
        items: list[Sent | datetime] = [Sent(order, opened), opened + timedelta(days=3, seconds=1)]
        assert _sequence_problem(_engines(policy), policy.fact_type, items, None) is None

    @pytest.mark.parametrize(("pack", "policy_id"), WORK_ORDER_LADDERS)
    def test_every_still_open_shape_runs_clean(self, pack: str, policy_id: str) -> None:
        """Whatever is drawn, each event carries its slot's instant, and the sequence runs on
        both backends without a problem."""
        policy = _work_order_ladder(pack, policy_id)
        shapes = sequence_shapes(policy)
        assert shapes
        engines = _engines(policy)

        def drawn(shape: Shape) -> st.SearchStrategy[tuple[Shape, list[Sent | datetime]]]:
            return st.tuples(st.just(shape), shape_events(shape, policy.fact_type, policy))

        @settings(derandomize=True, max_examples=4 * len(shapes), database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.sampled_from(shapes).flatmap(drawn))
        def run(pair: tuple[Shape, list[Sent | datetime]]) -> None:
            shape, items = pair
            placed = [item.at if isinstance(item, Sent) else item for item in items]
            assert placed == [slot.at for slot in shape.slots]
            assert _sequence_problem(engines, policy.fact_type, items, None) is None

        run()


@pytest.mark.parametrize("pack", ["online_support"])  # call_centre's work orders: the unit tests above
def test_the_built_in_pack_explores_clean(pack: str) -> None:
    """``csrules test PACK --explore`` of a built-in pack reports no problem (it failed on the
    work-order session, at its third sequence). call_centre's run costs a minute of stateless
    facts; its work-order sequences are run by the tests above."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["test", pack, "--explore", "--max-examples", "8", "--now", "2026-06-10T10:00:00+08:00"])
    text = out.getvalue()
    assert "[work_order session] explored 8 boundary event sequences: no problem found" in text, text + err.getvalue()
    assert "found a problem" not in text
    assert code == 0, text + err.getvalue()


@pytest.mark.parametrize("pack", ["call_centre", "online_support", "ecommerce", "mall"])
def test_every_shape_is_placed_in_time_order(pack: str) -> None:
    """Each event is sent at its slot's instant and a session's clock never goes back: every
    shape of a built-in pack's session policies places its slots in time order."""
    shapes = [shape for policy in load_pack(pack).session_policies for shape in sequence_shapes(policy)]
    assert shapes
    for shape in shapes:
        instants = [slot.at for slot in shape.slots]
        assert instants == sorted(instants), shape.title
