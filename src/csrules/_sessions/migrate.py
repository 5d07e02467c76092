"""Sessions across a change of policy: which stored state still means what it meant.

Every stored or exported session names, per window, what defines it (its ``engine``
fingerprint, see :func:`fingerprint`): for each counter, run and item tracker the rules that
use it and a hash of each part of its definition (which events are counted, their time
field, the window, and every parameter those depend on); for each lifecycle a hash of each
deadline's definition. The state keys of counters, runs and trackers are themselves hashes
of their definitions, so a window that changed has a new key.

A change of policy is *compatible* when every piece of state a session holds still has the
same definition: tuned thresholds, messages, effects, new rules or new policies. Such a
session loads as it is and its counts go on. Otherwise it is *incompatible*: a window's
definition or a counted event changed, a rule or lifecycle state went away. Such a session
is refused until the host migrates it (:meth:`SessionEngine.migrate
<csrules._sessions.session.SessionEngine.migrate>`), which resets exactly the pieces that
changed and reports each one: never a silent loss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from csrules._policy.kinds.base import ConditionBase
from csrules._policy.kinds.window import window_dump
from csrules._policy.model import Policy
from csrules._sessions.program import Program, family, param_names, signature

__all__ = [
    "MigrationReport",
    "Piece",
    "Reset",
    "Status",
    "SubjectMigration",
    "check_fingerprint",
    "fingerprint",
    "incompatible",
    "reset_state",
]

Piece = Literal["counter", "run", "items", "fired", "lifecycle", "deadline"]
"""What a reset drops: a counter's counts, a run, a tracker's open items, the fired marks of
removed deadline rules, a lifecycle's status, or one running lifecycle deadline."""

Status = Literal["current", "compatible", "reset"]
"""A session's standing: written by this engine; written under a compatible change (only
the fingerprint is updated); or with pieces reset."""

_PART_WORDS = {
    "match": "the events it counts changed",
    "at": "the time field that places events in the window changed",
    "window": "the window changed",
    "key": "the field that identifies an item changed",
    "since": "the field an item is open since changed",
    "closed": "the condition that closes an item changed",
}
_SECTIONS = ("c", "r", "i")
_COUNTED: tuple[tuple[str, Piece], ...] = (("c", "counter"), ("r", "run"))


# --------------------------------------------------------------------------- fingerprint


def _h(value: Any) -> str:
    return signature(value)[:10]


def _param_parts(conds: Iterable[ConditionBase | None], policy: Policy) -> dict[str, str]:
    """A hash per parameter the conditions read: a tuned value changes what they select."""
    parts: dict[str, str] = {}
    values = policy.param_values
    for cond in conds:
        if cond is None:
            continue
        for name in sorted(param_names(cond) & values.keys()):
            parts[f"${name}"] = _h(str(values[name]))
    return parts


def _entry(table: dict[str, dict[str, Any]], key: str, rule: str, parts: dict[str, str]) -> None:
    entry = table.setdefault(key, {"rules": [], "parts": parts})
    if rule not in entry["rules"]:
        entry["rules"].append(rule)


def _build(program: Program) -> dict[str, Any]:
    counters: dict[str, dict[str, Any]] = {}
    runs: dict[str, dict[str, Any]] = {}
    trackers: dict[str, dict[str, Any]] = {}
    for fp in program.facts.values():
        for rule in fp.rules:
            for slot in rule.slots:
                cond: Any = slot.cond
                params = _param_parts([cond.match], rule.policy)
                if slot.counter is not None:
                    window = window_dump(cond.window)
                    parts = {"match": _h(cond.match.model_dump(mode="json")), "at": _h(cond.at),
                             "window": _h([window, slot.counter.rolling_us]), **params}
                    if cond.key_paths:  # counting items, not events, is another counter
                        parts["key"] = _h(list(cond.key_paths))
                    elif cond.days:  # so is counting days
                        parts["key"] = _h("days")
                    _entry(counters, slot.counter.key, rule.key, parts)
                elif slot.run is not None:
                    parts = {"match": _h(cond.match.model_dump(mode="json")), **params}
                    _entry(runs, slot.run.key, rule.key, parts)
    for tracker in program.trackers:
        for deadline in tracker.rules:
            node = deadline.node
            parts = {"key": _h(node.key), "since": _h(node.since),
                     "closed": _h(node.closed.model_dump(mode="json")),
                     **_param_parts([node.closed], deadline.policy)}
            if deadline.days is not None:  # due on the wall clock: a state stored when days were
                parts["days"] = _h(deadline.days)  # elapsed time is carried over, its next due time anew
            _entry(trackers, tracker.key, deadline.key, parts)
    lifecycles = {
        lp.id: {d.id: _h([d.start, sorted(d.met), str(d.within)]) for d in lp.lifecycle.deadlines}
        for lp in program.lifecycles
    }
    return {"all": program.fingerprint, "c": counters, "r": runs, "i": trackers, "l": lifecycles}


def fingerprint(program: Program) -> str:
    """What defines each window and lifecycle deadline of ``program``, as one text (one
    object per program: stored documents carry it as their ``engine``).

    The text is space-separated tokens: ``all:<hash of everything>``, then per counter
    (``c``), run (``r``) and item tracker (``i``) ``<section>:<key>:<rules>:<parts>``
    (rules as ``policy/rule,...``; parts as ``name=hash,...``, a parameter's name with a
    ``$``), and per lifecycle ``l:<id>:<deadline>=hash,...``. Ids, parameter names and
    hashes never hold a space, colon, comma or equals sign. A text rather than an object,
    and one JSON copies without escapes: a session call compares it with its own engine's
    and moves it as one string; it is parsed only when it differs.
    """
    found = program.engine_text
    if found is None:
        found = program.engine_text = _encode(_build(program))
    return found


def _encode(value: dict[str, Any]) -> str:
    tokens = [f"all:{value['all']}"]
    for section in _SECTIONS:
        for key, entry in value[section].items():
            parts = ",".join(f"{name}={h}" for name, h in entry["parts"].items())
            tokens.append(f"{section}:{key}:{','.join(entry['rules'])}:{parts}")
    for lifecycle_id, deadlines in value["l"].items():
        tokens.append(f"l:{lifecycle_id}:{','.join(f'{d}={h}' for d, h in deadlines.items())}")
    return " ".join(tokens)


_NAME = r"[A-Za-z0-9_.$@~\-]+"  # @ and ~ in the rule keys of dated policies
_PAIRS = rf"(?:{_NAME}={_NAME}(?:,{_NAME}={_NAME})*)?"
_TOKEN = re.compile(rf"[cri]:{_NAME}:{_NAME}/{_NAME}(?:,{_NAME}/{_NAME})*:{_PAIRS}|l:{_NAME}:{_PAIRS}")


@lru_cache(maxsize=64)  # a store migrated from one old engine repeats the same text
def windows(text: str) -> dict[str, Any]:
    """A fingerprint text as an object (``all``; ``c``, ``r``, ``i``: key -> {rules,
    parts}; ``l``: lifecycle id -> {deadline id: hash}); ValueError saying what is wrong."""
    first, *tokens = text.split(" ")
    if not first.startswith("all:") or not re.fullmatch(_NAME, first[4:]):
        raise ValueError("engine must be a fingerprint text starting with all:<hash>")
    value: dict[str, Any] = {"all": first[4:], **{section: {} for section in (*_SECTIONS, "l")}}
    for token in tokens:
        if not _TOKEN.fullmatch(token):
            raise ValueError(f"engine holds a malformed window {token[:60]!r}")
        section, key, *rest = token.split(":")
        pairs = dict(pair.split("=") for pair in rest[-1].split(",") if pair)
        value[section][key] = pairs if section == "l" else {"rules": rest[0].split(","), "parts": pairs}
    return value


def check_fingerprint(value: Any) -> str | None:
    """What is wrong with a stored ``engine`` fingerprint, or None."""
    if not isinstance(value, str):
        return "engine must be a fingerprint text"
    try:
        windows(value)
    except ValueError as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True, slots=True)
class Reset:
    """One piece of a session's state that a migration resets, and why.

    .. versionadded:: 0.2
    """

    subject: str
    piece: Piece
    key: str
    """The counter, run or tracker key, or the lifecycle id (``lifecycle/deadline`` for a
    deadline)."""
    rules: tuple[str, ...]
    """The ``policy/rule`` keys that used it (as the session's old engine recorded them;
    empty for a document that predates per-window fingerprints)."""
    reason: str
    dropped: Any
    """The state dropped, as stored (counts by period, times, open items, a status)."""

    @property
    def policies(self) -> tuple[str, ...]:
        """The ids of the policies (or lifecycles) the reset piece belonged to."""
        if self.piece in ("lifecycle", "deadline"):
            return (self.key.split("/", 1)[0],)
        return tuple(dict.fromkeys(rule.split("/", 1)[0] for rule in self.rules))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"subject": self.subject, "piece": self.piece, "key": self.key,
                "policies": list(self.policies), "rules": list(self.rules),
                "reason": self.reason, "dropped": self.dropped}

    def render(self) -> str:
        """One line: what was reset, for which rules, and why."""
        owner = f" of {', '.join(self.rules)}" if self.rules else ""
        return f"{self.piece} {self.key}{owner}: {self.reason} (dropped {_short(self.dropped)})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _old(engine: Mapping[str, Any] | None, section: str, key: str) -> Mapping[str, Any] | None:
    if engine is None:
        return None  # a version 2 document: one hash of everything, no per-window parts
    entry: Mapping[str, Any] | None = engine[section].get(key)
    return entry


def _why(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
         table: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why a window's state no longer means the same, or None when it still does."""
    if new is not None:
        if old is None:
            return None  # same key, so same definition; a version 2 document has no parts
        changed = sorted(p[1:] for p in {*old["parts"], *new["parts"]}
                         if p.startswith("$") and old["parts"].get(p) != new["parts"].get(p))
        if not changed:
            return None
        return (f"parameter {', '.join(changed)} changed, and it decides which events count "
                "toward this window")
    if old is None:
        return "this engine has no such window (its definition changed or its rule was removed)"
    # The same rule with another window now: name the parts that differ.
    for entry in table.values():
        if set(entry["rules"]) & set(old["rules"]):
            parts = [_PART_WORDS[p] for p in _PART_WORDS if old["parts"].get(p) != entry["parts"].get(p)]
            return f"its definition changed: {'; '.join(parts)}" if parts else "its definition changed"
    return "its rules were removed"


def incompatible(engine: Any, state: Mapping[str, Any], program: Program,
                 subject: str) -> list[Reset]:
    """What of ``state`` (stored under fingerprint ``engine``) ``program`` cannot carry over.

    ``engine`` is a fingerprint text, or (a version 2 document) one hash of everything:
    then the state's keys, which are hashes of their windows' definitions, decide alone.
    """
    text = fingerprint(program)
    if engine is text or engine == text:
        return []
    current = windows(text)
    old = windows(engine) if isinstance(engine, str) and engine.startswith("all:") else None
    return _findings(old, current, state, program, subject)


def _findings(engine: Mapping[str, Any] | None, current: dict[str, Any], state: Mapping[str, Any],
              program: Program, subject: str) -> list[Reset]:
    found: list[Reset] = []
    for section, piece in _COUNTED:
        for key, value in state[section].items():
            old = _old(engine, section, key)
            why = _why(old, current[section].get(program.counter_aliases.get(key, key)), current[section]) \
                if section == "c" else _run_why(old, key, current[section], program)
            if why is not None:
                found.append(Reset(subject, piece, key, _rules(old), why, value))
    for key, items in state["i"].items():
        old = _old(engine, "i", key)
        new = current["i"].get(key)
        why = _why(old, new, current["i"])
        if why is not None:
            found.append(Reset(subject, "items", key, _rules(old), why, items))
            continue
        assert new is not None
        kept = {family(rule) for rule in new["rules"]}  # a mark holds for every version of its rule
        fired = {item_id: stale for item_id, item in items.items()
                 if (stale := [x for x in item["x"] if family(x) not in kept])}
        if fired:
            found.append(Reset(subject, "fired", key, tuple(sorted({x for v in fired.values() for x in v})),
                               "the deadline rules that fired for these items were removed", fired))
    for lifecycle_id, status in state["l"].items():
        found.extend(_lifecycle(engine, current, program, subject, lifecycle_id, status))
    return found


def _run_why(old: Mapping[str, Any] | None, key: str, table: Mapping[str, Mapping[str, Any]],
             program: Program) -> str | None:
    """:func:`_why` for a stored run: it goes on in the run under its key and in every keyed
    run it became (see :attr:`Program.run_aliases`); the first that no longer means it says why."""
    became = program.run_aliases.get(key, ())
    targets = [*([key] if key in table or not became else []), *became]
    return next((why for new in targets if (why := _why(old, table.get(new), table)) is not None), None)


def _rules(old: Mapping[str, Any] | None) -> tuple[str, ...]:
    return () if old is None else tuple(old["rules"])


def _lifecycle(engine: Mapping[str, Any] | None, current: dict[str, Any], program: Program, subject: str,
               lifecycle_id: str, status: Mapping[str, Any]) -> list[Reset]:
    lp = program.lifecycle_index.get(lifecycle_id)
    if lp is None:
        return [Reset(subject, "lifecycle", lifecycle_id, (), "this engine has no such lifecycle",
                      status)]
    if status["st"] not in lp.lifecycle.states:
        return [Reset(subject, "lifecycle", lifecycle_id, (),
                      f"its state {status['st']!r} no longer exists; the lifecycle starts again "
                      f"from {lp.lifecycle.initial!r}", status)]
    old = None if engine is None else engine["l"].get(lifecycle_id, {})
    new = current["l"][lifecycle_id]
    found = []
    for deadline_id, running in status["d"].items():
        if deadline_id not in new:
            why = "this deadline was removed"
        elif old is not None and old.get(deadline_id) != new[deadline_id]:
            why = "its definition changed (start, met or within): its due time no longer holds"
        else:
            continue
        found.append(Reset(subject, "deadline", f"{lifecycle_id}/{deadline_id}", (), why, running))
    return found


def reset_state(state: Mapping[str, Any], resets: Iterable[Reset]) -> dict[str, Any]:
    """``state`` without the pieces ``resets`` names, as a new object (``nd`` not updated)."""
    out: dict[str, Any] = {**state, "c": dict(state["c"]), "r": dict(state["r"]),
                           "i": dict(state["i"]), "l": dict(state["l"])}
    for reset in resets:
        if reset.piece == "counter":
            out["c"].pop(reset.key, None)
        elif reset.piece == "run":
            out["r"].pop(reset.key, None)
        elif reset.piece == "items":
            out["i"].pop(reset.key, None)
        elif reset.piece == "fired":
            stale = set(reset.rules)
            out["i"][reset.key] = {
                item_id: {**item, "x": [x for x in item["x"] if x not in stale]}
                for item_id, item in out["i"][reset.key].items()}
        elif reset.piece == "lifecycle":
            out["l"].pop(reset.key, None)
        else:
            lifecycle_id, deadline_id = reset.key.split("/", 1)
            status = out["l"][lifecycle_id]
            out["l"][lifecycle_id] = {**status, "d": {d: v for d, v in status["d"].items()
                                                       if d != deadline_id}}
    return out


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class SubjectMigration:
    """What a migration does to one session.

    .. versionadded:: 0.2
    """

    subject: str
    status: Status
    resets: tuple[Reset, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"subject": self.subject, "status": self.status,
                "resets": [r.to_dict() for r in self.resets]}


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What :meth:`SessionEngine.migrate` found (a dry run) or did (``applied``).

    ``sessions`` lists every session examined; a session is ``current`` (already this
    engine's), ``compatible`` (its state carries over; only its fingerprint is rewritten)
    or ``reset`` (the pieces in its ``resets`` are dropped, everything else carries over).

    .. versionadded:: 0.2
    """

    applied: bool
    sessions: tuple[SubjectMigration, ...] = field(default=())

    @property
    def resets(self) -> tuple[Reset, ...]:
        """Every reset, session by session."""
        return tuple(r for s in self.sessions for r in s.resets)

    @property
    def changed(self) -> tuple[str, ...]:
        """The subjects whose stored document is (or would be) rewritten."""
        return tuple(s.subject for s in self.sessions if s.status != "current")

    def by_policy(self) -> dict[str, tuple[Reset, ...]]:
        """The resets grouped by the policy (or lifecycle) they belong to."""
        groups: dict[str, list[Reset]] = {}
        for reset in self.resets:
            for policy in reset.policies or ("(unknown)",):
                groups.setdefault(policy, []).append(reset)
        return {policy: tuple(found) for policy, found in sorted(groups.items())}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"applied": self.applied, "sessions": [s.to_dict() for s in self.sessions]}

    def render(self) -> str:
        """A readable summary, then one line per reset, by session."""
        counts = {status: sum(1 for s in self.sessions if s.status == status)
                  for status in ("current", "compatible", "reset")}
        verb = "migrated" if self.applied else "dry run (nothing written)"
        lines = [f"session migration, {verb}: {len(self.sessions)} sessions; "
                 f"{counts['current']} current, {counts['compatible']} carried over, "
                 f"{counts['reset']} with state reset"]
        for session in self.sessions:
            for reset in session.resets:
                lines.append(f"  {session.subject}: {reset.render()}")
        return "\n".join(lines)
