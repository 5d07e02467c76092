"""What a session call returns: the effects it triggered, why, and a trace on demand."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from csrules._engine.decision import (
    EffectResult,
    EffectViews,
    RuleError,
    merge_approvals,
)
from csrules._lang import Lang
from csrules._policy.text import Script, to_script
from csrules._policy.trace import RuleTrace, check_lang
from csrules.exceptions import LogWriteError

__all__ = ["Firing", "SessionTrace", "StepResult", "TransitionRecord"]

Cause = Literal["event", "tick", "transition"]


@dataclass(frozen=True, slots=True)
class Firing:
    """One rule (or lifecycle deadline) that fired, its cause, and its effects.

    ``item`` is the open item's key for a deadline rule (``None`` when the subject is the
    item); ``due`` is when a deadline was due; ``version`` the version of a dated policy that
    judged (``None`` for an undated one).

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    cause: Cause
    effects: tuple[EffectResult, ...]
    item: Any = None
    due: datetime | None = None
    version: str | None = None
    """The version of the policy that judged, when the policy has dated versions."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"policy": self.policy_id, "rule": self.rule_id, "cause": self.cause,
                "item": self.item, "due": self.due.isoformat() if self.due else None,
                "effects": [e.to_dict() for e in self.effects]}


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """A lifecycle moved: ``lifecycle_id`` went from ``source`` to ``target`` on ``event``.

    .. versionadded:: 0.1
    """

    lifecycle_id: str
    event: str
    source: str
    target: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready form."""
        return {"lifecycle": self.lifecycle_id, "event": self.event, "from": self.source,
                "to": self.target}


@dataclass(frozen=True, slots=True)
class SessionTrace:
    """Why a call did what it did: the time, window values, transitions, and for an event
    every rule's condition tree with the values seen (window values included).

    .. versionadded:: 0.1
    """

    subject: str
    kind: Literal["event", "tick"]
    now: datetime | None
    backend: str
    notes: tuple[str, ...]
    rules: tuple[RuleTrace, ...] = ()

    def render(self, lang: Lang = "en", script: Script = "simplified") -> str:
        """Readable text, in English (``lang="en"``) or Chinese (``"zh"``, its words in one
        ``script``; the subject and the values seen are shown as they were)."""
        if check_lang(lang) == "zh":
            when = self.now.isoformat() if self.now else to_script("未给出时间", script)
            kind = to_script("事件" if self.kind == "event" else "时钟推进", script)
            session, backend = to_script("会话", script), to_script("后端", script)
            lines = [f"{session} {self.subject!r}：{when} {to_script('的', script)}{kind}（{backend} {self.backend}）"]
            lines.extend(f"  {to_script(_note_zh(note), script)}" for note in self.notes)
        else:
            when = self.now.isoformat() if self.now else "no time given"
            lines = [f"session {self.subject!r}: {self.kind} at {when} (backend {self.backend})"]
            lines.extend(f"  {note}" for note in self.notes)
        lines.extend(line for rule in self.rules for line in rule.render(lang, script))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"subject": self.subject, "kind": self.kind,
                "now": self.now.isoformat() if self.now else None, "backend": self.backend,
                "notes": list(self.notes), "rules": [r.to_dict() for r in self.rules]}


@dataclass(slots=True, eq=False)
class StepResult(EffectViews):
    """The answer to one session call (an event or a tick).

    ``effects`` are in firing order: a tick's deadlines by due time, then an event's
    transition obligations, then its rules in policy and rule order. As in a
    :class:`~csrules.Decision`, approvals that ask the same role are merged into the first,
    whose :attr:`~csrules.Approval.rules` lists every rule asking it; ``firings`` keep each
    rule's own effects. Equality compares what happened (firings, transitions, errors), not
    the trace.

    .. versionadded:: 0.1
    """

    subject: str
    kind: Literal["event", "tick"]
    now: datetime | None
    firings: tuple[Firing, ...]
    transitions: tuple[TransitionRecord, ...] = ()
    errors: tuple[RuleError, ...] = ()
    _explain: Callable[[], SessionTrace] | None = field(default=None, repr=False)
    _trace: SessionTrace | None = field(default=None, repr=False)
    seq: int | None = field(default=None, repr=False)
    """How many events the subject had accepted once this call was committed (this one
    included); its decision record keeps it, so a replay orders the subject's steps by it."""
    log_error: LogWriteError | None = field(default=None, repr=False)
    """Set when the call was committed but its record could not go to the engine's decision
    log (the error says why; the record stays pending in the log when it can). The call is
    not undone and must not be sent again."""

    @property
    def effects(self) -> tuple[EffectResult, ...]:
        """Every effect the call triggered, in firing order, approvals of one role merged."""
        return merge_approvals([e for f in self.firings for e in f.effects])

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the rules (and lifecycle deadlines) that fired, in order."""
        return tuple([f.rule_id for f in self.firings]) if self.firings else ()

    @property
    def trace(self) -> SessionTrace:
        """The trace of this call (computed when first read)."""
        if self._trace is None:
            if self._explain is None:
                raise ValueError("this result carries no trace")
            self._trace = self._explain()
        return self._trace

    def to_dict(self, *, trace: bool = False) -> dict[str, Any]:
        """A JSON-ready form (add ``trace=True`` for the trace)."""
        out: dict[str, Any] = {
            "subject": self.subject, "kind": self.kind,
            "now": self.now.isoformat() if self.now else None,
            "outcome": self.outcome.value,
            "firings": [f.to_dict() for f in self.firings],
            "transitions": [t.to_dict() for t in self.transitions],
        }
        if self.errors:
            out["errors"] = [e.to_dict() for e in self.errors]
        if trace:
            out["trace"] = self.trace.to_dict()
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StepResult):
            return NotImplemented
        return (self.subject, self.kind, self.firings, self.transitions, self.errors) == (
            other.subject, other.kind, other.firings, other.transitions, other.errors)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<StepResult {self.kind} {self.subject!r} effects={list(self.effect_keys)}>"


# The notes a session call writes (see csrules._sessions.session), worded in Chinese.
_NOTES_ZH = (
    (re.compile(r"event #(\d+) of type (\S+)"), r"第\1个事件，类型 \2"),
    (re.compile(r"lifecycle (\S+): (.*)"), r"流程 \1：\2"),
    (re.compile(r"(\S+): (\S+) value (.*)"), r"\1：\2 的窗口值为 \3"),
    (re.compile(r"nothing due"), "没有到期事项"),
    (re.compile(r" item (.*?)(?= \(due| ->)"), r" 事项 \1"),
    (re.compile(r" \(due ([^)]*)\)"), r"（到期 \1）"),
)


def _note_zh(note: str) -> str:
    for pattern, replacement in _NOTES_ZH:
        note = pattern.sub(replacement, note)
    return note
