"""ecommerce ATT-12.handover-book: the book is the night agent's duty (002 第二則 二 1), not the day agent's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
SHOP = load_pack("ecommerce").engine()
BOOK = "ATT-12.handover-book"


def _handover(start: datetime, **fields: Any) -> dict[str, Any]:
    return {"shift_start": start, "outgoing_agent": "E01", "incoming_agent": "E02", **fields}


def _judged(fact: dict[str, Any]) -> tuple[str, ...]:
    return SHOP.evaluate(fact, fact_type="handover", now=datetime(2026, 3, 12, tzinfo=TZ)).rule_ids


class TestHandoverDirection:
    """白班客服下班前要和晚班客服做好工作交接,晚班客服下班前把交接事項寫在交接本上."""

    def test_day_to_night_needs_no_book(self) -> None:
        """The day agent hands over to the night agent (incoming 16:00) in person: no book."""
        assert BOOK not in _judged(_handover(datetime(2026, 3, 10, 16, tzinfo=TZ)))

    def test_night_to_day_without_book_is_flagged(self) -> None:
        """The night agent went off without writing the book the day shift (08:30) reads."""
        assert BOOK in _judged(_handover(datetime(2026, 3, 11, 8, 30, tzinfo=TZ)))

    def test_the_direction_reads_the_instant_not_its_offset(self) -> None:
        """08:30 in Beijing written in UTC (00:30Z) is still the day shift's start; 16:00 (08:00Z) the night's."""
        assert BOOK in _judged(_handover(datetime(2026, 3, 11, 0, 30, tzinfo=UTC)))
        assert BOOK not in _judged(_handover(datetime(2026, 3, 10, 8, tzinfo=UTC)))

    @pytest.mark.parametrize(("shift", "hour", "flagged"),
                             [("night", 16, True), ("晚班", 16, True), ("day", 8, False), ("白班", 8, False)])
    def test_a_given_outgoing_shift_decides(self, shift: str, hour: int, flagged: bool) -> None:
        """outgoing_shift, given, is read as given (a name in night_shifts is the night shift), never overwritten."""
        fact = _handover(datetime(2026, 3, 11, hour, 30, tzinfo=TZ), outgoing_shift=shift)
        assert (BOOK in _judged(fact)) is flagged
        decision = SHOP.evaluate(fact, fact_type="handover", now=datetime(2026, 3, 12, tzinfo=TZ))
        assert decision.fact.outgoing_shift == shift
