"""The compiled evaluator against hand-written Python and peer engines, in one run.

    python benchmarks/bench_engine.py [N]

Every engine's answers are checked equal to the hand-written rules before anything is timed.
Ratios are against hand-written Python measured in the same run; peers missing from the
environment (``pip install -e '.[benchmark]'``) are skipped with the reason.

Below the table, two ratios a host feels most:

* evaluate + read what a host reads (outcome, violation codes, approvers) against
  hand-written ``if`` statements returning the same;
* evaluate + read for a match pattern not cached yet against one cached, for the 8-rule
  policy and for an 82-rule policy whose facts match about half the rules.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).parent))

from leave_rules import generate_facts, hand_written, hand_written_attr, hand_written_read
from peers import PEERS, UNAVAILABLE

import csrules


@csrules.register_fact_type(name="bench_leave")
class BenchLeave(BaseModel):
    """The benchmark's flat leave request."""

    kind: Literal["personal", "special", "sick", "annual"]
    days: float
    notice_hours: float
    in_person: bool
    has_certificate: bool
    emergency: bool
    night_shift: bool
    holiday: bool
    before_noon: bool
    manager_approved: bool


def best_of(run: Callable[[], Any], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def loop(evaluate: Callable[[Any], Any], facts: Iterable[Any]) -> Callable[[], None]:
    """A closure evaluating every fact once."""

    def run() -> None:
        for fact in facts:
            evaluate(fact)

    return run


def read(decision: csrules.Decision) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """What a host reads of a decision: outcome, violation codes, approvers."""
    return decision.outcome.value, tuple([v.code for v in decision.violations]), decision.approvers


def wide_policy(rules: int = 82) -> csrules.Policy:
    """A policy of ``rules`` threshold rules on notice hours: about half match each fact,
    with violations, approvals by five roles and escalations (large match patterns)."""
    then = [
        lambda i: {"type": "violation", "code": f"W-{i}", "message": f"rule {i}"},
        lambda i: {"type": "approval", "role": f"role_{i % 5}"},
        lambda i: {"type": "escalation", "to": f"role_{i % 3}"},
    ]
    return csrules.Policy(
        id="bench-wide",
        version="1",
        title={"en": "Wide benchmark policy", "zh": "宽基准规则"},
        fact_type="bench_leave",
        rules=[
            {
                "id": f"W{i}",
                "title": f"wide rule {i}",
                "when": {"kind": "compare", "path": "notice_hours", "op": "<", "value": i + 1},
                "then": [then[i % 3](i)],
            }
            for i in range(rules)
        ],
    )


def miss_ratio(engine: csrules.Engine, models: list[Any]) -> tuple[float, float]:
    """Microseconds per evaluate + read with every match pattern cached, and with none
    (the pattern cache emptied before each call, as for a pattern never seen before)."""
    plan = engine._plans["bench_leave"]  # the benchmark looks inside on purpose
    evaluate = engine.evaluate
    for m in models:  # warm: every pattern cached
        read(evaluate(m))

    def cold() -> None:
        clear = plan._views.clear
        for m in models:
            clear()
            read(evaluate(m))

    hit = best_of(loop(lambda m: read(evaluate(m)), models))
    miss = best_of(cold)
    return hit / len(models) * 1e6, miss / len(models) * 1e6


def main(n: int = 20_000) -> int:
    """Print a table of microseconds per decision and ratios; 1 if any answer differs."""
    policy = csrules.load_policy(Path(__file__).parent / "leave_policy.yaml")
    engine = csrules.Engine(policy)
    facts = generate_facts(n)
    models = [BenchLeave.model_validate(f) for f in facts]
    expected = [hand_written(f) for f in facts]

    def ids(decision: csrules.Decision) -> tuple[str, ...]:
        return decision.rule_ids

    checks = {
        "csrules (model)": [ids(engine.evaluate(m)) for m in models],
        "csrules (dict)": [ids(engine.evaluate(f)) for f in facts],
        "hand-written (model)": [hand_written_attr(m) for m in models],
    }
    peers: dict[str, Callable[[dict[str, Any]], tuple[str, ...]]] = {}
    for name, (peer, factory) in PEERS.items():
        if peer in UNAVAILABLE:
            print(f"skipped {name}: {UNAVAILABLE[peer]}")
            continue
        peers[name] = factory()
        checks[name] = [peers[name](f) for f in facts]
    failures = [name for name, answers in checks.items() if answers != expected]
    if [read(engine.evaluate(m)) for m in models] != [hand_written_read(m) for m in models]:
        failures.append("csrules evaluate + read outcome, codes, approvers")
    if failures:
        print(f"answers differ from hand-written Python: {failures}")
        return 1
    print(f"all {len(checks)} evaluators agree on {n} facts\n")

    evaluate = engine.evaluate
    validate = BenchLeave.model_validate
    rows: list[tuple[str, float]] = [
        ("hand-written Python, pre-validated model", best_of(loop(hand_written_attr, models))),
        ("csrules evaluate, pre-validated model", best_of(loop(evaluate, models))),
        (
            "csrules evaluate + read rule ids, model",
            best_of(loop(lambda m: evaluate(m).rule_ids, models)),
        ),
        (
            "csrules evaluate + read outcome/codes/approvers",
            best_of(loop(lambda m: read(evaluate(m)), models)),
        ),
        ("pydantic model_validate of the dict", best_of(loop(validate, facts))),
        (
            "model_validate + hand-written",
            best_of(loop(lambda f: hand_written_attr(validate(f)), facts)),
        ),
        ("csrules evaluate, dict (validation included)", best_of(loop(evaluate, facts))),
        (
            "csrules evaluate_many, dict",
            best_of(lambda: sum(1 for _ in engine.evaluate_many(facts))),
        ),
    ]
    rows += [(f"peer: {name}", best_of(loop(fn, facts), repeat=2)) for name, fn in peers.items()]
    reference = rows[0][1]
    dict_reference = rows[5][1]
    print(
        f"{'evaluator':48s} {'us/decision':>12s} {'x hand-written':>15s} {'x validate+hand':>16s}"
    )
    for name, seconds in rows:
        us = seconds / n * 1e6
        print(f"{name:48s} {us:12.3f} {seconds / reference:15.2f} {seconds / dict_reference:16.2f}")
    read_reference = best_of(loop(hand_written_read, models))
    read_ours = best_of(loop(lambda m: read(evaluate(m)), models))
    print(f"\nevaluate + read outcome/codes/approvers vs hand-written: {read_ours / read_reference:.2f}x"
          f" ({read_ours / n * 1e6:.3f} vs {read_reference / n * 1e6:.3f} us)")
    for label, measured in (("8 rules", engine), ("82 rules", csrules.Engine(wide_policy()))):
        hit, miss = miss_ratio(measured, models[: n // 4])
        print(f"{label}: uncached vs cached match pattern (evaluate + read): {miss / hit:.2f}x"
              f" ({miss:.2f} vs {hit:.2f} us)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
