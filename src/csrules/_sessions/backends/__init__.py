"""Session backends: the matcher interface (:mod:`.base`), the pure-Python matcher and the
durable-rules one, and the factory that picks one.

The backends import only :mod:`.base`; this module is the one place that knows them all,
and imports each lazily so that ``import csrules`` never loads durable-rules.
"""

from __future__ import annotations

import importlib.util

from csrules._sessions.backends.base import Backend, BackendName, Match, TickItem
from csrules._sessions.program import Program
from csrules.exceptions import SessionError

__all__ = [
    "Backend",
    "BackendName",
    "Match",
    "TickItem",
    "available_backends",
    "durable_available",
    "make_backend",
]


def durable_available() -> bool:
    """True when durable-rules can be imported here (it does not build on Python 3.13+)."""
    return importlib.util.find_spec("durable") is not None


def available_backends() -> tuple[str, ...]:
    """The backends this interpreter can run, preferred first."""
    return ("durable", "python") if durable_available() else ("python",)


def make_backend(name: str, program: Program) -> Backend:
    """Build the backend ``name`` (``auto``, ``durable`` or ``python``) for ``program``."""
    if name == "auto":
        name = available_backends()[0]
    if name == "python":
        from csrules._sessions.backends.python import PythonBackend

        return PythonBackend(program)
    if name == "durable":
        if not durable_available():
            raise SessionError(
                "backend 'durable' needs durable-rules, which is not installed here (it builds "
                "only on Python < 3.13); use backend='python' or 'auto'"
            )
        from csrules._sessions.backends.durable import DurableBackend
        from csrules._sessions.backends.python import PythonBackend

        # a message beyond durable's limits is judged by the Python matcher
        return DurableBackend(program, fallback=PythonBackend(program))
    raise SessionError(f"unknown session backend {name!r} (choose auto, durable or python)")
