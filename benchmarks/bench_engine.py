"""The compiled evaluator against hand-written Python and peer engines, in one run.

    python benchmarks/bench_engine.py [N]

Every engine's answers are checked equal to the hand-written rules before anything is timed.
Ratios are against hand-written Python measured in the same run; peers missing from the
environment (``pip install -e '.[benchmark]'``) are skipped with the reason.

Timed in interleaved rounds (every variant once per round, in rotating order) and reported
as best and median; ratios are best vs best and median vs median. The main line is what a
host does: evaluate and read outcome, violation codes and approvers (``decision.outcome.value``,
``decision.violation_codes``, ``decision.approvers``), against hand-written ``if`` statements
returning the same; the same read with the codes built from ``decision.violations`` and the
unread decision are shown, labelled, for reference.
Below the table, the goals: that read vs hand-written, the dict path vs ``model_validate`` +
hand-written, datalogic-py vs csrules, and a match pattern not cached yet against one cached
(for the 8-rule policy and an 82-rule policy whose facts match about half the rules; for the
8-rule policy also a pattern never seen before).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).parent))

from leave_rules import generate_facts, hand_written, hand_written_attr, hand_written_read
from peers import PEERS, UNAVAILABLE
from timing import interleaved, loop, per_item_us, ratio

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


def read(decision: csrules.Decision) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """What a host reads of a decision, through the public API: outcome, violation codes
    (:attr:`~csrules.Decision.violation_codes`, kept per match pattern), approvers."""
    return decision.outcome.value, decision.violation_codes, decision.approvers


def read_built(decision: csrules.Decision) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The same read with the codes built from ``violations`` on every read (as a host
    without :attr:`~csrules.Decision.violation_codes` writes it)."""
    return decision.outcome.value, tuple([v.code for v in decision.violations]), decision.approvers


def chained(first: Callable[[Any], Any], then: Callable[[Any], Any], items: list[Any]) -> Callable[[], None]:
    """A closure calling ``then(first(item))`` on every item, both calls in the loop itself
    (as a host writes it): no wrapper function around them, which hand-written rules called
    directly by :func:`loop` do not pay either."""

    def run() -> None:
        for item in items:
            then(first(item))

    return run


def rule_ids_of(evaluate: Callable[[Any], csrules.Decision], items: list[Any]) -> Callable[[], None]:
    """A closure reading ``evaluate(item).rule_ids`` for every item, in the loop itself."""

    def run() -> None:
        for item in items:
            evaluate(item).rule_ids  # noqa: B018 - the read is what is timed

    return run


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


def miss_variants(policy: csrules.Policy, models: list[Any]) -> dict[str, Callable[[], None]]:
    """Evaluate + read with every match pattern cached ("hit"), and with the pattern new ("miss":
    the pattern cache emptied before each call; a plan of few patterns, see ``Plan.few``, keeps
    each pattern's view for good, another makes the view from its chunk tables, made once per
    plan); for a plan of few patterns, also with the pattern never seen ("cold": its kept views
    emptied too). One engine each, so that emptying one's caches never cools another's."""

    def variant(*emptied: str) -> Callable[[], None]:
        engine = csrules.Engine(policy)
        plan = engine._plans["bench_leave"]  # the benchmark looks inside on purpose
        evaluate = engine.evaluate
        for m in models:  # warm: every pattern cached
            read(evaluate(m))
        views = plan._views if emptied else {}  # cached: the same loop, emptying a dict never read
        kept = plan._kept if "_kept" in emptied and plan._kept is not None else {}

        def run() -> None:
            for m in models:
                views.clear()
                kept.clear()
                read(evaluate(m))

        return run

    variants = {"hit": variant(), "miss": variant("_views")}
    if csrules.Engine(policy)._plans["bench_leave"].few:
        variants["cold"] = variant("_views", "_kept")
    return variants


LABELS = {
    "miss": "new pattern",
    "cold": "pattern never seen",
}
"""How each cache state of :func:`miss_variants` is reported."""


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
    if [read(engine.evaluate(f)) for f in facts] != [hand_written_read(m) for m in models]:
        failures.append("csrules evaluate dict + read outcome, codes, approvers")
    if [read_built(engine.evaluate(m)) for m in models] != [hand_written_read(m) for m in models]:
        failures.append("csrules evaluate + read outcome, codes built from violations, approvers")
    if failures:
        print(f"answers differ from hand-written Python: {failures}")
        return 1
    print(f"all {len(checks)} evaluators agree on {n} facts; interleaved rounds, best and median\n")

    evaluate = engine.evaluate
    validate = BenchLeave.model_validate
    variants: dict[str, Callable[[], None]] = {
        "hand-written read (outcome, codes, approvers)": loop(hand_written_read, models),
        "csrules evaluate + read outcome/codes/approvers": chained(evaluate, read, models),
        "csrules evaluate + read, codes built from violations": chained(evaluate, read_built, models),
        "hand-written rule ids, model": loop(hand_written_attr, models),
        "csrules evaluate + read rule ids, model": rule_ids_of(evaluate, models),
        "csrules evaluate, model, decision unread": loop(evaluate, models),
        "model_validate + hand-written read, dict": chained(validate, hand_written_read, facts),
        "csrules evaluate + read, dict": chained(evaluate, read, facts),
    }
    fast_peers = [name for name in peers if name.startswith("datalogic")]
    variants |= {f"peer: {name}, dict -> rule ids": loop(peers[name], facts) for name in fast_peers}
    times = interleaved(variants, rounds=7)
    reference = times["hand-written read (outcome, codes, approvers)"]
    print(f"{'evaluator':52s} {'us/decision (best, median)':>32s}   x hand-written read")
    for name, samples in times.items():
        print(f"{name:52s} {per_item_us(samples, n):>32s}   {ratio(samples, reference)}")
    slow = {name: loop(fn, facts[: n // 10]) for name, fn in peers.items() if name not in fast_peers}
    for name, samples in interleaved(slow, rounds=2).items():
        print(f"{'peer: ' + name + ', dict -> rule ids':52s} {per_item_us(samples, n // 10):>32s}")

    ours = times["csrules evaluate + read outcome/codes/approvers"]
    ours_dict = times["csrules evaluate + read, dict"]
    print("\ngoals (ratios best vs best, median vs median):")
    print(f"  evaluate + read vs hand-written returning the same: {ratio(ours, reference)}  goal <= 1.5x")
    built = times["csrules evaluate + read, codes built from violations"]
    print(f"  (the same, codes built from violations on every read: {ratio(built, reference)})")
    print(f"  dict: evaluate + read vs model_validate + hand-written: "
          f"{ratio(ours_dict, times['model_validate + hand-written read, dict'])}  goal <= 1.3x")
    for name in fast_peers:
        theirs = times[f"peer: {name}, dict -> rule ids"]
        print(f"  {name} (rule ids only) vs csrules evaluate + read, model: {ratio(theirs, ours)};"
              f" dict: {ratio(theirs, ours_dict)}  goal >= 2x")
    for label, measured in (("8 rules", policy), ("82 rules", wide_policy())):
        cache = interleaved(miss_variants(measured, models[: n // 4]), rounds=5)
        for kind, words in LABELS.items():
            if kind not in cache:
                continue  # "cold": plans of few patterns only
            print(f"  {label}: {words} vs cached (evaluate + read): {ratio(cache[kind], cache['hit'])}"
                  f"  goal <= 1.5x ({per_item_us(cache[kind], n // 4)} vs {per_item_us(cache['hit'], n // 4)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
