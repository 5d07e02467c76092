"""The impact of a policy change on history: a year of leave requests judged under a notice
period of one day and of two, checked against a count made by hand."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from csrules import dump_policy
from csrules._cli.cli import main
from csrules._time.registry import get_calendar
from csrules.policies import load_pack
from csrules.records import JsonlLog, SQLiteLog, count_facts, impact

CST = timezone(timedelta(hours=8))
NOTICE_HOURS = (12, 30, 50, 80)
TUNED = {"leave": {"personal_notice": "2d"}}


def year_of_leave() -> list[tuple[dict[str, Any], datetime]]:
    """365 personal leave requests, one a day through 2026, asked 12, 30, 50 or 80 hours
    ahead in turn; every third one approved by a manager beforehand."""
    out = []
    for day in range(365):
        start = datetime(2026, 1, 1, 8, 30, tzinfo=CST) + timedelta(days=day)
        asked = start - timedelta(hours=NOTICE_HOURS[day % 4])
        fact = {"agent_id": f"A{day % 5:02d}", "kind": "personal", "start": start.isoformat(),
                "end": (start + timedelta(hours=8)).isoformat(), "requested_at": asked.isoformat(),
                "requested_by": f"A{day % 5:02d}", "manager_approved": day % 3 == 0}
        out.append((fact, asked))
    return out


def hand_count() -> int:
    """Requests a two-day notice catches and a one-day notice does not: asked at least one
    day but less than two ahead, not approved by a manager, for a day that is no public
    holiday (a holiday's notice is ATT-6's, read from the china calendar)."""
    china = get_calendar("china")
    return sum(1 for day in range(365) if 24 <= NOTICE_HOURS[day % 4] < 48 and day % 3 != 0
               and not china.is_holiday(date(2026, 1, 1) + timedelta(days=day)))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The year decided under the stock pack, logged to SQLite."""
    return log_year(tmp_path_factory.mktemp("impact") / "decisions.db")


def log_year(path: Path) -> Path:
    """``path``: a SQLite log of the year decided under the stock call-centre pack."""
    with SQLiteLog(path) as log:
        engine = load_pack("call_centre").engine().with_log(log)
        for fact, now in year_of_leave():
            engine.evaluate(fact, now=now, fact_type="leave_request")
    return path


class TestApi:
    """impact() from Python."""

    def test_exactly_the_flipped_requests(self, history: Path) -> None:
        """A two-day notice makes exactly the hand-counted requests newly violating ATT-1."""
        report = impact(load_pack("call_centre"), load_pack("call_centre", overrides=TUNED), [history])
        assert hand_count() == 54  # 61 days, less the 7 public holidays ATT-6 governs
        assert report.facts == 365
        assert report.problem_count == 0
        assert report.changed == hand_count()
        assert [(g.rule, g.direction, g.count) for g in report.sorted_groups()] == [
            ("ATT-1.personal-notice", "newly violating", hand_count()),
            ("ATT-1.late-approval", "newly needs approval", hand_count())]  # it asks the head for the late leave
        group = report.sorted_groups()[0]
        assert len(group.examples) == 3
        assert all(e.after == ("violation:ATT-1", "approval:department_head") for e in group.examples)
        assert all(e.before == ("approval:department_head",) for e in group.examples)  # ATT-2 alone

    def test_reverse_is_no_longer_violating(self, history: Path) -> None:
        """Going back from two days to one gives the same requests, the other direction."""
        report = impact(load_pack("call_centre", overrides=TUNED), "call_centre", [history])
        assert report.count("no longer violating", "ATT-1.personal-notice") == hand_count()
        assert report.count("no longer needs approval", "ATT-1.late-approval") == hand_count()
        assert report.count("approver changed") == 0
        assert report.other_content == 365  # the records were made under the stock pack

    def test_records_in_memory(self, history: Path) -> None:
        """Records given as objects work as a log does."""
        from csrules.records import read_log

        report = impact("call_centre", load_pack("call_centre", overrides=TUNED), read_log(history))
        assert report.changed == hand_count()

    def test_approver_changed(self, history: Path) -> None:
        """A new first-level approver shows, rule by rule, as the director's rule newly asking for an
        approval and the head's no longer asking, not as a violation nor as one rule's approver changed."""
        report = impact("call_centre", load_pack("call_centre", overrides={"leave": {"head_max_days": 0.5}}),
                        [history])
        assert [(g.rule, g.direction) for g in report.sorted_groups()] == [
            ("ATT-2.centre-director", "newly needs approval"), ("ATT-2.department-head", "no longer needs approval")]
        assert report.count("newly needs approval") == report.count("no longer needs approval") == report.facts

    def test_no_change(self, history: Path) -> None:
        """The same pack on both sides changes nothing."""
        report = impact("call_centre", "call_centre", [history])
        assert report.changed == 0
        assert not report.groups
        assert "No decision changes." in report.to_markdown()


class TestFactsFiles:
    """Plain facts, bad lines and progress."""

    def test_plain_facts_at_now(self, tmp_path: Path) -> None:
        """A JSON Lines file of facts is judged at the now given; a bad line is listed with file:line."""
        path = tmp_path / "facts.jsonl"
        lines = [json.dumps(fact) for fact, _ in year_of_leave()[:8]]
        lines.insert(3, "{not json")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = impact("call_centre", load_pack("call_centre", overrides=TUNED), [path],
                        now=datetime(2026, 1, 1, tzinfo=CST), fact_type="leave_request")
        assert report.facts == 8
        assert report.problem_count == 1
        assert report.problems[0].startswith(f"{path}:4: not JSON")

    def test_progress_called_for_every_fact(self, history: Path) -> None:
        """The progress callback hears of every fact, with the changes so far."""
        seen: list[tuple[int, int]] = []
        report = impact("call_centre", load_pack("call_centre", overrides=TUNED), [history],
                        progress=lambda count, changed: seen.append((count, changed)))
        assert [count for count, _ in seen] == list(range(365))
        assert seen[-1][1] <= report.changed == hand_count()

    def test_count_facts(self, history: Path, tmp_path: Path) -> None:
        """count_facts gives the size of logs and fact files, for the bar's share."""
        path = tmp_path / "facts.jsonl"
        path.write_text("{}\n{}\n", encoding="utf-8")
        assert count_facts([history, path]) == 367


class TestReports:
    """Markdown, HTML and the command."""

    def test_markdown_and_html(self, history: Path) -> None:
        """Markdown lists the group with its count; the HTML is self-contained with an SVG chart."""
        report = impact("call_centre", load_pack("call_centre", overrides=TUNED), [history])
        markdown = report.to_markdown()
        assert f"| `ATT-1.personal-notice` | newly violating | {hand_count()} |" in markdown
        page = report.to_html()
        assert "<svg" in page
        assert "<script" not in page
        assert "<link" not in page
        assert "http" not in page.replace("http://www.w3.org/2000/svg", "")

    def test_cli_with_policy_files(self, tmp_path: Path, history: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules impact OLD NEW RECORDS on policy files writes both reports and exits 1 on changes."""
        leave = load_pack("call_centre").policy("leave")
        old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
        old.write_text(dump_policy(leave), encoding="utf-8")
        new.write_text(dump_policy(leave.with_params(personal_notice="2d")), encoding="utf-8")
        log = tmp_path / "year.jsonl"
        with JsonlLog(log) as sink:
            for record in __import__("csrules.records", fromlist=["read_log"]).read_log(history):
                sink.write(record)
        out = tmp_path / "out"
        code = main(["impact", str(old), str(new), str(log), "-o", str(out), "--json"])
        data = json.loads(capsys.readouterr().out)
        assert code == 1
        assert data["changed"] == hand_count()
        assert data["other_content"] == 0
        assert (out / "impact.md").read_text(encoding="utf-8").startswith("# Impact of")
        assert "<svg" in (out / "impact.html").read_text(encoding="utf-8")

    def test_cli_no_change_exits_0(self, tmp_path: Path, history: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """No change: exit 0, the Markdown printed; stderr, not a terminal, shows no progress."""
        assert main(["impact", "call_centre", "call_centre", str(history), "-o", str(tmp_path)]) == 0
        printed = capsys.readouterr()
        assert "No decision changes." in printed.out
        assert printed.err == ""

    def test_cli_missing_records(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A records file that does not exist is a one-line error naming it, exit 2."""
        assert main(["impact", "call_centre", "call_centre", str(tmp_path / "none.db"), "-o", str(tmp_path)]) == 2
        assert "none.db" in capsys.readouterr().err

    def test_cli_unknown_pack(self, tmp_path: Path, history: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An OLD that is neither a file nor a pack is a one-line error listing the packs, exit 2."""
        assert main(["impact", "no_such_pack", "call_centre", str(history), "-o", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "unknown pack 'no_such_pack'" in err
        assert "call_centre" in err
