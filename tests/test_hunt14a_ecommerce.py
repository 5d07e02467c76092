"""The e-commerce pack against its source, 002 電商(天貓)客服工作制度: answers a reviewer would check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from csrules.policies import load_pack

SHOP = load_pack("ecommerce").engine()
NOW = datetime.fromisoformat("2026-03-11T01:00:00+08:00")


def rules(fact: dict[str, Any], fact_type: str, now: datetime = NOW) -> tuple[str, ...]:
    """The rule ids of the e-commerce pack's decision on ``fact``."""
    return SHOP.evaluate(fact, fact_type=fact_type, now=now).rule_ids


class TestNightShiftNames:
    """晚班客服…如還有客戶在咨詢,接待客服工作自動延長 (第二則 二 1): the night shift by its own name."""

    @staticmethod
    def night_shift(name: str) -> dict[str, Any]:
        """A night shift named ``name`` left at midnight with a customer still served."""
        return {"agent_id": "E02", "shift": name, "start": "2026-03-10T16:00:00+08:00",
                "end": "2026-03-11T00:00:00+08:00", "customer_in_service_at_end": True,
                "left_at": "2026-03-10T16:00:00Z"}

    def test_a_shift_named_in_chinese_is_the_night_shift(self) -> None:
        """A shift named 晚班 or 夜班, without the night flag, is held to staying on."""
        assert "ATT-12.night-stays" in rules(self.night_shift("晚班"), "shift_assignment")
        assert "ATT-12.night-stays" in rules(self.night_shift("夜班"), "shift_assignment")

    def test_the_shift_and_handover_policies_name_the_same_night_shifts(self) -> None:
        """Both policies read one list of night-shift names, so a roster's 晚班 is night in each."""
        pack = load_pack("ecommerce")
        shifts = pack.policy("shifts").param_values["night_shifts"]
        handover = pack.policy("handover").param_values["night_shifts"]
        assert set(shifts) == set(handover)

    def test_a_day_shift_is_not_held_to_staying(self) -> None:
        """白班 hands the customer over (白班客服下班前要和晚班客服做好工作交接): no finding."""
        shift = {**self.night_shift("白班"), "start": "2026-03-10T08:30:00+08:00",
                 "end": "2026-03-10T16:30:00+08:00", "left_at": "2026-03-10T16:30:00+08:00"}
        assert "ATT-12.night-stays" not in rules(shift, "shift_assignment")
