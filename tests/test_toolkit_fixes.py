"""The testing toolkit refuses what it cannot check and explores what it says it explores."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import textwrap
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, Field

import csrules
from csrules import Policy, PolicyError, register_fact_type
from csrules._testing.boundaries.core import calendar_years
from csrules._testing.coverage import Coverage
from csrules._testing.strategies import EARLIEST, LATEST
from csrules.policies import load_pack
from csrules.testing import Target, assert_decision, assert_effects_after, explore, probe_examples

pytest_plugins = ["pytester"]


@register_fact_type(name="tk_call")
class Call(BaseModel):
    waited: int = Field(ge=0, le=100)


@register_fact_type(name="tk_order")
class Order(BaseModel):
    amount: int = Field(ge=0, le=100)


def policy(fact_type: str, path: str, value: int) -> Policy:
    return Policy(
        id=f"p-{fact_type}",
        version="1",
        title="t",
        fact_type=fact_type,
        rules=[
            {
                "id": "r",
                "title": "r",
                "when": {"kind": "compare", "path": path, "op": ">", "value": value},
                "then": [{"type": "violation", "code": "X", "message": "m"}],
            }
        ],
    )


CALLS = policy("tk_call", "waited", 50)
ORDERS = policy("tk_order", "amount", 50)
SESSION = load_pack("mall").policy("call_session")


class TestAssertionsThatCannotFail:
    def test_assert_decision_without_an_expectation_is_refused(self) -> None:
        """assert_decision with no expectation keyword raises instead of passing whatever is decided."""
        with pytest.raises(TypeError, match="give at least one of expect="):
            assert_decision(CALLS, {"waited": 90})

    def test_assert_decision_with_an_expectation_still_checks(self) -> None:
        """An expectation given is checked as before."""
        assert assert_decision(CALLS, {"waited": 90}, violates="X").rule_ids == ("r",)

    def test_assert_effects_after_without_an_expectation_is_refused(self) -> None:
        """assert_effects_after with neither expect= nor violates= raises."""
        with pytest.raises(TypeError, match="give expect= or violates="):
            assert_effects_after(lambda event: ["violation:X"], [1])

    def test_an_unknown_over_is_refused(self) -> None:
        """over= other than "last" or "all" is an error, not silently "all"."""
        with pytest.raises(ValueError, match='over must be "last" or "all"'):
            assert_effects_after(lambda event: ["violation:X"] if event == 1 else [], [1, 2], violates="X", over="typo")  # type: ignore[arg-type]


class TestEmptyCoverage:
    def test_no_decision_is_zero_percent(self) -> None:
        """A report of no decisions is 0 % and fails any positive threshold."""
        report = Coverage().report()
        assert report.percent == 0.0
        assert report.fails_under(90)
        assert "no decision was recorded" in report.render()


class TestExploreSessions:
    @pytest.mark.parametrize(
        ("given", "named"),
        [
            ({"oracle": lambda fact: ["violation:NEVER"]}, "oracle"),
            ({"now": datetime(2026, 3, 10, 4, tzinfo=UTC)}, "now"),
            ({"boundaries": False}, "boundaries=False"),
        ],
        ids=["oracle", "now", "random"],
    )
    def test_arguments_sessions_cannot_use_are_refused(self, given: dict[str, Any], named: str) -> None:
        """An oracle, now or boundaries=False given for session policies is refused, naming it."""
        with pytest.raises(PolicyError, match=f"{named} do not apply to session policies"):
            explore(SESSION, max_examples=2, **given)


class TestExploreEveryFactType:
    def test_random_facts_of_every_fact_type_are_judged(self) -> None:
        """explore(boundaries=False) over two fact types judges facts of both."""
        result = explore([CALLS, ORDERS], boundaries=False, max_examples=20)
        judged = {rule.policy_id for rule in result.coverage.rules if rule.made_true + rule.made_false}
        assert judged == {"p-tk_call", "p-tk_order"}


MODEL = """
from pydantic import BaseModel
from csrules import register_fact_type

@register_fact_type(name="tk_plain")
class Plain(BaseModel):
    n: int
"""


def _plugin_args() -> list[str]:
    """Load the plugin by hand when csrules is not installed with its entry point."""
    names = {e.name for e in importlib.metadata.entry_points(group="pytest11")}
    return [] if "csrules" in names else ["-p", "csrules.pytest_plugin"]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    source = str(Path(csrules.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
    pytester.makepyfile(test_a=textwrap.dedent("""
        def test_nothing_judged():
            assert True
    """))
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider", *args)


class TestPluginThreshold:
    def test_a_malformed_ini_value_is_a_usage_error(self, project: pytest.Pytester) -> None:
        """csrules_coverage_fail_under = 90% stops the run with a usage error naming the option."""
        project.makeini("[pytest]\ncsrules_coverage_fail_under = 90%\n")
        result = run(project)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*csrules_coverage_fail_under must be a number from 0 to 100*'90%'*"])
        assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()

    def test_a_threshold_above_a_hundred_is_a_usage_error(self, project: pytest.Pytester) -> None:
        """--csrules-coverage-fail-under=150, which no run could reach, is refused."""
        result = run(project, "--csrules-coverage-fail-under=150")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*--csrules-coverage-fail-under must be a number from 0 to 100*"])

    def test_a_run_that_judged_nothing_fails_the_threshold(self, project: pytest.Pytester) -> None:
        """A threshold fails a run that recorded no decision: 0 of 0 is 0 %, not 100 %."""
        result = run(project, "--csrules-coverage-fail-under=90")
        result.assert_outcomes(passed=1)
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(["*(0.0%) in 0 decisions*", "*no decision was recorded*"])


@register_fact_type(name="tk_stamp")
class Stamp(BaseModel):
    at: AwareDatetime
    other: AwareDatetime | None = None


def stamp_policy(when: dict[str, Any]) -> Policy:
    return Policy(
        id="p-stamp",
        version="1",
        title="t",
        fact_type="tk_stamp",
        rules=[{"id": "r", "title": "r", "when": when, "then": [{"type": "violation", "code": "X", "message": "m"}]}],
    )


WORKING = stamp_policy({"kind": "in_working_hours", "path": "at", "calendar": "china"})
NOTICE = stamp_policy(
    {"kind": "notice", "since": "other", "until": "at", "op": "<", "duration": "2 business days", "calendar": "china"}
)


class TestDrawnInCalendarYears:
    def test_the_range_stops_where_the_china_calendar_does(self) -> None:
        """Facts for a china-calendar rule are drawn a day clear of 2027, which it does not cover."""
        assert calendar_years([WORKING]) == (datetime(2026, 1, 1), datetime(2026, 12, 30, 23, 59, 59))
        assert calendar_years([CALLS]) == (EARLIEST, LATEST)

    @pytest.mark.parametrize("boundaries", [True, False], ids=["boundaries", "random"])
    @pytest.mark.parametrize("subject", [WORKING, NOTICE], ids=["working-hours", "notice"])
    def test_explore_finds_no_false_calendar_error(self, subject: Policy, boundaries: bool) -> None:
        """No fact explore draws lies in a year the calendar cannot judge, so nothing is reported."""
        result = explore(subject, boundaries=boundaries, max_examples=100)
        assert result.ok, result.render()

    def test_every_probe_fact_lies_in_a_covered_year(self) -> None:
        """Each fact drawn for each probe of a business-day notice has both instants in 2026."""
        pairs = probe_examples(NOTICE, per=3)
        assert pairs
        assert {moment.year for _, fact in pairs for moment in (fact.at, fact.other) if moment} == {2026}  # type: ignore[attr-defined]


CALL_CENTRE = load_pack("call_centre")
CST = timezone(timedelta(hours=8))


@functools.cache
def _probe_pairs(fact_type: str, now: datetime, rule: str) -> tuple[tuple[Target, BaseModel], ...]:
    """The probes of the built-in rule ``rule`` (of ``fact_type``) with their facts, drawn once
    per process (the draws are seeded, so every test reading them would draw the same ones);
    the rule alone, as probing every rule of a fact type draws for minutes."""
    policies = [p.model_copy(update={"rules": [r for r in p.rules if r.id == rule]})
                for p in CALL_CENTRE.policies if p.fact_type == fact_type]
    return tuple(probe_examples([p for p in policies if p.rules], now=now, per=2))


def probed(fact_type: str, now: datetime, field: str, rule: str) -> dict[str, set[Any]]:
    """Per probe label of ``field``, the values of ``field`` the facts drawn for ``rule``'s probes hold."""
    out: dict[str, set[Any]] = {}
    for target, fact in _probe_pairs(fact_type, now, rule):
        if target.probe.fixed is not None and target.probe.fixed[0] == field:
            out.setdefault(target.label, set()).add(getattr(fact, field))
    return out


class TestDerivedProbesReachTheBoundary:
    def test_late_minutes_probes_arrive_that_late(self) -> None:
        """ATT-7's 19, 20 and 21 minute probes draw arrivals exactly that late, as documented."""
        got = probed("attendance_record", datetime(2026, 3, 10, 12, tzinfo=CST), "late_minutes", "ATT-7.late")
        assert {label: values for label, values in got.items() if label.startswith("ATT-7.late:")} == {
            "ATT-7.late: late_minutes = 0": {0},  # the rule's guard: any lateness, never none
            "ATT-7.late: late_minutes = 1": {1},
            "ATT-7.late: late_minutes = 19": {19},
            "ATT-7.late: late_minutes = 20": {20},
            "ATT-7.late: late_minutes = 21": {21},
        }

    def test_the_noon_deadline_is_probed_on_the_shift_day(self) -> None:
        """ATT-5's 11:59:59, 12:00:00 and 12:00:01 probes are requests at that local clock."""
        now = datetime(2026, 3, 5, 9, tzinfo=CST)
        got = probed("leave_request", now, "requested_clock", "ATT-5.night-deadline")
        wanted = {f"ATT-5.night-deadline: requested_clock = {c}": {time.fromisoformat(c)} for c in
                  ("11:59:59", "12:00:00", "12:00:01")}
        assert {label: got.get(label) for label in wanted} == wanted
        lead = probed("leave_request", now, "request_lead_days", "ATT-5.night-deadline")
        assert lead.get("ATT-5.night-deadline: request_lead_days = 0") == {0}

    def test_rest_hour_probes_hold_their_value(self) -> None:
        """CB-1's during_rest probes draw calls inside the rest hours for yes and outside for no."""
        got = probed("callback_task", datetime(2026, 3, 10, 12, tzinfo=CST), "during_rest", "CB-1.rest-hours")
        assert got == {"CB-1.rest-hours: during_rest = yes": {True}, "CB-1.rest-hours: during_rest = no": {False}}


@register_fact_type(name="tk_derived")
class Derived(BaseModel):
    """A model whose derived field the generator has no way to steer."""

    n: int = Field(ge=0, le=100)
    double: int = Field(default=0, json_schema_extra={"derived": True, "source": ["n"]})

    def model_post_init(self, context: Any) -> None:
        object.__setattr__(self, "double", 2 * self.n + 1)  # always odd: 10 is out of reach


class TestUnreachableProbes:
    def test_a_probe_no_fact_holds_is_reported_not_tried(self) -> None:
        """A probe of a derived value no fact can hold gets no facts and is listed as not tried."""
        unreachable = policy("tk_derived", "double", 10)
        labels = {target.label for target, _ in probe_examples(unreachable, per=2)}
        assert "r: double = 10" not in labels
        result = explore(unreachable, max_examples=12)
        assert "r: double = 10" in result.unbuilt
        assert "probes not tried" in result.render()


class TestInPersonProbe:
    def test_both_in_person_probes_hold(self) -> None:
        """ATT-3's in_person probes draw requests filed by the employee (yes) and by someone else (no)."""
        got = probed("leave_request", datetime(2026, 3, 5, 9, tzinfo=CST), "in_person", "ATT-3.in-person")
        assert got == {"ATT-3.in-person: in_person = yes": {True}, "ATT-3.in-person: in_person = no": {False}}


class TestNotAPolicyRefused:
    """Probes and boundary facts asked of something that is no policy say so, naming it."""

    @pytest.mark.parametrize(
        ("call", "shown"),
        [
            (lambda: probe_examples("leave"), "str 'leave'"),  # type: ignore[arg-type]
            (lambda: csrules.testing.boundary_facts(None), "NoneType None"),  # type: ignore[arg-type]
            (lambda: probe_examples([load_pack("call_centre").policies[0], "x"]), "str 'x'"),  # type: ignore[list-item]
        ],
        ids=["id-text", "none", "text-among-policies"],
    )
    def test_refused_naming_the_argument(self, call: Any, shown: str) -> None:
        """A policy's id, None or a stray item is a PolicyError naming what was given."""
        with pytest.raises(PolicyError, match=rf"take a Policy, an Engine or a sequence of policies \(got {shown}\)"):
            call()
