"""A policy as solver formulas, and the questions asked of it.

:class:`PolicyFormulas` translates every rule's condition once and says, for each rule,
when it *fires* under the policy's hit policy (``first``: no earlier rule holds;
``priority``: no rule of a higher priority holds). Every question is then one
satisfiability check: "is there a fact where the claim fails?" Unsatisfiable means proven
for every fact; satisfiable gives a model, which :mod:`csrules._verify.witness` turns into a
fact and re-runs through the engine.

The formulas are made in a solver context of their own, and each solver's random seeds are
set on it: the solver's choices (which model, which counterexample) follow the order its
context made its terms in, so a question answered over formulas built for it is answered
the same whatever the process asked the solver before.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]

from csrules._policy.facts import get_fact_type
from csrules._policy.model import Policy
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules._verify import kinds  # noqa: F401  (registers the built-in kinds' translations)
from csrules._verify.encoding import Encoding, Untranslatable

__all__ = ["PolicyFormulas", "Unknown", "matches"]

STEPS = 400_000_000
"""The solver's resource limit for one satisfiability check (about ten seconds' work on a
laptop) before its answer is "unknown": counted in the solver's own steps, so whether a
question is answered does not depend on how busy the machine is."""
TIMEOUT_MS = 120_000
"""Longest a single satisfiability check may take, a backstop far beyond :data:`STEPS`."""
SEEDS = ("random_seed", "smt.random_seed")
"""The solver's random seeds, each set to 0 on every solver."""


@dataclass(frozen=True)
class Unknown:
    """Why a rule's condition was not translated: the kind and the rule."""

    kind: str
    rule_id: str
    why: str

    def __str__(self) -> str:
        return f"kind {self.kind} at rule {self.rule_id}" + (f": {self.why}" if self.why else "")


def matches(pattern: str, key: str) -> bool:
    """Whether an effect ``key`` matches ``pattern`` (``violation:*`` matches any violation)."""
    return fnmatch.fnmatchcase(key, pattern)


@dataclass
class PolicyFormulas:
    """Every rule of ``policy`` translated over one :class:`Encoding`, in a solver context of
    its own: build one per question (or per policy's analyses) so that its answer does not
    depend on the questions asked before."""

    policy: Policy
    free_params: bool = False
    enc: Encoding = field(init=False)
    holds: dict[str, Any] = field(init=False, default_factory=dict)
    fires: dict[str, Any] = field(init=False, default_factory=dict)
    unknown: dict[str, Unknown] = field(init=False, default_factory=dict)
    keys: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        policy = self.policy
        self.enc = Encoding(
            get_fact_type(policy.fact_type),
            dict(policy.param_values),
            dict(policy.params),
            free_params=self.free_params,
            zone=policy.timezone or DEFAULT_TIME_ZONE,
        )
        for rule in policy.rules:
            self.keys[rule.id] = tuple(effect.key for effect in rule.then)
            try:
                self.holds[rule.id] = self.enc.condition(rule.when)
            except Untranslatable as exc:
                self.unknown[rule.id] = Unknown(exc.kind, rule.id, exc.why)
                # a free flag: whatever the rule does, what is proven stays proven
                self.holds[rule.id] = z3.Bool(f"rule:{rule.id}", self.enc.ctx)
        self._hit_policy()

    def _hit_policy(self) -> None:
        rules = self.policy.rules
        mode = self.policy.hit_policy
        for index, rule in enumerate(rules):
            holds = self.holds[rule.id]
            if mode == "first":
                before = [self.holds[r.id] for r in rules[:index]]
            elif mode == "priority":
                before = [self.holds[r.id] for r in rules if r.priority > rule.priority]
            else:
                before = []
            self.fires[rule.id] = z3.And(holds, z3.Not(z3.Or(*before))) if before else holds

    # ----------------------------------------------------------------- terms

    def decided(self, pattern: str) -> Any:
        """The decision holds an effect matching ``pattern``."""
        firing = [self.fires[r] for r, keys in self.keys.items() if any(matches(pattern, k) for k in keys)]
        return z3.Or(*firing) if firing else z3.BoolVal(False, self.enc.ctx)

    def rules_for(self, patterns: list[str]) -> list[str]:
        """The rules whose effects match any of ``patterns``."""
        return [r for r, keys in self.keys.items() if any(matches(p, k) for p in patterns for k in keys)]

    def touching(self, patterns: list[str]) -> list[Unknown]:
        """The untranslated rules a claim about ``patterns`` depends on (under ``first`` and
        ``priority`` every rule can decide another's firing)."""
        if self.policy.hit_policy != "collect":
            return list(self.unknown.values())
        return [self.unknown[r] for r in self.rules_for(patterns) if r in self.unknown]

    # ----------------------------------------------------------------- solving

    def solver(self, *formulas: Any, era: bool = True, offsets: bool = True) -> Any:
        """A solver holding the domain constraints and ``formulas``; with ``era``, instants
        kept to the years facts are written in (2000-2099), else, with ``offsets``, to the
        years a zone read with one fixed offset keeps it (it is read right only then)."""
        solver = z3.Solver(ctx=self.enc.ctx)
        solver.set("rlimit", STEPS)
        solver.set("timeout", TIMEOUT_MS)
        for seed in SEEDS:  # set on each solver: nothing set globally decides its models
            solver.set(seed, 0)
        solver.add(*self.enc.domain)
        if era:
            solver.add(*self.enc.era)
        elif offsets:
            solver.add(*self.enc.offset_bounds())
        solver.add(*formulas)
        return solver

    def outside_era(self, *formulas: Any) -> bool:
        """Whether ``formulas`` (unsatisfiable within 2000-2099) hold for some fact dated
        outside those years: a claim proved there is then not true of every fact."""
        return bool(self.enc.era) and self.solver(*formulas, era=False).check() == z3.sat

    def beyond_offsets(self, given: Any) -> bool:
        """Whether every fact meeting ``given`` is dated where a zone read with one fixed
        offset kept another (there are some): a proof over the other years says nothing of them."""
        if self.enc.offset_years is None:
            return False
        return bool(self.solver(given, era=False).check() == z3.unsat
                    and self.solver(given, era=False, offsets=False).check() == z3.sat)

    def satisfiable(self, *formulas: Any) -> tuple[str, Any]:
        """``("sat", solver)``, ``("unsat", None)`` or ``("unknown", None)``."""
        solver = self.solver(*formulas)
        answer = solver.check()
        if answer == z3.sat:
            return "sat", solver
        return ("unsat" if answer == z3.unsat else "unknown"), None
