"""A new user's first session with the installed ``csrules`` command, as typed.

Each test is a trip found by trying the command as the README and docs/cli.md describe it:
options placed before the command, the demo's counts against ``csrules test``, and one
wording for a bad fact whichever command reads it.
"""

from __future__ import annotations

import json
import re

from csrules._cli import cli
from tests.test_cli import IMPORT, LATE, LEAVE
from tests.test_cli_e2e import csrules, one_line_error

PACKS = ("call_centre", "ecommerce", "mall", "online_support")


class TestImportBeforeTheCommand:
    def test_import_before_eval_is_taken(self, tmp_path):
        """`csrules --import facts.py eval ...` (the form `csrules --help` shows) judges the fact."""
        fact = tmp_path / "fact.json"
        fact.write_text(json.dumps(LATE), encoding="utf-8")
        result = csrules(*IMPORT, "eval", LEAVE, str(fact), imports=False)
        assert result.returncode == 1, result.stderr
        assert json.loads(result.stdout)["outcome"] == "violation"

    def test_import_before_a_command_without_policies_is_refused(self):
        """`csrules --import facts.py packs` is still a usage error: packs reads no policy file."""
        result = csrules(*IMPORT, "packs", imports=False)
        one_line_error(result)
        assert "--import does nothing here" in result.stderr


class TestDemoChecksWhatTestChecks:
    def test_demo_counts_every_worked_example_of_every_pack(self, installed_demo, capsys):
        """demo checks each pack's session examples too: its count per pack is csrules test's
        (the installed demo's count against the test command's, run here: both load the same packs)."""
        demo, _ = installed_demo
        assert demo.returncode == 0, demo.stderr
        counted = dict(re.findall(r"^ +(\w+): (\d+) worked examples checked", demo.stdout, flags=re.MULTILINE))
        for pack in PACKS:
            code, out = cli.main(["test", pack, "--format", "json"]), capsys.readouterr().out
            assert code == 0, out
            assert int(counted[pack]) == json.loads(out)["passed"], pack

    def test_demo_shows_a_session_example_step_by_step(self, installed_demo):
        """A session example is shown as the effect keys each of its steps gives."""
        demo, _ = installed_demo
        assert re.search(r"mall\.call_session/CON-1\.\S+#1: session of \d steps: \[.*\] → \[", demo.stdout)


class TestBadFactWording:
    def test_explain_says_bad_fact_as_eval_does(self, tmp_path):
        """explain reports a fact that does not validate as FILE:LINE: bad fact: ..., as eval does."""
        fact = tmp_path / "fact.json"
        fact.write_text(json.dumps({**LATE, "kind": "holiday"}), encoding="utf-8")
        for command in ("eval", "explain"):
            result = csrules(command, LEAVE, str(fact))
            one_line_error(result)
            assert f"{fact}:1: bad fact: invalid" in result.stderr, command


class TestCheckOnFilesThatAreNotPolicies:
    def test_empty_and_binary_files_are_errors_in_them(self, tmp_path):
        """An empty file is a [syntax] error and a binary one [unreadable], each a finding: exit 1."""
        empty, binary = tmp_path / "empty.yaml", tmp_path / "binary.yaml"
        empty.write_text("", encoding="utf-8")
        binary.write_bytes(bytes(range(128, 256)))
        for path, code in ((empty, "syntax"), (binary, "unreadable")):
            result = csrules("check", str(path), imports=False)
            assert result.returncode == 1, result.stderr
            assert f"{path}:1: error [{code}] " in result.stdout
            assert "Traceback" not in result.stderr

    def test_missing_file_and_empty_directory_are_bad_input(self, tmp_path):
        """A missing file or a directory with no policy file is bad input: one line, exit 2."""
        for path in (tmp_path / "missing.yaml", tmp_path):
            one_line_error(csrules("check", str(path), imports=False))


class TestSchemaTakesFormatJson:
    def test_schema_format_json_and_json_print_the_schema(self):
        """`csrules schema pack --format json` (the convention for JSON) prints the schema, as --json does."""
        plain = csrules("schema", "pack", imports=False)
        for flag in (["--format", "json"], ["--json"]):
            result = csrules("schema", "pack", *flag, imports=False)
            assert result.returncode == 0, result.stderr
            assert result.stdout == plain.stdout
        assert json.loads(plain.stdout)["type"] == "object"
