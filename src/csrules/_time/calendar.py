"""Business calendars: when the desk is open, in one IANA time zone.

A :class:`BusinessCalendar` answers the questions customer-service rules ask about time:
is the desk open at this instant, when does it next open, what instant is "3 business
days" or "4 working hours" after this one, how much working time passed between two
instants, and when is close of business N working days from now.

Conventions used throughout the time layer (``_calendar``, ``_shifts``, ``_duties``):

* Every instant passed in must be an *aware* :class:`~datetime.datetime`; a naive one raises
  :class:`~csrules.exceptions.TimeError`. Instants returned are aware and expressed in the
  calendar's zone. Answers depend only on the instant, never on the zone it was written in.
* Working hours are local wall-clock times, read in the calendar's zone on each local date.
  Working time is measured in real elapsed time: an interval that spans a DST change is
  one hour shorter or longer than its wall-clock length.
* Intervals are half-open: ``09:00-18:00`` contains 09:00 but not 18:00.
* A local time that does not exist (inside a spring-forward gap) is read as the instant the
  clocks jump; an ambiguous one (fall-back) as its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache, wraps
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from csrules._errors import ConvertedModel, already_converted, validation_error
from csrules._lang import simplified
from csrules._time.clock import clock_seconds
from csrules._time.durations import BusinessDuration, Duration, WallDuration, parse_duration
from csrules.exceptions import CalendarError, DurationError, TimeError

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "TimeSpan",
    "Weekday",
    "ensure_aware",
    "load_zone",
    "parse_weekday",
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""A day of the week as calendars spell it: ``"mon"`` ... ``"sun"``."""

WEEKDAYS: Final[tuple[Weekday, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The weekdays in ISO order; ``WEEKDAYS[d.weekday()]`` names date ``d``'s weekday."""

_WEEKDAY_NAMES: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("mon", "monday", "周一", "星期一"),
        ("tue", "tues", "tuesday", "周二", "星期二"),
        ("wed", "wednesday", "周三", "星期三"),
        ("thu", "thur", "thurs", "thursday", "周四", "星期四"),
        ("fri", "friday", "周五", "星期五"),
        ("sat", "saturday", "周六", "星期六"),
        ("sun", "sunday", "周日", "星期日", "星期天", "周天"),
    )
):
    for _name in _names:
        _WEEKDAY_NAMES[_name] = _index

_DAY: Final = timedelta(days=1)
_BACK: Final = timedelta(days=-1)
_LONGEST_BREAK: Final = 31  # days; official breaks last at most ten
_ZERO: Final = timedelta(0)
_CACHE_LIMIT: Final = 20_000


def parse_weekday(value: object) -> Weekday:
    """Read a weekday: ``"Mon"``, ``"monday"``, ``"周一"`` or ISO index ``0`` (Monday) .. ``6``.

    >>> parse_weekday("Friday")
    'fri'

    Anything else raises :class:`~csrules.exceptions.CalendarError` quoting the value.
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return WEEKDAYS[value]
    if isinstance(value, str):
        index = _WEEKDAY_NAMES.get(simplified(value.strip().lower()))
        if index is not None:
            return WEEKDAYS[index]
    raise CalendarError(
        f"weekday must be one of {', '.join(WEEKDAYS)} (or a full English name, or 0-6)"
        f" (got {value!r})"
    )


_MACHINE_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Names the zone database may hold that name no place: ``localtime`` is whatever zone the
machine is set to (a decision would then depend on where it runs), ``posixrules`` a default
for POSIX strings, ``Factory`` a zone of no offset saying the zone is unset."""


def load_zone(name: object) -> ZoneInfo:
    """The :class:`~zoneinfo.ZoneInfo` for an IANA name such as ``"Asia/Shanghai"``.

    >>> load_zone("Europe/Berlin").key
    'Europe/Berlin'

    An unknown name raises :class:`~csrules.exceptions.CalendarError` naming it.
    """
    if not isinstance(name, str) or not name.strip():
        raise CalendarError(
            f"time zone must be an IANA name such as 'Asia/Shanghai' (got {name!r})"
        )
    if name in _MACHINE_ZONES or name.startswith(("posix/", "right/")):
        raise CalendarError(
            f"time zone {name!r} is a file of this machine's zone database, not a place: its clock differs from"
            " machine to machine; expected an IANA name such as 'Asia/Shanghai'"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(
            f"unknown time zone {name!r}; expected an IANA name such as 'Asia/Shanghai'"
        ) from exc


def ensure_aware(instant: object, name: str = "instant") -> datetime:
    """``instant`` as an aware UTC datetime; a naive or non-datetime value raises TimeError.

    >>> ensure_aware(datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai"))).hour
    1

    ``name`` is the parameter name quoted in the error message.
    """
    if not isinstance(instant, datetime):
        raise TimeError(
            f"{name} must be an aware datetime (got {type(instant).__name__} {instant!r})"
        )
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise TimeError(
            f"{name} must be timezone-aware (got naive {instant.isoformat()}); attach a zone,"
            " e.g. dt.replace(tzinfo=ZoneInfo('Asia/Shanghai'))"
        )
    return instant.astimezone(UTC)


_F = TypeVar("_F", bound=Callable[..., Any])


def naive_clock(value: time, what: str, error: Callable[[str], Exception] = CalendarError) -> time:
    """``value``, a local clock time; an aware one (``10:00Z``) raises ``error``: its offset
    would be dropped, or read as a wall time it is not (time-layer internal)."""
    if value.tzinfo is not None:
        raise error(f"{what} are local clock times, not aware (got {value.isoformat()})")
    return value


def beyond_dates(name: str, value: object) -> TimeError:
    """The error for working from ``value`` past the first or last date Python has (an
    OverflowError): a field typed as year 9999 is named, not a bare traceback."""
    shown = value.isoformat() if isinstance(value, date) else repr(value)
    return TimeError(f"{name} {shown} is too near the ends of the dates supported (years 1 to 9999) to work from")


def within_dates(name: str) -> Callable[[_F], _F]:
    """Decorate a method whose first argument (``name``) is an instant or date: an
    OverflowError working from it raises :func:`beyond_dates` instead (time-layer internal)."""
    def wrap(method: _F) -> _F:
        @wraps(method)
        def call(self: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, value, *args, **kwargs)
            except OverflowError:
                raise beyond_dates(name, value) from None
        return cast(_F, call)
    return wrap


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of naive local ``wall`` time in ``zone`` (time-layer internal).

    Ambiguous times give their first occurrence; a time inside a spring-forward gap gives
    the instant the clocks jump, so the mapping never runs backwards.
    """
    return wall_instant(wall, zone)[0]


def wall_instant(wall: datetime, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    """:func:`wall_to_utc` of ``wall``, and the same instant in ``zone`` when ``wall``
    exists there (None inside a spring-forward gap): one zone conversion saved for callers
    that want both."""
    utc = wall.replace(tzinfo=zone).astimezone(UTC)
    local = utc.astimezone(zone)
    if local.replace(tzinfo=None) == wall:
        return utc, local
    # Nonexistent local time: bisect (whole seconds) for the transition between the
    # instant read with the earlier offset (after it) and the later offset (before it).
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC).replace(microsecond=0)
    high = utc.replace(microsecond=0) + timedelta(seconds=1)
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high, None


_HOUR: Final = timedelta(hours=1)


@lru_cache(maxsize=65_536)
def flat_day(zone: ZoneInfo, day: date) -> bool:
    """Whether ``zone`` keeps one UTC offset through local date ``day`` (midnight to
    midnight, checked hour by hour): on such a day wall-clock order is instant order, so
    aware datetimes in ``zone`` may be compared as they stand (time-layer internal)."""
    midnight = datetime(day.year, day.month, day.day)
    try:
        first = wall_to_utc(midnight, zone)
        if wall_to_utc(midnight + _DAY, zone) - first != _DAY:
            return False
    except OverflowError:  # the last date there is
        return False
    offset = first.astimezone(zone).utcoffset()
    return all((first + _HOUR * hour).astimezone(zone).utcoffset() == offset for hour in range(1, 25))


def as_local(instant: object, zone: ZoneInfo) -> datetime:
    """``instant`` (aware) expressed in ``zone``: one conversion, none when it is already
    there; a naive or foreign value raises as :func:`ensure_aware` does."""
    try:
        if type(instant) is datetime and type(instant.tzinfo) in _EXACT_ZONES:
            return instant.astimezone(zone)
        return ensure_aware(instant).astimezone(zone)
    except OverflowError:
        raise beyond_dates("instant", instant) from None


# Zone classes whose offsets are always defined, so ``astimezone`` never reads a value as
# the machine's local time.
_EXACT_ZONES: Final = frozenset({ZoneInfo, timezone})


# --------------------------------------------------------------------------- time spans

def _format_clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """Working hours within one local day, such as ``09:00-18:00``; ``24:00`` ends the day.

    >>> TimeSpan.parse("09:00-12:30")
    TimeSpan(start=32400, end=45000)
    >>> str(TimeSpan.parse("22:00-24:00"))
    '22:00-24:00'

    ``start`` and ``end`` are seconds after local midnight; ``18:00-09:00`` (end before
    start) raises :class:`~csrules.exceptions.CalendarError`: split hours that run past
    midnight into ``22:00-24:00`` and a next-day ``00:00-02:00``.

    .. versionadded:: 0.1
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 86400:
            raise CalendarError(
                f"working hours must start before they end, within one day"
                f" (got {_format_clock(self.start)}-{_format_clock(self.end)});"
                " split hours past midnight into '22:00-24:00' and a next-day '00:00-02:00'"
            )

    @classmethod
    def parse(cls, value: object) -> TimeSpan:
        """Read ``"09:00-18:00"``, ``("09:00", "18:00")``, ``{"start":..., "end":...}``."""
        if isinstance(value, TimeSpan):
            return value
        start: object
        end: object
        if isinstance(value, str):
            parts = re.split(r"\s*[-\u2013~]\s*", value.strip())
            if len(parts) != 2:
                raise CalendarError(f"working hours must look like '09:00-18:00' (got {value!r})")
            start, end = parts
        elif isinstance(value, Mapping) and set(value) == {"start", "end"}:
            start, end = value["start"], value["end"]
        elif isinstance(value, list | tuple) and len(value) == 2:
            start, end = value
        else:
            raise CalendarError(f"working hours must look like '09:00-18:00' (got {value!r})")
        return cls(_span_end(start, allow_24=False), _span_end(end, allow_24=True))

    def __str__(self) -> str:
        return f"{_format_clock(self.start)}-{_format_clock(self.end)}"

    @property
    def length(self) -> timedelta:
        """The wall-clock length of the span."""
        return timedelta(seconds=self.end - self.start)


def _span_end(value: object, *, allow_24: bool) -> int:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise CalendarError(f"working hours are local clock times, not aware (got {value})")
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, str):
        return clock_seconds(value, allow_24=allow_24)
    raise CalendarError(f"a clock time must be a string 'HH:MM' (got {value!r})")


def _parse_spans(value: object) -> tuple[TimeSpan, ...]:
    if value is None:
        return ()
    if isinstance(value, str | TimeSpan):
        return (TimeSpan.parse(value),)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = list(value)
        # ("09:00", "18:00") is one span, not two.
        if len(items) == 2 and all(isinstance(i, str) and "-" not in i for i in items):
            return (TimeSpan.parse(tuple(items)),)
        return tuple(sorted((TimeSpan.parse(item) for item in items), key=lambda s: s.start))
    raise CalendarError(f"working hours must be a list such as ['09:00-18:00'] (got {value!r})")


def _validate_spans(value: object) -> tuple[TimeSpan, ...]:
    return _parse_spans(value)


Spans = Annotated[
    tuple[TimeSpan, ...],
    BeforeValidator(_validate_spans),
    PlainSerializer(lambda spans: [str(s) for s in spans], return_type=list[str]),
    WithJsonSchema(
        {"type": "array", "items": {"type": "string", "pattern": r"^\d\d:\d\d-\d\d:\d\d$"}}
    ),
]


def _check_overlaps(spans: tuple[TimeSpan, ...], where: str) -> None:
    for before, after in pairwise(spans):
        if after.start < before.end:
            raise CalendarError(f"{where}: working hours {before} and {after} overlap")


# --------------------------------------------------------------------------- calendar

_Interval = tuple[datetime, datetime]


class ZonedModel(ConvertedModel):
    """Shared base of calendars and shift patterns: frozen, closed, in an IANA ``timezone``,
    with private lookup caches that equality and hashing ignore."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str

    #: How the kind of object is named in error messages.
    _kind_name: ClassVar[str] = "time object"
    _error: ClassVar[Callable[[str], Exception]] = CalendarError

    @classmethod
    def _convert(cls, exc: ValidationError, data: Any) -> Exception:
        """A :class:`CalendarError` naming the kind of object (``invalid shift pattern: ...``)."""
        del data
        return already_converted(exc) or validation_error(exc, CalendarError, f"invalid {cls._kind_name}")

    # The lookup tables live in a plain slot, not a pydantic private attribute: hot paths
    # read it on every call, and a private attribute costs two exceptions per read.
    __slots__ = ("_core",)
    if TYPE_CHECKING:
        _core: Any

    def _make_core(self) -> Any:
        """The lookup tables of this object (built once; the model is frozen)."""
        raise NotImplementedError

    def model_post_init(self, context: Any, /) -> None:
        """Precompute lookup tables (the model is frozen, so they never go stale)."""
        object.__setattr__(self, "_core", self._make_core())

    def __getattr__(self, name: str) -> Any:
        if name == "_core":  # a copy (copy, deepcopy, pickle) skips model_post_init
            core = self._make_core()
            object.__setattr__(self, "_core", core)
            return core
        return super().__getattr__(name)  # type: ignore[misc]


    def __eq__(self, other: object) -> bool:
        # Compare fields only: the private lookup caches differ with use.
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.model_dump_json())

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        load_zone(value)
        return value


class BusinessCalendar(ZonedModel):
    """Opening hours per weekday in one zone, with holidays, adjusted days and closures.

    >>> cal = BusinessCalendar(
    ...     timezone="Asia/Shanghai",
    ...     hours={"mon-fri": "09:00-18:00"},
    ...     holidays=["2026-01-01"],
    ... )
    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> t = datetime(2025, 12, 31, 17, tzinfo=ZoneInfo("Asia/Shanghai"))
    >>> cal.add(t, "2 business hours").isoformat()
    '2026-01-02T10:00:00+08:00'

    Fields:

    * ``timezone``: IANA name; unknown names raise :class:`~csrules.exceptions.CalendarError`.
    * ``hours``: weekday (``"mon"``, ``"Monday"``, ``"mon-fri"``) -> spans such as
      ``["09:00-12:00", "13:00-18:00"]``. Weekdays left out are closed.
    * ``holidays``: public holidays (closed).
    * ``adjusted_working_days``: dates that are working days although their weekday is
      closed (China's 调休); they use the hours of ``adjusted_hours_from`` (Monday).
    * ``closures``: dates the host closes the desk (beats everything but ``special_days``).
    * ``special_days``: dates with their own hours (beat holidays and closures).
    * ``holiday_years``: the years whose holidays and adjusted working days are listed in
      full. A question about a date in another year raises
      :class:`~csrules.exceptions.CalendarError` naming the year instead of treating the date
      as an ordinary weekday (special days and closures still answer: they are explicit).
      ``None`` (the default) means the lists hold for every year.
    * ``holiday_source``: where the lists come from (named in that error, with what to do).
    * ``estimated_years``: years of ``holiday_years`` whose lists are an estimate, not an
      official arrangement (``china_calendar(allow_estimated=True)``): :meth:`is_estimated`
      says so for their dates, and traces mark a holiday answer on them as estimated.
    * ``fixed_holidays``: holidays certain in years outside ``holiday_years`` (fixed by law,
      such as China's New Year's Day): such a date answers as a holiday; every other date of
      those years still raises, since the year's schedule may move days around it.
    * ``holiday_breaks`` (default true): a day closed by its weekday that closed days join
      to a listed holiday is a holiday too, so :meth:`is_holiday` covers the whole break an
      official notice gives off (放假): the Saturday and Sunday inside Golden Week
      (2025-10-04/05) or a Spring Festival break (2026-02-15, 21, 22) are holidays, as the
      notice's "10月1日至8日放假" says, not ordinary weekend days. ``False``: only the listed
      dates. Working hours are unchanged either way (those days are closed already).

    Precedence on a date: ``special_days`` > ``closures`` > ``holidays`` >
    ``adjusted_working_days`` > weekday hours. A calendar with no working hours at all,
    overlapping spans, or a date that is both a holiday and an adjusted working day (or both
    closed and special) raises :class:`~csrules.exceptions.CalendarError` when built.

    .. versionadded:: 0.1
    """

    _kind_name: ClassVar[str] = "business calendar"

    hours: dict[Weekday, Spans]
    holidays: tuple[date, ...] = ()
    adjusted_working_days: tuple[date, ...] = ()
    adjusted_hours_from: Weekday = "mon"
    closures: tuple[date, ...] = ()
    special_days: dict[date, Spans] = Field(default_factory=dict)
    holiday_years: tuple[int, ...] | None = None
    holiday_source: str | None = None
    fixed_holidays: tuple[date, ...] = ()
    holiday_breaks: bool = True
    estimated_years: tuple[int, ...] = ()

    if TYPE_CHECKING:
        _core: _Core

    @field_validator("hours", mode="before")
    @classmethod
    def _weekday_keys(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            raise CalendarError(
                f"hours must map weekdays to spans, e.g. {{'mon-fri': '09:00-18:00'}}"
                f" (got {value!r})"
            )
        out: dict[Weekday, tuple[TimeSpan, ...]] = {}
        for key, spans in value.items():
            for day in _weekday_range(key):
                if day in out:
                    raise CalendarError(f"hours: {day} is given twice (in {key!r})")
                out[day] = _parse_spans(spans)
        return out

    @field_validator("adjusted_hours_from", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> Weekday:
        return parse_weekday(value)

    @field_validator("holidays", "adjusted_working_days", "closures")
    @classmethod
    def _sorted_dates(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(value)))

    @field_validator("holiday_years")
    @classmethod
    def _sorted_years(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is None:
            return None
        if not value:
            raise CalendarError("holiday_years must list at least one year (or be None: every year)")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _consistent(self) -> BusinessCalendar:
        for day, spans in self.hours.items():
            _check_overlaps(spans, f"hours for {day}")
        for special, spans in self.special_days.items():
            _check_overlaps(spans, f"special day {special}")
        if not any(self.hours.values()) and not any(self.special_days.values()):
            raise CalendarError(
                "the calendar has no working hours at all (hours are empty and no special"
                f" day has hours; got hours={_show_hours(self.hours)})"
            )
        both = sorted(set(self.holidays) & set(self.adjusted_working_days))
        if both:
            raise CalendarError(
                "dates cannot be both a holiday and an adjusted working day: "
                + ", ".join(d.isoformat() for d in both)
            )
        both = sorted(set(self.closures) & set(self.special_days))
        if both:
            raise CalendarError(
                "dates cannot be both a closure and a special day: "
                + ", ".join(d.isoformat() for d in both)
            )
        guessed = sorted(set(self.estimated_years) - set(self.holiday_years or self.estimated_years))
        if guessed:
            raise CalendarError(f"estimated_years must be years of holiday_years (not {guessed[0]})")
        if self.adjusted_working_days and not self.hours.get(self.adjusted_hours_from):
            raise CalendarError(
                f"adjusted working days take the hours of {self.adjusted_hours_from!r},"
                " which has no working hours; set adjusted_hours_from to an open weekday"
            )
        return self

    def is_estimated(self, day: date) -> bool:
        """Whether ``day``'s holiday answer is an estimate (its year is in ``estimated_years``)."""
        return day.year in self.estimated_years

    def _make_core(self) -> _Core:
        return _Core(self)

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._core.zone

    # ------------------------------------------------------------------ questions

    def is_working_time(self, instant: datetime) -> bool:
        """Whether the desk is open at ``instant`` (aware). ``cal`` as in the class example.

        >>> cal.is_working_time(datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
        True
        """
        core = self._core
        utc = ensure_aware(instant)
        return any(start <= utc < end for start, end in core.spans(core.local_date(utc)))

    def is_working_day(self, day: date) -> bool:
        """Whether local date ``day`` has working hours (for an aware datetime: its local date).

        >>> cal.is_working_day(date(2026, 1, 1))  # a holiday
        False
        """
        core = self._core
        return bool(core.spans(core.as_day(day)))

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday or inside a holiday break (closures are not).

        >>> cal.is_holiday(date(2026, 1, 1))
        True
        >>> china = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"},
        ...                          holidays=["2025-10-03", "2025-10-06"])
        >>> china.is_holiday(date(2025, 10, 4))  # Saturday between two days off: the break
        True

        Every question about a date (this one, :meth:`is_working_day`, :meth:`add` ...)
        raises :class:`~csrules.exceptions.CalendarError` for a date outside
        ``holiday_years``, rather than guess that it is an ordinary day.
        """
        core = self._core
        return core.is_holiday(core.as_day(day))

    def working_hours(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals ``[start, end)`` of local date ``day``, as aware datetimes.

        >>> [(a.hour, b.hour) for a, b in cal.working_hours(date(2026, 1, 5))]
        [(9, 18)]
        """
        core = self._core
        zone = core.zone
        return [(a.astimezone(zone), b.astimezone(zone)) for a, b in core.spans(core.as_day(day))]

    def next_working_instant(self, instant: datetime) -> datetime:
        """``instant`` itself when the desk is open then, else the next opening.

        >>> t = datetime(2026, 1, 3, 12, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Saturday
        >>> cal.next_working_instant(t).isoformat()
        '2026-01-05T09:00:00+08:00'
        """
        core = self._core
        return core.next_working(ensure_aware(instant)).astimezone(core.zone)

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after local date ``day`` (``n < 0``: before it).

        ``day`` itself is never counted; ``n == 0`` returns ``day`` unchanged.

        >>> cal.add_working_days(date(2026, 1, 5), 2)
        datetime.date(2026, 1, 7)
        >>> cal.add_working_days(date(2026, 1, 2), -1)  # "one working day ahead of"
        datetime.date(2025, 12, 31)
        """
        if not isinstance(n, int) or isinstance(n, bool):
            raise TimeError(f"n must be a whole number of days (got {n!r})")
        core = self._core
        return core.add_working_days(core.as_day(day), n)

    def add(self, instant: datetime, duration: Duration | str) -> datetime:
        """The instant ``duration`` after ``instant``, in the calendar's zone.

        * :class:`~csrules.WallDuration` (``"24h"``): plain elapsed time, calendar ignored.
        * business hours (``"4 business hours"``): start at the next working instant and
          count working time only; the result is the first *working* instant by which that
          much working time has passed, so a result that would fall exactly on a closing
          time (18:00) is the next opening instead (09:00 next working day). Adding zero
          gives :meth:`next_working_instant`.
        * business days (``"3 business days"``, whole numbers only): let ``s`` be the next
          working instant at or after ``instant``; the result is the same local clock time
          as ``s`` on the N-th working day after ``s``'s local date, rolled forward to the
          next working instant if the desk is closed then. Starting from ``s`` rather than
          ``instant`` keeps the operation monotonic: Friday 20:00 and Saturday 10:00 both
          count from Monday 09:00, so "1 business day" gives Tuesday 09:00 for both.

        >>> t = datetime(2026, 1, 5, 17, tzinfo=ZoneInfo("Asia/Shanghai"))  # Monday 17:00
        >>> cal.add(t, "3 business days").isoformat()
        '2026-01-08T17:00:00+08:00'
        >>> cal.add(t, "2 business hours").isoformat()
        '2026-01-06T10:00:00+08:00'

        Results always lie in working time (business durations), never loop forever, and
        raise :class:`~csrules.exceptions.CalendarError` when no working time follows.
        """
        core = self._core
        parsed = _duration(duration)
        if type(parsed) is BusinessDuration and parsed.unit == "days":
            return core.add_business_days(instant, _whole_days(parsed))
        utc = ensure_aware(instant)
        if isinstance(parsed, WallDuration):
            try:
                return (utc + parsed.delta).astimezone(core.zone)
            except OverflowError:
                raise beyond_dates("instant", instant) from None
        return core.add_working_time(utc, timedelta(hours=parsed.amount))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (``start <= end``), as a timedelta.

        >>> a = datetime(2026, 1, 5, 17, tzinfo=ZoneInfo("Asia/Shanghai"))
        >>> cal.elapsed(a, a + timedelta(hours=17))  # Mon 17:00 -> Tue 10:00
        datetime.timedelta(seconds=7200)

        ``end`` before ``start`` raises :class:`~csrules.exceptions.TimeError`.
        """
        low = ensure_aware(start, "start")
        high = ensure_aware(end, "end")
        if high < low:
            raise TimeError(
                f"elapsed() needs start <= end (got start={start.isoformat()},"
                f" end={end.isoformat()})"
            )
        return self._core.elapsed(low, high)

    def deadline(self, instant: datetime, n_days: int) -> datetime:
        """Close of business on the ``n_days``-th working day counted from ``instant``.

        The count starts on the local date of :meth:`next_working_instant` (``instant``
        itself if the desk is open), which is day 0; the result is the end of the last
        working span of the day ``n_days`` working days later. A reply is on time when it
        is at or before the returned instant.

        >>> t = datetime(2026, 1, 5, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # Monday
        >>> cal.deadline(t, 3).isoformat()
        '2026-01-08T18:00:00+08:00'
        """
        if not isinstance(n_days, int) or isinstance(n_days, bool) or n_days < 0:
            raise TimeError(f"n_days must be a whole number >= 0 (got {n_days!r})")
        core = self._core
        begin = core.next_working(ensure_aware(instant))
        target = core.add_working_days(core.local_date(begin), n_days)
        return core.spans(target)[-1][1].astimezone(core.zone)


def _civil_weekend(day: date) -> bool:
    """Saturday or Sunday: the weekend the State Council's holiday arrangements count from."""
    return day.weekday() >= 5


class _Core:
    """A calendar's lookup tables and algorithms, on plain attributes (all UTC inside)."""

    __slots__ = (
        "adjusted",
        "adjusted_hours",
        "cache",
        "closed",
        "covered",
        "first_day",
        "fixed",
        "has_weekly",
        "holidays",
        "last_day",
        "local_cache",
        "ranks",
        "source",
        "special",
        "walks",
        "week",
        "zone",
    )

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.zone = load_zone(calendar.timezone)
        self.week = tuple(calendar.hours.get(day, ()) for day in WEEKDAYS)
        self.adjusted_hours = calendar.hours.get(calendar.adjusted_hours_from, ())
        self.adjusted = frozenset(calendar.adjusted_working_days)
        self.closed = frozenset(calendar.closures)
        self.special = dict(calendar.special_days)
        self.holidays = frozenset(calendar.holidays)
        if calendar.holiday_breaks:
            self.holidays |= self.break_days()
        years = calendar.holiday_years
        self.covered = None if years is None else frozenset(years)
        self.source = calendar.holiday_source
        self.fixed = frozenset(calendar.fixed_holidays)
        self.has_weekly = any(self.week)
        explicit = [*self.holidays, *self.adjusted, *self.closed, *self.special]
        self.first_day = min(explicit, default=date(2000, 1, 1))
        self.last_day = max(explicit, default=date(2000, 1, 1))
        self.cache: dict[date, tuple[_Interval, ...]] = {}
        self.local_cache: dict[date, tuple[bool, tuple[_Interval, ...]]] = {}
        self.ranks: dict[int, _Ranks | None] = {}
        self.walks = 0

    def break_days(self) -> frozenset[date]:
        """The weekend days of each holiday break: Saturdays and Sundays (the civil weekend,
        whatever hours the desk keeps) that days off join to a holiday given on a weekday. A
        holiday that falls on a weekend (Mid-Autumn on Sunday 2015-09-27, "9月27日放假") gives
        no weekday off, so the Saturday next to it stays an ordinary weekend day; a weekend day
        worked in exchange (调休) ends the break."""
        found: set[date] = set()
        for holiday in self.holidays:
            if _civil_weekend(holiday):
                continue
            for step in (_DAY, _BACK):
                day = holiday + step
                for _ in range(_LONGEST_BREAK):
                    if day in self.holidays:
                        pass
                    elif _civil_weekend(day) and not (day in self.adjusted or day in self.special
                                                      or day in self.closed):
                        found.add(day)
                    else:
                        break
                    day += step
        return frozenset(found)

    def local_spans(self, day: date) -> tuple[TimeSpan, ...]:
        special = self.special.get(day)
        if special is not None:
            return special
        if day in self.closed or self.is_holiday(day):
            return ()
        own = self.week[day.weekday()]
        if not own and day in self.adjusted:
            return self.adjusted_hours
        return own

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a listed holiday; a year the lists do not cover raises."""
        if self.covered is not None and day.year not in self.covered:
            if day in self.fixed:  # certain whatever the year's schedule says
                return True
            raise CalendarError(self.uncovered(day))
        return day in self.holidays

    def uncovered(self, day: date) -> str:
        """Why ``day`` cannot be answered, and what to do about it."""
        year = day.year
        listed = _year_ranges(sorted(self.covered or ()))
        where = f" (from {self.source})" if self.source else ""
        message = (
            f"the calendar lists holidays and adjusted working days only for {listed}{where};"
            f" {day.isoformat()} is in {year}, which it does not cover, so whether it is a"
            " working day is unknown. "
        )
        if self.source:
            # allow_estimated alone keeps the default (official) years: name the years too.
            years = sorted((self.covered or frozenset()) | {year})
            return message + (
                f"Upgrade the holidays package once it carries {year}'s official schedule, build the"
                f" calendar with china_calendar(years=range({years[0]}, {years[-1] + 1}),"
                " allow_estimated=True) to accept an estimate without adjusted"
                f" working days, or add {year}'s holidays and adjusted working days (调休) by"
                " hand with extra_years= (see 'Next year's holidays' in docs/time.md)"
            )
        return message + (
            f"Add {year}'s holidays and adjusted working days to the calendar and list {year}"
            " in holiday_years"
        )

    def spans(self, day: date) -> tuple[_Interval, ...]:
        """The working intervals (UTC) of local date ``day``, sorted; cached."""
        cached = self.cache.get(day)
        if cached is None:
            midnight = datetime(day.year, day.month, day.day)
            out = []
            for span in self.local_spans(day):
                start = wall_to_utc(midnight + timedelta(seconds=span.start), self.zone)
                end = wall_to_utc(midnight + timedelta(seconds=span.end), self.zone)
                if start < end:
                    out.append((start, end))
            cached = tuple(out)
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            self.cache[day] = cached
        return cached

    def local_date(self, utc: datetime) -> date:
        return utc.astimezone(self.zone).date()

    def as_day(self, day: object, name: str = "day") -> date:
        if isinstance(day, datetime):
            return self.local_date(ensure_aware(day, name))
        if isinstance(day, date):
            return day
        raise TimeError(f"{name} must be a date (got {type(day).__name__} {day!r})")

    def step(self, day: date, step: int) -> date:
        """The next (or previous) date, refusing to walk past any possible working time."""
        if not self.has_weekly and (
            (step > 0 and day >= self.last_day) or (step < 0 and day <= self.first_day)
        ):
            edge = "after" if step > 0 else "before"
            raise CalendarError(
                f"the calendar has no working time {edge} {day.isoformat()}: it has no weekly"
                " hours, only special days"
            )
        try:
            return day + (_DAY if step > 0 else _BACK)
        except OverflowError:
            raise TimeError(f"ran out of dates looking for working time from {day}") from None

    def next_working(self, utc: datetime, day: date | None = None) -> datetime:
        """The first working instant at or after ``utc``; ``day``: a local date to start
        the search from, no later than ``utc``'s own (saves a zone conversion)."""
        if day is None:
            day = self.local_date(utc)
        while True:
            for start, end in self.spans(day):
                if utc < end:
                    return max(start, utc)
            day = self.step(day, 1)

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (before it for ``n < 0``): rank arithmetic
        in the table of ``day``'s year, else (outside any table) a day-by-day walk."""
        if not n:
            return day
        ranks = self.ranks.get(day.year)
        if ranks is None and day.year not in self.ranks:
            # A table costs a year of spans: build it once the calendar is in real use.
            self.walks += 1
            ranks = self.rank_table(day.year) if self.walks > _WALKS_BEFORE_TABLE else None
        if ranks is not None:
            found = ranks.add(day, n)
            if found is not None:
                return found
        return self.walk_working_days(day, n)

    def walk_working_days(self, day: date, n: int) -> date:
        """:meth:`add_working_days` by stepping one date at a time (the reference)."""
        step = 1 if n > 0 else -1
        remaining = abs(n)
        while remaining:
            day = self.step(day, step)
            if self.spans(day):
                remaining -= 1
        return day

    def rank_table(self, year: int) -> _Ranks | None:
        """The working-day rank table holding ``year`` (None: the year is not covered).

        A table spans consecutive covered years around ``year`` (so it never answers for a
        year the calendar has no data for), or for a calendar whose lists hold every year,
        the aligned block of :data:`_RANK_BLOCK` years holding ``year``. An answer outside
        the table comes from the walk.
        """
        if year in self.ranks:
            return self.ranks[year]
        covered = self.covered
        if covered is None:
            first = year - year % _RANK_BLOCK
            last = first + _RANK_BLOCK - 1
        elif year not in covered:
            self.ranks[year] = None
            return None
        else:  # the covered years next to ``year``, at most _RANK_BLOCK on either side
            first = last = year
            while first - 1 in covered and year - first < _RANK_BLOCK:
                first -= 1
            while last + 1 in covered and last - year < _RANK_BLOCK:
                last += 1
        try:
            table = _Ranks(date(first, 1, 1), date(last, 12, 31), self.spans)
        except (OverflowError, ValueError):  # years at the ends of the date range
            table = None
        for each in range(first, last + 1):
            self.ranks[each] = table
        return table

    def local_day(self, day: date) -> tuple[bool, tuple[_Interval, ...]]:
        """Whether local date ``day`` is :func:`flat_day`, and its working intervals as
        aware datetimes in the calendar's zone; cached."""
        cached = self.local_cache.get(day)
        if cached is None:
            zone = self.zone
            spans = tuple((a.astimezone(zone), b.astimezone(zone)) for a, b in self.spans(day))
            cached = (flat_day(zone, day), spans)
            if len(self.local_cache) >= _CACHE_LIMIT:
                self.local_cache.clear()
            self.local_cache[day] = cached
        return cached

    def opening_after(self, day: date) -> datetime:
        """The first opening (in the zone) on the first working day after ``day``."""
        return self.local_day(self.add_working_days(day, 1))[1][0][0]

    def add_working_time(self, utc: datetime, amount: timedelta) -> datetime:
        remaining = amount
        day = self.local_date(utc)
        while True:
            spans = self.spans(day)
            if spans and spans[0][0] >= utc:
                # The whole day lies ahead: skip it in one step when it is not enough.
                total = sum((end - start for start, end in spans), _ZERO)
                if total < remaining:
                    remaining -= total
                    day = self.step(day, 1)
                    continue
            for start, end in spans:
                if end <= utc:
                    continue
                begin = max(start, utc)
                available = end - begin
                if remaining < available:
                    return (begin + remaining).astimezone(self.zone)
                remaining -= available
            day = self.step(day, 1)

    def add_business_days(self, instant: datetime, days: int) -> datetime:
        """``instant`` plus ``days`` business days (see :meth:`BusinessCalendar.add`).

        On :func:`flat_day` dates the instant is compared with the day's openings in the
        calendar's zone as it stands (one zone conversion in all); other dates take the
        exact path through UTC.
        """
        zone = self.zone
        local = as_local(instant, zone)
        day = local.date()
        flat, spans = self.local_day(day)
        if not flat:
            return self.add_business_days_exact(local, days)
        for start, end in spans:
            if local < end:
                begin = start if local < start else local
                break
        else:
            begin = self.opening_after(day)
            day = begin.date()
        target = self.add_working_days(day, days)
        flat, spans = self.local_day(target)
        if not flat:
            return self.add_business_days_exact(begin, days)
        wall = datetime.combine(target, begin.time(), tzinfo=zone)
        for start, end in spans:
            if wall < end:
                return wall if wall >= start else start
        return self.opening_after(target)

    def add_business_days_exact(self, instant: datetime, days: int) -> datetime:
        """:meth:`add_business_days` through UTC, for dates whose offset changes."""
        # Each instant is converted to the zone once: an instant the search returns
        # unchanged reuses the local form already computed.
        zone = self.zone
        utc = instant.astimezone(UTC)
        local = utc.astimezone(zone)
        begin = self.next_working(utc, local.date())
        if begin is not utc:
            local = begin.astimezone(zone)
        target = self.add_working_days(local.date(), days)
        wall_utc, wall_local = wall_instant(datetime.combine(target, local.time()), zone)
        # wall_instant only moves forward, so ``target`` is a safe first day to search.
        found = self.next_working(wall_utc, target)
        if found is wall_utc and wall_local is not None:
            return wall_local
        return found.astimezone(zone)

    def elapsed(self, low: datetime, high: datetime) -> timedelta:
        total = _ZERO
        day, last = self.local_date(low), self.local_date(high)
        while day <= last:
            for span_start, span_end in self.spans(day):
                begin, finish = max(span_start, low), min(span_end, high)
                if begin < finish:
                    total += finish - begin
            day += _DAY
        return total


#: Day-by-day walks a calendar makes before it builds rank tables for its years.
_WALKS_BEFORE_TABLE: Final = 16
#: Years per rank table of a calendar whose holiday lists hold for every year (and covered
#: years a table reaches on either side of the year asked about).
_RANK_BLOCK: Final = 4


class _Ranks:
    """Working days of a run of dates ranked in order: adding N working days is one index
    step instead of a walk over every date in between."""

    __slots__ = ("after", "before", "first", "work")

    def __init__(self, first: date, last: date, spans: Callable[[date], tuple[_Interval, ...]]) -> None:
        self.first = first.toordinal()
        self.work: list[date] = []
        #: Per date: the index in ``work`` of the first working day after it ...
        self.after: list[int] = []
        #: ... and of the last working day before it (-1: none in the table).
        self.before: list[int] = []
        for ordinal in range(self.first, last.toordinal() + 1):
            day = date.fromordinal(ordinal)
            self.before.append(len(self.work) - 1)
            if spans(day):
                self.work.append(day)
            self.after.append(len(self.work))

    def add(self, day: date, n: int) -> date | None:
        """The ``n``-th working day after (``n < 0``: before) ``day``; None when the
        answer lies outside the table."""
        index = day.toordinal() - self.first
        if not 0 <= index < len(self.after):
            return None
        found = self.after[index] + n - 1 if n > 0 else self.before[index] + n + 1
        return self.work[found] if 0 <= found < len(self.work) else None


_DURATIONS: dict[object, Duration] = {}
_MEMO_TYPES: Final = frozenset({str, BusinessDuration, WallDuration})


def _duration(value: Duration | str) -> Duration:
    """:func:`parse_duration`, remembered for the texts and durations calendars are given."""
    found = _DURATIONS.get(value) if type(value) in _MEMO_TYPES else None
    if found is None:
        found = parse_duration(value)
        if type(value) in _MEMO_TYPES:
            if len(_DURATIONS) >= _CACHE_LIMIT:
                _DURATIONS.clear()
            _DURATIONS[value] = found
    return found


def _year_ranges(years: list[int]) -> str:
    """``[2001, 2002, 2003, 2027]`` -> ``"2001-2003, 2027"``."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _whole_days(duration: BusinessDuration) -> int:
    if not float(duration.amount).is_integer():
        raise DurationError(
            f"business days must be a whole number; use business hours for parts of a day"
            f" (got {duration})",
            text=str(duration),
        )
    return int(duration.amount)


def _weekday_range(key: object) -> list[Weekday]:
    """``"mon-fri"`` -> mon..fri, ``"sat"`` -> [sat]; ranges may wrap (``"fri-mon"``)."""
    if isinstance(key, str) and "-" in key:
        first, _, last = key.partition("-")
        start, stop = WEEKDAYS.index(parse_weekday(first)), WEEKDAYS.index(parse_weekday(last))
        length = (stop - start) % 7 + 1
        return [WEEKDAYS[(start + i) % 7] for i in range(length)]
    return [parse_weekday(key)]


def _show_hours(hours: Mapping[Weekday, tuple[TimeSpan, ...]]) -> str:
    return "{" + ", ".join(f"{k}: {[str(s) for s in v]}" for k, v in hours.items()) + "}"
