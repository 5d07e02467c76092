"""pytest plugin: collects csrules policy test files and reports rule coverage.

Registered through the ``pytest11`` entry point, so installing csrules enables it:

- files named ``*.test.yaml`` (or ``.yml``), and ``test_*.yaml`` files holding a top-level
  ``cases`` key (in any YAML form: quoted, flow style), are collected; each case is one test
  item, reported with its file and line (the file patterns are the ini option
  ``csrules_test_files``). A ``test_*.yaml`` file that is not YAML, or that names policies or
  a pack but no cases, is a collection error naming the file; other YAML files (settings)
  are left alone;
- ``--csrules-coverage`` records every decision made during the run, by test files and by
  ordinary tests alike, and prints which rules and conditions were made true and false;
  ``--csrules-coverage-fail-under=90`` (or the ini option ``csrules_coverage_fail_under``)
  fails the run below that percentage of condition outcomes.

Every pytest run on a machine with csrules installed loads this plugin, so it imports csrules
only when a run uses it: when a csrules option is given or a policy test file is collected.

.. versionadded:: 0.1
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from csrules._test_file_rule import TEST_FILE_PATTERNS, is_test_file

if TYPE_CHECKING:
    from csrules._engine.engine import Engine
    from csrules._testing.coverage import Coverage
    from csrules._testing.testfiles import TestCase

__all__ = [
    "CaseItem",
    "PolicyTestFile",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "pytest_unconfigure",
]

_COVERAGE: pytest.StashKey[Coverage] = pytest.StashKey()
_STACK = pytest.StashKey[contextlib.ExitStack]()
_WORKER_KEY = "csrules_coverage"
"""Where a pytest-xdist worker puts its coverage records for the controller."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The coverage options and the test-file patterns."""
    group = parser.getgroup("csrules", "csrules policy tests and rule coverage")
    group.addoption(
        "--csrules-coverage",
        action="store_true",
        default=False,
        help="report which rules and conditions the run made true and false",
    )
    group.addoption(
        "--csrules-coverage-fail-under",
        type=str,
        default=None,
        metavar="PERCENT",
        help="fail when rule coverage is below PERCENT (implies --csrules-coverage)",
    )
    parser.addini(
        "csrules_test_files",
        type="linelist",
        default=list(TEST_FILE_PATTERNS),
        help="glob patterns of csrules policy test files",
    )
    parser.addini(
        "csrules_coverage_fail_under",
        type="string",
        default="",
        help="fail when rule coverage is below this percentage",
    )


def _threshold(config: pytest.Config) -> float | None:
    """The fail-under percentage; a value that is not a number from 0 to 100 is a usage error."""
    option = config.getoption("--csrules-coverage-fail-under")
    if option is not None:
        return _percent(str(option), "--csrules-coverage-fail-under")
    ini = str(config.getini("csrules_coverage_fail_under")).strip()
    return _percent(ini, "ini option csrules_coverage_fail_under") if ini else None


def _percent(text: str, name: str) -> float:
    """``text`` as a percentage from 0 to 100 (above 100 no run could pass)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 100:  # NaN fails too
        raise pytest.UsageError(f"{name} must be a number from 0 to 100, such as 90 (got {text!r})")
    return value


def pytest_configure(config: pytest.Config) -> None:
    """Start recording decisions when coverage is asked for."""
    if config.getoption("--csrules-coverage") or _threshold(config) is not None:
        from csrules._testing.coverage import collect_coverage  # csrules loads only when asked for

        stack = contextlib.ExitStack()
        config.stash[_COVERAGE] = stack.enter_context(collect_coverage())
        config.stash[_STACK] = stack


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop recording (the engine is restored)."""
    stack = config.stash.get(_STACK, None)
    if stack is not None:
        stack.close()
        del config.stash[_STACK]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when coverage is below the threshold; a pytest-xdist worker hands its
    records to the controller instead, which judges the whole run."""
    coverage = session.config.stash.get(_COVERAGE, None)
    output = getattr(session.config, "workeroutput", None)
    if coverage is not None and output is not None:
        output[_WORKER_KEY] = coverage.state()
        return
    threshold = _threshold(session.config)
    if coverage is None or threshold is None:
        return
    if coverage.report().fails_under(threshold) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Add a finished pytest-xdist worker's records to the run's coverage."""
    coverage = node.config.stash.get(_COVERAGE, None)
    state = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if coverage is not None and state is not None:
        coverage.merge(state)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the rule coverage table."""
    coverage = config.stash.get(_COVERAGE, None)
    if coverage is None:
        return
    report = coverage.report()
    terminalreporter.section("csrules rule coverage")
    terminalreporter.write_line(report.render())
    threshold = _threshold(config)
    if threshold is not None and report.fails_under(threshold):
        terminalreporter.write_line(f"FAIL: rule coverage {report.percent}% is below {threshold:g}%", red=True)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect policy test files (the rule ``csrules test DIR`` follows too)."""
    if not is_test_file(file_path, parent.config.getini("csrules_test_files")):
        return None  # not named so, or some other YAML file that happens to be named test_*
    return PolicyTestFile.from_parent(parent, path=file_path)


class PolicyTestFile(pytest.File):
    """A policy test file; each of its cases is a test item."""

    def collect(self) -> Iterator[pytest.Item]:
        """One :class:`CaseItem` per case; a malformed file fails collection with file:line."""
        from csrules._testing.testfiles import TestFileError, load_test_file  # a test file uses csrules

        try:
            cases = load_test_file(self.path)
        except TestFileError as exc:
            raise self.CollectError(str(exc)) from None
        engines: dict[Any, Engine] = {}
        for case in cases:
            yield CaseItem.from_parent(self, name=case.name, case=case, engines=engines)


class CaseFailed(Exception):
    """A case's decision differed from what it expects (the message says how)."""


class CaseItem(pytest.Item):
    """One named case of a policy test file."""

    def __init__(self, *, case: TestCase, engines: dict[Any, Engine], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self._engines = engines

    def runtest(self) -> None:
        """Evaluate the case's fact and compare the effect keys."""
        from csrules._testing.testfiles import case_engine, run_cases  # loaded with the file

        # one engine per file: compiling is slow; a sequence runs on the file's sessions
        engine = None if self.case.steps else case_engine(self.case, self._engines)
        (result,) = run_cases(engine, [self.case])
        if not result.passed:
            raise CaseFailed(result.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        """The case's own message for a mismatch or a file problem; a traceback otherwise."""
        from csrules.exceptions import PolicyError  # loaded with the file

        if isinstance(excinfo.value, CaseFailed | PolicyError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the case is: its file and (0-based) line."""
        line = None if self.case.line is None else self.case.line - 1
        return self.path, line, f"csrules case: {self.case.name}"
