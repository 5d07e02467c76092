"""Bulk audits: the columnar path against ``evaluate_many``, workers, and memory at scale.

    python benchmarks/bench_audit.py speed [N] [--rounds=R]
        columnar on N leave requests (one worker) against evaluate_many on a sample, one core:
        judging alone, and the whole audit (reading, judging, decisions, summary, reports)
    python benchmarks/bench_audit.py workers [N] [columnar|rows] [--rounds=R] [--format=csv|jsonl]
        one worker against two (workers started before timing: they are reused), reading
        Parquet (or a CSV or JSON Lines file: workers read their own byte ranges)
    python benchmarks/bench_audit.py phases [N] [--rounds=R]
        where a two-worker audit's time goes: the parent's setup before the first share and its
        finish after the last, each worker's shares, CPU, gaps and idle tail, and time spent
        waiting for a core (other work on the machine), against one worker
    python benchmarks/bench_audit.py rss [N1 N2]      peak RSS auditing N1 and N2 rows (1M, 10M)

Leave requests are generated per column (Polars, a fixed seed: the same rows every run) into
a Parquet file in a temporary folder, and audited against the call-centre leave policy.
Answers are checked before anything is compared: the columnar rows equal the row engine's on
every row of the sample. Every process uses one Polars thread (``POLARS_MAX_THREADS=1``
unless set), so one worker is one core. Rounds are interleaved; ratios are given for the best
and the median round, in CPU time for one core (``speed``) and wall time (``workers``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # before Polars is imported: one core per process

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from csrules.audit import AuditSpec, audit, audit_batch
from csrules.policies import load_pack

NOW = datetime(2027, 1, 1, tzinfo=UTC)
PACK = load_pack("call_centre")
KINDS = ["personal", "personal", "personal", "special_personal", "sick", "sick", "business_trip", "training"]
LEADS = [0.5, 2, 6, 12, 20, 30, 50, 72, 120]


def generate(n: int, *, seed: int = 2026) -> pl.DataFrame:
    """``n`` leave requests of 300 agents over 2026, drawn per column from hashes of the row index."""
    index = pl.int_range(n, dtype=pl.UInt64)

    def draw(salt: int, size: int) -> pl.Expr:
        return (index.hash(seed + salt) % size).cast(pl.Int64)

    start = (pl.datetime(2026, 1, 1, time_zone="Asia/Shanghai") + pl.duration(days=draw(1, 365))
             + pl.duration(hours=pl.lit(8) + draw(2, 3) * 8, minutes=30))
    agent = pl.lit("A") + (draw(3, 300) + 1).cast(pl.String).str.zfill(4)
    lead = pl.lit(LEADS).list.get(draw(4, len(LEADS))) * 3_600_000_000
    frame = pl.select(
        agent.alias("agent_id"),
        pl.lit(KINDS).list.get(draw(5, len(KINDS))).alias("kind"),
        start.dt.convert_time_zone("UTC").alias("start"),
        (start + pl.duration(hours=8) + pl.duration(days=draw(6, 3))).dt.convert_time_zone("UTC").alias("end"),
        (start - pl.duration(microseconds=lead.cast(pl.Int64))).dt.convert_time_zone("UTC").alias("requested_at"),
        pl.when(draw(7, 20) == 0).then(pl.lit("B0001")).otherwise(agent).alias("requested_by"),
        (draw(8, 10) == 0).alias("manager_approved"),
        (draw(9, 10) < 7).alias("certificate"),
        (draw(10, 5) == 0).alias("emergency"),
        (pl.lit("team-") + (draw(3, 300) // 30 + 1).cast(pl.String)).alias("team"),
    )
    return frame.with_columns((pl.col("start").dt.convert_time_zone("Asia/Shanghai").dt.hour() == 0).alias("night_shift"))


def parquet(n: int, folder: Path, form: str = "parquet") -> Path:
    """``n`` generated rows written to Parquet in ``folder`` (row groups of 100,000), or as
    CSV or JSON Lines."""
    path = folder / f"leave-{n}.{form}"
    if not path.exists():
        frame = generate(n)
        if form == "csv":
            frame.write_csv(path)
        elif form == "jsonl":
            frame.write_ndjson(path)
        else:
            frame.write_parquet(path, row_group_size=100_000)
    return path


def evaluate_many_seconds(facts: list[dict[str, object]]) -> float:
    """CPU seconds of ``Engine.evaluate_many`` (validation included) over ``facts``, one core."""
    engine = PACK.engine()
    started = time.process_time()
    for decision in engine.evaluate_many(facts, now=NOW, fact_type="leave_request"):
        decision.rule_effects  # noqa: B018 - what an audit reads of each decision
    return time.process_time() - started


def cpu(work: Callable[[], object]) -> float:
    """CPU seconds of ``work`` in this process (one Polars thread: one core)."""
    started = time.process_time()
    work()
    return time.process_time() - started


def ratios(label: str, rounds: list[float], digits: int = 1) -> str:
    """Best and median of per-round ratios."""
    best, median = max(rounds), statistics.median(rounds)
    return f"{label}: best round {best:.{digits}f}x, median {median:.{digits}f}x ({len(rounds)} rounds)"


def rate_ratios(label: str, fast: list[float], slow: list[float]) -> str:
    """Rates compared best against best and median against median (no round's luck picked)."""
    best = max(fast) / max(slow)
    median = statistics.median(fast) / statistics.median(slow)
    return f"{label}: best vs best {best:.1f}x, median vs median {median:.1f}x ({len(fast)} rounds)"


def speed(n: int, rounds: int = 3, sample: int = 20_000) -> None:
    """Columnar rows a second on ``n`` rows against evaluate_many on a sample, answers checked;
    judging alone and the whole audit, rounds interleaved."""
    with tempfile.TemporaryDirectory() as folder:
        path = parquet(n, Path(folder))
        table = pa.Table.from_batches([next(pq.ParquetFile(path).iter_batches(batch_size=sample))])
        columnar = audit(PACK, table, fact_type="leave_request", now=NOW, workers=1).decisions
        by_row = audit(PACK, table, fact_type="leave_request", now=NOW, workers=1, columnar=False).decisions
        assert columnar.drop_columns(["message"]).equals(by_row.drop_columns(["message"])), "answers differ"
        facts = [{k: v for k, v in row.items() if v is not None and k != "team"} for row in table.to_pylist()]
        spec = AuditSpec(PACK.engine(), "leave_request", NOW)
        batches = list(pq.ParquetFile(path).iter_batches(batch_size=50_000))
        audit_batch(spec, batches[0])  # plans compiled once, as in every later batch
        judging, whole, row_rates, judge_rates, full_rates = [], [], [], [], []
        for index in range(rounds):
            row_rate = len(facts) / evaluate_many_seconds(facts)
            judge = n / cpu(lambda: [audit_batch(spec, batch) for batch in batches])
            full = n / cpu(lambda: audit(PACK, path, fact_type="leave_request", now=NOW, workers=1,
                                         out=Path(folder) / "out"))
            judging.append(judge / row_rate)
            whole.append(full / row_rate)
            row_rates.append(row_rate)
            judge_rates.append(judge)
            full_rates.append(full)
            print(f"round {index + 1}: evaluate_many {row_rate:,.0f} facts/s; judging alone {judge:,.0f} rows/s "
                  f"({judging[-1]:.1f}x); whole audit of {n:,} {full:,.0f} rows/s ({whole[-1]:.1f}x)")
    print(f"sample of {sample:,}: columnar rows equal the row engine's on every row")
    print(rate_ratios("columnar judging alone (audit_batch) / evaluate_many, CPU time, one core", judge_rates,
                      row_rates))
    print(rate_ratios(f"whole audit of {n:,} (reading, judging, decisions.parquet, summary, reports) / evaluate_many",
                      full_rates, row_rates))


def worker_cpu() -> dict[int, float]:
    """CPU seconds so far of each worker process audits started (from ``/proc``)."""
    from csrules._audit.run import _POOLS

    found = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for pool in _POOLS.values():
        for pid in pool._processes:  # type: ignore[attr-defined]
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def workers(n: int, paths: tuple[bool, ...] = (True, False), rounds: int = 3, form: str = "parquet") -> None:
    """One worker against two, by path (columnar and row engine), rounds interleaved; the two
    workers are started (and the audit warmed) before timing, as later audits reuse them.

    Besides wall time (which other work on the machine distorts), the speed-up two free cores
    would give is estimated from CPU time: one worker's CPU seconds over the longer of the two
    workers' CPU seconds plus the parent's."""
    with tempfile.TemporaryDirectory() as folder:
        path = parquet(n, Path(folder), form)
        started = time.perf_counter()
        audit(PACK, path, fact_type="leave_request", now=NOW, workers=2, limit=1000, out=Path(folder) / "out")
        print(f"starting two workers (once, then reused): {time.perf_counter() - started:.1f} s")
        for columnar in paths:
            label = f"{'columnar' if columnar else 'row engine'} ({form})"
            walls: list[float] = []
            estimates: list[float] = []
            for index in range(rounds):
                times, cpus = {}, {}
                for count in (1, 2):
                    before, parent = worker_cpu(), time.process_time()
                    started = time.perf_counter()
                    audit(PACK, path, fact_type="leave_request", now=NOW, workers=count, columnar=columnar,
                          out=Path(folder) / "out")
                    times[count] = time.perf_counter() - started
                    after, parent = worker_cpu(), time.process_time() - parent
                    busiest = max((after[pid] - before.get(pid, 0.0) for pid in after), default=0.0)
                    cpus[count] = parent + (busiest if count > 1 else 0.0)
                walls.append(times[1] / times[2])
                estimates.append(cpus[1] / cpus[2])
                print(f"{label:>10} round {index + 1}: 1 worker {times[1]:.2f} s, 2 workers {times[2]:.2f} s: "
                      f"{walls[-1]:.2f}x wall; CPU {cpus[1]:.2f} s against {cpus[2]:.2f} s on the longer path: "
                      f"{estimates[-1]:.2f}x")
            print(ratios(f"{label} two workers / one, wall time", walls, 2))
            print(ratios(f"{label} two workers / one, CPU on the longer path (two free cores)", estimates, 2))


def _phases_dir() -> Path:
    """Where this benchmark's process and its workers note their shares (``phases``)."""
    parent = os.getpid() if __name__ == "__main__" else os.getppid()
    return Path(tempfile.gettempdir()) / f"csrules-bench-phases-{parent}"


def _noted(judge: Callable[..., Any], share: Any, *args: Any) -> Any:
    """``judge(*args)`` run for ``share``, its wall span and CPU noted in this process's file."""
    wall, clock = time.time(), time.process_time()
    done = judge(*args)
    with open(_phases_dir() / f"{os.getpid()}.log", "a") as log:
        log.write(f"{share.index} {wall} {time.time()} {time.process_time() - clock}\n")
    return done


def timed_worker_share(*args: Any) -> Any:
    """In a worker: one share judged (``_worker_share``), noted."""
    from csrules._audit import run

    return _noted(run._worker_share, args[2], *args)


_JUDGE_SHARE: list[Callable[..., Any]] = []


def timed_judge_share(*args: Any) -> Any:
    """In this process (one worker): one share judged (``_judge_share``), noted."""
    return _noted(_JUDGE_SHARE[0], args[1], *args)


def waited(pid: int | str = "self") -> float:
    """Seconds a process's main thread has waited for a core (``/proc/PID/schedstat``)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def _timed(count: int, kwargs: dict[str, Any], path: Path, pids: list[int]) -> tuple[float, list[str]]:
    """One audit on ``count`` workers taken apart: its wall time without the main threads'
    waits for a core (the path through the process that finished last), then (as text) its
    wall time, its time on free cores from the CPU each share took, and what to print."""
    found = _phases_dir()
    for log in found.iterdir():
        log.unlink()
    watched: list[int | str] = ["self", *(pids if count > 1 else [])]
    before = {pid: waited(pid) for pid in watched}
    clock, started = time.process_time(), time.time()
    audit(PACK, path, workers=count, **kwargs)
    ended, parent = time.time(), time.process_time() - clock
    waits = {pid: waited(pid) - before[pid] for pid in watched}
    shares = {int(log.stem): [[float(x) for x in line.split()] for line in log.read_text().splitlines()]
              for log in found.iterdir()}
    first = min(rows[0][1] for rows in shares.values())
    last = max(rows[-1][2] for rows in shares.values())
    closing = max(shares, key=lambda pid: shares[pid][-1][2])
    span = ended - started
    quiet = span - waits["self" if count == 1 else closing]
    if count == 1:
        free = parent  # one process: on a free core its wall time is its CPU time
    else:  # each share's CPU laid on two free cores in order (each to the first free worker)
        costs = sorted(row for rows in shares.values() for row in rows)
        ends = [0.0, 0.0]
        for row in costs:
            ends[ends.index(min(ends))] += row[3]
        serial = (first - started) + (ended - last)
        free = serial + max(ends) + max(0.0, parent - serial) / 2  # the parent's CPU meanwhile takes from both
    lines = [f"  {count} worker{'s' if count > 1 else ''}: {span:.2f} s ({quiet:.2f} s without the waits for a core); "
             f"parent: setup {first - started:.3f} s, finish {ended - last:.3f} s, CPU {parent:.2f} s, "
             f"waited {waits['self']:.2f} s"]
    for pid, rows in sorted(shares.items()):
        busy = sum(row[2] - row[1] for row in rows)
        gaps = rows[-1][2] - rows[0][1] - busy
        wait = waits.get(pid, waits["self"])
        lines.append(f"    {'worker' if count > 1 else 'here'} {pid}: {len(rows)} shares, CPU {sum(r[3] for r in rows):.2f} s, "
                     f"gaps {gaps:.3f} s, idle tail {last - rows[-1][2]:.3f} s, waited for a core {wait:.2f} s")
    return quiet, [f"{span:.4f}", f"{free:.4f}", *lines]


def phases(n: int, rounds: int = 3) -> None:
    """One worker against two, rounds interleaved, each audit taken apart: the parent's setup
    (before the first share starts) and finish (after the last ends), its CPU, and per worker
    its shares' CPU, the gaps between them, its idle tail (done while the other still works)
    and its main thread's time waiting for a core (other work on the machine). The estimate
    without the waits takes them off the path through the process that finished last; the
    estimate on two free cores lays each share's CPU time on two workers in order, adds the
    parent's setup and finish, and half its CPU in between (one worker: its CPU time)."""
    from csrules._audit import run

    found = _phases_dir()
    found.mkdir(exist_ok=True)
    _JUDGE_SHARE.append(run._judge_share)
    run._worker_share = timed_worker_share  # type: ignore[assignment]  # the pool submits what the name holds
    run._judge_share = timed_judge_share  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = parquet(n, Path(folder))
            kwargs: dict[str, Any] = {"fact_type": "leave_request", "now": NOW, "out": Path(folder) / "out"}
            audit(PACK, path, workers=2, **kwargs)  # workers started, the spec compiled in them
            pids = list(run._POOLS[2]._processes)  # type: ignore[attr-defined]
            walls, quiets, frees = [], [], []
            for index in range(rounds):
                quiet1, (span1, free1, *lines1) = _timed(1, kwargs, path, pids)
                quiet2, (span2, free2, *lines2) = _timed(2, kwargs, path, pids)
                walls.append(float(span1) / float(span2))
                quiets.append(quiet1 / quiet2)
                frees.append(float(free1) / float(free2))
                print(f"round {index + 1}: {walls[-1]:.2f}x wall, {quiets[-1]:.2f}x without the waits, "
                      f"{frees[-1]:.2f}x on two free cores ({float(free1):.2f} s against {float(free2):.2f} s)")
                print("\n".join(lines1 + lines2))
    finally:
        for log in found.iterdir():
            log.unlink()
        found.rmdir()
    print(ratios("two workers / one, wall time", walls, 2))
    print(ratios("two workers / one, wall time less the main threads' waits for a core", quiets, 2))
    print(ratios("two workers / one, on two free cores (each share's CPU time, the parent's setup, finish and CPU)",
                 frees, 2))


def peak_rss(n: int, folder: Path) -> int:
    """Peak RSS (KiB) of a fresh process auditing ``n`` rows from Parquet, one worker.

    Read from the child's own ``VmHWM``: ``ru_maxrss`` survives ``exec`` on Linux, so it would
    count this process's generated rows too."""
    path = parquet(n, folder)
    here, out = str(Path(__file__).parent), str(folder / f"out-{n}")
    code = (
        f"import sys; sys.path.insert(0, {here!r}); import bench_audit as b; "
        f"b.audit(b.PACK, {str(path)!r}, fact_type='leave_request', now=b.NOW, workers=1, out={out!r}); "
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


def rss(small: int, large: int) -> None:
    """Peak RSS at ``small`` and ``large`` rows, and their ratio (bounded by the batch size)."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        peaks = {n: peak_rss(n, folder) for n in (small, large)}
    for n, peak in peaks.items():
        print(f"{n:>12,} rows: peak RSS {peak / 1024:,.0f} MiB")
    print(f"ratio: {peaks[large] / peaks[small]:.2f}x")


if __name__ == "__main__":
    mode, *words = sys.argv[1:] or ["speed"]
    if mode in ("-h", "--help"):
        sys.exit(__doc__)
    sizes = [int(float(x)) for x in words if x[0].isdigit()]
    rounds = next((int(x.split("=", 1)[1]) for x in words if x.startswith("--rounds=")), 3)
    form = next((x.split("=", 1)[1] for x in words if x.startswith("--format=")), "parquet")
    if mode == "speed":
        speed(sizes[0] if sizes else 1_000_000, rounds)
    elif mode == "workers":
        only = {"columnar": (True,), "rows": (False,)}.get(next((x for x in words if x in ("columnar", "rows")), ""),
                                                          (True, False))
        workers(sizes[0] if sizes else 400_000, only, rounds, form)
    elif mode == "phases":
        phases(sizes[0] if sizes else 1_000_000, rounds)
    elif mode == "rss":
        rss(*(sizes or [1_000_000, 10_000_000]))
    else:
        sys.exit(__doc__)
