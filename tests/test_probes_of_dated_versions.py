"""A dated version's day probes lie where its facts can reach them.

A leave request is judged by the version in force on the day it was requested, and its
notice steers the leave's start to within a day of that request, so a holiday probe of the
first shift missed months after the version's last day (or before its first) is one no fact
for that version holds: probing it only ran the search until it gave up.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime

import pytest

from csrules._policy.loader import loads_policy
from csrules._policy.model import Policy
from csrules._testing.boundaries.core import BoundaryContext, boundary_targets
from csrules._testing.boundaries.time import _reference
from csrules.domain.facts import LeaveRequest
from csrules.testing import probe_examples

_AUGUST = datetime(2026, 8, 1, tzinfo=UTC)


def _leave(dated: str) -> Policy:
    """Short notice for leave outside a holiday (the shape of ATT-1.personal-notice), ``dated``."""
    return loads_policy(textwrap.dedent(f"""\
        id: acme.leave
        version: "1"
        {dated}
        title: {{en: Leave, zh: 請假}}
        fact_type: leave_request
        rules:
          - id: LV-1
            title: {{en: Short notice, zh: 未提前}}
            when:
              kind: all
              of:
                - {{kind: elapsed, since: requested_at, until: start, op: "<", duration: 1d}}
                - {{kind: not, condition: {{kind: on_holiday, path: shift_start, calendar: china}}}}
            then: [{{type: violation, code: LV-1, message: {{en: late, zh: 遲}}}}]
        """))


def _day_probes(policy: Policy) -> tuple[set[str], set[str]]:
    """The labels of ``policy``'s holiday probes, and those of them that got a fact, at 1 August 2026."""
    pairs = probe_examples(policy, now=_AUGUST, per=1)
    _, targets = boundary_targets(policy, now=_AUGUST)
    probed = {t.probe.label for t in targets if t.probe.label.startswith("shift_start = ")}
    return probed, {t.probe.label for t, _ in pairs if t.probe.label in probed}


# The boundaries of the Dragon Boat Festival break (19-21 June 2026), which facts for a
# version in force until 1 July reach, as they did when the probes were placed near now.
_DRAGON_BOAT = {
    "shift_start = 2026-06-18T23:59:59+08:00 (day before a holiday)",
    "shift_start = 2026-06-19T00:00:00+08:00 (first day of a holiday)",
    "shift_start = 2026-06-21T23:59:59+08:00 (last day of a holiday)",
    "shift_start = 2026-06-22T00:00:00+08:00 (day after a holiday)",
}
_KINDS = (
    "day before a holiday",
    "first day of a holiday",
    "last day of a holiday",
    "day after a holiday",
    "last day of a weekend",
    "working day after a weekend",
    "a day off worked in exchange",
)


class TestDayProbesOfDatedVersions:
    """Every holiday, weekend and exchanged-day probe of a dated version gets a fact."""

    def test_version_ending_before_now(self) -> None:
        """Until 2026-07-01, probed at 1 August: each probe is reached, none in September."""
        probed, reached = _day_probes(_leave("valid_until: 2026-07-01"))
        assert reached == probed
        assert probed >= _DRAGON_BOAT
        assert all(any(f"({kind})" in label for label in probed) for kind in _KINDS)
        assert not any("2026-09-" in label for label in probed)
        # the weekend before its last day, not the one after (a leave asked in June rarely reaches July)
        assert "shift_start = 2026-06-28T23:59:59+08:00 (last day of a weekend)" in probed
        assert "shift_start = 2026-06-29T00:00:00+08:00 (working day after a weekend)" in probed

    def test_version_starting_after_a_holiday(self) -> None:
        """From 2026-07-01, probed at 1 August: the June break before its first day is not probed."""
        probed, reached = _day_probes(_leave("valid_from: 2026-07-01"))
        assert reached == probed
        assert not any("2026-06-" in label for label in probed)
        assert all(any(f"({kind})" in label for label in probed) for kind in _KINDS)


class TestReferenceDay:
    """Where fixed probes are placed: now's date, moved into a dated version's days."""

    @pytest.mark.parametrize(
        ("in_force", "expected"),
        [
            ((None, None), date(2026, 8, 1)),
            ((None, date(2026, 7, 1)), date(2026, 6, 30)),
            ((date(2026, 9, 1), None), date(2026, 9, 1)),
            ((date(2026, 7, 1), date(2026, 9, 1)), date(2026, 8, 1)),
            ((date(2026, 8, 1), date(2026, 8, 2)), date(2026, 8, 1)),
        ],
    )
    def test_now_moved_into_the_days(self, in_force: tuple[date | None, date | None], expected: date) -> None:
        """The reference is now's date when the version is in force then, else its nearest day in force."""
        ctx = BoundaryContext(LeaveRequest, {}, _AUGUST, in_force=in_force)
        assert _reference(ctx, UTC) == expected

    def test_no_now_keeps_the_first_day(self) -> None:
        """Without now, probes stay at the first day facts are drawn in for the version."""
        ctx = BoundaryContext(LeaveRequest, {}, None, (date(2026, 7, 1), None))
        assert _reference(ctx, UTC) == date(2026, 7, 1)

    @pytest.mark.parametrize(
        ("first", "last", "meets"),
        [
            (date(2026, 6, 19), date(2026, 6, 21), False),
            (date(2026, 6, 29), date(2026, 7, 1), True),
            (date(2026, 7, 1), date(2026, 7, 3), True),
            (date(2026, 8, 31), date(2026, 9, 2), True),
            (date(2026, 9, 1), date(2026, 9, 3), False),
        ],
    )
    def test_runs_of_days_meeting_the_version(self, first: date, last: date, meets: bool) -> None:
        """A run of days is kept when one of its days is in force: from 1 July until 1 September."""
        ctx = BoundaryContext(LeaveRequest, {}, _AUGUST, in_force=(date(2026, 7, 1), date(2026, 9, 1)))
        assert ctx.meets_days(first, last) is meets
        assert BoundaryContext(LeaveRequest, {}, _AUGUST).meets_days(first, last)
