"""Time condition kinds (business-time notice, time of day on a related date, holidays,
night shifts, working hours, daily windows), registered in the kinds table.

Each kind names the calendar or shift pattern it needs (``calendar: china``,
``shifts: call-centre``; see :mod:`csrules._time.registry`) and is checked against the
fact model when the policy is built. In a policy file::

    when:
      kind: all
      of:
        - {kind: night_shift, path: leave_starts_at, shifts: call-centre}
        - {kind: time_of_day, path: requested_at, op: ">=", time: "12:00",
           day_of: leave_starts_at, shifts: call-centre}

Conventions (as in :mod:`csrules._time.calendar`): instants must be time-zone aware (a naive one
is a :class:`~csrules.exceptions.TimeError`, recorded as the rule's error); a missing value
makes a condition false; local dates and clock times are read in ``tz``, else in the zone
of ``calendar`` (or ``shifts``), else in :data:`~csrules._time.registry.DEFAULT_TIME_ZONE`
(``Asia/Shanghai``). A policy's ``timezone`` (a pack's) is written into ``tz`` of its
conditions naming none when the policy is built, so they read, and name, that zone. The
answer depends only on the instant, never on the offset it was written with.

The compiled path calls one small callable per condition, bound as a constant of the
generated module; :meth:`evaluate` recomputes the answer step by step for the trace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial
from typing import Annotated, Any, Literal, TypeAlias
from zoneinfo import ZoneInfo

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    field_validator,
    model_serializer,
    model_validator,
)

from csrules._lang import Lang
from csrules._policy.errors import CheckedModel, exactly_one
from csrules._policy.kinds.base import (
    PY_OPS,
    SPAN_EN,
    SPAN_ZH,
    CheckContext,
    CompareOp,
    CompileContext,
    ConditionBase,
    DescribeContext,
    Env,
    aware_field,
    join,
    register_kind,
)
from csrules._policy.kinds.core import known_zone, wall_span
from csrules._policy.trace import TraceNode
from csrules._time.calendar import BusinessCalendar, load_zone, wall_to_utc
from csrules._time.clock import in_daily_window, parse_clock
from csrules._time.durations import MAX_DURATION, BusinessDuration, DurationField, WallDuration
from csrules._time.duties import Recurrence, parse_recurrence
from csrules._time.registry import DEFAULT_TIME_ZONE, calendar_label, get_calendar, get_shift_pattern
from csrules._time.shifts import ShiftPattern
from csrules.exceptions import PolicyError, TimeError

__all__ = [
    "TIME_KINDS",
    "ClockRef",
    "InWorkingHours",
    "NightShift",
    "Notice",
    "OnDayOff",
    "OnHoliday",
    "OutsideWorkingHours",
    "Recurring",
    "TimeOfDay",
    "WithinHours",
]

_BEFORE_EN = {"<": "before", "<=": "no later than", ">": "after", ">=": "at or after"}
_BEFORE_ZH = {"<": "早于", "<=": "不晚于", ">": "晚于", ">=": "不早于"}


# --------------------------------------------------------------------------- shared parts


def _clock_input(value: Any) -> Any:
    if isinstance(value, str | time):
        return {"value": value}
    return value


DayShift = Annotated[StrictInt, Field(ge=-MAX_DURATION.days, le=MAX_DURATION.days)]
"""A whole number of days to move a date by, within the longest duration a policy may give."""


class ClockRef(CheckedModel):
    """A time of day: a literal (``"12:00"``), a ``time`` parameter (``{param: cutoff}``) or a
    ``time`` field of the fact (``{field: customer.rest_from}``).

    A bare string in a policy file is a literal, and a literal is written back as one. Times
    of day are read on the rule's clock: one carrying a UTC offset (literal, parameter or the
    fact's field) is refused rather than converted, since a zone's offset depends on the date.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: time | None = None
    param: str | None = None
    field: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _clock(cls, value: object) -> time | None:
        return None if value is None else local_clock(value, "the literal")

    @model_validator(mode="after")
    def _one_source(self) -> ClockRef:
        exactly_one(self, "a time of day", ("value", "param", "field"),
                    spelled="a literal (\"12:00\"), 'param' or 'field'")
        return self

    @model_serializer(mode="plain")
    def _written(self) -> Any:
        if self.value is not None:
            return _show_clock(self.value)
        return {"param": self.param} if self.param is not None else {"field": self.field}

    def check(self, ctx: CheckContext, at: str) -> None:
        """Raise when the parameter or field is unknown or not a time of day."""
        if self.param is not None:
            ctx.param(self.param, "time", at=at)
        elif self.field is not None:
            info = ctx.field(self.field, at=at)
            if info.kind != "time" or info.is_collection:
                raise ctx.fail(
                    f"{self.field} must be a time-of-day field; it is {info.describe()}",
                    path=self.field,
                    at=(at,),
                )

    def fixed(self, params: dict[str, Any]) -> time | None:
        """The clock time when it does not depend on the fact (literal or parameter)."""
        if self.value is not None:
            return self.value
        if self.param is not None:
            return local_clock(params[self.param], f"parameter {self.param!r}")
        return None

    def read(self, env: Env) -> time | None:
        """The clock time for this fact (None when a field is missing)."""
        fixed = self.fixed(env.params)
        if fixed is not None or self.field is None:
            return fixed
        value = env.get(self.field)
        return None if value is None else local_clock(value, self.field)

    def source(self, ctx: CompileContext) -> tuple[list[str], str]:
        """Guards and the expression of the clock time in compiled code."""
        fixed = self.fixed(ctx.params)
        if fixed is not None:
            return [], ctx.const(fixed)
        assert self.field is not None  # one of the three is set
        guards, value = ctx.access(self.field)
        return guards, f"{ctx.const(partial(local_clock, name=self.field))}({value})"

    def describe(self, lang: Lang, ctx: DescribeContext) -> str:
        """The time in words: ``12:00``, ``12:00 (cutoff)`` or the field's label."""
        if self.value is not None:
            return _show_clock(self.value)
        if self.param is not None:
            return ctx.param(self.param, lang)
        assert self.field is not None
        return ctx.label(self.field, lang)


def local_clock(value: object, name: str) -> time:
    """``value`` as a time of day on the rule's local clock; a time carrying a UTC offset is
    refused (a :class:`TimeError` naming ``name``): a zone's offset depends on the date, and
    dropping the offset silently would move the time."""
    if isinstance(value, time) and value.tzinfo is not None:
        raise TimeError(
            f"{name} is a time of day with a UTC offset ({value.isoformat()}); the rule reads "
            "times of day on its own zone's clock: give it without an offset"
        )
    return parse_clock(value)


ClockField = Annotated[ClockRef, BeforeValidator(_clock_input)]
"""A pydantic field type for :class:`ClockRef` that also reads a bare ``"12:00"``."""


def _show_clock(clock: time) -> str:
    return clock.strftime("%H:%M") if not clock.second else clock.isoformat()


class _TimeKind(ConditionBase):
    """Shared checks of the time kinds' optional ``tz``."""

    @field_validator("tz", mode="after", check_fields=False)
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return known_zone(value)


def _calendar(ctx: CheckContext, name: str) -> BusinessCalendar:
    try:
        return get_calendar(name)
    except PolicyError as exc:
        raise ctx.fail(str(exc), at=("calendar",)) from None


def _pattern(ctx: CheckContext, name: str) -> ShiftPattern:
    try:
        return get_shift_pattern(name)
    except PolicyError as exc:
        raise ctx.fail(str(exc), at=("shifts",)) from None


def _instant_field(ctx: CheckContext, kind: str, path: str, at: str, *, dates: bool = False) -> str:
    """Check that ``path`` is one datetime (or, with ``dates``, date) field; return its kind."""
    info = ctx.field(path, at=at)
    allowed = ("datetime", "date") if dates else ("datetime",)
    if info.kind not in allowed or info.is_collection:
        raise ctx.fail(
            f"{kind} needs a {' or '.join(allowed)} field; {path} is {info.describe()}",
            path=path,
            at=(at,),
        )
    return info.kind


def _zone(tz: str | None, calendar: str | None, shifts: str | None = None) -> ZoneInfo:
    """The zone local times are read in: ``tz``, the calendar's, the pattern's, else the
    default zone (never a value's own offset)."""
    if tz is not None:
        return load_zone(tz)
    if calendar is not None:
        return get_calendar(calendar).zone
    if shifts is not None:
        return get_shift_pattern(shifts).zone
    return load_zone(DEFAULT_TIME_ZONE)


def _in_zone(tz: str | None, calendar: str | None, lang: Lang) -> str:
    if tz is not None:
        return f"（{tz}时间）" if lang == "zh" else f" ({tz} time)"
    if calendar is not None:
        label = calendar_label(calendar)
        return f"（按{label}日历）" if lang == "zh" else f" (in the {label} calendar)"
    return ""


def _local_date(value: date, path: str, zone: tzinfo) -> date:
    """A date field's value, or a datetime field's local date in ``zone`` (never in the value's
    own offset)."""
    if isinstance(value, datetime):
        return aware_field(value, path).astimezone(zone).date()
    return value


def _at(day: date, clock: time, zone: tzinfo) -> datetime:
    """The instant of local ``clock`` on ``day`` in ``zone`` (a gap time: when clocks jump)."""
    wall = datetime.combine(day, clock)
    if isinstance(zone, ZoneInfo):
        return wall_to_utc(wall, zone)
    return wall.replace(tzinfo=zone).astimezone(UTC)


# --------------------------------------------------------------------------- notice


class Notice(_TimeKind):
    """Compares the time from ``since`` to ``until`` (a datetime field, or ``now`` when
    omitted) with a clock duration or, counted in a named ``calendar``, a business one.

    ``{kind: notice, since: requested_at, until: starts_at, op: ">=",
    duration: 2 business days, calendar: china}`` holds for a request on Monday 2026-01-05
    10:00 for leave starting Wednesday 10:00, not for leave starting Tuesday 17:00.

    A business duration ``D`` is met when ``until`` is at or after ``calendar.add(since, D)``
    (so ``>=`` reads "at least D ahead", ``<`` "less than D ahead"); a clock duration compares
    real elapsed time, its whole days counted on the wall clock of the fact's ``time_zone``
    (else ``tz``, which a policy's ``timezone`` fills, else the calendar's zone, else
    Asia/Shanghai): see :mod:`csrules._time.nominal`. Without ``until`` it measures the time
    passed since ``since`` at ``now``.

    .. versionadded:: 0.1
    """

    kind: Literal["notice"] = "notice"
    since: str
    until: str | None = None
    op: CompareOp
    duration: DurationField | None = None
    param: str | None = None
    calendar: str | None = None
    tz: str | None = Field(default=None, description=(
        "the zone whose wall clock counts a clock duration's whole days for a fact without a "
        "time_zone; omitted: the policy's timezone, else the calendar's zone, else Asia/Shanghai"))

    @model_validator(mode="after")
    def _one_duration(self) -> Notice:
        exactly_one(self, "notice", ("duration", "param"))
        return self

    @property
    def days_zone(self) -> str:
        """The zone whose wall clock counts whole days when the fact names no ``time_zone``."""
        if self.tz is not None:
            return self.tz
        return DEFAULT_TIME_ZONE if self.calendar is None else get_calendar(self.calendar).timezone


class _NoticeTest:
    """``since`` -> ``until`` compared with a duration; bound into compiled code (its
    :attr:`wall` instead, where the duration counts whole days on the wall clock)."""

    __slots__ = ("calendar", "delta", "duration", "op", "since", "until", "wall")

    def __init__(self, cond: Notice, duration: WallDuration | BusinessDuration,
                 calendar: BusinessCalendar | None) -> None:
        self.op = PY_OPS[cond.op]
        self.duration = duration
        self.delta = duration.delta if isinstance(duration, WallDuration) else None
        self.calendar = calendar
        self.since, self.until = cond.since, cond.until or "now"  # the fields named in errors
        self.wall = wall_span(duration, cond.op, cond.days_zone, (self.since, self.until))

    def __call__(self, start: datetime, end: datetime) -> bool:
        begin, finish = aware_field(start, self.since), aware_field(end, self.until)
        if self.delta is not None:
            return self.op(finish - begin, self.delta)
        assert self.calendar is not None
        return self.op(finish, self.calendar.add(begin, self.duration).astimezone(UTC))

    def __repr__(self) -> str:
        where = "" if self.calendar is None else f" in {self.calendar.timezone}"
        return f"<notice {self.duration}{where}>"


class _NoticeHandler:
    def check(self, cond: Notice, ctx: CheckContext) -> None:
        _instant_field(ctx, "notice", cond.since, "since")
        if cond.until is not None:
            _instant_field(ctx, "notice", cond.until, "until")
        if cond.param is not None:
            ctx.param(cond.param, "duration")
        if cond.calendar is not None:
            _calendar(ctx, cond.calendar)
        values = [(cond.duration, False)] if cond.param is None else ctx.param_values(cond.param)
        for duration, overridden in values:
            problem = _business_problem(duration, cond.calendar)
            if problem is not None:
                raise ctx.fail_param(problem, cond.param or "", overridden,
                                     "duration" if cond.param is None else "param")

    def _test(self, cond: Notice, params: dict[str, Any]) -> _NoticeTest:
        duration = cond.duration if cond.param is None else params[cond.param]
        if not isinstance(duration, WallDuration | BusinessDuration):
            raise PolicyError(f"notice needs a duration (got {duration!r})")
        problem = _business_problem(duration, cond.calendar)
        if problem is not None:
            raise PolicyError(problem)
        calendar = None if cond.calendar is None else get_calendar(cond.calendar)
        return _NoticeTest(cond, duration, calendar)

    def source(self, cond: Notice, ctx: CompileContext) -> str:
        guards, start = ctx.access(cond.since)
        end = "now"
        if cond.until is not None:
            more, end = ctx.access(cond.until)
            guards = guards + more
        test = self._test(cond, ctx.params)
        if test.wall is not None:  # whole days: counted on the wall clock of the fact's zone
            return join([*guards, f"{ctx.const(test.wall)}({start}, {end}, f)"], "and")
        return join([*guards, f"{ctx.const(test)}({start}, {end})"], "and")

    def evaluate(self, cond: Notice, env: Env) -> TraceNode:
        start = env.get(cond.since)
        end = env.now if cond.until is None else env.get(cond.until)
        values: dict[str, Any] = {cond.since: start, cond.until or "now": end}
        text = self.describe(cond, "en", env.describe)
        if start is None or end is None:
            return TraceNode("notice", text, False, values)
        test = self._test(cond, env.params)
        begin, finish = aware_field(start, test.since), aware_field(end, test.until)
        if test.delta is not None:
            span = finish - begin
            values["elapsed"] = span
            result = (PY_OPS[cond.op](span, test.delta) if test.wall is None
                      else test.wall.explain(start, end, env.fact, values))
        else:
            assert test.calendar is not None
            reached = test.calendar.add(begin, test.duration)
            values[f"{test.duration} after {cond.since}"] = reached
            if begin <= finish:
                values["working time"] = test.calendar.elapsed(begin, finish)
            result = PY_OPS[cond.op](finish, reached)
        return TraceNode("notice", text, result, values)

    def describe(self, cond: Notice, lang: Lang, ctx: DescribeContext) -> str:
        since = ctx.label(cond.since, lang)
        amount = ctx.param_or(cond.param, cond.duration, lang)
        where = "" if cond.calendar is None else _in_zone(None, cond.calendar, lang)
        if cond.until is None:
            if lang == "zh":
                return f"自{since}起已过{SPAN_ZH[cond.op]}{amount}{where}"
            return f"{SPAN_EN[cond.op]} {amount} have passed since {since}{where}"
        until = ctx.label(cond.until, lang)
        if lang == "zh":
            return f"{since}比{until}提前{SPAN_ZH[cond.op]}{amount}{where}"
        return f"{since} is {SPAN_EN[cond.op]} {amount} ahead of {until}{where}"

    def reads_now(self, cond: Notice) -> bool:
        return cond.until is None


def _business_problem(duration: Any, calendar: str | None) -> str | None:
    """Why ``duration`` cannot be counted here (business time needs a calendar and whole
    business days), or None."""
    if not isinstance(duration, BusinessDuration):
        return None
    if calendar is None:
        return f"{duration} is business time; name the calendar to count it in (calendar: china)"
    if duration.unit == "days" and not float(duration.amount).is_integer():
        return f"business days must be whole (got {duration}); use business hours"
    return None


# --------------------------------------------------------------------------- time of day


class TimeOfDay(_TimeKind):
    """Compares the instant at ``path`` with a time of day on a related date: the local date
    of ``day_of`` (a datetime or date field; omitted: of ``path`` itself), moved by ``days``
    calendar days or ``working_days`` working days of ``calendar``.

    ``{kind: time_of_day, path: requested_at, op: "<", time: "12:00", day_of: shift_starts_at}``
    ("asked before 12:00 on the shift date") holds for a request at 11:59 on the day of a
    22:00 shift, not for one at 12:00. With ``shifts: <pattern>``, the date is that of the
    shift running at ``day_of``, so a night shift keeps its start date after midnight.
    (The field is not called ``on``: YAML 1.1 reads a bare ``on`` key as ``true``.)
    ``time`` is a literal, ``{param: name}`` (a ``time`` parameter) or ``{field: path}``.

    .. versionadded:: 0.1
    """

    kind: Literal["time_of_day"] = "time_of_day"
    path: str
    op: Literal["<", "<=", ">", ">="]
    time: ClockField
    day_of: str | None = None
    days: DayShift = 0
    working_days: DayShift = 0
    calendar: str | None = None
    shifts: str | None = None
    agent: str | None = None
    tz: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TimeOfDay:
        if self.days and self.working_days:
            raise ValueError("time_of_day takes 'days' or 'working_days', not both")
        if self.working_days and self.calendar is None:
            raise ValueError("'working_days' counts in a calendar: add calendar: <name>")
        if self.agent is not None and self.shifts is None:
            raise ValueError("'agent' picks a rota in 'shifts'; add shifts: <name>")
        return self


class _TimeOfDayTest:
    """The instant compared with a clock time on a related date; bound into compiled code."""

    __slots__ = ("calendar", "day_of", "days", "op", "path", "pattern", "working_days", "zone")

    def __init__(self, cond: TimeOfDay) -> None:
        self.path, self.day_of = cond.path, cond.day_of or cond.path  # the fields named in errors
        self.op = PY_OPS[cond.op]
        self.zone = _zone(cond.tz, cond.calendar, cond.shifts)
        self.calendar = None if cond.calendar is None else get_calendar(cond.calendar)
        self.pattern = None if cond.shifts is None else get_shift_pattern(cond.shifts)
        self.days = timedelta(days=cond.days)
        self.working_days = cond.working_days

    def day(self, on: date, agent: Any) -> date:
        """The local date (in the condition's zone) the time of day is read on."""
        if isinstance(on, datetime):
            moment = aware_field(on, self.day_of)
            occurrence = None
            if self.pattern is not None:
                occurrence = self.pattern.shift_at(moment, self.pattern.agent_offset(agent))
            day = occurrence.shift_date if occurrence is not None else moment.astimezone(self.zone).date()
        else:
            day = on
        if self.working_days:
            assert self.calendar is not None
            day = self.calendar.add_working_days(day, self.working_days)
        return day + self.days

    def cutoff(self, on: date, clock: time, agent: Any) -> datetime:
        """The instant the condition compares with."""
        return _at(self.day(on, agent), clock, self.zone)

    def __call__(self, instant: datetime, on: date, clock: time, agent: Any) -> bool:
        return self.op(aware_field(instant, self.path), self.cutoff(on, clock, agent))

    def __repr__(self) -> str:
        return f"<time_of_day {self.zone}>"


def _check_agent(ctx: CheckContext, agent: str | None, shifts: str | None) -> None:
    """The optional field naming whose rota applies must be one text or number, naming the
    agents of a rota that registers some (its value is looked up there, never an offset)."""
    if agent is None:
        return
    info = ctx.field(agent, at="agent")
    if info.kind not in ("text", "number") or info.is_collection:
        raise ctx.fail(f"agent must be a text or number field; {agent} is {info.describe()}", at=("agent",))
    if shifts is not None and not _pattern(ctx, shifts).agents:
        raise ctx.fail(f"agent: shift pattern {shifts!r} registers no agents for {agent} to name", at=("agent",))


def _agent_access(ctx: CompileContext, agent: str | None) -> tuple[list[str], str]:
    """Guards and the expression of the optional agent field (``None`` without one)."""
    return ([], "None") if agent is None else ctx.access(agent)


class _TimeOfDayHandler:
    def check(self, cond: TimeOfDay, ctx: CheckContext) -> None:
        _instant_field(ctx, "time_of_day", cond.path, "path")
        on_kind = "datetime"
        if cond.day_of is not None:
            on_kind = _instant_field(ctx, "time_of_day", cond.day_of, "day_of", dates=True)
        cond.time.check(ctx, "time")
        if cond.calendar is not None:
            _calendar(ctx, cond.calendar)
        if cond.shifts is not None:
            _pattern(ctx, cond.shifts)
            if on_kind == "date":
                raise ctx.fail(
                    f"{cond.day_of} is a date; 'shifts' finds the shift running at an instant",
                    at=("shifts",),
                )
        _check_agent(ctx, cond.agent, cond.shifts)

    def source(self, cond: TimeOfDay, ctx: CompileContext) -> str:
        guards, instant = ctx.access(cond.path)
        on = instant
        if cond.day_of is not None:
            more, on = ctx.access(cond.day_of)
            guards += more
        more, clock = cond.time.source(ctx)
        guards += more
        more, agent = _agent_access(ctx, cond.agent)
        guards += more
        test = ctx.const(_TimeOfDayTest(cond))
        return join([*guards, f"{test}({instant}, {on}, {clock}, {agent})"], "and")

    def evaluate(self, cond: TimeOfDay, env: Env) -> TraceNode:
        instant = env.get(cond.path)
        on = instant if cond.day_of is None else env.get(cond.day_of)
        clock = cond.time.read(env)
        agent = None if cond.agent is None else env.get(cond.agent)
        values: dict[str, Any] = {cond.path: instant}
        if cond.day_of is not None:
            values[cond.day_of] = on
        if cond.time.field is not None or cond.time.param is not None:
            values[cond.time.field or cond.time.param or "time"] = clock
        text = self.describe(cond, "en", env.describe)
        if instant is None or on is None or clock is None or (cond.agent is not None and agent is None):
            return TraceNode("time_of_day", text, False, values)
        test = _TimeOfDayTest(cond)
        cutoff = test.cutoff(on, clock, agent)
        values["date"] = test.day(on, agent)
        values["cutoff"] = cutoff.astimezone(test.zone)
        result = PY_OPS[cond.op](aware_field(instant, cond.path), cutoff)
        return TraceNode("time_of_day", text, result, values)

    def describe(self, cond: TimeOfDay, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        clock = cond.time.describe(lang, ctx)
        if cond.day_of is None:
            base = "当天" if lang == "zh" else "the same day"
        else:
            on = ctx.label(cond.day_of, lang)
            if cond.shifts is not None:
                base = f"{on}所在班次的日期" if lang == "zh" else f"the shift date of {on}"
            else:
                base = f"{on}当天" if lang == "zh" else f"the date of {on}"
        shift = cond.days or cond.working_days
        unit_zh = "个工作日" if cond.working_days else "天"
        unit_en = "working day" if cond.working_days else "day"
        where = _in_zone(cond.tz, cond.calendar, lang)
        if lang == "zh":
            if shift:
                base = f"{base}{'前' if shift < 0 else '后'}{abs(shift)}{unit_zh}"
            return f"{label}{_BEFORE_ZH[cond.op]}{base}的{clock}{where}"
        if shift in (-1, 1) and cond.days:
            base = f"the day {'before' if shift < 0 else 'after'} {base}"
        elif shift:
            plural = "s" if abs(shift) != 1 else ""
            base = f"{abs(shift)} {unit_en}{plural} {'before' if shift < 0 else 'after'} {base}"
        return f"{label} is {_BEFORE_EN[cond.op]} {clock} on {base}{where}"

    def reads_now(self, cond: TimeOfDay) -> bool:
        return False


# --------------------------------------------------------------------------- days and hours


class OnHoliday(ConditionBase):
    """Holds when the date at ``path`` (a date, or an instant's local date in the calendar's
    zone) is a public holiday of ``calendar``.

    ``{kind: on_holiday, path: starts_at, calendar: china}`` holds for 2025-10-01 (National
    Day), not for 2025-09-28 (a Sunday worked in exchange, 调休).

    .. versionadded:: 0.1
    """

    kind: Literal["on_holiday"] = "on_holiday"
    path: str
    calendar: str


class OnDayOff(ConditionBase):
    """Holds when the date at ``path`` has no working hours in ``calendar``: a weekend, a
    public holiday or a closure, but not a weekend made a working day (调休).

    ``{kind: on_day_off, path: starts_at, calendar: china}`` holds for Saturday 2026-01-10,
    not for Sunday 2025-09-28 (worked in exchange for the National Day holiday).

    .. versionadded:: 0.1
    """

    kind: Literal["on_day_off"] = "on_day_off"
    path: str
    calendar: str


class _DayTest:
    """Whether a date (or instant's local date) is a holiday / a day off; compiled-code callable."""

    __slots__ = ("calendar", "day_off", "path", "zone")

    def __init__(self, calendar: BusinessCalendar, day_off: bool, path: str = "path") -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self.day_off = day_off
        self.path = path

    def local_date(self, value: date) -> date:
        """``value`` itself, or an instant's local date in the calendar's zone."""
        return _local_date(value, self.path, self.zone)

    def __call__(self, value: date) -> bool:
        day = self.local_date(value)
        if self.day_off:
            return not self.calendar.is_working_day(day)
        return self.calendar.is_holiday(day)

    def __repr__(self) -> str:
        return f"<{'day off' if self.day_off else 'holiday'} in {self.calendar.timezone}>"


_CalendarCondition: TypeAlias = "OnHoliday | OnDayOff | InWorkingHours | OutsideWorkingHours"
"""The kinds testing one field against a named calendar."""


class _CalendarPathHandler:
    """What the kinds testing one field against a named calendar share: the check, the
    compiled call of a bound test, and never reading ``now``."""

    #: Whether a date field is accepted besides an instant.
    dates = False

    def test_for(self, calendar: BusinessCalendar, path: str) -> Callable[[Any], bool]:
        """The callable the compiled code binds for ``calendar`` and the field ``path``."""
        raise NotImplementedError

    def evaluate(self, cond: _CalendarCondition, env: Env) -> TraceNode:
        value = env.get(cond.path)
        values: dict[str, Any] = {cond.path: value}
        text = self.describe(cond, "en", env.describe)
        result = value is not None and self.explain(cond, get_calendar(cond.calendar), value, values)
        return TraceNode(cond.kind, text, result, values)

    def explain(self, cond: _CalendarCondition, calendar: BusinessCalendar, value: Any,
                values: dict[str, Any]) -> bool:
        """Whether the present ``value`` passes; what the test read goes into ``values``."""
        raise NotImplementedError

    def describe(self, cond: _CalendarCondition, lang: Lang, ctx: DescribeContext) -> str:
        return self.phrase(ctx.label(cond.path, lang), _in_zone(None, cond.calendar, lang), lang)

    def phrase(self, label: str, where: str, lang: Lang) -> str:
        """The condition in words, for the field named ``label`` and the zone words ``where``."""
        raise NotImplementedError

    def check(self, cond: _CalendarCondition, ctx: CheckContext) -> None:
        _instant_field(ctx, cond.kind, cond.path, "path", dates=self.dates)
        _calendar(ctx, cond.calendar)

    def source(self, cond: _CalendarCondition, ctx: CompileContext) -> str:
        guards, value = ctx.access(cond.path)
        test = ctx.const(self.test_for(get_calendar(cond.calendar), cond.path))
        return join([*guards, f"{test}({value})"], "and")

    def reads_now(self, cond: _CalendarCondition) -> bool:
        return False


class _DayHandler(_CalendarPathHandler):
    dates = True

    def __init__(self, day_off: bool) -> None:
        self.day_off = day_off

    def test_for(self, calendar: BusinessCalendar, path: str) -> Callable[[Any], bool]:
        return _DayTest(calendar, self.day_off, path)

    def explain(self, cond: _CalendarCondition, calendar: BusinessCalendar, value: Any,
                values: dict[str, Any]) -> bool:
        day = _DayTest(calendar, self.day_off, cond.path).local_date(value)
        values["date"] = day
        values["holiday"] = calendar.is_holiday(day)
        values["working day"] = calendar.is_working_day(day)
        if calendar.is_estimated(day):  # a guessed year must not read as fact to a reviewer
            values["estimated"] = f"{day.year}'s holidays are an estimate ({calendar.holiday_source})"
        return bool(not values["working day"] if self.day_off else values["holiday"])

    def phrase(self, label: str, where: str, lang: Lang) -> str:
        if lang == "zh":
            return f"{label}{'是休息日' if self.day_off else '是法定节假日'}{where}"
        return f"{label} falls on {'a day off' if self.day_off else 'a public holiday'}{where}"


class InWorkingHours(ConditionBase):
    """Holds when the instant at ``path`` lies in the working hours of ``calendar``.

    ``{kind: in_working_hours, path: called_at, calendar: china}`` holds for Monday
    2026-01-05 10:00 (Shanghai), not for 19:00 that day nor for 2026-01-01 (New Year).

    .. versionadded:: 0.1
    """

    kind: Literal["in_working_hours"] = "in_working_hours"
    path: str
    calendar: str


class OutsideWorkingHours(ConditionBase):
    """Holds when the instant at ``path`` lies outside the working hours of ``calendar``
    (a missing instant is neither inside nor outside: the condition is false).

    ``{kind: outside_working_hours, path: called_at, calendar: china}`` holds for Monday
    2026-01-05 19:00 (Shanghai), not for 10:00 that day.

    .. versionadded:: 0.1
    """

    kind: Literal["outside_working_hours"] = "outside_working_hours"
    path: str
    calendar: str


class _HoursTest:
    """Whether an instant is (or is not) in working time; compiled-code callable."""

    __slots__ = ("calendar", "inside", "path")

    def __init__(self, calendar: BusinessCalendar, inside: bool, path: str) -> None:
        self.calendar = calendar
        self.inside = inside
        self.path = path

    def __call__(self, instant: datetime) -> bool:
        return self.calendar.is_working_time(aware_field(instant, self.path)) is self.inside

    def __repr__(self) -> str:
        return f"<{'in' if self.inside else 'outside'} working hours of {self.calendar.timezone}>"


class _HoursHandler(_CalendarPathHandler):
    def __init__(self, inside: bool) -> None:
        self.inside = inside

    def test_for(self, calendar: BusinessCalendar, path: str) -> Callable[[Any], bool]:
        return _HoursTest(calendar, self.inside, path)

    def explain(self, cond: _CalendarCondition, calendar: BusinessCalendar, value: Any,
                values: dict[str, Any]) -> bool:
        local = aware_field(value, cond.path).astimezone(calendar.zone)
        values["local time"] = local
        hours = calendar.working_hours(local.date())
        values["hours that day"] = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in hours) or "closed"
        # the decision's own test: same-zone datetimes compare by wall clock, wrong in a DST fold
        return _HoursTest(calendar, self.inside, cond.path)(value)

    def phrase(self, label: str, where: str, lang: Lang) -> str:
        if lang == "zh":
            return f"{label}在工作时间{'内' if self.inside else '外'}{where}"
        return f"{label} is {'within' if self.inside else 'outside'} working hours{where}"


# --------------------------------------------------------------------------- shifts


class NightShift(ConditionBase):
    """Holds when the instant at ``path`` falls in a shift flagged ``night`` of the registered
    shift pattern ``shifts`` (for the agent named by the field ``agent``, else offset 0).

    With a 16:00-00:50 night shift worked six days on from Monday 2026-01-05,
    ``{kind: night_shift, path: starts_at, shifts: call-centre}`` holds for 2026-01-06 00:30
    (Monday's shift, after midnight), not for 2026-01-05 12:00.

    .. versionadded:: 0.1
    """

    kind: Literal["night_shift"] = "night_shift"
    path: str
    shifts: str
    agent: str | None = None


class _NightTest:
    """Whether an instant is in a night shift; compiled-code callable."""

    __slots__ = ("path", "pattern")

    def __init__(self, pattern: ShiftPattern, path: str) -> None:
        self.pattern = pattern
        self.path = path

    def __call__(self, instant: datetime, agent: Any) -> bool:
        return self.pattern.is_night_shift(aware_field(instant, self.path), self.pattern.agent_offset(agent))

    def __repr__(self) -> str:
        return f"<night shift of {self.pattern.timezone} pattern>"


def _read_pair(env: Env, path: str, other: str | None) -> tuple[Any, Any, dict[str, Any]]:
    """The value at ``path``, the value at the optional companion field ``other`` (None when
    the condition names none), and both as the trace shows them."""
    value = env.get(path)
    values: dict[str, Any] = {path: value}
    second = None
    if other is not None:
        second = values[other] = env.get(other)
    return value, second, values


class _NightHandler:
    def check(self, cond: NightShift, ctx: CheckContext) -> None:
        _instant_field(ctx, "night_shift", cond.path, "path")
        _pattern(ctx, cond.shifts)
        _check_agent(ctx, cond.agent, cond.shifts)

    def source(self, cond: NightShift, ctx: CompileContext) -> str:
        guards, value = ctx.access(cond.path)
        more, agent = _agent_access(ctx, cond.agent)
        guards = guards + more
        test = ctx.const(_NightTest(get_shift_pattern(cond.shifts), cond.path))
        return join([*guards, f"{test}({value}, {agent})"], "and")

    def evaluate(self, cond: NightShift, env: Env) -> TraceNode:
        value, agent, values = _read_pair(env, cond.path, cond.agent)
        text = self.describe(cond, "en", env.describe)
        if value is None or (cond.agent is not None and agent is None):
            return TraceNode("night_shift", text, False, values)
        pattern = get_shift_pattern(cond.shifts)
        occurrence = pattern.shift_at(aware_field(value, cond.path), pattern.agent_offset(agent))
        values["shift"] = "none" if occurrence is None else str(occurrence.shift)
        if occurrence is not None:
            values["shift date"] = occurrence.shift_date
        result = occurrence is not None and occurrence.night
        return TraceNode("night_shift", text, result, values)

    def describe(self, cond: NightShift, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        if lang == "zh":
            return f"{label}处于夜班（{cond.shifts}排班）"
        return f"{label} falls in a night shift ({cond.shifts} rota)"

    def reads_now(self, cond: NightShift) -> bool:
        return False


# --------------------------------------------------------------------------- daily windows


class WithinHours(_TimeKind):
    """Holds when the local time of day of the instant at ``path`` lies in the daily window
    ``[start, end)``; a window with ``end`` before ``start`` crosses midnight, and one with
    ``end`` equal to ``start`` is empty.

    ``{kind: within_hours, path: callback_at, start: {field: customer.rest_from},
    end: {field: customer.rest_until}, tz: Asia/Shanghai}`` holds for a callback at 23:00
    when the customer rests 22:00-08:00, not for one at 08:00.

    .. versionadded:: 0.1
    """

    kind: Literal["within_hours"] = "within_hours"
    path: str
    start: ClockField
    end: ClockField
    tz: str | None = None
    calendar: str | None = None


class _WindowTest:
    """Whether an instant's local time lies in a daily window; compiled-code callable."""

    __slots__ = ("path", "zone")

    def __init__(self, zone: ZoneInfo, path: str = "path") -> None:
        self.zone = zone
        self.path = path

    def local(self, instant: datetime) -> time:
        """The instant's local time of day in the zone."""
        return aware_field(instant, self.path).astimezone(self.zone).time()

    def __call__(self, instant: datetime, start: time, end: time) -> bool:
        return in_daily_window(self.local(instant), start, end)

    def __repr__(self) -> str:
        return f"<daily window in {self.zone}>"


class _WithinHandler:
    def check(self, cond: WithinHours, ctx: CheckContext) -> None:
        _instant_field(ctx, "within_hours", cond.path, "path")
        cond.start.check(ctx, "start")
        cond.end.check(ctx, "end")
        if cond.calendar is not None:
            _calendar(ctx, cond.calendar)

    def source(self, cond: WithinHours, ctx: CompileContext) -> str:
        guards, value = ctx.access(cond.path)
        more, start = cond.start.source(ctx)
        guards += more
        more, end = cond.end.source(ctx)
        guards += more
        test = ctx.const(_WindowTest(_zone(cond.tz, cond.calendar), cond.path))
        return join([*guards, f"{test}({value}, {start}, {end})"], "and")

    def evaluate(self, cond: WithinHours, env: Env) -> TraceNode:
        value = env.get(cond.path)
        start, end = cond.start.read(env), cond.end.read(env)
        values: dict[str, Any] = {cond.path: value, "window": f"{_clock_or(start)}-{_clock_or(end)}"}
        text = self.describe(cond, "en", env.describe)
        if value is None or start is None or end is None:
            return TraceNode("within_hours", text, False, values)
        local = _WindowTest(_zone(cond.tz, cond.calendar), cond.path).local(value)
        values["local time"] = local
        result = in_daily_window(local, start, end)
        return TraceNode("within_hours", text, result, values)

    def describe(self, cond: WithinHours, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        start, end = cond.start.describe(lang, ctx), cond.end.describe(lang, ctx)
        where = _in_zone(cond.tz, cond.calendar, lang)
        if lang == "zh":  # 至 alone reads as inclusive: the window ends before its end
            return f"{label}的当地时间在{start}（含）至{end}（不含）之间{where}"
        return f"{label} is from {start} until before {end} local time{where}"

    def reads_now(self, cond: WithinHours) -> bool:
        return False


# --------------------------------------------------------------------------- recurring dates


def _recurrence_input(value: Any) -> Any:
    return parse_recurrence(value) if isinstance(value, str) else value


def _recurrence_output(value: Recurrence) -> Any:
    return value.text if value.text else value.model_dump(mode="json", exclude_defaults=True)


RecurrenceField = Annotated[
    Recurrence,
    BeforeValidator(_recurrence_input),
    PlainSerializer(_recurrence_output),
]
"""A recurrence written as a phrase (``"monthly by the 22nd"``) or in structured form."""


class Recurring(_TimeKind):
    """Compares the instant at ``path`` with the next due time of a ``recurrence``: the first
    due date on or after the local date of ``period_start`` (a date or datetime field;
    omitted: of ``path`` itself), at the recurrence's ``at`` time or else the end of that day.

    ``==`` / ``!=`` compare local dates: ``{kind: recurring, path: held_at, op: "==",
    recurrence: "monthly on the Friday before the 25th", tz: Asia/Shanghai}`` holds for a
    meeting on Friday 2026-01-23, not for one on Friday 2026-01-16. The ordering operators
    compare instants: ``{kind: recurring, path: submitted_at, op: ">", recurrence: "monthly
    by the 22nd", period_start: month}`` (a late report) holds for 2026-01-23 00:00 when
    ``month`` is 2026-01-01, not for 2026-01-22 23:59.

    .. versionadded:: 0.1
    """

    kind: Literal["recurring"] = "recurring"
    path: str
    op: CompareOp
    recurrence: RecurrenceField
    period_start: str | None = None
    tz: str | None = None
    calendar: str | None = None

    @model_validator(mode="after")
    def _not_per_shift(self) -> Recurring:
        if self.recurrence.freq == "shift":
            raise ValueError("a per-shift recurrence has no dates; use night_shift or a Duty")
        return self


class _RecurringTest:
    """The instant compared with the next due time of a recurrence; compiled-code callable."""

    __slots__ = ("cache", "clock", "op", "path", "recurrence", "same_day", "start", "zone")

    def __init__(self, cond: Recurring) -> None:
        self.path, self.start = cond.path, cond.period_start or cond.path  # the fields named in errors
        self.recurrence = cond.recurrence
        self.zone = _zone(cond.tz, cond.calendar)
        self.clock = cond.recurrence.at or time.max
        self.same_day = cond.op in ("==", "!=")
        self.op = PY_OPS[cond.op]
        self.cache: dict[date, date] = {}

    def due_date(self, day: date) -> date:
        """The first due date on or after ``day``."""
        due = self.cache.get(day)
        if due is None:
            midnight = datetime.combine(day, time(0))
            found = self.recurrence.rule(midnight).after(midnight, inc=True)
            if found is None:
                raise TimeError(f"{self.recurrence.describe()} never falls due on or after {day}")
            due = found.date()
            if len(self.cache) >= 10_000:
                self.cache.clear()
            self.cache[day] = due
        return due

    def local(self, value: date) -> date:
        """The local date of ``period_start`` (or of ``path`` without one) in the rule's zone."""
        return _local_date(value, self.start, self.zone)

    def __call__(self, instant: datetime, start: date) -> bool:
        moment = aware_field(instant, self.path)
        due = self.due_date(self.local(start))
        if self.same_day:
            return self.op(moment.astimezone(self.zone).date(), due)
        return self.op(moment, _at(due, self.clock, self.zone))

    def __repr__(self) -> str:
        return f"<recurring {self.recurrence.describe()!r}>"


class _RecurringHandler:
    def check(self, cond: Recurring, ctx: CheckContext) -> None:
        _instant_field(ctx, "recurring", cond.path, "path")
        if cond.period_start is not None:
            _instant_field(ctx, "recurring", cond.period_start, "period_start", dates=True)
        if cond.calendar is not None:
            _calendar(ctx, cond.calendar)

    def source(self, cond: Recurring, ctx: CompileContext) -> str:
        guards, instant = ctx.access(cond.path)
        start = instant
        if cond.period_start is not None:
            more, start = ctx.access(cond.period_start)
            guards = guards + more
        test = ctx.const(_RecurringTest(cond))
        return join([*guards, f"{test}({instant}, {start})"], "and")

    def evaluate(self, cond: Recurring, env: Env) -> TraceNode:
        instant, start, values = _read_pair(env, cond.path, cond.period_start)
        start = instant if cond.period_start is None else start
        text = self.describe(cond, "en", env.describe)
        if instant is None or start is None:
            return TraceNode("recurring", text, False, values)
        test = _RecurringTest(cond)
        due = test.due_date(test.local(start))
        values["due date"] = due
        if test.same_day:
            local = _local_date(instant, test.path, test.zone)
            values["local date"] = local
            result = PY_OPS[cond.op](local, due)
        else:
            deadline = _at(due, test.clock, test.zone).astimezone(test.zone)
            values["due"] = deadline
            result = PY_OPS[cond.op](aware_field(instant, cond.path), deadline)
        return TraceNode("recurring", text, result, values)

    def describe(self, cond: Recurring, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        phrase = f"“{cond.recurrence.describe()}”"
        where = _in_zone(cond.tz, None, lang)
        if cond.tz is None and cond.calendar is not None:  # only the zone: "22日前" is not moved
            named = calendar_label(cond.calendar)
            where = (
                f"（按{named}日历的时区；到期日遇节假日不顺延）"
                if lang == "zh"
                else f" (dates in the {named} calendar's zone; a holiday does not move the due date)"
            )
        start = None if cond.period_start is None else ctx.label(cond.period_start, lang)
        if lang == "zh":
            base = f"{start}起" if start else ""
            if cond.op in ("==", "!="):
                return f"{label}{'是' if cond.op == '==' else '不是'}{base}{phrase}的到期日{where}"
            return f"{label}{_BEFORE_ZH[cond.op]}{base}{phrase}的到期时间{where}"
        base = f" from {start}" if start else ""
        if cond.op in ("==", "!="):
            verb = "falls" if cond.op == "==" else "does not fall"
            return f"{label} {verb} on the next due date of {phrase}{base}{where}"
        return f"{label} is {_BEFORE_EN[cond.op]} the next due time of {phrase}{base}{where}"

    def reads_now(self, cond: Recurring) -> bool:
        return False


def _clock_or(clock: time | None) -> str:
    return "?" if clock is None else _show_clock(clock)


TIME_KINDS: tuple[type[ConditionBase], ...] = (
    Notice,
    TimeOfDay,
    OnHoliday,
    OnDayOff,
    InWorkingHours,
    OutsideWorkingHours,
    NightShift,
    WithinHours,
    Recurring,
)
"""The condition classes this module adds to the kinds table."""

register_kind(Notice, _NoticeHandler())
register_kind(TimeOfDay, _TimeOfDayHandler())
register_kind(OnHoliday, _DayHandler(day_off=False))
register_kind(OnDayOff, _DayHandler(day_off=True))
register_kind(InWorkingHours, _HoursHandler(inside=True))
register_kind(OutsideWorkingHours, _HoursHandler(inside=False))
register_kind(NightShift, _NightHandler())
register_kind(WithinHours, _WithinHandler())
register_kind(Recurring, _RecurringHandler())
