"""The pytest plugin: policy test files collected as tests, and rule coverage options."""

from __future__ import annotations

import importlib.metadata
import os
import textwrap
from pathlib import Path

import pytest

import csrules
from csrules.testing import run_test_file

pytest_plugins = ["pytester"]

MODEL = """
from typing import Literal
from pydantic import BaseModel, Field
from csrules import register_fact_type

@register_fact_type(name="tp_order")
class Order(BaseModel):
    amount: int = Field(ge=0, le=100000)
    channel: Literal["web", "phone"]
"""

POLICY = """\
id: orders
version: "1"
title: Orders
fact_type: tp_order
rules:
  - id: big
    title: Big orders need a supervisor
    when: {kind: compare, path: amount, op: ">=", value: 1000}
    then: [{type: approval, role: supervisor}]
  - id: phone
    title: Phone orders are confirmed by email
    when: {kind: compare, path: channel, op: "==", value: phone}
    then: [{type: obligation, who: agent, action: send a confirmation}]
"""

CASES = """\
policy: orders.yaml
imports: [tp_models]
cases:
  - name: a big web order
    fact: {amount: 1000, channel: web}
    expect: [approval:supervisor]
  - name: a small phone order
    fact: {amount: 5, channel: phone}
    expect: [obligation:agent]
"""


def _plugin_args() -> list[str]:
    """Load the plugin by hand when csrules is not installed with its entry point."""
    names = {e.name for e in importlib.metadata.entry_points(group="pytest11")}
    return [] if "csrules" in names else ["-p", "csrules.pytest_plugin"]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # the subprocess imports this csrules, installed or run from the source tree
    source = str(Path(csrules.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
    pytester.makepyfile(tp_models=MODEL)
    pytester.makefile(".yaml", orders=POLICY)
    pytester.syspathinsert()
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider", *args)


class TestLoading:
    def test_a_run_that_uses_no_csrules_feature_does_not_import_csrules(self, project):
        """Without csrules options or test files, the plugin leaves the engine, sessions and docs unloaded."""
        project.makepyfile(
            test_plain=textwrap.dedent("""
            import sys

            def test_nothing_of_csrules_is_loaded():
                loaded = sorted(m for m in sys.modules if m.startswith("csrules."))
                light = ["csrules._lazy", "csrules._test_file_rule", "csrules.exceptions", "csrules.pytest_plugin"]
                assert loaded in ([], light)
        """)
        )
        result = run(project)
        result.assert_outcomes(passed=1)


class TestCollection:
    def test_cases_are_test_items(self, project):
        """Each case of a *.test.yaml file is one passing test item."""
        project.makefile(".test.yaml", orders=CASES)
        result = run(project, "-v")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["*orders.test.yaml::a big web order PASSED*"])

    def test_a_failing_case_shows_file_line_and_trace(self, project):
        """A wrong expectation fails with file:line, expected and actual, and the trace."""
        project.makefile(".test.yaml", orders=CASES.replace("expect: [obligation:agent]", "expect: []"))
        result = run(project)
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(
            [
                "*orders.test.yaml:7: case 'a small phone order':*",
                "*effects: expected [], got ['obligation:agent']*",
                "*orders/phone: MATCHED*",
            ]
        )

    def test_a_fact_that_does_not_validate_fails_its_case(self, project):
        """A case whose fact is invalid fails alone, naming the field."""
        project.makefile(".test.yaml", orders=CASES.replace("amount: 5,", "amount: -5,"))
        result = run(project)
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(
            ["*orders.test.yaml:7: case 'a small phone order': the fact does not validate*amount*"]
        )

    def test_a_malformed_file_is_a_collection_error_with_file_and_line(self, project):
        """A malformed file fails collection, naming the file and the line."""
        project.makefile(".test.yaml", orders=CASES.replace("expect: [approval:supervisor]", "expect: [approve:x]"))
        result = run(project)
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*orders.test.yaml:6: 'approve:x' is not an effect key*"])

    def test_test_named_yaml_without_cases_is_left_alone(self, project):
        """A test_*.yaml that is not a policy test file is not collected."""
        project.makefile(".yaml", test_settings="retries: 3\n")
        project.makefile(".yaml", test_orders=CASES)
        result = run(project, "-v")
        result.assert_outcomes(passed=2)
        result.stdout.no_fnmatch_line("*test_settings*")

    def test_same_results_as_run_test_file(self, project):
        """pytest and csrules test (run_test_file) agree case by case."""
        path = project.makefile(".test.yaml", orders=CASES.replace("expect: [obligation:agent]", "expect: []"))
        result = run(project, "-v")
        passed = [r.passed for r in _in_subprocess(project, str(path))]
        assert passed == [True, False]
        result.stdout.fnmatch_lines(["*a big web order PASSED*", "*a small phone order FAILED*"])


def _in_subprocess(pytester: pytest.Pytester, path: str) -> list:
    """run_test_file in this process, with the pytester folder importable."""
    import sys

    sys.path.insert(0, str(pytester.path))
    try:
        return run_test_file(path)
    finally:
        sys.path.remove(str(pytester.path))


class TestCoverageOption:
    def test_prints_rule_coverage(self, project):
        """--csrules-coverage prints each rule, made true and made false, after the run."""
        project.makefile(".test.yaml", orders=CASES)
        result = run(project, "--csrules-coverage")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                "*csrules rule coverage*",
                "rule coverage: 2 of 2 rules made both true and false; 4 of 4 condition outcomes (100.0%)*",
                "  big *true    1  false    1",
            ]
        )

    def test_counts_ordinary_tests_too(self, project):
        """Decisions made in ordinary test functions count as well."""
        project.makepyfile(
            test_plain=textwrap.dedent("""
            import tp_models
            from pathlib import Path
            from csrules import Engine, load_policy

            def test_big():
                engine = Engine(load_policy(Path(__file__).with_name("orders.yaml")))
                assert engine.evaluate({"amount": 2000, "channel": "web"}).approvers == ("supervisor",)
        """)
        )
        result = run(project, "--csrules-coverage")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*2 of 4 condition outcomes (50.0%)*", "  phone *NEVER TRUE"])

    def test_fails_under_the_threshold(self, project):
        """Coverage below --csrules-coverage-fail-under fails an otherwise green run."""
        project.makefile(
            ".test.yaml",
            orders=CASES.replace("amount: 5,", "amount: 1000,").replace(
                "expect: [obligation:agent]", "expect: [obligation:agent, approval:supervisor]"
            ),
        )
        result = run(project, "--csrules-coverage-fail-under=90")
        result.assert_outcomes(passed=2)
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(["FAIL: rule coverage 75.0% is below 90%"])

    def test_threshold_from_ini(self, project):
        """The threshold can live in the ini file; a met threshold passes."""
        project.makefile(".test.yaml", orders=CASES)
        project.makeini("[pytest]\ncsrules_coverage_fail_under = 100\n")
        result = run(project)
        assert result.ret == pytest.ExitCode.OK
        result.stdout.fnmatch_lines(["*4 of 4 condition outcomes (100.0%)*"])
