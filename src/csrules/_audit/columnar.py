"""The columnar path: facts validated per column, derived fields computed per column, and
each rule's condition compiled to one Polars expression over the whole batch.

Polars (over Arrow compute) because one expression tree evaluates a whole condition in one
pass, with nulls, time zones and durations handled natively. What is vectorised:

- validation of text, number, flag and datetime fields (required, choices, length and bounds),
  a bad row reported with its row number and field while the others are audited; every other
  field (times of day, durations, nested models, lists) validated once per distinct value by
  its own pydantic type (:mod:`csrules._audit.col_fields`);
- the model's own checks and derived fields of every built-in fact type (:data:`DERIVED`,
  :mod:`csrules._audit.col_derived`), reported only for facts whose fields are valid, as
  pydantic runs them;
- the kinds ``all``, ``any``, ``not``, ``compare``, ``in``, ``not_in``, ``is_set``,
  ``is_missing`` and ``elapsed`` (instants in UTC), and obligations due a clock duration after
  a field or ``now``;
- the time kinds ``time_of_day`` (in the rule's zone, clock changes included), ``on_holiday``,
  ``on_day_off``, ``in_working_hours``, ``outside_working_hours``, ``within_hours``,
  ``notice`` and ``recurring`` (:mod:`csrules._audit.col_time`: look-ups built per batch, a
  date table from the calendar itself), and business-time due dates (asked of the calendar
  once per distinct start);
- ``contains``, each distinct text folded once by the row engine's folding
  (:mod:`csrules._audit.col_text`).

- ``night_shift`` and ``time_of_day`` on a rota's shift date, as a join on a rota table
  (:mod:`csrules._audit.col_rota`).

A rule using anything else (a policy that keeps only the first or highest-priority match), or
whose look-up cannot be built exactly for the batch (a year its calendar does not cover),
falls back, that rule alone, to the row engine over the same batch; a fact type without a
columnar form is judged by the row engine.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, reduce
from typing import Any, get_args

import annotated_types
import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from csrules._audit.batch import AuditSpec, judge_rows, meta_frame
from csrules._audit.col_derived import FACT, MODEL_FORMS, Problem, Problems
from csrules._audit.col_fields import composite_parts, flat_value, read_distinct, text_list
from csrules._audit.col_text import text_leaf
from csrules._audit.col_time import ZONE, Leaf, reached_days, time_leaf
from csrules._audit.col_zone import local_wall
from csrules._audit.inputs import ROW
from csrules._audit.instants import INSTANT, INTEGERS, ISO, iso_instants
from csrules._audit.rows import ROW_SCHEMA, effect_row, rows_batch
from csrules._engine.compile import CompiledRule, DueRule
from csrules._engine.engine import Engine
from csrules._engine.zones import SplitZones, fact_zones
from csrules._errors import BLANK_ID, NOT_BLANK, NOT_BLANK_TEXT
from csrules._policy.facts import field_info
from csrules._policy.kinds.core import (
    All,
    Any_,
    Compare,
    Elapsed,
    In,
    IsMissing,
    IsSet,
    Not,
    NotIn,
    coerce_literal,
    wall_span,
)
from csrules._policy.kinds.time import Notice
from csrules._policy.model import Policy, Rule
from csrules._time.calendar import load_zone, wall_instant
from csrules._time.clock import DAY_MICROS
from csrules.domain.facts import (
    CERTIFICATE_CONTRADICTED,
    DAYS_BEYOND_SPAN,
    ID_SPACES,
    SHIFT_START_OUTSIDE,
    derived_sources,
    read_id,
)
from csrules.exceptions import CsrulesError

__all__ = ["DERIVED", "compile_condition", "judge_columnar", "prepare"]


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
# --------------------------------------------------------------------------- validation


def _problem(frame: pl.DataFrame, bad: pl.Expr, name: str | pl.Expr, message: str | pl.Expr) -> Problem:
    return frame, bad, name, message


def _text(value: str | pl.Expr) -> pl.Expr:
    return value if isinstance(value, pl.Expr) else pl.lit(value, pl.String)


def _bad_rows(problems: Problems) -> pl.DataFrame:
    """Every failed check as (row, field, message), the first per row and field, by row and
    then in the order the checks were made (pydantic's: the model's field order); each frame's
    checks run in one pass, and a batch with nothing wrong costs that pass alone."""
    found = []
    frames: dict[int, tuple[pl.DataFrame, list[tuple[int, Problem]]]] = {}
    for number, problem in enumerate(problems):
        frames.setdefault(id(problem[0]), (problem[0], []))[1].append((number, problem))
    for frame, checks in frames.values():
        masks = frame.select(pl.col(ROW), *(bad.fill_null(False).alias(f"__p{i}") for i, (_, (_, bad, _, _)) in
                                            enumerate(checks)))
        if not masks.select(pl.any_horizontal(pl.exclude(ROW)).any()).item():
            continue
        for index, (number, (_, bad, name, message)) in enumerate(checks):
            per_row = isinstance(name, pl.Expr)  # a field and message read from the row itself
            hits = frame.filter(bad.fill_null(False)) if per_row else masks.filter(pl.col(f"__p{index}"))
            if hits.height:
                found.append(hits.select(pl.col(ROW).alias("row"), _text(name).alias("field"),
                                         _text(message).alias("message"), pl.lit(number).alias("__n")))
    if not found:
        return pl.DataFrame(schema={"row": pl.Int64, "field": pl.String, "message": pl.String})
    every = pl.concat(found).sort("row", "__n", maintain_order=True)
    return every.unique(["row", "field"], keep="first", maintain_order=True).drop("__n")


def _instants(column: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """The column as UTC instants, and which given values are not aware datetimes."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return pl.lit(None, INSTANT), column.is_not_null()
        return column.dt.convert_time_zone("UTC").dt.cast_time_unit("us"), pl.lit(False)
    text = column.cast(pl.String).str.replace(r"Z$", "+00:00")
    parsed = pl.coalesce(
        *(text.str.to_datetime(fmt, time_zone="UTC", strict=False, time_unit="us") for fmt in ISO)
    )
    return parsed, column.is_not_null() & parsed.is_null()


_WHOLE = tuple(dtype for dtype in INTEGERS if dtype != pl.UInt64)
"""Whole numbers read natively: every one fits the Int64 a number field is held in."""
_ISO_TEXT = (r"^(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
             r"[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$")
"""The aware ISO 8601 texts read natively (every other text is read by pydantic itself)."""


def _reads_natively(frame: pl.DataFrame, name: str, info: Any) -> bool:
    """Whether column ``name`` holds values its native reading gives exactly as pydantic
    would: texts as texts, flags as flags, whole numbers (or floats for a float field), aware
    timestamps and the common ISO texts of aware datetimes that all parse. Anything else
    (numbers for a text, floats for a whole number, Unix times ...) is read by distinct
    validation, pydantic's own answer."""
    dtype = frame.schema[name]
    if dtype == pl.Null or frame[name].null_count() == frame.height:
        return True
    if info.kind == "text":
        return dtype in (pl.String, pl.Categorical)
    if info.kind == "bool":
        return dtype == pl.Boolean
    if info.kind == "number":
        return dtype in _WHOLE or ("float" in str(info.annotation) and dtype in (pl.Float32, pl.Float64))
    if isinstance(dtype, pl.Datetime):
        return dtype.time_unit != "ns" or not frame.select((pl.col(name).dt.nanosecond() % 1000 != 0).any()).item()
    return dtype == pl.String and _text_instants(frame[name]) is not None


def _text_instants(column: pl.Series) -> pl.Series | None:
    """A text column of a datetime field as UTC instants, when every text is an aware ISO
    8601 form that reads natively (else None: distinct validation reads the column)."""
    parsed = iso_instants(column)
    plain = column.str.contains(_ISO_TEXT) & parsed.is_not_null()
    return parsed if bool(plain.fill_null(True).all()) else None


def _bounds(info: Any) -> list[tuple[str, Any]]:
    """The numeric and length constraints of a pydantic field, as (op, value) pairs."""
    found: list[tuple[str, Any]] = []
    for item in info.metadata:
        for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None:
                found.append((op, value))
        if isinstance(item, annotated_types.MinLen):
            found.append(("min_length", item.min_length))
        if _not_blank(item):
            found.append(("not_blank", NOT_BLANK))
    return found


def _not_blank(item: Any) -> bool:
    """Whether a field constraint is the required ids' "not only spaces" pattern."""
    return getattr(item, "pattern", None) == NOT_BLANK


def _checked_natively(item: Any) -> bool:
    """Whether a field constraint is checked natively: a bound, a length, the ids' "not only
    spaces" pattern, or the id type's reading (:func:`_an_id`)."""
    return (isinstance(item, _SAFE_METADATA) or _not_blank(item) or item is NOT_BLANK_TEXT
            or getattr(item, "func", None) is read_id)


def _an_id(spec: Any) -> bool:
    """Whether a field is of the domain's id type (:data:`~csrules.domain.facts.Id`): read
    natively, spaces around it dropped (:data:`~csrules.domain.facts.ID_SPACES`) and blank text refused."""
    return any(getattr(item, "func", None) is read_id for item in spec.metadata)


_NATIVE = ("bool", "number", "text", "datetime")
"""Value kinds validated natively per column; every other field is read by distinct validation."""


def _column(frame: pl.DataFrame, model: type[BaseModel], name: str, problems: Problems) -> pl.Expr:
    """The typed column of scalar field ``name`` (defaults filled); bad cells go to ``problems``."""
    spec = model.model_fields[name]
    info = field_info(model, name)
    present = name in frame.columns and frame[name].null_count() < frame.height
    default = None if spec.is_required() else spec.get_default(call_default_factory=True)
    if not present:
        if spec.is_required():
            problems.append(_problem(frame, pl.lit(True), name, "Field required"))
        if info.kind == "datetime":
            return pl.lit(default, INSTANT)
        return pl.lit(default)
    column = pl.col(name)
    dtype = frame.schema[name]
    if spec.is_required():
        problems.append(_problem(frame, column.is_null(), name, "Field required"))
    if info.kind == "datetime":
        column, bad = _instants(column, dtype)
        problems.append(_problem(frame, bad, name, "Input should be a datetime with a time zone"))
    elif info.kind == "number":
        column = column.cast(pl.Float64 if "float" in str(info.annotation) else pl.Int64, strict=False)
    elif info.kind == "text":
        column = column.cast(pl.String)
        if _an_id(spec):
            column = column.str.strip_chars(ID_SPACES)
            problems.append(_problem(frame, column.str.len_chars() == 0, name, BLANK_ID))
    if info.choices is not None:
        allowed = sorted(info.choices, key=str)
        problems.append(_problem(frame, ~column.is_in(allowed), name, f"Input should be one of {allowed}"))
    for op, value in _bounds(spec):
        if op == "min_length":
            problems.append(_problem(frame, column.str.len_chars() < value, name, f"at least {value} character(s)"))
        elif op == "not_blank":
            problems.append(_problem(frame, ~column.str.contains(value), name, BLANK_ID))
        else:
            problems.append(_problem(frame, ~_OPS[op](column, value), name, f"Input should be {op} {value}"))
    if default is not None:
        column = column.fill_null(pl.lit(default))
    return column


def _composite(frame: pl.DataFrame, model: type[BaseModel], name: str,
               problems: Problems) -> tuple[pl.DataFrame, list[pl.Expr]] | None:
    """The typed columns of a field without a native column form (a list of texts typed as
    such is read natively, the rest by distinct validation), with ``frame`` grown by the
    columns they read; None when a value cannot be held in a column as validated."""
    spec = model.model_fields[name]
    info = field_info(model, name)
    present = name in frame.columns and frame[name].null_count() < frame.height
    default = None if spec.is_required() else spec.get_default(call_default_factory=True)
    if spec.is_required():
        missing = pl.col(name).is_null() if present else pl.lit(True)
        problems.append(_problem(frame, missing, name, "Field required"))
    parts = composite_parts(model, name)
    defaults = flat_value(default, name, parts)
    if not present:
        return frame, [pl.lit(defaults[path], dtype).alias(path) for path, dtype in parts]
    listed = info.kind == "text" and info.is_collection and not spec.metadata  # a list's own limits: pydantic's
    native = text_list(frame, name, info) if listed else None
    if native is not None:
        sources = {name: native}
    else:
        read = read_distinct(frame, model, name)
        if read is None:
            return None
        frame = read.frame
        problems += [_problem(frame, bad, where, message) for where, message, bad in read.problems]
        sources = {path: pl.col(column) for column, path in read.names.items()}
    filled = [pl.when(pl.col(name).is_null()).then(pl.lit(defaults[path], dtype)).otherwise(sources[path]).alias(path)
              for path, dtype in parts]
    return frame, filled


def _zones(frame: pl.DataFrame, model: type[BaseModel], problems: Problems, zone: str | None) -> str | bool | None:
    """The one time zone of the batch's facts (False when they differ: row engine); each fact
    naming none is read in ``zone`` (its policies' zone), else in the model's default, as
    the row engine reads it, whatever zone the other facts name."""
    if "time_zone" not in model.model_fields:
        return None
    default = zone or str(model.model_fields["time_zone"].default)
    given = frame["time_zone"] if "time_zone" in frame.columns else pl.Series("time_zone", [None] * frame.height)
    names = set(given.drop_nulls().unique().to_list())
    if given.null_count() or not names:
        names.add(default)
    good = set()
    for name in names:
        try:
            load_zone(str(name))
            good.add(name)
        except (CsrulesError, ValueError):
            problems.append(_problem(frame, pl.col("time_zone") == name, "time_zone", f"unknown time zone {name!r}"))
    if len(good) > 1:
        return False
    return next(iter(good), default)


# --------------------------------------------------------------------------- derived fields


@lru_cache(maxsize=65_536)
def _midnight(zone: str, day: date) -> tuple[datetime, bool] | None:
    """The instant local ``day`` starts in ``zone`` (:func:`wall_instant` of its midnight) and
    whether its clocks read midnight then (False: a clock change skips it); None where
    Python's datetimes end."""
    try:
        start, local = wall_instant(datetime.combine(day, time(0)), load_zone(zone))
    except OverflowError:
        return None
    return start, local is not None


def _distinct_days(frame: pl.DataFrame, days: pl.Expr, zone: str) -> dict[date, tuple[datetime, bool]] | None:
    """Each distinct date of ``days`` with its :func:`_midnight` (None: a date has none)."""
    found = {}
    for day in frame.select(days.unique().drop_nulls()).to_series().to_list():
        midnight = _midnight(zone, day)
        if midnight is None:
            return None
        found[day] = midnight
    return found


def _midnights(frame: pl.DataFrame, days: pl.Expr, zone: str) -> pl.Expr | None:
    """The instant each local date of ``days`` starts in ``zone``, as the model places it
    (:func:`wall_to_utc` of its midnight: a midnight a clock change skips gives the instant the
    clocks jump, a repeated one its first occurrence), once per distinct date; None when a
    date has no such instant."""
    found = _distinct_days(frame, days, zone)
    if found is None:
        return None
    return days.replace_strict(list(found), [start for start, _ in found.values()], default=None,
                               return_dtype=INSTANT)


_WALLS = {"__ws": "start", "__we": "end", "__wr": "requested_at", "__wsh": "shift_start"}
"""The local wall clocks a leave request reads, by the column each is held in per batch."""



def _periods(span_us: pl.Expr) -> pl.Expr:
    """Whole days (24-hour periods) a span in microseconds reaches, rounded up, at least one:
    the columnar form of the model's ``_periods``."""
    return pl.max_horizontal(span_us + DAY_MICROS - 1, DAY_MICROS) // DAY_MICROS

def _leave(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """LeaveRequest's model validator per column: order check and every derived field, local
    dates and clocks read in ``zone`` as ``astimezone`` reads them (None: a value that cannot
    be read per column, and the row engine judges the batch). Each wall clock is computed
    once per batch, as a column."""
    shift_start = pl.coalesce(pl.col("shift_start"), pl.col("start"))
    problems.append(_problem(frame, pl.col("end") <= pl.col("start"), FACT, "leave must end after it starts"))
    handed = pl.col("certificate_handed_at").is_not_null()
    problems.append(_problem(frame, handed & pl.col("__certificate_given") & ~pl.col("certificate"), FACT,
                             CERTIFICATE_CONTRADICTED))
    full_day = pl.col("full_day_minutes").cast(pl.Int64) * 60_000_000  # a default is a 32-bit literal
    outside = (shift_start >= pl.col("end")) | ((pl.col("start") - shift_start).dt.total_microseconds() >= full_day)
    problems.append(_problem(frame, outside, FACT, SHIFT_START_OUTSIDE))
    sources = {"start": pl.col("start"), "end": pl.col("end"), "requested_at": pl.col("requested_at"),
               "shift_start": shift_start}
    walls = [local_wall(frame, sources[column], zone) for column in _WALLS.values()]
    try:
        frame = frame.with_columns(wall.alias(name) for name, wall in zip(_WALLS, walls, strict=True)
                                   if wall is not None)
    except pl.exceptions.PolarsError:
        return None
    if any(wall is None for wall in walls):
        return None
    starts = _leave_wall(frame, pl.col("start"), pl.col("__ws"), zone)
    ends = _leave_wall(frame, pl.col("end"), pl.col("__we"), zone)
    if starts is None or ends is None:
        return None
    wall_span = (ends - starts).dt.total_microseconds()
    # the model's days: 24-hour periods of local clock time spanned, rounded up, at least one
    spanned = _periods(wall_span)
    # the leave's wall-clock time inside the shifts (one of full_day from shift_start's clock each
    # day), as the model's _days_of_leave; real time only where the wall clock ran back

    def in_shifts(at: pl.Expr) -> pl.Expr:
        since = (at - pl.col("__wsh")).dt.total_microseconds().clip(lower_bound=0)
        return (since // DAY_MICROS) * full_day + pl.min_horizontal(since % DAY_MICROS, full_day)

    real = (pl.col("end") - pl.col("start")).dt.total_microseconds()
    days = (pl.when(pl.col("__days_given")).then(pl.col("days"))
            .when(wall_span > 0).then((in_shifts(ends) - in_shifts(starts)) / full_day)
            .otherwise(real / full_day))
    problems.append(_problem(frame, pl.col("__days_given") & (pl.col("days") > spanned), FACT, DAYS_BEYOND_SPAN))
    certificate = pl.when(pl.col("__certificate_given")).then(pl.col("certificate")).otherwise(handed)
    # back on the day after the last shift the leave reaches, never before the day it ends
    shifts = _leave_wall(frame, shift_start, pl.col("__wsh"), zone)
    if shifts is None:
        return None
    reached = _periods((ends - shifts).dt.total_microseconds())
    next_day = pl.max_horizontal(shifts.dt.date() + pl.duration(days=reached), pl.col("__we").dt.date())
    try:
        frame = frame.with_columns(next_day.cast(pl.Date).alias("__back"))
    except pl.exceptions.PolarsError:
        return None
    back = _midnights(frame, pl.col("__back"), zone)
    if back is None:
        return None
    requested, shift = pl.col("__wr"), pl.col("__wsh")
    return frame.with_columns(
        days.alias("days"),
        certificate.alias("certificate"),
        (pl.col("requested_by") == pl.col("agent_id")).alias("in_person"),
        requested.dt.time().alias("requested_clock"),
        (shift.dt.date() - requested.dt.date()).dt.total_days().cast(pl.Int64).alias("request_lead_days"),
        shift_start.alias("shift_start"),
        pl.col("end").alias("returned_at"),
        back.alias("first_day_back"),
    ).drop(*_WALLS, "__back")


def _leave_wall(frame: pl.DataFrame, instant: pl.Expr, wall: pl.Expr, zone: str) -> pl.Expr | None:
    """The model's local clock of a leave's start or end: ``wall``, except that the instant a
    local day starts reads as that day's midnight (where clocks jump at midnight, a day that
    starts at 01:00 is still a whole day). Only days whose midnight a clock change skips
    differ: elsewhere the instant a day starts reads midnight already."""
    day = wall.dt.date()
    found = _distinct_days(frame, day, zone)
    if found is None:
        return None
    skipped = {day: start for day, (start, kept) in found.items() if not kept}
    if not skipped:
        return wall
    midnight = day.replace_strict(list(skipped), list(skipped.values()), default=None,
                                  return_dtype=INSTANT)
    return pl.when(instant == midnight).then(day.cast(pl.Datetime("us"))).otherwise(wall)


DERIVED: dict[str, Callable[[pl.DataFrame, str, Problems], pl.DataFrame | None]] = {
    "leave_request": _leave, **MODEL_FORMS}
"""Fact types whose model validator has a columnar form, by name: checks and derived fields."""


_SAFE_CONFIG = frozenset({"frozen", "extra", "title", "json_schema_extra", "defer_build", "protected_namespaces",
                          "arbitrary_types_allowed", "use_attribute_docstrings", "validate_assignment",
                          "allow_inf_nan"})
"""Model settings that leave validated values as given (others strip, lower or coerce them);
``allow_inf_nan`` only refuses, and a batch holding inf or NaN goes to the row engine."""
_SAFE_METADATA = (annotated_types.Ge, annotated_types.Gt, annotated_types.Le, annotated_types.Lt,
                  annotated_types.MinLen)
"""Field constraints checked natively; a field with any other is read by distinct validation."""


def _plain_model(model: type[BaseModel]) -> bool:
    """Whether the model's values are read as given (no setting that rewrites them, no enum:
    a member is not the text a column holds)."""
    if not set(model.model_config) <= _SAFE_CONFIG:
        return False
    for name in model.model_fields:
        inner = field_info(model, name).annotation
        for arg in (inner, *get_args(inner)):
            if isinstance(arg, type) and issubclass(arg, enum.Enum):
                return False
    return True


def _zoned(model: type[BaseModel]) -> bool:
    """Whether the model's ``time_zone`` is the domain's zone field (an IANA name, checked)."""
    spec = model.model_fields.get("time_zone")
    extra = None if spec is None else spec.json_schema_extra
    return isinstance(extra, dict) and extra.get("time_zone") is True


def _native(frame: pl.DataFrame, model: type[BaseModel], name: str, info: Any) -> bool:
    """Whether field ``name`` is validated natively (else by distinct validation)."""
    if info.kind not in _NATIVE or info.is_collection:
        return False
    if not all(_checked_natively(item) for item in model.model_fields[name].metadata):
        return False
    return name not in frame.columns or _reads_natively(frame, name, info)


_GIVEN = ("days", "certificate", "status")
"""Fields whose default the domain models derive from other fields (``__<name>_given`` says
whether a row gave one)."""


def _typed(frame: pl.DataFrame, model: type[BaseModel], skip: set[str], problems: Problems,
           inserted: dict[str, Problems]) -> tuple[pl.DataFrame, list[pl.Expr]] | None:
    """The batch (grown by the columns distinct validation reads) and every field's typed
    columns; the problems of a field read elsewhere (``inserted``) keep the field's place."""
    columns: list[pl.Expr] = [pl.col(ROW)]
    for name in model.model_fields:
        problems += inserted.get(name, [])
        if name in skip:
            continue
        info = field_info(model, name)
        native = True  # not yet known
        if info.kind == "datetime" and name in frame.columns and frame.schema[name] == pl.String:
            parsed = None if info.is_collection else _text_instants(frame[name])
            if parsed is not None:  # read once here; every later step reads the instants
                frame = frame.with_columns(parsed.alias(name))
            native = parsed is not None  # texts that do not all read natively are not parsed again
        if native and _native(frame, model, name, info):
            columns.append(_column(frame, model, name, problems).alias(name))
            continue
        found = _composite(frame, model, name, problems)
        if found is None:
            return None
        frame, more = found
        columns += more
    for name in _GIVEN:  # a field whose value, when not given, the model derives from others
        if name in model.model_fields:
            given = pl.col(name).is_not_null() if name in frame.columns else pl.lit(False)
            columns.append(given.alias(f"__{name}_given"))
    return frame, columns


def prepare(spec: AuditSpec, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The batch's valid facts as typed columns (derived fields included) and the invalid
    cells (row, field, message); None when the fact type cannot be read per column."""
    model = spec.model
    derived = derived_sources(model)
    validators = model.__pydantic_decorators__
    own = spec.fact_type in DERIVED and model.__module__ == "csrules.domain.facts"
    if (derived or validators.model_validators) and not own:
        return None
    if validators.field_validators or any(info.alias for info in model.model_fields.values()):
        return None  # field validators and input aliases are the model's own: the row engine reads those
    if not _plain_model(model):
        return None
    if any(name in frame.columns and frame[name].null_count() < frame.height for name in derived):
        return None  # derived values given by the input must agree: the model checks that
    problems: Problems = []
    zone_problems: Problems = []
    policies_zone = fact_zones(spec.engine.policies).get(spec.fact_type)
    if isinstance(policies_zone, SplitZones):
        return None  # a fact naming no zone is refused: the row engine says so, fact by fact
    zone = _zones(frame, model, zone_problems, policies_zone) if _zoned(model) else None
    if zone is False:
        return None
    skip = {*derived, "time_zone"} if _zoned(model) else set(derived)
    found = _typed(frame, model, skip, problems, {"time_zone": zone_problems})
    if found is None:
        return None
    frame, columns = found
    typed = frame.select(columns)
    floats = [name for name, dtype in typed.schema.items() if dtype in (pl.Float32, pl.Float64)]
    odd = pl.col(floats).is_nan() | pl.col(floats).is_infinite()
    if floats and typed.select(pl.any_horizontal(odd.any())).item():
        # NaN orders above every number in Polars and below none in Python, and a fact refuses
        # inf or NaN (allow_inf_nan=False): the row engine reads them
        return None
    checks: Problems = []  # the model's own checks: pydantic runs them only on facts whose fields are valid
    if own:
        derived_typed = DERIVED[spec.fact_type](typed, str(zone), checks)
        if derived_typed is None:
            return None
        typed = derived_typed
    bad = _bad_rows(problems)
    if checks:
        whole = _bad_rows(checks)
        whole = whole.filter(~pl.col("row").is_in(bad["row"].implode()))
        bad = pl.concat([bad, whole]).sort("row", maintain_order=True)
    if zone is not None:  # the zone the batch's facts are read in: clock days count on its wall clock
        typed = typed.with_columns(pl.lit(str(zone)).alias(ZONE))
    return typed.filter(~pl.col(ROW).is_in(bad["row"].implode())), bad


# --------------------------------------------------------------------------- clock days


def _span_leaf(node: Elapsed | Notice, params: dict[str, Any], now: datetime | None,
               columns: set[str]) -> pl.Expr | bool | None:
    """An ``elapsed`` or ``notice`` whose clock duration counts whole days, as a column: ``until``
    against ``since`` plus the duration on the wall clock of the batch's zone (a fact type
    without ``time_zone``: the zone the row engine reads it in). False when its duration counts
    no days (compared as elapsed time); None when a column it reads is not there."""
    if isinstance(node, Elapsed):  # an int parameter read in its unit
        duration = node.limit(params)
    else:
        duration = node.duration if node.param is None else params[node.param]
    own = node.days_zone
    test = wall_span(duration, node.op, own, (node.since, node.until or "now"))
    if test is None:
        return False
    end = _literal(now) if node.until is None and now is not None else pl.col(node.until) if node.until else None
    if end is None or node.since not in columns or (node.until is not None and node.until not in columns):
        return None
    zone = pl.col(ZONE) if ZONE in columns else pl.lit(own)
    compared: pl.Expr = _OPS[node.op](end, reached_days(pl.col(node.since), test.days, test.rest, zone))
    return compared.fill_null(False)


# --------------------------------------------------------------------------- conditions


def _literal(value: Any) -> Any:
    if isinstance(value, datetime):
        return pl.lit(value.astimezone(UTC), INSTANT)
    if isinstance(value, timedelta | date | time):
        return pl.lit(value)
    return value


def compile_condition(cond: Any, model: type[BaseModel], params: dict[str, Any], now: datetime | None,
                      columns: set[str], leaves: list[Leaf] | None = None) -> pl.Expr | None:
    """``cond`` as a Polars expression over typed columns (a missing value makes a leaf false,
    as in the row engine); None when a kind or path cannot be vectorised. With ``leaves``, the
    kinds that need a look-up built from the batch (time kinds, ``contains``) compile to a
    column each, and their :class:`~csrules._audit.col_time.Leaf` is added to ``leaves``."""
    def leaf(path: str) -> pl.Expr | None:
        return pl.col(path) if path in columns else None

    def walk(node: Any) -> pl.Expr | None:
        if isinstance(node, All | Any_):
            parts = [walk(child) for child in node.of]
            if any(part is None for part in parts):
                return None
            if not parts:
                return pl.lit(isinstance(node, All))
            return reduce(operator.and_ if isinstance(node, All) else operator.or_, parts)
        if isinstance(node, Not):
            inner = walk(node.condition)
            return None if inner is None else ~inner
        if isinstance(node, IsSet | IsMissing):
            column = leaf(node.path)
            if column is None:
                return None
            return column.is_not_null() if isinstance(node, IsSet) else column.is_null()
        if isinstance(node, Compare):
            left = leaf(node.path)
            if node.field is not None:
                right: Any = leaf(node.field)
            elif node.param is not None:
                right = _literal(_plain(params[node.param]))
            else:
                right = _literal(coerce_literal(field_info(model, node.path), node.value))
            if left is None or right is None:
                return None
            compared: pl.Expr = _OPS[node.op](left, right)
            return compared.fill_null(False)
        if isinstance(node, In | NotIn):
            column = leaf(node.path)
            if column is None or node.field is not None:
                return None
            values = _members(field_info(model, node.path),
                              params[node.param] if node.param is not None else node.value)
            hit = column.is_in(values)
            return (hit if isinstance(node, In) else ~hit & column.is_not_null()).fill_null(False)
        spanned = _span_leaf(node, params, now, columns) if isinstance(node, Elapsed | Notice) else False
        if not isinstance(spanned, bool):
            return spanned
        if isinstance(node, Elapsed):
            start = leaf(node.since)
            end = leaf(node.until) if node.until is not None else _literal(now) if now is not None else None
            limit = _plain(node.limit(params))
            if start is None or end is None or not isinstance(limit, timedelta):
                return None
            elapsed: pl.Expr = _OPS[node.op](end - start, pl.lit(limit))
            return elapsed.fill_null(False)
        found = None if leaves is None else time_leaf(node, params, now, columns) or text_leaf(node, params, columns)
        if found is None or leaves is None:
            return None
        leaves.append(found)
        return pl.col(found.name)

    return walk(cond)


def _members(info: Any, values: Any) -> list[Any]:
    """The values of an ``in`` list a typed column can equal, of the column's own type: a
    whole-number column equals the integral values, a float column the values a float holds
    exactly (as Python's ``in`` finds ``1.0`` among ``{1}``)."""
    if info.kind != "number":
        return sorted(values, key=str)
    if "float" in str(info.annotation):
        return sorted({float(v) for v in values if float(v) == v})
    return sorted({int(v) for v in values if float(v).is_integer() and int(v) == v})


def _plain(value: Any) -> Any:
    delta = getattr(value, "delta", None)
    return delta if isinstance(delta, timedelta) else value


# --------------------------------------------------------------------------- effects


_META_NAMES = ("row", "fact_type", "subject", "team", "month")
Template = tuple[dict[str, Any], pl.Expr]
"""One effect's fixed output columns (with its rule's ``__order`` and its ``__position``) and
its due time as an expression over the judged facts."""


def _business_due(judged: pl.DataFrame, mask: str, effect: DueRule, now: datetime | None) -> pl.Expr | None:
    """A due time a business duration after a field or ``now``, asked of the calendar once per
    distinct start among the matched facts (None: the calendar cannot answer one; the row
    engine then reports the fact's error)."""
    calendar, amount = effect.calendar, effect.business
    assert calendar is not None  # the caller checked: a business due time
    assert amount is not None
    try:
        if effect.since is None:
            return pl.lit(None if now is None else calendar.add(now, amount).astimezone(UTC), INSTANT)
        starts = judged.filter(pl.col(mask)).select(pl.col(effect.since).unique().drop_nulls()).to_series().to_list()
        dues = [calendar.add(start, amount).astimezone(UTC) for start in starts]
    except (CsrulesError, ValueError, OverflowError, ArithmeticError):
        return None
    return pl.col(effect.since).replace_strict(starts, dues, default=None, return_dtype=INSTANT)


def _templates(judged: pl.DataFrame, mask: str, compiled: CompiledRule, order: int,
               now: datetime | None) -> list[Template] | None:
    """A rule's effects as output templates (None: a due time that cannot be computed per
    column: the row engine judges the rule)."""
    found: list[Template] = []
    for position, effect in enumerate(compiled.static_effects):
        due: pl.Expr = pl.lit(None, INSTANT)
        template = effect
        if isinstance(effect, DueRule):
            template = effect.template
            if effect.calendar is not None:
                business = None if effect.business is None else _business_due(judged, mask, effect, now)
                if business is None:
                    return None
                due = business
            else:
                start = pl.col(effect.since) if effect.since is not None else pl.lit(
                    None if now is None else now.astimezone(UTC), INSTANT)
                zone = pl.col(ZONE) if ZONE in judged.columns else pl.lit(effect.zone)
                due = reached_days(start, effect.days, effect.delta - timedelta(days=effect.days), zone)
        row = effect_row((0, "", None, None, None), compiled.policy_id, compiled.rule_id, template)
        row.update(__order=order, __position=position)
        found.append((row, due))
    return found


_FIXED = [name for name in ROW_SCHEMA.names[5:] if name != "due"]
"""The output columns an effect fixes (the rest come from the fact's meta row and due time)."""


def _effect_rows(judged: pl.DataFrame, metas: pl.DataFrame, masks: list[tuple[str, list[Template]]],
                 clean: pl.Expr | None) -> pl.DataFrame:
    """The rows of every matched effect (and, with ``clean``, a clean row for each fact it
    selects), by row and then in rule and effect order; ``metas`` is row for row with
    ``judged``. Only row positions and template numbers are gathered and sorted: the text
    columns are picked once, in output order, from the meta rows and the templates."""
    lazy = judged.lazy().with_row_index("__i")
    templates: list[dict[str, Any]] = []
    parts: list[pl.LazyFrame] = []
    for mask, found in masks:
        for row, due in found:
            number = pl.lit(len(templates), pl.UInt32).alias("__t")
            parts.append(lazy.filter(pl.col(mask)).select("__i", number, due.cast(INSTANT).alias("due")))
            templates.append(row)
    if clean is not None:
        number = pl.lit(len(templates), pl.UInt32).alias("__t")
        parts.append(lazy.filter(clean).select("__i", number, pl.lit(None, INSTANT).alias("due")))
        templates.append({"effect": "clean", "outcome": "clean", "__order": -1, "__position": 0})
    empty = pl.DataFrame(schema={"__i": pl.UInt32, "__t": pl.UInt32, "due": INSTANT})
    order = pl.concat(parts).collect() if parts else empty
    order = order.with_columns(judged[ROW].gather(order["__i"]).alias("__row")).sort("__row", maintain_order=True)
    schema = _schema()
    fixed = pl.DataFrame([[row.get(name) for row in templates] for name in _FIXED],
                         schema={name: schema[name] for name in _FIXED})
    ranks = pl.DataFrame({"__order": [row["__order"] for row in templates],
                          "__position": [row["__position"] for row in templates]}, schema={
                              "__order": pl.Int64, "__position": pl.Int64})
    picked = [metas.select(pl.col(list(_META_NAMES)).gather(order["__i"])), order.select("due"),
              pl.concat([fixed, ranks], how="horizontal").select(pl.all().gather(order["__t"]))]
    return pl.concat(picked, how="horizontal").select(*ROW_SCHEMA.names, "__order", "__position")


def _fallback_engine(spec: AuditSpec, keep: set[tuple[str, str]]) -> Engine:
    """An engine of only the rules ``keep`` (policy id, rule id), built once per spec."""
    key = "fallback:" + ",".join(sorted(f"{p}/{r}" for p, r in keep))
    engine = spec._cache.get(key)
    if engine is None:
        policies = []
        for policy in spec.engine.policies:
            if policy.fact_type != spec.fact_type:
                continue
            rules = [rule for rule in policy.rules if (policy.id, rule.id) in keep]
            if rules:
                data = policy.model_dump(mode="python")
                data["rules"] = rules
                policies.append(Policy(**data))
        engine = spec._cache[key] = Engine(policies)
    return engine


def _plan(spec: AuditSpec, columns: set[str]) -> Planned:
    """Each rule judging the fact type, its position, its expression (None: row engine) and
    the look-ups it reads."""
    key = "plan:" + ",".join(sorted(columns))
    found: Planned | None = spec._cache.get(key)
    if found is None:
        found = []
        order = 0
        for policy in spec.engine.policies:
            if policy.fact_type != spec.fact_type:
                continue
            params = policy.param_values
            for rule in policy.rules:
                expr = None
                leaves: list[Leaf] = []
                if policy.hit_policy == "collect":
                    expr = compile_condition(rule.when, spec.model, params, spec.now, columns, leaves)
                found.append((policy, rule, order, expr, tuple(leaves)))
                order += 1
        spec._cache[key] = found
    return found


def judge_columnar(spec: AuditSpec, frame: pl.DataFrame) -> pl.DataFrame | None:
    """The decision rows of a batch by the columnar path (the columns of :data:`ROW_SCHEMA`);
    None when the fact type (or every rule) needs the row engine."""
    if any(policy.dated for policy in spec.engine.policies if policy.fact_type == spec.fact_type):
        return None  # the version in force is chosen per row, by its own day: the row engine's job
    prepared = prepare(spec, frame)
    if prepared is None:
        return None
    facts, bad = prepared
    facts, plan = _with_leaves(facts, _plan(spec, set(facts.columns)))
    if all(expr is None for *_, expr in plan):
        return None
    metas = meta_frame(spec, frame)
    valid_metas = metas.filter(~pl.col("row").is_in(bad["row"].implode()))  # row for row with facts
    vectorised = [(f"__r{order}", expr) for *_, order, expr in plan if expr is not None]
    judged = facts.with_columns(expr.alias(name) for name, expr in vectorised)
    masks: list[tuple[str, list[Template]]] = []
    fallback: set[tuple[str, str]] = set()
    for policy, rule, order, expr in plan:
        compiled = spec._cache.get(f"effects:{order}")
        if compiled is None:
            compiled = spec._cache[f"effects:{order}"] = CompiledRule.of(policy, rule)
        found = None if expr is None else _templates(judged, f"__r{order}", compiled, order, spec.now)
        if found is None:
            fallback.add((policy.id, rule.id))
        else:
            masks.append((f"__r{order}", found))
    # a fact no rule matched has its clean row (with fallback rules, once those are judged too)
    clean = None if fallback else ~reduce(operator.or_, [pl.col(name) for name, _ in vectorised])
    rows = _effect_rows(judged, valid_metas, masks, clean)
    if fallback:
        rows = _with_fallback(spec, frame.filter(pl.col(ROW).is_in(facts[ROW].implode())), valid_metas, rows, plan,
                              fallback)
        rows = rows.sort("row", "__order", "__position", maintain_order=True)
    rows = rows.select(ROW_SCHEMA.names)
    if bad.height:
        refused = _refused(spec, frame, metas, bad["row"].unique().implode())
        rows = pl.concat([rows, refused.cast(rows.schema)]).sort("row", maintain_order=True)
    return rows


def _refused(spec: AuditSpec, frame: pl.DataFrame, metas: pl.DataFrame, numbers: pl.Series) -> pl.DataFrame:
    """The rows of the facts (input rows ``numbers``) the columnar checks refused, judged by
    the row engine: a fact's problems read the same (wording, order, every problem) whichever
    path judged its batch."""
    facts = frame.filter(pl.col(ROW).is_in(numbers))
    found = judge_rows(spec.engine, spec, facts, metas.filter(pl.col("row").is_in(numbers)))
    rows = pl.from_arrow(pa.Table.from_batches([rows_batch(found)], schema=ROW_SCHEMA))
    assert isinstance(rows, pl.DataFrame)
    return rows


Plan = list[tuple[Policy, Rule, int, pl.Expr | None]]
"""Each rule judging the fact type, its position, and its expression (None: row engine)."""
Planned = list[tuple[Policy, Rule, int, pl.Expr | None, tuple[Leaf, ...]]]
"""A :data:`Plan` with the look-ups each rule's expression reads."""


def _with_leaves(facts: pl.DataFrame, planned: Planned) -> tuple[pl.DataFrame, Plan]:
    """The facts with every look-up column the plan reads, and the plan for this batch: a
    rule whose look-up cannot be built for it goes to the row engine."""
    answers: dict[str, pl.Series | None] = {}
    memo: dict[Any, Any] = {}
    plan: Plan = []
    for policy, rule, order, expr, leaves in planned:
        for leaf in leaves:
            if leaf.name not in answers:
                answers[leaf.name] = leaf.compute(facts, memo)
        if any(answers[leaf.name] is None for leaf in leaves):
            expr = None
        plan.append((policy, rule, order, expr))
    columns = [answer.alias(name) for name, answer in answers.items() if answer is not None]
    return (facts.with_columns(columns) if columns else facts), plan


_AFTER_EFFECTS = 1 << 40
"""Added to an error row's rule position: a decision lists every rule's effects, then the errors."""


def _with_fallback(spec: AuditSpec, valid: pl.DataFrame, metas: pl.DataFrame, rows: pl.DataFrame, plan: Plan,
                   fallback: set[tuple[str, str]]) -> pl.DataFrame:
    """``rows`` with the fallback rules' rows (row engine) and the clean rows of facts no rule
    matched; a fact whose rules failed as a whole (a due time that cannot be computed) keeps
    only that error row, as the row engine reports it."""
    extra = pl.from_dicts(judge_rows(_fallback_engine(spec, fallback), spec, valid, metas),
                         schema=pl.Schema(_schema()))
    orders = pl.DataFrame([(p.id, r.id, order) for p, r, order, _ in plan], orient="row",
                          schema={"policy": pl.String, "rule": pl.String, "__order": pl.Int64})
    error = pl.col("effect") == "error"
    extra = extra.filter(pl.col("effect") != "clean").join(orders, on=["policy", "rule"], how="left",
                                                           maintain_order="left", nulls_equal=True)
    extra = extra.with_columns(
        (pl.col("__order").fill_null(-1) + pl.when(error).then(_AFTER_EFFECTS).otherwise(0)).alias("__order"),
        pl.int_range(pl.len()).over("row", "policy", "rule").cast(pl.Int64).alias("__position"),
    )
    failed = extra.filter(error & pl.col("rule").is_null())["row"]
    if failed.len():
        rows = rows.filter(~pl.col("row").is_in(failed.implode()))
    rows = pl.concat([rows, extra], how="vertical_relaxed")
    clean = metas.join(rows.select("row"), on="row", how="anti")
    return pl.concat([rows, _padded(clean.lazy()).collect()], how="vertical_relaxed")


def _schema() -> dict[str, pl.DataType]:
    empty = pl.from_arrow(ROW_SCHEMA.empty_table())
    assert isinstance(empty, pl.DataFrame)
    return dict(empty.schema)


def _padded(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` (meta columns) as "clean" rows, every output column present, sorted before a
    fact's rule rows."""
    schema = _schema()
    have = {*frame.collect_schema().names(), "effect", "outcome"}
    return frame.with_columns(
        *(pl.lit(None, dtype).alias(name) for name, dtype in schema.items() if name not in have),
        pl.lit("clean").alias("effect"), pl.lit("clean").alias("outcome"),
        pl.lit(-1, pl.Int64).alias("__order"), pl.lit(0, pl.Int64).alias("__position"),
    ).select(*schema, "__order", "__position")
