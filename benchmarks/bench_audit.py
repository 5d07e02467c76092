"""Bulk audits: the columnar path against ``evaluate_many``, workers, and memory at scale.

    python benchmarks/bench_audit.py speed [N]        columnar on N leave requests (one worker)
                                                       against evaluate_many on a sample, one core
    python benchmarks/bench_audit.py workers [N] [columnar|rows]
                                                       one worker process against two
    python benchmarks/bench_audit.py rss [N1 N2]      peak RSS auditing N1 and N2 rows (1M, 10M)

Leave requests are generated per column (Polars, a fixed seed: the same rows every run) into
a Parquet file in a temporary folder, and audited against the call-centre leave policy.
Answers are checked before anything is compared: the columnar rows equal the row engine's on
every row of the sample.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

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


def parquet(n: int, folder: Path) -> Path:
    """``n`` generated rows written to Parquet in ``folder`` (row groups of 100,000)."""
    path = folder / f"leave-{n}.parquet"
    if not path.exists():
        generate(n).write_parquet(path, row_group_size=100_000)
    return path


def evaluate_many_rate(facts: list[dict[str, object]]) -> float:
    """Facts a second through ``Engine.evaluate_many`` (validation included), one core."""
    engine = PACK.engine()
    started = time.perf_counter()
    for decision in engine.evaluate_many(facts, now=NOW, fact_type="leave_request"):
        decision.rule_effects  # noqa: B018 - what an audit reads of each decision
    return len(facts) / (time.perf_counter() - started)


def speed(n: int, sample: int = 20_000) -> None:
    """Columnar rows a second on ``n`` rows against evaluate_many on a sample, answers checked."""
    with tempfile.TemporaryDirectory() as folder:
        path = parquet(n, Path(folder))
        table = pa.Table.from_batches([next(pq.ParquetFile(path).iter_batches(batch_size=sample))])
        columnar = audit(PACK, table, fact_type="leave_request", now=NOW, workers=1).decisions
        by_row = audit(PACK, table, fact_type="leave_request", now=NOW, workers=1, columnar=False).decisions
        assert columnar.drop_columns(["message"]).equals(by_row.drop_columns(["message"])), "answers differ"
        facts = [{k: v for k, v in row.items() if v is not None and k != "team"} for row in table.to_pylist()]
        row_rate = evaluate_many_rate(facts)
        spec = AuditSpec(PACK.engine(), "leave_request", NOW)
        batches = list(pq.ParquetFile(path).iter_batches(batch_size=50_000))
        started = time.perf_counter()
        for batch in batches:
            audit_batch(spec, batch)
        judging = n / (time.perf_counter() - started)
        started = time.perf_counter()
        result = audit(PACK, path, fact_type="leave_request", now=NOW, workers=1, out=Path(folder) / "out")
        seconds = time.perf_counter() - started
    rate = result.summary.input_rows / seconds
    print(f"sample of {sample:,}: columnar rows equal the row engine's on every row")
    print(f"evaluate_many, one core:        {row_rate:>12,.0f} facts/s")
    print(f"columnar judging alone (audit_batch), one core: {judging:>12,.0f} rows/s: {judging / row_rate:.1f}x")
    print(f"columnar audit of {n:,}, one worker: {rate:>12,.0f} rows/s ({seconds:.1f} s, decisions and report "
          f"written): {rate / row_rate:.1f}x")


def workers(n: int, paths: tuple[bool, ...] = (True, False)) -> None:
    """One worker process against two, by path (columnar and row engine)."""
    with tempfile.TemporaryDirectory() as folder:
        path = parquet(n, Path(folder))
        for columnar in paths:
            times = {}
            for count in (1, 2):
                started = time.perf_counter()
                audit(PACK, path, fact_type="leave_request", now=NOW, workers=count, columnar=columnar,
                      batch_rows=20_000, out=Path(folder) / "out")
                times[count] = time.perf_counter() - started
            label = "columnar" if columnar else "row engine"
            print(f"{label:>10}: 1 worker {times[1]:.1f} s, 2 workers {times[2]:.1f} s: {times[1] / times[2]:.2f}x")


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
    mode, *numbers = sys.argv[1:] or ["speed"]
    sizes = [int(float(x)) for x in numbers if x[0].isdigit()]
    if mode == "speed":
        speed(sizes[0] if sizes else 1_000_000)
    elif mode == "workers":
        only = {"columnar": (True,), "rows": (False,)}.get(sys.argv[-1], (True, False))
        workers(sizes[0] if sizes else 400_000, only)
    elif mode == "rss":
        rss(*(sizes or [1_000_000, 10_000_000]))
    else:
        sys.exit(__doc__)
