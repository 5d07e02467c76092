"""Generated code is compiled once per process for each source and set of inlined constants:
an engine built again from the same policies runs the code compiled for the first."""

from __future__ import annotations

import ast
import math
from typing import Any

import pytest

from csrules import Engine
from csrules._engine import compile as compiling
from csrules.policies import load_pack

_SOURCE = "def _fn():\n    return _k0\n"


def _value_of(code: Any) -> Any:
    namespace: dict[str, Any] = {"__builtins__": __builtins__}
    exec(code, namespace)
    return namespace["_fn"]()


class TestSameCodeForTheSameSource:
    """The compiled code is kept by source, file name and every inlined constant's type and value."""

    def test_an_engine_built_again_parses_nothing(self, monkeypatch):
        """A second engine of one pack's policies compiles no source: it runs the code kept."""
        policies = load_pack("mall").policies
        first = Engine(policies)
        parsed: list[str] = []
        parse = ast.parse

        def recording(source: str, *args: Any, **kwargs: Any) -> ast.AST:
            parsed.append(source)
            return parse(source, *args, **kwargs)

        monkeypatch.setattr(compiling.ast, "parse", recording)
        second = Engine(policies)
        assert parsed == []
        for fact_type in first.fact_types:
            assert second.source(fact_type) == first.source(fact_type)

    @pytest.mark.parametrize(
        ("one", "other"), [(1, True), (1, 1.0), (0.0, -0.0), ("1", 1), (frozenset({1}), frozenset({True}))]
    )
    def test_equal_constants_of_another_type_or_sign_are_other_code(self, one, other):
        """Constants equal in Python but not the same (1, 1.0 and True; 0.0 and -0.0) each get their own code."""
        assert one == other or str(one) == str(other)
        first = compiling._code(_SOURCE, "<test>", {"_k0": one})
        second = compiling._code(_SOURCE, "<test>", {"_k0": other})
        assert first is not second
        for code, value in ((first, one), (second, other)):
            got = _value_of(code)
            assert type(got) is type(value)
            if isinstance(value, float):
                assert math.copysign(1, got) == math.copysign(1, value)
            elif isinstance(value, frozenset):
                assert {type(item) for item in got} == {type(item) for item in value}
        assert compiling._code(_SOURCE, "<test>", {"_k0": one}) is first

    def test_the_file_name_is_part_of_the_code(self):
        """Two plans of one source under other labels report their own names in tracebacks."""
        code = compiling._code(_SOURCE, "<csrules a>", {"_k0": 1})
        assert compiling._code(_SOURCE, "<csrules b>", {"_k0": 1}).co_filename == "<csrules b>"
        assert code.co_filename == "<csrules a>"

    def test_at_most_a_few_kept(self):
        """The kept code is bounded: past the bound, the least recently used is compiled again."""
        first = compiling._code(_SOURCE, "<bound>", {"_k0": -1})
        for value in range(compiling.CODE_KEPT):
            compiling._code(_SOURCE, "<bound>", {"_k0": value})
        assert compiling._code(_SOURCE, "<bound>", {"_k0": -1}) is not first
