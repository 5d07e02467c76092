"""Worked examples and test cases as event sequences, the violation ladder, and exploring sessions."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import csrules
from csrules import PolicyError
from csrules._docs import langs_for, render_docs, subject_from_pack
from csrules._engine.examples import CaseResult
from csrules._policy.lint import lint_policy
from csrules._policy.model import Policy, Step
from csrules._testing.boundaries.sessions import EventSlot, TickSlot, sequence_shapes
from csrules._testing.examples import run_examples
from csrules.policies import PACK_NAMES, load_pack
from csrules.testing import (
    TestFileError,
    collect_coverage,
    explore,
    explore_sessions,
    load_test_file,
    run_test_file,
)

pytest_plugins = ["pytester"]

TZ = ZoneInfo("Asia/Shanghai")
MALL = load_pack("mall")
SESSION = MALL.policy("call_session")
STATELESS = MALL.policy("call")


def call(call_id: str, when: str, line: str = "喂，您好") -> dict[str, Any]:
    """A call record of agent M01 opening with ``line``."""
    return {"call_id": call_id, "agent_id": "M01", "started_at": when, "duration": "PT1M", "agent_lines": [line]}


def step(call_id: str, when: str, expect: list[str], line: str = "喂，您好") -> dict[str, Any]:
    """An event step of a 喂 sequence."""
    return {"fact": call(call_id, when, line), "expect": expect}


def with_examples(policy: Policy, rule_id: str, *examples: dict[str, Any]) -> Policy:
    """``policy`` with ``rule_id``'s worked examples replaced by ``examples``."""
    data = policy.model_dump(mode="python")
    for rule in data["rules"]:
        if rule["id"] == rule_id:
            rule["examples"] = list(examples)
    return Policy(**data)


def with_ladders(*ladders: dict[str, Any]) -> Policy:
    """The stateless mall call policy with the CON-1 ladder rules' ladders replaced, in order."""
    data = STATELESS.model_dump(mode="python", exclude_defaults=False)
    rules = [r for r in data["rules"] if r["id"].startswith("CON-1.wei")]
    for rule, ladder in zip(rules, ladders, strict=True):
        rule["then"][0]["ladder"] = ladder
        rule["then"][0]["consequence"] = None
    return Policy(**data)


FIRST_TWO = [step("C1", "2026-03-02T10:00:00+08:00", ["violation:CON-1"]), step("C2", "2026-03-03T10:00:00+08:00", [])]


class TestExampleShape:
    def test_steps_on_a_stateless_policy_are_refused(self) -> None:
        """A stateless policy refuses a sequence, naming the rule and the example."""
        with pytest.raises(
            PolicyError, match=r"CON-1.hello.*example #1 \(seq\) gives steps, but this policy is stateless"
        ):
            with_examples(STATELESS, "CON-1.hello", {"name": "seq", "steps": FIRST_TWO})

    def test_a_single_fact_on_a_session_policy_is_refused(self) -> None:
        """A session policy refuses a single-fact example: its windows cannot judge one fact."""
        example = {"fact": call("C1", "2026-03-02T10:00:00+08:00"), "expect": ["violation:CON-1"]}
        with pytest.raises(
            PolicyError, match=r"CON-1.month-corrected.*example #1 is a single fact, but this is a session policy"
        ):
            with_examples(SESSION, "CON-1.month-corrected", example)

    def test_a_step_is_an_event_or_a_tick(self) -> None:
        """A step with both a fact and a tick, or neither, or a tick with at, is refused."""
        fact = call("C1", "2026-03-02T10:00:00+08:00")
        with pytest.raises(PolicyError, match="either an event"):
            Step(fact=fact, tick="2026-03-02T10:00:00+08:00", expect=[])
        with pytest.raises(PolicyError, match="either an event"):
            Step(expect=[])
        with pytest.raises(PolicyError, match="takes no 'at'"):
            Step(tick="2026-03-02T10:00:00+08:00", at="2026-03-02T10:00:00+08:00", expect=[])

    def test_step_keys_and_facts_are_checked(self) -> None:
        """A malformed key, a key the rule cannot give, or a refused fact in a step is refused, located."""
        with pytest.raises(PolicyError, match="expect"):
            with_examples(
                SESSION, "CON-1.month-corrected", {"steps": [step("C1", "2026-03-02T10:00:00+08:00", ["violation"])]}
            )
        with pytest.raises(PolicyError, match=r"steps\[0\].expect.*cannot produce"):
            with_examples(
                SESSION,
                "CON-1.month-corrected",
                {"steps": [step("C1", "2026-03-02T10:00:00+08:00", ["violation:ATT-9"])]},
            )
        bad = {"steps": [{"fact": {**call("C1", "2026-03-02T10:00:00+08:00"), "duration": "soon"}, "expect": []}]}
        with pytest.raises(PolicyError, match=r"steps\[0\].fact.*does not validate"):
            with_examples(SESSION, "CON-1.month-corrected", bad)

    def test_steps_go_without_fact_expect_or_now(self) -> None:
        """An example gives steps or a fact, not both; subject goes only with steps."""
        with pytest.raises(PolicyError, match="not fact/expect/now"):
            with_examples(SESSION, "CON-1.month-corrected", {"steps": FIRST_TWO, "expect": []})
        with pytest.raises(PolicyError, match="subject goes with steps"):
            with_examples(
                STATELESS,
                "CON-1.hello",
                {"fact": call("C1", "2026-03-02T10:00:00+08:00"), "expect": [], "subject": "M01"},
            )


class TestLadder:
    def test_the_ladder_says_the_consequence(self) -> None:
        """A violation with a ladder and no consequence text gets one from the ladder, in both languages."""
        rule = STATELESS.rule("CON-1.wei-warned")
        violation = rule.then[0]
        assert violation.ladder is not None
        assert (violation.ladder.step, violation.ladder.consequence) == (2, "warn")
        assert violation.consequence is not None
        assert (violation.consequence.en, violation.consequence.zh) == (
            "warning (step 2 of the ladder)",
            "警告（處分第2級）",
        )

    def test_stateless_and_session_ladders_agree(self) -> None:
        """The stateless and session CON-1 rules give the same ladder with the same severities."""

        def ladder(policy: Policy, prefix: str) -> list[tuple[int, str, str]]:
            return [
                (e.ladder.step, e.ladder.consequence, e.severity)
                for r in policy.rules
                if r.id.startswith(prefix)
                for e in r.then
                if getattr(e, "ladder", None) is not None
            ]

        assert (
            ladder(STATELESS, "CON-1.wei")
            == ladder(SESSION, "CON-1.month")
            == [
                (1, "correct", "notice"),
                (2, "warn", "minor"),
                (3, "fine", "major"),
            ]
        )

    @pytest.mark.parametrize(
        ("ladders", "message"),
        [
            (
                (
                    {"step": 1, "consequence": "correct"},
                    {"step": 3, "consequence": "warn"},
                    {"step": 4, "consequence": "fine"},
                ),
                "has step 3 but no step 2",
            ),
            (
                (
                    {"step": 1, "consequence": "correct"},
                    {"step": 2, "consequence": "fine"},
                    {"step": 3, "consequence": "warn"},
                ),
                r"step 3 \(warn\) is milder than step 2 \(fine\)",
            ),
            (
                (
                    {"step": 1, "consequence": "correct"},
                    {"step": 1, "consequence": "warn"},
                    {"step": 2, "consequence": "fine"},
                ),
                "step 1 is warn here but correct",
            ),
            (
                (
                    {"step": 0, "consequence": "correct"},
                    {"step": 1, "consequence": "warn"},
                    {"step": 2, "consequence": "fine"},
                ),
                "ladder.step",
            ),
            (
                (
                    {"step": 1, "consequence": "scold"},
                    {"step": 2, "consequence": "warn"},
                    {"step": 3, "consequence": "fine"},
                ),
                "ladder.consequence",
            ),
        ],
    )
    def test_a_broken_ladder_is_refused(self, ladders: tuple[dict[str, Any], ...], message: str) -> None:
        """Gaps, milder later steps, one step with two consequences and bad values are refused, located."""
        with pytest.raises(PolicyError, match=message):
            with_ladders(*ladders)

    def test_rules_may_share_a_step(self) -> None:
        """Two rules giving the same step with the same consequence are one ladder."""
        policy = with_ladders(
            {"step": 1, "consequence": "correct"},
            {"step": 1, "consequence": "correct"},
            {"step": 2, "consequence": "fine"},
        )
        assert policy.rule("CON-1.wei-fined").then[0].consequence.en == "fine (step 2 of the ladder)"

    def test_documents_show_the_ladder(self) -> None:
        """The reviewer document shows each ladder step through the consequence text."""
        md = render_docs(subject_from_pack(MALL), langs_for("en"), datetime(2026, 12, 4).date()).markdown
        assert "consequence: corrected (step 1 of the ladder)" in md
        assert "consequence: fine (step 3 of the ladder)" in md


class TestSessionExamples:
    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_every_session_rule_has_passing_sequences(self, name: str) -> None:
        """Each session rule of each pack has at least two worked sequences, and they all pass."""
        pack = load_pack(name)
        for _, rule in pack.session_rules():
            assert len(rule.examples) >= 2, rule.id
            assert all(e.steps for e in rule.examples), rule.id
        results = list(run_examples(pack.session_policies))
        assert results
        assert all(r.passed for r in results), [r.message for r in results if not r.passed]

    def test_check_no_longer_wants_examples_of_session_rules(self) -> None:
        """Linting the session policies reports no few-examples."""
        for name in PACK_NAMES:
            for policy in load_pack(name).session_policies:
                assert not [f for f in lint_policy(policy) if f.code == "few-examples"], policy.id

    def test_a_wrong_step_fails_naming_the_step_and_the_rule(self) -> None:
        """A sequence expecting the wrong keys fails at that step, with the steps so far and the rule's trace."""
        wrong = [FIRST_TWO[0], step("C2", "2026-03-03T10:00:00+08:00", ["violation:CON-1"])]
        policy = with_examples(SESSION, "CON-1.month-corrected", {"name": "wrong", "subject": "M01", "steps": wrong})
        (result,) = [r for r in run_examples([policy]) if "month-corrected" in r.id]
        assert isinstance(result, CaseResult)
        assert not result.passed
        assert not result.error
        assert result.id == "mall.call_session/CON-1.month-corrected#1 (wrong)"
        assert (result.expected, result.got) == (("violation:CON-1",), ())
        assert "step 1 (event): [violation:CON-1] as expected" in result.message
        assert "step 2 (event): expected [violation:CON-1], got []" in result.message
        assert "CON-1.month-corrected" in result.message
        assert "value 2" in result.message

    def test_each_example_runs_on_a_fresh_session(self) -> None:
        """Two examples of the same subject each start from nothing: both see a first offence."""
        policy = with_examples(
            SESSION,
            "CON-1.month-corrected",
            {"subject": "M01", "steps": FIRST_TWO},
            {"subject": "M01", "steps": FIRST_TWO},
        )
        results = [r for r in run_examples([policy]) if "month-corrected" in r.id]
        assert [r.passed for r in results] == [True, True]

    def test_a_step_back_in_time_is_refused_when_the_policy_loads(self) -> None:
        """A tick earlier than the step before it is refused by the policy, naming both steps,
        before any test runs (a session's clock only moves forward)."""
        steps = [
            {"tick": "2026-03-05T10:00:00+08:00", "expect": []},
            {"tick": "2026-03-04T10:00:00+08:00", "expect": []},
        ]
        with pytest.raises(PolicyError, match=r"step 2 \(2026-03-04T10:00:00\+08:00\) is before step 1"):
            with_examples(SESSION, "CON-1.month-corrected", {"steps": steps})

    @pytest.mark.parametrize("key", ["tick", "at"])
    def test_a_number_is_not_an_instant(self, key: str) -> None:
        """A bare number (pydantic would read seconds since 1970) is refused as a step's instant."""
        step = {"tick": 12345, "expect": []} if key == "tick" else {
            "fact": {"call_id": "C1", "agent_id": "M01", "started_at": "2026-03-02T10:00:00+08:00",
                     "duration": "PT1M", "agent_lines": ["您好"]}, "at": 12345, "expect": []}
        with pytest.raises(PolicyError, match="an instant is written as ISO 8601"):
            with_examples(SESSION, "CON-1.month-corrected", {"steps": [step]})

    def test_coverage_counts_session_steps(self) -> None:
        """Session examples run inside collect_coverage make their rules true and false."""
        with collect_coverage() as coverage:
            list(run_examples([SESSION]))
        rules = {r.rule_id: r for r in coverage.report().rules if r.policy_id == SESSION.id}
        assert all(rules[name].made_true and rules[name].made_false for name in rules), rules
        work = load_pack("call_centre").policy("work_order_session")
        with collect_coverage() as coverage:
            list(run_examples([work]))
        ticked = {r.rule_id: r.made_true for r in coverage.report().rules if r.policy_id == work.id}
        # the shift lead's step fires in its own first example and in both of the manager's
        assert ticked == {"ESC-2.open-shift-lead": 3, "ESC-2.open-department-manager": 1}


CASES = """\
pack: mall
fact_type: call_record
cases:
  - name: first and second 喂 of March
    subject: M01
    steps:
      - fact: {call_id: C1, agent_id: M01, started_at: "2026-03-02T10:00:00+08:00", duration: PT1M, agent_lines: [喂]}
        expect: [violation:CON-1]
      - fact: {call_id: C2, agent_id: M01, started_at: "2026-03-03T10:00:00+08:00", duration: PT1M, agent_lines: [喂]}
        expect: [violation:CON-1]
  - name: a clean call
    fact:
      {call_id: C3, agent_id: M01, started_at: "2026-03-03T10:00:00+08:00", duration: PT1M,
       agent_lines: [您好，請問，謝謝]}
    expect: []
"""


class TestSessionCases:
    def test_a_test_file_mixes_sequences_and_single_facts(self, tmp_path: Path) -> None:
        """Sequences run on the pack's sessions, single facts on its engine; both pass."""
        path = tmp_path / "mall.test.yaml"
        path.write_text(CASES, encoding="utf-8")
        cases = load_test_file(path)
        assert [bool(c.steps) for c in cases] == [True, False]
        assert cases[0].subject == "M01"
        results = run_test_file(path)
        assert [r.passed for r in results] == [True, True], [r.message for r in results]
        assert results[0].id == "mall.test.yaml::first and second 喂 of March"
        assert results[0].line == 4

    def test_a_failing_sequence_names_file_line_and_step(self, tmp_path: Path) -> None:
        """A sequence case that differs fails with file:line, the case and the step."""
        path = tmp_path / "mall.test.yaml"
        path.write_text(
            CASES.replace("expect: [violation:CON-1]\n  - name", "expect: []\n  - name"),
            encoding="utf-8",
        )
        failed = [r for r in run_test_file(path) if not r.passed]
        assert len(failed) == 1
        assert f"{path}:4: case 'first and second 喂 of March'" in failed[0].message
        assert "step 2 (event): expected [], got [violation:CON-1]" in failed[0].message

    @pytest.mark.parametrize(
        ("case", "message", "line"),
        [
            (
                '    steps:\n      - {tick: "2026-03-02T10:00:00+08:00", at: "2026-03-02T10:00:00+08:00",'
                " expect: []}\n",
                "step 1: a tick step takes no 'at'",
                5,
            ),
            (
                '    steps:\n      - {tick: "2026-03-02T10:00:00+08:00", expect: [wrong]}\n',
                "'wrong' is not an effect key",
                5,
            ),
            ("    steps: []\n", "steps must be a non-empty list", 4),
            (
                '    expect: []\n    steps:\n      - {tick: "2026-03-02T10:00:00+08:00", expect: []}\n',
                "put expect in each step",
                4,
            ),
        ],
    )
    def test_malformed_steps_are_located(self, tmp_path: Path, case: str, message: str, line: int) -> None:
        """A malformed step is a TestFileError naming the file and the line."""
        path = tmp_path / "bad.test.yaml"
        path.write_text("pack: mall\ncases:\n  - name: bad\n" + case, encoding="utf-8")
        with pytest.raises(TestFileError, match=message) as info:
            load_test_file(path)
        assert (info.value.file, info.value.line) == (str(path), line)


class TestPytestPlugin:
    def test_sequence_cases_are_test_items(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        """pytest collects a session policy's sequence cases, passing and failing with the step."""
        source = str(Path(csrules.__file__).resolve().parents[1])
        monkeypatch.setenv("PYTHONPATH", source)
        policy = Path(csrules.__file__).parent / "policies" / "mall" / "sessions" / "call.yaml"
        header = f"policy: {policy}\nimports: [csrules.domain]\nfact_type: call_record\n"
        body = CASES.split("cases:\n", 1)[1].split("  - name: a clean call")[0]
        wrong = body.replace("expect: [violation:CON-1]\n", "expect: []\n", 1).replace("March", "March, wrongly")
        pytester.makefile(".test.yaml", mall=header + "cases:\n" + body + wrong)
        names = {e.name for e in importlib.metadata.entry_points(group="pytest11")}
        plugin = [] if "csrules" in names else ["-p", "csrules.pytest_plugin"]
        result = pytester.runpytest_subprocess(*plugin, "-p", "no:cacheprovider")
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(["*step 1 (event): expected [], got [violation:CON-1]*"])


class TestExploreSessions:
    def test_shapes_straddle_every_window(self) -> None:
        """Each window condition gets its boundary shapes, built explicitly, not drawn."""
        shapes = {s.title: s for s in sequence_shapes(SESSION)}
        change = datetime(2026, 3, 1, tzinfo=TZ)
        fined = shapes["CON-1.month-fined: events 2, 3 and 4 of one period, and one that does not count"]
        events = [s for s in fined.slots if isinstance(s, EventSlot)]
        assert [e.matches for e in events] == [False, True, True, True, True]
        assert all(e.at < change for e in events)
        across = shapes["CON-1.month-fined: 2 event(s) just before the period changes, 2 just after"]
        assert [e.at < change for e in across.slots if isinstance(e, EventSlot)] == [True, True, False, False]
        work = sequence_shapes(load_pack("call_centre").policy("work_order_session"))
        ticks = [s.at for s in work[0].slots if isinstance(s, TickSlot)]
        opened = datetime(2026, 3, 1, tzinfo=TZ)
        assert [(t - opened).total_seconds() for t in ticks] == [86399, 86400, 86401, 172800]
        six_on = load_pack("ecommerce").policy("shifts_session").model_dump(mode="python", exclude_unset=True)
        count = six_on["rules"][0]["when"]["of"][0]  # beside the campaign exemption
        count["window"] = {"rolling": "7d"}  # the packs count per calendar period
        count.pop("days")  # days are read in a calendar window's zone
        rolling = sequence_shapes(Policy(**six_on))
        assert [s.label for s in rolling] == [
            "8 events within 1w",
            "6 events, then one exactly 1w after the first and one just after",
        ]

    @pytest.mark.parametrize("name", PACK_NAMES)
    def test_the_packs_session_policies_explore_clean(self, name: str) -> None:
        """Exploring each pack's session policies finds no problem and runs every shape."""
        policies = load_pack(name).session_policies
        result = explore_sessions(policies, max_examples=len([s for p in policies for s in sequence_shapes(p)]))
        assert result.ok, result.render()
        assert result.examples >= len([s for p in policies for s in sequence_shapes(p)])
        assert "event sequences: no problem found" in result.render()
        assert not result.coverage.never_true  # every window's boundary shape reaches its rule

    def test_explore_sends_session_policies_to_sequences(self) -> None:
        """explore() explores session policies with sequences and refuses a mix."""
        assert explore(SESSION, max_examples=6).explored == "event sequences"
        with pytest.raises(PolicyError, match="apart from stateless"):
            explore([SESSION, STATELESS])


class TestDerivedSteering:
    def test_a_probe_of_a_derived_text_reaches_its_source(self) -> None:
        """A probe writing the derived greeting is carried into agent_lines, so the fact says it."""
        from csrules.testing import probe_examples

        now = datetime(2026, 3, 2, 9, tzinfo=TZ)
        # the pack's first 喂 rule alone: its probes are the call policy's quickest to draw
        data = STATELESS.model_dump(mode="python")
        data["rules"] = [rule for rule in data["rules"] if rule["id"] == "CON-1.wei-corrected"]
        pairs = [(t, f) for t, f in probe_examples(Policy(**data), now=now) if t.label.endswith("greeting says '喂'")]
        assert pairs
        assert all("喂" in fact.greeting for _, fact in pairs)


class TestCommandLine:
    def test_csrules_test_runs_a_session_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules test on a session policy file runs its sequences instead of finding nothing."""
        from csrules._cli.cli import main

        path = Path(csrules.__file__).parent / "policies" / "call_centre" / "sessions" / "work_order.yaml"
        assert main(["test", str(path), "-v"]) == 0
        out = capsys.readouterr().out
        assert "ok   call_centre.work_order_session/ESC-2.open-shift-lead#1" in out
        assert out.rstrip().endswith("5 passed, 0 failed")


class TestWithoutHypothesis:
    def test_check_and_examples_run_without_hypothesis(self) -> None:
        """csrules check and the example runners import and run with hypothesis missing."""
        code = textwrap.dedent(
            """
            import sys
            sys.modules["hypothesis"] = None
            from csrules._cli.cli import main
            from csrules._testing.examples import run_examples
            from csrules.policies import load_pack
            results = list(run_examples(load_pack("mall").session_policies))
            assert results and all(r.passed for r in results)
            assert main(["check", "mall"]) == 0
            assert main(["test", "mall"]) == 0
            written = sum(len(rule.examples) for policy in load_pack("mall").session_policies for rule in policy.rules)
            print("ok", len(results), written)
            """
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        shown = done.stdout.split("ok ", 1)[1].split()
        assert shown[0] == shown[1] != "0"  # every example of the mall's session policies ran
