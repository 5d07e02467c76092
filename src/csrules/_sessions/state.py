"""A session's state of record: plain JSON data owned by csrules, and its validation.

Layout of ``state`` (all times are integer microseconds since the epoch)::

    clock  the latest ``now`` the session has seen (ticks never go back), or null
    seq    how many events the session accepted
    c      counter key -> per-window counts: {period: n} (calendar, latest 3 periods),
           [t, ...] (rolling) or n (no window)
    r      run key -> length of the current run (in_a_row)
    i      tracker key -> item id -> {k: key, s: since, f: fact (JSON), x: [fired rule keys],
           o: seq when opened}
    l      lifecycle id -> {st: state, at: entered, d: {deadline id: {due, b: breached}}}
    nd     the next time a tick could fire anything, or null (indexed by stores)

Values are never changed in place: a call builds replacements in a :class:`Txn` and commits
them only when the whole call succeeded, so a refused or failed call changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from csrules._sessions.program import Program
from csrules.exceptions import StateError

__all__ = ["FORMAT", "VERSION", "Txn", "document", "new_state", "next_due", "validate_document"]

FORMAT = "csrules.session"
"""The ``format`` marker of an exported session."""

VERSION = 1
"""The version of the export layout."""


def new_state() -> dict[str, Any]:
    """The state of a subject never seen before."""
    return {"clock": None, "seq": 0, "c": {}, "r": {}, "i": {}, "l": {}, "nd": None}


def document(program: Program, subject: str, state: dict[str, Any]) -> dict[str, Any]:
    """Wrap ``state`` for export and storage (format, version, engine fingerprint, subject)."""
    return {"format": FORMAT, "version": VERSION, "engine": program.fingerprint,
            "subject": subject, "state": state}


class Txn:
    """Changes to one session's state, visible to the rest of the call, committed at the end."""

    __slots__ = ("c", "clock", "i", "l", "r", "seq", "state")

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.clock: int | None = state["clock"]
        self.seq: int = state["seq"]
        self.c: dict[str, Any] = {}
        self.r: dict[str, int] = {}
        self.i: dict[str, dict[str, dict[str, Any] | None]] = {}
        self.l: dict[str, dict[str, Any]] = {}

    def counter(self, key: str) -> Any:
        """The counter's value as of this call."""
        return self.c[key] if key in self.c else self.state["c"].get(key)

    def run(self, key: str) -> int:
        """The run's length as of this call."""
        return self.r[key] if key in self.r else int(self.state["r"].get(key, 0))

    def items(self, tracker: str) -> dict[str, dict[str, Any]]:
        """Open items of ``tracker`` as of this call, in opening order."""
        items = dict(self.state["i"].get(tracker, {}))
        for item_id, item in self.i.get(tracker, {}).items():
            if item is None:
                items.pop(item_id, None)
            else:
                items[item_id] = item
        return dict(sorted(items.items(), key=lambda kv: kv[1]["o"]))

    def item(self, tracker: str, item_id: str) -> dict[str, Any] | None:
        """One open item as of this call."""
        changes = self.i.get(tracker, {})
        if item_id in changes:
            return changes[item_id]
        found: dict[str, Any] | None = self.state["i"].get(tracker, {}).get(item_id)
        return found

    def set_item(self, tracker: str, item_id: str, item: dict[str, Any] | None) -> None:
        """Open, replace or (with None) close an item."""
        self.i.setdefault(tracker, {})[item_id] = item

    def lifecycle(self, lifecycle_id: str) -> dict[str, Any] | None:
        """The lifecycle's status as of this call (None before its first event)."""
        if lifecycle_id in self.l:
            return self.l[lifecycle_id]
        found: dict[str, Any] | None = self.state["l"].get(lifecycle_id)
        return found

    def commit(self, program: Program) -> None:
        """Write the changes into the state."""
        state = self.state
        state["clock"] = self.clock
        state["seq"] = self.seq
        if self.c:
            state["c"].update(self.c)
        if self.r:
            state["r"].update(self.r)
        for tracker, changes in self.i.items():
            items = state["i"].setdefault(tracker, {})
            for item_id, item in changes.items():
                if item is None:
                    items.pop(item_id, None)
                else:
                    items[item_id] = item
            if not items:
                del state["i"][tracker]
        if self.l:
            state["l"].update(self.l)
        if self.i or self.l:
            state["nd"] = next_due(program, state)


def next_due(program: Program, state: dict[str, Any]) -> int | None:
    """The earliest time a tick could fire anything for this state, or None."""
    due: list[int] = []
    for tracker in program.trackers:
        for item in state["i"].get(tracker.key, {}).values():
            fired = set(item["x"])
            due.extend(item["s"] + rule.after_us for rule in tracker.rules if rule.key not in fired)
    for lp in program.lifecycles:
        status = state["l"].get(lp.id)
        if status is not None:
            due.extend(d["due"] for d in status["d"].values() if not d["b"])
    return min(due) if due else None


# --------------------------------------------------------------------------- validation


def _fail(message: str) -> StateError:
    return StateError(f"session state is corrupt or foreign: {message}")


def _int(value: Any, what: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{what} must be an integer (got {value!r})")


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"{what} must be an object (got {type(value).__name__})")
    return value


def parse_document(data: Any) -> dict[str, Any]:
    """``data`` (a JSON text, bytes or a mapping) as a document object."""
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _fail(f"not UTF-8 text ({exc.reason})") from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise _fail(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    return _dict(data, "the document")


def validate_document(data: Any, program: Program, *, subject: str | None = None) -> tuple[str, dict[str, Any]]:
    """Check an exported session completely against ``program``; return (subject, state).

    Raises :class:`StateError` naming the first problem: not JSON, another format or
    version, another engine (policies differ), another subject, or any malformed value.
    """
    doc = parse_document(data)
    if doc.get("format") != FORMAT:
        raise _fail(f"format is {doc.get('format')!r}, expected {FORMAT!r}")
    if doc.get("version") != VERSION:
        raise _fail(f"version is {doc.get('version')!r}, this csrules reads {VERSION}")
    if doc.get("engine") != program.fingerprint:
        raise StateError(
            "the session was exported by an engine with other policies or lifecycles "
            f"(fingerprint {doc.get('engine')!r}, this engine {program.fingerprint!r})"
        )
    found = doc.get("subject")
    if not isinstance(found, str) or not found:
        raise _fail(f"subject must be a non-empty string (got {found!r})")
    if subject is not None and found != subject:
        raise StateError(f"the state belongs to subject {found!r}, not {subject!r}")
    state = _dict(doc.get("state"), "state")
    expected = set(new_state())
    if set(state) != expected:
        raise _fail(f"state keys are {sorted(state)}, expected {sorted(expected)}")
    _int(state["clock"], "clock", optional=True)
    _int(state["seq"], "seq")
    _int(state["nd"], "nd", optional=True)
    _check_counters(_dict(state["c"], "c"), program)
    runs = {r.key for fp in program.facts.values() for r in fp.runs}
    for key, value in _dict(state["r"], "r").items():
        if key not in runs:
            raise _fail(f"unknown run {key!r}")
        _int(value, f"run {key}")
    _check_items(_dict(state["i"], "i"), program)
    _check_lifecycles(_dict(state["l"], "l"), program)
    if state["nd"] != next_due(program, state):
        raise _fail("nd does not agree with the open items and deadlines")
    return found, json.loads(json.dumps(state))


def _check_counters(counters: dict[str, Any], program: Program) -> None:
    known = {c.key: c for fp in program.facts.values() for c in fp.counters}
    for key, value in counters.items():
        counter = known.get(key)
        if counter is None:
            raise _fail(f"unknown counter {key!r}")
        if counter.calendar is not None:
            if not isinstance(value, dict) or len(value) > 3 or not all(
                isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value.values()
            ):
                raise _fail(f"counter {key!r} must map up to 3 periods to counts")
        elif counter.rolling_us is not None:
            if not isinstance(value, list) or not all(
                isinstance(t, int) and not isinstance(t, bool) for t in value
            ) or value != sorted(value):
                raise _fail(f"counter {key!r} must be a sorted list of times")
        else:
            _int(value, f"counter {key}")


def _check_items(trackers: dict[str, Any], program: Program) -> None:
    known = {t.key: t for t in program.trackers}
    for key, items in trackers.items():
        tracker = known.get(key)
        if tracker is None:
            raise _fail(f"unknown item tracker {key!r}")
        rule_keys = {r.key for r in tracker.rules}
        for item_id, item in _dict(items, f"items of {key}").items():
            item = _dict(item, f"item {item_id}")
            if set(item) != {"k", "s", "f", "x", "o"}:
                raise _fail(f"item {item_id!r} has keys {sorted(item)}")
            _int(item["s"], f"item {item_id} since")
            _int(item["o"], f"item {item_id} order")
            if not isinstance(item["x"], list) or not set(item["x"]) <= rule_keys:
                raise _fail(f"item {item_id!r} lists unknown fired rules {item['x']!r}")
            try:
                tracker.model.model_validate(item["f"])
            except ValidationError as exc:
                raise _fail(f"item {item_id!r} holds an invalid fact: {exc.errors()[0]['msg']}") from None


def _check_lifecycles(statuses: dict[str, Any], program: Program) -> None:
    known = {lp.id: lp for lp in program.lifecycles}
    for key, status in statuses.items():
        lp = known.get(key)
        if lp is None:
            raise _fail(f"unknown lifecycle {key!r}")
        status = _dict(status, f"lifecycle {key}")
        if set(status) != {"st", "at", "d"}:
            raise _fail(f"lifecycle {key!r} has keys {sorted(status)}")
        if status["st"] not in lp.lifecycle.states:
            raise _fail(f"lifecycle {key!r} is in unknown state {status['st']!r}")
        _int(status["at"], f"lifecycle {key} entered", optional=True)
        deadline_ids = {d.id for d in lp.lifecycle.deadlines}
        for deadline_id, deadline in _dict(status["d"], f"deadlines of {key}").items():
            if deadline_id not in deadline_ids:
                raise _fail(f"lifecycle {key!r} has unknown deadline {deadline_id!r}")
            deadline = _dict(deadline, f"deadline {deadline_id}")
            if set(deadline) != {"due", "b"} or not isinstance(deadline["b"], bool):
                raise _fail(f"deadline {deadline_id!r} must be {{due, b}}")
            _int(deadline["due"], f"deadline {deadline_id} due")
