"""The languages csrules writes its texts and documents in."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal

__all__ = ["Lang", "simplified"]

Lang = Literal["en", "zh"]
"""A language of the bilingual texts and documents."""


@cache
def _t2s() -> Callable[[str], str]:
    import opencc  # loaded the first time Chinese text is read, never by ``import csrules``

    convert: Callable[[str], str] = opencc.OpenCC("t2s").convert
    return convert


def simplified(text: str) -> str:
    """``text`` with Traditional Chinese characters in Simplified (``每週一`` -> ``每周一``), so
    words a reader writes in either script read the same."""
    return text if text.isascii() else _t2s()(text)
