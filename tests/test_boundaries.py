"""Boundary-seeking generation: csrules.testing.boundary_facts and explore."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal

import pytest
from pydantic import AwareDatetime, BaseModel, Field

from csrules import Engine, Policy, TimeError, register_fact_type
from csrules._testing.boundaries.core import around, boundary_targets
from csrules.testing import Probe, boundary_facts, explore, probe_examples, register_boundaries

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CST)


@register_fact_type(name="tb_leave")
class Leave(BaseModel):
    kind: Literal["personal", "sick", "special"]
    requested_at: AwareDatetime
    starts_at: AwareDatetime
    days: float = Field(ge=0, le=30)
    manager_approved: bool = False


@register_fact_type(name="tb_clock")
class Clock(BaseModel):
    kind: Literal["late", "early_leave"]
    late_minutes: int = Field(ge=0, le=480)
    swaps_this_month: int = Field(ge=1, le=10)
    clocked_at: AwareDatetime
    note: str | None = None


def policy(fact_type: str, *rules: dict[str, Any], params: dict[str, Any] | None = None) -> Policy:
    return Policy(
        id="p-" + fact_type,
        version="1",
        title="t",
        fact_type=fact_type,
        params=params or {},
        rules=[
            {"title": "t", "then": [{"type": "violation", "code": r["id"].upper(), "message": "m"}], **r} for r in rules
        ],
    )


def notice_rule(op: str) -> dict[str, Any]:
    """Personal leave needs 24 h notice unless the manager approved it."""
    return {
        "id": "notice",
        "when": {
            "kind": "all",
            "of": [
                {"kind": "compare", "path": "kind", "op": "==", "value": "personal"},
                {"kind": "elapsed", "since": "requested_at", "until": "starts_at", "op": op, "duration": "24h"},
                {
                    "kind": "not",
                    "condition": {"kind": "compare", "path": "manager_approved", "op": "==", "value": True},
                },
            ],
        },
    }


def late_rule(op: str) -> dict[str, Any]:
    """Twenty minutes late or more counts as absence."""
    return {
        "id": "late",
        "when": {
            "kind": "all",
            "of": [
                {"kind": "compare", "path": "kind", "op": "==", "value": "late"},
                {"kind": "compare", "path": "late_minutes", "op": op, "value": 20},
            ],
        },
    }


def probed(policies: Any, now: datetime | None = None) -> list[Any]:
    """Facts for every probe of ``policies``, in order (which probes appear never depends on draws)."""
    return [fact for _, fact in probe_examples(policies, now=now)]


class TestAround:
    @pytest.mark.parametrize(
        ("value", "kind", "integral", "expected"),
        [
            (20, "number", True, [19, 20, 21]),
            (1.5, "number", True, [0, 1, 2, 3]),
            (1, "number", False, [0, 0.5, 1, 1.5, 2]),
            (
                timedelta(hours=24),
                "duration",
                False,
                [timedelta(seconds=86399), timedelta(hours=24), timedelta(seconds=86401)],
            ),
            (time(12, 0), "time", False, [time(11, 59, 59), time(12, 0), time(12, 0, 1)]),
            (date(2026, 3, 1), "date", False, [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]),
        ],
    )
    def test_both_sides_of_a_threshold(self, value, kind, integral, expected):
        """A threshold gives itself and the nearest values on either side."""
        assert around(value, kind, integral=integral) == expected


class TestBoundaryFacts:
    def test_notice_of_exactly_a_day_and_a_second_less(self):
        """A 24 h notice rule draws notices of 23:59:59, exactly 24 h and 24:00:01."""
        notices = {f.starts_at - f.requested_at for f in probed(policy("tb_leave", notice_rule("<")))}
        assert {
            timedelta(hours=24),
            timedelta(hours=24) - timedelta(seconds=1),
            timedelta(hours=24, seconds=1),
        } <= notices

    def test_nineteen_and_twenty_minutes_late(self):
        """A 20-minute threshold draws 19, 20 and 21 minutes late."""
        minutes = {f.late_minutes for f in probed(policy("tb_clock", late_rule(">=")))}
        assert {19, 20, 21} <= minutes

    def test_second_and_third_swap_of_a_month(self):
        """A limit of two swaps a month (a parameter) draws the 2nd and the 3rd swap, and the 1st."""
        swaps = policy(
            "tb_clock",
            {"id": "swaps", "when": {"kind": "compare", "path": "swaps_this_month", "op": ">", "param": "max_swaps"}},
            params={"max_swaps": {"type": "int", "default": 2}},
        )
        assert {1, 2, 3} <= {f.swaps_this_month for f in probed(swaps)}

    def test_thresholds_follow_parameter_overrides(self):
        """A company's override moves the probed threshold with it."""
        swaps = policy(
            "tb_clock",
            {"id": "swaps", "when": {"kind": "compare", "path": "swaps_this_month", "op": ">", "param": "max_swaps"}},
            params={"max_swaps": {"type": "int", "default": 2}},
        ).with_params(max_swaps=5)
        assert {4, 5, 6} <= {f.swaps_this_month for f in probed(swaps)}

    def test_the_rest_of_the_rule_is_steered_true(self):
        """While the notice is probed, the other parts of the rule hold, so it decides."""
        pairs = probe_examples(policy("tb_leave", notice_rule("<")))
        at_threshold = [f for t, f in pairs if t.probe.label.endswith("= 1 day, 0:00:00")]
        assert at_threshold
        assert all(f.starts_at - f.requested_at == timedelta(hours=24) for f in at_threshold)
        assert all(f.kind == "personal" and not f.manager_approved for f in at_threshold)

    def test_time_until_now_is_placed_against_now(self):
        """A threshold measured until now is placed relative to the now given."""
        recent = policy(
            "tb_clock",
            {"id": "recent", "when": {"kind": "elapsed", "since": "clocked_at", "op": "<", "duration": "1h"}},
        )
        ages = {NOW - f.clocked_at for f in probed(recent, now=NOW)}
        assert {timedelta(minutes=59, seconds=59), timedelta(hours=1)} <= ages

    def test_missing_optional_fields_are_probed(self):
        """Presence conditions draw facts with the field and without it."""
        noted = policy("tb_clock", {"id": "noted", "when": {"kind": "is_set", "path": "note"}})
        assert {True, False} == {f.note is None for f in probed(noted)}

    def test_phrases_are_probed_inside_text(self):
        """A contains condition draws texts saying each phrase and texts saying none."""
        said = policy(
            "tb_clock", {"id": "said", "when": {"kind": "contains", "path": "note", "phrases": ["不知道", "no idea"]}}
        )
        notes = [f.note or "" for f in probed(said)]
        assert any("不知道" in n for n in notes)
        assert any("no idea" in n for n in notes)
        assert any("不知道" not in n and "no idea" not in n for n in notes)

    def test_an_engine_or_several_policies_of_one_type_work(self):
        """boundary_facts takes an engine whose policies judge one fact type."""
        engine = Engine(policy("tb_clock", late_rule(">=")))
        assert all(isinstance(f, Clock) for f in probed(engine))

    def test_registered_derivers_are_used(self):
        """A deriver registered for a kind replaces the built-in one."""
        from csrules._testing.boundaries.core import _DERIVERS

        original = _DERIVERS["is_set"]
        register_boundaries(
            "is_set", lambda cond, ctx: [Probe("note = 'custom'", lambda f: f.set(cond.path, "custom"), True)]
        )
        try:
            noted = policy("tb_clock", {"id": "noted", "when": {"kind": "is_set", "path": "note"}})
            assert {f.note for f in probed(noted)} == {"custom"}
        finally:
            register_boundaries("is_set", original)


class TestBadInput:
    def test_now_is_required_for_rules_that_read_it(self):
        """A rule measuring time until now needs now= to place its threshold."""
        recent = policy(
            "tb_clock",
            {"id": "recent", "when": {"kind": "elapsed", "since": "clocked_at", "op": "<", "duration": "1h"}},
        )
        with pytest.raises(TimeError, match=r"'recent'.*pass now="):
            boundary_facts(recent)

    def test_naive_now_is_refused(self):
        """now must carry a time zone."""
        with pytest.raises(TimeError, match="time zone"):
            boundary_facts(policy("tb_clock", late_rule(">=")), now=datetime(2026, 3, 2))

    def test_mixed_fact_types_are_refused(self):
        """Boundary facts are drawn for one fact type at a time."""
        with pytest.raises(ValueError, match="one fact type"):
            boundary_facts([policy("tb_clock", late_rule(">=")), policy("tb_leave", notice_rule("<"))])


class TestPlantedOffByOne:
    """Boundary generation finds an off-by-one that random generation misses in as many examples."""

    EXAMPLES = 100

    @staticmethod
    def notice_oracle(fact: Leave) -> list[str]:
        # real time (a DST day is 23 or 25 hours), as the engine measures
        short = fact.starts_at.timestamp() - fact.requested_at.timestamp() < timedelta(hours=24).total_seconds()
        return ["violation:NOTICE"] if fact.kind == "personal" and short and not fact.manager_approved else []

    @staticmethod
    def late_oracle(fact: Clock) -> list[str]:
        return ["violation:LATE"] if fact.kind == "late" and fact.late_minutes >= 20 else []

    def test_the_correct_policies_pass(self):
        """Without the planted bug, exploration agrees with the oracle."""
        assert explore(policy("tb_leave", notice_rule("<")), oracle=self.notice_oracle, max_examples=self.EXAMPLES).ok
        assert explore(policy("tb_clock", late_rule(">=")), oracle=self.late_oracle, max_examples=self.EXAMPLES).ok

    def test_notice_planted_with_at_most_instead_of_less_than(self):
        """'<=' for '<' on a 24 h notice: found at the boundary, missed by random facts."""
        planted = policy("tb_leave", notice_rule("<="))
        found = explore(planted, oracle=self.notice_oracle, max_examples=self.EXAMPLES)
        missed = explore(planted, oracle=self.notice_oracle, boundaries=False, max_examples=self.EXAMPLES)
        assert found.finding is not None
        assert found.finding.fact.starts_at - found.finding.fact.requested_at == timedelta(hours=24)
        # explore tries each probe in turn, so the exact-24 h probe's first fact finds it at the latest
        _, targets = boundary_targets(planted)
        share = self.EXAMPLES // (2 * len(targets))
        exact = [t.label for t in targets].index("notice: starts_at - requested_at = 1 day, 0:00:00")
        assert found.finding.example <= exact * share + 1
        assert missed.ok
        assert missed.examples == self.EXAMPLES

    def test_lateness_planted_with_more_than_instead_of_at_least(self):
        """'>' for '>=' on 20 minutes late: found at exactly 20, missed by random facts."""
        planted = policy("tb_clock", late_rule(">"))
        found = explore(planted, oracle=self.late_oracle, max_examples=self.EXAMPLES)
        missed = explore(planted, oracle=self.late_oracle, boundaries=False, max_examples=self.EXAMPLES)
        assert found.finding is not None
        assert (found.finding.fact.kind, found.finding.fact.late_minutes) == ("late", 20)
        assert "expected ['violation:LATE'], got []" in found.render()
        assert missed.ok


class TestExplore:
    def test_a_contradictory_rule_is_reported_as_never_true(self):
        """A rule no generated fact can make true is listed in the report."""
        never = policy(
            "tb_clock",
            {
                "id": "never",
                "when": {
                    "kind": "all",
                    "of": [
                        {"kind": "compare", "path": "late_minutes", "op": ">", "value": 30},
                        {"kind": "compare", "path": "late_minutes", "op": "<", "value": 10},
                    ],
                },
            },
        )
        result = explore(never, max_examples=40)
        assert result.ok
        assert [r.rule_id for r in result.coverage.never_true] == ["never"]
        assert "never made true" in result.render()

    def test_a_failing_rule_is_a_finding(self):
        """A rule that raises while evaluating is reported with the fact, shrunk."""
        broken = policy(
            "tb_naive", {"id": "stale", "when": {"kind": "elapsed", "since": "at", "op": ">", "duration": "1h"}}
        )
        result = explore(broken, now=NOW, max_examples=60)
        assert result.finding is not None
        assert result.finding.kind == "error"
        assert "stale" in result.finding.message


@register_fact_type(name="tb_naive")
class NaiveStamp(BaseModel):
    """Plain datetimes that may be naive: subtracting them from an aware now fails."""

    at: datetime | None = Field(default=None)
    naive: bool = False

    def model_post_init(self, context: Any) -> None:
        if self.naive and self.at is not None:
            object.__setattr__(self, "at", self.at.replace(tzinfo=None))
