"""A tiny document model both renderers share, so Markdown and HTML always say the same.

A document is a list of blocks; each renderer (:mod:`csrules._docs.markdown`,
:mod:`csrules._docs.html`) turns blocks into its format. Text in blocks is plain (never
markup); renderers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Block", "Diagram", "Heading", "Items", "Pair", "Para", "Table"]


@dataclass(frozen=True)
class Heading:
    """A section heading; ``anchor`` is a stable id for links."""

    level: int
    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class Para:
    """A paragraph; ``lang`` marks its language for the HTML ``lang`` attribute; ``cls``
    styles it (``lead``, ``when``, ``note``)."""

    text: str
    lang: str | None = None
    cls: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Items:
    """A bulleted list."""

    items: tuple[str, ...]
    cls: str | None = None


@dataclass(frozen=True)
class Table:
    """A table with a header row; cells are plain text (newlines become line breaks).
    Cells of the ``code`` columns are data (a worked example's fact), set as code."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    cls: str | None = None
    code: tuple[int, ...] = ()


@dataclass(frozen=True)
class Diagram:
    """A diagram: inline SVG for HTML, Mermaid source for Markdown."""

    svg: str
    mermaid: str
    caption: str


@dataclass(frozen=True)
class Pair:
    """Two columns read against each other: a rule's source clause (``left``) beside its
    reading in plain words (``right``). HTML sets them side by side (stacked on narrow
    screens); Markdown as a two-column table."""

    left_title: str
    left: tuple[Para | Items, ...]
    right_title: str
    right: tuple[Para | Items, ...]


@dataclass(frozen=True)
class Section:
    """A group of blocks kept together when printing (a rule, for instance)."""

    blocks: tuple[Block, ...]
    cls: str = "rule"
    anchor: str | None = None
    data: dict[str, str] = field(default_factory=dict)


Block = Heading | Para | Items | Table | Diagram | Pair | Section
