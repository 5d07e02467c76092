"""Reviewers' documents of a policy whose words hold HTML: shown as words, never run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import csrules.policies
from csrules._cli.cli import main

ATTENDANCE = Path(csrules.policies.__file__).parent / "call_centre" / "attendance.yaml"
HOSTILE = '"<script>alert(1)</script> \\\\<img src=x onerror=alert(2)> a < b"'
RAW_TAG = re.compile(r"(?<!\\)<(script|img)")


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documents of the attendance policy with HTML in its title and a rule's title."""
    root = tmp_path_factory.mktemp("hostile")
    text = ATTENDANCE.read_text(encoding="utf-8")
    text = text.replace("title: {en: Attendance, zh: 考勤}", f"title: {{en: {HOSTILE}, zh: {HOSTILE}}}")
    rule_title = '{en: "{max_late_minutes} minutes late without leave is a violation",'
    assert rule_title in text
    text = text.replace(rule_title, f"{{en: {HOSTILE},")
    policy = root / "hostile.yaml"
    policy.write_text(text, encoding="utf-8")
    assert main(["docs", str(policy), "-o", str(root / "out"), "--format", "both", "--date", "2026-12-04"]) == 0
    return root / "out"


class TestHostileWords:
    """Policy words that look like HTML."""

    def test_markdown_escapes_tags(self, documents: Path) -> None:
        """Headings, table cells and clause tables escape every tag, even after a backslash of the policy's own."""
        text = (documents / "call_centre.attendance.md").read_text(encoding="utf-8")
        assert text.count("\\<script>alert(1)") >= 3
        assert RAW_TAG.findall(text) == []
        assert "\\\\\\<img src=x" in text  # the policy's backslash shown, the tag still escaped

    def test_html_escapes_tags(self, documents: Path) -> None:
        """The HTML document holds the words as text."""
        text = (documents / "call_centre.attendance.html").read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)" in text
        assert re.findall(r"<(script|img)\b", text) == []
