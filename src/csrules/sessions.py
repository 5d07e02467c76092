"""Stateful sessions: policies that remember earlier events, and lifecycles.

A :class:`SessionEngine` compiles policies (the window kinds :class:`Count`, :class:`Nth`,
:class:`InARow` and :class:`StillOpen` allowed) and :class:`Lifecycle` transition tables
once; each subject (an agent, a work order, a complaint) gets a :class:`Session`:

>>> from csrules.sessions import SessionEngine, SQLiteStore            # doctest: +SKIP
>>> from csrules.domain import complaint_lifecycle                      # doctest: +SKIP
>>> engine = SessionEngine([con1], lifecycles=[complaint_lifecycle()],  # doctest: +SKIP
...                        store=SQLiteStore("sessions.db"))
>>> engine.session("agent-7").send(greeting, now=t).effect_keys         # doctest: +SKIP
('violation:CON-1',)

- **engine and sessions**: :class:`SessionEngine`, :class:`Session`; ``engine.tick_due(now)``
  returns :class:`DueTicks`; :func:`available_backends` lists ``durable`` and ``python``.
- **stores**: :class:`MemoryStore`, :class:`SQLiteStore`, :class:`PostgresStore` (psycopg is
  imported only when one is built), all :class:`SessionStore`\\ s.
- **lifecycles**: :class:`Lifecycle`, its :class:`Transition`\\ s and :class:`StepDeadline`\\ s.
- **results**: :class:`StepResult` (effects, :class:`Firing`\\ s, :class:`TransitionRecord`\\ s,
  a :class:`SessionTrace`).
- **window kinds**: :class:`Count`, :class:`Nth`, :class:`InARow`, :class:`StillOpen` over a
  :class:`Window`.

.. versionadded:: 0.1
"""

from __future__ import annotations

# One list of names, the private package's: importing them here loads them all at once.
from csrules._sessions import *  # noqa: F403
from csrules._sessions import __all__ as __all__
