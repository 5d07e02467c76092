"""The built-in analyses and the reviewer properties, each a list of :class:`Result`.

Analyses (codes as ``csrules check`` reports them):

- ``never-holds`` / ``always-holds``: a rule's condition is false (true) for every fact;
- ``shadowed``: under ``first`` or ``priority`` the rule never fires, as rules before it (or
  of a higher priority) hold whenever it does;
- ``conflict``: two rules fire for one fact with effects the table of contradictions pairs
  (by default approvals by two different roles);
- ``gap``: a fact for which no rule decides a matter (for a policy whose rules name
  approvers of different roles: a fact with no approver at all).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]

from csrules._engine.decision import Decision
from csrules._policy.kinds.base import CheckContext, handler_for
from csrules._policy.model import Policy
from csrules._policy.model import _zoned as zoned
from csrules._verify.encoding import Untranslatable
from csrules._verify.properties import Properties, Property
from csrules._verify.solve import PolicyFormulas, matches
from csrules._verify.witness import Witness, find_witness, paths_of
from csrules.exceptions import PolicyError

__all__ = ["DEFAULT_CONTRADICTIONS", "Analysis", "Result", "analyse", "prove"]

Status = Literal["proven", "counterexample", "not proven", "found"]
"""A property's verdict, or ``found`` for an analysis' finding."""

DEFAULT_CONTRADICTIONS: tuple[tuple[str, str], ...] = (("approval:*", "approval:*"),)
"""Effects that contradict when two rules give them for one fact: approvals by two roles."""


@dataclass
class Result:
    """One analysis finding or one property's verdict."""

    code: str
    policy_id: str
    status: Status
    message: str
    rule_id: str | None = None
    witness: Witness | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "code": self.code,
            "policy": self.policy_id,
            "rule": self.rule_id,
            "status": self.status,
            "message": self.message,
            "seconds": round(self.seconds, 3),
            "counterexample": None if self.witness is None else self.witness.to_dict(),
            **self.extra,
        }


# --------------------------------------------------------------------------- analyses


@dataclass
class Analysis:
    """The findings of every built-in analysis of one policy, and the seconds each took."""

    results: list[Result] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def analyse(policy: Policy, props: Properties, *, free_params: bool = False) -> Analysis:
    """Every built-in analysis of ``policy`` (findings only), each timed."""
    formulas = PolicyFormulas(policy, free_params)
    analysis = Analysis()
    for name, run in _ANALYSES:
        start = _time.perf_counter()
        found = list(run(formulas, props))
        seconds = analysis.timings[name] = _time.perf_counter() - start
        for result in found:
            result.seconds = seconds
        analysis.results.extend(found)
    return analysis


def _holds(f: PolicyFormulas, props: Properties) -> Iterator[Result]:
    """``never-holds`` and ``always-holds``: a condition unsatisfiable, or its negation."""
    for rule in f.policy.rules:
        if rule.id in f.unknown:
            continue
        holds = f.holds[rule.id]
        if f.satisfiable(holds)[0] == "unsat":
            message = ("its condition holds only for facts dated outside 2000-2099 (check the dates it compares "
                       "with)" if f.outside_era(holds) else "its condition can never hold (for no fact)")
            yield Result("never-holds", f.policy.id, "found", message, rule.id)
        elif f.satisfiable(z3.Not(holds))[0] == "unsat":
            message = ("its condition holds for every fact dated 2000-2099, though not for some dated outside "
                       "them" if f.outside_era(z3.Not(holds)) else "its condition holds for every fact")
            yield Result("always-holds", f.policy.id, "found", message, rule.id)


def _shadowed(f: PolicyFormulas, props: Properties) -> Iterator[Result]:
    """``shadowed``: a rule whose condition can hold but which never fires."""
    if f.policy.hit_policy == "collect":
        return
    for rule in f.policy.rules:
        if f.satisfiable(f.holds[rule.id])[0] != "sat":
            continue  # a condition that never holds is reported as never-holds
        if f.satisfiable(f.fires[rule.id])[0] == "unsat":
            if f.unknown:
                continue  # an untranslated rule above might not cover it
            above = "an earlier rule" if f.policy.hit_policy == "first" else "a rule of higher priority"
            yield Result(
                "shadowed", f.policy.id, "found",
                f"never fires under hit policy {f.policy.hit_policy}: {above} holds whenever it does",
                rule.id,
            )


def _conflicts(f: PolicyFormulas, props: Properties) -> Iterator[Result]:
    """``conflict``: two rules firing for one fact with contradicting effects."""
    table = [*DEFAULT_CONTRADICTIONS, *(tuple(pair) for pair in props.contradictions)]
    rules = f.policy.rules
    for i, first in enumerate(rules):
        for second in rules[i + 1:]:
            pair = _contradiction(f.keys[first.id], f.keys[second.id], table)
            if pair is None or props.accepts(first.id, second.id):
                continue
            both = z3.And(f.fires[first.id], f.fires[second.id])
            answer, solver = f.satisfiable(both)
            if answer == "unsat" and f.outside_era(both):
                yield Result(
                    "conflict", f.policy.id, "found",
                    f"fires together with rule {second.id!r} for one fact dated outside 2000-2099 (the years "
                    f"counterexamples are written in): {pair[0]} and {pair[1]}",
                    first.id, extra={"with": second.id},
                )
            if answer != "sat":
                continue
            ids = (first.id, second.id)
            witness, why = find_witness(f.policy, f.enc, solver, _both(pair), rules=ids,
                                        read=paths_of(first.when, second.when))
            if witness is None and f.enc.atoms:
                continue  # text searches are free flags: without a fact, the overlap may not exist
            together = (f"fires together with rule {second.id!r} for one fact" if witness is not None
                        else f"may fire together with rule {second.id!r}{_unconfirmed(why)}")
            yield Result(
                "conflict", f.policy.id, "found", f"{together}: {pair[0]} and {pair[1]}",
                first.id, witness, extra={"with": second.id},
            )


def _contradiction(
    left: tuple[str, ...], right: tuple[str, ...], table: list[tuple[str, ...]]
) -> tuple[str, str] | None:
    """The first pair of effects, one of each rule, that the table says contradict."""
    for a in left:
        for b in right:
            if a == b:
                continue
            for x, y in table:
                if (matches(x, a) and matches(y, b)) or (matches(x, b) and matches(y, a)):
                    return a, b
    return None


def _both(pair: tuple[str, str]) -> Callable[[Decision], bool]:
    """Both effects of ``pair`` in the decision."""
    return lambda decision: set(pair) <= set(decision.effect_keys)


def _none_of(pattern: str) -> Callable[[Decision], bool]:
    """No effect matching ``pattern`` in the decision."""
    return lambda decision: not any(matches(pattern, k) for k in decision.effect_keys)


def _gaps(f: PolicyFormulas, props: Properties) -> Iterator[Result]:
    """``gap``: a fact for which no rule decides a matter."""
    matters = props.gaps.get(f.policy.id)
    if matters is None:
        roles = {k for keys in f.keys.values() for k in keys if k.startswith("approval:")}
        matters = ["approval"] if len(roles) > 1 else []
    for matter in matters:
        pattern = f"{matter}:*" if matter != "recommendation" else matter
        if f.touching([pattern]):
            continue
        answer, solver = f.satisfiable(z3.Not(f.decided(pattern)))
        if answer != "sat":
            continue
        read = paths_of(*(r.when for r in f.policy.rules if r.id in f.rules_for([pattern])))
        witness, why = find_witness(f.policy, f.enc, solver, _none_of(pattern), read=read)
        if witness is None and f.enc.atoms:
            continue
        message = f"no rule decides {matter} for some {f.policy.fact_type} facts"
        if witness is None:
            message = f"no rule may decide {matter} for some {f.policy.fact_type} facts{_unconfirmed(why)}"
        yield Result("gap", f.policy.id, "found", message, None, witness)


def _unconfirmed(why: str) -> str:
    """Why a finding no fact reproduced through the engine may not exist (the solver reads
    derived fields, and a calendar's unlisted days, freely)."""
    return f" (the solver allows it, but no fact reproduced it: {why})"


_ANALYSES: tuple[tuple[str, Callable[[PolicyFormulas, Properties], Iterator[Result]]], ...] = (
    ("never/always-holds", _holds),
    ("shadowed", _shadowed),
    ("conflict", _conflicts),
    ("gap", _gaps),
)


# --------------------------------------------------------------------------- properties


def prove(policy: Policy, prop: Property, *, free_params: bool = False) -> Result:
    """Prove ``prop`` for every fact of ``policy`` or find a counterexample, timed."""
    start = _time.perf_counter()
    result = _prove(policy, prop, PolicyFormulas(policy, free_params))
    result.seconds = _time.perf_counter() - start
    return result


def _offset_note(f: PolicyFormulas) -> str:
    """What bounds a proof that read a zone with one fixed offset: the years it keeps it."""
    if f.enc.offset_years is None:
        return ""
    first, last = f.enc.offset_years
    return f" (proven for facts dated {first}-{last}, the years its zones keep the offsets read)"


def _prove(policy: Policy, prop: Property, f: PolicyFormulas) -> Result:
    if prop.given is not None and policy.timezone is not None:
        # the property's windows and clock times naming no zone are read in the policy's zone
        prop = prop.model_copy(update={"given": zoned(prop.given, policy.timezone)})
    if prop.given is not None:
        try:
            handler_for(prop.given).check(prop.given, CheckContext(f.enc.model, dict(policy.params), ("given",)))
        except PolicyError as exc:
            raise PolicyError(f"property {prop.id!r}: {exc.message}", path=exc.path, loc=exc.loc) from None
    patterns = [*prop.expect.includes, *prop.expect.excludes, *prop.expect.at_most_one]
    unknown = f.touching(patterns)
    try:
        given = z3.BoolVal(True, f.enc.ctx) if prop.given is None else f.enc.condition(prop.given)
    except Untranslatable as exc:
        return Result(prop.id, policy.id, "not proven", f"not proven (kind {exc.kind} in the property's given)")
    if unknown:
        return Result(prop.id, policy.id, "not proven", f"not proven ({unknown[0]})")
    claim = _claim(f, prop)
    answer, solver = f.satisfiable(given, z3.Not(claim))
    if answer == "unsat" and f.outside_era(given, z3.Not(claim)):
        return Result(prop.id, policy.id, "not proven", "not proven: it holds for facts dated 2000-2099, but "
                      "not for some dated outside them")
    if answer == "unsat" and f.beyond_offsets(given):
        first, last = f.enc.offset_years or (0, 0)
        return Result(prop.id, policy.id, "not proven", "not proven: its facts are dated outside "
                      f"{first}-{last}, when a zone it reads kept another UTC offset than the one proofs read it with")
    if answer == "unsat":
        return Result(prop.id, policy.id, "proven", (prop.title or prop.id) + _offset_note(f))
    if answer == "unknown":
        return Result(prop.id, policy.id, "not proven",
                      "not proven (the solver gave no answer within its resource limit)")
    involved = [r for r in policy.rules if r.id in f.rules_for(patterns)]
    witness, why = find_witness(
        policy, f.enc, solver, lambda d: not _claim_holds(prop, d.effect_keys),
        rules=tuple(r.id for r in involved), read=paths_of(prop.given, *(r.when for r in involved)),
        given=prop.given,
    )
    if witness is None:
        return Result(prop.id, policy.id, "not proven", f"not proven: a counterexample may exist, but {why}")
    return Result(prop.id, policy.id, "counterexample", prop.title or prop.id, witness=witness)


def _claim(f: PolicyFormulas, prop: Property) -> Any:
    parts = [f.decided(p) for p in prop.expect.includes]
    parts += [z3.Not(f.decided(p)) for p in prop.expect.excludes]
    if prop.expect.at_most_one:
        parts.append(z3.AtMost(*[f.decided(p) for p in prop.expect.at_most_one], 1))
    return z3.And(*parts)


def _claim_holds(prop: Property, keys: tuple[str, ...]) -> bool:
    def decided(pattern: str) -> bool:
        return any(matches(pattern, k) for k in keys)

    return (
        all(decided(p) for p in prop.expect.includes)
        and not any(decided(p) for p in prop.expect.excludes)
        and sum(decided(p) for p in prop.expect.at_most_one) <= 1
    )
