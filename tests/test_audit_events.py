"""Stateful audits: event logs replayed per subject, in time order, give the live sessions' effects."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from csrules.audit import AuditError, audit_events
from csrules.policies import load_pack

MALL = load_pack("mall")


def calls() -> list[dict[str, object]]:
    """Calls of six agents over three days, some opening with 喂, in a shuffled order."""
    out = []
    for agent in range(6):
        for day in range(1, 4):
            for hour in (9, 14):
                line = "喂？" if (agent + day + hour) % 3 == 0 else "您好，商場客服"
                out.append({"call_id": f"C{agent}-{day}-{hour}", "agent_id": f"M0{agent}",
                            "started_at": f"2026-03-{day:02d}T{hour:02d}:00:00+08:00",
                            "duration": "PT1M", "agent_lines": [line]})
    random.Random(7).shuffle(out)
    return out


def live(events: list[dict[str, object]]) -> set[tuple[int, str, str]]:
    """(row, rule, effect key) of live sessions fed each agent's calls in time order."""
    engine = MALL.sessions(backend="python")
    numbered = sorted(enumerate(events, 1), key=lambda item: (item[1]["agent_id"], item[1]["started_at"]))
    found = set()
    for row, event in numbered:
        step = engine.session(str(event["agent_id"])).send(event, fact_type="call_record")
        found |= {(row, firing.rule_id, effect.key) for firing in step.firings for effect in firing.effects}
    return found


def replayed(table: pa.Table) -> set[tuple[int, str, str]]:
    """(row, rule, effect key) of an event audit's rows."""
    keys = set()
    for row in table.to_pylist():
        if row["effect"] == "violation":
            keys.add((row["row"], row["rule"], f"violation:{row['code']}"))
        elif row["effect"] not in ("clean", "invalid"):
            keys.add((row["row"], row["rule"], row["effect"]))
    return keys


class TestEventAudits:
    """Event logs partitioned by subject and replayed through session engines."""

    def test_same_effects_as_live_sessions(self):
        """Partitions in two workers give exactly the effects of live sessions."""
        events = calls()
        table = audit_events(MALL, events, fact_type="call_record", time="started_at", workers=2, partitions=3)
        expected = live(events)
        assert expected
        assert replayed(table) == expected
        assert sorted(table.column("row").to_pylist()) == table.column("row").to_pylist()

    def test_in_process_same_as_workers(self):
        """One process and several partitions agree."""
        events = calls()
        one = audit_events(MALL, events, fact_type="call_record", time="started_at", workers=1, partitions=4)
        assert replayed(one) == live(events)

    def test_missing_time_column(self):
        """An event log without its time column is refused, naming it."""
        with pytest.raises(AuditError, match="no column 'at'"):
            audit_events(MALL, calls(), fact_type="call_record", time="at", workers=1)

    def test_unknown_fact_type(self):
        """A fact type no session policy takes is refused."""
        with pytest.raises(AuditError, match="no session policy takes"):
            audit_events(MALL, calls(), fact_type="leave_request", time="started_at", workers=1)


class TestDeadlinesAfterTheLastEvent:
    """With ``until``, deadlines still open at the end of the audited period fire."""

    def test_unanswered_complaint_breaches_by_the_end(self):
        """A complaint registered and never answered breaches CMP-4 by ``until``, as a live session ticked then."""
        pack = load_pack("call_centre")
        steps = [{"event": "register", "complainant": "c", "subject": "K1", "at": "2026-03-02T09:00:00+08:00"},
                 {"event": "register", "complainant": "d", "subject": "K2", "at": "2026-03-09T09:00:00+08:00"}]
        until = datetime(2026, 3, 10, tzinfo=UTC)
        table = audit_events(pack, steps, fact_type="complaint_step", subject="subject", time="at",
                             workers=1, until=until)
        rows = table.to_pylist()
        breaches = [(row["row"], row["subject"], row["code"]) for row in rows if row["effect"] == "violation"]
        assert breaches == [(None, "K1", "CMP-4")]
        live = pack.sessions(backend="python")
        live.send("K1", {"event": "register", "complainant": "c"}, now=datetime.fromisoformat(steps[0]["at"]),
                  fact_type="complaint_step")
        assert live.tick("K1", until).effect_keys == ("violation:CMP-4",)

    def test_without_until_no_deadline_fires(self):
        """Without ``until`` only the events themselves are replayed."""
        steps = [{"event": "register", "complainant": "c", "subject": "K1", "at": "2026-03-02T09:00:00+08:00"}]
        table = audit_events(load_pack("call_centre"), steps, fact_type="complaint_step", subject="subject",
                             time="at", workers=1)
        assert "violation" not in table.column("effect").to_pylist()
