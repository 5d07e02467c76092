"""Kinds that take one of several operands refuse none or several with one message shape."""

from __future__ import annotations

from typing import Any

import pytest

from csrules._policy.kinds.core import Contains, Elapsed
from csrules._policy.kinds.time import Notice
from csrules._policy.kinds.window import Count, Nth, StillOpen
from csrules.exceptions import PolicyError

MATCH = {"kind": "is_set", "path": "x"}


class TestExactlyOne:
    """Each refusal names the choices and what was given."""

    @pytest.mark.parametrize(("model", "data", "message"), [
        (Count, {"op": ">", "match": MATCH, "value": 1, "param": "p"},
         "count needs exactly one of 'value' or 'param' (got value, param)"),
        (Nth, {"match": MATCH, "n": None}, "nth needs exactly one of 'n' or 'param' (got none)"),
        (StillOpen, {"closed": MATCH, "since": "t"},
         "still_open needs exactly one of 'after' or 'param' (got none)"),
        (Contains, {"path": "x"}, "contains needs exactly one of 'phrases' or 'param' (got none)"),
        (Elapsed, {"since": "t", "op": "<"}, "elapsed needs exactly one of 'duration' or 'param' (got none)"),
        (Notice, {"since": "t", "op": "<", "duration": "1d", "param": "p"},
         "notice needs exactly one of 'duration' or 'param' (got duration, param)"),
    ])
    def test_refusal_names_what_was_given(self, model: Any, data: dict[str, Any], message: str) -> None:
        """The message lists the choices and the fields given, for two-way choices as for three."""
        with pytest.raises(PolicyError) as caught:
            model.model_validate(data)
        assert message in str(caught.value)
