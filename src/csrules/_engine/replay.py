"""Replaying a decision record: the same fact, at the same ``now``, through an engine.

Policy content is compared first, by hash: a record made under other policies says which
ones differ (id, version, content hash) instead of showing a diff nobody can explain.
Under the same content the fact is judged again and compared with the record: outcome,
rules, effects added, removed or changed (a due time, a message), rule errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from csrules._engine.decision import Outcome
from csrules._engine.record import (
    LIFECYCLE_PREFIX,
    DecisionRecord,
    PackRef,
    RecordedEffect,
    RecordedPolicy,
    make_record,
    recorded_policy,
    step_record,
)
from csrules._policy.model import Policy
from csrules._policy.validity import versions_by_id
from csrules._time.registry import content_digest
from csrules.exceptions import RecordError

if TYPE_CHECKING:
    from csrules._engine.engine import Engine

__all__ = ["EffectChange", "PolicyMismatch", "ReplayResult", "ReplayStatus", "compare_records", "replay",
           "replay_steps"]

ReplayStatus = Literal["identical", "differs", "other_policies", "not_replayed"]
"""What a replay found: the same decision, another decision, other policy content (not
evaluated), or (a session step) a step that cannot be replayed because an earlier step of its
subject was not (its state would lack what that step counted)."""


@dataclass(frozen=True, slots=True)
class PolicyMismatch:
    """A policy whose content in the engine is not the content the record was made under.

    ``engine_version`` and ``engine_hash`` are None when the engine has no such policy;
    ``recorded_*`` are None for a policy the engine has and the record does not.

    .. versionadded:: 0.2
    """

    id: str
    recorded_version: str | None
    recorded_hash: str | None
    engine_version: str | None
    engine_hash: str | None
    params: tuple[tuple[str, Any, Any], ...] = ()
    """The parameters whose values differ, as ``(name, recorded, engine)`` (None on the side
    that has no such parameter); empty when only rules or texts changed."""

    def render(self) -> str:
        """One line: what the record names and what the engine has, and which parameter
        values changed (else that the rules or texts did)."""
        recorded = f"{self.recorded_version} ({self.recorded_hash})" if self.recorded_hash else "absent"
        engine = f"{self.engine_version} ({self.engine_hash})" if self.engine_hash else "absent"
        same = " - content changed, version did not" if self.recorded_version == self.engine_version else ""
        why = ""
        if self.params:
            why = "; parameters " + ", ".join(f"{name} {was} -> {now}" for name, was, now in self.params)
        elif self.recorded_hash and self.engine_hash and not self.id.startswith(("pack ", LIFECYCLE_PREFIX)):
            # under one version, the content that changed is rules or texts; across versions
            # the version itself is a change of content
            why = "; same parameters: rules or texts changed" if same else "; same parameters"
        return f"{self.id}: recorded {recorded}, engine {engine}{same}{why}"


@dataclass(frozen=True, slots=True)
class EffectChange:
    """One effect that is new, gone, or different (``fields`` names what changed).

    .. versionadded:: 0.2
    """

    change: Literal["added", "removed", "changed"]
    key: str
    rule: str
    before: RecordedEffect | None
    after: RecordedEffect | None
    fields: tuple[str, ...] = ()

    def render(self) -> str:
        """One line, with the values that changed."""
        if self.change != "changed" or self.before is None or self.after is None:
            return f"{self.change} {self.key} ({self.rule})"
        shown = ", ".join(f"{f} {getattr(self.before, f)!s} -> {getattr(self.after, f)!s}" for f in self.fields)
        return f"changed {self.key} ({self.rule}): {shown}"


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What replaying one record gave.

    .. versionadded:: 0.2
    """

    record: DecisionRecord
    status: ReplayStatus
    policies: tuple[PolicyMismatch, ...] = ()
    replayed: DecisionRecord | None = None
    effects: tuple[EffectChange, ...] = ()
    reason: str | None = None
    """Why a step was ``not_replayed``."""

    @property
    def identical(self) -> bool:
        """True when the engine decided exactly what the record says."""
        return self.status == "identical"

    @property
    def outcome(self) -> tuple[Outcome, Outcome] | None:
        """``(recorded, replayed)`` when the outcome changed, else None."""
        if self.replayed is None or self.replayed.outcome is self.record.outcome:
            return None
        return self.record.outcome, self.replayed.outcome

    @property
    def errors_changed(self) -> bool:
        """True when the rules that failed are not the ones the record lists."""
        return self.replayed is not None and self.replayed.errors != self.record.errors

    def render(self) -> str:
        """Readable lines saying what was found."""
        head = f"record {self.record.id}: {self.status.replace('_', ' ')}"
        if self.status == "other_policies":
            return "\n".join([f"{head} (not evaluated)", *(f"  {m.render()}" for m in self.policies)])
        if self.status == "not_replayed":
            return f"{head}\n  {self.reason}"
        lines = [head]
        if self.policies:  # a forced replay: why the decision may differ
            lines.append("  judged under other content:")
            lines.extend(f"    {m.render()}" for m in self.policies)
        if self.outcome:
            lines.append(f"  outcome {self.outcome[0].value} -> {self.outcome[1].value}")
        lines.extend(f"  {change.render()}" for change in self.effects)
        if self.replayed is not None and self.replayed.matches != self.record.matches and not self.effects:
            was, now = [r for _, r in self.record.matches], [r for _, r in self.replayed.matches]
            lines.append(f"  rules that applied {was} -> {now}")
        if self.errors_changed and self.replayed is not None:
            was, now = [e.rule for e in self.record.errors], [e.rule for e in self.replayed.errors]
            lines.append(f"  rule errors {was} -> {now}")
        return "\n".join(lines)


def policy_mismatches(record: DecisionRecord, policies: Iterable[Policy]) -> tuple[PolicyMismatch, ...]:
    """The policies judging ``record.fact_type`` whose content differs from the record's
    (for a session step: every policy of the engine). A policy with dated versions matches
    when one of its versions has the recorded content."""
    step = record.kind != "decision"
    engine = versions_by_id([p for p in policies if step or p.fact_type == record.fact_type])
    recorded = {p.id: p for p in record.policies if not p.id.startswith(LIFECYCLE_PREFIX)}  # lifecycles apart
    out = []
    for policy_id in dict.fromkeys([*recorded, *engine]):
        was, versions = recorded.get(policy_id), engine.get(policy_id, [])
        if was is not None and any(v.content_hash == was.content_hash for v in versions):
            continue
        now = versions[0] if versions else None
        out.append(PolicyMismatch(
            policy_id,
            was.version if was else None, was.content_hash if was else None,
            now.version if now else None, now.content_hash if now else None,
            _changed_params(was, now),
        ))
    return tuple(out)


def _changed_params(was: RecordedPolicy | None, now: Policy | None) -> tuple[tuple[str, Any, Any], ...]:
    """The parameters whose recorded value is not the engine policy's (both sides known)."""
    if was is None or now is None:
        return ()
    then, current = was.params, recorded_policy(now).params
    return tuple((name, then.get(name), current.get(name)) for name in dict.fromkeys([*then, *current])
                 if then.get(name) != current.get(name))


def pack_mismatches(record: DecisionRecord, pack: PackRef | None) -> tuple[PolicyMismatch, ...]:
    """What differs between the pack ``record`` was made under and ``pack`` (an engine's):
    its name or version (``pack <name>``), and each part its engine binds besides policies
    whose content changed (``pack <name> calendar:<name>``, ``roles`` ...). Nothing when
    either has no pack (a plain engine judges by its policies alone)."""
    was = record.pack
    if was is None or pack is None:
        return ()
    out = []
    if (was.name, was.version) != (pack.name, pack.version):
        out.append(PolicyMismatch(f"pack {was.name}" if was.name == pack.name else f"pack {was.name} -> {pack.name}",
                                  was.version, content_digest(was, 16), pack.version, content_digest(pack, 16)))
    if was.bound is not None and pack.bound is not None:
        for key in dict.fromkeys([*was.bound, *pack.bound]):
            before, after = was.bound.get(key), pack.bound.get(key)
            if before != after:
                out.append(PolicyMismatch(f"pack {pack.name} {key}", was.version if before else None, before,
                                          pack.version if after else None, after))
    return tuple(out)


def content_mismatches(record: DecisionRecord, engine: Engine) -> tuple[PolicyMismatch, ...]:
    """Everything ``engine`` judges by that is not what ``record`` was made under: policy
    content (:func:`policy_mismatches`) and its pack (:func:`pack_mismatches`)."""
    return (*policy_mismatches(record, engine.policies), *pack_mismatches(record, getattr(engine, "pack", None)))


def recorded_day(record: DecisionRecord, policies: Iterable[Policy]) -> date | None:
    """A day on which the dated versions ``record`` names are all in force (None when it
    names none): a decision judged ``as_of`` another day than its fact's own is judged
    again by the same versions."""
    recorded = {(p.id, p.content_hash) for p in record.policies}
    dated = [p for p in policies if p.dated and (p.id, p.content_hash) in recorded]
    if not dated:
        return None
    starts = [p.valid_from for p in dated if p.valid_from is not None]
    ends = [p.valid_until for p in dated if p.valid_until is not None]
    if starts:
        return max(starts)
    return min(ends) - timedelta(days=1)


def replay(record: DecisionRecord, engine: Engine | Any, *, force: bool = False) -> ReplayResult:
    """Judge ``record``'s fact again with ``engine`` (an :class:`~csrules.Engine`, a logging
    engine, or a :class:`~csrules.policies.Pack`) at the record's ``now`` and compare.

    When the engine's policies for the fact type are not the content the record was made
    under (by content hash), the result's status is ``other_policies`` and lists them; the
    fact is not judged unless ``force``: then it is, ``policies`` still lists them, and the
    status says whether the decision came out the same.
    """
    if record.kind != "decision" or record.fact is None or record.fact_type is None:
        raise RecordError(f"record {record.id} is a session {record.kind}: it depends on the subject's earlier "
                          "steps and cannot be replayed alone")
    engine = _judging(engine)
    mismatches = content_mismatches(record, engine)
    if mismatches and not force:
        return ReplayResult(record, "other_policies", mismatches)
    decision = engine.evaluate(record.fact, now=record.now, fact_type=record.fact_type,
                               as_of=recorded_day(record, engine.policies))
    replayed = make_record(decision)
    return _compared(record, replayed, mismatches)


def _judging(engine: Any) -> Engine:
    """The engine that judges a replay: ``engine`` itself, a logging engine's own (a replay is
    not logged), or a pack's engine."""
    inner = getattr(engine, "engine", engine)
    if callable(inner) and not hasattr(inner, "policies"):  # Pack.engine: the pack's engine
        inner = inner()
    if not (hasattr(inner, "policies") and hasattr(inner, "evaluate")):
        raise TypeError(f"replay() takes an Engine, a logging engine or a Pack (got {type(engine).__name__})")
    return inner  # type: ignore[no-any-return]


def replay_steps(records: Iterable[DecisionRecord], engine: Any) -> Iterator[ReplayResult]:
    """Replay session step records (``kind`` event or tick) through ``engine``, a
    :class:`~csrules.SessionEngine` whose store holds none of their subjects yet; each
    result is compared with its record as :func:`replay` compares decisions.

    Each subject's steps are replayed in the order they were committed (their ``seq``),
    whatever order processes sharing a log wrote them in; subjects keep their places in the
    log, and records without ``seq`` (older logs) their log order. A subject whose events do
    not run 1, 2, 3 ... (one missing or repeated) raises :class:`RecordError` before anything
    is sent. The engine's policies are compared by hash first: when they differ from the
    records', each result says so (``other_policies``) and nothing is sent; the later steps
    of that subject are then ``not_replayed`` (replayed from a state lacking that step they
    would differ for a reason no policy gives).
    """
    policies = tuple(engine.program.policies)
    lifecycles = tuple(lp.lifecycle for lp in engine.program.lifecycles)
    stopped: dict[str, DecisionRecord] = {}  # subject -> its first step not replayed
    for record in _in_step_order(records):
        assert record.subject is not None  # _in_step_order refused records without one
        mismatches = (*policy_mismatches(record, policies), *_lifecycle_mismatches(record, lifecycles))
        if mismatches:
            stopped.setdefault(record.subject, record)
            yield ReplayResult(record, "other_policies", mismatches)
            continue
        first = stopped.get(record.subject)
        if first is not None:  # replayed from a state lacking that step, it would differ for no change
            yield ReplayResult(record, "not_replayed", reason=(
                f"an earlier step of subject {record.subject!r} (record {first.id}) was made under other "
                "policy content and not replayed: this step's state cannot be rebuilt"))
            continue
        if record.kind == "event":
            result = engine.send(record.subject, record.fact, now=record.now, fact_type=record.fact_type)
        else:
            result = engine.tick(record.subject, record.now)
        named = lifecycles if any(p.id.startswith(LIFECYCLE_PREFIX) for p in record.policies) else ()
        replayed = step_record(policies, result, record.fact_type, lifecycles=named)
        yield _compared(record, replayed, ())


def _in_step_order(records: Iterable[DecisionRecord]) -> list[DecisionRecord]:
    """``records`` with each subject's steps put in committed order (see :func:`replay_steps`)."""
    listed = list(records)
    places: dict[str, list[int]] = {}
    for n, record in enumerate(listed):
        if record.kind == "decision" or record.subject is None:
            raise RecordError(f"record {record.id} is a single decision, not a session step: use replay()")
        missing = "now" if record.kind == "tick" and record.now is None else (
            "fact" if record.kind == "event" and record.fact is None else None)
        if missing:
            raise RecordError(f"session {record.kind} record {record.id} has no {missing}: it cannot be replayed")
        places.setdefault(record.subject, []).append(n)
    for subject, where in places.items():
        steps = [listed[n] for n in where]
        if any(step.seq is None for step in steps):
            continue  # written before records kept seq: the log's order is all there is
        steps.sort(key=_step_key)
        _check_steps(subject, steps)
        for n, step in zip(where, steps, strict=True):
            listed[n] = step
    return listed


def _step_key(record: DecisionRecord) -> tuple[Any, ...]:
    """Where ``record`` falls among its subject's steps: event N, then the ticks before
    event N + 1 by time (at one time, the tick that fired first: a later one found nothing
    left due)."""
    assert record.seq is not None
    if record.kind == "event":
        return (record.seq, 0)
    assert record.now is not None  # _in_step_order refused ticks without a time
    return (record.seq, 1, record.now.timestamp(), not record.matches)


def _check_steps(subject: str, steps: list[DecisionRecord]) -> None:
    """Refuse a subject whose events, in ``seq`` order, are not 1, 2, 3 ...: a replay from an
    empty state would judge the later ones on counts that lack the missing ones."""
    events = [step for step in steps if step.kind == "event"]
    for want, step in enumerate(events, start=1):
        assert step.seq is not None  # _in_step_order checks only subjects whose steps all have one
        if step.seq != want:
            what = f"event {want} is missing" if step.seq > want else f"event {step.seq} appears twice"
            raise RecordError(f"the steps of subject {subject!r} cannot be replayed: {what} (record {step.id}); "
                              "replay_steps needs every step of a subject, from its first")
    last = steps[-1]
    assert last.seq is not None
    if last.kind == "tick" and last.seq > len(events):
        raise RecordError(f"the steps of subject {subject!r} cannot be replayed: event {len(events) + 1} is "
                          f"missing (tick record {last.id} came after it); replay_steps needs every step of a "
                          "subject, from its first")


def _lifecycle_mismatches(record: DecisionRecord, lifecycles: Iterable[Any]) -> tuple[PolicyMismatch, ...]:
    """The lifecycles whose table differs from the one ``record`` names (none for a record
    that names no lifecycle: one written before step records named them)."""
    recorded = {p.id: p for p in record.policies if p.id.startswith(LIFECYCLE_PREFIX)}
    if not recorded:
        return ()
    current = {f"{LIFECYCLE_PREFIX}{lc.id}": lc for lc in lifecycles}
    out = []
    for key in dict.fromkeys([*recorded, *current]):
        was, now = recorded.get(key), current.get(key)
        if was is not None and now is not None and was.content_hash == now.content_hash:
            continue
        out.append(PolicyMismatch(key, was.version if was else None, was.content_hash if was else None,
                                  now.version if now else None, now.content_hash if now else None))
    return tuple(out)


def _compared(record: DecisionRecord, replayed: DecisionRecord,
              mismatches: tuple[PolicyMismatch, ...]) -> ReplayResult:
    """The result of judging ``record`` again as ``replayed``: identical, or what differs."""
    changes = compare_records(record, replayed)
    same = not changes and replayed.outcome is record.outcome and replayed.errors == record.errors \
        and replayed.matches == record.matches
    status: ReplayStatus = "identical" if same else "differs"
    return ReplayResult(record, status, mismatches, replayed, changes)


def compare_records(before: DecisionRecord, after: DecisionRecord) -> tuple[EffectChange, ...]:
    """The effects added, removed or changed from ``before`` to ``after``; an effect is
    the same one when its rule and key are (due times compared as instants)."""
    old = _by_identity(before.effects)
    new = _by_identity(after.effects)
    out: list[EffectChange] = []
    for ident, effect in old.items():
        other = new.get(ident)
        if other is None:
            out.append(EffectChange("removed", effect.key, effect.rule, effect, None))
            continue
        fields = tuple(name for name in type(effect).model_fields if getattr(effect, name) != getattr(other, name))
        if fields:
            out.append(EffectChange("changed", effect.key, effect.rule, effect, other, fields))
    out.extend(EffectChange("added", e.key, e.rule, None, e) for ident, e in new.items() if ident not in old)
    return tuple(out)


def _by_identity(effects: Iterable[RecordedEffect]) -> dict[tuple[str, str, int], RecordedEffect]:
    """Effects keyed by (rule, key, n-th of that pair): repeats stay apart."""
    seen: dict[tuple[str, str], int] = {}
    out = {}
    for effect in effects:
        pair = (effect.rule, effect.key)
        seen[pair] = seen.get(pair, 0) + 1
        out[(*pair, seen[pair])] = effect
    return out
