"""The days of dated versions are read in their own zone, and dated policies judging one fact
type must share it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from csrules import Engine, PolicyError
from csrules._policy.model import Policy
from csrules.policies import load_pack


def _leave(**changes: Any) -> Policy:
    """The call-centre leave policy with ``changes``."""
    leave = load_pack("call_centre").policy("leave")
    return Policy(**{**leave.model_dump(mode="python"), **changes})


def _versions(zone: str) -> list[Policy]:
    """``x.leave`` in force until 2026-07-01 as version 1, from then as version 2, in ``zone``."""
    return [_leave(id="x.leave", version="1", valid_until=date(2026, 7, 1), timezone=zone),
            _leave(id="x.leave", version="2", valid_from=date(2026, 7, 1), timezone=zone,
                   overrides={"personal_notice": "2d"})]


def _judged_by(engine: Engine, requested_at: datetime, **zone: str) -> list[tuple[str, str]]:
    """The (id, version) of the policies judging a personal leave asked at ``requested_at``
    (with ``time_zone=`` when given)."""
    fact = {"agent_id": "a1", "kind": "personal", "start": requested_at + timedelta(hours=30),
            "end": requested_at + timedelta(hours=40), "requested_at": requested_at, "requested_by": "a1", **zone}
    decision = engine.evaluate(fact, fact_type="leave_request", now=datetime(2026, 8, 1, tzinfo=UTC))
    return [(ref.id, ref.version) for ref in decision.policies]


class TestDatedZones:
    """An undated policy's zone never decides which dated version is in force."""

    def test_versions_read_their_own_zone(self) -> None:
        """19:00 in London on 30 June is 30 June there: version 1, even beside a Shanghai policy
        and for a fact read in Shanghai (a fact naming no zone is refused: its policies read two)."""
        undated = _leave(id="x.other", timezone="Asia/Shanghai")
        engine = Engine([undated, *_versions("Europe/London")])
        shanghai = {"time_zone": "Asia/Shanghai"}
        assert ("x.leave", "1") in _judged_by(engine, datetime(2026, 6, 30, 18, tzinfo=UTC), **shanghai)
        assert ("x.leave", "2") in _judged_by(engine, datetime(2026, 6, 30, 23, tzinfo=UTC), **shanghai)

    def test_dated_policies_in_two_zones_refused(self) -> None:
        """Dated policies of one fact type in two zones are refused, naming both."""
        other = _leave(id="x.other", timezone="Asia/Shanghai", valid_from=date(2020, 1, 1))
        with pytest.raises(PolicyError, match=r"x\.other in Asia/Shanghai, x\.leave in Europe/London"):
            Engine([other, *_versions("Europe/London")])
