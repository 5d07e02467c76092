"""Window conditions read the session's window values from the evaluation environment."""

from __future__ import annotations

from pydantic import BaseModel

from csrules._policy.kinds.base import DescribeContext, Env
from csrules._policy.kinds.window import Count


class _Event(BaseModel):
    """A fact with one flag."""

    swapped: bool = False


def _count() -> Count:
    return Count.model_validate({
        "kind": "count", "op": ">", "value": 2,
        "match": {"kind": "compare", "path": "swapped", "op": "==", "value": True},
    })


def _env(windows: dict[int, int] | None) -> Env:
    return Env(_Event(), None, {}, _Event, DescribeContext(_Event), windows)


class TestWindowValuesInEnv:
    """The explaining interpreter takes window values from ``Env.windows``."""

    def test_value_comes_from_env(self) -> None:
        """A count reads its value by node identity from the environment it is evaluated in."""
        cond = _count()
        node = _env({id(cond): 3}).evaluate(cond)
        assert node.result is True
        assert node.values == {"count": 3, "limit": 2}

    def test_two_envs_do_not_share_values(self) -> None:
        """Each environment answers with its own values, so nested or concurrent traces agree."""
        cond = _count()
        low, high = _env({id(cond): 1}), _env({id(cond): 5})
        assert (low.evaluate(cond).result, high.evaluate(cond).result) == (False, True)

    def test_without_windows_needs_a_session(self) -> None:
        """Outside a session the count is reported as needing one, as data in the trace."""
        node = _env(None).evaluate(_count())
        assert node.result is None
        assert node.error is not None
        assert "needs a session" in node.error
