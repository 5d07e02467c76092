"""The compiled evaluator against hand-written Python and peer engines, in one run.

    python benchmarks/bench_engine.py [N]

Every engine's answers are checked equal to the hand-written rules before anything is timed.
Ratios are against hand-written Python measured in the same run; peers missing from the
environment (``pip install -e '.[benchmark]'``) are skipped with the reason.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).parent))

from leave_rules import generate_facts, hand_written, hand_written_attr
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
    dict_reference = rows[4][1]
    print(
        f"{'evaluator':48s} {'us/decision':>12s} {'x hand-written':>15s} {'x validate+hand':>16s}"
    )
    for name, seconds in rows:
        us = seconds / n * 1e6
        print(f"{name:48s} {us:12.3f} {seconds / reference:15.2f} {seconds / dict_reference:16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
