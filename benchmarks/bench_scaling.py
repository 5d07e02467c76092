"""How evaluation cost grows with the number of rules and of policies.

    python benchmarks/bench_scaling.py [N]

Rules are random conjunctions of one to three tests (thresholds with <, <=, >, >=, ==,
equality and membership on text, yes/no flags) over a 16-field fact. Measured, per decision,
evaluate + read outcome and rule ids:

* 8, 64 and 512 rules in one policy, as built by default (tests shared across rules once
  enough rules per field take part: at 512 here) and, for 64 and 512, forced shared and
  forced rule by rule, with every match pattern cached and with none cached (the pattern cache
  emptied before each call; a plan's chunk tables, made once, stay);
* 1, 8 and 64 policies of 8 rules each in one engine;
* 64 and 512 rules with the pattern cache full and evicting: facts showing more patterns than
  the cache holds, judged in turn (each pattern dropped before it comes again);
* 8, 64 and 512 rules as built by default, cached and uncached, read as a host reading no
  rule ids does: outcome, violations and approvers (a pattern outside the cache gathers
  each part when first read, so what a host does not read costs nothing); and outcome,
  violations, codes and approvers (every part a decision copies, still no rule ids: past
  128 rules matched, not gathered for them either);
* at 64 and 512 rules, the floor of a pattern outside the cache: its rule ids gathered from the
  plan's chunk tables alone, and the same tuples built from lists (the cheapest build of a tuple
  of those ids), against the whole cached decision.

Every engine's answers are checked against a plain Python evaluation of the same rules before
anything is timed. Ratios are against the 8-rule policy in the same run (interleaved rounds).
"""

from __future__ import annotations

import operator
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).parent))

from timing import interleaved, per_item_us, ratio

import csrules
import csrules._engine.compile as compile_module

TEXT = ("a", "b", "c", "d", "e")
NUMBERS = tuple(f"n{i}" for i in range(8))
TEXTS = tuple(f"t{i}" for i in range(4))
FLAGS = tuple(f"b{i}" for i in range(4))


@csrules.register_fact_type(name="bench_wide")
class Wide(BaseModel):
    """A 16-field fact: eight numbers, four texts, four flags."""

    n0: int
    n1: int
    n2: int
    n3: int
    n4: float
    n5: float
    n6: float
    n7: float | None = None
    t0: Literal["a", "b", "c", "d", "e"]
    t1: Literal["a", "b", "c", "d", "e"]
    t2: str
    t3: str
    b0: bool
    b1: bool
    b2: bool
    b3: bool


OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def random_test(rng: random.Random) -> dict[str, Any]:
    """One test on a random field."""
    family = rng.choice(("number", "number", "text", "flag"))
    if family == "number":
        return {"kind": "compare", "path": rng.choice(NUMBERS), "op": rng.choice(list(OPS)),
                "value": rng.randrange(0, 100, 5)}
    if family == "text":
        path = rng.choice(TEXTS)
        if rng.random() < 0.5:
            return {"kind": "compare", "path": path, "op": "==", "value": rng.choice(TEXT)}
        return {"kind": "in", "path": path, "value": rng.sample(TEXT, 2)}
    return {"kind": "compare", "path": rng.choice(FLAGS), "op": "==", "value": rng.random() < 0.5}


def make_policy(rules: int, seed: int, name: str = "wide") -> csrules.Policy:
    """A collect policy of ``rules`` random rules, each a violation or an approval."""
    rng = random.Random(seed)
    made = []
    for i in range(rules):
        tests = [random_test(rng) for _ in range(rng.randint(1, 3))]
        then = ({"type": "violation", "code": f"V{i % 17}", "message": f"rule {i}"}
                if i % 2 else {"type": "approval", "role": f"role{i % 5}"})
        made.append({"id": f"{name}-{i}", "title": f"rule {i}",
                     "when": {"kind": "all", "of": tests}, "then": [then]})
    return csrules.Policy(id=name, version="1", title={"en": name, "zh": name},
                          fact_type="bench_wide", rules=made)


def random_fact(rng: random.Random) -> Wide:
    """A fact whose numbers often sit on a rule's threshold."""
    numbers = {f"n{i}": rng.randrange(0, 100, 5) + rng.choice((0, 0, 1, 2.5)) for i in range(8)}
    for name in ("n0", "n1", "n2", "n3"):
        numbers[name] = int(numbers[name])
    if rng.random() < 0.2:
        numbers["n7"] = None
    return Wide(**numbers, **{t: rng.choice(TEXT) for t in TEXTS},
                **{b: rng.random() < 0.5 for b in FLAGS})


def reference(policies: list[csrules.Policy]) -> Callable[[Wide], tuple[str, ...]]:
    """The rules evaluated one by one in plain Python (a missing value fails every test)."""

    def test(fact: Wide, cond: Any) -> bool:
        value = getattr(fact, cond.path)
        if value is None:
            return False
        if cond.kind == "in":
            return value in cond.value
        return bool(OPS[cond.op](value, cond.value))

    rules = [rule for policy in policies for rule in policy.rules]

    def evaluate(fact: Wide) -> tuple[str, ...]:
        return tuple(rule.id for rule in rules if all(test(fact, c) for c in rule.when.of))

    return evaluate


def effects_of(policies: list[csrules.Policy], rule_ids: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The violation codes (in rule order) and the approving roles (in rule order, each once)
    of the rules ``rule_ids``, read from the policies."""
    effects = {rule.id: rule.then for policy in policies for rule in policy.rules}
    chosen = [effect for rule_id in rule_ids for effect in effects[rule_id]]
    codes = tuple(effect.code for effect in chosen if effect.type == "violation")
    return codes, tuple(dict.fromkeys(effect.role for effect in chosen if effect.type == "approval"))


def engine_of(policies: list[csrules.Policy], *, shared: bool | None) -> csrules.Engine:
    """An engine as built by default (None: tests shared when enough rules per field take
    part), or with tests forced shared (True) or rule by rule (False)."""
    saved = compile_module.SHARE_RULES_PER_FIELD
    if shared is not None:
        compile_module.SHARE_RULES_PER_FIELD = 0 if shared else 1 << 30
    try:
        return csrules.Engine(policies)
    finally:
        compile_module.SHARE_RULES_PER_FIELD = saved


def read(decision: csrules.Decision) -> tuple[Any, ...]:
    """What the benchmark reads: outcome and rule ids."""
    return decision.outcome.value, decision.rule_ids


def read_effects(decision: csrules.Decision) -> tuple[Any, ...]:
    """What a host reading no rule ids reads: outcome, violations and approvers."""
    return decision.outcome.value, decision.violations, decision.approvers


def read_parts(decision: csrules.Decision) -> tuple[Any, ...]:
    """What a host keeping every part but the rule ids reads: outcome, violations, their
    codes and approvers."""
    return decision.outcome.value, decision.violations, decision.violation_codes, decision.approvers


Reader = Callable[[csrules.Decision], tuple[Any, ...]]


def cached(engine: csrules.Engine, facts: list[Wide], read: Reader = read) -> Callable[[], None]:
    """Evaluate + read with the patterns cached (warmed first)."""
    evaluate = engine.evaluate
    for fact in facts:
        read(evaluate(fact))

    def run() -> None:  # the calls in the loop itself, as uncached() makes them
        for fact in facts:
            read(evaluate(fact))

    return run


def uncached(engine: csrules.Engine, facts: list[Wide], read: Reader = read) -> Callable[[], None]:
    """Evaluate + read with the pattern cache emptied before each call (the plan's chunk
    tables, made once per plan, stay)."""
    views = engine._plans["bench_wide"]._views  # the benchmark looks inside on purpose
    evaluate = engine.evaluate
    for fact in facts:  # the tables made
        read(evaluate(fact))

    def run() -> None:
        for fact in facts:
            views.clear()
            read(evaluate(fact))

    return run


def evicting(engine: csrules.Engine, facts: list[Wide]) -> Callable[[], None]:
    """Evaluate + read with the pattern cache full and evicting: ``facts`` show more patterns
    than the cache holds (:data:`~csrules._engine.compile.MAX_VIEWS`), judged in turn, so that
    each pattern has been dropped before it comes again (a host with many patterns)."""
    evaluate = engine.evaluate
    for fact in facts:  # the cache filled
        read(evaluate(fact))

    def run() -> None:
        for fact in facts:
            read(evaluate(fact))

    return run


def floor(engine: csrules.Engine, facts: list[Wide], label: str) -> dict[str, Callable[[], None]]:
    """What a pattern outside the cache must at least do to answer its rule ids: gather them
    from the plan's chunk tables (as a new pattern's view does), or, cheapest of all, build the
    same tuple from a list already holding the ids; checked against the engine's answers.
    ``label`` names the plan (``"512 rules"``)."""
    plan = engine._plans["bench_wide"]
    masks = [plan.decide(fact, None) for fact in facts]
    table = plan.tables().rule_ids
    gather = compile_module._joined  # the benchmark looks inside on purpose
    answers = [list(engine.evaluate(fact).rule_ids) for fact in facts]
    if [list(gather(table, mask)) for mask in masks] != answers:
        raise AssertionError("gathered rule ids differ from the engine's")

    def gathered() -> None:
        for mask in masks:
            gather(table, mask)

    def built() -> None:
        for ids in answers:
            tuple(ids)

    return {f"{label}, rule ids gathered alone": gathered, f"{label}, rule ids built from a list": built}


def main(n: int = 2000) -> int:
    """Print per-decision times and ratios; 1 if any answer differs from the reference."""
    rng = random.Random(11)
    facts = [random_fact(rng) for _ in range(n)]
    setups: dict[str, list[csrules.Policy]] = {
        f"{rules} rules": [make_policy(rules, seed=rules)] for rules in (8, 64, 512)
    }
    setups |= {
        f"{count} policies x 8 rules": [make_policy(8, seed=100 + i, name=f"p{i}") for i in range(count)]
        for count in (1, 8, 64)
    }
    variants: dict[str, Callable[[], None]] = {}
    for label, policies in setups.items():
        expected = [reference(policies)(fact) for fact in facts]
        forms: tuple[bool | None, ...] = (None, True, False) if label in ("64 rules", "512 rules") else (None,)
        for shared in forms:
            # one engine per variant: emptying one's cache must not cool the other's
            engines = [engine_of(policies, shared=shared) for _ in range(2)]
            for engine in engines:
                got = [engine.evaluate(fact).rule_ids for fact in facts]
                if got != expected:
                    print(f"{label} (shared={shared}): answers differ from the reference")
                    return 1
            form = {None: "", True: ", forced shared", False: ", forced rule by rule"}[shared]
            variants[f"{label}{form}, cached"] = cached(engines[0], facts)
            if "policies" not in label:
                variants[f"{label}{form}, uncached"] = uncached(engines[1], facts)
            if shared is None and "policies" not in label:
                engines = [engine_of(policies, shared=None) for _ in range(2)]
                views = engines[1]._plans["bench_wide"]._views  # each fact judged as a miss
                for fact, rule_ids in zip(facts, expected, strict=True):
                    views.clear()
                    decision = engines[1].evaluate(fact)
                    got = (tuple(v.code for v in decision.violations), decision.approvers)
                    if got != effects_of(policies, rule_ids):
                        print(f"{label}: a miss's violations or approvers differ from the reference")
                        return 1
                variants[f"{label}, cached, no rule ids read"] = cached(engines[0], facts, read_effects)
                variants[f"{label}, uncached, no rule ids read"] = uncached(engines[1], facts, read_effects)
                engines = [engine_of(policies, shared=None) for _ in range(2)]
                variants[f"{label}, cached, every part but rule ids read"] = cached(engines[0], facts, read_parts)
                variants[f"{label}, uncached, every part but rule ids read"] = uncached(engines[1], facts, read_parts)
    print(f"every engine agrees with the reference on {n} facts\n")
    many_facts = [random_fact(rng) for _ in range(compile_module.MAX_VIEWS * 5 // 4)]
    for rules in (64, 512):
        engine = engine_of(setups[f"{rules} rules"], shared=None)
        sample = many_facts[::10]
        if [engine.evaluate(f).rule_ids for f in sample] != [reference(setups[f"{rules} rules"])(f) for f in sample]:
            print(f"{rules} rules (many facts): answers differ from the reference")
            return 1
        if len({engine._plans["bench_wide"].decide(f, None) for f in many_facts}) <= compile_module.MAX_VIEWS:
            print(f"{rules} rules: too few patterns to fill the cache")
            return 1
        variants[f"{rules} rules, cache full and evicting"] = evicting(engine, many_facts)
    for label in ("64 rules", "512 rules"):
        variants |= floor(engine_of(setups[label], shared=None), facts, label)
    times = interleaved(variants, rounds=5)
    print(f"{'evaluate + read outcome and rule ids':52s} {'per decision':>28s}   vs 8 rules cached")
    sizes = {label: len(many_facts) if "evicting" in label else n for label in times}
    base = [t / n for t in times["8 rules, cached"]]
    for label, samples in times.items():
        per = [t / sizes[label] for t in samples]
        print(f"{label:52s} {per_item_us(samples, sizes[label]):>28s}   {ratio(per, base)}")
    print()
    for rules in (64, 512):
        print(f"{rules} rules shared vs rule by rule (cached): "
              f"{ratio(times[f'{rules} rules, forced shared, cached'], times[f'{rules} rules, forced rule by rule, cached'])}")
    print(f"512 rules vs 8 rules, as built by default (cached): "
          f"{ratio(times['512 rules, cached'], times['8 rules, cached'])}  goal <= 8x")
    for label in ("8 rules", "64 rules", "512 rules"):
        print(f"{label}: uncached vs cached pattern: "
              f"{ratio(times[f'{label}, uncached'], times[f'{label}, cached'])}")
    for label in ("8 rules", "64 rules", "512 rules"):
        print(f"{label}: uncached vs cached pattern, outcome/violations/approvers read: "
              f"{ratio(times[f'{label}, uncached, no rule ids read'], times[f'{label}, cached, no rule ids read'])}")
    for label in ("8 rules", "64 rules", "512 rules"):
        print(f"{label}: uncached vs cached pattern, outcome/violations/codes/approvers read: "
              f"{ratio(times[f'{label}, uncached, every part but rule ids read'], times[f'{label}, cached, every part but rule ids read'])}")
    for label in ("64 rules", "512 rules"):
        for part in ("gathered alone", "built from a list"):
            print(f"{label}: rule ids {part} vs cached decision: "
                  f"{ratio(times[f'{label}, rule ids {part}'], times[f'{label}, cached'])}")
    for rules in (64, 512):
        full = [t / len(many_facts) for t in times[f"{rules} rules, cache full and evicting"]]
        print(f"{rules} rules: cache full and evicting vs cached pattern: "
              f"{ratio(full, [t / n for t in times[f'{rules} rules, cached']])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
