"""Each rule's source clause stands beside its plain-words reading, in HTML and in Markdown."""

from __future__ import annotations

import re
from datetime import date
from html import escape
from pathlib import Path

import pytest

from csrules import load_policy
from csrules._cli._common import import_modules, load_target
from csrules._docs import langs_for, render_docs, subject_from_policies
from csrules._docs.plain import describe_context, rule_sentence
from csrules._policy.text import to_script


def simplified(text: str) -> str:
    """``text`` as the documents show it: Chinese in simplified characters."""
    return to_script(text, "simplified")

DATA = Path(__file__).parent / "e2e" / "data"
DAY = date(2026, 1, 1)
BOTH = langs_for("both")
PAIR = r'<div class="pair"><div class="clause">(.*?)</div><div class="reading">(.*?)</div></div>'


@pytest.fixture(scope="module")
def call_centre():  # type: ignore[no-untyped-def]
    subject = load_target("call_centre").subject()
    return subject, render_docs(subject, BOTH, DAY)


def _sections(html: str) -> dict[str, str]:
    """Each rule's HTML section, by ``policy/rule``."""
    return dict(re.findall(r'<section class="rule" data-rule="([^"]+)">(.*?)</section>', html, re.S))


def _cells(row: str) -> list[str]:
    """The cells of a Markdown table row (escaped pipes kept inside cells)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


class TestHtmlPairs:
    def test_every_rule_pairs_its_clause_with_its_reading(self, call_centre) -> None:  # type: ignore[no-untyped-def]
        """In each rule's section the clause column holds the citation and Chinese quote, the reading
        column the condition in both languages; the clause comes first."""
        subject, out = call_centre
        sections = _sections(out.html)
        for policy in subject.policies:
            ctx = describe_context(policy)
            for rule in policy.rules:
                section = sections[f"{policy.id}/{rule.id}"]
                pair = re.search(PAIR, section, re.S)
                assert pair, f"{rule.id} has no clause/reading pair"
                clause, reading = pair.groups()
                assert rule.citation is not None
                assert escape(simplified(str(rule.citation))) in clause
                if rule.citation.quote:
                    quote = escape(simplified(rule.citation.quote))
                    assert f'<p lang="zh-Hans" class="quote">“{quote}”</p>' in clause
                for lang in BOTH:
                    assert escape(simplified(rule_sentence(rule, lang, ctx))) in reading
                assert escape(rule_sentence(rule, "en", ctx)) not in clause

    def test_the_source_file_is_cited_by_name(self, call_centre) -> None:  # type: ignore[no-untyped-def]
        """The clause names the source document and its file (the file itself is not in the document)."""
        subject, out = call_centre
        source = subject.policies[0].sources[0]
        assert source.file
        section = next(iter(_sections(out.html).values()))
        assert f"{escape(source.title.en)} / {escape(simplified(source.title.zh))} — {escape(source.file)}" in section

    def test_columns_stack_on_narrow_screens(self, call_centre) -> None:  # type: ignore[no-untyped-def]
        """The pair is a two-column grid that becomes one column below 720px."""
        _, out = call_centre
        assert "div.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr)" in out.html
        assert "@media (max-width:720px){div.pair{grid-template-columns:minmax(0,1fr)}" in out.html


class TestMarkdownPairs:
    def test_rule_heading_is_followed_by_a_clause_reading_table(self, call_centre) -> None:  # type: ignore[no-untyped-def]
        """Below each rule's heading: a two-column table, clause on the left and reading on the right."""
        subject, out = call_centre
        lines = out.markdown.splitlines()
        for policy in subject.policies:
            ctx = describe_context(policy)
            for rule in policy.rules:
                heading = next(i for i, line in enumerate(lines) if line.startswith(f"#### {rule.id} — "))
                assert lines[heading + 2] == "| Source clause / 原文条款 | Reading / 解读 |"
                assert lines[heading + 3] == "|---|---|"
                clause, reading = _cells(lines[heading + 4])
                assert rule.citation is not None
                assert clause.startswith(simplified(str(rule.citation)))
                if rule.citation.quote:
                    assert simplified(rule.citation.quote).replace("|", "\\|") in clause
                assert reading.startswith(simplified(rule_sentence(rule, "en", ctx)).replace("_", "\\_")[:40])

    def test_rule_without_citation_says_so_in_the_clause_column(self) -> None:
        """A rule with no citation shows "no citation" where the clause would be."""
        import_modules([str(DATA / "cli_facts.py")])
        leave = load_policy(DATA / "leave.yaml")
        bare = leave.model_copy(update={"rules": [leave.rules[0].model_copy(update={"citation": None})]})
        md = render_docs(subject_from_policies([bare]), BOTH, DAY).markdown
        row = md.splitlines()[md.splitlines().index("| Source clause / 原文条款 | Reading / 解读 |") + 2]
        assert _cells(row)[0] == "*no citation / 未注明出处*"
