"""Engines, packs and session engines cross process boundaries as their policies, rebuilt on arrival."""

from __future__ import annotations

import multiprocessing
import pickle
from datetime import datetime
from typing import Any

import pytest

from csrules import Engine, SessionEngine
from csrules._testing.examples import run_session_example
from csrules.policies import PACK_NAMES, load_pack


def _example_facts(engine: Engine) -> list[tuple[Any, datetime | None, str]]:
    """Every worked example's fact of ``engine``'s policies, with its ``now`` and fact type."""
    return [
        (example.fact, example.now, policy.fact_type)
        for policy in engine.policies
        for rule in policy.rules
        for example in rule.examples
        if example.fact is not None
    ]


def _decide_in_worker(engine: Engine, facts: list[tuple[Any, datetime | None, str]]) -> list[tuple[str, ...]]:
    """The effect keys of ``facts`` judged by ``engine`` (runs in a spawned process)."""
    return [engine.evaluate(fact, now=now, fact_type=fact_type).effect_keys for fact, now, fact_type in facts]


class TestEnginePickle:
    """An Engine is pickled as its policies and gives the same decisions after the round trip."""

    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_round_trip_same_decisions(self, name):
        """Every worked example of a pack is decided alike by the engine and its unpickled copy."""
        engine = load_pack(name).engine()
        copy = pickle.loads(pickle.dumps(engine))
        facts = _example_facts(engine)
        assert facts
        assert copy.policies == engine.policies
        for fact, now, fact_type in facts:
            expected = engine.evaluate(fact, now=now, fact_type=fact_type)
            assert copy.evaluate(fact, now=now, fact_type=fact_type) == expected

    def test_records_name_the_pack_after_the_round_trip(self) -> None:
        """An engine built from a tuned pack still names that pack, with its overrides, in records."""
        engine = load_pack("call_centre").with_params({"leave": {"personal_notice": "2d"}}).engine()
        copy = pickle.loads(pickle.dumps(engine))
        assert engine.pack is not None
        assert copy.pack == engine.pack

    def test_no_generated_code_in_the_pickle(self):
        """The pickle names the rebuild function and the policies, never a generated function."""
        data = pickle.dumps(load_pack("call_centre").engine())
        assert b"_rebuilt_engine" in data
        assert b"_decide" not in data

    def test_spawned_worker_decides_alike(self):
        """A worker started by spawn (a fresh interpreter) receives the engine and decides alike."""
        engine = load_pack("mall").engine()
        facts = _example_facts(engine)
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            got = pool.apply(_decide_in_worker, (engine, facts))
        assert got == _decide_in_worker(engine, facts)


_LIMITED = """
id: probe.limit
version: "1"
title: {{en: Limit, zh: 上限}}
fact_type: audit_probe
params:
  limit: {{type: int, default: {limit}}}
rules:
  - id: LIM-1
    title: {{en: over the limit, zh: 超限}}
    when: {{kind: compare, path: value, op: ">", param: limit}}
    then:
      - {{type: violation, code: LIM-1, message: {{en: over, zh: 超}}}}
"""


def _limited(limit: int) -> Engine:
    """An engine of one policy flagging probe values over ``limit`` (same id and version whatever the limit)."""
    from csrules._policy.loader import loads_policy
    from tests.audit_support import Probe

    assert Probe  # registers the fact type
    return Engine([loads_policy(_LIMITED.format(limit=limit), name="limit.yaml")])


class TestRebuiltEnginesReused:
    """A process that receives an engine of the same content again (an audit worker, audit after
    audit) reuses the one it rebuilt; any other content is compiled anew."""

    def test_same_content_same_engine(self):
        """Two pickles of one engine unpickle as one rebuilt engine, deciding as the original."""
        engine = load_pack("mall").engine()
        first, second = (pickle.loads(pickle.dumps(engine)) for _ in range(2))
        assert first is second
        assert first is not engine
        for fact, now, fact_type in _example_facts(engine):
            expected = engine.evaluate(fact, now=now, fact_type=fact_type)
            assert second.evaluate(fact, now=now, fact_type=fact_type) == expected

    def test_a_copy_passed_on_is_the_same_content(self):
        """A rebuilt engine pickled again (a Dask worker passing its copy to another) is the same
        content: the values its policies worked out while compiling make no other engine."""
        engine = load_pack("ecommerce").engine()
        first = pickle.loads(pickle.dumps(engine))
        assert pickle.loads(pickle.dumps(first)) is first

    def test_changed_policy_is_compiled_anew(self):
        """A policy of the same id and version with another parameter value never gets the
        engine rebuilt for the old one: its decisions follow its own limit."""
        fact = {"agent_id": "a", "value": 6}
        low, high = (pickle.loads(pickle.dumps(_limited(limit))) for limit in (5, 6))
        assert low is not high
        assert low.evaluate(fact).effect_keys != ()
        assert high.evaluate(fact).effect_keys == ()
        assert pickle.loads(pickle.dumps(_limited(5))) is low

    def test_changed_pack_is_compiled_anew(self):
        """An engine of the same policies naming another pack is another engine: its records name its own pack."""
        from csrules._engine.record import PackRef

        policies = load_pack("mall").engine().policies
        one, other = (pickle.loads(pickle.dumps(Engine(policies, pack=PackRef(name="mall", version=version))))
                      for version in ("1", "2"))
        assert one is not other
        assert (one.pack.version, other.pack.version) == ("1", "2")

    def test_at_most_a_few_kept(self):
        """The reused engines are bounded: past the bound, the least recently received is rebuilt."""
        from csrules._engine.engine import REBUILT_AT_MOST

        first = pickle.loads(pickle.dumps(_limited(100)))
        for limit in range(101, 101 + REBUILT_AT_MOST):
            pickle.loads(pickle.dumps(_limited(limit)))
        assert pickle.loads(pickle.dumps(_limited(100))) is not first


class TestPackPickle:
    """A Pack round-trips, with or without its engine built."""

    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_pack_round_trip(self, name):
        """The unpickled pack equals the original and its engine judges the same fact types."""
        pack = load_pack(name)
        pack.engine()  # the cached engine travels too
        copy = pickle.loads(pickle.dumps(pack))
        assert copy == pack
        assert copy.engine().fact_types == pack.engine().fact_types

    def test_tuned_pack_keeps_its_parameters(self):
        """A pack with overrides keeps them through pickling (the content hashes match)."""
        pack = load_pack("call_centre", overrides={"leave": {"personal_notice": "2d"}})
        copy = pickle.loads(pickle.dumps(pack))
        assert [p.content_hash for p in copy.policies] == [p.content_hash for p in pack.policies]


class TestSessionEnginePickle:
    """A SessionEngine is pickled as its policies, lifecycles, backend and key."""

    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_round_trip_runs_session_examples(self, name):
        """Every session worked example of a pack passes on the unpickled session engine."""
        pack = load_pack(name)
        original = pack.sessions(backend="python")
        copy = pickle.loads(pickle.dumps(original))
        assert isinstance(copy, SessionEngine)
        assert copy.backend == original.backend
        assert copy.fact_types == original.fact_types
        ran = 0
        for policy in pack.session_policies:
            for rule in policy.rules:
                for index, example in enumerate(rule.examples):
                    result = run_session_example(copy, policy, rule, index, example)
                    assert result.passed, result.message
                    ran += 1
        assert ran

    def test_state_key_travels(self):
        """A signing key survives the round trip, so the copy signs what the original signs."""
        engine = SessionEngine(load_pack("mall").session_policies, backend="python", state_key=b"k")
        copy = pickle.loads(pickle.dumps(engine))
        assert copy._key == b"k"
