"""The reviewer's tables read in a real browser: no effect key, instant or id is split mid-word
(Chinese text, which has no spaces, wraps anywhere; the check reads runs of ASCII).

A reviewer reading ``escalation:department_hea`` / ``d`` on two lines, or an instant cut after
its seconds, has to reassemble it; table cells wrap between words only. Uses the headless
browser of ``tests/e2e/test_browser.py`` (skipped, saying so, when none is installed).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.e2e.test_browser import DevTools, browser  # noqa: F401  (the browser fixture)

from csrules._cli._common import load_target
from csrules._docs import langs_for, render_docs

SPLIT_WORDS = """(() => {
  const split = [];  // the fact column is JSON, wrapped as code is
  let checked = 0;
  for (const cell of document.querySelectorAll('td')) {
    if (cell.closest('table.examples') && cell.cellIndex === 1) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/[!-~]+/g)) {
        checked += 1;
        let top = null;
        for (let i = 0; i < word[0].length; i++) {  // a new line may start only after a hyphen
          const range = document.createRange();
          range.setStart(node, word.index + i);
          range.setEnd(node, word.index + i + 1);
          const here = Math.round(range.getBoundingClientRect().top);
          if (top !== null && here !== top && word[0][i - 1] !== '-') split.push(word[0]);
          top = here;
        }
      }
    }
  }
  return JSON.stringify({split, checked});
})()"""


def split_words(tools: DevTools, page: Path, width: int) -> tuple[list[str], int]:
    """The words of table cells that the page at ``width`` pixels lays out on two lines or more,
    and how many words were checked (so that a page without tables cannot pass)."""
    with tools.page(page, width=width):
        found = tools.value(SPLIT_WORDS)
    result = json.loads(found)
    return list(result["split"]), int(result["checked"])


class TestTablesWrapBetweenWords:
    def test_call_centre_tables_split_no_word(self, browser, tmp_path):  # noqa: F811
        """In the call-centre document (worked examples, session steps, SLA targets) no cell word is split."""
        html = render_docs(load_target("call_centre").subject(), langs_for("both"), date(2026, 1, 1)).html
        page = tmp_path / "call_centre.html"
        page.write_text(html, encoding="utf-8")
        split, checked = split_words(browser, page, 1200)
        assert checked > 0
        assert split == []
