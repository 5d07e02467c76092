"""Turn pydantic's validation errors into csrules' own, at the boundary.

This is the one place a pydantic ``ValidationError`` becomes a csrules error. Every policy
model (and every condition kind) derives from :class:`CheckedModel`, so building one, or
validating data with ``model_validate`` / ``model_validate_json``, raises a located
:class:`~csrules.exceptions.PolicyError` and never a pydantic error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import BaseModel, ValidationError

from csrules.exceptions import PolicyError, _readable

__all__ = [
    "CheckedModel",
    "Problem",
    "ProblemKind",
    "ValidationProblems",
    "policy_error_from_validation",
    "problems_of",
    "readable_loc",
    "rule_id_at",
]


def readable_loc(loc: tuple[str | int, ...]) -> str:
    """``('rules', 0, 'when', 'compare', 'path')`` -> ``rules[0].when.compare.path``."""
    return _readable(loc)


ProblemKind = Literal["unknown", "missing", "invalid", "check"]
"""What kind of validation problem a :class:`Problem` is."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem at ``loc``.

    ``kind`` says what went wrong: a key the model does not have (``unknown``), a required
    key that is absent (``missing``), a value pydantic refused (``invalid``), or one of
    csrules' own checks (``check``, whose message names the problem fully).
    """

    loc: tuple[str | int, ...]
    message: str
    kind: ProblemKind = "invalid"
    path: str | None = None

    def render(self) -> str:
        """``loc: message``."""
        return f"{readable_loc(self.loc) or '(top)'}: {self.message}"


class ValidationProblems(PolicyError):
    """A :class:`PolicyError` from failed validation that keeps each problem, located."""

    def __init__(self, message: str, *, details: tuple[Problem, ...], **context: Any) -> None:
        self.details = details
        super().__init__(message, **context)


def problems_of(exc: ValidationError) -> list[Problem]:
    """Every problem of ``exc``, nested models' problems included, each at its full location.

    A :class:`PolicyError` raised by our own checks inside a validator (or by a nested
    model) arrives wrapped as a ``value_error``; it is unwrapped so its location survives.
    """
    problems: list[Problem] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, ValidationProblems):
            problems.extend(
                Problem((*loc, *p.loc), p.message, p.kind, p.path) for p in inner.details
            )
        elif isinstance(inner, PolicyError):
            problems.append(Problem((*loc, *inner.loc), inner.message, "check", inner.path))
        else:
            kind = _KINDS.get(error["type"], "invalid")
            problems.append(Problem(loc, _message(error), kind))
    return problems


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


_KINDS: dict[str, ProblemKind] = {"extra_forbidden": "unknown", "missing": "missing"}


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "extra_forbidden":
        return f"unknown field (got {error['input']!r})"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


class CheckedModel(BaseModel):
    """A pydantic model whose every way of being built raises :class:`PolicyError`.

    ``Model(...)``, ``Model.model_validate(...)`` and ``Model.model_validate_json(...)``
    convert pydantic's error with :func:`policy_error_from_validation`.
    """

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            # pydantic runs this __init__ for nested models too, so each level adds only the
            # id it owns: a policy its id, a rule its id; the outer level adds the location.
            raise policy_error_from_validation(exc, data=data, scope=type(self).__name__) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj``; a problem raises a located :class:`PolicyError`."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise policy_error_from_validation(exc, data=obj, scope=cls.__name__) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate JSON text; a problem raises a located :class:`PolicyError`."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise policy_error_from_validation(exc, scope=cls.__name__) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate string data; a problem raises a located :class:`PolicyError`."""
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as exc:
            raise policy_error_from_validation(exc, data=obj, scope=cls.__name__) from None


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
