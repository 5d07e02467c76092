"""Regression tests for wrong answers found in review (sessions and records lane)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from csrules._engine import engine as engine_module
from csrules._engine import record as record_module
from csrules._sessions.state import seal
from csrules.domain.complaint import ComplaintStep
from csrules.exceptions import RecordError, SessionError, TimeError
from csrules.policies import load_pack
from csrules.records import DecisionRecord, JsonlLog, impact
from csrules.sessions import SQLiteStore

CHINA = timezone(timedelta(hours=8))
OFFSETS = [8, 0, -5]


def _written_in(instant: datetime, hours: int) -> datetime:
    """``instant`` written with the offset ``hours``."""
    return instant.astimezone(timezone(timedelta(hours=hours)))


def _order(opened: datetime) -> dict[str, str]:
    """A work order opened at ``opened``, written in its offset."""
    return {"order_id": "W1", "opened_at": opened.isoformat(), "first_handler": "A01", "owner": "A01"}


class TestSessionTimesInTheFactZone:
    """Times a session shows are written in the fact's zone, not in the offset of an event or now."""

    @pytest.mark.parametrize("hours", OFFSETS)
    def test_deadline_firing_due_written_alike(self, hours: int) -> None:
        """One stream written in +08:00, Z or -05:00 shows its firing and obligation due times alike."""
        engine = load_pack("call_centre").sessions(backend="python")
        opened = _written_in(datetime(2026, 3, 2, 9, tzinfo=CHINA), hours)
        engine.send("desk-1", _order(opened), fact_type="work_order", now=opened)
        result = engine.tick("desk-1", _written_in(datetime(2026, 3, 3, 9, 1, tzinfo=CHINA), hours))
        shown = [(f.rule_id, f.due.isoformat() if f.due else None,
                  [e.due.isoformat() for e in f.effects if getattr(e, "due", None) is not None])
                 for f in result.firings]
        assert shown == [("ESC-2.open-shift-lead", "2026-03-03T09:00:00+08:00", ["2026-03-04T09:00:00+08:00"])]

    @pytest.mark.parametrize("hours", OFFSETS)
    def test_lifecycle_due_times_written_alike(self, hours: int) -> None:
        """The complaint lifecycle's reply obligation and its breach show their due time alike in every offset."""
        complaint = load_pack("call_centre").sessions(backend="python").session("complaint-1")
        registered = datetime(2026, 3, 10, 9, tzinfo=CHINA)
        sent = complaint.send(ComplaintStep(event="register", complainant="Ms Li"),
                              now=_written_in(registered, hours))
        breached = complaint.tick(_written_in(registered + timedelta(days=3, hours=1), hours))
        assert [o.due.isoformat() for o in sent.obligations if o.due is not None] == ["2026-03-13T09:00:00+08:00"]
        assert [f.due.isoformat() for f in breached.firings if f.due is not None] == ["2026-03-13T09:00:00+08:00"]

    @pytest.mark.parametrize("hours", OFFSETS)
    def test_clock_in_time_error_written_alike(self, hours: int) -> None:
        """Time going backwards names the session's clock in the policies' zone."""
        engine = load_pack("call_centre").sessions(backend="python")
        opened = datetime(2026, 3, 2, 9, tzinfo=CHINA)
        engine.send("desk-1", _order(opened), fact_type="work_order", now=opened)
        with pytest.raises(TimeError, match=r"clock 2026-03-02T09:00:00\+08:00"):
            engine.tick("desk-1", _written_in(opened - timedelta(hours=1), hours))


def _logged_leave(path: Path, count: int) -> Path:
    """A JSON Lines log of ``count`` leave decisions, some with too little notice."""
    start = datetime(2026, 3, 2, 9, tzinfo=CHINA)
    with JsonlLog(path) as log:
        engine = load_pack("call_centre").engine().with_log(log)
        for i in range(count):
            asked = start - timedelta(hours=10 + 10 * i)
            engine.evaluate({"agent_id": "A01", "kind": "personal", "start": start.isoformat(),
                             "end": (start + timedelta(hours=8)).isoformat(), "requested_at": asked.isoformat(),
                             "requested_by": "A01"}, now=asked, fact_type="leave_request")
    return path


class TestImpactReadsEachRecordOnce:
    """Impact validates a logged fact once for both sides and checks a record's id once."""

    def test_fact_validated_once_for_both_sides(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each logged fact is validated once: the new side judges the model the old side read."""
        log = _logged_leave(tmp_path / "d.jsonl", 4)
        new = load_pack("call_centre", overrides={"leave": {"personal_notice": "2d"}})
        calls: list[object] = []
        real = engine_module.validate_fact

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(args[1])
            return real(*args, **kwargs)

        monkeypatch.setattr(engine_module, "validate_fact", counted)
        report = impact("call_centre", new, [log])
        assert (report.facts, report.changed, len(calls)) == (4, 2, 4)

    def test_record_id_checked_once(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Reading a record from JSON checks its id against its content once, not twice."""
        line = _logged_leave(tmp_path / "d.jsonl", 1).read_text(encoding="utf-8").strip()
        calls: list[str] = []
        real = record_module._content_id  # what every id check of a record runs through

        def counted(record: DecisionRecord, written: str) -> str:
            calls.append(record.id)
            return real(record, written)

        monkeypatch.setattr(record_module, "_content_id", counted)
        parsed = DecisionRecord.model_validate_json(line)
        assert (parsed.to_json(), len(calls)) == (line, 1)

    def test_record_problems_named_as_for_a_dict(self) -> None:
        """A record read from JSON names a wrong field as one read from a dict does."""
        with pytest.raises(RecordError, match=r"fact: Input should be a valid dictionary") as from_json:
            DecisionRecord.model_validate_json('{"schema_version": 1, "id": "rec-0", "fact": [1]}')
        with pytest.raises(RecordError) as from_dict:
            DecisionRecord.model_validate({"schema_version": 1, "id": "rec-0", "fact": [1]})
        assert str(from_json.value) == str(from_dict.value)


class TestSubjectIdWithNul:
    """A subject id holding NUL is refused by name, whatever the store."""

    @pytest.mark.parametrize("store", ["memory", "sqlite"])
    def test_every_call_refuses_it(self, store: str, tmp_path: Path) -> None:
        """send, session, tick and restore refuse a NUL in the id, naming it, and store nothing."""
        chosen = SQLiteStore(tmp_path / "s.db") if store == "sqlite" else None
        engine = load_pack("call_centre").sessions(backend="python", store=chosen)
        opened = datetime(2026, 3, 2, 9, tzinfo=CHINA)
        engine.send("desk-1", _order(opened), fact_type="work_order", now=opened)
        exported = engine.export("desk-1")
        calls = [lambda: engine.send("desk\x001", _order(opened), fact_type="work_order", now=opened),
                 lambda: engine.session("desk\x001"), lambda: engine.tick("desk\x001", opened),
                 lambda: engine.restore(seal({**exported, "subject": "desk\x001"}))]
        for call in calls:
            with pytest.raises(SessionError, match="NUL character"):
                call()
        assert list(engine.store.subjects()) == ["desk-1"]
