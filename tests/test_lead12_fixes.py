"""Regression tests of answers found wrong through the public API and fixed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from csrules import PolicyError
from csrules.policies import load_pack
from tests.company_support import company

LONDON = ZoneInfo("Europe/London")
CALLBACK = {"customer": "Ms Li", "kind": "callback", "created_at": "2026-03-27T10:00:00+00:00", "record_complete": True}
"""Created on the Friday before the clocks go forward in London (29 March 2026)."""


class TestPackSlaCountsDaysWhereItsRuleDoes:
    """A company pack in Europe/London counted its SLAs' whole days on Shanghai's wall clock:
    across the clock change ``slas.check`` said "not missed" for an hour after the engine's
    rule (CB-1.overdue) said overdue. Days now count in the fact's ``time_zone``, else the pack's."""

    @pytest.mark.parametrize(("pack_zone", "fact"), [
        ("timezone: Europe/London\n", CALLBACK),                                # the pack's zone
        ("timezone: Europe/London\n", {**CALLBACK, "time_zone": "Europe/London"}),  # the fact's own
        ("", {**CALLBACK, "time_zone": "Europe/London"}),                         # the fact's, in a Shanghai pack
    ], ids=["pack-zone", "fact-zone", "fact-zone-base-pack"])
    def test_breach_and_rule_agree_to_the_second(self, tmp_path: Path, pack_zone: str,
                                                 fact: dict[str, object]) -> None:
        pack = load_pack(str(company(tmp_path, pack_zone)))
        due = datetime(2026, 3, 30, 10, tzinfo=LONDON)  # three London days, one of 23 hours
        for now, late in ((due - timedelta(seconds=1), False), (due + timedelta(seconds=1), True)):
            (check,) = pack.slas.check(fact, now=now, fact_type="callback_task")
            overdue = "CB-1.overdue" in pack.engine().evaluate(fact, now=now, fact_type="callback_task").rule_ids
            assert (check.breached, overdue) == (late, late), now
            assert check.due_at == due

    def test_due_at_counts_in_the_packs_zone(self, tmp_path: Path) -> None:
        pack = load_pack(str(company(tmp_path, "timezone: Europe/London\n")))
        due = datetime(2026, 3, 30, 10, tzinfo=LONDON)
        assert pack.slas.get("CB-1.callback").due_at(datetime(2026, 3, 27, 10, tzinfo=LONDON)) == due


ESCALATING = '''id: acme.extra
version: "1"
title: {{en: Extra, zh: 額外}}
fact_type: leave_request
rules:
  - id: X-3
    title: {{en: Agents' leave goes up, zh: 升}}
    when: {{kind: in, path: requester_role, value: [{role}]}}
    then: [{{type: escalation, to: shift_lead, reason: {{en: r, zh: r}}}}]
'''


class TestARoleConditionNamesARole:
    """A company rule comparing a role field with a misspelt role (``agnet``) loaded, checked
    clean and never held for a real agent; it is now refused at its file and line."""

    def test_a_misspelt_role_is_refused_at_its_line(self, tmp_path: Path) -> None:
        folder = company(tmp_path, "policies: [extra.yaml]\n", extra__yaml=ESCALATING.format(role="agnet"))
        with pytest.raises(PolicyError) as caught:
            load_pack(str(folder))
        assert caught.value.file is not None
        assert caught.value.file.endswith("extra.yaml")
        assert caught.value.line == 8
        assert caught.value.rule_id == "X-3"
        assert "the condition on requester_role names 'agnet', which is no role of pack 'acme'" in str(caught.value)

    @pytest.mark.parametrize("role", ["agent", "业务代表", "業務代表"])
    def test_a_role_by_any_of_its_names_is_read(self, tmp_path: Path, role: str) -> None:
        folder = company(tmp_path, "policies: [extra.yaml]\n", extra__yaml=ESCALATING.format(role=role))
        fact = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
                "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00",
                "requested_by": "A01", "requester_role": "agent"}
        decision = load_pack(str(folder)).engine().evaluate(fact, fact_type="leave_request",
                                                            now=datetime(2026, 3, 1, 12, tzinfo=LONDON))
        assert "X-3" in decision.rule_ids


class TestAStaleSessionExampleIsMarkedAtItsStep:
    """A company pack's document marked the FIRST step of a session example that no longer
    holds, with the effects another step gave: the mark is now on the step that differed."""

    def test_the_mark_is_on_the_step_that_differed(self, tmp_path: Path) -> None:
        from csrules._docs import render_docs, subject_from_pack

        folder = company(tmp_path, "overrides: {work_order: {shift_lead_after: 12h}}\n")
        rendered = render_docs(subject_from_pack(load_pack(str(folder))), ("en",), date(2026, 12, 4))
        heading = "ESC-2.open-shift-lead"
        section = rendered.markdown[rendered.markdown.index(f"#### {heading}"):]
        rows = [row for row in section.splitlines() if row.startswith(("| still open just after 24 hours", "|  · "))]
        rows = rows[:3]  # the first example's three steps
        assert [("✘" in row) for row in rows] == [False, True, False]
        assert "the rule gives escalation:shift_lead, obligation:shift_lead" in rows[1]


class TestAnEventWithoutAClockSaysWhatIsMissing:
    """A work order sent without now to a session whose clock was never set failed with
    "TimeError: now must be an aware datetime (got NoneType None)"; the error now says the
    item's closing test reads the time now and how to give it."""

    def test_the_error_names_now(self) -> None:
        from csrules import SessionError

        order = {"order_id": "W1", "opened_at": "2026-03-02T09:00:00+08:00", "first_handler": "A01", "owner": "A01"}
        session = load_pack("call_centre").sessions().session("d")
        session.send(order, fact_type="work_order")  # not resolved: its test needs no clock
        resolved = {**order, "resolved_at": "2026-03-02T20:00:00+08:00"}
        with pytest.raises(SessionError, match=r"its test reads the time now, and this session has no clock yet: "
                                               r"send the event with now="):
            session.send(resolved, fact_type="work_order")
        later = datetime(2026, 3, 2, 21, tzinfo=LONDON)
        assert session.send(resolved, fact_type="work_order", now=later).kind == "event"


class TestInheritedDutiesAndShiftsFollowThePacksZone:
    """A company pack with ``timezone: Europe/London`` kept its base's duties and shift
    patterns in Asia/Shanghai: a London meeting was overdue from 16:00 on its day, and an
    agent at the desk at 09:00 London time was on no shift."""

    def test_a_duty_falls_due_at_the_end_of_a_london_day(self, tmp_path: Path) -> None:
        pack = load_pack(str(company(tmp_path, "timezone: Europe/London\n")))
        meeting = next(duty for duty in pack.duties if duty.id == "DUTY-1.all-agent-meeting")
        due = meeting.next_due(datetime(2026, 3, 1, tzinfo=LONDON))
        assert due.astimezone(LONDON).time().isoformat() == "23:59:59.999999"
        assert {duty.duty.timezone for duty in pack.duties} == {"Europe/London"}

    def test_the_day_shift_is_worked_on_london_clocks(self, tmp_path: Path) -> None:
        folder = company(tmp_path, "timezone: Europe/London\n")
        manifest = folder / "pack.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("extends: call_centre", "extends: ecommerce"),
                            encoding="utf-8")
        day_agents = load_pack(str(folder)).shift_patterns["day_agents"]
        shift = day_agents.shift_at(datetime(2026, 3, 10, 9, tzinfo=LONDON))
        assert shift is not None
        assert shift.name == "day"
        assert day_agents.shift_at(datetime(2026, 3, 10, 1, tzinfo=LONDON)) is None


class TestDroppingAPolicyDropsItsSlas:
    """``drop: [callback]`` was refused as "unknown policy" at a made-up path, and an SLA could
    not be dropped: a company could never drop a policy an SLA measures."""

    def test_the_sla_goes_with_its_policy(self, tmp_path: Path) -> None:
        pack = load_pack(str(company(tmp_path, "drop: [callback]\n")))
        assert "call_centre.callback" not in {policy.id for policy in pack.policies}
        assert [sla.id for sla in pack.slas] == ["CMP-4.reply"]


class TestABuiltInPackReadsTheCalendarRegisteredNow:
    """A built-in pack's engine was built once per process: after ``register_calendar("china",
    ..., replace=True)`` (next year's notice typed in), a pack loaded earlier still judged by the
    old days, with no warning, while a policy loaded afresh read the new ones."""

    @staticmethod
    def _rule_ids() -> tuple[str, ...]:
        """The rules a leave on Monday 2 March 2026 asked ten days ahead meets in call_centre."""
        leave = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
                 "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-02-20T20:00:00+08:00",
                 "requested_by": "A01"}
        now = datetime(2026, 2, 20, 12, tzinfo=LONDON)
        return load_pack("call_centre").engine().evaluate(leave, now=now, fact_type="leave_request").rule_ids

    def test_a_calendar_registered_again_is_read(self) -> None:
        from csrules.time import ChinaYear, china_calendar, registered_time

        before = self._rule_ids()  # the pack's engine is built with the calendar registered now
        assert "ATT-6.holiday-approval" not in before
        shipped = china_calendar()
        year = ChinaYear(2026, holidays=[*(day for day in shipped.holidays if day.year == 2026), date(2026, 3, 2)],
                         adjusted_working_days=[day for day in shipped.adjusted_working_days if day.year == 2026])
        with registered_time(calendars={"china": china_calendar(extra_years=[year])}):
            assert "ATT-6.holiday-approval" in self._rule_ids()
        assert self._rule_ids() == before  # the shipped calendar again, once the block ends
