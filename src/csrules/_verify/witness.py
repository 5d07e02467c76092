"""A counterexample is a fact: the solver's model written as a fact that validates, shrunk
toward readable values, and re-run through the engine.

The fact starts from a worked example of the policy (so every field no rule reads keeps a
value a person wrote) and the solver is asked to keep each field it reads at the example's
value where it can. Values it must move are then rounded (whole hours, whole numbers, small
numbers) as far as the counterexample survives. Derived fields are left out, for the fact
model to compute; when the engine does not reproduce the solver's answer (a derived value
differs), the point is excluded and the solver asked again, a few times at most.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from fractions import Fraction
from typing import Any

import z3  # type: ignore[import-untyped]

from csrules._engine.decision import Decision
from csrules._engine.engine import Engine
from csrules._policy.facts import validate_fact
from csrules._policy.model import Policy
from csrules._time.durations import format_timedelta
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules._verify.encoding import DAY, EPOCH, SECOND, Encoding, Var, instant
from csrules._verify.kinds import fixed_offset
from csrules.domain.facts import derived_sources
from csrules.exceptions import CsrulesError

__all__ = ["Witness", "find_witness"]

ATTEMPTS = 6
"""How many solver models are tried before a counterexample is given up as not reproducible."""

Broken = Callable[[Decision], bool]


@dataclass
class Witness:
    """A fact (and ``now``, and parameter overrides) on which a claim fails, with the trace."""

    fact: dict[str, Any]
    now: datetime | None
    overrides: dict[str, Any] = field(default_factory=dict)
    effects: tuple[str, ...] = ()
    trace: str = ""
    reproduced: bool = True
    note: str = ""
    read: tuple[str, ...] = ()

    def essentials(self) -> dict[str, Any]:
        """Only the fields the rules read (the rest come from a worked example)."""
        return {path: _read(self.fact, path) for path in self.read}

    def case(self) -> dict[str, Any]:
        """The fact as a ``*.test.yaml`` case (expect: the effects the engine gave)."""
        case: dict[str, Any] = {"fact": self.fact, "expect": list(self.effects)}
        if self.now is not None:
            case["now"] = self.now.isoformat()
        if self.overrides:
            case["overrides"] = self.overrides
        return case

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {**self.case(), "reproduced": self.reproduced, "note": self.note, "trace": self.trace}


def _zone() -> timezone:
    offset = fixed_offset(DEFAULT_TIME_ZONE) or 0
    return timezone(timedelta(microseconds=offset))


def _number(value: Any) -> int | float:
    if z3.is_int_value(value):
        return int(value.as_long())
    fraction = Fraction(value.as_fraction())
    return int(fraction) if fraction.denominator == 1 else float(fraction)


def _reverse(enc: Encoding) -> dict[int, str]:
    return {code: text for text, code in enc.texts.items()}


def shown(var_sort: str, value: Any, texts: dict[int, str]) -> Any:
    """A solver value as a fact field value (JSON-ready)."""
    if var_sort == "bool":
        return bool(z3.is_true(value))
    number = _number(value)
    if var_sort == "text":
        return texts.get(int(number), f"text{int(number)}")
    if var_sort == "instant":
        moment = EPOCH + timedelta(microseconds=int(number))
        return moment.astimezone(_zone()).isoformat()
    if var_sort == "date":
        return (date(1970, 1, 1) + timedelta(days=int(number))).isoformat()
    if var_sort == "clock":
        micro = int(number)
        return time(micro // 3_600_000_000, micro // 60_000_000 % 60, micro // SECOND % 60, micro % SECOND).isoformat()
    if var_sort == "duration":
        return int(number) / SECOND
    return number


def _base(policy: Policy) -> tuple[dict[str, Any], datetime | None]:
    """The first worked example's fact and ``now``: the values no rule reads come from it."""
    for rule in policy.rules:
        for example in rule.examples:
            if example.fact is not None:
                return copy.deepcopy(example.fact), example.now
            if example.steps:
                for step in example.steps:
                    if step.fact is not None:
                        return copy.deepcopy(step.fact), step.at
    return {}, None


def _solver_value(var: Var, raw: Any, enc: Encoding) -> Any:
    """A fact's value as a solver constant, or None when it cannot be one."""
    try:
        if raw is None or var.value is None:
            return None
        if var.sort == "instant":
            return z3.IntVal(instant(datetime.fromisoformat(raw) if isinstance(raw, str) else raw))
        if var.sort == "text" and isinstance(raw, str):
            return enc.text(raw)
        if var.sort == "bool" and isinstance(raw, bool):
            return z3.BoolVal(raw)
        if var.sort in ("int", "real") and isinstance(raw, int | float) and not isinstance(raw, bool):
            return z3.RealVal(raw) if var.sort == "real" else z3.IntVal(int(raw))
    except (TypeError, ValueError):
        return None
    return None


def _read(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _write(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        inner = target.get(part)
        if not isinstance(inner, dict):
            inner = target[part] = {}
        target = inner
    target[parts[-1]] = value


def _candidates(var: Var, value: int | float, anchors: list[int]) -> list[Any]:
    """Rounder values to try for ``var``, roundest first (an instant: first the instants of
    the worked example, so a shift starts when the leave does)."""
    if var.sort in ("int", "real"):
        out: list[Any] = [0, 1, 2, round(value)]
        if var.sort == "real":
            out += [round(value * 2) / 2, round(value, 2)]
        return out
    if var.sort in ("instant", "duration", "clock"):
        units = [DAY, 3_600 * SECOND, 600 * SECOND, 60 * SECOND, SECOND]
        offset = (fixed_offset(DEFAULT_TIME_ZONE) or 0) if var.sort == "instant" else 0
        return (anchors if var.sort == "instant" else []) + [
            ((int(value) + offset) // unit) * unit - offset for unit in units] + [
            ((int(value) + offset + unit - 1) // unit) * unit - offset for unit in units
        ]
    return []


class _Search:
    """One counterexample search over a solver already holding the failing claim."""

    def __init__(self, policy: Policy, enc: Encoding, solver: Any) -> None:
        self.policy, self.enc, self.solver = policy, enc, solver
        self.base, self.base_now = _base(policy)
        self.derived = derived_sources(enc.model) if hasattr(enc.model, "model_fields") else {}

    def prefer_base(self) -> Any:
        """Solve keeping as many read fields as possible at the worked example's values."""
        prefs = []
        for path, var in self.enc.vars.items():
            raw = _read(self.base, path)
            constant = _solver_value(var, raw, self.enc)
            if constant is None or path.split(".")[0] in self.derived:
                continue
            flag = z3.Bool(f"prefer:{path}")
            self.solver.add(z3.Implies(flag, z3.And(var.present, var.value == constant)))
            prefs.append(flag)
        if self.base_now is not None and self.enc._now is not None:
            flag = z3.Bool("prefer:now")
            self.solver.add(z3.Implies(flag, self.enc.now == instant(self.base_now)))
            prefs.append(flag)
        while True:
            answer = self.solver.check(*prefs)
            if answer == z3.sat or not prefs:
                return answer
            core = {str(c) for c in self.solver.unsat_core()}
            prefs = [p for p in prefs if str(p) not in core] if core else []

    def shrink(self) -> None:
        """Round each value the example could not give, keeping the claim broken."""
        model = self.solver.model()
        terms = [(v, v.value) for v in self.enc.vars.values() if v.value is not None and v.sort != "bool"]
        if self.enc._now is not None:
            terms.append((Var("now", None, "instant", z3.BoolVal(True), self.enc.now), self.enc.now))  # type: ignore[arg-type]
        anchors = []
        for path, var in self.enc.vars.items():
            constant = _solver_value(var, _read(self.base, path), self.enc) if var.sort == "instant" else None
            if constant is not None:
                anchors.append(constant.as_long())
        for var, term in terms:
            current = model.eval(term, model_completion=True)
            number = _number(current)
            for candidate in _candidates(var, number, sorted(set(anchors))):
                if candidate == number:
                    break
                self.solver.push()
                self.solver.add(term == candidate)
                if self.solver.check() == z3.sat:
                    self.solver.pop()
                    self.solver.add(term == candidate)
                    self.solver.check()
                    model = self.solver.model()
                    break
                self.solver.pop()
        self.solver.check()

    def realise(self) -> tuple[dict[str, Any], datetime | None, dict[str, Any]]:
        """The solver's model as a fact dict, ``now`` and parameter overrides."""
        model = self.solver.model()
        texts = _reverse(self.enc)
        fact = copy.deepcopy(self.base)
        for name in self.derived:
            fact.pop(name, None)
        for path, var in sorted(self.enc.vars.items()):
            if path.split(".")[0] in self.derived:
                continue
            if not z3.is_true(model.eval(var.present, model_completion=True)):
                self._absent(fact, path, model)
                continue
            if var.value is not None:
                _write(fact, path, shown(var.sort, model.eval(var.value, model_completion=True), texts))
        self._texts(fact, model)
        now = None
        if self.enc._now is not None:
            now = EPOCH + timedelta(microseconds=_number(model.eval(self.enc.now, model_completion=True)))
            now = now.astimezone(_zone())
        overrides = {}
        if self.enc.free_params:
            for name, term in self.enc.param_vars.items():
                if z3.is_const(term) and not z3.is_int_value(term) and not z3.is_rational_value(term) \
                        and not z3.is_true(term) and not z3.is_false(term):
                    value = model.eval(term, model_completion=True)
                    overrides[name] = _param_value(self.policy.params[name].type, value)
        return fact, now, overrides

    def _absent(self, fact: dict[str, Any], path: str, model: Any) -> None:
        parts = path.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            flag = self.enc._presence.get(prefix)
            if flag is not None and not z3.is_true(model.eval(flag, model_completion=True)):
                _write(fact, prefix, None)
                return

    def _texts(self, fact: dict[str, Any], model: Any) -> None:
        """Text searches the solver said hold: a text holding one phrase of each."""
        wanted: dict[str, list[str]] = {}
        for flag, cond in self.enc.atoms.values():
            path = getattr(cond, "path", None)
            phrases = getattr(cond, "phrases", None) or list(self.policy.param_values.get(getattr(cond, "param", ""), ()))
            if path is None:
                continue
            bucket = wanted.setdefault(path, [])
            if z3.is_true(model.eval(flag, model_completion=True)) and phrases:
                bucket.append(str(phrases[0]))
        for path, phrases in wanted.items():
            text = "，".join(phrases) if phrases else "好的"
            info = self.enc.field(path).info
            _write(fact, path, [text] if info.is_collection else text)

    def block(self) -> None:
        """Exclude this model's point (it did not reproduce) before asking again."""
        model = self.solver.model()
        same = [v.value == model.eval(v.value, model_completion=True) for v in self.enc.vars.values() if v.value is not None]
        if self.enc._now is not None:
            same.append(self.enc.now == model.eval(self.enc.now, model_completion=True))
        self.solver.add(z3.Not(z3.And(*same)) if same else z3.BoolVal(False))


def _param_value(kind: str, value: Any) -> Any:
    if kind == "bool":
        return bool(z3.is_true(value))
    number = _number(value)
    if kind == "duration":
        return format_timedelta(timedelta(microseconds=int(number)))
    if kind == "time":
        return shown("clock", value, {})
    return number


def find_witness(policy: Policy, enc: Encoding, solver: Any, broken: Broken, rules: tuple[str, ...] = ()) -> Witness | None:
    """A fact on which ``broken(decision)`` is true through the engine, from a solver whose
    constraints say the claim fails; None when none is found in :data:`ATTEMPTS` tries."""
    search = _Search(policy, enc, solver)
    note = ""
    for _ in range(ATTEMPTS):
        if search.prefer_base() != z3.sat:
            break
        search.shrink()
        fact, now, overrides = search.realise()
        if policy.needs_session:
            return Witness(fact, now, overrides, reproduced=False, read=tuple(sorted(enc.vars)),
                           note="a session rule: window counts are the solver's; not re-run through the engine")
        try:
            judged = policy.with_params(**overrides) if overrides else policy
            validate_fact(enc.model, fact)
            decision = Engine([judged]).evaluate(fact, now=now if now is not None else _noon())
        except CsrulesError as exc:
            note = f"the solver's fact does not validate: {exc}"
            search.block()
            continue
        if broken(decision):
            return Witness(fact, now, overrides, decision.effect_keys, _trace(decision, rules),
                           read=tuple(sorted(enc.vars)))
        note = "the solver's fact is judged otherwise by the engine (a derived field differs)"
        search.block()
    del note
    return None


def _noon() -> datetime:
    return datetime(2026, 3, 2, 12, tzinfo=UTC)


def _trace(decision: Decision, rules: tuple[str, ...]) -> str:
    lines = []
    for rule in decision.trace:
        if rule.matched or rule.rule_id in rules:
            lines.extend(rule.render())
    return "\n".join(lines)
