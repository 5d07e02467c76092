"""Roles, complaints and service language fixed: a misspelt role or matter is refused with the
name it seems to mean; an online-support case names its roles as the catalogue does; the 喂 of
feeding (喂奶, 餵養) is no telephone 喂."""

from __future__ import annotations

import pytest

from csrules.domain.roles import RoleCatalogue, UnknownRoleError
from csrules.policies import load_pack


@pytest.fixture(scope="module")
def roles() -> RoleCatalogue:
    return load_pack("call_centre").roles


class TestRoleNameHints:
    """A role name written in another case, full-width or with spaces is refused, naming the role meant."""

    @pytest.mark.parametrize("name", ["Shift_Lead", "SHIFT_LEAD", "shift lead", "ｓｈｉｆｔ＿ｌｅａｄ", "shift-lead"])
    def test_case_and_width_hint(self, roles: RoleCatalogue, name: str) -> None:
        """The look-up stays exact (facts flag such names too) and the error says which role was meant."""
        assert name not in roles
        with pytest.raises(UnknownRoleError, match=r"did you mean 'shift_lead'\?"):
            roles.role(name)

    def test_hint_in_chain_look_ups(self, roles: RoleCatalogue) -> None:
        """Every look-up that names a role gives the hint, the upper role of a level count too."""
        with pytest.raises(UnknownRoleError, match=r"'Department_Head'.*did you mean 'department_head'\?"):
            roles.levels_between("agent", "Department_Head")

    def test_typo_hint(self, roles: RoleCatalogue) -> None:
        """A near miss of an id is named too."""
        with pytest.raises(UnknownRoleError, match=r"did you mean 'department_head'\?"):
            roles.chain_above("departmant_head")

    def test_no_hint_for_a_stranger(self, roles: RoleCatalogue) -> None:
        """A name like no role's gets the list of roles and no guess."""
        with pytest.raises(UnknownRoleError) as caught:
            roles.role("janitor")
        assert "did you mean" not in str(caught.value)

    def test_matter_hint(self, roles: RoleCatalogue) -> None:
        """A matter no role approves lists the matters, and names the one written in another case."""
        with pytest.raises(UnknownRoleError, match=r"matters: leave, .*did you mean 'leave'\?"):
            roles.approver_for("Leave", 2)
