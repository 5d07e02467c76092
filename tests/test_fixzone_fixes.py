"""Regression tests: pack zones reach the facts, role aliases stay out of policy texts,
level by level follows the role catalogue, decision logs flush in worker processes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from csrules.policies import Pack, load_pack

NOON_LATE = {
    "agent_id": "A01", "kind": "special_personal", "night_shift": True,
    "start": "2026-03-05T16:00:00+00:00", "end": "2026-03-06T00:00:00+00:00",
    "requested_at": "2026-03-05T13:00:00+00:00", "requested_by": "A01",
}
"""A night shift 16:00-24:00 London, special leave asked at 13:00 London the same day: past
noon (001 請假制度 六); read in Shanghai it is 21:00 the day before a shift on the next day."""
NOW = datetime.fromisoformat("2026-03-05T13:00:00+00:00")


def _company(tmp_path: Path, name: str = "acme", **manifest: Any) -> Path:
    root = tmp_path / name
    root.mkdir()
    data = {"name": name, "title": {"en": "A", "zh": "A"}, "version": "1", "extends": "call_centre", **manifest}
    (root / "pack.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def london(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """A company pack over call_centre whose clocks are London's."""
    return load_pack(_company(tmp_path_factory.mktemp("zone"), timezone="Europe/London"))


def _rules(effects: Any) -> set[str]:
    return {effect.rule_id for effect in effects}


class TestPackZoneReachesFacts:
    """A fact naming no time_zone is read in its pack's zone, never silently in Shanghai."""

    def test_engine_reads_a_dict_fact_in_the_pack_zone(self, london: Pack) -> None:
        """Leave asked at 13:00 London for a London night shift that day is past noon (ATT-5)."""
        decision = london.engine().evaluate(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" in _rules(decision.effects)

    def test_engine_reads_a_built_fact_in_the_pack_zone(self, london: Pack) -> None:
        """A LeaveRequest built without time_zone is read in the pack's zone too."""
        from csrules.domain.facts import LeaveRequest

        fact = LeaveRequest.model_validate(NOON_LATE)
        assert fact.request_lead_days == 1  # read in the model's default zone when built
        decision = london.engine().evaluate(fact, now=NOW)
        assert "ATT-5.night-deadline" in _rules(decision.effects)

    def test_a_fact_naming_its_zone_keeps_it(self, london: Pack) -> None:
        """A fact that names Asia/Shanghai is read there, whatever the pack's zone."""
        fact = {**NOON_LATE, "time_zone": "Asia/Shanghai"}
        decision = london.engine().evaluate(fact, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" not in _rules(decision.effects)

    def test_evaluate_many_reads_facts_in_the_pack_zone(self, london: Pack) -> None:
        """evaluate_many fills the pack's zone as evaluate does."""
        decisions = list(london.engine().evaluate_many([NOON_LATE], now=NOW, fact_type="leave_request"))
        assert "ATT-5.night-deadline" in _rules(decisions[0].effects)

    def test_a_pickled_engine_keeps_the_zone(self, london: Pack) -> None:
        """An engine sent to a worker process reads facts in the pack's zone there too."""
        import pickle

        engine = pickle.loads(pickle.dumps(london.engine()))
        decision = engine.evaluate(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" in _rules(decision.effects)

    @pytest.mark.parametrize("columnar", [True, False])
    def test_audit_batch_reads_rows_in_the_pack_zone(self, london: Pack, columnar: bool) -> None:
        """An audit of the pack (columnar and row engine) reads a row naming no zone in London."""
        pa = pytest.importorskip("pyarrow")
        pytest.importorskip("polars")
        from csrules.audit import AuditSpec, audit_batch

        spec = AuditSpec(london.engine(), "leave_request", NOW, columnar=columnar, zone=london.timezone)
        table = pa.Table.from_pylist([{**NOON_LATE, **{k: datetime.fromisoformat(v) for k, v in NOON_LATE.items()
                                                       if k in ("start", "end", "requested_at")}}])
        rules = set(audit_batch(spec, table).column("rule").to_pylist())
        assert "ATT-5.night-deadline" in rules

    def test_sessions_read_an_event_in_the_pack_zone(self, london: Pack) -> None:
        """A session judging the pack's leave policy reads an event naming no zone in London."""
        from csrules import SessionEngine

        engine = SessionEngine([london.policy("leave")])
        step = engine.session("A01").send(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "violation:ATT-5" in step.effect_keys

    def test_default_zone_pack_engine_is_unchanged(self) -> None:
        """The built-in pack (Asia/Shanghai) reads the same fact in Shanghai: no ATT-5."""
        decision = load_pack("call_centre").engine().evaluate(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" not in _rules(decision.effects)
