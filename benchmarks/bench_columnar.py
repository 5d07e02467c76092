"""Polars expressions against Arrow compute for the condition kinds the columnar path judges.

    python benchmarks/bench_columnar.py [N] [ROUNDS]     N rows (default 1,000,000), ROUNDS rounds (5)
    python benchmarks/bench_columnar.py coverage         rules each built-in pack judges per column

Each kind is written both ways as the columnar path would judge it over typed columns:
``compare`` (a number against a literal), ``in`` (a text among choices), ``is_set``,
``elapsed`` (instants in UTC against a duration), ``time_of_day`` (the local clock of an
instant read through a per-day offset table from Python's zone data, against 12:00),
``contains`` (each distinct text folded once by the row engine's folding and searched, each
row then asking whether its text matched), and
a whole rule (``all`` of compare, in and elapsed). Answers are checked equal first; then the
rounds interleave the two engines and report CPU time (best and median) per kind.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from csrules._audit.col_zone import day_offsets
from csrules._policy.text import fold_text

ZONE = "America/New_York"
LINES = ["您好，請問有什麼可以幫您", "您好，请问有什么可以帮您", "喂，哪位", "這不是我應該做的", "好的", "再見"]
PHRASES = sorted({fold_text(p, "zh") for p in ("这不是我应该做的", "喂")})
DAY_US = 86_400_000_000
NOW = datetime(2026, 6, 1, tzinfo=UTC)
"""The audit's ``now`` in :func:`coverage` (rules measuring time up to now need one)."""


def generate(n: int, *, seed: int = 2026) -> pl.DataFrame:
    """``n`` rows drawn per column from hashes of the row index (the same rows every run)."""
    index = pl.int_range(n, dtype=pl.UInt64)

    def draw(salt: int, size: int) -> pl.Expr:
        return (index.hash(seed + salt) % size).cast(pl.Int64)

    start = pl.datetime(2026, 1, 1, time_zone="UTC") + pl.duration(seconds=draw(1, 365 * 86_400))
    return pl.select(
        (draw(2, 100_000) / 100).alias("amount"),
        pl.lit(["personal", "sick", "training", "business_trip"]).list.get(draw(3, 4)).alias("kind"),
        pl.when(draw(4, 3) == 0).then(None).otherwise(draw(5, 10)).alias("approver"),
        start.alias("start"),
        (start + pl.duration(seconds=draw(6, 3 * 86_400))).alias("end"),
        pl.lit(LINES).list.get(draw(7, len(LINES))).alias("line"),
    )


def _day_table(frame: pl.DataFrame) -> tuple[int, list[int]]:
    """The first UTC day number of the batch and the zone's offset (µs) on each day from it
    (the benchmark's zone keeps one offset per UTC day of 2026 except on its two change days,
    where the offset at the day's start stands for the comparison of engines)."""
    first, last = frame.select(pl.col("start").min().dt.date().alias("first"),
                               pl.col("start").max().dt.date().alias("last")).row(0)
    table = []
    for number in range((last - first).days + 1):
        found = day_offsets(ZONE, first + timedelta(days=number))
        assert found is not None
        table.append(found[0] // timedelta(microseconds=1))
    return (first - date(1970, 1, 1)).days, table


def polars_kinds(frame: pl.DataFrame, offsets: tuple[int, list[int]]) -> dict[str, Callable[[], Any]]:
    """Each kind as one Polars expression over ``frame``."""
    first, table = offsets
    start = pl.col("start")
    offset = pl.lit(pl.Series(table, dtype=pl.Int64)).gather((start.cast(pl.Int64) // DAY_US) - first)
    local_us = (start.cast(pl.Int64) + offset) % DAY_US
    texts = frame["line"].unique()
    hits = texts.filter(pl.Series([fold_text(t, "zh") for t in texts.to_list()]).str.contains_any(PHRASES))
    found = pl.col("line").is_in(hits.implode())
    exprs = {
        "compare": pl.col("amount") > 500.0,
        "in": pl.col("kind").is_in(["personal", "sick"]),
        "is_set": pl.col("approver").is_not_null(),
        "elapsed": (pl.col("end") - start) >= timedelta(hours=24),
        "time_of_day": local_us < 12 * 3_600_000_000,
        "contains": found,
        "rule (all of three)": (pl.col("amount") > 500.0) & pl.col("kind").is_in(["personal", "sick"])
        & ((pl.col("end") - start) >= timedelta(hours=24)),
    }
    def run(expr: pl.Expr) -> Callable[[], pl.Series]:
        return lambda: frame.select(expr.fill_null(False)).to_series()

    return {name: run(expr) for name, expr in exprs.items()}


def arrow_kinds(table: pa.Table, offsets: tuple[int, list[int]]) -> dict[str, Callable[[], Any]]:
    """Each kind as a chain of Arrow compute calls over ``table``."""
    first, per_day = offsets
    day_offsets_array = pa.array(per_day, pa.int64())
    kinds = pa.array(["personal", "sick"])

    def elapsed() -> Any:
        span = pc.subtract(table["end"].cast(pa.int64()), table["start"].cast(pa.int64()))
        return pc.greater_equal(span, 24 * 3_600_000_000)

    def time_of_day() -> Any:
        micros = table["start"].cast(pa.int64())
        day = pc.subtract(pc.divide(micros, DAY_US), first)
        local = pc.add(micros, pc.take(day_offsets_array, day))
        clock = pc.subtract(local, pc.multiply(pc.divide(local, DAY_US), DAY_US))
        return pc.less(clock, 12 * 3_600_000_000)

    def contains() -> Any:
        encoded = table["line"].combine_chunks().dictionary_encode()
        folded = pa.array([fold_text(t, "zh") for t in encoded.dictionary.to_pylist()])
        hits = pc.or_(*[pc.match_substring(folded, phrase) for phrase in PHRASES])
        return pc.take(hits, encoded.indices)

    def rule() -> Any:
        return pc.and_(pc.and_(pc.greater(table["amount"], 500.0), pc.is_in(table["kind"], value_set=kinds)),
                       elapsed())

    return {
        "compare": lambda: pc.greater(table["amount"], 500.0),
        "in": lambda: pc.is_in(table["kind"], value_set=kinds),
        "is_set": lambda: pc.is_valid(table["approver"]),
        "elapsed": elapsed,
        "time_of_day": time_of_day,
        "contains": contains,
        "rule (all of three)": rule,
    }


def _answers(result: Any) -> list[Any]:
    if isinstance(result, pl.Series):
        return list(result.to_list())
    return list(pc.fill_null(result, False).to_pylist())


def main(n: int = 1_000_000, rounds: int = 5) -> None:
    """Check both engines' answers on every row, then time them in interleaved rounds."""
    frame = generate(n)
    table = frame.to_arrow()
    offsets = _day_table(frame)
    fast, arrow = polars_kinds(frame, offsets), arrow_kinds(table, offsets)
    for name in fast:
        assert _answers(fast[name]()) == _answers(arrow[name]()), f"{name}: the engines disagree"
    times: dict[str, dict[str, list[float]]] = {name: {"polars": [], "arrow": []} for name in fast}
    for _ in range(rounds):
        for name in fast:
            for engine, run in (("polars", fast[name]), ("arrow", arrow[name])):
                started = time.process_time()
                run()
                times[name][engine].append(time.process_time() - started)
    print(f"{n:,} rows, {rounds} interleaved rounds, CPU ms (best / median); answers equal on every row")
    print(f"{'kind':<22}{'Polars':>18}{'Arrow':>18}{'Arrow/Polars':>14}")
    for name, found in times.items():
        polars_ms = [t * 1000 for t in found["polars"]]
        arrow_ms = [t * 1000 for t in found["arrow"]]
        ratio = statistics.median(arrow_ms) / max(statistics.median(polars_ms), 1e-9)
        print(f"{name:<22}{min(polars_ms):>8.1f} / {statistics.median(polars_ms):>6.1f}"
              f"{min(arrow_ms):>9.1f} / {statistics.median(arrow_ms):>6.1f}{ratio:>13.2f}x")


def coverage() -> None:
    """For each built-in pack, the rules of its stateless policies the columnar path judges on
    a batch of the pack's worked examples of each fact type, audited at :data:`NOW` (the rest
    go to the row engine)."""
    from csrules._audit import columnar
    from csrules._audit.batch import AuditSpec
    from csrules._audit.inputs import ROW
    from csrules.policies import PACK_NAMES, load_pack

    for name in PACK_NAMES:
        pack = load_pack(name)
        engine = pack.engine()
        judged = total = 0
        for fact_type in engine.fact_types:
            rules = [(p, r) for p in engine.policies if p.fact_type == fact_type for r in p.rules]
            total += len(rules)
            facts = [dict(e.fact) for p, r in rules for e in r.examples if e.fact is not None]
            keys = list(dict.fromkeys(key for fact in facts for key in fact))
            frame = pl.from_arrow(pa.Table.from_pylist([{k: f.get(k) for k in keys} for f in facts]))
            assert isinstance(frame, pl.DataFrame)
            frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
            spec = AuditSpec(engine, fact_type, NOW)
            prepared = columnar.prepare(spec, frame)
            if prepared is None:
                continue
            _, plan = columnar._with_leaves(prepared[0], columnar._plan(spec, set(prepared[0].columns)))
            judged += sum(expr is not None for *_, expr in plan)
        print(f"{name:<16} {judged:>3} of {total:>3} rules judged per column")


if __name__ == "__main__":
    if sys.argv[1:2] == ["coverage"]:
        coverage()
    else:
        main(*(int(arg) for arg in sys.argv[1:3]))
