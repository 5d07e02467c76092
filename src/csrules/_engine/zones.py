"""The zone a fact that names none is read in: the zone of the policies judging it.

A fact model's ``time_zone`` defaults to the domain's zone (``Asia/Shanghai``); its derived
clocks and days (``requested_clock``, ``request_lead_days``, ``first_day_back``, ...) are
read there. A policy with its own ``timezone`` (every policy of a pack whose manifest names
another ``timezone``, e.g. ``Europe/London``) says its clocks are that zone's, so a fact it
judges that gives no ``time_zone`` is read in the policy's zone, never silently in the
default one. The engine, sessions and audits all fill it in here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel

from csrules._policy.facts import fact_type_name, get_fact_type, validate_fact
from csrules._policy.model import Policy
from csrules._time.nominal import ZONE_FIELD, cached_zone, fact_zone
from csrules.exceptions import FactError

__all__ = ["ZONE_FIELD", "SplitZones", "fact_zone", "fact_zones", "in_zone", "shown_in"]


def shown_in(instant: datetime, zone: str, fact: object = None) -> datetime:
    """``instant`` as csrules shows a time it worked out (a due time, a session's clock): in
    ``fact``'s ``time_zone`` when it names one, else in ``zone`` (its policy's). Never in the
    offset a value was written with: one instant written in +08:00, Z or -05:00 reads alike."""
    return instant.astimezone(cached_zone(fact_zone(fact, zone)))


class SplitZones(str):
    """What :func:`fact_zones` gives a fact type whose policies name different zones: a fact of
    it that names no ``time_zone`` cannot be read in both, so :func:`in_zone` refuses it. A
    ``str`` (the zones, joined) only so that tables of zones by fact type keep one type; never
    a zone name."""

    __slots__ = ("named",)

    named: tuple[tuple[str, str], ...]
    """(policy id, zone) of each policy, in order."""

    def __new__(cls, named: tuple[tuple[str, str], ...]) -> SplitZones:
        made = super().__new__(cls, " | ".join(sorted({zone for _, zone in named})))
        made.named = named
        return made

    def __reduce__(self) -> tuple[type[SplitZones], tuple[tuple[tuple[str, str], ...]]]:
        return SplitZones, (self.named,)  # copied and pickled from the policies' zones, not the joined text


def fact_zones(policies: Iterable[Policy]) -> dict[str, str]:
    """Per fact type with a ``time_zone`` field, the zone its policies name where it is not
    the model's default (types whose policies all read the default are left out), or a
    :class:`SplitZones` when they name different zones (a policy naming none reads the default)."""
    named: dict[str, list[tuple[str, str]]] = {}
    defaults: dict[str, str] = {}
    for policy in policies:
        spec = get_fact_type(policy.fact_type).model_fields.get(ZONE_FIELD)
        if spec is None:
            continue
        defaults[policy.fact_type] = default = str(spec.default)
        named.setdefault(policy.fact_type, []).append((policy.id, policy.timezone or default))
    zones: dict[str, str] = {}
    for fact_type, found in named.items():
        distinct = {zone for _, zone in found}
        if len(distinct) > 1:
            zones[fact_type] = SplitZones(tuple(dict.fromkeys(found)))
        elif distinct != {defaults[fact_type]}:
            zones[fact_type] = distinct.pop()
    return zones


def in_zone(fact: BaseModel, zone: str | None, *, index: int | None = None) -> BaseModel:
    """``fact`` read in ``zone`` when it gave no ``time_zone`` of its own (built again with
    it, so its derived fields are read there); else ``fact`` itself."""
    if zone is None or ZONE_FIELD in fact.model_fields_set:
        return fact
    if isinstance(zone, SplitZones):
        told = ", ".join(f"{policy} ({name})" for policy, name in zone.named)
        name = fact_type_name(type(fact)) or type(fact).__name__
        message = (f"{name} fact names no {ZONE_FIELD}, and the policies judging it read their days and clocks in "
                   f"different zones: {told}; give the fact's {ZONE_FIELD}")
        raise FactError(message, fact_type=name, problems=[(ZONE_FIELD, message)], index=index)
    given = {name: getattr(fact, name) for name in fact.model_fields_set}
    try:
        return validate_fact(type(fact), {**given, ZONE_FIELD: zone}, index=index)
    except FactError as exc:
        raise _disagreeing(fact, given, zone, exc, index) from None


def _derived(model: type[BaseModel], name: str) -> bool:
    """Whether ``name`` is one of ``model``'s derived fields (computed, checked when given)."""
    extra = model.model_fields[name].json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("derived"))


def _disagreeing(fact: BaseModel, given: dict[str, object], zone: str, exc: FactError,
                 index: int | None) -> FactError:
    """Why ``fact`` is refused in ``zone``: the derived fields it gave that read otherwise
    there (it named no zone, so the policies' zone was applied), else ``exc`` itself."""
    derived = [name for name in given if _derived(type(fact), name)]
    if not derived:
        return exc
    try:
        read = validate_fact(type(fact), {**{k: v for k, v in given.items() if k not in derived}, ZONE_FIELD: zone})
    except FactError:
        return exc
    wrong = [name for name in derived if getattr(read, name) != given[name]]
    if not wrong:
        return exc
    told = "; ".join(f"{name} was given as {given[name]!r} but reads {getattr(read, name)!r} there" for name in wrong)
    message = (f"{exc.fact_type or type(fact).__name__} fact names no {ZONE_FIELD}, so it is read in its policies'"
               f" zone {zone!r}: {told}; give {ZONE_FIELD} or leave {', '.join(wrong)} out")
    return FactError(message, fact_type=exc.fact_type, problems=[(name, message) for name in wrong], index=index)
