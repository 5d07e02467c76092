"""The impact report's HTML opened in a real headless browser: no console error, no network
request, the chart drawn with a bar per group, and a screenshot written for a person to look
at. Uses the browser of ``tests/e2e/test_browser.py`` (skipped, saying so, when none is
installed)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_browser import DevTools, browser  # noqa: F401  (the browser fixture)
from tests.test_impact import TUNED, hand_count, year_of_leave

from csrules.policies import load_pack
from csrules.records import DecisionRecord, impact


def _report_html() -> str:
    """The impact of a two-day notice over the year of leave requests, as HTML."""
    engine = load_pack("call_centre").engine()
    records: list[DecisionRecord] = [
        engine.evaluate(fact, now=now, fact_type="leave_request").record() for fact, now in year_of_leave()]
    report = impact(engine, load_pack("call_centre", overrides=TUNED), records)
    assert report.changed == hand_count()
    return report.to_html()


class TestImpactPage:
    """The page in Chromium."""

    def test_loads_clean_and_draws_the_chart(self, browser: DevTools, tmp_path: Path) -> None:  # noqa: F811
        """No console error, no request, one bar per group, a screenshot written."""
        page = tmp_path / "impact.html"
        page.write_text(_report_html(), encoding="utf-8")
        with browser.page(page, width=1000):
            shape = json.loads(browser.value(
                "JSON.stringify({bars: [...document.querySelectorAll('svg rect')].filter(r => "
                "r.getBoundingClientRect().width > 0).length, rows: document.querySelectorAll('tbody tr').length})"))
            errors, requests = browser.console_errors(), browser.requests()
            shot_path = browser.screenshot("impact")
        assert errors == []
        assert requests == []
        assert shape == {"bars": 2, "rows": 2}  # ATT-1.personal-notice and its late approval (ATT-1.late-approval)
        assert shot_path.stat().st_size > 1000
