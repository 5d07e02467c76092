"""A plain recursive interpreter of the condition AST, written independently of the engine.

Property tests hold the compiled evaluator to this: same policy, same fact, same answer.
"""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Any

import opencc

from csrules import All, Any_, Compare, Contains, Elapsed, In, IsMissing, IsSet, Not, NotIn, Policy
from csrules._time.durations import WallDuration, parse_duration

_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_T2S = opencc.OpenCC("t2s")


def get(fact: Any, path: str) -> Any:
    for part in path.split("."):
        if fact is None:
            return None
        fact = getattr(fact, part)
    return fact


def _plain(value: Any) -> Any:
    return value.delta if isinstance(value, WallDuration) else value


def _fold(text: str, fold: str) -> str:
    if fold == "none":
        return text
    if fold == "zh":
        text = _T2S.convert(text)
    return text.casefold()


def holds(cond: Any, fact: Any, params: dict[str, Any], now: datetime | None) -> bool:
    if isinstance(cond, All):
        return all(holds(c, fact, params, now) for c in cond.of)
    if isinstance(cond, Any_):
        return any(holds(c, fact, params, now) for c in cond.of)
    if isinstance(cond, Not):
        return not holds(cond.condition, fact, params, now)
    if isinstance(cond, Compare):
        left = get(fact, cond.path)
        if cond.field is not None:
            right = get(fact, cond.field)
        elif cond.param is not None:
            right = _plain(params[cond.param])
        else:
            right = cond.value
            if isinstance(left, datetime) and isinstance(right, str):
                right = datetime.fromisoformat(right)
        return left is not None and right is not None and _OPS[cond.op](left, right)
    if isinstance(cond, In | NotIn):
        value = get(fact, cond.path)
        values = set(params[cond.param] if cond.param is not None else cond.value)
        if value is None:
            return False
        return (value in values) if isinstance(cond, In) else (value not in values)
    if isinstance(cond, Contains):
        value = get(fact, cond.path)
        if value is None:
            return False
        phrases = cond.phrases if cond.param is None else params[cond.param]
        texts = [value] if isinstance(value, str) else list(value)
        return any(_fold(p, cond.fold) in _fold(t, cond.fold) for p in phrases for t in texts)
    if isinstance(cond, IsSet):
        return get(fact, cond.path) is not None
    if isinstance(cond, IsMissing):
        return get(fact, cond.path) is None
    if isinstance(cond, Elapsed):
        start = get(fact, cond.since)
        end = now if cond.until is None else get(fact, cond.until)
        limit = parse_duration(cond.duration if cond.param is None else params[cond.param])
        if start is None or end is None:
            return False
        return _OPS[cond.op](end - start, _plain(limit))
    raise TypeError(f"the reference interpreter does not know {cond.kind}")


def matching_rules(policy: Policy, fact: Any, now: datetime | None) -> list[str]:
    params = policy.param_values
    hits = [r for r in policy.rules if holds(r.when, fact, params, now)]
    if policy.hit_policy == "first":
        hits = hits[:1]
    elif policy.hit_policy == "priority" and hits:
        top = max(r.priority for r in hits)
        hits = [r for r in hits if r.priority == top]
    return [r.id for r in hits]
