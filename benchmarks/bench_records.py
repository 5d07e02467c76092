"""What decision records and decision logs cost per decision.

    python benchmarks/bench_records.py [N [ROUNDS]]

Judges N leave requests (call_centre's leave policy; default 5,000) four ways, ROUNDS times
each (default 7, interleaved), and prints the best CPU and wall time per decision:

* bare: ``engine.evaluate`` and reading the outcome (dict facts, validated as hosts send
  them; and already-built fact models);
* record: the same plus ``decision.record()``;
* SQLite / JSON Lines: through ``engine.with_log(log)`` with batched writes (256 a batch),
  closing the log (the last batch written) inside the timing.

The cost a log adds is (logged - bare) CPU time per decision, also shown as a multiple of
the bare decision. The target is at most 3x a bare decision's cost when batched.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from csrules.policies import load_pack
from csrules.records import DecisionLog, JsonlLog, SQLiteLog

CST = timezone(timedelta(hours=8))


def facts(count: int) -> list[tuple[dict[str, Any], datetime]]:
    """``count`` personal leave requests with notice from 2 to 95 hours."""
    out = []
    for i in range(count):
        start = datetime(2026, 1, 1, 8, 30, tzinfo=CST) + timedelta(days=i % 300)
        asked = start - timedelta(hours=2 + i % 94)
        out.append(({"agent_id": f"A{i % 50:02d}", "kind": "personal", "start": start.isoformat(),
                     "end": (start + timedelta(hours=8)).isoformat(), "requested_at": asked.isoformat(),
                     "requested_by": f"A{i % 50:02d}", "manager_approved": i % 7 == 0}, asked))
    return out


def per_decision(runs: dict[str, Callable[[], None]], count: int, repeat: int) -> dict[str, tuple[float, float]]:
    """For each run: the best CPU time and the best wall time of ``repeat`` rounds, in
    microseconds per decision. Rounds interleave the runs, so load from other processes
    falls on all of them alike; CPU time is this process's own, which other processes on a
    shared machine do not inflate."""
    best = {name: (float("inf"), float("inf")) for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            cpu, wall = time.process_time(), time.perf_counter()
            run()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return {name: (cpu / count * 1e6, wall / count * 1e6) for name, (cpu, wall) in best.items()}


def main(count: int, repeat: int) -> None:
    """Measure and print."""
    engine = load_pack("call_centre").engine()
    data = facts(count)
    models = [(engine.evaluate(fact, now=now, fact_type="leave_request").fact, now) for fact, now in data]
    folder = Path(tempfile.mkdtemp(prefix="bench-records-"))

    def bare(items: list[tuple[Any, datetime]]) -> Callable[[], None]:
        def run() -> None:
            for fact, now in items:
                engine.evaluate(fact, now=now, fact_type="leave_request").outcome  # noqa: B018
        return run

    def recorded(items: list[tuple[Any, datetime]]) -> Callable[[], None]:
        def run() -> None:
            for fact, now in items:
                engine.evaluate(fact, now=now, fact_type="leave_request").record()
        return run

    def logged(items: list[tuple[Any, datetime]], make: Callable[[Path], DecisionLog], suffix: str) -> Callable[[], None]:
        runs = iter(range(10_000))

        def run() -> None:
            with make(folder / f"run{next(runs)}{suffix}") as log:
                logging = engine.with_log(log)
                for fact, now in items:
                    logging.evaluate(fact, now=now, fact_type="leave_request").outcome  # noqa: B018
        return run

    print(f"{count:,} leave requests, best of {repeat} interleaved rounds; microseconds per decision, "
          "CPU time (wall time)\n")
    print(f"{'facts':<8}{'bare':>14}{'record':>14}{'SQLite':>14}{'JSONL':>14}   SQLite adds      JSON Lines adds")
    for label, items in (("dicts", data), ("models", models)):
        found = per_decision({
            "bare": bare(items), "record": recorded(items),
            "sqlite": logged(items, lambda p: SQLiteLog(p, batch=256), ".db"),
            "jsonl": logged(items, lambda p: JsonlLog(p, batch=256), ".jsonl"),
        }, count, repeat)
        cells = "".join(f"{cpu:>7.1f} ({wall:>4.0f})" for cpu, wall in found.values())
        base = found["bare"][0]
        added = [found[k][0] - base for k in ("sqlite", "jsonl")]
        print(f"{label:<8}{cells}   {added[0]:6.1f} ({added[0] / base:.1f}x)    {added[1]:6.1f} ({added[1] / base:.1f}x)")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000, int(sys.argv[2]) if len(sys.argv) > 2 else 7)
