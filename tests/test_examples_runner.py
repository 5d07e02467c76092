"""The worked-example runner behind csrules test (and the testing toolkit)."""

from __future__ import annotations

from pathlib import Path

from csrules import load_policy
from csrules._cli._common import import_modules
from csrules._engine.examples import CaseResult, find_test_files, summarise
from csrules._testing.examples import run_examples
from csrules._testing.testfiles import run_test_files

DATA = Path(__file__).parent / "e2e" / "data"
import_modules([str(DATA / "cli_facts.py")])


def _with_example(policy, rule_index, **example):
    data = policy.model_dump(mode="python")
    data["rules"][rule_index]["examples"].append(example)
    return type(policy)(**data)


class TestRunExamples:
    def test_all_pass(self):
        """The test policies' examples pass, one result per example, with stable ids."""
        results = list(run_examples([load_policy(DATA / "leave.yaml"), load_policy(DATA / "escalation.yaml")]))
        assert len(results) == 10
        assert all(r.passed for r in results)
        assert results[0].id == "cli-leave/personal-notice#1 (same day)"
        assert summarise(results).line == "10 passed, 0 failed"

    def test_wrong_expectation_fails_with_the_reason(self):
        """An example expecting the wrong keys fails, saying what the rule did and why."""
        policy = _with_example(
            load_policy(DATA / "leave.yaml"),
            1,
            fact={
                "kind": "sick",
                "requested_at": "2026-01-03T08:00:00+08:00",
                "starts_at": "2026-01-05T16:00:00+08:00",
                "days": 5,
            },
            expect=["approval:department_head"],
        )
        failed = [r for r in run_examples([policy]) if not r.passed]
        assert len(failed) == 1
        assert failed[0].expected == ("approval:department_head",)
        assert failed[0].got == ()
        assert "did not match" in failed[0].message
        assert "days is more than" not in failed[0].message
        assert "days is at most 1 (head_max_days)" in failed[0].message

    def test_example_needing_now_without_one_is_an_error(self):
        """An example of a rule reading now, given no now, fails as an error, not a crash."""
        policy = _with_example(
            load_policy(DATA / "escalation.yaml"), 0, fact={"opened_at": "2026-01-01T08:00:00+08:00"}, expect=[]
        )
        bad = [r for r in run_examples([policy]) if not r.passed]
        assert len(bad) == 1
        assert bad[0].error
        assert "now" in bad[0].message

    def test_default_now_is_used(self):
        """default_now serves examples that give none."""
        from datetime import datetime, timedelta, timezone

        policy = _with_example(
            load_policy(DATA / "escalation.yaml"), 0, fact={"opened_at": "2026-01-01T08:00:00+08:00"}, expect=[]
        )
        now = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=8)))
        assert all(r.passed for r in run_examples([policy], default_now=now))


class TestTestFiles:
    def test_hook_runs_each_file(self, tmp_path):
        """A runner passed in gets each file and the policies; its results are reported."""
        (tmp_path / "test_leave.yaml").write_text("cases: []\n")
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "more.test.yaml").write_text("cases: []\n")
        (tmp_path / "policy.yaml").write_text("x: 1\n")
        files = find_test_files(tmp_path)
        assert [f.name for f in files] == ["more.test.yaml", "test_leave.yaml"]
        seen = []

        def runner(path, policies):
            seen.append((path.name, len(policies)))
            yield CaseResult(f"{path.name}::case", path.name.startswith("test_"))

        results = list(run_test_files(files, [load_policy(DATA / "leave.yaml")], runner=runner))
        assert seen == [("more.test.yaml", 1), ("test_leave.yaml", 1)]
        assert summarise(results).line == "1 passed, 1 failed"

    def test_default_runner_reports_a_bad_file_as_a_failure(self, tmp_path):
        """Without a runner given, files run through the toolkit; a malformed one is a failure naming it."""
        (tmp_path / "test_x.yaml").write_text("cases: []\n")
        results = list(run_test_files(find_test_files(tmp_path), []))
        assert len(results) == 1
        assert not results[0].passed
        assert results[0].error
        assert "non-empty list of 'cases'" in results[0].message
        assert results[0].file == str(tmp_path / "test_x.yaml")
