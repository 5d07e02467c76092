"""Settings every test shares: hypothesis draws the same examples on every run.

A property test must not pass or fail by which examples happen to be drawn; derandomized,
each test's draws follow from the test itself, so a run on CI sees what a run here saw.
Nothing may pass or fail by the machine's load either: no per-example deadline, and no
health check that times how long drawing takes.

The processes a run starts (the suite's workers, the ``csrules`` command, pytest runs of a
project, audit and Dask workers) keep the bytecode they compile in one cache of the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "csrules-tests", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("csrules-tests")

_RUN_CACHE = "CSRULES_TESTS_BYTECODE_CACHE"


def pytest_configure(config: pytest.Config) -> None:
    """Give the processes this run starts one bytecode cache, in a folder of the run's own.

    With PYTHONDONTWRITEBYTECODE set (as in many containers) and no compiled files beside the
    sources (a fresh checkout), every process compiled csrules again, and every pytest run
    rewrote the assertions of csrules and hypothesis again: about a second of CPU per
    ``csrules`` command, two per pytest run. The cache lies outside the source tree and the
    installed packages, and goes at the end of the run; this process itself is unchanged.
    """
    if _RUN_CACHE in os.environ:  # a process of this run (an xdist worker): the cache is set
        return
    cache = tempfile.mkdtemp(prefix="csrules-tests-bytecode-")
    saved = {name: os.environ.get(name) for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.update({_RUN_CACHE: cache, "PYTHONPYCACHEPREFIX": cache})

    def restore() -> None:
        os.environ.pop(_RUN_CACHE, None)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(cache, ignore_errors=True)

    config.add_cleanup(restore)


@pytest.fixture(scope="session")
def installed_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One run of the installed ``csrules demo --out DIR --date 2026-01-01`` (its result and DIR),
    read by every test about what the demo prints or writes: a run costs seconds of CPU."""
    from tests.test_cli_e2e import csrules

    out = tmp_path_factory.mktemp("demo") / "demo"
    return csrules("demo", "--out", str(out), "--date", "2026-01-01", imports=False), out
