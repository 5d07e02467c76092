"""Blocks as Markdown (GitHub flavoured: tables, Mermaid diagrams)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from csrules._docs.blocks import Block, Diagram, Heading, Items, Pair, Para, Table

__all__ = ["render_markdown"]


_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def _no_tags(text: str) -> str:
    """``text`` (its backslashes already doubled) with what would open an HTML tag escaped
    (``\\<script>``): a policy's words are shown, never run by a Markdown viewer (``a < b``
    stays as it is)."""
    return _TAG.sub(r"\\<", text)


def _cell(text: str) -> str:
    return _no_tags(text.replace("\\", "\\\\").replace("|", "\\|")).replace("\n", "<br>") or " "


def _code(text: str) -> str:
    """A table cell set as code (its text as it is; a pipe escaped for the table)."""
    if not text:
        return " "
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|').replace(chr(10), ' ')}{pad}{fence}"


def _inline(text: str) -> str:
    # Keep plain text plain: neutralise the characters Markdown would read as markup.
    out = text
    for ch in ("\\", "*", "_", "`", "<", ">", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return out


def _lines(blocks: Sequence[Para | Items]) -> list[str]:
    """Inline Markdown lines for the blocks of one table cell."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Para):
            out.extend(_render(block)[0].split("\n"))
        else:
            out.extend(f"• {_inline(item)}" for item in block.items)
    return out


def _pair_cell(*lines: str) -> str:
    return "<br>".join(line.replace("|", "\\|") for line in lines) or " "


def render_markdown(blocks: Sequence[Block]) -> str:
    """The document as Markdown text ending in one newline."""
    parts: list[str] = []
    for block in blocks:
        parts.extend(_render(block))
    return "\n\n".join(parts).rstrip() + "\n"


def _render(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return ["#" * block.level + " " + _no_tags(block.text.replace("\\", "\\\\"))]
    if isinstance(block, Para):
        text = _inline(block.text)
        if block.label:
            text = f"**{_inline(block.label)}:** {text}"
        elif block.cls == "label":
            text = f"**{text}**"
        elif block.cls == "note":
            text = f"*{text}*"
        return [text]
    if isinstance(block, Items):
        return ["\n".join(f"- {_inline(item)}" for item in block.items)]
    if isinstance(block, Table):
        lines = [
            "| " + " | ".join(_cell(h) for h in block.headers) + " |",
            "|" + "|".join("---" for _ in block.headers) + "|",
        ]
        lines.extend("| " + " | ".join(_code(c) if i in block.code else _cell(c) for i, c in enumerate(row))
                     + " |" for row in block.rows)
        return ["\n".join(lines)]
    if isinstance(block, Pair):
        # One table row: the clause in the left cell, its reading in the right one.
        header = f"| {_pair_cell(_no_tags(block.left_title))} | {_pair_cell(_no_tags(block.right_title))} |"
        row = f"| {_pair_cell(*_lines(block.left))} | {_pair_cell(*_lines(block.right))} |"
        return [f"{header}\n|---|---|\n{row}"]
    if isinstance(block, Diagram):
        return [f"```mermaid\n{block.mermaid}\n```", f"*{_inline(block.caption)}*"]
    out: list[str] = []
    for inner in block.blocks:
        out.extend(_render(inner))
    return out
