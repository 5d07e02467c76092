"""Condition semantics and parameter checks: instants in a DST fold, overrides checked like
literals, offsets on times of day, blank phrases, discipline ladders and validity days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import AwareDatetime, BaseModel

from csrules import BusinessCalendar, Engine, Policy, PolicyError, register_fact_type
from csrules._policy.validity import check_versions
from csrules._sessions import SessionEngine
from csrules._time.registry import registered_time

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
# 2026-11-01 in New York: 01:00-02:00 happens twice; fold=0 is EDT (-04:00), fold=1 is EST (-05:00)
FIRST_0145 = datetime(2026, 11, 1, 1, 45, fold=0, tzinfo=NY)  # 05:45 UTC
SECOND_0130 = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)  # 06:30 UTC, 45 minutes later
SECOND_0115 = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NY)  # 06:15 UTC
FOLD_HOURS = BusinessCalendar(timezone="America/New_York", hours={"mon-sun": "01:00-01:30"})
NOT_MATCHING = {"kind": "compare", "path": "n", "op": ">", "value": 100}
VIOLATION = [{"type": "violation", "code": "X", "message": "m"}]


@register_fact_type(name="ks_fact")
class Fact(BaseModel):
    """A fact with two instants, times of day, text lines and a number."""

    at: AwareDatetime
    other: AwareDatetime | None = None
    rest_from: time | None = None
    rest_until: time | None = None
    lines: list[str] = []
    n: int = 0
    took: timedelta | None = None


def policy(when: dict[str, Any], params: dict[str, Any] | None = None,
           overrides: dict[str, Any] | None = None, **extra: Any) -> Policy:
    """A policy with one rule ``r`` whose condition is ``when``."""
    return Policy(**{
        "id": "p", "version": "1", "title": "t", "fact_type": "ks_fact", "params": params or {},
        "overrides": overrides or {},
        "rules": [{"id": "r", "title": "r", "when": when, "then": VIOLATION}], **extra,
    })


def decided(when: dict[str, Any], **fact: Any) -> tuple[bool, bool | None]:
    """Whether the rule applied, and what its trace says."""
    decision = Engine(policy(when)).evaluate(fact)
    return decision.rule_ids == ("r",), decision.trace.for_rule("r").matched


class TestCompareInstants:
    """A comparison of two datetimes orders instants, also inside a DST fold."""

    def test_field_against_field_in_a_fold(self):
        """The second 01:30 is after the first 01:45: "at < other" is false, in decision and trace."""
        when = {"kind": "compare", "path": "at", "op": "<", "field": "other"}
        assert decided(when, at=SECOND_0130, other=FIRST_0145) == (False, False)
        assert decided(when, at=FIRST_0145, other=SECOND_0130) == (True, True)

    def test_equal_instants_in_two_zones(self):
        """The same instant written in two zones is equal."""
        when = {"kind": "compare", "path": "at", "op": "==", "field": "other"}
        assert decided(when, at=SECOND_0130, other=SECOND_0130.astimezone(SH)) == (True, True)


    def test_far_instants_still_compare(self):
        """Instants whose UTC form falls outside the datetime range compare without an error."""
        when = {"kind": "compare", "path": "at", "op": "<", "field": "other"}
        first = datetime(1, 1, 1, 1, tzinfo=SH)  # 0000-12-31 in UTC, which datetime cannot hold
        assert decided(when, at=first, other=datetime(2026, 1, 1, tzinfo=SH)) == (True, True)


class TestWorkingHoursTraceInAFold:
    """The trace of in/outside_working_hours computes what the decision computes."""

    @pytest.mark.parametrize(("kind", "expected"), [("in_working_hours", False),
                                                    ("outside_working_hours", True)])
    def test_second_0115_is_after_hours(self, kind, expected):
        """Hours 01:00-01:30 are the first pass of the fold; the second 01:15 is outside them."""
        with registered_time(calendars={"ks-fold": FOLD_HOURS}):
            when = {"kind": kind, "path": "at", "calendar": "ks-fold"}
            assert decided(when, at=SECOND_0115) == (expected, expected)


class TestTimeOfDayOffsets:
    """A time of day carrying a UTC offset is refused, never re-read as a local clock."""

    WHEN: ClassVar[dict[str, Any]] = {"kind": "within_hours", "path": "at",
                            "start": {"field": "rest_from"}, "end": {"field": "rest_until"}}

    def test_fact_field_with_offset_is_an_error_naming_it(self):
        """A fact's rest_from of 22:00+00:00 gives the rule an error naming the field, not a match."""
        decision = Engine(policy(self.WHEN)).evaluate(
            {"at": "2026-01-05T23:00:00+08:00", "rest_from": "22:00:00+00:00", "rest_until": "06:00:00+00:00"}
        )
        assert decision.rule_ids == ()
        assert len(decision.errors) == 1
        assert "rest_from" in decision.errors[0].message
        assert "offset" in decision.errors[0].message

    def test_local_times_still_work(self):
        """Times without an offset are read on the rule's clock as before."""
        decision = Engine(policy(self.WHEN)).evaluate(
            {"at": "2026-01-05T23:00:00+08:00", "rest_from": "22:00:00", "rest_until": "06:00:00"}
        )
        assert decision.rule_ids == ("r",)
        assert decision.errors == ()

    def test_parameter_with_offset_is_refused(self):
        """A time parameter written with an offset is refused at the parameter."""
        when = {"kind": "time_of_day", "path": "at", "op": "<", "time": {"param": "c"}}
        with pytest.raises(PolicyError, match=r"params\.c.*offset"):
            policy(when, {"c": {"type": "time", "default": "12:00+08:00"}})

    def test_literal_time_object_with_offset_is_refused(self):
        """A literal time object with an offset is refused at the literal."""
        when = {"kind": "time_of_day", "path": "at", "op": "<", "time": time(12, tzinfo=ZoneInfo("UTC"))}
        with pytest.raises(PolicyError, match="offset"):
            policy(when)


class TestOverridesCheckedLikeLiterals:
    """A parameter override is refused at build time where the same literal is."""

    ELAPSED: ClassVar[dict[str, Any]] = {"kind": "elapsed", "since": "other", "until": "at", "op": ">", "param": "d"}
    DAY: ClassVar[dict[str, Any]] = {"d": {"type": "duration", "default": "1d"}}

    def test_elapsed_override_to_business_time(self):
        """Elapsed measures clock time: a business-time override is refused at overrides.d."""
        with pytest.raises(PolicyError, match=r"overrides\.d.*business time") as caught:
            policy(self.ELAPSED, self.DAY, {"d": "2 business days"})
        assert caught.value.rule_id == "r"

    def test_elapsed_with_params_to_business_time(self):
        """with_params is checked the same way."""
        with pytest.raises(PolicyError, match=r"overrides\.d.*business time"):
            policy(self.ELAPSED, self.DAY).with_params(d="3 business days")

    def test_notice_override_to_business_time_without_calendar(self):
        """Notice without a calendar refuses a business-time override when the policy is built."""
        when = {"kind": "notice", "since": "other", "until": "at", "op": ">=", "param": "d"}
        with pytest.raises(PolicyError, match=r"overrides\.d.*name the calendar"):
            policy(when, self.DAY, {"d": "2 business days"})

    def test_compare_duration_field_with_business_parameter(self):
        """A clock-time field compared with business time is refused, as default and as override."""
        when = {"kind": "compare", "path": "took", "op": ">", "param": "d"}
        with pytest.raises(PolicyError, match=r"rules\[0\]\.when\.param.*business time"):
            policy(when, {"d": {"type": "duration", "default": "2 business days"}})
        with pytest.raises(PolicyError, match=r"overrides\.d.*business time"):
            policy(when, self.DAY, {"d": "2 business days"})

    def test_due_override_to_business_time_without_calendar(self):
        """An obligation's due parameter overridden to business time needs a calendar at build time."""
        rule = {"id": "r", "title": "r", "when": {"kind": "compare", "path": "n", "op": ">", "value": 1},
                "then": [{"type": "obligation", "action": "a", "who": "agent", "due": {"param": "d"}}]}
        with pytest.raises(PolicyError, match=r"overrides\.d.*needs a calendar"):
            Policy(id="p", version="1", title="t", fact_type="ks_fact", params=self.DAY,
                   overrides={"d": "2 business days"}, rules=[rule])

    def test_clock_override_still_accepted(self):
        """A clock-time override builds and runs."""
        built = policy(self.ELAPSED, self.DAY, {"d": "2d"})
        decision = Engine(built).evaluate({"at": datetime(2026, 1, 5, 10, tzinfo=SH),
                                           "other": datetime(2026, 1, 1, 10, tzinfo=SH)})
        assert decision.rule_ids == ("r",)
        assert decision.errors == ()


class TestBoundsCompareLikeWithLike:
    """Duration bounds and values of different measures are a PolicyError, not a TypeError."""

    @pytest.mark.parametrize("param", [
        {"type": "duration", "default": "2 business days", "min": "1h"},
        {"type": "duration", "default": "24h", "min": "1 business days"},
        {"type": "duration", "default": "2 business days", "min": "1 business hours"},
        {"type": "duration", "default": "2h", "min": "1h", "max": "3 business hours"},
    ])
    def test_mixed_measures_in_the_parameter(self, param):
        """Clock time, business days and business hours never bound one another."""
        with pytest.raises(PolicyError, match=r"params\.d.*like with like"):
            policy({"kind": "compare", "path": "n", "op": ">", "value": 1}, {"d": param})

    def test_override_of_another_measure(self):
        """An override in business time against clock-time bounds is refused at overrides.d."""
        with pytest.raises(PolicyError, match=r"overrides\.d.*like with like"):
            policy({"kind": "compare", "path": "n", "op": ">", "value": 1},
                   {"d": {"type": "duration", "default": "24h", "min": "1h"}}, {"d": "2 business days"})

    def test_business_bounds_of_one_unit(self):
        """Business days bounded by business days are ordered by their amount."""
        param = {"type": "duration", "default": "2 business days", "min": "1 business days",
                 "max": "3 business days"}
        built = policy({"kind": "compare", "path": "n", "op": ">", "value": 1}, {"d": param})
        with pytest.raises(PolicyError, match="above the maximum"):
            built.with_params(d="4 business days")


def session_policy(when: dict[str, Any], params: dict[str, Any],
                   overrides: dict[str, Any] | None = None) -> Policy:
    """A session policy: one rule with a window kind."""
    return policy(when, params, overrides)


class TestWindowParameters:
    """Window kinds refuse through a parameter what they refuse as a literal."""

    @pytest.mark.parametrize(("when", "message"), [
        ({"kind": "in_a_row", "match": NOT_MATCHING, "param": "k"}, "in_a_row needs times >= 1"),
        ({"kind": "nth", "match": NOT_MATCHING, "param": "k", "or_later": True}, "nth counts from 1"),
    ])
    def test_zero_count_default_and_override(self, when, message):
        """A count of 0 is refused as a default and as an override."""
        with pytest.raises(PolicyError, match=message):
            session_policy(when, {"k": {"type": "int", "default": 0}})
        with pytest.raises(PolicyError, match=rf"overrides\.k.*{message}"):
            session_policy(when, {"k": {"type": "int", "default": 2}}, {"k": 0})

    @pytest.mark.parametrize(("override", "message"), [("0s", "longer than zero"),
                                                       ("2 business days", "business time")])
    def test_rolling_window_override(self, override, message):
        """A rolling window overridden to zero or to business time is refused at the override."""
        when = {"kind": "count", "match": NOT_MATCHING, "window": {"param": "w"}, "op": ">=", "value": 1}
        with pytest.raises(PolicyError, match=rf"overrides\.w.*{message}"):
            session_policy(when, {"w": {"type": "duration", "default": "30d"}}, {"w": override})

    def test_still_open_override(self):
        """still_open refuses a business-time override of its duration."""
        when = {"kind": "still_open", "since": "at", "param": "w", "closed": NOT_MATCHING}
        with pytest.raises(PolicyError, match=r"overrides\.w.*business time"):
            session_policy(when, {"w": {"type": "duration", "default": "1d"}}, {"w": "2 business days"})

    def test_valid_override_runs(self):
        """An override of 1 builds and the non-matching event gives nothing."""
        built = session_policy({"kind": "in_a_row", "match": NOT_MATCHING, "param": "k"},
                               {"k": {"type": "int", "default": 2}}, {"k": 1})
        result = SessionEngine([built], backend="python").send(
            "s", {"at": datetime(2026, 1, 5, 10, tzinfo=SH), "n": 1}, now=datetime(2026, 1, 5, 10, tzinfo=SH))
        assert not result.effects


def ladder_rule(index: int, when: dict[str, Any], step: int, consequence: str) -> dict[str, Any]:
    """A rule giving ``step`` of the X ladder."""
    return {"id": f"r{index}", "title": "r", "when": when,
            "then": [{"type": "violation", "code": "X", "message": "m",
                      "ladder": {"step": step, "consequence": consequence}}]}


def nth(n: int | None = None, *, or_later: bool = False, param: str | None = None) -> dict[str, Any]:
    """An nth condition on the same match and month window."""
    number = {"n": n} if param is None else {"param": param}
    return {"kind": "nth", "match": NOT_MATCHING, "window": {"calendar": "month"}, "or_later": or_later, **number}


def ladder_policy(*occurrences: dict[str, Any], params: dict[str, Any] | None = None) -> Policy:
    """A correct / warn / fine ladder whose steps fire on the given conditions."""
    rules = [ladder_rule(i + 1, when, i + 1, ("correct", "warn", "fine")[i]) for i, when in enumerate(occurrences)]
    return Policy(id="p", version="1", title="t", fact_type="ks_fact", params=params or {}, rules=rules)


class TestLadderOccurrences:
    """Ladder steps tied to nth occurrences come in the order of those occurrences."""

    def test_swapped_occurrences_are_refused(self):
        """Warn on the 3rd and fine on the 2nd or later is refused at the fine's step."""
        with pytest.raises(PolicyError, match="step 3 fires on occurrence 2") as caught:
            ladder_policy(nth(1), nth(3), nth(2, or_later=True))
        assert caught.value.rule_id == "r3"

    def test_or_later_before_the_last_step_is_refused(self):
        """A step with or_later would fire alongside the next step."""
        with pytest.raises(PolicyError, match="only the last step may say or_later"):
            ladder_policy(nth(1, or_later=True), nth(2))

    def test_occurrences_through_parameters(self):
        """Occurrence numbers from parameters are compared as they are in force."""
        params = {"warn_at": {"type": "int", "default": 3}}
        with pytest.raises(PolicyError, match="step 3 fires on occurrence 2"):
            ladder_policy(nth(1), nth(param="warn_at"), {"kind": "all", "of": [nth(2, or_later=True)]},
                          params=params)

    def test_increasing_occurrences_are_accepted(self):
        """Steps need not equal occurrences: 1st, 3rd and 5th-or-later build."""
        built = ladder_policy(nth(1), nth(3), nth(5, or_later=True))
        assert [rule.id for rule in built.rules] == ["r1", "r2", "r3"]


class TestBlankPhrases:
    """A blank phrase is refused like an empty one."""

    def test_literal_blank_phrase(self):
        """contains [" "] is refused."""
        with pytest.raises(PolicyError, match="empty or blank"):
            policy({"kind": "contains", "path": "lines", "phrases": [" "]})

    def test_parameter_blank_phrase(self):
        """A str_list parameter holding a blank phrase is refused."""
        with pytest.raises(PolicyError, match="empty one"):
            policy({"kind": "contains", "path": "lines", "param": "w"},
                   {"w": {"type": "str_list", "default": ["ok", "\t "]}})


class TestValidityDays:
    """Validity days are refused outside the days an instant can start, and zones compare as read."""

    @pytest.mark.parametrize(("field", "day"), [("valid_from", "0001-01-01"), ("valid_until", "9999-12-31")])
    def test_out_of_range_day(self, field, day):
        """A day whose start has no instant is refused at the field, not an OverflowError later."""
        with pytest.raises(PolicyError, match=rf"at {field}.*outside the days"):
            policy({"kind": "compare", "path": "n", "op": ">", "value": 1}, **{field: day})

    def test_omitted_zone_is_the_default_zone(self):
        """Leaving timezone out and naming Asia/Shanghai are one zone for successive versions."""
        when = {"kind": "compare", "path": "n", "op": ">", "value": 1}
        before = policy(when, valid_until="2026-07-01")
        after = policy(when, valid_from="2026-07-01", timezone="Asia/Shanghai", version="2")
        check_versions([before, after])
        engine = Engine([before, after])
        decision = engine.evaluate({"at": datetime(2026, 7, 1, 9, tzinfo=SH), "n": 5}, as_of=date(2026, 7, 1))
        assert decision.rule_ids == ("r",)
