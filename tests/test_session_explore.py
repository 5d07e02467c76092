"""The session explorer tries every shape by construction: events the drawn facts cannot
make are made from the policy's worked examples, and a shape no event can be made for is
reported, never skipped in silence."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, model_validator

import csrules
from csrules._testing.boundaries.sessions import sequence_shapes
from csrules.testing import explore_sessions


@csrules.register_fact_type(name="sess_explore_ticket")
class Ticket(BaseModel):
    """A ticket whose ``stamp`` must read ``checked``: drawn text almost never does."""

    ticket_id: str
    at: AwareDatetime
    urgent: bool
    stamp: str

    @model_validator(mode="after")
    def _checked(self) -> Ticket:
        if self.stamp != "checked":
            raise ValueError("stamp must read 'checked'")
        return self


def _policy(examples: bool = True) -> csrules.Policy:
    """More than one urgent ticket in a month is a violation."""
    steps = [{"fact": {"ticket_id": "T1", "at": "2026-03-02T10:00:00+08:00", "urgent": True, "stamp": "checked"},
              "expect": []},
             {"fact": {"ticket_id": "T2", "at": "2026-03-03T10:00:00+08:00", "urgent": True, "stamp": "checked"},
              "expect": ["violation:URG"]}]
    urgent = {"kind": "compare", "path": "urgent", "op": "==", "value": True}
    return csrules.Policy.model_validate({
        "id": "explore.urgent", "version": "1", "title": "urgent tickets", "fact_type": "sess_explore_ticket",
        "rules": [{"id": "too-many", "title": "two urgent tickets in a month",
                   "when": {"kind": "all", "of": [urgent, {"kind": "count", "match": urgent, "at": "at",
                                                           "window": {"calendar": "month", "tz": "Asia/Shanghai"},
                                                           "op": ">", "value": 1}]},
                   "then": [{"type": "violation", "code": "URG", "message": "too many urgent tickets"}],
                   "examples": [{"name": "the second urgent ticket", "steps": steps}] if examples else []}],
    })


class TestEveryShapeTried:
    """Whatever Hypothesis draws, each shape runs; what cannot run is said."""

    def test_worked_example_makes_the_events(self) -> None:
        """With a fact model that refuses drawn facts, every shape still runs and the rule is reached."""
        policy = _policy()
        shapes = sequence_shapes(policy)
        for seed_value in (0, 1):
            result = explore_sessions(policy, max_examples=len(shapes), seed_value=seed_value)
            assert result.ok, result.render()
            assert result.untried == ()
            assert result.examples >= len(shapes)
            assert not result.coverage.never_true

    def test_shape_without_events_is_reported(self) -> None:
        """Without a worked example no event can be made: each shape is named untried, and not ok."""
        policy = _policy(examples=False)
        result = explore_sessions(policy, max_examples=2)
        assert result.untried == tuple(shape.title for shape in sequence_shapes(policy))
        assert not result.ok
        text = result.render()
        assert "no valid event sequence could be made for" in text
        assert "no problem found" not in text

    def test_same_answer_for_every_seed(self) -> None:
        """The verdict and the shapes run do not depend on the seed."""
        policy = _policy()
        seen: set[Any] = set()
        for seed_value in range(3):
            result = explore_sessions(policy, max_examples=4, seed_value=seed_value)
            seen.add((result.ok, result.untried, tuple(r.rule_id for r in result.coverage.never_true)))
        assert seen == {(True, (), ())}
