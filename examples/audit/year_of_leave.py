"""A year of leave requests for a customer-service centre, generated and audited end to end.

    python examples/audit/year_of_leave.py --agents 300 --out audit-2026/

writes ``audit-2026/data/leave-2026.parquet`` (generated here, never committed: a fixed seed
makes the same year every time), audits it against the call-centre pack on every core, and
leaves ``decisions.parquet``, ``summary.json``, ``report.md`` and ``report.html`` beside it.
Needs ``pip install 'csrules[audit]'``.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from csrules.audit import AuditResult, audit
from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
KINDS = ("personal", "personal", "personal", "special_personal", "sick", "sick", "business_trip", "training")
SHIFTS = ((8, 30, 8), (16, 0, 8), (0, 0, 8))  # start hour, minute, length in hours: day, evening, night


def request(rng: random.Random, agent: str, team: str, day: date) -> dict[str, Any]:
    """One leave request of ``agent`` for a shift on ``day``, asked some hours or days ahead."""
    hour, minute, length = rng.choice(SHIFTS)
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)
    days = rng.choice((1, 1, 1, 1, 2, 3))
    end = start + timedelta(days=days - 1, hours=length)
    ahead = timedelta(hours=rng.choice((0.5, 2, 6, 12, 20, 30, 50, 72, 120)))
    kind = rng.choice(KINDS)
    row: dict[str, Any] = {
        "agent_id": agent, "team": team, "kind": kind, "start": start, "end": end,
        "requested_at": start - ahead, "requested_by": agent if rng.random() > 0.05 else f"{agent}-friend",
        "night_shift": hour == 0, "manager_approved": rng.random() < 0.1,
    }
    if kind == "sick":
        row["certificate"] = rng.random() < 0.7
        row["emergency"] = rng.random() < 0.2
    return row


def generate(path: Path, *, agents: int, per_agent: int = 18, year: int = 2026, seed: int = 2026) -> int:
    """Write a year of leave requests for ``agents`` agents in teams of 30 to ``path``; the row count."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, agents + 1):
        agent, team = f"A{number:04d}", f"team-{(number - 1) // 30 + 1:02d}"
        for _ in range(rng.randint(per_agent // 2, per_agent * 3 // 2)):
            rows.append(request(rng, agent, team, date(year, 1, 1) + timedelta(days=rng.randrange(365))))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=50_000)
    return len(rows)


def main(argv: Sequence[str] | None = None) -> AuditResult:
    """Generate the year, audit it, and say where the report is."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("audit-2026"))
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    args = parser.parse_args(argv)
    data = args.out / "data" / "leave-2026.parquet"
    count = generate(data, agents=args.agents)
    result = audit(load_pack("call_centre"), data, fact_type="leave_request", out=args.out,
                   now=datetime(2027, 1, 1, tzinfo=UTC), workers=args.workers, title="Call centre leave, 2026")
    totals = result.summary.totals
    print(f"{count:,} leave requests of {args.agents} agents: {totals['violation']:,} with a violation, "
          f"{totals['needs_approval']:,} needing approval; report: {args.out / 'report.html'}")
    return result


if __name__ == "__main__":
    main()
