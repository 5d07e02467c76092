"""An audit names the same subject as the decision record of each fact, per fact type."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from csrules._audit.run import audit
from csrules.exceptions import FactError
from csrules.policies import load_pack
from tests.test_audit_agreement import CASES, NOW, examples


def recorded_subjects(name: str, fact_type: str, facts: list[dict[str, Any]]) -> dict[int, str | None]:
    """Row number to the subject of each valid fact's decision record."""
    engine = load_pack(name).engine()
    found = {}
    for row, fact in enumerate(facts, start=1):
        try:
            decision = engine.evaluate(fact, now=NOW, fact_type=fact_type)
        except FactError:
            continue
        found[row] = decision.record().subject
    return found


def audited_subjects(name: str, fact_type: str, facts: list[dict[str, Any]], columnar: bool) -> dict[int, str | None]:
    """Row number to the subject an audit names for each judged (valid) fact."""
    result = audit(load_pack(name), facts, fact_type=fact_type, now=NOW, workers=1, columnar=columnar)
    frame = pl.from_arrow(result.decisions)
    assert isinstance(frame, pl.DataFrame)
    judged = frame.filter(pl.col("effect") != "invalid").select("row", "subject").unique(maintain_order=True)
    assert judged["row"].is_unique().all()  # one subject per fact
    return dict(judged.iter_rows())


class TestSubjects:
    """The audit's ``subject`` column is the record's subject, dotted paths included."""

    @pytest.mark.parametrize(("name", "fact_type"), CASES)
    def test_audit_and_record_agree(self, name, fact_type):
        """For every built-in fact type's worked examples, both audit paths name the record's subject."""
        facts = examples(name, fact_type)
        recorded = recorded_subjects(name, fact_type, facts)
        assert recorded
        for columnar in (True, False):
            assert audited_subjects(name, fact_type, facts, columnar) == recorded, (name, fact_type, columnar)

    def test_dotted_subject(self):
        """A shift swap's subject is its requester's agent id (``requester.agent_id``), read
        from the struct column the nested facts become."""
        facts = examples("call_centre", "shift_swap")
        subjects = audited_subjects("call_centre", "shift_swap", facts, True)
        assert set(subjects.values()) == {fact["requester"]["agent_id"] for fact in facts}
        assert sorted(subjects) == list(range(1, len(facts) + 1))

    def test_nested_fields_left_out_are_not_null(self):
        """A nested object without a field other rows give (Arrow fills it with null) takes
        the model's default, as the engine does, instead of making the fact invalid."""
        facts = [{"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02", "skill_level": 2},
                  "requester_shift": {"start": "2026-03-10T08:30:00+08:00", "end": "2026-03-10T16:30:00+08:00"},
                  "partner_shift": {"start": "2026-03-12T08:30:00+08:00", "end": "2026-03-12T16:30:00+08:00"},
                  "requested_at": "2026-03-05T09:00:00+08:00"}]
        result = audit(load_pack("call_centre"), facts, fact_type="shift_swap", now=NOW, workers=1)
        assert "invalid" not in result.decisions.column("effect").to_pylist()
