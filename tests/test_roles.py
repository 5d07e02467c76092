"""Role catalogues: the reporting chain, approval authority and checks on building."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from csrules import PolicyError
from csrules.domain import RoleCatalogue, UnknownRoleError
from csrules.policies import load_pack


@pytest.fixture(scope="module")
def roles() -> RoleCatalogue:
    return load_pack("call_centre").roles


class TestChain:
    def test_chain_above(self, roles: RoleCatalogue) -> None:
        """The chain runs from the direct superior to the top."""
        assert [r.id for r in roles.chain_above("shift_lead")] == ["department_head", "centre_director"]
        assert roles.chain_above("centre_director") == ()

    def test_aliases(self, roles: RoleCatalogue) -> None:
        """Chinese titles and aliases resolve to the role."""
        assert roles.role("客服部主任").id == "department_head"
        assert roles.role("部門經理").id == "department_head"
        assert "班長" in roles

    def test_levels_and_skips(self, roles: RoleCatalogue) -> None:
        """Levels count up the chain; a sideways request has no level count."""
        assert roles.levels_between("agent", "centre_director") == 3
        assert [r.id for r in roles.skipped_between("agent", "centre_director")] == ["shift_lead", "department_head"]
        with pytest.raises(UnknownRoleError, match="not above"):
            roles.levels_between("agent", "qa_inspector")

    def test_unknown_role(self, roles: RoleCatalogue) -> None:
        """An unknown role names the known ones."""
        with pytest.raises(UnknownRoleError, match="shift_lead"):
            roles.chain_above("janitor")


class TestApproval:
    def test_leave_authority(self, roles: RoleCatalogue) -> None:
        """Up to a day: the department head; more: the centre director."""
        assert roles.approver_for("leave", 1).id == "department_head"
        assert roles.approver_for("leave", 1.5).id == "centre_director"
        assert roles.approver_for("training").id == "centre_director"
        assert roles.approver_for("swap", requester="agent").id == "shift_lead"

    def test_no_authority(self, roles: RoleCatalogue) -> None:
        """A matter no role may approve is an error."""
        with pytest.raises(UnknownRoleError, match="no role can approve"):
            roles.approver_for("pay_rise")

    def test_report_counts_levels(self, roles: RoleCatalogue) -> None:
        """report() builds a ReportRequest fact with the levels counted."""
        fact = roles.report(
            raised_by="業務代表",
            addressed_to="centre_director",
            topic="safety",
            at=datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        )
        assert (fact.raised_by, fact.levels_up) == ("agent", 3)


class TestBuilding:
    def test_cycles_are_refused(self) -> None:
        """A reporting cycle cannot be built."""
        with pytest.raises(PolicyError, match="cycle"):
            RoleCatalogue(
                roles=[
                    {"id": "a", "title": {"en": "A", "zh": "甲"}, "reports_to": "b"},
                    {"id": "b", "title": {"en": "B", "zh": "乙"}, "reports_to": "a"},
                ]
            )

    def test_unknown_superior_is_refused(self) -> None:
        """reports_to must name a role of the catalogue."""
        with pytest.raises(PolicyError, match="unknown role"):
            RoleCatalogue(roles=[{"id": "a", "title": {"en": "A", "zh": "甲"}, "reports_to": "boss"}])

    def test_every_pack_has_duty_lists(self) -> None:
        """Each pack's catalogue copies duty lists from its sources."""
        for name in ("call_centre", "ecommerce", "mall", "online_support"):
            catalogue = load_pack(name).roles
            assert sum(len(r.duties) for r in catalogue) >= 5, name
