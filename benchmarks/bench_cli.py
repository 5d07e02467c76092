"""``csrules eval`` on a large JSON Lines file: peak memory and throughput, against the library.

Generates N leave-request facts (default 1,000,000) as JSON Lines, then, each in a fresh
subprocess so peak RSS is measured per run:

1. ``csrules eval POLICY facts.jsonl > /dev/null`` (read, validate, decide, write JSON);
2. the library's ``Engine.evaluate_many`` over the same lines parsed with ``json.loads``
   (validate and decide, no output) - the ceiling the command line can approach;
3. ``csrules eval`` on a tenth of the facts, to show that peak RSS does not grow with input.

Run:  python benchmarks/bench_cli.py [--facts 1000000] [--csrules PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "e2e" / "data"
POLICY = DATA / "leave.yaml"
FACTS_MODULE = DATA / "cli_facts.py"

LIBRARY_RUN = """
import json, sys
from csrules._cli._common import import_modules
import_modules([sys.argv[1]])
import csrules
engine = csrules.Engine(csrules.load_policy(sys.argv[2]))
violations = 0
with open(sys.argv[3], encoding="utf-8") as handle:
    for decision in engine.evaluate_many(json.loads(line) for line in handle):
        violations += decision.outcome is csrules.Outcome.VIOLATION
print(violations)
"""


def generate(path: Path, count: int) -> None:
    """Write ``count`` varied leave requests as JSON Lines."""
    rng = random.Random(7)
    zone = timezone(timedelta(hours=8))
    base = datetime(2026, 1, 5, 8, tzinfo=zone)
    kinds = ("personal", "special", "sick")
    with path.open("w", encoding="utf-8") as out:
        for _ in range(count):
            start = base + timedelta(hours=rng.randrange(0, 24 * 60))
            fact = {
                "kind": rng.choice(kinds),
                "requested_at": (start - timedelta(hours=rng.randrange(1, 72))).isoformat(),
                "starts_at": start.isoformat(),
                "days": rng.choice((0.5, 1, 2, 3)),
                "manager_approved": rng.random() < 0.2,
            }
            out.write(json.dumps(fact) + "\n")


def measure(
    argv: list[str], stdout: int | None = subprocess.DEVNULL
) -> tuple[float, int, subprocess.CompletedProcess[bytes]]:
    """Run ``argv``; return seconds, peak RSS in MiB of that child, and the result."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "print(json.dumps([time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode]))\n"
    )
    # A small wrapper per run: RUSAGE_CHILDREN then holds only that run's peak.
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, check=True)
    seconds, max_kib, returncode = json.loads(result.stdout)
    return seconds, max_kib // 1024, subprocess.CompletedProcess(argv, returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--csrules", default=shutil.which("csrules") or str(Path(sys.executable).with_name("csrules")))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "facts.jsonl"
        small = Path(tmp) / "small.jsonl"
        t = time.perf_counter()
        generate(big, args.facts)
        generate(small, max(args.facts // 10, 1))
        size = big.stat().st_size / 2**20
        print(f"generated {args.facts:,} facts ({size:,.0f} MiB) in {time.perf_counter() - t:.1f} s")
        cli = [args.csrules, "eval", str(POLICY), "--import", str(FACTS_MODULE), "--now", "2026-03-01T00:00:00+08:00"]

        seconds, rss, result = measure([*cli, str(big)])
        print(
            f"csrules eval        {args.facts:>10,} facts  {seconds:7.1f} s  {args.facts / seconds:>9,.0f} facts/s"
            f"  peak RSS {rss} MiB  (exit {result.returncode})"
        )
        lib_seconds, lib_rss, _ = measure([sys.executable, "-c", LIBRARY_RUN, str(FACTS_MODULE), str(POLICY), str(big)])
        print(
            f"evaluate_many       {args.facts:>10,} facts  {lib_seconds:7.1f} s  {args.facts / lib_seconds:>9,.0f} facts/s"
            f"  peak RSS {lib_rss} MiB"
        )
        small_count = max(args.facts // 10, 1)
        s_seconds, s_rss, _ = measure([*cli, str(small)])
        print(
            f"csrules eval        {small_count:>10,} facts  {s_seconds:7.1f} s  {small_count / s_seconds:>9,.0f} facts/s"
            f"  peak RSS {s_rss} MiB"
        )
        print(
            f"the command line runs at {seconds and lib_seconds / seconds:.0%} of evaluate_many's throughput;"
            f" peak RSS {rss} MiB for {args.facts:,} facts vs {s_rss} MiB for {small_count:,}"
        )


if __name__ == "__main__":
    main()
