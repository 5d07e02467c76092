"""Loading, saving, schema, parameters, and every definition error, with file and line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import csrules
from csrules import (
    CsrulesError,
    DefinitionError,
    Engine,
    EvaluationError,
    FactError,
    PolicyError,
    dump_policy,
    load_policy,
    loads_policy,
    policy_schema,
)
from csrules.exceptions import TimeError
from tests import core_models

CST = timezone(timedelta(hours=8))

POLICY = """\
id: leave
version: "2"
title: {en: Leave, zh: 请假}
fact_type: core_leave
params:
  notice: {type: duration, default: 1d, min: 1h, max: 7d}
  head_max_days: {type: float, default: 1}
sources:
  - {id: "001", title: call-centre house rules}
rules:
  - id: notice
    title: {en: A day's notice, zh: 提前一天}
    citation: {source: "001", section: 請假制度 二}
    when:
      kind: all
      of:
        - {kind: compare, path: kind, op: "==", value: personal}
        - {kind: elapsed, since: requested_at, until: starts_at, op: "<", param: notice}
    then:
      - {type: violation, code: ATT-1, message: {en: "less than {notice} ahead", zh: "未提前{notice}"}}
    examples:
      - fact: {kind: personal, requested_at: "2026-01-05T08:00:00+08:00",
               starts_at: "2026-01-05T16:00:00+08:00", days: 1}
        expect: [violation:ATT-1]
      - fact: {kind: sick, requested_at: "2026-01-05T08:00:00+08:00",
               starts_at: "2026-01-05T16:00:00+08:00", days: 1}
        expect: []
  - id: head
    title: {en: Head approves, zh: 主任批准}
    when: {kind: compare, path: days, op: "<=", param: head_max_days}
    then: [{type: approval, role: department_head}]
"""


def load_text(text: str, tmp_path: Path, name: str = "p.yaml") -> csrules.Policy:
    """Write ``text`` to a file and load it."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def error_for(text: str, tmp_path: Path, name: str = "p.yaml") -> PolicyError:
    """The PolicyError loading ``text`` raises."""
    with pytest.raises(PolicyError) as caught:
        load_text(text, tmp_path, name)
    return caught.value


class TestLoadAndSave:
    def test_yaml_loads_and_evaluates(self, tmp_path):
        """A YAML policy loads, compiles and quotes the parameter in force in its message."""
        policy = load_text(POLICY, tmp_path)
        decision = Engine(policy).evaluate(
            {
                "kind": "personal",
                "requested_at": "2026-01-05T08:00:00+08:00",
                "starts_at": "2026-01-05T16:00:00+08:00",
                "days": 1,
            }
        )
        assert decision.effect_keys == ("violation:ATT-1", "approval:department_head")
        assert decision.violations[0].message.en == "less than 1 day ahead"
        assert decision.violations[0].message.zh == "未提前1天"

    @pytest.mark.parametrize("fmt", ["yaml", "json"])
    def test_save_then_load_gives_an_equal_policy(self, tmp_path, fmt):
        """dump_policy then load_policy round-trips exactly, overrides included."""
        policy = load_text(POLICY, tmp_path).with_params(notice="2h")
        path = tmp_path / f"out.{fmt}"
        path.write_text(dump_policy(policy, fmt=fmt), encoding="utf-8")
        again = load_policy(path)
        assert again == policy
        assert again.param_values["notice"] == csrules.WallDuration(timedelta(hours=2))

    def test_schema_validates_the_shape(self):
        """The JSON Schema describes policies, with a condition union keyed by kind."""
        schema = policy_schema()
        assert schema["title"] in ("Policy", "csrules policy")
        assert "rules" in schema["properties"]
        text = json.dumps(schema)
        for kind in ("compare", "elapsed", "contains", "is_missing", "not_in"):
            assert f'"{kind}"' in text


class TestParameters:
    def test_override_checked_against_bounds(self, tmp_path):
        """An override below the minimum is refused with the parameter named."""
        policy = load_text(POLICY, tmp_path)
        with pytest.raises(PolicyError, match=r"overrides.notice.*below the minimum 1h"):
            policy.with_params(notice="30min")

    def test_override_checked_against_type(self, tmp_path):
        """An override of the wrong type is refused."""
        policy = load_text(POLICY, tmp_path)
        with pytest.raises(PolicyError, match=r"head_max_days.*must be float"):
            policy.with_params(head_max_days="lots")

    def test_unknown_override(self, tmp_path):
        """Overriding a parameter the policy does not declare is refused."""
        with pytest.raises(PolicyError, match="unknown parameter 'max_swaps'"):
            load_text(POLICY, tmp_path).with_params(max_swaps=3)

    def test_override_changes_decisions(self, tmp_path):
        """An override is the number in force for decisions."""
        policy = load_text(POLICY, tmp_path).with_params(head_max_days=2)
        fact = {
            "kind": "sick",
            "requested_at": "2026-01-01T08:00:00+08:00",
            "starts_at": "2026-01-05T16:00:00+08:00",
            "days": 2,
        }
        assert Engine(policy).evaluate(fact).approvers == ("department_head",)


class TestDefinitionErrors:
    def test_unknown_field_names_file_line_rule_and_path(self, tmp_path):
        """An unknown field is reported with file:line, policy, rule and path."""
        error = error_for(POLICY.replace("path: days", "path: dayz"), tmp_path)
        assert error.file.endswith("p.yaml")
        assert (
            error.line
            == POLICY.splitlines().index('    when: {kind: compare, path: days, op: "<=", param: head_max_days}') + 1
        )
        assert (error.policy_id, error.rule_id, error.path) == ("leave", "head", "dayz")
        assert "unknown field 'dayz'" in str(error)
        assert str(error).startswith(f"{error.file}:{error.line}")

    def test_duplicate_rule_id(self, tmp_path):
        """Two rules with one id are refused at the second one's line."""
        error = error_for(POLICY.replace("id: head", "id: notice"), tmp_path)
        assert "duplicate rule id" in str(error)
        assert error.line == POLICY.splitlines().index("  - id: head") + 1

    def test_structural_error_has_a_line(self, tmp_path):
        """A misspelt key is an unknown field, reported at its line."""
        error = error_for(POLICY.replace("    citation:", "    citaton:"), tmp_path)
        assert "citaton" in str(error)
        assert error.line == POLICY.splitlines().index('    citation: {source: "001", section: 請假制度 二}') + 1

    def test_unknown_fact_type(self, tmp_path):
        """A fact type nobody registered is named with the known ones."""
        error = error_for(POLICY.replace("fact_type: core_leave", "fact_type: nope"), tmp_path)
        assert "unknown fact type 'nope'" in str(error)
        assert error.line == 4

    def test_unknown_placeholder_in_message(self, tmp_path):
        """A message quoting an undeclared parameter is refused."""
        error = error_for(POLICY.replace("less than {notice}", "less than {noticee}"), tmp_path)
        assert "{noticee}" in str(error)

    def test_example_that_does_not_validate(self, tmp_path):
        """A worked example whose fact is invalid is refused, naming the problem."""
        error = error_for(POLICY.replace("days: 1}\n        expect: []", "days: one}\n        expect: []"), tmp_path)
        assert "example fact does not validate" in str(error)
        assert "days" in str(error)

    def test_citation_of_unlisted_source(self, tmp_path):
        """A citation must name one of the policy's sources."""
        error = error_for(POLICY.replace('source: "001", section', 'source: "009", section'), tmp_path)
        assert "'009'" in str(error)

    def test_duplicate_yaml_key(self, tmp_path):
        """A key given twice in one mapping is refused, not silently overwritten."""
        error = error_for(POLICY.replace('version: "2"\n', 'version: "2"\nversion: "3"\n'), tmp_path)
        assert "duplicate key 'version'" in str(error)
        assert error.line == 3

    def test_yaml_bomb_is_refused(self, tmp_path):
        """Aliases (the billion-laughs bomb) are refused before anything expands."""
        bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        bomb += "".join(f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("bcdefgh", "cdefghi", strict=True))
        error = error_for(bomb, tmp_path)
        assert "aliases" in str(error)
        assert error.line == 2

    def test_deep_nesting_in_a_file(self, tmp_path):
        """A condition nested 10,000 levels deep is a PolicyError, not a crash."""
        deep = "{kind: not, condition: " * 10_000 + "{kind: is_set, path: certificate}" + "}" * 10_000
        error = error_for(POLICY.replace('{kind: compare, path: days, op: "<=", param: head_max_days}', deep), tmp_path)
        assert "nested" in str(error)

    def test_deep_nesting_built_in_python(self):
        """The same nesting built from Python objects is refused too."""
        condition = csrules.IsSet(path="certificate")
        for _ in range(10_000):
            condition = csrules.Not(condition=condition)
        with pytest.raises(PolicyError, match="nested"):
            csrules.Policy(
                id="deep",
                version="1",
                title="t",
                fact_type="core_leave",
                rules=[csrules.Rule(id="r", title="r", when=condition, then=[csrules.Approve(role="x")])],
            )

    def test_invalid_yaml_and_json(self, tmp_path):
        """Syntax errors carry the file and line."""
        assert error_for("id: [unclosed\n", tmp_path).line is not None
        error = error_for('{"id": "x",\n "version": }', tmp_path, "p.json")
        assert error.line == 2
        assert "invalid JSON" in str(error)

    def test_missing_file(self, tmp_path):
        """A file that does not exist is a PolicyError naming it."""
        with pytest.raises(PolicyError, match="cannot read"):
            load_policy(tmp_path / "absent.yaml")

    def test_error_hierarchy(self):
        """Definition errors are ValueErrors under CsrulesError; evaluation errors are separate."""
        assert issubclass(PolicyError, DefinitionError)
        assert issubclass(PolicyError, ValueError)
        assert issubclass(PolicyError, CsrulesError)
        assert issubclass(FactError, EvaluationError)
        assert issubclass(FactError, ValueError)
        assert not issubclass(FactError, DefinitionError)
        assert issubclass(TimeError, EvaluationError)

    def test_loads_policy_without_a_file(self):
        """Text loads without a file name; errors then carry the line only."""
        with pytest.raises(PolicyError) as caught:
            loads_policy(POLICY.replace("path: days", "path: dayz"))
        assert caught.value.file is None
        assert caught.value.line is not None


class TestEvaluationErrors:
    @pytest.fixture
    def engine(self, tmp_path):
        return Engine(load_text(POLICY, tmp_path))

    def test_bad_fact_lists_every_problem(self, engine):
        """A dict fact that does not validate raises FactError listing each problem."""
        with pytest.raises(FactError) as caught:
            engine.evaluate({"kind": "holiday", "days": "many"})
        locations = [loc for loc, _ in caught.value.problems]
        assert {"kind", "days", "requested_at", "starts_at"} <= set(locations)
        assert caught.value.fact_type == "core_leave"
        assert caught.value.__cause__ is not None

    def test_wrong_model_instance(self, engine):
        """A fact of a type no policy judges is refused with the types it does judge."""
        other = core_models.Sub(m=1)
        with pytest.raises(FactError, match="no policy in this engine judges"):
            engine.evaluate(other)

    def test_naive_now(self, engine):
        """A now without a time zone is refused."""
        fact = {
            "kind": "sick",
            "requested_at": "2026-01-05T08:00:00+08:00",
            "starts_at": "2026-01-05T16:00:00+08:00",
            "days": 1,
        }
        with pytest.raises(TimeError, match="time zone"):
            engine.evaluate(fact, now=datetime(2026, 1, 1))

    def test_now_required_when_a_rule_reads_it(self):
        """A policy that reads now refuses to guess it."""
        engine = Engine(loads_policy(POLICY.replace("until: starts_at, ", "")))
        fact = {
            "kind": "sick",
            "requested_at": "2026-01-05T08:00:00+08:00",
            "starts_at": "2026-01-05T16:00:00+08:00",
            "days": 1,
        }
        with pytest.raises(TimeError, match="pass now="):
            engine.evaluate(fact)
        assert engine.evaluate(fact, now=datetime(2026, 1, 6, tzinfo=CST)).rule_ids == ("head",)

    def test_evaluate_many_names_the_bad_fact(self, engine):
        """In a stream, the FactError carries the position of the bad fact."""
        good = {
            "kind": "sick",
            "requested_at": "2026-01-05T08:00:00+08:00",
            "starts_at": "2026-01-05T16:00:00+08:00",
            "days": 1,
        }
        stream = engine.evaluate_many([good, good, {"kind": "sick"}])
        assert next(stream).rule_ids == ("head",)
        next(stream)
        with pytest.raises(FactError) as caught:
            next(stream)
        assert caught.value.index == 2
        assert "fact #2" in str(caught.value)
