"""A counterexample is a fact: the solver's model written as a fact that validates, shrunk
toward readable values, and re-run through the engine.

The fact starts from a worked example of the policy (so every field no rule reads keeps a
value a person wrote) and the solver is asked to keep each field it reads at the example's
value where it can, and an instant it must move within a week of the example's. Values it
must move are then rounded (an instant of the example, whole days and hours; whole and small
numbers) as far as the counterexample survives. Derived fields are left out, for the fact
model to compute; the search starts from what the fact model derives
(:mod:`csrules._verify.derived`) and keeps to the days a calendar answers for. A fact must
meet the property's ``given`` and break its claim as the engine reads it; when it does not
(a derived value differs), the solver learns the derived value for those inputs and is asked
again, a few times at most.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from fractions import Fraction
from typing import Any

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]

from csrules._engine.decision import Decision
from csrules._engine.engine import Engine
from csrules._policy.facts import field_info, validate_fact
from csrules._policy.kinds.base import ConditionBase, DescribeContext, Env, handler_for, walk
from csrules._policy.model import Policy
from csrules._time.durations import WallDuration, format_timedelta, parse_duration
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules._verify.derived import derivations
from csrules._verify.encoding import DAY, EPOCH, SECOND, Encoding, Var, clock_micros, instant, micros
from csrules._verify.kinds import fixed_offset
from csrules.domain.facts import derived_sources
from csrules.exceptions import CsrulesError

__all__ = ["ATTEMPTS", "Search", "Witness", "find_witness", "paths_of"]

ATTEMPTS = 6
"""How many solver models are tried before a counterexample is given up as not reproducible."""

Broken = Callable[[Decision], bool]
"""Whether a decision breaks the claim (judged on the engine's answer)."""

_PATH_FIELDS = ("path", "field", "since", "until", "day_of")


def paths_of(*conditions: ConditionBase | None) -> tuple[str, ...]:
    """The field paths ``conditions`` read, sorted (what a reader of a counterexample needs)."""
    found: set[str] = set()
    for cond in conditions:
        for node in walk(cond) if cond is not None else ():
            found.update(v for name in _PATH_FIELDS if isinstance(v := getattr(node, name, None), str))
    return tuple(sorted(found))


@dataclass
class Witness:
    """A fact (with ``now`` and parameter overrides) on which a claim fails, and the trace."""

    fact: dict[str, Any]
    now: datetime | None
    overrides: dict[str, Any] = field(default_factory=dict)
    effects: tuple[str, ...] = ()
    trace: str = ""
    reproduced: bool = True
    note: str = ""
    read: tuple[str, ...] = ()

    def essentials(self) -> dict[str, Any]:
        """Only the fields the rules in question read (the rest come from a worked example)."""
        return {path: _read(self.fact, path) for path in self.read}

    def case(self, name: str = "counterexample", fact_type: str | None = None) -> dict[str, Any]:
        """The fact as a ``*.test.yaml`` case: ``expect`` holds the effects the engine gave
        (the parameter overrides, if any, are not part of a case: see :attr:`overrides`)."""
        case: dict[str, Any] = {"name": name}
        if fact_type is not None:
            case["fact_type"] = fact_type
        case["fact"] = self.fact
        if self.now is not None:
            case["now"] = self.now.isoformat()
        if self.reproduced:
            case["expect"] = list(self.effects)
        return case

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            **self.case(), "overrides": self.overrides, "reproduced": self.reproduced,
            "note": self.note, "trace": self.trace,
        }


def _zone() -> timezone:
    """The zone counterexamples are written in: the default site zone's (fixed) offset."""
    offset = fixed_offset(DEFAULT_TIME_ZONE) or 0
    return timezone(timedelta(microseconds=offset))


def _number(value: Any) -> int | float:
    if z3.is_int_value(value):
        return int(value.as_long())
    fraction = Fraction(value.as_fraction())
    return int(fraction) if fraction.denominator == 1 else float(fraction)


def shown(sort: str, value: Any, texts: dict[int, str]) -> Any:
    """A solver value of ``sort`` as a fact field value (JSON-ready)."""
    if sort == "bool":
        return bool(z3.is_true(value))
    number = _number(value)
    if sort == "text":
        return texts.get(int(number), f"text{int(number)}")
    if sort == "instant":
        return (EPOCH + timedelta(microseconds=int(number))).astimezone(_zone()).isoformat()
    if sort == "date":
        return (date(1970, 1, 1) + timedelta(days=int(number))).isoformat()
    if sort == "clock":
        micro = int(number)
        clock = time(micro // 3_600_000_000, micro // 60_000_000 % 60, micro // SECOND % 60, micro % SECOND)
        return clock.isoformat()
    if sort == "duration":
        return duration_text(int(number))
    return number


def duration_text(micro: int) -> str:
    """A span in microseconds as a policy or a fact writes it (``90s``, ``1h``, ``0.5s``)."""
    if micro % SECOND == 0:
        return format_timedelta(timedelta(microseconds=micro))
    return f"{micro / SECOND:.6f}".rstrip("0") + "s"


def _constant(var: Var, raw: Any, enc: Encoding) -> Any:
    """A fact's value as a solver constant of ``var``'s sort, or None when it cannot be one."""
    try:
        if raw is None or var.value is None:
            return None
        if var.sort == "instant":
            return z3.IntVal(instant(datetime.fromisoformat(raw) if isinstance(raw, str) else raw), enc.ctx)
        if var.sort == "text" and isinstance(raw, str):
            return enc.text(raw)
        if var.sort == "duration":
            span = raw if isinstance(raw, timedelta) else parse_duration(raw)
            if isinstance(span, WallDuration):
                span = span.delta
            return z3.IntVal(micros(span), enc.ctx) if isinstance(span, timedelta) else None
        if var.sort == "clock":
            return z3.IntVal(clock_micros(raw if isinstance(raw, time) else time.fromisoformat(raw)), enc.ctx)
        if var.sort == "bool" and isinstance(raw, bool):
            return z3.BoolVal(raw, enc.ctx)
        if var.sort in ("int", "real") and isinstance(raw, int | float) and not isinstance(raw, bool):
            return z3.RealVal(raw, enc.ctx) if var.sort == "real" else z3.IntVal(int(raw), enc.ctx)
    except (TypeError, ValueError, OverflowError, CsrulesError):
        return None
    return None


def _read(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else getattr(data, part, None)
    return data


def _write(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        inner = data.get(part)
        if not isinstance(inner, dict):
            inner = data[part] = {}
        data = inner
    data[parts[-1]] = value


def _base(policy: Policy) -> tuple[dict[str, Any], datetime | None]:
    """The first worked example's fact and ``now``: the values no rule reads come from it."""
    for rule in policy.rules:
        for example in rule.examples:
            if example.fact is not None:
                return copy.deepcopy(example.fact), example.now
            for step in example.steps or ():
                if step.fact is not None:
                    return copy.deepcopy(step.fact), step.at
    return {}, None


def _candidates(sort: str, value: int | float, anchors: list[int]) -> list[Any]:
    """Rounder values to try, roundest first (an instant: first the example's own instants,
    so a shift starts when the leave does; then whole days, hours, ten minutes ...)."""
    if sort in ("int", "real"):
        out: list[Any] = [0, 1, 2, round(value)]
        return [*out, round(value * 2) / 2, round(value, 2)] if sort == "real" else out
    if sort not in ("instant", "duration", "clock"):
        return []
    units = [DAY, 3_600 * SECOND, 600 * SECOND, 60 * SECOND, SECOND]
    offset = (fixed_offset(DEFAULT_TIME_ZONE) or 0) if sort == "instant" else 0
    down = [((int(value) + offset) // unit) * unit - offset for unit in units]
    up = [-((-(int(value) + offset)) // unit) * unit - offset for unit in units]
    return (anchors if sort == "instant" else []) + down + up


_FILL_START = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=8)))


def fill_required(model: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a plain value for each required field it lacks (no worked example to
    start from): text ``x`` or the first choice, 0, no, and instants an hour apart in field
    order, so a start comes before its end."""
    hour = 0
    for name, definition in model.model_fields.items():
        if not definition.is_required() or name in data:
            continue
        info = field_info(model, name)
        if info.model is not None and not info.is_collection:
            data[name] = fill_required(info.model, {})
        elif info.is_collection:
            data[name] = []
        elif info.choices is not None:
            data[name] = sorted(info.choices, key=str)[0]
        elif info.kind == "datetime":
            data[name] = (_FILL_START + timedelta(hours=hour)).isoformat()
            hour += 1
        else:
            data[name] = {"text": "x", "bool": False, "number": 1, "time": "09:00", "duration": "1h"}.get(info.kind)
    return data


class Search:
    """One counterexample search over a solver already holding the failing claim."""

    def __init__(self, policy: Policy, enc: Encoding, solver: Any) -> None:
        self.policy, self.enc, self.solver = policy, enc, solver
        self.base, self.base_now = _base(policy)
        self.derived = derived_sources(enc.model)
        self.kept: dict[int, Any] = {}  # term id -> the preference that keeps it (when it held)
        # preferences read the example as the fact model completes it (days counted, shift start)
        try:
            self.example: Any = validate_fact(enc.model, fill_required(enc.model, copy.deepcopy(self.base)))
        except CsrulesError:
            self.example = self.base

    def _is_derived(self, path: str) -> bool:
        return path.split(".")[0] in self.derived

    def prefer_base(self) -> Any:
        """Solve keeping as many read fields as possible at the worked example's values."""
        prefs = []
        for path, var in self.enc.vars.items():
            constant = _constant(var, _read(self.example, path), self.enc)
            if constant is None or self._is_derived(path):
                continue
            flag = z3.Bool(f"prefer:{path}", self.enc.ctx)
            self.solver.add(z3.Implies(flag, z3.And(var.present, var.value == constant)))
            prefs.append(flag)
            self.kept[var.value.get_id()] = flag
        for name, term in self.enc.param_vars.items():
            if _free(term):  # with --all-params: keep every parameter it can at its value in force
                fixed = Encoding(self.enc.model, self.enc.params, self.enc.declared, ctx=self.enc.ctx).param(name)
                flag = z3.Bool(f"prefer:param:{name}", self.enc.ctx)
                self.solver.add(z3.Implies(flag, term == fixed))
                prefs.append(flag)
                self.kept[term.get_id()] = flag
        if self.base_now is not None and self.enc.now_var is not None:
            flag = z3.Bool("prefer:now", self.enc.ctx)
            self.solver.add(z3.Implies(flag, self.enc.now_var == instant(self.base_now)))
            prefs.append(flag)
            self.kept[self.enc.now_var.get_id()] = flag
        while True:
            answer = self.solver.check(*prefs)
            if answer != z3.unsat or not prefs:
                held = {p.get_id() for p in prefs}
                self.kept = {key: flag for key, flag in self.kept.items() if flag.get_id() in held}
                if answer == z3.sat:
                    self.solver.add(*prefs)  # kept while the other values are rounded
                    self._near()
                return answer
            core = [str(c) for c in self.solver.unsat_core()]
            # give up one preference of the core at a time: the others may still hold
            prefs = [p for p in prefs if str(p) != core[-1]] if core else []

    def _anchors(self) -> list[int]:
        """The worked example's instants, in microseconds, in order."""
        return sorted({
            constant.as_long()
            for path, var in self.enc.vars.items()
            if var.sort == "instant" and (constant := _constant(var, _read(self.example, path), self.enc)) is not None
        })

    def _near(self) -> None:
        """Keep each instant the solver had to move off the worked example's (or that the
        example leaves empty: off its first instant) within a week of it (else a year) where
        it can: a counterexample dated beside its example reads as one (a leave asked three
        days ahead, not in another century)."""
        anchors = self._anchors()
        for path, var in self.enc.vars.items():
            if var.sort != "instant" or var.value.get_id() in self.kept or self._is_derived(path):
                continue
            constant = _constant(var, _read(self.example, path), self.enc)
            if constant is None and anchors:
                constant = z3.IntVal(anchors[0], self.enc.ctx)
            for span in (8 * DAY, 367 * DAY) if constant is not None else ():  # a day more: room to round
                near = z3.And(var.value - constant <= span, constant - var.value <= span)
                self.solver.push()
                self.solver.add(near)
                fits = self.solver.check() == z3.sat
                self.solver.pop()
                if fits:
                    self.solver.add(near)
                    break
        self.solver.check()

    def _terms(self) -> list[tuple[str, Any]]:
        """Every value to shrink, with its sort: fields, ``now``, free parameters."""
        terms = [(v.sort, v.value) for v in self.enc.vars.values() if v.value is not None and v.sort != "bool"]
        if self.enc.now_var is not None:
            terms.append(("instant", self.enc.now_var))
        sorts = {"int": "int", "float": "real", "duration": "duration", "time": "clock"}
        for name, term in self.enc.param_vars.items():
            sort = sorts.get(self.policy.params[name].type)
            if sort is not None and _free(term):
                terms.append((sort, term))
        return terms

    def shrink(self) -> None:
        """Round each value the example could not give, keeping the claim broken."""
        anchors = self._anchors()
        model = self.solver.model()
        for sort, term in self._terms():
            if term.get_id() in self.kept:
                continue  # at the worked example's value (or the parameter's in force)
            value = model.eval(term, model_completion=True)
            number = _number(value)
            for candidate in _candidates(sort, number, anchors):
                if candidate == number:
                    break
                self.solver.push()
                self.solver.add(term == candidate)
                fits = self.solver.check() == z3.sat
                self.solver.pop()
                if fits:
                    value = candidate
                    break
            self.solver.add(term == value)  # kept (exactly) while the next are rounded, else they drift
            self.solver.check()
            model = self.solver.model()

    def realise(self) -> tuple[dict[str, Any], datetime | None, dict[str, Any]]:
        """The solver's model as a fact dict, ``now`` and parameter overrides."""
        model = self.solver.model()
        texts = {code: text for text, code in self.enc.texts.items()}
        fact = fill_required(self.enc.model, copy.deepcopy(self.base))
        for name in self.derived:
            fact.pop(name, None)
        for path, var in sorted(self.enc.vars.items()):
            if self._is_derived(path):
                continue
            if not z3.is_true(model.eval(var.present, model_completion=True)):
                self._absent(fact, path, model)
            elif var.value is not None:
                _write(fact, path, shown(var.sort, model.eval(var.value, model_completion=True), texts))
        self._texts(fact, model)
        now = None
        if self.enc.now_var is not None:
            now = datetime.fromisoformat(shown("instant", model.eval(self.enc.now_var, model_completion=True), texts))
        overrides = {}
        for name, term in self.enc.param_vars.items():
            if _free(term):
                value = _param_value(self.policy.params[name].type, model.eval(term, model_completion=True))
                if self.policy.params[name].coerce(value) != self.policy.param_values[name]:
                    overrides[name] = value
        return fact, now, overrides

    def _absent(self, fact: dict[str, Any], path: str, model: Any) -> None:
        parts = path.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            flag = self.enc.presence.get(prefix)
            if flag is not None and not z3.is_true(model.eval(flag, model_completion=True)):
                _write(fact, prefix, None)
                return

    def _texts(self, fact: dict[str, Any], model: Any) -> None:
        """Text searches the solver said hold: a text holding one phrase of each."""
        wanted: dict[str, list[str]] = {}
        for flag, cond in self.enc.atoms.values():
            if cond.kind != "contains":
                continue  # a calendar's day: the solver chose no value for it
            path = getattr(cond, "path", "")
            phrases = getattr(cond, "phrases", None) or self.policy.param_values.get(getattr(cond, "param", ""), ())
            phrases = [phrases] if isinstance(phrases, str) else phrases
            bucket = wanted.setdefault(path, [])
            if z3.is_true(model.eval(flag, model_completion=True)) and phrases:
                bucket.append(str(next(iter(phrases))))
        lines: dict[str, list[str]] = {}
        for path, phrases in wanted.items():
            if not z3.is_true(model.eval(self.enc.field(path).present, model_completion=True)):
                continue
            text = "，".join(phrases) if phrases else "好的"
            source = self._text_source(path)
            if source is not None:  # a derived line (the greeting): write the lines it reads
                lines.setdefault(source, []).append(text)
            elif not self._is_derived(path):
                _write(fact, path, [text] if self.enc.field(path).info.is_collection else text)
        for source, texts in lines.items():
            _write(fact, source, texts)

    def _text_source(self, path: str) -> str | None:
        """The list of texts a derived text field is read from (``greeting``: the agent's
        lines), or None."""
        sources = self.derived.get(path.split(".")[0], ())
        if len(sources) != 1:
            return None
        info = field_info(self.enc.model, sources[0])
        return sources[0] if info.is_collection and info.kind == "text" else None

    def learn(self, judged: Any, model: Any) -> None:
        """The fact model computed other derived values than the solver chose in ``model``:
        tell the solver what they are for these inputs (the fields each derives from), and
        exclude this point, before asking again."""
        if judged is not None:
            for path, var in self.enc.vars.items():
                constant = _constant(var, _read(judged, path), self.enc) if self._is_derived(path) else None
                if constant is not None:
                    self.solver.add(z3.Implies(self._inputs(path, model), var.value == constant))
            for flag, cond in self.enc.atoms.values():
                path = getattr(cond, "path", "")
                if self._is_derived(path):
                    env = Env(judged, None, self.policy.param_values, self.enc.model, DescribeContext())
                    held = bool(handler_for(cond).evaluate(cond, env).result)
                    self.solver.add(z3.Implies(self._inputs(path, model), flag == held))
        same = [v.value == model.eval(v.value, model_completion=True)
                for p, v in self.enc.vars.items() if v.value is not None and not self._is_derived(p)]
        if self.enc.now_var is not None:
            same.append(self.enc.now_var == model.eval(self.enc.now_var, model_completion=True))
        self.solver.add(z3.Not(z3.And(*same)) if same else z3.BoolVal(False, self.enc.ctx))

    def _inputs(self, path: str, model: Any) -> Any:
        """The derived field at ``path``'s sources at their values in ``model`` (the sources
        the solver does not read keep the worked example's values, so they need no term)."""
        terms = []
        for source in self.derived.get(path.split(".")[0], ()):
            var = self.enc.vars.get(source)
            if var is not None:
                terms.append(var.present == model.eval(var.present, model_completion=True))
                if var.value is not None:
                    terms.append(var.value == model.eval(var.value, model_completion=True))
        return z3.And(*terms) if terms else z3.BoolVal(True, self.enc.ctx)


def _free(term: Any) -> bool:
    """Whether a parameter's term is a variable (``--all-params``), not its value in force."""
    return bool(z3.is_expr(term) and z3.is_const(term) and term.decl().kind() == z3.Z3_OP_UNINTERPRETED)


def _param_value(kind: str, value: Any) -> Any:
    """A parameter value from the solver as an override is written."""
    if kind == "bool":
        return bool(z3.is_true(value))
    if kind == "duration":
        return duration_text(int(_number(value)))
    if kind == "time":
        return shown("clock", value, {})
    return _number(value)


def find_witness(
    policy: Policy, enc: Encoding, solver: Any, broken: Broken, *, rules: tuple[str, ...] = (),
    read: tuple[str, ...] = (), given: ConditionBase | None = None,
) -> tuple[Witness | None, str]:
    """A fact meeting ``given`` (as the engine reads it) on which ``broken(decision)`` is
    true through the engine, from a solver whose constraints say the claim fails;
    ``(None, why)`` when none is found in :data:`ATTEMPTS`."""
    search = Search(policy, enc, solver)
    derived = derivations(enc, _zone_of(search.example))
    solver.add(*enc.judged, *derived)
    why = "the solver found no fact" + (" the engine can judge (in the years its calendars list)" if enc.judged else "")
    why += " with the values its fact model derives" if derived else ""
    for _ in range(ATTEMPTS):
        solver.push()  # the rounding of one attempt binds that attempt only
        if search.prefer_base() != z3.sat:
            solver.pop()
            break
        search.shrink()
        fact, now, overrides = search.realise()
        model = solver.model()
        solver.pop()
        if policy.needs_session:
            counts = ", ".join(str(model.eval(term, model_completion=True)) for term in enc.counts.values())
            note = (f"a session rule: the events before this one are the solver's (window counts: {counts}); "
                    "not re-run through the engine")
            return Witness(fact, now, overrides, reproduced=False, note=note, read=read), ""
        judged = None
        judging = policy.with_params(**overrides) if overrides else policy
        at = now or datetime(2026, 3, 2, 12, tzinfo=UTC)
        try:
            judged = validate_fact(enc.model, fact)
            decision = Engine([judging]).evaluate(judged, now=at, as_of=_in_force(policy))
        except CsrulesError as exc:
            why = f"the solver's fact does not validate ({exc})"
            search.learn(judged, model)
            continue
        if not _meets(given, judged, at, judging, enc):
            why = "the engine finds the solver's facts outside the property's given (a derived field differs)"
        elif broken(decision):
            return Witness(fact, now, overrides, decision.effect_keys, _trace(decision, rules), read=read), ""
        else:
            why = "the engine judges the solver's facts otherwise (a derived field differs)"
        search.learn(judged, model)
    return None, why


def _zone_of(example: Any) -> str:
    """The zone a fact like ``example`` reads its clocks in (its ``time_zone``, or the default)."""
    zone = _read(example, "time_zone")
    return zone if isinstance(zone, str) else DEFAULT_TIME_ZONE


def _meets(given: ConditionBase | None, fact: Any, now: datetime, policy: Policy, enc: Encoding) -> bool:
    """Whether the engine's reading of ``given`` holds for ``fact`` (a counterexample to a
    property must be one of the facts the property speaks of)."""
    if given is None:
        return True
    env = Env(fact, now, policy.param_values, enc.model, DescribeContext(enc.model, dict(policy.param_values)))
    return env.evaluate(given).result is True


def _in_force(policy: Policy) -> date | None:
    """A day a dated version is in force (the solver's fact is judged by that version)."""
    if policy.valid_from is not None:
        return policy.valid_from
    return None if policy.valid_until is None else policy.valid_until - timedelta(days=1)


def _trace(decision: Decision, rules: tuple[str, ...]) -> str:
    """The trace of the rules that matched and of the rules in question."""
    lines: list[str] = []
    for rule in decision.trace:
        if rule.matched or rule.rule_id in rules:
            lines.extend(rule.render())
    return "\n".join(lines)
