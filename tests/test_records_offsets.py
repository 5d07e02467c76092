"""One decision at one instant has one record id, whatever offset ``now`` and the fact were written with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from csrules._engine.record import decision_line
from csrules.exceptions import RecordError
from csrules.policies import load_pack
from csrules.records import DecisionRecord


def _example() -> tuple[object, object, str]:
    """The first worked example of the call-centre leave policy with a ``now``."""
    leave = load_pack("call_centre").policy("leave")
    example = next(e for rule in leave.rules for e in rule.examples if e.fact is not None and e.now is not None)
    return example.fact, example.now, leave.fact_type


class TestRecordOffsets:
    """``now`` at +08:00, in UTC and at -05:00."""

    def test_same_instant_same_id(self) -> None:
        """The record ids agree; each record keeps the offset it was given."""
        engine = load_pack("call_centre").engine()
        fact, now, fact_type = _example()
        assert now is not None
        records = [engine.evaluate(fact, now=now.astimezone(zone), fact_type=fact_type).record()  # type: ignore[attr-defined]
                   for zone in (timezone(timedelta(hours=8)), UTC, timezone(timedelta(hours=-5)))]
        assert len({r.id for r in records}) == 1
        assert [r.now.utcoffset() for r in records if r.now] == [timedelta(hours=8), timedelta(0), timedelta(hours=-5)]

    def test_logged_line_equals_the_record(self) -> None:
        """The logging fast path writes the record's own line, offset and id included."""
        engine = load_pack("call_centre").engine()
        fact, now, fact_type = _example()
        for zone in (timezone(timedelta(hours=8)), UTC):
            decision = engine.evaluate(fact, now=now.astimezone(zone), fact_type=fact_type)  # type: ignore[attr-defined]
            line = decision_line(decision)
            assert line.json == decision.record().to_json()
            assert DecisionRecord.model_validate_json(line.json).id == line.id


EAST = timezone(timedelta(hours=8))
LEAVE_EAST = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
              "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00",
              "requested_by": "A01"}
LEAVE_UTC = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T00:30:00Z",
             "end": "2026-03-02T08:30:00Z", "requested_at": "2026-03-01T12:00:00Z", "requested_by": "A01"}
LOGGED_BEFORE = (  # a record as logs kept it before the fact's times were hashed as instants
    '{"schema_version":1,"id":"rec-05f5f5cf9d8cf0b92d37ede09605742d","now":"2026-03-01T20:00:00'
    '+08:00","kind":"decision","fact_type":"leave_request","subject":"A01","fact":{"agent_id":"'
    'A01","kind":"personal","start":"2026-03-02T08:30:00+08:00","end":"2026-03-02T16:30:00+08:0'
    '0","requested_at":"2026-03-01T20:00:00+08:00","requested_by":"A01","shift_start":"2026-03-'
    '02T08:30:00+08:00","submitted_to":null,"requester_role":"agent","certificate":false,"certi'
    'ficate_continuous":true,"certificate_handed_at":null,"emergency":false,"phoned_shift_lead_'
    'at":null,"night_shift":false,"on_holiday":false,"on_swapped_shift":false,"manager_approved'
    '":false,"approver":null,"days":1.0,"full_day_minutes":480,"time_zone":"Asia/Shanghai","in_'
    'person":true,"requested_clock":"20:00:00","request_lead_days":1,"returned_at":"2026-03-02T'
    '16:30:00+08:00","first_day_back":"2026-03-03T00:00:00+08:00"},"policies":[{"id":"call_cent'
    're.leave","version":"1.0","content_hash":"sha256:e60e072583c43306cae1bc6734149d73091422483'
    '6ed0364662288e437ee16a8","params":{"personal_notice":"1d","special_notice":"1h","head_max_'
    'days":1.0,"sick_certificate_days":1.0,"certificate_hand_in":"1d","night_request_deadline":'
    '"12:00","holiday_notice":"2d"}}],"pack":{"name":"call_centre","version":"1.0","overrides":'
    '{},"bound":{"roles":"d65faf83e071a9f3"}},"outcome":"violation","matches":[["call_centre.le'
    'ave","ATT-1.personal-notice"],["call_centre.leave","ATT-1.late-approval"],["call_centre.le'
    'ave","ATT-2.department-head"]],"effects":[{"type":"violation","policy":"call_centre.leave"'
    ',"rule":"ATT-1.personal-notice","code":"ATT-1","severity":"major","message":{"en":"persona'
    'l leave requested less than 1 day ahead","zh":"一般事假未提前1天提出"},"consequence":{"en":"counts a'
    's absence without leave (曠工) unless a manager approves","zh":"未經管理人員批准按曠工處理"}},{"type":"ap'
    'proval","policy":"call_centre.leave","rule":"ATT-1.late-approval","role":"department_head"'
    ',"rules":["ATT-1.late-approval","ATT-2.department-head"],"reason":{"en":"late notice is va'
    'lid only with a manager\'s approval","zh":"不能提前請假需經管理人員批准方可生效"}}],"errors":[]}'
)


class TestFactOffsets:
    """The fact's times, written at +08:00 or in UTC, are one fact: one decision, one id."""

    @pytest.mark.parametrize("now", [datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 1, 20, tzinfo=EAST)])
    def test_same_instants_same_id(self, now: datetime) -> None:
        """Both paths give one id for both writings; each record keeps the fact as it was given."""
        engine = load_pack("call_centre").engine()
        decisions = [engine.evaluate(fact, now=now, fact_type="leave_request") for fact in (LEAVE_EAST, LEAVE_UTC)]
        records = [decision.record() for decision in decisions]
        lines = [decision_line(decision) for decision in decisions]
        assert records[0].id == records[1].id
        assert [line.json for line in lines] == [record.to_json() for record in records]
        assert [line.id for line in lines] == [record.id for record in records]
        assert [record.fact["start"] for record in records if record.fact] == [LEAVE_EAST["start"], LEAVE_UTC["start"]]

    def test_other_instant_other_id(self) -> None:
        """A fact time an hour later is another fact: another id."""
        engine = load_pack("call_centre").engine()
        now = datetime(2026, 3, 1, 12, tzinfo=UTC)
        later = {**LEAVE_EAST, "start": "2026-03-02T09:30:00+08:00"}
        ids = {engine.evaluate(fact, now=now, fact_type="leave_request").record().id for fact in (LEAVE_EAST, later)}
        assert len(ids) == 2

    def test_record_logged_before_still_reads(self) -> None:
        """A record whose id was taken from its fact's times as written reads back whole."""
        record = DecisionRecord.model_validate_json(LOGGED_BEFORE)
        assert record.to_json() == LOGGED_BEFORE
        assert record.id == json.loads(LOGGED_BEFORE)["id"]

    def test_record_logged_before_still_refused_when_edited(self) -> None:
        """Such a record edited after it was written is still refused."""
        edited = LOGGED_BEFORE.replace('"start":"2026-03-02T08:30:00+08:00"', '"start":"2026-03-02T09:30:00+08:00"')
        with pytest.raises(RecordError, match="does not match the record's content"):
            DecisionRecord.model_validate_json(edited)
