"""SLA clocks with overlapping pauses, and SLA errors that name what is wrong."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone

import pytest

from csrules.domain.slas import Pause, SlaPolicy, SlaTicket
from csrules.exceptions import PolicyError, TimeError

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=CST)
POLICY = SlaPolicy(targets={"normal": {"resolution": "4h"}})


def hours(n: float) -> datetime:
    """``n`` hours after T0."""
    return T0 + timedelta(hours=n)


class TestOverlappingPauses:
    """Time the ticket waited on the customer counts once, however many pauses cover it."""

    def test_overlapping_pauses_are_removed_once(self) -> None:
        """Pauses 1-3 h and 2-4 h stop the clock for 3 h, not 4 h: 5 h after T0, 2 h have counted."""
        pauses = (Pause(start=hours(1), end=hours(3)), Pause(start=hours(2), end=hours(4)))
        clock = POLICY.measure("resolution", T0, None, now=hours(5), priority="normal", pauses=pauses)
        assert clock.elapsed == timedelta(hours=2)
        assert clock.breach_at == hours(7)

    def test_a_pause_inside_another_is_removed_once(self) -> None:
        """A pause 2-3 h inside a pause 1-4 h removes 3 h in all."""
        pauses = (Pause(start=hours(1), end=hours(4)), Pause(start=hours(2), end=hours(3)))
        clock = POLICY.measure("resolution", T0, None, now=hours(5), priority="normal", pauses=pauses)
        assert clock.elapsed == timedelta(hours=2)

    def test_an_open_pause_over_a_closed_one(self) -> None:
        """An open pause from 1 h over a closed one 2-3 h: the clock stopped at 1 h."""
        pauses = (Pause(start=hours(1)), Pause(start=hours(2), end=hours(3)))
        ticket = SlaTicket(ticket_id="t", priority="normal", created_at=T0, pauses=pauses)
        (clock,) = POLICY.clocks(ticket, now=hours(6))
        assert (clock.elapsed, clock.paused, clock.breached) == (timedelta(hours=1), True, False)

    def test_touching_pauses_are_each_counted(self) -> None:
        """Pauses 1-2 h and 2-3 h remove 2 h together."""
        pauses = (Pause(start=hours(1), end=hours(2)), Pause(start=hours(2), end=hours(3)))
        clock = POLICY.measure("resolution", T0, None, now=hours(5), priority="normal", pauses=pauses)
        assert clock.elapsed == timedelta(hours=3)


class TestReadBeforeTheStop:
    """A clock read before its recorded stop was running at that instant."""

    def test_clock_read_before_the_reply_is_running(self) -> None:
        """Read 1 h in, with the reply at 3 h: running, breach due at 4 h, 50 % warning at 2 h."""
        clock = POLICY.measure("resolution", T0, hours(3), now=hours(1), priority="normal")
        assert (clock.running, clock.stopped_at, clock.breach_at) == (True, None, hours(4))
        assert clock.next_warning_at == hours(2)

    def test_clock_read_after_the_reply_is_stopped(self) -> None:
        """Read at 5 h, with the reply at 3 h: stopped at 3 h, nothing due."""
        clock = POLICY.measure("resolution", T0, hours(3), now=hours(5), priority="normal")
        assert (clock.running, clock.stopped_at, clock.breach_at) == (False, hours(3), None)


class TestSlaErrors:
    """Bad SLA input raises an error naming the field and the values."""

    def test_reply_before_creation_names_the_field(self) -> None:
        """A reply before the ticket was created is refused, naming agent_replies and both times."""
        with pytest.raises(ValueError, match=r"agent_replies 2026-03-10T09:00:00\+08:00 is before created_at"):
            SlaTicket(ticket_id="t", priority="normal", created_at=T0, agent_replies=(hours(-1),))

    def test_resolution_before_creation_names_the_field(self) -> None:
        """A resolution before the ticket was created is refused, naming resolved_at."""
        with pytest.raises(ValueError, match=r"resolved_at .* is before created_at"):
            SlaTicket(ticket_id="t", priority="normal", created_at=T0, resolved_at=hours(-1))

    def test_pause_ending_before_it_starts_shows_both(self) -> None:
        """A pause ending before it starts shows its start and end."""
        with pytest.raises(ValueError, match=r"start 2026-03-10T11:00:00\+08:00, end 2026-03-10T10:00:00\+08:00"):
            Pause(start=hours(1), end=T0)

    def test_now_before_creation_names_both_instants(self) -> None:
        """Reading a ticket before it was created names the ticket, now and created_at."""
        ticket = SlaTicket(ticket_id="T-7", priority="normal", created_at=T0)
        with pytest.raises(TimeError, match=r"now 2026-03-10T09:00:00\+08:00 is before ticket 'T-7' was created"):
            POLICY.clocks(ticket, now=hours(-1))

    def test_naive_instants_are_named(self) -> None:
        """A naive now or start is refused by name."""
        with pytest.raises(TimeError, match="now must carry a time zone"):
            POLICY.clocks(SlaTicket(ticket_id="t", priority="normal", created_at=T0), now=T0.replace(tzinfo=None))
        with pytest.raises(TimeError, match="start must carry a time zone"):
            POLICY.measure("resolution", T0.replace(tzinfo=None), None, now=T0, priority="normal")

    def test_stop_before_start_is_refused(self) -> None:
        """A clock that stops before it starts is bad input, not a zero-length clock."""
        with pytest.raises(TimeError, match=r"resolution clock stops .* before it starts"):
            POLICY.measure("resolution", T0, hours(-1), now=hours(1), priority="normal")

    def test_missing_target_lists_the_targets(self) -> None:
        """A metric or priority without a target lists the targets there are."""
        with pytest.raises(PolicyError, match=r"no first_reply target for priority 'normal' \(targets by priority: "
                                              r"'normal': resolution\)"):
            POLICY.measure("first_reply", T0, None, now=T0, priority="normal")
        with pytest.raises(PolicyError, match=r"priority 'urgent' of ticket 't' \(priorities with targets: 'normal'\)"):
            POLICY.clocks(SlaTicket(ticket_id="t", priority="urgent", created_at=T0), now=T0)


class TestMovedNames:
    """A name moved out of the top-level package warns once per use."""

    def test_from_import_warns_once(self) -> None:
        """``from csrules import ChinaYear`` gives one DeprecationWarning, pointing at the import line."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from csrules import ChinaYear  # noqa: F401
        moved = [w for w in caught if "csrules.ChinaYear is deprecated" in str(w.message)]
        assert len(moved) == 1
        assert moved[0].filename == __file__

    def test_attribute_read_warns_once(self) -> None:
        """Reading ``csrules.ChinaYear`` warns once too."""
        import csrules

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert csrules.ChinaYear.__name__ == "ChinaYear"
        assert len([w for w in caught if "ChinaYear" in str(w.message)]) == 1
