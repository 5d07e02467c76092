"""Stateful sessions for csrules: counts, windows, ticks and lifecycles.

Policies that remember earlier events (the third 喂 in a month, two swaps in a row, a work
order still open after 24 hours) and lifecycles (the complaint flow) run in sessions::

    engine = SessionEngine([con1, att9, esc2], lifecycles=[complaint_lifecycle()])
    agent = engine.session("agent-7")
    result = agent.send(event, now=t)       # effects, with a trace
    agent.tick(t + timedelta(hours=25))     # deadlines reached fire once, in due order
    text = agent.export_json()              # restore with engine.restore(text)

Rules run on durable-rules' Rete engine where it is installed, else on a pure-Python
backend with the same semantics (``backend="python"`` selects it by hand). Nothing here
imports durable-rules until a durable backend is built, nor psycopg until a
:class:`PostgresStore` is. The public names are :mod:`csrules.sessions`, which loads this
package's list; here they load on first use, so that a module needing only :class:`Lifecycle` does not
import the session engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csrules._lazy import lazy_module

if TYPE_CHECKING:
    from csrules._policy.kinds.window import Count, InARow, Nth, StillOpen, Window
    from csrules._sessions.backends import BackendName, available_backends
    from csrules._sessions.lifecycle import Lifecycle, StepDeadline, Transition
    from csrules._sessions.migrate import MigrationReport, Reset, SubjectMigration
    from csrules._sessions.postgres import PostgresStore
    from csrules._sessions.results import Firing, SessionTrace, StepResult, TransitionRecord
    from csrules._sessions.session import DueTicks, Session, SessionEngine
    from csrules._sessions.store import MemoryStore, SessionStore, SQLiteStore, SQLStore

__all__ = [
    "BackendName",
    "Count",
    "DueTicks",
    "Firing",
    "InARow",
    "Lifecycle",
    "MemoryStore",
    "MigrationReport",
    "Nth",
    "PostgresStore",
    "Reset",
    "SQLStore",
    "SQLiteStore",
    "Session",
    "SessionEngine",
    "SessionStore",
    "SessionTrace",
    "StepDeadline",
    "StepResult",
    "StillOpen",
    "SubjectMigration",
    "Transition",
    "TransitionRecord",
    "Window",
    "available_backends",
]

__getattr__, __dir__ = lazy_module(
    __name__,
    globals(),
    {
        "csrules._policy.kinds.window": ("Count", "InARow", "Nth", "StillOpen", "Window"),
        "csrules._sessions.backends": ("BackendName", "available_backends"),
        "csrules._sessions.lifecycle": ("Lifecycle", "StepDeadline", "Transition"),
        "csrules._sessions.migrate": ("MigrationReport", "Reset", "SubjectMigration"),
        "csrules._sessions.postgres": ("PostgresStore",),
        "csrules._sessions.results": ("Firing", "SessionTrace", "StepResult", "TransitionRecord"),
        "csrules._sessions.session": ("DueTicks", "Session", "SessionEngine"),
        "csrules._sessions.store": ("MemoryStore", "SQLStore", "SQLiteStore", "SessionStore"),
    },
    # the complaint lifecycle is domain content: it moved to csrules.domain
    moved={name: f"csrules.domain:{name}" for name in ("COMPLAINT_STATES", "ComplaintStep", "complaint_lifecycle")},
)
