"""The one converter of pydantic's validation errors into csrules' terms.

Every model csrules validates (policies, calendars, shift patterns, duties, role catalogues,
facts, stored session items) reports pydantic's problems through :func:`problems_of`, so a
location and a message read the same wherever they come from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import BaseModel, ValidationError

from csrules.exceptions import CsrulesError, PolicyError, _readable

__all__ = [
    "BLANK_ID",
    "NOT_BLANK",
    "ConvertedModel",
    "Problem",
    "ProblemKind",
    "ValidationProblems",
    "already_converted",
    "problems_of",
    "problems_text",
    "readable_loc",
    "shown",
    "validation_error",
]

E = TypeVar("E", bound=Exception)


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


def problems_of(exc: ValidationError, *, inputs: bool = False) -> list[Problem]:
    """Every problem of ``exc``, nested models' problems included, each at its full location.

    A :class:`PolicyError` raised by our own checks inside a validator (or by a nested
    model) arrives wrapped as a ``value_error``; it is unwrapped so its location survives.
    With ``inputs`` a value pydantic refused is quoted after the message.
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
            problems.append(Problem(loc, _message(error, inputs), kind))
    return problems


def problems_text(problems: Iterable[Problem]) -> str:
    """The problems in one line, ``loc: message; ...`` (a problem of the whole object
    without a location)."""
    return "; ".join(p.render() if p.loc else p.message for p in problems)


_KINDS: dict[str, ProblemKind] = {"extra_forbidden": "unknown", "missing": "missing"}


NOT_BLANK = r"\S"
"""The pattern of a required id (``Field(pattern=NOT_BLANK)``): some text that is not space."""

class NotBlankText:
    """Marks a text type whose validator refuses blank text (``Annotated[str, ..., NOT_BLANK_TEXT]``):
    pydantic ignores it; the shipped strategies draw text holding a letter or digit for it."""

    def __repr__(self) -> str:
        return "NOT_BLANK_TEXT"


NOT_BLANK_TEXT = NotBlankText()
"""The one marker of text types that refuse blank text."""

BLANK_ID = "blank text is no id; give the id"
"""Why an id of only spaces is refused (a fixed text: columnar audits say the same)."""

SHOWN_CHARS = 80
"""The most characters of a refused value an error quotes."""


def shown(value: Any) -> str:
    """``repr(value)`` cut to :data:`SHOWN_CHARS`: an error quotes a value, never a whole
    document or a megabyte of text."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[: SHOWN_CHARS - 1]}… ({len(text):,} characters)"


def _message(error: Any, inputs: bool) -> str:
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "extra_forbidden":
        return f"unknown field (got {shown(error['input'])})"
    if error["type"] == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == NOT_BLANK:
        return f"{BLANK_ID} (got {shown(error.get('input'))})" if inputs else BLANK_ID
    if error["type"] == "finite_number":  # pydantic says "Input should be a finite number"
        return f"not a finite number (got {shown(error.get('input'))})"
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):  # an effect's ``type`` ...
        ctx = error.get("ctx") or {}
        tag, expected = str(ctx.get("discriminator", "")).strip("'\""), ctx.get("expected_tags")
        if error["type"] == "union_tag_not_found":
            return f"no {tag} given" + (f" (one of {expected})" if expected else "")
        return f"unknown {tag} {ctx.get('tag')!r} (one of {expected})"
    message = str(error["msg"]).removeprefix("Value error, ")
    if inputs and error["type"] != "value_error":
        message += f" (got {shown(error.get('input'))})"
    return message


def validation_error(exc: ValidationError, error: Callable[[str], E], what: str) -> E:
    """``error("<what>: loc: message; ...")``: a failed validation outside a policy (a
    calendar, a duty, a role catalogue, a stored fact) as the csrules error of its area,
    every problem listed with its location and the value refused."""
    return error(f"{what}: {problems_text(problems_of(exc, inputs=True))}")


def already_converted(exc: ValidationError) -> CsrulesError | None:
    """The csrules error ``exc`` wraps when a model's own ``__init__`` (which pydantic runs
    inside ``model_validate`` too) converted it already; None otherwise."""
    errors = exc.errors()
    inner = (errors[0].get("ctx") or {}).get("error") if len(errors) == 1 else None
    return inner if isinstance(inner, CsrulesError) else None


class ConvertedModel(BaseModel):
    """A model whose every way of being built raises a csrules error, never pydantic's.

    ``Model(...)``, ``model_validate``, ``model_validate_json`` and ``model_validate_strings``
    all go through :meth:`_convert`, which by default is :func:`validation_error` with
    ``_error`` and ``_what``; a subclass may override it (policies add their ids).
    """

    #: The csrules error of the model's area and how the object is named in its message.
    _error: ClassVar[Callable[[str], Exception]] = PolicyError
    _what: ClassVar[str] = "invalid object"

    @classmethod
    def _convert(cls, exc: ValidationError, data: Any) -> Exception:
        """The csrules error for ``exc`` raised while validating ``data``."""
        del data
        return already_converted(exc) or validation_error(exc, cls._error, cls._what)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise type(self)._convert(exc, data) from None

    # pydantic calls an overridden ``__init__`` to build the model inside ``model_validate`` and
    # as a nested field, and that call validates the data again: every validator ran twice (a
    # policy's whole check among them), and without the caller's context. This ``__init__`` only
    # converts errors, which the model_validate* wrappers and the outermost model do anyway.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj``; a problem raises the model's csrules error."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise cls._convert(exc, obj) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate JSON text; a problem raises the model's csrules error."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise cls._convert(exc, None) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate string data (text for every value, lists of them included) as
        ``model_validate`` reads text; a problem raises the model's csrules error.

        pydantic's own strings mode takes no lists, so a list field (a catalogue's roles)
        could not be given at all; its lax Python mode reads text the same way otherwise."""
        if kwargs.get("strict"):
            try:
                return super().model_validate_strings(obj, *args, **kwargs)
            except ValidationError as exc:
                raise cls._convert(exc, obj) from None
        return cls.model_validate(obj, *args, **kwargs)
