"""Replaying records: identical after a restart, other policy content named by hash first,
and what differs when a decision changes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from csrules import Engine, RecordError
from csrules.policies import PACK_NAMES, Pack, load_pack
from csrules.records import DecisionRecord, JsonlLog, replay

PER_PACK = 1000

RESTARTED = """
import json, sys
from collections import Counter
from csrules.policies import load_pack
from csrules.records import read_log, replay
reader = read_log(sys.argv[1])
engines, found = {}, Counter()
for record in reader:
    name = record.pack.name
    engine = engines.get(name) or engines.setdefault(name, load_pack(name).engine())
    found[name + ":" + replay(record, engine).status] += 1
print(json.dumps({"found": found, "problems": [str(p) for p in reader.problems]}))
"""


def pack_facts(pack: Pack, count: int) -> Iterator[tuple[str, dict[str, Any], datetime | None]]:
    """``count`` facts from the pack's worked examples, deterministic by construction: the
    examples in order, again and again, each round seven hours later than the last."""
    examples = [(policy.fact_type, example.fact, example.now)
                for policy, rule in pack.rules() for example in rule.examples if example.fact is not None]
    for index in range(count):
        fact_type, fact, now = examples[index % len(examples)]
        rounds = index // len(examples)
        yield fact_type, fact, None if now is None else now + timedelta(hours=7 * rounds)


class TestRestart:
    """Records survive a restart of the process that made them."""

    def test_every_pack_replays_identical_after_restart(self, tmp_path: Path) -> None:
        """1,000 decisions per built-in pack, logged, replayed by a new process on engines
        built again from the pack files: 1,000 identical each."""
        log_path = tmp_path / "decisions.jsonl"
        with JsonlLog(log_path) as log:
            for name in PACK_NAMES:
                engine = load_pack(name).engine().with_log(log)
                for fact_type, fact, now in pack_facts(load_pack(name), PER_PACK):
                    engine.evaluate(fact, now=now, fact_type=fact_type)
        done = subprocess.run([sys.executable, "-c", RESTARTED, str(log_path)], capture_output=True, text=True,
                              check=True, timeout=300)
        result = json.loads(done.stdout)
        assert result["problems"] == []
        assert result["found"] == {f"{name}:identical": PER_PACK for name in PACK_NAMES}


def _late_leave() -> tuple[DecisionRecord, Pack]:
    pack = load_pack("call_centre")
    example = pack.policy("leave").rules[0].examples[0]
    decision = pack.engine().evaluate(example.fact, now=example.now, fact_type="leave_request")
    return decision.record(), pack


class TestOtherPolicies:
    """A record made under other policy content says so, before evaluating."""

    def test_hash_mismatch_named(self) -> None:
        """A tuned parameter keeps the version but not the hash: the policy is named, nothing judged."""
        record, pack = _late_leave()
        tuned = pack.with_params({"leave": {"personal_notice": "2d"}}).engine()
        result = replay(record, tuned)
        assert result.status == "other_policies"
        assert not result.identical
        assert result.replayed is None
        (mismatch,) = result.policies
        assert mismatch.id == "call_centre.leave"
        assert mismatch.recorded_hash == record.policies[0].content_hash != mismatch.engine_hash
        assert "content changed, version did not" in result.render()

    def test_missing_policy_named(self) -> None:
        """An engine without the record's policy names it as absent."""
        record, _ = _late_leave()
        engine = Engine(load_pack("call_centre").policy("attendance"))
        result = replay(record, engine)
        assert result.status == "other_policies"
        assert [(m.id, m.engine_hash) for m in result.policies] == [("call_centre.leave", None)]

    def test_forced_replay_compares(self) -> None:
        """force=True judges anyway and reports the difference with the mismatch."""
        record, pack = _late_leave()
        relaxed = pack.with_params({"leave": {"personal_notice": "1h"}}).engine()
        result = replay(record, relaxed, force=True)
        assert result.status == "differs"
        assert result.policies
        assert ("removed", "violation:ATT-1") in [(c.change, c.key) for c in result.effects]
        assert result.outcome is not None
        assert result.outcome[0].value == "violation"
        assert "outcome violation -> needs_approval" in result.render()

    def test_altered_record_refused_on_read(self) -> None:
        """A record whose content was edited cannot be read back, so it cannot be replayed."""
        record, _ = _late_leave()
        data = json.loads(record.to_json())
        data["policies"][0]["content_hash"] = "sha256:" + "0" * 64
        with pytest.raises(RecordError, match="does not match"):
            DecisionRecord.model_validate(data)


class TestDiffers:
    """Under the same content a changed decision is shown field by field."""

    def test_identical(self) -> None:
        """The same engine gives an identical replay."""
        record, pack = _late_leave()
        result = replay(record, pack.engine())
        assert result.identical
        assert result.effects == ()
        assert result.outcome is None

    def test_due_time_change_shown(self) -> None:
        """A record whose obligation was due earlier shows the due time that changed."""
        pack = load_pack("call_centre")
        for policy, rule in pack.rules():
            for example in rule.examples:
                if example.fact is None:
                    continue
                decision = pack.engine().evaluate(example.fact, now=example.now, fact_type=policy.fact_type)
                if any(o.due for o in decision.obligations):
                    break
            else:
                continue
            break
        record = decision.record()
        shifted = record.model_copy(update={"effects": tuple(
            e.model_copy(update={"due": e.due - timedelta(hours=1)}) if e.due else e for e in record.effects)})
        result = replay(shifted, pack.engine())
        assert result.status == "differs"
        assert [c.change for c in result.effects] == ["changed"] * len(result.effects)
        assert all(c.fields == ("due",) for c in result.effects)
        assert "due" in result.render()

    def test_session_step_not_replayable_alone(self) -> None:
        """A session step's record says it cannot be replayed alone."""
        record, pack = _late_leave()
        step = record.model_copy(update={"kind": "event"})
        with pytest.raises(RecordError, match="cannot be replayed alone"):
            replay(step, pack.engine())


class TestDatedVersions:
    """A pack whose notice period changes from a date: records name the version in force."""

    def test_records_before_and_after_the_change_replay_identical(self) -> None:
        """Requests before and after 2026-07-01 record different leave versions; both replay
        identical on the same pack, with no policy reported as changed."""
        company = Path(__file__).resolve().parents[1] / "examples" / "company_pack"
        pack = load_pack(str(company))
        engine = pack.engine()
        example = load_pack("call_centre").policy("leave").rules[0].examples[0]
        assert example.fact is not None
        assert example.now is not None
        records = []
        for shift in (timedelta(0), timedelta(days=200)):  # March, then September
            fact = {**example.fact, **{key: (datetime.fromisoformat(example.fact[key]) + shift).isoformat()
                                       for key in ("start", "end", "requested_at")}}
            records.append(engine.evaluate(fact, now=example.now + shift, fact_type="leave_request").record())
        leave = [next(p for p in r.policies if p.id.endswith(".leave")) for r in records]
        assert leave[0].content_hash != leave[1].content_hash
        assert [p.params["personal_notice"] for p in leave] == ["1d", "2d"]
        assert [replay(r, engine).status for r in records] == ["identical", "identical"]
