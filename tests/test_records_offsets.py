"""One decision at one instant has one record id, whatever offset ``now`` was written with."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from csrules._engine.record import decision_line
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
