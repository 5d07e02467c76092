"""SQLite files that several processes share: the WAL journal, switched on safely."""

from __future__ import annotations

import math
import sqlite3
import time

__all__ = ["check_timeout", "use_wal"]


def check_timeout(timeout: object, error: type[Exception] = ValueError) -> float:
    """``timeout`` (how long a writer waits for another), checked to be a number of seconds,
    zero or more; anything else raises ``error`` naming it."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 <= timeout < math.inf:
        raise error(f"timeout must be a number of seconds, zero or more (got {timeout!r})")
    return float(timeout)


def use_wal(db: sqlite3.Connection, timeout: float) -> None:
    """Switch ``db`` to the WAL journal (several processes then read while one writes).

    While another connection holds the write lock of the file (a creator of the same new
    file setting it up at once), SQLite refuses the switch at once instead of waiting, as
    two connections each waiting for the other would never finish: the switch is tried
    again, pausing a little longer each time, until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        _pause(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 0.05)


_pause = time.sleep
"""How :func:`use_wal` waits between tries."""
