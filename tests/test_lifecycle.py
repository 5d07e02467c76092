"""The complaint lifecycle (CMP-1) with its deadlines (CMP-4, CB-1), through sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from csrules.domain import COMPLAINT_STATES, ComplaintStep, complaint_lifecycle
from csrules.exceptions import PolicyError, TimeError, TransitionError
from csrules.sessions import Lifecycle, SessionEngine
from tests.test_session_support import BACKENDS, at

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

FOUNDED_PATH = [
    ("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}), ("propose", {}),
    ("approve", {"approved_by": "department_head"}), ("handle", {}), ("follow_up", {}), ("archive", {}),
]


def complaint(backend: str, subject: str = "c-1"):
    return SessionEngine(lifecycles=complaint_lifecycle(), backend=backend).session(subject)


def step(s, event: str, when=None, **fields):
    when = when or at(5)
    return s.send(ComplaintStep(event=event, **fields), now=when)


class TestFlow:
    """Legal paths move through every state; nothing may be skipped."""

    def test_founded_path(self, backend):
        """A founded complaint visits every step from intake to archive."""
        s = complaint(backend)
        visited = []
        for hour, (event, fields) in enumerate(FOUNDED_PATH):
            result = step(s, event, at(5, 9 + hour), **fields)
            visited.append(result.transitions[0].target)
        assert visited == ["intake", "founded", "proposed", "approved", "handled",
                           "followed_up", "archived"]
        assert s.lifecycle_state("cmp-1") == "archived"

    def test_unfounded_path(self, backend):
        """An unfounded complaint is answered and closed."""
        s = complaint(backend)
        step(s, "register", complainant="Ms Li")
        assert step(s, "judge", founded=False).transitions[0].target == "unfounded"
        assert step(s, "close").transitions[0].target == "archived"

    def test_states_listed(self, backend):
        """The lifecycle declares the states of the flow in order."""
        del backend
        assert tuple(complaint_lifecycle().states) == COMPLAINT_STATES


class TestRefusals:
    """Illegal transitions are refused, change nothing, and leave nothing behind."""

    def test_skip_is_refused_naming_state_and_allowed(self, backend):
        """Closing a proposed complaint names the state and the allowed events."""
        s = complaint(backend)
        for event, fields in FOUNDED_PATH[:3]:
            step(s, event, **fields)
        before = s.export()
        with pytest.raises(TransitionError) as caught:
            step(s, "close")
        error = caught.value
        assert (error.state, error.event, error.allowed) == ("proposed", "close", ("approve",))
        assert "state 'proposed'" in str(error)
        assert "allowed: approve" in str(error)
        assert s.export() == before

    def test_refused_event_never_fires_later(self, backend):
        """A refused close does not fire when the flow later reaches a state that accepts it."""
        s = complaint(backend)
        step(s, "register", complainant="Ms Li")
        with pytest.raises(TransitionError):
            step(s, "close")
        result = step(s, "judge", founded=False)
        assert [t.target for t in result.transitions] == ["unfounded"]
        assert s.lifecycle_state("cmp-1") == "unfounded"

    def test_guard_failure(self, backend):
        """judge without a verdict is allowed in intake but no guard holds."""
        s = complaint(backend)
        step(s, "register", complainant="Ms Li")
        with pytest.raises(TransitionError, match="no guard held") as caught:
            step(s, "judge")
        assert caught.value.state == "intake"
        assert s.lifecycle_state("cmp-1") == "intake"

    def test_approve_needs_approver(self, backend):
        """Approval without the approving leader is refused."""
        s = complaint(backend)
        for event, fields in FOUNDED_PATH[:3]:
            step(s, event, **fields)
        with pytest.raises(TransitionError):
            step(s, "approve")
        assert step(s, "approve", approved_by="department_head").transitions[0].target == "approved"

    def test_final_state_accepts_nothing(self, backend):
        """After archive every event is refused."""
        s = complaint(backend)
        step(s, "register", complainant="Ms Li")
        step(s, "judge", founded=False)
        step(s, "close")
        with pytest.raises(TransitionError, match="none: it is final"):
            step(s, "register", complainant="Ms Li")


class TestDeadlines:
    """CMP-4: reply within 3 days; CB-1: call back within 3 days of handling."""

    def test_intake_raises_reply_obligation(self, backend):
        """Registering raises an obligation due 3 days later."""
        s = complaint(backend)
        result = step(s, "register", at(5, 9), complainant="Ms Li")
        (obligation,) = result.obligations
        assert (obligation.who, obligation.due) == ("agent", at(8, 9))

    def test_breach_once(self, backend):
        """No reply by the deadline: one CMP-4 breach at the first tick after it, never again."""
        s = complaint(backend)
        step(s, "register", at(5, 9), complainant="Ms Li")
        assert s.tick(at(8, 8)).effects == ()
        assert s.tick(at(8, 10)).effect_keys == ("violation:CMP-4",)
        assert s.tick(at(12)).effects == ()

    def test_met_in_time(self, backend):
        """Handling within 3 days meets the reply deadline; the callback deadline starts."""
        s = complaint(backend)
        for hour, (event, fields) in enumerate(FOUNDED_PATH[:5]):
            result = step(s, event, at(5, 9 + hour), **fields)
        assert [o.rule_id for o in result.obligations] == ["callback"]
        assert s.tick(at(8, 12)).effects == ()
        assert s.tick(at(9)).effect_keys == ("violation:CB-1",)

    def test_unfounded_close_meets_reply(self, backend):
        """Closing an unfounded complaint in time is a reply: no breach."""
        s = complaint(backend)
        step(s, "register", at(5, 9), complainant="Ms Li")
        step(s, "judge", at(5, 10), founded=False)
        step(s, "close", at(5, 11))
        assert s.tick(at(20)).effects == ()

    def test_event_needs_time_with_deadlines(self, backend):
        """A lifecycle with deadlines needs now on its events."""
        s = complaint(backend)
        with pytest.raises(TimeError, match="pass now"):
            s.send(ComplaintStep(event="register", complainant="Ms Li"))


class TestDefinition:
    """Bad lifecycles are refused when built."""

    def base(self) -> dict:
        return complaint_lifecycle().to_dict()

    def test_unknown_state(self, backend):
        """A transition to an undeclared state is refused."""
        del backend
        data = self.base()
        data["transitions"][0]["to"] = "limbo"
        with pytest.raises(PolicyError, match="unknown state 'limbo'"):
            Lifecycle(**data)

    def test_unknown_event(self, backend):
        """An event the fact's event field cannot take is refused."""
        del backend
        data = self.base()
        data["transitions"][0]["on"] = "teleport"
        with pytest.raises(PolicyError, match="'teleport' is not a possible value"):
            Lifecycle(**data)

    def test_guard_type_checked(self, backend):
        """A guard comparing a yes/no field with text is refused."""
        del backend
        data = self.base()
        data["transitions"][1]["guard"] = {"kind": "compare", "path": "founded", "op": "==",
                                           "value": "yes"}
        with pytest.raises(PolicyError, match="yes/no field"):
            Lifecycle(**data)

    def test_round_trip(self, backend):
        """to_dict() builds the same lifecycle again."""
        del backend
        assert Lifecycle(**self.base()) == complaint_lifecycle()

    def test_custom_deadline(self, backend):
        """The reply deadline is a parameter of the ready-made lifecycle."""
        s = SessionEngine(lifecycles=complaint_lifecycle(reply_within="1d"),
                          backend=backend).session("c")
        step(s, "register", at(5, 9), complainant="Ms Li")
        assert s.tick(at(5, 9) + timedelta(days=1)).effect_keys == ()  # within the day
        assert s.tick(at(5, 9) + timedelta(days=1, seconds=1)).effect_keys == ("violation:CMP-4",)
