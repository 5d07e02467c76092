"""The columnar path: facts validated per column, derived fields computed per column, and
each rule's condition compiled to one Polars expression over the whole batch.

Polars (over Arrow compute) because one expression tree evaluates a whole condition in one
pass, with nulls, time zones and durations handled natively. What is vectorised:

- validation of text, number, flag and datetime fields (required, choices, length and bounds),
  a bad row reported with its row number and field while the others are audited;
- derived fields of fact types with a columnar form (:data:`DERIVED`: leave requests);
- the kinds ``all``, ``any``, ``not``, ``compare``, ``in``, ``not_in``, ``is_set``,
  ``is_missing`` and ``elapsed`` (instants in UTC), and obligations due a clock duration after
  a field or ``now``.

A rule using anything else (``contains``, the time kinds, business-time due dates, a policy
that keeps only the first or highest-priority match) falls back, that rule alone, to the row
engine over the same batch; a fact type without a columnar form is judged by the row engine.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, reduce
from typing import Any

import annotated_types
import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from csrules._audit.batch import AuditSpec, judge_rows, meta_frame
from csrules._audit.inputs import ROW
from csrules._audit.rows import ROW_SCHEMA, effect_row
from csrules._engine.compile import CompiledRule, DueRule
from csrules._engine.engine import Engine
from csrules._policy.facts import field_info
from csrules._policy.kinds.core import All, Any_, Compare, Elapsed, In, IsMissing, IsSet, Not, NotIn, coerce_literal
from csrules._policy.model import Policy, Rule
from csrules._time.calendar import load_zone
from csrules.domain.facts import derived_sources
from csrules.exceptions import CsrulesError

__all__ = ["DERIVED", "compile_condition", "judge_columnar", "prepare"]

Problem = tuple[pl.DataFrame, pl.Expr, str, str]
"""A check of a batch: the frame, which rows fail it, the field and the message."""
Problems = list[Problem]
"""The checks of a batch, evaluated together by :func:`_bad_rows`."""

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_ISO = tuple(f"%Y-%m-%d{sep}%H:%M{secs}{zone}" for sep in "T " for secs in (":%S%.f", "") for zone in ("%:z", "%z"))
"""The ISO 8601 forms of an aware datetime that pydantic reads: seconds optional, offsets with or
without a colon (``Z`` is read as +00:00)."""


# --------------------------------------------------------------------------- validation


def _problem(frame: pl.DataFrame, bad: pl.Expr, name: str, message: str) -> Problem:
    return frame, bad, name, message


def _bad_rows(problems: Problems) -> pl.DataFrame:
    """Every failed check as (row, field, message), the first per row and field; each frame's
    checks run in one pass, and a batch with nothing wrong costs that pass alone."""
    found = []
    frames: dict[int, tuple[pl.DataFrame, list[Problem]]] = {}
    for problem in problems:
        frames.setdefault(id(problem[0]), (problem[0], []))[1].append(problem)
    for frame, checks in frames.values():
        masks = frame.select(pl.col(ROW), *(bad.fill_null(False).alias(f"__p{i}") for i, (_, bad, _, _) in
                                            enumerate(checks)))
        if not masks.select(pl.any_horizontal(pl.exclude(ROW)).any()).item():
            continue
        for index, (_, _, name, message) in enumerate(checks):
            hits = masks.filter(pl.col(f"__p{index}"))
            if hits.height:
                found.append(hits.select(pl.col(ROW).alias("row"), pl.lit(name).alias("field"),
                                         pl.lit(message).alias("message")))
    if not found:
        return pl.DataFrame(schema={"row": pl.Int64, "field": pl.String, "message": pl.String})
    return pl.concat(found).unique(["row", "field"], keep="first", maintain_order=True)


def _instants(column: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """The column as UTC instants, and which given values are not aware datetimes."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return pl.lit(None, pl.Datetime("us", "UTC")), column.is_not_null()
        return column.dt.convert_time_zone("UTC").dt.cast_time_unit("us"), pl.lit(False)
    text = column.cast(pl.String).str.replace(r"Z$", "+00:00")
    parsed = pl.coalesce(
        *(text.str.to_datetime(fmt, time_zone="UTC", strict=False, time_unit="us") for fmt in _ISO)
    )
    return parsed, column.is_not_null() & parsed.is_null()


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
    return found


def _column(frame: pl.DataFrame, model: type[BaseModel], name: str, problems: Problems) -> pl.Expr | None:
    """The typed column of field ``name`` (defaults filled); bad cells go to ``problems``.
    None when the field cannot be read per column (the row engine then reads the batch)."""
    spec = model.model_fields[name]
    info = field_info(model, name)
    present = name in frame.columns and frame[name].null_count() < frame.height
    default = None if spec.is_required() else spec.get_default(call_default_factory=True)
    if info.is_collection or info.kind not in ("bool", "number", "text", "datetime"):
        return None if present or (spec.is_required()) else pl.lit(default)
    if not present:
        if spec.is_required():
            problems.append(_problem(frame, pl.lit(True), name, "Field required"))
        if info.kind == "datetime":
            return pl.lit(default, pl.Datetime("us", "UTC"))
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
    if info.choices is not None:
        allowed = sorted(info.choices, key=str)
        problems.append(_problem(frame, ~column.is_in(allowed), name, f"Input should be one of {allowed}"))
    for op, value in _bounds(spec):
        if op == "min_length":
            problems.append(_problem(frame, column.str.len_chars() < value, name, f"at least {value} character(s)"))
        else:
            problems.append(_problem(frame, ~_OPS[op](column, value), name, f"Input should be {op} {value}"))
    if default is not None:
        column = column.fill_null(pl.lit(default))
    return column


def _zones(frame: pl.DataFrame, model: type[BaseModel], problems: Problems) -> str | bool | None:
    """The one time zone of the batch's facts (False when they differ: row engine)."""
    if "time_zone" not in model.model_fields:
        return None
    default = str(model.model_fields["time_zone"].default)
    names = set(frame["time_zone"].drop_nulls().unique().to_list()) if "time_zone" in frame.columns else set()
    names = names or {default}
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


def _fixed_offset(frame: pl.DataFrame, columns: list[str], zone: str) -> timedelta | None:
    """The one UTC offset ``zone`` keeps over the days of ``frame``'s instants in ``columns``
    (and two days either side, which derived days such as the first day back reach); None
    when it changes there: a clock change moves a local midnight, or makes one not exist or
    happen twice, and the row engine places those exactly."""
    ends = frame.select(pl.min_horizontal(pl.col(columns).min()).alias("a"),
                        pl.max_horizontal(pl.col(columns).max()).alias("b")).row(0)
    if ends[0] is None:
        return timedelta(0)  # no instants: nothing is read in the zone
    return _offset_over(zone, ends[0].astimezone(UTC).date(), ends[1].astimezone(UTC).date())


@lru_cache(maxsize=256)
def _offset_over(zone: str, first_day: date, last_day: date) -> timedelta | None:
    """The one offset ``zone`` keeps from two days before ``first_day`` to two days after
    ``last_day`` (UTC days, checked hour by hour; once per span); None when it changes."""
    if last_day - first_day > timedelta(days=366 * 20):
        return None
    place = load_zone(zone)
    at = datetime.combine(first_day - timedelta(days=2), time(0), tzinfo=UTC)
    last = datetime.combine(last_day + timedelta(days=3), time(0), tzinfo=UTC)
    offset: timedelta | None = at.astimezone(place).utcoffset()
    while at <= last:
        if at.astimezone(place).utcoffset() != offset:
            return None
        at += timedelta(hours=1)
    return offset


def _leave(frame: pl.DataFrame, zone: str, problems: Problems) -> pl.DataFrame | None:
    """LeaveRequest's model validator per column: order check and every derived field
    (None: the zone changes its offset over the batch, and the row engine judges it)."""
    shift_start = pl.coalesce(pl.col("shift_start"), pl.col("start"))
    offset = _fixed_offset(frame.with_columns(shift_start.alias("__shift")),
                           ["start", "end", "requested_at", "__shift"], zone)
    if offset is None:
        return None
    problems.append(_problem(frame, pl.col("end") <= pl.col("start"), "end", "leave must end after it starts"))

    def local(column: pl.Expr) -> pl.Expr:
        return column.dt.replace_time_zone(None) + offset

    first = local(pl.col("start")).dt.date()
    requested = local(pl.col("requested_at"))
    # LeaveRequest's days: 24-hour periods spanned, rounded up (one offset: wall = real time)
    day_us = 86_400_000_000
    length = (pl.col("end") - pl.col("start")).dt.total_microseconds()
    spanned = pl.max_horizontal(length + day_us - 1, day_us) // day_us
    days = pl.when(pl.col("__days_given")).then(pl.col("days")).otherwise(spanned.cast(pl.Float64))
    back = pl.max_horizontal(first + pl.duration(days=spanned), local(pl.col("end")).dt.date())
    next_day = back.cast(pl.Datetime("us"))
    return frame.with_columns(
        days.alias("days"),
        (pl.col("requested_by") == pl.col("agent_id")).alias("in_person"),
        requested.dt.time().alias("requested_clock"),
        (local(shift_start).dt.date() - requested.dt.date()).dt.total_days()
        .cast(pl.Int64).alias("request_lead_days"),
        shift_start.alias("shift_start"),
        pl.col("end").alias("returned_at"),
        (next_day - offset).dt.replace_time_zone("UTC").alias("first_day_back"),
    )


DERIVED: dict[str, Callable[[pl.DataFrame, str, Problems], pl.DataFrame | None]] = {"leave_request": _leave}
"""Fact types whose model validator has a columnar form, by name: checks and derived fields."""


def prepare(spec: AuditSpec, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The batch's valid facts as typed columns (derived fields included) and the invalid
    cells (row, field, message); None when the fact type cannot be read per column."""
    model = spec.model
    derived = derived_sources(model)
    validators = model.__pydantic_decorators__
    if (derived or validators.model_validators) and spec.fact_type not in DERIVED:
        return None
    if validators.field_validators or any(info.alias for info in model.model_fields.values()):
        return None  # field validators and input aliases are the model's own: the row engine reads those
    if any(name in frame.columns and frame[name].null_count() < frame.height for name in derived):
        return None  # derived values given by the input must agree: the model checks that
    problems: Problems = []
    zone = _zones(frame, model, problems)
    if zone is False:
        return None
    columns: list[pl.Expr] = [pl.col(ROW)]
    for name in model.model_fields:
        if name in derived or name == "time_zone":
            continue
        column = _column(frame, model, name, problems)
        if column is None:
            return None
        columns.append(column.alias(name))
    if "days" in model.model_fields:
        given = pl.col("days").is_not_null() if "days" in frame.columns else pl.lit(False)
        columns.append(given.alias("__days_given"))
    typed = frame.select(columns)
    if spec.fact_type in DERIVED:
        derived_typed = DERIVED[spec.fact_type](typed, str(zone), problems)
        if derived_typed is None:
            return None
        typed = derived_typed
    bad = _bad_rows(problems)
    return typed.filter(~pl.col(ROW).is_in(bad["row"].implode())), bad


# --------------------------------------------------------------------------- conditions


def _literal(value: Any) -> Any:
    if isinstance(value, datetime):
        return pl.lit(value.astimezone(UTC), pl.Datetime("us", "UTC"))
    if isinstance(value, timedelta | date | time):
        return pl.lit(value)
    return value


def compile_condition(cond: Any, model: type[BaseModel], params: dict[str, Any], now: datetime | None,
                      columns: set[str]) -> pl.Expr | None:
    """``cond`` as a Polars expression over typed columns (a missing value makes a leaf false,
    as in the row engine); None when a kind or path cannot be vectorised."""
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
            values = sorted(params[node.param] if node.param is not None else node.value, key=str)
            hit = column.is_in(values)
            return (hit if isinstance(node, In) else ~hit & column.is_not_null()).fill_null(False)
        if isinstance(node, Elapsed):
            start = leaf(node.since)
            end = leaf(node.until) if node.until is not None else _literal(now) if now is not None else None
            limit = _plain(node.duration if node.param is None else params[node.param])
            if start is None or end is None or not isinstance(limit, timedelta):
                return None
            elapsed: pl.Expr = _OPS[node.op](end - start, pl.lit(limit))
            return elapsed.fill_null(False)
        return None

    return walk(cond)


def _plain(value: Any) -> Any:
    delta = getattr(value, "delta", None)
    return delta if isinstance(delta, timedelta) else value


# --------------------------------------------------------------------------- effects


_META_NAMES = ("row", "fact_type", "subject", "team", "month")
_META = [pl.col(f"__m_{name}").alias(name) for name in _META_NAMES]
"""The meta columns, kept under other names beside the facts' fields (a fact may have a ``subject``)."""


def _effect_frames(facts: pl.LazyFrame, mask: str, compiled: CompiledRule, order: int,
                   now: datetime | None) -> list[pl.LazyFrame] | None:
    """The rows of a rule's effects for the facts whose ``mask`` column holds (None: a due
    time that cannot be computed per column)."""
    policy_id, rule_id = compiled.policy_id, compiled.rule_id
    matched = facts.filter(pl.col(mask))
    frames = []
    for position, effect in enumerate(compiled.static_effects):
        due: pl.Expr = pl.lit(None, pl.Datetime("us", "UTC"))
        template = effect
        if isinstance(effect, DueRule):
            if effect.calendar is not None:
                return None
            template = effect.template
            if effect.since is None:
                due = pl.lit(None if now is None else now.astimezone(UTC) + effect.delta, pl.Datetime("us", "UTC"))
            else:
                due = pl.col(effect.since) + effect.delta
        row = effect_row((0, "", None, None, None), policy_id, rule_id, template)
        fixed = [pl.lit(row.get(name), pl.String).alias(name) for name in ROW_SCHEMA.names[5:] if name != "due"]
        frames.append(matched.select(
            *_META, *fixed, due.alias("due"), pl.lit(order, pl.Int64).alias("__order"),
            pl.lit(position, pl.Int64).alias("__position"),
        ).select(*ROW_SCHEMA.names, "__order", "__position"))
    return frames


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


def _plan(spec: AuditSpec, columns: set[str]) -> list[tuple[Policy, Rule, int, pl.Expr | None]]:
    """Each rule judging the fact type, its position, and its expression (None: row engine)."""
    key = "plan:" + ",".join(sorted(columns))
    found: list[tuple[Policy, Rule, int, pl.Expr | None]] | None = spec._cache.get(key)
    if found is None:
        found = []
        order = 0
        for policy in spec.engine.policies:
            if policy.fact_type != spec.fact_type:
                continue
            params = policy.param_values
            for rule in policy.rules:
                expr = None
                if policy.hit_policy == "collect":
                    expr = compile_condition(rule.when, spec.model, params, spec.now, columns)
                found.append((policy, rule, order, expr))
                order += 1
        spec._cache[key] = found
    return found


def judge_columnar(spec: AuditSpec, frame: pl.DataFrame) -> pa.Table | None:
    """The decision rows of a batch by the columnar path; None when the fact type (or every
    rule) needs the row engine."""
    if any(policy.dated for policy in spec.engine.policies if policy.fact_type == spec.fact_type):
        return None  # the version in force is chosen per row, by its own day: the row engine's job
    prepared = prepare(spec, frame)
    if prepared is None:
        return None
    facts, bad = prepared
    plan = _plan(spec, set(facts.columns))
    if all(expr is None for *_, expr in plan):
        return None
    metas = meta_frame(spec, frame)
    valid = metas.filter(~pl.col("row").is_in(bad["row"].implode()))
    vectorised = [(f"__r{order}", expr) for *_, order, expr in plan if expr is not None]
    valid = valid.rename({name: f"__m_{name}" for name in _META_NAMES})
    judged = pl.concat([facts, valid], how="horizontal").with_columns(expr.alias(name) for name, expr in vectorised)
    lazy = judged.lazy()
    parts: list[pl.LazyFrame] = []
    fallback: set[tuple[str, str]] = set()
    for policy, rule, order, expr in plan:
        compiled = spec._cache.get(f"effects:{order}")
        if compiled is None:
            compiled = spec._cache[f"effects:{order}"] = CompiledRule.of(policy, rule)
        found = None if expr is None else _effect_frames(lazy, f"__r{order}", compiled, order, spec.now)
        if found is None:
            fallback.add((policy.id, rule.id))
        else:
            parts += found
    if not fallback:  # a fact no rule matched has its clean row
        matched_any = reduce(operator.or_, [pl.col(name) for name, _ in vectorised])
        parts.append(_padded(lazy.filter(~matched_any).select(*_META), "clean"))
    parts.append(_padded(metas.lazy().join(bad.lazy(), on="row"), "invalid"))
    rows = pl.concat(parts, how="vertical_relaxed").collect()
    if fallback:
        rows = _with_fallback(spec, frame.filter(pl.col(ROW).is_in(facts[ROW].implode())), rows, plan, fallback)
        rows = rows.sort("row", "__order", "__position")
    else:
        rows = rows.sort("row", maintain_order=True)  # within a fact: rule order, as concatenated
    return rows.select(ROW_SCHEMA.names).to_arrow().cast(ROW_SCHEMA)


Plan = list[tuple[Policy, Rule, int, pl.Expr | None]]
"""Each rule judging the fact type, its position, and its expression (None: row engine)."""


def _with_fallback(spec: AuditSpec, valid: pl.DataFrame, rows: pl.DataFrame, plan: Plan,
                   fallback: set[tuple[str, str]]) -> pl.DataFrame:
    """``rows`` with the fallback rules' rows (row engine) and the clean rows of facts no rule matched."""
    extra = pl.from_dicts(judge_rows(_fallback_engine(spec, fallback), spec, valid), schema=pl.Schema(_schema()))
    order_of = {(p.id, r.id): order for p, r, order, _ in plan}
    extra = extra.filter(pl.col("effect") != "clean").with_columns(
        pl.struct("policy", "rule").map_elements(lambda s: order_of.get((s["policy"], s["rule"]), -1),
                                                  return_dtype=pl.Int64).alias("__order"),
        pl.int_range(pl.len()).over("row", "policy", "rule").cast(pl.Int64).alias("__position"),
    )
    rows = pl.concat([rows, extra], how="vertical_relaxed")
    clean = meta_frame(spec, valid).join(rows.select("row"), on="row", how="anti")
    return pl.concat([rows, _padded(clean.lazy(), "clean").collect()], how="vertical_relaxed")


def _schema() -> dict[str, pl.DataType]:
    empty = pl.from_arrow(ROW_SCHEMA.empty_table())
    assert isinstance(empty, pl.DataFrame)
    return dict(empty.schema)


def _padded(frame: pl.LazyFrame, effect: str) -> pl.LazyFrame:
    """``frame`` (meta columns, and field and message for invalid rows) as rows of ``effect``,
    every output column present, sorted before a fact's rule rows."""
    schema = _schema()
    have = {*frame.collect_schema().names(), "effect", "outcome"}
    return frame.with_columns(
        *(pl.lit(None, dtype).alias(name) for name, dtype in schema.items() if name not in have),
        pl.lit(effect).alias("effect"), pl.lit(effect).alias("outcome"),
        pl.lit(-1, pl.Int64).alias("__order"), pl.lit(0, pl.Int64).alias("__position"),
    ).select(*schema, "__order", "__position")
