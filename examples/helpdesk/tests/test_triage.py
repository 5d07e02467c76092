"""The help desk proves what its triage policy decides, with csrules.testing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from helpdesk import ENGINE, POLICY, Ticket, triage
from hypothesis import given, settings
from hypothesis import strategies as st

from csrules.testing import (
    assert_decision,
    boundary_facts,
    explore,
    facts,
    facts_for,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
EXAMPLES = settings(max_examples=60, deadline=None)


class TestExamples:
    """Single tickets, checked with assert_decision."""

    def test_urgent_ticket_without_reply_escalates(self) -> None:
        """An urgent ticket unanswered for five hours is late and goes to the team lead."""
        ticket = Ticket(priority="urgent", channel="phone", opened_at=NOW - timedelta(hours=5))
        assert_decision(ENGINE, ticket, now=NOW, expect=["violation:HD-1", "escalation:team_lead"])

    def test_vip_callback_is_due_two_hours_after_opening(self) -> None:
        """The VIP callback obligation falls due two hours after the ticket opened."""
        ticket = Ticket(priority="normal", channel="chat", opened_at=NOW, customer={"tier": "vip"})
        decision = assert_decision(ENGINE, ticket, now=NOW, obligations="agent")
        assert decision.obligations[0].due == NOW + timedelta(hours=2)


class TestProperties:
    """Properties over generated tickets, random and at the thresholds."""

    @EXAMPLES
    @given(boundary_facts(POLICY, now=NOW))
    def test_an_answered_ticket_is_never_late(self, ticket: Ticket) -> None:
        """Whatever else holds, a ticket with a first reply never breaks the reply deadline."""
        if ticket.first_reply_at is not None:
            assert "HD-1" not in {v.code for v in triage(ticket, NOW).violations}

    @EXAMPLES
    @given(boundary_facts(POLICY, now=NOW))
    def test_lateness_matches_the_clock(self, ticket: Ticket) -> None:
        """HD-1 holds exactly for urgent, unanswered tickets open at least four hours."""
        late = (
            ticket.priority == "urgent"
            and ticket.first_reply_at is None
            and NOW - ticket.opened_at >= timedelta(hours=4)
        )
        codes = {v.code for v in triage(ticket, NOW).violations}
        assert ("HD-1" in codes) == late

    @EXAMPLES
    @given(facts(Ticket, priority=st.just("low")))
    def test_low_priority_tickets_never_escalate_to_the_team_lead(self, ticket: Ticket) -> None:
        """Only urgent tickets escalate to the team lead."""
        assert "team_lead" not in {e.to for e in triage(ticket, NOW).escalations}

    @EXAMPLES
    @given(facts_for(POLICY))
    def test_every_ticket_gets_a_decision_without_errors(self, ticket: Ticket) -> None:
        """No rule fails on any valid ticket."""
        assert triage(ticket, NOW).errors == ()


def test_boundary_exploration_finds_no_problem() -> None:
    """Exploring the thresholds finds no error and no engine disagreement."""
    result = explore(POLICY, now=NOW, max_examples=150)
    assert result.ok, result.render()
    assert not result.coverage.never_true, result.render()
