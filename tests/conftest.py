"""Settings every test shares: hypothesis draws the same examples on every run.

A property test must not pass or fail by which examples happen to be drawn; derandomized,
each test's draws follow from the test itself, so a run on CI sees what a run here saw.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("csrules-tests", derandomize=True, database=None)
settings.load_profile("csrules-tests")
