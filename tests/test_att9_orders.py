"""ecommerce CMP-7.register: 處理問題件(能立即處理的除外)和退回件需要登記 (002 第二則 二 7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csrules.policies import load_pack

TZ = ZoneInfo("Asia/Shanghai")
SHOP = load_pack("ecommerce").engine()


def _order(**fields: Any) -> dict[str, Any]:
    return {"order_no": "T100", "placed_at": datetime(2026, 3, 1, 10, tzinfo=TZ), "paid_at": datetime(2026, 3, 1, 10, 2,
            tzinfo=TZ), "status": "sent", "amount": 59, "remote_area_checked": True, **fields}


@pytest.mark.parametrize(("fields", "flagged"), [
    ({"problem": "problem", "handled_at_once": True}, False),
    ({"problem": "problem"}, True),
    ({"problem": "problem", "handled_at_once": False}, True),
    ({"problem": "returned", "handled_at_once": True}, True),
    ({"problem": "returned"}, True),
])
def test_only_a_problem_parcel_handled_at_once_is_not_registered(fields: dict[str, Any], flagged: bool) -> None:
    """A problem parcel handled at once needs no entry; one not handled at once, and any returned parcel, do."""
    decision = SHOP.evaluate(_order(**fields), fact_type="order")
    assert ("CMP-7.register" in decision.rule_ids) is flagged
