"""Time layer benchmark: csrules vs a hand-written loop over dates, in the same run.

Two workloads over the same 100,000 random instants (2025-2026, Asia/Shanghai):

* ``add 3 business days``: China's 2025/2026 calendar, Mon-Fri 09:00-18:00, with 调休.
* ``which shift``: a six-on-one-off rotation of a 16:00-00:50 shift (crossing midnight).

Results of both implementations are checked equal before anything is timed. Each timing is
taken over ``--repeat`` interleaved rounds, each on a freshly built calendar or pattern
(cold caches), and reported best vs best and median vs median.

    PYTHONPATH=src python benchmarks/bench_time.py [--n 100000] [--repeat 5] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from csrules._time.durations import BusinessDuration
from csrules._time.shifts import Shift, ShiftPattern
from csrules.domain.china import china_adjusted_working_days, china_calendar

ZONE = ZoneInfo("Asia/Shanghai")
YEARS = (2025, 2026)
OPEN, CLOSE = time(9), time(18)
THREE_DAYS = BusinessDuration(3, "days")
ANCHOR = date(2025, 1, 6)
LATE = Shift(name="late", start="16:00", end="00:50", night=True)


def make_instants(n: int, seed: int = 20260101) -> list[datetime]:
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, tzinfo=ZONE).timestamp()
    last = datetime(2026, 11, 30, tzinfo=ZONE).timestamp()
    return [datetime.fromtimestamp(rng.uniform(first, last), ZONE) for _ in range(n)]


# ----------------------------------------------------------------- hand-written versions


def hand_add_three_days(instants: list[datetime]) -> list[datetime]:
    """Walk dates by hand: weekday/holiday/adjusted sets, one 09:00-18:00 span a day."""
    from csrules.domain.china import _china  # the same holiday data, read directly

    holidays: set[date] = set()
    adjusted: set[date] = set()
    for year in YEARS:
        holidays.update(_china(year)[0])
        adjusted.update(china_adjusted_working_days(year))

    def working(day: date) -> bool:
        if day in holidays:
            return False
        return day.weekday() < 5 or day in adjusted

    out = []
    one = timedelta(days=1)
    for instant in instants:
        local = instant.astimezone(ZONE)
        day, at = local.date(), local.time().replace(tzinfo=None)
        # next working instant
        if not working(day) or at >= CLOSE:
            day += one
            while not working(day):
                day += one
            at = OPEN
        elif at < OPEN:
            at = OPEN
        # three working days later, same clock time
        for _ in range(3):
            day += one
            while not working(day):
                day += one
        out.append(datetime.combine(day, at, tzinfo=ZONE))
    return out


def hand_which_shift(instants: list[datetime]) -> list[tuple[str, date] | None]:
    """Look at today's and yesterday's dates by hand: on for 6 days of every 7."""
    out: list[tuple[str, date] | None] = []
    length = timedelta(hours=8, minutes=50)
    for instant in instants:
        local = instant.astimezone(ZONE)
        found = None
        for day in (local.date(), local.date() - timedelta(days=1)):
            if (day - ANCHOR).days % 7 < 6:
                start = datetime.combine(day, time(16), tzinfo=ZONE)
                if start <= local < start + length:
                    found = ("late", day)
                    break
        out.append(found)
    return out


# ----------------------------------------------------------------- csrules versions


def lib_add_three_days(instants: list[datetime]) -> list[datetime]:
    cal = china_calendar(years=YEARS)
    return [cal.add(instant, THREE_DAYS) for instant in instants]


def lib_which_shift(instants: list[datetime]) -> list[tuple[str, date] | None]:
    pattern = ShiftPattern.on_off(
        timezone="Asia/Shanghai", shifts=[LATE], shift="late", on=6, off=1, anchor=ANCHOR
    )
    out: list[tuple[str, date] | None] = []
    for instant in instants:
        occurrence = pattern.shift_at(instant)
        out.append(None if occurrence is None else (occurrence.name, occurrence.shift_date))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="wall",
                        help="wall time, or this process's CPU time (steadier on a busy machine)")
    args = parser.parse_args()
    timer = clock.process_time if args.clock == "cpu" else clock.perf_counter
    instants = make_instants(args.n)

    workloads = [
        ("add 3 business days", lib_add_three_days, hand_add_three_days, 2.0),
        ("which shift", lib_which_shift, hand_which_shift, 1.5),
    ]
    for name, lib, hand, _goal in workloads:
        ours, theirs = lib(instants), hand(instants)
        if ours != theirs:
            bad = next(i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
            raise SystemExit(
                f"{name}: results differ at {instants[bad]}:"
                f" csrules {ours[bad]}, hand {theirs[bad]}"
            )
    # Interleaved rounds: each round times every function once, so a busy machine slows
    # both sides of a ratio alike.
    spent: dict[Callable[[list[datetime]], object], list[float]] = {}
    for _ in range(args.repeat):
        for _name, lib, hand, _goal in workloads:
            for run in (lib, hand):
                started = timer()
                run(instants)
                spent.setdefault(run, []).append(timer() - started)

    print(f"{args.n:,} instants, {args.repeat} interleaved rounds, {args.clock} clock;"
          " results checked equal first")
    header = (f"{'operation':<22} {'csrules s':>10} {'hand loop s':>12} {'best ratio':>11}"
              f" {'median ratio':>13} {'goal':>6} {'µs/call':>8}")
    print(header)
    print("-" * len(header))
    for name, lib, hand, goal in workloads:
        ours, theirs = spent[lib], spent[hand]
        best = min(ours) / min(theirs)
        median = statistics.median(ours) / statistics.median(theirs)
        print(
            f"{name:<22} {min(ours):>10.3f} {min(theirs):>12.3f} {best:>10.2f}x"
            f" {median:>12.2f}x {'<=' + format(goal, '.1f'):>6} {min(ours) / args.n * 1e6:>8.2f}"
        )
    print("ratio = csrules time / hand-written time (lower is better), best vs best and median"
          " vs median")


if __name__ == "__main__":
    main()
