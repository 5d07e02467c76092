"""The registry of fact types, and the static view of their fields that policies check against.

A policy names the fact type it judges (``fact_type: leave_request``). The name resolves here
to a pydantic model; :func:`field_info` walks a dotted path through that model and tells the
checker and the compiler what kind of value lives there and whether it may be missing.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any, Literal, TypeVar, get_args, get_origin, overload

import pydantic
from pydantic import BaseModel, ValidationError

from csrules._errors import problems_of
from csrules.exceptions import FactError, PolicyError

__all__ = [
    "FieldInfo",
    "ValueKind",
    "event_time_field",
    "field_info",
    "get_fact_type",
    "path_getter",
    "read_path",
    "register_fact_type",
    "registered_fact_types",
    "scalar_type",
    "unknown_fields",
    "validate_fact",
]

ValueKind = Literal[
    "bool", "number", "text", "datetime", "date", "time", "duration", "model", "other"
]

_REGISTRY: dict[str, type[BaseModel]] = {}
_NAMES: dict[type[BaseModel], str] = {}
_EVENT_TIMES: dict[type[BaseModel], str] = {}

_BUILTIN: dict[str, str] = {
    "agent": "csrules.domain.facts:Agent",
    "attendance_record": "csrules.domain.facts:AttendanceRecord",
    "call_record": "csrules.domain.facts:CallRecord",
    "callback_task": "csrules.domain.facts:CallbackTask",
    "clock_event": "csrules.domain.facts:ClockEvent",
    "complaint_step": "csrules.domain.complaint:ComplaintStep",
    "duty_record": "csrules.domain.facts:DutyRecord",
    "handover": "csrules.domain.facts:HandoverRecord",
    "leave_request": "csrules.domain.facts:LeaveRequest",
    "order": "csrules.domain.facts:Order",
    "qa_review": "csrules.domain.facts:QAReview",
    "report": "csrules.domain.facts:ReportRequest",
    "shift_assignment": "csrules.domain.facts:ShiftAssignment",
    "shift_swap": "csrules.domain.facts:ShiftSwapRequest",
    "sla_clock": "csrules.domain.slas:SlaClockFact",
    "training_record": "csrules.domain.facts:TrainingRecord",
    "work_order": "csrules.domain.facts:WorkOrder",
}
"""The built-in fact types by name, as ``module:class``. ``import csrules`` imports no fact
model (pydantic builds them slowly); a name is imported, and so registered, on first look-up."""

ModelT = TypeVar("ModelT", bound=type[BaseModel])


@overload
def register_fact_type(model: ModelT, *, name: str | None = None, event_time: str | None = None) -> ModelT:
    """Called with the model: registers it and returns it."""


@overload
def register_fact_type(
    model: None = None, *, name: str | None = None, event_time: str | None = None
) -> Callable[[ModelT], ModelT]:
    """Called without a model: returns the decorator that registers one."""


def register_fact_type(
    model: ModelT | None = None, *, name: str | None = None, event_time: str | None = None
) -> ModelT | Callable[[ModelT], ModelT]:
    """Register a pydantic model as a fact type policies can name; returns the model.

    Use as a decorator (``@register_fact_type`` or ``@register_fact_type(name="ticket")``)
    or call directly. The name defaults to the model's ``__fact_type__`` attribute, else its
    class name in snake_case. Registering a different model under a taken name, or
    something that is not a pydantic model class, raises :class:`PolicyError`;
    registering the same model again is a no-op.

    Numbers in a fact are finite: a model that does not say otherwise in its config
    (``allow_inf_nan``) is set to refuse ``inf`` and ``nan`` (and text such as ``"1e400"``
    that reads as infinite) when it is registered, and so are the models nested in it; a
    field that sets ``allow_inf_nan=True`` itself keeps its own choice.

    ``event_time`` names the fact's own time (a required, time-zone-aware datetime field such
    as ``requested_at``): when a pack holds dated versions of a policy, the version in force
    at that instant judges the fact (see ``valid_from`` / ``valid_until`` on policies).

    .. versionadded:: 0.1
    """

    def register(cls: ModelT) -> ModelT:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            raise PolicyError(f"a fact type must be a pydantic model class (got {cls!r:.80})")
        key = name or getattr(cls, "__fact_type__", None) or _snake(cls.__name__)
        if not isinstance(key, str) or not key or any(char.isspace() or not char.isprintable() for char in key):
            # policies name it in a file (fact_type: ticket): a space in it would never be matched
            raise PolicyError(f"a fact type name is non-empty text without spaces (got {key!r:.80})")
        if event_time is not None and not isinstance(event_time, str):
            raise PolicyError(f"event_time names a datetime field of {cls.__name__} (got {event_time!r:.80})")
        if _BUILTIN.get(key) != f"{cls.__module__}:{cls.__qualname__}":
            _load_builtin(key)  # a host model taking a built-in name meets the built-in one
        existing = _REGISTRY.get(key)
        if existing is not None and existing is not cls:
            raise PolicyError(
                f"fact type {key!r} is already registered to {existing.__module__}."
                f"{existing.__qualname__}"
            )
        if existing is None:
            _refuse_non_finite(cls)
        if event_time is not None:
            _EVENT_TIMES[cls] = _checked_event_time(cls, event_time)
        _REGISTRY[key] = cls
        _NAMES[cls] = key
        return cls

    if model is None:
        return register
    return register(model)


def _refuse_non_finite(model: type[BaseModel], seen: dict[type[BaseModel], bool] | None = None) -> bool:
    """Make ``model`` and the models nested in it refuse ``inf`` and ``nan``, unless a model's
    config says ``allow_inf_nan`` itself: every way of building a fact (the engine calls the
    model's validator directly) then refuses them, as the built-in facts do. True when
    ``model``'s validator was rebuilt: a model embeds its nested models' validators as they
    were built, so every model holding a rebuilt one is rebuilt too, Fact subclasses included."""
    seen = {} if seen is None else seen
    if model in seen:  # a model met again (or one it holds itself): as it was found
        return seen[model]
    seen[model] = False
    annotations = [info.annotation for info in model.model_fields.values()]
    nested_changed = False
    for annotation in annotations:
        for nested in _types_in(annotation):
            if isinstance(nested, type) and issubclass(nested, BaseModel):
                nested_changed = _refuse_non_finite(nested, seen) or nested_changed
    configured = "allow_inf_nan" not in model.model_config
    if configured:
        model.model_config["allow_inf_nan"] = False
    inexact = configured and any(kind in (float, Decimal) for annotation in annotations
                                 for kind in _types_in(annotation))
    if (inexact or nested_changed) and model.__pydantic_complete__:  # else the validator is unchanged
        _rebuilt(model, configured)
        seen[model] = True
    return seen[model]


def _rebuilt(model: type[BaseModel], configured: bool) -> None:
    """Rebuild ``model``'s validator with its config; if that fails, the model is left as it
    was (``configured``: without the ``allow_inf_nan`` set here) and a :class:`PolicyError`
    says how the host can say it."""
    kept = {name: model.__dict__[name] for name in _BUILT if name in model.__dict__}
    try:
        model.model_rebuild(force=True)
    except Exception as exc:  # pydantic names what it could not resolve
        for name, value in kept.items():
            setattr(model, name, value)
        if configured:
            del model.model_config["allow_inf_nan"]
        raise PolicyError(
            f"fact type {model.__name__} could not be rebuilt to refuse inf and nan ({exc}); set"
            " allow_inf_nan in its model_config"
        ) from None


_BUILT = ("__pydantic_core_schema__", "__pydantic_validator__", "__pydantic_serializer__", "__pydantic_complete__")
"""What a rebuild replaces on a model class."""


def _types_in(annotation: Any, seen: frozenset[Any] = frozenset()) -> list[Any]:
    """The types an annotation admits (``float | None`` -> ``[float, None]``, ``list[Step]`` ->
    ``[Step]``), looking into the fields of TypedDicts, NamedTuples and dataclasses (validated
    with the model's config) but not into models (validated with their own)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    fields = _record_fields(annotation)
    if fields is not None:
        if annotation in seen:  # a record that holds itself
            return []
        return [kind for field in fields for kind in _types_in(field, seen | {annotation})]
    args = get_args(annotation)
    if not args:
        return [annotation]
    return [kind for arg in args for kind in _types_in(arg, seen)]


def _record_fields(annotation: Any) -> list[Any] | None:
    """The field annotations of a TypedDict, NamedTuple or dataclass; None for anything else."""
    if not isinstance(annotation, type):
        return None
    typed_dict = issubclass(annotation, dict) and hasattr(annotation, "__required_keys__")  # either module's
    named_tuple = issubclass(annotation, tuple) and hasattr(annotation, "_fields")
    if not (typed_dict or named_tuple or dataclasses.is_dataclass(annotation)):
        return None
    try:
        return list(typing.get_type_hints(annotation).values())
    except (NameError, TypeError):  # a name it cannot resolve here: assume it may hold a float
        return [float]


def get_fact_type(name: str) -> type[BaseModel]:
    """The model registered under ``name``; a :class:`PolicyError` lists the known names."""
    _load_builtin(name)
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted({*_REGISTRY, *_BUILTIN})) or "none registered"
        raise PolicyError(
            f"unknown fact type {name!r} (known: {known})", path="fact_type"
        ) from None


def fact_type_name(model: type[BaseModel]) -> str | None:
    """The registered name of ``model``, or None."""
    return _NAMES.get(model)


def event_time_field(model: type[BaseModel]) -> str | None:
    """The field holding a fact's own time (``event_time=`` at registration), or None."""
    for cls in model.__mro__:
        found = _EVENT_TIMES.get(cls)
        if found is not None:
            return found
    return None


def _checked_event_time(model: type[BaseModel], path: str) -> str:
    """``path`` when it names a required datetime field of ``model``; else a PolicyError."""
    info = field_info(model, path)
    if info.kind != "datetime" or info.optional or info.is_collection:
        raise PolicyError(
            f"event_time {path!r} of {model.__name__} must be a required datetime field "
            f"(it is {info.describe()})",
            path=path,
        )
    return path


def registered_fact_types() -> Mapping[str, type[BaseModel]]:
    """A read-only view of every registered fact type by name (the built-in ones included)."""
    for name in _BUILTIN:
        _load_builtin(name)
    return types.MappingProxyType(_REGISTRY)


def _load_builtin(name: str) -> None:
    """Import the module of the built-in fact type ``name`` (registering it), if not yet done."""
    target = _BUILTIN.get(name)
    if target is not None and name not in _REGISTRY:
        # the domain is a higher floor: imported by name, on first use, never at import time
        importlib.import_module(target.partition(":")[0])


def _a(word: str) -> str:
    """``word`` after its article: "an order", "an int", "a user", "a leave_request"."""
    vowel = word[:1].lower() in "aeio" or (word[:1].lower() == "u" and not word.lower().startswith(("us", "uni")))
    return f"{'an' if vowel and word else 'a'} {word}"


def validate_fact(model: type[BaseModel], fact: Any, *, index: int | None = None) -> BaseModel:
    """Return ``fact`` as an instance of ``model``, validating dicts.

    An instance of ``model`` passes through untouched (it was validated when built). A
    mapping is validated; every problem is listed in the :class:`FactError`.
    """
    if isinstance(fact, model):
        return fact
    name = _NAMES.get(model, model.__name__)
    if isinstance(fact, BaseModel):
        raise FactError(
            f"expected {_a(name)} fact, got {_a(type(fact).__name__)}",
            fact_type=name,
            problems=[("", f"wrong fact type {type(fact).__name__}")],
            index=index,
        )
    if not isinstance(fact, Mapping):
        raise FactError(
            f"{_a(name)} fact must be a mapping or {_a(model.__name__)} (got {type(fact).__name__})",
            fact_type=name,
            problems=[("", f"not a mapping: {type(fact).__name__}")],
            index=index,
        )
    try:
        return model.model_validate(fact)
    except ValidationError as exc:
        problems = [(".".join(map(str, p.loc)) or "(fact)", p.message) for p in problems_of(exc)]
        raise _invalid(name, problems, index) from exc
    except OverflowError:  # a model's check reckoned past the calendar's ends (years 1 to 9999)
        extreme = [(path, OUT_OF_RANGE) for path in _extreme_instants(fact)]
        huge = [(path, f"{TOO_LARGE} (got {value})") for path, value in _huge_numbers(fact)]
        raise _invalid(name, extreme or huge or [("(fact)", f"a date-time or number {TOO_LARGE}")], index) from None


def _invalid(name: str, problems: list[tuple[str, str]], index: int | None) -> FactError:
    listed = "; ".join(f"{loc}: {msg}" for loc, msg in problems)
    where = f"fact #{index}: " if index is not None else ""
    return FactError(f"{where}invalid {name} fact: {listed}", fact_type=name, problems=problems, index=index)


OUT_OF_RANGE = "a date-time too near the ends of the calendar (years 1 and 9999) to reckon with"
"""The problem of a fact whose date-times cannot be compared or shifted without leaving the
range of dates Python knows."""


TOO_LARGE = "too large to reckon with"
"""The problem of a number (a count of minutes, days) that no duration can hold."""

_HUGE = 10**9
"""Numbers at least this large are named when a fact's check overflows: no count of
minutes or days a rule reads comes near it, and a duration of it in minutes overflows."""


def _huge_numbers(data: Any, path: str = "") -> list[tuple[str, Any]]:
    """Dotted paths and values of the numbers in ``data`` of :data:`_HUGE` size or more."""
    if isinstance(data, Mapping):
        return [p for key, value in data.items() for p in _huge_numbers(value, f"{path}.{key}".lstrip("."))]
    if isinstance(data, list | tuple):
        return [p for i, value in enumerate(data) for p in _huge_numbers(value, f"{path}.{i}".lstrip("."))]
    is_number = isinstance(data, int | float) and not isinstance(data, bool)
    return [(path or "(fact)", data)] if is_number and abs(data) >= _HUGE else []


def _extreme_instants(data: Any, path: str = "") -> list[str]:
    """Dotted paths of the date-times in ``data`` in the first or last year there is."""
    if isinstance(data, Mapping):
        return [p for key, value in data.items() for p in _extreme_instants(value, f"{path}.{key}".lstrip("."))]
    if isinstance(data, list | tuple):
        return [p for i, value in enumerate(data) for p in _extreme_instants(value, f"{path}.{i}".lstrip("."))]
    moment = data
    if isinstance(data, str):
        try:
            moment = datetime.fromisoformat(data)
        except ValueError:
            return []
    return [path or "(fact)"] if isinstance(moment, date) and moment.year in (1, 9999) else []


def read_path(fact: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``fact``, or None when it or any object on the way is missing."""
    return path_getter(path)(fact)


def path_getter(path: str) -> Callable[[Any], Any]:
    """A function reading dotted ``path`` from a fact; a missing object on the way gives None."""
    parts = tuple(path.split("."))
    if len(parts) == 1:
        return attrgetter(path)

    def get(fact: Any) -> Any:
        value = fact
        for part in parts:
            if value is None:
                return None
            value = getattr(value, part)
        return value

    return get


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What the checker knows about a field path: its value kind, choices and optionality."""

    path: str
    kind: ValueKind
    optional: bool
    annotation: Any
    choices: frozenset[Any] | None = None
    is_collection: bool = False
    model: type[BaseModel] | None = None
    optional_steps: tuple[bool, ...] = ()

    def describe(self) -> str:
        """A short human name for the type, used in error messages."""
        base: str = self.kind
        if self.choices is not None:
            base = "one of " + ", ".join(sorted(repr(c) for c in self.choices))
        if self.is_collection:
            base = f"list of {base}"
        return f"optional {base}" if self.optional else base


def field_info(model: type[BaseModel], path: str) -> FieldInfo:
    """Resolve a dotted ``path`` through ``model``; unknown segments raise :class:`PolicyError`."""
    if not path or any(not part for part in path.split(".")):
        raise PolicyError(f"{path!r} is not a field path (use dotted names such as 'shift.start')")
    current: type[BaseModel] = model
    optional_steps: list[bool] = []
    parts = path.split(".")
    annotation: Any = None
    for position, part in enumerate(parts):
        fields = current.model_fields
        computed = current.model_computed_fields
        if part not in fields and part not in computed:
            known = ", ".join(sorted([*fields, *computed]))
            prefix = ".".join(parts[:position])
            owner = f"{current.__name__}" + (f" (at {prefix})" if prefix else "")
            raise PolicyError(
                f"unknown field {part!r} in {owner}; known fields: {known}", path=path
            )
        # a pydantic computed_field is typed by its return annotation
        annotation = (
            _resolved(current, part, fields[part].annotation) if part in fields else computed[part].return_type
        )
        if isinstance(annotation, str | typing.ForwardRef):
            raise PolicyError(
                f"the type of {current.__name__}.{part} ({annotation}) cannot be resolved; "
                "define the model in a module, with its imports, so policies can be checked",
                path=path,
            )
        inner, optional = _strip_optional(annotation)
        optional_steps.append(optional)
        if position < len(parts) - 1:
            if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
                raise PolicyError(
                    f"{'.'.join(parts[: position + 1])!r} is not a model, so it has no field "
                    f"{parts[position + 1]!r}",
                    path=path,
                )
            current = inner
    inner, optional = _strip_optional(annotation)
    kind, choices, collection, sub_model = _classify(inner)
    return FieldInfo(
        path=path,
        kind=kind,
        optional=any(optional_steps),
        annotation=annotation,
        choices=choices,
        is_collection=collection,
        model=sub_model,
        optional_steps=tuple(optional_steps),
    )


def scalar_type(info: FieldInfo) -> Any:
    """The type of one value at ``info``'s path (a list's item type), without ``Optional`` or
    ``Annotated``: what a literal compared with the field must become to compare equal."""
    inner = _strip_optional(info.annotation)[0]
    if get_origin(inner) in (list, tuple, set, frozenset):
        args = [a for a in get_args(inner) if a is not Ellipsis]
        inner = _strip_optional(args[0])[0] if args else Any
    return inner


def unknown_fields(model: type[BaseModel], data: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the keys in ``data`` (a fact as written) that ``model`` has no field for,
    looking into nested models and lists of them: a model that ignores extra keys would drop
    them unseen. A model that keeps or refuses extra keys has none to report."""
    if not isinstance(data, Mapping) or model.model_config.get("extra", "ignore") != "ignore":
        return []
    names: dict[str, Any] = {}
    for name, spec in model.model_fields.items():
        for key in (name, spec.alias, spec.validation_alias):
            if isinstance(key, str):
                names[key] = spec.annotation
    found: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in names:
            found.append(path)
            continue
        inner = _strip_optional(names[key])[0]
        items = value if isinstance(value, list | tuple) else [value]
        if get_origin(inner) in (list, tuple, set, frozenset) and get_args(inner):
            inner = _strip_optional(get_args(inner)[0])[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            for index, item in enumerate(items):
                where = f"{path}[{index}]." if isinstance(value, list | tuple) else f"{path}."
                found.extend(unknown_fields(inner, item, where))
    return found


def _resolved(model: type[BaseModel], name: str, annotation: Any) -> Any:
    """The field's annotation with forward references resolved.

    pydantic may keep ``ForwardRef`` annotations (postponed evaluation) on a field while
    validating fine; resolve them the way pydantic did, from the model's module and the
    namespace it was defined in.
    """
    if not isinstance(annotation, str | typing.ForwardRef):
        return annotation
    namespace = dict(vars(sys.modules.get(model.__module__, typing)))
    namespace.update(getattr(model, "__pydantic_parent_namespace__", None) or {})
    try:
        return typing.get_type_hints(model, globalns=namespace, include_extras=True)[name]
    except Exception:  # unresolvable: the checker then reports the field as of unknown type
        return annotation


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``Optional[X]`` / ``X | None`` -> (X, True); Annotated wrappers are removed."""
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) != len(get_args(annotation))
        if len(args) == 1:
            return _strip_annotated(args[0]), optional
        return annotation, optional
    return annotation, False


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _classify(tp: Any) -> tuple[ValueKind, frozenset[Any] | None, bool, type[BaseModel] | None]:
    origin = get_origin(tp)
    if origin in (list, tuple, set, frozenset):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        item = _strip_optional(args[0])[0] if args else Any
        kind, choices, _, sub = _classify(item)
        return kind, choices, True, sub
    if origin is Literal:
        literals = frozenset(get_args(tp))
        if all(isinstance(v, str) for v in literals):
            return "text", literals, False, None
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in literals):
            return "number", literals, False, None
        return "other", literals, False, None
    if tp in _PYDANTIC_TEMPORAL:
        return _PYDANTIC_TEMPORAL[tp], None, False, None
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            members = frozenset(m.value for m in tp)
            enum_kind: ValueKind = "other"
            if all(isinstance(v, str) for v in members):
                enum_kind = "text"
            elif issubclass(tp, int) and all(type(v) is int for v in members):  # an IntEnum: a number
                enum_kind = "number"
            return enum_kind, members, False, None
        for py_type, value_kind in _SIMPLE_KINDS:
            if issubclass(tp, py_type):
                return value_kind, None, False, None
        if issubclass(tp, BaseModel):
            return "model", None, False, tp
    return "other", None, False, None


# Order matters: bool before int (bool is an int), datetime before date (likewise).
_SIMPLE_KINDS: tuple[tuple[type, ValueKind], ...] = (
    (bool, "bool"),
    (int, "number"),
    (float, "number"),
    (Decimal, "number"),
    (str, "text"),
    (datetime, "datetime"),
    (date, "date"),
    (time, "time"),
    (timedelta, "duration"),
)


# pydantic's constrained temporal types are marker classes, not datetime subclasses.
_PYDANTIC_TEMPORAL: dict[Any, ValueKind] = {
    pydantic.AwareDatetime: "datetime",
    pydantic.NaiveDatetime: "datetime",
    pydantic.PastDatetime: "datetime",
    pydantic.FutureDatetime: "datetime",
    pydantic.PastDate: "date",
    pydantic.FutureDate: "date",
}


def _snake(name: str) -> str:
    out: list[str] = []
    for index, char in enumerate(name):
        if char.isupper() and index and not name[index - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


# --------------------------------------------------------------------------- dict facts, fast

_MODEL_KEYS = frozenset({"type", "cls", "schema", "config", "ref", "metadata", "custom_init", "root_model"})
_FIELDS_KEYS = frozenset({"type", "fields", "model_name", "computed_fields"})
_FIELD_KEYS = frozenset({"type", "schema", "metadata", "frozen", "serialization_alias", "serialization_exclude"})


def _plain_schema(schema: Any) -> bool:
    """Whether ``schema`` (a field's core schema) runs no Python validator and refers to no
    shared definition, at any depth: its validation depends on the value alone (an enum's
    class is the one callable allowed; one with its own ``_missing_`` names it, and is not)."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, str) and (kind.startswith(("function", "definition"))
                                      or kind in ("default", "model", "dataclass", "call", "custom-error")):
            return False
        if kind == "enum" and not (isinstance(schema.get("cls"), type) and issubclass(schema["cls"], enum.Enum)):
            return False
        skipped = ("metadata", "serialization", "cls") if kind == "enum" else ("metadata", "serialization")
        return all(_plain_schema(value) for key, value in schema.items() if key not in skipped)
    if isinstance(schema, list | tuple):
        return all(_plain_schema(value) for value in schema)
    return not callable(schema)


def dict_validator(
    model: type[BaseModel],
) -> tuple[Callable[[dict[str, Any]], dict[str, Any]], Callable[[dict[str, Any]], BaseModel]] | None:
    """For a model whose fields are all required and plain (no Python validator, default,
    alias or nested model at any depth; no model validator, ``__init__``, post-init hook,
    private value or kept extra), the pair ``(values, build)``:

    - ``values(dict)``: pydantic-core's validation of the same field schemas, with the same
      settings, as a typed dict: it accepts exactly the dicts ``model_validate`` accepts and
      returns the values it would hold, in field order (else raises as it does; the caller
      then asks ``model_validate`` for the errors), without building an instance;
    - ``build(values)``: the instance ``model_validate`` returns for them (those values as its
      fields, every field set, no extra, no private values).

    None for any other model (a fact of it is validated by ``model_validate``).
    """
    from pydantic_core import SchemaValidator, core_schema

    schema: Any = getattr(model, "__pydantic_core_schema__", None)
    if (
        not isinstance(schema, dict) or schema.get("type") != "model" or schema.get("cls") is not model
        or set(schema) - _MODEL_KEYS or schema.get("custom_init") or schema.get("root_model")
        or getattr(model, "__pydantic_post_init__", None) is not None or model.__private_attributes__
        or model.__new__ is not object.__new__
    ):
        return None
    config: Any = schema.get("config", {})
    fields = schema["schema"]
    if (
        config.get("extra_fields_behavior", "ignore") not in ("ignore", "forbid")
        or fields.get("type") != "model-fields" or set(fields) - _FIELDS_KEYS or not fields["fields"]
        or any(field.get("type") != "model-field" or set(field) - _FIELD_KEYS or not _plain_schema(field["schema"])
               for field in fields["fields"].values())
    ):
        return None
    typed = core_schema.typed_dict_schema(  # the settings in the schema, as a model's are: they reach its fields
        {name: core_schema.typed_dict_field(field["schema"], required=True)
         for name, field in fields["fields"].items()},
        config=config,
    )
    values: Callable[[dict[str, Any]], dict[str, Any]] = SchemaValidator(typed, config).validate_python
    names = tuple(fields["fields"])
    new, set_ = object.__new__, object.__setattr__

    def build(validated: dict[str, Any]) -> BaseModel:
        """The model instance holding ``validated`` (a dict ``values`` returned)."""
        instance: BaseModel = new(model)
        set_(instance, "__dict__", validated)
        set_(instance, "__pydantic_fields_set__", set(names))
        set_(instance, "__pydantic_extra__", None)
        set_(instance, "__pydantic_private__", None)
        return instance

    return values, build
