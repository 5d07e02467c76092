"""A decision depends on the instants of a fact, never on the UTC offsets they were written with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import BaseModel

from csrules import Decision
from csrules._testing.strategies import aware_datetimes
from csrules.policies import Pack, load_pack, pack_names
from csrules.testing import facts

OFFSETS: tuple[timezone, ...] = (
    timezone(timedelta(hours=-5)),
    UTC,
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=5, minutes=45)),
)
"""Offsets every datetime is re-expressed in: behind, at, far ahead of and oddly off UTC."""

PROPERTY = settings(max_examples=25, deadline=None, database=None, derandomize=True)


def reexpress(value: Any, offset: timezone) -> Any:
    """``value`` with every aware datetime in it (nested dicts, lists, ISO strings) shown in ``offset``."""
    if isinstance(value, datetime):
        return value.astimezone(offset) if value.utcoffset() is not None else value
    if isinstance(value, str):
        return _reexpress_text(value, offset)
    if isinstance(value, dict):
        return {key: reexpress(item, offset) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [reexpress(item, offset) for item in value]
    return value


def _reexpress_text(text: str, offset: timezone) -> str:
    if len(text) < 16 or "T" not in text:
        return text
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return parsed.astimezone(offset).isoformat() if parsed.utcoffset() is not None else text


def reexpress_fact(fact: BaseModel, offset: timezone) -> BaseModel:
    """The same fact, every datetime (derived ones included) re-expressed in ``offset``."""
    return type(fact).model_validate(reexpress(fact.model_dump(), offset))


def verdict(decision: Decision) -> tuple[Any, ...]:
    """What a decision decides: outcome, effects (due times compare as instants) and failing rules."""
    failing = sorted((e.policy_id, e.rule_id) for e in decision.errors)
    return decision.outcome, tuple(decision.effects), tuple(failing)


def judged(pack: Pack) -> list[str]:
    """The fact types a pack's policies judge."""
    return sorted({policy.fact_type for policy in pack.policies})


CASES = [(name, fact_type) for name in pack_names() for fact_type in judged(load_pack(name))]


class TestDrawnFacts:
    """Any drawn fact judged by any built-in pack gets the same decision in every offset."""

    @pytest.mark.parametrize(("pack_name", "fact_type"), CASES)
    def test_offsets_do_not_change_decisions(self, pack_name: str, fact_type: str) -> None:
        """Re-expressing a fact and now in another offset leaves outcome, effects and due times alone."""
        engine = load_pack(pack_name).engine()

        @PROPERTY
        @given(fact=facts(fact_type), now=aware_datetimes())
        def check(fact: BaseModel, now: datetime) -> None:
            expected = verdict(engine.evaluate(fact, now=now))
            for offset in OFFSETS:
                moved = engine.evaluate(reexpress_fact(fact, offset), now=now.astimezone(offset))
                assert verdict(moved) == expected, f"in {offset}"

        check()


def worked_examples() -> list[tuple[str, str, str, int]]:
    """Every worked example of every pack: (pack, policy id, rule id, index)."""
    found: list[tuple[str, str, str, int]] = []
    for name in pack_names():
        for policy, rule in load_pack(name).rules():
            found.extend((name, policy.id, rule.id, index) for index in range(len(rule.examples)))
    return found


class TestWorkedExamples:
    """Every pack's worked examples decide the same when their datetimes are written in other offsets."""

    @pytest.mark.parametrize("offset", [OFFSETS[0], OFFSETS[1]], ids=["minus-5", "utc"])
    def test_examples_keep_their_decision(self, offset: timezone) -> None:
        """Each worked example, re-expressed, gets the decision it gets as written."""
        changed = []
        for name, policy_id, rule_id, index in worked_examples():
            pack = load_pack(name)
            example = pack.policy(policy_id).rule(rule_id).examples[index]
            engine = pack.engine()
            policy = pack.policy(policy_id)
            now = example.now
            written = engine.evaluate(example.fact, now=now, fact_type=policy.fact_type)
            moved = engine.evaluate(
                reexpress(example.fact, offset),
                now=None if now is None else now.astimezone(offset),
                fact_type=policy.fact_type,
            )
            if verdict(written) != verdict(moved):
                changed.append(f"{policy_id}/{rule_id}#{index}")
        assert changed == []

    def test_there_are_examples(self) -> None:
        """The packs ship worked examples for the check above to run over."""
        assert len(worked_examples()) > 200
