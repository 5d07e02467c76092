"""Policies of one fact type that read days and clocks in different zones: a fact naming no
``time_zone`` cannot be read in both, so it is refused naming the policies and their zones,
never silently read in the default zone (where a London policy would judge Shanghai days)."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest

import csrules
from csrules._engine.zones import SplitZones, fact_zones
from csrules.audit import audit
from csrules.exceptions import FactError

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
# asked at 23:30 London time the evening before (07:30 the same day in Shanghai)
FACT = {"agent_id": "A1", "kind": "personal", "start": "2026-03-02T08:30:00+00:00",
        "end": "2026-03-02T16:30:00+00:00", "requested_at": "2026-03-01T23:30:00+00:00", "requested_by": "A1"}


def same_day(policy_id: str, zone: str | None) -> csrules.Policy:
    return csrules.Policy(
        id=policy_id, version="1", title="same day", fact_type="leave_request", timezone=zone,
        rules=[{"id": f"{policy_id}-1", "title": "asked on the day",
                "when": {"kind": "compare", "path": "request_lead_days", "op": "<", "value": 1},
                "then": [{"type": "violation", "code": "SAME-DAY", "message": "same day"}]}])


LONDON, SHANGHAI, UNNAMED = (same_day("london", "Europe/London"), same_day("shanghai", "Asia/Shanghai"),
                             same_day("unnamed", None))


class TestSplitZones:
    @pytest.mark.parametrize("other", [SHANGHAI, UNNAMED], ids=["named", "default"])
    def test_fact_without_zone_is_refused(self, other: csrules.Policy) -> None:
        """Adding a policy of another zone does not turn the London answer into Shanghai's."""
        with pytest.raises(FactError, match=r"london \(Europe/London\).*\(Asia/Shanghai\).*give the fact's time_zone"):
            csrules.Engine([LONDON, other]).evaluate(FACT, now=NOW, fact_type="leave_request")

    def test_fact_with_zone_is_judged(self) -> None:
        """A fact naming its zone is read there by every policy."""
        decision = csrules.Engine([LONDON, SHANGHAI]).evaluate({**FACT, "time_zone": "Europe/London"}, now=NOW,
                                                               fact_type="leave_request")
        assert decision.effect_keys == ()

    def test_one_zone_still_fills_in(self) -> None:
        """Policies naming one zone (the default counted as named) still read a fact in it."""
        assert csrules.Engine([LONDON]).evaluate(FACT, now=NOW, fact_type="leave_request").effect_keys == ()
        decision = csrules.Engine([SHANGHAI, UNNAMED]).evaluate(FACT, now=NOW, fact_type="leave_request")
        assert decision.fact.time_zone == "Asia/Shanghai"
        assert set(decision.effect_keys) == {"violation:SAME-DAY"}

    def test_audit_refuses_it_too(self) -> None:
        """The audit reports the fact as refused, naming the zones, as the engine does."""
        facts: list[dict[str, Any]] = [FACT]
        found = audit(csrules.Engine([LONDON, SHANGHAI]), facts, fact_type="leave_request", now=NOW, workers=1)
        table = found.decisions
        assert table is not None
        assert table.column("rule").to_pylist() == [None]
        assert "different zones" in str(table.to_pylist())

    def test_split_zones_copy_whole(self) -> None:
        """The table entry naming the policies' zones copies and pickles with the policies in it."""
        split = fact_zones([LONDON, SHANGHAI])["leave_request"]
        assert isinstance(split, SplitZones)
        for copied in (copy.deepcopy(split), pickle.loads(pickle.dumps(split))):
            assert isinstance(copied, SplitZones)
            assert (copied, copied.named) == (split, (("london", "Europe/London"), ("shanghai", "Asia/Shanghai")))
