"""Blocks as one self-contained HTML file: inline CSS and SVG, no script, no network.

It opens from disk and prints on A4 (``@page`` size, rules kept whole across pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from html import escape

from csrules._docs.blocks import Block, Diagram, Heading, Items, Pair, Para, Section, Table
from csrules._docs.svg import number_markers

__all__ = ["render_html"]

_CSS = """
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC","PingFang SC",
"Microsoft YaHei",sans-serif;font-size:14px;line-height:1.5;color:#1b2631;max-width:960px;
margin:0 auto;padding:24px}
h1{font-size:26px;border-bottom:3px solid #34495e;padding-bottom:6px}
h2{font-size:20px;border-bottom:1px solid #bdc3c7;margin-top:32px}
h3{font-size:16px;margin-top:22px}h4{font-size:14px;margin:0 0 6px}
table{border-collapse:collapse;margin:8px 0 14px;width:100%;font-size:12.5px}
th,td{border:1px solid #d5d8dc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef2f5}td{white-space:pre-line;overflow-wrap:break-word}
table.examples td:nth-child(2){font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px}
td code{font-family:inherit;font-size:inherit}
table.examples td:nth-child(n+3){white-space:pre}
section.rule{border:1px solid #d5d8dc;border-left:4px solid #2e86c1;border-radius:4px;
padding:10px 14px;margin:12px 0;break-inside:avoid;page-break-inside:avoid}
p.when{margin:2px 0;font-size:14.5px}p.label{font-weight:600;margin:8px 0 2px}
p.note{color:#566573;font-style:italic}p.cite{color:#566573;font-size:12.5px}
p.lead{margin:4px 0}ul.effects{margin:2px 0 6px}
div.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 16px;margin:6px 0}
div.pair>div{min-width:0}div.clause{border-right:1px solid #d5d8dc;padding-right:14px}
div.pair h5{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:#566573;margin:0 0 4px}
p.source{font-weight:600;margin:2px 0}p.quote{margin:4px 0;padding:4px 8px;background:#fbf8ef;
border-left:3px solid #c9a227;font-size:14.5px}
@media (max-width:720px){div.pair{grid-template-columns:minmax(0,1fr)}
div.clause{border-right:none;padding-right:0;border-bottom:1px solid #d5d8dc;padding-bottom:6px;margin-bottom:6px}}
figure{margin:10px 0 16px;break-inside:avoid;page-break-inside:avoid}
figcaption{font-size:12px;color:#566573}
nav{font-size:13px}nav a{margin-right:12px}
@page{size:A4;margin:16mm 14mm}
@media print{body{max-width:none;padding:0;font-size:11px}nav{display:none}
h2{break-before:page;page-break-before:always}h2#overview{break-before:auto;page-break-before:auto}
table{font-size:10px}a{color:inherit;text-decoration:none}}
"""


def render_html(blocks: Sequence[Block], *, title: str, lang: str = "en") -> str:
    """The document as a complete HTML page."""
    blocks = _unique_anchors(blocks)
    body: list[str] = []
    nav = [b for b in blocks if isinstance(b, Heading) and b.level == 2 and b.anchor]
    for index, block in enumerate(blocks):
        body.append(_render(block))
        if index == 0 and nav:
            links = "".join(f'<a href="#{escape(b.anchor or "")}">{escape(b.text)}</a>' for b in nav)
            body.append(f"<nav>{links}</nav>")
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + number_markers("\n".join(body))
        + "\n</body>\n</html>\n"
    )


def _unique_anchors(blocks: Sequence[Block], used: set[str] | None = None) -> list[Block]:
    """``blocks`` with each heading anchor used once: a later heading whose anchor is taken
    (two policy ids that differ only in punctuation, ``acme.leave`` and ``acme_leave``, slug
    alike) gets ``-2``, ``-3`` ... added, in document order."""
    used = set() if used is None else used  # shared by the nested blocks
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading) and block.anchor:
            anchor, number = block.anchor, 1
            while anchor in used:
                number += 1
                anchor = f"{block.anchor}-{number}"
            used.add(anchor)
            block = replace(block, anchor=anchor) if anchor != block.anchor else block
        elif isinstance(block, Section):
            block = replace(block, blocks=tuple(_unique_anchors(block.blocks, used)))
        out.append(block)
    return out


def _text(text: str) -> str:
    return escape(text)


def _render(block: Block) -> str:
    if isinstance(block, Heading):
        anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{_text(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        attrs = f' lang="{block.lang}"' if block.lang else ""
        attrs += f' class="{block.cls}"' if block.cls else ""
        label = f"<strong>{_text(block.label)}:</strong> " if block.label else ""
        return f"<p{attrs}>{label}{_text(block.text)}</p>"
    if isinstance(block, Items):
        cls = f' class="{block.cls}"' if block.cls else ""
        return f"<ul{cls}>" + "".join(f"<li>{_text(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        cls = f' class="{block.cls}"' if block.cls else ""
        head = "".join(f"<th>{_text(h)}</th>" for h in block.headers)
        rows = "".join(
            "<tr>" + "".join(f"<td><code>{_text(c)}</code></td>" if i in block.code and c else f"<td>{_text(c)}</td>"
                             for i, c in enumerate(row)) + "</tr>"
            for row in block.rows)
        return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, Pair):
        left = "".join(_render(b) for b in block.left)
        right = "".join(_render(b) for b in block.right)
        return (
            f'<div class="pair"><div class="clause"><h5>{_text(block.left_title)}</h5>{left}</div>'
            f'<div class="reading"><h5>{_text(block.right_title)}</h5>{right}</div></div>'
        )
    if isinstance(block, Diagram):
        return f"<figure>{block.svg}<figcaption>{_text(block.caption)}</figcaption></figure>"
    data = "".join(f' data-{escape(k)}="{escape(v)}"' for k, v in block.data.items())
    inner = "\n".join(_render(b) for b in block.blocks)
    return f'<section class="{escape(block.cls)}"{data}>\n{inner}\n</section>'
