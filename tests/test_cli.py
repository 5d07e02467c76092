"""The csrules command, run in-process: inputs, outputs, exit codes, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from csrules._cli import _input, cli, documents
from csrules._cli._common import import_modules
from csrules._cli.evaluate import PROGRESS_THRESHOLD, Progress

DATA = Path(__file__).parent / "e2e" / "data"
IMPORT = ["--import", str(DATA / "cli_facts.py")]
import_modules([str(DATA / "cli_facts.py")])
LEAVE = str(DATA / "leave.yaml")
ORDERS = str(DATA / "escalation.yaml")

LATE = {
    "kind": "personal",
    "requested_at": "2026-01-05T08:00:00+08:00",
    "starts_at": "2026-01-05T16:00:00+08:00",
    "days": 1,
}
EARLY = {**LATE, "requested_at": "2026-01-01T08:00:00+08:00"}


NO_IMPORT = {"schema", "packs", "demo"}  # commands that read no policy file take no --import


def run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main([*argv, *([] if argv[0] in NO_IMPORT else IMPORT)])
    out, err = capsys.readouterr()
    return code, out, err


def lines(out):
    return [json.loads(line) for line in out.splitlines()]


class TestEvalInputs:
    @pytest.mark.parametrize(
        ("name", "text"),
        [
            ("facts.jsonl", json.dumps(LATE) + "\n\n" + json.dumps(EARLY) + "\n"),
            ("facts.json", json.dumps([LATE, EARLY], indent=2)),
            ("facts.yaml", "- " + json.dumps(LATE) + "\n- " + json.dumps(EARLY) + "\n"),
        ],
    )
    def test_formats_give_the_same_decisions(self, capsys, tmp_path, name, text):
        """JSON Lines, a JSON array and a YAML list give the same decisions, with line numbers."""
        path = tmp_path / name
        path.write_text(text)
        code, out, _ = run(capsys, "eval", LEAVE, str(path))
        decisions = lines(out)
        assert code == 1
        assert [d["outcome"] for d in decisions] == ["violation", "needs_approval"]
        assert [d["index"] for d in decisions] == [0, 1]
        assert decisions[1]["line"] > decisions[0]["line"] >= 1

    def test_stdin_is_sniffed(self, capsys, monkeypatch):
        """A pretty-printed JSON object on stdin is read as one fact."""
        code, out, _ = run(capsys, "eval", LEAVE, stdin=json.dumps(EARLY, indent=2), monkeypatch=monkeypatch)
        assert code == 0
        assert lines(out)[0]["outcome"] == "needs_approval"

    def test_json_stream_across_chunks_keeps_line_numbers(self, monkeypatch):
        """The streaming JSON reader handles facts split across reads and counts lines."""
        monkeypatch.setattr(_input, "CHUNK", 7)
        text = "[\n" + ",\n".join(json.dumps(f) for f in [LATE, EARLY, LATE]) + "\n]\n"
        records = list(_input.read_records(io.StringIO(text), "json"))
        assert [r.line for r in records] == [2, 3, 4]
        assert records[1].fact == EARLY

    def test_envelope_carries_fact_type_now_and_id(self, capsys, monkeypatch):
        """An envelope names the fact type (needed with several), its own now and an id."""
        envelope = {
            "id": "wo-1",
            "fact_type": "cli_order",
            "now": "2026-01-02T08:00:00+08:00",
            "fact": {"opened_at": "2026-01-01T08:00:00+08:00"},
        }
        code, out, _ = run(capsys, "eval", str(DATA), stdin=json.dumps(envelope) + "\n", monkeypatch=monkeypatch)
        decision = lines(out)[0]
        assert code == 0
        assert decision["id"] == "wo-1"
        assert [e["type"] for e in decision["effects"]] == ["escalation", "obligation"]
        assert decision["effects"][1]["due"] == "2026-01-02T09:00:00+08:00"

    def test_several_fact_types_need_a_fact_type(self, capsys, monkeypatch):
        """A plain fact for a multi-type target is a bad input naming --fact-type's role."""
        code, _, err = run(capsys, "eval", str(DATA), stdin=json.dumps(LATE) + "\n", monkeypatch=monkeypatch)
        assert code == 2
        assert "several fact types" in err
        code, out, _ = run(
            capsys,
            "eval",
            str(DATA),
            "--fact-type",
            "cli_leave",
            stdin=json.dumps(LATE) + "\n",
            monkeypatch=monkeypatch,
        )
        assert code == 1
        assert lines(out)[0]["outcome"] == "violation"


class TestEvalErrors:
    @pytest.mark.parametrize(
        ("name", "text", "line"),
        [
            ("f.jsonl", json.dumps(LATE) + "\n{oops\n", 2),
            ("f.jsonl", json.dumps(LATE) + "\n" + json.dumps({"kind": "other"}) + "\n", 2),
            ("f.json", "[\n" + json.dumps(LATE) + ",\n\n" + json.dumps({"days": "x"}) + "\n]", 4),
            ("f.json", "[\n" + json.dumps(LATE) + ',\n  {"kind": }\n]', 3),
            ("f.yaml", "- " + json.dumps(LATE) + "\n- [1, 2]\n", 2),
        ],
    )
    def test_bad_fact_is_located_and_exits_2(self, capsys, tmp_path, name, text, line):
        """A bad fact stops the run with exit 2 and a one-line error naming file:line."""
        path = tmp_path / name
        path.write_text(text)
        code, out, err = run(capsys, "eval", LEAVE, str(path))
        assert code == 2
        assert err.count("\n") == 1
        assert f"{path}:{line}: " in err
        assert len(out.splitlines()) == 1  # the good fact before it was judged

    def test_keep_going_reports_and_carries_on(self, capsys, monkeypatch):
        """--keep-going judges the rest, reports each bad fact, and exits 2."""
        text = "\n".join([json.dumps(EARLY), "nonsense", json.dumps({"kind": 1}), json.dumps(LATE)]) + "\n"
        code, out, err = run(capsys, "eval", LEAVE, "--keep-going", stdin=text, monkeypatch=monkeypatch)
        assert code == 2
        assert [d["index"] for d in lines(out)] == [0, 3]
        assert "<stdin>:2: bad fact: " in err
        assert "<stdin>:3: bad fact: " in err

    def test_now_must_have_a_zone(self, capsys, monkeypatch):
        """A naive --now is bad usage."""
        code, _, err = run(capsys, "eval", ORDERS, "--now", "2026-01-01T08:00", stdin="", monkeypatch=monkeypatch)
        assert code == 2
        assert "--now needs a time zone" in err

    def test_unknown_target(self, capsys):
        """An unknown pack or file is one line."""
        code, _, err = run(capsys, "eval", "no_such_pack")
        assert code == 2
        assert err.startswith("csrules eval: error: ")
        assert err.count("\n") == 1

    def test_debug_shows_the_traceback(self, capsys):
        """--debug lets the exception through."""
        with pytest.raises(Exception, match=r"no_such_file\.yaml"):
            cli.main(["eval", "no_such_file.yaml", "--debug"])


class TestEvalOutput:
    def test_table_and_trace(self, capsys, monkeypatch):
        """The table shows one row per fact; --trace adds each rule's trace to JSON output."""
        code, out, _ = run(
            capsys, "eval", LEAVE, "--format", "table", stdin=json.dumps(LATE) + "\n", monkeypatch=monkeypatch
        )
        assert code == 1
        assert "violation" in out.splitlines()[1]
        assert "violation:ATT-1" in out
        code, out, _ = run(capsys, "eval", LEAVE, "--trace", stdin=json.dumps(LATE) + "\n", monkeypatch=monkeypatch)
        assert lines(out)[0]["trace"][0]["rule"] == "personal-notice"

    def test_non_ascii_kept(self, capsys, monkeypatch):
        """JSON output keeps Chinese text readable."""
        _, out, _ = run(capsys, "eval", LEAVE, stdin=json.dumps(LATE) + "\n", monkeypatch=monkeypatch)
        assert "未提前1天请假" in out

    def test_progress_bar_only_past_the_threshold_on_a_terminal(self):
        """The bar draws once the count passes the threshold, and clears itself."""
        stream = io.StringIO()
        bar = Progress(stream, total_bytes=1000, enabled=True)
        bar.update(PROGRESS_THRESHOLD - 1, 10)
        assert stream.getvalue() == ""
        bar.update(PROGRESS_THRESHOLD + 1, 500)
        assert "50.0%" in stream.getvalue()
        assert "facts" in stream.getvalue()
        bar.close()
        assert stream.getvalue().endswith("\r\x1b[K")
        quiet = io.StringIO()
        Progress(quiet, total_bytes=None, enabled=False).update(10**6)
        assert quiet.getvalue() == ""


class TestExplain:
    def test_readable_trace(self, capsys):
        """explain prints the outcome, effects and every rule's trace (exit 1: a violation)."""
        code, out, _ = run(capsys, "explain", LEAVE, json.dumps(LATE))
        assert code == 1
        assert out.startswith("outcome: violation")
        assert "cli-leave/personal-notice: MATCHED" in out
        assert "✓ the leave is “personal”" in out

    def test_one_fact_only(self, capsys, tmp_path):
        """A file with several facts is refused."""
        path = tmp_path / "two.json"
        path.write_text(json.dumps([LATE, EARLY]))
        code, _, err = run(capsys, "explain", LEAVE, str(path))
        assert code == 2
        assert "explain takes one" in err


class TestCheckAndTest:
    def test_check_reports_findings_and_exits_1(self, capsys, tmp_path):
        """Findings print as file:line; warnings alone exit 0, an error exits 1; JSON output lists them."""
        bad = tmp_path / "p.yaml"
        bad.write_text(Path(LEAVE).read_text().replace('    citation: {source: "001", section: "請假制度 3"}\n', "", 1))
        code, out, _ = run(capsys, "check", str(bad))
        assert code == 0
        assert f"{bad}:" in out
        assert "warning [no-citation]" in out
        code, out, _ = run(capsys, "check", str(bad), LEAVE, "--format", "json")
        assert code == 0
        assert json.loads(out)["checked"] == 2
        bad.write_text(Path(LEAVE).read_text().replace("    title: {en: Short", "    titel: {en: Short"))
        code, out, _ = run(capsys, "check", str(bad))
        assert code == 1
        assert "error [invalid]" in out
        assert run(capsys, "check", LEAVE)[0] == 0

    def test_test_summary_and_failure(self, capsys, tmp_path):
        """test prints N passed, N failed and exits 1 when an example fails."""
        code, out, _ = run(capsys, "test", str(DATA))
        assert code == 0
        assert out.strip().endswith("10 passed, 0 failed")
        broken = tmp_path / "leave.yaml"
        broken.write_text(Path(LEAVE).read_text().replace("expect: [violation:ATT-1]", "expect: []"))
        code, out, _ = run(capsys, "test", str(broken))
        assert code == 1
        assert "FAIL cli-leave/personal-notice#1 (same day)" in out
        assert out.strip().endswith("5 passed, 1 failed")


class TestDocuments:
    def test_docs_writes_markdown_and_html(self, capsys, tmp_path):
        """docs writes NAME.md and NAME.html with the date asked for."""
        code, _out, _ = run(capsys, "docs", LEAVE, "--out", str(tmp_path), "--date", "2026-02-03", "--lang", "zh")
        assert code == 0
        md = (tmp_path / "cli-leave.md").read_text()
        assert "2026-02-03" in md
        assert "当假别等于" in md
        assert "When the leave" not in md
        assert (tmp_path / "cli-leave.html").read_text().startswith("<!DOCTYPE html>")

    def test_diff_exit_status(self, capsys, tmp_path):
        """diff exits 0 for equal versions and 1 for different ones, listing the change."""
        assert run(capsys, "diff", LEAVE, LEAVE)[0] == 0
        changed = tmp_path / "leave.yaml"
        changed.write_text(Path(LEAVE).read_text().replace("default: 1d", "default: 2d"))
        code, out, _ = run(capsys, "diff", LEAVE, str(changed))
        assert code == 1
        assert "| cli-leave | notice | default | 1d | 2d |" in out
        code, out, _ = run(capsys, "diff", LEAVE, str(changed), "--format", "html", "--out", str(tmp_path / "d.html"))
        assert code == 1
        assert "<table" in (tmp_path / "d.html").read_text()

    def test_schema(self, capsys):
        """schema prints the policy JSON Schema."""
        code, out, _ = run(capsys, "schema")
        assert code == 0
        assert json.loads(out)["$schema"].startswith("https://json-schema.org/")

    def test_demo_over_packs(self, capsys, tmp_path, monkeypatch):
        """demo judges each pack's worked examples, explains briefly and writes the docs."""
        from csrules import load_policy

        pack = SimpleNamespace(
            name="mini", title={"en": "Mini", "zh": "迷你"}, version="1", policies=(load_policy(LEAVE),)
        )
        monkeypatch.setattr(documents, "pack_infos", lambda: [SimpleNamespace(name="mini")])
        monkeypatch.setattr("csrules._cli._common.load_pack_named", lambda name: pack)
        code, out, _ = run(capsys, "demo", "--out", str(tmp_path), "--date", "2026-01-01")
        assert code == 0
        assert "cli-leave/personal-notice#1: violation [violation:ATT-1, approval:department_head]" in out
        assert "applies: ✓ the leave is “personal”" in out
        assert (tmp_path / "mini.md").exists()
        assert (tmp_path / "mini.html").exists()

    def test_demo_without_packs(self, capsys, monkeypatch):
        """With no packs installed, demo says so and succeeds."""
        monkeypatch.setattr(documents, "pack_infos", list)
        code, out, _ = run(capsys, "demo")
        assert code == 0
        assert "no built-in packs" in out


def test_every_command_has_help_with_an_example(capsys):
    """--help on every command ends with examples."""
    for command in ("eval", "explain", "check", "test", "docs", "diff", "schema", "packs", "demo"):
        with pytest.raises(SystemExit) as exit_:
            cli.main([command, "--help"])
        assert exit_.value.code == 0
        assert "example" in capsys.readouterr().out


def test_usage_errors_are_one_line(capsys):
    """A bad option is one line on stderr and exit 2."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["eval", "--bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "see csrules eval --help" in err
