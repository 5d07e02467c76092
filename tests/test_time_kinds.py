"""The time condition kinds: each holds or not, shows its values, reads in words, and refuses
what cannot work; the compiled path and the trace agree on random instants in any zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel

from csrules import BusinessCalendar, Engine, Policy, PolicyError, Shift, ShiftPattern, register_fact_type
from csrules._policy.kinds.base import DescribeContext, handler_for
from csrules._policy.kinds.time import (
    InWorkingHours,
    NightShift,
    Notice,
    OnDayOff,
    OnHoliday,
    OutsideWorkingHours,
    Recurring,
    TimeOfDay,
    WithinHours,
)
from csrules._time.clock import parse_clock
from csrules._time.registry import (
    calendar_names,
    get_calendar,
    get_shift_pattern,
    register_calendar,
    register_shift_pattern,
    registered_time,
    shift_pattern_names,
)
from csrules.exceptions import TimeError

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

OFFICE = BusinessCalendar(
    timezone="Asia/Shanghai",
    hours={"mon-fri": "09:00-18:00"},
    holidays=["2026-01-01"],
    adjusted_working_days=["2026-01-04"],  # a Sunday worked in exchange (调休)
)
ROTA = ShiftPattern(
    timezone="Asia/Shanghai",
    shifts=[
        Shift(name="early", start="07:00", end="15:00"),
        Shift(name="late", start="16:00", end="00:50", night=True),
    ],
    # From Monday 2026-01-05: three early days, three late days, one day off.
    cycle=["early", "early", "early", "late", "late", "late", "off"],
    anchor=date(2026, 1, 5),
    agents={"li": 0, "wang": 1},
)


@register_fact_type(name="tk_fact")
class Fact(BaseModel):
    """A fact with every field type the time kinds read."""

    at: AwareDatetime
    other: AwareDatetime | None = None
    day: date | None = None
    rest_from: time | None = None
    rest_to: time | None = None
    agent: str | None = None
    naive: datetime | None = None
    n: int = 0


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """The test calendar and rota, registered for this module only."""
    with registered_time(calendars={"tk-office": OFFICE}, shift_patterns={"tk-rota": ROTA}):
        yield


def sh(*parts: int) -> datetime:
    """A Shanghai instant."""
    return datetime(*parts, tzinfo=SH)


def policy(when: dict[str, Any], **params: Any) -> Policy:
    """A policy with one rule ``r`` whose condition is ``when``."""
    return Policy(
        id="p", version="1", title="t", fact_type="tk_fact", params=params,
        rules=[{"id": "r", "title": "r", "when": when,
                "then": [{"type": "violation", "code": "X", "message": "m"}]}],
    )


def holds(when: dict[str, Any] | Engine, now: datetime | None = None, **fact: Any) -> bool:
    """Whether the rule matched, checked on both the compiled path and the trace."""
    engine = when if isinstance(when, Engine) else Engine(policy(when))
    decision = engine.evaluate(fact, now=now)
    assert not decision.errors, decision.errors
    matched = decision.rule_ids == ("r",)
    assert decision.trace.for_rule("r").matched is matched
    return matched


def trace_values(when: dict[str, Any], now: datetime | None = None, **fact: Any) -> dict[str, Any]:
    """The values the trace recorded for the rule's condition."""
    decision = Engine(policy(when)).evaluate(fact, now=now)
    return dict(decision.trace.for_rule("r").condition.values)


def words(cond: Any, lang: str) -> str:
    """The condition in plain words."""
    return handler_for(cond).describe(cond, lang, DescribeContext())


def refused(when: dict[str, Any], match: str, **params: Any) -> None:
    """Building the policy fails with a PolicyError matching ``match``."""
    with pytest.raises(PolicyError, match=match):
        policy(when, **params)


class TestRegistry:
    def test_china_is_built_in(self):
        """The built-in china calendar knows 调休 working days and holidays."""
        assert "china" in calendar_names()
        china = get_calendar("china")
        assert china.is_holiday(date(2025, 10, 1))
        assert china.is_working_day(date(2025, 9, 28))  # a Sunday worked in exchange

    def test_unknown_names_list_the_known_ones(self):
        """Looking up an unknown calendar or rota names the registered ones."""
        with pytest.raises(PolicyError, match=r"unknown calendar 'nope' \(known: china, tk-office\)"):
            get_calendar("nope")
        with pytest.raises(PolicyError, match="known: tk-rota"):
            get_shift_pattern("nope")

    def test_taken_name_needs_replace(self):
        """Another calendar under a taken name is refused unless replace=True; the same one is fine."""
        other = BusinessCalendar(timezone="UTC", hours={"mon": "09:00-10:00"})
        with registered_time():
            register_calendar("tk-office", OFFICE)
            with pytest.raises(ValueError, match="already registered"):
                register_calendar("tk-office", other)
            register_calendar("tk-office", other, replace=True)
            assert get_calendar("tk-office") is other
        assert get_calendar("tk-office") is OFFICE

    def test_registered_time_restores(self):
        """Names registered inside the block are gone after it."""
        with registered_time(shift_patterns={"tmp": ROTA}):
            register_shift_pattern("tmp2", ROTA)
            assert {"tmp", "tmp2"} <= set(shift_pattern_names())
        assert "tmp" not in shift_pattern_names()
        assert "tmp2" not in shift_pattern_names()

    def test_bad_names_and_types(self):
        """A name must be a word, and the object a calendar or a pattern."""
        with pytest.raises(ValueError, match="must start with a letter"):
            register_calendar("1 bad", OFFICE)
        with pytest.raises(TypeError, match="BusinessCalendar"):
            register_calendar("x", ROTA)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="ShiftPattern"):
            register_shift_pattern("x", OFFICE)  # type: ignore[arg-type]


class TestNotice:
    WALL: ClassVar[dict[str, Any]] = {"kind": "notice", "since": "at", "until": "other", "op": ">=", "duration": "1d"}

    def test_clock_time(self):
        """A clock duration compares real elapsed time, to the second."""
        assert holds(self.WALL, at=sh(2026, 1, 5, 10), other=sh(2026, 1, 6, 10))
        assert not holds(self.WALL, at=sh(2026, 1, 5, 10), other=sh(2026, 1, 6, 9, 59, 59))

    def test_clock_time_across_zones_and_dst(self):
        """Elapsed time is real time, whatever zones the instants are written in."""
        start = datetime(2026, 3, 28, 12, tzinfo=BERLIN)  # the night before the clocks go forward
        assert not holds(self.WALL, at=start, other=datetime(2026, 3, 29, 12, tzinfo=BERLIN))
        assert holds(self.WALL, at=start, other=datetime(2026, 3, 29, 13, tzinfo=BERLIN))

    def test_business_days_skip_holidays(self):
        """One business day from New Year's Eve skips the holiday."""
        when = {**self.WALL, "duration": "1 business day", "calendar": "tk-office"}
        assert holds(when, at=sh(2025, 12, 31, 10), other=sh(2026, 1, 2, 10))
        assert not holds(when, at=sh(2025, 12, 31, 10), other=sh(2026, 1, 2, 9, 59))

    def test_business_days_count_adjusted_working_days(self):
        """A Sunday worked in exchange (调休) counts as a business day."""
        when = {**self.WALL, "duration": "1 business day", "calendar": "tk-office"}
        assert holds(when, at=sh(2026, 1, 2, 17), other=sh(2026, 1, 4, 17))
        assert not holds(when, at=sh(2026, 1, 2, 17), other=sh(2026, 1, 4, 16))

    def test_business_hours(self):
        """Four business hours from Friday 16:00 end on the worked Sunday at 11:00."""
        when = {**self.WALL, "op": "<", "duration": "4 business hours", "calendar": "tk-office"}
        assert holds(when, at=sh(2026, 1, 2, 16), other=sh(2026, 1, 4, 10, 59))
        assert not holds(when, at=sh(2026, 1, 2, 16), other=sh(2026, 1, 4, 11))

    def test_since_until_now(self):
        """Without until it measures up to now, which must then be given."""
        when = {"kind": "notice", "since": "at", "op": ">=", "duration": "24h"}
        assert holds(when, now=sh(2026, 1, 6, 10), at=sh(2026, 1, 5, 10))
        assert not holds(when, now=sh(2026, 1, 6, 9), at=sh(2026, 1, 5, 10))
        with pytest.raises(TimeError, match="pass now="):
            Engine(policy(when)).evaluate({"at": sh(2026, 1, 5, 10)})

    def test_parameter_and_override_to_business_time(self):
        """A duration parameter works, and an override may switch it to business time."""
        when = {"kind": "notice", "since": "at", "until": "other", "op": ">=", "param": "ahead",
                "calendar": "tk-office"}
        base = policy(when, ahead={"type": "duration", "default": "1d"})
        fact = {"at": sh(2026, 1, 2, 17), "other": sh(2026, 1, 4, 10)}
        assert holds(Engine(base), **fact)  # 41 clock hours
        assert not holds(Engine(base.with_params(ahead="1 business day")), **fact)  # due Sunday 17:00

    def test_missing_value_is_false(self):
        """A missing end instant makes the condition false, not an error."""
        assert not holds(self.WALL, at=sh(2026, 1, 5, 10))

    def test_trace_values(self):
        """The trace shows the business deadline and the working time between."""
        when = {**self.WALL, "duration": "1 business day", "calendar": "tk-office"}
        values = trace_values(when, at=sh(2025, 12, 31, 10), other=sh(2026, 1, 2, 12))
        assert values["1 business day after at"] == sh(2026, 1, 2, 10)
        assert values["working time"] == timedelta(hours=11)
        assert trace_values(self.WALL, at=sh(2026, 1, 5), other=sh(2026, 1, 6))["elapsed"] == timedelta(days=1)

    def test_describe(self):
        """It reads as notice ahead of an event, or as time passed since one."""
        cond = Notice(since="requested_at", until="starts_at", op=">=", duration="2 business days",
                      calendar="china")
        assert words(cond, "en") == (
            "requested at is at least 2 business days ahead of starts at (in the china calendar)")
        assert words(cond, "zh") == "requested at比starts at提前至少2个工作日（按china日历）"
        since = Notice(since="created_at", op=">=", duration="24h")
        assert words(since, "en") == "at least 24 hours have passed since created at"  # as written
        assert words(since, "zh") == "自created at起已过至少24小时"

    @pytest.mark.parametrize(("change", "match"), [
        ({"since": "n"}, "notice needs a datetime field; n is number"),
        ({"until": "day"}, "notice needs a datetime field; day is optional date"),
        ({"duration": "3 business days"}, "business time; name the calendar"),
        ({"duration": "3 business days", "calendar": "nope"}, r"unknown calendar 'nope' \(known: china, tk-office\)"),
        ({"duration": "1.5 business days", "calendar": "tk-office"}, "business days must be whole"),
        ({"duration": None}, "exactly one of 'duration' or 'param'"),
    ])
    def test_static_errors(self, change, match):
        """Wrong field types, business time without a calendar and unknown names are refused."""
        when = {k: v for k, v in {**self.WALL, **change}.items() if v is not None}
        refused(when, match)


class TestTimeOfDay:
    NOON: ClassVar[dict[str, Any]] = {
        "kind": "time_of_day", "path": "at", "op": "<", "time": "12:00", "day_of": "other"}

    def test_before_noon_on_the_related_date(self):
        """Before 12:00 on the date of another instant, to the second."""
        assert holds(self.NOON, at=sh(2026, 1, 8, 11, 59, 59), other=sh(2026, 1, 8, 22))
        assert not holds(self.NOON, at=sh(2026, 1, 8, 12), other=sh(2026, 1, 8, 22))
        assert holds(self.NOON, at=sh(2026, 1, 7, 20), other=sh(2026, 1, 8, 22))

    def test_own_date_when_on_is_omitted(self):
        """Without day_of, the time of day is read on the instant's own date."""
        when = {"kind": "time_of_day", "path": "at", "op": ">=", "time": "18:00"}
        assert holds(when, at=sh(2026, 1, 8, 18))
        assert not holds(when, at=sh(2026, 1, 8, 17, 59))

    def test_days_before(self):
        """``days: -1`` reads the time on the day before."""
        when = {**self.NOON, "op": "<=", "time": "18:00", "days": -1}
        assert holds(when, at=sh(2026, 1, 7, 18), other=sh(2026, 1, 8, 9))
        assert not holds(when, at=sh(2026, 1, 7, 18, 0, 1), other=sh(2026, 1, 8, 9))

    def test_working_days_before(self):
        """``working_days: -1`` before a Monday is the worked Sunday (调休), not Friday."""
        when = {**self.NOON, "time": "18:00", "working_days": -1, "calendar": "tk-office"}
        assert holds(when, at=sh(2026, 1, 4, 17, 59), other=sh(2026, 1, 5, 9))
        assert not holds(when, at=sh(2026, 1, 4, 18), other=sh(2026, 1, 5, 9))

    def test_shift_date_of_a_night_shift(self):
        """With shifts, 00:30 belongs to the late shift that began the day before."""
        when = {**self.NOON, "shifts": "tk-rota"}
        after_midnight = sh(2026, 1, 9, 0, 30)  # Thursday's late shift, still running
        assert holds(when, at=sh(2026, 1, 8, 11), other=after_midnight)
        assert not holds(when, at=sh(2026, 1, 8, 13), other=after_midnight)
        assert holds(self.NOON, at=sh(2026, 1, 8, 13), other=after_midnight)  # calendar date instead
        assert trace_values(when, at=sh(2026, 1, 8, 13), other=after_midnight)["date"] == date(2026, 1, 8)

    def test_time_from_parameter_and_field(self):
        """The time of day may be a time parameter or a time field."""
        when = {**self.NOON, "time": {"param": "cutoff"}}
        engine = Engine(policy(when, cutoff={"type": "time", "default": "12:00"}))
        assert holds(engine, at=sh(2026, 1, 8, 11), other=sh(2026, 1, 8, 22))
        engine = Engine(engine.policies[0].with_params(cutoff="10:00"))
        assert not holds(engine, at=sh(2026, 1, 8, 11), other=sh(2026, 1, 8, 22))
        when = {**self.NOON, "time": {"field": "rest_from"}}
        assert holds(when, at=sh(2026, 1, 8, 11), other=sh(2026, 1, 8, 22), rest_from=time(11, 30))
        assert not holds(when, at=sh(2026, 1, 8, 11), other=sh(2026, 1, 8, 22))  # missing field

    def test_date_field(self):
        """A date field gives the date directly."""
        when = {**self.NOON, "day_of": "day", "tz": "Asia/Shanghai"}
        assert holds(when, at=sh(2026, 1, 8, 11), day=date(2026, 1, 8))
        assert not holds(when, at=sh(2026, 1, 8, 12), day=date(2026, 1, 8))

    def test_zone_makes_the_offset_irrelevant(self):
        """With tz, an instant written in UTC gives the same answer as in Shanghai."""
        when = {**self.NOON, "tz": "Asia/Shanghai"}
        utc = sh(2026, 1, 8, 11).astimezone(UTC)
        assert holds(when, at=utc, other=sh(2026, 1, 8, 22).astimezone(UTC))
        # without a zone, the UTC date of the other instant (Jan 8 14:00Z) and UTC noon are used
        assert holds(self.NOON, at=utc, other=sh(2026, 1, 8, 22).astimezone(UTC))

    def test_trace_values(self):
        """The trace shows the date and the cutoff instant."""
        values = trace_values({**self.NOON, "tz": "Asia/Shanghai"}, at=sh(2026, 1, 8, 13), other=sh(2026, 1, 8, 22))
        assert values["date"] == date(2026, 1, 8)
        assert values["cutoff"] == sh(2026, 1, 8, 12)

    def test_describe(self):
        """It reads as a time of day on a named date."""
        cond = TimeOfDay(path="requested_at", op="<", time="12:00", day_of="shift_start", shifts="rota")
        assert words(cond, "en") == "requested at is before 12:00 on the shift date of shift start"
        assert words(cond, "zh") == "requested at早于shift start所在班次的日期的12:00"
        cond = TimeOfDay(path="a", op="<=", time="18:00", day_of="b", working_days=-2, calendar="china")
        assert words(cond, "en") == (
            "a is no later than 18:00 on 2 working days before the date of b (in the china calendar)")
        assert words(cond, "zh") == "a不晚于b当天前2个工作日的18:00（按china日历）"
        cond = TimeOfDay(path="a", op=">", time="09:00", day_of="b", days=-1)
        assert words(cond, "en") == "a is after 09:00 on the day before the date of b"

    @pytest.mark.parametrize(("change", "match"), [
        ({"op": "=="}, "Input should be"),
        ({"path": "day"}, "time_of_day needs a datetime field; day is optional date"),
        ({"day_of": "n"}, "needs a datetime or date field; n is number"),
        ({"time": "25:00"}, "a time of day must read like"),
        ({"time": {"field": "agent"}}, "must be a time-of-day field; it is optional text"),
        ({"time": {"param": "nope"}}, "unknown parameter 'nope'"),
        ({"working_days": -1}, "'working_days' counts in a calendar"),
        ({"days": 1, "working_days": 1, "calendar": "tk-office"}, "'days' or 'working_days', not both"),
        ({"day_of": "day", "shifts": "tk-rota"}, "'shifts' finds the shift running at an instant"),
        ({"shifts": "nope"}, "unknown shift pattern 'nope'"),
        ({"tz": "Mars/Base"}, "unknown time zone"),
    ])
    def test_static_errors(self, change, match):
        """Wrong field types, unknown names and contradictory options are refused."""
        refused({**self.NOON, **change}, match)


class TestDays:
    HOLIDAY: ClassVar[dict[str, Any]] = {"kind": "on_holiday", "path": "at", "calendar": "tk-office"}
    DAY_OFF: ClassVar[dict[str, Any]] = {"kind": "on_day_off", "path": "at", "calendar": "tk-office"}

    @pytest.mark.parametrize(("when", "holiday", "day_off"), [
        (sh(2026, 1, 1, 10), True, True),     # New Year
        (sh(2026, 1, 3, 10), False, True),    # Saturday
        (sh(2026, 1, 4, 10), False, False),   # Sunday worked in exchange (调休)
        (sh(2026, 1, 5, 10), False, False),   # Monday
    ])
    def test_holidays_and_days_off(self, when, holiday, day_off):
        """Holidays are listed ones; days off are any day without working hours."""
        assert holds(self.HOLIDAY, at=when) is holiday
        assert holds(self.DAY_OFF, at=when) is day_off

    def test_local_date_in_the_calendar_zone(self):
        """An instant written in UTC counts by its Shanghai date."""
        assert holds(self.HOLIDAY, at=datetime(2025, 12, 31, 17, tzinfo=UTC))  # 01:00 on Jan 1 in Shanghai
        assert not holds(self.HOLIDAY, at=datetime(2025, 12, 31, 15, tzinfo=UTC))

    def test_date_field(self):
        """A date field is used as it is."""
        when = {**self.HOLIDAY, "path": "day"}
        assert holds(when, at=sh(2026, 1, 5), day=date(2026, 1, 1))
        assert not holds(when, at=sh(2026, 1, 5))  # missing

    def test_built_in_china(self):
        """National Day is a holiday in the built-in china calendar; the Sunday before is worked."""
        when = {**self.DAY_OFF, "calendar": "china"}
        assert holds(when, at=sh(2025, 10, 1, 10))
        assert not holds(when, at=sh(2025, 9, 28, 10))

    def test_trace_and_describe(self):
        """The trace shows the local date and both answers; the words name the calendar."""
        values = trace_values(self.DAY_OFF, at=sh(2026, 1, 3, 10))
        assert values["date"] == date(2026, 1, 3)
        assert (values["holiday"], values["working day"]) == (False, False)
        assert words(OnHoliday(path="starts_at", calendar="china"), "en") == (
            "starts at falls on a public holiday (in the china calendar)")
        assert words(OnHoliday(path="starts_at", calendar="china"), "zh") == "starts at是法定节假日（按china日历）"
        assert words(OnDayOff(path="d", calendar="x"), "en") == "d falls on a day off (in the x calendar)"
        assert words(OnDayOff(path="d", calendar="x"), "zh") == "d是休息日（按x日历）"

    @pytest.mark.parametrize(("change", "match"), [
        ({"path": "n"}, "on_holiday needs a datetime or date field; n is number"),
        ({"calendar": "nope"}, "unknown calendar 'nope'"),
    ])
    def test_static_errors(self, change, match):
        """Only dates and instants, only known calendars."""
        refused({**self.HOLIDAY, **change}, match)


class TestWorkingHours:
    IN: ClassVar[dict[str, Any]] = {"kind": "in_working_hours", "path": "at", "calendar": "tk-office"}
    OUT: ClassVar[dict[str, Any]] = {"kind": "outside_working_hours", "path": "at", "calendar": "tk-office"}

    @pytest.mark.parametrize(("when", "inside"), [
        (sh(2026, 1, 5, 9), True),
        (sh(2026, 1, 5, 17, 59), True),
        (sh(2026, 1, 5, 18), False),           # half-open: closing time is outside
        (sh(2026, 1, 1, 10), False),           # holiday
        (sh(2026, 1, 4, 10), True),            # worked Sunday
        (datetime(2026, 1, 5, 2, tzinfo=UTC), True),  # 10:00 in Shanghai
    ])
    def test_inside_and_outside(self, when, inside):
        """Inside and outside are each other's opposite for a given instant."""
        assert holds(self.IN, at=when) is inside
        assert holds(self.OUT, at=when) is not inside

    def test_missing_is_neither(self):
        """A missing instant is neither inside nor outside working hours."""
        assert not holds({**self.IN, "path": "other"}, at=sh(2026, 1, 5))
        assert not holds({**self.OUT, "path": "other"}, at=sh(2026, 1, 5))

    def test_trace_and_describe(self):
        """The trace shows the local time and that day's hours."""
        values = trace_values(self.OUT, at=datetime(2026, 1, 5, 11, tzinfo=UTC))
        assert values["local time"] == sh(2026, 1, 5, 19)
        assert values["hours that day"] == "09:00-18:00"
        assert trace_values(self.OUT, at=sh(2026, 1, 1, 11))["hours that day"] == "closed"
        assert words(OutsideWorkingHours(path="called_at", calendar="c"), "en") == (
            "called at is outside working hours (in the c calendar)")
        assert words(InWorkingHours(path="called_at", calendar="c"), "zh") == "called at在工作时间内（按c日历）"

    def test_static_errors(self):
        """A date is not an instant."""
        refused({**self.IN, "path": "day"}, "in_working_hours needs a datetime field")


class TestNightShift:
    NIGHT: ClassVar[dict[str, Any]] = {"kind": "night_shift", "path": "at", "shifts": "tk-rota"}

    @pytest.mark.parametrize(("when", "night"), [
        (sh(2026, 1, 8, 16), True),          # Thursday: first late day
        (sh(2026, 1, 9, 0, 49), True),       # after midnight, still Thursday's shift
        (sh(2026, 1, 9, 0, 50), False),      # shift over
        (sh(2026, 1, 5, 10), False),         # early shift
        (sh(2026, 1, 11, 22), False),        # day off
    ])
    def test_night_shift(self, when, night):
        """Instants in a late shift (including after midnight) are in a night shift."""
        assert holds(self.NIGHT, at=when) is night

    def test_agent_field(self):
        """The agent field picks the agent's own place in the rota."""
        when = {**self.NIGHT, "agent": "agent"}
        assert holds(when, at=sh(2026, 1, 8, 20), agent="li")
        assert not holds(when, at=sh(2026, 1, 8, 20), agent="wang")  # wang's third early day
        assert not holds(when, at=sh(2026, 1, 8, 20))  # no agent given

    def test_unknown_agent_is_a_rule_error(self):
        """An agent the rota does not know is recorded as the rule's error."""
        decision = Engine(policy({**self.NIGHT, "agent": "agent"})).evaluate(
            {"at": sh(2026, 1, 8, 20), "agent": "zhao"})
        assert decision.rule_ids == ()
        assert "unknown agent 'zhao'" in decision.errors[0].message

    def test_trace_and_describe(self):
        """The trace names the shift and its date."""
        values = trace_values(self.NIGHT, at=sh(2026, 1, 9, 0, 30))
        assert values["shift"] == "late 16:00-00:50"
        assert values["shift date"] == date(2026, 1, 8)
        assert words(NightShift(path="at", shifts="rota"), "en") == "at falls in a night shift (rota rota)"
        assert words(NightShift(path="at", shifts="rota"), "zh") == "at处于夜班（rota排班）"

    @pytest.mark.parametrize(("change", "match"), [
        ({"path": "day"}, "night_shift needs a datetime field"),
        ({"shifts": "nope"}, r"unknown shift pattern 'nope' \(known: tk-rota\)"),
        ({"agent": "at"}, "agent must be a text or number field"),
    ])
    def test_static_errors(self, change, match):
        """Only instants, known rotas and text or number agents."""
        refused({**self.NIGHT, **change}, match)


class TestWithinHours:
    REST: ClassVar[dict[str, Any]] = {
        "kind": "within_hours", "path": "at", "start": "22:00", "end": "08:00", "tz": "Asia/Shanghai"}

    @pytest.mark.parametrize(("clock", "inside"), [
        ((22, 0), True), ((23, 30), True), ((0, 0), True), ((7, 59), True),
        ((8, 0), False), ((12, 0), False), ((21, 59), False),
    ])
    def test_window_across_midnight(self, clock, inside):
        """22:00-08:00 contains 22:00 and 07:59, not 08:00 or 21:59."""
        assert holds(self.REST, at=sh(2026, 1, 8, *clock)) is inside

    def test_window_within_a_day_and_empty_window(self):
        """A window within the day works as usual; start == end is empty."""
        lunch = {**self.REST, "start": "12:00", "end": "13:00"}
        assert holds(lunch, at=sh(2026, 1, 8, 12, 30))
        assert not holds(lunch, at=sh(2026, 1, 8, 13))
        assert not holds({**self.REST, "end": "22:00"}, at=sh(2026, 1, 8, 22))

    def test_fields_and_parameters(self):
        """Bounds may be time fields of the fact or time parameters; a missing bound is false."""
        when = {**self.REST, "start": {"field": "rest_from"}, "end": {"field": "rest_to"}}
        assert holds(when, at=sh(2026, 1, 8, 23), rest_from=time(21), rest_to=time(7))
        assert not holds(when, at=sh(2026, 1, 8, 7), rest_from=time(21), rest_to=time(7))
        assert not holds(when, at=sh(2026, 1, 8, 23), rest_from=time(21))
        engine = Engine(policy({**self.REST, "end": {"param": "wake"}}, wake={"type": "time", "default": "09:00"}))
        assert holds(engine, at=sh(2026, 1, 8, 8, 30))

    def test_zone(self):
        """With tz, the instant's local time is read there; without, in the default zone, never its own offset."""
        utc = datetime(2026, 1, 8, 15, tzinfo=UTC)  # 23:00 in Shanghai
        assert holds(self.REST, at=utc)
        own = {k: v for k, v in self.REST.items() if k != "tz"}
        assert holds(own, at=utc)
        assert holds(own, at=utc.astimezone(SH))
        assert not holds({**self.REST, "tz": "Europe/London"}, at=utc)

    def test_trace_and_describe(self):
        """The trace shows the window and the local time."""
        values = trace_values(self.REST, at=datetime(2026, 1, 8, 15, tzinfo=UTC))
        assert values["window"] == "22:00-08:00"
        assert values["local time"] == time(23)
        cond = WithinHours(path="callback_at", start={"field": "rest_from"}, end={"param": "wake"})
        ctx = DescribeContext(params={"wake": time(8)})
        assert handler_for(cond).describe(cond, "en", ctx) == (
            "callback at is from rest from until before 08:00 (wake) local time")
        assert handler_for(cond).describe(cond, "zh", ctx) == (
            "callback at的当地时间在rest from（含）至08:00 (wake)（不含）之间")

    def test_round_trip(self):
        """A literal bound is written back as the bare time it was written as."""
        from csrules import dump_policy, loads_policy

        original = policy({**self.REST, "end": {"param": "wake"}}, wake={"type": "time", "default": "08:00"})
        text = dump_policy(original)
        assert "start: '22:00'" in text
        assert loads_policy(text) == original

    @pytest.mark.parametrize(("change", "match"), [
        ({"path": "day"}, "within_hours needs a datetime field"),
        ({"start": {"field": "at"}}, "must be a time-of-day field; it is datetime"),
        ({"end": {"param": "n"}}, "unknown parameter 'n'"),
        ({"end": {}}, "exactly one of a literal"),
        ({"calendar": "nope"}, "unknown calendar"),
    ])
    def test_static_errors(self, change, match):
        """Bounds must be times; names must be known."""
        refused({**self.REST, **change}, match)


class TestRecurring:
    MEETING: ClassVar[dict[str, Any]] = {
        "kind": "recurring", "path": "at", "op": "==",
        "recurrence": "monthly on the Friday before the 25th", "tz": "Asia/Shanghai"}
    REPORT: ClassVar[dict[str, Any]] = {
        "kind": "recurring", "path": "at", "op": ">", "recurrence": "monthly by the 22nd",
        "period_start": "day", "tz": "Asia/Shanghai"}

    def test_on_the_due_date(self):
        """The Friday before the 25th of January 2026 is the 23rd; the 16th is another Friday."""
        assert holds(self.MEETING, at=sh(2026, 1, 23, 15))
        assert not holds(self.MEETING, at=sh(2026, 1, 16, 15))
        assert holds({**self.MEETING, "op": "!="}, at=sh(2026, 1, 16, 15))
        assert holds(self.MEETING, at=sh(2026, 7, 24, 9))  # July 2026: the 24th

    def test_after_the_due_time(self):
        """A report for January is late from 00:00 on the 23rd."""
        assert holds(self.REPORT, at=sh(2026, 1, 23), day=date(2026, 1, 1))
        assert not holds(self.REPORT, at=sh(2026, 1, 22, 23, 59, 59), day=date(2026, 1, 1))
        assert not holds(self.REPORT, at=sh(2026, 1, 23))  # no period: missing

    def test_due_time_of_the_phrase(self):
        """A phrase with "at 15:00" is due at that time."""
        when = {**self.REPORT, "recurrence": "monthly by the 22nd at 15:00"}
        assert holds(when, at=sh(2026, 1, 22, 15, 0, 1), day=date(2026, 1, 1))
        assert not holds(when, at=sh(2026, 1, 22, 15), day=date(2026, 1, 1))

    def test_trace_and_describe(self):
        """The trace shows the due date and the deadline."""
        values = trace_values(self.REPORT, at=sh(2026, 1, 23), day=date(2026, 1, 1))
        assert values["due date"] == date(2026, 1, 22)
        assert values["due"] == sh(2026, 1, 22, 23, 59, 59, 999999)
        cond = Recurring(**{**self.MEETING, "path": "held_at"})
        assert words(cond, "en") == (
            "held at falls on the next due date of “monthly on the Friday before the 25th” (Asia/Shanghai time)")
        assert words(cond, "zh") == "held at是“monthly on the Friday before the 25th”的到期日（Asia/Shanghai时间）"
        cond = Recurring(**{**self.REPORT, "path": "submitted_at", "period_start": "month"})
        assert words(cond, "en").startswith(
            "submitted at is after the next due time of “monthly by the 22nd” from month")

    @pytest.mark.parametrize(("change", "match"), [
        ({"recurrence": "every shift"}, "per-shift recurrence"),
        ({"recurrence": "now and then"}, "cannot read 'now and then' as a recurrence"),
        ({"period_start": "n"}, "needs a datetime or date field"),
    ])
    def test_static_errors(self, change, match):
        """Unreadable or per-shift recurrences and wrong fields are refused."""
        refused({**self.REPORT, **change}, match)


def test_parse_clock():
    """Clock times read with or without a leading zero and seconds; nonsense is refused."""
    assert parse_clock("9:05") == time(9, 5)
    assert parse_clock("23:59:59") == time(23, 59, 59)
    assert parse_clock(time(8, tzinfo=UTC)) == time(8)
    with pytest.raises(ValueError, match="time of day"):
        parse_clock("24:00")


def test_naive_instant_is_a_rule_error():
    """A naive datetime in the fact is recorded as the rule's error, not guessed at."""
    decision = Engine(policy({"kind": "in_working_hours", "path": "naive", "calendar": "tk-office"})).evaluate(
        {"at": sh(2026, 1, 5), "naive": datetime(2026, 1, 5, 10)})
    assert decision.rule_ids == ()
    assert "timezone-aware" in decision.errors[0].message


# --------------------------------------------------------------------------- properties

PROPERTY_RULES: list[dict[str, Any]] = [
    {"kind": "notice", "since": "at", "until": "other", "op": ">=", "duration": "2 business days",
     "calendar": "tk-office"},
    {"kind": "notice", "since": "at", "op": "<", "duration": "4 business hours", "calendar": "tk-office"},
    {"kind": "notice", "since": "at", "until": "other", "op": ">", "duration": "36h"},
    {"kind": "time_of_day", "path": "at", "op": "<", "time": "12:00", "day_of": "other", "shifts": "tk-rota"},
    {"kind": "time_of_day", "path": "at", "op": ">=", "time": "18:00", "day_of": "other", "working_days": -1,
     "calendar": "tk-office"},
    {"kind": "on_holiday", "path": "at", "calendar": "tk-office"},
    {"kind": "on_day_off", "path": "other", "calendar": "tk-office"},
    {"kind": "in_working_hours", "path": "at", "calendar": "tk-office"},
    {"kind": "outside_working_hours", "path": "other", "calendar": "tk-office"},
    {"kind": "night_shift", "path": "at", "shifts": "tk-rota"},
    {"kind": "within_hours", "path": "at", "start": {"field": "rest_from"}, "end": "08:00", "tz": "Asia/Shanghai"},
    {"kind": "recurring", "path": "at", "op": "==", "recurrence": "monthly on the Friday before the 25th",
     "tz": "Asia/Shanghai"},
    {"kind": "recurring", "path": "at", "op": "<=", "recurrence": "weekly on Monday at 10:00",
     "period_start": "other", "calendar": "tk-office"},
]
ZONES = [UTC, SH, BERLIN, ZoneInfo("America/New_York"), timezone(timedelta(hours=-3, minutes=-30))]

instants = st.datetimes(
    min_value=datetime(2025, 12, 20), max_value=datetime(2026, 4, 10), timezones=st.just(UTC)
)
clock_times = st.times().map(lambda t: t.replace(microsecond=0))


@pytest.fixture(scope="module")
def property_engine():
    """One policy with a rule per time kind (rule ids r0, r1, ...)."""
    return Engine(Policy(
        id="prop", version="1", title="t", fact_type="tk_fact",
        rules=[{"id": f"r{i}", "title": "r", "when": when,
                "then": [{"type": "violation", "code": f"X{i}", "message": "m"}]}
               for i, when in enumerate(PROPERTY_RULES)],
    ))


@settings(max_examples=150, deadline=None)
@given(at=instants, other=instants | st.none(), rest_from=clock_times | st.none(),
       now=instants, zone_a=st.sampled_from(ZONES), zone_b=st.sampled_from(ZONES))
def test_compiled_and_trace_agree_in_any_zone(property_engine, at, other, rest_from, now, zone_a, zone_b):
    """The compiled path and the trace give every rule the same answer, and writing the
    same instants in another zone changes nothing."""

    def fact(zone):
        return {"at": at.astimezone(zone), "other": None if other is None else other.astimezone(zone),
                "rest_from": rest_from}

    first = property_engine.evaluate(fact(zone_a), now=now.astimezone(zone_a))
    assert not first.errors
    traced = tuple(r.rule_id for r in first.trace if r.matched)
    assert first.rule_ids == traced
    second = property_engine.evaluate(fact(zone_b), now=now.astimezone(zone_b))
    assert second.rule_ids == first.rule_ids
