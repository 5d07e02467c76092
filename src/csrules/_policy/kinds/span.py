"""The ``holiday_in_span`` condition kind: a public holiday on any day a span of time covers.

``on_holiday`` reads one instant's date; a leave or a shift covers several dates, and a rule
about holiday leave must read every one of them (a leave from 30 September to 2 October
falls on National Day though it starts the day before). In a policy file::

    - {kind: holiday_in_span, path: shift_start, until: end, calendar: china}
    - {kind: holiday_in_span, path: shift_start, until: end, calendar: china,
       since: requested_at, param: holiday_notice}

The dates are the local dates, in the calendar's zone, that ``[path, until)`` covers any part
of (a span ending at midnight does not cover the next day). With ``since`` and a duration the
condition holds only when the span's first instant on a holiday (``path`` itself on the first
day, else the holiday's local midnight) comes less than the duration after ``since``: the
notice given for the holiday part of the span is short. The duration's whole days fall on the
wall clock of the fact's ``time_zone``, else the calendar's zone (``2d`` before a holiday at
00:00 is 00:00 two local dates before, also across a clock change); hours are elapsed time.
A date in a year the calendar has no schedule for raises
:class:`~csrules.exceptions.CalendarError` (the rule's error), never a guess. It is a kind of
its own, so readers that know ``on_holiday`` only (proofs, columnar audits) treat it as a kind
they do not read rather than as a one-day test.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import model_validator

from csrules._lang import Lang
from csrules._policy.errors import exactly_one
from csrules._policy.kinds.base import (
    CheckContext,
    CompileContext,
    ConditionBase,
    DescribeContext,
    Env,
    aware_field,
    join,
    register_kind,
)
from csrules._policy.kinds.core import wall_span
from csrules._policy.kinds.time import _calendar, _in_zone, _instant_field
from csrules._policy.trace import TraceNode
from csrules._time.calendar import BusinessCalendar, ensure_aware, wall_to_utc
from csrules._time.durations import DurationField, WallDuration
from csrules._time.registry import get_calendar
from csrules.exceptions import PolicyError

__all__ = ["HolidayInSpan", "first_holiday", "first_holiday_date"]


class HolidayInSpan(ConditionBase):
    """Holds when a public holiday of ``calendar`` falls on a local date the span from
    ``path`` to ``until`` covers; with ``since`` and ``duration`` (or ``param``), only when
    the span reaches its first holiday less than that duration after ``since``.

    ``{kind: holiday_in_span, path: start, until: end, calendar: china}`` holds for leave
    from 2026-09-30 08:30 to 2026-10-02 16:30 (National Day), not for leave ending at
    midnight on 2026-10-01.

    .. versionadded:: 0.2
    """

    kind: Literal["holiday_in_span"] = "holiday_in_span"
    path: str
    until: str
    calendar: str
    since: str | None = None
    duration: DurationField | None = None
    param: str | None = None

    @model_validator(mode="after")
    def _notice(self) -> HolidayInSpan:
        if self.since is not None:
            exactly_one(self, "holiday_in_span with since", ("duration", "param"))
        elif self.duration is not None or self.param is not None:
            raise ValueError("holiday_in_span: a duration or param needs since (the instant the notice runs from)")
        return self


def first_holiday(calendar: BusinessCalendar, start: datetime, end: datetime) -> datetime | None:
    """The first instant of ``[start, end)`` on a public holiday of ``calendar`` (local dates
    in its zone): ``start`` when its own date is a holiday, else that date's local midnight;
    None when no date the span covers is a holiday. Dates are asked in order, so a year the
    calendar does not cover raises only when no earlier date already answered.

    >>> from csrules._time.registry import get_calendar
    >>> from zoneinfo import ZoneInfo
    >>> zone = ZoneInfo("Asia/Shanghai")
    >>> first_holiday(get_calendar("china"), datetime(2026, 9, 30, 8, 30, tzinfo=zone),
    ...               datetime(2026, 10, 2, 16, 30, tzinfo=zone)).isoformat()
    '2026-09-30T16:00:00+00:00'
    """
    begin, finish = ensure_aware(start, "path"), ensure_aware(end, "until")
    zone = calendar.zone
    first = begin.astimezone(zone).date()
    # a date is covered when its first instant comes before the end: up to the end's, less a tick
    day = first_holiday_date(calendar, first, (finish - timedelta(microseconds=1)).astimezone(zone).date())
    if day is None:
        return None
    return begin if day == first else wall_to_utc(datetime.combine(day, time(0)), zone)


def first_holiday_date(calendar: BusinessCalendar, first: date, last: date) -> date | None:
    """The first public holiday of ``calendar`` from ``first`` to ``last`` (local dates, asked in
    order, so a year without data raises only when no earlier date answered); None when none is."""
    day = first
    while day <= last:
        if calendar.is_holiday(day):
            return day
        day += timedelta(days=1)
    return None


class _SpanTest:
    """Whether a span reaches a holiday (soon enough); a compiled-code callable."""

    __slots__ = ("calendar", "delta", "paths", "wall")

    def __init__(self, cond: HolidayInSpan, duration: WallDuration | None) -> None:
        self.calendar = get_calendar(cond.calendar)
        self.delta = None if duration is None else duration.delta
        self.paths = (cond.path, cond.until, cond.since or "since")  # the fields named in errors
        # whole days of the notice fall on the wall clock of the fact's zone, else the calendar's
        self.wall = wall_span(duration, "<", self.calendar.timezone, (self.paths[2], "first holiday"))

    def first(self, start: datetime, end: datetime) -> datetime | None:
        """The first instant of the span on a holiday (:func:`first_holiday`)."""
        path, until, _ = self.paths
        return first_holiday(self.calendar, aware_field(start, path), aware_field(end, until))

    def notice(self, found: datetime, since: datetime) -> timedelta:
        """The time from ``since`` to the first holiday ``found``."""
        return found - aware_field(since, self.paths[2])

    def __call__(self, start: datetime, end: datetime, since: datetime | None = None, fact: object = None,
                 values: dict[str, Any] | None = None) -> bool:
        """Whether the span from ``start`` to ``end`` reaches a holiday, with ``since``: less
        than the notice after it (``values``: a trace's, told where the notice ends)."""
        found = self.first(start, end)
        if found is None or self.delta is None:
            return found is not None
        assert since is not None
        if self.wall is None:
            return self.notice(found, since) < self.delta
        if values is not None:
            return self.wall.explain(since, found, fact, values)
        return self.wall(since, found, fact)

    def __repr__(self) -> str:
        return f"<holiday in span, {self.calendar.timezone}>"


class _SpanHandler:
    def check(self, cond: HolidayInSpan, ctx: CheckContext) -> None:
        _instant_field(ctx, cond.kind, cond.path, "path")
        _instant_field(ctx, cond.kind, cond.until, "until")
        if cond.since is not None:
            _instant_field(ctx, cond.kind, cond.since, "since")
        if cond.param is not None:
            ctx.param(cond.param, "duration")
        _calendar(ctx, cond.calendar)
        values = [(cond.duration, False)] if cond.param is None else ctx.param_values(cond.param)
        for duration, overridden in values:
            if duration is not None and not isinstance(duration, WallDuration):
                raise ctx.fail_param(f"holiday_in_span counts clock time, not {duration}", cond.param or "",
                                     overridden, "duration" if cond.param is None else "param")

    def _test(self, cond: HolidayInSpan, params: dict[str, Any]) -> _SpanTest:
        duration = cond.duration if cond.param is None else params[cond.param]
        if duration is not None and not isinstance(duration, WallDuration):
            raise PolicyError(f"holiday_in_span needs a clock duration (got {duration!r})")
        return _SpanTest(cond, duration)

    def source(self, cond: HolidayInSpan, ctx: CompileContext) -> str:
        guards, args = [], []
        for path in (cond.path, cond.until, *(() if cond.since is None else (cond.since,))):
            more, value = ctx.access(path)
            guards += more
            args.append(value)
        test = ctx.const(self._test(cond, ctx.params))
        fact = ", f" if cond.since is not None else ""  # the fact's zone counts the notice's days
        return join([*guards, f"{test}({', '.join(args)}{fact})"], "and")

    def evaluate(self, cond: HolidayInSpan, env: Env) -> TraceNode:
        paths = (cond.path, cond.until, *(() if cond.since is None else (cond.since,)))
        values: dict[str, Any] = {path: env.get(path) for path in paths}
        text = self.describe(cond, "en", env.describe)
        if any(value is None for value in values.values()):
            return TraceNode(cond.kind, text, False, values)
        test = self._test(cond, env.params)
        found = test.first(values[cond.path], values[cond.until])
        values["first holiday"] = found.astimezone(test.calendar.zone) if found is not None else None
        if found is not None and test.calendar.is_estimated(found.astimezone(test.calendar.zone).date()):
            values["estimated"] = f"{found.year}'s holidays are an estimate ({test.calendar.holiday_source})"
        if found is not None and cond.since is not None:
            values["notice"] = test.notice(found, values[cond.since])
        since = None if cond.since is None else values[cond.since]
        held = test(values[cond.path], values[cond.until], since, env.fact, values)
        return TraceNode(cond.kind, text, held, values)

    def describe(self, cond: HolidayInSpan, lang: Lang, ctx: DescribeContext) -> str:
        start, end = ctx.label(cond.path, lang), ctx.label(cond.until, lang)
        where = _in_zone(None, cond.calendar, lang)
        if cond.since is None:
            if lang == "zh":
                return f"{start}至{end}期间有法定节假日{where}"
            return f"a public holiday falls between {start} and {end}{where}"
        since = ctx.label(cond.since, lang)
        amount = ctx.param_or(cond.param, cond.duration, lang)
        if lang == "zh":
            return f"{start}至{end}期间的第一个法定节假日距{since}不足{amount}{where}"
        return f"the first public holiday between {start} and {end} comes less than {amount} after {since}{where}"

    def reads_now(self, cond: HolidayInSpan) -> bool:
        return False


register_kind(HolidayInSpan, _SpanHandler())
