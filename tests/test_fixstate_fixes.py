"""Regression tests: session steps and decision logs, replay order, and the time layer's edges."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import csrules
from csrules._engine.record import DecisionRecord
from csrules._sessions import MemoryStore, SessionEngine
from csrules.exceptions import CalendarError, LogWriteError, RecordError, TimeError
from csrules.records import JsonlLog, SQLiteLog, read_log, replay_steps
from csrules.time import BusinessCalendar, Duty, Recurrence, Shift, ShiftPattern, parse_recurrence, registered_time
from tests.company_support import closure_policy
from tests.test_migrate import greet_policy, hello
from tests.test_records_logs import write_records
from tests.test_session_support import ESC2, WorkOrder, at


class _Broken(JsonlLog):
    """A JSON Lines log whose writes fail while ``broken`` is set (a full or lost disk)."""

    broken = True

    def _write(self, records: list[Any]) -> None:
        if self.broken:
            raise OSError("no space left on device")
        super()._write(records)


class _Kept:
    """A decision log of the host's own, keeping the records in memory."""

    def __init__(self) -> None:
        self.records: list[DecisionRecord] = []

    def write(self, record: DecisionRecord) -> None:
        """Keep ``record``."""
        self.records.append(record)


def _greeter(log: Any, store: Any = None) -> SessionEngine:
    return SessionEngine([greet_policy(), csrules.Policy(**ESC2)], backend="python",
                         store=store if store is not None else MemoryStore(), log=log)


class TestCommittedStepsReachTheCaller:
    """A session step whose log write fails is committed, so it is returned, never raised."""

    def test_send_returns_the_committed_result(self, tmp_path: Path) -> None:
        """A failed log write leaves the send's result (with the error) and counts the event once."""
        log = _Broken(tmp_path / "steps.jsonl", batch=1)
        engine = _greeter(log)
        with pytest.warns(RuntimeWarning, match="is committed: do not repeat it"):
            result = engine.send("s", hello(2))
        assert isinstance(result.log_error, LogWriteError)
        assert engine.session("s").state["seq"] == 1
        assert log.pending == 1  # kept for the next flush
        log.broken = False
        log.close()
        assert [r.subject for r in read_log(tmp_path / "steps.jsonl")] == ["s"]

    def test_tick_due_returns_every_committed_tick(self, tmp_path: Path) -> None:
        """tick_due hands back every subject's escalation although the log fails on the first."""
        store = MemoryStore()
        plain = _greeter(None, store)
        for n in range(3):
            plain.send(f"wo-{n}", WorkOrder(order_id=f"o{n}", status="open", opened_at=at(3)), now=at(3))
        log = _Broken(tmp_path / "steps.jsonl", batch=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            due = _greeter(log, store).tick_due(at(4, 10))
        assert sorted(due) == ["wo-0", "wo-1", "wo-2"]
        assert all(r.effect_keys == ("escalation:shift_lead",) and r.log_error for r in due.values())
        assert log.pending == 3
        log.broken = False
        log.close()

    def test_host_log_failing_any_way(self) -> None:
        """A host's own log raising any error still hands back the committed event."""
        class Failing(_Kept):
            def write(self, record: DecisionRecord) -> None:
                raise RuntimeError("queue full")

        engine = _greeter(Failing())
        with pytest.warns(RuntimeWarning, match="RuntimeError: queue full"):
            result = engine.send("s", hello(2))
        assert result.log_error is not None
        assert engine.session("s").state["seq"] == 1

    def test_closed_log_refused_before_the_commit(self, tmp_path: Path) -> None:
        """A send or tick whose log is closed raises and leaves the session as it was."""
        log = JsonlLog(tmp_path / "steps.jsonl")
        engine = _greeter(log)
        engine.send("s", hello(2))
        log.close()
        with pytest.raises(LogWriteError, match="it is closed: nothing was done"):
            engine.send("s", hello(3))
        with pytest.raises(LogWriteError, match="it is closed"):
            engine.tick("s", at(5))
        with pytest.raises(LogWriteError, match="it is closed"):
            engine.tick_due(at(5))
        assert engine.session("s").state["seq"] == 1
        assert engine.session("s").state["clock"] is None


class TestReplayStepsOrder:
    """A subject's steps replay in committed order, whatever order a shared log holds them in."""

    def test_blocks_written_out_of_order_replay_identically(self) -> None:
        """Two writers' batches landing block-wise in one log still replay identically."""
        kept = _Kept()
        engine = _greeter(kept)
        for day in range(2, 10):
            engine.send("shared", hello(day))
            engine.send("other", hello(day))
        engine.tick("shared", at(12))
        records = kept.records
        assert [r.seq for r in records if r.subject == "shared"] == [1, 2, 3, 4, 5, 6, 7, 8, 8]
        shuffled = records[8:] + records[:8]  # the second writer's batch first
        results = list(replay_steps(shuffled, _greeter(None)))
        assert [r.status for r in results] == ["identical"] * len(records)

    def test_a_missing_event_is_refused(self) -> None:
        """A subject whose log lacks one of its events raises RecordError naming it."""
        kept = _Kept()
        engine = _greeter(kept)
        for day in range(2, 6):
            engine.send("s", hello(day))
        with pytest.raises(RecordError, match=r"subject 's' cannot be replayed: event 2 is missing"):
            list(replay_steps([kept.records[0], *kept.records[2:]], _greeter(None)))
        with pytest.raises(RecordError, match=r"event 1 appears twice"):
            list(replay_steps([kept.records[0], *kept.records], _greeter(None)))


class TestJsonlLogOnDatabase:
    """A JSON Lines log never appends to a SQLite database, where its lines would be lost."""

    def test_refused_when_opened(self, tmp_path: Path) -> None:
        """JsonlLog on an existing SQLite decision log raises LogWriteError naming the file."""
        path = tmp_path / "decisions.db"
        with SQLiteLog(path) as log:
            write_records(log, 2)
        with pytest.raises(LogWriteError, match=r"decisions.db: the file is a SQLite database"):
            JsonlLog(path)
        assert len(list(read_log(path))) == 2

    def test_refused_when_the_file_becomes_one(self, tmp_path: Path) -> None:
        """A database made at the path after the log was opened is refused, records kept pending."""
        path = tmp_path / "decisions.db"
        log = JsonlLog(path, batch=1000)
        write_records(log, 2)
        with SQLiteLog(path) as other:
            write_records(other, 1)
        with pytest.raises(LogWriteError, match=r"2 record\(s\) not written .*SQLite database"):
            log.flush()
        assert log.pending == 2
        log._pending.clear()  # what a host would move elsewhere; nothing left for exit
        log.close()


_SHANGHAI = ZoneInfo("Asia/Shanghai")


def _duty(recurrence: Any) -> Duty:
    return Duty(owner="team_lead", title={"en": "Report", "zh": "报告"}, recurrence=recurrence)


class TestWeekdayAfterDay:
    """"The Friday after the Nth" is due once a month, in the next month when the month runs out."""

    def test_every_month_has_its_due_date(self) -> None:
        """April 2026's Friday after the 24th is 1 May: next_due and is_overdue see it."""
        duty = _duty("monthly on the Friday after the 24th")
        assert duty.next_due(datetime(2026, 3, 28, tzinfo=_SHANGHAI)).date() == date(2026, 5, 1)
        assert duty.is_overdue(datetime(2026, 3, 20, tzinfo=_SHANGHAI), datetime(2026, 5, 2, tzinfo=_SHANGHAI))
        dues = duty.occurrences(datetime(2026, 1, 1, tzinfo=_SHANGHAI), datetime(2028, 1, 1, tzinfo=_SHANGHAI))
        anchors = [date(2026 + (m - 1) // 12, (m - 1) % 12 + 1, 24) for m in range(1, 25)]
        assert [d.date() for d in dues] == [a + timedelta(days=(4 - a.weekday() - 1) % 7 + 1) for a in anchors]

    def test_documented_phrase_reads(self) -> None:
        """The module's own "after the 25th" phrase is accepted; after the 31st is after the month's end."""
        assert Recurrence.parse("monthly on the Friday after the 25th").weekday_after == 25
        duty = _duty("monthly on the Friday after the 31st")
        dues = duty.occurrences(datetime(2026, 2, 1, tzinfo=_SHANGHAI), datetime(2026, 4, 1, tzinfo=_SHANGHAI))
        assert [d.date() for d in dues] == [date(2026, 2, 6), date(2026, 3, 6)]  # after 31 Jan, after 28 Feb

    def test_chinese_words(self) -> None:
        """Generated documents say 25日后 for "after the 25th", not a bare weekday."""
        from csrules._docs.words import recurrence_words

        assert recurrence_words(Recurrence.parse("monthly on the Friday after the 25th")) == "每月25日后的周五"

    @pytest.mark.parametrize("phrase", ["monthly on the Friday before the 32nd",
                                        "monthly on the Friday before the 30th",
                                        "monthly on the Friday after the 32nd"])
    def test_days_not_in_every_month_refused(self, phrase: str) -> None:
        """A day no month has, or days before it February lacks, is a CalendarError."""
        with pytest.raises(CalendarError):
            Recurrence.parse(phrase)


class TestLocalClockTimes:
    """Due and shift clock times are local; an aware one is refused, never shifted or dropped."""

    @pytest.mark.parametrize("at", ["10:00Z", "10:00+00:00", time(10, tzinfo=UTC)])
    def test_aware_due_time_refused(self, at: Any) -> None:
        """Recurrence(at=aware) raises CalendarError instead of a due instant one second late."""
        with pytest.raises(CalendarError, match="due times are local clock times, not aware"):
            Recurrence(freq="daily", at=at)

    def test_aware_clock_on_a_shift_refused(self) -> None:
        """ShiftOccurrence.at refuses an aware clock instead of dropping its offset."""
        pattern = ShiftPattern.on_off(timezone="Asia/Shanghai", shifts=[Shift(name="d", start="09:00", end="18:00")],
                                      shift="d", on=1, off=0, anchor=date(2026, 1, 1))
        occurrence = pattern.next_shift(datetime(2026, 1, 5, tzinfo=_SHANGHAI))
        assert occurrence.at(time(12)).hour == 12
        with pytest.raises(TimeError, match="not aware"):
            occurrence.at(time(12, tzinfo=UTC))


class TestEndsOfTheDates:
    """Work at year 1 or 9999 raises TimeError naming the instant, not a bare OverflowError."""

    def test_duty_shift_and_calendar(self) -> None:
        """next_due, is_overdue, next_shift and a wall-clock add name the instant they started from."""
        end, start = datetime(9999, 12, 31, 12, tzinfo=UTC), datetime(1, 1, 1, 12, tzinfo=UTC)
        duty = _duty("monthly by the 22nd")
        pattern = ShiftPattern.on_off(timezone="Asia/Shanghai", shifts=[Shift(name="n", start="22:00", end="06:00")],
                                      shift="n", on=1, off=0, anchor=date(2026, 1, 1))
        calendar = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"})
        calls = {"after 9999-12-31": lambda: duty.next_due(end), "now 0001-01-01": lambda: duty.is_overdue(None, start),
                 "after 9999-12-31T12": lambda: pattern.next_shift(end),
                 "instant 9999-12-31T12": lambda: calendar.add(end, "24h")}
        for named, call in calls.items():
            with pytest.raises(TimeError, match=f"{named}.*too near the ends of the dates"):
                call()


class TestTraditionalScript:
    """Recurrence phrases and weekday names read the same in Traditional and Simplified script."""

    @pytest.mark.parametrize(("traditional", "simple"), [("每週一", "每周一"), ("每月22號", "每月22号"),
                                                         ("每月最後一天", "每月最后一天")])
    def test_phrases(self, traditional: str, simple: str) -> None:
        """A Traditional phrase gives the recurrence its Simplified spelling gives."""
        assert parse_recurrence(traditional).model_copy(update={"text": None}) == \
            parse_recurrence(simple).model_copy(update={"text": None})

    def test_hours_key(self) -> None:
        """A business calendar's hours may name 週一 for Monday."""
        calendar = BusinessCalendar(timezone="Asia/Shanghai", hours={"週一": "09:00-18:00"})
        assert calendar.is_working_day(date(2026, 1, 5))


def _company(root: Path, version: str, closures: str, alias: str = "前台") -> Path:
    """A company pack extending call_centre whose calendar has ``closures`` and whose own
    role is also called ``alias``."""
    root.mkdir()
    (root / "closure.yaml").write_text(closure_policy(calendar="fixstate-office"), encoding="utf-8")
    (root / "roles.yaml").write_text(
        f"roles:\n  - id: front_desk\n    title: {{en: Front desk, zh: 前台}}\n    aliases: [{alias}]\n"
        "    reports_to: shift_lead\n", encoding="utf-8")
    (root / "pack.yaml").write_text(
        f'name: acme\ntitle: {{en: Acme, zh: 阿克米}}\nversion: "{version}"\nextends: call_centre\nroles: roles.yaml\n'
        f"calendar: {{name: fixstate-office, closures: {closures}}}\npolicies: [closure.yaml]\n", encoding="utf-8")
    return root


class TestReplayUnderAChangedPack:
    """A record replayed under another version of its pack, or another calendar, is not re-judged."""

    def test_changed_calendar_or_roles_is_other_policies(self, tmp_path: Path) -> None:
        """A closure dropped from the pack's calendar, or a role's alias changed, gives other_policies naming it."""
        from csrules.policies import load_pack
        from csrules.records import replay

        fact = {"agent_id": "A01", "kind": "personal", "start": "2026-12-24T08:30:00+08:00",
                "end": "2026-12-24T16:30:00+08:00", "requested_at": "2026-12-20T09:00:00+08:00",
                "requested_by": "A01"}
        now = datetime(2026, 12, 20, 9, tzinfo=_SHANGHAI)
        with registered_time():  # the pack's calendar is registered only inside
            record = load_pack(_company(tmp_path / "v1", "1", "[2026-12-24]")).engine().evaluate(
                fact, now=now, fact_type="leave_request").record()
            assert "ACME-1" in record.rule_ids
            result = replay(record, load_pack(_company(tmp_path / "v2", "2", "[]")).engine())
            assert result.status == "other_policies"
            changed = ["acme.closure", "pack acme", "pack acme calendar:fixstate-office"]
            assert [m.id for m in result.policies] == changed
            same = replay(record, load_pack(_company(tmp_path / "v1b", "1", "[2026-12-24]")).engine())
            assert same.status == "identical"
            renamed = replay(record, load_pack(_company(tmp_path / "v1c", "1", "[2026-12-24]", "接待")).engine())
            assert renamed.status == "other_policies"
            assert "pack acme roles" in [m.id for m in renamed.policies]
