"""A session step's record names the version of each dated policy that judged it: the
event's own type by the event's day, the deadlines by the step's instant; the steps
still replay identically."""

from __future__ import annotations

from typing import Any

from csrules._policy.validity import with_dated_params
from csrules._sessions import SessionEngine
from csrules.records import DecisionRecord, replay_steps
from tests.test_dated_sessions import TUNED, _at, _swap, _swaps
from tests.test_session_gaps import JULY, JUNE, _ladder, _order
from tests.test_session_gaps import _at as _cst


class _Log:
    """A decision log keeping the records in memory."""

    def __init__(self) -> None:
        self.records: list[DecisionRecord] = []

    def write(self, record: DecisionRecord) -> None:
        """Keep ``record``."""
        self.records.append(record)


def _versions(record: DecisionRecord) -> list[tuple[str, str]]:
    return [(p.id, p.version) for p in record.policies]


def _swaps_engine(log: _Log) -> SessionEngine:
    return SessionEngine([*with_dated_params(_swaps(), {"max_swaps": TUNED}), _ladder()], backend="python",
                         log=log)  # type: ignore[arg-type]


class TestStepRecordVersions:
    """Only the version in force for the step is recorded; undated policies as before."""

    def test_event_names_its_days_version(self) -> None:
        """A June swap records 1.0, a July swap 1.0@2026-07-01; the undated ladder is in both."""
        log = _Log()
        engine = _swaps_engine(log)
        for day in ("2026-06-20T09:00:00", "2026-07-02T09:00:00"):
            engine.session("A01").send(_swap(day), now=_at(day), fact_type="shift_swap")
        assert [_versions(r) for r in log.records] == [
            [("dated.swaps", "1.0"), ("esc-2-dated", "1.0")],
            [("dated.swaps", "1.0@2026-07-01"), ("esc-2-dated", "1.0")]]

    def test_late_event_by_its_own_day(self) -> None:
        """A swap requested on 30 June and sent on 2 July records June's version, which judged it."""
        log = _Log()
        engine = _swaps_engine(log)
        engine.session("A01").send(_swap("2026-06-30T23:59:00"), now=_at("2026-07-02T09:00:00"),
                                   fact_type="shift_swap")
        assert _versions(log.records[0]) == [("dated.swaps", "1.0"), ("esc-2-dated", "1.0")]

    def test_tick_names_the_version_at_its_instant(self) -> None:
        """A tick in July records the ladder's July version alone."""
        log = _Log()
        engine = SessionEngine([_ladder(valid_until=JULY), _ladder(version="2.0", valid_from=JULY)],
                               backend="python", log=log)  # type: ignore[arg-type]
        engine.session("desk").send(_order(_cst(6, 29)), now=_cst(6, 29))
        engine.session("desk").tick(_cst(7, 2))
        assert [_versions(r) for r in log.records] == [[("esc-2-dated", "1.0")], [("esc-2-dated", "2.0")]]
        assert [f.version for f in engine.session("desk").tick(_cst(7, 9)).firings] == []

    def test_gap_lists_the_versions_held(self) -> None:
        """In a gap no version judged: the record lists the versions the engine holds."""
        log = _Log()
        engine = SessionEngine([_ladder(valid_until=JUNE), _ladder(version="2.0", valid_from=JULY)],
                               backend="python", log=log)  # type: ignore[arg-type]
        engine.session("desk").send(_order(_cst(5, 20)), now=_cst(5, 20))
        engine.session("desk").tick(_cst(6, 15))
        assert _versions(log.records[1]) == [("esc-2-dated", "1.0"), ("esc-2-dated", "2.0")]

    def test_steps_replay_identically(self) -> None:
        """The recorded steps replay identically through a new engine with the same versions."""
        log = _Log()
        engine = _swaps_engine(log)
        steps: list[Any] = ["2026-06-20T09:00:00", "2026-06-25T09:00:00", "2026-07-02T09:00:00"]
        for day in steps:
            engine.session("A01").send(_swap(day), now=_at(day), fact_type="shift_swap")
        engine.session("A01").tick(_at("2026-08-01T00:00:00"))
        again = _swaps_engine(_Log())
        assert [r.status for r in replay_steps(log.records, again)] == ["identical"] * 4
