"""Relations a fact model declares between its fields, read so that strategies honour them.

A model's validators check facts across fields (a shift ends after it starts, a sick note's
hand-in time is given only with a certificate); fields drawn one by one break such checks in
almost every draw. A model declares the relations its validators check in a class attribute
``__relations__``: triples ``(field, op, source)``, where

- ``field`` is a field name, or a dotted path into a nested model or a list of them
  (``"escalations.at"``: every step's ``at``; ``"partner.agent_id"``);
- ``op`` is ``"<"``, ``"<="``, ``">"``, ``">="`` (instants compared in real time, numbers by
  value), ``"!="``, ``"if"`` (``field`` is given, not None, only when ``source`` is true) or
  ``"with"`` (``field`` is given exactly when ``source`` is);
- ``source`` is a field path, or a tuple ``(function, path, ...)``: the function of those
  fields' values (``(len, "proposals")``; a leave's earliest first shift from its start).

Fields are then drawn in dependency order, each within what the fields drawn before allow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import annotated_types as at
from pydantic import BaseModel

from csrules.domain.facts import derived_sources
from csrules.exceptions import PolicyError

__all__ = ["BOUNDS", "GATES", "Relation", "drawing_order", "read_path", "relations_of"]

BOUNDS: dict[str, Callable[[Any], Any]] = {"<": at.Lt, "<=": at.Le, ">": at.Gt, ">=": at.Ge}
"""Ordering operators and the constraint each puts on the drawn field."""

GATES = ("if", "with")
"""Operators that say whether the field is given at all."""

_OPS = (*BOUNDS, "!=", *GATES)


@dataclass(frozen=True)
class Relation:
    """One declared relation: the field at ``head``(.``sub``) stands in ``op`` to its source."""

    head: str
    sub: str
    op: str
    sources: tuple[str, ...]
    compute: Callable[..., Any] | None

    @property
    def needs(self) -> frozenset[str]:
        """The fields that must be drawn first."""
        return frozenset(path.split(".")[0] for path in self.sources)

    def value(self, drawn: Mapping[str, Any]) -> Any:
        """The source's value from the fields ``drawn`` so far; None when it is not given, or
        its function refuses the values (one given as text, say): no bound then."""
        values = [read_path(drawn, path) for path in self.sources]
        if self.compute is None:
            return values[0]
        if any(v is None for v in values):
            return None
        try:
            return self.compute(*values)
        except (TypeError, ValueError, ArithmeticError, AttributeError):  # a value given as text, say
            return None


def read_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in ``data`` (nested dictionaries), None where it stops."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


@cache
def relations_of(model: type[BaseModel]) -> tuple[Relation, ...]:
    """``model``'s declared relations, checked against its fields (:class:`PolicyError` naming
    the relation when one names no field, a derived one, or an unknown operator)."""
    declared = getattr(model, "__relations__", ())
    derived = derived_sources(model)
    found: list[Relation] = []
    for entry in declared:
        found.append(_parsed(model, entry, derived))
    return tuple(found)


def _parsed(model: type[BaseModel], entry: Any, derived: Mapping[str, Any]) -> Relation:
    def refuse(why: str) -> PolicyError:
        return PolicyError(f"{model.__name__}.__relations__ entry {entry!r}: {why}", path="__relations__")

    if not (isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[0], str)):
        raise refuse("a relation is a triple (field, op, source)")
    path, op, source = entry
    if op not in _OPS:
        raise refuse(f"unknown op {op!r}; one of {', '.join(_OPS)}")
    if isinstance(source, str):
        sources, compute = (source,), None
    elif isinstance(source, tuple) and source and callable(source[0]) and all(isinstance(p, str) for p in source[1:]):
        sources, compute = tuple(source[1:]), source[0]
    else:
        raise refuse("the source is a field path or a tuple (function, path, ...)")
    head, _, sub = path.partition(".")
    for name in (head, *(p.split(".")[0] for p in sources)):
        if name not in model.model_fields:
            raise refuse(f"{model.__name__} has no field {name!r}")
        if name in derived:
            raise refuse(f"{name} is derived: it is computed, not drawn")
    if op in GATES and sub:
        raise refuse(f"{op!r} gates a whole field, not {path!r}")
    if op in GATES and model.model_fields[head].is_required():
        raise refuse(f"{head} is required: only an optional field can be left out")
    return Relation(head, sub, op, sources, compute)


def drawing_order(model: type[BaseModel], names: list[str]) -> list[str]:
    """``names`` ordered so that every field comes after the fields its relations read
    (declaration order otherwise); a cycle raises :class:`PolicyError`."""
    needs: dict[str, set[str]] = {name: set() for name in names}
    for relation in relations_of(model):
        if relation.head in needs:
            needs[relation.head] |= {n for n in relation.needs if n in needs and n != relation.head}
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(names):
        ready = [name for name in names if name not in placed and needs[name] <= placed]
        if not ready:
            cycle = sorted(name for name in names if name not in placed)
            raise PolicyError(f"{model.__name__}.__relations__ read each other in a circle: {', '.join(cycle)}",
                              path="__relations__")
        ordered.append(ready[0])
        placed.add(ready[0])
    return ordered

