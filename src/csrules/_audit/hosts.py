"""Host modules imported by name or by file path, carried to the processes that judge an audit.

A module a host imports registers fact types, calendars or shift patterns as a side effect. An
audit's workers (spawned processes, Dask workers) start without it: a fact model pickled by
reference to a module imported from a file (named here, not on ``sys.path``) cannot be found
there, and a calendar registered by a module nothing references is simply missing. So every
such import is recorded, and the pickled audit spec carries the list: unpickling it imports
them first, in whichever process reads it.
"""

from __future__ import annotations

import importlib
import importlib.util
import pickle
import sys
from pathlib import Path
from typing import Any

__all__ = ["carried", "import_host_module"]

_IMPORTED: dict[str, None] = {}
"""The names and resolved file paths imported through :func:`import_host_module`, in order."""


def import_host_module(name: str) -> None:
    """Import ``name`` (a dotted module name, or a ``.py`` file path imported under the name
    ``csrules_user_<stem>``) once per process, and record it for audit workers.

    Raises :class:`ImportError` when ``name`` cannot be imported (a module not found, a path
    that is no file: ``no such file``), and whatever else the module raises while it runs.
    """
    if name.endswith(".py") or "/" in name:
        name = _import_file(name)
    else:
        importlib.import_module(name)
    _IMPORTED[name] = None


def _import_file(name: str) -> str:
    """Import the ``.py`` file ``name``; its resolved path, which names it in every process."""
    path = Path(name)
    if not path.is_file():
        raise ImportError("no such file", path=name)
    resolved = path.resolve()
    module_name = f"csrules_user_{resolved.stem}"
    if module_name not in sys.modules:  # imported once per process, like any module
        spec = importlib.util.spec_from_file_location(module_name, resolved)
        if spec is None or spec.loader is None:
            raise ImportError("cannot import this file", path=name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[spec.name]  # a failed import leaves nothing half-made behind
            raise
    return str(resolved)


class _Carried:
    """``value`` pickled behind the host imports its unpickling needs."""

    __slots__ = ("imports", "value")

    def __init__(self, value: object, imports: tuple[str, ...]) -> None:
        self.value, self.imports = value, imports

    def __reduce__(self) -> tuple[Any, tuple[tuple[str, ...], bytes]]:
        return _unpickled_after_imports, (self.imports, pickle.dumps(self.value))


def _unpickled_after_imports(imports: tuple[str, ...], blob: bytes) -> Any:
    for name in imports:
        import_host_module(name)
    return pickle.loads(blob)


def carried(value: object) -> object:
    """``value`` as an object whose pickled form imports this process's host modules before it
    unpickles ``value`` (unpickled, it *is* ``value``); ``value`` itself when there are none."""
    imports = tuple(_IMPORTED)
    return _Carried(value, imports) if imports else value
