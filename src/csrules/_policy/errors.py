"""Turn pydantic's validation errors into policy errors, at the boundary.

A pydantic ``ValidationError`` becomes a csrules error through :mod:`csrules._errors`. Every policy
model (and every condition kind) derives from :class:`CheckedModel`, so building one, or
validating data with ``model_validate`` / ``model_validate_json``, raises a located
:class:`~csrules.exceptions.PolicyError` and never a pydantic error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from csrules._errors import ConvertedModel, ValidationProblems, problems_of
from csrules.exceptions import PolicyError

__all__ = [
    "CheckedModel",
    "exactly_one",
    "policy_error_from_validation",
    "rule_id_at",
]


def policy_error_from_validation(
    exc: ValidationError, *, data: Any = None, scope: str = "Policy"
) -> ValidationProblems:
    """One :class:`PolicyError` for a failed validation, listing every problem.

    ``data`` is the raw input: the policy id and the rule id are read from it so the
    message names them (``scope`` says whether it is a policy, a rule or something else).
    """
    problems = problems_of(exc)
    first = problems[0]
    own_id = _get(data, ("id",))
    own_id = own_id if isinstance(own_id, str) else None
    inner = next(
        (e for e in ((x.get("ctx") or {}).get("error") for x in exc.errors())
         if isinstance(e, PolicyError)),
        None,
    )
    return ValidationProblems(
        first.message if len(problems) == 1 else "; ".join(p.render() for p in problems),
        details=tuple(problems),
        policy_id=(inner.policy_id if inner else None) or (own_id if scope == "Policy" else None),
        rule_id=(inner.rule_id if inner else None)
        or (own_id if scope == "Rule" else rule_id_at(data, first.loc)),
        path=first.path,
        file=inner.file if inner else None,
        line=inner.line if inner else None,
        loc=first.loc,
        problems=[p.render() for p in problems],
    )


class CheckedModel(ConvertedModel):
    """A policy model whose every way of being built raises :class:`PolicyError`, located
    with :func:`policy_error_from_validation`.

    pydantic runs ``__init__`` for nested models too, so each level adds only the id it owns:
    a policy its id, a rule its id; the outer level adds the location.
    """

    @classmethod
    def _convert(cls, exc: ValidationError, data: Any) -> Exception:
        """The located :class:`PolicyError` naming the policy or rule being built."""
        return policy_error_from_validation(exc, data=data, scope=cls.__name__)


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


def exactly_one(model: BaseModel, what: str, names: tuple[str, ...], *, spelled: str | None = None) -> None:
    """ValueError unless exactly one of the fields ``names`` of ``model`` is given (not None):
    ``<what> needs exactly one of 'a' or 'b' (got ...)``; ``spelled`` words the choices
    instead of their quoted names."""
    given = [name for name in names if getattr(model, name) is not None]
    if len(given) != 1:
        quoted = [repr(name) for name in names]
        choices = spelled or f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        raise ValueError(f"{what} needs exactly one of {choices} (got {', '.join(given) or 'none'})")
