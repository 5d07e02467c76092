"""Escalation and work-order readings fixed: a late resolution needs a hand-off up the ladder
(the engine and the columnar audit alike), a founded complaint is never closed, a follow-up
recorded after now has not happened, roles compare by catalogue identity, hand-offs and
reports name roles the catalogue holds, and hour parameters read as hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from csrules.domain.facts import WorkOrder
from csrules.policies import load_pack
from tests.columnar_support import assert_same
from tests.company_support import company
from tests.work_order_support import CST, OPENED, RESOLVED, order, step


def rules(fact: dict[str, Any], now: datetime, pack: str = "call_centre") -> tuple[str, ...]:
    """The rule ids the pack's stateless engine fires for the work order ``fact`` at ``now``."""
    return load_pack(pack).engine().evaluate(fact, now=now, fact_type="work_order").rule_ids


def founded(**values: Any) -> dict[str, Any]:
    """A founded complaint with an approved proposal."""
    return order(**{"founded": True, "responsible_department": "network", "customer_asked_for_time": True,
                    "proposals": ["refund"], "approved_proposal": 0, "approved_by": "department_head", **values})


LATE_CASES = [
    ([], True),
    ([step(1, "agent")], True),  # sideways: no trace of the shift lead
    ([step(80, "shift_lead")], True),  # logged only after the resolution
    ([step(25, "shift_lead")], False),
    ([step(25, "值班長")], False),  # an alias of the shift lead
    ([step(49, "部門經理")], False),  # above the shift lead, by alias
    ([step(25, "shift_lead"), step(30, "agent")], False),  # the shift lead handed it back down: the trace stays
    ([step(25, "nobody")], True),  # no role of the catalogue
    ([step(72, "shift_lead")], False),  # at the resolution itself
]



def floor_manager_pack(folder: Any) -> Any:
    """A company pack in ``folder`` whose shift lead reports to a floor manager above it."""
    roles = ("roles:\n  - {id: floor_manager, title: {en: Floor manager, zh: 現場經理}, "
             "reports_to: department_head}\n"
             "  - {id: shift_lead, title: {en: Shift lead, zh: 班長}, aliases: [班長, 值班長], "
             "reports_to: floor_manager}\n")
    return load_pack(company(folder, "roles: roles.yaml\n", roles__yaml=roles))


class TestLateResolutionNeedsAHandUp:
    """ESC-2.late-untraced: a late resolution needs a hand-off to the shift lead or above before it."""

    @pytest.mark.parametrize(("steps", "flagged"), LATE_CASES)
    def test_engine(self, steps: list[dict[str, Any]], flagged: bool) -> None:
        """Only a hand-off by the resolution to the shift lead or a role above it clears the order."""
        fired = rules(order(resolved_at=RESOLVED.isoformat(), escalations=steps), RESOLVED + timedelta(days=1))
        assert ("ESC-2.late-untraced" in fired) is flagged

    def test_derived_role_of_the_last_hand_off(self) -> None:
        """handed_to is the last hand-off's role made by the resolution, every one while unresolved."""
        late = [step(25, "shift_lead"), step(80, "department_head")]
        resolved = order(escalations=late, resolved_at=RESOLVED.isoformat())
        assert WorkOrder.model_validate(resolved).handed_to == "shift_lead"
        assert WorkOrder.model_validate(order(escalations=late)).handed_to == "department_head"
        assert WorkOrder.model_validate(order()).handed_to is None

    def test_audit_agrees_with_the_engine(self) -> None:
        """The columnar audit derives the same role and judges every case as the row engine does."""
        engine = load_pack("call_centre").engine()
        facts = [order(resolved_at=RESOLVED.isoformat(), escalations=steps) for steps, _ in LATE_CASES]
        facts += [order(escalations=steps) for steps, _ in LATE_CASES]
        assert_same(engine, "work_order", facts)

    def test_audit_command_agrees_with_the_engine(self, tmp_path: Any) -> None:
        """`csrules audit` on a Parquet file flags exactly the orders the engine flags."""
        import pyarrow.parquet as pq

        from csrules._cli.cli import main
        from tests.columnar_support import table

        facts = [order(order_id=f"W{n}", resolved_at=RESOLVED.isoformat(), escalations=steps)
                 for n, (steps, _) in enumerate(LATE_CASES)]
        pq.write_table(table(facts), tmp_path / "orders.parquet")
        now = RESOLVED + timedelta(days=1)
        main(["audit", "call_centre", str(tmp_path / "orders.parquet"), "--fact-type", "work_order",
              "--now", now.isoformat(), "--workers", "1", "--out", str(tmp_path / "out")])
        rows = pq.read_table(tmp_path / "out" / "decisions.parquet").to_pylist()
        audited = {row["row"] - 1 for row in rows if row["rule"] == "ESC-2.late-untraced"}
        assert audited == {n for n, fact in enumerate(facts) if "ESC-2.late-untraced" in rules(fact, now)}
        assert audited == {n for n, (_, flagged) in enumerate(LATE_CASES) if flagged}

    def test_company_role_above_the_shift_lead_counts(self, tmp_path: Any) -> None:
        """A company role the shift lead reports to is above it, so a hand-off to it leaves the trace."""
        engine = floor_manager_pack(tmp_path).engine()
        fact = order(resolved_at=RESOLVED.isoformat(), escalations=[step(50, "floor_manager")])
        assert "ESC-2.late-untraced" not in engine.evaluate(fact, now=RESOLVED, fact_type="work_order").rule_ids


class TestUnknownHandOffRole:
    """ROLE-1: a hand-off to a role the catalogue does not hold is flagged."""

    @pytest.mark.parametrize(("role", "flagged"), [("nobody", True), ("客服經理", True), ("班長", False),
                                                   ("agent", False)])
    def test_hand_off_role(self, role: str, flagged: bool) -> None:
        """The to_role of the last hand-off is read against the catalogue, aliases included."""
        fired = rules(order(escalations=[step(25, role)]), OPENED + timedelta(hours=26))
        assert ("ROLE-1.work-order-unknown-role" in fired) is flagged


class TestFoundedComplaintIsNeverClosed:
    """CMP-1.closed-founded: closing a founded complaint skips the loop, and does not stop the ladder."""

    def test_closed_founded_complaint_is_flagged_and_climbs(self) -> None:
        """Founded, closed with no resolution, five days in: flagged, and the department manager takes it."""
        fired = rules(founded(status="closed"), OPENED + timedelta(days=5))
        assert {"CMP-1.closed-founded", "ESC-2.department-manager"} <= set(fired)

    def test_closed_unfounded_complaint_is_finished(self) -> None:
        """An unfounded complaint answered and closed is finished: no flag, no ladder."""
        fired = rules(order(status="closed", founded=False, answered_unfounded=True), OPENED + timedelta(days=5))
        assert not {"CMP-1.closed-founded", "ESC-2.department-manager", "ESC-2.shift-lead"} & set(fired)

    def test_session_ladder_climbs_for_a_closed_founded_complaint(self) -> None:
        """The session ladder, like the stateless one, does not read a founded complaint marked closed as finished."""
        session = load_pack("call_centre").sessions(backend="python").session("desk")
        session.send(founded(status="closed"), now=OPENED, fact_type="work_order")
        assert session.tick(OPENED + timedelta(hours=25)).rule_ids == ("ESC-2.open-shift-lead",)


class TestFollowUpAfterNowIsNotYetMade:
    """CMP-1.follow-up / CMP-1.archive read a follow-up recorded after now as not yet made."""

    def test_follow_up_still_owed(self) -> None:
        """Resolved on the 11th, follow-up recorded for the 20th, judged on the 12th: the call is still owed."""
        fact = founded(status="follow_up", resolved_at="2026-03-11T09:00:00+08:00",
                       follow_up_at="2026-03-20T09:00:00+08:00")
        assert "CMP-1.follow-up" in rules(fact, datetime(2026, 3, 12, 9, tzinfo=CST))

    def test_archived_before_the_follow_up(self) -> None:
        """Archived on the 12th with the follow-up recorded for the 20th: archived before the follow-up."""
        fact = founded(status="archived", resolved_at="2026-03-11T09:00:00+08:00",
                       follow_up_at="2026-03-20T09:00:00+08:00")
        assert "CMP-1.archive" in rules(fact, datetime(2026, 3, 12, 9, tzinfo=CST))

    def test_resolution_after_now_owes_no_follow_up_yet(self) -> None:
        """A resolution recorded after now has not happened: no follow-up call is owed yet."""
        fact = founded(status="handling", resolved_at="2026-03-20T09:00:00+08:00")
        assert "CMP-1.follow-up" not in rules(fact, datetime(2026, 3, 12, 9, tzinfo=CST))

    def test_follow_up_made_clears_both(self) -> None:
        """A follow-up made before now clears the obligation and the archive flag."""
        fact = founded(status="archived", resolved_at="2026-03-11T09:00:00+08:00",
                       follow_up_at="2026-03-12T08:00:00+08:00")
        assert not {"CMP-1.follow-up", "CMP-1.archive"} & set(rules(fact, datetime(2026, 3, 12, 9, tzinfo=CST)))


OWN_APPROVALS = [
    ("department_head", "department_head", True),
    ("客服部主任", "department_head", True),
    ("department_head", "部門經理", True),
    ("centre_director", "客服中心主任", True),
    ("客服部主任", "客服部主任", True),
    ("shift_lead", "department_head", False),
    ("值班長", "客服部主任", False),
]


class TestOwnApprovalByCatalogueIdentity:
    """CMP-1.own-approval compares the approver and the holder as roles of the catalogue, aliases included."""

    @pytest.mark.parametrize(("holder", "approver", "flagged"), OWN_APPROVALS)
    def test_engine(self, holder: str, approver: str, flagged: bool) -> None:
        """The role holding the complaint approving its solution is flagged however either side names it."""
        fact = founded(owner="H01", owner_role=holder, approved_by=approver, status="approved")
        assert ("CMP-1.own-approval" in rules(fact, OPENED + timedelta(hours=1))) is flagged

    def test_audit_agrees_with_the_engine(self) -> None:
        """The columnar audit judges every pair of spellings as the row engine does."""
        engine = load_pack("call_centre").engine()
        facts = [founded(owner="H01", owner_role=holder, approved_by=approver, status="approved")
                 for holder, approver, _ in OWN_APPROVALS]
        assert_same(engine, "work_order", facts)

    def test_company_role_alias_and_tuned_pack(self, tmp_path: Any) -> None:
        """A company role approving its own solution under its alias is flagged, in the pack and tuned."""
        manifest = "name: acme\ntitle: {en: Acme, zh: Acme}\nversion: '1'\nextends: call_centre\nroles: roles.yaml\n"
        (tmp_path / "pack.yaml").write_text(manifest, "utf-8")
        (tmp_path / "roles.yaml").write_text(
            "roles:\n  - {id: floor_manager, title: {en: Floor manager, zh: 現場經理}, aliases: [現場經理], "
            "reports_to: department_head}\n", "utf-8")
        fact = founded(owner="F01", owner_role="floor_manager", approved_by="現場經理", status="approved")
        for pack in (load_pack(tmp_path), load_pack(tmp_path, overrides={"work_order": {"reply_within": "2d"}})):
            fired = pack.engine().evaluate(fact, now=OPENED + timedelta(hours=1), fact_type="work_order").rule_ids
            assert "CMP-1.own-approval" in fired

    def test_written_back_as_the_file_has_it(self) -> None:
        """Without its aliases the pack's rule reads the compare as its file writes it."""
        from csrules.policies.packs import without_role_aliases

        policy = without_role_aliases(load_pack("call_centre")).policy("work_order")
        rule = next(r for r in policy.rules if r.id == "CMP-1.own-approval")
        assert rule.when.model_dump()["of"][1] == {
            "kind": "compare", "path": "approved_by", "op": "==", "field": "owner_role", "value": None, "param": None}


class TestHoursReadAsHours:
    """A duration parameter written in hours reads in hours (超過24小時), not as a calendar day."""

    def test_ladder_reason_says_24_hours(self) -> None:
        """ESC-2's escalation reason says 24 hours (超過24小時), as the source and the file do."""
        rendered = load_pack("call_centre").engine().evaluate(
            order(), now=OPENED + timedelta(hours=25), fact_type="work_order").escalations[0].reason
        assert rendered is not None
        assert "24 hours" in rendered.en
        assert "24小時" in rendered.zh

    def test_written_unit_is_kept_and_value_unchanged(self) -> None:
        """24h describes as 24 hours and writes back as 24h, equal to 1d, which stays 1 day."""
        from csrules._time.durations import parse_duration

        hours, day = parse_duration("24h"), parse_duration("1d")
        assert (hours.describe("en"), hours.describe("zh"), str(hours)) == ("24 hours", "24小时", "24h")
        assert (day.describe("en"), str(day)) == ("1 day", "1d")
        assert hours == day
        assert hash(hours) == hash(day)

    def test_tuned_in_days_reads_in_days(self) -> None:
        """A company that writes the step as 2d gets 2 days in its documents."""
        pack = load_pack("call_centre", overrides={"work_order": {"shift_lead_after": "2d", "manager_after": "72h"}})
        reason = pack.engine().evaluate(order(), now=OPENED + timedelta(days=2, hours=1),
                                        fact_type="work_order").escalations[0].reason
        assert reason is not None
        assert reason.en == "unresolved for 2 days"


def report(raised: str, addressed: str, **values: Any) -> dict[str, Any]:
    """A report of a matter beyond the raiser's remit, given as data (levels_up as given, else the default)."""
    return {"raised_by": raised, "addressed_to": addressed, "topic": "beyond_remit",
            "at": OPENED.isoformat(), **values}


SKIPS = [
    (report("agent", "department_head"), True),
    (report("業務代表", "客服中心主任"), True),
    (report("qa_inspector", "centre_director"), True),
    (report("agent", "shift_lead"), False),
    (report("shift_lead", "department_head"), False),
    (report("agent", "shift_lead", levels_up=2), True),  # the count given still counts
    (report("agent", "department_head", emergency=True), False),  # an emergency may skip (then inform)
]


class TestSkippedLevelByTheChain:
    """ESC-3: a report the chain places more than max_levels up skipped a level, whatever levels_up says."""

    @pytest.mark.parametrize(("fact", "flagged"), SKIPS)
    def test_engine(self, fact: dict[str, Any], flagged: bool) -> None:
        """The roles decide the levels skipped; the count given adds to them, never hides them."""
        decision = load_pack("call_centre").engine().evaluate(fact, now=OPENED, fact_type="report")
        assert ("ESC-3.level-by-level" in decision.rule_ids) is flagged

    def test_emergency_skip_owes_the_skipped_superior(self) -> None:
        """An emergency report from an agent to the department head, given with no count, owes the shift lead a word."""
        decision = load_pack("call_centre").engine().evaluate(
            report("agent", "department_head", emergency=True), now=OPENED, fact_type="report")
        assert "ESC-3.inform-skipped" in decision.rule_ids

    def test_audit_agrees_with_the_engine(self) -> None:
        """The columnar audit judges every report as the row engine does."""
        assert_same(load_pack("call_centre").engine(), "report", [fact for fact, _ in SKIPS])

    def test_tuned_max_levels(self) -> None:
        """With max_levels 2 an agent may go to the department head, not to the centre director."""
        engine = load_pack("call_centre", overrides={"report": {"max_levels": 2}}).engine()
        fired = [engine.evaluate(report("agent", to), now=OPENED, fact_type="report").rule_ids
                 for to in ("department_head", "centre_director")]
        assert ["ESC-3.level-by-level" in ids for ids in fired] == [False, True]

    def test_company_level_counts(self, tmp_path: Any) -> None:
        """A company level between the shift lead and the department head makes shift lead to head a skip."""
        decision = floor_manager_pack(tmp_path).engine().evaluate(report("班長", "department_head"), now=OPENED,
                                                         fact_type="report")
        assert "ESC-3.level-by-level" in decision.rule_ids


class TestRewritesKeepWhatTheyDoNotOwn:
    """The pack's role rewrites change only the shapes they write, never another condition beside them."""

    def test_role_compare_beside_another_condition(self) -> None:
        """An any holding a role compare and another test keeps the test; the compare becomes an identity."""
        from csrules.policies.packs import _widen

        other = {"kind": "compare", "path": "founded", "op": "==", "value": True}
        cond = {"kind": "any", "of": [{"kind": "compare", "path": "approved_by", "op": "==", "field": "owner_role"},
                                      dict(other)]}
        assert _widen(cond, ("approved_by", "owner_role"), {"department_head": ("department_head", "部門經理")})
        assert cond["of"][1] == other
        assert cond["of"][0]["kind"] == "any"

    def test_identity_is_rewritten_once(self) -> None:
        """Widening the identity test again writes nothing new."""
        from csrules.policies.packs import _widen

        names = {"department_head": ("department_head", "部門經理"), "agent": ("agent",)}
        cond = {"kind": "compare", "path": "approved_by", "op": "!=", "field": "owner_role"}
        assert _widen(cond, ("approved_by", "owner_role"), names)
        assert not _widen(cond, ("approved_by", "owner_role"), names)
        assert cond["kind"] == "not"
