"""The e-commerce pack: a trade customer's discount question raised by the supervisor (or a
role above him) is not escalated to him, and the two night-shift lists move together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from csrules import PolicyError
from csrules.policies import load_pack

ABOVE_SUPERVISOR = """roles:
  - id: shop_manager
    title: {en: Shop manager, zh: 店長}
  - id: cs_supervisor
    title: {en: CS supervisor, zh: 客服主管}
    aliases: [客服主管, 主管]
    reports_to: shop_manager
"""


def _report(raised_by: str) -> dict[str, Any]:
    return {"raised_by": raised_by, "topic": "discount_request", "customer_type": "reseller",
            "at": "2026-03-10T10:00:00+08:00"}


def _company(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "pack.yaml").write_text(
        'name: shop\ntitle: {en: Shop, zh: 店}\nversion: "1"\nextends: ecommerce\nroles: roles.yaml\n',
        encoding="utf-8")
    (root / "roles.yaml").write_text(ABOVE_SUPERVISOR, encoding="utf-8")
    return root


def _escalations(engine: Any, raised_by: str) -> tuple[str, ...]:
    decision = engine.evaluate(_report(raised_by), fact_type="report")
    return tuple(key for key in decision.effect_keys if key.startswith("escalation:"))


@pytest.mark.parametrize("raised_by", ["cs_supervisor", "主管", "客服主管"])
def test_the_supervisors_own_report_is_not_escalated_to_him(raised_by: str) -> None:
    """二 10 轉接給客服主管: the supervisor asked decides himself."""
    assert _escalations(load_pack("ecommerce").engine(), raised_by) == ()


def test_an_agents_report_still_goes_to_the_supervisor() -> None:
    assert _escalations(load_pack("ecommerce").engine(), "agent") == ("escalation:cs_supervisor",)


def test_a_company_role_above_the_supervisor_is_not_sent_down(tmp_path: Path) -> None:
    """A shop manager above the supervisor decides the price himself, as the supervisor does."""
    engine = load_pack(str(_company(tmp_path))).engine()
    assert _escalations(engine, "shop_manager") == ()
    assert _escalations(engine, "cs_supervisor") == ()
    assert _escalations(engine, "agent") == ("escalation:cs_supervisor",)


def _night_shifts(pack: Any) -> tuple[list[str], list[str]]:
    return (list(pack.policy("shifts").param_values["night_shifts"]),
            list(pack.policy("handover").param_values["night_shifts"]))


@pytest.mark.parametrize("policy", ["shifts", "handover"])
def test_an_override_of_one_night_shift_list_moves_the_other(policy: str) -> None:
    """A shop whose night shift is 大夜班 names it once: both policies read it."""
    pack = load_pack("ecommerce", overrides={policy: {"night_shifts": ["大夜班"]}})
    assert _night_shifts(pack) == (["大夜班"], ["大夜班"])


def test_a_company_pack_override_moves_both(tmp_path: Path) -> None:
    root = _company(tmp_path)
    (root / "pack.yaml").write_text(
        (root / "pack.yaml").read_text(encoding="utf-8") + "overrides:\n  handover:\n    night_shifts: [大夜班]\n",
        encoding="utf-8")
    pack = load_pack(str(root))
    assert _night_shifts(pack) == (["大夜班"], ["大夜班"])
    shift = {"agent_id": "E02", "shift": "大夜班", "start": "2026-03-10T16:00:00+08:00",
             "end": "2026-03-11T00:00:00+08:00", "customer_in_service_at_end": True,
             "left_at": "2026-03-11T00:00:00+08:00"}
    decision = pack.engine().evaluate(shift, fact_type="shift_assignment")
    assert "ATT-12.night-stays" in decision.rule_ids


def test_two_different_lists_are_refused() -> None:
    with pytest.raises(PolicyError, match="night_shifts"):
        load_pack("ecommerce", overrides={"shifts": {"night_shifts": ["大夜班"]},
                                          "handover": {"night_shifts": ["晚班"]}})
