"""Each condition kind, evaluated through the public API (compiled path and trace)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from csrules import Engine, Policy, PolicyError
from tests import core_models  # noqa: F401 - registers the fact types

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 3, 2, 9, 0, tzinfo=CST)


def one_rule(when: dict[str, Any], **params: Any) -> Engine:
    """An engine with one rule whose condition is ``when``."""
    return Engine(
        Policy(
            id="p",
            version="1",
            title="t",
            fact_type="core_thing",
            params=dict(params),
            rules=[
                {"id": "r", "title": "r", "when": when, "then": [{"type": "violation", "code": "X", "message": "m"}]}
            ],
        )
    )


def thing(**changes: Any) -> dict[str, Any]:
    """A valid core_thing fact with ``changes`` applied."""
    base: dict[str, Any] = {"n": 5, "kind": "a", "flag": False, "text": "hello there", "at": AT}
    return {**base, **changes}


def holds(engine: Engine, fact: dict[str, Any], now: datetime | None = AT) -> bool:
    """Whether the rule matched, checked on both the fast path and the trace."""
    decision = engine.evaluate(fact, now=now)
    matched = decision.rule_ids == ("r",)
    assert decision.trace.for_rule("r").matched is matched
    return matched


class TestCompare:
    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("==", 5, True),
            ("!=", 5, False),
            ("<", 6, True),
            ("<", 5, False),
            ("<=", 5, True),
            (">", 4, True),
            (">", 5, False),
            (">=", 5, True),
        ],
    )
    def test_number_with_literal(self, op, value, expected):
        """Every operator compares a number field with a literal."""
        assert holds(one_rule({"kind": "compare", "path": "n", "op": op, "value": value}), thing()) is expected

    def test_with_parameter_and_override(self):
        """A parameter's value in force is used, and an override changes the answer."""
        when = {"kind": "compare", "path": "n", "op": ">=", "param": "lim"}
        param = {"type": "int", "default": 5}
        assert holds(one_rule(when, lim=param), thing(n=5))
        policy = one_rule(when, lim=param).policies[0].with_params(lim=6)
        assert not holds(Engine(policy), thing(n=5))

    def test_with_another_field_through_an_optional_object(self):
        """Comparing with a field inside a missing optional object is false, not an error."""
        engine = one_rule({"kind": "compare", "path": "n", "op": "<", "field": "sub.m"})
        assert holds(engine, thing(sub={"m": 9}))
        assert not holds(engine, thing(sub={"m": 1}))
        assert not holds(engine, thing())

    def test_missing_value_is_false_for_every_operator(self):
        """A None field never satisfies a comparison, not even !=."""
        for op in ("==", "!=", "<", ">"):
            assert not holds(one_rule({"kind": "compare", "path": "x", "op": op, "value": 1.0}), thing())

    def test_datetime_literal_with_zone(self):
        """A datetime literal with an offset compares as an instant."""
        engine = one_rule({"kind": "compare", "path": "at", "op": "<", "value": "2026-03-02T02:00:00+00:00"})
        assert holds(engine, thing())  # 09:00+08:00 is 01:00 UTC


class TestMembership:
    def test_in_literal_list(self):
        """in holds for a listed value only."""
        engine = one_rule({"kind": "in", "path": "kind", "value": ["a", "b"]})
        assert holds(engine, thing(kind="a"))
        assert not holds(engine, thing(kind="c"))

    def test_not_in_parameter_list_and_missing(self):
        """not_in holds for an unlisted value and is false for a missing one."""
        engine = one_rule(
            {"kind": "not_in", "path": "sub.label", "param": "words"}, words={"type": "str_list", "default": ["x", "y"]}
        )
        assert holds(engine, thing(sub={"m": 1, "label": "z"}))
        assert not holds(engine, thing(sub={"m": 1, "label": "x"}))
        assert not holds(engine, thing(sub={"m": 1}))


class TestContains:
    def test_simplified_phrase_matches_traditional_text(self):
        """With the default zh folding, simplified and traditional Chinese match each other."""
        engine = one_rule({"kind": "contains", "path": "text", "phrases": ["这不是我应该做的"]})
        assert holds(engine, thing(text="客服說：這不是我應該做的。"))
        assert holds(engine, thing(text="这不是我应该做的"))
        assert not holds(engine, thing(text="我很願意為你做"))

    def test_any_line_of_a_transcript(self):
        """On a list of texts, any line containing any phrase matches."""
        engine = one_rule({"kind": "contains", "path": "lines", "phrases": ["我不會做", "但是"]})
        assert holds(engine, thing(lines=["您好", "我不会做这个"]))
        assert not holds(engine, thing(lines=["您好", "再見"]))

    def test_fold_none_is_exact(self):
        """fold: none matches case and script exactly."""
        engine = one_rule({"kind": "contains", "path": "text", "phrases": ["Hello"], "fold": "none"})
        assert not holds(engine, thing(text="hello"))
        assert holds(engine, thing(text="Hello"))

    def test_trace_names_the_phrase_found(self):
        """The trace records which phrase was found."""
        engine = one_rule({"kind": "contains", "path": "text", "phrases": ["喂"]})
        node = engine.evaluate(thing(text="喂，哪位"), now=AT).trace.for_rule("r").condition
        assert node.values["found"] == "喂"


class TestPresence:
    @pytest.mark.parametrize(
        ("path", "fact", "is_set"),
        [
            ("x", {"x": 1.5}, True),
            ("x", {}, False),
            ("sub.label", {"sub": {"m": 1, "label": "l"}}, True),
            ("sub.label", {"sub": {"m": 1}}, False),
            ("sub.label", {}, False),
        ],
    )
    def test_is_set_and_is_missing_are_opposites(self, path, fact, is_set):
        """is_set holds exactly when is_missing does not, through optional objects too."""
        assert holds(one_rule({"kind": "is_set", "path": path}), thing(**fact)) is is_set
        assert holds(one_rule({"kind": "is_missing", "path": path}), thing(**fact)) is not is_set


class TestElapsed:
    def test_between_two_fields(self):
        """elapsed compares the span between two datetime fields."""
        engine = one_rule({"kind": "elapsed", "since": "at", "until": "until", "op": "<", "duration": "24h"})
        assert holds(engine, thing(until=AT + timedelta(hours=23, minutes=59, seconds=59)))
        assert not holds(engine, thing(until=AT + timedelta(hours=24)))
        assert not holds(engine, thing())  # until missing

    def test_since_a_field_until_now(self):
        """Without until, the span ends at now, which must then be passed."""
        engine = one_rule(
            {"kind": "elapsed", "since": "at", "op": ">=", "param": "limit"},
            limit={"type": "duration", "default": "24h"},
        )
        assert holds(engine, thing(), now=AT + timedelta(days=1))
        assert not holds(engine, thing(), now=AT + timedelta(hours=2))


class TestBoolean:
    def test_all_any_not_and_the_deciding_condition(self):
        """A false all is decided by its first false part, which the trace names."""
        engine = one_rule(
            {
                "kind": "all",
                "of": [
                    {"kind": "compare", "path": "kind", "op": "==", "value": "a"},
                    {"kind": "not", "condition": {"kind": "compare", "path": "flag", "op": "==", "value": True}},
                    {
                        "kind": "any",
                        "of": [
                            {"kind": "compare", "path": "n", "op": ">", "value": 100},
                            {"kind": "is_set", "path": "x"},
                        ],
                    },
                ],
            }
        )
        assert holds(engine, thing(x=1.0))
        decision = engine.evaluate(thing(flag=True), now=AT)
        assert decision.rule_ids == ()
        assert decision.trace.for_rule("r").decided_by == ("flag is yes",)

    @pytest.mark.parametrize("kind", ["all", "any"])
    def test_empty_junction_is_refused(self, kind):
        """all or any of nothing (a rule for every fact, or for none) is refused, not guessed."""
        with pytest.raises(PolicyError, match=f"{kind} needs at least one condition") as caught:
            one_rule({"kind": "not", "condition": {"kind": kind, "of": []}})
        assert caught.value.loc[-3:] == ("when", "condition", "of")


class TestStaticChecks:
    @pytest.mark.parametrize(
        ("when", "message"),
        [
            ({"kind": "compare", "path": "nn", "op": "==", "value": 1}, "unknown field 'nn'"),
            ({"kind": "compare", "path": "text", "op": "==", "value": 3}, "text, compared with int 3"),
            ({"kind": "compare", "path": "n", "op": "==", "value": "3"}, "is a number, compared with str"),
            ({"kind": "compare", "path": "kind", "op": "==", "value": "z"}, "'z' is not a possible value of kind"),
            ({"kind": "compare", "path": "text", "op": "<", "value": "a"}, "only == and != apply"),
            ({"kind": "compare", "path": "n", "op": "<", "param": "nope"}, "unknown parameter 'nope'"),
            ({"kind": "compare", "path": "n", "op": "<", "field": "text"}, "cannot compare n"),
            ({"kind": "compare", "path": "sub.m.q", "op": "==", "value": 1}, "'sub.m' is not a model"),
            ({"kind": "elapsed", "since": "text", "op": "<", "duration": "1h"}, "needs datetime fields"),
            ({"kind": "elapsed", "since": "at", "op": "<", "duration": "3 business days"}, "business time"),
            ({"kind": "contains", "path": "n", "phrases": ["x"]}, "contains needs a text field"),
            ({"kind": "in", "path": "kind", "value": []}, "non-empty list"),
            ({"kind": "compare", "path": "at", "op": "<", "value": "2026-01-01T00:00:00"}, "has no time zone"),
            ({"kind": "compare", "path": "n", "op": "<", "value": 1, "param": "lim"}, "exactly one of"),
        ],
    )
    def test_policy_error_names_rule_and_problem(self, when, message):
        """Every static problem is a PolicyError naming the policy, the rule and the problem."""
        with pytest.raises(PolicyError) as caught:
            one_rule(when, lim={"type": "int", "default": 1})
        assert message in str(caught.value)
        assert caught.value.policy_id == "p"
        assert caught.value.rule_id == "r"


class TestComputedFields:
    def test_a_computed_field_is_a_checked_path(self):
        """Policies may test a pydantic computed_field, typed by its return annotation."""
        from pydantic import BaseModel, computed_field

        from csrules import register_fact_type

        @register_fact_type(name="core_span")
        class Span(BaseModel):
            start: int
            end: int

            @computed_field  # type: ignore[prop-decorator]
            @property
            def length(self) -> int:
                return self.end - self.start

        engine = Engine(
            Policy(
                id="s",
                version="1",
                title="t",
                fact_type="core_span",
                rules=[
                    {
                        "id": "long",
                        "title": "long",
                        "when": {"kind": "compare", "path": "length", "op": ">", "value": 3},
                        "then": [{"type": "approval", "role": "lead"}],
                    }
                ],
            )
        )
        assert engine.evaluate({"start": 1, "end": 9}).rule_ids == ("long",)
        assert engine.evaluate({"start": 1, "end": 2}).rule_ids == ()
        with pytest.raises(PolicyError, match="is a number, compared with str"):
            Policy(
                id="s",
                version="1",
                title="t",
                fact_type="core_span",
                rules=[
                    {
                        "id": "x",
                        "title": "x",
                        "when": {"kind": "compare", "path": "length", "op": ">", "value": "3"},
                        "then": [{"type": "approval", "role": "lead"}],
                    }
                ],
            )
