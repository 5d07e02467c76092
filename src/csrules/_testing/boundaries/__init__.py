"""Boundary facts: facts on both sides of every threshold of a policy's rules.

:mod:`.core` holds the machinery and the core kinds' derivers; the time kinds' derivers live
in :mod:`.time` and register themselves on import. Importing any module of this package runs
this file first, which loads both, so that no module of it imports the other in a circle.
"""

from csrules._testing.boundaries import core, time

__all__ = ["core", "time"]
