"""Shift patterns: named shifts (some crossing midnight) worked in a repeating rotation.

A :class:`ShiftPattern` is a cycle of days, each listing the shifts worked that day, laid
over the calendar from an ``anchor`` date. Agents work the same cycle shifted by a number
of days (their *offset*), so one pattern describes a whole staggered team. Dates come from
:func:`dateutil.rrule.rrule` (``DAILY`` with ``interval`` = cycle length, one rule per
cycle day); :meth:`ShiftPattern.shift_at` answers by the equivalent modular arithmetic.

A shift that crosses midnight belongs to the date it *started*: the 16:00-00:50 shift of
Monday still runs at Tuesday 00:30 and is Monday's shift. Times follow the conventions of
:mod:`csrules._time.calendar` (aware instants, half-open ``[start, end)``, local wall clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar, Final
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, rrule
from pydantic import (
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from csrules._errors import ConvertedModel
from csrules._time.calendar import (
    WEEKDAYS,
    ZonedModel,
    _weekday_range,
    as_local,
    ensure_aware,
    flat_day,
    load_zone,
    naive_clock,
    wall_to_utc,
    within_dates,
)
from csrules.exceptions import CalendarError, TimeError

__all__ = ["Shift", "ShiftOccurrence", "ShiftPattern"]

_DAY: Final = timedelta(days=1)
_CACHE_LIMIT: Final = 50_000
_OFF: Final = frozenset({"", "off", "rest", "休", "休息"})


def _seconds(clock: time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second


class Shift(ConvertedModel):
    """A named shift from ``start`` to ``end`` local time; ``end <= start`` ends next day.

    >>> late = Shift(name="late", start="16:00", end="00:50", night=True)
    >>> late.crosses_midnight, late.length
    (True, datetime.timedelta(seconds=31800))

    ``end`` equal to ``start`` raises :class:`~csrules.exceptions.CalendarError`.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    # every way of building one (init, model_validate*, a nested field) checks it once and
    # raises a CalendarError
    _error: ClassVar[Any] = CalendarError
    _what: ClassVar[str] = "invalid shift"

    name: str = Field(min_length=1)
    start: time
    end: time
    night: bool = False

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        if isinstance(value, str) and value.strip() == "24:00":
            return time(0)
        return value

    @field_validator("start", "end")
    @classmethod
    def _naive_clock(cls, value: time) -> time:
        return naive_clock(value, "shift times")

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.start == self.end:
            raise CalendarError(
                f"shift {self.name!r} starts and ends at {self.start.isoformat('minutes')};"
                " a shift must have a length (got start == end)"
            )
        return self

    @property
    def crosses_midnight(self) -> bool:
        """Whether the shift ends on the day after it starts (``16:00-00:00`` does)."""
        return self.end <= self.start

    @property
    def length(self) -> timedelta:
        """Wall-clock length (real length differs by an hour across a DST change)."""
        seconds = (_seconds(self.end) - _seconds(self.start)) % 86400
        return timedelta(seconds=seconds)

    def __str__(self) -> str:
        return f"{self.name} {self.start.isoformat('minutes')}-{self.end.isoformat('minutes')}"


@dataclass(frozen=True, slots=True)
class ShiftOccurrence:
    """One worked shift: which shift, its shift date, and its real start and end.

    ``shift_date`` is the local date the shift started, also for the part after midnight.

    With ``pattern`` from the :class:`ShiftPattern` example:

    >>> occ = pattern.shift_at(datetime(2026, 1, 6, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    >>> occ.name, occ.shift_date
    ('late', datetime.date(2026, 1, 5))

    .. versionadded:: 0.1
    """

    shift: Shift
    shift_date: date
    start: datetime
    end: datetime

    @property
    def name(self) -> str:
        """The shift's name."""
        return self.shift.name

    @property
    def night(self) -> bool:
        """Whether it is a night shift."""
        return self.shift.night

    def contains(self, instant: datetime) -> bool:
        """Whether aware ``instant`` lies in ``[start, end)``."""
        return self.start <= ensure_aware(instant) < self.end

    def at(self, clock: time) -> datetime:
        """``clock`` local time on the shift date, e.g. "before 12:00 on the day".

        >>> night = datetime(2026, 1, 6, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
        >>> pattern.shift_at(night).at(time(12)).isoformat()
        '2026-01-05T12:00:00+08:00'
        """
        zone = self.start.tzinfo
        if not isinstance(zone, ZoneInfo):  # always true: built by ShiftPattern
            raise CalendarError(f"shift occurrence has no IANA zone (got {zone!r})")
        wall = datetime.combine(self.shift_date, naive_clock(clock, "clock times given to at()", TimeError))
        return wall_to_utc(wall, zone).astimezone(zone)


_Occurrence = tuple[datetime, datetime, Shift]  # (start UTC, end UTC, shift)


class ShiftPattern(ZonedModel):
    """Shifts worked in a repeating cycle of days, in one time zone.

    >>> pattern = ShiftPattern.on_off(
    ...     timezone="Asia/Shanghai",
    ...     shifts=[Shift(name="late", start="16:00", end="00:50", night=True)],
    ...     shift="late", on=6, off=1, anchor=date(2026, 1, 5),
    ... )
    >>> pattern.shift_at(datetime(2026, 1, 6, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))).shift_date
    datetime.date(2026, 1, 5)

    Fields: ``cycle[k]`` lists the shifts worked on day ``k`` of the cycle (``[]`` or
    ``"off"``: day off); day 0 falls on ``anchor`` for offset 0, and an agent with offset
    ``o`` reaches day 0 ``o`` days later. ``agents`` maps agent names to offsets.

    Two shifts of the same cycle day that overlap, or a shift running into the next cycle
    day's first shift, raise :class:`~csrules.exceptions.CalendarError`, so each instant
    belongs to at most one shift per agent. A cycle with no shifts at all is an error too.

    .. versionadded:: 0.1
    """

    _kind_name: ClassVar[str] = "shift pattern"

    shifts: tuple[Shift, ...]
    cycle: tuple[tuple[str, ...], ...]
    anchor: date
    agents: dict[str, int] = Field(default_factory=dict)

    if TYPE_CHECKING:
        _core: _PatternCore

    @field_validator("cycle", mode="before")
    @classmethod
    def _cycle_days(cls, value: object) -> object:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise CalendarError(f"cycle must be a list of days (got {value!r})")
        days: list[tuple[str, ...]] = []
        for day in value:
            if day is None or (isinstance(day, str) and day.strip().lower() in _OFF):
                days.append(())
            elif isinstance(day, str):
                days.append((day,))
            else:
                days.append(tuple(day))
        return tuple(days)

    @model_validator(mode="after")
    def _consistent(self) -> ShiftPattern:
        names = [shift.name for shift in self.shifts]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise CalendarError(f"shift names must be unique (got {duplicates} twice)")
        if not self.cycle:
            raise CalendarError("cycle must have at least one day (got [])")
        known = set(names)
        for index, day in enumerate(self.cycle):
            unknown = [name for name in day if name not in known]
            if unknown:
                raise CalendarError(
                    f"cycle day {index} names unknown shifts {unknown}; known: {sorted(known)}"
                )
        if not any(self.cycle):
            raise CalendarError("the shift pattern is empty: no cycle day has a shift")
        self._check_overlaps({shift.name: shift for shift in self.shifts})
        return self

    def _check_overlaps(self, by_name: Mapping[str, Shift]) -> None:
        length = len(self.cycle)
        for index, day in enumerate(self.cycle):
            today = [(_seconds(by_name[n].start), by_name[n]) for n in day]
            spans = [(s, s + int(shift.length.total_seconds()), shift, 0) for s, shift in today]
            following = self.cycle[(index + 1) % length]
            spans += [(_seconds(by_name[n].start) + 86400, 0, by_name[n], 1) for n in following]
            spans.sort(key=lambda item: item[0])
            for first, second in pairwise(spans):
                if first[3] == 0 and second[0] < first[1]:
                    where = "the same day" if second[3] == 0 else "the next cycle day"
                    raise CalendarError(
                        f"cycle day {index}: shift {first[2]} overlaps {second[2]} on {where};"
                        " an agent can work only one shift at a time"
                    )

    def _make_core(self) -> _PatternCore:
        return _PatternCore(self)

    # ------------------------------------------------------------------ constructors

    @classmethod
    def on_off(
        cls,
        *,
        timezone: str,
        shifts: Sequence[Shift],
        shift: str | Sequence[str],
        on: int,
        off: int,
        anchor: date,
        agents: Mapping[str, int] | None = None,
    ) -> ShiftPattern:
        """``on`` days working ``shift`` then ``off`` days off, e.g. six on, one off.

        >>> day = Shift(name="day", start="09:00", end="18:00")
        >>> p = ShiftPattern.on_off(timezone="UTC", shifts=[day], shift="day", on=6, off=1,
        ...                         anchor=date(2026, 1, 5))
        >>> len(p.cycle)
        7
        """
        if on < 1 or off < 0:
            raise CalendarError(f"on must be >= 1 and off >= 0 (got on={on}, off={off})")
        worked = (shift,) if isinstance(shift, str) else tuple(shift)
        return cls(
            timezone=timezone,
            shifts=tuple(shifts),
            cycle=(worked,) * on + ((),) * off,
            anchor=anchor,
            agents=dict(agents or {}),
        )

    @classmethod
    def weekly(
        cls,
        *,
        timezone: str,
        shifts: Sequence[Shift],
        days: Mapping[str, str | Sequence[str]],
        agents: Mapping[str, int] | None = None,
    ) -> ShiftPattern:
        """The same shifts every week: ``days={"mon": "early", "sat": ["early", "late"]}``.

        >>> early = Shift(name="early", start="07:00", end="15:00")
        >>> ShiftPattern.weekly(timezone="UTC", shifts=[early], days={"mon": "early"}).cycle[0]
        ('early',)
        """
        cycle: list[tuple[str, ...]] = [() for _ in WEEKDAYS]
        seen: set[str] = set()
        for key, worked in days.items():
            for day in _weekday_range(key):
                if day in seen:
                    raise CalendarError(f"days: {day} is given twice (in {key!r})")
                seen.add(day)
                cycle[WEEKDAYS.index(day)] = (worked,) if isinstance(worked, str) else tuple(worked)
        return cls(
            timezone=timezone,
            shifts=tuple(shifts),
            cycle=tuple(cycle),
            anchor=date(2001, 1, 1),  # a Monday, so cycle day 0 is Monday
            agents=dict(agents or {}),
        )

    # ------------------------------------------------------------------ queries

    @property
    def zone(self) -> ZoneInfo:
        """The pattern's time zone."""
        return self._core.zone

    def _offset(self, agent: str | int) -> int:
        if isinstance(agent, bool):
            raise CalendarError(f"agent must be a name or a day offset (got {agent!r})")
        if isinstance(agent, int):
            return agent
        if agent in self.agents:
            return self.agents[agent]
        raise CalendarError(f"unknown agent {agent!r}; known agents: {sorted(self.agents)}")

    def agent_offset(self, value: object) -> int:
        """The day offset of the agent a fact's field names; ``None`` (no agent field) is 0.

        A field value is always an agent's *name*, looked up in ``agents`` by its text: staff
        number 1017 is agent ``"1017"``. A value not registered is an error, never read as a
        raw day offset, so a mistyped staff number cannot silently pick another rota line.

        >>> pattern.agent_offset(None)
        0
        """
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise CalendarError(f"agent must be a name or staff number (got {value!r})")
        key = str(value)
        if key not in self.agents:
            raise CalendarError(
                f"unknown agent {value!r}: the shift pattern registers"
                f" {sorted(self.agents) or 'no agents'} (add it to agents)"
            )
        return self.agents[key]

    @within_dates("instant")
    def shift_at(self, instant: datetime, agent: str | int = 0) -> ShiftOccurrence | None:
        """The shift ``agent`` (name or day offset) is working at ``instant``, if any.

        ``pattern`` as in the class example (16:00-00:50, six days on from Monday 5 Jan):

        >>> pattern.shift_at(datetime(2026, 1, 5, 12, tzinfo=ZoneInfo("Asia/Shanghai"))) is None
        True
        """
        core = self._core
        local = as_local(instant, core.zone)
        offset = agent if type(agent) is int else self._offset(agent)
        today = local.toordinal()
        if core.flat(today):
            # A shift running at ``instant`` started today or (crossing midnight) yesterday.
            for ordinal in (today, today - 1):
                for occurrence in core.worked(ordinal, offset):
                    if occurrence.start <= local < occurrence.end:
                        return occurrence
            return None
        utc = local.astimezone(UTC)
        for day in (local.date(), local.date() - _DAY):
            for item in core.day(day, offset):
                if item[0] <= utc < item[1]:
                    return core.occurrence(day, item)
        return None

    def is_night_shift(self, instant: datetime, agent: str | int = 0) -> bool:
        """Whether ``agent`` is on a shift flagged ``night`` at ``instant``.

        >>> pattern.is_night_shift(datetime(2026, 1, 5, 23, tzinfo=ZoneInfo("Asia/Shanghai")))
        True
        """
        occurrence = self.shift_at(instant, agent)
        return occurrence is not None and occurrence.night

    @within_dates("after")
    def next_shift(self, after: datetime, agent: str | int = 0) -> ShiftOccurrence:
        """The first shift of ``agent`` starting strictly after ``after``.

        >>> pattern.next_shift(datetime(2026, 1, 5, 17, tzinfo=ZoneInfo("UTC"))).name
        'late'
        """
        utc = ensure_aware(after)
        offset = self._offset(agent)
        core = self._core
        day = utc.astimezone(core.zone).date() - _DAY
        # Every cycle has a shift, so one cycle (plus the day before) is enough.
        for _ in range(len(self.cycle) + 3):
            for item in core.day(day, offset):
                if item[0] > utc:
                    return core.occurrence(day, item)
            day += _DAY
        raise CalendarError(f"no shift found after {after.isoformat()}")  # pragma: no cover

    def next_shift_start(self, after: datetime, agent: str | int = 0) -> datetime:
        """When ``agent``'s next shift starts (strictly after ``after``).

        >>> pattern.next_shift_start(datetime(2026, 1, 10, 17, tzinfo=ZoneInfo("Asia/Shanghai")))
        datetime.datetime(2026, 1, 12, 16, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))
        """
        return self.next_shift(after, agent).start

    def rules(self, agent: str | int = 0, around: date | None = None) -> list[tuple[str, rrule]]:
        """One ``(shift name, rrule)`` per shift in the cycle, giving its start times.

        ``around`` moves each rule's ``dtstart`` to the last cycle start on or before it
        (rrule only runs forwards), so queries near ``around`` stay cheap.

        >>> [name for name, _ in pattern.rules()][:1]
        ['late']
        """
        offset = self._offset(agent)
        length = len(self.cycle)
        base = around or self.anchor
        by_name = self._core.by_name
        out: list[tuple[str, rrule]] = []
        for index, day in enumerate(self.cycle):
            first = self.anchor + timedelta(days=offset + index)
            first = base - timedelta(days=(base - first).days % length)
            for name in day:
                start = datetime.combine(first, by_name[name].start)
                out.append((name, rrule(DAILY, interval=length, dtstart=start)))
        return out

    @within_dates("start")
    def occurrences(
        self, start: datetime, end: datetime, agent: str | int = 0
    ) -> list[ShiftOccurrence]:
        """Shifts of ``agent`` that overlap ``[start, end)``, in order (via rrule).

        >>> a = datetime(2026, 1, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
        >>> len(pattern.occurrences(a, a + timedelta(days=7)))
        6
        """
        low = ensure_aware(start, "start")
        high = ensure_aware(end, "end")
        core = self._core
        first_day = low.astimezone(core.zone).date() - _DAY
        last_day = high.astimezone(core.zone).date()
        window_low = datetime.combine(first_day, time(0))
        window_high = datetime.combine(last_day, time.max)
        found: list[ShiftOccurrence] = []
        for name, rule in self.rules(agent, around=first_day):
            shift = core.by_name[name]
            for wall in rule.between(window_low, window_high, inc=True):
                begin = wall_to_utc(wall, core.zone)
                finish = wall_to_utc(wall + shift.length, core.zone)
                if begin < finish and begin < high and finish > low:
                    found.append(core.occurrence(wall.date(), (begin, finish, shift)))
        found.sort(key=lambda occ: occ.start)
        return found


class _PatternCore:
    """A pattern's lookup tables on plain attributes, for the hot paths."""

    __slots__ = (
        "anchor",
        "anchor_ordinal",
        "by_name",
        "cache",
        "days",
        "flats",
        "length",
        "occurrences",
        "zone",
    )

    def __init__(self, pattern: ShiftPattern) -> None:
        self.zone = load_zone(pattern.timezone)
        self.anchor = pattern.anchor
        self.anchor_ordinal = pattern.anchor.toordinal()
        self.length = len(pattern.cycle)
        self.by_name = {shift.name: shift for shift in pattern.shifts}
        # Built before the after-validators run: tolerate unknown names they will reject.
        self.days = tuple(
            tuple(self.by_name[n] for n in day if n in self.by_name) for day in pattern.cycle
        )
        self.cache: dict[tuple[date, int], tuple[_Occurrence, ...]] = {}
        self.occurrences: dict[int, tuple[ShiftOccurrence, ...]] = {}
        self.flats: dict[int, bool] = {}

    def flat(self, ordinal: int) -> bool:
        """Whether the zone keeps one offset from the day before date ``ordinal`` to the
        day after it: every shift that can be running then lies inside that window, so
        comparing datetimes in the zone as they stand is comparing instants; cached."""
        found = self.flats.get(ordinal)
        if found is None:
            zone = self.zone
            try:
                found = all(flat_day(zone, date.fromordinal(ordinal + d)) for d in (-1, 0, 1))
            except (ValueError, OverflowError):  # the first or last date there is
                found = False
            if len(self.flats) >= _CACHE_LIMIT:
                self.flats.clear()
            self.flats[ordinal] = found
        return found

    def worked(self, ordinal: int, offset: int) -> tuple[ShiftOccurrence, ...]:
        """:meth:`day` as ready occurrences (shared: they are immutable); cached."""
        position = (ordinal - self.anchor_ordinal - offset) % self.length
        key = ordinal * self.length + position
        found = self.occurrences.get(key)
        if found is None:
            day = date.fromordinal(ordinal)
            found = tuple(self.occurrence(day, item) for item in self.day(day, offset))
            if len(self.occurrences) >= _CACHE_LIMIT:
                self.occurrences.clear()
            self.occurrences[key] = found
        return found

    def day(self, day: date, offset: int) -> tuple[_Occurrence, ...]:
        """The shifts an agent with ``offset`` starts on local date ``day``, by start; cached."""
        position = ((day - self.anchor).days - offset) % self.length
        key = (day, position)
        cached = self.cache.get(key)
        if cached is None:
            out: list[_Occurrence] = []
            for shift in self.days[position]:
                start_wall = datetime.combine(day, shift.start)
                start = wall_to_utc(start_wall, self.zone)
                end = wall_to_utc(start_wall + shift.length, self.zone)
                if start < end:
                    out.append((start, end, shift))
            cached = tuple(sorted(out, key=lambda item: item[0]))
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = cached
        return cached

    def occurrence(self, day: date, item: _Occurrence) -> ShiftOccurrence:
        start, end, shift = item
        return ShiftOccurrence(shift, day, start.astimezone(self.zone), end.astimezone(self.zone))
