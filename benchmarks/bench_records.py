"""What decision records and decision logs cost per decision.

    python benchmarks/bench_records.py [N]

Judges N leave requests (call_centre's leave policy; default 20,000) four ways and prints
the time per decision:

* bare: ``engine.evaluate`` and reading the outcome (dict facts, validated as hosts send
  them; and already-built fact models);
* record: the same plus ``decision.record()``;
* SQLite / JSON Lines: through ``engine.with_log(log)`` with batched writes (256 a batch),
  closing the log (the last batch written) inside the timing.

The cost a log adds is (logged - bare) per decision, also shown as a multiple of the bare
decision. The target is at most 3x a bare decision's cost when batched (dict facts).
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


def per_decision(run: Callable[[], None], count: int, repeat: int = 3) -> float:
    """Best time of ``repeat`` runs, in microseconds per decision."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6


def main(count: int) -> None:
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
        runs = iter(range(1000))

        def run() -> None:
            with make(folder / f"run{next(runs)}{suffix}") as log:
                logging = engine.with_log(log)
                for fact, now in items:
                    logging.evaluate(fact, now=now, fact_type="leave_request").outcome  # noqa: B018
        return run

    print(f"{count:,} leave requests; microseconds per decision (best of 3)\n")
    print(f"{'facts':<8}{'bare':>8}{'record':>9}{'SQLite':>9}{'JSONL':>9}   SQLite adds   JSON Lines adds")
    for label, items in (("dicts", data), ("models", models)):
        base = per_decision(bare(items), count)
        rec = per_decision(recorded(items), count)
        sql = per_decision(logged(items, lambda p: SQLiteLog(p, batch=256), ".db"), count)
        jsl = per_decision(logged(items, lambda p: JsonlLog(p, batch=256), ".jsonl"), count)
        print(f"{label:<8}{base:>8.1f}{rec:>9.1f}{sql:>9.1f}{jsl:>9.1f}   "
              f"{sql - base:6.1f} ({(sql - base) / base:.1f}x)   {jsl - base:6.1f} ({(jsl - base) / base:.1f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
