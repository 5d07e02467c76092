"""An audit's report depends on instants, not on the offsets they were written with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from csrules._cli.cli import main
from csrules.audit import AuditError, audit
from csrules.policies import load_pack

LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
         "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00", "requested_by": "A01"}
NOW = datetime(2026, 3, 3, 1, tzinfo=UTC)
OUTPUTS = ("report.md", "report.html", "summary.json")


def _reports(folder: Path) -> list[str]:
    return [(folder / name).read_text(encoding="utf-8") for name in OUTPUTS]


class TestAuditReportNow:
    """``now`` is shown in the zone the report reads months in."""

    def test_one_instant_one_report(self, tmp_path: Path) -> None:
        """now given at +08:00, in UTC and at -05:00 writes the same report, showing now in Asia/Shanghai."""
        pack = load_pack("call_centre")
        for index, zone in enumerate((timezone(timedelta(hours=8)), UTC, timezone(timedelta(hours=-5)))):
            audit(pack, [LEAVE], fact_type="leave_request", now=NOW.astimezone(zone), workers=1,
                  out=tmp_path / str(index))
        reports = [_reports(tmp_path / str(index)) for index in range(3)]
        assert reports[0] == reports[1] == reports[2]
        assert "now = 2026-03-03T09:00:00+08:00 (Asia/Shanghai)." in reports[0][0]

    @pytest.mark.parametrize("now", ["2026-03-03T09:00:00+08:00", "2026-03-03T01:00:00Z"])
    def test_cli_now_in_the_reports_zone(self, now: str, tmp_path: Path) -> None:
        """csrules audit --now writes now in the zone of --timezone, however --now was written."""
        facts = tmp_path / "facts.jsonl"
        facts.write_text(f'{{"agent_id": "A01", "kind": "personal", "start": "{LEAVE["start"]}", "end": '
                         f'"{LEAVE["end"]}", "requested_at": "{LEAVE["requested_at"]}", "requested_by": "A01"}}\n',
                         encoding="utf-8")
        status = main(["audit", "call_centre", str(facts), "--fact-type", "leave_request", "--now", now,
                       "--workers", "1", "--timezone", "Europe/Berlin", "-o", str(tmp_path / "out")])
        assert status in (0, 1)
        assert ("Rules reading the clock saw now = 2026-03-03T02:00:00+01:00 (Europe/Berlin)."
                in (tmp_path / "out" / "report.md").read_text(encoding="utf-8"))


class TestWhereOnTimes:
    """``--where`` compares a fact's time as an instant, from text with any offset or a timestamp."""

    FACTS: ClassVar[list[dict[str, str]]] = [{**LEAVE, "agent_id": agent, "start": start, "end": end}
             for agent, start, end in (("EARLY", "2026-03-02T07:30:00+08:00", "2026-03-02T15:30:00+08:00"),
                                       ("LATE", "2026-03-02T08:30:00+08:00", "2026-03-02T16:30:00+08:00"),
                                       ("UTC", "2026-03-02T00:10:00Z", "2026-03-02T08:10:00Z"))]

    def _subjects(self, path: Path, where: str) -> set[str]:
        found = audit(load_pack("call_centre"), [str(path)], fact_type="leave_request", now=NOW, workers=1,
                      where=where)
        assert found.decisions is not None
        return set(found.decisions.column("subject").to_pylist())

    @pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
    def test_text_times_compared_as_instants(self, suffix: str, tmp_path: Path) -> None:
        """start >= 00:00 UTC keeps 08:30+08:00 and 00:10Z, not 07:30+08:00 (23:30 UTC the day before)."""
        path = tmp_path / f"facts{suffix}"
        if suffix == ".jsonl":
            path.write_text("".join(json.dumps(fact) + "\n" for fact in self.FACTS), encoding="utf-8")
        else:
            pl.DataFrame(self.FACTS).write_csv(path)
        assert self._subjects(path, "start >= TIMESTAMP '2026-03-02 00:00:00'") == {"LATE", "UTC"}
        assert self._subjects(path, "agent_id <> 'UTC' AND start < TIMESTAMP '2026-03-02 00:00:00'") == {"EARLY"}

    def test_text_literal_against_a_time_is_refused(self, tmp_path: Path) -> None:
        """A time compared with a text is refused, saying how to write the time."""
        path = tmp_path / "facts.jsonl"
        path.write_text("".join(json.dumps(fact) + "\n" for fact in self.FACTS), encoding="utf-8")
        with pytest.raises(AuditError, match=r"start is a time, compared as an instant: compare it with TIMESTAMP"):
            self._subjects(path, "start >= '2026-03-02T00:00:00Z'")
