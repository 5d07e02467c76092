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
        strict = csrules("test", LEAVE, "--coverage", "--fail-under", "100.1")
        assert strict.returncode == 1
        assert "is under 100.1%" in strict.stdout

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
        """A policy whose rule fails on some facts is reported, with exit status 1."""
        naive = tmp_path / "naive.py"
        naive.write_text(
            "from pydantic import BaseModel, computed_field\n"
            "import csrules\n"
            "@csrules.register_fact_type(name='cli_ratio')\n"
            "class Ratio(BaseModel):\n"
            "    n: int\n"
            "    @computed_field\n"
            "    @property\n"
            "    def inverse(self) -> float:\n"
            "        return 1 / self.n\n",
            encoding="utf-8",
        )
        policy = tmp_path / "ratio.yaml"
        policy.write_text(
            "id: ratio\nversion: '1'\ntitle: t\nfact_type: cli_ratio\nrules:\n"
            "  - id: small\n    title: s\n"
            "    when: {kind: compare, path: inverse, op: '<', value: 0.5}\n"
            "    then: [{type: approval, role: lead}]\n",
            encoding="utf-8",
        )
        result = csrules("test", str(policy), "--explore", "--import", str(naive))
        assert result.returncode == 1, result.stdout + result.stderr
        assert "error at example" in result.stdout
        assert "ZeroDivisionError" in result.stdout

    def test_random_needs_explore(self):
        """--random alone is bad usage."""
        one_line_error(csrules("test", LEAVE, "--random"))
