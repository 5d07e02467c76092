"""The reviewer's audit report: ``summary.json``, ``report.md`` and one self-contained
``report.html`` whose charts are inline SVG (no script, font or style from the network)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import polars as pl

from csrules._audit.summary import OUTCOME_COLUMNS, Summary
from csrules._docs.svg import text_width

__all__ = ["bar_chart", "render_html", "render_markdown", "write_reports"]

TOP = 15
"""Rows shown in the report's per-subject and per-rule tables (all are in summary.json)."""

_COLOURS = {"violation": "#c0392b", "needs_approval": "#d68910", "action_required": "#2874a6",
            "clean": "#58a55c", "invalid": "#7f8c8d", "error": "#6c3483"}
_CSS = """
body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b2631;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d5d8dc}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d5d8dc;padding:.25rem .5rem;text-align:left}td.n{text-align:right}
th{background:#f5f7fa}.totals td{font-size:1rem}svg{max-width:100%;height:auto}
.t{font-family:sans-serif;font-size:11px;fill:#1b2631}
@media print{body{margin:0}h2{break-after:avoid}}
"""


def _label(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def bar_chart(title: str, items: Sequence[tuple[str, int]], *, colour: str = "#c0392b") -> str:
    """Horizontal bars, one per ``(label, count)``, as an inline SVG with a title for readers."""
    if not items:
        return ""
    left = min(max(text_width(label, 11) for label, _ in items) + 12, 320)
    width, bar, gap = 680.0, 16, 6
    top = max((count for _, count in items), default=0) or 1
    height = len(items) * (bar + gap) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for index, (label, count) in enumerate(items):
        y = 4 + index * (bar + gap)
        length = (width - left - 60) * count / top
        parts.append(f'<text class="t" x="{left - 6:.0f}" y="{y + 12}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{left:.0f}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>')
        parts.append(f'<text class="t" x="{left + length + 4:.1f}" y="{y + 12}">{count:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _stacked_months(summary: Summary) -> str:
    """Facts per month, stacked by outcome (worst at the bottom)."""
    months = summary.by_month.filter(pl.col("month").is_not_null())
    if not months.height:
        return ""
    rows = months.to_dicts()
    top = max(row["facts"] for row in rows) or 1
    width, height, base, left = 680.0, 220.0, 190.0, 10.0
    step = (width - left) / len(rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
             'aria-label="Facts per month by outcome"><title>Facts per month by outcome</title>']
    for index, row in enumerate(rows):
        x, y = left + index * step, base
        for name in OUTCOME_COLUMNS:
            size = 170 * row[name] / top
            if size:
                y -= size
                parts.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{step - 4:.1f}" height="{size:.1f}" '
                             f'fill="{_COLOURS[name]}"><title>{escape(str(row["month"]))} {name}: {row[name]:,}'
                             "</title></rect>")
        parts.append(f'<text class="t" x="{x + step / 2:.1f}" y="{base + 14}" text-anchor="middle">'
                     f'{escape(str(row["month"]))}</text>')
    legend_x = left
    for name in OUTCOME_COLUMNS:
        parts.append(f'<rect x="{legend_x:.0f}" y="206" width="10" height="10" fill="{_COLOURS[name]}"/>'
                     f'<text class="t" x="{legend_x + 14:.0f}" y="215">{name}</text>')
        legend_x += 24 + text_width(name, 11)
    parts.append("</svg>")
    return "".join(parts)


def _table_rows(frame: pl.DataFrame, key: str, limit: int | None = None) -> tuple[list[str], list[list[Any]]]:
    data = frame.head(limit) if limit else frame
    header = [key, "facts", *OUTCOME_COLUMNS]
    return header, [[row[name] for name in header] for row in data.to_dicts()]


def _rule_rows(summary: Summary) -> tuple[list[str], list[list[Any]]]:
    header = ["policy", "rule", "effect", "code", "severity", "approver", "who", "count"]
    return header, [[row[name] for name in header] for row in summary.by_rule.head(50).to_dicts()]


def _sections(summary: Summary) -> list[tuple[str, list[str], list[list[Any]]]]:
    totals = summary.totals
    return [
        ("Totals", ["facts", *OUTCOME_COLUMNS], [[totals["facts"], *(totals[name] for name in OUTCOME_COLUMNS)]]),
        ("Findings by rule", *_rule_rows(summary)),
        (f"Subjects with the most violations (top {TOP})", *_table_rows(summary.by_subject, "subject", TOP)),
        ("By team", *_table_rows(summary.by_team, "team")),
        ("By month", *_table_rows(summary.by_month, "month")),
        (f"Invalid rows (first {summary.invalid.height})", ["row", "subject", "field", "message"],
         [[row[name] for name in ("row", "subject", "field", "message")] for row in summary.invalid.to_dicts()]),
    ]


def _basis(summary: Summary) -> str:
    """What the counts depend on beside the rows: the instant rules reading the clock saw, and
    the field and zone each fact's month is read in (a month read in UTC would move the facts
    of a month's first hours in Asia/Shanghai to the month before)."""
    shown = summary.shown_now
    zone = f" ({summary.zone})" if summary.zone else ""
    now = (f"Rules reading the clock saw now = {shown}{zone}." if shown is not None
           else "No instant was given for rules reading the clock.")
    if summary.month_field is None:
        return now
    return f"{now} A fact's month is the local month of its {summary.month_field} in {summary.zone}."


def render_markdown(summary: Summary) -> str:
    """The report as Markdown."""
    lines = [f"# Audit: {summary.title}", "",
             f"{summary.input_rows:,} {summary.fact_type} rows audited; every decision is in `decisions.parquet`.",
             "A fact counts once, by its worst outcome.", "", _basis(summary), ""]
    for heading, header, rows in _sections(summary):
        if not rows:
            continue
        lines += [f"## {heading}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_label(value).replace("|", "\\|") for value in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="n">{value:,}</td>' if isinstance(value, int) else f"<td>{escape(_label(value))}</td>"
            for value in row
        ) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _charts(summary: Summary) -> dict[str, str]:
    subjects = summary.by_subject.filter(pl.col("violation") > 0).head(TOP).to_dicts()
    rules = summary.by_rule.filter(pl.col("effect") == "violation").head(TOP).to_dicts()
    return {
        "By month": _stacked_months(summary),
        "Findings by rule": bar_chart("Violations by rule", [(str(r["rule"]), int(r["count"])) for r in rules]),
        f"Subjects with the most violations (top {TOP})": bar_chart(
            "Facts with a violation by subject", [(_label(r["subject"]), int(r["violation"])) for r in subjects]
        ),
        "By team": bar_chart("Facts with a violation by team",
                             [(_label(r["team"]), int(r["violation"])) for r in summary.by_team.to_dicts()]),
    }


def render_html(summary: Summary) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no script)."""
    charts = _charts(summary)
    body = [f"<h1>Audit: {escape(summary.title)}</h1>",
            f"<p>{summary.input_rows:,} {escape(summary.fact_type)} rows audited; every decision is in "
            "<code>decisions.parquet</code>. A fact counts once, by its worst outcome.</p>",
            f"<p>{escape(_basis(summary))}</p>"]
    for heading, header, rows in _sections(summary):
        if not rows:
            continue
        body.append(f"<h2>{escape(heading)}</h2>")
        if charts.get(heading):
            body.append(f"<figure>{charts[heading]}</figure>")
        body.append(_html_table(header, rows))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Audit: "
            f"{escape(summary.title)}</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")


def write_reports(summary: Summary, folder: Path) -> tuple[Path, ...]:
    """Write ``summary.json``, ``report.md`` and ``report.html`` into ``folder``; their paths."""
    written = []
    for name, text in (
        ("summary.json", json.dumps(summary.to_dict(), ensure_ascii=False, indent=1, default=str)),
        ("report.md", render_markdown(summary)),
        ("report.html", render_html(summary)),
    ):
        path = folder / name
        fresh = folder / f".{name}.{os.getpid()}.partial"  # a reader sees the old report or the new, never half
        fresh.write_text(text, encoding="utf-8")
        os.replace(fresh, path)
        written.append(path)
    return tuple(written)
