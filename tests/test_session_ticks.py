"""tick_due ticks every due subject it can, and instants a clock cannot carry are refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules import DueTicks
from csrules.exceptions import TimeError
from tests.test_session_support import BACKENDS, Greeting, WorkOrder, at, engine

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

WEST = timezone(timedelta(hours=-8))
EAST = timezone(timedelta(hours=8))
PAST_MAX = datetime.max.replace(tzinfo=WEST)  # later than 9999-12-31 in UTC
BEFORE_MIN = datetime.min.replace(tzinfo=EAST)  # earlier than 0001-01-01 in UTC


def order(n: int, opened: datetime) -> WorkOrder:
    return WorkOrder(order_id=f"o{n}", status="open", opened_at=opened)


def with_ahead_subject(backend):
    """An engine whose store found subject 'ahead' due (its order opened on the 3rd) for a
    tick on the 5th, while another worker ticked it on to the 10th; 'later' is due after it."""
    sessions = engine(backend)
    sessions.send("ahead", order(1, at(3)), now=at(3))
    sessions.send("later", order(2, at(3, 10)), now=at(3, 10))
    found = sessions.store.due(int(at(5).timestamp() * 1_000_000))
    sessions.tick("ahead", at(10))  # the other worker, after the store answered
    sessions.store.due = lambda now_us: found  # type: ignore[method-assign]
    return sessions


class TestTickDue:
    """tick_due goes through every due subject."""

    def test_subject_ahead_does_not_stop_the_rest(self, backend):
        """A due subject whose clock is ahead of now is skipped; the later due subject is ticked."""
        sessions = with_ahead_subject(backend)
        assert sessions.store.due(int(at(5).timestamp() * 1_000_000)) == ["ahead", "later"]
        result = sessions.tick_due(at(5))
        assert {s: r.effect_keys for s, r in result.items()} == {"later": ("escalation:shift_lead",)}
        assert result.skipped == {"ahead": at(10)}

    def test_skipped_subject_unchanged(self, backend):
        """The skipped subject's state is left exactly as it was."""
        sessions = with_ahead_subject(backend)
        before = sessions.export("ahead")
        sessions.tick_due(at(5))
        assert sessions.export("ahead") == before

    def test_result_is_a_dict(self, backend):
        """The result is still a dict of results by subject, with nothing skipped when all are due."""
        sessions = engine(backend)
        sessions.send("wo", order(1, at(3)), now=at(3))
        result = sessions.tick_due(at(4, 10))
        assert isinstance(result, DueTicks)
        assert isinstance(result, dict)
        assert list(result) == ["wo"]
        assert result.skipped == {}

    def test_forgotten_subject_not_revived(self, backend):
        """A subject forgotten after it was found due is not ticked back into the store."""
        sessions = engine(backend)
        sessions.send("wo", order(1, at(3)), now=at(3))
        sessions.forget("wo")
        assert sessions._tick_call("wo", at(5), True) is None
        assert list(sessions.store.subjects()) == []


class TestInstantsOutOfRange:
    """Instants outside 0001-01-01 .. 9999-12-31 in UTC are refused, naming the value."""

    @pytest.mark.parametrize("moment", [PAST_MAX, BEFORE_MIN])
    def test_tick_refused_and_session_usable(self, backend, moment):
        """Such a tick raises TimeError naming it; the session is unchanged and keeps working."""
        sessions = engine(backend)
        s = sessions.session("agent-1")
        s.send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2))
        before = s.export()
        with pytest.raises(TimeError, match=r"now 9999-12-31T23:59:59\.999999-08:00 is outside|"
                                            r"now 0001-01-01T00:00:00\+08:00 is outside"):
            s.tick(moment)
        assert s.export() == before
        assert s.tick(at(3)).kind == "tick"
        assert s.send(Greeting(agent="a", at=at(3), opening="喂"), now=at(3)).rule_ids == ("warn",)

    def test_send_refused(self, backend):
        """An event sent with such a now is refused the same way."""
        sessions = engine(backend)
        with pytest.raises(TimeError, match="outside the instants a session clock carries"):
            sessions.send("agent-1", Greeting(agent="a", at=at(2), opening="喂"), now=PAST_MAX)
        assert list(sessions.store.subjects()) == []

    def test_tick_due_refused(self, backend):
        """tick_due refuses it before touching any subject."""
        sessions = engine(backend)
        sessions.send("wo", order(1, at(3)), now=at(3))
        with pytest.raises(TimeError, match="outside the instants"):
            sessions.tick_due(PAST_MAX)

    def test_item_opening_time_refused(self, backend):
        """A work order opened at such an instant is refused, naming the item."""
        sessions = engine(backend)
        with pytest.raises(TimeError, match=r"item 'o1': the opening time .* is outside"):
            sessions.send("wo", order(1, PAST_MAX))
        assert list(sessions.store.subjects()) == []
