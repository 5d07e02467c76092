"""The condition kinds, one module per family, all sharing :mod:`~csrules._policy.kinds.base`.

Importing this package registers every built-in kind (core, time, span, window) in the table of
kinds; :data:`Condition` is the type of a field holding any registered condition.
"""

from __future__ import annotations

from csrules._policy.kinds import core, span, time, window
from csrules._policy.kinds.base import Condition, ConditionBase, register_kind, seal_builtin_kinds

seal_builtin_kinds()  # from here on a host's kind cannot take a built-in kind's name

__all__ = ["Condition", "ConditionBase", "core", "register_kind", "span", "time", "window"]
