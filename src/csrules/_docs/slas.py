"""The document section listing a pack's service-level targets, each with its clause.

One row per declaration of ``slas:`` in the pack's manifest: the target in force, the clock
it measures (from which field to which, while which values hold), the rule that reports
the breach and its code, the deadlines that follow the target, the warning fractions and
the citation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from csrules._docs.blocks import Block, Heading, Para, Table
from csrules._docs.plain import Lang, in_langs, text_in
from csrules._policy.model import Text
from csrules._policy.text import quoted
from csrules._time.registry import calendar_label
from csrules.policies.slas import target_text

if TYPE_CHECKING:
    from csrules.policies.slas import PackSla

__all__ = ["SlaDoc", "sla_blocks", "sla_docs"]

_LABELS: dict[str, tuple[str, str]] = {
    "slas": ("Service-level targets", "服务水平目标"),
    "lead": (
        "Each target is measured on the clock shown; the rule named reports a breach with the code given, "
        "the deadlines listed follow the target, and warnings fall due at the fractions shown.",
        "每个目标按所示计时衡量；所列规则以所示代码报告超时，所列时限随目标而定，并在所示比例时发出预警。",
    ),
    "sla": ("Target", "目标"),
    "within": ("Within", "时限"),
    "clock": ("Clock", "计时"),
    "rule": ("Rule / code", "规则 / 代码"),
    "sets": ("Deadlines set", "设定的时限"),
    "warn": ("Warnings at", "预警"),
    "citation": ("Citation", "出处"),
    "from": ("from", "自"),
    "to": ("to", "至"),
    "while": ("while", "当"),
    "paused": ("paused during", "暂停于"),
    "business": ("working time in the {} calendar", "按{}日历的工作时间"),
}


_YES_NO_ZH = {"true": "是", "false": "否"}


@dataclass(frozen=True)
class SlaDoc:
    """One declared target as the document shows it."""

    id: str
    title: Text
    within: Text
    start: str
    stop: str | None
    pauses: str | None
    applies: tuple[tuple[str, str], ...]
    rule: str | None
    code: str
    sets: tuple[str, ...]
    warn_at: tuple[float, ...]
    calendar: str | None
    citation: str
    quote: str | None


def sla_docs(slas: Iterable[PackSla]) -> tuple[SlaDoc, ...]:
    """The document rows of a pack's resolved SLAs (``Pack.slas``)."""
    rows = []
    for sla in slas:
        decl = sla.declaration
        rows.append(
            SlaDoc(
                id=sla.id,
                title=sla.title,
                within=Text(en=target_text(sla, "en"), zh=target_text(sla, "zh")),  # dated values too
                start=decl.start,
                stop=decl.stop,
                pauses=decl.pauses,
                applies=tuple((name, _shown(value)) for name, value in decl.applies.items()),
                rule=decl.rule,
                code=sla.code,
                sets=decl.sets,
                warn_at=decl.warn_at,
                calendar=decl.calendar,
                citation=str(decl.citation),
                quote=decl.citation.quote,
            )
        )
    return tuple(rows)


def _shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _words(key: str, langs: Sequence[Lang]) -> str:
    return in_langs(*_LABELS[key], langs)


def _clock(doc: SlaDoc, langs: Sequence[Lang]) -> str:
    """``from created_at to called_at, while kind = callback`` (labels in ``langs``)."""
    text = f"{_words('from', langs)} {doc.start}"
    if doc.stop is not None:
        text += f" {_words('to', langs)} {doc.stop}"
    if doc.applies:
        text += f", {_words('while', langs)} " + ", ".join(
            f"{name} = {in_langs(value, _YES_NO_ZH.get(value, value), langs)}" for name, value in doc.applies)
    if doc.pauses is not None:
        text += f"; {_words('paused', langs)} {doc.pauses}"
    if doc.calendar is not None:
        en, zh = _LABELS["business"]
        named = calendar_label(doc.calendar)
        text += "; " + in_langs(en.format(named), zh.format(named), langs)
    return text


def sla_blocks(slas: Sequence[SlaDoc], langs: Sequence[Lang]) -> list[Block]:
    """The section listing ``slas`` (nothing when the subject declares none)."""
    if not slas:
        return []
    rows = tuple(
        (
            f"{doc.id}\n{text_in(doc.title, langs)}",
            text_in(doc.within, langs),
            _clock(doc, langs),
            f"{doc.rule or '—'} ({doc.code})",
            "\n".join(doc.sets) or "—",
            ", ".join(f"{f * 100:g} %" for f in doc.warn_at) or "—",
            doc.citation + (f"\n“{quoted(doc.quote)}”" if doc.quote else ""),
        )
        for doc in slas
    )
    headers = tuple(_words(key, langs) for key in ("sla", "within", "clock", "rule", "sets", "warn", "citation"))
    return [
        Heading(2, _words("slas", langs), "slas"),
        Para(_words("lead", langs), cls="lead"),
        Table(headers, rows, cls="slas"),
    ]
