"""Settings every test shares: hypothesis draws the same examples on every run.

A property test must not pass or fail by which examples happen to be drawn; derandomized,
each test's draws follow from the test itself, so a run on CI sees what a run here saw.
Nothing may pass or fail by the machine's load either: no per-example deadline, and no
health check that times how long drawing takes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "csrules-tests", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("csrules-tests")


@pytest.fixture(scope="session")
def installed_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One run of the installed ``csrules demo --out DIR --date 2026-01-01`` (its result and DIR),
    read by every test about what the demo prints or writes: a run costs seconds of CPU."""
    from tests.test_cli_e2e import csrules

    out = tmp_path_factory.mktemp("demo") / "demo"
    return csrules("demo", "--out", str(out), "--date", "2026-01-01", imports=False), out
