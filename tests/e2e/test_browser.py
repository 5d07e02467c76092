"""The reviewer's HTML opened in a real headless browser (Debian's ``chromium``).

The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``),
so the test needs nothing beyond the standard library and the browser itself. It checks
that the page loads with no console error and no network request, that every rule of the
pack is on the page and visible, and that it prints to A4; it writes a screenshot and the
PDF for a person to look at (path printed; set ``CSRULES_ARTIFACTS`` to choose the folder).

When no browser is installed the test is skipped, saying so (``.ci/run`` installs
``chromium`` with apt).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from csrules._cli._common import import_modules, load_target, pack_infos
from csrules._docs import langs_for, render_docs, subject_from_pack

DATA = Path(__file__).parent / "data"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def _browser() -> str | None:
    override = os.environ.get("CSRULES_BROWSER")
    if override:
        return override
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe (fds 3 and 4)."""

    def __init__(self, browser: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # runs in the child before exec: the pipe lands on fds 3/4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        args = [
            browser,
            "--headless=new",
            "--remote-debugging-pipe",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root (CI containers)
        self.process = subprocess.Popen(
            args,
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def send(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 180) -> dict[str, Any]:
        """Send a command and wait for its result, collecting events meanwhile."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            for reply in self._read(deadline):
                if reply.get("id") == self._next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return dict(reply.get("result", {}))
                if "method" in reply:
                    self.events.append(reply)

    def wait_for(self, event: str, *, timeout: float = 180) -> None:
        """Wait until ``event`` has arrived."""
        deadline = time.monotonic() + timeout
        while not any(e["method"] == event for e in self.events):
            self.events.extend(r for r in self._read(deadline) if "method" in r)

    def _read(self, deadline: float) -> list[dict[str, Any]]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the browser did not answer in time")
        ready, _, _ = select.select([self._from_browser], [], [], remaining)
        if not ready:
            raise TimeoutError("the browser did not answer in time")
        chunk = os.read(self._from_browser, 1 << 20)
        if not chunk:
            raise RuntimeError("the browser closed the debugging pipe")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        return [json.loads(m) for m in messages if m]

    @contextlib.contextmanager
    def page(self, path: Path, *, width: int | None = None) -> Iterator[None]:
        """``path`` opened in a new tab with console, log, network and page events on, the
        events of earlier pages cleared; the tab is closed on leaving."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            for domain in ("Runtime", "Log", "Network", "Page"):
                self.send(f"{domain}.enable")
            if width is not None:
                self.send("Emulation.setDeviceMetricsOverride",
                          {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            self.events.clear()
            self.send("Page.navigate", {"url": path.as_uri()})
            self.wait_for("Page.loadEventFired")
            time.sleep(0.3)  # let late console messages arrive
            yield
        finally:
            self.send("Target.closeTarget", {"targetId": target})
            self.session = None

    def value(self, expression: str) -> Any:
        """What ``expression`` evaluates to in the open page."""
        return self.send("Runtime.evaluate", {"returnByValue": True, "expression": expression})["result"]["value"]

    def console_errors(self) -> list[dict[str, Any]]:
        """The console errors, failed assertions and uncaught exceptions seen so far."""
        return [
            e
            for e in self.events
            if (
                (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
                or e["method"] == "Runtime.exceptionThrown"
                or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
            )
        ]

    def requests(self) -> list[str]:
        """The network requests seen so far, other than files and inline data."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
            and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:"))
        ]

    def screenshot(self, name: str, *, width: int = 1000, pdf: bool = False) -> Path:
        """A full-page screenshot (and a PDF) of the open page in the artifacts folder."""
        height = int(self.value("document.documentElement.scrollHeight"))
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": min(height, 16000), "deviceScaleFactor": 1, "mobile": False})
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        out = _artifacts()
        (out / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
        if pdf:
            printed = self.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
            (out / f"{name}.pdf").write_bytes(base64.b64decode(printed["data"]))
        print(f"screenshot: {out / (name + '.png')}" + (f"; PDF: {out / (name + '.pdf')}" if pdf else ""))
        return out / f"{name}.png"

    def close(self) -> None:
        """Close the browser."""
        try:
            os.write(self._to_browser, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)


BUILTIN_PACKS = [str(getattr(info, "name", info)) for info in pack_infos()]
"""Every built-in pack, each checked on its own (so the suite's workers share them)."""


def _test_subject() -> Any:
    """The test policies as a small pack with roles and a lifecycle."""
    import_modules([str(DATA / "cli_facts.py")])
    policies = [p for f in ("leave.yaml", "escalation.yaml") for p in load_target(str(DATA / f)).policies]
    pack = SimpleNamespace(
        name="test_pack",
        title={"en": "Test pack", "zh": "测试规则包"},
        version="1.0",
        policies=policies,
        roles=[
            SimpleNamespace(
                id="centre_director",
                title={"en": "Centre director", "zh": "客服中心主任"},
                reports_to=None,
                duties=["Runs the centre"],
                approval_authority=["Leave over a day"],
            ),
            SimpleNamespace(
                id="department_head",
                title={"en": "Department head", "zh": "客服部主任"},
                reports_to="centre_director",
                duties=[],
                approval_authority=[],
            ),
            SimpleNamespace(
                id="shift_lead",
                title={"en": "Shift lead", "zh": "值班长"},
                reports_to="department_head",
                duties=[],
                approval_authority=[],
            ),
        ],
        lifecycles=[
            SimpleNamespace(
                name="complaint",
                title={"en": "Complaint", "zh": "投诉"},
                states=["intake", "judged", "closed"],
                transitions=[
                    ("intake", "judge", "judged"),
                    ("judged", "close", "closed"),
                    ("judged", "reopen", "intake"),
                ],
            )
        ],
    )
    return subject_from_pack(pack)


def _artifacts() -> Path:
    folder = Path(os.environ.get("CSRULES_ARTIFACTS") or Path(tempfile.gettempdir()) / "csrules-e2e")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    found = _browser()
    if found is None:
        pytest.skip(
            "no headless browser found (looked for chromium, chromium-browser, google-chrome; "
            "install Debian's chromium with apt, or set CSRULES_BROWSER): the HTML was not "
            "checked in a real browser"
        )
    tools = DevTools(found, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield tools
    finally:
        tools.close()


def test_test_pack_html_in_browser(browser: DevTools, tmp_path: Path) -> None:
    """The test pack's page (roles, ladder, lifecycle diagrams) passes every browser check."""
    _check_in_browser(browser, _test_subject(), tmp_path)


@pytest.mark.parametrize("pack", BUILTIN_PACKS)
def test_builtin_packs_html_in_browser(browser: DevTools, tmp_path: Path, pack: str) -> None:
    """Every built-in pack's page passes every browser check."""
    _check_in_browser(browser, load_target(pack).subject(), tmp_path)


def _check_in_browser(browser: DevTools, subject: Any, tmp_path: Path) -> None:
    """The page loads with no console error and no request, shows every rule, prints on A4."""
    html = render_docs(subject, langs_for("both"), date(2026, 1, 1)).html
    page = tmp_path / f"{subject.name}.html"
    page.write_text(html, encoding="utf-8")

    with browser.page(page):
        rules_on_page = set(json.loads(browser.value(
            "JSON.stringify([...document.querySelectorAll('section.rule')]"
            ".filter(s => s.offsetHeight > 0).map(s => s.dataset.rule))"
        )))
        svg_count = browser.value("document.querySelectorAll('svg').length")
        errors, requests = browser.console_errors(), browser.requests()
        shot = browser.screenshot(subject.name, pdf=True)
    (_artifacts() / f"{subject.name}.html").write_text(html, encoding="utf-8")

    assert errors == []
    assert requests == []
    expected = {f"{p.id}/{r.id}" for p in subject.policies for r in p.rules}
    assert rules_on_page == expected
    assert svg_count >= 1
    pdf_bytes = shot.with_suffix(".pdf").read_bytes()
    assert pdf_bytes.startswith(b"%PDF")
    # A4 is 595 x 842 points; the page size must come from the document's @page rule.
    assert b"/MediaBox [0 0 595" in pdf_bytes or b"/MediaBox [0 0 594" in pdf_bytes


def _pair_boxes(browser: DevTools, width: int) -> dict[str, float]:
    """The first rule's clause and reading columns' edges at a window ``width`` pixels wide."""
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    found = browser.send(
        "Runtime.evaluate",
        {
            "returnByValue": True,
            "expression": (
                "(() => { const c = document.querySelector('div.pair > div.clause').getBoundingClientRect();"
                " const r = document.querySelector('div.pair > div.reading').getBoundingClientRect();"
                " return JSON.stringify({cl: c.left, cr: c.right, ct: c.top, cb: c.bottom,"
                " rl: r.left, rt: r.top}); })()"
            ),
        },
    )
    return dict(json.loads(found["result"]["value"]))


def test_clause_beside_reading_wide_and_stacked_narrow(browser: DevTools, tmp_path: Path) -> None:
    """On a wide window the source clause and its reading sit side by side; on a narrow one they stack."""
    html = render_docs(_test_subject(), langs_for("both"), date(2026, 1, 1)).html
    page = tmp_path / "pair.html"
    page.write_text(html, encoding="utf-8")
    with browser.page(page):
        wide = _pair_boxes(browser, 1000)
        narrow = _pair_boxes(browser, 480)
    assert wide["cr"] <= wide["rl"]
    assert abs(wide["ct"] - wide["rt"]) < 1
    assert narrow["rt"] >= narrow["cb"]
    assert abs(narrow["cl"] - narrow["rl"]) < 1
