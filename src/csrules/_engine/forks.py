"""Objects that hold a lock around their writes (decision logs, session stores), kept safe
across ``os.fork``: a fork waits for every such write in progress in another thread, so a
child never inherits a connection inside a transaction nor a file half appended; in the
child each object is made its own (:meth:`Forkable._forked`: fresh locks, no parent's
connection). A fork from inside one of the object's own writes cannot wait for itself.

Each module keeps one :class:`ForkGuard`. The at-fork hooks are registered once, when this
module is first imported, and run every guard (``before`` in the reverse order the guards were
made, as ``os.register_at_fork`` runs its hooks; the others in order): ``os.register_at_fork``
runs ``before`` hooks in the reverse order of registration, so a hook registered after
csrules' first store or log is imported (a test releasing a paused write as the fork begins)
runs before a guard waits for that write, whichever of the modules is imported later.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["ForkGuard", "Forkable"]


class Forkable(Protocol):
    """What a :class:`ForkGuard` keeps: the thread inside a write, and how to become a child's own."""

    _lock_owner: int | None

    def _forked(self) -> None:
        """In a child just forked: locks and connections of the child's own."""


_T = TypeVar("_T", bound=Forkable)


class ForkGuard(Generic[_T]):
    """The live objects of one kind whose ``lock`` (what each returns) a fork waits for;
    ``child`` runs in a forked child before each object is made its own."""

    def __init__(self, lock: Callable[[_T], threading.Lock], *, child: Callable[[], None] | None = None) -> None:
        self._lock = lock
        self._child = child
        self._live: weakref.WeakSet[_T] = weakref.WeakSet()
        self._held: list[threading.Lock] = []
        _GUARDS.append(self)

    def add(self, obj: _T) -> None:
        """Guard ``obj`` for as long as it lives (its ``_lock_owner`` must be set, None
        outside a write)."""
        self._live.add(obj)

    @staticmethod
    @contextmanager
    def inside(obj: _T) -> Iterator[None]:
        """Note that this thread holds ``obj``'s lock (a fork from here cannot wait for it)."""
        obj._lock_owner = threading.get_ident()
        try:
            yield
        finally:
            obj._lock_owner = None

    def _before(self) -> None:
        me = threading.get_ident()
        for obj in list(self._live):
            if obj._lock_owner != me:
                lock = self._lock(obj)
                lock.acquire()
                self._held.append(lock)

    def _after_in_parent(self) -> None:
        while self._held:
            self._held.pop().release()

    def _after_in_child(self) -> None:
        self._held.clear()  # the child's copies of the locks are replaced by _forked
        if self._child is not None:
            self._child()
        for obj in list(self._live):
            obj._forked()


_GUARDS: list[ForkGuard[Any]] = []


def _before_fork() -> None:
    for guard in reversed(_GUARDS):
        guard._before()


def _after_fork_in_parent() -> None:
    for guard in _GUARDS:
        guard._after_in_parent()


def _after_fork_in_child() -> None:
    for guard in _GUARDS:
        guard._after_in_child()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)
