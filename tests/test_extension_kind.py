"""A condition kind a host registers after ``import csrules`` works everywhere a built-in does."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

import csrules
from csrules import Engine, Rule, loads_policy
from csrules._docs import langs_for, render_docs, subject_from_policies
from csrules._policy.lint import lint_file
from csrules.conditions import (
    CheckContext,
    CompileContext,
    ConditionBase,
    Constraint,
    DescribeContext,
    Env,
    Lang,
    TraceNode,
    join,
    register_kind,
)
from csrules.exceptions import PolicyError
from csrules.testing import BoundaryContext, Probe, probe_examples


@csrules.register_fact_type(name="extension_call")
class Call(BaseModel):
    """A call, by its length in minutes."""

    minutes: float = Field(ge=0, title="call length", json_schema_extra={"zh": "通话时长"})
    agent: str = "a1"


class Between(ConditionBase):
    """Holds when the number at ``path`` lies from ``low`` to ``high`` (both included)."""

    kind: Literal["between"] = "between"
    path: str
    low: float
    high: float


class BetweenHandler:
    """Checks, compiles, explains, words and probes ``between``."""

    def check(self, cond: Between, ctx: CheckContext) -> None:
        """A number field, and a range that is not upside down."""
        info = ctx.field(cond.path)
        if info.kind != "number" or info.is_collection:
            raise ctx.fail(f"between needs a number field; {cond.path} is {info.describe()}")
        if cond.low > cond.high:
            raise ctx.fail(f"low {cond.low:g} is above high {cond.high:g}", at=("low",))

    def source(self, cond: Between, ctx: CompileContext) -> str:
        """``low <= value <= high`` over the fact."""
        guards, value = ctx.access(cond.path)
        low, high = ctx.const(cond.low), ctx.const(cond.high)
        return join([*guards, f"{low} <= {value} <= {high}"], "and")

    def evaluate(self, cond: Between, env: Env) -> TraceNode:
        """The same test, with the value seen."""
        value = env.get(cond.path)
        holds = value is not None and cond.low <= value <= cond.high
        return TraceNode("between", self.describe(cond, "en", env.describe), holds, {cond.path: value})

    def describe(self, cond: Between, lang: Lang, ctx: DescribeContext) -> str:
        """Plain words in either language."""
        label = ctx.label(cond.path, lang)
        if lang == "zh":
            return f"{label}在{cond.low:g}至{cond.high:g}之间"
        return f"{label} is between {cond.low:g} and {cond.high:g}"

    def reads_now(self, cond: Between) -> bool:
        """It never reads the clock."""
        return False

    def boundaries(self, cond: Between, ctx: BoundaryContext) -> list[Probe]:
        """Just outside and on each end of the range."""

        def at(value: float) -> Any:
            return lambda f: f.set(cond.path, value)

        points = (cond.low - 1, cond.low, cond.high, cond.high + 1)
        return [Probe(f"{cond.path} = {v:g}", at(v), cond.low <= v <= cond.high) for v in points]

    def constraints(self, cond: Between, params: dict[str, Any]) -> list[Constraint]:
        """The two bounds, for lint."""
        return [
            Constraint(cond.path, ">=", cond.low, f"{cond.low:g}"),
            Constraint(cond.path, "<=", cond.high, f"{cond.high:g}"),
        ]


register_kind(Between, BetweenHandler())

POLICY = """\
id: call-length
version: "1"
title: {en: Call length, zh: 通话时长}
fact_type: extension_call
rules:
  - id: medium-call-review
    title: {en: Calls of 20 to 40 minutes get a review, zh: 20至40分钟的通话须复核}
    when:
      kind: all
      of:
        - {kind: between, path: minutes, low: 20, high: 40}
        - {kind: compare, path: agent, op: "!=", value: supervisor}
    then:
      - {type: recommendation, text: {en: review the call, zh: 复核该通话}}
"""


@pytest.fixture(scope="module")
def policy() -> csrules.Policy:
    return loads_policy(POLICY, name="call-length.yaml")


class TestLoading:
    def test_a_yaml_policy_reads_the_kind(self, policy):
        """The condition in the file becomes the registered model."""
        leaf = policy.rules[0].when.children()[0]
        assert isinstance(leaf, Between)
        assert (leaf.low, leaf.high) == (20, 40)

    def test_a_rule_built_from_a_dict_reads_the_kind(self):
        """Rule validates a ``when`` mapping through the table as it is now."""
        rule = Rule(
            id="r",
            title="t",
            when={"kind": "not", "condition": {"kind": "between", "path": "minutes", "low": 1, "high": 2}},
            then=[{"type": "recommendation", "text": "x"}],
        )
        assert isinstance(rule.when.children()[0], Between)

    def test_save_then_load_round_trips(self, policy):
        """Dumping the policy writes the kind's own fields, and reading them back is equal."""
        again = loads_policy(csrules.dump_policy(policy))
        assert again == policy

    def test_a_misspelt_key_is_located(self):
        """An unknown key of the new kind names its line and the key."""
        with pytest.raises(PolicyError) as caught:
            loads_policy(POLICY.replace("low: 20", "lowest: 20"), name="p.yaml")
        assert "p.yaml:11" in str(caught.value)
        assert "lowest" in str(caught.value)

    def test_an_unknown_kind_lists_the_known_ones(self):
        """A kind nobody registered is refused, naming ``between`` among the known kinds."""
        with pytest.raises(PolicyError, match=r"unknown condition kind 'betwen'; known kinds: .*between"):
            loads_policy(POLICY.replace("kind: between", "kind: betwen"))

    def test_the_schema_lists_the_kind(self):
        """The policy JSON Schema is built from the table, so it holds the new kind."""
        schema = csrules.policy_schema()
        assert "between" in schema["$defs"]["Condition"]["discriminator"]["mapping"]


class TestChecking:
    def test_an_unknown_field_is_refused_at_its_line(self):
        """check runs: a misspelt fact field names the field and the known ones."""
        with pytest.raises(PolicyError) as caught:
            loads_policy(POLICY.replace("path: minutes", "path: minuets"), name="p.yaml")
        assert "p.yaml:11" in str(caught.value)
        assert "unknown field 'minuets' in Call; known fields: agent, minutes" in str(caught.value)

    def test_a_text_field_is_refused(self):
        """The handler's own check runs when the policy is built."""
        with pytest.raises(PolicyError, match="between needs a number field; agent is text"):
            loads_policy(POLICY.replace("path: minutes", "path: agent"))

    def test_lint_finds_a_range_that_contradicts_a_compare(self, tmp_path):
        """Lint reads the kind's constraints: between 20 and 40 with minutes > 50 never holds."""
        text = POLICY.replace(
            '{kind: compare, path: agent, op: "!=", value: supervisor}',
            '{kind: compare, path: minutes, op: ">", value: 50}',
        )
        path = tmp_path / "p.yaml"
        path.write_text(text, encoding="utf-8")
        _, findings = lint_file(path)
        assert [f.code for f in findings if f.code == "never-holds"] == ["never-holds"]


class TestEngine:
    @pytest.mark.parametrize(("minutes", "holds"), [(19.5, False), (20, True), (40, True), (40.5, False)])
    def test_the_engine_evaluates_the_kind(self, policy, minutes, holds):
        """The compiled rule holds exactly from 20 to 40 minutes."""
        decision = Engine([policy]).evaluate({"minutes": minutes})
        assert (decision.rule_ids == ("medium-call-review",)) is holds

    def test_the_trace_explains_the_kind(self, policy):
        """The trace words the condition and shows the value seen."""
        text = Engine([policy]).evaluate({"minutes": 25}).trace.render()
        assert "✓ call length is between 20 and 40  [minutes=25" in text


class TestDocumentsAndProbes:
    def test_documents_word_the_kind(self, policy):
        """The generated documents say the rule in plain words, in both languages."""
        markdown = render_docs(subject_from_policies([policy]), langs_for("both"), date(2026, 1, 1)).markdown
        assert "When call length is between 20 and 40" in markdown
        assert "当通话时长在20至40之间" in markdown

    def test_probes_come_from_the_handler(self, policy):
        """csrules.testing probes the four points the handler offers, with the right results."""
        pairs = probe_examples(policy, per=1)
        labels = {target.probe.label: target.probe.holds for target, _ in pairs}
        assert {k: v for k, v in labels.items() if k.startswith("minutes")} == {
            "minutes = 19": False,
            "minutes = 20": True,
            "minutes = 40": True,
            "minutes = 41": False,
        }
        engine = Engine([policy])
        for target, fact in pairs:
            if target.probe.label.startswith("minutes"):
                assert engine.evaluate(fact).trace.rules[0].condition.children[0].result is target.probe.holds


DOC = Path(__file__).parent.parent / "docs" / "writing-policies.md"


class TestWorkedExample:
    def test_the_documented_example_runs(self, tmp_path, monkeypatch, capsys):
        """The section "Adding a condition kind" runs as written and prints its trace."""
        text = DOC.read_text(encoding="utf-8")
        section = text[text.index("## Adding a condition kind") :]
        blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
        (tmp_path / "call-length.yaml").write_text(
            next(body for lang, body in blocks if lang == "yaml"), encoding="utf-8"
        )
        monkeypatch.chdir(tmp_path)
        namespace: dict[str, Any] = {"__name__": "worked_example"}
        for lang, body in blocks:
            if lang == "python":
                exec(compile(body, str(DOC), "exec", dont_inherit=True), namespace)
        assert "✓ call length is between 20 and 40  [minutes=25" in capsys.readouterr().out
        # the documented registration replaced the handler of "between" with an equal one
        register_kind(Between, BetweenHandler())


class TestFacade:
    def test_every_built_in_kind_is_exported(self):
        """csrules.conditions names every built-in kind model by its class name."""
        import csrules.conditions as facade
        from csrules._policy.kinds.base import condition_classes

        built_in = [cls for cls in condition_classes() if cls.__module__.startswith("csrules.")]
        assert len(built_in) >= 20
        for cls in built_in:
            assert getattr(facade, cls.__name__) is cls
            assert cls.__name__ in facade.__all__

    def test_a_handler_missing_a_job_is_refused(self):
        """register_kind says which of the five jobs a handler lacks."""

        class Half:
            def check(self, cond: Any, ctx: Any) -> None:
                """Nothing to check."""

        with pytest.raises(TypeError, match="lacks source, evaluate, describe, reads_now"):
            register_kind(Between, Half())  # type: ignore[arg-type]
