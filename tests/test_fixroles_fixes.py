"""Role and phrase readings fixed: a role named in either Chinese script is the same role, the
complaint flow's approval needs the approvers the stateless CMP-1 rules name, a company pack's
own roles join the role lists, and chat refusals and hedges are no discount or guarantee."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
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
    steps = [ComplaintStep(event="register", complainant="Ms Li"), ComplaintStep(event="judge", founded=True),
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


ACME_ROLES = """\
roles:
  - id: team_lead
    title: {en: Team lead, zh: 組長}
    reports_to: shift_lead
  - id: trainer
    title: {en: Trainer, zh: 培訓師}
    reports_to: department_head
"""


@cache
def acme(root: str) -> Engine:
    """The engine of a company pack extending the call centre with two roles (built once)."""
    return load_pack(root).engine()


class TestCompanyRoles:
    """Roles a company pack adds join the known roles and the roles below the department head."""

    @pytest.fixture
    def root(self, tmp_path: Path) -> str:
        """A company pack adding a team lead under the shift lead and a trainer under the department head."""
        (tmp_path / "acme").mkdir()
        (tmp_path / "acme" / "pack.yaml").write_text(
            'name: acme\ntitle: {en: Acme, zh: Acme}\nversion: "1"\nextends: call_centre\nroles: roles.yaml\n',
            encoding="utf-8")
        (tmp_path / "acme" / "roles.yaml").write_text(ACME_ROLES, encoding="utf-8")
        return str(tmp_path / "acme")

    @pytest.mark.parametrize(("role", "to"), [("team_lead", "shift_lead"), ("trainer", "department_head")])
    def test_one_day_leave(self, root: str, role: str, to: str) -> None:
        """A one-day leave of an added role, handed to its superior, goes to the department head alone."""
        fact = {"agent_id": "A01", "kind": "personal", "start": "2026-03-10T08:00:00+08:00",
                "end": "2026-03-10T16:00:00+08:00", "requested_at": "2026-03-05T08:00:00+08:00",
                "requested_by": "A01", "requester_role": role, "submitted_to": to}
        decision = acme(root).evaluate(fact, now=datetime(2026, 3, 5, 9, tzinfo=CST), fact_type="leave_request")
        assert decision.effect_keys == ("approval:department_head",)

    def test_report(self, root: str) -> None:
        """A report naming an added role names a known role."""
        fact = {"raised_by": "team_lead", "addressed_to": "shift_lead", "topic": "other",
                "at": "2026-03-10T10:00:00+08:00"}
        decision = acme(root).evaluate(fact, now=datetime(2026, 3, 10, 10, tzinfo=CST), fact_type="report")
        assert "ROLE-1.unknown-role" not in {effect.rule_id for effect in decision.effects}

    def test_built_in_unchanged(self) -> None:
        """The built-in pack's role lists already name its roles, so its leave policy keeps its version."""
        leave_policy = next(p for p in load_pack("call_centre").policies if p.id == "call_centre.leave")
        assert "+" not in leave_policy.version


def chat(line: str) -> set[str]:
    """The rule ids the e-commerce pack gives a chat in which the agent greets and says ``line``."""
    fact = {"call_id": "T1", "agent_id": "E01", "started_at": "2026-03-10T10:00:00+08:00", "duration": "PT3M",
            "agent_lines": ["您好", line]}
    decision = engine("ecommerce").evaluate(fact, now=datetime(2026, 3, 10, 11, tzinfo=CST), fact_type="call_record")
    return {effect.rule_id for effect in decision.effects}


class TestChatRefusalsAndHedges:
    """Refusing a discount and hedging a delivery time are what the clauses ask, not breaches."""

    @pytest.mark.parametrize("line", ["亲，不可以给您优惠哦", "亲，不能再给您优惠了", "实在没有办法给您优惠呢",
                                      "本店不可以給您打折的", "不能再給你便宜了"])
    def test_refusals_pass(self, line: str) -> None:
        """A refusal with 给您 inside is no discount."""
        assert "ESC-5.no-discount" not in chat(line)

    @pytest.mark.parametrize("line", ["给您打九折吧", "可以给您便宜十块", "給您打八折", "不可以优惠，但是给您打九折吧"])
    def test_discounts_flagged(self, line: str) -> None:
        """A granted discount is flagged, also after a refusal."""
        assert "ESC-5.no-discount" in chat(line)

    @pytest.mark.parametrize("line", ["这个我们保证不了，一般三天左右到", "很难保证明天到，尽量给您发",
                                      "不能百分百保证，一般两天左右", "不敢说一定能到，尽量", "這個我們保證不了"])
    def test_hedges_pass(self, line: str) -> None:
        """A hedge is no guarantee."""
        assert "CON-8.no-guarantees" not in chat(line)

    def test_guarantee_flagged(self) -> None:
        """A guarantee after a hedge is still flagged."""
        assert "CON-8.no-guarantees" in chat("很难保证明天到，但是后天保证到")
