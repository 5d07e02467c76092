"""A session example in the reviewer's documents reads as one sequence: named once, steps numbered."""

from __future__ import annotations

from datetime import date

from csrules._cli._common import load_target
from csrules._docs import langs_for, render_docs


class TestSessionExampleRows:
    def test_a_sequence_is_named_on_its_first_step_only(self):
        """The mall's CON-1 sequence is named once; its later steps are rows '· 2', '· 3'."""
        markdown = render_docs(load_target("mall").subject(), langs_for("both"), date(2026, 1, 1)).markdown
        name = "the first 喂 of the month is corrected, the second is not"
        assert markdown.count(name) == 1
        start = markdown.index(name)
        rows = markdown[markdown.rindex("\n", 0, start) + 1 :].splitlines()[:3]
        assert rows[0].startswith(f"| {name} · 1 |")
        assert [row.split("|")[1].strip() for row in rows[1:]] == ["· 2", "· 3"]
