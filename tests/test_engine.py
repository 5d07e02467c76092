"""Effects, hit policies, several policies in one engine, and failing rules."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

import csrules
from csrules import Engine, Outcome, Policy
from tests import core_models  # noqa: F401 - registers the fact types

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=CST)
FACT = {
    "kind": "personal",
    "requested_at": "2026-05-04T08:00:00+08:00",
    "starts_at": "2026-05-04T16:00:00+08:00",
    "days": 2,
}
ALWAYS = {"kind": "is_set", "path": "kind"}  # kind is required: set on every fact
NEVER = {"kind": "is_missing", "path": "kind"}


def policy(rules: list[dict[str, Any]], **extra: Any) -> Policy:
    """A leave policy with ``rules``."""
    return Policy(id=extra.pop("id", "p"), version="1", title="t", fact_type="core_leave", rules=rules, **extra)


def rule(rule_id: str, effect: dict[str, Any], *, when: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A rule that always holds unless ``when`` is given."""
    return {"id": rule_id, "title": rule_id, "when": when or ALWAYS, "then": [effect], **extra}


class TestEffects:
    def test_each_effect_type_and_outcome(self):
        """Each effect lands in its own list and the outcome is the worst one."""
        engine = Engine(
            policy(
                [
                    rule(
                        "v",
                        {
                            "type": "violation",
                            "code": "ATT-7",
                            "severity": "minor",
                            "message": "late",
                            "consequence": {"en": "counts as absence", "zh": "按曠工處理"},
                        },
                    ),
                    rule("a", {"type": "approval", "role": "centre_director"}),
                    rule("e", {"type": "escalation", "to": "shift_lead"}),
                    rule("o", {"type": "obligation", "action": "inform", "who": "agent"}),
                    rule("r", {"type": "recommendation", "text": "說「您好」"}),
                ]
            )
        )
        decision = engine.evaluate(FACT)
        assert decision.outcome is Outcome.VIOLATION
        assert decision.violations[0].consequence.zh == "按曠工處理"
        assert decision.violations[0].severity == "minor"
        assert decision.approvers == ("centre_director",)
        assert decision.escalations[0].to == "shift_lead"
        assert decision.obligations[0].who == "agent"
        assert decision.recommendations[0].text.zh == "說「您好」"
        assert decision.effect_keys == (
            "violation:ATT-7",
            "approval:centre_director",
            "escalation:shift_lead",
            "obligation:agent",
            "recommendation",
        )

    @pytest.mark.parametrize(
        ("effects", "outcome"),
        [
            ([], Outcome.CLEAN),
            ([{"type": "recommendation", "text": "x"}], Outcome.CLEAN),
            ([{"type": "obligation", "action": "x", "who": "a"}], Outcome.ACTION_REQUIRED),
            ([{"type": "escalation", "to": "lead"}], Outcome.ACTION_REQUIRED),
            ([{"type": "approval", "role": "head"}, {"type": "escalation", "to": "lead"}], Outcome.NEEDS_APPROVAL),
        ],
    )
    def test_outcome_ranking(self, effects, outcome):
        """The outcome is clean < action required < needs approval < violation."""
        rules = [rule(f"r{i}", effect) for i, effect in enumerate(effects)] or [
            rule("never", {"type": "approval", "role": "x"}, when=NEVER)
        ]
        assert Engine(policy(rules)).evaluate(FACT).outcome is outcome

    def test_obligation_due_from_a_field_and_from_now(self):
        """Due times are an offset from a datetime field, or from now."""
        engine = Engine(
            policy(
                [
                    rule(
                        "field",
                        {
                            "type": "obligation",
                            "action": "reply",
                            "who": "agent",
                            "due": {"after": "3d", "since": "requested_at"},
                        },
                    ),
                    rule(
                        "now",
                        {"type": "obligation", "action": "call back", "who": "agent", "due": {"param": "callback"}},
                    ),
                ],
                params={"callback": {"type": "duration", "default": "2h"}},
            )
        )
        first, second = engine.evaluate(FACT, now=NOW).obligations
        assert first.due == datetime(2026, 5, 7, 8, 0, tzinfo=CST)
        assert second.due == NOW + timedelta(hours=2)
        with pytest.raises(csrules.EvaluationError):
            engine.evaluate(FACT)  # due from now needs now

    def test_decision_to_dict_is_json_ready(self):
        """to_dict gives plain data, with the trace on request."""
        import json

        engine = Engine(
            policy(
                [
                    rule(
                        "a",
                        {"type": "approval", "role": "head"},
                        when={"kind": "compare", "path": "days", "op": ">", "value": 1},
                    )
                ]
            )
        )
        data = engine.evaluate(FACT).to_dict(trace=True)
        json.dumps(data, ensure_ascii=False)
        assert data["outcome"] == "needs_approval"
        assert data["trace"][0]["decided_by"] == ["days requested is more than 1"]


class TestHitPolicies:
    RULES: ClassVar[list[dict[str, Any]]] = [
        rule("low", {"type": "approval", "role": "head"}, priority=1),
        rule("high", {"type": "approval", "role": "director"}, priority=5),
        rule("also-high", {"type": "escalation", "to": "lead"}, priority=5),
    ]

    def test_collect_keeps_all(self):
        """collect keeps every matching rule's effects."""
        assert Engine(policy(self.RULES)).evaluate(FACT).rule_ids == ("low", "high", "also-high")

    def test_first_keeps_the_first_match(self):
        """first keeps only the first matching rule, and the trace says which were dropped."""
        decision = Engine(policy(self.RULES, hit_policy="first")).evaluate(FACT)
        assert decision.rule_ids == ("low",)
        assert [(t.rule_id, t.matched, t.selected) for t in decision.trace] == [
            ("low", True, True),
            ("high", True, False),
            ("also-high", True, False),
        ]

    def test_priority_keeps_the_highest(self):
        """priority keeps every match with the highest priority."""
        assert Engine(policy(self.RULES, hit_policy="priority")).evaluate(FACT).rule_ids == ("high", "also-high")

    def test_policies_combine_in_one_engine(self):
        """Two policies on one fact type both decide; the decision names both with versions."""
        engine = Engine([policy(self.RULES, hit_policy="first"), policy(self.RULES, id="q")])
        decision = engine.evaluate(FACT)
        assert decision.matches == (("p", "low"), ("q", "low"), ("q", "high"), ("q", "also-high"))
        assert [(p.id, p.version) for p in decision.policies] == [("p", "1"), ("q", "1")]

    def test_duplicate_policy_ids_refused(self):
        """Two policies with one id cannot share an engine."""
        with pytest.raises(csrules.PolicyError, match="repeated: p"):
            Engine([policy(self.RULES), policy(self.RULES)])


class TestFailingRules:
    def test_a_failing_rule_is_recorded_and_others_still_decide(self):
        """A rule that raises (naive datetimes in a host model) is skipped and recorded."""
        from pydantic import BaseModel

        @csrules.register_fact_type(name="core_naive")
        class Naive(BaseModel):
            a: datetime
            b: datetime
            n: int

        engine = Engine(
            Policy(
                id="n",
                version="1",
                title="t",
                fact_type="core_naive",
                rules=[
                    {
                        "id": "span",
                        "title": "s",
                        "when": {"kind": "elapsed", "since": "a", "until": "b", "op": ">", "duration": "1h"},
                        "then": [{"type": "approval", "role": "x"}],
                    },
                    {
                        "id": "big",
                        "title": "b",
                        "when": {"kind": "compare", "path": "n", "op": ">", "value": 1},
                        "then": [{"type": "approval", "role": "y"}],
                    },
                ],
            )
        )
        decision = engine.evaluate(Naive(a=datetime(2026, 1, 1), b=datetime(2026, 1, 2, tzinfo=CST), n=5))
        assert decision.rule_ids == ("big",)
        assert decision.errors[0].rule_id == "span"
        assert "TimeError: field a holds 2026-01-01T00:00:00 without a UTC offset" in decision.errors[0].message
        assert decision.error_mode is csrules.ErrorMode.SKIP
        assert decision.trace.for_rule("span").condition.error is not None


class TestEngine:
    def test_shared_between_threads(self):
        """One engine gives the same answers from many threads at once."""
        engine = Engine(
            policy(
                [
                    rule(
                        "a",
                        {"type": "approval", "role": "head"},
                        when={"kind": "compare", "path": "days", "op": ">", "value": 1},
                    )
                ]
            )
        )
        facts = [{**FACT, "days": d / 2} for d in range(1, 9)]
        expected = [engine.evaluate(f).rule_ids for f in facts]
        results: list[list[tuple[str, ...]]] = []

        def work() -> None:
            results.append([engine.evaluate(f).rule_ids for f in facts for _ in range(50)][::50])

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [expected] * 8

    def test_evaluate_many_is_lazy(self):
        """evaluate_many yields as it reads, so an endless stream works."""
        import itertools

        engine = Engine(policy([rule("a", {"type": "approval", "role": "head"})]))
        endless = itertools.repeat(FACT)
        first_three = list(itertools.islice(engine.evaluate_many(endless), 3))
        assert [d.rule_ids for d in first_three] == [("a",)] * 3

    def test_generated_source_embeds_no_values(self):
        """Literals reach the generated code as names, never as source text."""
        engine = Engine(
            policy(
                [
                    rule(
                        "a",
                        {"type": "approval", "role": "head"},
                        when={"kind": "compare", "path": "kind", "op": "==", "value": "personal"},
                    )
                ]
            )
        )
        assert "personal" not in engine.source("core_leave")

    def test_engine_is_immutable(self):
        """An engine's attributes cannot be reassigned after it is built."""
        engine = Engine(policy([rule("a", {"type": "approval", "role": "head"})]))
        with pytest.raises(AttributeError, match="immutable"):
            engine.policies = ()
