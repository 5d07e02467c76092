"""Stateful sessions: events, ticks, windows, deadlines and lifecycles, per subject.

:class:`SessionEngine` compiles policies (window kinds allowed) and lifecycles once, picks a
backend (durable-rules where installed, else pure Python), and keeps each subject's state
of record in a store. :meth:`SessionEngine.session` hands out a :class:`Session` for one
subject (an agent, a work order, a complaint). Every call is all-or-nothing: it works on a
transaction and commits only when everything succeeded, so an error leaves the session
exactly as it was.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from csrules._engine.logs import DecisionLog
    from csrules._engine.record import DecisionRecord

from csrules._engine.compile import trace_rule
from csrules._engine.decision import EffectResult, Obligation, RuleError
from csrules._engine.engine import check_now
from csrules._engine.zones import fact_zones, in_zone
from csrules._policy.facts import fact_type_name, register_fact_type, validate_fact
from csrules._policy.kinds.base import DescribeContext, Env
from csrules._policy.model import Policy
from csrules._policy.trace import TraceNode
from csrules._policy.validity import day_of, versions_by_id
from csrules._sessions.backends import Backend, BackendName, TickItem, make_backend
from csrules._sessions.lifecycle import Lifecycle, Transition
from csrules._sessions.migrate import MigrationReport, SubjectMigration, fingerprint
from csrules._sessions.program import (
    DeadlineRule,
    FactProgram,
    LifecycleProgram,
    Program,
    Tracker,
    carried,
    compile_program,
    fact_body,
    family,
    from_us,
    to_us,
    zoned,
)
from csrules._sessions.results import Firing, SessionTrace, StepResult, TransitionRecord
from csrules._sessions.state import (
    MAX_US,
    MIN_US,
    DeadlineStatus,
    LifecycleStatus,
    OpenItem,
    StateRecord,
    Txn,
    document,
    migrate_document,
    new_state,
    seal,
    validate_document,
)
from csrules._sessions.store import MemoryStore, SessionStore
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.exceptions import CsrulesError, FactError, LogWriteError, SessionError, TimeError, TransitionError

__all__ = ["DueTicks", "Session", "SessionEngine"]

_R = TypeVar("_R")
_EPOCH = from_us(0)
_US = timedelta(microseconds=1)


def _aware(now: datetime | None) -> datetime | None:
    """``now`` checked as the engine checks it, and within what a session clock carries."""
    check_now(now)
    if now is not None:
        carried(to_us(now), now)
    return now


class DueTicks(dict[str, StepResult]):
    """What :meth:`SessionEngine.tick_due` did: the results by subject ticked, and in
    ``skipped`` the due subjects it left alone because their clock is already later than
    ``now`` (subject -> that clock), so a tick there would go back in time.

    .. versionadded:: 0.1
    """

    def __init__(self) -> None:
        super().__init__()
        self.skipped: dict[str, datetime] = {}


class SessionEngine:
    """Policies and lifecycles compiled for stateful sessions.

    >>> engine = SessionEngine([con1_policy], backend="auto")        # doctest: +SKIP
    >>> agent = engine.session("agent-7")                            # doctest: +SKIP
    >>> agent.send(greeting, now=t).effect_keys                      # doctest: +SKIP
    >>> agent.tick(t + timedelta(hours=25)).escalations              # doctest: +SKIP

    ``backend`` is ``"auto"`` (durable-rules where installed, else Python), ``"durable"``
    or ``"python"``; both give identical results. ``store`` keeps each subject's state of
    record (a :class:`MemoryStore` by default; :class:`SQLiteStore` survives restarts).
    Calls are serialised by a lock, so an engine may be shared between threads; every call
    that changes a session is one store transaction, so engines in other threads or
    processes may share the store. ``state_key`` (bytes) signs exported and stored
    documents (HMAC-SHA256) and makes :meth:`restore` refuse documents not signed with it.
    ``log`` (a :class:`~csrules.records.JsonlLog` or :class:`~csrules.records.SQLiteLog`)
    receives the record of every event and tick once it is committed, written (flushed) at
    once: a step the store holds has its record in the log.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        policies: Policy | Iterable[Policy] = (),
        *,
        lifecycles: Lifecycle | Iterable[Lifecycle] = (),
        backend: BackendName = "auto",
        store: SessionStore | None = None,
        state_key: bytes | None = None,
        log: DecisionLog | None = None,
    ) -> None:
        if state_key is not None and (not isinstance(state_key, bytes) or not state_key):
            raise SessionError(f"state_key must be non-empty bytes (got {type(state_key).__name__})")
        if isinstance(policies, Policy):
            policies = [policies]
        if isinstance(lifecycles, Lifecycle):
            lifecycles = [lifecycles]
        policies = tuple(policies)
        self.program: Program = compile_program(policies, lifecycles)
        self._fingerprint = fingerprint(self.program)  # what this engine's documents carry
        # events naming no time_zone, of a type whose policies name another zone, are read in it
        self._zones = fact_zones(policies)
        self._backend: Backend = make_backend(backend, self.program)
        self.store: SessionStore = store if store is not None else MemoryStore()
        self._lock = threading.RLock()
        self._closed = False
        self._deadlines = bool(self.program.trackers or self.program.lifecycles)
        self._key = state_key
        self._log = log  # every committed step's record is written here

    # ------------------------------------------------------------------ public

    @property
    def backend(self) -> str:
        """The name of the backend in use (``durable`` or ``python``)."""
        return self._backend.name

    @property
    def fact_types(self) -> tuple[str, ...]:
        """The fact types sessions of this engine accept."""
        return tuple(self.program.facts)

    def session(self, subject_id: str) -> Session:
        """The session of ``subject_id`` (new, or continuing from the store). An id with white
        space around it (``"agent-7 "``) is refused: it would be a session apart from
        ``"agent-7"``, whose counts it would not see."""
        _given_subject(subject_id)
        return Session(self, subject_id)

    def tick_due(self, now: datetime) -> DueTicks:
        """Tick every stored subject with a deadline at or before ``now``.

        Returns the results by subject, for subjects where something was due. A due subject
        whose clock is already later than ``now`` (another worker ticked it further) is
        not ticked; it is listed in the result's ``skipped``.
        """
        moment = _aware(now)
        if moment is None:
            raise TimeError("tick_due needs now")
        self._log_open()  # refused before any subject is ticked
        out = DueTicks()
        for subject in self.store.due(to_us(moment)):
            with self._lock:
                result = self._guarded("a tick", self._tick_call, subject, moment, True)
            if isinstance(result, StepResult):
                out[subject] = result
            elif result is not None:
                out.skipped[subject] = result
        return out

    def send(self, subject_id: str, event: Any, *, now: datetime | None = None,
             fact_type: str | None = None) -> StepResult:
        """Process one event for ``subject_id``; see :meth:`Session.send`."""
        with self._lock:  # _guarded and the call, written out: this is the per-event path
            try:
                if self._closed:
                    raise SessionError("this session engine is closed")
                if (type(subject_id) is not str or not subject_id or subject_id.strip() != subject_id
                        or "\0" in subject_id):
                    _given_subject(subject_id)
                fp = self.program.by_class.get(type(event)) if fact_type is None else None
                if fp is not None:  # the usual case: an instance of a registered fact class
                    fact = event
                else:
                    fp, fact = self._fact(event, fact_type)
                if self._zones:
                    fact = in_zone(fact, self._zones.get(fp.fact_type))
                moment = now if type(now) is datetime and now.utcoffset() is not None else _aware(now)
                # The state is read, changed and written in one store transaction: no other
                # engine, thread or process can change this subject in between (nothing is
                # cached here).
                change = partial(self._send_change, subject_id, fp, fact, moment)
                if self._log is None:
                    return self.store.update(subject_id, change)
                return self._send_logged(subject_id, fp, fact, change)
            except CsrulesError:
                raise
            except Exception as exc:  # the transaction was not committed: nothing changed
                raise _unexpected("an event", exc) from exc

    def _guarded(self, what: str, call: Callable[..., _R], *args: Any) -> _R:
        """``call(*args)``, with any failure that is not csrules' own as a SessionError."""
        try:
            return call(*args)
        except CsrulesError:
            raise
        except Exception as exc:  # the transaction was not committed: nothing changed
            raise _unexpected(what, exc) from exc

    def _send_logged(self, subject_id: str, fp: FactProgram, fact: BaseModel,
                     change: Callable[[dict[str, Any] | None], tuple[dict[str, Any], StepResult]]) -> StepResult:
        """:meth:`send` with a decision log: the step, committed, and its record written."""
        from csrules._engine.record import recordable, step_record  # records load on first use
        self._log_open()
        recordable(fact)  # refused before the transaction: a committed step would have no record
        result = self.store.update(subject_id, change)
        return self._logged(result, lambda: step_record(self._judging(result.now, fp, fact), result,
                                                        fp.fact_type, fact, lifecycles=self._lifecycles))

    def _log_open(self) -> None:
        """Refuse a call whose record would go to a closed log, before its transaction."""
        check = getattr(self._log, "check_open", None)  # a log of the host's own may have none
        if check is not None:
            check()

    def _logged(self, result: StepResult, record: Callable[[], DecisionRecord]) -> StepResult:
        """``result``, committed, with its record handed to the decision log. A log that
        fails is reported on the result (``log_error``) and by a warning, never raised: the
        step is committed, and a caller that read an error as "nothing happened" would send
        it again (counted twice) or lose what a tick fired."""
        assert self._log is not None
        error: LogWriteError | None = None
        try:
            self._log.write(record())  # a failed batch stays pending in the log
            # written now, not with a later batch: the store has the step, and a process
            # killed before a batch filled would keep the step and lose its record
            flush = getattr(self._log, "flush", None)  # a log of the host's own may have none
            if flush is not None:
                flush()
        except LogWriteError as exc:
            error = exc
        except Exception as exc:  # a record not made, or a host's own log failing: not written either
            error = LogWriteError(f"the record was not written: {type(exc).__name__}: {exc}",
                                  sink=getattr(self._log, "kind", "decision"), path=str(getattr(self._log, "path", "")))
        if error is not None:
            result.log_error = error
            warnings.warn(f"{error} (the {result.kind} of subject {result.subject!r} is committed: "
                          "do not repeat it)", RuntimeWarning, stacklevel=4)
        return result

    def _send_change(self, subject_id: str, fp: FactProgram, fact: BaseModel,
                     moment: datetime | None,
                     doc: dict[str, Any] | None) -> tuple[dict[str, Any], StepResult]:
        store = self.store
        if doc is not None and store.trusted and doc.get("engine") is self._fingerprint:
            txn = Txn(doc["state"])  # what _state_of returns for a document this engine wrote
        else:
            txn = Txn(self._state_of(subject_id, doc))
        tick_firings: list[Firing] = []
        tick_errors: list[RuleError] = []
        if moment is not None:
            now_us = (moment - _EPOCH) // _US  # to_us, inlined
            if not MIN_US <= now_us <= MAX_US:
                carried(now_us, moment)
            if txn.clock is not None and now_us < txn.clock:
                self._advance(txn, moment)  # raises: time went backwards
            txn.clock = now_us
            if self._deadlines:
                tick_firings, tick_errors = self._tick(txn, moment)
        if moment is None and txn.clock is not None:
            moment = from_us(txn.clock)  # the session's clock, in UTC
        result = self._event(subject_id, txn, fp, fact, moment, tick_firings, tick_errors)
        result.seq = txn.seq = txn.seq + 1
        new = document(self.program, subject_id, txn.commit(self.program))  # _document, inlined
        return (new if store.trusted else seal(new, self._key)), result

    def tick(self, subject_id: str, now: datetime) -> StepResult:
        """Move ``subject_id``'s clock to ``now``; see :meth:`Session.tick`."""
        moment = _aware(now)
        if moment is None:
            raise TimeError("a tick needs now")
        _given_subject(subject_id)
        with self._lock:
            result = self._guarded("a tick", self._tick_call, subject_id, moment, False)
        assert isinstance(result, StepResult)  # only tick_due skips
        return result

    def _tick_call(self, subject_id: str, moment: datetime, due_only: bool) -> StepResult | datetime | None:
        """Tick one subject in one store transaction. With ``due_only`` (tick_due), a subject
        that is gone is left alone (None), and so is one whose clock is later than ``moment``
        (its clock is returned)."""
        self._check_open()
        _subject(subject_id)
        self._log_open()
        result = self.store.update(subject_id, partial(self._tick_change, subject_id, moment, due_only))
        if self._log is not None and isinstance(result, StepResult):
            from csrules._engine.record import step_record
            return self._logged(result, lambda: step_record(self._judging(result.now), result,
                                                            lifecycles=self._lifecycles))
        return result

    def _tick_change(self, subject_id: str, moment: datetime, due_only: bool,
                     doc: dict[str, Any] | None) -> tuple[dict[str, Any] | None, StepResult | datetime | None]:
        if due_only and doc is None:
            return None, None  # forgotten since it was found due
        txn = Txn(self._state_of(subject_id, doc))
        if due_only and txn.clock is not None and to_us(moment) < txn.clock:
            return None, zoned(txn.clock, self.program.zone)
        self._advance(txn, moment)
        firings, errors = self._tick(txn, moment)
        notes = (*(_firing_note(f) for f in firings), *self._gap_notes(txn, moment)) or ("nothing due",)
        backend = self.backend
        result = StepResult(
            subject_id, "tick", moment, tuple(firings), (), tuple(errors),
            _explain=lambda: SessionTrace(subject_id, "tick", moment, backend, notes), seq=txn.seq,
        )
        return self._document(subject_id, txn.commit(self.program)), result

    def export(self, subject_id: str) -> dict[str, Any]:
        """The state of ``subject_id`` as a JSON-ready document (a deep copy), with its
        checksum (and, with a state key, its signature)."""
        with self._lock:
            _subject(subject_id)
            state = self._state_of(subject_id, self.store.load(subject_id))
            exported: dict[str, Any] = json.loads(json.dumps(
                seal(document(self.program, subject_id, state), self._key)))
            return exported

    def export_json(self, subject_id: str) -> str:
        """The state of ``subject_id`` as JSON text."""
        return json.dumps(self.export(subject_id), ensure_ascii=False, sort_keys=True)

    def restore(self, data: str | bytes | Mapping[str, Any], *, subject_id: str | None = None) -> Session:
        """Load an exported document (text or mapping) into this engine's store.

        The document must come from an engine whose windows and lifecycle deadlines are
        defined as this one's (other tuned values, messages and new rules are fine; see
        :meth:`migrate_document` otherwise) and carry its checksum (and, when this engine
        has a state key, a signature made with it); a corrupt, changed, unsigned, foreign or
        truncated one raises :class:`StateError` and changes nothing.
        """
        with self._lock:
            self._check_open()
            subject, state = validate_document(data, self.program, subject=subject_id, key=self._key)
            _given_subject(subject)  # a new id for the store, as a send's
            self.store.save(subject, self._document(subject, state))
            return Session(self, subject)

    # ------------------------------------------------------------------ migration

    def migrate(self, store: SessionStore | None = None, *, apply: bool = False,
                subjects: Iterable[str] | None = None) -> MigrationReport:
        """Carry every session in ``store`` (default: this engine's) over to these policies.

        A dry run by default: the report says, per session, whether its state carries over
        as it is (a compatible change: tuned parameters, messages, effects, new rules) and
        otherwise exactly which counts, runs, open items and lifecycle deadlines must be
        reset and why (a window's definition or a counted event changed). With
        ``apply=True`` each session is rewritten in its own store transaction, so engines in
        other processes may keep working on the store; running it again changes nothing.
        """
        target = self.store if store is None else store
        with self._lock:
            self._check_open()
            found = []
            for subject in list(target.subjects() if subjects is None else subjects):
                if apply:
                    found.append(target.update(subject, partial(self._migrate_change, target, subject)))
                else:
                    found.append(self._migrate_change(target, subject, target.load(subject))[1])
            return MigrationReport(apply, tuple(m for m in found if m is not None))

    def _migrate_change(self, store: SessionStore, subject: str,
                        doc: dict[str, Any] | None) -> tuple[dict[str, Any] | None, SubjectMigration | None]:
        if doc is None:
            return None, None  # forgotten meanwhile
        _, state, outcome = migrate_document(doc, self.program, subject=subject, key=self._key,
                                             sealed=not store.trusted)
        if outcome.status == "current":
            return None, outcome
        new = document(self.program, subject, state)
        return (new if store.trusted else seal(new, self._key)), outcome

    def migrate_document(self, data: str | bytes | Mapping[str, Any]) -> tuple[dict[str, Any], MigrationReport]:
        """An exported document carried over to these policies (what changed reset), ready
        for :meth:`restore`, and the report of what was reset."""
        subject, state, outcome = migrate_document(data, self.program, key=self._key)
        doc: dict[str, Any] = json.loads(json.dumps(seal(document(self.program, subject, state), self._key)))
        return doc, MigrationReport(True, (outcome,))

    def forget(self, subject_id: str) -> None:
        """Delete ``subject_id``'s state from the store (a closed complaint, a departed agent)."""
        with self._lock:
            self.store.delete(subject_id)

    def close(self) -> None:
        """Free the backend (durable's ruleset); the store stays open for its owner."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._backend.close()

    def __enter__(self) -> SessionEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its policies, lifecycles, backend and key, never as generated code or
        # state: the receiving process compiles them again, with a new MemoryStore (a store
        # is its owner's; sessions to resume in a worker are exported and restored).
        program = self.program
        models = {name: fp.model for name, fp in program.facts.items()}
        lifecycles = tuple(lp.lifecycle for lp in program.lifecycles)
        return (_rebuilt_sessions, (program.policies, lifecycles, self.backend, self._key, models))

    def __repr__(self) -> str:
        ids = [p.id for p in self.program.policies] + [lp.id for lp in self.program.lifecycles]
        return f"<SessionEngine backend={self.backend} policies={ids}>"

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise SessionError("this session engine is closed")

    def _fact(self, event: Any, fact_type: str | None) -> tuple[FactProgram, BaseModel]:
        if fact_type is None:  # the usual case: an instance of a registered fact class
            found = self.program.by_class.get(type(event))
            if found is not None:
                return found, event
        else:
            fp = self.program.facts.get(fact_type)
            if fp is None:
                raise FactError(
                    f"sessions of this engine do not accept {fact_type!r} events "
                    f"(they accept: {', '.join(self.program.facts)})", fact_type=fact_type)
            return fp, validate_fact(fp.model, event)
        if isinstance(event, BaseModel):  # a subclass of a fact class, or an unknown one
            found = self.program.fact_program(type(event))
            if found is None:
                name = fact_type_name(type(event)) or type(event).__name__
                raise FactError(
                    f"sessions of this engine do not accept {name} events "
                    f"(they accept: {', '.join(self.program.facts)})", fact_type=name)
            return found, event
        if len(self.program.facts) == 1:
            fp = next(iter(self.program.facts.values()))
            return fp, validate_fact(fp.model, event)
        raise FactError(
            f"this engine accepts several event types ({', '.join(self.program.facts)}); "
            "pass fact_type= with a dict event")

    @property
    def _lifecycles(self) -> tuple[Lifecycle, ...]:
        """The lifecycles a step's record names."""
        return tuple(lp.lifecycle for lp in self.program.lifecycles)

    def _judging(self, now: datetime | None, fp: FactProgram | None = None,
                 fact: BaseModel | None = None) -> tuple[Policy, ...]:
        """The policies a step's record names: each undated one, and of each dated one the
        version in force on the step's day (the event's own day for its type); where none
        is (a gap), the versions the engine holds."""
        policies = self.program.policies
        if not any(policy.dated for policy in policies):
            return policies
        event_day = fp.event_time(fact) if fp is not None and fp.event_time is not None else None
        chosen: dict[str, list[Policy]] = {}
        for policy_id, versions in versions_by_id(policies).items():
            when = event_day if event_day is not None and fp is not None and \
                versions[0].fact_type == fp.fact_type else now
            judged = [p for p in versions
                      if not p.dated or (when is not None and p.in_force_on(day_of(when, p.timezone)))]
            chosen[policy_id] = judged or versions
        return tuple(p for versions in chosen.values() for p in versions)

    def _state_of(self, subject: str, doc: dict[str, Any] | None) -> StateRecord:
        """The state in ``doc`` as read from the store (a new state for None), checked."""
        if doc is None:
            return new_state()
        if self.store.trusted:
            engine = doc.get("engine")
            if engine is not (current := self._fingerprint) and engine != current:
                # another engine's document, kept as written: carried over when compatible
                return validate_document(doc, self.program, subject=subject, sealed=False)[1]
            state: StateRecord = doc["state"]  # this engine wrote it
            return state
        # The store parsed ``doc`` for this call alone: its state needs no copy.
        _, state = validate_document(doc, self.program, subject=subject, key=self._key, copy=False)
        return state

    def _document(self, subject: str, state: StateRecord) -> dict[str, Any]:
        """The document to store for ``state``: sealed for stores outside this process."""
        doc = document(self.program, subject, state)
        return doc if self.store.trusted else seal(doc, self._key)

    def _advance(self, txn: Txn, moment: datetime) -> None:
        now_us = to_us(moment)
        if txn.clock is not None and now_us < txn.clock:
            raise TimeError(
                f"time went backwards: {moment.isoformat()} is before this session's clock "
                f"{zoned(txn.clock, self.program.zone).isoformat()}")
        txn.clock = now_us

    # ------------------------------------------------------------------ ticks

    def _tick(self, txn: Txn, moment: datetime,
              opened: list[tuple[Tracker, str]] | None = None) -> tuple[list[Firing], list[RuleError]]:
        """Fire what is due at ``moment``: every item and deadline, or with ``opened`` only
        those items (an event just opened or moved them past a deadline; the rest were
        ticked already)."""
        now_us = to_us(moment)
        if opened is None and txn.nothing_due(now_us):  # the usual send: nothing is due yet
            return [], []
        reached: list[_Reached] = []
        found = ([(t, txn.items(t.key)) for t in self.program.trackers] if opened is None else
                 [(t, {item_id: item}) for t, item_id in opened if (item := txn.item(t.key, item_id)) is not None])
        for tracker, items in found:
            in_force = self.program.facts[tracker.fact_type].deadlines_at(moment) if items else None
            for item_id, item in items.items():
                skipped = _skipped(tracker, item, in_force)
                pending = [r for r in tracker.rules if r.position not in skipped]
                if not pending or min(r.due_us(item.since_us, item.fact) for r in pending) >= now_us:
                    continue
                reached.append(_ItemReached(tracker, item_id, item,
                                            tracker.model.model_validate(item.fact), skipped))
        for lp in self.program.lifecycles if opened is None else ():
            status = txn.lifecycle(lp.id)
            if status is None:
                continue
            for index, deadline in enumerate(lp.lifecycle.deadlines):
                entry = status.deadlines.get(deadline.id)
                if entry is None or entry.breached or entry.due_us >= now_us:
                    continue
                reached.append(_DeadlineReached(lp, index, deadline.id, entry))
        if not reached:
            return [], []
        match = self._backend.match_tick(now_us, moment, [r.tick_item() for r in reached])
        due = sorted((reached[index].fire(self.program, position, moment)
                      for index, position in match.matched), key=lambda d: d.order)
        for fired in due:
            fired.reached.mark(txn, fired.position, self.program)
        errors = []
        for (_index, position), message in sorted(match.errors.items()):
            rule = self.program.deadline_rules[position]
            errors.append(RuleError(rule.policy.id, rule.rule.id, message))
        return [fired.firing for fired in due], errors

    def _gap_notes(self, txn: Txn, moment: datetime) -> list[str]:
        """The dated policies with open items and no version in force at ``moment``."""
        notes: list[str] = []
        for fp in self.program.facts.values():
            if fp.timeline is not None and any(txn.items(t.key) for t in fp.trackers):
                notes.extend(note for note in fp.gaps_at(moment) if note not in notes)
        return notes

    # ------------------------------------------------------------------ events

    def _event(
        self,
        subject: str,
        txn: Txn,
        fp: FactProgram,
        fact: BaseModel,
        now: datetime | None,
        firings: list[Firing],
        errors: list[RuleError],
    ) -> StepResult:
        if now is None and fp.reads_now:
            raise TimeError(f"a rule judging {fp.fact_type} events reads the current time; "
                            "pass now= (or tick the session first)")
        in_force = fp.rules_in_force(fact, now) if fp.timeline is not None else None
        transitions = ([self._transition(txn, lp, fact, now, firings) for lp in fp.lifecycles]
                       if fp.lifecycles else [])
        assert fp.step is not None  # every compiled fact program has its step
        w, failed_slots = fp.step(txn, fact, now)
        opened = self._items(txn, fp, fact, now) if fp.trackers else None
        match = self._backend.match_event(fp, fact, now, w)
        rule_errors = match.errors
        matched = match.matched
        if failed_slots:  # a window condition failed: the rules reading it are errors
            rule_errors = dict(rule_errors)
            matched = []
            for position, rule in enumerate(fp.rules):
                bad = [s for s in rule.slots if s.index in failed_slots]
                if bad:
                    rule_errors.setdefault(position, failed_slots[bad[0].index])
                elif position in match.matched:
                    matched.append(position)
        if in_force is not None:  # dated policies: only the versions in force on the event's day decide
            matched = [position for position in matched if position in in_force]
            rule_errors = {position: message for position, message in rule_errors.items() if position in in_force}
        selector = fp.selector
        selected = selector(matched) if matched and selector is not None else matched  # fp.select
        rules = fp.rules
        for position in selected:
            rule = rules[position]
            firings.append(Firing(rule.policy.id, rule.rule.id, "event", rule.compiled.resolve(fact, now),
                                  None, None, rule.version))
        if rule_errors:
            for position, message in sorted(rule_errors.items()):
                rule = rules[position]
                errors.append(RuleError(rule.policy.id, rule.rule.id, message))
        if opened and now is not None:  # an item opened already overdue fires now, not at the next tick
            overdue, overdue_errors = self._tick(txn, now, opened)
            firings.extend(overdue)
            errors.extend(overdue_errors)
        backend = self._backend.name
        seq = txn.seq
        done = [t for t in transitions if t is not None] if transitions else []
        return StepResult(
            subject, "event", now, tuple(firings) if firings else (), tuple(done) if done else (),
            tuple(errors) if errors else (),
            # a partial binds the values in one C call (a lambda would make _event's eleven
            # names closure cells, each made on every call)
            _explain=partial(_explain_event, subject, backend, fp, fact, now, w, seq, matched,
                             selected, done, firings),
        )

    def _items(self, txn: Txn, fp: FactProgram, fact: BaseModel,
               now: datetime | None) -> list[tuple[Tracker, str]]:
        """Open, move or close ``fact``'s items; the items opened or moved with a deadline
        already behind ``now`` (to fire on this send)."""
        opened: list[tuple[Tracker, str]] = []
        now_us = None if now is None else to_us(now)
        for tracker in fp.trackers:
            key = tracker.item_key(fact) if tracker.item_key is not None else None
            if tracker.item_key is not None and key is None:
                continue
            item_id = json.dumps(key)
            try:
                closed = bool(tracker.closed(fact, now))
            except Exception as exc:
                if now is None:  # the test reads the time now, and nothing has set the clock yet
                    raise SessionError(
                        f"cannot tell whether item {key!r} is closed: its test reads the time now, and this "
                        "session has no clock yet: send the event with now= (a test step with at:)") from exc
                raise SessionError(
                    f"cannot tell whether item {key!r} is closed: {type(exc).__name__}: {exc}"
                ) from exc
            current = txn.item(tracker.key, item_id)
            if closed:
                if current is not None:
                    txn.set_item(tracker.key, item_id, None)
                continue
            since = tracker.since(fact)
            if since is None:
                continue
            if since.utcoffset() is None:
                raise TimeError(f"{fact_type_name(type(fact))} item {key!r}: the opening time "
                                f"{since.isoformat()} has no time zone")
            since_us = to_us(since)
            carried(since_us, since, f"{fact_type_name(type(fact))} item {key!r}: the opening time")
            body = fact_body(fact, self.program.zone)
            if current is None:
                txn.set_item(tracker.key, item_id, OpenItem(key, since_us, body, (), txn.seq))
            else:
                txn.set_item(tracker.key, item_id, replace(current, since_us=since_us, fact=body))
            if now_us is not None and any(rule.due_us(since_us, body) < now_us for rule in tracker.rules):
                opened.append((tracker, item_id))
        return opened

    def _transition(self, txn: Txn, lp: LifecycleProgram, fact: BaseModel, now: datetime | None,
                    firings: list[Firing]) -> TransitionRecord | None:
        lifecycle = lp.lifecycle
        status = txn.lifecycle(lp.id) or LifecycleStatus(lifecycle.initial, None, {})
        state = status.state
        event = lp.event(fact)
        allowed = lifecycle.allowed(state)
        if event not in allowed:
            shown = ", ".join(allowed) if allowed else "none: it is final"
            raise TransitionError(
                f"lifecycle {lp.id!r} is in state {state!r}, which does not accept {event!r} "
                f"(allowed: {shown}); the session is unchanged",
                state=state, event=str(event), allowed=allowed)
        match = self._backend.match_transition(lp, state, event, fact, now)
        if not match.matched:
            guards = [t for t in lifecycle.transitions if t.from_ == state and t.on == event]
            detail = "; ".join(f"{p}: {m}" for p, m in sorted(match.errors.items()))
            raise TransitionError(
                f"lifecycle {lp.id!r} is in state {state!r}: {event!r} is allowed there, but "
                f"no guard held (targets: {', '.join(t.to for t in guards)}; {_why_not(lp, guards, fact, now)})"
                + (f"; guard errors: {detail}" if detail else "") + "; the session is unchanged",
                state=state, event=str(event), allowed=allowed)
        move = lifecycle.transitions[min(match.matched)]
        needs_time = any(d.start == move.to or move.to in d.met for d in lifecycle.deadlines)
        if now is None and needs_time:
            raise TimeError(f"lifecycle {lp.id!r} has deadlines; pass now= with its events")
        now_us = to_us(now) if now is not None else None
        deadlines = dict(status.deadlines)
        for deadline in lifecycle.deadlines:
            if move.to in deadline.met or move.to in lifecycle.final:  # a final state closes every deadline
                deadlines.pop(deadline.id, None)
        for index, deadline in enumerate(lifecycle.deadlines):
            if deadline.start == move.to and now is not None and now_us is not None:
                # a dated deadline (a company's new value from a day on) runs the value in force now
                due = lp.due_us(index, now, fact)
                deadlines[deadline.id] = DeadlineStatus(due)
                template = lp.obligations[index]
                obligation: EffectResult = Obligation(
                    template.policy_id, template.rule_id, template.action, template.who,
                    zoned(due, lp.zone, fact))
                firings.append(Firing(lp.id, deadline.id, "transition", (obligation,)))
        txn.set_lifecycle(lp.id, LifecycleStatus(move.to, now_us, deadlines))
        return TransitionRecord(lp.id, str(event), state, move.to)


class _Due(NamedTuple):
    """A firing a tick found due: its order, the firing, and what to mark as fired."""

    order: tuple[int, int, int, int]
    """Due time, then deadline rules before lifecycle deadlines, then position, then opening."""
    firing: Firing
    reached: _Reached
    position: int


class _Reached(Protocol):
    """Something a tick may reach: an open item, or a lifecycle deadline."""

    def tick_item(self) -> TickItem:
        """What the backend matches."""

    def fire(self, program: Program, position: int, moment: datetime) -> _Due:
        """The firing of rule ``position`` (-1 for a lifecycle deadline) at ``moment``."""

    def mark(self, txn: Txn, position: int, program: Program) -> None:
        """Record in ``txn`` that it fired, so it never fires again."""


@dataclass(frozen=True, slots=True)
class _ItemReached:
    """An open item of ``tracker`` with a deadline rule due."""

    tracker: Tracker
    item_id: str
    item: OpenItem
    fact: BaseModel
    skipped: frozenset[int]
    """The rules that may not fire (see :func:`_skipped`), by position."""

    def tick_item(self) -> TickItem:
        """The item with the rules that may not fire given as fired."""
        return TickItem(tracker=self.tracker, fact=self.fact, since_us=self.item.since_us,
                        fired=self.skipped)

    def fire(self, program: Program, position: int, moment: datetime) -> _Due:
        """Deadline rule ``position`` fired for this item."""
        rule: DeadlineRule = program.deadline_rules[position]
        due_us = rule.due_us(self.item.since_us, self.fact)
        firing = Firing(rule.policy.id, rule.rule.id, "tick", rule.compiled.resolve(self.fact, moment),
                        self.item.key, zoned(due_us, rule.policy.timezone or DEFAULT_TIME_ZONE, self.fact),
                        _version(rule.policy))
        return _Due((due_us, 0, position, self.item.opened), firing, self, position)

    def mark(self, txn: Txn, position: int, program: Program) -> None:
        """Add the rule to the item's fired rules."""
        current = txn.item(self.tracker.key, self.item_id)
        assert current is not None
        rule_key = program.deadline_rules[position].key
        txn.set_item(self.tracker.key, self.item_id,
                     replace(current, fired=(*current.fired, rule_key)))


@dataclass(frozen=True, slots=True)
class _DeadlineReached:
    """A lifecycle deadline (``index`` in its lifecycle) that is due and not yet breached."""

    lp: LifecycleProgram
    index: int
    deadline_id: str
    entry: DeadlineStatus

    def tick_item(self) -> TickItem:
        """The deadline with its due time."""
        return TickItem(lifecycle=self.lp, deadline=self.index, due_us=self.entry.due_us)

    def fire(self, program: Program, position: int, moment: datetime) -> _Due:
        """The deadline's breach."""
        firing = Firing(self.lp.id, self.deadline_id, "tick", (self.lp.breaches[self.index],),
                        None, zoned(self.entry.due_us, self.lp.zone))
        return _Due((self.entry.due_us, 1, self.lp.position, self.index), firing, self, -1)

    def mark(self, txn: Txn, position: int, program: Program) -> None:
        """Mark the deadline breached."""
        status = txn.lifecycle(self.lp.id)
        assert status is not None
        deadlines = dict(status.deadlines)
        deadlines[self.deadline_id] = replace(deadlines[self.deadline_id], breached=True)
        txn.set_lifecycle(self.lp.id, replace(status, deadlines=deadlines))


def _skipped(tracker: Tracker, item: OpenItem, in_force: frozenset[int] | None) -> frozenset[int]:
    """The deadline rules of ``tracker`` that may not fire for ``item``: those that fired,
    those whose rule fired in another version of its policy (a deadline fires once per
    item), and those of versions not in force at the tick (``in_force``; None: all are)."""
    fired = {family(key) for key in item.fired}
    return frozenset(r.position for r in tracker.rules
                     if r.family in fired or (in_force is not None and r.position not in in_force))


def _version(policy: Policy) -> str | None:
    """The version a firing names: a dated policy's, None for an undated one."""
    return policy.version if policy.dated else None


def _unexpected(what: str, exc: Exception) -> SessionError:
    """A :class:`SessionError` for a failure that is not csrules' own error."""
    return SessionError(f"{what} could not be processed, and the session is unchanged: "
                        f"{type(exc).__name__}: {exc}")


def _subject(subject: Any) -> None:
    if not isinstance(subject, str) or not subject:
        raise SessionError(f"a subject id must be a non-empty string (got {subject!r})")


def _given_subject(subject: Any) -> None:
    """A subject id a caller gives for a new call: also refused when blank or padded, which
    would start a session apart from the one meant (its counts unseen), or holding NUL, which
    one store would keep and another refuse deep inside its driver. Ids already stored
    are left to :func:`_subject`, so a store holding such an id keeps ticking."""
    _subject(subject)
    if subject.strip() != subject:
        raise SessionError(f"subject id {subject!r} is blank" if not subject.strip() else
                           f"subject id {subject!r} has white space around it: it would be a session apart "
                           f"from {subject.strip()!r}")
    if "\0" in subject:  # PostgreSQL text cannot hold it: refused alike whatever the store
        raise SessionError(f"subject id {subject!r} holds a NUL character, which a store's text cannot hold")


def _firing_note(firing: Firing) -> str:
    item = f" item {firing.item!r}" if firing.item is not None else ""
    due = f" (due {firing.due.isoformat()})" if firing.due else ""
    keys = ", ".join(e.key for e in firing.effects)
    return f"{firing.policy_id}/{firing.rule_id}{item}{due} -> {keys}"


def _explain_event(subject: str, backend: str, fp: FactProgram, fact: BaseModel,
                   now: datetime | None, w: list[Any], seq: int, matched: list[int],
                   selected: list[int], transitions: list[TransitionRecord],
                   firings: list[Firing]) -> SessionTrace:
    notes = [f"event #{seq + 1} of type {fp.fact_type}"]
    for t in transitions:
        notes.append(f"lifecycle {t.lifecycle_id}: {t.source} --{t.event}--> {t.target}")
    for slot in fp.slots:
        rule = next(r for r in fp.rules if slot in r.slots)
        notes.append(f"{rule.key}: {slot.cond.kind} value {w[slot.index]}")
    notes.extend(_firing_note(f) for f in firings if f.cause != "event")
    windows = {id(slot.cond): w[slot.index] for slot in fp.slots}
    traces = tuple(
        trace_rule(fp.model, rule.policy, rule.rule, fact, now,
                   DescribeContext(fp.model, rule.policy.param_values),
                   selected=position in selected, matched=position in matched, windows=windows)
        for position, rule in enumerate(fp.rules))
    return SessionTrace(subject, "event", now, backend, tuple(notes), traces)


class Session:
    """One subject's session: send events, tick time, export. A light handle; the state of
    record lives in the engine's store, so any number of handles may exist.

    .. versionadded:: 0.1
    """

    __slots__ = ("_closed", "engine", "subject_id")

    def __init__(self, engine: SessionEngine, subject_id: str) -> None:
        self.engine = engine
        self.subject_id = subject_id
        self._closed = False

    def send(self, event: Any, *, now: datetime | None = None,
             fact_type: str | None = None) -> StepResult:
        """Process ``event`` (a fact model instance, or a dict with ``fact_type=``).

        With ``now`` the clock first moves there (deadlines due by then fire first, and
        ``now`` may not be earlier than the clock); without it the clock stays. Window
        conditions place the event by its own time field. Raises :class:`FactError` for an
        event of a type the engine does not accept, :class:`TransitionError` for a move the
        lifecycle does not allow, :class:`TimeError` for time going backwards; in each case
        nothing changes.
        """
        self._check()
        return self.engine.send(self.subject_id, event, now=now, fact_type=fact_type)

    def tick(self, now: datetime) -> StepResult:
        """Move the clock to ``now`` and fire every deadline reached, once each, in due order.

        A tick earlier than the clock raises :class:`TimeError` and changes nothing.
        """
        self._check()
        return self.engine.tick(self.subject_id, now)

    def export(self) -> dict[str, Any]:
        """The session's state as a JSON-ready document."""
        self._check()
        return self.engine.export(self.subject_id)

    def export_json(self) -> str:
        """The session's state as JSON text."""
        self._check()
        return self.engine.export_json(self.subject_id)

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the state of record (see :mod:`csrules._sessions.state`)."""
        state: dict[str, Any] = self.export()["state"]
        return state

    def lifecycle_state(self, lifecycle_id: str) -> str:
        """The current state of lifecycle ``lifecycle_id`` (its initial state before any event)."""
        for lp in self.engine.program.lifecycles:
            if lp.id == lifecycle_id:
                status = self.state["l"].get(lifecycle_id)
                return lp.lifecycle.initial if status is None else LifecycleStatus.load(status).state
        known = ", ".join(lp.id for lp in self.engine.program.lifecycles) or "none"
        raise KeyError(f"no lifecycle {lifecycle_id!r} in this engine (lifecycles: {known})")

    def close(self) -> None:
        """Stop using this handle (the state stays in the store; see
        :meth:`SessionEngine.forget` to delete it)."""
        self._closed = True

    def _check(self) -> None:
        if self._closed:
            raise SessionError(f"the session handle for {self.subject_id!r} is closed")

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Session {self.subject_id!r} backend={self.engine.backend}>"


def _rebuilt_sessions(policies: tuple[Policy, ...], lifecycles: tuple[Lifecycle, ...], backend: BackendName,
                      state_key: bytes | None, models: dict[str, type[BaseModel]]) -> SessionEngine:
    """An unpickled session engine: fact models registered here, policies compiled again."""
    for name, model in models.items():
        register_fact_type(model, name=name)  # a no-op where the model is registered already
    return SessionEngine(policies, lifecycles=lifecycles, backend=backend, state_key=state_key)


def _why_not(lp: LifecycleProgram, moves: list[Transition], fact: BaseModel, now: datetime | None) -> str:
    """What each refused guard found, read by the explaining interpreter: its tests that failed
    with the values the event gave (``approved_by is one of … (approved_by = '主任')``)."""
    env = Env(fact, now, {}, lp.model, DescribeContext(lp.model))
    said = []
    for move in moves:
        if move.guard is not None:
            failed = "; ".join(_shown(node) for node in _failed(env.evaluate(move.guard)))
            said.append(f"to {move.to}: {failed or 'its guard did not hold'}")
    return ", ".join(said)


def _failed(node: TraceNode) -> list[TraceNode]:
    """The tests that made ``node`` fail: its failed leaves (for ``not``, the test that held)."""
    if node.result is not False:
        return []
    if node.kind == "not" and node.children:
        return [replace(node.children[0], text=f"not {node.children[0].text}")]
    if not node.children:
        return [node]
    return [leaf for child in node.children for leaf in _failed(child)]


def _shown(node: TraceNode) -> str:
    """A failed test with the values it read."""
    values = ", ".join(f"{path} = {value!r}" for path, value in node.values.items())
    return f"{node.text} ({values})" if values else node.text
