"""Plans for fact types judged by dated policies: one compiled plan per stretch of days.

When a policy judging a fact type carries ``valid_from`` / ``valid_until``, the engine holds a
:class:`DatedPlan` for that type in place of a :class:`~csrules._engine.compile.Plan`. It
compiles one plan for each stretch of days the policies' bounds cut time into, and judges a
fact with the plan of the stretch holding the fact's day: ``as_of`` when given, else the
fact's own time (the field its type names as ``event_time``), else ``now``. Fact types whose
policies carry no dates keep their plain plan: nothing here is on their path.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from csrules._engine.compile import Plan, compile_plan
from csrules._engine.decision import Decision, PolicyRef
from csrules._policy.facts import event_time_field, path_getter
from csrules._policy.kinds.base import aware_field
from csrules._policy.model import Policy
from csrules._policy.validity import Timeline
from csrules.exceptions import FactError, TimeError

__all__ = ["DatedPlan", "check_as_of", "plan_for"]

AsOf = date | datetime
"""What ``as_of=`` takes: a day, or an aware instant (its day in the policies' zone)."""


def check_as_of(as_of: Any) -> None:
    """Refuse an ``as_of`` that is neither a day nor an aware datetime (None passes)."""
    if as_of is None or (isinstance(as_of, date) and not isinstance(as_of, datetime)):
        return
    if not isinstance(as_of, datetime):
        raise TimeError(f"as_of must be a date or a datetime with a time zone (got {type(as_of).__name__} {as_of!r})")
    if as_of.utcoffset() is None:
        raise TimeError(f"as_of must carry a time zone (got naive {as_of.isoformat()})")


def plan_for(model: type[BaseModel], fact_type: str, policies: tuple[Policy, ...]) -> Plan | DatedPlan:
    """The plain plan when no policy carries dates, else a :class:`DatedPlan`."""
    if any(policy.dated for policy in policies):
        return DatedPlan(model, fact_type, policies)
    return compile_plan(model, fact_type, policies)


class DatedPlan:
    """One fact type's plans, one per stretch of days (see the module's description)."""

    __slots__ = ("_event_time", "event_time", "fact_type", "model", "plans", "policies", "policy_refs",
                 "reads_now", "timeline", "validate")

    def __init__(self, model: type[BaseModel], fact_type: str, policies: tuple[Policy, ...]) -> None:
        self.model = model
        self.fact_type = fact_type
        self.policies = policies
        self.timeline = Timeline(policies)
        compiled: dict[tuple[int, ...], Plan] = {}
        plans: list[Plan | None] = []
        for stretch in self.timeline.stretches:
            if len(stretch) != len(self.timeline.ids):
                plans.append(None)  # some policy has no version here: judging raises FactError
                continue
            key = tuple(id(policy) for policy in stretch)
            if key not in compiled:
                compiled[key] = compile_plan(model, fact_type, stretch)
            plans.append(compiled[key])
        self.plans = tuple(plans)
        self.reads_now = any(plan.reads_now for plan in compiled.values())
        self.validate = model.__pydantic_validator__.validate_python
        self.policy_refs = tuple(PolicyRef(p.id, p.version, p.content_hash) for p in policies)
        self.event_time = event_time_field(model)
        self._event_time = path_getter(self.event_time) if self.event_time else None

    @property
    def source(self) -> str:
        """The generated Python of every stretch, each headed by its first day."""
        starts = ["the start", *map(str, self.timeline.bounds)]
        return "\n".join(
            f"# from {start}\n{plan.source}" for start, plan in zip(starts, self.plans, strict=True) if plan
        )

    def plan_on(self, when: AsOf) -> Plan:
        """The plan judging facts of ``when`` (a day, or an aware instant's day in the zone);
        a day some policy has no version for raises."""
        timeline = self.timeline
        index = timeline.stretch_at(when) if isinstance(when, datetime) else timeline.stretch(when)
        plan = self.plans[index]
        assert plan is not None  # the timeline raised for an incomplete stretch
        return plan

    def when(self, fact: Any, now: datetime | None, as_of: AsOf | None) -> AsOf:
        """What chooses the versions judging ``fact``: ``as_of``, else its event time, else ``now``."""
        when: AsOf | None = as_of
        if when is None and self._event_time is not None:
            assert self.event_time is not None
            # a host's model may declare a plain datetime: a naive one is refused naming the field
            when = aware_field(self._event_time(fact), self.event_time)
        if when is None:
            when = now
        if when is None:
            raise FactError(
                f"the {self.fact_type} policies have dated versions and {self.fact_type} facts name no "
                "event_time: pass as_of= (or now=) to choose the version in force",
                fact_type=self.fact_type,
            )
        return when

    def judge(self, fact: Any, now: datetime | None, as_of: AsOf | None = None) -> Decision:
        """The decision of the versions in force on the fact's day."""
        return self.plan_on(self.when(fact, now, as_of)).judge(fact, now)
