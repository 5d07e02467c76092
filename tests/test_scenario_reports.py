"""Reports go one level up (001 請示報告制度 6): the level above depends on who reports."""

from __future__ import annotations

import pytest

from csrules.policies import load_pack

CC = load_pack("call_centre").engine()


def escalations(raised_by: str, topic: str = "secret_leak") -> list[str]:
    """The roles a report of ``topic`` raised by ``raised_by`` (not yet addressed) escalates to."""
    fact = {"raised_by": raised_by, "topic": topic, "at": "2026-03-10T10:00:00+08:00"}
    decision = CC.evaluate(fact, fact_type="report")
    return sorted({e.to for e in decision.escalations})


class TestMustReportGoesOneLevelUp:
    """A matter that must be reported goes to the reporter's direct superior, never to the reporter."""

    @pytest.mark.parametrize(
        ("raised_by", "superior"),
        [("agent", "shift_lead"), ("shift_lead", "department_head"), ("qa_inspector", "department_head"),
         ("department_head", "centre_director")],
    )
    def test_secret_leak_goes_to_the_direct_superior(self, raised_by: str, superior: str) -> None:
        """A secret leak found by ``raised_by`` escalates to ``superior`` only."""
        assert escalations(raised_by) == [superior]

    def test_a_shift_lead_is_not_sent_to_themself(self) -> None:
        """A matter beyond a shift lead's remit is not escalated to the shift lead."""
        assert "shift_lead" not in escalations("shift_lead", "beyond_remit")

    def test_a_shift_lead_with_a_difficult_customer_is_not_sent_to_a_shift_lead(self) -> None:
        """A shift lead's difficult customer goes to the department head (班長 1), not to a shift lead."""
        assert escalations("shift_lead", "difficult_customer") == ["department_head"]
        assert escalations("agent", "difficult_customer") == ["shift_lead"]
