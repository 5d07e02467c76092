"""A keyed in_a_row counts each item once: a shift sent twice is one shift, not two in a row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import csrules
from csrules._sessions import SessionEngine
from csrules.exceptions import StateError
from tests.test_session_support import BACKENDS, SWAP, Shift, at

CST = timezone(timedelta(hours=8))


def run_policy(key: Any = None, times: int = 2) -> csrules.Policy:
    """One rule: ``times`` swapped shifts in a row, keyed by ``key`` when given."""
    when: dict[str, Any] = {"kind": "in_a_row", "match": SWAP, "times": times}
    if key is not None:
        when["key"] = key
    return csrules.Policy(id="runs", version="1", title="runs", fact_type="sess_shift", rules=[
        {"id": "row", "title": "swaps in a row", "when": when,
         "then": [{"type": "violation", "code": "ROW", "message": "swaps in a row"}]}])


def answers(session: Any, shifts: list[tuple[datetime, bool]]) -> list[bool]:
    """Whether each shift, sent in turn, was reported as a swap in a row."""
    return [bool(session.send(Shift(agent="a", at=when, swapped=swapped)).violations)
            for when, swapped in shifts]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestKeyedRun:
    def test_a_shift_sent_twice_counts_once(self, backend: str) -> None:
        """The same swapped shift sent twice (once in +08:00, once in UTC) is not two swaps in a row."""
        s = SessionEngine([run_policy("at")], backend=backend).session("a")
        first = at(2)
        assert answers(s, [(first, True), (first.astimezone(UTC), True), (at(3), True)]) == [
            False, False, True]

    def test_a_repeat_gets_the_answer_it_got(self, backend: str) -> None:
        """A shift re-sent after later ones keeps its place: the answer it had, not the run's end."""
        s = SessionEngine([run_policy("at", times=3)], backend=backend).session("a")
        shifts = [(at(day), True) for day in (1, 2, 3, 4)]
        assert answers(s, shifts) == [False, False, True, True]
        assert answers(s, [(at(2), True), (at(1), True), (at(5), True)]) == [False, False, True]

    def test_a_correction_replaces_the_shift(self, backend: str) -> None:
        """A rostered shift corrected to a swap joins the run; the shifts after it follow."""
        s = SessionEngine([run_policy("at", times=3)], backend=backend).session("a")
        assert answers(s, [(at(1), True), (at(2), False), (at(3), True)]) == [False, False, False]
        assert answers(s, [(at(2), True), (at(4), True)]) == [False, True]

    def test_backends_agree(self) -> None:
        """Both backends give the same answers and the same state for repeats and corrections."""
        shifts = [(at(d), sw) for d, sw in [(1, True), (1, True), (2, False), (3, True), (2, True),
                                           (4, True), (1, False), (5, True)]]
        seen = []
        for backend in BACKENDS:
            s = SessionEngine([run_policy("at")], backend=backend).session("a")
            seen.append((answers(s, shifts), s.export()["state"]["r"]))
        assert all(found == seen[0] for found in seen)
        assert seen[0][0] == [False, False, False, False, True, True, False, True]

    def test_unkeyed_runs_count_every_send(self, backend: str) -> None:
        """Without key every event counts, as before: the same shift twice is two in a row."""
        s = SessionEngine([run_policy()], backend=backend).session("a")
        assert answers(s, [(at(2), True), (at(2), True)]) == [False, True]

    def test_only_the_latest_items_are_kept(self) -> None:
        """The run remembers the last KEPT_RUN_ITEMS items and its length before them."""
        from csrules._sessions.program import KEPT_RUN_ITEMS

        s = SessionEngine([run_policy("at")], backend="python").session("a")
        start = at(1)
        answers(s, [(start + timedelta(hours=h), h % 2 == 0) for h in range(KEPT_RUN_ITEMS + 2)])
        (run,) = s.export()["state"]["r"].values()
        assert len(run["k"]) == len(run["n"]) == KEPT_RUN_ITEMS
        assert run["b"] == 0  # the last item let go (the second) was rostered
        assert run["n"][0] == 1  # so the first kept one (a swap) starts a run


class TestKeyedRunState:
    def test_a_run_stored_before_it_was_keyed_goes_on(self, backend: str) -> None:
        """A session exported under the unkeyed rule loads under the keyed one with its run whole."""
        old = SessionEngine([run_policy()], backend=backend).session("a")
        answers(old, [(at(1), True)])
        exported = old.export()
        new = SessionEngine([run_policy("at")], backend=backend).restore(json.dumps(exported))
        assert answers(new, [(at(2), True)]) == [True]
        (run,) = new.export()["state"]["r"].values()
        assert run["b"] == 1

    @pytest.mark.parametrize("tampered", [
        {"b": 0, "k": ["[1]"], "n": [2]},               # a length that does not follow
        {"b": 0, "k": ["[1]", "[1]"], "n": [1, 2]},     # an item twice
        {"b": 0, "k": ["[1]"]},                         # no lengths
        {"b": 0, "k": [1], "n": [1]},                   # an item that is not text
        {"b": 0, "k": ["[1]", "[2]"], "n": [1]},        # an item without a length
        5,                                              # a plain length where a keyed run is kept
    ])
    def test_a_malformed_keyed_run_is_refused(self, tampered: Any) -> None:
        """A keyed run whose lengths, items or layout are wrong is refused, naming the run."""
        engine = SessionEngine([run_policy("at")], backend="python")
        s = engine.session("a")
        answers(s, [(at(1), True), (at(2), True)])
        doc = s.export()
        (key,) = doc["state"]["r"]
        doc["state"]["r"][key] = tampered
        doc.pop("checksum")
        doc = _resealed(doc)
        with pytest.raises(StateError, match="run"):
            engine.restore(doc)

    def test_an_unkeyed_run_keeps_its_content_hash(self) -> None:
        """A run without key is written without one, so its policy's content hash is unchanged."""
        dumped = run_policy().model_dump(mode="json")["rules"][0]["when"]
        assert "key" not in dumped
        assert run_policy("at").model_dump(mode="json")["rules"][0]["when"]["key"] == "at"

    def test_an_unknown_key_field_is_refused(self) -> None:
        """A key naming no field of the fact type is refused when the policy is built."""
        with pytest.raises(csrules.PolicyError, match=r"rule 'row'.*unknown field 'nope'"):
            run_policy("nope")


def _resealed(doc: dict[str, Any]) -> dict[str, Any]:
    from csrules._sessions.state import seal

    return seal(doc)
