"""A fact model, a policy's parameters and ``now`` as solver variables.

Values are encoded exactly as the engine compares them: yes/no as booleans, whole numbers
as integers and other numbers as reals, text as integer codes (each literal one code; any
other code is "some other text"), and every instant, date, time of day and duration as an
integer count of microseconds (or days), so ``<`` and ``<=`` differ exactly as they do in
Python. An optional field (or an optional object on its way) is a "present" flag; a
condition reading a missing value is false, as in the engine. Instants range over the years
a datetime holds (:data:`WIDE_LOW` to :data:`WIDE_HIGH`), and windows' counts to
:data:`MAX_COUNT`; a fact the solver writes out (a counterexample) is kept to the years
2000-2099 (``era``), so that it can be written as a fact and read in any zone. A claim true
within those years but not outside them is reported as such (see ``outside_era``).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, get_args, get_origin

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]
from pydantic import BaseModel

from csrules._policy.facts import FieldInfo, field_info
from csrules._policy.kinds.base import ConditionBase, translation_for
from csrules._time.durations import WallDuration
from csrules._time.registry import DEFAULT_TIME_ZONE

__all__ = [
    "DAY",
    "EPOCH",
    "HIGH",
    "LOW",
    "MAX_COUNT",
    "SECOND",
    "WIDE_HIGH",
    "WIDE_LOW",
    "Encoding",
    "Untranslatable",
    "Var",
]

SECOND = 1_000_000
"""Microseconds in a second: instants, clocks and durations are counted in microseconds."""
DAY = 86_400 * SECOND
"""Microseconds in a day."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Instant zero."""
LOW = int((datetime(2000, 1, 1, tzinfo=UTC) - EPOCH) / timedelta(microseconds=1))
"""Earliest instant considered (2000-01-01 UTC)."""
HIGH = int((datetime(2100, 1, 1, tzinfo=UTC) - EPOCH) / timedelta(microseconds=1))
"""First instant no longer considered (2100-01-01 UTC)."""
WIDE_LOW = int((datetime(1, 1, 2, tzinfo=UTC) - EPOCH) / timedelta(microseconds=1))
"""Earliest instant a proof covers (the second day a datetime holds, so any zone can read it)."""
WIDE_HIGH = int((datetime(9999, 12, 31, tzinfo=UTC) - EPOCH) / timedelta(microseconds=1))
"""First instant a proof no longer covers (the last day a datetime holds)."""
MAX_COUNT = 1_000_000
"""Largest count a session window is assumed to reach."""


class Untranslatable(Exception):
    """A condition the solver cannot express: the property over it stays "not proven"."""

    def __init__(self, kind: str, why: str = "") -> None:
        super().__init__(kind, why)
        self.kind, self.why = kind, why


@dataclass
class Var:
    """One field path as solver terms: whether it is present, and its value."""

    path: str
    info: FieldInfo
    sort: str  # bool, int, real, text, instant, date, clock, duration, opaque
    present: Any
    value: Any


def _strip(annotation: Any) -> Any:
    """``annotation`` without Annotated and Optional wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _sort(info: FieldInfo) -> str:
    if info.is_collection:
        return "opaque"
    if info.kind == "number":
        inner = _strip(info.annotation)
        if get_origin(inner) is typing.Literal:
            whole = all(isinstance(v, int) for v in get_args(inner))
        else:
            whole = isinstance(inner, type) and issubclass(inner, int)
        return "int" if whole else "real"
    return {
        "bool": "bool",
        "text": "text",
        "datetime": "instant",
        "date": "date",
        "time": "clock",
        "duration": "duration",
    }.get(info.kind, "opaque")


def _definition(model: type[BaseModel], path: str) -> Any:
    """pydantic's field definition of the last step of ``path`` (None for a computed field)."""
    owner = model
    parts = path.split(".")
    for depth in range(1, len(parts)):
        inner = field_info(model, ".".join(parts[:depth])).model
        if inner is None:
            return None
        owner = inner
    return owner.model_fields.get(parts[-1])


def micros(value: timedelta) -> int:
    """A span in microseconds."""
    return value // timedelta(microseconds=1)


def instant(value: datetime) -> int:
    """An aware instant as microseconds since 1970 (UTC)."""
    return micros(value - EPOCH)


@dataclass
class Encoding:
    """The solver's view of one policy's world: fact fields, parameters, ``now``.

    ``free_params`` makes every int, float, duration, bool and time parameter a variable
    bounded by its min and max (every allowed override) instead of the value in force. Every
    term is made in ``ctx``, a solver context of its own (see :class:`PolicyFormulas`).
    """

    model: type[BaseModel]
    params: dict[str, Any]
    declared: dict[str, Any]
    free_params: bool = False
    rule_id: str = ""
    ctx: Any = field(default_factory=z3.Context)
    domain: list[Any] = field(default_factory=list)
    era: list[Any] = field(default_factory=list)
    """Instants kept to 2000-2099: added when the solver writes a fact, not to every proof."""
    judged: list[Any] = field(default_factory=list)
    """What a fact the engine can judge meets (a calendar's day in the years it lists): added
    when the solver writes a fact, as the engine refuses the others."""
    vars: dict[str, Var] = field(default_factory=dict)
    param_vars: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, int] = field(default_factory=dict)
    atoms: dict[tuple[Any, ...], tuple[Any, ConditionBase]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    presence: dict[str, Any] = field(default_factory=dict)
    now_var: Any = None
    offset_years: tuple[int, int] | None = None
    """The years in which every zone read with one fixed UTC offset keeps it (None: no zone
    was): a proof reaching outside 2000-2099 holds only within them."""
    zone: str = DEFAULT_TIME_ZONE
    """The policy's zone: where a session deadline counts whole days for a fact naming none."""

    # ----------------------------------------------------------------- leaves

    def text(self, value: str) -> Any:
        """The code of the text ``value`` (one code per distinct text)."""
        code = self.texts.setdefault(value, len(self.texts) + 1)
        return z3.IntVal(code, self.ctx)

    @property
    def now(self) -> Any:
        """``now`` as an instant variable (made on first use; ``now_var`` is None until then)."""
        if self.now_var is None:
            self.now_var = z3.Int("now", self.ctx)
            self._instant(self.now_var)
        return self.now_var

    def field(self, path: str) -> Var:
        """The variable of ``path`` (made, with its domain constraints, on first use)."""
        known = self.vars.get(path)
        if known is not None:
            return known
        info = field_info(self.model, path)
        sort = _sort(info)
        present = self._present(path, info)
        value = self._value(path, info, sort)
        var = self.vars[path] = Var(path, info, sort, present, value)
        return var

    def _present(self, path: str, info: FieldInfo) -> Any:
        parts = path.split(".")
        flags = []
        for depth, optional in enumerate(info.optional_steps, 1):
            if optional:
                prefix = ".".join(parts[:depth])
                flag = self.presence.get(prefix)
                if flag is None:
                    flag = self.presence[prefix] = z3.Bool(f"{prefix}?", self.ctx)
                flags.append(flag)
        return z3.And(*flags) if flags else z3.BoolVal(True, self.ctx)

    def _value(self, path: str, info: FieldInfo, sort: str) -> Any:
        if sort == "opaque":
            return None
        maker = {"bool": z3.Bool, "real": z3.Real}.get(sort, z3.Int)
        value = maker(path, self.ctx)
        if sort == "int" or sort == "real":
            self._bounds(path, value)
        if info.choices is not None:
            codes = [self.text(c) if sort == "text" else c for c in sorted(info.choices, key=str)]
            self.domain.append(z3.Or(*[value == c for c in codes]))
        elif sort == "text":
            self.domain.append(value >= 1)
        if sort == "instant":
            self._instant(value)
        elif sort == "clock":
            self.domain.append(z3.And(value >= 0, value < DAY))
        elif sort == "date":
            self.domain.append(z3.And(value >= WIDE_LOW // DAY, value < WIDE_HIGH // DAY))
            self.era.append(z3.And(value >= LOW // DAY, value < HIGH // DAY))
        return value

    def assume_offset(self, years: tuple[int, int]) -> None:
        """Record that a zone was read with one fixed offset, which it keeps over ``years``."""
        known = self.offset_years or years
        self.offset_years = (max(known[0], years[0]), min(known[1], years[1]))

    def offset_bounds(self) -> list[Any]:
        """Every instant kept to :attr:`offset_years` (nothing when no offset was assumed)."""
        if self.offset_years is None:
            return []
        first, last = self.offset_years
        low = instant(datetime(first, 1, 1, tzinfo=UTC)) + DAY  # a day's margin for the zone's own offset
        high = instant(datetime(last, 12, 31, tzinfo=UTC))
        moments = [v.value for v in self.vars.values() if v.sort == "instant" and v.value is not None]
        return [z3.And(m >= low, m < high) for m in [*moments, *([self.now_var] if self.now_var is not None else [])]]

    def _instant(self, value: Any) -> None:
        """An instant's range: what a datetime holds, and the years facts are written in."""
        self.domain.append(z3.And(value >= WIDE_LOW, value < WIDE_HIGH))
        self.era.append(z3.And(value >= LOW, value < HIGH))

    def _bounds(self, path: str, value: Any) -> None:
        definition = _definition(self.model, path)
        for item in getattr(definition, "metadata", ()):
            for name, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                bound = getattr(item, name, None)
                if isinstance(bound, int | float) and not isinstance(bound, bool):
                    self.domain.append(compare(op, value, bound))

    def param(self, name: str) -> Any:
        """A parameter as a constant (its value in force) or, with ``free_params``, a variable."""
        known = self.param_vars.get(name)
        if known is not None:
            return known
        value = self.params[name]
        declared = self.declared[name]
        term = self._param_term(name, value, declared)
        self.param_vars[name] = term
        return term

    def _param_term(self, name: str, value: Any, declared: Any) -> Any:
        kind = declared.type
        if kind == "str":
            return self.text(value)
        if kind == "str_list":
            return tuple(self.text(v) for v in value)
        free = self.free_params
        if kind == "bool":
            return z3.Bool(f"param:{name}", self.ctx) if free else z3.BoolVal(bool(value), self.ctx)
        if kind == "time":
            if not free:
                return z3.IntVal(clock_micros(value), self.ctx)
            var = z3.Int(f"param:{name}", self.ctx)
            self.domain.append(z3.And(var >= 0, var < DAY))
            return var
        if kind == "duration":
            if not isinstance(value, WallDuration):
                raise Untranslatable("param", f"parameter {name} is business time")
            if not free:
                return z3.IntVal(micros(value.delta), self.ctx)
            var = z3.Int(f"param:{name}", self.ctx)
            self.domain.append(var >= 0)  # a duration override is never negative
            for bound, op in ((declared.min, ">="), (declared.max, "<=")):
                if isinstance(bound, WallDuration):
                    self.domain.append(compare(op, var, micros(bound.delta)))
            return var
        if not free:
            return z3.IntVal(value, self.ctx) if kind == "int" else z3.RealVal(value, self.ctx)
        var = (z3.Int if kind == "int" else z3.Real)(f"param:{name}", self.ctx)
        for bound, op in ((declared.min, ">="), (declared.max, "<=")):
            if bound is not None:
                self.domain.append(compare(op, var, bound))
        return var

    def literal(self, var: Var, value: Any) -> Any:
        """A literal (already typed like the field) as a solver constant."""
        if var.sort == "text":
            return self.text(value)
        if var.sort == "bool":
            return z3.BoolVal(value, self.ctx)
        if var.sort == "instant":
            return z3.IntVal(instant(value), self.ctx)
        if var.sort == "date":
            return z3.IntVal(value.toordinal() - date(1970, 1, 1).toordinal(), self.ctx)
        if var.sort == "clock":
            return z3.IntVal(clock_micros(value), self.ctx)
        if var.sort == "duration":
            return z3.IntVal(micros(value), self.ctx)
        if var.sort == "int" and isinstance(value, int):
            return z3.IntVal(value, self.ctx)
        if var.sort in ("int", "real"):
            return z3.RealVal(value, self.ctx)
        raise Untranslatable("compare", f"{var.path} cannot be compared")

    # ----------------------------------------------------------------- conditions

    def condition(self, cond: ConditionBase) -> Any:
        """``cond`` as a solver formula; :class:`Untranslatable` when a kind has no translation."""
        translate = translation_for(cond)
        if translate is None:
            raise Untranslatable(cond.kind, "no translation")
        try:
            formula = translate(cond, self)
            if z3.is_expr(formula) and formula.ctx is not self.ctx:
                # a host's formula made in z3's default context: its constants match ours by name
                formula = formula.translate(self.ctx)
        except z3.Z3Exception as exc:
            raise Untranslatable(cond.kind, f"its translation failed ({exc}); make constants with "
                                            "ctx=encoding.ctx") from None
        return formula

    def atom(self, key: tuple[Any, ...], cond: ConditionBase) -> Any:
        """A free flag standing for a condition the solver does not look into (text search):
        any value is allowed, so what is proven stays proven."""
        known = self.atoms.get(key)
        if known is None:
            known = self.atoms[key] = (z3.Bool(f"atom{len(self.atoms)}:{cond.kind}", self.ctx), cond)
        return known[0]


def clock_micros(value: time) -> int:
    """A time of day in microseconds after midnight."""
    return ((value.hour * 60 + value.minute) * 60 + value.second) * SECOND + value.microsecond


def compare(op: str, left: Any, right: Any) -> Any:
    """``left op right`` as a solver formula."""
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right
