"""Turn pydantic's validation errors into csrules' own, at the boundary."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from csrules.exceptions import PolicyError, _readable

__all__ = ["policy_error_from_validation", "readable_loc"]


def readable_loc(loc: tuple[str | int, ...]) -> str:
    """``('rules', 0, 'when', 'compare', 'path')`` -> ``rules[0].when.compare.path``."""
    return _readable(loc)


def policy_error_from_validation(
    exc: ValidationError, *, data: Any = None, scope: str = "Policy"
) -> PolicyError:
    """One :class:`PolicyError` for a failed validation, listing every problem.

    ``data`` is the raw input: the policy id and the rule id are read from it so the
    message names them. A :class:`PolicyError` raised by our own checks inside a validator
    arrives wrapped as a ``value_error``; it is unwrapped so its context survives.
    """
    errors = exc.errors()
    own_id = _get(data, ("id",))
    own_id = own_id if isinstance(own_id, str) else None
    policy_id = own_id if scope == "Policy" else None
    for error in errors:
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, PolicyError):
            loc = (*error["loc"], *inner.loc)
            rule_id = own_id if scope == "Rule" else rule_id_at(data, loc)
            return PolicyError(
                inner.message,
                policy_id=inner.policy_id or policy_id,
                rule_id=inner.rule_id or rule_id,
                path=inner.path,
                file=inner.file,
                line=inner.line,
                loc=loc,
                problems=inner.problems,
            )
    problems = [
        f"{readable_loc(tuple(error['loc'])) or '(top)'}: {_message(error)}" for error in errors
    ]
    loc = tuple(errors[0]["loc"])
    return PolicyError(
        _message(errors[0]) if len(errors) == 1 else "; ".join(problems),
        policy_id=policy_id,
        rule_id=own_id if scope == "Rule" else rule_id_at(data, loc),
        loc=loc,
        problems=problems,
    )


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "extra_forbidden":
        return f"unknown field (got {error['input']!r})"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def rule_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    """The id of the rule that ``loc`` points into, read from the raw policy ``data``."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rule_id = _get(data, ("rules", loc[1], "id"))
        return rule_id if isinstance(rule_id, str) else None
    return None


def _get(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif (
            isinstance(data, list | tuple)
            and isinstance(part, int)
            and -len(data) <= part < len(data)
        ):
            data = data[part]
        elif hasattr(type(data), "model_fields") and isinstance(part, str):
            data = getattr(data, part, None)
        else:
            return None
    return data
