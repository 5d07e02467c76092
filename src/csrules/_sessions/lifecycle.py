"""Lifecycles: a transition table csrules owns, with guards and step deadlines.

A lifecycle (the complaint flow of CMP-1) is data: states, the events that move between
them, an optional guard on each move (a condition over the event, evaluated by the session's
engine), and deadlines that start when a state is entered and are met when one of a set of
states is reached (reply within 3 days, CMP-4). A session refuses an event the current state
does not accept with a :class:`~csrules.exceptions.TransitionError` naming the state and the
events it allows, and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from csrules._policy.facts import get_fact_type
from csrules._policy.kinds.base import CheckContext, check_condition_depth, handler_for, walk
from csrules._policy.kinds.window import WINDOW_KINDS, NestedCondition
from csrules._policy.model import BiText, Citation, PolicyModel, Violate
from csrules._time.durations import DurationField, WallDuration
from csrules.exceptions import PolicyError

__all__ = ["DeadlineChange", "Lifecycle", "StepDeadline", "Transition"]

_ID = r"^[A-Za-z][A-Za-z0-9_.\-]*$"


class Transition(PolicyModel):
    """One allowed move: in state ``from``, the event ``on`` moves to ``to`` when ``guard``
    (a condition over the event fact) holds. Moves are tried in table order; the first whose
    guard holds is taken.

    ``{from: intake, on: judge, to: founded, guard: {kind: compare, path: founded, op: "==",
    value: true}}``

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    on: str
    to: str
    guard: NestedCondition | None = None
    title: BiText | None = None


class DeadlineChange(PolicyModel):
    """From ``since`` on, a deadline started then runs ``within`` (a dated parameter's later
    value, such as a company's ``callback_within`` of 1 day from 1 July 2026).

    .. versionadded:: 0.1
    """

    since: AwareDatetime
    within: DurationField


class StepDeadline(PolicyModel):
    """A deadline that starts when ``start`` is entered and is met when any state in ``met``
    is reached. Entering ``start`` raises an obligation for ``who`` due ``within`` later; a
    tick strictly after the due time with the deadline unmet raises ``breach`` once ("within
    3 days" is met at exactly 3 days, as the stateless rules read it).

    ``{id: reply, start: intake, met: [handled, archived], within: 3d, who: agent,
    action: reply to the customer, breach: {code: CMP-4, message: no reply within 3 days}}``

    .. versionadded:: 0.1
    """

    id: str = Field(pattern=_ID)
    start: str
    met: list[str] = Field(min_length=1)
    within: DurationField
    who: str
    action: BiText
    breach: Violate
    citation: Citation | None = None
    changes: tuple[DeadlineChange, ...] = ()
    """Later values of ``within``, each in force for deadlines started from its ``since`` on
    (in order); ``within`` holds before the first."""

    @model_validator(mode="before")
    @classmethod
    def _dated_within(cls, data: Any) -> Any:
        """``within`` written in the dated form, ``[{value: 3d}, {value: 1d, since: <instant>}]``,
        is its first value plus ``changes``."""
        if not isinstance(data, Mapping) or not isinstance(data.get("within"), list | tuple):
            return data
        first, *later = data["within"]
        if not isinstance(first, Mapping) or "since" in first or any(
            not isinstance(item, Mapping) or set(item) != {"value", "since"} for item in later
        ):
            raise PolicyError(f"deadline {data.get('id')!r}: a dated within is [{{value: 3d}}, "
                              f"{{value: 1d, since: <instant>}}, ...] (got {data['within']!r:.80})", loc=("within",))
        changes = [{"since": item["since"], "within": item["value"]} for item in later]
        return {**data, "within": first.get("value"), "changes": changes}

    @model_validator(mode="after")
    def _changes_in_order(self) -> StepDeadline:
        for index, (before, after) in enumerate(zip(self.changes, self.changes[1:], strict=False)):
            if after.since <= before.since:
                raise PolicyError(f"deadline {self.id!r}: changes must be in order of since",
                                  loc=("changes", index + 1, "since"))
        return self

    def within_at(self, instant: datetime) -> WallDuration:
        """How long a deadline started at ``instant`` (aware) runs: the value in force then."""
        within = self.within
        for change in self.changes:
            if change.since > instant:
                break
            within = change.within
        assert isinstance(within, WallDuration)  # the lifecycle refuses business time
        return within


class Lifecycle(PolicyModel):
    """A transition table for one fact type: each fact is an event named by ``event_field``.

    Building one checks it: states are unique, every transition and deadline names known
    states, the event field exists, and every guard type-checks against the fact model;
    every state can be reached, no transition is shadowed by an unguarded one before it,
    and every deadline runs some time and can be met after it starts. Reaching a final
    state closes every open deadline.

    .. versionadded:: 0.1
    """

    id: str = Field(pattern=_ID)
    version: str
    title: BiText
    fact_type: str
    event_field: str = "event"
    states: list[str] = Field(min_length=1)
    initial: str
    final: list[str] = Field(default_factory=list)
    transitions: list[Transition]
    deadlines: list[StepDeadline] = Field(default_factory=list)
    citation: Citation | None = None
    labels: dict[str, BiText] | None = None
    """Display names of states and events by id (``{founded: {en: Complaint founded, zh:
    投訴成立}}``), for documents; the ids stay what facts and sessions use."""

    @model_validator(mode="after")
    def _checked(self) -> Lifecycle:
        pid = self.id
        known = set(self.states)
        if len(known) != len(self.states):
            repeated = sorted({s for s in self.states if self.states.count(s) > 1})
            raise PolicyError(f"states are repeated: {', '.join(repeated)}", policy_id=pid)

        def need(state: str, loc: tuple[str | int, ...]) -> None:
            if state not in known:
                raise PolicyError(
                    f"unknown state {state!r} (states: {', '.join(self.states)})",
                    loc=loc, policy_id=pid,
                )

        need(self.initial, ("initial",))
        for index, state in enumerate(self.final):
            need(state, ("final", index))
        model = get_fact_type(self.fact_type)
        ctx = CheckContext(model, {})
        info = ctx.field(self.event_field, at="event_field")
        if info.kind != "text" or info.is_collection:
            raise PolicyError(
                f"event_field {self.event_field!r} must be a text field (is {info.describe()})",
                loc=("event_field",), policy_id=pid,
            )
        for index, move in enumerate(self.transitions):
            need(move.from_, ("transitions", index, "from"))
            need(move.to, ("transitions", index, "to"))
            if move.from_ in self.final:
                raise PolicyError(f"final state {move.from_!r} cannot have transitions",
                                  loc=("transitions", index, "from"), policy_id=pid)
            if info.choices is not None and move.on not in info.choices:
                raise PolicyError(
                    f"event {move.on!r} is not a possible value of {self.event_field}",
                    loc=("transitions", index, "on"), policy_id=pid,
                )
            if move.guard is not None:
                for node in walk(move.guard):
                    if node.kind in WINDOW_KINDS:
                        raise PolicyError(f"a guard cannot use {node.kind}",
                                          loc=("transitions", index, "guard"), policy_id=pid)
                try:
                    check_condition_depth(move.guard, ("transitions", index, "guard"))
                    handler_for(move.guard).check(move.guard, ctx.at("transitions", index, "guard"))
                except PolicyError as exc:
                    raise exc.located(policy_id=self.id) from None
        ids: set[str] = set()
        for index, deadline in enumerate(self.deadlines):
            if deadline.id in ids:
                raise PolicyError(f"duplicate deadline id {deadline.id!r}",
                                  loc=("deadlines", index, "id"), policy_id=pid)
            ids.add(deadline.id)
            need(deadline.start, ("deadlines", index, "start"))
            for position, state in enumerate(deadline.met):
                need(state, ("deadlines", index, "met", position))
            for position, within in enumerate([deadline.within, *(c.within for c in deadline.changes)]):
                loc = ("deadlines", index, "within") if not position else ("deadlines", index, "changes",
                                                                             position - 1, "within")
                if not isinstance(within, WallDuration):
                    raise PolicyError(f"deadline {deadline.id!r}: {within} is business time; use clock time",
                                      loc=loc, policy_id=pid)
        self._check_graph()
        named = known | {t.on for t in self.transitions}
        unknown = sorted(set(self.labels or {}) - named)
        if unknown:
            raise PolicyError(f"labels name no state or event: {', '.join(unknown)}",
                              loc=("labels", unknown[0]), policy_id=pid)
        return self

    def _check_graph(self) -> None:
        """Refuse what could never happen as written: a state no event reaches, a transition
        an unguarded one before it always takes over, a deadline of no time, and a deadline
        none of whose ``met`` states can follow its ``start``."""
        pid = self.id
        reached = self.reachable(self.initial)
        unreachable = [s for s in self.states if s not in reached]
        if unreachable:
            raise PolicyError(f"state {unreachable[0]!r} cannot be reached from {self.initial!r}",
                              loc=("states", self.states.index(unreachable[0])), policy_id=pid)
        unguarded: dict[tuple[str, str], int] = {}
        for index, move in enumerate(self.transitions):
            first = unguarded.get((move.from_, move.on))
            if first is not None:
                raise PolicyError(f"transition {move.from_!r} --{move.on}--> {move.to!r} is never taken: "
                                  f"transition #{first + 1} has no guard and is tried first",
                                  loc=("transitions", index), policy_id=pid)
            if move.guard is None:
                unguarded[(move.from_, move.on)] = index
        for index, deadline in enumerate(self.deadlines):
            for position, within in enumerate([deadline.within, *(c.within for c in deadline.changes)]):
                if isinstance(within, WallDuration) and within.delta <= timedelta(0):
                    loc = ("deadlines", index, "within") if not position else (
                        "deadlines", index, "changes", position - 1, "within")
                    raise PolicyError(f"deadline {deadline.id!r}: within must be more than no time (got {within})",
                                      loc=loc, policy_id=pid)
            after = self.reachable(deadline.start, strict=True)
            if not any(state in after for state in deadline.met):
                raise PolicyError(f"deadline {deadline.id!r} can never be met: none of {deadline.met} can follow "
                                  f"its start {deadline.start!r}", loc=("deadlines", index, "met"), policy_id=pid)

    def reachable(self, state: str, *, strict: bool = False) -> set[str]:
        """The states some sequence of events leads to from ``state`` (guards aside);
        ``state`` itself unless ``strict`` (then only when a cycle returns to it)."""
        seen: set[str] = set()
        todo = [state]
        while todo:
            current = todo.pop()
            for move in self.transitions:
                if move.from_ == current and move.to not in seen:
                    seen.add(move.to)
                    todo.append(move.to)
        return seen if strict else seen | {state}

    @cached_property
    def content_hash(self) -> str:
        """A SHA-256 of the whole table (states, moves, deadlines with their times), so a
        step record tells a changed lifecycle (``reply_within`` 1d for 3d) from the same one."""
        written = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(written.encode("utf-8")).hexdigest()

    def allowed(self, state: str) -> tuple[str, ...]:
        """The events state ``state`` accepts, in table order, without repeats."""
        return tuple(dict.fromkeys(t.on for t in self.transitions if t.from_ == state))

    def to_dict(self) -> dict[str, Any]:
        """The lifecycle as plain data (``from`` keys as written in files)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
