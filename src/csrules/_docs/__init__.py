"""Documents for compliance reviewers: Markdown and one self-contained HTML file.

:func:`render_docs` renders a :class:`~csrules._docs.subject.Subject` (a pack or policy
files); :func:`render_diff` renders what changed between two versions. Both build one list
of blocks and render it twice, so the Markdown and the HTML always agree.

Chinese text comes from several places (the packs quote their sources in traditional
characters, the templates are simplified); a document with Chinese in it is written in one
script, simplified by default (:func:`~csrules._policy.text.to_script`, with OpenCC's dictionaries);
a traditional document keeps quoted source clauses and worked-example data as written
(:func:`~csrules._policy.text.to_script_quoting`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from csrules._docs.diff import PolicyDiff, build_diff
from csrules._docs.document import build_document
from csrules._docs.examples import stale_examples
from csrules._docs.history import in_force_on
from csrules._docs.html import render_html
from csrules._docs.markdown import render_markdown
from csrules._docs.plain import Lang, condition_words, rule_sentence
from csrules._docs.subject import Subject, content_hash, subject_from_pack, subject_from_policies
from csrules._engine.examples import CaseResult
from csrules._policy.text import Script, to_script_quoting
from csrules._policy.validity import day_of

__all__ = [
    "Lang",
    "Rendered",
    "Script",
    "condition_words",
    "content_hash",
    "days_zone",
    "generated_date",
    "langs_for",
    "render_diff",
    "render_docs",
    "rule_sentence",
    "script_for",
    "subject_from_pack",
    "subject_from_policies",
]


def script_for(langs: Sequence[Lang], option: str | None = None) -> Script | None:
    """The script of a document in ``langs``: ``option`` (``simplified`` / ``traditional``),
    simplified by default when it has Chinese, None without Chinese."""
    if option not in (None, "simplified", "traditional"):
        raise ValueError(f"--script must be simplified or traditional (got {option!r})")
    if "zh" not in langs:
        return None
    return "traditional" if option == "traditional" else "simplified"


@dataclass(frozen=True)
class Rendered:
    """One document in both formats; ``stale``: the worked examples it shows that the rules as
    shown no longer bear out (marked ✘ in the document; a caller warns about them)."""

    markdown: str
    html: str
    stale: tuple[CaseResult, ...] = ()


def langs_for(option: str) -> tuple[Lang, ...]:
    """``en`` / ``zh`` / ``both`` as the languages to render."""
    if option == "en":
        return ("en",)
    if option == "zh":
        return ("zh",)
    if option == "both":
        return ("en", "zh")
    raise ValueError(f"--lang must be en, zh or both (got {option!r})")


def generated_date(option: str | None = None, zone: str | None = None) -> date:
    """The "date generated": ``option`` (YYYY-MM-DD), else the day of ``SOURCE_DATE_EPOCH``,
    else of now, in ``zone`` (the zone the policies read their days in; the default zone when
    None), so the versions shown are the ones in force on that day where they apply.

    Fixing it makes generated documents reproducible byte for byte.
    """
    if option:
        try:
            return date.fromisoformat(option)
        except ValueError:
            raise ValueError(f"--date must be YYYY-MM-DD (got {option!r})") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError:
            raise ValueError(f"SOURCE_DATE_EPOCH must be whole seconds (got {epoch!r})") from None
        try:
            return day_of(datetime.fromtimestamp(seconds, UTC), zone)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"SOURCE_DATE_EPOCH {epoch} is out of range: it must be seconds since 1970 "
                             "giving a day in years 1 to 9999") from None
    return day_of(datetime.now(UTC), zone)


def days_zone(subject: Subject) -> str | None:
    """The zone ``subject``'s dated policies read their days in (None: the default zone)."""
    return next((p.timezone for p in subject.policies if p.dated and p.timezone), None)


def render_docs(subject: Subject, langs: Sequence[Lang], generated: date,
                script: Script | None = None) -> Rendered:
    """The reviewer's document for ``subject``; its Chinese in ``script`` (default: simplified)."""
    stale = stale_examples(in_force_on(subject, generated).policies)
    blocks = build_document(subject, langs, generated, stale)
    title = " / ".join(dict.fromkeys(subject.title.get(lang) for lang in langs))
    chosen = script_for(langs, script)
    lang = langs[0] if chosen is None or langs[0] == "en" else _HTML_LANG[chosen]
    markdown, html = render_markdown(blocks), render_html(blocks, title=title, lang=lang)
    if chosen is not None:
        html = html.replace(' lang="zh"', f' lang="{_HTML_LANG[chosen]}"')
    return Rendered(to_script_quoting(markdown, chosen), to_script_quoting(html, chosen), tuple(stale.values()))


_HTML_LANG = {"simplified": "zh-Hans", "traditional": "zh-Hant"}


def render_diff(
    old: Subject, new: Subject, langs: Sequence[Lang], generated: date, *, packs: tuple[Any, Any] | None = None
) -> tuple[Rendered, PolicyDiff]:
    """The change document between two versions (two packs: ``packs``), and the raw differences."""
    blocks, diff = build_diff(old, new, langs, generated, packs=packs)
    title = f"{old.name} {old.version} → {new.name} {new.version}"
    return Rendered(render_markdown(blocks), render_html(blocks, title=title, lang=langs[0])), diff
