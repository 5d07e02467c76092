"""Regressions for faults found on the documents, the test runner and pack loading."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from html.parser import HTMLParser

import pytest

from csrules._cli._common import load_target
from csrules._docs import langs_for, render_docs
from csrules.policies.packs import PACK_NAMES


class _Ids(HTMLParser):
    """Every ``id`` and every in-page reference (``href="#..."``, ``url(#...)``) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.refs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect the tag's id and in-page references."""
        for name, value in attrs:
            if name == "id" and value is not None:
                self.ids.append(value)
            elif name == "href" and value and value.startswith("#"):
                self.refs.add(value[1:])

    def handle_data(self, data: str) -> None:
        """Collect ``url(#...)`` references inside style blocks."""
        self.refs.update(re.findall(r"url\(#([^)]+)\)", data))


class TestDocumentIds:
    """A generated HTML document holds each id once, and every in-page reference resolves."""

    @pytest.mark.parametrize("pack", PACK_NAMES)
    def test_ids_unique_and_references_resolve(self, pack: str) -> None:
        """Every built-in pack's document (several diagrams) gives each diagram's marker its own id."""
        page = render_docs(load_target(pack).subject(), langs_for("both"), date(2026, 12, 4)).html
        parser = _Ids()
        parser.feed(page)
        twice = sorted(i for i, n in Counter(parser.ids).items() if n > 1)
        assert twice == []
        assert sorted(parser.refs - set(parser.ids)) == []
        assert page.count("<svg") >= 1
