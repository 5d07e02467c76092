"""The work-order time ladder (001 第二篇 §二 首問負責,限時辦結): who holds an open order when.

An order opened at ``t`` is the first handler's; unresolved after 24 h it goes to the shift
lead (值班長), who must act at once; still unresolved, to the department manager (部門經理).
:class:`EscalationLadder` answers, for any ``now``, which role holds the order and when the
next step falls due. Build it from the pack's work-order policy so tuned parameters apply,
for the version in force when the order opened (a company may date its ladder times)::

    versions = pack.versions("call_centre.work_order")
    ladder = EscalationLadder.from_policy(versions, as_of=opened_at)
    ladder.position(opened_at, now)   # LadderPosition(owner_role='shift_lead', next_at=...)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from csrules._policy.model import Policy
from csrules._policy.validity import day_of
from csrules._time.calendar import ensure_aware, load_zone
from csrules._time.durations import WallDuration
from csrules._time.nominal import add_duration
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.exceptions import PolicyError, TimeError

__all__ = ["EscalationLadder", "LadderPosition", "LadderStep"]


@dataclass(frozen=True, slots=True)
class LadderStep:
    """After ``after`` unresolved, the order goes to ``role``.

    ``after`` counts its whole days on the wall clock of the order's zone and the rest as
    elapsed time (:mod:`csrules._time.nominal`); ``written``, the duration as the policy gives
    it, says otherwise where it was written in hours (``24h`` is 24 real hours).

    .. versionadded:: 0.1
    """

    after: timedelta
    role: str
    written: WallDuration | None = None

    @property
    def length(self) -> WallDuration | timedelta:
        """The duration added to the opening instant: as written, else ``after``."""
        return self.after if self.written is None else self.written


@dataclass(frozen=True, slots=True)
class LadderPosition:
    """Where an order stands on the ladder at one instant.

    ``owner_role`` holds it since ``since``; ``next_role`` takes over at ``next_at`` (both
    None on the top step).

    .. versionadded:: 0.1
    """

    owner_role: str
    since: datetime
    next_role: str | None
    next_at: datetime | None
    step: int


@dataclass(frozen=True, slots=True)
class EscalationLadder:
    """Roles an unresolved order climbs through, each after a time from opening.

    .. versionadded:: 0.1
    """

    first_role: str
    steps: tuple[LadderStep, ...]
    zone: str = DEFAULT_TIME_ZONE
    """Where step times are shown when the order names no zone: its policy's ``timezone``.
    Never the offset ``opened_at`` was written with: one instant written in +08:00 or Z gets
    the same times, written the same way."""

    def __post_init__(self) -> None:
        load_zone(self.zone)  # an unknown name is refused here, naming it
        object.__setattr__(self, "steps", tuple(self.steps))  # frozen: a list given is kept as a tuple
        if not all(isinstance(step, LadderStep) and isinstance(step.after, timedelta)
                   and (step.written is None or (isinstance(step.written, WallDuration)
                                                 and step.written.delta == step.after)) for step in self.steps):
            raise PolicyError("ladder steps must be LadderStep(after=<timedelta>, role=..., written=<its WallDuration>"
                              " or None)")
        for what, role in (("first_role", self.first_role), *(("step role", s.role) for s in self.steps)):
            if not isinstance(role, str) or not role.strip():
                raise PolicyError(f"ladder {what} must name a role (got {role!r})")
        afters = [step.after for step in self.steps]
        if any(a <= timedelta(0) for a in afters) or afters != sorted(set(afters)):
            raise PolicyError("ladder steps must come after opening, strictly increasing")

    @classmethod
    def from_policy(
        cls,
        policy: Policy | Sequence[Policy],
        *,
        as_of: date | datetime | None = None,
        first_role: str = "agent",
        steps: tuple[tuple[str, str], ...] = (
            ("shift_lead_after", "shift_lead"),
            ("manager_after", "department_head"),
        ),
    ) -> EscalationLadder:
        """The ladder whose step times are the policy's duration parameters in force.

        ``policy`` is one policy or every version of it (``pack.versions(...)``); dated
        versions need ``as_of`` (the order's ``opened_at``, or a day): the ladder is that of
        the version in force then, as the stateless engine judges the order.
        """
        policy = _version_in_force(policy, as_of)
        built = []
        for param, role in steps:
            try:
                duration = policy.duration_param(param)
            except KeyError:  # a policy of another kind (leave) has no ladder times
                raise PolicyError(f"the policy has no ladder parameter {param!r} (parameters: "
                                  f"{', '.join(sorted(policy.params)) or 'none'}): build the ladder from a "
                                  "work-order policy, or name its parameters in steps=", policy_id=policy.id) from None
            if not isinstance(duration, WallDuration):
                raise PolicyError(f"parameter {param!r} must be clock time", policy_id=policy.id)
            built.append(LadderStep(duration.delta, role, duration))
        return cls(first_role, tuple(built), policy.timezone or DEFAULT_TIME_ZONE)

    def position(
        self,
        opened_at: datetime,
        now: datetime,
        *,
        resolved_at: datetime | None = None,
        time_zone: str | None = None,
    ) -> LadderPosition:
        """The role holding an order opened at ``opened_at``, at ``now``, and the next step.

        A resolved order stays where it was when it was resolved and has no next step. Times
        are shown in ``time_zone`` (the order's own zone), else the ladder's :attr:`zone`.
        """
        # instants compared in UTC: same-zone datetimes would compare by wall clock in a DST fold
        opened, current = ensure_aware(opened_at, "opened_at"), ensure_aware(now, "now")
        resolved = None if resolved_at is None else ensure_aware(resolved_at, "resolved_at")
        if current < opened:
            raise TimeError(f"now ({now.isoformat()}) is before the order opened ({opened_at.isoformat()})")
        if resolved is not None and resolved < opened:
            assert resolved_at is not None
            raise TimeError(
                f"resolved_at ({resolved_at.isoformat()}) is before the order opened ({opened_at.isoformat()})"
            )
        at = current if resolved is None else min(current, resolved)
        zone = load_zone(self.zone if time_zone is None else time_zone)
        # whole days on the wall clock of the order's zone, hours elapsed (24 h is 24 h)
        reached = [add_duration(opened, step.length, zone) for step in self.steps]
        owner, since, index = self.first_role, opened.astimezone(UTC), 0
        for number, (step, at_step) in enumerate(zip(self.steps, reached, strict=True), start=1):
            if at > at_step:  # 超過: strictly more than the step's time
                owner, since, index = step.role, at_step, number
        if (resolved is not None and resolved <= current) or index == len(self.steps):
            return LadderPosition(owner, since.astimezone(zone), None, None, index)
        upcoming = self.steps[index]
        return LadderPosition(owner, since.astimezone(zone), upcoming.role, reached[index].astimezone(zone), index)

    def owner_at(self, opened_at: datetime, now: datetime) -> str:
        """The role holding an unresolved order at ``now``."""
        return self.position(opened_at, now).owner_role


def _version_in_force(policy: Policy | Sequence[Policy], as_of: date | datetime | None) -> Policy:
    """The version of ``policy`` (one, or all its versions) in force on ``as_of``'s day."""
    versions = [policy] if isinstance(policy, Policy) else list(policy) if isinstance(policy, Sequence) else []
    if not versions or isinstance(policy, str) or not all(isinstance(v, Policy) for v in versions):
        # a policy id or a mapping is no policy: name what was given, never fail on its attributes
        raise PolicyError(f"from_policy needs a Policy or its versions (pack.versions(...)), got "
                          f"{type(policy).__name__} {policy!r:.60}")
    if as_of is not None and not isinstance(as_of, date):
        raise TimeError(f"as_of must be a date or an aware datetime (got {type(as_of).__name__} {as_of!r})")
    first = versions[0]
    if as_of is None:
        if len(versions) > 1 or first.dated:
            raise PolicyError("the policy has dated versions: pass every version (pack.versions(...)) "
                              "and as_of= (the order's opened_at) to build the ladder in force then",
                              policy_id=first.id)
        return first
    if isinstance(as_of, datetime):
        ensure_aware(as_of, "as_of")
    day = day_of(as_of, first.timezone) if isinstance(as_of, datetime) else as_of
    found = [v for v in versions if v.in_force_on(day)]
    if len(found) != 1:
        listed = "; ".join(f"{v.version} from {v.valid_from or 'the start'}" for v in versions)
        raise PolicyError(f"{len(found) or 'no'} version(s) of the policy in force on {day} "
                          f"(versions: {listed}): pass every version once", policy_id=first.id)
    return found[0]
