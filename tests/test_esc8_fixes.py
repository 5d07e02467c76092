"""Roles, complaints and service language fixed: a misspelt role or matter is refused with the
name it seems to mean; an online-support case names its roles as the catalogue does; the 喂 of
feeding (喂奶, 餵養) is no telephone 喂."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from csrules.domain.escalation import EscalationLadder
from csrules.domain.roles import RoleCatalogue, UnknownRoleError
from csrules.domain.slas import Pause, SlaPolicy, SlaTicket
from csrules.exceptions import FactError, PolicyError, TimeError
from csrules.policies import load_pack

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)


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

    @pytest.mark.parametrize(("field", "value"), [("topic", "bogus"), ("at", datetime(2026, 3, 10, 9))])
    def test_report_refuses_a_bad_field_with_a_fact_error(self, roles: RoleCatalogue, field: str, value: Any) -> None:
        """report() with a topic or time the fact refuses raises FactError naming the field, never pydantic's error."""
        given: dict[str, Any] = {"topic": "other", "at": OPENED, field: value}
        with pytest.raises(FactError, match=rf"invalid report: {field}:"):
            roles.report(raised_by="agent", addressed_to="shift_lead", **given)

    @pytest.mark.parametrize("requester", [None, "agent"])
    def test_bounded_matter_needs_the_amount(self, roles: RoleCatalogue, requester: str | None) -> None:
        """Leave without its length is refused naming the bounds, never given to the head of one day."""
        with pytest.raises(FactError, match=r"depends on the amount .*department_head up to 1 days.*centre_director"):
            roles.approver_for("leave", requester=requester)
        assert roles.approver_for("leave", 3, requester=requester).id == "centre_director"

    def test_unbounded_matter_needs_no_amount(self, roles: RoleCatalogue) -> None:
        """A matter no role approves only up to a bound is answered without an amount."""
        assert roles.approver_for("training").id == "centre_director"

    def test_matter_hint(self, roles: RoleCatalogue) -> None:
        """A matter no role approves lists the matters, and names the one written in another case."""
        with pytest.raises(UnknownRoleError, match=r"matters: leave, .*did you mean 'leave'\?"):
            roles.approver_for("Leave", 2)


def case_rules(pack: Any, severity: str, reported_to: str) -> tuple[str, ...]:
    """The rules an online-support case of ``severity`` reported to ``reported_to`` fires an hour in."""
    fact = {"order_id": "K1", "opened_at": OPENED.isoformat(), "first_handler": "S01", "owner": "S01",
            "severity": severity, "reported_to": reported_to}
    return pack.engine().evaluate(fact, now=OPENED + timedelta(hours=1), fact_type="work_order").rule_ids


class TestCaseReportedToAnUnknownRole:
    """online_support CMP-5: a case reported to a name the catalogue does not hold is flagged, not read silently."""

    @pytest.mark.parametrize("name", ["Team_Lead", "team lead", "王組長", "S07"])
    def test_unknown_name_flagged(self, name: str) -> None:
        """The serious complaint still goes to the team lead, and the case is flagged for its name."""
        fired = case_rules(load_pack("online_support"), "serious", name)
        assert "CMP-5.serious" in fired
        assert "ROLE-1.work-order-unknown-role" in fired

    def test_flagged_whatever_the_severity(self) -> None:
        """A normal complaint reported to an unknown name is flagged too: the name is wrong either way."""
        assert "ROLE-1.work-order-unknown-role" in case_rules(load_pack("online_support"), "normal", "Supervisor")

    @pytest.mark.parametrize("name", ["team_lead", "部门组长", "本中心負責人", " cs_manager", "客服總監"])
    def test_catalogue_names_not_flagged(self, name: str) -> None:
        """An id or alias of roles.yaml, in either script, padded or not, is no unknown role."""
        assert "ROLE-1.work-order-unknown-role" not in case_rules(load_pack("online_support"), "serious", name)

    def test_company_roles_join_the_list(self, tmp_path: Path) -> None:
        """A company pack's own role is a role of the catalogue: not flagged as unknown."""
        roles = ("roles:\n  - {id: senior_lead, title: {en: Senior lead, zh: 資深組長}, aliases: [資深組長], "
                 "reports_to: cs_supervisor}\n")
        (tmp_path / "roles.yaml").write_text(roles, encoding="utf-8")
        (tmp_path / "pack.yaml").write_text('name: acme\ntitle: {en: Acme, zh: 甲}\nversion: "1"\n'
                                            "extends: online_support\nroles: roles.yaml\n", encoding="utf-8")
        fired = case_rules(load_pack(tmp_path), "serious", "資深組長")
        assert "ROLE-1.work-order-unknown-role" not in fired


def greeting_rules(first_line: str, prior: int = 0) -> tuple[str, ...]:
    """The mall rules a one-minute call opening with ``first_line`` fires (stateless engine)."""
    fact = {"call_id": "C1", "agent_id": "M01", "started_at": OPENED.isoformat(), "duration": "PT1M",
            "agent_lines": [first_line, "請稍等，謝謝"], "prior_greeting_offences": prior}
    return load_pack("mall").engine().evaluate(fact, now=OPENED, fact_type="call_record").rule_ids


class TestFeedingIsNoCallWord:
    """mall CON-1: 開頭語…不可以說「喂」 is the telephone 喂, not the 喂 / 餵 of feeding."""

    @pytest.mark.parametrize("line", ["您好，請問是諮詢餵奶器嗎？", "您好，请问宝宝喂奶的问题",
                                      "您好，這裡是母嬰專櫃，餵養顧問為您服務", "您好，寵物店，請問要買餵貓的罐頭嗎"])
    @pytest.mark.parametrize("prior", [0, 1, 2])
    def test_feeding_not_an_offence(self, line: str, prior: int) -> None:
        """No rung of the 喂 ladder holds for a greeting that only speaks of feeding."""
        assert not [rule for rule in greeting_rules(line, prior) if rule.startswith("CON-1.wei")]

    @pytest.mark.parametrize(("line", "rule"), [("喂？您好", "CON-1.wei-corrected"),
                                                ("您好，喂？請問喂奶器還要嗎", "CON-1.wei-corrected"),
                                                ("喂喂，您好", "CON-1.wei-corrected")])
    def test_call_word_still_an_offence(self, line: str, rule: str) -> None:
        """A 喂 said as a call word counts, beside a 喂 of feeding too."""
        assert rule in greeting_rules(line)


class TestNoUncitedLeaveAuthority:
    """The mall (000) and online-support (003, 004) sources name no leave approver: no role approves leave."""

    @pytest.mark.parametrize("pack", ["mall", "online_support"])
    def test_no_role_approves_leave(self, pack: str) -> None:
        """approver_for('leave') is refused instead of naming the call centre's approvers."""
        catalogue = load_pack(pack).roles
        assert not [role.id for role in catalogue for item in role.authority if item.matter == "leave"]
        for days in (1, 2):
            with pytest.raises(UnknownRoleError, match="no role can approve"):
                catalogue.approver_for("leave", days)

    def test_cited_authority_kept(self) -> None:
        """The mall supervisor's authority the source states (指揮、協調、監督管理) stays."""
        assert load_pack("mall").roles.approver_for("supervise").id == "cs_supervisor"


class TestLadderFromAWrongPolicy:
    """EscalationLadder.from_policy refuses what is no work-order policy with a csrules error naming it."""

    def test_policy_without_ladder_times(self) -> None:
        """A leave policy has no ladder times: the error names the parameter and the policy's own."""
        leave = load_pack("call_centre").policy("call_centre.leave")
        with pytest.raises(PolicyError, match=r"no ladder parameter 'shift_lead_after'.*head_max_days") as caught:
            EscalationLadder.from_policy(leave)
        assert caught.value.policy_id == "call_centre.leave"

    @pytest.mark.parametrize("given", ["call_centre.work_order", {"id": "call_centre.work_order"}, [], [3]])
    def test_no_policy_given(self, given: Any) -> None:
        """A policy id, a mapping or a list of other things is refused as no policy, naming what it was."""
        with pytest.raises(PolicyError, match="needs a Policy or its versions"):
            EscalationLadder.from_policy(given)

    def test_as_of_as_text(self) -> None:
        """as_of written as text is refused naming as_of, not a function deep inside."""
        versions = load_pack("call_centre").versions("call_centre.work_order")
        with pytest.raises(TimeError, match="as_of must be a date or an aware datetime"):
            EscalationLadder.from_policy(versions, as_of="2026-03-10")  # type: ignore[arg-type]


class TestSlaInputsRefusedInOurWords:
    """Bad tickets, pauses and instants given to SlaPolicy raise csrules errors naming the field."""

    POLICY = SlaPolicy(targets={"urgent": {"first_reply": "1h", "resolution": "8h"}})

    def test_ticket_without_zone(self) -> None:
        """A ticket created at a time without a zone is a FactError naming created_at."""
        with pytest.raises(FactError, match="invalid SLA ticket: created_at"):
            SlaTicket(ticket_id="T1", priority="urgent", created_at=datetime(2026, 3, 10, 9))

    def test_reply_before_creation(self) -> None:
        """A reply before the ticket existed is a FactError, as the model states it."""
        early = (OPENED - timedelta(hours=1),)
        with pytest.raises(FactError, match=r"agent_replies .* is before created_at"):
            SlaTicket(ticket_id="T1", priority="urgent", created_at=OPENED, agent_replies=early)

    def test_pause_ending_before_it_starts(self) -> None:
        """A pause that ends before it starts is a FactError."""
        with pytest.raises(FactError, match="a pause cannot end before it starts"):
            Pause(start=OPENED, end=OPENED - timedelta(hours=1))

    @pytest.mark.parametrize("now", ["2026-03-10T10:00:00+08:00", OPENED.date()])
    def test_now_that_is_no_datetime(self, now: Any) -> None:
        """now given as text or a date is a TimeError naming now, not an AttributeError."""
        ticket = SlaTicket(ticket_id="T1", priority="urgent", created_at=OPENED)
        with pytest.raises(TimeError, match="now must be an aware datetime"):
            self.POLICY.clocks(ticket, now=now)
        with pytest.raises(TimeError, match="now must be an aware datetime"):
            self.POLICY.measure("first_reply", OPENED, None, now=now, priority="urgent")

    def test_ticket_as_a_mapping(self) -> None:
        """A ticket given as a mapping is read as one; a bad one names its missing fields."""
        clocks = self.POLICY.clocks({"ticket_id": "T1", "priority": "urgent", "created_at": OPENED},
                                    now=OPENED + timedelta(minutes=30))
        assert [(clock.metric, clock.fraction) for clock in clocks] == [("first_reply", 0.5),
                                                                        ("resolution", 0.0625)]
        with pytest.raises(FactError, match="created_at: required field is missing"):
            self.POLICY.clocks({"ticket_id": "T1", "priority": "urgent"}, now=OPENED)


class TestWarningOnlyWhereTheSourceGivesIt:
    """ecommerce CON-6: 違者將予以警告 closes 002 二 3 (unrelated work, games) only."""

    @staticmethod
    def consequences(**finding: bool) -> list[str | None]:
        """The consequences (English) of the CON-6 violations a QA review with ``finding`` gets."""
        fact = {"reviewer": "S1", "agent_id": "E01", "reviewed_at": OPENED.isoformat(), **finding}
        decision = load_pack("ecommerce").engine().evaluate(fact, now=OPENED, fact_type="qa_review")
        return [v.consequence.en if v.consequence else None for v in decision.violations if v.code == "CON-6"]

    @pytest.mark.parametrize("field", ["second_job", "chatted"])
    def test_no_warning_the_source_does_not_give(self, field: str) -> None:
        """A second job or chat is a CON-6 violation, with no consequence the source does not name."""
        assert self.consequences(**{field: True}) == [None]

    @pytest.mark.parametrize("field", ["unrelated_work", "games"])
    def test_warning_for_unrelated_work(self, field: str) -> None:
        """Unrelated work and games during work time are warned (违者将予以警告)."""
        assert self.consequences(**{field: True}) == ["warning"]


class TestDecliningIsNoThanks:
    """mall CON-4: 「請」「謝」字不離口 — the 謝 of 謝絕 (declining) is no thanks."""

    @pytest.mark.parametrize("line", ["本店謝絕議價", "本店谢绝议价"])
    def test_decline_alone_breaks_the_rule(self, line: str) -> None:
        """A call whose only 謝 is 謝絕 said neither 請 nor 謝."""
        fact = {"call_id": "C1", "agent_id": "M01", "started_at": OPENED.isoformat(), "duration": "PT1M",
                "agent_lines": ["您好", line, "好的，再見"]}
        fired = load_pack("mall").engine().evaluate(fact, now=OPENED, fact_type="call_record").rule_ids
        assert "CON-4.please-thanks" in fired

    def test_thanks_beside_a_decline_counts(self) -> None:
        """A real 謝謝 beside 謝絕 still counts."""
        fact = {"call_id": "C1", "agent_id": "M01", "started_at": OPENED.isoformat(), "duration": "PT1M",
                "agent_lines": ["您好", "本店謝絕議價，謝謝理解"]}
        fired = load_pack("mall").engine().evaluate(fact, now=OPENED, fact_type="call_record").rule_ids
        assert "CON-4.please-thanks" not in fired


class TestSoftDutySeverity:
    """online_support CMP-6: 盡量不回答或者不給正面回答 is a soft duty: a minor violation, as 盡量避免 is."""

    def test_sensitive_answer_is_minor(self) -> None:
        """A sensitive question answered directly is a minor CMP-6 violation, like CMP-3's blunt refusals."""
        fact = {"order_id": "K1", "opened_at": OPENED.isoformat(), "first_handler": "S01", "owner": "S01",
                "question_topic": "higher_discount_elsewhere", "answered_directly": True}
        decision = load_pack("online_support").engine().evaluate(fact, now=OPENED, fact_type="work_order")
        assert [(v.code, v.severity) for v in decision.violations] == [("CMP-6", "minor")]


class TestRemoteAreaCheckBeforeShipping:
    """ecommerce ORD-6: the address is checked for remote areas before shipping; once sent it is late."""

    @staticmethod
    def rules(status: str, **extra: Any) -> tuple[str, ...]:
        """The rules an ecommerce order in ``status`` fires."""
        paid = OPENED + timedelta(minutes=2)
        fact = {"order_no": "T1", "placed_at": OPENED.isoformat(), "paid_at": paid.isoformat(),
                "status": status, "amount": 59, **extra}
        engine = load_pack("ecommerce").engine()
        return engine.evaluate(fact, now=OPENED + timedelta(days=1), fact_type="order").rule_ids

    @pytest.mark.parametrize("status", ["sent", "completed"])
    def test_sent_unchecked_is_a_violation(self, status: str) -> None:
        """A sent order never checked missed the check: a violation, not a duty still to do."""
        fired = self.rules(status)
        assert "ORD-6.remote-area-late" in fired
        assert "ORD-6.remote-area" not in fired

    @pytest.mark.parametrize("status", ["paid", "shipping"])
    def test_before_dispatch_it_is_a_duty(self, status: str) -> None:
        """Before dispatch the check is an obligation, and no violation yet."""
        fired = self.rules(status)
        assert "ORD-6.remote-area" in fired
        assert "ORD-6.remote-area-late" not in fired

    def test_checked_sent_order_is_clean(self) -> None:
        """A sent order whose address was checked gets neither."""
        assert not {"ORD-6.remote-area", "ORD-6.remote-area-late"} & set(self.rules("sent", remote_area_checked=True))
