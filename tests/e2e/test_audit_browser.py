"""The audit report opened in headless Chromium: no console error, no network request, charts drawn.

A screenshot and a PDF are written for a person to look at (see ``CSRULES_ARTIFACTS``).
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

from tests.e2e.test_browser import DevTools, _artifacts, browser
from tests.test_audit_example import example

__all__ = ["browser"]  # the shared headless-browser fixture


def _value(tools: DevTools, expression: str) -> Any:
    return tools.send("Runtime.evaluate", {"returnByValue": True, "expression": expression})["result"]["value"]


def test_audit_report_in_browser(browser: DevTools, tmp_path: Path) -> None:
    """The example's report loads cleanly, shows its charts and tables, and prints to PDF."""
    example().main(["--agents", "30", "--out", str(tmp_path), "--workers", "1"])
    page = tmp_path / "report.html"
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        browser.send(f"{domain}.enable")
    browser.events.clear()
    browser.send("Page.navigate", {"url": page.as_uri()})
    browser.wait_for("Page.loadEventFired")
    time.sleep(0.3)  # let late console messages arrive
    charts = _value(browser, "[...document.querySelectorAll('svg')]"
                             ".filter(s => s.getBoundingClientRect().height > 20).length")
    tables = _value(browser, "document.querySelectorAll('table').length")
    bars = _value(browser, "document.querySelectorAll('svg rect').length")
    errors = [
        e for e in browser.events
        if (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
        or e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    requests = [
        e["params"]["request"]["url"] for e in browser.events
        if e["method"] == "Network.requestWillBeSent"
        and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:"))
    ]
    height = int(_value(browser, "document.documentElement.scrollHeight"))
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1000, "height": min(height, 16000), "deviceScaleFactor": 1, "mobile": False})
    shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    pdf = base64.b64decode(browser.send("Page.printToPDF", {"printBackground": True})["data"])
    out = _artifacts()
    (out / "audit-report.png").write_bytes(base64.b64decode(shot["data"]))
    (out / "audit-report.pdf").write_bytes(pdf)
    print(f"screenshot: {out / 'audit-report.png'}; PDF: {out / 'audit-report.pdf'}")
    browser.send("Target.closeTarget", {"targetId": target})
    browser.session = None

    assert errors == []
    assert requests == []
    assert charts >= 4  # months, rules, subjects, teams
    assert bars > 20
    assert tables >= 5
    assert pdf.startswith(b"%PDF")
