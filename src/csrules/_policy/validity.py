"""Effective dates: which version of a policy is in force on a day.

A policy may carry ``valid_from`` / ``valid_until`` (days in its ``timezone``, half-open:
``[valid_from, valid_until)``). Several versions of one policy id may then sit side by side,
in a pack or an engine, as long as their days never overlap. :func:`check_versions` refuses
an overlap, naming both versions and their days; :func:`version_gaps` lists the days between
two versions that no version covers (``csrules check`` reports them). A :class:`Timeline`
cuts time at every bound and says which policies are in force in each stretch.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from csrules._time.calendar import load_zone
from csrules.exceptions import FactError, PolicyError

if TYPE_CHECKING:
    from csrules._policy.model import Policy

__all__ = [
    "DEFAULT_ZONE",
    "DatedValue",
    "Gap",
    "Timeline",
    "check_labels",
    "check_versions",
    "dated_values",
    "day_in_force",
    "day_of",
    "day_start",
    "is_dated",
    "version_gaps",
    "versions_by_id",
    "with_dated_params",
]

DEFAULT_ZONE = "Asia/Shanghai"
"""The zone validity days are read in when a policy names none (the packs' default zone)."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Days ``[start, end)`` between two versions of ``policy_id`` that no version covers."""

    policy_id: str
    start: date
    end: date

    def __str__(self) -> str:
        return f"policy {self.policy_id!r} has no version in force from {self.start} until {self.end}"


def versions_by_id(policies: Iterable[Policy]) -> dict[str, list[Policy]]:
    """The policies grouped by id, in order of first appearance, each group by ``valid_from``."""
    grouped: dict[str, list[Policy]] = {}
    for policy in policies:
        grouped.setdefault(policy.id, []).append(policy)
    for versions in grouped.values():
        versions.sort(key=lambda p: p.valid_from or date.min)
    return grouped


def _label(policy: Policy, files: Mapping[int, str] | None = None) -> str:
    where = (files or {}).get(id(policy))
    return f"version {policy.version!r} ({policy.validity}{f', in {where}' if where else ''})"


def check_labels(policies: Iterable[Policy], files: Mapping[int, str] | None = None) -> None:
    """Refuse two versions of one policy in a pack that share a ``version`` label: every
    output a reviewer reads (decisions, records, documents) names a version by its label.
    The :class:`PolicyError` names both (and the files ``files`` maps them to, by ``id()``)."""
    for policy_id, versions in versions_by_id(policies).items():
        labels: dict[str, Policy] = {}
        for policy in versions:
            same = labels.setdefault(policy.version, policy)
            if same is not policy:
                raise PolicyError(
                    f"{_label(same, files)} and {_label(policy, files)} share the label {policy.version!r}: "
                    "the versions of one policy must have distinct labels (give each its own version:)",
                    policy_id=policy_id,
                )


def check_versions(policies: Iterable[Policy]) -> None:
    """Refuse two versions of one policy whose days overlap, or that judge other fact types
    or read their days in other zones: a :class:`PolicyError` names both versions."""
    for policy_id, versions in versions_by_id(policies).items():
        for before, after in pairwise(versions):
            # no timezone means the default zone, so naming that zone changes nothing
            same_zone = (before.timezone or DEFAULT_ZONE) == (after.timezone or DEFAULT_ZONE)
            if before.fact_type != after.fact_type or not same_zone:
                what = "fact type" if before.fact_type != after.fact_type else "time zone"
                raise PolicyError(
                    f"{_label(before)} and {_label(after)} have different {what}s: the versions "
                    "of one policy judge the same facts in the same zone",
                    policy_id=policy_id,
                )
            if before.valid_until is None or after.valid_from is None or before.valid_until > after.valid_from:
                start = after.valid_from or before.valid_from or "the start"
                raise PolicyError(
                    f"{_label(before)} and {_label(after)} overlap from {start}: one day has one version "
                    "(end the first with valid_until on or before the second's valid_from)",
                    policy_id=policy_id,
                )


def version_gaps(policies: Iterable[Policy]) -> list[Gap]:
    """The stretches of days between successive versions of a policy that none covers."""
    gaps: list[Gap] = []
    for policy_id, versions in versions_by_id(policies).items():
        for before, after in pairwise(versions):
            if before.valid_until and after.valid_from and before.valid_until < after.valid_from:
                gaps.append(Gap(policy_id, before.valid_until, after.valid_from))
    return gaps


def day_in_force(policy: Policy) -> date | None:
    """A day ``policy`` is in force (its first, else the day before its end); None when undated.
    A version's worked examples are judged as of this day, so that version judges them."""
    if policy.valid_from is not None:
        return policy.valid_from
    return None if policy.valid_until is None else policy.valid_until - timedelta(days=1)


def day_of(instant: datetime, zone_name: str | None) -> date:
    """The day ``instant`` falls on in ``zone_name`` (the default zone when None)."""
    return instant.astimezone(load_zone(zone_name or DEFAULT_ZONE)).date()


def _one_zone(policies: Sequence[Policy]) -> str | None:
    """The zone the dated policies of one fact type read their days in: they must share it,
    since one instant must fall on one day for every version chosen together."""
    zones = {p.timezone or DEFAULT_ZONE: p.id for p in policies if p.dated}
    if len(zones) > 1:
        listed = ", ".join(f"{policy_id} in {zone}" for zone, policy_id in sorted(zones.items()))
        raise PolicyError(
            f"dated policies judging {policies[0].fact_type!r} facts read their days in different "
            f"zones ({listed}); give them one timezone so that a fact falls on one day for all"
        )
    return next(iter(zones), None)


def day_start(day: date, zone_name: str | None) -> datetime:
    """The instant ``day`` starts in ``zone_name`` (the default zone when None), in UTC."""
    return datetime.combine(day, time(0), tzinfo=load_zone(zone_name or DEFAULT_ZONE)).astimezone(UTC)


class Timeline:
    """The policies of one fact type cut at every validity bound: each stretch of days has
    the versions in force in it, in the order the policies were given.

    ``stretch(day)`` gives the index of the stretch holding ``day``; a day on which some
    policy has no version in force raises :class:`FactError` naming the policy, the day and
    the versions there are.
    """

    __slots__ = ("bounds", "ids", "starts", "stretches", "versions", "zone")

    def __init__(self, policies: Sequence[Policy]) -> None:
        check_versions(policies)
        grouped = versions_by_id(policies)
        self.versions = grouped
        self.ids = tuple(grouped)
        self.zone = _one_zone(policies)
        self.bounds = sorted({d for p in policies for d in (p.valid_from, p.valid_until) if d is not None})
        # each bound as the instant its day starts in the zone: an instant is placed without conversion
        self.starts = [day_start(day, self.zone) for day in self.bounds]
        starts = [date.min, *self.bounds]
        self.stretches = tuple(
            tuple(p for versions in grouped.values() for p in versions if p.in_force_on(start)) for start in starts
        )

    def stretch(self, day: date) -> int:
        """The index of the stretch holding ``day``; a missing version raises FactError."""
        index = bisect_right(self.bounds, day)
        policies = self.stretches[index]
        if len(policies) != len(self.ids):
            self._missing(day, {p.id for p in policies})
        return index

    def stretch_at(self, instant: datetime) -> int:
        """The index of the stretch holding the (aware) ``instant``'s day in the zone."""
        index = bisect_right(self.starts, instant)
        if len(self.stretches[index]) != len(self.ids):
            return self.stretch(day_of(instant, self.zone))  # raises, naming the day
        return index

    def _missing(self, day: date, present: set[str]) -> None:
        """Raise the FactError for ``day``, on which some policy has no version in force."""
        policy_id = next(i for i in self.ids if i not in present)
        listed = "; ".join(_label(p) for p in self.versions[policy_id])
        raise FactError(
            f"no version of policy {policy_id!r} is in force on {day} (versions: {listed}); "
            "judge the fact as_of a day a version covers, or add the missing version"
        )


@dataclass(frozen=True, slots=True)
class DatedValue:
    """One value of a parameter and the days ``[start, end)`` it is in force (None: open)."""

    value: Any
    start: date | None
    end: date | None

    def covers(self, day: date | None) -> bool:
        """Whether the value is in force on ``day`` (None: the start of time)."""
        after_start = self.start is None or (day is not None and self.start <= day)
        return after_start and (self.end is None or day is None or day < self.end)


_DATED_KEYS = ("value", "valid_from", "valid_until")


def is_dated(value: Any) -> bool:
    """Whether a parameter value is written in the dated form (a list of ``{value: ...}``)."""
    return isinstance(value, list | tuple) and any(isinstance(item, Mapping) for item in value)


def dated_values(policy: Policy, name: str, written: Sequence[Any]) -> tuple[DatedValue, ...]:
    """The dated form of parameter ``name``, checked: each item ``{value, valid_from?,
    valid_until?}``, in order of their days, the first alone without ``valid_from``, none
    overlapping; an item without ``valid_until`` lasts until the next one starts."""
    from csrules._policy.model import VALIDITY_RANGE, ValidityDate

    def fail(index: int, message: str, key: str | None = None) -> PolicyError:
        loc = ("overrides", name, index) + ((key,) if key else ())
        return PolicyError(f"parameter {name!r}, dated value #{index + 1}: {message}", policy_id=policy.id, loc=loc)

    adapter: TypeAdapter[date] = TypeAdapter(ValidityDate)
    items: list[tuple[Any, date | None, date | None]] = []
    for index, item in enumerate(written):
        if not isinstance(item, Mapping) or "value" not in item:
            raise fail(index, f"write {{value: ..., valid_from: YYYY-MM-DD}} (got {item!r:.60})")
        unknown = sorted(set(map(str, item)) - set(_DATED_KEYS))
        if unknown:
            raise fail(index, f"unknown key {unknown[0]!r} (keys: {', '.join(_DATED_KEYS)})", unknown[0])
        bounds: list[date | None] = []
        for key in ("valid_from", "valid_until"):
            try:
                bounds.append(None if item.get(key) is None else adapter.validate_python(item[key]))
            except ValidationError as exc:
                raise fail(index, f"{key}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", key) from None
        for key, day in zip(("valid_from", "valid_until"), bounds, strict=True):
            if day is not None and not VALIDITY_RANGE[0] <= day <= VALIDITY_RANGE[1]:  # where it is written
                raise fail(index, f"{key} {day} is outside the days a version can name "
                           f"({VALIDITY_RANGE[0]} to {VALIDITY_RANGE[1]})", key)
        start, end = bounds
        if index and start is None:
            raise fail(index, "only the first value may leave out valid_from", "valid_from")
        if start and end and start >= end:
            raise fail(index, f"valid_from {start} is not before valid_until {end}", "valid_until")
        items.append((item["value"], start, end))
    values: list[DatedValue] = []
    for index, (value, start, end) in enumerate(items):
        following = items[index + 1][1] if index + 1 < len(items) else None
        if (end is not None and following is not None and following < end) or (
            following is not None and start is not None and following <= start
        ):
            raise fail(index + 1, f"its days (from {following}) overlap value #{index + 1}'s (from "
                       f"{start or 'the start'}{f' until {end}' if end else ''}): list the values in order of "
                       "their days, each starting where the one before ends or later", "valid_from")
        values.append(DatedValue(value, start, end if end is not None else following))
    return tuple(values)


def with_dated_params(policy: Policy, params: Mapping[str, Any]) -> tuple[Policy, ...]:
    """``policy`` with parameter ``params``; a dated value (``[{value: 1d}, {value: 2d,
    valid_from: 2026-07-01}]``) cuts the policy into versions at its days, each with the
    values in force then (outside every dated value, the value the policy had). A version
    after the first gets the version ``<version>@<first day>``."""
    plain = {name: value for name, value in params.items() if not is_dated(value)}
    # the overrides go in as data, not keywords: a name that is not text is then refused by name
    kept = policy.model_dump(mode="python", exclude={"overrides"})
    base = type(policy)(**kept, overrides={**policy.overrides, **plain}) if plain else policy
    dated = {name: dated_values(policy, name, value) for name, value in params.items() if is_dated(value)}
    if not dated:
        return (base,)
    inside = sorted({
        day
        for values in dated.values()
        for value in values
        for day in (value.start, value.end)
        if day is not None and base.in_force_on(day) and day != base.valid_from
    })
    starts: list[date | None] = [base.valid_from, *inside]
    ends: list[date | None] = [*inside, base.valid_until]
    data = base.model_dump(mode="python")
    versions = []
    for start, end in zip(starts, ends, strict=True):
        values = {name: next(v.value for v in vs if v.covers(start)) for name, vs in dated.items()
                  if any(v.covers(start) for v in vs)}
        version = base.version if start == base.valid_from else f"{base.version}@{start}"
        written = {**data, "overrides": {**base.overrides, **values}, "valid_from": start, "valid_until": end,
                   "version": version}
        versions.append(type(policy)(**written))
    return tuple(versions)
