"""The fact models of customer service: who works, who asks for leave, what was said on a call.

Every model is a frozen, closed pydantic model registered as a fact type, so a policy file
names it (``fact_type: leave_request``) and every condition is checked against its fields.
Each field documents its meaning in English with the Chinese term of the source documents
(the Chinese term is also the field's ``zh`` label, used when a trace is shown in Chinese).

Some fields are *derived*: the model computes them from the others when it is built (a
leave request's ``requested_clock``, a call's ``greeting``). Derived fields exist so rules
can test them. A value passed for one is never overwritten: it must equal the computed value,
else the fact is refused with an error naming the field, both values and the fields it
derives from (``late_minutes was given as 25, but it derives 0 ...``).

Local clock times and calendar dates (a leave request's ``requested_clock`` and
``request_lead_days``, a callback's ``during_rest``) are read in the fact's ``time_zone``
(an IANA name, default ``Asia/Shanghai``), never in the offset a datetime was written with:
``13:00+08:00`` and ``05:00Z`` are the same instant and give the same fact. Spans (lateness,
minutes away) are measured between instants, so a daylight-saving change counts; days of
leave read the local clock, as a roster does (a shift missed is one day on the night clocks
change, though an hour more or less passes).

Facts that would need history (the third 喂 in a month, the third swap in a month) carry
the count the host already knows (``prior_greeting_offences``, ``swaps_this_month``), so
every rule is checkable on one fact; sessions can fill these counts in.

Bad input raises :class:`csrules.FactError` when a dict is evaluated (the engine wraps
pydantic's ``ValidationError``), or pydantic's ``ValidationError`` when a model is built
directly; use :func:`build_fact` to always get a :class:`~csrules.FactError`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache, partial
from numbers import Number
from typing import Annotated, Any, ClassVar, Literal, NoReturn, Protocol, Self, TypeVar, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    model_validator,
)
from pydantic_core import CoreSchema, core_schema

from csrules._errors import BLANK_ID, NOT_BLANK, NOT_BLANK_TEXT, Problem, ValidationProblems, shown
from csrules._policy.facts import register_fact_type, validate_fact
from csrules._policy.text import _INVISIBLE, fold_text
from csrules._time.calendar import beyond_dates, ensure_aware, load_zone, wall_to_utc
from csrules._time.clock import DAY_MICROS, clock_micros, in_daily_window, window_micros
from csrules._time.durations import ClockDurationField, parse_clock_duration
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.exceptions import DurationError, FactError

__all__ = [
    "DEFAULT_TIME_ZONE",
    "ID_SPACES",
    "INVISIBLE_MARKS",
    "SALUTATIONS",
    "SALUTATION_MARKS",
    "Agent",
    "AttendanceRecord",
    "CallRecord",
    "CallbackTask",
    "ChatChange",
    "ClockEvent",
    "DutyRecord",
    "EscalationStep",
    "Fact",
    "HandoverRecord",
    "LeaveRequest",
    "Order",
    "QAReview",
    "ReportRequest",
    "ShiftAssignment",
    "ShiftRef",
    "ShiftSwapRequest",
    "TimeZoneName",
    "TrainingRecord",
    "WorkOrder",
    "build_fact",
    "call_in_rest_hours",
    "in_rest_hours",
    "job_type_key",
    "read_id",
    "screen_value",
]

FactT = TypeVar("FactT", bound=BaseModel)


def _field(title: str, zh: str, description: str, default: Any = ..., **kwargs: Any) -> Any:
    """A documented field: English title, Chinese term, and a one-line description."""
    return Field(
        default,
        title=title,
        description=f"{description} ({zh})",
        json_schema_extra={"zh": zh},
        **kwargs,
    )


def _derived(title: str, zh: str, description: str, default: Any = None, *, source: tuple[str, ...] = ()) -> Any:
    """A derived field: computed from the ``source`` fields (dotted paths) when the model is built."""
    return Field(
        default,
        title=title,
        description=f"Derived: {description} ({zh})",
        json_schema_extra={"zh": zh, "derived": True, "source": list(source)},
    )


def _between(earlier: datetime, later: datetime) -> timedelta:
    """Real time from ``earlier`` to ``later``: instants compared in UTC, so a DST change counts.

    (Python subtracts two datetimes sharing one ``ZoneInfo`` by their wall clocks.)
    """
    return ensure_aware(later) - ensure_aware(earlier)


def _check_order(what: str, start: datetime, end: datetime) -> None:
    """ValueError unless ``what`` (a shift, a leave) ends after it starts, in real time."""
    if _between(start, end) <= timedelta(0):
        raise ValueError(f"{what} must end after it starts (got start {start.isoformat()}, end {end.isoformat()})")


def _not_before(fact: BaseModel, start: str, *later: str) -> None:
    """ValueError when a time in ``later`` (a field path; ``escalations.at`` reads every step)
    comes before the fact's ``start`` in real time: a step cannot precede what it follows."""
    first = getattr(fact, start)
    for path in later:
        head, _, tail = path.partition(".")
        values = [getattr(item, tail) for item in getattr(fact, head)] if tail else [getattr(fact, head)]
        for value in values:
            if value is not None and first is not None and _between(first, value) < timedelta(0):
                raise ValueError(f"{path} comes before {start}")  # a fixed text: columnar audits say the same


def _periods(wall: timedelta) -> int:
    """The 24-hour periods in a span of local clock time, rounded up, at least one. One shift is
    one day even when it runs past midnight (16:00-00:50); 08:30 on one day to 16:30 on the
    next is two; 00:00 to 00:00 is one, on a DST day too.

    >>> _periods(timedelta(hours=8, minutes=50))
    1
    """
    return max(1, -(-wall // timedelta(days=1)))


def _in_shifts(origin: datetime, at: datetime, full_day: timedelta) -> timedelta:
    """Shift time from ``origin`` to ``at`` (local wall clocks) when a shift of ``full_day``
    starts at ``origin``'s clock every day: whole days count a shift each, the rest up to one.

    >>> _in_shifts(datetime(2026, 3, 5, 8, 30), datetime(2026, 3, 6, 10, 30), timedelta(hours=8))
    datetime.timedelta(seconds=36000)
    """
    if at <= origin:
        return timedelta(0)
    whole, rest = divmod(at - origin, timedelta(days=1))
    return whole * full_day + min(rest, full_day)


def _days_of_leave(start: datetime, end: datetime, full_day_minutes: int,
                   walls: tuple[datetime, datetime] | None = None, shift_start: datetime | None = None) -> float:
    """Leave days from ``start`` to ``end`` (both local): the leave's time inside the agent's
    shifts, in shifts of ``full_day_minutes``. The shift starts at the local clock of
    ``shift_start`` (default ``start``) every day from then on and lasts ``full_day_minutes``,
    so 14:30 to 10:30 the next day on an 08:30 shift is 2 + 2 hours, half a day, not 滿一天
    (001 請假制度 五), while a night shift 16:00-00:50 missed is one day and 08:30 to 16:30 the
    next day two. The time reads the local wall clock, so a shift missed is one day on the day
    clocks change too (00:30-08:30 is eight hours of shift though seven pass); only where the
    wall clock runs back inside a leave (within the hour repeated in autumn) is real time read.
    ``walls`` are the local clocks of ``start`` and ``end`` (:func:`_wall`) when the caller has them.

    >>> zone = ZoneInfo("Asia/Shanghai")
    >>> _days_of_leave(datetime(2026, 3, 5, 8, 30, tzinfo=zone), datetime(2026, 3, 5, 10, 30, tzinfo=zone), 480)
    0.25
    """
    wall_start, wall_end = (_wall(start), _wall(end)) if walls is None else walls
    full_day = timedelta(minutes=full_day_minutes)
    if wall_end <= wall_start:  # inside the repeated hour: the wall clock ran back
        return _between(start, end) / full_day
    origin = (start if shift_start is None else shift_start.astimezone(start.tzinfo)).replace(tzinfo=None)
    inside = _in_shifts(origin, wall_end, full_day) - _in_shifts(origin, wall_start, full_day)
    return inside / full_day


def _wall(at: datetime) -> datetime:
    """Local clock time of ``at`` (in its zone), the first instant of a day read as its
    midnight: where clocks jump at midnight, a day starts at 01:00 and is still a whole day."""
    assert isinstance(at.tzinfo, ZoneInfo)
    midnight = datetime.combine(at.date(), time(0))
    if wall_to_utc(midnight, at.tzinfo) == at:
        return midnight
    return at.replace(tzinfo=None)


def _shown(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | time) else repr(value)


def _read(fact: BaseModel, path: str) -> Any:
    value: Any = fact
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


def _time_zone_field() -> Any:
    return Field(
        DEFAULT_TIME_ZONE,
        title="site time zone",
        description=(
            "IANA time zone whose local clock and calendar the derived fields read,"
            " whatever offset the datetimes were written with (時區)"
        ),
        json_schema_extra={"zh": "時區", "time_zone": True},
    )


@cache
def _zone(name: str) -> ZoneInfo:
    """The zone of a fact's ``time_zone``, loaded once per name."""
    return load_zone(name)  # a CalendarError (a ValueError) names the bad zone


def _check_zone(name: str) -> str:
    _zone(name)
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_zone)]
"""An IANA time-zone name such as ``"Asia/Shanghai"``; an unknown name is refused."""


def in_rest_hours(at: datetime | None, rest_from: time | None, rest_to: time | None, zone: ZoneInfo) -> bool:
    """Whether instant ``at`` falls in the rest hours ``rest_from``-``rest_to`` read in ``zone``.

    The hours are a local clock range; a range ending before it starts runs across midnight
    (22:00-08:00). Missing values mean no rest hours are known: never during rest.

    >>> from datetime import UTC
    >>> in_rest_hours(datetime(2026, 1, 5, 5, tzinfo=UTC), time(12), time(14), ZoneInfo("Asia/Shanghai"))
    True
    """
    if at is None or rest_from is None or rest_to is None:
        return False
    return in_daily_window(at.astimezone(zone).time(), rest_from, rest_to)


def call_in_rest_hours(at: datetime | None, lasting: timedelta | None, rest_from: time | None,
                       rest_to: time | None, zone: ZoneInfo) -> bool:
    """Whether a call made at ``at`` and ``lasting`` so long overlaps the rest hours: it starts in
    them, or they begin (the local clock reaches ``rest_from``) before it ends. Without a
    duration, as :func:`in_rest_hours`.

    >>> shanghai = ZoneInfo("Asia/Shanghai")
    >>> at = datetime(2026, 1, 5, 11, 50, tzinfo=shanghai)
    >>> [call_in_rest_hours(at, timedelta(minutes=m), time(12), time(14), shanghai) for m in (10, 15)]
    [False, True]
    """
    if in_rest_hours(at, rest_from, rest_to, zone):
        return True
    if at is None or rest_from is None or rest_to is None or not lasting or window_micros(rest_from, rest_to) == 0:
        return False
    if lasting >= timedelta(days=1):
        return True  # a day's call crosses every daily rest
    wall = at.astimezone(zone)
    # the wall clock's own span (an hour more or less across a change of offset)
    span = (at.astimezone(UTC) + lasting).astimezone(zone).replace(tzinfo=None) - wall.replace(tzinfo=None)
    return (clock_micros(rest_from) - clock_micros(wall.time())) % DAY_MICROS < span // timedelta(microseconds=1)


@cache
def derived_sources(model: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    """``model``'s derived fields, each with the paths it derives from (once per class)."""
    found: dict[str, tuple[str, ...]] = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("derived"):
            sources = extra.get("source")
            found[name] = tuple(str(path) for path in sources) if isinstance(sources, list) else ()
    return found


_NUMERIC_TEXT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
"""Text that reads as a number: pydantic would take it for Unix time in a datetime field."""



_NOT_UNIX = "a date-time is ISO 8601 text with an offset (2026-03-05T08:30:00+08:00), not a number"
"""Why a number for a date-time is refused (pydantic would read it as Unix time)."""

_PLAIN = frozenset({int, float, str, type(None)})
"""Classes of a number field's value that are no yes/no value."""


def _yes_no(value: Any) -> bool:
    """Whether ``value`` is a yes/no value: a bool, or numpy's (a pandas or Polars row gives
    ``numpy.bool_``, which is no ``bool`` and no :class:`numbers.Number`; told by its class, so
    numpy is never imported)."""
    kind = value.__class__
    return kind is bool or (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"))


def _unix_time(value: Any) -> bool:
    """Whether pydantic would read ``value`` in a date-time field as Unix time: any number
    (``int``, ``float``, numpy's, ``Decimal``, ``Fraction``), a yes/no value, or text or bytes
    that read as a number (ISO text with a time has a colon; only text without one can)."""
    if value is None or value.__class__ is datetime:
        return False
    if isinstance(value, str | bytes | bytearray):
        text = value if isinstance(value, str) else bytes(value).decode("latin-1")
        return ":" not in text and _NUMERIC_TEXT.fullmatch(text) is not None
    return isinstance(value, Number) or _yes_no(value)


@dataclass(frozen=True, slots=True)
class _Screen:
    """What :func:`_check` checks of one model's raw input, by field name."""

    numbers: tuple[str, ...]  # int or float fields: a yes/no value is not a number
    instants: tuple[str, ...]  # datetime fields: a number is not a date-time


def _leaves(annotation: Any) -> set[Any]:
    """The plain types an annotation admits (``int | None`` -> ``{int, NoneType}``,
    ``list[Step]`` -> ``{Step}``); Literal values and Annotated metadata are left out."""
    if get_origin(annotation) is Literal:
        return set()
    args = get_args(annotation)
    if not args:
        return {annotation}
    if get_origin(annotation) is Annotated:
        return _leaves(args[0])
    return set().union(*(_leaves(arg) for arg in args))


def _screen_of(model: type[Fact]) -> _Screen:
    numbers: list[str] = []
    instants: list[str] = []
    for name, info in model.model_fields.items():
        leaves = _leaves(info.annotation)
        if leaves & {int, float}:
            numbers.append(name)
        if leaves & {datetime, AwareDatetime}:
            instants.append(name)
    return _Screen(tuple(numbers), tuple(instants))


def _refused(name: str, message: str) -> ValidationProblems:
    """A raw value refused before pydantic reads it, located at its field."""
    return ValidationProblems(f"{name}: {message}", details=(Problem((name,), message),))


def _check(model: type[Fact], data: Any) -> Any:
    """``data``, unless it holds what pydantic's lax reading would silently turn into something
    else: a yes/no value for a number (``true`` or numpy's ``True`` read as 1), a number of
    any type or numeric text or bytes for a date-time (read as Unix time). Nested fact models
    check their own."""
    if not isinstance(data, dict):
        return data
    screen = model.__dict__.get("_screen_cache") or model._screened()
    value: Any
    for name in screen.numbers:
        value = data.get(name)
        if value.__class__ not in _PLAIN and _yes_no(value):  # the common classes at one test
            raise _refused(name, f"a number is expected, not a yes/no value (got {data[name]!r})")
    for name in screen.instants:
        value = data.get(name)
        kind = value.__class__
        if kind is str:  # the common case inline: ISO text with a time has a colon
            unix = ":" not in value and _NUMERIC_TEXT.fullmatch(value) is not None
        else:
            unix = kind is not datetime and _unix_time(value)
        if unix:
            raise _refused(name, f"{_NOT_UNIX} (got {shown(value)})")
    return data


def screen_value(model: type[Fact], name: str, value: Any) -> Any:
    """``value`` for field ``name`` of ``model`` as the model screens it when built (a reader
    that validates one field at a time applies the same refusals); a refusal raises
    :class:`~csrules._errors.ValidationProblems` located within the field."""
    try:
        _check(model, {name: value})
    except ValidationProblems as problem:
        raise ValidationProblems(problem.message, details=(Problem((), problem.details[0].message),)) from None
    return value


def _blank(value: Any) -> bool:
    """Whether ``value`` is blank text: empty or only whitespace."""
    return value.__class__ is str and (not value or value.isspace())


def _blank_is_none(value: Any) -> Any:
    """Blank text (empty or only whitespace) is not an entry: read as None."""
    return None if _blank(value) else value


def _blank_refused(value: Any) -> Any:
    """Blank text names no one: refused (leave the field out). Spaces around a name are no
    part of it (``"department_head "`` is the department head, not someone else)."""
    if _blank(value):
        raise ValueError(f"blank text names no one; leave the field out (got {value!r})")
    return value.strip() if isinstance(value, str) else value


Entry = Annotated[str | None, BeforeValidator(_blank_is_none)]
"""An optional text a person writes down (a log entry, a register column): blank text is read
as not written (None), so a rule testing ``is_missing`` sees a blank entry as missing."""

Named = Annotated[str | None, BeforeValidator(_blank_refused), NOT_BLANK_TEXT]
"""An optional name of who did something (an approver, a role reported to): blank text is
refused, never read as someone; surrounding spaces are dropped."""

RoleName = Annotated[str, BeforeValidator(_blank_refused), NOT_BLANK_TEXT]
"""A role that must be named (who holds an order): blank text is refused and surrounding
spaces dropped, as for :data:`Named`."""


ID_SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
             "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""Every character ``str.strip()`` drops around an id (those ``isspace`` holds for): a column
of ids stripped of exactly these (``str.strip_chars(ID_SPACES)``) reads as :data:`Id` does."""


INVISIBLE_MARKS = _INVISIBLE.pattern
"""A regular expression of the invisible format characters (zero-width space, byte-order mark,
direction marks) that text matching drops: a line of them and spaces shows nothing."""


def has_text(line: str) -> bool:
    """Whether ``line`` shows a character: one outside :data:`ID_SPACES` and :data:`INVISIBLE_MARKS`
    (a chat export's empty message may hold a zero-width space or a byte-order mark)."""
    return bool(_INVISIBLE.sub("", line).strip(ID_SPACES))


SALUTATIONS = ("您好", "你好", "妳好", "早上好", "上午好", "中午好", "下午好", "晚上好", "早安", "午安",
               "哈囉", "哈啰", "嗨", "hello", "hi")
"""Lines that hold only a greeting once their marks are dropped (:data:`SALUTATION_MARKS`), in
lower case: a transcript split after 您好 opens with the next line too (``opening``)."""

SALUTATION_MARKS = ID_SPACES + "!！,，.。、~～…?？;；:："
"""The spaces and punctuation around a greeting on a line of its own (您好！)."""


def only_salutation(line: str) -> bool:
    """Whether ``line`` holds a greeting and nothing else (``您好！``, ``Hello,``)."""
    return _INVISIBLE.sub("", line).strip(SALUTATION_MARKS).lower() in SALUTATIONS


def read_id(value: Any) -> Any:
    """An id as :data:`Id` reads it: some text that is not space, spaces around it no part of
    it (``"A01 "`` is staff number A01, the same person as ``"A01"``); blank text raises
    ValueError."""
    if _blank(value):
        raise ValueError(BLANK_ID)
    return value.strip() if isinstance(value, str) else value


Id = Annotated[str, BeforeValidator(read_id), NOT_BLANK_TEXT]
"""The one type of every id field (a staff number, an order or call number): blank text is
refused and surrounding spaces dropped, so an id compares equal to itself however it was
padded (in rules, in a fact's own checks and in session keys). Ids are otherwise compared as
given: ``a01`` and ``Ａ01`` are other ids than ``A01`` (a host's numbering is its own)."""

SomeId = Annotated[str | None, BeforeValidator(read_id), NOT_BLANK_TEXT]
"""An optional :data:`Id` (who answered, once someone did): None when not given, blank text
refused, surrounding spaces dropped."""


class Fact(BaseModel):
    """Base of the fact models: frozen, closed to unknown fields.

    Every way of building a fact refuses what pydantic's lax reading would silently turn into
    something else: a yes/no value for a number (``true`` read as 1) and a number or numeric
    text for a date-time (read as Unix time). Numbers must be finite: ``inf``, ``nan`` and
    text such as ``"1e400"`` are refused in every number field, a subclass's own too (the
    config says ``allow_inf_nan=False``; a model registered as a fact type that is no
    :class:`Fact` is made to refuse them when registered). An optional text a person writes
    down (:data:`Entry`) that is blank is read as not written (None); a blank name of who did
    something (:data:`Named`) is refused.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    _screen_cache: ClassVar[_Screen | None] = None
    __relations__: ClassVar[tuple[tuple[Any, ...], ...]] = ()
    """What the validators check across fields, as ``(field, op, source)`` triples (``("end",
    ">", "start")``), so that :mod:`csrules.testing` draws facts that hold them."""

    @classmethod
    def _screened(cls) -> _Screen:
        """This model's :class:`_Screen`, made once per class."""
        cls._screen_cache = _screen_of(cls)
        return cls._screen_cache

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """The model's schema behind :func:`_check`: every way of building the fact (and a fact
        nested in another) refuses the lax readings, at one call per fact."""
        return core_schema.no_info_before_validator_function(partial(_check, cls), handler(source))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, the changed fact is validated afresh, so its derived fields
        (``shift_start``, ``on_holiday`` ...) follow the new values and a bad value raises
        :class:`~csrules.FactError` (pydantic's copy would keep the old derived fields).

        .. versionchanged:: 0.2
           ``update`` re-validates.
        """
        if not update:
            return super().model_copy(deep=deep)
        derived = derived_sources(type(self))
        kept = {name: getattr(self, name) for name in self.model_fields_set if name not in derived}
        fact = validate_fact(type(self), {**kept, **update})
        return fact.model_copy(deep=True) if deep else fact  # type: ignore[return-value]

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:  # type: ignore[override]
        """The fact validated from ``values``: a fact's derived fields are filled, and its
        values checked, only by validation (invalid values raise :class:`~csrules.FactError`).

        .. versionchanged:: 0.2
           Validates, as :meth:`model_validate` does.
        """
        return validate_fact(cls, values)  # type: ignore[return-value]

    def _set(self, **values: Any) -> None:
        # Derived fields are filled while the model is built; it is frozen afterwards.
        for name, value in values.items():
            self._agrees(name, value)
            object.__setattr__(self, name, value)

    def _agrees(self, name: str, value: Any) -> None:
        """A derived field the caller gave must equal what it derives from; else ValueError."""
        sources = derived_sources(type(self)).get(name)
        if sources is None or name not in self.model_fields_set:
            return
        given = getattr(self, name)
        if given == value:
            return
        said = ", ".join(f"{path} {_shown(_read(self, path))}" for path in sources)
        because = f" ({said})" if said else ""
        raise ValueError(
            f"{name} was given as {_shown(given)}, but it derives {_shown(value)} from the other fields{because};"
            f" leave {name} out or make it agree"
        )


def build_fact(model: type[FactT], data: Any) -> FactT:
    """Build ``model`` from ``data``; invalid data raises :class:`csrules.FactError`.

    >>> build_fact(CallRecord, {"rings_before_pickup": -1, ...})  # doctest: +SKIP
    Traceback (most recent call last):
    csrules.exceptions.FactError: invalid call_record fact: rings_before_pickup: ...
    """
    fact = validate_fact(model, data)
    assert isinstance(fact, model)
    return fact


# --------------------------------------------------------------------------- people and shifts

Emotion = Literal["calm", "angry", "anxious", "sad", "loud"]
"""Customer emotions at intake (001 第四篇 客戶投訴及安撫情緒): 平靜, 憤怒, 焦急, 悲傷, 喧嘩."""


@register_fact_type(name="agent")
class Agent(Fact):
    """A customer-service employee (客服人員) as rosters and swap rules see them.

    .. versionadded:: 0.1
    """

    agent_id: Id = _field("agent id", "工號", "The employee's staff number")
    name: str | None = _field("name", "姓名", "The employee's name", None)
    role: RoleName = _field("role", "崗位", "Role id in the pack's role catalogue (agent, shift_lead ...)", "agent")
    job_type: RoleName = _field(
        "job type", "工種", "Job type; swaps need the same job type (001 換班制度 四)", "agent"
    )
    skill_level: int = _field(
        "skill level",
        "技術業務水平",
        "Skill grade, 1 (new) to 5 (expert); swaps need comparable levels",
        1,
        ge=1,
        le=5,
    )
    typing_speed: int | None = _field("typing speed", "打字速度", "Chinese characters typed per minute", None, ge=0)


class ShiftRef(Fact):
    """One shift occurrence as a swap request refers to it (班次).

    .. versionadded:: 0.1
    """

    start: AwareDatetime = _field("shift start", "上班時間", "When the shift starts")
    end: AwareDatetime = _field("shift end", "下班時間", "When the shift ends")
    night: bool = _field("night shift", "夜班", "The shift is a night shift", False)
    on_holiday: bool = _field("holiday shift", "節假日當班", "The shift falls on a public holiday", False)
    __relations__ = (("end", ">", "start"),)

    @model_validator(mode="after")
    def _ordered(self) -> ShiftRef:
        _check_order("a shift", self.start, self.end)
        return self


@register_fact_type(name="shift_assignment", event_time="start")
class ShiftAssignment(Fact):
    """An agent rostered on one shift (排班), with what happened at its end.

    .. versionadded:: 0.1
    """

    agent_id: Id = _field("agent id", "工號", "Who works the shift")
    shift: RoleName = _field("shift name", "班次", "Shift name in the pack's pattern (day, night ...)")
    start: AwareDatetime = _field("shift start", "上班時間", "When the shift starts")
    end: AwareDatetime = _field("shift end", "下班時間", "When the shift ends")
    night: bool = _field("night shift", "夜班", "The shift is a night shift", False)
    on_holiday: bool = _field("holiday shift", "節假日當班", "The shift falls on a public holiday", False)
    swapped: bool = _field("swapped shift", "換班/還班", "Worked because of a swap or a pay-back", False)
    campaign: bool = _field(
        "campaign period",
        "活動期間",
        "The shift falls in a sales campaign, when the weekly rest day may move to before or after it",
        False,
    )
    consecutive_days_worked: int = _field(
        "consecutive days worked", "連續上班天數", "Days worked in a row, this one included", 1, ge=0
    )
    left_at: AwareDatetime | None = _field("left at", "實際下班時間", "When the agent actually left", None)
    customer_in_service_at_end: bool = _field(
        "customer still served at end",
        "仍有客戶在諮詢",
        "A customer was still being served when the shift ended",
        False,
    )
    __relations__ = (("end", ">", "start"), ("left_at", ">=", "start"))

    @model_validator(mode="after")
    def _ordered(self) -> ShiftAssignment:
        _check_order("a shift", self.start, self.end)
        _not_before(self, "start", "left_at")  # leaving comes after the shift started, as arriving does
        return self


# --------------------------------------------------------------------------- leave

CERTIFICATE_CONTRADICTED = (
    "certificate is false but certificate_handed_at is given: the note handed in is the medical certificate;"
    " leave certificate_handed_at out, or set certificate true"
)
"""Why a leave request is refused whose sick note came without a certificate (a fixed text:
columnar audits say the same)."""

SHIFT_START_OUTSIDE = (
    "shift_start must fall within the leave: before its end, and less than a shift"
    " (full_day_minutes) before its start; a shift longer than full_day_minutes (480: eight hours)"
    " gives its length as full_day_minutes (780 for 11:50-00:50)"
)
"""Why a leave request is refused whose first shift missed lies outside the leave (a fixed
text: columnar audits say the same)."""

DAYS_BEYOND_SPAN = (
    "days is more than the days the leave spans from start to end (one shift a day at most);"
    " leave days out to count them, or correct start and end"
)
"""Why a leave request is refused whose given ``days`` exceeds the days it spans (a fixed text:
columnar audits say the same)."""

LeaveKind = Literal["personal", "special_personal", "sick", "business_trip", "training"]
"""Kinds of leave (001 請假制度): 一般事假, 特殊事假, 病假, 因公外出, 外出學習."""


@register_fact_type(name="leave_request", event_time="requested_at")
class LeaveRequest(Fact):
    """A request for leave (請假申請) as filed, with the facts the leave rules need.

    ``requested_clock``, ``request_lead_days`` and the default ``days`` read clocks and dates
    in ``time_zone`` (default ``Asia/Shanghai``), whatever offset the datetimes carry.

    .. versionadded:: 0.1
    """

    agent_id: Id = _field("agent id", "請假人", "The employee taking leave")
    kind: LeaveKind = _field("leave kind", "假別", "personal, special_personal, sick, business_trip or training")
    start: AwareDatetime = _field("leave start", "請假開始", "When the leave starts")
    end: AwareDatetime = _field("leave end", "請假結束", "When the leave ends")
    requested_at: AwareDatetime = _field("requested at", "提出時間", "When the request was made")
    requested_by: Id = _field("requested by", "申請人", "Staff number of whoever filed the request")
    shift_start: AwareDatetime | None = _field(
        "shift start", "班前", "Start of the first shift missed (defaults to the leave start)", None
    )
    submitted_to: Named = _field(
        "submitted to", "提交給", "Role the request was first handed to (level by level)", None
    )
    requester_role: RoleName = _field(
        "requester role", "請假人崗位", "Role of the person asking (level by level starts at its superior)", "agent"
    )
    certificate: bool = _field(
        "medical certificate",
        "醫療單位證明",
        "A medical certificate is attached; when not given, true if certificate_handed_at is given, else false",
        False,
    )
    certificate_continuous: bool = _field(
        "certificate continuous", "證明時間連續", "The certificates cover the sick days without gaps", True
    )
    certificate_handed_at: AwareDatetime | None = _field(
        "certificate handed in at",
        "假條交班長時間",
        "When the sick note with its medical certificate reached the shift lead",
        None,
    )
    emergency: bool = _field("emergency", "急診", "Emergency (urgent care) sick leave", False)
    phoned_shift_lead_at: AwareDatetime | None = _field(
        "phoned shift lead at", "電話通知班長", "When the shift lead was phoned (may be by someone else)", None
    )
    night_shift: bool = _field("night shift", "夜班", "The leave falls on a night shift", False)
    on_holiday: bool = _field(
        "on a holiday",
        "節假日",
        "The leave falls on a public holiday, as the host's roster says; the built-in call-centre pack"
        " does not read it but asks its holiday calendar (on_holiday of shift_start)",
        False,
    )
    on_swapped_shift: bool = _field(
        "on a swapped shift", "換班和還班", "The leave falls on a swapped or paid-back shift", False
    )
    manager_approved: bool = _field(
        "manager approved",
        "經管理人員批准",
        "A manager approved the request despite short notice or a night/holiday shift",
        False,
    )
    approver: Named = _field(
        "approver", "批准人",
        "Role that approved the leave, once approved (a role of the pack's catalogue: the call-centre pack"
        " counts a late leave approved only by the department head or a role above him)", None
    )
    days: float = _field(
        "leave days",
        "請假天數",
        "Leave days; when not given, the leave's local clock time (in time_zone) inside the agent's shifts,"
        " in shifts of full_day_minutes: a shift starts at the clock of shift_start every day and lasts"
        " full_day_minutes, so one shift missed is one day, even past midnight, and 14:30 to 10:30 the next"
        " day on an 08:30 shift is half a day (2 + 2 of 8 hours), not a full day (滿一天)",
        0.0,
        ge=0,
        allow_inf_nan=False,
    )
    full_day_minutes: int = _field(
        "minutes of a full day",
        "滿一天時長",
        "Minutes of leave that make a full day, one shift (480: eight hours), from the clock of shift_start"
        " every day; a shorter leave is that share of a day",
        480,
        ge=60,
        le=1440,
    )
    time_zone: TimeZoneName = _time_zone_field()
    in_person: bool = _derived(
        "in person", "本人辦理", "requested_by is the employee", True, source=("requested_by", "agent_id")
    )
    requested_clock: time = _derived(
        "time of request",
        "提出時刻",
        "local time of day of requested_at, read in time_zone",
        time(0),
        source=("requested_at", "time_zone"),
    )
    request_lead_days: int = _derived(
        "days ahead",
        "提前天數",
        "local dates from the request to the shift start, read in time_zone",
        0,
        source=("requested_at", "shift_start", "time_zone"),
    )
    returned_at: AwareDatetime | None = _derived("back at work", "病假到期後第一天", "= end", None, source=("end",))
    first_day_back: AwareDatetime | None = _derived(
        "first day back",
        "病假到期後第一天",
        "local midnight starting the day after the leave's last day: the day of the last shift the leave"
        " reaches (shifts start at the clock of shift_start every day, so a night shift past midnight is"
        " its first day's), never before the day the leave ends, read in time_zone",
        None,
        source=("start", "end", "shift_start", "time_zone"),
    )
    __relations__ = (
        ("end", ">", "start"),
        ("certificate_handed_at", "if", "certificate"),
        ("shift_start", "<", "end"),
        ("shift_start", ">", (lambda start, minutes: start - timedelta(minutes=minutes), "start", "full_day_minutes")),
        # days spanned read local clocks, which a DST change and a day starting at 01:00 move
        # by an hour each: whole days of real time less two hours are spanned in any zone
        ("days", "<=", (lambda start, end: max(1, (_between(start, end) - timedelta(hours=2)) // timedelta(days=1)),
                        "start", "end")),
    )

    @model_validator(mode="after")
    def _derive(self) -> LeaveRequest:
        _check_order("leave", self.start, self.end)
        if self.certificate_handed_at is not None and "certificate" not in self.model_fields_set:
            object.__setattr__(self, "certificate", True)  # what reached the shift lead is the certificate
        elif self.certificate_handed_at is not None and not self.certificate:
            # 001 請假制度 五: the note handed in is the medical certificate (醫療單位證明)
            raise ValueError(CERTIFICATE_CONTRADICTED)
        zone = _zone(self.time_zone)
        begins, ends = self.start.astimezone(zone), self.end.astimezone(zone)
        walls = _wall(begins), _wall(ends)
        spanned = _periods(walls[1] - walls[0])
        shift_start = self.shift_start or self.start
        # the shift had run less than a shift when the leave began, and starts before the leave ends
        if _between(shift_start, self.start) >= timedelta(minutes=self.full_day_minutes) \
                or _between(shift_start, self.end) <= timedelta(0):
            raise ValueError(SHIFT_START_OUTSIDE)  # days, notice and first day back all read it
        requested = self.requested_at.astimezone(zone)
        given = "days" in self.model_fields_set
        if given and self.days > spanned:  # more shifts than days spanned: start, end or days is wrong
            raise ValueError(DAYS_BEYOND_SPAN)
        days = self.days if given else _days_of_leave(begins, ends, self.full_day_minutes, walls, shift_start)
        # Back on the day after the last shift the leave reaches (shifts start at shift_start's
        # clock every day: a leave from the evening before a day shift ends with that shift's
        # day, a night shift 16:00-00:50 with its first day), never before the day it ends.
        origin = _wall(shift_start.astimezone(zone))
        back = max(origin.date() + timedelta(days=_periods(walls[1] - origin)), ends.date())
        self._set(
            days=days,
            in_person=self.requested_by == self.agent_id,
            requested_clock=requested.time().replace(tzinfo=None),
            request_lead_days=(shift_start.astimezone(zone).date() - requested.date()).days,
            shift_start=shift_start,
            returned_at=self.end,
            # 001 請假制度 五: the sick note is due "on the first day after the leave ends".
            first_day_back=wall_to_utc(datetime.combine(back, time(0)), zone).astimezone(zone),
        )
        return self


# --------------------------------------------------------------------------- attendance

ClockKind = Literal["clock_in", "clock_out", "leave_post", "return_post"]

ATTENDANCE_ARRIVED_AFTER_END = (
    "arrived_at is not before shift_end: an arrival once the shift is over is no arrival to it;"
    " leave arrived_at out (the agent did not come)"
)
"""Why an attendance record arriving after its shift is refused (a fixed text: columnar audits say the same)."""
ATTENDANCE_LEFT_WITHOUT_ARRIVAL = (
    "left_at is given without arrived_at: an agent who left had come; give arrived_at (a clock-in missed)"
    " or leave left_at out"
)
"""Why an attendance record with a departure and no arrival is refused (it would read as 曠工)."""
ATTENDANCE_AWAY_WITHOUT_ARRIVAL = (
    "away_minutes is more than 0 without arrived_at: an agent away from the post had come to it; give"
    " arrived_at (a clock-in missed) or leave the time away out (the agent did not come: 曠工)"
)
"""Why an attendance record away from the post with no arrival is refused (it would read as
曠工 and as time away from the post at once)."""
ATTENDANCE_LEFT_BEFORE_ARRIVAL = "left_at comes before arrived_at: an agent leaves after arriving"
"""Why an attendance record leaving before it arrives is refused."""
ATTENDANCE_AWAY_TOO_LONG = "away_minutes is longer than the shift (shift_start to shift_end)"
"""Why an attendance record away from the post for longer than its shift is refused."""
ATTENDANCE_LONGEST_OVER_TOTAL = (
    "longest_away_minutes is more than away_minutes: one absence is part of the shift's time away"
)
"""Why an attendance record whose longest absence outlasts all its time away is refused."""
ATTENDANCE_APPROVER_WITHOUT_APPROVAL = (
    "away_approved_by names an approver but away_approved is false: the two contradict each other; set"
    " away_approved true (the approver allowed it) or leave away_approved_by out (nobody did)"
)
"""Why an attendance record naming who approved an absence that was not approved is refused."""

class RoleNames(Protocol):
    """What :meth:`AttendanceRecord.from_events` reads of a role catalogue
    (:class:`~csrules.domain.roles.RoleCatalogue`): whether it holds a name, and the role a
    name (an id or an alias) is."""

    def __contains__(self, name: object) -> bool:
        """Whether a role goes by ``name``."""

    def role(self, role_id: str) -> Any:
        """The role going by ``role_id`` (it has an ``id``)."""


SHIFT_MARGIN = timedelta(hours=4)
"""How far before its start and after its end a shift's clock events may fall
(:meth:`AttendanceRecord.from_events`): an early arrival, a late departure; further away they
belong to another shift."""


@register_fact_type(name="clock_event", event_time="at")
class ClockEvent(Fact):
    """One clock or desk event (打卡): in, out, leaving the post, coming back.

    .. versionadded:: 0.1
    """

    agent_id: Id = _field("agent id", "工號", "Whose event")
    kind: ClockKind = _field("event kind", "打卡類型", "clock_in, clock_out, leave_post or return_post")
    at: AwareDatetime = _field("at", "時間", "When it happened")
    approved_by: Named = _field(
        "approved by", "批准人",
        "Role that allowed leaving the post (a leave_post, or a clock_out in the middle of the shift)", None
    )


def _arrival_drawn(away_minutes: int, shift_start: datetime) -> bool | None:
    """For strategies: whether a drawn attendance record has an arrival (None: it has none).
    Time away needs one; without time away both sides are drawn, by the parity of the shift
    start's minute (a field drawn before, so no record the model accepts is left out)."""
    return True if away_minutes > 0 or shift_start.minute % 2 == 0 else None


@register_fact_type(name="attendance_record", event_time="shift_start")
class AttendanceRecord(Fact):
    """One agent's attendance on one shift (考勤記錄): lateness and time away from the post.

    Build it from raw clock events with :meth:`from_events`.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``longest_away_minutes``: the longest single absence among those ``away_minutes`` counts.
    """

    agent_id: Id = _field("agent id", "工號", "Whose attendance")
    shift_start: AwareDatetime = _field("shift start", "上班時間", "When the shift starts")
    shift_end: AwareDatetime = _field("shift end", "下班時間", "When the shift ends")
    arrived_at: AwareDatetime | None = _field("arrived at", "到崗時間", "Clock-in time; none: did not come", None)
    left_at: AwareDatetime | None = _field("left at", "離崗下班時間", "Clock-out time", None)
    leave_approved: bool = _field(
        "leave approved", "已請假", "Leave covering the lateness or absence was approved", False
    )
    away_minutes: int = _field(
        "minutes away from the post", "脫崗分鐘", "Minutes away from the desk during the shift", 0, ge=0
    )
    longest_away_minutes: int | None = _field(
        "longest absence from the post",
        "單次最長脫崗分鐘",
        "Minutes of the longest single absence among those away_minutes counts (from_events fills it); none:"
        " away_minutes is read as one absence",
        None,
        ge=0,
    )
    away_approved: bool = _field(
        "absence from post approved", "離台已獲批准",
        "Leaving the desk was allowed; who allowed it (away_approved_by) is read by the pack's rules: the call"
        " centre's shift lead or a role above, the e-commerce shop's CS supervisor (主管)", False
    )
    away_approved_by: Named = _field(
        "absence from post approved by",
        "批准離台人",
        "Role that allowed leaving the desk; the pack's rules accept only the roles that may (the call centre's"
        " shift lead or a role above it, the e-commerce shop's CS supervisor)",
        None,
    )
    switched_post: bool = _field("switched post", "串崗", "Worked at another post without leave", False)
    late_minutes: int = _derived(
        "minutes late", "遲到分鐘", "minutes from shift start to arrival", 0, source=("shift_start", "arrived_at")
    )
    early_leave_minutes: int = _derived(
        "minutes left early", "早退分鐘", "minutes from leaving to shift end", 0, source=("left_at", "shift_end")
    )
    absent: bool = _derived("absent", "曠工(未到崗)", "no arrival recorded", False, source=("arrived_at",))
    __relations__ = (
        ("shift_end", ">", "shift_start"),
        ("arrived_at", "<", "shift_end"),
        # time away needs an arrival; with none away, an arrival is drawn on either side (an odd
        # minute of shift_start: absent), so every record the validator accepts can be drawn
        ("arrived_at", "with", (_arrival_drawn, "away_minutes", "shift_start")),
        ("left_at", "if", "arrived_at"),
        ("left_at", ">=", "arrived_at"),
        ("away_minutes", "<=", (lambda start, end: _between(start, end) // timedelta(minutes=1),
                                "shift_start", "shift_end")),
        ("longest_away_minutes", "<=", "away_minutes"),
        ("away_approved_by", "if", "away_approved"),
    )

    @model_validator(mode="after")
    def _derive(self) -> AttendanceRecord:
        _check_order("a shift", self.shift_start, self.shift_end)
        self._consistent()
        late = early = 0
        if self.arrived_at is not None:
            late = max(0, int(_between(self.shift_start, self.arrived_at).total_seconds() // 60))
        if self.left_at is not None:
            early = max(0, int(_between(self.left_at, self.shift_end).total_seconds() // 60))
        self._set(late_minutes=late, early_leave_minutes=early, absent=self.arrived_at is None)
        return self

    def _consistent(self) -> None:
        """ValueError for times that contradict each other (fixed texts: columnar audits say the same)."""
        arrived = self.arrived_at
        if arrived is not None and _between(arrived, self.shift_end) <= timedelta(0):
            raise ValueError(ATTENDANCE_ARRIVED_AFTER_END)
        if arrived is None and self.left_at is not None:
            raise ValueError(ATTENDANCE_LEFT_WITHOUT_ARRIVAL)
        if arrived is None and self.away_minutes > 0:
            raise ValueError(ATTENDANCE_AWAY_WITHOUT_ARRIVAL)
        if arrived is not None and self.left_at is not None and _between(arrived, self.left_at) < timedelta(0):
            raise ValueError(ATTENDANCE_LEFT_BEFORE_ARRIVAL)
        if timedelta(minutes=self.away_minutes) > _between(self.shift_start, self.shift_end):
            raise ValueError(ATTENDANCE_AWAY_TOO_LONG)
        if self.longest_away_minutes is not None and self.longest_away_minutes > self.away_minutes:
            raise ValueError(ATTENDANCE_LONGEST_OVER_TOTAL)
        if self.away_approved_by is not None and not self.away_approved:
            raise ValueError(ATTENDANCE_APPROVER_WITHOUT_APPROVAL)

    @classmethod
    def from_events(
        cls,
        events: list[ClockEvent] | list[Mapping[str, Any]],
        *,
        shift_start: datetime,
        shift_end: datetime,
        leave_approved: bool = False,
        margin: timedelta | str = SHIFT_MARGIN,
        approvers: Collection[str] | None = None,
        roles: RoleNames | None = None,
        clocked_out_is_away: bool = True,
    ) -> AttendanceRecord:
        """Fold one agent's clock events of one shift into a record.

        Arrival is the first ``clock_in``, departure the last ``clock_out`` unless a ``clock_in``
        follows it (clocked back in: that gap is time away, not a departure). Time away from the
        post is each absence from a ``leave_post`` to the following ``return_post`` (or the
        next ``leave_post``, which starts another absence under its own approval, or the
        departure), and each gap from a ``clock_out`` to the next ``clock_in`` (clocked out in
        the middle of the shift: approved only when that ``clock_out`` names an approver). Only
        its part while on duty counts: inside the shift and between arrival and departure (time
        away before clocking in is lateness, after clocking out early leave, never 脫崗), and
        time counted twice is counted once.
        An absence is approved when its ``leave_post`` names an approver (``away_approved_by``:
        the pack's rules decide whether that role may approve); a clock-out gap inside it is
        part of it (only a gap's time outside every approved absence is unapproved).
        Approved time away is no breach, so when any time away was unapproved the record carries
        only the unapproved minutes (``away_approved`` false); otherwise the approved minutes
        (``away_approved`` true), and ``longest_away_minutes`` the longest single absence among
        them (absences that share or touch an instant are one: the agent never came back).
        Refused (a record is one agent's, of one shift): events of several agents, or none at
        all; an event more than ``margin`` (4 hours) before the shift starts or after it ends
        (another shift's); approved absences naming different approvers (a record names one);
        events that make no consistent record (a ``clock_out`` or time away from the post
        without a ``clock_in``, a ``clock_in`` after the shift end): the :class:`~csrules.FactError` names the event.
        ``events`` are :class:`ClockEvent` objects or mappings of their fields (JSON); ``margin``
        a timedelta or text (``"4h"``); an argument of another kind (a single name for
        ``approvers``, ``"no"`` for ``clocked_out_is_away``) is refused, naming it.

        ``approvers`` names the roles that may allow leaving the post (the pack's shift lead
        and the roles above it). Given, an absence another name approved is unapproved, so it
        counts with the unapproved minutes; without it, an approval among unapproved absences
        is taken at its word. ``roles`` (the pack's role catalogue) reads every approver and
        every name in ``approvers`` as its role id, so ``班長`` and ``shift_lead`` are one
        approver; without it, names are compared as written (give ``approvers`` in every
        spelling the events use). A host whose agents clock out
        for breaks the roster allows passes ``clocked_out_is_away=False``: a clock-out gap is
        then no time away (leave the break's events out to count the rest).

        .. versionchanged:: 0.2
           A clock-out gap is time away; time away is clipped to arrival and departure; a second
           ``leave_post`` starts another absence; ``roles`` and ``clocked_out_is_away``;
           ``longest_away_minutes``.
        """
        events = _clock_events(events)
        margin = _margin(margin)
        _check_arguments(approvers, roles, clocked_out_is_away)
        ordered = sorted(events, key=lambda e: e.at.astimezone(UTC))
        agents = {e.agent_id for e in ordered}
        if len(agents) != 1:
            found = f"several agents: {sorted(agents)}" if agents else "none"
            _refuse_events(f"an attendance record folds the clock events of one agent (got {found})",
                           f"events of {found}")
        if margin < timedelta(0):
            _refuse_events(f"margin must not be negative (got {margin})", "margin is negative")
        start, end = _instant(shift_start, "shift_start"), _instant(shift_end, "shift_end")
        if end <= start:  # checked before the events, which would be blamed for it
            _refuse_events(f"a shift must end after it starts (got shift_start {shift_start.isoformat()},"
                           f" shift_end {shift_end.isoformat()})", "shift_end is not after shift_start", "shift_end")
        try:  # real time (event times are aware: validated)
            earliest = start - margin
        except OverflowError:
            raise beyond_dates("shift_start", shift_start) from None
        try:
            latest = end + margin
        except OverflowError:
            raise beyond_dates("shift_end", shift_end) from None
        for index, event in enumerate(events):
            if not earliest <= event.at <= latest:
                _refuse_events(
                    f"an attendance record folds the clock events of one shift: events[{index}] ({event.kind} at"
                    f" {event.at.isoformat()}) is more than {margin} outside the shift {shift_start.isoformat()}"
                    f" to {shift_end.isoformat()}; pass only that shift's events",
                    f"events[{index}].at is outside the shift",
                )
        arrived = next((e.at for e in ordered if e.kind == "clock_in"), None)
        left = _departure(ordered)
        # only time away while on duty counts (值守 is the shift, from arrival to departure)
        on_duty = max(start, arrived or start).astimezone(UTC), min(end, left or end).astimezone(UTC)
        name = partial(_role_id, roles)
        allowed = None if approvers is None else {name(_approver(approver)) for approver in approvers}
        away: dict[str | None, list[tuple[datetime, datetime]]] = {}  # by approver (None: unapproved)
        for approver, gone, back in _times_away(ordered, on_duty[1], clocked_out_is_away):
            if approver is not None:
                approver = name(approver)
                if allowed is not None and approver not in allowed:
                    approver = None  # allowed by someone who may not: no approval
            clipped = max(gone, on_duty[0]), min(back, on_duty[1])
            if clipped[0] < clipped[1]:
                away.setdefault(approver, []).append(clipped)
        # a clock-out gap inside an approved absence is part of it: only its rest went unapproved
        unapproved_spans = away.pop(None, [])
        approved = [span for spans in away.values() for span in spans]
        unapproved_rest = _outside(unapproved_spans, approved)
        unapproved = _minutes(unapproved_rest)
        if len(away) > 1 and not unapproved and approvers is None:
            _refuse_events(
                f"absences approved by different roles ({', '.join(sorted(map(str, away)))}): an attendance record"
                " names one approver of the time away; pass approvers (who may allow it) or roles (to read"
                " one role's spellings as one), or build the record with away_approved_by yourself",
                "events.approved_by names different approvers",
            )
        approver = next(iter(away)) if len(away) == 1 else None  # several, all in approvers: checked here
        counted = unapproved_rest if unapproved else approved
        minutes = _minutes(counted)
        record = {
            "agent_id": agents.pop(),
            "shift_start": shift_start,
            "shift_end": shift_end,
            "arrived_at": arrived,
            "left_at": left,
            "leave_approved": leave_approved,
            "away_minutes": minutes,
            "longest_away_minutes": max((_minutes([span]) for span in _merged(counted)), default=0),
            "away_approved": bool(minutes) and not unapproved,
            "away_approved_by": approver if minutes and not unapproved else None,
        }
        try:
            return build_fact(cls, record)
        except FactError as exc:  # name the events behind the times that contradict
            sources = [f"{field} from {_event_named(events, kind, at)}"
                       for field, kind, at in (("arrived_at", "clock_in", arrived), ("left_at", "clock_out", left))
                       if at is not None]
            _refuse_events(f"{exc} (folded from the clock events: {'; '.join(sources) or 'no clock_in or clock_out'})",
                           "; ".join(problem for _, problem in exc.problems))


def _clock_events(events: object) -> list[ClockEvent]:
    """``events`` as clock events: a list (or tuple) of :class:`ClockEvent` or of mappings
    read as one (a FactError names the first that is neither, or that does not validate)."""
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, list | tuple):
        _refuse_events(f"events must be a list of clock events (got {type(events).__name__} {shown(events)})",
                       "events is not a list")
    out: list[ClockEvent] = []
    for index, event in enumerate(events):
        if isinstance(event, Mapping):
            try:
                event = build_fact(ClockEvent, event)
            except FactError as exc:
                _refuse_events(f"events[{index}] is no clock event: {exc}", f"events[{index}] does not validate")
        if not isinstance(event, ClockEvent):
            _refuse_events(f"events[{index}] must be a ClockEvent or a mapping of its fields (got"
                           f" {type(event).__name__} {shown(event)})", f"events[{index}] is no clock event")
        out.append(event)
    return out


def _margin(margin: object) -> timedelta:
    """``margin`` as a timedelta (a timedelta, or text such as ``"4h"``); a FactError names it otherwise."""
    if isinstance(margin, timedelta | str):
        try:
            return parse_clock_duration(margin)
        except DurationError as exc:
            message = f"margin: {exc}"
    else:
        message = f'margin must be a duration such as timedelta(hours=4) or "4h" (got {shown(margin)})'
    raise FactError(message, fact_type="attendance_record", problems=[("margin", "margin is no duration")])


def _check_arguments(approvers: object, roles: object, clocked_out_is_away: object) -> None:
    """Refuse arguments of :meth:`AttendanceRecord.from_events` that would be misread: a single
    name for ``approvers`` (its letters would be the names), a ``roles`` that is no catalogue, a
    ``clocked_out_is_away`` that is not a bool (``"no"`` is true)."""
    if isinstance(approvers, str | bytes) or not (approvers is None or isinstance(approvers, Collection)):
        _refuse_events(f"approvers must be a collection of role names such as ['shift_lead'] (got {shown(approvers)})",
                       "approvers is not a collection of names", "approvers")
    if roles is not None and (isinstance(roles, str) or not callable(getattr(roles, "role", None))):
        _refuse_events(f"roles must be a role catalogue such as pack.roles (got {shown(roles)})",
                       "roles is no role catalogue", "roles")
    if not isinstance(clocked_out_is_away, bool):
        _refuse_events(f"clocked_out_is_away must be True or False (got {shown(clocked_out_is_away)})",
                       "clocked_out_is_away is not a bool", "clocked_out_is_away")


def _instant(value: datetime, name: str) -> datetime:
    """``value`` (the argument ``name``) in UTC: a TimeError names it when it is naive, or too
    near the ends of the calendar to read in UTC (0001-01-01T01:00+08:00)."""
    try:
        return ensure_aware(value, name)
    except OverflowError:
        raise beyond_dates(name, value) from None


def _departure(ordered: list[ClockEvent]) -> datetime | None:
    """The last ``clock_out`` of events in time order, or None when a ``clock_in`` follows it:
    an agent who clocked back in and never out again did not leave at the earlier clock-out
    (that gap is time away, not early leave). A ``clock_out`` before the first ``clock_in``
    is returned, so the record refuses a departure before the arrival, naming the event."""
    clocks = [e for e in ordered if e.kind in ("clock_in", "clock_out")]
    if clocks and clocks[0].kind == "clock_out":
        return clocks[0].at
    return clocks[-1].at if clocks and clocks[-1].kind == "clock_out" else None


def _approver(name: str) -> str:
    """A name of ``approvers`` read as event approvers are: spaces around it dropped, blank refused."""
    if not isinstance(name, str) or not name.strip():
        _refuse_events(f"approvers names the roles that may allow leaving the post; {name!r} names none",
                       "approvers holds a blank name", "approvers")
    return name.strip()


def _role_id(roles: RoleNames | None, name: str) -> str:
    """``name`` as ``roles`` names the role (an alias read as its role's id); as written when
    no catalogue is given or it holds no such role."""
    return roles.role(name).id if roles is not None and name in roles else name


def _times_away(ordered: list[ClockEvent], until: datetime,
                gaps: bool = True) -> list[tuple[str | None, datetime, datetime]]:
    """Each time away in clock events (in time order), with who approved it (None: nobody):
    ``leave_post`` to the next ``return_post`` or ``leave_post`` (else ``until``), and with
    ``gaps`` ``clock_out`` to the next ``clock_in`` (a gap in the middle of the shift, approved
    by whoever its ``clock_out`` names)."""
    found: list[tuple[str | None, datetime, datetime]] = []
    gone: ClockEvent | None = None
    out: ClockEvent | None = None
    for event in ordered:
        at = event.at.astimezone(UTC)  # compared as instants (one zone's datetimes compare wall clocks)
        if event.kind in ("leave_post", "return_post") and gone is not None:
            found.append((gone.approved_by, gone.at.astimezone(UTC), at))
            gone = None
        if event.kind == "leave_post":
            gone = event
        elif event.kind == "clock_out" and out is None:
            out = event
        elif event.kind == "clock_in" and out is not None:
            if gaps:
                found.append((out.approved_by, out.at.astimezone(UTC), at))
            out = None
    if gone is not None:
        found.append((gone.approved_by, gone.at.astimezone(UTC), until))
    return found


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The ``spans`` as separate stretches of time: spans that share or touch an instant are
    one (an agent leaving again as they return never came back), in time order."""
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = merged[-1][0], max(merged[-1][1], finish)
        else:
            merged.append((begin, finish))
    return merged


def _minutes(spans: list[tuple[datetime, datetime]]) -> int:
    """Whole minutes of time the ``spans`` cover, time two of them share counted once."""
    total = sum((finish - begin for begin, finish in _merged(spans)), timedelta(0))
    return int(total.total_seconds() // 60)


def _outside(spans: list[tuple[datetime, datetime]],
             cover: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The parts of ``spans`` no span of ``cover`` holds."""
    rest = spans
    for low, high in cover:
        rest = [part for begin, finish in rest
                for part in ((begin, min(finish, low)), (max(begin, high), finish)) if part[0] < part[1]]
    return rest


def _event_named(events: list[ClockEvent], kind: str, at: datetime) -> str:
    """``events[i] (kind at time)``: the event a folded record's time came from."""
    index = next(i for i, e in enumerate(events) if e.kind == kind and e.at == at)
    return f"events[{index}] ({kind} at {at.isoformat()})"


def _refuse_events(message: str, problem: str, field: str = "events") -> NoReturn:
    """Raise the :class:`~csrules.FactError` of clock events that fold into no one record
    (``field``: the argument at fault)."""
    raise FactError(message, fact_type="attendance_record", problems=[(field, problem)])


def job_type_key(job_type: str) -> str:
    """A job type as swaps compare it (001 換班制度 四 同工種): surrounding spaces dropped, then
    folded as text rules fold text (case, Chinese script, spaces beside Chinese), so one job
    written ``話務員``, ``话务员`` or ``Phone `` / ``phone`` is one job."""
    return fold_text(job_type.strip(), "zh")


LeadDecision = Literal["pending", "agreed", "declined"]
"""A shift lead's answer to a swap request (001 換班制度 二): 未答覆, 同意, 不同意."""


@register_fact_type(name="shift_swap", event_time="requested_at")
class ShiftSwapRequest(Fact):
    """A request to swap shifts between two agents (換班申請).

    .. versionadded:: 0.1
    """

    __subject__ = "requester.agent_id"  # whose decision records are (csrules.records)

    requester: Agent = _field("requester", "換班者", "The agent asking to swap")
    partner: Agent = _field("partner", "還班者", "The agent taking the shift")
    requester_shift: ShiftRef = _field("requester's shift", "換出班次", "The shift the requester gives away")
    partner_shift: ShiftRef = _field("partner's shift", "換回班次", "The shift the requester takes in return")
    requested_at: AwareDatetime = _field("requested at", "申請時間", "When the swap was requested")
    is_payback: bool = _field("pay-back", "還班", "This swap pays back an earlier one", False)
    swaps_this_month: int = _field(
        "requester's earlier swaps this month", "本月已換班次數", "Swaps the requester already made this month", 0, ge=0
    )
    partner_swaps_this_month: int = _field(
        "partner's earlier swaps this month", "對方本月已換班次數", "Swaps the partner already made this month", 0, ge=0
    )
    previous_was_swap: bool = _field(
        "previous shift was a swap", "連續換班", "The requester's previous shift was itself a swap", False
    )
    creates_back_to_back: bool = _field(
        "creates back-to-back shifts", "連班", "Either agent would work two shifts back to back", False
    )
    # The older yes/no spelling of the decisions below: giving true alone means agreed.
    requester_lead_approved: bool = _derived(
        "requester's shift lead agreed",
        "換班者班長同意",
        "requester_lead_decision is agreed (true given alone sets it to agreed)",
        False,
        source=("requester_lead_decision",),
    )
    partner_lead_approved: bool = _derived(
        "partner's shift lead agreed",
        "還班者班長同意",
        "partner_lead_decision is agreed (true given alone sets it to agreed)",
        False,
        source=("partner_lead_decision",),
    )
    requester_lead_decision: LeadDecision = _field(
        "requester's shift lead decision",
        "換班者班長意見",
        "pending, agreed or declined; requester_lead_approved: true is the same as agreed",
        "pending",
    )
    partner_lead_decision: LeadDecision = _field(
        "partner's shift lead decision",
        "還班者班長意見",
        "pending, agreed or declined; partner_lead_approved: true is the same as agreed",
        "pending",
    )
    requester_lead: SomeId = _field(
        "requester's shift lead", "換班者班長", "Staff number of the shift lead who gave requester_lead_decision", None
    )
    partner_lead: SomeId = _field(
        "partner's shift lead", "還班者班長", "Staff number of the shift lead who gave partner_lead_decision", None
    )
    own_approval: bool = _derived(
        "agreed by a party to the swap",
        "自行批准",
        "a shift lead who agreed (requester_lead or partner_lead) is the requester or the partner",
        False,
        source=("requester_lead", "partner_lead", "requester.agent_id", "partner.agent_id",
                "requester_lead_decision", "partner_lead_decision"),
    )
    form_filed: bool = _field("swap form filed", "換班登記表", "The swap register form was filled in", False)
    handover_clear: bool = _field(
        "handover clear", "交待清楚", "Both sides agreed who works when; false once a shift went uncovered", True
    )
    swap_number: int = _derived(
        "this swap's number this month", "本月第幾次換班", "swaps_this_month + 1", 1, source=("swaps_this_month",)
    )
    partner_swap_number: int = _derived(
        "partner's swap number this month",
        "對方本月第幾次換班",
        "partner_swaps_this_month + 1",
        1,
        source=("partner_swaps_this_month",),
    )
    skill_gap: int = _derived(
        "skill gap",
        "技術水平差距",
        "difference of the two skill levels",
        0,
        source=("requester.skill_level", "partner.skill_level"),
    )
    same_job_type: bool = _derived(
        "same job type",
        "同工種",
        "the two agents' job types are one job, read as text matching reads text: surrounding spaces,"
        " case and Chinese script aside (話務員 and 话务员 are one job)",
        True,
        source=("requester.job_type", "partner.job_type"),
    )
    on_holiday: bool = _derived(
        "holiday shift involved",
        "節假日當班",
        "either shift falls on a holiday",
        False,
        source=("requester_shift.on_holiday", "partner_shift.on_holiday"),
    )
    __relations__ = (("partner.agent_id", "!=", "requester.agent_id"),)

    @model_validator(mode="after")
    def _derive(self) -> ShiftSwapRequest:
        if self.requester.agent_id == self.partner.agent_id:
            raise ValueError(f"an agent cannot swap with themself (both sides are {self.requester.agent_id!r})")
        self._set(
            swap_number=self.swaps_this_month + 1,
            partner_swap_number=self.partner_swaps_this_month + 1,
            skill_gap=abs(self.requester.skill_level - self.partner.skill_level),
            same_job_type=job_type_key(self.requester.job_type) == job_type_key(self.partner.job_type),
            on_holiday=self.requester_shift.on_holiday or self.partner_shift.on_holiday,
        )
        return self

    @model_validator(mode="after")
    def _lead_decisions(self) -> ShiftSwapRequest:
        # *_lead_approved is the older yes/no spelling of *_lead_decision: true given alone means
        # agreed; a decision given is never overwritten, and an approval contradicting it is refused.
        values: dict[str, Any] = {}
        for side in ("requester", "partner"):
            approved, decision = getattr(self, f"{side}_lead_approved"), getattr(self, f"{side}_lead_decision")
            if approved and decision == "declined":
                raise ValueError(f"{side}_lead_approved is true but {side}_lead_decision is 'declined'")
            if approved and f"{side}_lead_decision" not in self.model_fields_set:
                decision = "agreed"
            values[f"{side}_lead_decision"] = decision
            values[f"{side}_lead_approved"] = decision == "agreed"
        parties = {self.requester.agent_id, self.partner.agent_id}
        values["own_approval"] = any(values[f"{side}_lead_approved"] and getattr(self, f"{side}_lead") in parties
                                     for side in ("requester", "partner"))
        self._set(**values)
        return self


@register_fact_type(name="handover", event_time="shift_start")
class HandoverRecord(Fact):
    """A shift handover (交接班) and its log (交接日誌).

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``outgoing_shift``: which way the handover goes (day to night, night to day).
    """

    __subject__ = "outgoing_agent"  # whose decision records are (csrules.records)

    shift_start: AwareDatetime = _field("incoming shift start", "接班時間", "When the incoming shift starts")
    outgoing_agent: Id = _field("outgoing agent", "交班人", "Who hands over")
    incoming_agent: Id = _field("incoming agent", "接班人", "Who takes over")
    outgoing_shift: Named = _field(
        "outgoing shift", "交班班次",
        "The outgoing agent's shift, a name in the pack's shift patterns (day, night); none: the pack's rules"
        " read it from the incoming shift's start",
        None,
    )
    incoming_arrived_at: AwareDatetime | None = _field(
        "incoming agent arrived at", "到崗時間", "When the incoming agent arrived for roll call", None
    )
    incoming_seated_at: AwareDatetime | None = _field(
        "incoming agent at the desk at", "接班人到機台", "When the incoming agent sat at the desk", None
    )
    outgoing_left_at: AwareDatetime | None = _field(
        "outgoing agent left at", "交班人離台", "When the outgoing agent left the desk", None
    )
    equipment_state: Entry = _field("equipment state", "設備情況", "Logged state of the equipment", None)
    open_cases: Entry = _field("open hard cases", "疑難問題", "Logged open hard cases ('none' if none)", None)
    staffing_changes: Entry = _field(
        "staffing changes", "人員調班情況", "Logged staffing changes ('none' if none)", None
    )
    notices_read: bool = _field(
        "latest notices read", "閱讀最新通告", "The incoming agent read the latest notices", False
    )
    __relations__ = (("incoming_agent", "!=", "outgoing_agent"), ("incoming_seated_at", ">=", "incoming_arrived_at"))

    @model_validator(mode="after")
    def _consistent(self) -> HandoverRecord:
        if self.outgoing_agent == self.incoming_agent:
            raise ValueError(f"an agent cannot hand over to themself (outgoing_agent and incoming_agent are both"
                             f" {self.outgoing_agent!r})")
        _not_before(self, "incoming_arrived_at", "incoming_seated_at")
        return self


# --------------------------------------------------------------------------- work orders

Severity = Literal["minor", "normal", "serious", "critical"]
"""How serious a complaint is (情節輕重)."""

QuestionTopic = Literal[
    "higher_discount_elsewhere",
    "cross_region_goods",
    "delivery_time",
    "short_shipment",
    "extra_shipment",
    "damaged_goods",
    "other",
]
"""What a customer asks about (003 篇19): sensitive (折扣比別人高, 被串貨) or not (到貨時間, 少發, 多發, 殘書)."""

WorkOrderStatus = Literal["intake", "judged", "proposals", "approved", "handling", "follow_up", "closed", "archived"]
"""Stages of the complaint lifecycle (001 第四篇 投訴處理流程)."""


class EscalationStep(Fact):
    """One hand-off of a work order up the ladder (工單流轉), with its chase record (催單).

    .. versionadded:: 0.1
    """

    at: AwareDatetime = _field("at", "時間", "When the order was handed up")
    to_role: RoleName = _field("to role", "匯集至", "Role the order went to")
    chase_record: Entry = _field("chase record", "催單痕跡", "The system trace of the chase", None)


@register_fact_type(name="work_order", event_time="opened_at")
class WorkOrder(Fact):
    """A work order (工單), usually a complaint (投訴), from intake to archive.

    .. versionadded:: 0.1
    """

    order_id: Id = _field("work order id", "工單號", "The work order's number")
    opened_at: AwareDatetime = _field("opened at", "受理時間", "When the complaint was taken")
    complainant: Entry = _field("complainant", "投訴人", "Who complains", None)
    content: Entry = _field("content", "投訴內容", "What the complaint says", None)
    place: Entry = _field("place", "地點", "Where it happened (case record)", None)
    phone: Entry = _field("contact phone", "聯繫電話", "Customer's phone (case record)", None)
    first_handler: Id = _field("first handler", "首問責任人", "Who first took the order")
    owner: Id = _field("owner", "當前處理人", "Who holds the order now")
    owner_role: RoleName = _field("owner role", "當前處理崗位", "Role holding the order now", "agent")
    escalations: list[EscalationStep] = _field(
        "escalation history", "流轉記錄", "Hand-offs up the ladder, oldest first", default_factory=list
    )
    status: WorkOrderStatus = _field("status", "處理階段", "Lifecycle stage", "intake")
    founded: bool | None = _field("founded", "投訴成立", "Whether the complaint is founded (none: not judged)", None)
    answered_unfounded: bool = _field(
        "unfounded answered", "婉轉答復", "An unfounded complaint was answered politely", False
    )
    responsible_department: Entry = _field(
        "responsible department", "責任部門", "Department the complaint is against", None
    )
    customer_asked_for_time: bool = _field(
        "customer asked for time", "請顧客給予時間", "The customer was asked for time to investigate", False
    )
    emotion: Emotion = _field("customer emotion", "客戶情緒", "calm, angry, anxious, sad or loud", "calm")
    emotion_recorded: bool = _field("emotion recorded", "詳細記錄", "The conversation was recorded in detail", False)
    severity: Severity = _field("severity", "情節輕重", "minor, normal, serious or critical", "normal")
    reported_to: Named = _field("reported to", "上報", "Role the complaint was reported to", None)
    proposals: list[str] = _field("solution proposals", "處理方案", "Solutions proposed", default_factory=list)
    approved_proposal: int | None = _field(
        "approved proposal", "批示方案", "Index of the proposal the supervising leader chose", None, ge=0
    )
    approved_by: Named = _field(
        "approved by", "主管領導批示", "Role that approved the proposal", None
    )
    answer_deferred: bool = _field(
        "answer deferred", "無法及時答復", "No answer could be given at once; a case was opened", False
    )
    solution_at: AwareDatetime | None = _field(
        "solution found at", "獲取解決方案",
        "When a solution became available, kept for the record: CMP-4 judges opened_at to replied_at", None
    )
    replied_at: AwareDatetime | None = _field("replied at", "回復客戶", "When the customer got the answer", None)
    resolved_at: AwareDatetime | None = _field("resolved at", "完結時間", "When the order was resolved", None)
    follow_up_at: AwareDatetime | None = _field("follow-up at", "回訪時間", "When the follow-up call was made", None)
    question_topic: QuestionTopic = _field("question topic", "問題類型", "What the customer asks about", "other")
    answered_directly: bool = _field(
        "answered directly", "正面回答", "The agent gave a direct answer on the spot", False
    )
    details_recorded: bool = _field("details recorded", "做記錄", "Details were recorded", False)
    result_told: bool = _field("result told", "告知客戶結果", "The customer was told the result", False)
    untraced_handoffs: int = _derived(
        "hand-offs without trace", "無催單痕跡", "escalations without chase record", 0, source=("escalations",)
    )
    proposal_count: int = _derived("number of proposals", "方案數", "len(proposals)", 0, source=("proposals",))
    escalation_count: int = _derived("number of hand-offs", "流轉次數", "len(escalations)", 0, source=("escalations",))
    answer_awaited: bool = _derived(
        "answer awaited", "待答復",
        "answer_deferred, or the customer asked for time: the answer comes later",
        False, source=("answer_deferred", "customer_asked_for_time"),
    )
    handed_to: str | None = _derived(
        "last handed to", "最後匯集至",
        "to_role of the last hand-off (escalations, oldest first) made by resolved_at; every hand-off while "
        "unresolved; none without one",
        None, source=("escalations", "resolved_at"),
    )
    handed_to_roles: list[str] = _derived(
        "handed to, by the resolution", "完結前匯集至",
        "to_role of every hand-off (escalations) made by resolved_at, oldest first; every hand-off while unresolved",
        [], source=("escalations", "resolved_at"),
    )
    handoff_roles: list[str] = _derived(
        "roles handed to", "流轉崗位", "to_role of every hand-off (escalations), oldest first", [],
        source=("escalations",),
    )
    __relations__ = (
        ("approved_proposal", "<", (len, "proposals")),
        *((name, ">=", "opened_at") for name in ("escalations.at", "solution_at", "replied_at", "resolved_at")),
        ("follow_up_at", ">=", "opened_at"),
        ("follow_up_at", ">=", "resolved_at"),
    )

    @model_validator(mode="after")
    def _derive(self) -> WorkOrder:
        if self.approved_proposal is not None and self.approved_proposal >= len(self.proposals):
            raise ValueError(
                f"approved_proposal {self.approved_proposal} does not exist ({len(self.proposals)} proposals)"
            )
        _not_before(self, "opened_at", "escalations.at", "solution_at", "replied_at", "resolved_at", "follow_up_at")
        _not_before(self, "resolved_at", "follow_up_at")  # 處理後有回訪: the follow-up comes after the result
        handed = _handoffs(self.escalations, self.resolved_at)
        self._set(
            # 請顧客給予一定時間 (001 第四篇 三): an answer the customer was asked to wait for is
            # owed later, as one that could not be given at once (founded alone defers nothing:
            # a founded complaint may be answered at once)
            answer_awaited=self.answer_deferred or self.customer_asked_for_time,
            untraced_handoffs=sum(1 for step in self.escalations if not step.chase_record),
            proposal_count=len(self.proposals),
            escalation_count=len(self.escalations),
            handed_to=handed[-1] if handed else None,
            handed_to_roles=handed,
            handoff_roles=[step.to_role for step in self.escalations],
        )
        return self


def _handoffs(steps: list[EscalationStep], resolved_at: datetime | None) -> list[str]:
    """The roles ``steps`` made by ``resolved_at`` went to, in order (a hand-off after the
    resolution did not bring the order there before it was resolved)."""
    return [step.to_role for step in steps if resolved_at is None or _between(step.at, resolved_at) >= timedelta(0)]


# --------------------------------------------------------------------------- calls

ScriptStep = Literal["verify_identity", "introduce", "ask_convenience", "give_solution", "other"]
"""Steps of the outbound script (003 篇17 (2)3): 核實身份, 報讀公司部門工號, 詢問是否方便, 提供方案."""

_SCRIPT_ORDER: tuple[str, ...] = ("verify_identity", "introduce", "ask_convenience", "give_solution")


CallPurpose = Literal["callback", "payment_reminder", "other"]
"""What an outbound call is for: a callback (回訪) answering what the customer raised, a
payment reminder (催單), or another call."""


@register_fact_type(name="call_record", event_time="started_at")
class CallRecord(Fact):
    """One phone or chat conversation (通話記錄) with what the agent said.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``purpose``: what an outbound call is for.
    """

    call_id: Id = _field("call id", "通話編號", "The call's id")
    agent_id: Id = _field("agent id", "工號", "Who took the call")
    direction: Literal["inbound", "outbound"] = _field("direction", "呼入/呼出", "inbound or outbound", "inbound")
    purpose: CallPurpose = _field(
        "purpose", "呼出目的",
        "What an outbound call is for: callback (回訪, answering what the customer raised: the outbound script"
        " applies), payment_reminder (催單) or other",
        "callback",
    )
    started_at: AwareDatetime = _field("started at", "開始時間", "When the call started")
    rings_before_pickup: int = _field("rings before pick-up", "鈴響聲數", "Rings before the agent answered", 0, ge=0)
    duration: ClockDurationField = _field("duration", "通話時長", "How long the call lasted")
    agent_lines: list[str] = _field("agent's lines", "客服話術", "What the agent said, in order", default_factory=list)
    customer_lines: list[str] = _field("customer's lines", "客戶話語", "What the customer said", default_factory=list)
    script_steps: list[ScriptStep] = _field(
        "outbound script steps", "呼出流程", "Script steps in the order performed", default_factory=list
    )
    prior_greeting_offences: int = _field(
        "earlier greeting offences", "此前說「喂」次數", "Earlier calls this month opened with 喂", 0, ge=0
    )
    greeting: str = _derived("opening line", "開頭語", "the agent's first line with text", "", source=("agent_lines",))
    closing_line: str = _derived(
        "closing line", "結束語", "the agent's last line with text", "", source=("agent_lines",)
    )
    opening: str = _derived(
        "opening", "開場白",
        "the agent's first line with text, and the next one after a newline when the first holds only a greeting"
        " (您好)", "", source=("agent_lines",),
    )
    greeting_offence_number: int = _derived(
        "greeting offence number",
        "第幾次說「喂」",
        "prior_greeting_offences + 1",
        1,
        source=("prior_greeting_offences",),
    )
    script_in_order: bool = _derived(
        "script followed in order",
        "按流程呼出",
        "outbound steps in the prescribed order, none missing",
        True,
        source=("script_steps",),
    )

    @model_validator(mode="after")
    def _derive(self) -> CallRecord:
        if self.duration < timedelta(0):
            raise ValueError(f"a call cannot last a negative time (got {self.duration})")
        done = [step for step in self.script_steps if step in _SCRIPT_ORDER]
        # a blank line (a silent turn, an empty message, a lone invisible mark) is no line:
        # the agent's first and last words are the first and last lines with text
        lines = [line for line in self.agent_lines if has_text(line)]
        greeting = lines[0] if lines else ""
        self._set(
            greeting=greeting,
            closing_line=lines[-1] if lines else "",
            # 您好！三學苑客服部: a transcript split after the greeting still opens with what follows it
            opening="\n".join(lines[:2]) if only_salutation(greeting) else greeting,
            greeting_offence_number=self.prior_greeting_offences + 1,
            script_in_order=tuple(dict.fromkeys(done)) == _SCRIPT_ORDER,
        )
        return self


@register_fact_type(name="callback_task", event_time="created_at")
class CallbackTask(Fact):
    """A follow-up call to make (回訪任務) or a newly assigned customer to contact.

    ``rest_from``-``rest_to`` are the customer's rest hours on the clocks of ``time_zone``
    (default ``Asia/Shanghai``); ``during_rest`` and ``planned_during_rest`` say whether
    the call (``called_at`` for its ``duration``) overlaps them and ``planned_at`` falls in them,
    whatever offset they are written with.

    .. versionadded:: 0.1
    """

    __subject__ = "customer"  # whose decision records are (csrules.records)

    customer: Id = _field("customer", "客戶", "Who to call")
    kind: Literal["callback", "assigned_customer"] = _field(
        "task kind", "任務類型", "callback (回訪) or first contact with an assigned customer (分配客戶)", "callback"
    )
    key_customer: bool = _field("key customer", "重點客戶", "The customer is a key customer", False)
    created_at: AwareDatetime = _field(
        "created at", "建立/分配時間", "When the task arose or the customer was assigned"
    )
    due_at: AwareDatetime | None = _field(
        "due", "約定時間",
        "A time agreed with the customer, if any, kept for the record: CB-1 judges the days from created_at", None
    )
    called_at: AwareDatetime | None = _field("called at", "回訪時間", "When the call was made", None)
    rest_from: time | None = _field("rest from", "客戶休息開始", "Start of the customer's rest hours (local)", None)
    rest_to: time | None = _field("rest to", "客戶休息結束", "End of the customer's rest hours (local)", None)
    record_complete: bool = _field("record complete", "回訪記錄完整", "The callback was recorded completely", False)
    duration: ClockDurationField | None = _field("call duration", "回訪時長", "How long the call lasted", None)
    planned_at: AwareDatetime | None = _field(
        "planned callback time", "計劃回訪時間", "When the callback is planned", None
    )
    time_zone: TimeZoneName = _time_zone_field()
    during_rest: bool = _derived(
        "called during rest hours",
        "客戶休息時打擾",
        "the call (from called_at, lasting duration when given) overlaps the rest hours, read in time_zone",
        False,
        source=("called_at", "duration", "rest_from", "rest_to", "time_zone"),
    )
    planned_during_rest: bool = _derived(
        "planned during rest hours",
        "計劃在客戶休息時",
        "planned_at falls in rest hours, read in time_zone",
        False,
        source=("planned_at", "rest_from", "rest_to", "time_zone"),
    )
    __relations__ = (
        *((name, ">=", "created_at") for name in ("called_at", "planned_at", "due_at")),
        ("rest_to", "with", "rest_from"),
    )

    @model_validator(mode="after")
    def _derive(self) -> CallbackTask:
        _not_before(self, "created_at", "called_at", "planned_at", "due_at")  # as a work order's steps
        if self.duration is not None and self.duration < timedelta(0):
            raise ValueError(f"a call cannot last a negative time (got {self.duration})")
        if (self.rest_from is None) != (self.rest_to is None):
            raise ValueError("rest_from and rest_to are given together: rest hours need a start and an end")
        for name in ("rest_from", "rest_to"):
            given = getattr(self, name)
            if given is not None and given.tzinfo is not None:
                # a zone's offset changes over the year: a clock with an offset has no one local reading
                raise ValueError(f"{name} is a local clock time in time_zone; give it without an offset "
                                 f"(got {given.isoformat()})")
        zone = _zone(self.time_zone)
        self._set(
            # 避免在客戶休息時打擾: a call running into the rest hours disturbs the rest too
            during_rest=call_in_rest_hours(self.called_at, self.duration, self.rest_from, self.rest_to, zone),
            planned_during_rest=in_rest_hours(self.planned_at, self.rest_from, self.rest_to, zone),
        )
        return self


# --------------------------------------------------------------------------- orders

ORDER_PAID_UNPAID = (
    "status is 'unpaid' but paid_at is given: a paid order is not unpaid; give the status it has now,"
    " or leave paid_at out"
)
"""Why an order is refused that is unpaid with a payment time (a fixed text: columnar audits say the same)."""

OrderStatus = Literal["unpaid", "paid", "shipping", "sent", "completed", "cancelled"]
"""Order states: 未付款, 已付款, 發貨中, 已發送, 交易成功, 已取消."""


class ChatChange(Fact):
    """A change agreed in chat (買家要求變動) that must be noted on the order.

    .. versionadded:: 0.1
    """

    kind: Literal["quantity", "courier", "address", "other"] = _field(
        "what changed", "變動", "quantity, courier, address or other"
    )
    noted: bool = _field("noted on the order", "已備注", "The change is written in the order notes", False)


@register_fact_type(name="order", event_time="placed_at")
class Order(Fact):
    """A customer order (訂單) in a shop or mall.

    .. versionadded:: 0.1
    """

    __subject__ = "order_no"  # whose decision records are (csrules.records)

    order_no: Id = _field("order number", "訂單編號", "The order's number")
    placed_at: AwareDatetime = _field("placed at", "下單時間", "When the customer placed (拍下) the order")
    paid_at: AwareDatetime | None = _field("paid at", "付款時間", "When it was paid", None)
    status: OrderStatus = _field(
        "status",
        "訂單狀態",
        "unpaid, paid, shipping, sent, completed or cancelled; when not given, paid if paid_at is given, else unpaid",
        "unpaid",
    )
    amount: float = _field("amount", "金額", "Order amount in yuan", ge=0, allow_inf_nan=False)
    out_of_stock: bool = _field("out of stock", "沒有貨", "Logistics reported the goods out of stock", False)
    in_delivery_area: bool = _field("in delivery area", "配送範圍", "The address lies in the delivery area", True)
    self_pickup: bool = _field("self pick-up", "自取", "The customer collects at the pick-up point", False)
    customer_notified: bool = _field("customer informed", "已通知顧客", "The customer was phoned about it", False)
    logistics_contacted: bool = _field(
        "logistics contacted", "與物流部交涉", "Logistics was contacted about the delay", False
    )
    auto_confirm_at: AwareDatetime | None = _field(
        "confirmation deadline", "確認收貨期限", "When the platform expects the trade confirmed", None
    )
    finance_contacted: bool = _field("finance contacted", "聯絡財務部", "Finance was contacted", False)
    payment_reminded: bool = _field("payment reminded", "催單", "The customer was reminded to pay", False)
    chat_changes: list[ChatChange] = _field(
        "changes agreed in chat", "溝通變動", "Changes the customer asked for in chat", default_factory=list
    )
    remote_area_checked: bool = _field(
        "remote area checked", "核對偏遠地區", "The address was checked for remote areas", False
    )
    problem: Literal["none", "problem", "returned"] = _field(
        "problem parcel", "問題件/退回件", "none, problem (問題件) or returned (退回件)", "none"
    )
    handled_at_once: bool = _field(
        "handled at once", "能立即處理", "The problem parcel was handled at once, so it is not registered (a returned"
        " parcel is registered all the same)", False
    )
    product: Entry = _field("product", "購買產品", "Product bought", None)
    quantity: int | None = _field("quantity", "購買數量", "Quantity bought", None, ge=0)
    waybill_no: Entry = _field("waybill number", "快遞運單號", "Courier waybill number", None)
    problem_note: Entry = _field("problem note", "備注詳情", "Details of the problem", None)
    unnoted_changes: int = _derived(
        "changes not noted", "未備注變動", "chat changes not noted on the order", 0, source=("chat_changes",)
    )
    delay_handled: bool = _derived(
        "delay handled", "已交涉並通知顧客", "logistics contacted and the customer told of the delay", False,
        source=("logistics_contacted", "customer_notified"),
    )
    __relations__ = (("paid_at", ">=", "placed_at"), ("paid_at", "if", (lambda status: status != "unpaid", "status")),
                     ("auto_confirm_at", ">=", "placed_at"))

    @model_validator(mode="after")
    def _derive(self) -> Order:
        if self.paid_at is not None and _between(self.placed_at, self.paid_at) < timedelta(0):
            raise ValueError("an order cannot be paid before it is placed")
        if self.paid_at is not None and "status" not in self.model_fields_set:
            object.__setattr__(self, "status", "paid")  # a payment time says the order was paid
        elif self.paid_at is not None and self.status == "unpaid":
            raise ValueError(ORDER_PAID_UNPAID)
        _not_before(self, "placed_at", "auto_confirm_at")  # the platform's deadline runs from the order
        self._set(
            unnoted_changes=sum(1 for change in self.chat_changes if not change.noted),
            # 及時與物流部交涉,並通知顧客貨物延遲: a delay is handled once both duties are done
            delay_handled=self.logistics_contacted and self.customer_notified,
        )
        return self


# --------------------------------------------------------------------------- supervision


@register_fact_type(name="qa_review", event_time="reviewed_at")
class QAReview(Fact):
    """A quality-inspection review of one agent's service (質檢) and what it observed.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``disclosed_company_secrets``: the company's own secrets, beside its customers' data;
       ``blamed_customer``: reproaching or grumbling at the customer.
    """

    reviewer: Id = _field("reviewer", "質檢員", "Who reviewed")
    agent_id: Id = _field("agent id", "被檢人", "Whose service was reviewed")
    reviewed_at: AwareDatetime = _field("reviewed at", "檢查時間", "When")
    recorded: bool = _field(
        "recorded on the form", "服務質量綜合考評表", "The review was written on the appraisal form", True
    )
    argued: bool = _field("argued", "爭論", "Argued with the customer", False)
    harsh_words: bool = _field("harsh words", "惡言", "Used harsh words", False)
    angry: bool = _field("lost temper", "動怒", "Showed anger", False)
    rash_promise: bool = _field("rash promise", "輕易承諾", "Made a promise that cannot be kept", False)
    shifted_blame: bool = _field("shifted blame", "推卸責任", "Shifted responsibility", False)
    blamed_customer: bool = _field(
        "blamed the customer", "責備埋怨客戶", "Reproached or grumbled at the customer (002 第二則 一 7 三不)", False
    )
    raised_voice: bool = _field("raised voice", "提高音調", "Raised the voice", False)
    doubted_honesty: bool = _field("doubted honesty", "懷疑顧客誠實", "Doubted the customer's honesty", False)
    chatted: bool = _field("idle chat", "閒聊", "Chatted with customers or neighbours", False)
    private_call: bool = _field("private call", "私掛電話", "Made a private call at the desk", False)
    phone_in_room: bool = _field("phone in the machine room", "手機帶入機房", "Brought a mobile phone in", False)
    games: bool = _field("games on work PC", "上網玩遊戲", "Played games on a work computer", False)
    unrelated_work: bool = _field("unrelated work", "與工作無關的事", "Did things unrelated to work", False)
    second_job: bool = _field("second job", "第二職業", "Worked a second job during work time", False)
    disclosed_customer_data: bool = _field("disclosed customer data", "泄露客戶資料", "Disclosed customer data", False)
    disclosed_company_secrets: bool = _field(
        "disclosed company secrets", "泄露公司機密",
        "Disclosed the company's business, financial, personnel or technical secrets (002 第二則 一 10)", False
    )


RequestTopic = Literal[
    "secret_leak",
    "major_error",
    "safety",
    "beyond_remit",
    "difficult_customer",
    "cannot_handle",
    "discount_request",
    "other",
]
"""What a request or report (請示報告) is about (001 請示報告制度 1-5; 業務代表 3; 002 §10)."""


CustomerType = Literal["ordinary", "reseller", "wholesale", "other_trade"]
"""Kinds of customer (002 第二則 二 10): 普通買家, 代理, 批發, and other trade buyers (等)."""


@register_fact_type(name="report", event_time="at")
class ReportRequest(Fact):
    """A request or report sent up the line (請示報告), with how many levels it went up.

    Use :meth:`csrules.domain.RoleCatalogue.report` to fill ``levels_up`` from a catalogue.

    .. versionadded:: 0.1
    """

    __subject__ = "raised_by"  # whose decision records are (csrules.records)

    raised_by: RoleName = _field("raised by role", "報告人崗位", "Role of whoever reports")
    addressed_to: Named = _field("addressed to role", "報告對象", "Role reported to; none: not yet reported", None)
    topic: RequestTopic = _field("topic", "事項", "What the matter is")
    at: AwareDatetime = _field("at", "時間", "When the matter arose or was reported")
    levels_up: int = _field("levels up", "越過層級", "1: the direct superior; 2 or more: levels were skipped", 1, ge=0)
    emergency: bool = _field("emergency", "緊急情況", "The matter is an emergency", False)
    skipped_superior_informed: bool = _field(
        "skipped superior informed", "事後向上級匯報", "The skipped superior was told afterwards", False
    )
    customer_type: CustomerType = _field(
        "customer type",
        "客戶類型",
        "Who the matter concerns: ordinary (買家), reseller (代理), wholesale (批發) or other_trade",
        "ordinary",
    )


@register_fact_type(name="duty_record", event_time="due_at")
class DutyRecord(Fact):
    """One occurrence of a recurring duty (職責) and whether and when it was done.

    .. versionadded:: 0.1
    """

    __subject__ = "owner"  # whose decision records are (csrules.records)

    duty: Id = _field("duty id", "職責", "Duty id in the pack (e.g. DUTY-2.quality-report)")
    owner: Id = _field("owner role", "負責崗位", "Role that owns the duty (its id or an alias)")
    due_at: AwareDatetime = _field("due at", "期限", "When this occurrence is due")
    done_at: AwareDatetime | None = _field("done at", "完成時間", "When it was done", None)
    count: int = _field("times done", "次數", "Times done in the period (e.g. reviews of one agent)", 0, ge=0)
    subject: Named = _field(
        "subject", "對象", "Whom the occurrence concerns (e.g. the agent listened to, for DUTY-3.listening)", None
    )


@register_fact_type(name="training_record", event_time="on_sale_at")
class TrainingRecord(Fact):
    """Whether an agent learned a new product before it went on sale (新產品培訓).

    .. versionadded:: 0.1
    """

    agent_id: Id = _field("agent id", "工號", "The agent")
    product: str = _field("product", "新產品", "The new product", min_length=1, pattern=NOT_BLANK)
    on_sale_at: AwareDatetime = _field("on sale at", "上架時間", "When the product goes on sale")
    trained_at: AwareDatetime | None = _field("trained at", "培訓時間", "When the agent was trained", None)
