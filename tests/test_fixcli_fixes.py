"""Fixes to the command line, the pytest plugin and test files: failed rules exit 2, other
tools' YAML named test_*.yaml is left alone, and a bad ``due`` names itself."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
from pathlib import Path

import pytest

import csrules
from csrules._cli import cli
from csrules._cli._common import import_modules
from csrules._test_file_rule import meant_as_test_file as _meant_as_test_file
from csrules._testing.testfiles import TestFileError as FileError
from csrules._testing.testfiles import load_test_file

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "e2e" / "data"
IMPORT = ["--import", str(DATA / "cli_facts.py")]
import_modules([str(DATA / "cli_facts.py")])

HOLIDAY_POLICY = """\
id: cli-holiday
version: "1"
title: {en: Holiday leave, zh: 節假日請假}
fact_type: cli_leave
rules:
  - id: holiday-leave
    title: {en: Leave on a holiday, zh: 節假日請假}
    when: {kind: on_holiday, path: starts_at, calendar: china}
    then:
      - {type: violation, code: HOL-1, message: {en: on a holiday, zh: 節假日}}
  - id: long-leave
    title: {en: Long leave, zh: 長假}
    when: {kind: compare, path: days, op: ">", value: 3}
    then:
      - {type: violation, code: LONG-1, message: {en: too long, zh: 太長}}
"""


def _fact(year: int, days: int = 1) -> dict[str, object]:
    """A leave starting in ``year``: the holiday rule fails for a year the calendar has no schedule for."""
    return {"kind": "personal", "requested_at": f"{year}-01-04T08:00:00+08:00",
            "starts_at": f"{year}-01-11T16:00:00+08:00", "days": days}


def _run(capsys, tmp_path: Path, command: str, *facts: dict[str, object], extra: tuple[str, ...] = ()):
    """Run ``command`` over the holiday policy and the facts; return (status, stdout, stderr)."""
    policy = tmp_path / "holiday.yaml"
    policy.write_text(HOLIDAY_POLICY, encoding="utf-8")
    data = tmp_path / "facts.jsonl"
    data.write_text("".join(json.dumps(f) + "\n" for f in facts), encoding="utf-8")
    code = cli.main([command, str(policy), str(data), "--now", "2026-12-04T09:00:00+08:00", *extra, *IMPORT])
    out, err = capsys.readouterr()
    return code, out, err


class TestFailedRuleExits2:
    """A rule that failed on a fact is not a success: eval and explain exit 2 and name it."""

    def test_eval_exits_2_and_names_the_failed_rule(self, capsys, tmp_path):
        """eval of a fact a rule failed on exits 2 and names the rule and its error on stderr."""
        code, out, err = _run(capsys, tmp_path, "eval", _fact(2090))
        assert json.loads(out)["errors"]
        assert code == 2
        assert "facts.jsonl:1: rule cli-holiday/holiday-leave failed: " in err
        assert "2090" in err

    def test_eval_table_exits_2_even_with_a_violation(self, capsys, tmp_path):
        """A failed rule outranks a violation found on the same run: exit 2, the rule named."""
        code, _, err = _run(capsys, tmp_path, "eval", _fact(2026, days=5), _fact(2090),
                            extra=("--format", "table"))
        assert code == 2
        assert "facts.jsonl:2: rule cli-holiday/holiday-leave failed" in err

    def test_eval_without_failed_rules_keeps_its_status(self, capsys, tmp_path):
        """Facts every rule judged exit 1 on a violation, 0 otherwise, with nothing on stderr."""
        assert _run(capsys, tmp_path, "eval", _fact(2026, days=5))[::2] == (1, "")
        assert _run(capsys, tmp_path, "eval", _fact(2026))[::2] == (0, "")

    def test_explain_exits_2_and_says_not_every_rule_was_judged(self, capsys, tmp_path):
        """explain of a fact a rule failed on exits 2, naming the rule and saying not all was judged."""
        code, out, _ = _run(capsys, tmp_path, "explain", _fact(2090))
        assert code == 2
        assert "! cli-holiday/holiday-leave failed: " in out
        assert "not every rule was judged" in out

    def test_explain_json_exits_2(self, capsys, tmp_path):
        """explain --format json of a fact a rule failed on exits 2; the JSON holds the error."""
        code, out, _ = _run(capsys, tmp_path, "explain", _fact(2090), extra=("--format", "json"))
        assert code == 2
        assert "holiday-leave" in json.dumps(json.loads(out)["errors"])

    def test_help_states_the_exit_rule(self, capsys):
        """eval --help and explain --help say a failed rule exits 2."""
        for command in ("eval", "explain"):
            with contextlib.suppress(SystemExit):
                cli.main([command, "--help"])
            assert "a failed rule exits 2" in capsys.readouterr().out


K8S = """\
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
"""


class TestPluginLeavesOtherYamlAlone:
    """The auto-loaded pytest plugin collects a test_*.yaml only when it is a policy test file."""

    @pytest.mark.parametrize(
        "text",
        [
            K8S,
            K8S.replace("kind: Service", "cases: []"),  # several documents are never one test file
            "name: {{ name }}\nreplicas: {% if prod %}3{% endif %}\n",  # a template
            "- a\n- b\n",
            "",
            "retries: 3\n",
        ],
        ids=["kubernetes", "several-with-cases", "template", "list", "empty", "settings"],
    )
    def test_not_ours_is_skipped(self, tmp_path, text):
        """Several documents, templates, lists, empty files and other mappings are not test files."""
        path = tmp_path / "test_other.yaml"
        path.write_text(text, encoding="utf-8")
        assert _meant_as_test_file(path) is False

    def test_binary_is_skipped(self, tmp_path):
        """A file that is not text is not a test file."""
        path = tmp_path / "test_blob.yaml"
        path.write_bytes(b"\xff\xfe\x00\x01binary")
        assert _meant_as_test_file(path) is False

    @pytest.mark.parametrize(
        "text",
        [
            "policy: orders.yaml\ncases:\n  - name: a\n    fact: {amount: 1}\n    expect: []\n",
            "pack: call_centre\ncases:\n  - name: [unclosed\n",  # ours, but broken YAML: reported
        ],
        ids=["valid", "broken"],
    )
    def test_ours_is_collected(self, tmp_path, text):
        """A mapping with cases is a test file, and so is a broken file whose lines say it is one."""
        path = tmp_path / "test_orders.yaml"
        path.write_text(text, encoding="utf-8")
        assert _meant_as_test_file(path) is True


class TestPluginRun:
    """A pytest run of a project holding other tools' test_*.yaml files is not interrupted."""

    def test_kubernetes_yaml_does_not_stop_the_run(self, pytester: pytest.Pytester, monkeypatch):
        """A Kubernetes stream named test_k8s.yaml is skipped: the project's own tests run."""
        source = str(Path(csrules.__file__).resolve().parents[1])
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
        pytester.makefile(".yaml", test_k8s=K8S)
        pytester.makepyfile(test_plain="def test_ok():\n    assert 1 + 1 == 2\n")
        names = {e.name for e in importlib.metadata.entry_points(group="pytest11")}
        plugin = [] if "csrules" in names else ["-p", "csrules.pytest_plugin"]
        result = pytester.runpytest_subprocess(*plugin, "-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)


DUE_CASES = """\
pack: call_centre
cases:
  - name: due as a day
    fact_type: callback_task
    now: 2026-03-10T11:00:00+08:00
    fact: {customer: Ms Li, created_at: "2026-03-10T10:00:00+08:00"}
    expect: [obligation:agent]
    due: {obligation:agent: 2026-03-13}
"""


class TestDueMessage:
    """A bad ``due`` in a test file is reported as the case's due, not as ``now``."""

    def test_bad_due_names_due_and_the_case(self, tmp_path):
        """A day given as a due names the case, the effect key and the line, and shows the day as written."""
        path = tmp_path / "test_due.yaml"
        path.write_text(DUE_CASES, encoding="utf-8")
        with pytest.raises(FileError) as caught:
            load_test_file(path)
        message = str(caught.value)
        assert "test_due.yaml:8: case 'due as a day': due of 'obligation:agent' must be a date and time" in message
        assert "(got 2026-03-13)" in message
        assert "now must" not in message

    def test_bad_now_still_names_now(self, tmp_path):
        """A case's bad now is still reported as now."""
        path = tmp_path / "test_now.yaml"
        path.write_text(DUE_CASES.replace("now: 2026-03-10T11:00:00+08:00", "now: soon"), encoding="utf-8")
        with pytest.raises(FileError, match="now must be a date and time"):
            load_test_file(path)
