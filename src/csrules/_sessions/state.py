"""A session's state of record: plain JSON data owned by csrules, and its validation.

Layout of ``state`` (all times are integer microseconds since the epoch)::

    clock  the latest ``now`` the session has seen (ticks never go back), or null
    seq    how many events the session accepted
    c      counter key -> per-window counts: {period: n} (calendar, latest 3 periods),
           [t, ...] (rolling) or n (no window); a keyed count (``key``) maps each
           item to its period, time or 1 and the number of the event that first
           counted it: {item: [where, n]} (``where`` alone in states written before)
    r      run key -> length of the current run (in_a_row); a keyed run (``key``) holds
           {b: the length before its first kept item, k: [item, ...], n: [length, ...]},
           the latest items in the order first sent and the run's length at each (0: it
           did not match)
    i      tracker key -> item id -> {k: key, s: since, f: fact (JSON), x: [fired rule keys],
           o: seq when opened}
    l      lifecycle id -> {st: state, at: entered, d: {deadline id: {due, b: breached}}}
    nd     the next time a tick could fire anything, or null (indexed by stores)

A document's ``engine`` says what defines each window and lifecycle deadline of the engine
that wrote it (:func:`csrules._sessions.migrate.fingerprint`): an engine whose change of
policy left those definitions alone reads it as it is (see :mod:`csrules._sessions.migrate`).

An exported or stored document also carries ``checksum`` (SHA-256 of the canonical JSON of
everything else) and, when the engine has a state key, ``mac`` (HMAC-SHA256 under that key).

The short keys are the stored format (:class:`StateRecord` and the records it holds type
them); a call reads and writes typed values (:class:`OpenItem`, :class:`LifecycleStatus`)
through a :class:`Txn`, which translates at this boundary. Values are never changed in
place: a call builds replacements in its :class:`Txn` and commits them only when the whole
call succeeded, so a refused or failed call changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypedDict, cast

from pydantic import ValidationError

from csrules._errors import validation_error
from csrules._sessions.migrate import (
    Reset,
    Status,
    SubjectMigration,
    check_fingerprint,
    fingerprint,
    incompatible,
    reset_state,
)
from csrules._sessions.program import (
    KEPT_PERIODS,
    KEPT_RUN_ITEMS,
    Counter,
    Program,
    counted_at,
    family,
    to_us,
)
from csrules.exceptions import StateError

__all__ = [
    "FORMAT",
    "MAX_US",
    "MIN_US",
    "VERSION",
    "DeadlineStatus",
    "LifecycleStatus",
    "OpenItem",
    "StateRecord",
    "Txn",
    "document",
    "migrate_document",
    "new_state",
    "next_due",
    "seal",
    "validate_document",
]

FORMAT = "csrules.session"
"""The ``format`` marker of an exported session."""

VERSION = 3
"""The version of the export layout (2: every document carries a checksum; 3: its engine
fingerprint is per window). Version 2 documents are read too."""

_READS = (2, VERSION)

MIN_US = to_us(datetime.min.replace(tzinfo=UTC))
"""The earliest instant a session clock carries (0001-01-01 UTC), in microseconds."""

MAX_US = to_us(datetime.max.replace(tzinfo=UTC))
"""The latest instant a session clock carries (9999-12-31 UTC), in microseconds."""

_INT64 = 2**63 - 1  # what every store's integer columns hold
_SEALED = ("format", "version", "engine", "subject", "state")
_CHECKSUM = "sha256:"
_MAC = "hmac-sha256:"


class ItemRecord(TypedDict):
    """An open item as stored (the short keys are the format)."""

    k: Any
    """The item's key (the value of the tracker's ``key`` field; None when the subject is
    the item)."""
    s: int
    """Since when it is open."""
    f: dict[str, Any]
    """Its latest fact, as JSON."""
    x: list[str]
    """Keys of the deadline rules that already fired for it."""
    o: int
    """The event count when it opened (items are ticked in opening order)."""


class DeadlineRecord(TypedDict):
    """A lifecycle deadline as stored."""

    due: int
    b: bool
    """True once breached (a breach fires once)."""


class LifecycleRecord(TypedDict):
    """A lifecycle's status as stored."""

    st: str
    at: int | None
    """When the current state was entered."""
    d: dict[str, DeadlineRecord]
    """Running deadlines by id."""


class StateRecord(TypedDict):
    """A session's state of record as stored (see the module docstring)."""

    clock: int | None
    seq: int
    c: dict[str, Any]
    r: dict[str, int]
    i: dict[str, dict[str, ItemRecord]]
    l: dict[str, LifecycleRecord]  # noqa: E741 - the stored key
    nd: int | None


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An open item (a work order) as a session call sees it."""

    key: Any
    since_us: int
    fact: dict[str, Any]
    fired: tuple[str, ...]
    """Keys of the deadline rules that already fired for this item."""
    opened: int
    """The event count when it opened."""

    @classmethod
    def load(cls, record: ItemRecord) -> OpenItem:
        """The item of a stored record."""
        return cls(record["k"], record["s"], record["f"], tuple(record["x"]), record["o"])

    def dump(self) -> ItemRecord:
        """The record to store."""
        return {"k": self.key, "s": self.since_us, "f": self.fact, "x": list(self.fired),
                "o": self.opened}


@dataclass(frozen=True, slots=True)
class DeadlineStatus:
    """A running lifecycle deadline: when it is due, and whether its breach fired."""

    due_us: int
    breached: bool = False


@dataclass(frozen=True, slots=True)
class LifecycleStatus:
    """A lifecycle's current state, when it was entered, and its running deadlines."""

    state: str
    entered_us: int | None
    deadlines: dict[str, DeadlineStatus]

    @classmethod
    def load(cls, record: LifecycleRecord) -> LifecycleStatus:
        """The status of a stored record."""
        deadlines = {d: DeadlineStatus(e["due"], e["b"]) for d, e in record["d"].items()}
        return cls(record["st"], record["at"], deadlines)

    def dump(self) -> LifecycleRecord:
        """The record to store."""
        return {"st": self.state, "at": self.entered_us,
                "d": {d: {"due": e.due_us, "b": e.breached} for d, e in self.deadlines.items()}}


def new_state() -> StateRecord:
    """The state of a subject never seen before."""
    return {"clock": None, "seq": 0, "c": {}, "r": {}, "i": {}, "l": {}, "nd": None}


def document(program: Program, subject: str, state: StateRecord) -> dict[str, Any]:
    """Wrap ``state`` for export and storage (format, version, engine fingerprint, subject)."""
    return {"format": FORMAT, "version": VERSION, "engine": fingerprint(program),
            "subject": subject, "state": state}


class Txn:
    """Changes to one session's state, visible to the rest of the call, committed at the end.

    The call reads and writes typed values (:class:`OpenItem`, :class:`LifecycleStatus`);
    the stored records are read when first needed and written back by :meth:`commit`.
    """

    __slots__ = ("_counters", "_items", "_lifecycles", "_runs", "clock", "seq", "state")

    def __init__(self, state: StateRecord) -> None:
        self.state = state
        self.clock: int | None = state["clock"]
        self.seq: int = state["seq"]
        self._counters: dict[str, Any] = {}
        self._runs: dict[str, Any] = {}
        self._items: dict[str, dict[str, OpenItem | None]] = {}
        self._lifecycles: dict[str, LifecycleStatus] = {}

    def counter(self, key: str) -> Any:
        """The counter's value as of this call (its layout: see the module docstring)."""
        return self._counters[key] if key in self._counters else self.state["c"].get(key)

    def set_counter(self, key: str, value: Any) -> None:
        """Replace the counter's value."""
        self._counters[key] = value

    def run(self, key: str) -> int:
        """The run's length as of this call."""
        return self._runs[key] if key in self._runs else int(self.state["r"].get(key, 0))

    def run_record(self, key: str) -> Any:
        """The run's value as of this call as stored (a keyed run's: see the module
        docstring), or None before its first event."""
        return self._runs[key] if key in self._runs else self.state["r"].get(key)

    def set_run(self, key: str, value: Any) -> None:
        """Replace the run's value (its length; a keyed run's record)."""
        self._runs[key] = value

    def items(self, tracker: str) -> dict[str, OpenItem]:
        """Open items of ``tracker`` as of this call, in opening order."""
        items = {item_id: OpenItem.load(record)
                 for item_id, record in self.state["i"].get(tracker, {}).items()}
        for item_id, item in self._items.get(tracker, {}).items():
            if item is None:
                items.pop(item_id, None)
            else:
                items[item_id] = item
        return dict(sorted(items.items(), key=lambda kv: kv[1].opened))

    def item(self, tracker: str, item_id: str) -> OpenItem | None:
        """One open item as of this call."""
        changes = self._items.get(tracker, {})
        if item_id in changes:
            return changes[item_id]
        found = self.state["i"].get(tracker, {}).get(item_id)
        return None if found is None else OpenItem.load(found)

    def set_item(self, tracker: str, item_id: str, item: OpenItem | None) -> None:
        """Open, replace or (with None) close an item."""
        self._items.setdefault(tracker, {})[item_id] = item

    def lifecycle(self, lifecycle_id: str) -> LifecycleStatus | None:
        """The lifecycle's status as of this call (None before its first event)."""
        if lifecycle_id in self._lifecycles:
            return self._lifecycles[lifecycle_id]
        found = self.state["l"].get(lifecycle_id)
        return None if found is None else LifecycleStatus.load(found)

    def set_lifecycle(self, lifecycle_id: str, status: LifecycleStatus) -> None:
        """Replace the lifecycle's status."""
        self._lifecycles[lifecycle_id] = status

    def nothing_due(self, now_us: int) -> bool:
        """Whether a tick at ``now_us`` surely fires nothing: the stored ``nd`` (the earliest
        instant one could) is later. False once this call changed an item or a lifecycle."""
        if self._items or self._lifecycles:
            return False
        due = self.state["nd"]
        return due is None or now_us < due

    def commit(self, program: Program) -> StateRecord:
        """The state with this call's changes applied, as a new object.

        The state the call started from is left as it was: a reader holding it (an export,
        another engine sharing a memory store) keeps seeing one consistent snapshot.
        """
        old = self.state
        state: StateRecord = {"clock": self.clock, "seq": self.seq, "c": old["c"],
                              "r": old["r"], "i": old["i"], "l": old["l"], "nd": old["nd"]}
        if self._counters:
            state["c"] = {**old["c"], **self._counters}
        if self._runs:
            state["r"] = {**old["r"], **self._runs}
        if self._items:
            trackers = dict(old["i"])
            for tracker, changes in self._items.items():
                items = dict(trackers.get(tracker, {}))
                for item_id, item in changes.items():
                    if item is None:
                        items.pop(item_id, None)
                    else:
                        items[item_id] = item.dump()
                if items:
                    trackers[tracker] = items
                else:
                    trackers.pop(tracker, None)
            state["i"] = trackers
        if self._lifecycles:
            state["l"] = {**old["l"],
                          **{key: status.dump() for key, status in self._lifecycles.items()}}
        if self._items or self._lifecycles:
            state["nd"] = next_due(program, state)
        return state


def next_due(program: Program, state: StateRecord) -> int | None:
    """The earliest time a tick could fire anything for this state, or None."""
    due: list[int] = []
    for tracker in program.trackers:
        for item in state["i"].get(tracker.key, {}).values():
            fired = {family(key) for key in item["x"]}  # a deadline fires once, whichever version
            for rule in tracker.rules:
                if family(rule.key) in fired:
                    continue
                reached = rule.due_us(item["s"], item["f"])
                if rule.active_us is not None:  # a dated version's rule fires only while in force
                    start, end = rule.active_us
                    reached = reached if start is None else max(reached, start - 1)
                    if end is not None and reached + 1 >= end:
                        continue
                due.append(reached)
    for lp in program.lifecycles:
        status = state["l"].get(lp.id)
        if status is not None:
            due.extend(d["due"] for d in status["d"].values() if not d["b"])
    # a deadline is breached strictly after its due time ("within 3 days" is met at 72 h)
    return min(due) + 1 if due else None


# --------------------------------------------------------------------------- sealing


def _canonical(doc: dict[str, Any]) -> bytes:
    """The bytes the checksum and the signature cover: the sealed fields, canonical JSON
    (UTF-8; a lone surrogate an event's text held, which JSON text may carry as ``"\\ud800"``,
    is encoded as such, so such a state is sealed and comes back whole)."""
    body = {name: doc[name] for name in _SEALED}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8", "surrogatepass")


def seal(doc: dict[str, Any], key: bytes | None = None) -> dict[str, Any]:
    """``doc`` with its ``checksum`` (and, given ``key``, its ``mac``) set, as a new object."""
    body = _canonical(doc)
    sealed = {name: doc[name] for name in _SEALED}
    sealed["checksum"] = _CHECKSUM + hashlib.sha256(body).hexdigest()
    if key is not None:
        sealed["mac"] = _MAC + hmac.new(key, body, hashlib.sha256).hexdigest()
    return sealed


def _same(found: Any, expected: str) -> bool:
    return isinstance(found, str) and hmac.compare_digest(found.encode(), expected.encode())


def _check_seal(doc: dict[str, Any], key: bytes | None) -> None:
    try:
        body = _canonical(doc)
    except (TypeError, ValueError) as exc:
        raise _fail(f"the document is not plain JSON data ({exc})") from None
    if not _same(doc["checksum"], _CHECKSUM + hashlib.sha256(body).hexdigest()):
        raise _fail("the checksum does not match the content: the document was changed or "
                    "damaged after it was written")
    if key is None:
        return  # a signature cannot be checked without the key; the checksum still holds
    if "mac" not in doc:
        raise StateError("the session document is not signed (no mac), and this engine only "
                         "accepts documents signed with its state key")
    if not _same(doc["mac"], _MAC + hmac.new(key, body, hashlib.sha256).hexdigest()):
        raise StateError("the session document's signature (mac) does not match: it was "
                         "changed, or signed with another state key")


# --------------------------------------------------------------------------- validation


def _fail(message: str) -> StateError:
    return StateError(f"session state is corrupt or foreign: {message}")


def _int(value: Any, what: str, *, optional: bool = False, low: int = -_INT64, high: int = _INT64) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{what} must be an integer (got {_short(value)})")
    if not low <= value <= high:
        raise _fail(f"{what} must be between {low} and {high} (got {_short(value)})")


def _time(value: Any, what: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_US <= value <= MAX_US:
        raise _fail(f"{what} must be an instant between 0001-01-01 and 9999-12-31 UTC in "
                    f"microseconds (got {_short(value)})")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(f"{what} must be an object (got {type(value).__name__})")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_document(data: Any) -> dict[str, Any]:
    """``data`` (a JSON text, bytes or a mapping) as a document object."""
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _fail(f"not UTF-8 text ({exc.reason})") from None
    if isinstance(data, str):
        try:
            data = json.loads(data, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise _fail(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        except ValueError as exc:
            raise _fail(f"not JSON ({exc})") from None
    return _dict(data, "the document")


def validate_document(data: Any, program: Program, *, subject: str | None = None,
                      key: bytes | None = None, copy: bool = True,
                      sealed: bool = True) -> tuple[str, StateRecord]:
    """Check an exported session completely against ``program``; return (subject, state).

    The state returned is a deep copy of the one in ``data``; ``copy=False`` returns it
    as it is, for a document nobody else holds (one a store just parsed for this call).

    Raises :class:`StateError` naming the first problem: not JSON (or nested too deeply),
    another format or version, a checksum that does not match (a changed or damaged
    document), a missing or wrong signature when ``key`` is given, an engine whose change of
    policy the state cannot carry over (it needs :meth:`SessionEngine.migrate`), another
    subject, or any malformed, out-of-range or inconsistent value. ``sealed=False`` is for a
    document an in-process store kept as written (it carries no checksum).
    """
    try:
        doc, found, state = _open(data, program, subject, key, sealed)
        resets = [] if doc["engine"] is _SAME else _incompatible(doc, state, program, found)
        if resets:
            raise StateError(
                f"the session of {found!r} was written under policies whose windows changed "
                f"({'; '.join(r.render() for r in resets[:3])}"
                f"{'; ...' if len(resets) > 3 else ''}): migrate it first (SessionEngine.migrate "
                "for a store, SessionEngine.migrate_document for an exported document), which "
                "reports and resets exactly what changed")
        if doc["engine"] is not _SAME:
            state = _carried_over(state, program)
        _check_state(state, program)
        checked = cast("StateRecord", state)  # _check_state proved the layout
        return found, json.loads(json.dumps(checked)) if copy else checked
    except RecursionError:
        raise _fail("the document is nested too deeply") from None


def migrate_document(data: Any, program: Program, *, subject: str | None = None,
                     key: bytes | None = None,
                     sealed: bool = True) -> tuple[str, StateRecord, SubjectMigration]:
    """An exported or stored document (checked like :func:`validate_document`) with the
    state ``program`` cannot carry over reset: (subject, new state, what was reset)."""
    try:
        doc, found, state = _open(data, program, subject, key, sealed)
        same = doc["engine"] is _SAME
        resets = [] if same else _incompatible(doc, state, program, found)
        state = state if same else _carried_over(reset_state(state, resets), program)
        _check_state(state, program)
    except RecursionError:
        raise _fail("the document is nested too deeply") from None
    current = same and doc["version"] == VERSION
    status: Status = "reset" if resets else "current" if current else "compatible"
    return found, cast("StateRecord", state), SubjectMigration(found, status, tuple(resets))


_SAME = object()
"""What :func:`_open` puts in a document's ``engine`` (of its own copy) when this engine wrote it."""


def _open(data: Any, program: Program, subject: str | None, key: bytes | None,
          sealed: bool) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The document checked up to its state: format, version, keys, seal, engine, subject.
    The document returned is a shallow copy whose ``engine`` is :data:`_SAME` when it is
    this engine's fingerprint (the usual case: later steps skip the comparisons)."""
    doc = parse_document(data)
    if doc.get("format") != FORMAT:
        raise _fail(f"format is {_short(doc.get('format'))}, expected {FORMAT!r}")
    version = doc.get("version")
    if version not in _READS or isinstance(version, bool):
        raise _fail(f"version is {_short(version)}, this csrules reads "
                    f"{' and '.join(map(str, _READS))}")
    expected = {*_SEALED, *(("checksum", *({"mac"} & set(doc))) if sealed else ())}
    if set(doc) != expected:
        raise _fail(f"document keys are {sorted(doc, key=str)}, expected {sorted(expected)}")
    if sealed:
        _check_seal(doc, key)
    engine = doc["engine"]
    if engine == fingerprint(program):
        engine = _SAME
    else:
        problem = (check_fingerprint(engine) if version == VERSION
                   else None if isinstance(engine, str) else "engine must be a string")
        if problem is not None:
            raise _fail(problem)
    found = doc["subject"]
    if not isinstance(found, str) or not found:
        raise _fail(f"subject must be a non-empty string (got {_short(found)})")
    if subject is not None and found != subject:
        raise StateError(f"the state belongs to subject {found!r}, not {subject!r}")
    return {**doc, "engine": engine}, found, _dict(doc["state"], "state")


def _incompatible(doc: dict[str, Any], state: dict[str, Any], program: Program,
                  subject: str) -> list[Reset]:
    """What of ``state`` the change of policy cannot carry over. A state too malformed to
    tell is left to :func:`_check_state`, which names what is wrong."""
    try:
        return incompatible(doc["engine"], state, program, subject)
    except (KeyError, TypeError, AttributeError, ValueError):
        return []


def _carried_over(state: dict[str, Any], program: Program) -> dict[str, Any]:
    """``state``, written by another engine, with ``nd`` recomputed (a tuned deadline moves
    the next due time) and counters kept under an older key renamed. A state this engine
    wrote keeps its ``nd``, so a tampered one is still refused."""
    aliases = program.counter_aliases
    if aliases and isinstance(state.get("c"), dict) and aliases.keys() & state["c"].keys():
        state = {**state, "c": {aliases.get(key, key): value for key, value in state["c"].items()}}
    runs, stored = program.run_aliases, state.get("r")
    if runs and isinstance(stored, dict) and runs.keys() & stored.keys():
        # a run keyed since: its length goes on in each keyed run it became, none of its items
        # known (a keyed run the state already holds keeps its own)
        carried = {key: value for key, value in stored.items() if key not in runs or key in program.run_index}
        for key, value in stored.items():
            for new in runs.get(key, ()):
                carried.setdefault(new, {"b": value, "k": [], "n": []})
        state = {**state, "r": carried}
    try:
        return {**state, "nd": next_due(program, cast("StateRecord", state))}
    except (KeyError, TypeError, AttributeError):
        return state  # malformed: _check_state says how


def _check_state(state: dict[str, Any], program: Program) -> None:
    expected = set(new_state())
    if set(state) != expected:
        raise _fail(f"state keys are {sorted(state, key=str)}, expected {sorted(expected)}")
    _time(state["clock"], "clock", optional=True)
    _int(state["seq"], "seq", low=0)
    _int(state["nd"], "nd", optional=True)
    seq: int = state["seq"]
    _check_counters(_dict(state["c"], "c"), program, seq)
    runs = program.run_index
    for key, value in _dict(state["r"], "r").items():
        run = runs.get(key)
        if run is None:
            raise _fail(f"unknown run {key!r}")
        if run.item is None:
            _int(value, f"run {key}", low=0, high=seq)
        else:
            _check_keyed_run(key, value, seq)
    _check_items(_dict(state["i"], "i"), program, seq)
    _check_lifecycles(_dict(state["l"], "l"), program, state["clock"])
    if state["nd"] != next_due(program, cast("StateRecord", state)):
        raise _fail("nd does not agree with the open items and deadlines")


# A calendar period as Counter.period writes it; the date checks below refuse 2026-13.
_PERIOD = {
    "day": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "week": re.compile(r"[0-9]{4}-W[0-9]{2}"),
    "month": re.compile(r"[0-9]{4}-[0-9]{2}"),
    "year": re.compile(r"[0-9]{4}"),
}


def _is_period(calendar: str, period: Any) -> bool:
    pattern = _PERIOD.get(calendar)
    if not isinstance(period, str) or pattern is None or not pattern.fullmatch(period):
        return False
    try:
        if calendar == "day":
            date.fromisoformat(period)
        elif calendar == "week":
            date.fromisocalendar(int(period[:4]), int(period[6:]), 1)
        else:
            date(int(period[:4]), int(period[5:]) if calendar == "month" else 1, 1)
    except ValueError:
        return False
    return True


def _check_counters(counters: dict[str, Any], program: Program, seq: int) -> None:
    known = program.counter_index
    for key, value in counters.items():
        counter = known.get(key)
        if counter is None:
            raise _fail(f"unknown counter {key!r}")
        if counter.item is not None:
            _check_items_counted(key, value, counter, seq)
        elif counter.calendar is not None:
            if not isinstance(value, dict) or len(value) > KEPT_PERIODS:
                raise _fail(f"counter {key!r} must map up to {KEPT_PERIODS} periods to counts")
            for period, count in value.items():
                if not _is_period(counter.calendar, period):
                    raise _fail(f"counter {key!r} has {_short(period)}, which is not a "
                                f"{counter.calendar} period")
                _int(count, f"counter {key} in {period}", low=1, high=seq)
        elif counter.rolling_us is not None:
            if not isinstance(value, list) or len(value) > seq:
                raise _fail(f"counter {key!r} must be a list of at most seq ({seq}) times")
            for t in value:
                _time(t, f"a time of counter {key}")
            if value != sorted(value):
                raise _fail(f"counter {key!r} must be a sorted list of times")
        else:
            _int(value, f"counter {key}", low=0, high=seq)


def _check_items_counted(key: str, value: Any, counter: Counter, seq: int) -> None:
    """A keyed counter maps at most ``seq`` items to ``[where, n]``: their period, instant
    or 1, and the number (1 to ``seq``) of the event that first counted them; a state
    written before items kept their place holds ``where`` alone."""
    if not isinstance(value, dict) or len(value) > seq:
        raise _fail(f"counter {key!r} must map at most seq ({seq}) items to where they fall")
    for item, entry in value.items():
        if isinstance(entry, list):
            if len(entry) != 2:
                raise _fail(f"counter {key!r} has {_short(entry)} for {_short(item)}, "
                            "expected [where, event number]")
            _int(entry[1], f"the first event of {_short(item)} in counter {key}", low=1, high=seq)
        where = counted_at(entry)[0]
        if counter.calendar is not None:
            if not _is_period(counter.calendar, where):
                raise _fail(f"counter {key!r} has {_short(where)} for {_short(item)}, which is not a "
                            f"{counter.calendar} period")
        elif counter.rolling_us is not None:
            _time(where, f"the time of {_short(item)} in counter {key}")
        else:
            _int(where, f"counter {key} for {_short(item)}", low=1, high=1)


def _check_keyed_run(key: str, value: Any, seq: int) -> None:
    """A keyed run is {b, k, n}: the length before its first kept item, then at most
    ``KEPT_RUN_ITEMS`` distinct items (text) and the run's length at each (one more than at
    the item before it, or 0 where the run broke), never longer than ``seq``."""
    value = _dict(value, f"run {key}")
    if set(value) != {"b", "k", "n"}:
        raise _fail(f"run {key!r} has keys {sorted(value, key=str)}, expected ['b', 'k', 'n']")
    _int(value["b"], f"run {key} start", low=0, high=seq)
    items, lengths = value["k"], value["n"]
    most = min(seq, KEPT_RUN_ITEMS)
    if (not isinstance(items, list) or not isinstance(lengths, list) or len(items) != len(lengths)
            or len(items) > most or not all(isinstance(item, str) for item in items)
            or len(set(items)) != len(items)):
        raise _fail(f"run {key!r} must list at most {most} distinct items (text), each with a length")
    before: int = value["b"]
    for length in lengths:
        if isinstance(length, bool) or length not in (0, before + 1):
            raise _fail(f"run {key!r} has length {_short(length)} after a run of {before}, "
                        f"expected 0 or {before + 1}")
        before = length
    if before > seq:
        raise _fail(f"run {key!r} is longer than seq ({seq})")


def _check_items(trackers: dict[str, Any], program: Program, seq: int) -> None:
    known = program.tracker_index
    for key, items in trackers.items():
        tracker = known.get(key)
        if tracker is None:
            raise _fail(f"unknown item tracker {key!r}")
        rule_keys = {family(r.key) for r in tracker.rules}  # a mark holds for each version of its rule
        for item_id, item in _dict(items, f"items of {key}").items():
            item = _dict(item, f"item {item_id}")
            if set(item) != {"k", "s", "f", "x", "o"}:
                raise _fail(f"item {item_id!r} has keys {sorted(item, key=str)}")
            if json.dumps(item["k"]) != item_id:
                raise _fail(f"item {item_id!r} holds the key {_short(item['k'])}")
            _time(item["s"], f"item {item_id} since")
            _int(item["o"], f"item {item_id} order", low=0, high=seq - 1)
            fired = item["x"]
            if (not isinstance(fired, list) or not all(isinstance(x, str) for x in fired)
                    or len(set(fired)) != len(fired) or not set(map(family, fired)) <= rule_keys):
                raise _fail(f"item {item_id!r} lists unknown or repeated fired rules {_short(fired)}")
            try:
                tracker.model.model_validate(item["f"])
            except ValidationError as exc:
                raise validation_error(exc, _fail, f"item {item_id!r} holds an invalid fact") from None


def _check_lifecycles(statuses: dict[str, Any], program: Program, clock: int | None) -> None:
    known = program.lifecycle_index
    for key, status in statuses.items():
        lp = known.get(key)
        if lp is None:
            raise _fail(f"unknown lifecycle {key!r}")
        status = _dict(status, f"lifecycle {key}")
        if set(status) != {"st", "at", "d"}:
            raise _fail(f"lifecycle {key!r} has keys {sorted(status, key=str)}")
        if not isinstance(status["st"], str) or status["st"] not in lp.lifecycle.states:
            raise _fail(f"lifecycle {key!r} is in unknown state {_short(status['st'])}")
        _time(status["at"], f"lifecycle {key} entered", optional=True)
        if status["at"] is not None and clock is not None and status["at"] > clock:
            raise _fail(f"lifecycle {key!r} entered its state after the session's clock")
        deadline_ids = {d.id for d in lp.lifecycle.deadlines}
        for deadline_id, deadline in _dict(status["d"], f"deadlines of {key}").items():
            if deadline_id not in deadline_ids:
                raise _fail(f"lifecycle {key!r} has unknown deadline {deadline_id!r}")
            deadline = _dict(deadline, f"deadline {deadline_id}")
            if set(deadline) != {"due", "b"} or not isinstance(deadline["b"], bool):
                raise _fail(f"deadline {deadline_id!r} must be {{due, b}}")
            _int(deadline["due"], f"deadline {deadline_id} due")
