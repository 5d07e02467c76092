"""Documents and lint say what a rule does: negations of optional values, days in force,
the day documents are generated for."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel

from csrules._docs import generated_date, render_docs
from csrules._docs.document import _compact
from csrules._docs.history import days_in_force
from csrules._docs.plain import condition_words
from csrules._docs.subject import Subject, subject_from_pack
from csrules._policy.facts import register_fact_type
from csrules._policy.kinds.base import DescribeContext
from csrules._policy.kinds.core import All, Compare, Elapsed, In, Not
from csrules._policy.lint import lint_policy, never_holds
from csrules._policy.model import Policy
from csrules._policy.text import quoted, to_script, to_script_quoting
from csrules.policies import load_pack


@register_fact_type(name="docwords_fact")
class DocwordsFact(BaseModel):
    """A fact with required and optional fields of each kind the negations read."""

    at: AwareDatetime
    other: AwareDatetime | None = None
    status: str | None = None
    n: int = 0
    m: int | None = None


CTX = DescribeContext(DocwordsFact)
BOUND = "2026-01-01T00:00:00+08:00"


def policy(when: dict[str, object], **extra: object) -> Policy:
    """A one-rule policy on the fact above."""
    rule = {"id": "r", "title": "r", "when": when, "then": [{"type": "violation", "code": "X", "message": "m"}]}
    return Policy.model_validate({"id": "p", "version": "1", "title": "t", "fact_type": "docwords_fact",
                                  "rules": [rule], **extra})


class TestNegatedWords:
    def test_negated_comparison_of_an_optional_field_names_the_missing_case(self):
        """``not (other > x)`` holds when other is missing, and the words say so in both languages."""
        cond = Not(condition=Compare(path="other", op=">", value=BOUND))
        assert condition_words(cond, "en", CTX).startswith("other is missing, or other is at most")
        assert condition_words(cond, "zh", CTX).startswith("other未填写，或other不超过")

    def test_negated_membership_of_an_optional_field_is_not_worded_as_none_of(self):
        """``not (status in [a])`` holds for a missing status, where ``none of`` would not."""
        cond = Not(condition=In(path="status", value=["a"]))
        assert condition_words(cond, "en", CTX) == "status is missing, or status is none of “a”"

    def test_negated_elapsed_from_an_optional_start_names_the_missing_case(self):
        """``not (elapsed from other > 1h)`` holds when other is missing."""
        cond = Not(condition=Elapsed(since="other", op=">", duration="1h"))
        assert condition_words(cond, "en", CTX).startswith("other is missing, or ")

    def test_negated_comparison_of_a_required_field_is_the_plain_opposite(self):
        """A required field is always given, so the opposite comparison is exact."""
        cond = Not(condition=Compare(path="n", op=">", value=3))
        assert condition_words(cond, "en", CTX) == "n is at most 3"

    def test_nested_negation_is_bracketed(self):
        """The added "or" is bracketed inside an "and", so the phrase reads one way."""
        cond = All(of=[Compare(path="n", op=">", value=3), Not(condition=Compare(path="m", op=">", value=3))])
        assert condition_words(cond, "en", CTX) == "n is more than 3 and (m is missing, or m is at most 3)"


class TestNeverHoldsWithOptionalFields:
    def test_two_negations_of_an_optional_field_may_both_hold(self):
        """``not (other > T) and not (other <= T)`` holds for a fact without other: no finding."""
        when = {"kind": "all", "of": [
            {"kind": "not", "condition": {"kind": "compare", "path": "other", "op": ">", "value": BOUND}},
            {"kind": "not", "condition": {"kind": "compare", "path": "other", "op": "<=", "value": BOUND}},
        ]}
        assert [f for f in lint_policy(policy(when)) if f.code == "never-holds"] == []

    def test_two_negations_of_a_required_field_never_hold(self):
        """For a required field the same pair is a contradiction, and lint still says so."""
        cond = All(of=[Not(condition=Compare(path="n", op=">", value=3)),
                       Not(condition=Compare(path="n", op="<=", value=3))])
        assert never_holds(cond, {}, DocwordsFact) is not None

    def test_a_plain_leaf_makes_the_optional_field_given(self):
        """``m > 3 and not (m > 3)`` never holds: the plain leaf needs m given."""
        cond = All(of=[Compare(path="m", op=">", value=3), Not(condition=Compare(path="m", op=">", value=3))])
        assert never_holds(cond, {}, DocwordsFact) is not None

    def test_without_a_model_negations_alone_claim_nothing(self):
        """With no model a field may be missing, so two negations are no contradiction."""
        cond = All(of=[Not(condition=Compare(path="m", op=">", value=3)),
                       Not(condition=Compare(path="m", op="<=", value=3))])
        assert never_holds(cond, {}) is None


class TestDaysInForce:
    def test_exclusive_end_is_stated_as_the_last_day_in_force(self):
        """valid_until 2026-07-01 is not in force on 07-01: both languages name 06-30 as the last day."""
        dated = policy({"kind": "compare", "path": "n", "op": ">", "value": 3},
                       valid_from="2026-01-01", valid_until="2026-07-01")
        assert days_in_force(dated, "zh") == "自2026-01-01起至2026-06-30止"
        assert days_in_force(dated, "en") == "from 2026-01-01 through 2026-06-30"


class TestGeneratedDate:
    def test_source_date_epoch_is_read_as_a_day_in_the_policies_zone(self, monkeypatch):
        """2026-06-30T20:00Z is 2026-07-01 in Beijing: the versions in force that day are shown."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1782849600")
        assert generated_date(zone="Asia/Shanghai") == date(2026, 7, 1)
        assert generated_date() == date(2026, 7, 1)
        assert generated_date(zone="UTC") == date(2026, 6, 30)


class TestApprovalLimits:
    @staticmethod
    def head_limits(overrides: dict[str, dict[str, object]] | None = None) -> list[str]:
        """The department head's approval limits as the call-centre document states them."""
        roles = subject_from_pack(load_pack("call_centre", overrides=overrides)).roles
        return [f"{t.en} / {t.zh}" for r in roles if r.id == "department_head" for t in r.approves
                if t.en.startswith("leave up to")]

    def test_catalogue_limit_in_words_is_singular_for_one_day(self):
        """Without overrides the limit is the catalogue's, and one day is "1 day"."""
        assert self.head_limits() == ["leave up to 1 day / 请假：不超过1天"]

    def test_overridden_threshold_moves_the_stated_limit(self):
        """An override of head_max_days is the limit stated, with the catalogue's figure named."""
        limits = self.head_limits({"call_centre.leave": {"head_max_days": 2.0}})
        assert limits == ["leave up to 2 days (head_max_days; the role catalogue says 1 day)"
                          " / 请假：不超过2天（head_max_days；角色表写明1天）"]


class TestQuotesKeptAsWritten:
    @staticmethod
    def quotes(subject: Subject) -> list[str]:
        """Every rule citation's quoted source text in ``subject``."""
        return [r.citation.quote for p in subject.policies for r in p.rules if r.citation and r.citation.quote]

    def test_traditional_document_quotes_its_sources_verbatim(self):
        """Every call-centre quote appears exactly as written, including those OpenCC would change."""
        subject = subject_from_pack(load_pack("call_centre"))
        quotes = self.quotes(subject)
        assert any(to_script(q, "traditional") != q for q in quotes)  # the premise: some would change
        out = render_docs(subject, ("zh",), date(2026, 12, 4), "traditional")
        assert [q for q in quotes if f"“{q}”" not in out.markdown or f"“{q}”" not in out.html] == []

    def test_traditional_document_keeps_worked_example_data(self):
        """A worked example's fact is shown as written, while the document's own words convert."""
        subject = subject_from_pack(load_pack("call_centre"))
        facts = [_compact(e.fact) for p in subject.policies for r in p.rules for e in r.examples if e.fact]
        changed = [f for f in facts if to_script(f, "traditional") != f]
        assert changed  # the premise: some example data would change
        md = render_docs(subject, ("zh",), date(2026, 12, 4), "traditional").markdown
        assert [f for f in changed if f.strip("\ue000\ue001") not in md] == []
        assert "請假" in md
        assert "\ue000" not in md

    def test_marks_are_removed_in_every_script(self):
        """Quoted spans are kept in traditional, converted in simplified, unmarked without a script."""
        text = f"请假{quoted('什么 請假')}"
        assert to_script_quoting(text, "traditional") == "請假什么 請假"
        assert to_script_quoting(text, "simplified") == "请假什么 请假"
        assert to_script_quoting(text, None) == "请假什么 請假"
