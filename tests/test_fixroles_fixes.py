"""Role readings fixed: a role named in either Chinese script is the same role, and the
complaint flow's approval needs the approvers the stateless CMP-1 rule names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import pytest

from csrules._engine.engine import Engine
from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
ASKED = datetime(2026, 3, 1, 9, 0, tzinfo=CST)


@cache
def engine(pack: str = "call_centre") -> Engine:
    """The stateless engine of a built-in pack (built once)."""
    return load_pack(pack).engine()


def leave(**values: Any) -> tuple[str, ...]:
    """The rule ids the call centre gives a one-day personal leave asked four days ahead."""
    fact = {"agent_id": "A01", "kind": "personal", "start": "2026-03-05T08:30:00+08:00",
            "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00",
            "requested_by": "A01", **values}
    decision = engine().evaluate(fact, now=ASKED, fact_type="leave_request")
    return tuple(sorted(effect.rule_id for effect in decision.effects))


class TestRoleScripts:
    """A simplified spelling of a role alias reads as the traditional one."""

    @pytest.mark.parametrize(("simplified", "traditional"), [("值班长", "值班長"), ("班长", "班長")])
    def test_submitted_to_either_script(self, simplified: str, traditional: str) -> None:
        """An agent's leave to the shift lead in simplified script skips no level and names a known role."""
        assert leave(submitted_to=simplified) == leave(submitted_to=traditional)

    @pytest.mark.parametrize(("simplified", "traditional"), [("业务代表", "業務代表"), ("质检员", "質檢員")])
    def test_requester_either_script(self, simplified: str, traditional: str) -> None:
        """The requester's role in simplified script routes the leave to the same approver."""
        fact = {"requester_role": simplified, "submitted_to": "客服部主任"}
        assert leave(**fact) == leave(**{**fact, "requester_role": traditional})
        assert "ROLE-1.leave-unknown-role" not in leave(**fact)

    def test_catalogue_lookup(self) -> None:
        """The catalogue finds a role by a simplified spelling of its traditional alias."""
        roles = load_pack("call_centre").roles
        assert "值班长" in roles
        assert roles.role("值班长").id == "shift_lead"
