"""Hypothesis strategies derived from pydantic fact models and their constraints.

A fact model already says what a valid fact is: field types, ``Literal`` choices, enums,
``Field(ge=..., le=..., min_length=...)`` bounds, optional fields, nested models. This module
reads those declarations and builds a strategy that draws valid values by construction, so a
host's property tests need no hand-written generators.

Values are chosen to shrink to something a person can read: numbers towards 0 (or the lower
bound), text towards ``""`` (a text field with a default, such as ``requester_role="agent"``,
towards its default), optional fields towards ``None``, datetimes towards 2026-01-01 00:00
in UTC+08:00, without microseconds.

Random text almost never spells a name a rule tests for (a role id, an alias), so a text
field's default is drawn about half the time, and :func:`naming_dicts` draws the names a
policy's conditions list for a field (every role of the pack's catalogue, in every
spelling) as often as random text.

Facts are drawn as plain dictionaries first (:func:`fact_dicts`) so that boundary generation
can overwrite single fields before the model validates the whole; :func:`facts` validates.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import importlib
import importlib.util
import types
import typing
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from typing import Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo

import annotated_types as at
import pydantic
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from csrules._errors import NOT_BLANK, NOT_BLANK_TEXT
from csrules._policy.facts import fact_type_name, get_fact_type
from csrules._testing.relations import BOUNDS, Relation, drawing_order, read_path, relations_of
from csrules.domain.facts import derived_sources
from csrules.exceptions import PolicyError

__all__ = [
    "EARLIEST",
    "LATEST",
    "ZONES",
    "ZONE_NAMES",
    "derived_fields",
    "drawn_in",
    "drawn_range",
    "fact_dicts",
    "facts",
    "naming_dicts",
    "resolve_fact_type",
    "settle",
    "strategy_for_annotation",
    "within",
    "without_derived",
]

EARLIEST = dt.datetime(2026, 1, 1)
"""Earliest wall-clock datetime drawn (shrinks here): a date in the packs' working years."""

LATEST = dt.datetime(2027, 12, 31, 23, 59, 59)
"""Latest wall-clock datetime drawn."""

_DRAWN: ContextVar[tuple[dt.datetime, dt.datetime]] = ContextVar("csrules_drawn", default=(EARLIEST, LATEST))
"""The wall-clock range dates and datetimes are drawn in now (:func:`within` narrows it)."""


def within(strategy: st.SearchStrategy[Any], earliest: dt.datetime, latest: dt.datetime) -> st.SearchStrategy[Any]:
    """``strategy`` with every plain date and datetime it draws between ``earliest`` and
    ``latest`` (wall clock), e.g. the years a business calendar holds the holidays of."""

    @st.composite
    def draw(draw: st.DrawFn) -> Any:
        with drawn_in(earliest, latest):
            return draw(strategy)

    return draw()


def drawn_range() -> tuple[dt.datetime, dt.datetime]:
    """The wall-clock range dates and datetimes are drawn in now."""
    return _DRAWN.get()


@contextmanager
def drawn_in(earliest: dt.datetime, latest: dt.datetime) -> Iterator[None]:
    """Draw dates and datetimes between ``earliest`` and ``latest`` (wall clock) inside the block."""
    token = _DRAWN.set((earliest, latest))
    try:
        yield
    finally:
        _DRAWN.reset(token)


def _drawn() -> st.SearchStrategy[tuple[dt.datetime, dt.datetime]]:
    """The current range, read when a value is drawn (fact strategies are built once, cached)."""
    return st.builds(_DRAWN.get)


ZONES: tuple[dt.tzinfo, ...] = (
    dt.timezone(dt.timedelta(hours=8)),
    dt.UTC,
    ZoneInfo("Asia/Shanghai"),
    ZoneInfo("America/New_York"),
)
"""Time zones aware datetimes are drawn in; the first (UTC+08:00) is where they shrink."""

_TEXT_MAX = 20
_COLLECTION_MAX = 4
_NUMBER_LIMIT = 10_000


def resolve_fact_type(fact_type: str | type[BaseModel]) -> tuple[str, type[BaseModel]]:
    """The registered name and model for ``fact_type`` (a name or a model class).

    The library's own fact models are imported first, so their names always resolve.
    A name or class that is not registered raises :class:`PolicyError` listing the names.

    >>> resolve_fact_type("leave_request")[1].__name__  # doctest: +SKIP
    'LeaveRequest'
    """
    _import_shipped_models()
    if isinstance(fact_type, str):
        return fact_type, get_fact_type(fact_type)
    if not (isinstance(fact_type, type) and issubclass(fact_type, BaseModel)):
        raise PolicyError(f"a fact type is a registered name or a pydantic model class (got {fact_type!r})")
    name = fact_type_name(fact_type)
    if name is None:
        raise PolicyError(
            f"{fact_type.__module__}.{fact_type.__qualname__} is not a registered fact type; "
            "register it with csrules.register_fact_type first",
            path="fact_type",
        )
    return name, fact_type


def _import_shipped_models() -> None:
    # The domain package registers the library's fact models when imported; it may be absent
    # in a trimmed install, which is not an error here.
    if importlib.util.find_spec("csrules.domain") is not None:
        importlib.import_module("csrules.domain")


def facts(fact_type: str | type[BaseModel], **fields: Any) -> st.SearchStrategy[BaseModel]:
    """A strategy of valid facts of a registered fact type.

    ``fields`` fix or narrow single fields: a strategy is drawn from, any other value is used
    as is. Drawn dictionaries that the model's own validators refuse are discarded.

    >>> from hypothesis import given
    >>> @given(facts("leave_request", days=st.integers(2, 5)))  # doctest: +SKIP
    ... def test_long_leave_needs_the_director(fact): ...
    """
    _, model = resolve_fact_type(fact_type)
    kept = {_input_name(name, model.model_fields[name]) for name in fields if name in model.model_fields}
    return validated(model, fact_dicts(model, **fields), kept)


def validated(model: type[BaseModel], dicts: st.SearchStrategy[dict[str, Any]],
              keep: Collection[str] = ()) -> st.SearchStrategy[BaseModel]:
    """Facts validated from ``dicts``. A dictionary the model refuses is tried again with its
    optional fields (but ``keep``) left to their defaults, since a model's checks across
    fields (a leave's first shift inside the leave) refuse most independent draws of them;
    refused again, it is filtered out."""
    optional = {_input_name(name, info) for name, info in model.model_fields.items() if not info.is_required()}

    def build(data: dict[str, Any]) -> BaseModel | None:
        try:
            return model.model_validate(data)
        except ValidationError:
            plain = {key: value for key, value in data.items() if key in keep or key not in optional}
        if plain == data:
            return None
        try:
            return model.model_validate(plain)
        except ValidationError:
            return None

    return dicts.map(build).filter(lambda fact: fact is not None)  # type: ignore[return-value]


def naming_dicts(model: type[BaseModel], names: Mapping[str, Sequence[str]]) -> st.SearchStrategy[dict[str, Any]]:
    """Dictionaries for ``model`` (as :func:`fact_dicts`) whose text fields named in ``names``
    are drawn half the time from the values listed for them, shrinking to the first.

    ``names`` maps a field to the text a policy tests it against (``requester_role``: the role
    ids and aliases of the catalogue); a field that is not plain text, or is derived, is
    drawn as usual.
    """
    derived = derived_fields(model)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, values in names.items():
        info = model.model_fields.get(name)
        listed = list(dict.fromkeys(v for v in values if isinstance(v, str)))
        if info is None or name in derived or not listed or not _is_text(info):
            continue
        default = info.get_default(call_default_factory=False)
        if isinstance(default, str):  # the default stays where the field shrinks
            listed = list(dict.fromkeys([default, *listed]))
        fields[name] = st.one_of(st.sampled_from(listed), _field_strategy(model, name))
    return fact_dicts(model, **fields)


def _is_text(info: pydantic.fields.FieldInfo) -> bool:
    """Whether a field holds (optional) free text: no choices, not a collection."""
    annotation = info.annotation
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (typing.Union, types.UnionType):
        members = [m for m in get_args(annotation) if m is not type(None)]
        annotation = members[0] if len(members) == 1 else None
        while get_origin(annotation) is typing.Annotated:
            annotation = get_args(annotation)[0]
    return isinstance(annotation, type) and issubclass(annotation, str) and not issubclass(annotation, enum.Enum)


def fact_dicts(model: type[BaseModel], **fields: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Dictionaries of field values for ``model`` (not yet validated), keyed by input name.

    Fields are drawn in the order the model's ``__relations__`` need, each within what the
    fields drawn before allow (see :mod:`csrules._testing.relations`), so a model that declares
    the relations its validators check accepts every draw. A field fixed in ``fields`` is
    drawn from it as given.
    """
    if not fields:
        return _model_dicts(model)
    sources = derived_sources(model)
    derived = sorted(set(fields) & set(sources))
    if derived:
        raise PolicyError(
            f"{model.__name__}.{derived[0]} is derived from {', '.join(sources[derived[0]]) or 'other fields'};"
            " narrow those instead",
            path=derived[0],
        )
    unknown = sorted(set(fields) - set(model.model_fields))
    if unknown:
        raise PolicyError(
            f"{model.__name__} has no field {unknown[0]!r}; known fields: {', '.join(sorted(model.model_fields))}",
            path=unknown[0],
        )
    given = {name: value if isinstance(value, st.SearchStrategy) else st.just(value) for name, value in fields.items()}
    return _dicts(model, given)


@cache
def _model_dicts(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    return _dicts(model, {})


Outside = tuple[tuple[str, str, Any], ...]
"""Relations a containing model puts on a nested one: (path in it, op, the source's value)."""


def _dicts(model: type[BaseModel], given: Mapping[str, st.SearchStrategy[Any]],
           outside: Outside = ()) -> st.SearchStrategy[dict[str, Any]]:
    """Dictionaries for ``model``: ``given`` fields drawn from their strategies, the others
    (but derived ones, which the model computes) within their relations and ``outside``'s."""
    derived = derived_fields(model)
    names = [name for name in model.model_fields if name in given or name not in derived]
    if not relations_of(model) and not outside:
        return st.fixed_dictionaries(
            {_input_name(name, model.model_fields[name]): given[name] if name in given else _plain(model, name)
             for name in names}
        )
    order = drawing_order(model, names)

    @st.composite
    def draw(draw: st.DrawFn) -> dict[str, Any]:
        drawn: dict[str, Any] = {}
        for name in order:
            drawn[name] = draw(given[name] if name in given else _related(model, name, drawn, outside))
        return {_input_name(name, model.model_fields[name]): drawn[name] for name in names}

    return draw()


def settle(draw: st.DrawFn, model: type[BaseModel], data: dict[str, Any], written: Collection[str]) -> None:
    """Draw afresh, in ``data`` (a drawn dictionary), each field not in ``written`` whose
    relations the ``written`` ones broke (a probe moved a leave's start past its end), in
    dependency order, so the fact stays one the model accepts."""
    inputs = {name: _input_name(name, info) for name, info in model.model_fields.items()}
    keys = {name: key for name, key in inputs.items() if key in data}
    values = {name: data[key] for name, key in keys.items()}
    for name in drawing_order(model, list(keys)):
        mine = [r for r in relations_of(model) if r.head == name]
        if name in written or all(_holds(r, values) for r in mine):
            continue
        values[name] = data[keys[name]] = draw(_related(model, name, values, ()))


def _holds(relation: Relation, values: Mapping[str, Any]) -> bool:
    """Whether ``relation`` holds between the ``values`` drawn (True where it cannot be read)."""
    source = relation.value(values)
    held = values.get(relation.head)
    items = held if relation.sub and isinstance(held, list) else [held]
    for item in items:
        value = read_path(item, relation.sub) if relation.sub and isinstance(item, Mapping) else item
        try:
            if not _related_ok(relation.op, value, source):
                return False
        except TypeError:  # a value given as text: the model reads it
            continue
    return True


def _related_ok(op: str, value: Any, source: Any) -> bool:
    if op == "if":
        return value is None or bool(source)
    if op == "with":
        return (value is None) == (source is None)
    if value is None or source is None:
        return True
    if op == "!=":
        return bool(value != source)
    if op in ("<", "<="):
        return bool(value < source or (op == "<=" and value == source))
    return bool(value > source or (op == ">=" and value == source))


def _related(model: type[BaseModel], name: str, drawn: Mapping[str, Any], outside: Outside) -> st.SearchStrategy[Any]:
    """A strategy for field ``name`` within its relations to the fields ``drawn`` before it."""
    own = [(r.op, r.value(drawn)) for r in relations_of(model) if r.head == name and not r.sub]
    own += [(op, value) for path, op, value in outside if path == name]
    nested = tuple((r.sub, r.op, r.value(drawn)) for r in relations_of(model) if r.head == name and r.sub)
    nested += tuple((path.partition(".")[2], op, value) for path, op, value in outside if path.startswith(f"{name}."))
    if not own and not nested:
        return _plain(model, name)
    if any((op == "if" and not value) or (op == "with" and value is None) for op, value in own):
        return st.none()  # the field is given only with its source
    info = model.model_fields[name]
    annotation = info.annotation
    if any(op == "with" for op, _ in own):
        annotation = _without_none(annotation)
    bounds = tuple(BOUNDS[op](value) for op, value in own if op in BOUNDS and value is not None)
    if not _satisfiable((*info.metadata, *bounds)):
        if _without_none(annotation) is not annotation:
            return st.none()  # an index into an empty list, say: not given
        bounds = ()  # the sources contradict each other (a value the caller fixed): the model will say
    if nested:
        drawn_value = _nested(model, name, annotation, info, nested)
    else:
        drawn_value = _bounded_field(model, name, annotation, bounds)
    distinct = [value for op, value in own if op == "!=" and value is not None]
    return drawn_value.filter(lambda value: value not in distinct) if distinct else drawn_value


_STRATEGIES_KEPT = 4096
"""Strategies kept per builder below: a fact draws a bounded field's strategy afresh for
each value its sources took, and building one (with Hypothesis checking it on first use)
costs far more than drawing from it; the same arguments build the same strategy."""


def _bounded_field(model: type[BaseModel], name: str, annotation: Any,
                   bounds: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """:func:`_field_strategy`, built once per field and bounds (bounds that cannot be
    hashed, which no relation the library knows gives, are built each time)."""
    try:
        return _kept_field(model, name, annotation, bounds)
    except TypeError:  # an unhashable bound
        return _field_strategy(model, name, annotation, bounds)


@lru_cache(maxsize=_STRATEGIES_KEPT)
def _kept_field(model: type[BaseModel], name: str, annotation: Any,
                bounds: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return _field_strategy(model, name, annotation, bounds)


@cache
def _plain(model: type[BaseModel], name: str) -> st.SearchStrategy[Any]:
    """Values of a field no relation bounds (built once)."""
    return _field_strategy(model, name)


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        members = [m for m in get_args(annotation) if m is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _satisfiable(bounds: tuple[Any, ...]) -> bool:
    """Whether some value lies within all ``bounds`` (annotated_types Ge/Gt/Le/Lt)."""
    b = _bounds(bounds)
    try:
        low = max((v for k, v in b.items() if k in ("ge", "gt")), default=None)
        high = min((v for k, v in b.items() if k in ("le", "lt")), default=None)
        strict = "gt" in b or "lt" in b
        return low is None or high is None or (low < high if strict else low <= high)
    except TypeError:  # bounds of different kinds (a value given as text): none can hold
        return False


def _nested(model: type[BaseModel], name: str, annotation: Any, info: pydantic.fields.FieldInfo,
            nested: Outside) -> st.SearchStrategy[Any]:
    """A nested model (or an optional one, or a list of them) with relations on its fields."""
    inner = _without_none(annotation)
    optional = inner is not annotation
    origin = get_origin(inner)
    item = get_args(inner)[0] if origin is list else inner
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        raise PolicyError(f"{model.__name__}.__relations__ reads into {name}, which holds no model", path=name)
    dicts = _dicts(item, {}, nested)
    drawn = _collection(inner, list, tuple(info.metadata), dicts) if origin is list else dicts
    return st.one_of(st.none(), drawn) if optional else drawn


ZONE_NAMES: tuple[str, ...] = ("Asia/Shanghai", "America/New_York", "UTC", "Asia/Kathmandu")
"""Site time-zone names drawn for fields marked as time zones; the first is where they shrink."""


def _extra(info: pydantic.fields.FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


@cache
def derived_fields(model: type[BaseModel]) -> frozenset[str]:
    """The names of ``model``'s derived fields (computed by the model, checked when given)."""
    return frozenset(derived_sources(model))


def without_derived(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` less ``model``'s derived fields, so the model computes them from their sources.

    Probes written straight into a derived field (``greeting``, ``late_minutes``) cannot
    steer it; leaving them out keeps the drawn fact valid instead of refused.
    """
    derived = derived_fields(model)
    return {key: value for key, value in data.items() if key not in derived}


def _input_name(name: str, info: pydantic.fields.FieldInfo) -> str:
    return info.alias if isinstance(info.alias, str) else name


def _field_strategy(model: type[BaseModel], name: str, annotation: Any = None,
                    bounds: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
    """Values of field ``name`` (of ``annotation`` when given: its type less None), within
    the field's constraints and ``bounds``."""
    info = model.model_fields[name]
    if _extra(info).get("time_zone"):
        return st.sampled_from(ZONE_NAMES)
    try:
        drawn = strategy_for_annotation(info.annotation if annotation is None else annotation,
                                        (*info.metadata, *bounds))
    except TypeError as exc:
        raise PolicyError(
            f"cannot draw {model.__name__}.{name} ({exc}); pass a strategy for it: facts(..., {name}=st....)",
            path=name,
        ) from None
    default = info.get_default(call_default_factory=False)
    if isinstance(default, str) and _is_text(info):  # random text would never spell it
        return st.one_of(st.just(default), drawn)
    return drawn


def strategy_for_annotation(annotation: Any, metadata: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
    """A strategy for values of ``annotation`` honouring constraint ``metadata``.

    ``metadata`` holds ``annotated_types`` constraints (``Ge``, ``Lt``, ``MinLen`` ...) as
    pydantic stores them on a field. A type it cannot draw raises :class:`TypeError`.

    >>> strategy_for_annotation(int, (at.Ge(1), at.Le(3))).example() in (1, 2, 3)  # doctest: +SKIP
    True
    """
    while get_origin(annotation) is typing.Annotated:
        args = get_args(annotation)
        annotation, metadata = args[0], (*metadata, *_flatten(args[1:]))
    metadata = _flatten(metadata)
    origin = get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        members = get_args(annotation)
        optional = type(None) in members
        inner = [m for m in members if m is not type(None)]
        drawn = st.one_of(*(strategy_for_annotation(m, metadata) for m in inner))
        # None first, so optional fields shrink to "not given"
        return st.one_of(st.none(), drawn) if optional else drawn
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple, set, frozenset):
        return _collection(annotation, origin or annotation, metadata)
    if origin in (dict, Mapping) or annotation is dict:
        key_type, value_type = get_args(annotation) or (str, int)
        return st.dictionaries(
            strategy_for_annotation(key_type),
            strategy_for_annotation(value_type),
            max_size=_COLLECTION_MAX,
        )
    if annotation is Any or annotation is object:
        return st.one_of(st.none(), st.booleans(), st.integers(0, 100), _text((), ()))
    if annotation is type(None):
        return st.none()
    for kind, build in _SCALARS:
        if _is(annotation, kind):
            return build(metadata)
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return st.sampled_from(list(annotation))
        if issubclass(annotation, BaseModel):
            return st.deferred(lambda: _model_dicts(annotation))
    raise TypeError(f"no strategy for {annotation!r}")


def _flatten(metadata: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for item in metadata:
        if isinstance(item, pydantic.fields.FieldInfo):
            out.extend(item.metadata)
        elif isinstance(item, at.GroupedMetadata):
            out.extend(item)
        else:
            out.append(item)
    return tuple(out)


def _is(annotation: Any, kind: Any) -> bool:
    if annotation is kind:
        return True
    return isinstance(annotation, type) and isinstance(kind, type) and issubclass(annotation, kind)


def _bounds(metadata: tuple[Any, ...]) -> dict[str, Any]:
    """The constraints in ``metadata``; of several of one kind, the tightest (all must hold)."""
    found: dict[str, Any] = {}
    for item in metadata:
        for name in ("ge", "gt", "le", "lt", "multiple_of", "min_length", "max_length"):
            value = getattr(item, name, None)
            if value is not None:
                found[name] = _tighter(name, found.get(name), value)
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            found["pattern"] = pattern
        elif item is NOT_BLANK_TEXT:  # a name whose validator refuses blank text: drawn as an id is
            found["pattern"] = NOT_BLANK
    return found


def _tighter(name: str, old: Any, new: Any) -> Any:
    if old is None or name == "multiple_of":
        return new
    return max(old, new) if name in ("ge", "gt", "min_length") else min(old, new)


def _range(b: dict[str, Any], *, integral: bool) -> tuple[Any, Any]:
    """Bounds from ``ge``/``gt``/``le``/``lt``; a missing side lies ``2 * limit`` away. A strict
    bound on an integer moves one step in; on a float, :func:`_floats` excludes it."""
    nudge = 1 if integral else 0
    lows = [v for v in (b.get("ge"), None if "gt" not in b else b["gt"] + nudge) if v is not None]
    highs = [v for v in (b.get("le"), None if "lt" not in b else b["lt"] - nudge) if v is not None]
    low: Any = max(lows) if lows else None
    high: Any = min(highs) if highs else None
    if low is None and high is None:
        return -_NUMBER_LIMIT, _NUMBER_LIMIT
    if low is None:
        return high - 2 * _NUMBER_LIMIT, high
    if high is None:
        return low, low + 2 * _NUMBER_LIMIT
    return low, high


def _integers(metadata: tuple[Any, ...]) -> st.SearchStrategy[int]:
    b = _bounds(metadata)
    low, high = _range(b, integral=True)
    step = b.get("multiple_of")
    if step:
        return _multiples(low, high, step).map(int)
    return st.integers(int(low), int(high))


def _multiples(low: Any, high: Any, step: Any) -> st.SearchStrategy[Any]:
    first, last = -(-low // step), high // step
    return st.integers(int(first), int(last)).map(lambda k: k * step)


def _floats(metadata: tuple[Any, ...]) -> st.SearchStrategy[float]:
    b = _bounds(metadata)
    low, high = _range(b, integral=False)
    step = b.get("multiple_of")
    if step:
        return (
            _multiples(low, high, step)
            .map(float)
            .filter(lambda x: ("gt" not in b or x > b["gt"]) and ("lt" not in b or x < b["lt"]))
        )
    return st.floats(
        float(low),
        float(high),
        exclude_min="gt" in b and low == b["gt"],
        exclude_max="lt" in b and high == b["lt"],
        allow_nan=False,
        allow_infinity=False,
    )


def _decimals(metadata: tuple[Any, ...]) -> st.SearchStrategy[decimal.Decimal]:
    return _floats(metadata).map(lambda x: decimal.Decimal(str(round(x, 2))))


_READABLE = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn"))


def _text(metadata: tuple[Any, ...], _: tuple[Any, ...] = ()) -> st.SearchStrategy[str]:
    b = _bounds(metadata)
    low = int(b.get("min_length", 0))
    high = int(b.get("max_length", max(low, _TEXT_MAX)))
    if b.get("pattern") == NOT_BLANK:  # an id: readable text holding a letter or digit, never only spaces
        return st.text(_READABLE, min_size=max(low, 1), max_size=high).filter(lambda s: any(c.isalnum() for c in s))
    if "pattern" in b:
        return st.from_regex(b["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(_READABLE, min_size=low, max_size=high)


def _collection(annotation: Any, origin: Any, metadata: tuple[Any, ...],
                item: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    """A collection of ``annotation``'s items (drawn from ``item`` when given)."""
    args = [a for a in get_args(annotation) if a is not Ellipsis]
    b = _bounds(metadata)
    low = int(b.get("min_length", 0))
    high = int(b.get("max_length", max(low, _COLLECTION_MAX)))
    if origin is tuple and args and Ellipsis not in get_args(annotation):
        return st.tuples(*(strategy_for_annotation(a) for a in args))
    if item is None:
        item = strategy_for_annotation(args[0]) if args else st.integers(0, 100)
    unique = origin in (set, frozenset)
    drawn = st.lists(item, min_size=low, max_size=high, unique_by=_hashable if unique else None)
    return drawn.map(origin) if origin in (tuple, set, frozenset) else drawn


def _hashable(value: Any) -> Any:
    return repr(value)


def _aware(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.datetime]:
    low, high = _instant_bounds(_bounds(metadata))
    if low is None and high is None:
        return _drawn().flatmap(lambda bounds: aware_datetimes(*bounds))
    return _drawn().flatmap(lambda drawn: _aware_in_a_zone(drawn, low, high))


@lru_cache(maxsize=_STRATEGIES_KEPT)
def _aware_in_a_zone(drawn: tuple[dt.datetime, dt.datetime], low: dt.datetime | None,
                     high: dt.datetime | None) -> st.SearchStrategy[dt.datetime]:
    return st.sampled_from(ZONES).flatmap(lambda zone: _aware_between(zone, drawn, low, high))


_SECOND = dt.timedelta(seconds=1)


def _instant_bounds(b: dict[str, Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and last whole-second instants ``ge``/``gt``/``le``/``lt`` allow."""
    lows = [_whole(b["ge"], up=True)] if "ge" in b else []
    lows += [_whole(b["gt"], up=False) + _SECOND] if "gt" in b else []
    highs = [_whole(b["le"], up=False)] if "le" in b else []
    highs += [_whole(b["lt"], up=True) - _SECOND] if "lt" in b else []
    return max(lows, default=None), min(highs, default=None)


def _whole(at: dt.datetime, *, up: bool) -> dt.datetime:
    down = at.replace(microsecond=0)
    return down + _SECOND if up and down != at else down


@lru_cache(maxsize=_STRATEGIES_KEPT)
def _aware_between(zone: dt.tzinfo, drawn: tuple[dt.datetime, dt.datetime],
                   low: dt.datetime | None, high: dt.datetime | None) -> st.SearchStrategy[dt.datetime]:
    """Datetimes in ``zone`` from instant ``low`` to ``high`` (either may be None), inside the
    wall-clock range ``drawn`` where it meets them, else as near it as they allow (a month's
    span from the one bound given)."""
    first, last = (wall.replace(tzinfo=zone) for wall in drawn)
    lo, hi = max(first, low or first), min(last, high or last)
    if lo > hi:  # the range misses what the bounds allow
        month = dt.timedelta(days=30)
        if low is not None:
            lo, hi = low, high if high is not None else low + month
        elif high is not None:
            lo, hi = high - month, high

    def inside(value: dt.datetime) -> dt.datetime:
        # a wall clock read at a DST change may name an instant just outside: the bound it passed
        return value if lo <= value <= hi else (lo if value < lo else hi).astimezone(zone)

    walls = [at.astimezone(zone).replace(tzinfo=None) for at in (lo, hi)]
    if walls[0] >= walls[1]:
        return st.just(lo.astimezone(zone))
    return (
        st.datetimes(walls[0], walls[1], timezones=st.just(zone), allow_imaginary=False)
        .map(lambda d: inside(d.replace(microsecond=0)))
    )


@lru_cache(maxsize=_STRATEGIES_KEPT)
def aware_datetimes(earliest: dt.datetime = EARLIEST, latest: dt.datetime = LATEST) -> st.SearchStrategy[dt.datetime]:
    """Aware datetimes between two wall-clock bounds, whole seconds, in one of :data:`ZONES`
    (built once per pair of bounds: facts draw from it with the range in force at each draw)."""
    return st.datetimes(earliest, latest, timezones=st.sampled_from(ZONES), allow_imaginary=False).map(
        lambda d: d.replace(microsecond=0)
    )


def _naive(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.datetime]:
    return _drawn().flatmap(_naive_between).map(lambda d: d.replace(microsecond=0))


@lru_cache(maxsize=_STRATEGIES_KEPT)
def _naive_between(bounds: tuple[dt.datetime, dt.datetime]) -> st.SearchStrategy[dt.datetime]:
    return st.datetimes(*bounds)


def _past(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.datetime]:
    return aware_datetimes(dt.datetime(2000, 1, 1), dt.datetime(2020, 12, 31))


def _future(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.datetime]:
    return aware_datetimes(dt.datetime(2100, 1, 1), dt.datetime(2101, 12, 31))


def _dates(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.date]:
    return _drawn().flatmap(_dates_between)


@lru_cache(maxsize=_STRATEGIES_KEPT)
def _dates_between(bounds: tuple[dt.datetime, dt.datetime]) -> st.SearchStrategy[dt.date]:
    return st.dates(bounds[0].date(), bounds[1].date())


def _past_dates(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.date]:
    return st.dates(dt.date(2000, 1, 1), dt.date(2020, 12, 31))


def _future_dates(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.date]:
    return st.dates(dt.date(2100, 1, 1), dt.date(2101, 12, 31))


def _times(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.time]:
    return st.times().map(lambda t: t.replace(microsecond=0))


def _timedeltas(metadata: tuple[Any, ...]) -> st.SearchStrategy[dt.timedelta]:
    b = _bounds(metadata)
    low = b.get("ge", b.get("gt", dt.timedelta(0)))
    high = b.get("le", b.get("lt", dt.timedelta(days=30)))
    return (
        st.integers(int(low.total_seconds()), int(high.total_seconds()))
        .map(lambda s: dt.timedelta(seconds=s))
        .filter(lambda d: ("gt" not in b or d > b["gt"]) and ("lt" not in b or d < b["lt"]))
    )


# Order matters: bool before int, the pydantic datetime markers and datetime before date.
_SCALARS: tuple[tuple[Any, Callable[[tuple[Any, ...]], st.SearchStrategy[Any]]], ...] = (
    (bool, lambda _: st.booleans()),
    (int, _integers),
    (float, _floats),
    (decimal.Decimal, _decimals),
    (str, _text),
    (pydantic.AwareDatetime, _aware),
    (pydantic.NaiveDatetime, _naive),
    (pydantic.PastDatetime, _past),
    (pydantic.FutureDatetime, _future),
    (pydantic.PastDate, _past_dates),
    (pydantic.FutureDate, _future_dates),
    (dt.datetime, _aware),  # plain datetime: drawn aware, since rules compare it with `now`
    (dt.date, _dates),
    (dt.time, _times),
    (dt.timedelta, _timedeltas),
)
