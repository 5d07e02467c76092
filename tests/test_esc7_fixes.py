"""Escalation, roles and guide readings fixed: ladder times are shown in the order's zone,
never in the offset its opening was written with; a company role catalogue's errors name
their line; the guide's list and phrase conditions hold as it says."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from csrules import Engine, Policy
from csrules.domain.complaint import ComplaintStep
from csrules.domain.escalation import EscalationLadder, LadderStep
from csrules.domain.roles import UnknownRoleError
from csrules.domain.slas import SlaPolicy, SlaTicket
from csrules.exceptions import CalendarError, FactError, PolicyError, TransitionError
from csrules.policies import load_pack
from tests.company_support import company

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
WRITINGS = (OPENED, OPENED.astimezone(UTC), OPENED.astimezone(timezone(timedelta(hours=-5))))


class TestLadderTimesInTheOrdersZone:
    """One instant written in +08:00, Z or -05:00 gives the same ladder times, written the same way."""

    @pytest.mark.parametrize("hours", [1, 30, 80])
    def test_same_text_for_every_writing(self, hours: int) -> None:
        """Each step time is shown in the policy's zone, whatever offset the opening was written in."""
        ladder = EscalationLadder.from_policy(load_pack("call_centre").policy("call_centre.work_order"))
        shown = {
            (p.since.isoformat(), p.next_at.isoformat() if p.next_at else None)
            for p in (ladder.position(opened, opened + timedelta(hours=hours)) for opened in WRITINGS)
        }
        assert len(shown) == 1
        (since, _), = shown
        assert since.endswith("+08:00")

    def test_order_zone_wins(self) -> None:
        """An order's own zone is where its times are shown."""
        ladder = EscalationLadder.from_policy(load_pack("call_centre").policy("call_centre.work_order"))
        position = ladder.position(OPENED, OPENED + timedelta(hours=1), time_zone="Europe/London")
        assert position.next_at is not None
        assert position.next_at.isoformat() == "2026-03-11T01:00:00+00:00"

    def test_unknown_zone_is_refused(self) -> None:
        """A ladder zone that is no IANA name is refused, naming it."""
        with pytest.raises(CalendarError, match="Mars/Base"):
            EscalationLadder("agent", (), zone="Mars/Base")


ROLE = "  - id: {id}\n    title: {{en: A, zh: 甲}}\n    reports_to: {above}\n"


class TestRoleCatalogueErrorsNameTheirLine:
    """A company roles file's unknown superior, repeated id or reporting cycle is located at its entry."""

    @pytest.mark.parametrize(("entries", "line", "message"), [
        ((("floor_boss", "nobody"),), 4, "unknown role 'nobody'"),
        ((("floor_boss", "shift_lead"), ("floor_boss", "shift_lead")), 5, "repeated: floor_boss"),
        ((("aa", "bb"), ("bb", "aa")), 7, r"cycle through 'bb' \(aa -> bb -> aa\)"),
        ((("shift_lead", "agent"),), 4, "cycle through 'shift_lead'"),
    ])
    def test_line(self, tmp_path: Path, entries: tuple[tuple[str, str], ...], line: int, message: str) -> None:
        """The error carries the roles file and the line of the offending entry."""
        text = "roles:\n" + "".join(ROLE.format(id=role, above=above) for role, above in entries)
        with pytest.raises(PolicyError, match=message) as raised:
            load_pack(company(tmp_path, "roles: roles.yaml\n", roles__yaml=text))
        assert (Path(str(raised.value.file)).name, raised.value.line) == ("roles.yaml", line)


GUIDE = Path(__file__).resolve().parent.parent / "docs" / "writing-policies.md"

GUIDE_CASES = [
    # (index of the yaml block in the guide's "Lists and phrases" section, list or lines, holds)
    (0, ["shift_lead", "agent"], True), (0, ["agent"], False), (0, [], False),
    (1, ["shift_lead", "nobody"], True), (1, ["agent"], False), (1, [], False),
    (2, ["不能保证一定到"], False), (2, ["没有办法保证"], False), (2, ["我保证一定到"], True),
    (3, ["这个保证不了"], False), (3, ["我保证"], True),
    (4, ["您说「不行」是吗？"], False), (4, ["不行"], True), (4, ["您说「不行，我帮您查"], True),
]


def guide_condition(index: int) -> dict[str, Any]:
    """The ``when`` of the guide's ``index``-th yaml block under "Lists and phrases"."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## Lists and phrases"):text.index("## What a policy may not contain")]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    when: dict[str, Any] = yaml.safe_load(blocks[index])["when"]
    return when


class TestGuideListAndPhraseExamples:
    """The guide's any_in, any_not_in and contains examples hold exactly as their comments say."""

    @pytest.mark.parametrize(("index", "items", "holds"), GUIDE_CASES)
    def test_example(self, index: int, items: list[str], holds: bool) -> None:
        """The documented condition holds for the documented input exactly when the guide says so."""
        when = guide_condition(index)
        fact_type = "work_order" if when["path"] == "handoff_roles" else "call_record"
        policy = Policy.model_validate({
            "id": "t", "version": "1", "title": {"en": "t", "zh": "t"}, "fact_type": fact_type,
            "rules": [{"id": "R1", "title": {"en": "t", "zh": "t"}, "when": when,
                       "then": [{"type": "violation", "code": "X-1", "message": {"en": "x", "zh": "x"}}]}]})
        opened = OPENED.isoformat()
        if fact_type == "work_order":
            fact = {"order_id": "W1", "opened_at": opened, "first_handler": "A01", "owner": "A01",
                    "complainant": "Ms Li", "content": "line down",
                    "escalations": [{"at": (OPENED + timedelta(hours=n + 1)).isoformat(), "to_role": role,
                                     "chase_record": "ticket 1"} for n, role in enumerate(items)]}
        else:
            fact = {"call_id": "C1", "agent_id": "A01", "started_at": opened, "duration": "PT2M",
                    "agent_lines": items}
        decision = Engine([policy]).evaluate(fact, now=OPENED + timedelta(hours=9), fact_type=fact_type)
        assert ("R1" in decision.rule_ids) is holds


class TestRoleNamesReadAsFactsReadThem:
    """A role name is looked up as a fact reads it: spaces around it dropped, blank refused."""

    @pytest.mark.parametrize("name", [" shift_lead", "shift_lead\u3000", " 值班長 ", "\t班长"])
    def test_padded_name(self, name: str) -> None:
        """A padded id or alias names its role in every look-up."""
        roles = load_pack("call_centre").roles
        assert name in roles
        assert roles.role(name).id == "shift_lead"
        assert roles.chain_above(name)[0].id == "department_head"

    @pytest.mark.parametrize("name", ["", "  ", "\u3000"])
    def test_blank_name(self, name: str) -> None:
        """A blank name names no role: refused by role(), not in the catalogue."""
        roles = load_pack("call_centre").roles
        assert name not in roles
        with pytest.raises(UnknownRoleError, match="blank name"):
            roles.role(name)


HEAD_ROLES = ("roles:\n  - {id: department_head, title: {en: Head, zh: 部長}, aliases: [部长大人],"
              " reports_to: centre_director}\n")


@pytest.fixture(scope="module")
def head_pack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A call_centre company pack whose department head is also called 部长大人 (loaded once)."""
    return load_pack(company(tmp_path_factory.mktemp("head"), "roles: roles.yaml\n", roles__yaml=HEAD_ROLES))


class TestComplaintApprovalByCompanyName:
    """The complaint flow reads approved_by against the catalogue: a company alias approves, a name in no entry not."""

    @pytest.mark.parametrize(("approver", "approved"), [
        ("部长大人", True), (" 部長大人 ", True), ("department_head", True),
        ("主任", False), ("部門經理", False),  # in no entry: the replaced base entry's alias went with it
    ])
    def test_session(self, head_pack: Any, approver: str, approved: bool) -> None:
        """An approve step is accepted exactly when approved_by names an approving role of the catalogue."""
        session = head_pack.sessions(backend="python").session("c-1")
        steps: list[tuple[str, dict[str, Any]]] = [("register", {"complainant": "Ms Li"}),
                                                   ("judge", {"founded": True}), ("propose", {})]
        for event, extra in steps:
            session.send(ComplaintStep(event=event, **extra), now=OPENED, fact_type="complaint_step")
        step = ComplaintStep(event="approve", approved_by=approver)
        if approved:
            session.send(step, now=OPENED, fact_type="complaint_step")
        else:
            with pytest.raises(TransitionError):
                session.send(step, now=OPENED, fact_type="complaint_step")


class TestSlaTimesInThePolicysZone:
    """A clock-time SLA's breach and warning times do not depend on the offset ``now`` was written in."""

    @pytest.mark.parametrize(("zone", "shown"), [(None, "2026-03-10T17:00:00+08:00"),
                                                 ("Europe/London", "2026-03-10T09:00:00+00:00")])
    def test_same_text_for_every_writing(self, zone: str | None, shown: str) -> None:
        """``now`` written in +08:00, Z or -05:00 gives one breach time in the policy's zone."""
        policy = SlaPolicy(targets={"urgent": {"resolution": "8h"}}, timezone=zone)
        ticket = SlaTicket(ticket_id="T", priority="urgent", created_at=OPENED)
        clocks = [policy.clocks(ticket, now=now)[0] for now in WRITINGS]
        assert {clock.breach_at.isoformat() for clock in clocks if clock.breach_at} == {shown}
        assert len({tuple(w.at.isoformat() for w in clock.warnings if w.at) for clock in clocks}) == 1

    def test_unknown_zone_is_refused(self) -> None:
        """An SLA zone that is no IANA name is refused, naming it."""
        with pytest.raises(CalendarError, match="Mars/Base"):
            SlaPolicy(targets={"urgent": {"resolution": "8h"}}, timezone="Mars/Base")


class TestApproverAmountIsANumber:
    """approver_for refuses an amount that is no finite, non-negative number, naming it."""

    @pytest.mark.parametrize("amount", [-2, float("nan"), float("inf"), True, "2"])
    def test_refused(self, amount: Any) -> None:
        """NaN, infinity, a negative count, a boolean or text is refused rather than given an approver."""
        with pytest.raises(FactError, match="amount of 'leave'"):
            load_pack("call_centre").roles.approver_for("leave", amount)

    def test_zero_and_whole_numbers(self) -> None:
        """Zero and ordinary amounts still find the lowest role whose authority covers them."""
        roles = load_pack("call_centre").roles
        assert [roles.approver_for("leave", n).id for n in (0, 1, 2)] == ["department_head"] * 2 + ["centre_director"]


class TestLadderRefusesBadSteps:
    """A ladder built by hand names each bad part rather than failing later in a comparison."""

    @pytest.mark.parametrize(("first", "steps", "message"), [
        (" ", (), "first_role must name a role"),
        ("agent", (LadderStep(timedelta(hours=1), ""),), "step role must name a role"),
        ("agent", (LadderStep(3600, "shift_lead"),), "LadderStep"),  # type: ignore[arg-type]
        ("agent", ("shift_lead",), "LadderStep"),
    ])
    def test_refused(self, first: str, steps: Any, message: str) -> None:
        """A blank role, a step time that is no timedelta or a step that is no LadderStep is a PolicyError."""
        with pytest.raises(PolicyError, match=message):
            EscalationLadder(first, steps)

    def test_list_of_steps_is_kept_as_a_tuple(self) -> None:
        """Steps given as a list are held as a tuple, so the frozen ladder stays hashable."""
        ladder = EscalationLadder("agent", [LadderStep(timedelta(hours=1), "shift_lead")])  # type: ignore[arg-type]
        assert isinstance(ladder.steps, tuple)
        assert ladder in {ladder}


def catalogue(aliases: list[str], reports_to: str | None = None) -> Any:
    """A two-role catalogue whose role ``a`` has ``aliases`` and reports to ``reports_to``."""
    from csrules.domain.roles import RoleCatalogue

    return RoleCatalogue(roles=[{"id": "a", "title": {"en": "A", "zh": "甲"}, "aliases": aliases,
                                 "reports_to": reports_to}, {"id": "b", "title": {"en": "B", "zh": "乙"}}])


class TestCatalogueNamesReadLikeFactNames:
    """A catalogue's aliases and reports_to are read as a fact's role names: padding dropped, blank refused."""

    def test_padded_alias_and_superior(self) -> None:
        """A padded alias is found by its plain name, and a padded superior is that role."""
        roles = catalogue([" 班头 "], " b")
        assert roles.role("班头").id == "a"
        assert roles.superior("a") is not None
        assert roles.role("a").reports_to == "b"

    @pytest.mark.parametrize(("aliases", "reports_to", "where"), [
        ([""], None, r"roles\[0\]\.aliases\[0\]"), (["  "], None, r"aliases\[0\]"), ([], " ", r"reports_to"),
    ])
    def test_blank_is_refused(self, aliases: list[str], reports_to: str | None, where: str) -> None:
        """A blank alias or superior is refused, naming its place."""
        with pytest.raises(PolicyError, match=where):
            catalogue(aliases, reports_to)


class TestPackSlaDueInThePacksZone:
    """A pack SLA's due time does not depend on the offset its start was written in."""

    def test_due_at(self) -> None:
        """One start written in +08:00, Z or -05:00 gives one due time, written in Asia/Shanghai."""
        (sla,) = [sla for sla in load_pack("call_centre").slas if sla.id == "CB-1.callback"]
        assert {sla.due_at(start).isoformat() for start in WRITINGS} == {"2026-03-13T09:00:00+08:00"}
