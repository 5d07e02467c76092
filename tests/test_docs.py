"""Reviewer documents: plain words, Markdown and HTML content, diagrams, diffs."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from csrules import All, Any_, Compare, Elapsed, IsSet, Not, load_policy
from csrules._cli._common import import_modules
from csrules._docs import (
    generated_date,
    langs_for,
    render_diff,
    render_docs,
    subject_from_pack,
    subject_from_policies,
)
from csrules._docs.plain import condition_words, describe_context
from csrules._docs.svg import text_width, wrap

DATA = Path(__file__).parent / "e2e" / "data"
import_modules([str(DATA / "cli_facts.py")])
DAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def leave():
    return load_policy(DATA / "leave.yaml")


@pytest.fixture(scope="module")
def orders():
    return load_policy(DATA / "escalation.yaml")


def _pack(policies):
    return SimpleNamespace(
        name="demo",
        title={"en": "Demo pack", "zh": "演示规则包"},
        version="3.1",
        policies=policies,
        roles=SimpleNamespace(
            roles=(
                SimpleNamespace(
                    id="centre_director",
                    title={"en": "Centre director", "zh": "客服中心主任"},
                    reports_to=None,
                    duties=(SimpleNamespace(en="Runs the centre", zh="主持中心工作"),),
                    authority=(SimpleNamespace(matter="leave", up_to=30.0, unit="days"),),
                ),
                SimpleNamespace(
                    id="shift_lead",
                    title={"en": "Shift lead", "zh": "值班长"},
                    reports_to="centre_director",
                    duties=(),
                    authority=(),
                ),
            )
        ),
        duties=(
            SimpleNamespace(
                duty=SimpleNamespace(
                    owner="shift_lead", title={"en": "Duty log", "zh": "值班日志"}, recurrence="every shift"
                )
            ),
        ),
        lifecycles=[
            SimpleNamespace(
                id="complaint",
                title={"en": "Complaint", "zh": "投诉"},
                states=["intake", "judged", "archived"],
                initial="intake",
                final=["archived"],
                transitions=[
                    SimpleNamespace(from_="intake", on="judge", to="judged"),
                    SimpleNamespace(from_="judged", on="archive", to="archived"),
                    SimpleNamespace(from_="judged", on="reopen", to="intake"),
                ],
            )
        ],
    )


class TestPlainWords:
    def test_all_any_not_nest_with_brackets(self, leave):
        """Nested any inside all is bracketed; a negated leaf reads as its opposite."""
        ctx = describe_context(leave)
        cond = All(
            of=[
                Compare(path="kind", op="==", value="personal"),
                Any_(of=[Compare(path="days", op=">", value=2), IsSet(path="note")]),
                Not(condition=Compare(path="manager_approved", op="==", value=True)),
            ]
        )
        en = condition_words(cond, "en", ctx)
        assert en == ("the leave is “personal” and (days is more than 2 or note is given) and manager approved is no")
        zh = condition_words(cond, "zh", ctx)
        assert zh.startswith("假别等于“personal”，且(天数大于2，或note已填写)")
        assert "经理已批准等于否" in zh

    def test_elapsed_reads_with_the_parameter_in_force(self, leave):
        """A duration parameter shows its value in force and its name."""
        ctx = describe_context(leave.with_params(notice="2h"))
        cond = Elapsed(since="requested_at", until="starts_at", op="<", param="notice")
        assert condition_words(cond, "en", ctx) == "less than 2 hours (notice) from requested at to the shift start"

    def test_negated_comparison_flips_the_operator(self, leave):
        """not (days < 3) reads 'days is at least 3'."""
        ctx = describe_context(leave)
        assert condition_words(Not(condition=Compare(path="days", op="<", value=3)), "en", ctx) == "days is at least 3"


class TestDocument:
    def test_every_rule_in_both_languages_with_examples(self, leave):
        """Each rule appears with its sentence in English and Chinese, citation and example table."""
        out = render_docs(subject_from_policies([leave]), langs_for("both"), DAY)
        for rule in leave.rules:
            assert rule.id in out.markdown
            assert f'data-rule="cli-leave/{rule.id}"' in out.html
        assert "When the leave is “personal” and less than 1 day (notice)" in out.markdown
        assert "当假别等于“personal”，且从申请时间到班次开始时间不足1天 (notice)" in out.markdown
        assert "001 § 请假制度 2" in out.markdown  # the source's traditional, in simplified
        assert "| same day |" in out.markdown
        assert "2026-01-01" in out.markdown

    def test_language_choice(self, leave):
        """--lang en leaves Chinese rule text out, --lang zh English."""
        en = render_docs(subject_from_policies([leave]), langs_for("en"), DAY).markdown
        zh = render_docs(subject_from_policies([leave]), langs_for("zh"), DAY).markdown
        assert "当假别" not in en
        assert "When the leave" in en
        assert "When the leave" not in zh
        assert "当假别" in zh

    def test_parameters_show_defaults_overrides_and_values_in_force(self, orders):
        """The overridden parameter shows default, override and value in force."""
        md = render_docs(subject_from_policies([orders]), langs_for("en"), DAY).markdown
        assert re.search(r"\| first_step \| duration \| 24h \| 12h \| 12 hours ★ \|", md)  # as the file writes it
        assert re.search(r"\| second_step \| duration \| 48h \| — \| 48 hours \|", md)

    def test_html_is_self_contained(self, leave, orders):
        """No script, no external reference, an A4 page rule, inline SVG diagrams."""
        html = render_docs(subject_from_pack(_pack([leave, orders])), langs_for("both"), DAY).html
        assert "<script" not in html.lower()
        assert "<link" not in html.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
        assert "url(http" not in html
        assert "@import" not in html
        assert "@page{size:A4" in html
        assert html.count("<svg") == 3  # reporting chain, ladder, lifecycle

    def test_pack_roles_duties_authority_ladder_lifecycle(self, leave, orders):
        """Roles with duties and authority, the ladder in time order, the lifecycle's moves."""
        md = render_docs(subject_from_pack(_pack([leave, orders])), langs_for("en"), DAY).markdown
        assert "Centre director (centre_director)" in md
        assert "Runs the centre" in md
        assert "leave up to 30 days" in md
        assert "Duty log (every shift)" in md
        assert "flowchart BT" in md
        assert "n_shift_lead --> n_centre_director" in md
        ladder = md[md.index("## Escalation ladder") : md.index("## Lifecycles")]
        assert ladder.index("Shift lead") < ladder.index("department manager")
        assert "| judged | reopen | — | intake |" in md

    def test_content_hash_follows_content(self, leave):
        """The hash is stable for equal policies and changes with a parameter."""
        one = subject_from_policies([leave]).hash
        assert one == subject_from_policies([load_policy(DATA / "leave.yaml")]).hash
        assert one != subject_from_policies([leave.with_params(notice="2d")]).hash

    def test_reproducible(self, leave, monkeypatch):
        """SOURCE_DATE_EPOCH fixes the date; equal input, equal bytes."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
        assert generated_date() == date(2026, 1, 1)
        assert generated_date("2025-12-31") == date(2025, 12, 31)
        a = render_docs(subject_from_policies([leave]), langs_for("both"), generated_date())
        b = render_docs(subject_from_policies([leave]), langs_for("both"), generated_date())
        assert a == b

    def test_bad_date(self):
        """A malformed --date is a one-line error naming the option."""
        with pytest.raises(ValueError, match="--date must be YYYY-MM-DD"):
            generated_date("01/02/2026")

    def test_text_is_escaped(self, leave):
        """Markup in policy text is shown, never interpreted."""
        data = leave.model_dump(mode="python")
        data["title"] = {"en": "<b>x</b> | y", "zh": "<i>z</i>"}
        html = render_docs(subject_from_policies([type(leave)(**data)]), langs_for("both"), DAY).html
        assert "<b>x</b>" not in html
        assert "&lt;b&gt;x&lt;/b&gt;" in html


class TestSvg:
    def test_cjk_is_wider_and_wrapping_keeps_width(self):
        """CJK characters count one em; wrapped lines stay within the width."""
        assert text_width("主任") > text_width("ab")
        lines = wrap("when the work order has been open for more than twenty-four hours", 120)
        assert len(lines) > 1
        assert all(text_width(line) <= 120 for line in lines)


class TestDiff:
    def test_added_removed_reworded_and_parameters(self, leave):
        """A new version's rule and parameter changes are listed with old and new values."""
        data = leave.model_dump(mode="python")
        data["version"] = "1.1"
        data["params"]["notice"]["default"] = "2d"
        data["rules"][1]["title"] = {"en": "Short leave: the department head approves", "zh": "短假由部门主管审批"}
        data["rules"].pop(2)
        extra = dict(data["rules"][0], id="sick-note")
        data["rules"].append(extra)
        new = type(leave)(**data)
        rendered, diff = render_diff(subject_from_policies([leave]), subject_from_policies([new]), langs_for("en"), DAY)
        assert [r.id for _, r in diff.added] == ["sick-note"]
        assert [r.id for _, r in diff.removed] == ["director-approves"]
        assert [(c.rule_id, c.aspects) for c in diff.changed] == [("head-approves", ["title"])]
        assert ("cli-leave", "notice", "default", "1d", "2d") in diff.params
        assert ("cli-leave", "1.0", "1.1") in diff.versions
        md = rendered.markdown
        assert "## Rules added" in md
        assert "## Rules removed" in md
        assert "## Parameters changed" in md
        assert "| cli-leave | notice | default | 1d | 2d |" in md
        assert "Short leave: the department head approves" in md
        assert "<script" not in rendered.html

    def test_no_difference(self, leave):
        """Equal versions produce an empty diff that says so."""
        rendered, diff = render_diff(
            subject_from_policies([leave]), subject_from_policies([leave]), langs_for("both"), DAY
        )
        assert diff.empty
        assert "No differences." in rendered.markdown
