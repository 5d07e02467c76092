"""Hostile input to the library and the command line: date-times at the ends of the
calendar, huge values quoted in errors, a pack's other files given as policies, decision
logs that cannot be read, and the clock standing in for ``--now``."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import csrules.policies
from csrules import FactError, PolicyError, RecordError, load_policy, loads_policy
from csrules._cli import _input
from csrules._cli.cli import main
from csrules.policies import load_pack

CALL_CENTRE = Path(csrules.policies.__file__).parent / "call_centre"
LEAVE = CALL_CENTRE / "leave.yaml"
ATTENDANCE = CALL_CENTRE / "attendance.yaml"
FIRST = "0001-01-01T00:00:00+14:00"
LAST = "9999-12-31T23:59:59-12:00"
EAST = timezone(timedelta(hours=14))


def attendance(moment: str) -> dict[str, Any]:
    """An attendance record whose every date-time is ``moment``."""
    return {"agent_id": "A01", "shift_start": moment, "shift_end": moment, "arrived_at": moment}


def leave_example() -> tuple[dict[str, Any], datetime]:
    """The first worked example of the call centre's leave policy: its fact and now."""
    example = load_pack("call_centre").policy("leave").rules[0].examples[0]
    assert example.fact is not None
    assert example.now is not None
    return dict(example.fact), example.now


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``csrules argv`` in this process: exit status, stdout, stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestCalendarEnds:
    """Date-times in the first or last year there is."""

    @pytest.mark.parametrize("moment", [FIRST, LAST])
    @pytest.mark.parametrize("single", [True, False], ids=["one-policy", "pack"])
    def test_fact_is_a_fact_error_naming_fields(self, moment: str, single: bool) -> None:
        """A fact whose times cannot be reckoned in UTC is a FactError naming each field, not an OverflowError."""
        pack = load_pack("call_centre")
        engine = csrules.Engine([pack.policy("attendance")]) if single else pack.engine()
        with pytest.raises(FactError, match="shift_start: a date-time too near the ends of the calendar") as caught:
            engine.evaluate(attendance(moment), now=datetime(2026, 1, 1, tzinfo=UTC), fact_type="attendance_record")
        assert {loc for loc, _ in caught.value.problems} == {"shift_start", "shift_end", "arrived_at"}

    def test_cli_bad_fact_is_located(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """csrules eval reports such a fact as file:line, exit 2, no traceback."""
        facts = tmp_path / "f.jsonl"
        facts.write_text(json.dumps(attendance(LAST)) + "\n", encoding="utf-8")
        code, _, err = cli(capsys, "eval", str(ATTENDANCE), str(facts), "--now", "2026-01-01T00:00:00Z")
        assert code == 2
        assert err.startswith(f"csrules eval: error: {facts}:1: bad fact: ")
        assert "arrived_at: a date-time too near the ends of the calendar" in err

    def test_record_of_such_now_is_a_record_error(self) -> None:
        """A decision made at a now outside UTC's years cannot be recorded: a RecordError, not an OverflowError."""
        fact, _ = leave_example()
        decision = load_pack("call_centre").engine().evaluate(
            fact, now=datetime(1, 1, 1, tzinfo=EAST), fact_type="leave_request")
        with pytest.raises(RecordError, match="outside years 1 to 9999"):
            decision.record()

    @pytest.mark.parametrize("now", [FIRST, LAST])
    def test_cli_now_outside_utc_is_bad_usage(self, capsys: pytest.CaptureFixture[str], now: str) -> None:
        """--now that leaves UTC's years is refused up front."""
        code, _, err = cli(capsys, "eval", str(LEAVE), "/dev/null", "--now", now)
        assert code == 2
        assert err == f"csrules eval: error: --now {now}: in UTC this falls outside years 1 to 9999\n"

    def test_envelope_now_outside_utc_is_a_bad_fact(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """An envelope's own now that leaves UTC's years is a located bad fact."""
        fact, _ = leave_example()
        facts = tmp_path / "f.jsonl"
        facts.write_text(json.dumps({"fact": fact, "now": FIRST}) + "\n", encoding="utf-8")
        code, _, err = cli(capsys, "eval", str(LEAVE), str(facts))
        assert code == 2
        assert f"{facts}:1: bad fact: envelope 'now' '{FIRST}': in UTC this falls outside years 1 to 9999" in err


class TestHugeValues:
    """Errors quote a refused value, never all of it."""

    def test_unknown_fact_field_quoted_short(self) -> None:
        """A megabyte in an unknown fact field gives a short error naming the field and the length."""
        fact, now = leave_example()
        with pytest.raises(FactError) as caught:
            load_pack("call_centre").engine().evaluate(
                {**fact, "note": "x" * 1_000_000}, now=now, fact_type="leave_request")
        assert "note: unknown field (got 'xxx" in str(caught.value)
        assert "(1,000,002 characters)" in str(caught.value)
        assert len(str(caught.value)) < 500

    def test_unknown_policy_key_quoted_short(self) -> None:
        """A policy with a huge unknown key gives a short located error."""
        text = LEAVE.read_text(encoding="utf-8") + "\nnotes: " + "long words " * 20_000 + "\n"
        with pytest.raises(PolicyError, match="notes: unknown field") as caught:
            loads_policy(text, name="leave.yaml")
        assert len(str(caught.value)) < 500


class TestOtherPackFiles:
    """A pack's other files named where a policy file is expected."""

    @pytest.mark.parametrize(
        ("name", "what"),
        [
            ("roles.yaml", "a role catalogue"),
            ("properties.yaml", "a file of properties for csrules verify"),
        ],
    )
    def test_said_for_what_it_is(self, name: str, what: str) -> None:
        """load_policy says which kind of file it was given, in one short line."""
        with pytest.raises(PolicyError, match=f"this is {what}") as caught:
            load_policy(CALL_CENTRE / name)
        assert len(str(caught.value)) < 300

    def test_pack_manifest(self, tmp_path: Path) -> None:
        """A manifest loaded as a policy is named as one, pointing to its directory."""
        path = tmp_path / "manifest.yaml"
        path.write_text("name: mine\nversion: '1'\nextends: call_centre\n", encoding="utf-8")
        with pytest.raises(PolicyError, match=r"manifest\.yaml:1: this is a pack manifest \(pack\.yaml\)"):
            load_policy(path)


class TestImpactProblems:
    """csrules impact given records it cannot read."""

    def test_unreadable_records_listed_and_exit_2(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """Every unreadable line is listed in the report, the first on stderr, and the exit status is 2."""
        records = tmp_path / "history.jsonl"
        records.write_bytes(b"not json at all\n\xff\xfe\n")
        out = tmp_path / "out"
        code, printed, err = cli(capsys, "impact", str(LEAVE), str(LEAVE), str(records), "-o", str(out))
        assert code == 2
        assert "## Facts that could not be read or judged" in printed
        assert f"- {records}:1: not JSON" in printed
        assert f"- {records}:2: " in printed
        assert err.startswith(f"csrules impact: 2 fact(s) could not be read or judged (listed in the report), "
                              f"the first: {records}:1: not JSON")
        assert err.count("\n") == 1
        assert f"{records}:2: " in (out / "impact.html").read_text(encoding="utf-8")


class TestClockStandsInForNow:
    """csrules eval and explain without --now."""

    NOTE = re.compile(r"csrules (\w+): no --now given: judged at (\S+) by the clock \(--now \2 repeats this run\)\n")

    def test_eval_says_the_now_it_used(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """Rules read the clock: the instant used is said on stderr, and giving it as --now repeats the run exactly."""
        fact, _ = leave_example()
        facts = tmp_path / "f.json"
        facts.write_text(json.dumps(fact), encoding="utf-8")
        before = datetime.now(UTC).replace(microsecond=0)
        code, out, err = cli(capsys, "eval", str(LEAVE), str(facts))
        said = self.NOTE.fullmatch(err)
        assert said is not None
        assert said[1] == "eval"
        used = datetime.fromisoformat(said[2])
        assert before <= used <= datetime.now(UTC)
        again = cli(capsys, "eval", str(LEAVE), str(facts), "--now", said[2])
        assert again == (code, out, "")

    def test_explain_says_the_now_it_used(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """explain --format json says the instant too (its JSON has no line for it)."""
        fact, _ = leave_example()
        code, _, err = cli(capsys, "explain", str(LEAVE), json.dumps(fact), "--json")
        said = self.NOTE.fullmatch(err)
        assert said is not None
        assert said[1] == "explain"
        assert code in (0, 1)

    def test_error_stays_one_line(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A run that ends in an error says only the error: one line on stderr."""
        facts = tmp_path / "f.json"
        facts.write_text('{"kind": 1}', encoding="utf-8")
        code, _, err = cli(capsys, "eval", str(LEAVE), str(facts))
        assert code == 2
        assert err.startswith("csrules eval: error: ")
        assert err.count("\n") == 1

    def test_silent_when_no_rule_reads_the_clock(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A target none of whose rules reads the current time says nothing about it."""
        facts = tmp_path / "f.json"
        facts.write_text(json.dumps(attendance("2026-03-10T08:30:00+08:00")), encoding="utf-8")
        _, _, err = cli(capsys, "eval", str(ATTENDANCE), str(facts))
        assert "--now" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
class TestFullDisk:
    """Output written to a full disk."""

    @pytest.mark.parametrize(
        "argv",
        [["schema", "policy"], ["diff", str(ATTENDANCE), str(LEAVE)]],
        ids=["schema", "diff"],
    )
    def test_names_the_file(self, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
        """A write that fails says which file, in one line, exit 2."""
        code, _, err = cli(capsys, *argv, "-o", "/dev/full")
        assert code == 2
        assert err == f"csrules {argv[0]}: error: /dev/full: cannot write: No space left on device\n"


class TestOverlongLines:
    """Fact input with a line far past the record limit (a file without newlines)."""

    @pytest.mark.parametrize("fmt", ["auto", "jsonl"])
    def test_memory_stays_bounded(self, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
        """A 4 MB line over a 1,000-character limit is reported as too large and skipped, read in bounded memory."""
        monkeypatch.setattr(_input, "MAX_RECORD_CHARS", 1000)
        good = json.dumps(attendance("2026-03-10T08:30:00+08:00"))
        raw = io.BytesIO(('{"agent_id": "' + "A" * 4_000_000 + '"}\n' + good + "\n").encode("utf-8"))
        tracemalloc.start()
        try:
            records = list(_input.read_records(_input.Utf8Text(raw, "f.jsonl"), fmt, name="f.jsonl"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 1_000_000
        assert [type(r).__name__ for r in records] == ["BadRecord", "Record"]
        assert records[0].line == 1
        assert records[0].message == "the record is too large (limit 1,000 characters)"
        assert records[1].line == 2


class TestUsage:
    """Options given values that mean nothing: bad usage, exit 2, never silently ignored."""

    @pytest.mark.parametrize(
        ("argv", "said"),
        [
            (["test", str(ATTENDANCE), "--coverage", "--fail-under", "nan"], "--fail-under: must be a percentage"),
            (["test", str(ATTENDANCE), "--coverage", "--fail-under", "-5"], "--fail-under: must be a percentage"),
            (["eval", str(ATTENDANCE), "/dev/null", "--fact-type", ""], "--fact-type: is empty"),
            (["verify", str(ATTENDANCE), "--properties", ""], "--properties: is empty"),
            (["docs", str(ATTENDANCE), "-o", ""], "-o/--out: is empty"),
            (["eval", str(ATTENDANCE), "/dev/null", "--import", ""], "--import: is empty"),
            (["explain", str(ATTENDANCE), ""], "FACT is empty"),
        ],
        ids=["nan-percent", "negative-percent", "fact-type", "properties", "out", "import", "fact"],
    )
    def test_refused(self, capsys: pytest.CaptureFixture[str], argv: list[str], said: str) -> None:
        """The value is refused in one line naming the option."""
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        err = capsys.readouterr().err
        assert code == 2
        assert said in err
        assert err.count("\n") == 1

    def test_import_that_exits(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A module that calls exit() while imported is a located error, not the command's exit status."""
        module = tmp_path / "quits.py"
        module.write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
        code, _, err = cli(capsys, "eval", str(ATTENDANCE), "/dev/null", "--import", str(module))
        assert code == 2
        assert err == f"csrules eval: error: --import {module} failed: it called exit(3) while being imported\n"
