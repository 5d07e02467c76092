"""The languages csrules writes its texts and documents in."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal

__all__ = ["Lang", "converter", "simplified"]

Lang = Literal["en", "zh"]
"""A language of the bilingual texts and documents."""


@cache
def converter(config: Literal["t2s", "s2t"]) -> Callable[[str], str]:
    """OpenCC's converter ``config`` (``t2s``: to Simplified; ``s2t``: to Traditional), made once."""
    import opencc  # loaded the first time Chinese text is read, never by ``import csrules``

    convert: Callable[[str], str] = opencc.OpenCC(config).convert
    return convert


def simplified(text: str) -> str:
    """``text`` with Traditional Chinese characters in Simplified (``每週一`` -> ``每周一``), so
    words a reader writes in either script read the same."""
    return text if text.isascii() else converter("t2s")(text)
