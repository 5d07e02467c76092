"""Regression tests: inputs sent through the public API (policies, conditions, facts) that gave
wrong answers, deep tracebacks or were silently accepted."""

from __future__ import annotations

import enum
from datetime import time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from csrules import Engine, Policy, PolicyError, register_fact_type


class Colour(enum.Enum):
    """A plain enumeration: its members equal no text."""

    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    """An integer enumeration: its members are numbers."""

    LOW = 1
    HIGH = 2


@register_fact_type(name="fuzz6_fact")
class Fact(BaseModel):
    """A host fact with an enumeration, a decimal amount and a time of day."""

    colour: Colour | None = None
    other: Colour | None = None
    level: Level | None = None
    amount: Decimal | None = None
    label: str | None = None
    at: time | None = None


def policy(when: dict[str, Any], *, params: dict[str, Any] | None = None, effect: dict[str, Any] | None = None,
           **fields: Any) -> Policy:
    """A policy of one rule ``r`` on ``fuzz6_fact`` holding when ``when`` does."""
    then = effect or {"type": "violation", "code": "C-1", "message": "m"}
    return Policy.model_validate({"id": "p", "version": "1", "title": "t", "fact_type": "fuzz6_fact",
                                  "params": params or {}, **fields,
                                  "rules": [{"id": "r", "title": "t", "when": when, "then": [then]}]})


def holds(when: dict[str, Any], fact: dict[str, Any], **params: Any) -> bool:
    """Whether the rule holds for ``fact``, on the compiled path and in the trace alike."""
    decision = Engine(policy(when, params=params)).evaluate(fact)
    assert not decision.errors, decision.errors
    assert decision.trace.for_rule("r").matched is bool(decision.rule_ids)
    return bool(decision.rule_ids)


class TestEnumerations:
    """A condition on an enumeration field compares the member its text names."""

    def test_compare_with_a_member_s_value(self) -> None:
        """``colour == red`` holds for a red fact and not for a blue one."""
        when = {"kind": "compare", "path": "colour", "op": "==", "value": "red"}
        assert holds(when, {"colour": "red"})
        assert not holds(when, {"colour": "blue"})

    def test_in_and_not_in(self) -> None:
        """``in [red]`` holds for red; ``not_in [red]`` does not."""
        assert holds({"kind": "in", "path": "colour", "value": ["red"]}, {"colour": "red"})
        assert not holds({"kind": "not_in", "path": "colour", "value": ["red"]}, {"colour": "red"})
        assert holds({"kind": "not_in", "path": "colour", "value": ["red"]}, {"colour": "blue"})

    def test_a_parameter_names_a_member(self) -> None:
        """A text parameter compared with an enumeration field names a member too."""
        when = {"kind": "compare", "path": "colour", "op": "==", "param": "banned"}
        assert holds(when, {"colour": "red"}, banned={"type": "str", "default": "red"})

    def test_an_integer_enumeration_is_a_number(self) -> None:
        """An IntEnum field compares and orders like the numbers its members are."""
        assert holds({"kind": "compare", "path": "level", "op": ">=", "value": 2}, {"level": 2})
        assert holds({"kind": "in", "path": "level", "value": [1]}, {"level": 1})

    def test_fields_of_different_kinds_are_refused(self) -> None:
        """An enumeration compared with a text field (never equal) is refused; two of one enumeration compare."""
        with pytest.raises(PolicyError, match="same enumeration"):
            policy({"kind": "compare", "path": "colour", "op": "==", "field": "label"})
        assert holds({"kind": "compare", "path": "colour", "op": "==", "field": "other"},
                     {"colour": "red", "other": "red"})

    def test_contains_is_refused(self) -> None:
        """``contains`` on an enumeration field (whose members are no text) is refused at load."""
        with pytest.raises(PolicyError, match="enumeration"):
            policy({"kind": "contains", "path": "colour", "phrases": ["re"]})


class TestDecimals:
    """A decimal field is compared with the decimal the policy writes, not a binary float."""

    @pytest.mark.parametrize(("op", "value", "amount"), [("==", 0.3, "0.3"), ("<=", 0.3, "0.3"), (">=", 0.1, "0.1")])
    def test_literal_at_equality(self, op: str, value: float, amount: str) -> None:
        """``amount <op> value`` holds when the amount is exactly the written value."""
        assert holds({"kind": "compare", "path": "amount", "op": op, "value": value}, {"amount": amount})

    def test_parameter_at_equality(self) -> None:
        """A float parameter at the amount's value is equal to it."""
        when = {"kind": "compare", "path": "amount", "op": "<=", "param": "limit"}
        assert holds(when, {"amount": "0.3"}, limit={"type": "float", "default": 0.3})
        assert not holds(when, {"amount": "0.31"}, limit={"type": "float", "default": 0.3})


class TestTimeLiterals:
    """A time-of-day literal is a clock reading, without a UTC offset."""

    def test_offset_is_refused_at_load(self) -> None:
        """``09:00+08:00`` is refused when the policy is built, not failed on every fact."""
        with pytest.raises(PolicyError, match="carries a UTC offset"):
            policy({"kind": "compare", "path": "at", "op": ">=", "value": "09:00+08:00"})


class TestNames:
    """Codes, roles, versions and source ids drop surrounding spaces and refuse blank text."""

    @pytest.mark.parametrize("effect", [
        {"type": "violation", "code": " ", "message": "m"},
        {"type": "approval", "role": "\u3000"},
        {"type": "escalation", "to": "  "},
        {"type": "obligation", "who": " ", "action": "call back"},
        {"type": "violation", "code": "C-1", "message": {"en": " ", "zh": "中"}},
    ])
    def test_blank_is_refused(self, effect: dict[str, Any]) -> None:
        """A blank code, role or message is refused, naming where it is."""
        with pytest.raises(PolicyError, match="blank text"):
            policy({"kind": "is_set", "path": "label"}, effect=effect)

    def test_padded_names_are_trimmed(self) -> None:
        """``" department_head "`` approves as department_head; a padded code and version are trimmed."""
        approve = policy({"kind": "is_set", "path": "label"}, effect={"type": "approval", "role": " department_head "})
        assert Engine(approve).evaluate({"label": "x"}).approvers == ("department_head",)
        code = {"type": "violation", "code": " C-1 ", "message": "m"}
        violate = policy({"kind": "is_set", "path": "label"}, effect=code)
        assert Engine(violate).evaluate({"label": "x"}).violation_codes == ("C-1",)
        assert policy({"kind": "is_set", "path": "label"}, version=" 2 ").version == "2"

    def test_blank_version_is_refused(self) -> None:
        """A version of spaces says nothing and is refused."""
        with pytest.raises(PolicyError, match="version"):
            Policy.model_validate({"id": "p", "version": " ", "title": "t", "fact_type": "fuzz6_fact",
                                   "rules": [{"id": "r", "title": "t", "when": {"kind": "is_set", "path": "label"},
                                              "then": [{"type": "approval", "role": "x"}]}]})


class TestOverrideNames:
    """An override whose parameter name is not text is refused by name, not with a bare TypeError."""

    def test_number_as_parameter_name(self) -> None:
        """``{leave: {5: 1d}}`` is a PolicyError saying keys must be text."""
        from csrules.policies import load_pack

        with pytest.raises(PolicyError, match="keys must be text"):
            load_pack("call_centre", overrides={"leave": {5: "1d"}})


class TestPhraseFolding:
    """``contains`` reads text as a reader sees it: compatibility forms, invisible characters, spaces."""

    @pytest.mark.parametrize(("phrase", "text"), [
        ("ok", "ＯＫ"),                    # full-width Latin
        ("ＯＫ", "Ｏ Ｋ"),                  # spaces beside full-width letters go, as before
        ("é", "e\u0301"),                  # a decomposed accent
        ("不知道", "不\u200b知道"),          # a zero-width space inside the phrase
        ("不知道", "不\u00ad知\ufeff道"),    # a soft hyphen and a byte-order mark
        ("a b", "a\u3000b"),               # the ideographic space between Latin words
    ])
    def test_found(self, phrase: str, text: str) -> None:
        """The phrase is found in a text that shows it."""
        assert holds({"kind": "contains", "path": "label", "phrases": [phrase]}, {"label": text})

    def test_exact_matching_is_left_alone(self) -> None:
        """``fold: none`` still matches exactly."""
        assert not holds({"kind": "contains", "path": "label", "phrases": ["ok"], "fold": "none"}, {"label": "ＯＫ"})

    @pytest.mark.parametrize("phrase", ["\u200b", "\ufeff\u200d", "\u00ad "])
    def test_invisible_phrase_is_blank(self, phrase: str) -> None:
        """A phrase of invisible characters would be found in every text, and is refused."""
        with pytest.raises(PolicyError, match="blank"):
            policy({"kind": "contains", "path": "label", "phrases": [phrase]})
        with pytest.raises(PolicyError, match="empty"):
            policy({"kind": "contains", "path": "label", "param": "words"},
                   params={"words": {"type": "str_list", "default": [phrase]}})

    def test_text_parameter_with_a_space(self) -> None:
        """A ``str`` parameter is one phrase: ``thank you`` is not refused for its space."""
        when = {"kind": "contains", "path": "label", "param": "words"}
        assert holds(when, {"label": "ok, thank you"}, words={"type": "str", "default": "thank you"})


class TestFlags:
    """A window kind's yes/no setting takes true or false, not text or a number read as one."""

    @pytest.mark.parametrize("written", ["yes", "no", 1, 0])
    def test_or_later_is_a_flag(self, written: Any) -> None:
        """``or_later: "yes"`` (or 1) is refused, as ``days`` already is."""
        with pytest.raises(PolicyError, match="or_later"):
            Policy.model_validate({"id": "p", "version": "1", "title": "t", "fact_type": "call_record", "rules": [{
                "id": "r", "title": "t", "then": [{"type": "violation", "code": "C", "message": "m"}],
                "when": {"kind": "nth", "match": {"kind": "is_set", "path": "agent_id"}, "at": "started_at", "n": 3,
                         "or_later": written}}]})


class TestParameterValues:
    """A number or flag parameter is written as a number or flag; text is not read as one."""

    @pytest.mark.parametrize(("kind", "value"), [
        ("int", "3"), ("int", b"3"), ("float", " 0.5 "), ("bool", "yes"), ("bool", "off"), ("bool", 1),
        ("bool", 0), ("str", b"x"), ("str_list", ["a", 1]),
    ])
    def test_default_written_as_text_is_refused(self, kind: str, value: Any) -> None:
        """A default of the wrong written type is refused at load, naming the parameter."""
        with pytest.raises(PolicyError, match="limit"):
            policy({"kind": "is_set", "path": "label"}, params={"limit": {"type": kind, "default": value}})

    def test_override_written_as_text_is_refused(self) -> None:
        """An override ``"3"`` of an int parameter is refused; 3 and 3.0 are taken."""
        base = policy({"kind": "is_set", "path": "label"}, params={"limit": {"type": "int", "default": 2}})
        with pytest.raises(PolicyError, match="without quotes"):
            base.with_params(limit="3")
        assert base.with_params(limit=3.0).param_values["limit"] == 3


class TestJsonFiles:
    """A JSON policy file reads as a YAML one does."""

    def test_byte_order_mark(self, tmp_path: Any) -> None:
        """A JSON file starting with a byte-order mark (as Windows editors save it) loads."""
        import json

        from csrules import load_policy

        data = {"id": "p", "version": "1", "title": "t", "fact_type": "fuzz6_fact", "rules": [
            {"id": "r", "title": "t", "when": {"kind": "is_set", "path": "label"},
             "then": [{"type": "approval", "role": "x"}]}]}
        path = tmp_path / "p.json"
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data).encode())
        assert load_policy(path).id == "p"


class TestLanguageOptions:
    """A misspelt language or script is refused, never read as English or ignored."""

    def test_misspelt_script_with_english(self) -> None:
        """``script="Traditional"`` is refused for an English trace as for a Chinese one."""
        decision = Engine(policy({"kind": "is_set", "path": "label"})).evaluate({"label": "x"})
        for render in (decision.trace.render, decision.trace.for_rule("r").render):
            with pytest.raises(ValueError, match="script must be"):
                render(lang="en", script="Traditional")  # type: ignore[arg-type]

    def test_text_in_an_unknown_language(self) -> None:
        """``Text.get("ZH")`` is refused instead of giving the English text."""
        from csrules import Text

        with pytest.raises(ValueError, match="lang must be"):
            Text(en="late", zh="遲到").get("ZH")  # type: ignore[arg-type]


class TestWorkedExamples:
    """A worked example says exactly what it shows: no dropped fields, no numbers for instants."""

    @staticmethod
    def with_example(example: dict[str, Any]) -> Policy:
        """A policy whose rule carries ``example``."""
        return Policy.model_validate({"id": "p", "version": "1", "title": "t", "fact_type": "fuzz6_fact", "rules": [
            {"id": "r", "title": "t", "when": {"kind": "is_set", "path": "label"},
             "then": [{"type": "approval", "role": "x"}], "examples": [example]}]})

    def test_misspelt_field_is_refused(self) -> None:
        """``lable`` (the model would drop it unseen) is refused, naming it."""
        with pytest.raises(PolicyError, match="lable"):
            self.with_example({"fact": {"lable": "x"}, "expect": []})

    def test_now_as_a_number_is_refused(self) -> None:
        """``now: 1772416800`` is refused, as a step's ``at`` already is."""
        with pytest.raises(PolicyError, match="ISO 8601"):
            self.with_example({"fact": {"label": "x"}, "now": 1772416800, "expect": ["approval:x"]})


class TestFactTypeNames:
    """A fact type's name is what a policy file writes after ``fact_type:``, so it holds no spaces."""

    @pytest.mark.parametrize("name", ["   ", " ticket", "ticket ", "my ticket", "tick\tet"])
    def test_spaces_are_refused(self, name: str) -> None:
        """A blank name, or one with spaces, is refused when registered."""

        class Ticket(BaseModel):
            """A host fact."""

            label: str

        with pytest.raises(PolicyError, match="without spaces"):
            register_fact_type(Ticket, name=name)

    def test_event_time_that_is_not_text(self) -> None:
        """``event_time=5`` is a PolicyError, not an AttributeError."""

        class Stamp(BaseModel):
            """A host fact."""

            label: str

        with pytest.raises(PolicyError, match="event_time"):
            register_fact_type(Stamp, name="fuzz6_stamp", event_time=5)  # type: ignore[arg-type]


class TestPolicyHelpers:
    """Policy's own helpers answer for every day and name they are given, or say what is wrong."""

    def test_in_force_on_an_instant(self) -> None:
        """An aware instant is read as its day in the policy's zone; a naive one or text is refused."""
        from datetime import UTC, datetime

        from csrules import TimeError

        dated = policy({"kind": "is_set", "path": "label"}, valid_from="2026-07-01")
        assert dated.in_force_on(datetime(2026, 6, 30, 16, 30, tzinfo=UTC))  # 00:30 on 1 July in Shanghai
        assert not dated.in_force_on(datetime(2026, 6, 30, 15, 59, tzinfo=UTC))
        for wrong in (datetime(2026, 7, 1), "2026-07-01"):
            with pytest.raises(TimeError):
                dated.in_force_on(wrong)  # type: ignore[arg-type]

    def test_duration_param_names(self) -> None:
        """An unknown name lists the parameters; a parameter that is no duration says so."""
        tuned = policy({"kind": "is_set", "path": "label"}, params={"n": {"type": "int", "default": 2}})
        with pytest.raises(KeyError, match="parameters"):
            tuned.duration_param("nope")
        with pytest.raises(PolicyError, match="not a duration"):
            tuned.duration_param("n")


class TestEffectTypeMessages:
    """A misspelt or missing effect ``type`` is said in csrules' words, listing the types."""

    def test_misspelt_type(self) -> None:
        """``type: violaton`` names the types an effect can have."""
        with pytest.raises(PolicyError, match=r"unknown type 'violaton' \(one of 'violation'"):
            policy({"kind": "is_set", "path": "label"}, effect={"type": "violaton", "code": "C", "message": "m"})

    def test_missing_type(self) -> None:
        """An effect without ``type`` says so."""
        with pytest.raises(PolicyError, match="no type given"):
            policy({"kind": "is_set", "path": "label"}, effect={"code": "C", "message": "m"})


class TestNamesWrittenAsNumbers:
    """A version or code YAML reads as a number is refused with a hint to quote it."""

    @pytest.mark.parametrize("written", ["1.10", "2", "true"])
    def test_unquoted_version(self, written: str) -> None:
        """``version: 1.10`` (read as 1.1) is refused, saying to quote it."""
        from csrules import loads_policy

        text = f"""id: p
version: {written}
title: t
fact_type: fuzz6_fact
rules:
  - {{id: r, title: t, when: {{kind: is_set, path: label}}, then: [{{type: approval, role: x}}]}}
"""
        with pytest.raises(PolicyError, match=r"p.yaml:2, .*quote it"):
            loads_policy(text, name="p.yaml")


class TestEmptyListParameters:
    """``in`` and ``not_in`` read from a list parameter need a value in it, as a literal list does."""

    @pytest.mark.parametrize("kind", ["in", "not_in"])
    def test_empty_default(self, kind: str) -> None:
        """An empty default (``not_in`` of nothing holds for every fact) is refused at load."""
        with pytest.raises(PolicyError, match="non-empty list"):
            policy({"kind": kind, "path": "label", "param": "areas"},
                   params={"areas": {"type": "str_list", "default": []}})

    def test_empty_override(self) -> None:
        """An override to ``[]`` is refused, naming the override."""
        base = policy({"kind": "not_in", "path": "label", "param": "areas"},
                      params={"areas": {"type": "str_list", "default": ["north"]}})
        with pytest.raises(PolicyError, match="override of parameter 'areas'"):
            base.with_params(areas=[])


class TestNegativeCounts:
    """A count of events is compared with 0 or more: a negative number makes a rule always or never hold."""

    @staticmethod
    def counted(count: dict[str, Any], params: dict[str, Any] | None = None) -> Policy:
        """A policy on call records with one ``count`` rule."""
        return Policy.model_validate({"id": "p", "version": "1", "title": "t", "fact_type": "call_record",
                                      "params": params or {}, "rules": [{
            "id": "r", "title": "t", "then": [{"type": "violation", "code": "C", "message": "m"}],
            "when": {"kind": "count", "match": {"kind": "is_set", "path": "agent_id"}, "at": "started_at",
                     "window": {"calendar": "month"}, "op": ">", **count}}]})

    def test_negative_literal(self) -> None:
        """``value: -1`` is refused."""
        with pytest.raises(PolicyError, match="no count is below 0"):
            self.counted({"value": -1})

    def test_negative_parameter(self) -> None:
        """A parameter defaulting to -1 is refused; 0 is taken."""
        with pytest.raises(PolicyError, match="no count is below 0"):
            self.counted({"param": "most"}, {"most": {"type": "int", "default": -1}})
        assert self.counted({"param": "most"}, {"most": {"type": "int", "default": 0}}).id == "p"


class TestTextShapes:
    """A title or message of the wrong shape is refused in csrules' words."""

    @pytest.mark.parametrize("title", [5, ["late"], True])
    def test_not_text(self, title: Any) -> None:
        """A number, list or flag as a title says how a text is written."""
        with pytest.raises(PolicyError, match=r"a text is written as a string"):
            policy({"kind": "is_set", "path": "label"}, title=title)


class TestIgnoredPhrases:
    """An ignored phrase is checked against the phrases as matching folds them."""

    def test_ignore_in_the_other_script(self) -> None:
        """``ignore: [這個]`` for the phrase 这 is taken (folded, it holds 这) and works."""
        when = {"kind": "contains", "path": "label", "phrases": ["这"], "ignore": ["這個"]}
        assert not holds(when, {"label": "这个不行"})
        assert holds(when, {"label": "这样"})


class TestTraceValues:
    """A trace shows an enumeration field as the value the fact gave."""

    def test_member_shown_as_its_value(self) -> None:
        """``colour='red'``, not ``Colour.RED``, in the rendered trace and its dict."""
        decision = Engine(policy({"kind": "compare", "path": "colour", "op": "==", "value": "red"})).evaluate(
            {"colour": "red"})
        assert "colour='red'" in decision.trace.render()
        assert decision.trace.to_dict()[0]["condition"]["values"] == {"colour": "red"}


class TestTimeParameters:
    """A ``time`` parameter reads a clock time as a condition's literal does."""

    @pytest.mark.parametrize("written", ["9:00", " 09:00 "])
    def test_short_hour(self, written: str) -> None:
        """``9:00`` (taken as a literal in ``time_of_day``) is 09:00 as a parameter too."""
        tuned = policy({"kind": "is_set", "path": "label"}, params={"cutoff": {"type": "time", "default": written}})
        assert tuned.param_values["cutoff"] == time(9, 0)

    def test_offset_still_refused(self) -> None:
        """A clock time with an offset is still refused, saying so."""
        with pytest.raises(PolicyError, match="UTC offset"):
            policy({"kind": "is_set", "path": "label"}, params={"cutoff": {"type": "time", "default": "09:00+08:00"}})
