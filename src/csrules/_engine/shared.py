"""Tests shared across rules: each field read once, each field's tests answered by one
dictionary look-up (and, for thresholds, one bisection), whatever the number of rules.

A rule whose ``when`` is a comparison or membership test on a top-level field, or an ``all``
that starts with such tests, has those tests ("atoms") taken out of its code. For every field,
the values the atoms mention cut the field's range into regions: each constant itself, the
open intervals between sorted constants (ordered fields), any other value, a missing value and
NaN. Within a region every atom has one answer, so each region gets one bit mask over the
rules: bit ``i`` is set when rule ``i``'s atoms on that field all hold there (or it has none).
At run time a field's mask is one look-up (the constant, else the interval by bisection), and
the masks of all fields ANDed give the rules whose atoms hold; what is left of a rule (the rest
of its ``all``) is tested only for those. The answers are the same as the rules tested one by
one: the regions are evaluated with the same operators on the same constants, and a value that
makes a look-up raise sends the whole decision down the rule-by-rule path.

Only fields of plain types take part (``bool``, ``int``, ``float``, ``str``, dates, times,
durations, and literals of text or numbers): their hashes agree with ``==``, which a look-up
relies on. Validated facts hold exactly those types.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from csrules._policy.facts import _strip_optional, field_info
from csrules._policy.kinds.base import ORDERED, ConditionBase
from csrules._policy.kinds.core import All, Compare, In, NotIn, plain_value
from csrules.exceptions import PolicyError

__all__ = ["Atom", "FieldTable", "SharedRule", "build_tables", "patterns_at_most", "split_rule"]

_PLAIN_TYPES = (bool, int, float, str, datetime, date, time, timedelta)
_ORDERED_OPS = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class Atom:
    """One shared test: ``value <op> constant`` (``in``/``not in`` a frozen set)."""

    op: str
    constant: Any


@dataclass
class SharedRule:
    """A rule split for sharing: its atoms by field, and the source of what is left."""

    index: int
    atoms: dict[str, list[Atom]]
    rest: list[ConditionBase]


def _plain_annotation(annotation: Any) -> bool:
    if annotation in _PLAIN_TYPES:
        return True
    if get_origin(annotation) is Literal:
        values = get_args(annotation)
        return all(type(v) is str for v in values) or all(type(v) in (int, float) for v in values)
    return False


@functools.lru_cache(maxsize=4096)  # a plan of thousands of rules asks about a few fields
def _field_of(model: type[BaseModel], path: str) -> Any:
    """The field's value kind when ``path`` is a top-level declared field of a plain type."""
    if "." in path or path not in model.model_fields:
        return None
    info = field_info(model, path)
    if info.is_collection or not _plain_annotation(_strip_optional(info.annotation)[0]):
        return None
    return info.kind


def _usable(constant: Any) -> bool:
    """A constant a look-up can hold: hashable, not None, equal to itself (not NaN)."""
    try:
        hash(constant)
    except TypeError:
        return False
    return constant is not None and constant == constant


def atom_of(cond: ConditionBase, model: type[BaseModel], params: dict[str, Any]) -> tuple[str, Atom] | None:
    """``(field, atom)`` when ``cond`` can be shared, else None."""
    if isinstance(cond, Compare):
        kind = _field_of(model, cond.path)
        if kind is None or cond.field is not None:
            return None
        if cond.op in _ORDERED_OPS and kind not in ORDERED:
            return None
        constant = plain_value(cond, params, model)
        if not _usable(constant) or (kind == "bool") != (type(constant) is bool):
            return None
        return cond.path, Atom(cond.op, constant)
    if isinstance(cond, In | NotIn):
        kind = _field_of(model, cond.path)
        if kind is None or cond.field is not None:
            return None
        values = frozenset(params[cond.param] if cond.param is not None else cond.value)
        if not all(_usable(v) and type(v) is not bool for v in values):
            return None
        return cond.path, Atom("not in" if isinstance(cond, NotIn) else "in", values)
    return None


def split_rule(
    index: int, cond: ConditionBase, model: type[BaseModel], params: dict[str, Any]
) -> SharedRule:
    """The leading shareable tests of ``cond`` (an ``all``'s first children, or ``cond``
    itself) as atoms; the rest, in order, stays ordinary code run after them."""
    parts = list(cond.of) if isinstance(cond, All) and cond.of else [cond]
    atoms: dict[str, list[Atom]] = {}
    for position, part in enumerate(parts):
        found = atom_of(part, model, params)
        if found is None:
            return SharedRule(index, atoms, parts[position:])
        atoms.setdefault(found[0], []).append(found[1])
    return SharedRule(index, atoms, [])


@dataclass
class FieldTable:
    """One field's regions: the mask at each constant (and None), and for ordered fields the
    sorted constants with the mask of each interval between them."""

    path: str
    points: dict[Any, int]
    other: int
    constants: list[Any] = field(default_factory=list)
    between: list[int] = field(default_factory=list)

    @property
    def ordered(self) -> bool:
        """True when values between constants are placed by bisection."""
        return bool(self.constants)


def _constants(atoms: list[Atom]) -> list[Any]:
    seen: dict[Any, None] = {}
    for atom in atoms:
        for value in atom.constant if atom.op in ("in", "not in") else (atom.constant,):
            seen.setdefault(value, None)
    return list(seen)


@dataclass
class _Holds:
    """Where one rule's atoms on a field all hold, as region positions: an interval, maybe
    only some points of it (``==``, ``in``), minus some points (``!=``, ``not in``)."""

    low: int
    high: int
    only: set[int] | None = None
    minus: set[int] = field(default_factory=set)
    ordered: bool = False

    def narrow(self, atom: Atom, point: Callable[[Any], int]) -> None:
        """Intersect with where ``atom`` holds."""
        values = atom.constant if atom.op in ("in", "not in") else (atom.constant,)
        at = {point(value) for value in values}
        if atom.op in ("==", "in"):
            self.only = at if self.only is None else self.only & at
        elif atom.op in ("!=", "not in"):
            self.minus |= at
        else:
            self.ordered = True
            (spot,) = at
            if atom.op == "<":
                self.high = min(self.high, spot - 1)
            elif atom.op == "<=":
                self.high = min(self.high, spot)
            elif atom.op == ">":
                self.low = max(self.low, spot + 1)
            else:
                self.low = max(self.low, spot)


def build_table(path: str, rules: list[SharedRule], everyone: int) -> FieldTable:
    """The regions of one field and each region's mask over ``everyone`` (all rules).

    Regions are numbered in value order (ordered fields: below the first constant, the first
    constant, between it and the next, ...; other fields: the constants), so that each rule
    holds on an interval of them, or on some points, minus some points. One sweep over the
    regions then gives every mask: the work grows with rules plus regions, not their product.
    """
    mine = [(rule.index, rule.atoms[path]) for rule in rules if path in rule.atoms]
    atoms = [atom for _, found in mine for atom in found]
    constants = _constants(atoms)
    ordered = any(atom.op in _ORDERED_OPS for atom in atoms)
    if ordered:
        try:
            constants.sort()
        except TypeError as exc:
            raise PolicyError(f"the values compared with {path} cannot be ordered: {exc}", path=path) from None
    order = {value: at for at, value in enumerate(constants)}
    count = 2 * len(constants) + 1 if ordered else len(constants)

    def point(value: Any) -> int:  # the region of a constant
        return 2 * order[value] + 1 if ordered else order[value]

    toggles = [0] * (count + 1)  # XOR at an interval's ends: a running XOR gives membership
    adds, removes = [0] * count, [0] * count
    others, other = everyone, 0
    for index, found in mine:
        bit = 1 << index
        others ^= bit
        holds = _Holds(0, count - 1)
        for atom in found:
            holds.narrow(atom, point)
        if holds.only is None and not holds.ordered:
            other |= bit  # only != and not in: a value equal to no constant (or NaN) passes
        if holds.only is not None:
            for at in holds.only - holds.minus:
                if holds.low <= at <= holds.high:
                    adds[at] |= bit
        elif holds.low <= holds.high:
            toggles[holds.low] ^= bit
            toggles[holds.high + 1] ^= bit
            for at in holds.minus:
                removes[at] |= bit
    masks, running = [], 0
    for at in range(count):
        running ^= toggles[at]
        masks.append(others | (running & ~removes[at]) | adds[at])
    points: dict[Any, int] = {value: masks[point(value)] for value in constants}
    points[None] = others  # a missing value makes every test on the field false
    if not ordered:
        return FieldTable(path, points, others | other)
    return FieldTable(path, points, others | other, constants, masks[0::2])


def build_tables(rules: list[SharedRule], everyone: int) -> list[FieldTable]:
    """One table per field any rule shares, in the order fields are first mentioned."""
    paths: dict[str, None] = {}
    for rule in rules:
        paths.update(dict.fromkeys(rule.atoms))
    return [build_table(path, rules, everyone) for path in paths]


def patterns_at_most(rules: list[SharedRule], everyone: int, limit: int) -> int:
    """How many match patterns ``rules`` can give at most, when provably no more than
    ``limit``; else 0. When every rule is shared tests alone (no rest), a fact's pattern is
    the AND of one region mask per field, so there are at most as many patterns as the product
    of each field's distinct masks (the hit policies then map each pattern to one)."""
    if not rules or any(not rule.atoms or rule.rest for rule in rules):
        return 0
    try:
        tables = build_tables(rules, everyone)
    except PolicyError:  # constants that cannot be ordered: the plan tests rule by rule
        return 0
    count = 1
    for table in tables:
        count *= len({*table.points.values(), *table.between, table.other})
        if count > limit:
            return 0
    return count


def table_source(table: FieldTable, local: str, names: Callable[[Any], str], out: str) -> list[str]:
    """Lines setting ``out`` to the field's mask for the value in ``local``."""
    points, other = names(table.points), names(table.other)
    if not table.ordered:
        return [f"    {out} = {points}.get({local}, {other})"]
    constants, between, bisect = names(table.constants), names(table.between), names(bisect_left)
    # a value at no constant lies between two (NaN lies nowhere: "other")
    return [
        f"    {out} = {points}.get({local})",
        f"    if {out} is None:",
        f"        {out} = {between}[{bisect}({constants}, {local})] if {local} == {local} else {other}",
    ]
