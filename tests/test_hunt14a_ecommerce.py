"""The e-commerce pack against its source, 002 電商(天貓)客服工作制度: answers a reviewer would check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import pytest

from csrules._docs import render_docs, subject_from_pack
from csrules.exceptions import FactError
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


def leave_of(role: str, engine: Any = SHOP) -> tuple[str, ...]:
    """The effect keys and rule ids of a personal leave asked four days ahead by ``role``."""
    fact = {"agent_id": "S01", "requester_role": role, "kind": "personal", "start": "2026-03-05T08:30:00+08:00",
            "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00", "requested_by": "S01"}
    decision = engine.evaluate(fact, fact_type="leave_request", now=datetime.fromisoformat(fact["requested_at"]))
    return tuple(sorted(effect.rule_id for effect in decision.effects))


class TestLeaveRequesterRole:
    """請假需要提前一天和主管申請: the supervisor approves, but not a leave whose requester cannot be told."""

    def test_a_role_outside_the_catalogue_is_flagged(self) -> None:
        """A misspelt role (Supervisor, 客服部主管 of another pack) may be the supervisor himself: flagged."""
        assert "ROLE-1.leave-unknown-role" in leave_of("Supervisor")
        assert "ROLE-1.leave-unknown-role" in leave_of("客服部主管")

    def test_roles_and_aliases_of_the_catalogue_are_known(self) -> None:
        """An agent (by id or alias) asks the supervisor; the supervisor (by any alias) is flagged as his own."""
        assert leave_of("agent") == leave_of("客服") == ("ATT-1.supervisor",)
        assert leave_of("主管") == leave_of("cs_supervisor") == ("ROLE-1.own-approval",)

    def test_a_company_role_joins_the_catalogue(self, tmp_path: Any) -> None:
        """A role a company pack adds is known: its leave goes to the supervisor unflagged."""
        root = tmp_path / "shop"
        root.mkdir()
        (root / "pack.yaml").write_text(
            'name: shop\ntitle: {en: Shop, zh: 店}\nversion: "1"\nextends: ecommerce\nroles: roles.yaml\n',
            encoding="utf-8")
        (root / "roles.yaml").write_text(
            "roles:\n  - id: trainee\n    title: {en: Trainee, zh: 實習客服}\n    reports_to: cs_supervisor\n",
            encoding="utf-8")
        assert leave_of("trainee", load_pack(str(root)).engine()) == ("ATT-1.supervisor",)


class TestReportNamesWhoRaisedIt:
    """A trade customer's discount question goes to the supervisor (第二則 二 10) from a named role."""

    @staticmethod
    def report(raised_by: str) -> dict[str, Any]:
        """A reseller's discount question raised by ``raised_by``."""
        return {"raised_by": raised_by, "topic": "discount_request", "customer_type": "reseller",
                "at": "2026-03-10T10:00:00+08:00"}

    def test_blank_raised_by_is_refused_naming_the_field(self) -> None:
        """Blank text names no role: a FactError naming raised_by, never an escalation of nobody's."""
        for blank in ("", "  ", "\u3000"):
            with pytest.raises(FactError, match="raised_by: blank text names no one"):
                rules(self.report(blank), "report")

    def test_spaces_around_the_role_are_no_part_of_it(self) -> None:
        """'agent ' is the agent: the same escalation as 'agent'."""
        assert rules(self.report("agent "), "report") == rules(self.report("agent"), "report") == ("ESC-5.transfer",)


class TestRemoteAreaCheckFromPlacing:
    """拍下後還應該讓其核對地址,並查看其地址是否為偏遠地區 (第二則 二 12): from the placing, paid or not."""

    @staticmethod
    def order(status: str, **extra: Any) -> dict[str, Any]:
        """An order placed on 1 March in ``status``."""
        return {"order_no": "T1", "placed_at": "2026-03-01T10:00:00+08:00", "status": status, "amount": 59, **extra}

    def test_placed_and_unpaid_is_checked(self) -> None:
        """An order placed (拍下) and not yet paid is asked the check, as a paid one is."""
        assert "ORD-6.remote-area" in rules(self.order("unpaid"), "order")
        assert "ORD-6.remote-area" not in rules(self.order("unpaid", remote_area_checked=True), "order")

    def test_a_cancelled_order_is_not(self) -> None:
        """A cancelled order is dispatched nowhere: neither the duty nor a late check."""
        assert not {"ORD-6.remote-area", "ORD-6.remote-area-late"} & set(rules(self.order("cancelled"), "order"))


class TestCompanySecrets:
    """應嚴格保守公司的經營、財務、人事、技術、客戶信息等機密 (第二則 一 10): the company's secrets too."""

    @staticmethod
    def review(**found: bool) -> dict[str, Any]:
        """A QA review of agent E01 with what it ``found``."""
        return {"reviewer": "S1", "agent_id": "E01", "reviewed_at": "2026-03-10T15:00:00+08:00", **found}

    def test_disclosing_the_companys_secrets_is_a_violation(self) -> None:
        """The shop's business or financial secrets disclosed: CON-7, critical, as customer data is."""
        decision = SHOP.evaluate(self.review(disclosed_company_secrets=True), fact_type="qa_review", now=NOW)
        assert [(v.rule_id, v.severity) for v in decision.violations] == [("CON-7.secrets", "critical")]

    def test_a_review_finding_neither_is_clean(self) -> None:
        """Nothing disclosed: no CON-7."""
        assert "CON-7.secrets" not in rules(self.review(), "qa_review")


class TestDocumentNamesTheShopsApprover:
    """The shop's reviewer document says who allows leaving the post as the rule reads it: the supervisor."""

    def test_no_shift_lead_in_the_attendance_reading(self) -> None:
        """ATT-7.discipline's Chinese reading names no 班長, a role the shop does not have (主管 approves)."""
        markdown = render_docs(subject_from_pack(load_pack("ecommerce")), ("zh",), date(2026, 12, 6)).markdown
        reading = markdown[markdown.index("ATT-7.discipline"):markdown.index("ROLE-1.attendance-unknown-role")]
        assert "主管" in reading
        assert "班长" not in reading


class TestHandoverBookWhenTheNightAgentLeaves:
    """晚班客服下班前把交接事項寫在交接本上 (第二則 二 1): due before the night agent goes off."""

    BOOKLESS: ClassVar[dict[str, str]] = {
        "shift_start": "2026-03-11T08:30:00+08:00", "outgoing_agent": "E02", "incoming_agent": "E01"}

    def test_gone_without_the_book_is_judged_at_once(self) -> None:
        """Gone at 00:20 (written in UTC) with no book: a breach at 01:00, not only from 08:30."""
        fact = {**self.BOOKLESS, "outgoing_left_at": "2026-03-10T16:20:00Z"}
        assert "ATT-12.handover-book" in rules(fact, "handover", datetime.fromisoformat("2026-03-11T01:00:00+08:00"))

    def test_still_on_duty_is_not_judged_yet(self) -> None:
        """Not yet gone (serving a customer past midnight): the book may still be written."""
        assert "ATT-12.handover-book" not in rules(self.BOOKLESS, "handover",
                                                   datetime.fromisoformat("2026-03-11T01:00:00+08:00"))

    def test_written_before_leaving_is_clean(self) -> None:
        """The book written (open cases logged): no finding, before or after 08:30."""
        fact = {**self.BOOKLESS, "outgoing_left_at": "2026-03-11T00:20:00+08:00", "open_cases": "none"}
        for now in ("2026-03-11T01:00:00+08:00", "2026-03-11T09:00:00+08:00"):
            assert "ATT-12.handover-book" not in rules(fact, "handover", datetime.fromisoformat(now))


class TestReviewersFindings:
    """三不 (第二則 一 7) and 上班時間不得做與工作無關的事情 (二 3), as a QA reviewer records them."""

    @staticmethod
    def review(**found: bool) -> dict[str, Any]:
        """A QA review of agent E01 with what it ``found``."""
        return {"reviewer": "S1", "agent_id": "E01", "reviewed_at": "2026-03-10T15:00:00+08:00", **found}

    @pytest.mark.parametrize("finding", ["harsh_words", "shifted_blame", "blamed_customer"])
    def test_each_of_the_three_nots_is_a_violation(self, finding: str) -> None:
        """Blunt words, shifting blame, reproaching the customer: each a CON-4 violation."""
        decision = SHOP.evaluate(self.review(**{finding: True}), fact_type="qa_review", now=NOW)
        assert [(v.rule_id, v.code) for v in decision.violations] == [("CON-4.three-nots", "CON-4")]

    def test_a_private_call_is_unrelated_work_and_warned(self) -> None:
        """A private call during work time is a thing unrelated to work: CON-6, warned (違者將予以警告)."""
        decision = SHOP.evaluate(self.review(private_call=True), fact_type="qa_review", now=NOW)
        assert [v.rule_id for v in decision.violations] == ["CON-6.unrelated-work"]
        assert decision.violations[0].consequence is not None
        assert decision.violations[0].consequence.zh == "予以警告"

    def test_a_clean_review_is_clean(self) -> None:
        """Nothing found: nothing flagged."""
        assert rules(self.review(), "qa_review") == ()


class TestDayAgentHandsOverInPerson:
    """白班客服下班前要和晚班客服做好工作交接 (第二則 二 1): not before the night agent is there."""

    @staticmethod
    def handover(left: str, arrived: str, **extra: str) -> dict[str, Any]:
        """The day agent E01 handing over to the night agent E02 on 10 March."""
        return {"shift_start": "2026-03-10T16:00:00+08:00", "outgoing_agent": "E01", "incoming_agent": "E02",
                "outgoing_left_at": left, "incoming_arrived_at": arrived, **extra}

    def test_leaving_before_the_night_agent_came_is_a_breach(self) -> None:
        """Left at 16:30, the night agent came at 16:40 (written in UTC): no handover was possible."""
        fact = self.handover("2026-03-10T08:30:00Z", "2026-03-10T08:40:00Z")
        assert "ATT-12.day-handover" in rules(fact, "handover")
        assert "ATT-12.day-handover" in rules({**fact, "outgoing_shift": "白班"}, "handover")

    def test_leaving_once_the_night_agent_is_there_is_clean(self) -> None:
        """The night agent came at 15:55 (or at the very minute the day agent left): handed over."""
        for arrived in ("2026-03-10T15:55:00+08:00", "2026-03-10T16:30:00+08:00"):
            assert "ATT-12.day-handover" not in rules(self.handover("2026-03-10T16:30:00+08:00", arrived), "handover")

    def test_the_night_agents_handover_is_the_books(self) -> None:
        """A handover the night agent makes (outgoing_shift 晚班) is judged by the book, not in person."""
        fact = self.handover("2026-03-10T16:30:00+08:00", "2026-03-10T16:40:00+08:00", outgoing_shift="晚班")
        assert "ATT-12.day-handover" not in rules(fact, "handover")
