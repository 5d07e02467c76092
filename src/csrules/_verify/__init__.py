"""``csrules verify``: proofs over every possible fact with an SMT solver (z3), and the
solver's analyses that ``csrules check`` reports (conflict, shadowed, never-holds,
always-holds, gap). Needs the ``verify`` extra: ``pip install 'csrules[verify]'``.

Import :mod:`csrules._verify.analyses` (or call :func:`solver_available`) only after
checking that z3 is installed; this package's ``__init__`` imports nothing heavy.
"""

from __future__ import annotations

import importlib

__all__ = ["INSTALL_HINT", "solver_available"]

INSTALL_HINT = "pip install 'csrules[verify]'"
"""How to install the solver."""


def solver_available() -> bool:
    """Whether z3 can be imported (a broken install counts as missing)."""
    try:
        importlib.import_module("z3")
    except ImportError:
        return False
    return True
