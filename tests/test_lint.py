"""csrules check: validation problems and lint findings, located as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from csrules import All, Any_, Compare, Elapsed, In, IsMissing, IsSet, Not, NotIn, load_policy
from csrules._cli._common import import_modules
from csrules._policy.lint import lint_file, never_holds

DATA = Path(__file__).parent / "e2e" / "data"
import_modules([str(DATA / "cli_facts.py")])

HEAD = """\
id: p
version: "1"
title: t
fact_type: cli_leave
"""


def _lint(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return lint_file(path)[1]


def _codes(findings):
    return [(f.code, f.line) for f in findings]


class TestValidation:
    def test_clean_policy_has_no_findings(self):
        """The test policy is clean."""
        assert lint_file(DATA / "leave.yaml")[1] == []

    def test_unknown_fields_each_located(self, tmp_path):
        """Every unknown field is reported, each at its own line."""
        findings = _lint(
            tmp_path,
            HEAD
            + """\
colour: red
rules:
  - id: r
    title: t
    when: {kind: is_set, path: note}
    then: [{type: approval, role: x}]
    priorty: 3
""",
        )
        assert [(f.code, f.line) for f in findings] == [("invalid", 5), ("invalid", 11)]
        assert "unknown field colour" in findings[0].message
        assert "priorty" in findings[1].message
        assert findings[1].rule_id == "r"

    def test_type_error_in_condition(self, tmp_path):
        """Text compared with a number is located at the condition's line."""
        findings = _lint(
            tmp_path,
            HEAD
            + """\
rules:
  - id: r
    title: t
    when:
      kind: compare
      path: note
      op: "=="
      value: 3
    then: [{type: approval, role: x}]
""",
        )
        assert len(findings) == 1
        assert findings[0].severity == "error"
        assert findings[0].line == 12
        assert "note is text" in findings[0].message

    def test_duplicate_rule_ids(self, tmp_path):
        """A repeated rule id is an error at the second rule."""
        rule = """\
  - id: r
    title: t
    when: {kind: is_set, path: note}
    then: [{type: approval, role: x}]
"""
        findings = _lint(tmp_path, HEAD + "rules:\n" + rule + rule)
        assert _codes(findings) == [("invalid", 10)]
        assert "duplicate rule id" in findings[0].message

    def test_yaml_syntax_error(self, tmp_path):
        """Broken YAML is reported with its line."""
        findings = _lint(tmp_path, HEAD + "rules: [\n  - {id: r\n")
        assert findings[0].code == "syntax"
        assert findings[0].line is not None


class TestLint:
    def test_unused_parameter_no_citation_few_examples_never_holds(self, tmp_path):
        """Each lint finding appears once, at the right line, with the rule named."""
        findings = _lint(
            tmp_path,
            HEAD
            + """\
params:
  spare: {type: int, default: 3}
rules:
  - id: impossible
    title: t
    when:
      kind: all
      of:
        - {kind: compare, path: days, op: "<", value: 5}
        - {kind: compare, path: days, op: ">", value: 10}
    then: [{type: approval, role: x}]
""",
        )
        assert _codes(findings) == [
            ("unused-parameter", 6),
            ("no-citation", 8),
            ("few-examples", 8),
            ("never-holds", 11),
        ]
        assert "days: < 5 and > 10" in findings[3].render()
        assert findings[3].render().startswith(f"{tmp_path / 'p.yaml'}:11: warning [never-holds] rule 'impossible'")


class TestNeverHolds:
    @pytest.mark.parametrize(
        "cond",
        [
            All(of=[Compare(path="x", op="<", value=5), Compare(path="x", op=">", value=10)]),
            All(of=[Compare(path="x", op="==", value=1), Compare(path="x", op="==", value=2)]),
            All(of=[Compare(path="x", op=">=", value=3), Not(condition=Compare(path="x", op=">=", value=3))]),
            All(of=[Compare(path="x", op="<", value=3), Compare(path="x", op=">=", value=3)]),
            All(of=[In(path="k", value=["a", "b"]), Compare(path="k", op="==", value="c")]),
            All(of=[In(path="k", value=["a"]), NotIn(path="k", value=["a"])]),
            All(of=[IsSet(path="n"), IsMissing(path="n")]),
            All(of=[Elapsed(since="a", op="<", duration="1h"), Elapsed(since="a", op=">", duration="2h")]),
            Any_(of=[]),
            Any_(of=[All(of=[Compare(path="x", op="<", value=1), Compare(path="x", op=">", value=1)])]),
            All(of=[All(of=[Compare(path="x", op="<", value=1)]), Compare(path="x", op=">", value=1)]),
        ],
    )
    def test_contradictions_found(self, cond):
        """Contradictions within an all (and all-impossible anys) are found."""
        assert never_holds(cond, {}) is not None

    @pytest.mark.parametrize(
        "cond",
        [
            All(of=[Compare(path="x", op="<=", value=5), Compare(path="x", op=">=", value=5)]),
            All(of=[Compare(path="x", op="<", value=5), Compare(path="y", op=">", value=10)]),
            Any_(of=[Compare(path="x", op="<", value=5), Compare(path="x", op=">", value=10)]),
            All(of=[Compare(path="x", op=">", param="low"), Compare(path="x", op="<", param="high")]),
            Not(condition=All(of=[Compare(path="x", op="<", value=1), Compare(path="x", op=">", value=1)])),
        ],
    )
    def test_satisfiable_conditions_pass(self, cond):
        """Conditions that can hold are not reported."""
        assert never_holds(cond, {"low": 1, "high": 3}) is None

    def test_parameters_in_force_are_used(self):
        """Bounds from parameters use their values in force."""
        cond = All(of=[Compare(path="x", op=">", param="low"), Compare(path="x", op="<", param="high")])
        assert never_holds(cond, {"low": 5, "high": 3}) is not None


def test_loaded_policy_lints_the_same(tmp_path):
    """lint_file returns the loaded policy too."""
    policy, findings = lint_file(DATA / "escalation.yaml")
    assert policy == load_policy(DATA / "escalation.yaml")
    assert findings == []
