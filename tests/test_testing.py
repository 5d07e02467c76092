"""csrules.testing: assertions, session helpers, policy test files, and the public surface."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from pydantic import AwareDatetime, BaseModel, Field

import csrules
import csrules.testing
from csrules import Engine, Outcome, Policy, dump_policy, register_fact_type
from csrules.testing import (
    DecisionMismatch,
    TestFileError,
    Tick,
    assert_decision,
    assert_effects_after,
    facts_for,
    load_test_file,
    run_cases,
    run_test_file,
)

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CST)


@register_fact_type(name="tt_leave")
class Leave(BaseModel):
    kind: Literal["personal", "sick"]
    requested_at: AwareDatetime
    starts_at: AwareDatetime
    days: float = Field(ge=0, le=30)


POLICY = Policy(
    id="leave",
    version="1",
    title="Leave",
    fact_type="tt_leave",
    rules=[
        {
            "id": "notice",
            "title": "Personal leave needs a day's notice",
            "when": {
                "kind": "all",
                "of": [
                    {"kind": "compare", "path": "kind", "op": "==", "value": "personal"},
                    {"kind": "elapsed", "since": "requested_at", "until": "starts_at", "op": "<", "duration": "24h"},
                ],
            },
            "then": [{"type": "violation", "code": "ATT-1", "message": "too late"}],
        },
        {
            "id": "head",
            "title": "Up to a day: the department head",
            "when": {"kind": "compare", "path": "days", "op": "<=", "value": 1},
            "then": [{"type": "approval", "role": "department_head"}],
        },
        {
            "id": "director",
            "title": "More than a day: the centre director",
            "when": {"kind": "compare", "path": "days", "op": ">", "value": 1},
            "then": [
                {"type": "approval", "role": "centre_director"},
                {"type": "obligation", "who": "hr", "action": "file it"},
            ],
        },
    ],
)
ENGINE = Engine(POLICY)


def leave(kind: str = "personal", notice_hours: float = 48, days: float = 1) -> dict[str, Any]:
    starts = NOW + timedelta(days=7)
    return {"kind": kind, "requested_at": starts - timedelta(hours=notice_hours), "starts_at": starts, "days": days}


class TestAssertDecision:
    def test_passes_and_returns_the_decision(self):
        """A matching decision passes and is returned for further checks."""
        decision = assert_decision(
            ENGINE,
            leave(notice_hours=2, days=3),
            violates="ATT-1",
            approver="centre_director",
            obligations=["hr"],
            escalates=None,
        )
        assert decision.outcome is Outcome.VIOLATION

    def test_accepts_a_policy(self):
        """A policy is compiled into an engine on the fly."""
        assert_decision(POLICY, leave(), expect=["approval:department_head"], outcome="needs_approval")

    def test_none_means_none(self):
        """violates=None (or ()) asserts that nothing is violated."""
        assert_decision(ENGINE, leave(), violates=None, obligations=())

    def test_failure_shows_expected_actual_and_the_deciding_trace(self):
        """A mismatch names what differed, the effects, the rules that decided and the fact."""
        with pytest.raises(DecisionMismatch) as caught:
            assert_decision(ENGINE, leave(notice_hours=23, days=2), violates=[], approver="department_head")
        message = str(caught.value)
        assert "violates: expected [], got ['ATT-1']" in message
        assert "approver: expected ['department_head'], got ['centre_director']" in message
        assert "effects that hold: ['violation:ATT-1', 'approval:centre_director', 'obligation:hr']" in message
        assert "leave/notice: MATCHED" in message
        assert "less than 24 hours from requested at to starts at" in message
        assert "leave/head: no match" in message  # the rule that would have given the approver
        assert "✗ days is at most 1  [days=2.0]" in message
        assert "'kind': 'personal'" in message
        assert caught.value.problems[0].startswith("violates:")
        assert caught.value.decision.approvers == ("centre_director",)

    def test_outcome_mismatch(self):
        """The overall outcome can be asserted."""
        with pytest.raises(DecisionMismatch, match="outcome: expected clean, got needs_approval"):
            assert_decision(ENGINE, leave(), outcome=Outcome.CLEAN)

    def test_rule_errors_fail_the_assertion(self):
        """A rule that fails while evaluating fails the assertion, named in the message."""
        with pytest.raises(DecisionMismatch, match=r"rule stamp/stale failed: TimeError"):
            assert_decision(STAMPS, {"at": datetime(2026, 3, 2, 7)}, now=NOW, expect=[])

    @settings(max_examples=30, deadline=None)
    @given(facts_for(POLICY))
    def test_long_leave_always_needs_the_director(self, fact):
        """Dogfood: over a day of leave, the centre director approves and nobody else."""
        if fact.days > 1:
            assert_decision(ENGINE, fact, approver="centre_director")


@register_fact_type(name="tt_stamp")
class Stamp(BaseModel):
    at: datetime  # plain datetime: a naive one cannot be compared with an aware now


STAMPS = Policy(
    id="stamp",
    version="1",
    title="t",
    fact_type="tt_stamp",
    rules=[
        {
            "id": "stale",
            "title": "t",
            "when": {"kind": "elapsed", "since": "at", "op": ">", "duration": "1h"},
            "then": [{"type": "recommendation", "text": "refresh"}],
        }
    ],
)


class FakeSession:
    """Counts offences; the third and later in a session is a violation."""

    def __init__(self) -> None:
        self.count = 0
        self.clock: datetime | None = None

    def send(self, event: str, now: datetime | None = None) -> list[str]:
        self.clock = now or self.clock
        if event != "offence":
            return []
        self.count += 1
        return ["violation:CON-1"] if self.count >= 3 else []

    def tick(self, now: datetime) -> list[str]:
        self.clock = now
        return ["escalation:shift_lead"] if self.count else []


class TestAssertEffectsAfter:
    def test_checks_the_last_step(self):
        """By default the effects of the last event are checked."""
        steps = assert_effects_after(FakeSession(), ["offence", "offence", "offence"], violates="CON-1")
        assert steps == [[], [], ["violation:CON-1"]]

    def test_events_with_now_and_ticks(self):
        """Items may carry a now, and Tick moves the clock."""
        session = FakeSession()
        assert_effects_after(
            session, [("offence", NOW), Tick(NOW + timedelta(hours=25))], expect=["escalation:shift_lead"]
        )
        assert session.clock == NOW + timedelta(hours=25)

    def test_over_all_steps(self):
        """over='all' checks the union of every step's effects."""
        assert_effects_after(FakeSession(), ["offence"] * 3 + ["greeting"], over="all", expect=["violation:CON-1"])

    def test_failure_lists_every_step(self):
        """A mismatch lists the effects of each step."""
        with pytest.raises(AssertionError, match=r"(?s)violates: expected \['CON-1'\], got \[\].*step 2: nothing"):
            assert_effects_after(FakeSession(), ["offence", "offence"], violates="CON-1")

    def test_a_plain_callable_is_a_sink(self):
        """Any callable returning effect keys, effects or a decision works."""
        assert_effects_after(
            lambda fact: ENGINE.evaluate(fact), [leave(days=3)], expect=["approval:centre_director", "obligation:hr"]
        )

    def test_needs_an_event(self):
        """An empty series of events is refused."""
        with pytest.raises(ValueError, match="at least one event"):
            assert_effects_after(FakeSession(), [], expect=[])

    def test_a_real_session(self):
        """Works against csrules sessions: the third offence in a month is a violation."""
        sessions = pytest.importorskip("csrules._sessions")
        policy = Policy(
            id="greet",
            version="1",
            title="t",
            fact_type="tt_greeting",
            rules=[
                {
                    "id": "third",
                    "title": "t",
                    "when": {
                        "kind": "count",
                        "match": {"kind": "compare", "path": "opening", "op": "==", "value": "喂"},
                        "window": {"calendar": "month"},
                        "op": ">=",
                        "value": 3,
                    },
                    "then": [{"type": "violation", "code": "CON-1", "message": "m"}],
                }
            ],
        )
        session = sessions.SessionEngine([policy], backend="python").session("agent-7")
        greetings = [(Greeting(at=NOW + timedelta(days=i), opening="喂"), NOW + timedelta(days=i)) for i in range(3)]
        assert_effects_after(session, greetings, violates="CON-1")


@register_fact_type(name="tt_greeting")
class Greeting(BaseModel):
    at: AwareDatetime
    opening: str


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    return write(tmp_path, "leave.yaml", dump_policy(POLICY))


GOOD = """\
    policy: leave.yaml
    now: 2026-03-02T09:00:00+08:00
    cases:
      - name: short notice
        fact: {kind: personal, requested_at: 2026-03-09T08:00:00+08:00, starts_at: 2026-03-09T16:00:00+08:00, days: 1}
        expect: [violation:ATT-1, approval:department_head]
      - name: long leave
        fact: {kind: sick, requested_at: 2026-03-01T08:00:00+08:00, starts_at: 2026-03-09T16:00:00+08:00, days: 3}
        expect: [approval:centre_director, obligation:hr]
    """


class TestTestFiles:
    def test_load(self, tmp_path, policy_file):
        """A test file loads into named cases with file, line, now and the policy path."""
        cases = load_test_file(write(tmp_path, "leave.test.yaml", GOOD))
        assert [c.name for c in cases] == ["short notice", "long leave"]
        assert cases[0].line == 4
        assert cases[1].line == 7
        assert cases[0].now == NOW
        assert cases[0].policy_files == (policy_file.resolve(),)
        assert cases[0].expect == ("approval:department_head", "violation:ATT-1")
        assert cases[0].id == "leave.test.yaml::short notice"

    def test_run_test_file(self, tmp_path, policy_file):
        """Every case passes against the policy the file names."""
        results = run_test_file(write(tmp_path, "leave.test.yaml", GOOD))
        assert [r.passed for r in results] == [True, True]
        assert results[0].to_dict()["id"] == "leave.test.yaml::short notice"

    def test_given_policies_serve_when_the_file_names_none(self, tmp_path):
        """A file without policy: runs against the policies the caller gives."""
        path = write(tmp_path, "leave.test.yaml", GOOD.replace("    policy: leave.yaml\n", ""))
        assert all(r.passed for r in run_test_file(path, [POLICY]))
        assert all(r.passed for r in run_cases(ENGINE, load_test_file(path)))
        with pytest.raises(TestFileError, match="names no policy"):
            run_test_file(path)

    def test_a_failing_case_explains_itself(self, tmp_path, policy_file):
        """A wrong expectation fails with file:line, expected and actual, and the trace."""
        path = write(tmp_path, "leave.test.yaml", GOOD.replace("expect: [violation:ATT-1, ", "expect: ["))
        result = run_test_file(path)[0]
        assert not result.passed
        assert not result.error
        assert result.message.startswith(f"{path}:4: case 'short notice':")
        assert (
            "expected ['approval:department_head'], got ['approval:department_head', 'violation:ATT-1']"
            in result.message
        )
        assert "leave/notice: MATCHED" in result.message

    def test_a_fact_that_does_not_validate_is_an_error_case(self, tmp_path, policy_file):
        """A case whose fact does not validate fails, naming the file, line and the field."""
        path = write(tmp_path, "leave.test.yaml", GOOD.replace("days: 3", "days: 99"))
        results = run_test_file(path)
        assert results[0].passed
        assert results[1].error
        assert f"{path}:7: case 'long leave': the fact does not validate" in results[1].message
        assert "days" in results[1].message

    @pytest.mark.parametrize(
        ("text", "line", "message"),
        [
            ("- just a list\n", 1, "holds a mapping with 'cases'"),
            ("policy: leave.yaml\ncases: []\n", 2, "non-empty list of 'cases'"),
            ("policy: leave.yaml\nfixture: 1\ncases: []\n", 2, "unknown key 'fixture'"),
            ("policy: missing.yaml\ncases: [{fact: {}, expect: []}]\n", 1, "policy file missing.yaml not found"),
            ("cases:\n  - fact: {}\n    expect: [approve:boss]\n", 3, "'approve:boss' is not an effect key"),
            ("cases:\n  - fact: {}\n    expect: violation:X\n", 3, "needs 'expect', a list of effect keys"),
            ("cases:\n  - expect: []\n", 2, "needs a fact mapping"),
            ("cases:\n  - {fact: {}, expect: [], colour: red}\n", 2, "unknown key 'colour' in a case"),
            (
                "cases:\n  - {name: a, fact: {}, expect: []}\n  - {name: a, fact: {}, expect: []}\n",
                3,
                "two cases are named 'a' (the first at line 2)",
            ),
            (
                "now: 2026-03-02 09:00\ncases:\n  - {fact: {}, expect: []}\n",
                1,
                "now must be a date and time with a time zone",
            ),
            (
                "imports: [no_such_module_xyz]\ncases:\n  - {fact: {}, expect: []}\n",
                1,
                "cannot import no_such_module_xyz",
            ),
            ("cases:\n  - fact: {a: 1\n    expect: []\n", 3, "invalid YAML"),
            ("cases: [{fact: {}, expect: []}]\ncases: []\n", 2, "duplicate key 'cases'"),
        ],
    )
    def test_malformed_files_name_file_and_line(self, tmp_path, policy_file, text, line, message):
        """Every problem in a test file is reported with the file and the line."""
        path = write(tmp_path, "bad.test.yaml", text)
        with pytest.raises(TestFileError) as caught:
            load_test_file(path)
        assert caught.value.file == str(path)
        assert caught.value.line == line
        assert message in str(caught.value)
        assert str(caught.value).startswith(f"{path}:{line}: ")

    def test_unreadable_file(self, tmp_path):
        """A missing file is a TestFileError naming it."""
        with pytest.raises(TestFileError, match="cannot read the test file"):
            load_test_file(tmp_path / "nope.test.yaml")

    def test_imports_are_found_next_to_the_file(self, tmp_path):
        """A module named in imports: is found in the test file's folder or its parents."""
        package = tmp_path / "tt_hostpkg"
        package.mkdir()
        (package / "__init__.py").write_text("MARK = 1\n", encoding="utf-8")
        (tmp_path / "tests").mkdir()
        write(tmp_path, "leave.yaml", dump_policy(POLICY))
        path = write(
            tmp_path / "tests",
            "x.test.yaml",
            GOOD.replace("policy: leave.yaml", "policy: ../leave.yaml\n    imports: [tt_hostpkg]"),
        )
        assert len(load_test_file(path)) == 2
        import tt_hostpkg  # type: ignore[import-not-found]

        assert tt_hostpkg.MARK == 1


class TestPublicSurface:
    def test_all_names_exist_and_are_documented(self):
        """Every name in csrules.testing.__all__ exists, has a docstring, and __all__ is sorted."""
        names = csrules.testing.__all__
        assert names == sorted(names)
        for name in names:
            obj = getattr(csrules.testing, name)
            assert obj.__doc__, name

    def test_public_names_match_all(self):
        """Public names are __all__ plus core types from csrules itself (no stray helpers)."""
        import types

        public = {
            name
            for name, obj in vars(csrules.testing).items()
            if not name.startswith("_")
            and not isinstance(obj, types.ModuleType)
            and getattr(obj, "__module__", "").startswith("csrules")
        }
        assert set(csrules.testing.__all__) <= public
        assert public - set(csrules.testing.__all__) <= set(csrules.__all__)
        assert {getattr(csrules.testing, n).__module__ for n in csrules.testing.__all__} == {"csrules.testing"}
