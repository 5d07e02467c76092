"""`contains` reads its exception lists from parameters a company overrides (CON-5, CMP-3)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from csrules import loads_policy
from csrules._docs.plain import describe_context, rule_sentence
from csrules._policy.kinds.core import Contains
from csrules._sessions.program import param_names
from csrules.exceptions import PolicyError
from csrules.policies import load_pack
from csrules.policies._coverage import rule_params
from tests.company_support import company

NOW = datetime(2026, 3, 10, 2, tzinfo=UTC)
CALL = {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T09:00:00+08:00", "duration": "PT2M"}
POLICY = """id: acme.words
version: "1"
title: {en: Words, zh: 用語}
fact_type: call_record
params:
  spared:
    type: %s
    default: %s
rules:
  - id: X-1
    title: {en: cannot, zh: 不能}
    when:
      kind: contains
      path: agent_lines
      phrases: [我不能]
      negated_after_param: %s
    then: [{type: violation, code: X-1, message: {en: said it, zh: 說了}}]
"""


def _rules(pack: Any, *lines: str) -> tuple[str, ...]:
    return pack.engine().evaluate({**CALL, "agent_lines": list(lines)}, fact_type="call_record", now=NOW).rule_ids


class TestBuiltInDefaults:
    """The lists moved to parameters keep the answers: a pledge and a polite question pass."""

    def test_a_pledge_is_no_refusal(self) -> None:
        assert "CON-5.i-cannot" not in _rules(load_pack("call_centre"), "您好", "我不能讓您白跑一趟，我幫您預約")

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_a_polite_question_is_no_refusal(self, pack: str) -> None:
        assert "CMP-3.refusals" not in _rules(load_pack(pack), "您好", "不知道您現在方便接聽嗎？")

    def test_the_rule_lists_the_parameter_it_reads(self) -> None:
        """The coverage page's parameters of CON-5.i-cannot name the pledge list."""
        policy = load_pack("call_centre").policy("call")
        rule = next(r for r in policy.rules if r.id == "CON-5.i-cannot")
        assert any(entry.startswith("pledge_objects=") for entry in rule_params(policy, rule))


class TestCompanyOverrides:
    """A company sets the lists in pack.yaml, as any parameter."""

    def test_a_shorter_pledge_list_flags_what_it_leaves_out(self, tmp_path: Path) -> None:
        """Only 讓您失望 spares: 我不能讓您白跑 is now a refusal (CON-5.i-cannot)."""
        pack = load_pack(company(tmp_path, "overrides:\n  call: {pledge_objects: [让您失望]}\n"))
        assert "CON-5.i-cannot" in _rules(pack, "您好", "我不能讓您白跑一趟")
        assert "CON-5.i-cannot" not in _rules(pack, "您好", "我不能讓您失望")

    @pytest.mark.parametrize("pack", ["call_centre", "online_support"])
    def test_no_polite_openings_flags_every_unknowing(self, pack: str) -> None:
        """With no openings listed, 不知道您現在方便嗎 is read as 不知道 (CMP-3.refusals)."""
        tuned = load_pack(pack, overrides={"call": {"polite_question_openings": []}})
        assert "CMP-3.refusals" in _rules(tuned, "您好", "不知道您現在方便接聽嗎？")

    def test_the_documents_word_what_the_company_set(self) -> None:
        """The reading names the parameter and its words, and says no exception when it lists none."""
        def reading(overrides: dict[str, Any]) -> str:
            policy = load_pack("online_support", overrides=overrides).policy("call")
            rule = next(r for r in policy.rules if r.id == "CMP-3.refusals")
            return rule_sentence(rule, "en", describe_context(policy))

        assert "(polite_question_openings)" in reading({})
        assert "right before" not in reading({"call": {"polite_question_openings": []}})

    def test_a_blank_word_is_refused(self, tmp_path: Path) -> None:
        """A blank word would stand beside every phrase and silence the rule."""
        with pytest.raises(PolicyError, match=r"pledge_objects.*empty or blank"):
            load_pack(company(tmp_path, "overrides:\n  call: {pledge_objects: [\" \"]}\n"))


class TestParameterChecked:
    """The parameter is checked as `param:` is: unknown or of another type, refused at its line."""

    def test_an_unknown_parameter(self) -> None:
        with pytest.raises(PolicyError, match="unknown parameter 'nope'") as caught:
            loads_policy(POLICY % ("str_list", "[让您失望]", "nope"), name="words.yaml")
        assert (caught.value.file, caught.value.line) == ("words.yaml", 16)

    def test_another_type(self) -> None:
        with pytest.raises(PolicyError, match="parameter 'spared' is int") as caught:
            loads_policy(POLICY % ("int", "1", "spared"), name="words.yaml")
        assert (caught.value.file, caught.value.line) == ("words.yaml", 16)

    def test_a_list_and_its_parameter_together(self) -> None:
        both = "      negated_after: [让您失望]\n      negated_after_param"
        text = (POLICY % ("str_list", "[让您失望]", "spared")).replace("      negated_after_param", both)
        with pytest.raises(PolicyError, match="negated_after or negated_after_param"):
            loads_policy(text)

    def test_the_parameter_is_read(self) -> None:
        """Used (no unused-parameter), and what it holds decides."""
        policy = loads_policy(POLICY % ("str_list", "[让您失望]", "spared"), name="words.yaml")
        cond = policy.rules[0].when
        assert isinstance(cond, Contains)
        assert cond.words("negated_after", policy.param_values) == ("让您失望",)
        assert param_names(cond) == {"spared"}


def test_a_condition_without_them_is_written_as_before() -> None:
    """Unused, the new keys are not written: the policy's content hash is what it was."""
    data = Contains(path="agent_lines", phrases=["我不能"]).model_dump(mode="json")
    assert not {"ignore_param", "negated_by_param", "negated_after_param"} & set(data)
