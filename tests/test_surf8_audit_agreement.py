"""A year of records audited from files agrees with judging each record with the engine.

The records are written as CSV, JSON Lines and Parquet, their times with mixed offsets (a
DST zone's among them) and some at month ends, and audited through ``csrules audit``; every
count the summary gives (facts by outcome, effects by rule, facts by month) must be what
``Engine.evaluate`` gives record by record.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrules._cli.cli import main
from csrules.policies import load_pack

NOW = "2026-12-31T12:00:00+08:00"
CST = timezone(timedelta(hours=8))
ZONES = (CST, UTC, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=45)),
         ZoneInfo("Europe/London"), timezone(timedelta(hours=-10)))
KINDS = ("personal", "special_personal", "sick", "business_trip", "training")
FLAGS = ("night_shift", "on_holiday", "manager_approved", "certificate", "emergency", "on_swapped_shift")


def year_of_leave(count: int = 400, seed: int = 8) -> list[dict[str, Any]]:
    """``count`` leave requests over 2026 (a fixed seed: the same year every run), each time
    written with its own offset, shift starts on the hour, at month ends and on holidays."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        start = datetime(day.year, day.month, day.day, rng.choice((0, 8, 16, 23)), rng.choice((0, 30, 59)), tzinfo=CST)
        if rng.random() < 0.2:
            start = start.replace(day=1, hour=0)  # a shift at midnight on the 1st: the month differs by zone
        end = start + timedelta(hours=rng.choice((4, 8, 24, 48)))
        asked = start - timedelta(minutes=rng.choice((30, 59, 60, 61, 1439, 1440, 1441, 2880, 2881)))
        row: dict[str, Any] = {"agent_id": f"A{rng.randrange(40):03d}", "kind": rng.choice(KINDS),
                               "start": start.astimezone(rng.choice(ZONES)), "end": end.astimezone(rng.choice(ZONES)),
                               "requested_at": asked.astimezone(rng.choice(ZONES))}
        row["requested_by"] = row["agent_id"] if rng.random() < 0.9 else "a friend"
        row.update({flag: rng.random() < 0.2 for flag in FLAGS})
        row["phoned_shift_lead_at"] = (start + timedelta(minutes=rng.choice((-60, -5, 0, 5)))).astimezone(
            rng.choice(ZONES)) if rng.random() < 0.3 else None
        rows.append(row)
    return rows


def as_text(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its times as ISO 8601 texts, each with the offset it was written with."""
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in row.items()}


def write(rows: list[dict[str, Any]], folder: Path, form: str) -> Path:
    """``rows`` written as ``form`` (csv, jsonl, parquet) in ``folder``."""
    path = folder / f"leave.{form}"
    texts = [as_text(row) for row in rows]
    if form == "jsonl":
        path.write_text("".join(json.dumps({k: v for k, v in row.items() if v is not None}) + "\n" for row in texts),
                        encoding="utf-8")
    elif form == "csv":
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, list(texts[0]))
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in texts)
    else:  # Parquet keeps the instants as zoned timestamps: in UTC, the offsets written with are gone
        utc = [{k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in row.items()}
               for row in rows]
        pq.write_table(pa.Table.from_pylist(utc), path)
    return path


def engine_counts(rows: list[dict[str, Any]]) -> tuple[Counter[str], Counter[tuple[str, str]], Counter[str]]:
    """Facts by outcome, effects by (policy, rule) and facts by month of the leave's start in
    Asia/Shanghai, judged one record at a time."""
    engine = load_pack("call_centre").engine()
    now = datetime.fromisoformat(NOW)
    outcomes: Counter[str] = Counter()
    rules: Counter[tuple[str, str]] = Counter()
    months: Counter[str] = Counter()
    for row in rows:
        fact = {key: value for key, value in as_text(row).items() if value is not None}
        decision = engine.evaluate(fact, now=now, fact_type="leave_request")
        outcomes[decision.outcome.value] += 1
        for key, effects in decision.rule_effects.items():
            rules[key] += len(effects)
        months[row["start"].astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")] += 1
    return outcomes, rules, months


ROWS = year_of_leave()
EXPECTED = engine_counts(ROWS)


@pytest.mark.parametrize("form", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("rows_flag", [[], ["--rows"]], ids=["columnar", "row-engine"])
def test_audit_counts_are_the_engines(form: str, rows_flag: list[str], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Every count of the audit's summary is the count of judging each record with the engine."""
    path = write(ROWS, tmp_path, form)
    out = tmp_path / "out"
    status = main(["audit", "call_centre", str(path), "--fact-type", "leave_request", "--now", NOW,
                   "--workers", "1", "-o", str(out), *rows_flag])
    capsys.readouterr()
    outcomes, rules, months = EXPECTED
    assert status == (1 if outcomes["violation"] else 0)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    totals = {name: count for name, count in summary["totals"].items() if count and name != "facts"}
    assert totals == dict(outcomes)
    assert summary["totals"]["facts"] == len(ROWS)
    by_rule: Counter[tuple[str, str]] = Counter()
    for entry in summary["by_rule"]:
        by_rule[(entry["policy"], entry["rule"])] += entry["count"]
    assert by_rule == rules
    assert {entry["month"]: entry["facts"] for entry in summary["by_month"]} == dict(months)
