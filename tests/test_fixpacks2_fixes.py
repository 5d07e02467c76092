"""Pack readings fixed: a deferred complaint's reply deadline judged by the stateless rule as by
its SLA, holidays read from the calendar, 妳好 as a greeting, and blank ids refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest
from pydantic import AwareDatetime, BaseModel

from csrules._audit.run import audit
from csrules._policy.facts import register_fact_type
from csrules._policy.loader import loads_policy
from csrules.domain.facts import LeaveRequest, build_fact
from csrules.exceptions import FactError, PolicyError
from csrules.policies import load_pack
from csrules.policies.slas import SlaDeclaration, resolve_sla

CST = timezone(timedelta(hours=8))
OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
SECOND = timedelta(seconds=1)


def deferred(pack: str, **values: Any) -> dict[str, Any]:
    """A work order of ``pack`` whose answer could not be given at once."""
    who = "S01" if pack == "online_support" else "A01"
    return {"order_id": "W1", "opened_at": OPENED.isoformat(), "first_handler": who, "owner": who,
            "answer_deferred": True, **values}


def keys(pack: str, fact: dict[str, Any], now: datetime, fact_type: str) -> tuple[str, ...]:
    """The effect keys the pack's stateless engine gives ``fact`` at ``now``."""
    return load_pack(pack).engine().evaluate(fact, now=now, fact_type=fact_type).effect_keys


class TestDeferredComplaintReply:
    """CMP-4: the stateless rule and the SLA check give one answer."""

    def test_late_reply_reported_by_the_engine(self) -> None:
        """A deferred complaint answered after four days is a CMP-4 violation for the engine too."""
        fact = deferred("call_centre", replied_at="2026-03-14T10:00:00+08:00")
        assert "violation:CMP-4" in keys("call_centre", fact, datetime(2026, 3, 15, 9, tzinfo=CST), "work_order")

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    @pytest.mark.parametrize("offset", [-SECOND, timedelta(0), SECOND])
    @pytest.mark.parametrize("replied", [True, False])
    def test_rule_and_sla_agree_at_the_boundary(self, pack: str, offset: timedelta, replied: bool) -> None:
        """Before, at and after three days, replied or open, the rule fires exactly when the SLA is breached."""
        at = OPENED + timedelta(days=3) + offset
        fact = deferred(pack, replied_at=at.isoformat()) if replied else deferred(pack)
        now = at + timedelta(days=1) if replied else at
        loaded = load_pack(pack)
        (check,) = loaded.slas.check(fact, now=now, fact_type="work_order")
        late = "CMP-4.late" in loaded.engine().evaluate(fact, now=now, fact_type="work_order").rule_ids
        assert late == check.breached == (offset > timedelta(0))

    def test_override_moves_rule_sla_and_lifecycle(self) -> None:
        """One override of reply_within moves the rule, the SLA target and the lifecycle deadline."""
        pack = load_pack("call_centre", overrides={"cmp-1": {"reply_within": "2d"}})
        assert str(pack.policy("work_order").param_values["reply_within"]) == "2d"
        assert str(pack.slas.get("CMP-4.reply").target) == "2d"
        assert pack.lifecycle_params["cmp-1"]["reply_within"] == "2d"


@register_fact_type(name="fixpacks2_case")
class Case(BaseModel):
    """A case with an open and a reply time, and whether its answer was deferred."""

    opened_at: AwareDatetime
    replied_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    deferred: bool = False


CASE_POLICY = """
id: t.cases
version: "1"
title: Cases
fact_type: fixpacks2_case
params:
  within: {type: duration, default: 3d}
rules:
  - id: CS-1.late
    title: late
    when:
      kind: all
      of: [{kind: compare, path: deferred, op: "==", value: true}, WHEN]
    then: [{type: violation, code: CS-1, message: late}]
"""


class TestGoverningRuleReadsTheSlaClock:
    """A rule an SLA names is refused unless it reads the SLA's clock."""

    @staticmethod
    def resolve(when: str, **change: Any) -> None:
        """Resolve an SLA over the case policy whose rule tests ``when``."""
        policy = loads_policy(CASE_POLICY.replace("WHEN", when))
        decl = SlaDeclaration.model_validate({
            "id": "CS-1.reply", "title": "t", "policy": "cases", "start": "opened_at", "stop": "replied_at",
            "applies": {"deferred": True}, "target": {"param": "within"}, "rule": "CS-1.late",
            "citation": {"source": "x", "section": "y"}, **change,
        })
        resolve_sla("t", 0, decl, [policy])

    def test_same_clock_is_accepted(self) -> None:
        """A rule measuring from the start to the stop, strictly after the target, is the SLA's."""
        self.resolve('{kind: elapsed, since: opened_at, until: replied_at, op: ">", param: within}')

    @pytest.mark.parametrize(("when", "change", "message"), [
        ('{kind: elapsed, since: opened_at, until: replied_at, op: ">=", param: within}', {},
         "strictly after its target"),
        ('{kind: elapsed, since: opened_at, until: closed_at, op: ">", param: within}', {}, "to closed_at"),
        ('{kind: elapsed, since: opened_at, until: replied_at, op: ">", param: within}',
         {"applies": {"deferred": False}}, "deferred == False"),
    ])
    def test_other_clock_is_refused(self, when: str, change: dict[str, Any], message: str) -> None:
        """Another boundary, another stop or other applies values are refused, naming the rule."""
        with pytest.raises(PolicyError, match=rf"slas\[0\]\.rule.*CS-1\.late.*{message}"):
            self.resolve(when, **change)


def leave(start: str, end: str, requested: str, **values: Any) -> dict[str, Any]:
    """A personal leave of A01's, asked by A01."""
    return {"agent_id": "A01", "kind": "personal", "requested_by": "A01", "start": start, "end": end,
            "requested_at": requested, **values}


NATIONAL_DAY = leave("2026-10-01T08:30:00+08:00", "2026-10-01T16:30:00+08:00", "2026-09-30T08:00:00+08:00")
WORKING_FRIDAY = leave("2026-10-09T08:30:00+08:00", "2026-10-09T16:30:00+08:00", "2026-10-08T08:00:00+08:00")


class TestHolidaysFromTheCalendar:
    """ATT-6 and ATT-9.holiday read the china calendar, never a host's flag."""

    def test_national_day_leave_without_flag(self) -> None:
        """A leave on 1 October asked the day before is ATT-6 with no flag given."""
        found = keys("call_centre", NATIONAL_DAY, datetime(2026, 9, 30, 9, tzinfo=CST), "leave_request")
        assert "violation:ATT-6" in found

    def test_flag_on_a_working_day_changes_nothing(self) -> None:
        """A leave on a working Friday flagged as a holiday is judged as the working day it is."""
        now = datetime(2026, 10, 8, 9, tzinfo=CST)
        flagged = keys("call_centre", dict(WORKING_FRIDAY, on_holiday=True), now, "leave_request")
        assert flagged == keys("call_centre", WORKING_FRIDAY, now, "leave_request")
        assert "violation:ATT-6" not in flagged

    def test_uncovered_year_is_an_error(self) -> None:
        """A leave in a year the calendar has no schedule for gets an error naming the year, not a guess."""
        fact = leave("2027-03-03T08:30:00+08:00", "2027-03-03T16:30:00+08:00", "2027-03-02T08:00:00+08:00")
        decision = load_pack("call_centre").engine().evaluate(
            fact, now=datetime(2027, 3, 2, 9, tzinfo=CST), fact_type="leave_request")
        assert {error.rule_id for error in decision.errors} >= {"ATT-6.holiday-notice", "ATT-6.holiday-approval"}
        assert all("2027" in error.message for error in decision.errors)

    def test_swap_of_a_holiday_shift(self) -> None:
        """Swapping a shift on 1 October is ATT-9 with no flag on either shift."""
        swap = {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
                "requester_shift": {"start": "2026-10-01T08:30:00+08:00", "end": "2026-10-01T16:30:00+08:00"},
                "partner_shift": {"start": "2026-10-09T08:30:00+08:00", "end": "2026-10-09T16:30:00+08:00"},
                "requested_at": "2026-09-25T09:00:00+08:00"}
        result = load_pack("call_centre").engine().evaluate(
            swap, now=datetime(2026, 9, 25, 10, tzinfo=CST), fact_type="shift_swap")
        assert "ATT-9.holiday" in result.rule_ids

    @pytest.mark.parametrize("fact_type", ["leave_request", "shift_swap"])
    def test_columnar_audit_agrees(self, fact_type: str) -> None:
        """The columnar audit and the row engine give the same rows on holidays, working days and 2027."""
        if fact_type == "leave_request":
            facts = [NATIONAL_DAY, WORKING_FRIDAY, dict(WORKING_FRIDAY, on_holiday=True),
                     leave("2027-03-03T08:30:00+08:00", "2027-03-03T16:30:00+08:00", "2027-03-02T08:00:00+08:00")]
        else:
            shift = {"end": "2026-10-01T16:30:00+08:00", "start": "2026-10-01T08:30:00+08:00"}
            other = {"end": "2027-03-03T16:30:00+08:00", "start": "2027-03-03T08:30:00+08:00"}
            facts = [{"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"}, "requester_shift": mine,
                      "partner_shift": {"start": "2026-10-09T08:30:00+08:00", "end": "2026-10-09T16:30:00+08:00"},
                      "requested_at": "2026-09-25T09:00:00+08:00"} for mine in (shift, other)]
        now = datetime(2027, 6, 1, 9, tzinfo=CST)
        frames = [pl.from_arrow(audit(load_pack("call_centre"), facts, fact_type=fact_type, now=now, workers=1,
                                      columnar=columnar).decisions) for columnar in (True, False)]
        assert frames[0].equals(frames[1])


class TestGreeting:
    """CON-4: 妳好 is a greeting."""

    def test_written_to_a_woman(self) -> None:
        """A call opened with 妳好 is greeted."""
        call = {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T09:00:00+08:00", "duration": "PT2M",
                "agent_lines": ["妳好，客服中心", "好的，再見"]}
        found = keys("call_centre", call, datetime(2026, 3, 10, 10, tzinfo=CST), "call_record")
        assert "violation:CON-4" not in found


class TestHolidayWords:
    """A rule testing a calendar's days can be put into words, as documents do."""

    def test_not_on_holiday_in_words(self) -> None:
        """A negated on_holiday condition reads as a phrase in both languages."""
        from csrules._docs.plain import condition_words, describe_context

        policy = load_pack("call_centre").policy("call_centre.leave")
        rule = next(r for r in policy.rules if r.id == "ATT-1.personal-notice")
        ctx = describe_context(policy)
        assert "public holiday" in condition_words(rule.when, "en", ctx)
        assert "法定节假日" in condition_words(rule.when, "zh", ctx)


BLANK_IDS = ["", " ", "  ", "\t", "\u3000"]


class TestBlankIds:
    """A required id of only spaces is refused by the model and by both audit paths alike."""

    @pytest.mark.parametrize("blank", BLANK_IDS)
    def test_model_refuses(self, blank: str) -> None:
        """A leave request whose agent id is blank is refused, naming the field."""
        with pytest.raises(FactError, match="agent_id"):
            build_fact(LeaveRequest, {**NATIONAL_DAY, "agent_id": blank})

    def test_padded_id_is_kept(self) -> None:
        """An id with spaces around text is an id, its spaces dropped (the same person as unpadded)."""
        assert build_fact(LeaveRequest, {**NATIONAL_DAY, "agent_id": " A01 "}).agent_id == "A01"

    def test_audit_paths_agree(self) -> None:
        """The columnar audit and the row engine refuse the same rows with the same message."""
        facts = [{**NATIONAL_DAY, "agent_id": blank} for blank in BLANK_IDS] + [NATIONAL_DAY]
        now = datetime(2026, 9, 30, 9, tzinfo=CST)
        frames = []
        for columnar in (True, False):
            result = audit(load_pack("call_centre"), facts, fact_type="leave_request", now=now, workers=1,
                           columnar=columnar)
            frame = pl.from_arrow(result.decisions)
            assert isinstance(frame, pl.DataFrame)
            frames.append(frame.filter(pl.col("effect") == "invalid").select("row", "field", "message"))
        assert frames[0].equals(frames[1])
        assert frames[0]["row"].to_list() == [1, 2, 3, 4, 5]
        assert set(frames[0]["message"].to_list()) >= {"blank text is no id; give the id"}
