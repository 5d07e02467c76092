"""A fork waits for the writes of every store and log in progress in other threads, whichever
of their modules was imported first: an at-fork hook registered between the two imports (the
fork tests' own, releasing a paused write as the fork begins) still runs before csrules waits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="needs os.fork")


def test_the_store_fork_tests_then_the_log_fork_tests() -> None:
    """Run in that order (the store's module imported, then the tests' hook, then the log's),
    both pass; the log's at-fork hook used to run first and wait for ever for the paused batch
    (the timeout only ends a hang)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
             "tests/test_state8_store_fork.py", "tests/test_state8_log_fork.py"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("a fork waited for ever for a batch its test had paused")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "3 passed" in done.stdout
