"""Every error csrules raises.

Hierarchy::

    CsrulesError
    ├── DefinitionError (ValueError)        a policy, rule, calendar or duration is wrong
    │   ├── PolicyError                     a policy or rule cannot load or compile
    │   ├── DurationError                   a duration string cannot be read
    │   └── CalendarError                   a calendar or shift pattern is inconsistent
    └── EvaluationError                     something went wrong while deciding
        ├── FactError (ValueError)          a fact does not validate against its model
        ├── TimeError (ValueError)          a ``now`` or instant is unusable (naive, backwards)
        ├── SessionError (RuntimeError)     a session refused an event or lost integrity
        │   └── TransitionError             an event is not allowed in the current state
        └── StateError (ValueError)         exported state is corrupt or foreign
    ├── RecordError (ValueError)            a decision record or log line cannot be used
    └── LogWriteError (OSError)             a decision log could not take records
        └── LogOptionError (ValueError)     a decision log was given a bad option

Definition errors surface when a policy loads or compiles; evaluation errors when a fact is
judged. Each stores its context as attributes (``policy_id``, ``rule_id``, ``path``,
``line`` ...) so a host can show or log them without parsing messages.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported: its imports cost about what Python's start does
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = [
    "CalendarError",
    "CsrulesError",
    "DefinitionError",
    "DurationError",
    "EvaluationError",
    "FactError",
    "LogOptionError",
    "LogWriteError",
    "PolicyError",
    "RecordError",
    "SessionError",
    "StateError",
    "TimeError",
    "TransitionError",
]


class CsrulesError(Exception):
    """Root of every error csrules raises.

    .. versionadded:: 0.1
    """


class DefinitionError(CsrulesError, ValueError):
    """A definition (policy, rule, calendar, duration) is wrong; raised when it is built."""


class PolicyError(DefinitionError):
    """A policy or one of its rules cannot load, type-check or compile.

    The message starts with where the problem is (``file:line``, policy, rule, path);
    the same facts are attributes.
    """

    def __init__(
        self,
        message: str,
        *,
        policy_id: str | None = None,
        rule_id: str | None = None,
        path: str | None = None,
        file: str | None = None,
        line: int | None = None,
        loc: tuple[str | int, ...] = (),
        problems: Sequence[str] = (),
    ) -> None:
        self.message = message
        self.loc = loc
        self.policy_id = policy_id
        self.rule_id = rule_id
        self.path = path
        self.file = file
        self.line = line
        self.problems = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"{self.file}:{self.line}" if self.line is not None else self.file)
        if self.policy_id is not None:
            where.append(f"policy {self.policy_id!r}")
        if self.rule_id is not None:
            where.append(f"rule {self.rule_id!r}")
        if self.path:
            where.append(f"at {self.path}")
        elif self.loc:
            where.append(f"at {_readable(self.loc)}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def located(self, **context: Any) -> PolicyError:
        """A copy with missing context (file, line, policy_id, ...) filled in."""
        merged: dict[str, Any] = {
            "policy_id": self.policy_id,
            "rule_id": self.rule_id,
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "loc": self.loc,
        }
        for key, value in context.items():
            if not merged.get(key):
                merged[key] = value
        return PolicyError(self.message, problems=self.problems, **merged)


def _readable(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class DurationError(DefinitionError):
    """A duration string cannot be read; ``text`` is what was given."""

    def __init__(self, message: str, *, text: str | None) -> None:
        self.text = text
        super().__init__(message)


class CalendarError(DefinitionError):
    """A business calendar or shift pattern is empty, contradictory or misconfigured."""


class EvaluationError(CsrulesError):
    """Something went wrong while judging a fact or running a session."""


class FactError(EvaluationError, ValueError):
    """A fact does not validate against its model.

    ``problems`` lists every problem as ``(location, message)`` pairs; ``fact_type`` names
    the model; ``index`` is the fact's position in a stream when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        fact_type: str | None = None,
        problems: Sequence[tuple[str, str]] = (),
        index: int | None = None,
    ) -> None:
        self.fact_type = fact_type
        self.problems = tuple(problems)
        self.index = index
        super().__init__(message)


class TimeError(EvaluationError, ValueError):
    """An instant is unusable: naive where aware is required, or out of order."""


class SessionError(EvaluationError, RuntimeError):
    """A session could not process a call; the session is unchanged."""


class TransitionError(SessionError):
    """An event is not allowed in the lifecycle's current state.

    ``state`` is the current state and ``allowed`` the events it accepts.
    """

    def __init__(self, message: str, *, state: str, event: str, allowed: Sequence[str]) -> None:
        self.state = state
        self.event = event
        self.allowed = tuple(allowed)
        super().__init__(message)


class StateError(EvaluationError, ValueError):
    """Exported session state is corrupt, truncated or belongs to another engine."""


class RecordError(CsrulesError, ValueError):
    """A decision record or decision log cannot be used: data that is not a record (the
    field is named), a record altered since it was written, or a log line that cannot be
    read (``file`` and ``line`` say where).

    .. versionadded:: 0.2
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file is not None and line is not None else f"{file}: " if file else ""
        super().__init__(f"{where}{message}")


class LogWriteError(CsrulesError, OSError):
    """A decision log could not take records; ``sink`` and ``path`` name it. The records
    named in the message were not written: nothing is dropped silently.

    .. versionadded:: 0.2
    """

    def __init__(self, message: str, *, sink: str, path: str) -> None:
        self.sink = sink
        self.path = path
        super().__init__(f"{sink} log {path}: {message}")


class LogOptionError(LogWriteError, ValueError):
    """A decision log refused an option (a batch of 0, a negative timeout) before writing
    anything: a log error, and a ValueError as any bad argument is.

    .. versionadded:: 0.2
    """
