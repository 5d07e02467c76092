"""A state stored before in_a_row runs were keyed goes on in every keyed run it became: two
policies with one match but other parameter values each keep their own length, and one run
keyed two ways gives its length to both."""

from __future__ import annotations

import json
from typing import Any

import pytest

import csrules
from csrules._sessions import SessionEngine
from tests.test_session_support import BACKENDS, SWAP, Shift, at


def run_policy(pid: str, who: list[str], key: str | list[str] | None = None) -> csrules.Policy:
    """Two swapped shifts in a row by an agent in ``who`` (a parameter), keyed by ``key``."""
    when: dict[str, Any] = {"kind": "in_a_row", "times": 2, "match": {"kind": "all", "of": [
        SWAP, {"kind": "contains", "path": "agent", "param": "who"}]}}
    if key is not None:
        when["key"] = key
    return csrules.Policy(
        id=pid, version="1", title=pid, fact_type="sess_shift",
        params={"who": {"type": "str_list", "default": who}},
        rules=[{"id": "row", "title": "swaps in a row", "when": when,
                "then": [{"type": "violation", "code": pid.upper(), "message": "swaps in a row"}]}])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def stored_unkeyed(backend: str, policies: list[csrules.Policy]) -> str:
    """A session of agent amy with one swapped shift, exported under unkeyed runs."""
    old = SessionEngine(policies, backend=backend).session("amy")
    assert old.send(Shift(agent="amy", at=at(1), swapped=True)).effect_keys == ()
    return json.dumps(old.export())


def second_swap(backend: str, policies: list[csrules.Policy], stored: str) -> tuple[str, ...]:
    """What the next swapped shift gives, in a session restored under ``policies``."""
    s = SessionEngine(policies, backend=backend).restore(stored)
    return s.send(Shift(agent="amy", at=at(2), swapped=True)).effect_keys


class TestStoredBeforeKeyed:
    def test_runs_with_other_parameter_values_each_go_on(self, backend: str) -> None:
        """pa (who: amy) and pb (who: amy, bo) share a match but not its parameter values:
        each keyed run goes on from its own stored length, so amy's second swap is two in a row
        for both (it used to be refused as changed, and a migration dropped both lengths)."""
        stored = stored_unkeyed(backend, [run_policy("pa", ["amy"]), run_policy("pb", ["amy", "bo"])])
        keyed = [run_policy("pa", ["amy"], "at"), run_policy("pb", ["amy", "bo"], "at")]
        assert second_swap(backend, keyed, stored) == ("violation:PA", "violation:PB")

    def test_one_run_keyed_two_ways_goes_on_in_both(self, backend: str) -> None:
        """One stored run (equal definitions shared it) keyed by ``at`` in one policy and by
        ``[agent, at]`` in the other: both go on from its length."""
        stored = stored_unkeyed(backend, [run_policy("pa", ["amy"]), run_policy("pb", ["amy"])])
        keyed = [run_policy("pa", ["amy"], "at"), run_policy("pb", ["amy"], ["agent", "at"])]
        assert second_swap(backend, keyed, stored) == ("violation:PA", "violation:PB")

    def test_a_run_keyed_beside_its_unkeyed_twin_goes_on(self, backend: str) -> None:
        """pa stays unkeyed, pb is keyed since: both go on from the one stored length."""
        stored = stored_unkeyed(backend, [run_policy("pa", ["amy"]), run_policy("pb", ["amy"])])
        keyed = [run_policy("pa", ["amy"]), run_policy("pb", ["amy"], "at")]
        assert second_swap(backend, keyed, stored) == ("violation:PA", "violation:PB")

    def test_the_migration_report_is_empty(self) -> None:
        """Nothing is reset when the runs' definitions only gained keys."""
        stored = stored_unkeyed("python", [run_policy("pa", ["amy"]), run_policy("pb", ["amy", "bo"])])
        engine = SessionEngine([run_policy("pa", ["amy"], "at"), run_policy("pb", ["amy", "bo"], "at")],
                               backend="python")
        migrated, report = engine.migrate_document(stored)
        assert report.resets == ()
        assert sorted(run["b"] for run in migrated["state"]["r"].values()) == [1, 1]
