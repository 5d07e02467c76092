"""Regression tests for wrong answers found in review (lead lane)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csrules.policies import load_pack

CHINA = timezone(timedelta(hours=8))


def _written_in(instant: datetime, hours: int) -> datetime:
    """``instant`` written with the offset ``hours``."""
    return instant.astimezone(timezone(timedelta(hours=hours)))


class TestDueTimesShownInThePolicyZone:
    """A clock-duration due time does not take the offset its start was written with."""

    @pytest.mark.parametrize("hours", [8, 0, -5])
    def test_same_instant_same_due_text(self, hours: int) -> None:
        """One work order written in +08:00, Z or -05:00 gets its due time written alike."""
        engine = load_pack("call_centre").engine()
        opened = _written_in(datetime(2026, 3, 10, 9, tzinfo=CHINA), hours)
        now = _written_in(datetime(2026, 3, 11, 10, tzinfo=CHINA), hours)
        fact = {"order_id": "W1", "opened_at": opened.isoformat(), "first_handler": "A01", "owner": "A01"}
        decision = engine.evaluate(fact, fact_type="work_order", now=now)
        dues = [obligation.due for obligation in decision.obligations if obligation.due is not None]
        assert dues, "the worked example names a due time"
        assert [due.isoformat() for due in dues] == ["2026-03-12T09:00:00+08:00"]


class TestEngineInputsRefusedByName:
    """What an engine is handed in place of policies or facts is refused by a csrules error."""

    @pytest.mark.parametrize("given", [None, 5, {"id": "p"}])
    def test_engine_of_no_policies(self, given: object) -> None:
        """``Engine(None)``, ``Engine(5)`` or a dict says what an engine takes."""
        from csrules import Engine
        from csrules.exceptions import PolicyError

        with pytest.raises(PolicyError, match="an engine takes a Policy"):
            Engine(given)  # type: ignore[arg-type]

    def test_engine_pack_not_a_pack_ref(self) -> None:
        """``Engine(policies, pack=5)`` is refused: its decision records would name no pack."""
        from csrules import Engine
        from csrules.exceptions import PolicyError

        with pytest.raises(PolicyError, match="pack must be a PackRef"):
            Engine(load_pack("call_centre").policies, pack=5)  # type: ignore[arg-type]

    @pytest.mark.parametrize("given", [None, 5, "facts"])
    def test_evaluate_many_of_no_facts(self, given: object) -> None:
        """``evaluate_many`` of something that is not a collection of facts is refused at the call."""
        from csrules.exceptions import FactError

        engine = load_pack("call_centre").engine()
        with pytest.raises(FactError, match="evaluate_many takes an iterable of facts"):
            engine.evaluate_many(given)  # type: ignore[arg-type]

    def test_evaluate_many_of_one_fact(self) -> None:
        """One fact dict handed to ``evaluate_many`` is refused with the remedy, not read key by key."""
        from csrules.exceptions import FactError

        engine = load_pack("call_centre").engine()
        fact = {"order_id": "W1", "opened_at": "2026-03-10T09:00:00+08:00", "first_handler": "A01", "owner": "A01"}
        with pytest.raises(FactError, match="use evaluate"):
            engine.evaluate_many(fact, fact_type="work_order")


class TestMachineZonesRefused:
    """A zone name that means this machine's setting is refused: decisions must not depend on it."""

    @pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "posix/Asia/Shanghai", "right/UTC"])
    def test_refused_by_name(self, name: str) -> None:
        """``load_zone`` refuses the name, saying why."""
        from csrules._time.calendar import load_zone
        from csrules.exceptions import CalendarError

        with pytest.raises(CalendarError, match="not a place"):
            load_zone(name)

    def test_policy_timezone_localtime_refused(self) -> None:
        """A policy whose ``timezone`` is ``localtime`` does not load."""
        from csrules import Policy
        from csrules.exceptions import PolicyError

        with pytest.raises(PolicyError, match="not a place"):
            Policy.model_validate({"id": "p", "version": "1", "title": {"en": "p", "zh": "p"},
                                   "fact_type": "leave_request", "timezone": "localtime", "rules": []})


class TestStillOpenSaysWhatClosesIt:
    """A reviewer reads what "still open" means in the rule: the closing condition, not a status."""

    def test_reply_rule_names_its_closing(self) -> None:
        """The online-support reply deadline names the reply as what closes the case, in both languages."""
        from csrules._docs.plain import condition_words, describe_context

        pack = load_pack("online_support")
        policy, rule = next((p, r) for p in pack.session_policies for r in p.rules
                            if r.id == "CMP-4.no-reply-by-deadline")
        ctx = describe_context(policy)
        en = condition_words(rule.when, "en", ctx)
        zh = condition_words(rule.when, "zh", ctx)
        assert "(closed means: answer awaited is no or" in en
        assert "（结案指：待答" in zh  # the labels take the pack's script when documents are written


class TestFilledValuesTakeThePolicyScript:
    """A value filled into a Chinese template of neither script is written in its policy's script."""

    def test_traditional_pack_duration(self) -> None:
        """The call-centre pack (Traditional) says 24小時 in ATT-1's message, not 24小时."""
        pack = load_pack("call_centre", overrides={"leave": {"personal_notice": "24h"}})
        fact = {"agent_id": "A17", "kind": "personal", "requested_at": "2026-03-01T20:00:00+08:00",
                "start": "2026-03-02T16:00:00+08:00", "end": "2026-03-03T00:00:00+08:00", "requested_by": "A17"}
        decision = pack.engine().evaluate(fact, now=datetime(2026, 3, 1, 21, tzinfo=CHINA), fact_type="leave_request")
        assert [v.message.zh for v in decision.violations if v.code == "ATT-1"] == ["一般事假未提前24小時提出"]


class TestRefusedStepSaysWhy:
    """A lifecycle step no guard accepts names the test that failed and the value the event gave."""

    @pytest.mark.parametrize("backend", ["python", "durable"])
    def test_approval_by_a_title_in_no_entry(self, backend: str) -> None:
        """Approval by 主任 (no role's name) is refused naming approved_by and the value given."""
        from csrules.domain import ComplaintStep
        from csrules.exceptions import TransitionError

        opened = datetime(2026, 3, 10, 9, tzinfo=CHINA)
        session = load_pack("call_centre").sessions(backend=backend).session("c-1")  # type: ignore[arg-type]
        for event, extra in [("register", {"complainant": "Ms Li"}), ("judge", {"founded": True}), ("propose", {})]:
            session.send(ComplaintStep(event=event, **extra), now=opened, fact_type="complaint_step")
        with pytest.raises(TransitionError, match=r"to approved: Approved by is one of .*\(approved_by = '主任'\)"):
            session.send(ComplaintStep(event="approve", approved_by="主任"), now=opened, fact_type="complaint_step")


class TestColumnarAuditRefusesLongestOverTotal:
    """The columnar audit refuses a record whose longest absence exceeds its total, as the model does."""

    def test_same_answer_as_rows(self) -> None:
        """A record with longest_away_minutes above away_minutes is invalid in both audit paths."""
        from tests.columnar_support import assert_same

        record = {"agent_id": "A01", "shift_start": "2026-03-10T08:30:00+08:00",
                  "shift_end": "2026-03-10T16:30:00+08:00", "arrived_at": "2026-03-10T08:20:00+08:00",
                  "away_minutes": 5, "longest_away_minutes": 7}
        engine = load_pack("call_centre").engine()
        assert_same(engine, "attendance_record", [record, {**record, "longest_away_minutes": 5}])
