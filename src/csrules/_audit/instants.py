"""Reading an audit's times and choosing the zone its months are read in.

Each text is read on its own, as a fact's datetime field reads it (an offset required): a
format guessed from one row would make every other row's instant depend on the rows batched
with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
from pydantic import AwareDatetime, TypeAdapter, ValidationError

from csrules._audit.errors import AuditError
from csrules._policy.validity import DEFAULT_ZONE
from csrules._time.calendar import load_zone
from csrules.exceptions import CsrulesError

__all__ = ["INSTANT", "INTEGERS", "ISO", "iso_instants", "read_instants", "zone_of"]

INSTANT = pl.Datetime("us", "UTC")
"""The type of an instant column: microseconds, UTC (every audit module's)."""
INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
"""The whole-number column types."""

ISO = tuple(f"%Y-%m-%d{sep}%H:%M{secs}{zone}" for sep in "T " for secs in (":%S%.f", "") for zone in ("%:z", "%z"))
"""The ISO 8601 forms of an aware datetime that pydantic reads, each read natively: seconds
optional, offsets with or without a colon (``Z`` is read as +00:00); any other text is read by
pydantic."""
_AWARE: TypeAdapter[AwareDatetime] = TypeAdapter(AwareDatetime)


def zone_of(target: Any, zone: str | None = None) -> str:
    """The zone an audit reads months in: ``zone`` when named, else the pack's own timezone
    (a target without one: Asia/Shanghai); an unknown name is an :class:`AuditError`."""
    found = zone if zone is not None else getattr(target, "timezone", None)
    chosen = found if isinstance(found, str) else DEFAULT_ZONE
    try:
        load_zone(chosen)
    except CsrulesError as exc:
        raise AuditError(f"timezone: {exc}") from None
    return chosen


def _aware(text: str) -> datetime | None:
    """``text`` read as a fact's datetime field reads it (an offset required); None if it cannot be."""
    try:
        return _AWARE.validate_python(text).astimezone(UTC)
    except ValidationError:
        return None


def iso_instants(texts: pl.Series) -> pl.Series:
    """Aware ISO 8601 texts as UTC instants (null where no form of :data:`ISO` reads one):
    each form tried, in order, only on the texts the earlier ones left unread, so a text is
    read as the first form that reads it (a coalesce of them all, at a fraction of the parsing)."""
    text = texts.cast(pl.String).str.replace(r"(?i)z$", "+00:00")
    instants = pl.Series(texts.name, [None] * len(text), dtype=INSTANT)
    for form in ISO:
        unread = (instants.is_null() & text.is_not_null()).arg_true()
        if not unread.len():
            break
        instants = instants.scatter(unread, text.gather(unread).str.to_datetime(
            form, time_zone="UTC", strict=False, time_unit="us"))
    return instants


def read_instants(texts: pl.Series) -> pl.Series:
    """Each text read on its own as an aware datetime, in UTC (null where a fact's datetime
    field would refuse it: no offset, not a time): never a format guessed from one row, so
    a row's instant does not depend on the rows batched with it."""
    instants = iso_instants(texts)
    text = texts.cast(pl.String)
    left = text.filter(instants.is_null() & text.is_not_null()).unique().to_list()
    if not left:
        return instants
    found = text.replace_strict(left, [_aware(value) for value in left], default=None, return_dtype=INSTANT)
    return instants.fill_null(found)
