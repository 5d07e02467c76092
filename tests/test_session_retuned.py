"""A deadline tuned shorter under a shared store: a tick judges by the new deadline, and once
the new engine has migrated the store, tick_due finds the sessions it makes due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from csrules.policies import load_pack
from csrules.sessions import MemoryStore

T0 = datetime(2026, 3, 5, 9, tzinfo=timezone(timedelta(hours=8)))
ORDER = {"order_id": "W1", "opened_at": T0.isoformat(), "first_handler": "A01", "owner": "A01"}


class TestRetunedDeadline:
    """24 hours' grace tuned to 12 over one store."""

    def test_tick_and_tick_due_after_migrating(self) -> None:
        """A tick at 13 h escalates under 12 h; after migrate(apply=True) tick_due does too."""
        store = MemoryStore()
        before = load_pack("call_centre").sessions(backend="python", store=store)
        before.session("desk").send(ORDER, now=T0, fact_type="work_order")
        before.session("other").send({**ORDER, "order_id": "W2"}, now=T0, fact_type="work_order")
        after = load_pack("call_centre", overrides={"work_order_session": {"shift_lead_after": "12h"}}).sessions(
            backend="python", store=store)
        assert after.session("desk").tick(T0 + timedelta(hours=13)).rule_ids == ("ESC-2.open-shift-lead",)
        report = after.migrate(apply=True)
        assert [(m.subject, m.status) for m in report.sessions] == [("desk", "current"), ("other", "compatible")]
        due = after.tick_due(T0 + timedelta(hours=13))
        assert {subject: result.rule_ids for subject, result in due.items()} == {
            "other": ("ESC-2.open-shift-lead",)}
