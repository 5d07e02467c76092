"""Policy model, conditions and loader: refusals with a location, and validation run once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, field_validator, model_validator

import csrules
import csrules._policy.model as policy_model
from csrules import Engine, Policy, PolicyError, register_fact_type
from csrules._errors import ConvertedModel
from csrules.domain.roles import RoleCatalogue
from csrules.policies import load_pack

EMPTY_ANY = """\
id: p
version: "1"
title: {en: t, zh: t}
fact_type: leave_request
rules:
  - id: r1
    title: {en: r, zh: r}
    when:
      kind: all
      of:
        - {kind: is_set, path: certificate}
        - kind: any
          of: []
    then:
      - {type: approval, role: shift_lead}
"""


class TestEmptyJunction:
    """An ``all`` or ``any`` of no conditions is refused where it is written."""

    def test_file_names_the_line_of_the_empty_list(self, tmp_path: Path) -> None:
        """A policy file with ``any: of: []`` is refused at that line, naming the rule."""
        path = tmp_path / "p.yaml"
        path.write_text(EMPTY_ANY, encoding="utf-8")
        with pytest.raises(PolicyError) as caught:
            csrules.load_policy(path)
        error = caught.value
        assert (error.file, error.line, error.rule_id) == (str(path), 13, "r1")
        assert "any needs at least one condition" in error.message
        assert "never apply" in error.message

    def test_python_policy_refuses_an_empty_all(self) -> None:
        """A policy built in Python with an empty ``all`` is refused: it would apply to every fact."""
        rule = {"id": "r", "title": "r", "when": {"kind": "all", "of": []},
                "then": [{"type": "approval", "role": "shift_lead"}]}
        with pytest.raises(PolicyError, match="apply to all of them") as caught:
            csrules.Policy(id="p", version="1", title="t", fact_type="leave_request", rules=[rule])
        assert caught.value.loc == ("rules", 0, "when", "of")


_calls: list[str] = []


class _Counted(ConvertedModel):
    x: int

    @field_validator("x")
    @classmethod
    def _field(cls, value: int) -> int:
        _calls.append("field")
        return value

    @model_validator(mode="after")
    def _after(self) -> _Counted:
        _calls.append("after")
        return self


class _Outer(ConvertedModel):
    inner: _Counted


class TestValidatorsRunOnce:
    """Every way of building a csrules model runs its validators once."""

    @pytest.mark.parametrize(
        "build",
        [
            lambda: _Counted(x=1),
            lambda: _Counted.model_validate({"x": 1}),
            lambda: _Counted.model_validate_json('{"x": 1}'),
            lambda: _Counted.model_validate_strings({"x": "1"}),
            lambda: _Outer(inner={"x": 1}),
            lambda: _Outer.model_validate({"inner": {"x": 1}}),
        ],
        ids=["call", "validate", "json", "strings", "nested-call", "nested-validate"],
    )
    def test_once(self, build: Any) -> None:
        """Field and model validators each run exactly once."""
        _calls.clear()
        build()
        assert _calls == ["field", "after"]

    def test_policy_checked_once_per_load(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Loading a policy checks it once, not once more inside pydantic's own call of __init__."""
        seen: list[str] = []
        check = policy_model.check_policy

        def counting(policy: Any) -> None:
            seen.append(policy.id)
            check(policy)

        monkeypatch.setattr(policy_model, "check_policy", counting)
        pack = Path(csrules.__file__).parent / "policies" / "call_centre" / "swap.yaml"
        csrules.load_policy(pack)
        assert len(seen) == 1

    def test_strings_take_lists(self) -> None:
        """String data may hold lists (a catalogue's roles), read as model_validate reads text."""
        catalogue = RoleCatalogue.model_validate_strings(
            {"roles": [{"id": "a", "title": {"en": "A", "zh": "甲"}}]}
        )
        assert [role.id for role in catalogue] == ["a"]


def _says_no(line: str, fold: str = "zh") -> bool:
    """Whether a ``contains`` of 不行 with ``skip_quoted`` counts in ``line``."""
    from csrules._policy.text import TextMatcher

    return TextMatcher(("不行",), fold, skip_quoted=True)(line)  # type: ignore[arg-type]


class TestQuotedTitles:
    """The book-title marks quote as the other quotation marks do, in every form and fold."""

    @pytest.mark.parametrize("fold", ["none", "case", "zh"])
    @pytest.mark.parametrize("line", ["您说的《不行》是哪一项", "您说的〈不行〉是哪一项", "您说的︽不行︾",
                                      "您说的\u2329不行\u232a", "您说｢不行｣", "您说＂不行＂", "您说'不行'",
                                      "您说＇不行＇"])
    def test_quoted_does_not_count(self, line: str, fold: str) -> None:
        """A phrase inside 《》, 〈〉 (or a compatibility form of a mark) is the customer's, not the agent's."""
        assert not _says_no(line, fold)

    @pytest.mark.parametrize("line", ["《合同》不行", "这个不行〈附件〉", "《不行", "don't 不行 it's", "'不行 don't"])
    def test_outside_or_unclosed_counts(self, line: str) -> None:
        """Outside the marks, or after an unclosed one, the phrase still counts."""
        assert _says_no(line)

    @pytest.mark.parametrize("line", ["您刚才说的《我不能》是指哪一项", "您說的〈我不能〉是指哪一項"])
    def test_pack_rule_skips_a_title_quote(self, line: str) -> None:
        """Call-centre CON-5 flags the agent's own 我不能, not the customer's words in title marks."""
        engine = load_pack("call_centre").engine()

        def broken(said: str) -> tuple[str, ...]:
            call = {"call_id": "C1", "agent_id": "A01", "started_at": "2026-03-10T09:00:00+08:00",
                    "duration": "PT2M", "agent_lines": ["您好，客服中心", said, "再見"]}
            return engine.evaluate(call, fact_type="call_record").rule_ids

        assert "CON-5.i-cannot" in broken("我不能")
        assert "CON-5.i-cannot" not in broken(line)


class _Visit(BaseModel):
    """A host's fact with plain (possibly naive) datetimes."""

    at: datetime
    left: datetime | None = None


register_fact_type(_Visit, name="policy8_visit")
_CST = timezone(timedelta(hours=8))
_NOW = datetime(2026, 3, 2, 9, tzinfo=_CST)


def _visit_engine(when: dict[str, Any]) -> Engine:
    rule = {"id": "r", "title": "r", "when": when, "then": [{"type": "violation", "code": "X", "message": "m"}]}
    return Engine(Policy(id="p", version="1", title="t", fact_type="policy8_visit", rules=[rule]))


class TestNaiveHostDatetimes:
    """A naive datetime from a host's model is named as the field that needs an offset."""

    @pytest.mark.parametrize(
        ("when", "fact", "field"),
        [
            ({"kind": "compare", "path": "at", "op": "<", "value": "2026-03-01T00:00:00+08:00"},
             {"at": datetime(2026, 3, 1, 9)}, "at"),
            ({"kind": "compare", "path": "at", "op": "<", "field": "left"},
             {"at": _NOW, "left": datetime(2026, 3, 1, 9)}, "left"),
            ({"kind": "elapsed", "since": "at", "op": ">", "duration": "1h"}, {"at": datetime(2026, 3, 1, 9)}, "at"),
            ({"kind": "elapsed", "since": "at", "until": "left", "op": ">", "duration": "1h"},
             {"at": _NOW, "left": datetime(2026, 3, 3, 9)}, "left"),
            ({"kind": "notice", "since": "at", "until": "left", "op": "<", "duration": "1d"},
             {"at": datetime(2026, 3, 1, 9), "left": _NOW}, "at"),
            ({"kind": "time_of_day", "path": "at", "op": "<", "time": "12:00", "day_of": "left"},
             {"at": _NOW, "left": datetime(2026, 3, 1, 9)}, "left"),
            ({"kind": "on_holiday", "path": "at", "calendar": "china"}, {"at": datetime(2026, 3, 1, 9)}, "at"),
            ({"kind": "in_working_hours", "path": "at", "calendar": "china"}, {"at": datetime(2026, 3, 1, 9)}, "at"),
            ({"kind": "within_hours", "path": "at", "start": "09:00", "end": "18:00"},
             {"at": datetime(2026, 3, 1, 9)}, "at"),
            ({"kind": "holiday_in_span", "path": "at", "until": "left", "calendar": "china"},
             {"at": _NOW, "left": datetime(2026, 3, 3, 9)}, "left"),
        ],
        ids=["compare-literal", "compare-field", "elapsed-now", "elapsed-until", "notice", "time_of_day",
             "on_holiday", "in_working_hours", "within_hours", "holiday_in_span"],
    )
    def test_error_names_the_field(self, when: dict[str, Any], fact: dict[str, Any], field: str) -> None:
        """The decision's error names the field and asks for an offset, never Python's TypeError."""
        decision = _visit_engine(when).evaluate(fact, now=_NOW)
        assert decision.rule_ids == ()
        (error,) = decision.errors
        assert error.message.startswith(f"TimeError: field {field} holds ")
        assert "without a UTC offset (not timezone-aware)" in error.message
        assert decision.trace.for_rule("r").matched is False


class TestYamlSlips:
    """YAML forms that would silently change a value are refused with their line."""

    @pytest.mark.parametrize(("written", "read"), [("010", 8), ("-030", -24), ("0_10", 8)])
    def test_octal_number_refused(self, written: str, read: int) -> None:
        """A number with a leading zero that YAML reads as octal is refused, naming both readings."""
        text = EMPTY_ANY.replace("of: []", f"of: [{{kind: compare, path: days, op: '>', value: {written}}}]")
        with pytest.raises(PolicyError, match=f"the number {written} starts with 0") as caught:
            csrules.loads_policy(text, name="p.yaml")
        assert f"octal ({read})" in caught.value.message
        assert (caught.value.file, caught.value.line) == ("p.yaml", 13)

    def test_leading_zero_that_reads_the_same_is_kept(self) -> None:
        """07 is 7 either way, so it loads."""
        text = EMPTY_ANY.replace("of: []", "of: [{kind: compare, path: days, op: '>', value: 07}]")
        policy = csrules.loads_policy(text)
        assert policy.rules[0].when.of[1].of[0].value == 7  # type: ignore[attr-defined]

    def test_merge_key_refused(self) -> None:
        """A merge key (whose keys the mapping may override unseen) is refused at its line."""
        text = EMPTY_ANY.replace("of: []", "of: [{<<: {kind: is_set}, path: days}]")
        with pytest.raises(PolicyError, match=r"merge keys \(<<\) are not allowed") as caught:
            csrules.loads_policy(text, name="p.yaml")
        assert caught.value.line == 13


class _Order(BaseModel):
    """A host's order: an exact amount and a float limit."""

    amount: Decimal
    limit: float


register_fact_type(_Order, name="policy8_order")


class TestDecimalAgainstFloatField:
    """A Decimal field compared with a float field reads the float as the decimal it is written as."""

    @pytest.mark.parametrize(
        ("path", "op", "other", "holds"),
        [("amount", ">", "limit", False), ("amount", "==", "limit", True), ("limit", "<", "amount", False),
         ("limit", ">=", "amount", True), ("amount", "!=", "limit", False)],
    )
    def test_equal_amounts_compare_equal(self, path: str, op: str, other: str, holds: bool) -> None:
        """0.3 and 0.3 are equal: no rule fires on "amount > limit" (Python says Decimal 0.3 > float 0.3)."""
        rule = {"id": "r", "title": "r", "when": {"kind": "compare", "path": path, "op": op, "field": other},
                "then": [{"type": "violation", "code": "X", "message": "m"}]}
        engine = Engine(Policy(id="p", version="1", title="t", fact_type="policy8_order", rules=[rule]))
        decision = engine.evaluate({"amount": "0.3", "limit": 0.3})
        assert (decision.rule_ids == ("r",)) is holds
        assert decision.trace.for_rule("r").matched is holds


class TestLadderWithoutChain:
    """A level-count rule with no reporting chain to read is refused, naming why."""

    def test_flat_roles_refused(self) -> None:
        """Roles none of which reports to another give the ladder no level: refused, not "not any of none"."""
        from csrules.policies.packs import _ladder

        roles = RoleCatalogue(roles=[{"id": "a", "title": {"en": "A", "zh": "甲"}},
                                     {"id": "b", "title": {"en": "B", "zh": "乙"}}])
        rule = {"id": "ROLE-1.levels-up", "when": {"kind": "all", "of": [
            {"kind": "is_set", "path": "addressed_to"},
            {"kind": "not", "condition": {"kind": "any", "of": [{"kind": "is_set", "path": "raised_by"}]}}]}}
        with pytest.raises(PolicyError, match="no role names one") as caught:
            _ladder(rule, roles)
        assert caught.value.rule_id == "ROLE-1.levels-up"


class TestTimeLiteralsAreText:
    """A number written for a datetime, date or time is refused, not read as a Unix time."""

    @pytest.mark.parametrize(("path", "value"), [("requested_at", "1767225600"), ("requested_at", "1767225600.5"),
                                                 ("start", "20260302")])
    def test_number_refused_at_its_line(self, path: str, value: str) -> None:
        """``value: 1767225600`` for requested_at is refused at its line, asking for ISO 8601 text."""
        text = EMPTY_ANY.replace("of: []", f"of: [{{kind: compare, path: {path}, op: '<', value: {value}}}]")
        with pytest.raises(PolicyError, match="write it as ISO 8601 text") as caught:
            csrules.loads_policy(text, name="p.yaml")
        assert (caught.value.file, caught.value.line) == ("p.yaml", 13)


class _Chat(BaseModel):
    """A host's chat whose lists may hold missing (None) entries."""

    lines: list[str | None] = []
    roles: list[str | None] = []


register_fact_type(_Chat, name="policy8_chat")


def _chat_decision(when: dict[str, Any], fact: dict[str, Any]) -> Any:
    rule = {"id": "r", "title": "r", "when": when, "then": [{"type": "violation", "code": "X", "message": "m"}]}
    return Engine(Policy(id="p", version="1", title="t", fact_type="policy8_chat", rules=[rule])).evaluate(fact)


class TestMissingListItems:
    """A None entry of a list says nothing: no deep error, and no item "outside" the values."""

    @pytest.mark.parametrize("skip_quoted", [False, True])
    def test_contains_reads_the_other_lines(self, skip_quoted: bool) -> None:
        """A None line is skipped; the phrase on the next line is found, with no rule error."""
        when = {"kind": "contains", "path": "lines", "phrases": ["不行"], "skip_quoted": skip_quoted}
        decision = _chat_decision(when, {"lines": [None, "这个不行"]})
        assert decision.errors == ()
        assert decision.rule_ids == ("r",)

    @pytest.mark.parametrize(("roles", "holds"), [([None, "agent"], False), ([None, "agent", "nobody"], True)])
    def test_any_not_in_ignores_a_missing_item(self, roles: list[str | None], holds: bool) -> None:
        """A None role is not "some role outside [agent]"; a real one outside is."""
        decision = _chat_decision({"kind": "any_not_in", "path": "roles", "value": ["agent"]}, {"roles": roles})
        assert (decision.rule_ids == ("r",)) is holds
        assert decision.trace.for_rule("r").matched is holds
