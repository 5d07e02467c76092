"""China's calendar answers only for the years it holds data for, and never guesses."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from holidays.countries.china import China
from pydantic import AwareDatetime, BaseModel

from csrules import BusinessCalendar, Engine, Policy, register_fact_type
from csrules._time.registry import registered_time
from csrules.exceptions import CalendarError
from csrules.time import ChinaYear, china_calendar, china_official_years

SH = ZoneInfo("Asia/Shanghai")
SUBSTITUTED = re.compile(r"substituted from \d{2}/\d{2}/(\d{4})")

# The 2027 arrangement as a company would type it in from the State Council's notice.
Y2027 = ChinaYear(
    2027,
    holidays=["2027-01-01", "2027-01-02", "2027-01-03", "2027-10-01", "2027-10-04"],
    adjusted_working_days=["2027-10-09"],
)


def first_year_not_covered() -> int:
    """The first year after the package's official data (2027 with holidays 0.109)."""
    return max(china_official_years()) + 1


class TestOfficialYears:
    def test_matches_the_package_data(self):
        """The official years are exactly the years the installed holidays.China lists 调休 days in."""
        listed = {
            year
            for year in range(China.start_year, 2100)
            if any(SUBSTITUTED.search(str(name)) for name in China(years=year, language="en_US").values())
        }
        assert china_official_years() == listed

    def test_without_the_static_table_the_data_is_asked_year_by_year(self, monkeypatch):
        """If the package's table moves, the same years are found by reading its data."""
        import csrules.domain.china as china

        def moved() -> frozenset[int]:
            raise AttributeError("no special_public_holidays here")

        expected = china_official_years()
        monkeypatch.setattr(china, "_static_years", moved)
        china_official_years.cache_clear()
        try:
            assert china_official_years() == expected
        finally:
            china_official_years.cache_clear()

    def test_default_calendar_holds_every_official_year(self):
        """china_calendar() holds every year the installed package has official data for."""
        assert set(china_calendar().holiday_years or ()) == set(china_official_years())


class TestNeverGuesses:
    def test_new_year_2027_is_never_an_ordinary_friday(self):
        """2027-01-01 is a holiday: by the year's schedule when loaded, by law when not."""
        cal = china_calendar()
        assert cal.is_holiday(date(2027, 1, 1))
        assert not cal.is_working_day(date(2027, 1, 1))
        assert cal.is_holiday(date(2027, 10, 1))

    def test_statutory_days_are_certain_the_rest_of_the_year_is_not(self):
        """In a year without a schedule, the statutory days answer; any other date raises."""
        year = first_year_not_covered()
        cal = china_calendar()
        assert cal.is_holiday(date(year, 1, 1))  # New Year's Day, fixed by law
        with pytest.raises(CalendarError, match=rf"in {year}, which it does not cover"):
            cal.is_working_day(date(year, 1, 4))
        statutory = {d for d in cal.fixed_holidays if d.year == year}
        assert {date(year, 1, 1), date(year, 5, 1), date(year, 10, 1)} <= statutory
        observed = {d for d, name in China(years=year, language="en_US").items() if "observed" in name.lower()}
        assert not statutory & observed  # the package's guesses at the arrangement stay out

    def test_every_question_about_an_uncovered_year_raises(self):
        """Working day, holiday, working time, adding days and elapsed time all refuse."""
        cal = china_calendar(years=[2025, 2026])
        year = 2027
        checks = [
            lambda: cal.is_holiday(date(year, 10, 11)),
            lambda: cal.is_working_day(date(year, 10, 11)),
            lambda: cal.is_working_time(datetime(year, 10, 11, 10, tzinfo=SH)),
            lambda: cal.add_working_days(date(2026, 12, 30), 3),
            lambda: cal.add(datetime(2026, 12, 31, 17, tzinfo=SH), "2 business days"),
            lambda: cal.elapsed(datetime(2026, 12, 31, tzinfo=SH), datetime(year, 1, 5, tzinfo=SH)),
        ]
        for check in checks:
            with pytest.raises(CalendarError, match=rf"in {year}, which it does not cover"):
                check()

    def test_the_error_says_what_to_do(self):
        """The message names the year, the package and the three ways out."""
        year = first_year_not_covered()
        with pytest.raises(CalendarError) as caught:
            china_calendar().is_holiday(date(year, 5, 10))
        message = str(caught.value)
        assert str(year) in message
        assert "holidays.China" in message
        assert "allow_estimated=True" in message
        assert "extra_years=" in message

    def test_building_for_a_year_without_data_names_it(self):
        """Asking for a year without official data at build time names the year."""
        year = first_year_not_covered()
        with pytest.raises(CalendarError, match=rf"no official arrangement \(调休\) for {year}"):
            china_calendar(years=[2026, year])

    def test_a_plain_calendar_without_holiday_years_answers_every_year(self):
        """A host calendar that does not declare holiday_years keeps answering (its lists hold)."""
        cal = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"})
        assert cal.is_working_day(date(2040, 1, 2))

    def test_special_days_and_closures_still_answer(self):
        """Explicit special days and closures answer outside the covered years."""
        cal = china_calendar(
            years=2026,
            closures=[date(2027, 1, 4)],
            special_days={date(2027, 1, 5): ["10:00-12:00"]},
        )
        assert not cal.is_working_day(date(2027, 1, 4))
        assert cal.is_working_day(date(2027, 1, 5))
        with pytest.raises(CalendarError, match="2027"):
            cal.is_working_day(date(2027, 1, 6))

    def test_empty_holiday_years_is_refused(self):
        """holiday_years=() would refuse every date: it is a CalendarError when built."""
        with pytest.raises(CalendarError, match="holiday_years"):
            BusinessCalendar(timezone="UTC", hours={"mon-fri": "09:00-18:00"}, holiday_years=[])


class TestEstimated:
    def test_allow_estimated_answers_with_the_package_estimate(self):
        """allow_estimated=True holds the year: New Year's Day and National Day are holidays."""
        year = first_year_not_covered()
        cal = china_calendar(years=[2026, year], allow_estimated=True)
        assert cal.is_holiday(date(year, 1, 1))
        assert cal.is_holiday(date(year, 10, 1))
        assert cal.holiday_years == (2026, year)


class TestAddedByHand:
    def test_a_year_typed_in_is_held(self):
        """A ChinaYear adds its holidays and 调休 days, and the year is covered."""
        cal = china_calendar(extra_years=[Y2027])
        assert cal.is_holiday(date(2027, 1, 1))
        assert cal.is_holiday(date(2027, 10, 4))
        assert cal.is_working_day(date(2027, 10, 9))  # a Saturday worked in exchange
        assert cal.is_working_day(date(2027, 1, 4))
        assert 2027 in (cal.holiday_years or ())
        assert cal.is_holiday(date(2026, 10, 1))  # the package's years are still there

    def test_a_year_typed_in_replaces_the_package_data(self):
        """A hand-made year wins over the package's data for the same year."""
        own = ChinaYear(2026, holidays=["2026-01-01"])
        cal = china_calendar(years=2026, extra_years=[own])
        assert cal.is_holiday(date(2026, 1, 1))
        assert not cal.is_holiday(date(2026, 10, 1))

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"holidays": ["2028-01-01"]}, r"2028-01-01 is outside 2027"),
            ({"holidays": ["2027-13-01"]}, r"'2027-13-01' is not a date"),
            ({"holidays": []}, r"lists no holidays"),
            ({"holidays": ["2027-01-01"], "adjusted_working_days": ["2026-11-01"]}, r"2026-11-01 is outside"),
        ],
    )
    def test_bad_input_is_named(self, kwargs, message):
        """Dates outside the year, unreadable dates and an empty year are CalendarErrors."""
        with pytest.raises(CalendarError, match=message):
            ChinaYear(2027, **kwargs)

    def test_december_before_belongs_to_the_notice(self):
        """A New Year break starting in December of the year before is accepted."""
        assert ChinaYear(2019, holidays=["2018-12-31", "2019-01-01"]).holidays[0] == date(2018, 12, 31)


@register_fact_type(name="cov_ticket")
class Ticket(BaseModel):
    """A ticket received at some instant."""

    received_at: AwareDatetime


HOLIDAY_RULE = {
    "id": "holiday-ticket",
    "title": "t",
    "when": {"kind": "on_holiday", "path": "received_at", "calendar": "cov-cn"},
    "then": [{"type": "violation", "code": "X", "message": "m"}],
}
DUE_RULE = {
    "id": "reply-due",
    "title": "t",
    "when": {"kind": "is_set", "path": "received_at"},
    "then": [
        {
            "type": "obligation",
            "who": "agent",
            "action": "reply",
            "due": {"after": "3 business days", "since": "received_at", "calendar": "cov-cn"},
        }
    ],
}


def engine(rule: dict) -> Engine:
    """An engine with one rule on a china calendar holding 2026 only."""
    with registered_time(calendars={"cov-cn": china_calendar(years=2026)}):
        return Engine(Policy(id="cov", version="1", title="t", fact_type="cov_ticket", rules=[rule]))


class TestDuringEvaluation:
    def test_a_condition_on_an_uncovered_date_is_an_error_not_clean(self):
        """The rule's CalendarError is in decision.errors with its id, and the decision is not clean."""
        decision = engine(HOLIDAY_RULE).evaluate({"received_at": datetime(2027, 1, 4, 10, tzinfo=SH)})
        assert [e.rule_id for e in decision.errors] == ["holiday-ticket"]
        assert "CalendarError" in decision.errors[0].message
        assert "2027" in decision.errors[0].message
        assert not decision.is_clean

    def test_a_due_time_beyond_the_data_names_the_rule(self):
        """An obligation due in an uncovered year raises a CalendarError naming the rule."""
        decision = engine(DUE_RULE).evaluate({"received_at": datetime(2026, 12, 30, 10, tzinfo=SH)})
        with pytest.raises(CalendarError, match=r"rule cov/reply-due: .*2027"):
            decision.effects  # noqa: B018


class TestBoundaryProbes:
    def test_probes_stay_inside_the_years_held(self):
        """A calendar holding 2026 only: day probes are all in 2026, none dropped for it."""
        from csrules._testing.boundaries.core import boundary_targets

        when = {"kind": "on_holiday", "path": "received_at", "calendar": "cov-cn"}
        with registered_time(calendars={"cov-cn": china_calendar(years=2026)}):
            rule = {**HOLIDAY_RULE, "when": when}
            policy = Policy(id="cov", version="1", title="t", fact_type="cov_ticket", rules=[rule])
            _, targets = boundary_targets(policy)
        placed = [t.probe.fixed[1] for t in targets if t.probe.fixed is not None]
        assert len(placed) >= 4
        assert {instant.astimezone(SH).year for instant in placed} == {2026}
        assert {True, False} <= {t.probe.holds for t in targets}

    def test_now_in_a_year_not_held_names_the_rule(self):
        """Probing around a now the calendar cannot answer for raises naming the rule and the year."""
        from csrules._testing.boundaries.core import boundary_targets

        with registered_time(calendars={"cov-cn": china_calendar(years=2026)}):
            policy = Policy(id="cov", version="1", title="t", fact_type="cov_ticket", rules=[HOLIDAY_RULE])
            with pytest.raises(CalendarError, match=r"rule cov/holiday-ticket: .*in 2027"):
                boundary_targets(policy, now=datetime(2027, 3, 1, 9, tzinfo=SH))


class TestInSessions:
    @pytest.mark.parametrize("backend", ["python", "durable"])
    def test_a_session_step_on_an_uncovered_date_is_an_error_not_clean(self, backend):
        """In a session the rule's CalendarError is the step's error, and the step is not clean."""
        from csrules import SessionEngine

        with registered_time(calendars={"cov-cn": china_calendar(years=2026)}):
            policy = Policy(id="cov", version="1", title="t", fact_type="cov_ticket", rules=[HOLIDAY_RULE])
            session = SessionEngine([policy], backend=backend).session("desk")
        at = datetime(2027, 1, 4, 10, tzinfo=SH)
        step = session.send(Ticket(received_at=at), now=at)
        assert [e.rule_id for e in step.errors] == ["holiday-ticket"]
        assert "2027" in step.errors[0].message
        assert not step.is_clean


class TestDocs:
    def test_next_years_holidays_example_runs(self):
        """The worked example in docs/time.md ('Next year's holidays') runs as written."""
        from pathlib import Path

        text = (Path(__file__).parent.parent / "docs" / "time.md").read_text(encoding="utf-8")
        section = text.split("### Next year's holidays", 1)[1].split("\n### ", 1)[0]
        blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
        assert len(blocks) == 1
        with registered_time():
            namespace: dict[str, object] = {}
            exec(blocks[0], namespace)
            from csrules import get_calendar

            assert get_calendar("china").is_holiday(date(2027, 10, 7))
        assert get_calendar("china") != namespace["cal"]
