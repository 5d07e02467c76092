"""A record's id takes as instants only the values typed as datetimes: text in a fact that reads
like a date-time is text, so two facts with other text get other ids. Records logged when every
offset date-time was hashed as an instant still read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

import csrules._engine.record as record_module
from csrules._engine.record import decision_line
from csrules.exceptions import RecordError
from csrules.policies import load_pack
from csrules.records import DecisionRecord

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
         "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00", "requested_by": "A01"}
EAST_TEXT, UTC_TEXT = "2026-01-01T08:00:00+08:00", "2026-01-01T00:00:00Z"


def decided(text: str) -> Any:
    return load_pack("call_centre").engine().evaluate({**LEAVE, "submitted_to": text}, now=NOW,
                                                      fact_type="leave_request")


def old_id(text: str) -> str:
    """The id the record of ``text`` was given when every JSON string written as an offset
    date-time, text fields too, was hashed as its instant (worked out from the record, as the
    pack's content is part of it)."""
    record = decided(text).record()
    old = record_module._id_of(record_module.hashed_form(record_module._hashed_json(record)))
    assert old != record.id  # the text field is what the two ways hash differently
    return old


class TestTextIsText:
    def test_other_text_other_id(self) -> None:
        """Text fields written as one instant at two offsets are two facts: two ids."""
        records = [decided(text).record() for text in (EAST_TEXT, UTC_TEXT)]
        assert records[0].id != records[1].id
        assert [r.fact["submitted_to"] for r in records if r.fact] == [EAST_TEXT, UTC_TEXT]

    def test_logged_line_gives_the_record_id(self) -> None:
        """The logging fast path writes the record's own line and id for such a fact."""
        for text in (EAST_TEXT, UTC_TEXT):
            decision = decided(text)
            line = decision_line(decision)
            assert line.json == decision.record().to_json()
            assert line.id == decision.record().id
            assert DecisionRecord.model_validate_json(line.json).id == line.id

    def test_instants_still_one_id(self) -> None:
        """The fact's datetimes, written at another offset, still give one id."""
        moved = {**LEAVE, "submitted_to": EAST_TEXT, "start": "2026-03-02T00:30:00Z"}
        engine = load_pack("call_centre").engine()
        ids = {engine.evaluate(fact, now=NOW, fact_type="leave_request").record().id
               for fact in (moved, {**LEAVE, "submitted_to": EAST_TEXT})}
        assert len(ids) == 1


class TestOldIds:
    def test_record_logged_before_reads_back(self) -> None:
        """A record logged with the id that hashed its text as an instant still reads back."""
        written = json.loads(decided(EAST_TEXT).record().to_json())
        written["id"] = old_id(EAST_TEXT)
        text = json.dumps(written, ensure_ascii=False, separators=(",", ":"))
        assert DecisionRecord.model_validate_json(text).id == old_id(EAST_TEXT)

    def test_record_logged_before_refused_when_edited(self) -> None:
        """Edited after it was written, such a record is refused."""
        written = json.loads(decided(EAST_TEXT).record().to_json())
        written["id"] = old_id(EAST_TEXT)
        written["fact"]["submitted_to"] = "2026-01-01T09:00:00+08:00"
        with pytest.raises(RecordError, match="does not match the record's content"):
            DecisionRecord.model_validate_json(json.dumps(written, ensure_ascii=False, separators=(",", ":")))
