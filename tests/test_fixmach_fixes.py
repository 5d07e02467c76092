"""Regression tests: a pack's time zone read by conditions naming none, impact over failed
rules and rotated logs, decision logs shared by threads, read while rotating and forked,
and the words of a daily window."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from csrules import Engine, Policy
from csrules._docs import langs_for, render_docs
from csrules._docs.subject import subject_from_pack, subject_from_policies
from csrules.policies import load_pack
from csrules.records import HistoricalFact, JsonlLog, SQLiteLog, history, impact, measure_impact, read_log

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")

NOON_RULE = {"kind": "time_of_day", "path": "requested_at", "op": ">=", "time": "12:00", "day_of": "start"}


def leave_policy(when: dict[str, Any], **extra: Any) -> Policy:
    """A one-rule leave policy whose rule H-1 is a violation when ``when`` holds."""
    return Policy.model_validate({
        "id": "x.leave", "version": "1", "title": {"en": "l", "zh": "l"}, "fact_type": "leave_request",
        "rules": [{"id": "H-1", "title": {"en": "h", "zh": "h"}, "when": when,
                   "then": [{"type": "violation", "code": "H-1", "message": {"en": "m", "zh": "m"}}]}],
        **extra})


def leave(start: datetime, asked: datetime, agent: str = "A01") -> dict[str, Any]:
    """A personal leave request of one shift from ``start``, asked at ``asked``."""
    return {"agent_id": agent, "kind": "personal", "requested_by": agent, "requested_at": asked.isoformat(),
            "start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()}


def london_pack(folder: Path) -> Path:
    """A pack in Europe/London whose one rule reads 12:00 on the day leave starts."""
    (folder / "pack.yaml").write_text(
        "name: london_desk\ntitle: {en: London desk, zh: 伦敦客服}\nversion: '1'\n"
        "timezone: Europe/London\npolicies: [leave.yaml]\n", encoding="utf-8")
    (folder / "README.md").write_text("# London desk\n", encoding="utf-8")
    roles = "roles:\n  - {id: desk_lead, title: {en: Desk lead, zh: 组长}}\n"
    (folder / "roles.yaml").write_text(roles, encoding="utf-8")
    (folder / "leave.yaml").write_text(
        "id: london_desk.leave\nversion: '1'\ntitle: {en: Leave, zh: 请假}\nfact_type: leave_request\nrules:\n"
        "  - id: L-1\n    title: {en: Leave asked before noon, zh: 十二点前请假}\n"
        "    when: {kind: time_of_day, path: requested_at, op: '>=', time: '12:00', day_of: start}\n"
        "    then:\n      - {type: violation, code: L-1, message: {en: asked after noon, zh: 十二点后请假}}\n",
        encoding="utf-8")
    return folder


class TestPackZone:
    """A pack's (or policy's) timezone is the zone of conditions that name none."""

    def test_london_pack_reads_noon_in_london(self, tmp_path: Path) -> None:
        """A London pack's 12:00 is London noon: asked at 05:00 London is in time, 12:30 is late."""
        engine = load_pack(london_pack(tmp_path)).engine()
        start = datetime(2026, 3, 5, 9, tzinfo=LONDON)
        early, late = datetime(2026, 3, 5, 5, tzinfo=LONDON), datetime(2026, 3, 5, 12, 30, tzinfo=LONDON)
        assert engine.evaluate(leave(start, early), now=early, fact_type="leave_request").effect_keys == ()
        assert engine.evaluate(leave(start, late), now=late, fact_type="leave_request").effect_keys == (
            "violation:L-1",)

    def test_document_and_trace_name_the_zone(self, tmp_path: Path) -> None:
        """The pack's document and a decision's trace say the clock is read in Europe/London."""
        pack = load_pack(london_pack(tmp_path))
        markdown = render_docs(subject_from_pack(pack), langs_for("both"), datetime(2026, 12, 4).date()).markdown
        assert "12:00 on the date of leave start (Europe/London time)" in markdown
        assert "Europe/London时间" in markdown
        asked = datetime(2026, 3, 5, 5, tzinfo=LONDON)
        trace = pack.engine().evaluate(leave(asked, asked), now=asked, fact_type="leave_request").trace.render()
        assert "(Europe/London time)" in trace
        assert "cutoff=2026-03-05 12:00:00+00:00" in trace

    def test_policy_timezone_fills_conditions_naming_no_zone(self) -> None:
        """A policy's timezone becomes the tz of its zone-less conditions; a named calendar or tz stays."""
        policy = leave_policy({"kind": "all", "of": [
            NOON_RULE,
            {**NOON_RULE, "tz": "Asia/Tokyo"},
            {"kind": "within_hours", "path": "start", "start": "22:00", "end": "08:00", "calendar": "china"},
            {"kind": "not", "condition": {"kind": "within_hours", "path": "start", "start": "22:00", "end": "08:00"}},
        ]}, timezone="Europe/London")
        noon, tokyo, china, night = policy.rules[0].when.of  # type: ignore[attr-defined]
        zones = (noon.tz, tokyo.tz, china.tz, night.condition.tz)
        assert zones == ("Europe/London", "Asia/Tokyo", None, "Europe/London")

    def test_calendar_window_read_in_policy_zone(self) -> None:
        """A calendar-month window of a zoned policy counts months in that zone, and says so."""
        policy = leave_policy({"kind": "count", "match": {"kind": "compare", "path": "kind", "op": "==",
                                                            "value": "personal"},
                               "at": "start", "window": {"calendar": "month"}, "op": ">=", "value": 3},
                              timezone="Europe/London")
        window = policy.rules[0].when.window  # type: ignore[attr-defined]
        assert window.tz == "Europe/London"
        markdown = render_docs(subject_from_policies([policy]), langs_for("en"), datetime(2026, 12, 4).date())
        assert "in the same calendar month (Europe/London time)" in markdown.markdown

    def test_default_zone_left_unsaid(self) -> None:
        """A policy naming the default zone keeps its conditions as written (same words and hash)."""
        plain, named = leave_policy(NOON_RULE), leave_policy(NOON_RULE, timezone="Asia/Shanghai")
        assert named.rules == plain.rules

    def test_default_zone_pack_unchanged(self) -> None:
        """A pack in the default zone leaves its undated policies as written (no tz added)."""
        pack = load_pack("call_centre")
        assert all(p.timezone is None for p in pack.policies if not p.dated)


class TestImpactRuleErrors:
    """Impact never reads a failed rule as a changed decision."""

    OLD: ClassVar[dict[str, Any]] = {"kind": "compare", "path": "kind", "op": "==", "value": "personal"}
    FAILS: ClassVar[dict[str, Any]] = {
        "kind": "all", "of": [OLD, {"kind": "on_day_off", "path": "start", "calendar": "china"}]}

    def fact(self) -> HistoricalFact:
        """A personal leave on a Saturday of 2035, a year the china calendar does not hold."""
        start = datetime(2035, 3, 3, 8, 30, tzinfo=SHANGHAI)
        now = datetime(2035, 2, 1, 9, tzinfo=SHANGHAI)
        return HistoricalFact("leave_request", leave(start, now), now, "hist:1")

    @pytest.mark.parametrize("sides", [("OLD", "FAILS"), ("FAILS", "OLD")])
    def test_failed_rule_is_a_problem(self, sides: tuple[str, str]) -> None:
        """A rule failing under either side makes the fact a problem naming the rule, not a change."""
        old, new = (Engine([leave_policy(getattr(self, side))]) for side in sides)
        report = measure_impact(old, new, [self.fact()])
        assert (report.facts, report.changed, report.groups) == (0, 0, {})
        assert report.problem_count == 1
        assert "rule x.leave/H-1 failed under" in report.problems[0]
        assert "→ clean" not in report.to_markdown()


def judge_engine() -> Engine:
    """A small engine whose decisions are logged in the log tests."""
    return Engine([leave_policy(TestImpactRuleErrors.OLD)])


def write(log: Any, count: int, first: int = 0) -> None:
    """Log ``count`` decisions, agents numbered from ``first``."""
    engine = judge_engine()
    base = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    for i in range(first, first + count):
        asked = base + timedelta(minutes=i)
        log.write_decision(engine.evaluate(leave(asked + timedelta(days=3), asked, f"A{i:04d}"), now=asked,
                                           fact_type="leave_request"))


def agents(path: Path) -> list[str]:
    """The agents of the records read back from the log at ``path``, in order."""
    return [r.fact["agent_id"] for r in read_log(path)]


class TestRotatedParts:
    """A rotated part named as well as its log is read once."""

    def test_impact_reads_each_part_once(self, tmp_path: Path) -> None:
        """``impact d.jsonl d.jsonl.1 d.jsonl.2`` judges each record once, whatever the order."""
        path = tmp_path / "d.jsonl"
        with JsonlLog(path, max_bytes=4000, batch=1) as log:
            write(log, 12)
        parts = sorted(tmp_path.glob("d.jsonl.[0-9]*"))
        assert len(parts) >= 2
        engine = judge_engine()
        for named in ([path, *parts], [*parts, path], [parts[0], path, parts[0]]):
            assert impact(engine, engine, named).facts == 12
        assert len(list(history([path, *parts]))) == 12


class TestJsonlThreads:
    """Two log objects on one path in one process take turns."""

    def test_second_object_waits_for_the_first(self, tmp_path: Path) -> None:
        """While one log object holds the lock, another on the same path in another thread waits."""
        first, second = JsonlLog(tmp_path / "d.jsonl"), JsonlLog(tmp_path / "sub" / ".." / "d.jsonl")
        (tmp_path / "sub").mkdir()
        entered = threading.Event()

        def take() -> None:
            with second._locked():
                entered.set()

        with first._locked():
            other = threading.Thread(target=take)
            other.start()
            other.join(0.3)
            assert not entered.is_set()
        other.join()
        assert entered.is_set()
        first.close()
        second.close()

    def test_threads_with_own_objects_lose_nothing(self, tmp_path: Path) -> None:
        """Four threads, each with its own rotating log object on one path: every record is kept once."""
        path = tmp_path / "d.jsonl"

        def work(n: int) -> None:
            with JsonlLog(path, max_bytes=3000, batch=2) as log:
                write(log, 40, first=n * 100)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        found = agents(path)
        assert sorted(found) == sorted(f"A{n * 100 + i:04d}" for n in range(4) for i in range(40))


class TestReadWhileRotating:
    """A rotation while a log is read loses no record written before."""

    def test_rotation_after_listing_is_read(self, tmp_path: Path) -> None:
        """Records in the current file when reading began are read after it is rotated away."""
        path = tmp_path / "d.jsonl"
        with JsonlLog(path, max_bytes=1200, batch=1) as log:
            write(log, 4)
        before = agents(path)
        reader = iter(read_log(path))
        seen = [next(reader).fact["agent_id"]]  # the oldest part is being read
        with JsonlLog(path, max_bytes=1200, batch=1) as log:
            write(log, 4, first=100)  # rotates the current file away
        seen += [r.fact["agent_id"] for r in reader]
        assert seen[:len(before)] == before
        assert seen == agents(path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
class TestFork:
    """Records pending at a fork are written once, by the parent."""

    @pytest.mark.parametrize("kind", [JsonlLog, SQLiteLog])
    def test_child_leaves_pending_records_to_parent(self, tmp_path: Path, kind: type[Any]) -> None:
        """A child that flushes writes only its own records; the parent's pending ones once."""
        path = tmp_path / "d.log"
        log = kind(path, batch=100)
        write(log, 3)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                write(log, 1, first=50)
                log.close()
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        log.close()
        assert sorted(agents(path)) == ["A0000", "A0001", "A0002", "A0050"]


class TestWithinHoursWords:
    """A daily window's words say its end is left out."""

    def test_end_is_exclusive_in_every_language(self) -> None:
        """English, Simplified and Traditional Chinese say the window stops before its end."""
        policy = leave_policy({"kind": "within_hours", "path": "start", "start": "22:00", "end": "08:00"})
        subject = subject_from_policies([policy])
        day = datetime(2026, 12, 4).date()
        assert "from 22:00 until before 08:00 local time" in render_docs(subject, langs_for("en"), day).markdown
        assert "22:00（含）至08:00（不含）之间" in render_docs(subject, langs_for("zh"), day).markdown
        traditional = render_docs(subject, langs_for("zh"), day, "traditional").markdown
        assert "22:00（含）至08:00（不含）之間" in traditional
        asked = datetime(2026, 3, 10, 8, tzinfo=SHANGHAI)
        trace = Engine([policy]).evaluate(leave(asked, asked), now=asked, fact_type="leave_request").trace
        assert "from 22:00 until before 08:00" in trace.render()
