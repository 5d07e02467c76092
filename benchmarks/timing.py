"""Interleaved A/B timing shared by the engine benchmarks.

Every variant is timed once per round, in a rotating order, so that a slow spell of a shared
machine hits all variants alike; a report gives the best round and the median, and ratios are
taken best against best and median against median. Runs are timed in the process's CPU time
(``time.process_time``): on a busy machine, time spent waiting for a core is not counted, and
for these single-threaded loops it equals wall time on an idle one.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any


def loop(evaluate: Callable[[Any], Any], items: Iterable[Any]) -> Callable[[], None]:
    """A closure calling ``evaluate`` on every item once."""

    def run() -> None:
        for item in items:
            evaluate(item)

    return run


def interleaved(variants: dict[str, Callable[[], Any]], rounds: int = 7) -> dict[str, list[float]]:
    """CPU seconds of each run of each variant, ``rounds`` runs each, in rotating order."""
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.process_time()
            variants[name]()
            times[name].append(time.process_time() - start)
    return times


def best(samples: list[float]) -> float:
    """The fastest run."""
    return min(samples)


def median(samples: list[float]) -> float:
    """The median run."""
    return statistics.median(samples)


def ratio(ours: list[float], reference: list[float]) -> str:
    """``best-vs-best`` and ``median-vs-median`` ratios, as ``1.23x (median 1.31x)``."""
    return f"{best(ours) / best(reference):.2f}x (median {median(ours) / median(reference):.2f}x)"


def per_item_us(samples: list[float], items: int) -> str:
    """Microseconds per item: best and median."""
    return f"{best(samples) / items * 1e6:.3f} us (median {median(samples) / items * 1e6:.3f})"
