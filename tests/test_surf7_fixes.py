"""Regressions for faults found on the documents, the test runner and pack loading."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from csrules import load_policy
from csrules._audit.batch import AuditSpec, audit_batch
from csrules._cli import cli
from csrules._cli._common import import_modules, load_target
from csrules._docs import langs_for, render_docs, subject_from_policies
from csrules._engine.examples import find_test_files
from csrules._testing.boundaries.time import _holiday_blocks, _holiday_runs
from csrules._time.registry import get_calendar
from csrules.exceptions import CsrulesError, PolicyError
from csrules.policies import load_pack
from csrules.policies.packs import PACK_NAMES
from tests.columnar_support import NOW, assert_same, table

DATA = Path(__file__).parent / "e2e" / "data"
import_modules([str(DATA / "cli_facts.py")])


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

    def test_policy_ids_that_slug_alike_get_their_own_anchors(self) -> None:
        """Two policies whose ids differ only in punctuation (acme.leave, acme_leave) get anchors of their own."""
        leave = load_policy(DATA / "leave.yaml")
        twins = [type(leave)(**{**leave.model_dump(mode="python"), "id": pid}) for pid in ("acme.leave", "acme_leave")]
        parser = _Ids()
        parser.feed(render_docs(subject_from_policies(twins), langs_for("en"), date(2026, 12, 4)).html)
        assert sorted(i for i, n in Counter(parser.ids).items() if n > 1) == []
        assert {"policy-acme-leave", "policy-acme-leave-2"} <= set(parser.ids)
        assert sorted(parser.refs - set(parser.ids)) == []


class TestTestFileRule:
    """``csrules test DIR`` runs the files the pytest plugin collects, no others."""

    def test_other_yaml_named_test_is_left_alone(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A ``test_*.yaml`` holding no cases (another tool's settings) is neither run nor reported unreadable."""
        shutil.copy(DATA / "leave.yaml", tmp_path / "leave.yaml")
        (tmp_path / "test_settings.yaml").write_text("retries: 3\n", encoding="utf-8")
        (tmp_path / "test_leave.yaml").write_text("cases: []\n", encoding="utf-8")
        assert [p.name for p in find_test_files(tmp_path)] == ["test_leave.yaml"]
        (tmp_path / "test_leave.yaml").unlink()
        code = cli.main(["test", str(tmp_path), "--import", str(DATA / "cli_facts.py")])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        assert out.strip().endswith("6 passed, 0 failed")


class TestOverrideKeys:
    """An override keyed by something other than text is refused for its key."""

    @pytest.mark.parametrize("key", [5, None, ("call_centre.leave",)])
    def test_key_not_text_is_named(self, key: object) -> None:
        """The error names the key and its type, not the (well-formed) parameter mapping."""
        with pytest.raises(PolicyError) as caught:
            load_pack("call_centre", overrides={key: {"personal_notice": "1d"}})  # type: ignore[dict-item]
        message = str(caught.value)
        assert "an override is keyed by a policy, lifecycle or SLA id (text)" in message
        assert f"got {type(key).__name__} {key!r}" in message
        assert "got dict" not in message

    def test_unknown_key_lists_the_pack_in_its_order(self) -> None:
        """The ids listed for an unknown key come in the pack's order, the same text on every run."""
        pack = load_pack("call_centre")
        known = [p.id for p in (*pack.policies, *pack.session_policies)] + list(pack.lifecycle_params)
        with pytest.raises(PolicyError) as caught:
            load_pack("call_centre", overrides={"nope": {"x": 1}})
        assert f"(policies: {', '.join(known)})" in str(caught.value)


class TestHolidayRuns:
    """Boundary probes near holidays work out a calendar's holiday runs once."""

    def test_runs_worked_out_once_and_nearest_first(self) -> None:
        """The runs are kept per calendar, and the nearest ones come first for any reference date."""
        calendar = get_calendar("china")
        runs = _holiday_runs(calendar)
        assert _holiday_runs(calendar) is runs
        assert list(runs) == sorted(runs)
        for near in (date(2025, 1, 1), date(2025, 10, 3), date(2026, 2, 20), date(2026, 12, 31)):
            nearest = sorted(runs, key=lambda run: (abs((run[0] - near).days), run[0]))
            assert _holiday_blocks(calendar, near, 3) == nearest[:3]


SHIFT = {"agent_id": "A01", "shift": "day", "start": "2026-03-02T09:00:00+08:00", "end": "2026-03-02T18:00:00+08:00"}
LEFT = ["2026-03-02T00:59:59Z", "2026-03-02T01:00:00Z", "2026-03-02T17:00:00+08:00"]
"""One second before the shift starts (written in Z), the start itself, and an hour before its end."""


class TestShiftLeftBeforeStart:
    """A shift assignment whose agent left before the shift started is refused, by row and by column."""

    def test_row_model_refuses_it(self) -> None:
        """The fact names left_at and start; the start itself, written in another offset, is accepted."""
        engine = load_pack("ecommerce").engine()
        with pytest.raises(CsrulesError, match="left_at comes before start"):
            engine.evaluate({**SHIFT, "left_at": LEFT[0]}, fact_type="shift_assignment", now=NOW)
        assert engine.evaluate({**SHIFT, "left_at": LEFT[1]}, fact_type="shift_assignment", now=NOW) is not None

    def test_columnar_audit_refuses_it_in_the_same_words(self) -> None:
        """Both audit paths mark only the first row invalid, with the model's message."""
        engine = load_pack("ecommerce").engine()
        facts = [{**SHIFT, "left_at": left} for left in LEFT]
        assert_same(engine, "shift_assignment", facts)
        frame = pl.from_arrow(audit_batch(AuditSpec(engine, "shift_assignment", NOW, columnar=True), table(facts)))
        assert isinstance(frame, pl.DataFrame)
        invalid = frame.filter(pl.col("outcome") == "invalid").select("row", "message").rows()
        assert invalid == [(1, "left_at comes before start")]
