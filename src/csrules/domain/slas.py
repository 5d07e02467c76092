"""Service-level targets the way help desks define them, plus early warnings.

Zendesk and Jira Service Management measure three clocks per ticket: **first reply** (from
creation to the first agent reply), **next reply** (from the customer's oldest unanswered
message after an agent reply to the next agent reply) and **resolution** (from creation to
solved). Targets differ by priority, run in calendar or business hours, and pause while the
ticket waits on the customer (``pending``). What those tools lack is a warning before the
breach; here every clock also reports when it crosses chosen fractions of its target (50 %
and 80 % by default), so escalation starts before the breach, not after::

    policy = SlaPolicy(
        targets={"urgent": {"first_reply": "1h", "resolution": "8h"},
                 "normal": {"first_reply": "8 business hours", "resolution": "3 business days"}},
        calendar=china_calendar(...),            # needed for business-time targets
        warn_at=(0.5, 0.8),
    )
    for clock in policy.clocks(ticket, now=now):
        clock.metric, clock.fraction, clock.breach_at, clock.next_warning_at

Each clock turns into an :class:`SlaClockFact` (fact type ``sla_clock``) that policies judge,
for instance "escalate to the shift lead at 80 % of any target". :meth:`SlaPolicy.measure`
reads one span directly (a callback's ``created_at`` to ``called_at``); the built-in packs
declare their targets that way (``slas:`` in ``pack.yaml``, :mod:`csrules.policies.slas`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, ConfigDict, field_validator, model_validator

from csrules._errors import ConvertedModel
from csrules._policy.facts import register_fact_type
from csrules._time.calendar import BusinessCalendar, ensure_aware, load_zone
from csrules._time.durations import BusinessDuration, Duration, WallDuration, parse_duration
from csrules._time.nominal import add_duration
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.domain.facts import Fact, _field
from csrules.exceptions import CalendarError, FactError, PolicyError, TimeError

__all__ = [
    "Metric",
    "Pause",
    "SlaClock",
    "SlaClockFact",
    "SlaPolicy",
    "SlaTicket",
    "SlaWarning",
]

Metric = Literal["first_reply", "next_reply", "resolution"]
"""The three service-level clocks of a ticket."""

_METRICS: tuple[Metric, ...] = ("first_reply", "next_reply", "resolution")
_ZERO = timedelta(0)


class Pause(ConvertedModel):
    """A span while the ticket waited on the customer (``pending``); ``end`` None: still waiting.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    _error: ClassVar[Callable[[str], Exception]] = FactError
    _what: ClassVar[str] = "invalid pause"

    start: AwareDatetime
    end: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Pause:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"a pause cannot end before it starts (start {self.start.isoformat()}, end {self.end.isoformat()})"
            )
        return self


class SlaTicket(ConvertedModel):
    """What the SLA clocks read from a ticket.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    _error: ClassVar[Callable[[str], Exception]] = FactError
    _what: ClassVar[str] = "invalid SLA ticket"

    ticket_id: str
    priority: str
    created_at: AwareDatetime
    agent_replies: tuple[AwareDatetime, ...] = ()
    customer_messages: tuple[AwareDatetime, ...] = ()
    resolved_at: AwareDatetime | None = None
    pauses: tuple[Pause, ...] = ()

    @field_validator("agent_replies", "customer_messages")
    @classmethod
    def _sorted(cls, value: tuple[datetime, ...]) -> tuple[datetime, ...]:
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _not_before_creation(self) -> SlaTicket:
        # A reply or resolution before the ticket existed would stop a clock before it starts.
        instants = {"resolved_at": (self.resolved_at,), "agent_replies": self.agent_replies}
        for name, values in instants.items():
            early = [value for value in values if value is not None and value < self.created_at]
            if early:
                raise ValueError(
                    f"{name} {early[0].isoformat()} is before created_at {self.created_at.isoformat()}"
                    f" of ticket {self.ticket_id!r}"
                )
        return self


@dataclass(frozen=True, slots=True)
class SlaWarning:
    """A warning threshold of a clock: ``fraction`` of the target, reached or due ``at``.

    ``at`` is None when the threshold was already reached, or the clock is paused or stopped.

    .. versionadded:: 0.1
    """

    fraction: float
    reached: bool
    at: datetime | None


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One metric's clock for one ticket at one instant.

    ``running`` is False when the clock has stopped (target met or missed for good) or is
    paused; ``breach_at`` and the warnings' ``at`` are given only for a running clock.

    .. versionadded:: 0.1
    """

    ticket_id: str
    metric: Metric
    priority: str
    target: Duration
    started_at: datetime
    stopped_at: datetime | None
    elapsed: timedelta
    target_span: timedelta
    running: bool
    paused: bool
    breach_at: datetime | None
    warnings: tuple[SlaWarning, ...]

    @property
    def fraction(self) -> float:
        """Elapsed time as a fraction of the target (1.0 and above: breached)."""
        if self.target_span <= _ZERO:
            return float("inf")
        return self.elapsed / self.target_span

    @property
    def breached(self) -> bool:
        """Whether the target was exceeded."""
        return self.elapsed > self.target_span

    @property
    def remaining(self) -> timedelta:
        """Target time left (negative once breached)."""
        return self.target_span - self.elapsed

    @property
    def next_warning_at(self) -> datetime | None:
        """When the next unreached warning falls due (None when none is ahead)."""
        ahead = [w.at for w in self.warnings if not w.reached and w.at is not None]
        return min(ahead) if ahead else None

    @property
    def warning_level(self) -> float:
        """The highest warning fraction reached (0.0 when none)."""
        return max((w.fraction for w in self.warnings if w.reached), default=0.0)

    def fact(self, sla: str | None = None) -> SlaClockFact:
        """This clock as an ``sla_clock`` fact for policies (``sla``: the declared target it
        measures, such as a pack's ``CB-1.callback``)."""
        return SlaClockFact(
            sla=sla,
            ticket_id=self.ticket_id,
            metric=self.metric,
            priority=self.priority,
            fraction=round(self.fraction, 6),
            warning_level=self.warning_level,
            breached=self.breached,
            running=self.running,
            breach_at=self.breach_at,
        )


@register_fact_type(name="sla_clock")
class SlaClockFact(Fact):
    """An SLA clock as policies see it (服務水平時鐘).

    .. versionadded:: 0.1
    """

    sla: str | None = _field("SLA", "服務水平目標", "The declared target this clock measures", None)
    ticket_id: str = _field("ticket id", "工單號", "The ticket")
    metric: Metric = _field("metric", "指標", "first_reply, next_reply or resolution")
    priority: str = _field("priority", "優先級", "The ticket's priority")
    fraction: float = _field("fraction of target used", "已用比例", "Elapsed time / target", ge=0, allow_inf_nan=False)
    warning_level: float = _field(
        "warning level", "預警級別", "Highest warning fraction reached", 0.0, ge=0, allow_inf_nan=False
    )
    breached: bool = _field("breached", "已超時", "The target was exceeded", False)
    running: bool = _field("running", "計時中", "The clock is running (not paused or stopped)", True)
    breach_at: AwareDatetime | None = _field("breach at", "超時時間", "When the target will be breached", None)


def positive_target(duration: Duration) -> bool:
    """Whether ``duration`` runs some time (a target of none, or less, is no target)."""
    if isinstance(duration, BusinessDuration):
        return duration.amount > 0
    return duration.delta > _ZERO


class SlaPolicy(ConvertedModel):
    """Targets per priority and metric, in calendar or business time, with warning fractions.

    ``targets`` maps a priority to ``{metric: duration}``; a duration is clock time
    (``"4h"``) or business time (``"8 business hours"``, which needs ``calendar``).
    ``pause_metrics`` lists the clocks that stop while the ticket waits on the customer.
    Breach and warning times are shown in ``timezone``, else the calendar's zone, else
    Asia/Shanghai: never in the offset ``now`` was written with, so one instant written in
    +08:00 or Z gives the same times, written the same way.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    targets: dict[str, dict[Metric, Any]]
    calendar: BusinessCalendar | None = None
    warn_at: tuple[float, ...] = (0.5, 0.8)
    pause_metrics: tuple[Metric, ...] = _METRICS
    timezone: str | None = None

    _error: ClassVar[Callable[[str], Exception]] = PolicyError
    _what: ClassVar[str] = "invalid SLA policy"

    @model_validator(mode="after")
    def _checked(self) -> SlaPolicy:
        if self.timezone is not None:
            load_zone(self.timezone)  # an unknown name is refused here, naming it
        if any(not 0 < f < 1 for f in self.warn_at):
            raise ValueError(f"warning fractions must lie strictly between 0 and 1 (got {self.warn_at})")
        parsed: dict[str, dict[Metric, Duration]] = {}
        for priority, metrics in self.targets.items():
            parsed[priority] = {}
            for metric, value in metrics.items():
                duration = parse_duration(value)
                if not positive_target(duration):
                    # a target of no time is missed at the start: no clock can measure a fraction of it
                    raise ValueError(f"{priority}/{metric} target must be more than no time (got {duration})")
                if isinstance(duration, BusinessDuration):
                    if self.calendar is None:
                        raise ValueError(f"{priority}/{metric} target {duration} needs a calendar")
                    if duration.unit == "days" and not float(duration.amount).is_integer():
                        raise ValueError(f"{priority}/{metric}: business days must be whole")
                parsed[priority][metric] = duration
        object.__setattr__(self, "targets", parsed)
        object.__setattr__(self, "warn_at", tuple(sorted(set(self.warn_at))))
        return self

    # ------------------------------------------------------------------ time arithmetic

    def _span(self, start: datetime, end: datetime, pauses: tuple[Pause, ...], business: bool) -> timedelta:
        """Counted time from ``start`` to ``end`` with ``pauses`` removed (overlapping
        pauses count once: the clock is stopped, however many reasons it has); working time
        for a ``business`` target, real time otherwise."""
        if end <= start:
            return _ZERO
        total = self._measure(start, end, business)
        for low, high in _merged(pauses, start, end):
            total -= self._measure(low, high, business)
        return total

    def _measure(self, start: datetime, end: datetime, business: bool) -> timedelta:
        # a clock-time target ("1h") counts real time even when the policy has a calendar
        if not business or self.calendar is None:
            return ensure_aware(end) - ensure_aware(start)  # instants: a DST change counts
        return self.calendar.elapsed(start, end)

    def _target_span(self, target: Duration, start: datetime) -> timedelta:
        """The target as counted time (business days measured from ``start``; clock days on the
        wall clock of :attr:`shown_in`, so "3d" from 09:00 ends at 09:00 three dates later)."""
        if isinstance(target, WallDuration):
            return add_duration(start, target, self.shown_in) - ensure_aware(start)
        if target.unit == "hours":
            return timedelta(hours=target.amount)
        assert self.calendar is not None
        finish = self.calendar.add(start, target)
        return self.calendar.elapsed(start, finish)

    @property
    def shown_in(self) -> ZoneInfo:
        """Where clock-time instants are shown and clock days counted: :attr:`timezone`, the
        calendar's, or the default."""
        if self.timezone is None and self.calendar is not None:
            return self.calendar.zone
        return load_zone(self.timezone or DEFAULT_TIME_ZONE)

    def _advance(self, now: datetime, amount: timedelta, business: bool) -> datetime:
        """The instant when ``amount`` more counted time has passed after ``now``."""
        if not business or self.calendar is None:
            return (ensure_aware(now).astimezone(UTC) + amount).astimezone(self.shown_in)  # real time
        hours = amount.total_seconds() / 3600
        return self.calendar.add(now, BusinessDuration(hours, "hours"))

    # ------------------------------------------------------------------ clocks

    def clocks(self, ticket: SlaTicket, *, now: datetime) -> list[SlaClock]:
        """Every clock of ``ticket`` that has a target for its priority, at ``now``; a mapping
        is read as a :class:`SlaTicket` (a bad one raises FactError naming the field)."""
        _check_aware("now", now)
        if not isinstance(ticket, SlaTicket):
            ticket = SlaTicket.model_validate(ticket)
        if now < ticket.created_at:
            raise TimeError(
                f"now {now.isoformat()} is before ticket {ticket.ticket_id!r} was created"
                f" (created_at {ticket.created_at.isoformat()})"
            )
        targets = self.targets.get(ticket.priority)
        if targets is None:
            known = ", ".join(repr(name) for name in self.targets)
            raise PolicyError(
                f"no SLA targets for priority {ticket.priority!r} of ticket {ticket.ticket_id!r}"
                f" (priorities with targets: {known})"
            )
        out: list[SlaClock] = []
        for metric in _METRICS:
            if metric not in targets:
                continue
            window = _window(metric, ticket, now)
            if window is not None:
                pauses = ticket.pauses if metric in self.pause_metrics else ()
                out.append(
                    self._clock(ticket.ticket_id, ticket.priority, metric, targets[metric], window, now, pauses)
                )
        return out

    def measure(
        self,
        metric: Metric,
        start: datetime,
        stop: datetime | None,
        *,
        now: datetime,
        priority: str,
        ticket_id: str = "",
        pauses: tuple[Pause, ...] = (),
    ) -> SlaClock:
        """The ``metric`` clock of ``priority`` over one span: started at ``start``, stopped at
        ``stop`` (None: still running), read at ``now``.

        For records that carry the span themselves (a callback's ``created_at`` and
        ``called_at``) rather than a ticket's message history.
        """
        _check_aware("now", now)
        _check_aware("start", start)
        if stop is not None:
            _check_aware("stop", stop)
            if stop < start:
                raise TimeError(f"the {metric} clock stops ({stop.isoformat()}) before it starts ({start.isoformat()})")
        target = self.targets.get(priority, {}).get(metric)
        if target is None:
            have = ", ".join(f"{name!r}: {', '.join(metrics) or 'none'}" for name, metrics in self.targets.items())
            raise PolicyError(f"no {metric} target for priority {priority!r} (targets by priority: {have})")
        paused_by = pauses if metric in self.pause_metrics else ()
        return self._clock(ticket_id, priority, metric, target, (start, stop), now, paused_by)

    def _clock(
        self,
        ticket_id: str,
        priority: str,
        metric: Metric,
        target: Duration,
        window: tuple[datetime, datetime | None],
        now: datetime,
        pauses: tuple[Pause, ...],
    ) -> SlaClock:
        start, stop = window
        end = stop if stop is not None and stop <= now else now
        business = isinstance(target, BusinessDuration)
        elapsed = self._span(start, end, pauses, business)
        span = self._target_span(target, start)
        stopped = stop is not None and stop <= now  # a stop after now has not happened yet at now
        paused = not stopped and any(p.start <= now and (p.end is None or now < p.end) for p in pauses)
        running = not stopped and not paused
        if running and business and self.calendar is not None:
            try:
                self.calendar.next_working_instant(now)
            except CalendarError:
                # with weekly hours there is always working time ahead: the error is a year the
                # calendar holds no data for, which must be refused, not read as a stopped clock
                if any(self.calendar.hours.values()):
                    raise
                running = False  # only special days, all past: the clock cannot move

        def due(amount: timedelta) -> datetime | None:
            if not running:
                return None
            # read before the clock starts, nothing has elapsed: it runs from its start, not from now
            return self._advance(max(now, start), amount - elapsed, business)

        warnings = tuple(
            SlaWarning(f, elapsed >= span * f, None if elapsed >= span * f else due(span * f)) for f in self.warn_at
        )
        breach_at = None if elapsed > span else due(span)
        return SlaClock(
            ticket_id=ticket_id,
            metric=metric,
            priority=priority,
            target=target,
            started_at=start,
            stopped_at=stop if stopped else None,
            elapsed=elapsed,
            target_span=span,
            running=running,
            paused=paused,
            breach_at=breach_at,
            warnings=warnings,
        )


def _check_aware(name: str, value: datetime) -> None:
    """TimeError naming ``name`` unless ``value`` is a datetime carrying a time zone (text or a
    date is refused here, naming it, not where a comparison first fails)."""
    if not isinstance(value, datetime):
        raise TimeError(f"{name} must be an aware datetime (got {type(value).__name__} {value!r})")
    if value.utcoffset() is None:
        raise TimeError(f"{name} must carry a time zone (got naive {value.isoformat()})")


def _merged(pauses: tuple[Pause, ...], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``pauses`` clipped to ``start``-``end`` (an open pause runs to ``end``), sorted, and
    overlapping or touching spans joined, so no instant is removed twice."""
    spans = sorted((max(pause.start, start), min(pause.end or end, end)) for pause in pauses)
    merged: list[tuple[datetime, datetime]] = []
    for low, high in spans:
        if low >= high:
            continue
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _window(metric: Metric, ticket: SlaTicket, now: datetime) -> tuple[datetime, datetime | None] | None:
    """When ``metric``'s clock started and stopped (None: not started)."""
    replies = [r for r in ticket.agent_replies if r <= now]
    if metric == "first_reply":
        return ticket.created_at, replies[0] if replies else None
    if metric == "resolution":
        resolved = ticket.resolved_at if ticket.resolved_at is not None and ticket.resolved_at <= now else None
        return ticket.created_at, resolved
    if not replies:
        return None  # next reply measures only after a first reply
    messages = [m for m in ticket.customer_messages if m <= now]
    last_reply = replies[-1]
    waiting = [m for m in messages if m > last_reply]
    if waiting:
        return waiting[0], None
    # the most recent customer message answered after a previous reply: a finished cycle
    for index in range(len(replies) - 1, 0, -1):
        asked = [m for m in messages if replies[index - 1] < m <= replies[index]]
        if asked:
            return asked[0], replies[index]
    return None
