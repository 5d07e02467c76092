"""Events per second through csrules sessions (CON-1 and ATT-9 over 5,000 agents), against
raw durable-rules code doing the same work in the same run.

    PYTHONPATH=src python benchmarks/bench_sessions.py [--events 50000] [--agents 5000] [--repeat 5] [--clock wall|cpu]
                                                       [--profile 25]

Raw forms (both keep the counts in Python dicts, as DURABLE-NOTES recommends, and let
durable map numbers to outcomes with single-pattern rules):

- ``raw-post``: one ``host.post`` per event; CON-1's three exclusive rules in one ruleset,
  ATT-9's two rules in two rulesets (an event fires only one rule per ruleset);
- ``raw-facts``: one ruleset, each event asserted and retracted as a fact (every matching
  rule fires), as csrules does.

Every form's effects are checked equal to csrules' before anything is timed; the forms
then run in interleaved rounds, and the ratio is reported best vs best and median vs
median. ``--profile N`` then runs one durable-backend session under cProfile and prints
its N functions with the most time of their own (where csrules' per-event work goes).
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_session_support import ATT9, CON1, Greeting, Shift

import csrules
from csrules._sessions import SessionEngine, available_backends

CST = timezone(timedelta(hours=8))
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
CLOCK = [time.perf_counter]  # --clock cpu: this process's CPU time, steadier on a busy machine


def make_events(n: int, agents: int, seed: int = 7) -> list[tuple[str, object, datetime]]:
    rng = random.Random(seed)
    moment = datetime(2026, 1, 1, 8, tzinfo=CST)
    step = timedelta(days=90) / n
    events = []
    for _ in range(n):
        moment += step
        agent = f"agent-{rng.randrange(agents)}"
        if rng.random() < 0.5:
            opening = rng.choice(["喂", "您好", "喂您好", "您好您好"])
            events.append((agent, Greeting(agent=agent, at=moment, opening=opening), moment))
        else:
            events.append((agent, Shift(agent=agent, at=moment, swapped=rng.random() < 0.4), moment))
    return events


def run_csrules(events, backend: str) -> tuple[float, list[tuple[str, ...]]]:
    engine = SessionEngine([csrules.Policy(**CON1), csrules.Policy(**ATT9)], backend=backend)
    send = engine.send
    out = []
    gc.collect()
    start = CLOCK[0]()
    for agent, event, moment in events:
        out.append(send(agent, event, now=moment).rule_ids)
    elapsed = CLOCK[0]() - start
    engine.close()
    return elapsed, out


def _host(rulesets, actions):
    from durable import engine as durable_engine

    class Host(durable_engine.Host):
        def _run(self):  # no timer threads
            pass

        def get_action(self, name):
            return actions[name]

    host = Host()
    host.register_rulesets(copy.deepcopy(rulesets))
    return host


def _month(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def run_raw(events, mode: str) -> tuple[float, list[tuple[str, ...]]]:
    fired: list[str] = []

    def action(name):
        return lambda c: fired.append(name)

    con1 = {
        "correct": {"all": [{"m": {"$and": [{"t": "g"}, {"n": 1}]}}], "run": "correct"},
        "warn": {"all": [{"m": {"$and": [{"t": "g"}, {"n": 2}]}}], "run": "warn"},
        "fine": {"all": [{"m": {"$and": [{"t": "g"}, {"$gte": {"n": 3}}]}}], "run": "fine"},
    }
    too_many = {"too-many": {"all": [{"m": {"$and": [{"t": "s"}, {"sw": True}, {"$gt": {"c": 2}}]}}],
                             "run": "too-many"}}
    in_a_row = {"in-a-row": {"all": [{"m": {"$and": [{"t": "s"}, {"$gte": {"r": 2}}]}}],
                             "run": "in-a-row"}}
    actions = {name: action(name) for name in ("correct", "warn", "fine", "too-many", "in-a-row")}
    if mode == "post":
        host = _host({"con1": con1, "att9a": too_many, "att9b": in_a_row}, actions)
    else:
        host = _host({"all": {**con1, **too_many, **in_a_row}}, actions)
    from durable.engine import MessageNotHandledException

    wei: dict[tuple[str, str], int] = {}
    swaps: dict[tuple[str, str], int] = {}
    runs: dict[str, int] = {}
    out = []
    seq = 0
    gc.collect()
    start = CLOCK[0]()
    for agent, event, _moment in events:
        fired.clear()
        seq += 1
        if isinstance(event, Greeting):
            if "喂" not in event.opening:
                out.append(())
                continue
            key = (agent, _month(event.at))
            n = wei[key] = wei.get(key, 0) + 1
            message = {"sid": "0", "eid": seq, "t": "g", "n": n}
            targets = ["con1"]
        else:
            key = (agent, _month(event.at))
            if event.swapped:
                swaps[key] = swaps.get(key, 0) + 1
                runs[agent] = runs.get(agent, 0) + 1
            else:
                runs[agent] = 0
            message = {"sid": "0", "eid": seq, "t": "s", "sw": event.swapped,
                       "c": swaps.get(key, 0), "r": runs[agent]}
            targets = ["att9a", "att9b"]
        if mode == "post":
            for target in targets:
                try:  # noqa: SIM105 - contextlib.suppress would slow the raw form down
                    host.post(target, dict(message))
                except MessageNotHandledException:
                    pass
        else:
            try:
                host.assert_fact("all", message)
                host.retract_fact("all", message)
            except MessageNotHandledException:
                pass
        out.append(tuple(fired))
    elapsed = CLOCK[0]() - start
    return elapsed, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--agents", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (steadier on a busy machine)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then profile one durable-backend session: its N costliest functions")
    args = parser.parse_args()
    CLOCK[0] = CLOCKS[args.clock]
    events = make_events(args.events, args.agents)
    backends = [b for b in ("durable", "python") if b in available_backends()]
    forms: dict[str, Callable[[], tuple[float, list[tuple[str, ...]]]]] = {
        f"csrules-{backend}": partial(run_csrules, events, backend) for backend in backends}
    if "durable" in backends:
        forms.update({f"raw-{mode}": partial(run_raw, events, mode) for mode in ("post", "facts")})
    # Answers first: every form must give csrules' effects before anything is timed.
    reference = None
    for name, run in forms.items():
        out = run()[1]
        reference = reference or out
        assert out == reference, f"{name} disagrees with csrules"
    # Then interleaved rounds (the order rotates), so a busy machine slows every form alike.
    times: dict[str, list[float]] = {name: [] for name in forms}
    names = list(forms)
    for round_ in range(args.repeat):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            times[name].append(forms[name]()[0])
    print(f"{args.events:,} events over {args.agents:,} agents (CON-1 + ATT-9), "
          f"{args.repeat} interleaved rounds, {args.clock} clock; answers checked equal first")
    print(f"  {'form':16s} {'best ev/s':>10s} {'median ev/s':>12s}")
    for name, spent in times.items():
        print(f"  {name:16s} {args.events / min(spent):10,.0f} {args.events / statistics.median(spent):12,.0f}")
    if "durable" in backends:
        fastest = min(("raw-post", "raw-facts"), key=lambda k: min(times[k]))
        ours = times["csrules-durable"]
        best = min(times[fastest]) / min(ours)
        median = statistics.median(times[fastest]) / statistics.median(ours)
        verdicts = ", ".join(f"{name} {'met' if ratio >= 0.9 else 'NOT met'}"
                             for name, ratio in (("best", best), ("median", median)))
        print(f"csrules-durable / fastest raw form ({fastest}), as events/s: best vs best "
              f"{best:.2f}x, median vs median {median:.2f}x (goal >= 0.9x: {verdicts})")
    if args.profile and "durable" in backends:
        profiler = cProfile.Profile()
        profiler.runcall(run_csrules, events, "durable")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
