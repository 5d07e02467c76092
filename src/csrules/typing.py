"""Public type aliases, for annotating code that uses csrules.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel

from csrules._calendar import Weekday
from csrules._conditions import CompareOp, TextFold
from csrules._durations import Duration
from csrules._model import HitPolicy, ParameterType, Severity

__all__ = [
    "CompareOp",
    "Duration",
    "FactLike",
    "HitPolicy",
    "Lang",
    "ParameterType",
    "Severity",
    "TextFold",
    "Weekday",
]

FactLike: TypeAlias = BaseModel | Mapping[str, Any]
"""What the engine accepts as a fact: a model instance, or a mapping it validates."""

Lang: TypeAlias = Literal["en", "zh"]
"""A language of the bilingual texts and documents."""
