"""Solver translations of the built-in condition kinds, added to the kind table.

Each translation mirrors the engine's compiled code: a comparison reading a missing value is
false, ``not_in`` needs the value present, durations compare in microseconds. ``contains``
becomes a free flag (text search is not looked into, which keeps proofs sound; a
counterexample is then checked through the engine). ``on_holiday`` and ``on_day_off`` read
the calendar's days over the years it lists. Window kinds, for session rules, read their
counts as bounded integers. Kinds left out (business time, shift patterns) are reported as
untranslated.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import z3  # type: ignore[import-untyped, import-not-found, unused-ignore]

from csrules._policy.kinds.base import register_translation
from csrules._policy.kinds.core import ELAPSED_UNITS, EXCEPTIONS, All, Elapsed, coerce_literal
from csrules._policy.kinds.time import OnHoliday
from csrules._policy.kinds.window import window_dump
from csrules._time.calendar import load_zone
from csrules._time.durations import WallDuration, split_days
from csrules._time.nominal import ZONE_FIELD
from csrules._time.registry import DEFAULT_TIME_ZONE, get_calendar
from csrules._verify.encoding import (
    DAY,
    MAX_COUNT,
    Encoding,
    Untranslatable,
    Var,
    clock_micros,
    compare,
    instant,
    micros,
)

__all__ = ["fixed_offset", "local_day", "offset_years"]


def _all(cond: Any, enc: Encoding) -> Any:
    return z3.And(*[enc.condition(c) for c in cond.of]) if cond.of else z3.BoolVal(True, enc.ctx)


def _any(cond: Any, enc: Encoding) -> Any:
    return z3.Or(*[enc.condition(c) for c in cond.of]) if cond.of else z3.BoolVal(False, enc.ctx)


def _not(cond: Any, enc: Encoding) -> Any:
    return z3.Not(enc.condition(cond.condition))


def _typed(var: Var, enc: Encoding) -> None:
    if var.value is None:
        raise Untranslatable("compare", f"{var.path} is {var.info.describe()}")


def _operand(enc: Encoding, present: Any, field: str | None, param: str | None,
             literal: Callable[[], Any]) -> tuple[Any, Any]:
    """A right-hand side given by another field, a parameter or a literal, as a term, with
    ``present`` extended by what it needs present."""
    if field is not None:
        var = enc.field(field)
        _typed(var, enc)
        return z3.And(present, var.present), var.value
    if param is not None:
        return present, enc.param(param)
    return present, literal()


def _compare(cond: Any, enc: Encoding) -> Any:
    left = enc.field(cond.path)
    _typed(left, enc)
    present, right = _operand(enc, left.present, cond.field, cond.param,
                              lambda: enc.literal(left, coerce_literal(left.info, cond.value)))
    return z3.And(present, compare(cond.op, left.value, right))


def _membership(negate: bool) -> Any:
    def translate(cond: Any, enc: Encoding) -> Any:
        var = enc.field(cond.path)
        _typed(var, enc)
        if cond.param is not None:
            values = list(enc.param(cond.param))
        else:
            values = [enc.literal(var, coerce_literal(var.info, v)) for v in cond.value]
        inside = z3.Or(*[var.value == v for v in values]) if values else z3.BoolVal(False, enc.ctx)
        return z3.And(var.present, z3.Not(inside) if negate else inside)

    return translate


def _presence(want: bool) -> Any:
    def translate(cond: Any, enc: Encoding) -> Any:
        present = enc.field(cond.path).present
        return present if want else z3.Not(present)

    return translate


def _span_limit(cond: Any, enc: Encoding) -> Any:
    if cond.param is not None:
        try:
            term = enc.param(cond.param)
        except Untranslatable as exc:
            raise Untranslatable(cond.kind, exc.why) from None
        per = _int_unit(cond, enc)
        return term if per is None else term * micros(per)
    if not isinstance(cond.duration, WallDuration):
        raise Untranslatable(cond.kind, f"{cond.duration} is business time")
    return z3.IntVal(micros(cond.duration.delta), enc.ctx)


def _int_unit(cond: Any, enc: Encoding) -> timedelta | None:
    """One unit of the int parameter an ``elapsed`` reads (a minute for ``unit: minutes``), or
    None for a duration parameter."""
    if enc.declared[cond.param].type != "int":
        return None
    return ELAPSED_UNITS[enc.declared[cond.param].unit]


def _endpoint(path: str | None, enc: Encoding) -> tuple[Any, Any]:
    if path is None:
        return z3.BoolVal(True, enc.ctx), enc.now
    var = enc.field(path)
    _typed(var, enc)
    return var.present, var.value


def _elapsed(cond: Any, enc: Encoding) -> Any:
    if getattr(cond, "calendar", None) is not None:
        raise Untranslatable(cond.kind, f"counts business time in calendar {cond.calendar}")
    since_present, since = _endpoint(cond.since, enc)
    until_present, until = _endpoint(cond.until, enc)
    limit = _span_limit(cond, enc)
    _days_of_24_hours(cond, enc)
    return z3.And(since_present, until_present, compare(cond.op, until - since, limit))


def _days_of_24_hours(cond: Any, enc: Encoding) -> None:
    """The solver compares ``until - since`` with the duration, so a day is 24 hours: true of
    the whole days the engine counts on the wall clock only in a zone that keeps one offset,
    and there only over the years it keeps it (which the proof is then kept to). A duration
    counting whole days in a zone with clock changes (a day of 23 or 25 hours) raises
    Untranslatable: a proof or counterexample would speak of days the engine does not count."""
    if not _may_count_days(cond, enc):
        return
    for zone in _day_zones(cond, enc):
        if fixed_offset(zone) is None:
            raise Untranslatable(cond.kind, f"its duration counts whole days on the wall clock of {zone}, "
                                            "which changes its clocks (a day of 23 or 25 hours)")
        enc.assume_offset(offset_years(zone))


def _may_count_days(cond: Any, enc: Encoding) -> bool:
    """Whether the duration the engine compares may count whole days (``1d``, not ``24h``)."""
    if cond.param is None:
        written = cond.after if cond.kind == "still_open" else cond.duration
        return isinstance(written, WallDuration) and bool(split_days(written)[0])
    per = _int_unit(cond, enc)
    if per is not None:  # an int parameter counts whole days only in unit days
        return per >= timedelta(days=1)
    if enc.free_params:  # any override up to the declared max, written in days or hours
        longest = enc.declared[cond.param].max
        return not (isinstance(longest, WallDuration) and longest.delta < timedelta(days=1))
    value = enc.params[cond.param]
    return isinstance(value, WallDuration) and bool(split_days(value)[0])


def _day_zones(cond: Any, enc: Encoding) -> set[str]:
    """The zones the engine may count the days in: the condition's (a policy's ``timezone``
    fills it), else the policy's (a session deadline), and, for a fact model with a
    ``time_zone`` field, that field's default."""
    zones = {getattr(cond, "days_zone", enc.zone)}
    spec = enc.model.model_fields.get(ZONE_FIELD)
    if spec is not None and isinstance(spec.default, str):
        zones.add(spec.default)
    return zones


@lru_cache(maxsize=64)
def fixed_offset(zone_name: str) -> int | None:
    """The zone's one UTC offset over the years the solver considers, in microseconds, or
    None when it changes (daylight saving): only a fixed offset is translated."""
    zone = load_zone(zone_name)
    offsets = set()
    for year in range(2000, 2100):
        for month in (1, 7):
            offset = datetime(year, month, 1, 12, tzinfo=zone).utcoffset()
            offsets.add(micros(offset or timedelta(0)))
    return offsets.pop() if len(offsets) == 1 else None


def _time_of_day(cond: Any, enc: Encoding) -> Any:
    if cond.calendar is not None or cond.shifts is not None or cond.working_days:
        raise Untranslatable("time_of_day", "reads a calendar or a shift pattern")
    offset = fixed_offset(cond.tz or DEFAULT_TIME_ZONE)
    if offset is None:
        raise Untranslatable("time_of_day", f"the zone {cond.tz or DEFAULT_TIME_ZONE} changes its offset")
    enc.assume_offset(offset_years(cond.tz or DEFAULT_TIME_ZONE))
    present, moment = _endpoint(cond.path, enc)
    if cond.day_of is None:
        day = (moment + offset) / DAY
    else:
        var = enc.field(cond.day_of)
        _typed(var, enc)
        present = z3.And(present, var.present)
        day = (var.value + offset) / DAY if var.sort == "instant" else var.value
    clock = cond.time
    present, clock_term = _operand(enc, present, clock.field, clock.param,
                                   lambda: z3.IntVal(clock_micros(clock.value), enc.ctx))
    cutoff = (day + cond.days) * DAY + clock_term - offset
    return z3.And(present, compare(cond.op, moment, cutoff))


@lru_cache(maxsize=64)
def offset_years(zone_name: str) -> tuple[int, int]:
    """The years around 2000-2099 in which the zone keeps its one offset (as
    :func:`fixed_offset` reads it: in January and July)."""
    zone = load_zone(zone_name)
    fixed = fixed_offset(zone_name)

    def keeps(year: int) -> bool:
        return all(micros(datetime(year, month, 1, 12, tzinfo=zone).utcoffset() or timedelta(0)) == fixed
                   for month in (1, 7))

    first = 2000
    while first > 1 and keeps(first - 1):
        first -= 1
    last = 2099
    while last < 9999 and keeps(last + 1):
        last += 1
    return first, last


def _contains(cond: Any, enc: Encoding) -> Any:
    var = enc.field(cond.path)
    phrases = cond.phrases if cond.param is None else enc.params[cond.param]
    phrases = (phrases,) if isinstance(phrases, str) else tuple(phrases)
    key = ("contains", cond.path, phrases, cond.fold, *(cond.words(name, enc.params) for name in EXCEPTIONS),
           cond.skip_quoted)
    return z3.And(var.present, enc.atom(key, cond))


def _calendar_day(cond: Any, enc: Encoding) -> Any:
    """``on_holiday`` / ``on_day_off``: a flag per field and calendar that, over the days the
    calendar answers for (the years it lists, its fixed holidays in others), is the calendar's
    own answer for the field's local day (so a counterexample's date is one the calendar
    agrees with); free on other days, where the engine cannot answer, which keeps proofs
    sound. A counterexample is kept to the days answered (:attr:`Encoding.judged`)."""
    var = enc.field(cond.path)
    _typed(var, enc)
    key = (cond.kind, cond.path, cond.calendar)
    new = key not in enc.atoms
    flag = enc.atom(key, cond)
    if new:
        calendar = get_calendar(cond.calendar)
        covered, weekly, exceptions = _calendar_days(calendar, cond.kind == "on_day_off")
        assumed = enc.offset_years
        usual = _weekday_in(var, weekly, calendar.timezone, enc)
        listed = _day_in(var, covered, calendar.timezone, enc)
        if usual is not None:
            held = z3.Xor(_day_in(var, exceptions, calendar.timezone, enc), usual)
            enc.domain.append(z3.Implies(listed, flag == held))
        if calendar.holiday_years is not None:  # the engine refuses a day of another year
            enc.judged.append(z3.Implies(var.present, listed))
        if covered and fixed_offset(calendar.timezone) is not None:
            first, last = offset_years(calendar.timezone)
            if first <= covered[0][0].year and covered[-1][1].year <= last:
                enc.offset_years = assumed  # the offset is read only in years it holds in
    return z3.And(var.present, flag)


def _holiday_in_span(cond: Any, enc: Encoding) -> Any:
    """``holiday_in_span``: a flag per span, calendar and notice that the days between the two
    fields do not decide (which keeps proofs sound), but that holds whenever the span's first
    day is a holiday (soon enough after ``since``): that day is read as ``on_holiday`` is."""
    paths = (cond.path, cond.until, *(() if cond.since is None else (cond.since,)))
    key = (cond.kind, *paths, cond.calendar, cond.duration, cond.param)
    new = key not in enc.atoms
    flag = enc.atom(key, cond)
    if new:
        first: Any = OnHoliday(path=cond.path, calendar=cond.calendar)
        if cond.since is not None:
            notice = Elapsed(since=cond.since, until=cond.path, op="<", duration=cond.duration, param=cond.param,
                             tz=get_calendar(cond.calendar).timezone)
            first = All(of=[first, notice])
        with contextlib.suppress(Untranslatable):  # days of 23 or 25 hours: the flag stays free (sound)
            enc.domain.append(z3.Implies(enc.condition(first), flag))
    return z3.And(*(enc.field(path).present for path in paths), flag)


Runs = tuple[tuple[date, date], ...]
"""Runs of consecutive days, each as (first day, last day)."""


@lru_cache(maxsize=16)  # keyed by the calendar's contents: a calendar registered anew is read anew
def _calendar_days(calendar: Any, day_off: bool) -> tuple[Runs, frozenset[int], Runs]:
    """The days the calendar answers for (the years it lists, and its fixed holidays in other
    years), the weekdays (Monday 0) the answer usually holds on, and the days answered where
    the answer is the other one."""
    years = sorted(calendar.holiday_years or ())
    if not years:  # every year answered: the years its explicit days span
        explicit = [*calendar.holidays, *calendar.adjusted_working_days]
        years = list(range(min(explicit).year, max(explicit).year + 1)) if explicit else []

    def answer(day: date) -> bool:
        return (not calendar.is_working_day(day)) if day_off else bool(calendar.is_holiday(day))

    answers: dict[date, bool] = {}
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            answers[day] = answer(day)
            day += timedelta(days=1)
    weekly = frozenset(w for w in range(7)
                       if 2 * sum(a for d, a in answers.items() if d.weekday() == w)
                       > sum(1 for d in answers if d.weekday() == w))
    if calendar.holiday_years is not None:  # a fixed holiday is answered in a year not listed
        answers.update((day, answer(day)) for day in calendar.fixed_holidays if day.year not in years)
    covered: list[tuple[date, date]] = []
    exceptions: list[tuple[date, date]] = []
    for day, answer_held in sorted(answers.items()):
        _extend(covered, day)
        if answer_held != (day.weekday() in weekly):
            _extend(exceptions, day)
    return tuple(covered), weekly, tuple(exceptions)


def _extend(runs: list[tuple[date, date]], day: date) -> None:
    """Add ``day`` to ``runs``, joining the last run when it continues it."""
    if runs and runs[-1][1] + timedelta(days=1) == day:
        runs[-1] = (runs[-1][0], day)
    else:
        runs.append((day, day))


def _day_in(var: Var, runs: Runs, zone_name: str, enc: Encoding) -> Any:
    """Whether ``var``'s day (an instant's local day in ``zone_name``) is in one of ``runs``."""
    day = _local_day(var, zone_name, enc)
    if day is not None:
        term, bounds = day, [(_day_number(first), _day_number(last) + 1) for first, last in runs]
    else:  # a zone whose offset changes: the instants from each run's first local midnight
        zone = load_zone(zone_name)

        def midnight(day: date) -> int:
            return instant(datetime.combine(day, datetime.min.time(), tzinfo=zone))

        term, bounds = var.value, [(midnight(first), midnight(last + timedelta(days=1))) for first, last in runs]
    return z3.Or(*[z3.And(term >= low, term < high) for low, high in bounds]) if bounds else z3.BoolVal(False, enc.ctx)


def _local_day(var: Var, zone_name: str, enc: Encoding) -> Any:
    """``var``'s local day as days since 1970-01-01 (an instant's in ``zone_name``); None for
    an instant in a zone whose offset changes."""
    if var.sort == "date":
        return var.value
    offset = fixed_offset(zone_name)
    if offset is None:
        return None
    enc.assume_offset(offset_years(zone_name))
    return local_day(var.value, offset)


def local_day(moment: Any, offset: int) -> Any:
    """An instant's local day (days since 1970-01-01) in a zone of one UTC ``offset``
    (microseconds)."""
    return (moment + offset) / DAY


def _weekday_in(var: Var, weekdays: frozenset[int], zone_name: str, enc: Encoding) -> Any:
    """Whether ``var``'s day falls on one of ``weekdays``; None when that cannot be read (an
    instant in a zone whose offset changes)."""
    if not weekdays:
        return z3.BoolVal(False, enc.ctx)
    day = _local_day(var, zone_name, enc)
    if day is None:
        return None
    weekday = (day + date(1970, 1, 1).weekday()) % 7  # day 0 is a Thursday
    return z3.Or(*[weekday == w for w in sorted(weekdays)])


def _day_number(day: date) -> int:
    """``day`` as days since 1970-01-01, as date fields are encoded."""
    return day.toordinal() - date(1970, 1, 1).toordinal()


def _window_count(cond: Any, enc: Encoding, matches: Any) -> Any:
    """How many events of the subject in the window match (the current one included when it
    matches): one bounded integer per window and match, shared by every count and nth over
    them, so a property's ``count`` speaks of the same number as a rule's."""
    window = cond.model_dump(mode="json", exclude={"kind", "op", "value", "param", "n", "or_later"})
    window["window"] = window_dump(cond.window)  # naming the default zone or none: one window
    key = json.dumps(window, sort_keys=True, ensure_ascii=False)
    count = enc.counts.get(key)
    if count is None:
        count = enc.counts[key] = z3.Int(f"count{len(enc.counts)}", enc.ctx)
        enc.domain.append(z3.And(count >= 0, count <= MAX_COUNT))
    enc.domain.append(z3.Implies(matches, count >= 1))
    return count


def _count(cond: Any, enc: Encoding) -> Any:
    count = _window_count(cond, enc, enc.condition(cond.match))
    limit = enc.param(cond.param) if cond.param is not None else z3.IntVal(cond.value, enc.ctx)
    return compare(cond.op, count, limit)


def _nth(cond: Any, enc: Encoding) -> Any:
    matches = enc.condition(cond.match)
    rank = _window_count(cond, enc, matches)
    n = enc.param(cond.param) if cond.param is not None else z3.IntVal(cond.n, enc.ctx)
    return z3.And(matches, rank >= n if cond.or_later else rank == n)


def _in_a_row(cond: Any, enc: Encoding) -> Any:
    key = "in_a_row:" + json.dumps(cond.match.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    before = enc.counts.get(key)
    if before is None:
        before = enc.counts[key] = z3.Bool(f"earlier{len(enc.counts)}", enc.ctx)
    return z3.And(enc.condition(cond.match), before)


def _still_open(cond: Any, enc: Encoding) -> Any:
    # fires at a tick: the item opened at 'since' and no closing event came; the closing
    # condition is about other events, so only the time is translated
    since = enc.field(cond.since)
    _typed(since, enc)
    limit = _span_limit(cond, enc) if cond.param is not None else z3.IntVal(micros(cond.after.delta), enc.ctx)
    _days_of_24_hours(cond, enc)
    still = z3.Bool(f"open{len(enc.counts)}", enc.ctx)
    enc.counts[f"open:{len(enc.counts)}"] = still
    return z3.And(since.present, still, enc.now - since.value > limit)


_TRANSLATIONS: dict[str, Any] = {
    "all": _all,
    "any": _any,
    "not": _not,
    "compare": _compare,
    "in": _membership(negate=False),
    "not_in": _membership(negate=True),
    "is_set": _presence(want=True),
    "is_missing": _presence(want=False),
    "elapsed": _elapsed,
    "notice": _elapsed,
    "time_of_day": _time_of_day,
    "contains": _contains,
    "on_holiday": _calendar_day,
    "on_day_off": _calendar_day,
    "holiday_in_span": _holiday_in_span,
    "count": _count,
    "nth": _nth,
    "in_a_row": _in_a_row,
    "still_open": _still_open,
}

for _kind, _translate in _TRANSLATIONS.items():
    register_translation(_kind, _translate)
