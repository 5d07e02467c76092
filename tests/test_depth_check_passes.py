"""Raw policy data is checked by a quick pass, and located by the full walk only when the quick
pass finds something: the errors (message and ``loc``) are those of the full walk alone."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from csrules._policy.model import MAX_DATA_DEPTH, MAX_INT, _locate_problem, check_depth
from csrules.exceptions import PolicyError


class _Box(BaseModel):
    """A model in the data, as a policy built of Rule and condition objects holds them."""

    value: Any
    other: Any = None


_KEYS = st.sampled_from(["rules", "examples", "steps", "fact", "when", "id", "ok"])
_CLEAN = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-MAX_INT, max_value=MAX_INT),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(["plain", "tab\tand\nnewline", "全角"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(_KEYS, inner, max_size=4),
        st.builds(_Box, value=inner, other=inner),
    ),
    max_leaves=30,
)
_BAD = st.sampled_from(
    [math.nan, math.inf, -math.inf, MAX_INT + 1, -MAX_INT - 1, "bell\x07", "\x85next line", "\ud800",
     {0: "int key"}, {None: "null key"}, {"a\x07b": "control key"},
     _Box(value=math.nan), _Box(value=[1, "bell\x07"]), _Box(value=1, other={2: "int key"})]
)


def _containers(node: Any) -> list[list[Any] | dict[Any, Any]]:
    """Every list and dict inside ``node`` (itself included), outermost first."""
    if isinstance(node, _Box):
        return [*_containers(node.value), *_containers(node.other)]
    if isinstance(node, dict):
        return [node, *(found for value in node.values() for found in _containers(value))]
    if isinstance(node, list | tuple):
        inner = [found for value in node for found in _containers(value)]
        return [node, *inner] if isinstance(node, list) else inner
    return []


def _outcome(check: Any, data: Any) -> tuple[str, tuple[Any, ...]] | None:
    """The message and location ``check`` refuses ``data`` with; None when it accepts it."""
    try:
        check(data)
    except PolicyError as exc:
        return str(exc), tuple(exc.loc or ())
    return None


class TestSameErrorsAsTheLocatingWalk:
    """Whatever the data, check_depth refuses it exactly as the locating walk alone does."""

    @given(_CLEAN)
    def test_clean_data_passes(self, data: Any) -> None:
        """Data holding nothing refused passes both ways."""
        assert _outcome(check_depth, {"rules": data}) is None
        assert _outcome(_locate_problem, {"rules": data}) is None

    @given(_CLEAN, _BAD, st.data())
    def test_one_bad_value_anywhere(self, data: Any, bad: Any, draw: st.DataObject) -> None:
        """One value a policy may not hold (a control character, a non-finite or huge number,
        a key that is no text) put anywhere, a worked-example fact too (where it is the fact
        model's to judge): check_depth gives what the locating walk alone gives."""
        data = {"rules": [data]}
        places = _containers(data)
        place = places[draw.draw(st.integers(0, len(places) - 1))]
        if isinstance(place, dict):
            place[draw.draw(_KEYS)] = bad
        else:
            place.append(bad)
        assert _outcome(check_depth, data) == _outcome(_locate_problem, data)

    @pytest.mark.parametrize("value", [math.nan, math.inf, "bell\x07", 10**30, {1: "key"}])
    def test_a_fact_may_hold_what_a_policy_may_not(self, value: Any) -> None:
        """A worked example's fact is left to its fact model, though the quick pass flags it;
        the same value in a rule is refused where it stands."""
        fact = {"rules": [{"examples": [{"fact": {"x": value}}]}]}
        check_depth(fact)
        with pytest.raises(PolicyError) as refused:
            check_depth({"rules": [{"when": {"x": value}}]})
        assert refused.value.loc == ("rules", 0, "when", "x")

    def test_too_deep_inside_a_fact_is_refused_with_the_first_levels(self) -> None:
        """Nesting past the limit is refused anywhere, a fact too, located by its first eight levels."""
        deep: Any = "leaf"
        for _ in range(MAX_DATA_DEPTH):
            deep = [deep]
        data = {"rules": [{"examples": [{"fact": {"x": deep}}]}]}
        with pytest.raises(PolicyError, match=f"nested more than {MAX_DATA_DEPTH} levels") as refused:
            check_depth(data)
        assert refused.value.loc == ("rules", 0, "examples", 0, "fact", "x", 0, 0)
        assert _outcome(check_depth, data) == _outcome(_locate_problem, data)

    def test_at_the_limit_passes(self) -> None:
        """Nesting exactly at the limit passes both ways."""
        deep: Any = 1
        for _ in range(MAX_DATA_DEPTH):
            deep = [deep]
        check_depth(deep)
        _locate_problem(deep)
