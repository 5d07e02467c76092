"""The conventions every ``csrules`` command shares, driven as a user types them.

``-o`` for ``--out``; ``--format json`` (``--json`` its alias) for JSON; exit 0 clean, 1
findings, 2 bad usage or input; one default output directory; ``--import`` only where a
policy file is read; errors that name command-line flags and ``file:line``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from csrules._cli import cli, documents
from csrules._cli._common import DEFAULT_OUT
from tests.test_cli import DATA, EARLY, IMPORT, LATE, LEAVE, run
from tests.test_cli_e2e import CSRULES, cli_env, csrules, one_line_error

COMMANDS = ("eval", "explain", "check", "test", "docs", "diff", "schema", "packs", "demo")
READ_POLICIES = {"eval", "explain", "check", "test", "docs", "diff"}


def options(command: str) -> dict[str, list[str]]:
    """Each option of ``command`` (by destination) with its flags."""
    found: dict[str, list[str]] = {}
    for action in cli.build_parser().commands[command]._actions:
        for flag in action.option_strings:
            found.setdefault(flag, list(action.option_strings))
    return found


def _format_choices(command: str) -> tuple[str, ...]:
    """The choices of ``command``'s --format."""
    action = next(a for a in cli.build_parser().commands[command]._actions if "--format" in a.option_strings)
    return tuple(action.choices or ())


def mini_pack(monkeypatch: pytest.MonkeyPatch, policy_file: str) -> None:
    """Make the built-in packs one pack, ``mini``, holding the policy in ``policy_file``."""
    from csrules import load_policy

    pack = SimpleNamespace(
        name="mini", title={"en": "Mini", "zh": "迷你"}, version="1", policies=(load_policy(policy_file),)
    )
    monkeypatch.setattr(documents, "pack_infos", lambda: [SimpleNamespace(name="mini")])
    monkeypatch.setattr("csrules._cli._common.load_pack_named", lambda name: pack)


class TestFlags:
    def test_every_out_has_the_short_form_o(self):
        """Every command that takes --out also takes -o for it."""
        with_out = [c for c in COMMANDS if "--out" in options(c)]
        assert set(with_out) == {"docs", "diff", "schema", "demo"}
        for command in with_out:
            assert options(command)["--out"] == ["-o", "--out"], command

    def test_o_writes_where_out_would(self, capsys, tmp_path):
        """docs -o DIR, diff -o FILE and schema -o FILE write their output there."""
        assert run(capsys, "docs", LEAVE, "-o", str(tmp_path / "d"), "--date", "2026-01-01")[0] == 0
        assert (tmp_path / "d" / "cli-leave.md").exists()
        assert run(capsys, "diff", LEAVE, LEAVE, "-o", str(tmp_path / "diff.md"))[0] == 0
        assert (tmp_path / "diff.md").read_text().startswith("#")
        assert run(capsys, "schema", "-o", str(tmp_path / "s.json"))[0] == 0
        assert json.loads((tmp_path / "s.json").read_text())["type"] == "object"

    def test_commands_writing_files_share_one_default_directory(self, capsys, tmp_path, monkeypatch):
        """docs and demo write to ./csrules-out when no -o is given."""
        monkeypatch.chdir(tmp_path)
        mini_pack(monkeypatch, LEAVE)
        assert run(capsys, "docs", LEAVE, "--date", "2026-01-01")[0] == 0
        assert (tmp_path / DEFAULT_OUT / "cli-leave.html").exists()
        assert run(capsys, "demo", "--date", "2026-01-01")[0] == 0
        assert (tmp_path / DEFAULT_OUT / "mini.html").exists()
        assert DEFAULT_OUT == "csrules-out"

    def test_import_only_where_a_policy_file_is_read(self):
        """--import is an option of the commands that read policies and of no other."""
        for command in COMMANDS:
            assert ("--import" in options(command)) == (command in READ_POLICIES), command

    @pytest.mark.parametrize("argv", [["packs", *IMPORT], [*IMPORT, "schema"], ["demo", *IMPORT]])
    def test_import_where_it_does_nothing_is_a_usage_error(self, capsys, argv):
        """--import on a command that reads no policy file exits 2, before or after the command."""
        with pytest.raises(SystemExit) as exit_:
            cli.main(argv)
        assert exit_.value.code == 2
        assert "--import" in capsys.readouterr().err


class TestJson:
    @pytest.mark.parametrize(
        "argv",
        [
            ["explain", LEAVE, json.dumps(EARLY), *IMPORT],
            ["check", LEAVE, *IMPORT],
            ["test", LEAVE, *IMPORT],
            ["packs"],
        ],
    )
    def test_format_json_and_json_alias_agree(self, capsys, argv):
        """--format json prints JSON, and --json prints the same."""
        code, out = cli.main([*argv, "--format", "json"]), capsys.readouterr().out
        json.loads(out)
        assert cli.main([*argv, "--json"]) == code
        assert capsys.readouterr().out == out

    def test_every_command_with_a_json_output_takes_both(self):
        """Each command printing data offers --format json and --json, and nothing else asks for JSON."""
        for command in ("eval", "explain", "check", "test", "packs"):
            found = options(command)
            assert "--json" in found, command
            assert "json" in (found["--format"] and _format_choices(command)), command

    def test_eval_format_json_is_json_lines(self, capsys, monkeypatch):
        """eval --format json prints the same JSON Lines as the default."""
        facts = json.dumps(LATE) + "\n" + json.dumps(EARLY) + "\n"
        code, jsonl, _ = run(capsys, "eval", LEAVE, stdin=facts, monkeypatch=monkeypatch)
        assert (code, jsonl) == run(capsys, "eval", LEAVE, "--json", stdin=facts, monkeypatch=monkeypatch)[:2]
        assert [json.loads(line)["outcome"] for line in jsonl.splitlines()] == ["violation", "needs_approval"]


class TestExitStatus:
    @pytest.mark.parametrize("fmt", [[], ["--format", "json"]])
    def test_explain_exits_like_eval(self, capsys, tmp_path, fmt):
        """explain exits 1 on a violation and 0 otherwise, as eval does for the same fact."""
        for fact, status in ((LATE, 1), (EARLY, 0)):
            path = tmp_path / "fact.json"
            path.write_text(json.dumps(fact))
            assert run(capsys, "explain", LEAVE, str(path), *fmt)[0] == status
            assert run(capsys, "eval", LEAVE, str(path))[0] == status

    def test_check_warnings_alone_exit_0_and_help_says_so(self, capsys, tmp_path):
        """A policy with only warnings passes check (exit 0); --help says warnings alone exit 0."""
        warned = tmp_path / "p.yaml"
        citation = '    citation: {source: "001", section: "請假制度 3"}\n'
        warned.write_text(Path(LEAVE).read_text().replace(citation, "", 1))
        code, out, _ = run(capsys, "check", str(warned))
        assert "warning [no-citation]" in out
        assert code == 0
        with pytest.raises(SystemExit):
            cli.main(["check", "--help"])
        assert "warnings alone exit 0" in capsys.readouterr().out

    def test_every_help_states_the_exit_status(self, capsys):
        """Every command's --help ends with the shared exit-status line."""
        for command in COMMANDS:
            with pytest.raises(SystemExit):
                cli.main([command, "--help"])
            out = capsys.readouterr().out
            assert "exit status: 0 success" in out, command
            assert "2 bad usage or bad input." in out, command


class TestErrorsSpeakCli:
    def test_several_fact_types_name_the_flag(self, capsys, monkeypatch):
        """A plain fact for a target judging several fact types asks for --fact-type, not a keyword."""
        code, _, err = run(capsys, "eval", str(DATA), stdin=json.dumps(LATE) + "\n", monkeypatch=monkeypatch)
        assert code == 2
        assert "use --fact-type" in err
        assert "fact_type=" not in err

    def test_unknown_fact_type_names_the_flag(self, capsys, monkeypatch):
        """--fact-type naming no judged type lists the types."""
        code, _, err = run(
            capsys, "eval", LEAVE, "--fact-type", "nope", stdin=json.dumps(LATE) + "\n", monkeypatch=monkeypatch
        )
        assert code == 2
        assert "--fact-type 'nope': no policy here judges it (fact types: cli_leave)" in err

    def test_explain_several_fact_types_names_the_flag(self, capsys, tmp_path):
        """explain gives the same advice, naming the fact as FILE:LINE (an inline fact as <argument>)."""
        code, _, err = run(capsys, "explain", str(DATA), json.dumps(LATE))
        assert code == 2
        assert "<argument>:1: bad fact: this target judges several fact types (" in err
        assert "use --fact-type" in err
        fact = tmp_path / "fact.yaml"
        fact.write_text("# a leave request\n" + json.dumps({"kind": "personal"}) + "\n")
        code, _, err = run(capsys, "explain", LEAVE, str(fact))
        assert code == 2
        assert f"{fact}:2: bad fact: invalid cli_leave fact: requested_at: " in err

    def test_bad_fact_has_one_numbering(self, tmp_path):
        """A bad fact is named by its 1-based file:line only, with no 0-based number beside it."""
        facts = tmp_path / "facts.jsonl"
        facts.write_text(json.dumps(EARLY) + "\n" + json.dumps({"kind": "personal"}) + "\n")
        result = csrules("eval", LEAVE, str(facts))
        one_line_error(result)
        assert f"{facts}:2: bad fact: invalid cli_leave fact:" in result.stderr
        assert "#" not in result.stderr


BLOCK_HYPOTHESIS = '''
import sys


class _NoHypothesis:
    """A plain install: hypothesis cannot be imported."""

    def find_spec(self, name, path=None, target=None):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoHypothesis())
'''


def without_hypothesis(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``csrules ARGS`` in a process where hypothesis cannot be imported."""
    (tmp_path / "sitecustomize.py").write_text(BLOCK_HYPOTHESIS)
    return subprocess.run(
        [*CSRULES, *args], text=True, capture_output=True, env=cli_env(str(tmp_path)), timeout=120, check=False
    )


class TestPlainInstall:
    def test_explore_without_hypothesis_says_what_to_install(self, tmp_path):
        """test --explore without hypothesis exits 2 naming pip install 'csrules[test]'."""
        result = without_hypothesis(tmp_path, "test", LEAVE, "--explore", *IMPORT)
        one_line_error(result)
        assert "pip install 'csrules[test]'" in result.stderr

    def test_worked_examples_run_without_hypothesis(self, tmp_path):
        """Without --explore, test needs no hypothesis: the worked examples run and pass."""
        blocked = without_hypothesis(tmp_path, "test", LEAVE, *IMPORT)
        assert blocked.returncode == 0, blocked.stderr
        assert blocked.stdout.strip().endswith("6 passed, 0 failed")
        probe = without_hypothesis(tmp_path, "--version")  # the blocker really is in place
        assert probe.returncode == 0
        check = subprocess.run(
            [sys.executable, "-c", "import hypothesis"],
            env={**os.environ, "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            check=False,
        )
        assert check.returncode != 0


class TestDemo:
    def test_summary_counts_packs_rules_and_examples(self, capsys, tmp_path, monkeypatch):
        """demo ends with packs, rules and worked examples checked, all passed: exit 0."""
        mini_pack(monkeypatch, LEAVE)
        code, out, _ = run(capsys, "demo", "-o", str(tmp_path), "--date", "2026-01-01")
        assert code == 0
        assert "summary: 1 packs, 3 rules, 6 worked examples checked: 6 passed, 0 failed" in out
        assert out.rstrip().endswith(f"documents: {tmp_path}/")

    def test_a_failing_example_fails_the_demo(self, capsys, tmp_path, monkeypatch):
        """A worked example whose decision differs from what it expects makes demo exit 1, naming it."""
        broken = tmp_path / "leave.yaml"
        broken.write_text(Path(LEAVE).read_text().replace("expect: [violation:ATT-1]", "expect: []"))
        mini_pack(monkeypatch, str(broken))
        code, out, _ = run(capsys, "demo", "-o", str(tmp_path / "out"), "--date", "2026-01-01", "--quiet")
        assert code == 1
        assert "6 worked examples checked: 5 passed, 1 failed" in out
        assert "  FAIL cli-leave/personal-notice#1 (same day): expected [], got [violation:ATT-1]" in out
        assert len(out.splitlines()) < 10  # --quiet: the pack's line and the summary

    def test_built_in_packs_pass(self, installed_demo):
        """The installed demo over the built-in packs sums up with no failure and exits 0."""
        result, _ = installed_demo
        assert result.returncode == 0, result.stdout[-2000:]
        assert " 0 failed\n" in result.stdout
        assert "summary: " in result.stdout
