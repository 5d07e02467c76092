"""Role readings fixed: a role named in either Chinese script is the same role, and the
complaint flow's approval needs the approvers the stateless CMP-1 rule names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import pytest

from csrules._engine.engine import Engine
from csrules.domain import ComplaintStep
from csrules.exceptions import TransitionError
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


STARTED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)


def approve_in_session(approved_by: str) -> bool:
    """Whether the call centre's complaint flow accepts an approval by ``approved_by``."""
    session = load_pack("call_centre").sessions(backend="python").session("complaint-1")
    steps = [ComplaintStep(event="register"), ComplaintStep(event="judge", founded=True),
             ComplaintStep(event="propose")]
    for hour, step in enumerate(steps):
        session.send(step, now=STARTED + timedelta(hours=hour))
    try:
        session.send(ComplaintStep(event="approve", approved_by=approved_by), now=STARTED + timedelta(hours=3))
    except TransitionError:
        assert session.lifecycle_state("cmp-1") == "proposed"
        return False
    return session.lifecycle_state("cmp-1") == "approved"


def approve_stateless(approved_by: str) -> bool:
    """Whether the stateless CMP-1 rules accept a work order handled on ``approved_by``'s approval."""
    fact = {"order_id": "W1", "opened_at": STARTED.isoformat(), "first_handler": "A01", "owner": "A01",
            "status": "handling", "founded": True, "proposals": ["refund"], "approved_proposal": 0,
            "approved_by": approved_by}
    decision = engine().evaluate(fact, now=STARTED + timedelta(hours=5), fact_type="work_order")
    approval = {"CMP-1.leader-approval", "CMP-1.no-unapproved-handling"}
    return not approval & {effect.rule_id for effect in decision.effects}


class TestComplaintApprover:
    """The complaint flow's approval needs the approvers the stateless CMP-1 rules name."""

    @pytest.mark.parametrize("approver", ["department_head", "centre_director", "客服部主任", "客服中心主任",
                                          "部门经理", "部門經理"])
    def test_leaders_approve(self, approver: str) -> None:
        """The department head or the centre director, by id or alias in either script, approves in both."""
        assert approve_in_session(approver)
        assert approve_stateless(approver)

    @pytest.mark.parametrize("approver", ["A01", "agent", "shift_lead", "值班长"])
    def test_others_refused(self, approver: str) -> None:
        """A staff number, an agent or a shift lead approves neither in the session nor statelessly."""
        assert not approve_in_session(approver)
        assert not approve_stateless(approver)
