"""The audit report opened in headless Chromium: no console error, no network request, charts drawn.

A screenshot and a PDF are written for a person to look at (see ``CSRULES_ARTIFACTS``).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_browser import DevTools, browser
from tests.test_audit_example import example

__all__ = ["browser"]  # the shared headless-browser fixture


def test_audit_report_in_browser(browser: DevTools, tmp_path: Path) -> None:
    """The example's report loads cleanly, shows its charts and tables, and prints to PDF."""
    example().main(["--agents", "30", "--out", str(tmp_path), "--workers", "1"])
    page = tmp_path / "report.html"
    with browser.page(page):
        charts = browser.value("[...document.querySelectorAll('svg')]"
                               ".filter(s => s.getBoundingClientRect().height > 20).length")
        tables = browser.value("document.querySelectorAll('table').length")
        bars = browser.value("document.querySelectorAll('svg rect').length")
        errors, requests = browser.console_errors(), browser.requests()
        pdf = browser.screenshot("audit-report", pdf=True).with_suffix(".pdf").read_bytes()

    assert errors == []
    assert requests == []
    assert charts >= 4  # months, rules, subjects, teams
    assert bars > 20
    assert tables >= 5
    assert pdf.startswith(b"%PDF")
