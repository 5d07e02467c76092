"""The durable and pure-Python session backends agree on odd field names and odd values.

Field names that are keywords, compatibility characters, dotted look-alikes (``a.b`` beside
``a__b``) or durable's own keys; values durable cannot hold exactly (ints beyond 2**53, inf,
nan, 1e308, -0.0, lone surrogates): every draw is judged identically, because durable is only
given what it holds exactly and csrules' evaluator decides the rest.
"""

from __future__ import annotations

import math
from typing import Any

import hypothesis.strategies as st
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

import csrules
from csrules._policy.model import check_depth
from csrules._sessions import SessionEngine
from csrules._sessions.backends.durable import compile_ruleset, durable_hash, field_key
from csrules.exceptions import CsrulesError
from tests.test_session_support import BACKENDS

BOTH = len(BACKENDS) == 2

NAMES = ["a__b", "if", "None", "True", "lambda", "await", "class", "ﬁx", "fix", "é", "名字",
         "a b", "1st", "id", "sid", "t", "u_a__b", "p0", "w0", "match", "x" * 300]
INTS = [0, 1, -1, 2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]
FLOATS = [0.0, -0.0, 0.1, 1.5, 1e16, 1e308, -1e308, 5e-324, math.inf, -math.inf, math.nan,
          9007199254740992.0]
LONG = "y" * 32767  # durable compares text by its first 65,535 hex digits only
TEXTS = ["", "a", "名字", "ﬁx", "fix", "\ud800", "s61", "\x00", "x" * 50, LONG + "y", LONG + "z"]
TYPES: dict[str, Any] = {"int": int, "float": float, "str": str, "bool": bool}
VALUES: dict[str, list[Any]] = {"int": INTS, "float": FLOATS, "str": TEXTS, "bool": [True, False]}


def policy_accepts(value: Any) -> bool:
    """Whether a policy may hold ``value`` as a literal (facts may carry any of them)."""
    try:
        check_depth(value)
    except csrules.PolicyError:  # non-finite, beyond 64 bits, control characters
        return False
    return True


class Inner(BaseModel):
    """The object at ``a``, so that the path ``a.b`` sits beside a field named ``a__b``."""

    b: int | None = None


_MODELS: dict[tuple[tuple[str, str], ...], tuple[str, type[BaseModel]]] = {}


def host_model(spec: tuple[tuple[str, str], ...]) -> tuple[str, type[BaseModel]]:
    """The registered fact type for ``spec`` (field name, type name), built once per spec."""
    if spec not in _MODELS:
        fields: dict[str, Any] = {name: (TYPES[kind] | None, None) for name, kind in spec}
        # a host's config may allow inf and nan (a fact type refuses them otherwise): backends must agree on them
        model = pydantic.create_model(f"Odd{len(_MODELS)}", __config__=pydantic.ConfigDict(allow_inf_nan=True),
                                      a=(Inner | None, None), **fields)
        name = f"agree_{len(_MODELS)}"
        csrules.register_fact_type(model, name=name)
        _MODELS[spec] = (name, model)
    return _MODELS[spec]


def policy_over(fact_type: str, conditions: list[dict[str, Any]], hit: str = "collect") -> csrules.Policy:
    """A policy with one rule per condition, each recommending its own index."""
    rules = [{"id": f"r{i}", "title": f"rule {i}", "when": cond,
              "then": [{"type": "recommendation", "text": f"rule {i}"}]}
             for i, cond in enumerate(conditions)]
    return csrules.Policy(id="agree", version="1", title="agree", fact_type=fact_type,
                          hit_policy=hit, rules=rules)


def results(policy: csrules.Policy, facts: list[BaseModel], backend: str) -> list[Any]:
    """Each fact's step result (or the csrules error it raised) in one session."""
    engine = SessionEngine(policy, backend=backend)
    session = engine.session("subject")
    out: list[Any] = []
    for fact in facts:
        try:
            out.append(session.send(fact))
        except CsrulesError as exc:
            out.append((type(exc).__name__, str(exc)))
    engine.close()
    return out


# --------------------------------------------------------------------------- strategies


@st.composite
def leaves(draw: Any, paths: dict[str, str]) -> dict[str, Any]:
    """One leaf condition over a drawn path, with literals from the odd values."""
    path = draw(st.sampled_from(sorted(paths)))
    kind = paths[path]
    shape = draw(st.sampled_from(["compare", "member", "presence"] if kind != "bool"
                                 else ["compare", "presence"]))
    if shape == "presence":
        return {"kind": draw(st.sampled_from(["is_set", "is_missing"])), "path": path}
    pool = [v for v in (INTS + FLOATS if kind in ("int", "float") else VALUES[kind]) if policy_accepts(v)]
    if shape == "member":
        values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2))
        return {"kind": draw(st.sampled_from(["in", "not_in"])), "path": path, "value": values}
    ops = ["==", "!="] if kind in ("str", "bool") else ["==", "!=", "<", "<=", ">", ">="]
    return {"kind": "compare", "path": path, "op": draw(st.sampled_from(ops)),
            "value": draw(st.sampled_from(pool))}


def trees(paths: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    """Leaves under all / any / not, a few levels deep."""
    return st.recursive(
        leaves(paths),
        lambda inner: st.one_of(
            st.builds(lambda of: {"kind": "all", "of": of}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda of: {"kind": "any", "of": of}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda c: {"kind": "not", "condition": c}, inner),
        ),
        max_leaves=4,
    )


HIT_POLICIES = ("collect", "first", "priority")


@st.composite
def cases(draw: Any, hits: tuple[str, ...] = HIT_POLICIES) -> tuple[csrules.Policy, list[BaseModel]]:
    """A host model with odd field names, a policy over it (hit policy one of ``hits``) and
    facts with odd values."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    spec = tuple((name, draw(st.sampled_from(sorted(TYPES)))) for name in names)
    fact_type, model = host_model(spec)
    paths = {**dict(spec), "a.b": "int"}
    policy = policy_over(fact_type, draw(st.lists(trees(paths), min_size=1, max_size=4)),
                         draw(st.sampled_from(hits)))
    facts = []
    for _ in range(draw(st.integers(1, 3))):
        values = {name: draw(st.none() | st.sampled_from(VALUES[kind])) for name, kind in spec}
        values["a"] = draw(st.none() | st.builds(dict, b=st.none() | st.sampled_from(INTS)))
        facts.append(model.model_validate(values))
    return policy, facts


def case(spec: tuple[tuple[str, str], ...], conditions: list[dict[str, Any]],
         facts: list[dict[str, Any]]) -> tuple[csrules.Policy, list[BaseModel]]:
    """An explicit case: the findings this file guards against, always run."""
    fact_type, model = host_model(spec)
    return policy_over(fact_type, conditions), [model.model_validate(f) for f in facts]


DOTTED = case((("a__b", "int"),), [{"kind": "compare", "path": "a.b", "op": "==", "value": 1},
                                   {"kind": "compare", "path": "a__b", "op": "==", "value": 1}],
              [{"a__b": 1}, {"a": {"b": 1}}, {"a": {"b": 1}, "a__b": 1}])
HUGE = case((("n", "int"),), [{"kind": "compare", "path": "n", "op": ">", "value": 2**63 - 1},
                              {"kind": "compare", "path": "n", "op": "!=", "value": 2**53}],
            [{"n": 2**63}, {"n": 2**53 + 1}, {"n": 2**64}])
INFINITE = case((("x", "float"),), [{"kind": "compare", "path": "x", "op": ">=", "value": 1e308},
                                    {"kind": "compare", "path": "x", "op": "!=", "value": 1e16}],
                [{"x": math.inf}, {"x": 1e308}, {"x": math.nan}, {"x": -math.inf}, {"x": 1e16}])
LONG_TEXT = case((("s", "str"),), [{"kind": "compare", "path": "s", "op": "==", "value": LONG + "y"},
                                  {"kind": "in", "path": "s", "value": [LONG + "z"]}],
                 [{"s": LONG + "y"}, {"s": LONG + "z"}, {"s": LONG}])

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# The search cut into one part per hit policy, each a third of the examples, so that its parts
# run side by side on several workers: together they draw at least as many as SETTINGS.
PER_HIT = settings(SETTINGS, max_examples=-(-SETTINGS.max_examples // len(HIT_POLICIES)))


@pytest.mark.skipif(not BOTH, reason="durable-rules is not installed")
class TestBackendsAgreeOnOddInput:
    """Random host models with odd names and facts with odd values: identical results."""

    @pytest.mark.parametrize("hit", HIT_POLICIES)
    @PER_HIT
    @given(data=st.data())
    def test_every_draw_agrees(self, hit: str, data: st.DataObject) -> None:
        """Every fact gets the same result (or the same csrules error) from both backends,
        under each hit policy."""
        policy, facts = data.draw(cases(hits=(hit,)), label="case")
        assert results(policy, facts, "durable") == results(policy, facts, "python")


# --------------------------------------------------------------------------- the findings


@pytest.mark.skipif(not BOTH, reason="durable-rules is not installed")
class TestDurableFindings:
    """Each input the fault campaign found, judged alike by both backends."""

    @pytest.mark.parametrize("found", [DOTTED, HUGE, INFINITE, LONG_TEXT],
                             ids=["dotted", "huge", "infinite", "long-text"])
    def test_finding(self, found: tuple[csrules.Policy, list[BaseModel]]) -> None:
        """The durable backend gives the Python backend's answers, with no error."""
        policy, facts = found
        durable = results(policy, facts, "durable")
        assert durable == results(policy, facts, "python")
        assert not any(isinstance(r, tuple) for r in durable)

    def test_dotted_path_and_underscored_name_get_distinct_keys(self) -> None:
        """``a.b`` and ``a__b`` reach durable under different keys."""
        policy, _ = DOTTED
        engine = SessionEngine(policy, backend="durable")
        try:
            keys = set(engine._backend.compiled.events[policy.fact_type][1].fields)
        finally:
            engine.close()
        assert keys == {field_key("a.b"), field_key("a__b")}


class TestFieldKeys:
    """The escaping of field paths into durable keys."""

    def test_escape_is_injective_on_look_alikes(self) -> None:
        """Paths that an earlier scheme merged get distinct keys, all plain ASCII."""
        paths = ["a.b", "a__b", "a_.b", "a._b", "a_db", "a_d.b", "ﬁx", "fix", "a b", "a_x000020b",
                 "u_a", "名字", "if"]
        keys = [field_key(p) for p in paths]
        assert len(set(keys)) == len(keys)
        assert all(k.isascii() and k.replace("_", "").isalnum() for k in keys)

    def test_ordinary_names_stay_readable(self) -> None:
        """A plain field keeps its name after the prefix (``id`` is ``u_id``)."""
        assert field_key("id") == "u_id"
        assert field_key("shift.start") == "u_shift_dstart"

    @pytest.mark.skipif(not BOTH, reason="durable-rules is not installed")
    def test_colliding_durable_hashes_are_salted(self) -> None:
        """Two fields whose keys durable would hash alike get keys with distinct hashes."""
        # u_k1332789 and u_k1529192 share their 32-bit FNV-1 hash: durable would merge them
        assert durable_hash("u_k1332789") == durable_hash("u_k1529192")
        spec = (("k1332789", "int"), ("k1529192", "int"))
        fact_type, model = host_model(spec)
        policy = policy_over(fact_type, [
            {"kind": "compare", "path": "k1332789", "op": "==", "value": 1},
            {"kind": "compare", "path": "k1529192", "op": "==", "value": 1}])
        facts = [model.model_validate({"k1529192": 1}), model.model_validate({"k1332789": 1})]
        durable = results(policy, facts, "durable")
        assert durable == results(policy, facts, "python")
        assert [len(r.effects) for r in durable] == [1, 1]

    @pytest.mark.skipif(not BOTH, reason="durable-rules is not installed")
    def test_every_key_of_a_message_kind_has_its_own_hash(self) -> None:
        """In each compiled message kind, the field keys' hashes are distinct."""
        policy, _ = DOTTED
        engine = SessionEngine(policy, backend="durable")
        try:
            compiled = compile_ruleset(engine.program)
        finally:
            engine.close()
        for _, encoding, w_keys in compiled.events.values():
            keys = ["t", "id", "sid", *w_keys, *encoding.fields, *(p[0] for p in encoding.probes)]
            assert len({durable_hash(k) for k in keys}) == len(keys)


@pytest.mark.skipif(not BOTH, reason="durable-rules is not installed")
class TestDurableLimits:
    """Policies beyond durable's fixed limits are judged as the Python backend judges them."""

    def test_more_fields_than_a_message_holds(self) -> None:
        """300 rules over 300 fields (durable holds about 250 keys a message) agree."""
        spec = tuple((f"f{i}", "int") for i in range(300))
        fact_type, model = host_model(spec)
        policy = policy_over(fact_type, [
            {"kind": "compare", "path": f"f{i}", "op": "==", "value": 1} for i in range(300)])
        facts = [model.model_validate({f"f{i}": i % 2 for i in range(300)})]
        durable = results(policy, facts, "durable")
        assert durable == results(policy, facts, "python")
        assert len(durable[0].effects) == 150

    def test_more_tests_passing_at_once_than_durable_stacks(self) -> None:
        """70 rules whose distinct tests all pass for one event (durable stacks 64) agree."""
        fact_type, model = host_model((("n", "int"),))
        policy = policy_over(fact_type, [
            {"kind": "compare", "path": "n", "op": "!=", "value": i} for i in range(1, 71)])
        facts = [model.model_validate({"n": 0}), model.model_validate({"n": 5})]
        durable = results(policy, facts, "durable")
        assert durable == results(policy, facts, "python")
        assert [len(r.effects) for r in durable] == [70, 69]

    def test_more_rules_than_durable_builds(self) -> None:
        """600 rules over one fact type (durable hangs past 512 alternatives under one test)
        compile within the limit, and agree."""
        from csrules._sessions.program import compile_program

        fact_type, model = host_model((("n", "int"),))
        policy = policy_over(fact_type, [
            {"kind": "compare", "path": "n", "op": "==", "value": i} for i in range(600)])
        compiled = compile_ruleset(compile_program([policy]))
        assert 0 < len(compiled.ruleset) <= 512
        facts = [model.model_validate({"n": v}) for v in (0, 599, 600)]
        durable = results(policy, facts, "durable")
        assert durable == results(policy, facts, "python")
        assert [len(r.effects) for r in durable] == [1, 1, 0]
