"""Misuse of the extension point and of pack overrides is refused with an error naming what
is wrong, before it can change what a built-in policy means."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from csrules.conditions import ConditionBase, register_kind
from csrules.exceptions import PolicyError
from csrules.policies import load_pack


class _Handler:
    """A handler offering every required method (never called by these tests)."""

    def check(self, *args: Any) -> None:
        """Unused."""

    def source(self, *args: Any) -> str:
        """Unused."""
        return "True"

    def evaluate(self, *args: Any) -> None:
        """Unused."""

    def describe(self, *args: Any) -> str:
        """Unused."""
        return ""

    def reads_now(self, *args: Any) -> bool:
        """Unused."""
        return False


class TestRegisterKind:
    """register_kind refuses what would break the table of kinds."""

    def test_a_built_in_kind_name_is_refused(self) -> None:
        """A host kind named like a built-in one (elapsed) cannot replace it."""

        class Imposter(ConditionBase):
            kind: Literal["elapsed"] = "elapsed"

        with pytest.raises(TypeError, match="'elapsed' is a built-in condition kind"):
            register_kind(Imposter, _Handler())
        load_pack("call_centre")  # the built-in policies still load with the built-in kind

    def test_the_handler_is_an_instance(self) -> None:
        """Passing the handler class instead of an instance is refused, naming the class."""

        class Odd(ConditionBase):
            kind: Literal["misuse_odd"] = "misuse_odd"

        with pytest.raises(TypeError, match="must be an instance, not the class _Handler"):
            register_kind(Odd, _Handler)  # type: ignore[arg-type]

    def test_the_kind_is_a_literal_tag(self) -> None:
        """A kind declared as plain text (not a Literal tag) is refused."""

        class Loose(ConditionBase):
            kind: str = "misuse_loose"  # type: ignore[assignment]

        with pytest.raises(TypeError, match='kind: Literal\\["<tag>"\\]'):
            register_kind(Loose, _Handler())


class TestOverrideShapes:
    """Badly shaped overrides are PolicyErrors naming the key, never a TypeError from inside."""

    @pytest.mark.parametrize(
        ("overrides", "words"),
        [
            ({"CMP-4.reply": "5d"}, "override 'CMP-4.reply'"),
            ({"callback": None}, "override 'callback'"),
            ([("callback", 1)], "overrides are a mapping"),
        ],
    )
    def test_bad_shapes(self, overrides: Any, words: str) -> None:
        """Each bad shape names the key (or the whole value) that is wrong."""
        with pytest.raises(PolicyError, match=words):
            load_pack("call_centre", overrides=overrides)
