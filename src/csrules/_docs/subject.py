"""What a document is about: a pack or a set of policies, normalised for the renderers.

Built-in packs (:mod:`csrules.policies`) carry roles, duties, session policies and
lifecycles besides their policies; a bare policy file carries only rules.
:func:`subject_from_pack` reads a built-in :class:`~csrules.policies.Pack` through its API
(its stateless and session policies, and ``Pack.lifecycles``) and any other pack-like object
by duck typing; :func:`subject_from_policies` wraps plain policies. Escalation ladders are
derived from the escalation rules themselves (elapsed thresholds and ``still_open``
deadlines), so a document never shows a ladder the engine or a session does not apply.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from csrules._docs.plain import Lang, RoleNames, condition_words, describe_context
from csrules._docs.slas import SlaDoc, sla_docs
from csrules._docs.words import matter_words, recurrence_words, unit_words
from csrules._policy.kinds.base import ConditionBase, optional_method, walk
from csrules._policy.model import Approve, Escalate, Policy, Text

if TYPE_CHECKING:
    from csrules._sessions import Lifecycle as SessionLifecycle
    from csrules._time.calendar import BusinessCalendar

__all__ = [
    "CalendarDoc",
    "Ladder",
    "LadderStep",
    "Lifecycle",
    "RoleDoc",
    "Subject",
    "content_hash",
    "subject_from_pack",
    "subject_from_policies",
]


@dataclass(frozen=True)
class RoleDoc:
    """A role: its name, its superior, its duties and what it may approve."""

    id: str
    title: Text
    reports_to: str | None = None
    duties: tuple[Text, ...] = ()
    approves: tuple[Text, ...] = ()


@dataclass(frozen=True)
class CalendarDoc:
    """The pack's business calendar (``calendar:`` in its manifest), as its rules read it."""

    name: str
    calendar: BusinessCalendar


@dataclass(frozen=True)
class LadderStep:
    """One rung of an escalation ladder: when it applies and to whom the matter goes."""

    when: Text
    to: str
    rule_id: str
    order: float
    wait: float = 0.0
    """Seconds the matter waits before this step can apply (0: at once, on its condition)."""


@dataclass(frozen=True)
class Ladder:
    """The escalation rules of one policy, in the order they fire."""

    policy_id: str
    title: Text
    steps: tuple[LadderStep, ...]

    @property
    def stages(self) -> tuple[tuple[LadderStep, ...], ...]:
        """The steps grouped by how long they wait, shortest first.

        Steps of one stage are alternatives (each applies on its own condition); a later
        stage follows an earlier one in time (still unresolved after a longer wait).
        """
        stages: dict[float, list[LadderStep]] = {}
        for step in self.steps:
            stages.setdefault(step.wait, []).append(step)
        return tuple(tuple(group) for _, group in sorted(stages.items()))


@dataclass(frozen=True)
class Lifecycle:
    """A lifecycle (such as a complaint's) as states and labelled transitions."""

    name: str
    title: Text
    states: tuple[str, ...]
    transitions: tuple[tuple[str, str, str], ...]  # (from, event, to)
    initial: str | None = None
    final: tuple[str, ...] = ()
    state_titles: Mapping[str, Text] = field(default_factory=dict)
    guards: Mapping[int, Text] = field(default_factory=dict)  # transition index -> condition
    deadlines: tuple[Text, ...] = ()
    event_titles: Mapping[str, Text] = field(default_factory=dict)

    def state_name(self, state: str, lang: Lang) -> str:
        """A state's display name (its id when it has none)."""
        title = self.state_titles.get(state)
        return title.get(lang) if title is not None else _unnamed(state, lang)

    def event_name(self, event: str, lang: Lang) -> str:
        """An event's display name (its id when it has none)."""
        title = self.event_titles.get(event)
        return title.get(lang) if title is not None else _unnamed(event, lang)


def _unnamed(name: str, lang: Lang) -> str:
    """An id with no display name: read as words in English, kept as the id in Chinese."""
    return name.replace("_", " ") if lang == "en" else name


@dataclass(frozen=True)
class Subject:
    """Everything a document shows, normalised."""

    name: str
    title: Text
    version: str
    description: Text | None
    policies: tuple[Policy, ...]
    roles: tuple[RoleDoc, ...] = ()
    lifecycles: tuple[Lifecycle, ...] = ()
    is_pack: bool = False
    slas: tuple[SlaDoc, ...] = ()
    calendar: CalendarDoc | None = None

    @property
    def role_names(self) -> RoleNames:
        """Display names of the roles this subject defines."""
        return RoleNames({role.id: role.title for role in self.roles})

    @property
    def ladders(self) -> tuple[Ladder, ...]:
        """The escalation ladder of every policy that escalates."""
        out = []
        for policy in self.policies:
            ladder = ladder_of(policy)
            if ladder is not None:
                out.append(ladder)
        return tuple(out)

    @property
    def hash(self) -> str:
        """The content hash of the policies (see :func:`content_hash`)."""
        return content_hash(self.policies)


def content_hash(policies: Iterable[Policy]) -> str:
    """A short SHA-256 of the policies' canonical JSON: equal content, equal hash."""
    digest = hashlib.sha256()
    for policy in policies:
        data = policy.model_dump(mode="json", exclude_none=True)
        digest.update(json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def ladder_of(policy: Policy) -> Ladder | None:
    """The escalation rules of ``policy`` ordered by the time their condition waits."""
    ctx = describe_context(policy)
    steps = []
    for position, rule in enumerate(policy.rules):
        for effect in rule.then:
            if isinstance(effect, Escalate):
                when = Text(
                    en=condition_words(rule.when, "en", ctx),
                    zh=condition_words(rule.when, "zh", ctx),
                )
                wait = _wait(rule.when, policy)
                steps.append(LadderStep(when, effect.to, rule.id, wait + position * 1e-6, wait))
    if not steps:
        return None
    steps.sort(key=lambda step: step.order)
    return Ladder(policy.id, policy.title, tuple(steps))


def _wait(cond: ConditionBase, policy: Policy) -> float:
    """Seconds an escalation waits: its longest lower bound on the time elapsed until now
    (``elapsed >= 1d``) or still-open threshold, as the kind's handler reports it."""
    longest = 0.0
    for node in walk(cond):
        waits = optional_method(node, "waits")
        amount: Any = None if waits is None else waits(node, policy.param_values)
        if amount is not None:
            delta = getattr(amount, "delta", None)
            if delta is not None:
                longest = max(longest, delta.total_seconds())
    return longest


def subject_from_policies(policies: Sequence[Policy], *, name: str | None = None) -> Subject:
    """A subject for plain policies (one policy file, or several)."""
    if len(policies) == 1:
        policy = policies[0]
        return Subject(policy.id, policy.title, policy.version, policy.description, tuple(policies))
    title = Text(en=", ".join(p.title.en for p in policies), zh="、".join(p.title.zh for p in policies))
    version = "+".join(f"{p.id}@{p.version}" for p in policies)
    return Subject(name or "policies", title, version, None, tuple(policies))


# --------------------------------------------------------------------------- packs, by duck typing


def _text(value: Any) -> Text | None:
    """A :class:`Text` from a Text, a pydantic model with en/zh, a mapping or a string."""
    if value is None:
        return None
    if isinstance(value, Text):
        return value
    if isinstance(value, str):
        return Text(en=value, zh=value)
    if isinstance(value, Mapping):
        en, zh = value.get("en"), value.get("zh")
    else:
        en, zh = getattr(value, "en", None), getattr(value, "zh", None)
    if isinstance(en, str) or isinstance(zh, str):
        return Text(en=str(en or zh), zh=str(zh or en))
    title = getattr(value, "title", None)
    if title is not None and title is not value:
        return _text(title)
    return Text(en=str(value), zh=str(value))


def _first(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _items(value: Any) -> list[Any]:
    """A list from a sequence, a mapping's values or a catalogue exposing one of those."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, str):
        return [value]
    for name in ("roles", "all", "values"):
        inner = getattr(value, name, None)
        if inner is not None and inner is not value:
            inner = inner() if callable(inner) else inner
            return _items(inner)
    try:
        return list(value)
    except TypeError:
        return []


def _texts(value: Any, caps: Mapping[tuple[str | None, str], tuple[float, str]] | None = None) -> tuple[Text, ...]:
    """Display texts for duty or authority entries of any of the shapes packs use (``caps``:
    the approval limits the role's rules enforce, see :func:`_authority`)."""
    out = []
    for item in _items(value):
        item = getattr(item, "duty", item)  # a pack duty wraps the time layer's Duty
        if isinstance(item, str):
            out.append(Text(en=item, zh=item))
            continue
        matter = _first(item, "matter")
        if isinstance(matter, str):
            out.append(_authority(item, matter, caps or {}))
            continue
        text = _text(_first(item, "title", "text", "description") or item)
        if text is None:
            continue
        recurrence = _first(item, "recurrence")
        if recurrence is not None:
            when = recurrence.describe() if hasattr(recurrence, "describe") else str(recurrence)
            when_zh = recurrence_words(recurrence) if hasattr(recurrence, "freq") else when
            text = Text(en=f"{text.en} ({when})", zh=f"{text.zh}（{when_zh}）")
        out.append(text)
    return tuple(out)


def _authority(item: Any, matter: str, limits: Mapping[tuple[str | None, str], tuple[float, str]]) -> Text:
    """An approval authority (``matter`` up to an amount) in words. Where a rule caps what it
    sends the role with a parameter of the same unit, the amount is that parameter's value in
    force: a company override moves the approvals, so the document follows it and names the
    catalogue's figure it departs from (a reviewer sees both, never two unexplained limits)."""
    name, name_zh = matter.replace("_", " "), matter_words(matter)
    limit = _first(item, "up_to")
    if limit is None:
        return Text(en=name, zh=name_zh)
    unit = _first(item, "unit") or ""
    in_force = limits.get((unit, matter))
    if in_force is None or in_force[0] == limit:
        return Text(en=f"{name} up to {_amount(limit, unit)}".strip(),
                    zh=f"{name_zh}：不超过{_amount(limit, unit, 'zh')}")
    value, param = in_force
    return Text(
        en=f"{name} up to {_amount(value, unit)} ({param}; the role catalogue says {_amount(limit, unit)})",
        zh=f"{name_zh}：不超过{_amount(value, unit, 'zh')}（{param}；角色表写明{_amount(limit, unit, 'zh')}）",
    )


def _amount(value: float, unit: str, lang: Lang = "en") -> str:
    """``1 day``, ``2 days``, ``2天``: one of a plural unit is singular in English."""
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if lang == "zh":
        return f"{shown}{unit_words(unit)}"
    return f"{shown} {unit[:-1] if value == 1 and unit.endswith('s') else unit}".strip()


def _approval_caps(policies: Sequence[Policy]) -> dict[str, dict[tuple[str | None, str], tuple[float, str]]]:
    """role -> (unit, matter) -> (value in force, parameter) for each number parameter that a
    rule approving by the role bounds from above (``days <= head_max_days`` -> department head).
    The matter is read off the fact type (``leave_request`` -> ``leave``)."""
    caps: dict[str, dict[tuple[str | None, str], tuple[float, str]]] = {}
    for policy in policies:
        matter = policy.fact_type.removesuffix("_request")
        for rule in policy.rules:
            roles = [effect.role for effect in rule.then if isinstance(effect, Approve)]
            leaves = rule.when.children() if rule.when.kind == "all" else (rule.when,)
            for leaf in leaves:
                name = getattr(leaf, "param", None)
                if leaf.kind != "compare" or getattr(leaf, "op", None) not in ("<", "<=") or name not in policy.params:
                    continue
                value = policy.param_values.get(name)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    for role in roles:
                        caps.setdefault(role, {}).setdefault((policy.params[name].unit, matter), (value, name))
    return caps


def _roles(pack: Any, policies: Sequence[Policy] = ()) -> tuple[RoleDoc, ...]:
    caps = _approval_caps(policies)
    roles = []
    for item in _items(_first(pack, "roles")):
        role_id = _first(item, "id", "name", "key")
        if not isinstance(role_id, str):
            continue
        title = _text(_first(item, "title", "label")) or Text(en=role_id, zh=role_id)
        superior = _first(item, "reports_to", "superior", "parent")
        if superior is not None and not isinstance(superior, str):
            superior = _first(superior, "id", "name")
        roles.append(
            RoleDoc(
                id=role_id,
                title=title,
                reports_to=superior if isinstance(superior, str) else None,
                duties=_texts(_first(item, "duties", "responsibilities")),
                approves=_texts(_first(item, "approval_authority", "approves", "authority", "approval"),
                                caps.get(role_id, {})),
            )
        )
    # Recurring duties listed on the pack (owner + recurrence) join their owner's duties.
    extra: dict[str, list[Text]] = {}
    for duty in _items(_first(pack, "duties")):
        owner = _first(getattr(duty, "duty", duty), "owner", "role")
        if isinstance(owner, str):
            extra.setdefault(owner, []).extend(_texts([duty]))
    if extra:
        roles = [
            RoleDoc(
                r.id,
                r.title,
                r.reports_to,
                r.duties + tuple(t for t in extra.get(r.id, []) if t not in r.duties),
                r.approves,
            )
            for r in roles
        ]
    return tuple(roles)


def _lifecycles(pack: Any, roles: RoleNames) -> tuple[Lifecycle, ...]:
    found = _first(pack, "lifecycles", "lifecycle", "complaint_lifecycle")
    if found is None:
        return ()
    items = [found] if _first(found, "transitions") is not None else _items(found)
    out = []
    for index, item in enumerate(items):
        lifecycle = _lifecycle(item, index, roles)
        if lifecycle is not None:
            out.append(lifecycle)
    return tuple(out)


def _lifecycle(item: Any, index: int, roles: RoleNames | None = None) -> Lifecycle | None:
    raw = _first(item, "transitions")
    if raw is None:
        return None
    transitions: list[tuple[str, str, str]] = []
    guards: dict[int, Text] = {}
    if isinstance(raw, Mapping):
        # {state: {event: next}} or {(state, event): next}
        for key, value in raw.items():
            if isinstance(key, tuple) and len(key) == 2:
                transitions.append((str(key[0]), str(key[1]), _state_id(value)))
            elif isinstance(value, Mapping):
                transitions.extend((str(key), str(event), _state_id(to)) for event, to in value.items())
    else:
        for entry in _items(raw):
            if isinstance(entry, tuple | list) and len(entry) == 3:
                transitions.append((_state_id(entry[0]), str(entry[1]), _state_id(entry[2])))
            else:
                guard = _first(entry, "guard")
                if guard is not None and hasattr(guard, "kind"):
                    guards[len(transitions)] = _guard_words(guard, _first(item, "fact_type"))
                source = _first(entry, "source", "from_", "from_state", "src")
                event = _first(entry, "on", "event", "name", "trigger")
                target = _first(entry, "target", "to", "to_state", "dst")
                if source is not None and target is not None:
                    transitions.append((_state_id(source), str(event or ""), _state_id(target)))
    states_raw = _items(_first(item, "states"))
    labels = {str(k): t for k, v in (_first(item, "labels") or {}).items() if (t := _text(v)) is not None}
    titles: dict[str, Text] = {}
    states: list[str] = []
    for state in states_raw:
        state_id = _state_id(state)
        states.append(state_id)
        title = labels.get(state_id) if isinstance(state, str) else _text(_first(state, "title", "label"))
        if title is not None:
            titles[state_id] = title
    for source, _, target in transitions:
        for state in (source, target):
            if state not in states:
                states.append(state)
    initial = _first(item, "initial", "start")
    final = _first(item, "final", "terminal", "finals")
    name = _first(item, "name", "id") or f"lifecycle-{index + 1}"
    title = _text(_first(item, "title")) or Text(en=str(name), zh=str(name))
    return Lifecycle(
        name=str(name),
        title=title,
        states=tuple(states),
        transitions=tuple(transitions),
        initial=_state_id(initial) if initial is not None else (states[0] if states else None),
        final=tuple(_state_id(s) for s in _items(final)),
        state_titles=titles,
        guards=guards,
        deadlines=tuple(_deadline_words(d, titles, roles) for d in _items(_first(item, "deadlines"))),
        event_titles={e: labels[e] for _, e, _ in transitions if e in labels},
    )


def _guard_words(guard: Any, fact_type: Any) -> Text:
    from csrules._policy.facts import get_fact_type
    from csrules._policy.kinds.base import DescribeContext
    from csrules.exceptions import PolicyError

    try:
        model: Any = get_fact_type(str(fact_type)) if fact_type else None
    except PolicyError:
        model = None
    ctx = DescribeContext(model)
    return Text(en=condition_words(guard, "en", ctx), zh=condition_words(guard, "zh", ctx))


def _deadline_words(deadline: Any, states: Mapping[str, Text], roles: RoleNames | None) -> Text:
    """A lifecycle deadline in words: who must do what, within how long of which state
    (states and the role by their display names where they have them)."""
    from csrules._policy.kinds.base import show_value

    names = roles or RoleNames()
    who = str(_first(deadline, "who") or "")
    action = _text(_first(deadline, "action")) or Text(en="act", zh="处理")
    within = _first(deadline, "within")
    breach = _first(deadline, "breach")
    code = str(_first(breach, "code") or "") if breach is not None else ""

    def state(value: Any, lang: Lang) -> str:
        title = states.get(str(value))
        return title.get(lang) if title is not None else _unnamed(str(value), lang)

    def start(lang: Lang) -> str:
        return state(_first(deadline, "start") or "", lang)

    def met(lang: Lang) -> str:
        return ("、" if lang == "zh" else ", ").join(state(m, lang) for m in _items(_first(deadline, "met")))

    en = (
        f"{names(who, 'en')} must {action.en} within {show_value(within, 'en')} of entering "
        f"{start('en')} (met by: {met('en')}; otherwise {code})"
    )
    zh = (f"进入“{start('zh')}”后{show_value(within, 'zh')}内，{names(who, 'zh')}须{action.zh}"
          f"（达到：{met('zh')}；否则 {code}）")
    return Text(en=en, zh=zh)


def _state_id(value: Any) -> str:
    if isinstance(value, str):
        return value
    found = _first(value, "id", "name", "value")
    return str(found if found is not None else value)


def _pack_lifecycle(lifecycle: SessionLifecycle, index: int, roles: RoleNames) -> Lifecycle:
    """A session :class:`~csrules._sessions.Lifecycle` (a pack's) as a document lifecycle."""
    found = _lifecycle(lifecycle, index, roles)
    assert found is not None  # a Lifecycle always has a transition table
    return found


def subject_from_pack(pack: Any) -> Subject:
    """A subject for a built-in pack (through its API) or a host's pack-like object (by duck
    typing). A built-in pack's document shows its stateless and session policies and the
    lifecycles of ``Pack.lifecycles``."""
    from csrules.policies import Pack

    if isinstance(pack, Pack):
        policies = (*pack.policies, *pack.session_policies)
    else:
        policies = tuple(_first(pack, "policies") or ())
    roles = _roles(pack, policies)
    names = RoleNames({role.id: role.title for role in roles})
    if isinstance(pack, Pack):
        lifecycles = tuple(_pack_lifecycle(item, index, names) for index, item in enumerate(pack.lifecycles))
    else:
        lifecycles = _lifecycles(pack, names)
    name = str(_first(pack, "name", "id") or "pack")
    title = _text(_first(pack, "title")) or Text(en=name, zh=name)
    return Subject(
        name=name,
        title=title,
        version=str(_first(pack, "version") or "+".join(p.version for p in policies)),
        description=_text(_first(pack, "description")),
        policies=policies,
        roles=roles,
        lifecycles=lifecycles,
        is_pack=True,
        slas=sla_docs(pack.slas) if isinstance(pack, Pack) else (),
        calendar=_calendar(_first(pack, "calendar")),
    )


def _calendar(name: Any) -> CalendarDoc | None:
    """The pack's calendar by its registered name (None: the pack names none)."""
    if not isinstance(name, str):
        return None
    from csrules._time.registry import get_calendar

    return CalendarDoc(name, get_calendar(name))
