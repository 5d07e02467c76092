"""Odd field names and odd arguments: the compiled engine and sessions never crash on them and
never disagree with their own traces."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pydantic
import pytest
from pydantic import BaseModel, Field

import csrules
from csrules import Engine, Policy
from csrules._sessions import SessionEngine
from csrules.exceptions import FactError, PolicyError, TimeError
from tests.test_session_support import BACKENDS

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone(timedelta(hours=8)))
KEYWORDS = ["if", "None", "True", "lambda", "await", "class", "import"]
ODD = ["a b", "1st", "x" * 2000, "f", "now", "m", "bool", "match", "é", "名字", "a-b"]

_MODELS: dict[tuple[str, ...], str] = {}


def fact_type(*names: str) -> str:
    """A fact type with an optional int field per name (built and registered once)."""
    if names not in _MODELS:
        model = pydantic.create_model(f"Hazard{len(_MODELS)}",
                                      **dict.fromkeys(names, (int | None, None)))
        _MODELS[names] = f"hazard_{len(_MODELS)}"
        csrules.register_fact_type(model, name=_MODELS[names])
    return _MODELS[names]


def policy(fact_type: str, *whens: dict[str, Any]) -> Policy:
    """One violating rule per condition, coded X0, X1, ..."""
    rules = [{"id": f"r{i}", "title": f"rule {i}", "when": when,
              "then": [{"type": "violation", "code": f"X{i}", "message": "m"}]}
             for i, when in enumerate(whens)]
    return Policy(id="hazard", version="1", title="t", fact_type=fact_type, rules=rules)


def equals(path: str, value: Any = 1) -> dict[str, Any]:
    """``path == value``."""
    return {"kind": "compare", "path": path, "op": "==", "value": value}


def codes(engine: Engine, fact: dict[str, Any]) -> list[str]:
    """The violation codes of ``fact``, checked to be those of the rules its trace matched."""
    decision = engine.evaluate(fact, now=NOW)
    found = sorted(v.code for v in decision.violations)
    traced = sorted(f"X{r.rule_id[1:]}" for r in decision.trace.rules if r.matched)
    assert found == traced
    return found


def session_codes(p: Policy, fact: dict[str, Any], backend: str) -> list[str]:
    """The violation codes one session event gives on ``backend``."""
    engine = SessionEngine(p, backend=backend)
    try:
        result = engine.session("s").send(fact, fact_type=p.fact_type, now=NOW)
    finally:
        engine.close()
    return sorted(e.code for e in result.effects if isinstance(e, csrules.Violation))


class TestKeywordFields:
    """Fields named after Python keywords (legal through create_model)."""

    @pytest.mark.parametrize("name", KEYWORDS)
    def test_engine_compiles_and_decides(self, name: str) -> None:
        """The engine builds, and its decision and trace agree on the keyword field."""
        engine = Engine(policy(fact_type(name), equals(name)))
        assert codes(engine, {name: 1}) == ["X0"]
        assert codes(engine, {name: 2}) == []

    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize("name", KEYWORDS)
    def test_sessions_compile_and_decide(self, name: str, backend: str) -> None:
        """Session programs (plain and windowed rules) build over keyword fields."""
        counted = {"kind": "in_a_row", "match": equals(name), "times": 1}
        p = policy(fact_type(name), equals(name), {"kind": "in", "path": name, "value": [1, 3]},
                   {"kind": "not", "condition": {"kind": "is_missing", "path": name}})
        assert session_codes(p, {name: 1}, backend) == ["X0", "X1", "X2"]
        windowed = Policy(**{**p.model_dump(), "rules": [{**p.model_dump()["rules"][0],
                                                          "when": counted}]})
        assert session_codes(windowed, {name: 1}, backend) == ["X0"]


class TestCompatibilityCharacters:
    """Names Python would NFKC-normalise into another field's name (``ﬁx`` into ``fix``)."""

    @pytest.mark.parametrize(("odd", "plain"), [("ﬁx", "fix"), ("ｆ", "f"), ("ℌ", "H")])
    def test_decision_reads_the_named_field(self, odd: str, plain: str) -> None:
        """The rule on the odd name reads that field, never its normalised look-alike."""
        engine = Engine(policy(fact_type(odd, plain), equals(odd)))
        assert codes(engine, {odd: 1, plain: 0}) == ["X0"]
        assert codes(engine, {odd: 0, plain: 1}) == []
        assert odd not in engine.source(engine.fact_types[0])

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_sessions_read_the_named_field(self, backend: str) -> None:
        """Both session backends read ``ﬁx`` as ``ﬁx``."""
        p = policy(fact_type("ﬁx", "fix"), equals("ﬁx"))
        assert session_codes(p, {"ﬁx": 0, "fix": 1}, backend) == []
        assert session_codes(p, {"ﬁx": 1, "fix": 0}, backend) == ["X0"]

    def test_ordinary_names_keep_plain_attribute_access(self) -> None:
        """An ASCII identifier is still read as ``f.name`` (the fast path)."""
        engine = Engine(policy(fact_type("ﬁx", "fix"), equals("fix")))
        assert "f.fix)" in engine.source(engine.fact_types[0])


class TestOddNames:
    """Spaces, leading digits, very long names and names the generated code binds itself."""

    @pytest.mark.parametrize("name", ODD, ids=lambda n: repr(n[:12]))
    def test_engine_and_sessions_decide(self, name: str) -> None:
        """Engine and both session backends judge the field by its exact name."""
        p = policy(fact_type(name), equals(name))
        engine = Engine(p)
        assert codes(engine, {name: 1}) == ["X0"]
        assert codes(engine, {name: 0}) == []
        for backend in BACKENDS:
            assert session_codes(p, {name: 1}, backend) == ["X0"]

    def test_alias_with_a_leading_digit(self) -> None:
        """A field aliased ``1st`` is judged by its field name, given by its alias."""

        class Aliased(BaseModel):
            first: int = Field(0, alias="1st")

        csrules.register_fact_type(Aliased, name="hazard_aliased")
        engine = Engine(policy("hazard_aliased", equals("first")))
        assert codes(engine, {"1st": 1}) == ["X0"]

    def test_nested_optional_keyword_path(self) -> None:
        """A keyword under an optional object is guarded and read exactly."""
        inner = pydantic.create_model("HazardInner", **{"if": (int | None, None)})
        outer = pydantic.create_model("HazardOuter", **{"None": (inner | None, None)})
        csrules.register_fact_type(outer, name="hazard_nested")
        engine = Engine(policy("hazard_nested", equals("None.if")))
        assert codes(engine, {"None": {"if": 1}}) == ["X0"]
        assert codes(engine, {"None": None}) == []


class TestNow:
    """``now`` that is not an aware datetime is refused with a TimeError naming it."""

    @pytest.mark.parametrize("bad", [date(2026, 5, 4), "2026-05-04T10:00:00+08:00", 5, 1.5])
    @pytest.mark.parametrize("entry", ["evaluate", "evaluate_many", "explain"])
    def test_wrong_type(self, bad: Any, entry: str) -> None:
        """A date, str or number is named with its type, on every entry taking now."""
        engine = Engine(policy(fact_type("if"), equals("if")))
        call = {
            "evaluate": lambda: engine.evaluate({"if": 1}, now=bad),
            "evaluate_many": lambda: list(engine.evaluate_many([{"if": 1}], now=bad)),
            "explain": lambda: engine.explain({"if": 1}, now=bad),
        }[entry]
        with pytest.raises(TimeError, match=type(bad).__name__) as caught:
            call()
        assert repr(bad) in str(caught.value)

    def test_naive_datetime(self) -> None:
        """A naive datetime is refused as before, by evaluate and evaluate_many."""
        engine = Engine(policy(fact_type("if"), equals("if")))
        naive = datetime(2026, 5, 4, 10)
        with pytest.raises(TimeError, match="naive"):
            engine.evaluate({"if": 1}, now=naive)
        with pytest.raises(TimeError, match="naive"):
            list(engine.evaluate_many([{"if": 1}], now=naive))


class TestFactsAndLookups:
    """Facts of the wrong shape and lookups of unknown types give csrules errors."""

    def test_extra_keys_are_ignored_and_missing_optional_keys_are_none(self) -> None:
        """A dict with an unknown key is judged on the fields the model has."""
        engine = Engine(policy(fact_type("if"), equals("if"), {"kind": "is_missing", "path": "if"}))
        assert codes(engine, {"if": 1, "elif": 2}) == ["X0"]
        assert codes(engine, {}) == ["X1"]

    def test_wrong_model_instance(self) -> None:
        """An instance of another model is refused, naming the types judged."""
        engine = Engine(policy(fact_type("if"), equals("if")))
        other = pydantic.create_model("HazardOther", x=(int, 0))()
        with pytest.raises(FactError, match="no policy in this engine judges"):
            engine.evaluate(other)

    def test_source_of_an_unknown_type(self) -> None:
        """Engine.source of a type it does not judge is a FactError, not a KeyError."""
        engine = Engine(policy(fact_type("if"), equals("if")))
        with pytest.raises(FactError, match="nope"):
            engine.source("nope")

    @pytest.mark.parametrize(("path", "value"), [("\x00", 1), ("s", "\ud800")])
    def test_control_characters_in_a_policy_are_refused(self, path: str, value: Any) -> None:
        """A field path or text literal holding a control character or lone surrogate is a PolicyError."""
        name = fact_type(path) if path != "s" else fact_type("s")
        with pytest.raises(PolicyError, match="control character"):
            policy(name, equals(path, value))

    def test_empty_path_is_a_policy_error(self) -> None:
        """An empty field path is refused when the policy is built."""
        with pytest.raises(PolicyError):
            Engine(policy(fact_type("if"), equals("")))


class TestLargePolicies:
    """Policies with thousands of rules compile (no deep elif chain, no huge literals)."""

    @pytest.mark.parametrize("hit", ["first", "collect"])
    def test_thousands_of_rules(self, hit: str) -> None:
        """3,000 rules under 'first' and 'collect' compile and select the last rule."""
        whens = [equals("if", i) for i in range(3000)]
        p = Policy(**{**policy(fact_type("if"), *whens).model_dump(), "hit_policy": hit})
        decision = Engine(p).evaluate({"if": 2999})
        assert [r.rule_id for r in decision.trace.rules if r.selected] == ["r2999"]

    def test_first_stops_at_the_first_match(self) -> None:
        """Under 'first', a later matching rule is neither selected nor does it add effects."""
        p = Policy(**{**policy(fact_type("if"), equals("if"), equals("if"),
                               {"kind": "is_set", "path": "if"}).model_dump(),
                      "hit_policy": "first"})
        decision = Engine(p).evaluate({"if": 1})
        assert [v.code for v in decision.violations] == ["X0"]
        assert [r.rule_id for r in decision.trace.rules if r.selected] == ["r0"]
        assert [r.rule_id for r in decision.trace.rules if r.matched] == ["r0", "r1", "r2"]

    def test_rule_index_beyond_the_int_digit_limit(self) -> None:
        """A match mask bit whose number has more decimal digits than Python writes out (its
        limit lowered here to the least it may be, 640, so that 2,300 rules reach past it
        rather than the 14,300 the default 4,300 digits need) is never written out."""
        rules = 2300
        whens = [equals("if", i) for i in range(rules)]
        judged = policy(fact_type("if"), *whens)
        limit = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(640)
        try:
            with pytest.raises(ValueError, match="limit"):
                str(1 << (rules - 1))  # the last rule's bit is past the limit
            decision = Engine(judged).evaluate({"if": rules - 1})
        finally:
            sys.set_int_max_str_digits(limit)
        assert [v.code for v in decision.violations] == [f"X{rules - 1}"]
