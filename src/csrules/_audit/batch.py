"""The per-batch function: Arrow in, Arrow out. Local workers, Dask, Spark (``mapInArrow``)
and Ray (``map_batches``) all call :func:`audit_batch` with the same :class:`AuditSpec`.

Each batch is judged by the columnar path (:mod:`csrules._audit.columnar`) where the fact
type and its rules allow, and by the row engine for the rest, rule by rule; both give the
rows of :mod:`csrules._audit.rows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from csrules._audit.col_zone import local_wall
from csrules._audit.inputs import ROW, given
from csrules._audit.instants import INSTANT, read_instants
from csrules._audit.rows import ROW_SCHEMA, RowMeta, decision_rows, invalid_rows, rows_batch
from csrules._audit.summary import Counts, Partial, partial, portable
from csrules._engine.engine import Engine
from csrules._engine.record import subject_field
from csrules._policy.facts import field_info, get_fact_type
from csrules._time.clock import DAY_MICROS
from csrules.domain.facts import ID_SPACES
from csrules.exceptions import FactError

__all__ = [
    "AuditSpec", "Judged", "as_instant", "audit_batch", "given", "judge_rows", "judged", "judged_on_a_cluster",
    "meta_frame",
]

_EPOCH = date(1970, 1, 1)

@dataclass(frozen=True)
class AuditSpec:
    """What every batch of one audit needs; picklable (the engine travels as its policies).

    ``subject``, ``team`` and ``time`` name the columns the summaries group by (the subject
    defaults to the one decision records name: the model's ``__subject__`` path, else a
    known field such as ``agent_id``; the month to the model's first datetime field, read in
    ``zone``); ``columnar=False`` judges every row with the row engine. ``extra_columns``
    are columns that are no field of the model and ride along unjudged (any other is refused).
    """

    engine: Engine
    fact_type: str
    now: datetime | None = None
    subject: str | None = None
    team: str | None = "team"
    time: str | None = None
    zone: str = "Asia/Shanghai"
    columnar: bool = True
    extra_columns: tuple[str, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}  # compiled columnar plans are rebuilt where they are used
        state.pop("model", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @cached_property
    def model(self) -> type[BaseModel]:
        """The fact model of :attr:`fact_type`."""
        return get_fact_type(self.fact_type)

    def subject_field(self) -> str | None:
        """The subject's column or dotted path: the one named, else the one decision records
        name (:func:`csrules.records.subject_field`), so an audit and a record agree."""
        return self.subject if self.subject is not None else subject_field(self.model)

    def passed_columns(self) -> tuple[str, ...]:
        """The columns read beside the fact's fields (team, subject, time) or let through."""
        read = (self.team, self.subject_field(), self.time_field())
        return (*(name.split(".")[0] for name in read if name), *self.extra_columns)

    def time_columns(self) -> frozenset[str]:
        """The model's datetime fields (a ``where`` condition compares them as instants)."""
        return frozenset(name for name in self.model.model_fields
                         if (info := field_info(self.model, name)).kind == "datetime" and not info.is_collection)

    def time_field(self) -> str | None:
        """The column the month is read from: the one named, else the model's first datetime field."""
        if self.time is not None:
            return self.time
        for name in self.model.model_fields:
            info = field_info(self.model, name)
            if info.kind == "datetime" and not info.is_collection:
                return name
        return None


def as_instant(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A timestamp (or aware ISO 8601 text) column as UTC instants, each text read on its own;
    null where the fact model refuses the value (a timestamp or text without a zone)."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:  # no zone: every row is invalid, its instant unknown
            return pl.when(pl.lit(False)).then(column.dt.replace_time_zone("UTC"))
        return column.dt.convert_time_zone("UTC")
    return column.map_batches(read_instants, return_dtype=INSTANT)


def _path(path: str | None, columns: pl.Schema, model: type[BaseModel]) -> pl.Expr:
    """The text at dotted ``path`` of each row: a column of that name, else a struct column's
    field (``requester.agent_id``), else the model's default (as the validated fact has it)."""
    text = pl.String
    if not path:
        return pl.lit(None, text)
    head, *rest = path.split(".")
    found: pl.Expr | None = None
    if path in columns:
        found = pl.col(path)
    elif head in columns:
        found = pl.col(head)
        dtype: Any = columns[head]
        for part in rest:
            if not isinstance(dtype, pl.Struct) or part not in dtype.to_schema():
                found = None
                break
            found, dtype = found.struct.field(part), dtype.to_schema()[part]
    info = model.model_fields.get(path)
    default = None if info is None or info.is_required() else info.get_default(call_default_factory=True)
    # an id is read as the fact reads it: spaces around it dropped
    value = pl.lit(None, text) if found is None else found.cast(text).str.strip_chars(ID_SPACES)
    return value if default is None else value.fill_null(pl.lit(str(default)))


_MONTHS_AT_MOST = 100_000
"""The most local days one batch names months for by look-up (a wider span is formatted row by row)."""


def _months(frame: pl.DataFrame, instant: pl.Expr, zone: str) -> pl.Expr:
    """The local month (``YYYY-MM``) of each instant in ``zone``: the local day read as
    :func:`~csrules._audit.col_zone.local_wall` reads it (the row engine's zone data), each
    day of the batch's span named once rather than each row formatted."""
    wall = local_wall(frame, instant, zone)
    if wall is None:
        return instant.dt.convert_time_zone(zone).dt.strftime("%Y-%m")
    days = frame.select(wall.dt.cast_time_unit("us").cast(pl.Int64) // DAY_MICROS).to_series()
    low, high = days.min(), days.max()
    if not isinstance(low, int) or not isinstance(high, int) or high - low >= _MONTHS_AT_MOST:
        return wall.dt.strftime("%Y-%m")
    span = range(low, high + 1)
    names = [(_EPOCH + timedelta(days=day)).strftime("%Y-%m") for day in span]
    return pl.lit(days.replace_strict(list(span), names, return_dtype=pl.String))


def meta_frame(spec: AuditSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Row number, fact type, subject, team and month of each input row."""
    columns = frame.schema
    team, when = spec.team, spec.time_field()
    text = pl.String
    exprs = [
        pl.col(ROW).alias("row"),
        pl.lit(spec.fact_type).alias("fact_type"),
        _path(spec.subject_field(), columns, spec.model).alias("subject"),
        (pl.col(team).cast(text) if team and team in columns else pl.lit(None, text)).alias("team"),
    ]
    if when and when in columns:
        instant = as_instant(pl.col(when), columns[when])
        exprs.append(_months(frame, instant, spec.zone).alias("month"))
    else:
        exprs.append(pl.lit(None, text).alias("month"))
    return frame.select(exprs)


def _python_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each timestamp column holding an instant Python has no datetime for
    (beyond years 1 to 9999 in UTC: a time at the calendar's ends) as ISO 8601 text, so that
    its row's fact is refused by name instead of the batch failing."""
    outside = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)
               and not frame[name].dt.year().is_between(1, 9999).fill_null(value=True).all()]
    return frame.with_columns(pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.f%:z") for name in outside)


def judge_rows(engine: Engine, spec: AuditSpec, frame: pl.DataFrame,
               metas: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    """The rows of ``frame`` judged one by one by ``engine`` (invalid facts reported, not raised);
    ``metas`` is its :func:`meta_frame` when the caller made it already (row for row)."""
    fields = [name for name in frame.columns if name in spec.model.model_fields]
    records = _python_safe(frame.select(fields)).to_arrow().to_pylist() if fields else [{} for _ in range(frame.height)]
    found: list[RowMeta] = list((meta_frame(spec, frame) if metas is None else metas).iter_rows())
    out: list[dict[str, Any]] = []
    for meta, record in zip(found, records, strict=True):
        fact = given(record)
        try:
            decision = engine.evaluate(fact, now=spec.now, fact_type=spec.fact_type)
        except FactError as exc:
            out += invalid_rows(meta, exc.problems or [("", str(exc))])
            continue
        out += decision_rows(meta, decision)
    return out


def audit_batch(spec: AuditSpec, batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """Judge one batch of input rows; the decision rows of :data:`ROW_SCHEMA`.

    The batch carries the input row numbers in ``__row`` (added when it is missing: 1, 2, ...
    within the batch). This is the function Spark's ``mapInArrow`` and Ray's ``map_batches``
    call, with one spec for the whole audit.
    """
    found = _decisions(spec, batch)
    return found if isinstance(found, pa.Table) else found.to_arrow().cast(ROW_SCHEMA)


def _decisions(spec: AuditSpec, batch: pa.RecordBatch | pa.Table) -> pa.Table | pl.DataFrame:
    """The decision rows of :func:`audit_batch`: a Polars frame as the columnar path made
    them (its counts are taken from it, with no trip through Arrow), else an Arrow table."""
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    if ROW not in table.column_names:
        table = table.append_column(ROW, pl.int_range(1, table.num_rows + 1, dtype=pl.Int64, eager=True).to_arrow())
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.height == 0:
        return ROW_SCHEMA.empty_table()
    if spec.columnar:
        from csrules._audit.columnar import judge_columnar

        done = judge_columnar(spec, frame)
        if done is not None:
            return done
    return pa.Table.from_batches([rows_batch(judge_rows(spec.engine, spec, frame))], schema=ROW_SCHEMA)


Judged = tuple[pa.Table, Partial]
"""A batch's decision rows and their counts."""


def judged(spec: AuditSpec, batch: pa.RecordBatch) -> Judged:
    """A batch's decision rows and their counts, both made where the batch is judged (a
    local worker or a cluster's), so the parent only writes and adds up."""
    found = _decisions(spec, batch)
    table = (found if isinstance(found, pa.Table) else found.to_arrow()).cast(ROW_SCHEMA)
    return table, partial(found)


def judged_on_a_cluster(spec: AuditSpec, batch: pa.RecordBatch) -> tuple[pa.Table, Counts]:
    """:func:`judged`, its counts as Arrow (:data:`~csrules._audit.summary.Counts`): a cluster's
    worker pickles the result on its event loop while its task thread runs the next batch."""
    table, counts = judged(spec, batch)
    return table, portable(counts)
