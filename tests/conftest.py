"""Settings every test shares: hypothesis draws the same examples on every run.

A property test must not pass or fail by which examples happen to be drawn; derandomized,
each test's draws follow from the test itself, so a run on CI sees what a run here saw.
Nothing may pass or fail by the machine's load either: no per-example deadline, and no
health check that times how long drawing takes.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "csrules-tests", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("csrules-tests")
