"""The committed reference of the built-in packs (docs/reference/) is what csrules docs produces now.

When a pack changes, regenerate it and commit the result::

    csrules docs --out docs/reference --date $(date -u +%F)

The test reads the date generated from each committed file, so only content differences
fail it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from csrules._cli._common import load_target, pack_infos
from csrules._cli.documents import _index
from csrules._docs import langs_for, render_docs

REFERENCE = Path(__file__).parents[1] / "docs" / "reference"
REGENERATE = "regenerate with: csrules docs --out docs/reference --date YYYY-MM-DD"
PACKS = [str(getattr(info, "name", info)) for info in pack_infos()]


def _committed_date(markdown: str) -> date:
    found = re.search(r"\| [0-9a-f]{16} \| (\d{4}-\d{2}-\d{2}) \|", markdown)
    assert found, "the committed reference has no overview row with a content hash and date"
    return date.fromisoformat(found[1])


@pytest.mark.parametrize("pack", PACKS)
def test_reference_is_current(pack):
    """docs/reference/<pack>.md and .html equal what csrules docs renders now."""
    md_path, html_path = REFERENCE / f"{pack}.md", REFERENCE / f"{pack}.html"
    assert md_path.exists(), f"no committed reference for {pack}; {REGENERATE}"
    assert html_path.exists(), f"no committed reference for {pack}; {REGENERATE}"
    committed_md = md_path.read_text(encoding="utf-8")
    rendered = render_docs(load_target(pack).subject(), langs_for("both"), _committed_date(committed_md))
    assert committed_md == rendered.markdown, f"docs/reference/{pack}.md is stale; {REGENERATE}"
    assert html_path.read_text(encoding="utf-8") == rendered.html, f"docs/reference/{pack}.html is stale; {REGENERATE}"


def test_index_lists_exactly_the_packs(tmp_path):
    """Every committed pack document belongs to a pack that exists; the index is current."""
    documented = {p.stem for p in REFERENCE.glob("*.md") if p.name != "index.md"}
    assert documented == set(PACKS), REGENERATE
    if PACKS:
        index = _index([load_target(pack).subject() for pack in PACKS], tmp_path)
        assert (REFERENCE / "index.md").read_text(encoding="utf-8") == index.read_text(encoding="utf-8"), REGENERATE
