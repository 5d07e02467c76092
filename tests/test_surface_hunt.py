"""What users touch outside the packs answers right: impact reports, the command line's
messages, records and replay."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from csrules import Engine, FactError, Policy, TimeError, register_fact_type, registered_fact_types
from csrules._cli.cli import COMMANDS, main
from csrules._engine.impact import HistoricalFact, measure_impact
from csrules._engine.logs import jsonl_segments
from csrules.policies import load_pack
from csrules.records import DecisionRecord, JsonlLog, SQLiteLog, count_facts, impact, read_log, replay
from tests.test_records_logs import run_session_examples

CST = timezone(timedelta(hours=8))
COMPANY = Path(__file__).resolve().parent.parent / "examples" / "company_pack"


def leave(asked: datetime, hours_ahead: int) -> dict[str, Any]:
    """A personal leave request asked at ``asked`` for a shift ``hours_ahead`` hours later."""
    start = asked + timedelta(hours=hours_ahead)
    return {"agent_id": "A01", "kind": "personal", "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(), "requested_at": asked.isoformat(),
            "requested_by": "A01"}


def facts_file(tmp_path: Path, count: int) -> Path:
    """A JSON Lines file of ``count`` plain leave requests, each asked 30 hours ahead."""
    path = tmp_path / "facts.jsonl"
    asked = datetime(2026, 7, 1, 8, tzinfo=CST)
    path.write_text("".join(json.dumps(leave(asked, 30)) + "\n" for _ in range(count)), encoding="utf-8")
    return path


class TestImpactCounts:
    """The impact summary counts only what it judged, in words that agree with the numbers."""

    def test_facts_that_fail_are_not_counted_as_judged(self, tmp_path: Path) -> None:
        """Facts no engine could judge (no now given) are problems, not facts judged under both."""
        report = impact("call_centre", COMPANY, [facts_file(tmp_path, 3)], fact_type="leave_request")
        assert (report.facts, report.problem_count) == (0, 3)
        assert report.to_markdown().splitlines()[2] == "0 historical facts judged under both; 0 decisions change."

    def test_one_change_is_singular(self, tmp_path: Path) -> None:
        """One changed decision reads '1 decision changes', one problem '1 fact could not be read'."""
        path = facts_file(tmp_path, 1)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("{not json\n")
        report = impact("call_centre", COMPANY, [path], fact_type="leave_request",
                        now=datetime(2026, 7, 1, 8, tzinfo=CST))
        lines = report.to_markdown().splitlines()
        assert lines[2] == "1 historical fact judged under both; 1 decision changes."
        assert lines[3] == "1 fact could not be read or judged (listed below)."


class TestImpactCliWords:
    """csrules impact tells a command-line user the option to use, not the Python keyword."""

    @pytest.mark.parametrize(("extra", "hint"), [
        ((), "use --fact-type NAME"),
        (("--fact-type", "leave_request"), "use --now"),
    ])
    def test_problem_names_the_option(self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      extra: tuple[str, ...], hint: str) -> None:
        """A fact judged without its type or without now names --fact-type or --now, in the report and on stderr."""
        code = main(["impact", "call_centre", str(COMPANY), str(facts_file(tmp_path, 1)),
                     "-o", str(tmp_path / "out"), *extra])
        captured = capsys.readouterr()
        assert code == 2
        written = (tmp_path / "out" / "impact.md").read_text(encoding="utf-8")
        for text in (captured.out, captured.err, written):
            assert hint in text
            assert "pass now=" not in text
            assert "fact_type=" not in text


class TestLogQueryBounds:
    """SQLiteLog.records refuses a bound that names no instant with a csrules error."""

    @pytest.mark.parametrize("bound", [datetime(2026, 7, 1, 9), date(2026, 7, 1)])
    @pytest.mark.parametrize("name", ["since", "until"])
    def test_naive_bound_is_a_time_error(self, tmp_path: Path, name: str, bound: object) -> None:
        """A naive date-time or a plain date as since/until raises TimeError naming the argument."""
        with SQLiteLog(tmp_path / "decisions.db") as log, pytest.raises(TimeError, match=rf"records\({name}=\.\.\.\)"):
            list(log.records(**{name: bound}))

    def test_aware_bound_selects_by_instant(self, tmp_path: Path) -> None:
        """An aware bound in any zone selects the records at or after that instant."""
        engine = load_pack("call_centre").engine()
        asked = datetime(2026, 7, 1, 8, tzinfo=CST)
        with SQLiteLog(tmp_path / "decisions.db") as log:
            engine.with_log(log).evaluate(leave(asked, 30), now=asked, fact_type="leave_request")
            log.flush()
            assert len(list(log.records(since=asked.astimezone(UTC)))) == 1
            assert not list(log.records(since=asked + timedelta(microseconds=1)))


DOCS = Path(__file__).resolve().parent.parent / "docs"


def shown_demo_lines() -> list[tuple[str, str]]:
    """(guide, line) for each line the guides show ``csrules demo`` printing ("..." elides)."""
    quickstart = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    session = quickstart.split("$ csrules demo\n", 1)[1].split("```", 1)[0]
    cli = (DOCS / "cli.md").read_text(encoding="utf-8").split("## csrules demo", 1)[1]
    summary = cli.split("```text\n", 1)[1].split("```", 1)[0]
    return [(guide, line) for guide, text in (("quickstart.md", session), ("cli.md", summary))
            for line in text.splitlines() if line.strip() not in ("", "...")]


class TestDemoAsDocumented:
    """The lines the guides show csrules demo printing are lines it prints."""

    def test_every_shown_line_is_printed(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        """Each shown line matches a printed line, "..." standing for any text (counts included)."""
        monkeypatch.chdir(tmp_path)
        assert main(["demo"]) == 0
        printed = capsys.readouterr().out.splitlines()
        for guide, line in shown_demo_lines():
            pattern = ".*".join(re.escape(part) for part in line.split("..."))
            assert any(re.fullmatch(pattern, out) for out in printed), f"{guide}: {line!r} is not printed"


class TestEnvelopeKeys:
    """An envelope with a key it does not hold is refused naming that key."""

    @pytest.mark.parametrize("extra", ["as_of", "nwo"])
    def test_unknown_envelope_key_is_named(self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           extra: str) -> None:
        """eval refuses {fact, fact_type, <unknown>} as a bad fact at its line, naming the unknown key."""
        asked = datetime(2026, 3, 1, 20, tzinfo=CST)
        path = tmp_path / "facts.jsonl"
        envelope = {"fact": leave(asked, 12), "fact_type": "leave_request", extra: "2026-01-01T00:00:00Z"}
        path.write_text(json.dumps(envelope) + "\n", encoding="utf-8")
        assert main(["eval", "call_centre", str(path), "--now", asked.isoformat()]) == 2
        assert f"facts.jsonl:1: bad fact: envelope: unknown key {extra!r}" in capsys.readouterr().err

    def test_decision_record_is_named_as_such(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A decision log line given to eval is refused as a decision record, pointing to csrules impact."""
        asked = datetime(2026, 3, 1, 20, tzinfo=CST)
        engine = load_pack("call_centre").engine()
        path = tmp_path / "decisions.jsonl"
        record = engine.evaluate(leave(asked, 12), now=asked, fact_type="leave_request").record()
        path.write_text(record.to_json() + "\n", encoding="utf-8")
        argv = ["eval", "call_centre", str(path), "--now", asked.isoformat(), "--fact-type", "leave_request"]
        assert main(argv) == 2
        assert "decisions.jsonl:1: bad fact: a decision record, not a fact: csrules impact" in capsys.readouterr().err


class TestExplainAsOf:
    """csrules explain judges by the versions in force on --as-of, as eval does."""

    def test_explain_takes_as_of(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A July request explained --as-of a June day is judged by the June version (one day's notice)."""
        asked = datetime(2026, 7, 1, 8, tzinfo=CST)
        path = tmp_path / "fact.json"
        path.write_text(json.dumps(leave(asked, 30)), encoding="utf-8")
        argv = ["explain", str(COMPANY), str(path), "--fact-type", "leave_request", "--now", asked.isoformat()]
        assert main(argv) == 1
        assert "policies: call_centre.leave@1.0@2026-07-01" in capsys.readouterr().out
        assert main([*argv, "--as-of", "2026-06-01"]) == 0
        assert "policies: call_centre.leave@1.0\n" in capsys.readouterr().out


class TestImpactOnSessionLogs:
    """Impact says how many session steps it left out instead of reporting no change silently."""

    def test_session_steps_are_counted_and_said(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A sessions log given to impact counts every step as left out, in the report and on stderr."""
        log_path = tmp_path / "sessions.jsonl"
        steps = len(run_session_examples(log_path))
        report = impact("call_centre", COMPANY, [log_path])
        assert (report.facts, report.steps) == (0, steps)
        assert f"{steps} session steps were left out" in report.to_markdown()
        assert report.to_dict()["steps"] == steps
        assert main(["impact", "call_centre", str(COMPANY), str(log_path), "-o", str(tmp_path / "out")]) == 0
        assert f"{steps} session step record(s) left out" in capsys.readouterr().err


class TestSourceDateEpoch:
    """A SOURCE_DATE_EPOCH of whole seconds out of range is called out of range, not 'not whole seconds'."""

    def test_out_of_range_epoch_is_named_so(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
        """csrules docs with a huge SOURCE_DATE_EPOCH exits 2 saying it is out of range."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999")
        assert main(["docs", "call_centre", "-o", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "SOURCE_DATE_EPOCH 99999999999999 is out of range" in err
        assert "whole seconds (got" not in err



class TestExploreOptions:
    """csrules test --explore refuses a count that explores nothing and names --now when it needs one."""

    @pytest.mark.parametrize("count", ["0", "-3"])
    def test_max_examples_below_one_is_bad_usage(self, capsys: pytest.CaptureFixture[str], count: str) -> None:
        """--max-examples 0 or less exits 2 naming the option, instead of exploring one fact."""
        with pytest.raises(SystemExit) as exit_:
            main(["test", "call_centre", "--explore", "--random", "--max-examples", count])
        assert exit_.value.code == 2
        assert "--max-examples: must be 1 or more" in capsys.readouterr().err

    def test_explore_without_now_names_the_option(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Exploring rules that read the clock without --now says to use --now, not the keyword now=."""
        assert main(["test", "call_centre", "--explore"]) == 2
        err = capsys.readouterr().err
        assert "use --now" in err
        assert "now=" not in err


class RepeatedRuleFact(BaseModel):
    """A fact judged by two policies whose rules share an id."""

    a: int


def threshold_policy(policy_id: str, threshold: int) -> Policy:
    """A policy whose rule ``R`` is a violation when ``a`` is over ``threshold``."""
    if "surface_repeated_rule" not in registered_fact_types():
        register_fact_type(RepeatedRuleFact, name="surface_repeated_rule")
    return Policy(id=policy_id, version="1", title="t", fact_type="surface_repeated_rule", rules=[{
        "id": "R", "title": "r", "when": {"kind": "compare", "path": "a", "op": ">", "value": threshold},
        "then": [{"type": "violation", "code": "X", "message": "m"}]}])


class TestImpactRepeatedRuleIds:
    """Impact compares each policy's rule apart, even when two policies use one rule id."""

    def test_violation_moving_between_policies_is_a_change(self) -> None:
        """A violation that moves from policy p1's rule R to policy p2's rule R is reported both ways."""
        old = Engine([threshold_policy("p1", 5), threshold_policy("p2", 100)])
        new = Engine([threshold_policy("p1", 100), threshold_policy("p2", 5)])
        report = measure_impact(old, new, [HistoricalFact("surface_repeated_rule", {"a": 10}, None, "x:1")])
        assert report.changed == 1
        assert report.count("newly violating", "R") == 1
        assert report.count("no longer violating", "R") == 1


def console_session(guide: str, heading: str) -> list[tuple[str, list[str]]]:
    """The ``console`` block under ``heading`` of ``guide`` as (command, lines shown after it)."""
    text = (DOCS / guide).read_text(encoding="utf-8").split(heading, 1)[1]
    block = text.split("```console\n", 1)[1].split("```", 1)[0]
    session: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            session.append((line[2:], []))
        else:
            session[-1][1].append(line)
    return session


def shows(shown: list[str], printed: list[str]) -> bool:
    """True when ``printed`` begins with the ``shown`` lines, in order, "..." standing for any
    text within a line and, alone on a line, for any number of lines."""
    at, skipping = 0, False
    for line in shown:
        if line.strip() == "...":
            skipping = True
            continue
        pattern = ".*".join(re.escape(part) for part in line.split("..."))
        while skipping and at < len(printed) and not re.fullmatch(pattern, printed[at]):
            at += 1
        if at >= len(printed) or not re.fullmatch(pattern, printed[at]):
            return False
        at, skipping = at + 1, False
    return True


class TestQuickstartConsole:
    """The quickstart's command-line session prints what it shows, line by line."""

    def test_session_runs_as_shown(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
        """Each csrules command prints the lines shown under it and exits as echo $? says."""
        monkeypatch.chdir(tmp_path)
        status = None
        for command, shown in console_session("quickstart.md", "## Judge facts from the command line"):
            words = command.split()
            if words[0] == "cat":
                Path(words[1]).write_text("".join(shown), encoding="utf-8")
            elif words[0] == "echo":
                assert shown == [str(status)], command
            else:
                status = main(words[1:])
                assert shows(shown, capsys.readouterr().out.splitlines()), command


class TestTableRules:
    """eval --format table marks a rules column it had to cut."""

    def test_cut_rules_end_in_an_ellipsis(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Two rules too long for the column end in '…', never in a bare partial id such as 'ATT-2.'."""
        asked = datetime(2026, 3, 1, 20, tzinfo=CST)
        path = tmp_path / "facts.jsonl"
        path.write_text(json.dumps(leave(asked, 12)) + "\n", encoding="utf-8")
        argv = ["eval", "call_centre", str(path), "--fact-type", "leave_request", "--now", asked.isoformat(),
                "--format", "table"]
        assert main(argv) == 1
        row = capsys.readouterr().out.splitlines()[1]
        assert "ATT-1.personal-notice,ATT-1… " in row
        assert "ATT-1. " not in row


class TestNowHint:
    """--now without a zone suggests a date-time that --now accepts."""

    @pytest.mark.parametrize("given", ["2026-03-01", "2026-03-01+08:00", "2026-03-01Z"])
    def test_a_day_alone_gets_a_midnight_example(self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 given: str) -> None:
        """A day alone is answered with its midnight plus a zone, an example that works when pasted back."""
        path = facts_file(tmp_path, 1)
        assert main(["eval", "call_centre", str(path), "--fact-type", "leave_request", "--now", given]) == 2
        err = capsys.readouterr().err
        assert "e.g. 2026-03-01T00:00:00+08:00 or 2026-03-01T00:00:00Z" in err
        assert main(["eval", "call_centre", str(path), "--fact-type", "leave_request",
                     "--now", "2026-03-01T00:00:00+08:00"]) == 0


class TestImpactFactType:
    """A fact type neither side judges is refused, not used to skip every fact."""

    def test_api_refuses_unknown_fact_type(self, tmp_path: Path) -> None:
        """impact(fact_type=<misspelt>) raises FactError naming the type and the types judged."""
        with pytest.raises(FactError, match="'leave_requset': neither side judges it"):
            impact("call_centre", COMPANY, [facts_file(tmp_path, 1)], fact_type="leave_requset",
                   now=datetime(2026, 7, 1, 8, tzinfo=CST))

    def test_cli_refuses_unknown_fact_type(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules impact --fact-type <misspelt> exits 2 naming the option, instead of 0 with every fact skipped."""
        argv = ["impact", "call_centre", str(COMPANY), str(facts_file(tmp_path, 1)), "-o", str(tmp_path / "out"),
                "--fact-type", "leave_requset", "--now", "2026-07-01T08:00:00+08:00"]
        assert main(argv) == 2
        assert "error: --fact-type 'leave_requset': neither side judges it" in capsys.readouterr().err


class TestRotatedLogNames:
    """A JSON Lines log whose name holds glob characters rotates and reads back without losing a line."""

    @pytest.mark.parametrize("name", ["decisions[2026].jsonl", "a*b.jsonl"])
    def test_every_record_survives_rotation(self, tmp_path: Path, name: str) -> None:
        """Ten records through a log rotating every few lines all read back, in order, none overwritten."""
        engine = load_pack("call_centre").engine()
        asked = datetime(2026, 7, 1, 8, tzinfo=CST)
        (tmp_path / "aXb.jsonl.1").write_text("not this log's\n", encoding="utf-8")  # a neighbour, not a segment
        (tmp_path / f"{name}.²").write_text("", encoding="utf-8")  # a digit, but not an ASCII number
        path = tmp_path / name
        with JsonlLog(path, max_bytes=3000, batch=1) as log:
            logged = engine.with_log(log)
            ids = [logged.evaluate(leave(asked, 10 + hours), now=asked, fact_type="leave_request").record().id
                   for hours in range(10)]
        assert len(jsonl_segments(path)) > 1
        reader = read_log(path)
        assert [record.id for record in reader] == ids
        assert not reader.problems
        assert count_facts([path]) == 10


class TestSQLiteLogNames:
    """A SQLite log whose file name holds # ? or % reads back whole, and reading opens no other file."""

    @pytest.mark.parametrize("name", ["decisions#1.db", "d?x.db", "dec%41.db"])
    def test_log_reads_back(self, tmp_path: Path, name: str) -> None:
        """read_log and count_facts give the three records written, and create no file of a cut name."""
        engine = load_pack("call_centre").engine()
        asked = datetime(2026, 7, 1, 8, tzinfo=CST)
        path = tmp_path / name
        with SQLiteLog(path) as log:
            logged = engine.with_log(log)
            ids = [logged.evaluate(leave(asked, 10 + hours), now=asked, fact_type="leave_request").record().id
                   for hours in range(3)]
        assert [record.id for record in read_log(path)] == ids
        assert count_facts([path]) == 3
        assert all(p.name.startswith(name) for p in tmp_path.iterdir())  # the log and its -wal, -shm only


class TestReplayTargets:
    """replay takes a pack as impact does, and refuses anything else with a plain message."""

    def test_replay_through_a_pack(self) -> None:
        """A record replayed through the pack it was made with is identical."""
        pack = load_pack("call_centre")
        asked = datetime(2026, 3, 1, 20, tzinfo=CST)
        record = pack.engine().evaluate(leave(asked, 12), now=asked, fact_type="leave_request").record()
        assert replay(record, pack).status == "identical"
        assert replay(record, pack.engine()).status == "identical"

    def test_replay_refuses_a_name(self) -> None:
        """A pack's name is refused with a TypeError saying what replay takes."""
        asked = datetime(2026, 3, 1, 20, tzinfo=CST)
        record = load_pack("call_centre").engine().evaluate(leave(asked, 12), now=asked,
                                                            fact_type="leave_request").record()
        with pytest.raises(TypeError, match="replay\\(\\) takes an Engine, a logging engine or a Pack"):
            replay(record, "call_centre")


class TestRecordInFold:
    """A record made at a time in a zone's repeated hour equals itself read back."""

    @pytest.mark.parametrize("fold", [0, 1])
    def test_round_trip_in_dst_fold(self, fold: int) -> None:
        """New York's 01:30 on 1 November 2026 (either of the two) survives a JSON round trip, id and all."""
        now = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"), fold=fold)
        engine = load_pack("call_centre").engine()
        record = engine.evaluate(leave(datetime(2026, 11, 1, 20, tzinfo=CST), 12), now=now,
                                 fact_type="leave_request").record()
        back = DecisionRecord.model_validate_json(record.to_json())
        assert back == record
        assert record.now == now.astimezone(UTC)
        assert record.now is not None
        assert record.now.utcoffset() == now.utcoffset()


class TestCommandTable:
    """The command-line guide's table of conventions has a row for every command."""

    def test_every_command_has_a_row(self) -> None:
        """The first word of each row's command cell, together, is csrules' list of commands."""
        rows = re.findall(r"^\| `(\w+)", (DOCS / "cli.md").read_text(encoding="utf-8"), flags=re.MULTILINE)
        assert sorted(rows) == sorted(COMMANDS)
