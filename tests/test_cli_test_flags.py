"""``csrules test --coverage/--fail-under/--explore`` run as a user runs them."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli_e2e import LEAVE, csrules, one_line_error

NOW = "2026-01-05T09:00:00+08:00"


class TestCoverageFlags:
    def test_coverage_report_and_threshold(self):
        """--coverage prints per-rule counts; --fail-under above what was reached fails."""
        result = csrules("test", LEAVE, "--coverage")
        assert result.returncode == 0, result.stderr
        assert "rule coverage:" in result.stdout
        assert result.stdout.rstrip().endswith("0 failed")
        strict = csrules("test", LEAVE, "--coverage", "--fail-under", "90")
        assert strict.returncode == 1
        assert "is under 90%" in strict.stdout

    def test_a_threshold_no_run_could_reach_is_refused(self):
        """--fail-under above 100 could never pass: bad usage, like the pytest plugin's option."""
        one_line_error(csrules("test", LEAVE, "--coverage", "--fail-under", "100.1"))

    def test_fail_under_needs_coverage(self):
        """--fail-under alone is bad usage, reported on one line."""
        one_line_error(csrules("test", LEAVE, "--fail-under", "80"))


class TestExplore:
    def test_explore_reports_per_fact_type(self):
        """--explore judges boundary facts and says what it found."""
        result = csrules("test", LEAVE, "--explore", "--max-examples", "30", "--now", NOW)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "explored 30 boundary facts" in result.stdout or "boundary facts: no problem" in result.stdout

    def test_explore_finds_a_rule_that_raises(self, tmp_path: Path):
        """A rule that fails on the facts (naive host datetimes against an aware limit) is reported."""
        naive = tmp_path / "naive.py"
        naive.write_text(
            "from pydantic import BaseModel, NaiveDatetime\n"
            "import csrules\n"
            "@csrules.register_fact_type(name='cli_naive')\n"
            "class Stamp(BaseModel):\n"
            "    at: NaiveDatetime\n",
            encoding="utf-8",
        )
        policy = tmp_path / "naive.yaml"
        policy.write_text(
            "id: naive\nversion: '1'\ntitle: t\nfact_type: cli_naive\nrules:\n"
            "  - id: early\n    title: e\n"
            "    when: {kind: compare, path: at, op: '<', value: '2026-01-01T00:00:00+08:00'}\n"
            "    then: [{type: approval, role: lead}]\n",
            encoding="utf-8",
        )
        result = csrules("test", str(policy), "--explore", "--import", str(naive))
        assert result.returncode == 1, result.stdout + result.stderr
        assert "error at example" in result.stdout
        assert "TimeError: field at holds" in result.stdout  # naive compared with aware: the field named

    def test_random_needs_explore(self):
        """--random alone is bad usage."""
        one_line_error(csrules("test", LEAVE, "--random"))
