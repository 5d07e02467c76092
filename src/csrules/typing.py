"""Public type aliases, for annotating code that uses csrules.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from pydantic import BaseModel

from csrules._lang import Lang
from csrules._policy.kinds.base import CompareOp
from csrules._policy.kinds.core import TextFold
from csrules._policy.model import HitPolicy, ParameterType, Severity
from csrules._time.calendar import Weekday
from csrules._time.durations import Duration

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

