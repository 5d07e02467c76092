"""The columnar audit reads every ISO 8601 form of an aware datetime that the row engine reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csrules.audit import audit
from csrules.policies import load_pack

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _leave(start: str, end: str, requested: str) -> dict[str, str]:
    return {"agent_id": "A1", "kind": "personal", "requested_by": "A1",
            "start": start, "end": end, "requested_at": requested}


class TestIsoForms:
    """Minutes without seconds, offsets without a colon, and Z."""

    @pytest.mark.parametrize("form", [
        ("2026-03-02T08:30+08:00", "2026-03-02T16:30+08:00", "2026-03-01T20:00+08:00"),
        ("2026-03-02T08:30:00+0800", "2026-03-02T16:30:00+0800", "2026-03-01T20:00:00+0800"),
        ("2026-03-02 00:30:00Z", "2026-03-02 08:30:00Z", "2026-03-01 12:00Z"),
    ])
    def test_columnar_equals_rows(self, form: tuple[str, str, str]) -> None:
        """No row is invalid, and both paths give the same rows."""
        pack, facts = load_pack("call_centre"), [_leave(*form)]
        fast = audit(pack, facts, fact_type="leave_request", now=NOW, workers=1)
        rows = audit(pack, facts, fact_type="leave_request", now=NOW, workers=1, columnar=False)
        assert fast.decisions is not None
        assert rows.decisions is not None
        assert "invalid" not in fast.decisions.column("outcome").to_pylist()
        assert fast.decisions.to_pylist() == rows.decisions.to_pylist()
