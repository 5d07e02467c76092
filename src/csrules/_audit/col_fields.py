"""Fields of a fact model that have no native column form (times of day, durations, nested
models, lists), read by validating each *distinct* value once with the field's own pydantic
type and joining the answers back: exact by construction, and cheap where values repeat.

A nested model's scalar fields become columns named by their path (``requester.skill_level``);
a list of models gives one list column per scalar field (``escalations.chase_record``). A
list of texts already typed as such is read natively (no per-value Python).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cache, partial
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError

from csrules._audit.inputs import given
from csrules._audit.instants import INSTANT
from csrules._errors import problems_of
from csrules._policy.facts import FieldInfo, field_info
from csrules.domain.facts import Fact, screen_value

__all__ = ["Parts", "Read", "composite_parts", "dtype_of", "flat_value", "read_distinct", "text_list"]

_SCALARS: dict[str, pl.DataType] = {
    "bool": pl.Boolean(), "text": pl.String(), "datetime": INSTANT,
    "time": pl.Time(), "duration": pl.Duration("us"),
}


def dtype_of(info: FieldInfo) -> pl.DataType | None:
    """The Polars type of a scalar field's validated values (None: not a scalar kind)."""
    if info.kind == "number":
        return pl.Float64() if "float" in str(info.annotation) else pl.Int64()
    return _SCALARS.get(info.kind)


@dataclass(frozen=True)
class Read:
    """A field read by distinct validation: the batch with its typed columns added (``names``:
    column -> final name), and the problems found: the n-th problem of each row as its
    location, its message and which rows have one (in pydantic's order, row by row)."""

    frame: pl.DataFrame
    names: dict[str, str]
    problems: list[tuple[pl.Expr, pl.Expr, pl.Expr]]


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    spec = model.model_fields[name]
    annotation: Any = spec.annotation
    if spec.metadata:  # the field's constraints (ge, min_length ...) travel beside its type
        annotation = Annotated[annotation, *spec.metadata]
    if issubclass(model, Fact):  # the fact's own refusals (a number for a date-time ...) as when it is built
        annotation = Annotated[annotation, BeforeValidator(partial(screen_value, model, name))]
    return TypeAdapter(annotation)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


Parts = tuple[tuple[str, pl.DataType], ...]
"""The column paths a field is flattened to, with their Polars types."""


@cache
def composite_parts(model: type[BaseModel], name: str) -> Parts:
    """The paths a validated value of field ``name`` is flattened to, with their types: the
    field itself (a list column for a list), or a nested model's scalar fields (lists of them
    for a list of models); a value of no column type gives none (it is still validated)."""
    info = field_info(model, name)
    if info.model is None:
        dtype = dtype_of(info)
        if dtype is None:
            return ()
        return ((name, pl.List(dtype) if info.is_collection else dtype),)
    found = []
    for sub in info.model.model_fields:
        sub_info = field_info(info.model, sub)
        dtype = dtype_of(sub_info)
        if dtype is not None and not sub_info.is_collection:
            found.append((f"{name}.{sub}", pl.List(dtype) if info.is_collection else dtype))
    return tuple(found)


def flat_value(value: Any, name: str, parts: Parts) -> dict[str, Any]:
    """A validated (or default) value of field ``name`` by the paths of ``parts``."""
    if len(parts) == 1 and parts[0][0] == name:
        return {name: [_plain(item) for item in value] if isinstance(value, list) else _plain(value)}
    out: dict[str, Any] = {}
    for path, _ in parts:
        sub = path[len(name) + 1:]
        if isinstance(value, list):
            out[path] = [_plain(getattr(item, sub)) for item in value]
        else:
            out[path] = None if value is None else _plain(getattr(value, sub))
    return out


def _held(value: Any) -> bool:
    """Whether a validated value keeps its meaning in a column (an aware time of day would
    lose its zone; a naive date-time, which a host's plain ``datetime`` field keeps, is no
    instant: a column of instants would read it as UTC where the row engine refuses to
    compare it with an aware one)."""
    if isinstance(value, list):
        return all(_held(item) for item in value)
    if isinstance(value, datetime):
        return value.utcoffset() is not None
    return not (isinstance(value, time) and value.tzinfo is not None)


def read_distinct(frame: pl.DataFrame, model: type[BaseModel], name: str) -> Read | None:
    """Validate each distinct present value of field ``name`` once; the typed columns
    (``__v:<path>``) and the problems (null values are left to the caller: default or
    required). None when a validated value cannot be held in a column."""
    adapter = _adapter(model, name)
    parts = composite_parts(model, name)
    keys = frame.select(pl.col(name)).unique(maintain_order=True).filter(pl.col(name).is_not_null())
    values = keys.to_arrow().column(0).to_pylist()
    flats: list[dict[str, Any]] = []
    wheres: list[list[str] | None] = []
    messages: list[list[str] | None] = []
    for value in values:
        try:
            checked = adapter.validate_python(given(value))
        except ValidationError as exc:
            found = problems_of(exc)
            wheres.append([".".join(str(part) for part in (name, *problem.loc)) for problem in found])
            messages.append([problem.message for problem in found])
            flats.append({})
            continue
        if not _held(checked):
            return None
        wheres.append(None)
        messages.append(None)
        flats.append(flat_value(checked, name, parts))
    try:
        columns = {f"__v:{path}": pl.Series([flat.get(path) for flat in flats], dtype=dtype) for path, dtype in parts}
    except (OverflowError, TypeError, ValueError, pl.exceptions.PolarsError):
        return None  # a validated value no column of its type holds (an integer beyond 64 bits)
    table = keys.with_columns(pl.Series(f"__ef:{name}", wheres, dtype=pl.List(pl.String)),
                              pl.Series(f"__em:{name}", messages, dtype=pl.List(pl.String)), **columns)
    keys_of = _join_keys(frame.schema[name], name)
    joined = frame.select(pl.col(name)).with_columns(keys_of).join(
        table.with_columns(keys_of).drop(name), on=[key.meta.output_name() for key in keys_of], how="left",
        nulls_equal=True, maintain_order="left")
    added = joined.drop(name, *(key.meta.output_name() for key in keys_of))
    out = pl.concat([frame, added], how="horizontal")
    wheres_at, messages_at = pl.col(f"__ef:{name}"), pl.col(f"__em:{name}")
    problems = [(wheres_at.list.get(index, null_on_oob=True), messages_at.list.get(index, null_on_oob=True),
                 wheres_at.list.len() > index)
                for index in range(max((len(found) for found in wheres if found), default=0))]
    return Read(out, {f"__v:{path}": path for path, _ in parts}, problems)


def _join_keys(dtype: pl.DataType, name: str) -> list[pl.Expr]:
    """What joins a row to its distinct value's reading: the value itself, and for a float a
    NaN flag beside the value (NaN equals nothing, itself included, so a NaN row would join no
    reading: neither its problem nor a value, and be judged as if the field were absent)."""
    column = pl.col(name)
    if dtype.is_float():
        return [column.is_nan().alias("__nan"), column.fill_nan(None).alias("__key")]
    return [column.alias("__key")]


def text_list(frame: pl.DataFrame, name: str, info: FieldInfo) -> pl.Expr | None:
    """A list-of-texts field read natively (None: the column is not typed as a list of texts
    without nulls, or an item breaks the choices; distinct validation reads it)."""
    dtype = frame.schema[name]
    if not isinstance(dtype, pl.List) or dtype.inner != pl.String:
        return None
    if frame.select(pl.col(name).list.eval(pl.element().is_null()).list.any().any()).item():
        return None
    column = pl.col(name)
    if info.choices is not None:
        allowed = sorted(info.choices, key=str)
        if not frame.select(column.list.eval(pl.element().is_in(allowed)).list.all().all()).item():
            return None  # a value outside the choices: distinct validation names the item
    return column
