"""``csrules verify`` on the four built-in packs with their properties: time per pack and per
analysis, with the parameters in force and with every allowed parameter value.

The target is under 30 s for all four packs on a two-core machine.

    PYTHONPATH=src python benchmarks/bench_verify.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time as clock
from pathlib import Path

import csrules.policies
from csrules._verify.properties import load_properties
from csrules._verify.report import verify_policies
from csrules.policies import list_packs, load_pack

PACKS = Path(csrules.policies.__file__).parent


def run_once(free_params: bool) -> tuple[float, dict[str, float], int, int]:
    """Verify every pack once: total seconds, seconds per analysis, properties, proven."""
    start = clock.perf_counter()
    timings: dict[str, float] = {}
    total = proven = 0
    for info in list_packs():
        pack = load_pack(info.name)
        props = load_properties(PACKS / info.name / "properties.yaml")
        report = verify_policies((*pack.policies, *pack.session_policies), props, free_params=free_params)
        for name, seconds in report.timings.items():
            key = "properties" if name.startswith("property ") else name
            timings[key] = timings.get(key, 0.0) + seconds
        total += len(report.properties)
        proven += sum(r.status == "proven" for r in report.properties)
        print(f"  {info.name:15} {report.seconds:6.2f}s  {len(report.properties)} properties, "
              f"{len(report.findings)} finding(s)")
    return clock.perf_counter() - start, timings, total, proven


def main() -> None:
    """Run the benchmark and print the best of ``--repeat`` runs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_pack("call_centre")  # pays the one-time import and pack loading outside the timing
    for free in (False, True):
        label = "--all-params" if free else "parameters in force"
        best = None
        for _ in range(args.repeat):
            print(f"{label}:")
            result = run_once(free)
            best = result if best is None or result[0] < best[0] else best
        assert best is not None
        seconds, timings, total, proven = best
        shown = ", ".join(f"{name} {value:.2f}s" for name, value in timings.items())
        print(f"best {label}: {seconds:.2f}s for 4 packs ({proven}/{total} proven); {shown}\n")


if __name__ == "__main__":
    main()
