"""Time-layer answers a compliance reviewer checks by hand: month ends, impossible dates,
holiday breaks, calendar-moved due dates, estimated years and rota agents."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import AwareDatetime, BaseModel

from csrules import BusinessCalendar, Engine, Policy, PolicyError, Shift, ShiftPattern, register_fact_type
from csrules._lang import Lang
from csrules._policy.kinds.base import DescribeContext, handler_for
from csrules._time.duties import Duty, Recurrence, parse_recurrence
from csrules._time.registry import get_calendar, registered_time
from csrules.domain.china import china_calendar
from csrules.exceptions import CalendarError
from csrules.testing import probe_examples

SH = ZoneInfo("Asia/Shanghai")

ROTA = ShiftPattern(
    timezone="Asia/Shanghai",
    shifts=[
        Shift(name="early", start="07:00", end="15:00"),
        Shift(name="late", start="16:00", end="00:50", night=True),
    ],
    # From Monday 2026-01-05: three early days, three late days, one day off.
    cycle=["early", "early", "early", "late", "late", "late", "off"],
    anchor=date(2026, 1, 5),
    agents={"1017": 0, "2040": 3},
)


@register_fact_type(name="timefix_fact")
class Fact(BaseModel):
    """A fact with an instant, a period start and a numeric staff number."""

    at: AwareDatetime
    day: date | None = None
    staff_no: int | None = None


@pytest.fixture(autouse=True, scope="module")
def _registered() -> Any:
    """The test rota, registered for this module only."""
    with registered_time(shift_patterns={"timefix-rota": ROTA}):
        yield


def sh(*parts: int) -> datetime:
    """A Shanghai instant."""
    return datetime(*parts, tzinfo=SH)


def policy(when: dict[str, Any]) -> Policy:
    """A policy with one rule ``r`` whose condition is ``when``."""
    return Policy(
        id="p", version="1", title="t", fact_type="timefix_fact",
        rules=[{"id": "r", "title": "r", "when": when,
                "then": [{"type": "violation", "code": "X", "message": "m"}]}],
    )


def decide(when: dict[str, Any], **fact: Any) -> tuple[bool, dict[str, Any], tuple[Any, ...]]:
    """Whether rule ``r`` matched, its trace values and the decision's errors."""
    decision = Engine(policy(when)).evaluate(fact)
    trace = decision.trace.for_rule("r")
    matched = decision.rule_ids == ("r",)
    if not decision.errors:
        assert trace.matched is matched
    return matched, dict(trace.condition.values), decision.errors


def dates(recurrence: str, start: date, count: int) -> list[date]:
    """The first ``count`` due dates of a recurrence phrase from ``start``."""
    rule = parse_recurrence(recurrence).rule(datetime.combine(start, datetime.min.time()))
    return [due.date() for due in rule[:count]]


class TestMonthEnds:
    """A day-of-month the month lacks falls back to that month's last day."""

    def test_the_31st_is_due_every_month(self) -> None:
        """'monthly by the 31st' falls due in every month, on the 30th or in February on the 28th/29th."""
        assert dates("monthly by the 31st", date(2026, 1, 1), 6) == [
            date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
            date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30),
        ]

    def test_the_29th_in_february_of_leap_and_common_years(self) -> None:
        """'monthly on the 29th' is due on 28 February 2027 and on 29 February 2028."""
        found = dates("monthly on the 29th", date(2027, 1, 1), 14)
        assert {date(2027, 2, 28), date(2028, 2, 29)} <= set(found)
        assert len(found) == len({(d.year, d.month) for d in found})  # one per month

    def test_chinese_phrase_clamps_too(self) -> None:
        """'每月30日' is due on 28 February 2026."""
        assert dates("每月30日", date(2026, 2, 1), 2) == [date(2026, 2, 28), date(2026, 3, 30)]

    def test_last_day_and_last_weekday_unchanged(self) -> None:
        """'monthly on the last day' and 'the last Friday' keep their rrule meaning."""
        assert dates("monthly on the last day", date(2026, 2, 1), 2) == [date(2026, 2, 28), date(2026, 3, 31)]
        assert dates("monthly on the last friday", date(2026, 2, 1), 2) == [date(2026, 2, 27), date(2026, 3, 27)]

    def test_weekday_filters_are_not_clamped(self) -> None:
        """'the Friday before the 25th' reads its days as a filter, as before."""
        assert not parse_recurrence("monthly on the Friday before the 25th").clamps
        assert dates("monthly on the friday before the 25th", date(2026, 2, 1), 1) == [date(2026, 2, 20)]

    def test_recurring_kind_judges_a_february_report_late(self) -> None:
        """A February report due 'by the 30th' handed in on 15 March is late (due 28 February)."""
        when = {"kind": "recurring", "path": "at", "op": ">", "recurrence": "monthly by the 30th",
                "period_start": "day"}
        matched, values, errors = decide(when, at=sh(2026, 3, 15, 10), day=date(2026, 2, 1))
        assert (matched, values["due date"], errors) == (True, date(2026, 2, 28), ())

    def test_recurring_kind_due_on_april_30(self) -> None:
        """'monthly by the 31st' with '==' holds on 30 April."""
        when = {"kind": "recurring", "path": "at", "op": "==", "recurrence": "monthly by the 31st"}
        matched, values, _ = decide(when, at=sh(2026, 4, 30, 10))
        assert (matched, values["due date"]) == (True, date(2026, 4, 30))

    def test_duty_overdue_in_short_month(self) -> None:
        """A duty due 'by the 31st' is overdue on 2 May when April's report was never done after 31 March."""
        duty = Duty(owner="lead", title={"en": "Report", "zh": "报告"}, recurrence="monthly by the 31st")
        due = duty.occurrences(sh(2026, 4, 1), sh(2026, 7, 1))
        assert [d.date() for d in due] == [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
        assert duty.is_overdue(sh(2026, 3, 20), sh(2026, 5, 2))
        assert not duty.is_overdue(sh(2026, 4, 20), sh(2026, 5, 2))


class TestImpossibleDates:
    """A recurrence on a date no month has is refused when built, naming it."""

    @pytest.mark.parametrize(
        ("phrase", "day"),
        [("yearly on february 30", 30), ("yearly on april 31", 31), ("annually on 31 september", 31)],
    )
    def test_phrase_refused(self, phrase: str, day: int) -> None:
        """The phrase is refused with the day and the recurrence named."""
        with pytest.raises(CalendarError, match=rf"day {day} never exists.*{phrase}"):
            parse_recurrence(phrase)

    def test_structured_refused(self) -> None:
        """Structured parts for 30 February are refused too."""
        with pytest.raises(CalendarError, match="day 30 never exists in February"):
            Recurrence(freq="yearly", bymonth=(2,), bymonthday=(30,))

    def test_february_29_is_kept(self) -> None:
        """29 February exists in leap years, so it is kept and clamps to the 28th otherwise."""
        assert dates("yearly on february 29", date(2027, 1, 1), 2) == [date(2027, 2, 28), date(2028, 2, 29)]

    def test_policy_build_names_the_rule(self) -> None:
        """A policy using 'yearly on february 30' fails to build, naming the rule and the field."""
        with pytest.raises(PolicyError, match=r"rule 'r', at rules\[0\]\.when\.recurrence: day 30 never exists"):
            policy({"kind": "recurring", "path": "at", "op": "==", "recurrence": "yearly on february 30"})


class TestNumberedAgents:
    """A staff number names a registered agent; an unknown one is an error."""

    WHEN: ClassVar[dict[str, Any]] = {
        "kind": "night_shift", "path": "at", "shifts": "timefix-rota", "agent": "staff_no",
    }

    def test_registered_number_uses_its_offset(self) -> None:
        """Staff 1017 (offset 0) is on the late night shift on Thursday 2026-01-08 at 22:00."""
        matched, values, errors = decide(self.WHEN, at=sh(2026, 1, 8, 22), staff_no=1017)
        assert (matched, values["shift"], errors) == (True, "late 16:00-00:50", ())

    def test_other_registered_number(self) -> None:
        """Staff 2040 (offset 3) is on an early-shift day then, so not on a night shift."""
        matched, values, errors = decide(self.WHEN, at=sh(2026, 1, 8, 22), staff_no=2040)
        assert (matched, values["shift"], errors) == (False, "none", ())

    def test_unknown_number_is_an_error(self) -> None:
        """An unregistered staff number is reported as an error, never read as a day offset."""
        matched, _, errors = decide(self.WHEN, at=sh(2026, 1, 8, 22), staff_no=999999)
        assert not matched
        assert [e.message for e in errors] == ["CalendarError: unknown agent 999999: the shift pattern registers"
                                               " ['1017', '2040'] (add it to agents)"]

    def test_time_of_day_agent_is_looked_up(self) -> None:
        """time_of_day with a rota reads the shift date of the named agent, refusing unknown ones."""
        when = {"kind": "time_of_day", "path": "at", "op": ">", "time": "23:00", "day_of": "at",
                "shifts": "timefix-rota", "agent": "staff_no"}
        # 00:30 on 9 January is still 1017's late shift of 8 January: its 23:00 has passed.
        assert decide(when, at=sh(2026, 1, 9, 0, 30), staff_no=1017)[0]
        assert decide(when, at=sh(2026, 1, 9, 0, 30), staff_no=5)[2]

    def test_rota_without_agents_refused(self) -> None:
        """An agent field on a rota that registers no agents is refused when the policy is built."""
        bare = ROTA.model_copy(update={"agents": {}})
        with registered_time(shift_patterns={"timefix-bare": bare}), pytest.raises(
            PolicyError, match=r"rule 'r', at rules\[0\]\.when\.agent: .*registers no agents for staff_no"
        ):
            policy({**self.WHEN, "shifts": "timefix-bare"})

    def test_pattern_lookup(self) -> None:
        """ShiftPattern.agent_offset reads names by their text and refuses unknown ones."""
        assert (ROTA.agent_offset(2040), ROTA.agent_offset("2040"), ROTA.agent_offset(None)) == (3, 3, 0)
        with pytest.raises(CalendarError, match="unknown agent 3"):
            ROTA.agent_offset(3)

    def test_boundary_probes_use_registered_numbers(self) -> None:
        """Boundary probes for a numeric agent field name registered staff and evaluate without errors."""
        pol = policy(self.WHEN)
        facts = [fact for _, fact in probe_examples(pol)]
        assert {f.staff_no for f in facts} <= {1017, 2040, None}
        engine = Engine(pol)
        decisions = [engine.evaluate(fact) for fact in facts]
        assert [d.errors for d in decisions if d.errors] == []
        assert {d.rule_ids == ("r",) for d in decisions} == {True, False}


def span(first: str, last: str) -> list[date]:
    """Every date from ``first`` to ``last`` inclusive."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


class TestHolidayBreaks:
    """Every day of an official break is a holiday, weekend days inside it included."""

    # (first day, last day) of breaks as the State Council notices word them ("至…放假").
    BREAKS: ClassVar[list[tuple[str, str]]] = [
        ("2020-01-24", "2020-02-02"),  # Spring Festival, extended
        ("2023-09-29", "2023-10-06"),  # Mid-Autumn and National Day
        ("2024-02-10", "2024-02-17"),  # Spring Festival
        ("2025-05-31", "2025-06-02"),  # Dragon Boat, from a Saturday
        ("2025-10-01", "2025-10-08"),  # Golden Week
        ("2026-01-01", "2026-01-03"),  # New Year, to a Saturday
        ("2026-02-15", "2026-02-23"),  # Spring Festival, from a Sunday
        ("2026-04-04", "2026-04-06"),  # Qingming
    ]

    @pytest.mark.parametrize(("first", "last"), BREAKS)
    def test_whole_break_is_holiday(self, first: str, last: str) -> None:
        """Each day of the break is a holiday in the china calendar and the days either side are not."""
        china = get_calendar("china")
        days = span(first, last)
        assert [d for d in days if not china.is_holiday(d)] == []
        edges = (days[0] - timedelta(days=1), days[-1] + timedelta(days=1))
        assert [china.is_holiday(d) for d in edges] == [False, False]

    def test_adjusted_weekend_days_stay_working(self) -> None:
        """Weekend days worked in exchange (调休上班) are neither holidays nor days off."""
        china = get_calendar("china")
        for day in (date(2026, 2, 14), date(2026, 2, 28), date(2025, 9, 28), date(2025, 10, 11)):
            assert (china.is_holiday(day), china.is_working_day(day)) == (False, True), day

    def test_weekend_holiday_gives_no_break(self) -> None:
        """Mid-Autumn on Sunday 2015-09-27 ('9月27日放假') leaves Saturday the 26th an ordinary weekend day."""
        china = get_calendar("china")
        assert (china.is_holiday(date(2015, 9, 26)), china.is_holiday(date(2015, 9, 27))) == (False, True)

    def test_on_holiday_kind_mid_golden_week(self) -> None:
        """on_holiday with the china calendar holds for leave starting on Saturday 2025-10-04."""
        when = {"kind": "on_holiday", "path": "at", "calendar": "china"}
        assert decide(when, at=sh(2025, 10, 4, 10))[0]
        assert not decide(when, at=sh(2025, 10, 11, 10))[0]

    def test_any_calendar_and_the_opt_out(self) -> None:
        """A Friday holiday takes its weekend along; holiday_breaks=False keeps only the listed dates."""
        hours = {"mon-fri": "09:00-18:00"}
        joined = BusinessCalendar(timezone="Asia/Shanghai", hours=hours, holidays=["2026-05-01"])
        listed = BusinessCalendar(timezone="Asia/Shanghai", hours=hours, holidays=["2026-05-01"], holiday_breaks=False)
        weekend = [date(2026, 5, 2), date(2026, 5, 3)]
        assert [joined.is_holiday(d) for d in weekend] == [True, True]
        assert [listed.is_holiday(d) for d in weekend] == [False, False]
        assert not joined.is_holiday(date(2026, 5, 9))  # the next weekend is ordinary


class TestEstimatedAdvice:
    """The advice for a year the calendar does not hold works when followed."""

    def test_advised_call_answers(self) -> None:
        """The china_calendar(...) call the error names builds a calendar that answers for 2027."""
        with pytest.raises(CalendarError) as caught:
            china_calendar().is_working_day(date(2027, 3, 1))
        advised = re.search(r"china_calendar\(years=range\((\d+), (\d+)\), allow_estimated=True\)", str(caught.value))
        assert advised is not None, str(caught.value)
        first, stop = int(advised[1]), int(advised[2])
        assert first <= 2027 < stop
        assert china_calendar(years=range(first, stop), allow_estimated=True).is_working_day(date(2027, 3, 1))


class TestRecurringCalendarWording:
    """A recurring condition with a calendar says that holidays do not move its due dates."""

    WHEN: ClassVar[dict[str, Any]] = {
        "kind": "recurring", "path": "at", "op": ">", "recurrence": "monthly by the 22nd",
        "period_start": "day", "calendar": "china",
    }

    def test_due_date_on_a_holiday_stays(self) -> None:
        """A report due Sunday 2026-02-22, inside the Spring Festival break, is late on the 23rd."""
        matched, values, errors = decide(self.WHEN, at=sh(2026, 2, 23, 9), day=date(2026, 2, 1))
        assert (matched, values["due date"], errors) == (True, date(2026, 2, 22), ())

    @pytest.mark.parametrize(
        ("lang", "words"),
        [("en", "(dates in the china calendar's zone; a holiday does not move the due date)"),
         ("zh", "（按china日历的时区；到期日遇节假日不顺延）")],
    )
    def test_wording_names_only_the_zone(self, lang: Lang, words: str) -> None:
        """The condition reads as using the calendar's zone only, in English and Chinese."""
        cond = policy(self.WHEN).rules[0].when
        text = handler_for(cond).describe(cond, lang, DescribeContext())
        assert text.endswith(words)
        assert "(in the china calendar)" not in text
