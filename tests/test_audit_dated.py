"""Audits of a pack with dated versions: each row judged by the version in force on its day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from csrules.audit import audit
from csrules.policies import load_pack
from tests.test_audit import keys

COMPANY = Path(__file__).resolve().parent.parent / "examples" / "company_pack"
CST = timezone(timedelta(hours=8))
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _requests() -> list[dict[str, Any]]:
    """A personal leave each fortnight of 2026, asked 30 hours ahead: enough under one day's
    notice (before 2026-07-01), not under two (from then on)."""
    out = []
    for day in range(0, 365, 14):
        start = datetime(2026, 1, 1, 8, 30, tzinfo=CST) + timedelta(days=day)
        out.append({"agent_id": "A01", "kind": "personal", "start": start.isoformat(),
                    "end": (start + timedelta(hours=8)).isoformat(),
                    "requested_at": (start - timedelta(hours=30)).isoformat(), "requested_by": "A01"})
    return out


def _violating_rows(table: pa.Table) -> set[int]:
    return {row for row, rule, effect in keys(table) if rule == "ATT-1.personal-notice" and effect == "violation"}


class TestDatedAudit:
    """``examples/company_pack``: two days' notice from 2026-07-01."""

    def test_columnar_run_equals_the_row_engine(self) -> None:
        """The default run and the row engine give the same rows, and only the second half
        of the year breaks the notice period."""
        pack = load_pack(COMPANY)
        facts = _requests()
        default = audit(pack, facts, fact_type="leave_request", now=NOW, workers=1).decisions
        rows = audit(pack, facts, fact_type="leave_request", now=NOW, workers=1, columnar=False).decisions
        assert default is not None
        assert rows is not None
        assert sorted(keys(default)) == sorted(keys(rows))
        expected = {index + 1 for index, fact in enumerate(facts) if fact["requested_at"] >= "2026-07-01"}
        assert expected
        assert _violating_rows(default) == expected
