"""The languages csrules writes its texts and documents in."""

from __future__ import annotations

from typing import Literal

__all__ = ["Lang"]

Lang = Literal["en", "zh"]
"""A language of the bilingual texts and documents."""
