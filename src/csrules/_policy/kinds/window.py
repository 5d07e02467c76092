"""Window and sequence condition kinds for sessions (counts per window, the Nth occurrence,
no two in a row, still open at a deadline), registered in the kinds table.

These kinds remember earlier events, so only a session (:mod:`csrules._sessions`) can run
them: the session keeps the counts, runs and open items in state it owns and hands each
rule the values for the current event. A stateless :class:`~csrules.Engine` refuses them
with a :class:`~csrules.exceptions.PolicyError` saying so when it compiles.

In a policy file::

    when: {kind: nth, match: {kind: contains, path: greeting, phrases: [喂]},
           at: occurred_at, window: {calendar: month}, n: 3, or_later: true}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    model_serializer,
    model_validator,
)

from csrules._lang import Lang
from csrules._policy.errors import CheckedModel, exactly_one
from csrules._policy.kinds.base import (
    PY_OPS,
    CheckContext,
    CompileContext,
    Condition,
    ConditionBase,
    DescribeContext,
    Env,
    Words,
    check_of,
    handler_for,
    register_kind,
    show_value,
    walk,
)
from csrules._policy.trace import TraceNode
from csrules._time.durations import BusinessDuration, DurationField, WallDuration
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.exceptions import PolicyError

__all__ = [
    "WINDOW_KINDS",
    "Count",
    "InARow",
    "Nth",
    "SessionCompileContext",
    "StillOpen",
    "Window",
    "window_dump",
]

CalendarUnit = Literal["day", "week", "month", "year"]
"""The calendar periods a window can follow."""


class Window(CheckedModel):
    """Which earlier events count: those in the same calendar period as the current event
    (``{calendar: month}``), or those within a rolling span before it (``{rolling: 30d}``,
    or ``{param: swap_window}`` naming a duration parameter).

    ``tz`` names the time zone calendar periods are read in (a zone other than the default
    is named in the window's words); without it they are read in the policy's ``timezone``
    (building the policy writes it into ``tz``), else in the default zone (``Asia/Shanghai``),
    never in the offset an event time was written with: ``2026-01-31T23:30+08:00`` and
    ``2026-01-31T15:30+00:00`` are both in January.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    calendar: CalendarUnit | None = None
    rolling: DurationField | None = None
    param: str | None = None
    tz: str | None = None

    @model_validator(mode="after")
    def _one_span(self) -> Window:
        exactly_one(self, "a window", ("calendar", "rolling", "param"))
        if self.tz is not None and self.calendar is None:
            raise ValueError("'tz' only applies to a calendar window")
        return self

    def describe(self, lang: Lang, ctx: DescribeContext) -> str:
        """The window in words (``in the same calendar month``, ``同一自然月内``)."""
        if self.calendar is not None:
            named = self.tz not in (None, DEFAULT_TIME_ZONE)  # the default zone goes unsaid
            if lang == "zh":
                return {"day": "同一天内", "week": "同一周内", "month": "同一自然月内",
                        "year": "同一年内"}[self.calendar] + (f"（{self.tz}时间）" if named else "")
            return f"in the same calendar {self.calendar}" + (f" ({self.tz} time)" if named else "")
        span = ctx.param(self.param, lang) if self.param is not None else show_value(
            self.rolling, lang
        )
        return f"{span}内" if lang == "zh" else f"within {span}"


def window_dump(window: Window | None) -> Any:
    """A window's definition as its counter's key and fingerprint read it: a calendar window
    with the zone it is read in spelt out (no zone named reads the default one), so a window
    naming the default zone and one naming none are the same window."""
    if window is None:
        return None
    dumped = window.model_dump(mode="json")
    if window.calendar is not None:
        dumped["tz"] = window.tz or DEFAULT_TIME_ZONE
    return dumped


NestedCondition = Condition
"""A condition inside a window kind (any registered kind)."""


def _key_named(value: str | list[str] | None) -> str | list[str] | None:
    """``key`` as written; an empty key names no field, so it is refused rather than read
    as "no key"."""
    paths = [value] if isinstance(value, str) else value
    if paths is not None and (not paths or not all(paths)):
        raise ValueError("key names the field(s) identifying an item; leave key out to count every event")
    return value


ItemKey = Annotated[str | list[str] | None, AfterValidator(_key_named)]
"""``key``: the field(s) naming the item an event is about (none: every event counts)."""


class _Keyed(ConditionBase):
    """What the kinds that count events share: the events that count (``match``) and the
    paths of the ``key`` naming an item. Each declares its fields itself (``key: ItemKey``),
    so each keeps its own field order and JSON schema."""

    if TYPE_CHECKING:
        match: Condition
        key: str | list[str] | None

    @property
    def key_paths(self) -> tuple[str, ...]:
        """The paths of ``key`` (none without one)."""
        key = self.key
        return () if key is None else (key,) if isinstance(key, str) else tuple(key)

    def children(self) -> tuple[ConditionBase, ...]:
        """The condition an event must meet to count."""
        return (self.match,)


class _Windowed(_Keyed):
    """Shared fields: the events that count (``match``), their time field (``at``) and,
    optionally, the field(s) naming the item an event is about (``key``).

    With ``key`` each item counts once, as its latest event says: an item sent again
    replaces what was counted for it (a call record delivered twice is one call, a swap
    request sent pending and again when agreed is one swap, one later declined counts no
    more). Without it every matching event counts. An item keeps the place it was first
    counted at: a call re-sent after later calls is still the month's first, and an event
    without a key value is an item of its own.

    ``days: true`` counts local days instead: the days (in a calendar window's zone) on
    which a matching event's ``at`` falls, each once, whatever the number of events on it
    (two shifts on one day are one day worked).
    """

    match: Condition
    at: str = "at"
    window: Window | None = None
    key: ItemKey = None
    days: StrictBool = False  # a flag: "yes" or 1 is refused, not read as true


_NEGATIVE_COUNT = "a count is compared with 0 or more events (got {}): no count is below 0"


class Count(_Windowed):
    """Compares how many events of this subject match ``match`` in the window (the current
    event included when it matches) with a number or an ``int`` parameter.

    ``{kind: count, match: {kind: compare, path: swapped, op: "==", value: true},
    window: {calendar: month}, op: ">", param: max_swaps}`` holds for the third swap in a
    month when ``max_swaps`` is 2, not for the second, and not for a swap in the next month.

    .. versionadded:: 0.1
    """

    kind: Literal["count"] = "count"
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    value: StrictInt | None = None
    param: str | None = None

    @model_validator(mode="after")
    def _one_number(self) -> Count:
        exactly_one(self, "count", ("value", "param"))
        if self.value is not None and self.value < 0:
            raise ValueError(_NEGATIVE_COUNT.format(self.value))
        return self


class Nth(_Windowed):
    """Holds when the current event matches ``match`` and is the ``n``-th such event of this
    subject in the window (or any later one, with ``or_later: true``).

    Progressive discipline is one rule per step: ``n: 1`` corrects, ``n: 2`` warns and
    ``{n: 3, or_later: true}`` fines. ``{kind: nth, match: ..., window: {calendar: month},
    n: 2}`` holds for the second 喂 of January, not the first, and not the first of February.

    .. versionadded:: 0.1
    """

    kind: Literal["nth"] = "nth"
    n: StrictInt | None = None
    param: str | None = None
    or_later: StrictBool = False  # a flag: "yes" or 1 is refused, not read as true

    @model_validator(mode="after")
    def _one_number(self) -> Nth:
        exactly_one(self, "nth", ("n", "param"))
        if self.n is not None and self.n < 1:
            raise ValueError(f"nth counts from 1 (got n={self.n})")
        return self


class InARow(_Keyed):
    """Holds when the current event and the ``times - 1`` events of this subject (and this
    fact type) just before it all match ``match``: "never twice in a row".

    ``{kind: in_a_row, match: {kind: compare, path: swapped, op: "==", value: true},
    times: 2}`` holds for a swapped shift right after a swapped shift, not after a worked one.

    ``key`` names the field(s) identifying the item an event is about (a shift's start):
    an item sent again is not counted again. It keeps its place in the run and is judged
    there as its latest send says: a shift re-sent unchanged gets the answer it got, and
    one re-sent with another outcome (rostered, then corrected to swapped) replaces what
    was counted for it, the runs of the items after it following. The last
    :data:`~csrules._sessions.program.KEPT_RUN_ITEMS` items are remembered; an item older
    than those is counted as a new one. Without ``key`` every event counts, in the order
    sent.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["in_a_row"] = "in_a_row"
    match: Condition
    times: StrictInt | None = 2
    param: str | None = None
    key: ItemKey = None

    @model_serializer(mode="wrap")
    def _unused_dropped(self, handler: SerializerFunctionWrapHandler) -> Any:
        # written only when used: a run without a key keeps the content hash it had before
        # runs could be keyed, so decision records replay as the same policy content
        data = handler(self)
        if isinstance(data, dict) and data.get("key", 0) is None:
            del data["key"]
        return data

    @model_validator(mode="after")
    def _one_number(self) -> InARow:
        if self.param is not None:
            object.__setattr__(self, "times", None)
        exactly_one(self, "in_a_row", ("times", "param"))
        if self.times is not None and self.times < 1:
            raise ValueError(f"in_a_row needs times >= 1 (got {self.times})")
        return self


class StillOpen(ConditionBase):
    """Holds, at a tick, for an item (a work order) that is still open when ``now`` reaches
    ``since + after``. Each rule fires once per item; closing the item (an event that meets
    ``closed``) stops it. ``key`` names the field identifying the item within the subject
    (omit it when the subject is the item).

    ``{kind: still_open, key: order_id, since: opened_at, after: 24h,
    closed: {kind: compare, path: status, op: "==", value: closed}}`` fires at the first
    tick after 24 hours (超過24小時: strictly more) for an order opened and not closed, never for a closed one.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["still_open"] = "still_open"
    key: str | None = None
    since: str
    after: DurationField | None = None
    param: str | None = None
    closed: Condition

    @model_validator(mode="after")
    def _one_duration(self) -> StillOpen:
        exactly_one(self, "still_open", ("after", "param"))
        return self

    def children(self) -> tuple[ConditionBase, ...]:
        """The condition that closes an item."""
        return (self.closed,)


WINDOW_KINDS = frozenset({"count", "nth", "in_a_row", "still_open"})
"""The kinds that only a session can run."""


# --------------------------------------------------------------------------- compiling


class SessionCompileContext(CompileContext):
    """A compile context that knows where each window node's value lives.

    ``slots`` maps ``id(node)`` to the Python expression holding that node's value for the
    current event (``w[0]``); the session computes the values before the rule runs.
    """

    def __init__(self, *args: Any, slots: Mapping[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = slots

    def slot(self, cond: ConditionBase) -> str:
        """The expression of ``cond``'s value; a node the session did not plan is an error."""
        try:
            return self.slots[id(cond)]
        except KeyError:
            raise PolicyError(f"{cond.kind} is not allowed here (nested in another window)") from None


def _value_of(cond: ConditionBase, env: Env) -> Any:
    values = env.windows
    if values is None or id(cond) not in values:
        raise PolicyError(f"{cond.kind} needs a session: its value depends on earlier events")
    return values[id(cond)]


def _needs_session(cond: ConditionBase) -> PolicyError:
    return PolicyError(
        f"condition kind {cond.kind!r} counts or remembers events across calls and needs a "
        "session; run this policy with csrules' SessionEngine, not a stateless Engine"
    )


def _check_match(cond: ConditionBase, match: Any, ctx: CheckContext, at: str) -> None:
    if not isinstance(match, ConditionBase):
        raise ctx.fail(f"{cond.kind}.{at} must be a condition (got {type(match).__name__})", at=(at,))
    for node in walk(match):
        if node.kind in WINDOW_KINDS:
            raise ctx.fail(f"{node.kind} cannot be nested inside {cond.kind}.{at}", at=(at,))
    check_of(match, ctx.at(at))


def _check_time_field(path: str, ctx: CheckContext, at: str) -> None:
    info = ctx.field(path, at=at)
    if info.kind != "datetime" or info.is_collection:
        raise ctx.fail(f"{at} needs a datetime field; {path} is {info.describe()}", path=path, at=(at,))


def _wall_problem(value: Any, at: str) -> str | None:
    if isinstance(value, BusinessDuration):
        return f"{value} is business time; windows and deadlines use clock time"
    if isinstance(value, WallDuration) and value.delta <= timedelta(0):
        return f"{at} must be longer than zero (got {value})"
    return None


def _check_wall(value: Any, ctx: CheckContext, at: str) -> None:
    problem = _wall_problem(value, at)
    if problem is not None:
        raise ctx.fail(problem, at=(at,))


def _check_wall_param(name: str, ctx: CheckContext, at: str) -> None:
    """The duration parameter ``name``, default and override, is clock time longer than zero."""
    ctx.param(name, "duration", at=at)
    for value, overridden in ctx.param_values(name):
        problem = _wall_problem(value, at)
        if problem is not None:
            raise ctx.fail_param(problem, name, overridden, at)


def _check_window(window: Window | None, ctx: CheckContext) -> None:
    if window is None:
        return
    if window.param is not None:
        _check_wall_param(window.param, ctx, "window")
    elif window.rolling is not None:
        _check_wall(window.rolling, ctx, "window")
    if window.tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(window.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ctx.fail(f"unknown time zone {window.tz!r} (use an IANA name such as "
                           "Asia/Shanghai)", at=("window", "tz")) from None


def _int_param(name: str | None, ctx: CheckContext, least: str, floor: int = 1) -> None:
    """An ``int`` parameter whose default and override must be at least ``floor``, as the
    literal must; ``least`` (``"nth counts from 1 (got n={})"``) says why."""
    if name is None:
        return
    ctx.param(name, "int")
    for value, overridden in ctx.param_values(name):
        if value < floor:
            raise ctx.fail_param(least.format(value), name, overridden)


_OPS_EN = {"==": "exactly", "!=": "other than", "<": "fewer than", "<=": "at most",
           ">": "more than", ">=": "at least"}
_OPS_ZH = {"==": "恰好", "!=": "不是", "<": "少于", "<=": "不超过", ">": "超过", ">=": "至少"}


def _number(value: int | None, param: str | None, lang: Lang, ctx: DescribeContext) -> str:
    return ctx.param(param, lang) if param is not None else str(value)


def _match_words(match: ConditionBase, lang: Lang, ctx: DescribeContext) -> str:
    return handler_for(match).describe(match, lang, ctx)


def _each_once(cond: Count | Nth | InARow, lang: Lang) -> str:
    """`` (each call_id once)`` for a keyed count or run: the same item sent again is not
    counted again."""
    if getattr(cond, "days", False):
        return "（按天计，同一天只计一次）" if lang == "zh" else " (counting days: each day once)"
    if not cond.key_paths:
        return ""
    named = " + ".join(cond.key_paths)
    return f"（每个{named}只计一次，以最后一次为准）" if lang == "zh" else f" (each {named} once, as last sent)"


class _WindowedHandler:
    """What ``count`` and ``nth`` share: matching events, counted in a window, against a number."""

    def check(self, cond: Count | Nth, ctx: CheckContext) -> None:
        _check_match(cond, cond.match, ctx, "match")
        _check_time_field(cond.at, ctx, "at")
        _check_window(cond.window, ctx)
        for path in cond.key_paths:
            ctx.field(path, at="key")  # an unknown path is refused, naming it and key
        if cond.days and (cond.window is None or cond.window.calendar is None):
            raise ctx.fail("days: true counts local days, so it needs a calendar window "
                           "(window: {calendar: week}) to read them in", at=("days",))
        if cond.days and cond.key_paths:
            raise ctx.fail("days: true counts each day once: it takes no key", at=("key",))
        if isinstance(cond, Nth):
            _int_param(cond.param, ctx, "nth counts from 1 (got n={})")
        else:
            _int_param(cond.param, ctx, _NEGATIVE_COUNT, floor=0)

    def compare_slot(self, cond: Count | Nth, ctx: CompileContext, op: str, literal: int | None) -> str:
        """The session slot holding the window value, compared with the literal or parameter."""
        if not isinstance(ctx, SessionCompileContext):
            raise _needs_session(cond)
        number = ctx.const(literal if cond.param is None else ctx.params[cond.param])
        return f"({ctx.slot(cond)} {op} {number})"

    def reads_now(self, cond: Count | Nth) -> bool:
        return False


class _CountHandler(_WindowedHandler):
    def source(self, cond: Count, ctx: CompileContext) -> str:
        return self.compare_slot(cond, ctx, cond.op, cond.value)

    def evaluate(self, cond: Count, env: Env) -> TraceNode:
        count = _value_of(cond, env)
        limit = cond.value if cond.param is None else env.params[cond.param]
        result = PY_OPS[cond.op](count, limit)
        return TraceNode("count", self.describe(cond, "en", env.describe), result,
                         {"count": count, "limit": limit})

    def describe(self, cond: Count, lang: Lang, ctx: DescribeContext) -> str:
        window = cond.window.describe(lang, ctx) if cond.window else ("ever" if lang == "en" else "累计")
        number = _number(cond.value, cond.param, lang, ctx)
        match = _match_words(cond.match, lang, ctx)
        if lang == "zh":
            return f"{window}满足「{match}」的事件{_OPS_ZH[cond.op]}{number}次{_each_once(cond, lang)}"
        return f"{_OPS_EN[cond.op]} {number} events where {match}, {window}{_each_once(cond, lang)}"


class _NthHandler(_WindowedHandler):
    def source(self, cond: Nth, ctx: CompileContext) -> str:
        return self.compare_slot(cond, ctx, ">=" if cond.or_later else "==", cond.n)

    def evaluate(self, cond: Nth, env: Env) -> TraceNode:
        ordinal = _value_of(cond, env)
        n = cond.n if cond.param is None else env.params[cond.param]
        result = ordinal >= n if cond.or_later else ordinal == n
        return TraceNode("nth", self.describe(cond, "en", env.describe), bool(result),
                         {"occurrence": ordinal or None, "n": n})

    def describe(self, cond: Nth, lang: Lang, ctx: DescribeContext) -> str:
        window = cond.window.describe(lang, ctx) if cond.window else ("ever" if lang == "en" else "累计")
        number = _number(cond.n, cond.param, lang, ctx)
        match = _match_words(cond.match, lang, ctx)
        if lang == "zh":
            later = "及以后" if cond.or_later else ""
            return f"{window}第{number}次{later}出现「{match}」{_each_once(cond, lang)}"
        later = " or later" if cond.or_later else ""
        return f"occurrence #{number}{later} of: {match}, {window}{_each_once(cond, lang)}"


class _InARowHandler:
    def check(self, cond: InARow, ctx: CheckContext) -> None:
        _check_match(cond, cond.match, ctx, "match")
        for path in cond.key_paths:
            ctx.field(path, at="key")  # an unknown path is refused, naming it and key
        _int_param(cond.param, ctx, "in_a_row needs times >= 1 (got {})")

    def source(self, cond: InARow, ctx: CompileContext) -> str:
        if not isinstance(ctx, SessionCompileContext):
            raise _needs_session(cond)
        times = ctx.const(cond.times if cond.param is None else ctx.params[cond.param])
        return f"({ctx.slot(cond)} >= {times})"

    def evaluate(self, cond: InARow, env: Env) -> TraceNode:
        run = _value_of(cond, env)
        times = cond.times if cond.param is None else env.params[cond.param]
        return TraceNode("in_a_row", self.describe(cond, "en", env.describe), run >= times,
                         {"run": run, "times": times})

    def describe(self, cond: InARow, lang: Lang, ctx: DescribeContext) -> str:
        number = _number(cond.times, cond.param, lang, ctx)
        match = _match_words(cond.match, lang, ctx)
        if lang == "zh":
            return f"连续{number}次出现「{match}」{_each_once(cond, lang)}"
        return f"{number} in a row of: {match}{_each_once(cond, lang)}"

    def reads_now(self, cond: InARow) -> bool:
        return False


class _StillOpenHandler:
    def check(self, cond: StillOpen, ctx: CheckContext) -> None:
        _check_match(cond, cond.closed, ctx, "closed")
        _check_time_field(cond.since, ctx, "since")
        if cond.key is not None:
            info = ctx.field(cond.key, at="key")
            if info.is_collection or info.kind not in ("text", "number"):
                raise ctx.fail(f"key needs a text or number field; {cond.key} is {info.describe()}",
                               path=cond.key, at=("key",))
        if cond.param is not None:
            _check_wall_param(cond.param, ctx, "param")
        else:
            _check_wall(cond.after, ctx, "after")

    def source(self, cond: StillOpen, ctx: CompileContext) -> str:
        if not isinstance(ctx, SessionCompileContext):
            raise _needs_session(cond)
        return f"({ctx.slot(cond)})"

    def evaluate(self, cond: StillOpen, env: Env) -> TraceNode:
        due = _value_of(cond, env)
        return TraceNode("still_open", self.describe(cond, "en", env.describe),
                         env.now is not None and due is not None and env.now > due,
                         {"due": due, "now": env.now})

    def describe(self, cond: StillOpen, lang: Lang, ctx: DescribeContext) -> str:
        after = ctx.param_or(cond.param, cond.after, lang)
        since = ctx.label(cond.since, lang)
        if lang == "zh":
            return f"自{since}起{after}后仍未结案"
        return f"still open {after} after {since}"

    def words(self, cond: StillOpen, lang: Lang, ctx: DescribeContext, nested: bool, words: Words) -> str:
        """The description with what closes the item: "open" is the rule's ``closed``, which a
        reader would otherwise take for a status (a case closed unanswered may still be open)."""
        closing = words(cond.closed, lang, ctx, nested=False)  # bracketed here already
        if lang == "zh":
            return f"{self.describe(cond, lang, ctx)}（结案指：{closing}）"
        return f"{self.describe(cond, lang, ctx)} (closed means: {closing})"

    def waits(self, cond: StillOpen, params: dict[str, Any]) -> Any:
        """The duration an item may stay open (documents order escalations by it)."""
        return cond.after if cond.param is None else params.get(cond.param)

    def reads_now(self, cond: StillOpen) -> bool:
        return True



register_kind(Count, _CountHandler())
register_kind(Nth, _NthHandler())
register_kind(InARow, _InARowHandler())
register_kind(StillOpen, _StillOpenHandler())
