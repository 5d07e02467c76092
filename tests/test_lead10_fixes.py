"""Regression tests: audit workers import what the command line imported, --import failures,
``csrules test`` and ``check`` on what they cannot judge, log bounds at the ends of time, a pack
SLA's whole days, and YAML values with a tag they are not."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from csrules._cli.cli import main
from tests.company_support import company
from tests.test_cli_e2e import CSRULES, IMPORT, PACKAGE_PARENT, cli_env
from tests.test_faults_input import ATTENDANCE


def one_rule_policy(policy_id: str, fact_type: str, rule_id: str, when: str, then: str) -> str:
    """A policy file of one rule (``when`` and ``then`` as YAML flow text)."""
    return (f'id: {policy_id}\nversion: "1"\ntitle: {{en: {policy_id}, zh: {policy_id}}}\n'
            f"fact_type: {fact_type}\nrules:\n  - id: {rule_id}\n    title: {{en: {rule_id}, zh: {rule_id}}}\n"
            f"    when: {when}\n    then: [{then}]\n")


def violation(code: str) -> str:
    """A violation effect of ``code``, as YAML flow text."""
    return f"{{type: violation, code: {code}, message: {{en: {code}, zh: {code}}}}}"


ORDERS_POLICY = one_rule_policy(
    "hd.orders", "cli_order", "HD-1",
    '{kind: all, of: [{kind: compare, path: resolved, op: "==", value: false}, '
    '{kind: elapsed, since: opened_at, op: ">=", duration: 4h}]}', violation("HD-1"))

CALENDAR_MODULE = """\
from csrules import register_calendar
from csrules.time import BusinessCalendar
register_calendar("lead10-office", BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"},
                  holidays=["2026-03-02"], holiday_years=[2026]), replace=True)
"""

HOLIDAY_POLICY = one_rule_policy(
    "acme.cal", "leave_request", "C-1", "{kind: on_holiday, path: start, calendar: lead10-office}", violation("C-1"))


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # the host's folder on PYTHONPATH: a dotted --import finds its modules
    return subprocess.run([*CSRULES, *args], cwd=cwd, text=True, capture_output=True, env=cli_env(str(cwd)),
                          timeout=300, check=False)


def _lines(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


@pytest.mark.parametrize("workers", ["1", "2"])
class TestAuditWorkersImportTheHostModules:
    """``audit --import`` judged the same with any number of workers: the workers were spawned
    without the imported file's module (a raw ModuleNotFoundError) or a registered calendar
    (refused as unknown)."""

    def test_a_fact_type_from_a_file(self, tmp_path: Path, workers: str) -> None:
        (tmp_path / "orders.yaml").write_text(ORDERS_POLICY, encoding="utf-8")
        _lines(tmp_path / "o.jsonl", [
            {"opened_at": "2026-03-02T05:00:00+08:00", "resolved": i % 2 == 0} for i in range(40)
        ])
        result = _run(tmp_path, "audit", "orders.yaml", "o.jsonl", *IMPORT,
                      "--now", "2026-03-02T12:00:00+08:00", "-o", "out", "--workers", workers, "--batch-rows", "10")
        assert "Traceback" not in result.stderr, result.stderr
        summary = result.stdout + result.stderr
        assert result.stdout.startswith("40 rows audited: 20 with a violation, 0 invalid"), summary

    def test_a_calendar_registered_by_a_module(self, tmp_path: Path, workers: str) -> None:
        (tmp_path / "office_calendar.py").write_text(CALENDAR_MODULE, encoding="utf-8")
        (tmp_path / "holiday.yaml").write_text(HOLIDAY_POLICY, encoding="utf-8")
        _lines(tmp_path / "l.jsonl", [
            {"agent_id": "A1", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
             "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-02-20T08:00:00+08:00", "requested_by": "A1"}
            for _ in range(30)
        ])
        result = _run(tmp_path, "audit", "holiday.yaml", "l.jsonl", "--import", "office_calendar",
                      "--now", "2026-03-01T00:00:00Z", "-o", "out", "--workers", workers, "--batch-rows", "10")
        assert result.stdout.startswith("30 rows audited: 30 with a violation"), result.stdout + result.stderr


class TestAnImportThatFails:
    """``--import FILE`` is refused as no such file only when the file is missing: a module that
    raised FileNotFoundError while it ran (a settings file of its own missing) was reported as
    ``no such file`` too, naming the module that is there."""

    def test_a_missing_file(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        missing = tmp_path / "absent.py"
        assert main(["eval", str(ATTENDANCE), "/dev/null", "--import", str(missing)]) == 2
        assert capsys.readouterr().err == f"csrules eval: error: --import {missing}: no such file\n"

    def test_a_module_missing_a_file_of_its_own(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        module = tmp_path / "settings.py"
        module.write_text("open('absent-settings.json', encoding='utf-8')\n", encoding="utf-8")
        assert main(["eval", str(ATTENDANCE), "/dev/null", "--import", str(module)]) == 2
        assert capsys.readouterr().err == (
            f"csrules eval: error: --import {module} failed: FileNotFoundError: [Errno 2] No such file or "
            "directory: 'absent-settings.json'\n")


class TestNothingTestedIsNoPass:
    """``csrules test`` on a policy without worked examples exited 0 ("0 passed, 0 failed"): a
    suite that lost its examples went green."""

    POLICY = one_rule_policy(
        "acme.untested", "leave_request", "U-1", '{kind: compare, path: days, op: ">", value: 3}', violation("U-1"))

    @pytest.mark.parametrize("form", [[], ["--format", "json"]])
    def test_exits_one_and_says_so(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, form: list[str]) -> None:
        (tmp_path / "untested.yaml").write_text(self.POLICY, encoding="utf-8")
        code = main(["test", str(tmp_path / "untested.yaml"), *form])
        out = capsys.readouterr().out
        assert code == 1, out
        if form:
            assert json.loads(out)["passed"] == 0
        else:
            assert "nothing was tested" in out

    def test_explored_facts_are_tested(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """With --explore the generated facts are tested: no worked example alone is no failure,
        and the run does not say that nothing was tested."""
        (tmp_path / "untested.yaml").write_text(self.POLICY, encoding="utf-8")
        code = main(["test", str(tmp_path / "untested.yaml"), "--explore", "--max-examples", "5"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "no worked examples or test files found\n" in out
        assert "nothing was tested" not in out


class TestCheckingACompanyPackWithAMistake:
    """``csrules check PACKDIR`` with a mistake in the pack exited 2 ("bad usage"), printed no
    JSON and named only the first problem; a plain directory of the same files gave findings."""

    EXTRA = one_rule_policy(
        "acme.extra", "leave_request", "X-1.director", '{kind: compare, path: dayz, op: ">", value: 3}',
        "{type: approval, role: centre_director}")

    @pytest.fixture(autouse=True)
    def _in_tmp_path(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        (tmp_path / "acme").mkdir()
        monkeypatch.chdir(tmp_path)  # the findings name the pack as it was given: acme/...

    def test_a_policy_file_mistake_is_a_finding_at_its_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        company(Path("acme"), "policies: [extra.yaml]\n", extra__yaml=self.EXTRA)
        code = main(["check", "acme", "--json"])
        out = capsys.readouterr().out
        assert code == 1, out
        findings = json.loads(out)["findings"]
        assert [(f["file"], f["line"], f["code"]) for f in findings] == [("acme/extra.yaml", 8, "invalid")]
        assert "dayz" in findings[0]["message"]

    def test_a_manifest_mistake_is_a_finding_at_its_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        company(Path("acme"), "overrides:\n  leave:\n    personal_notic: 2d\n")
        code = main(["check", "acme"])
        out = capsys.readouterr().out
        assert code == 1, out
        assert out.startswith("acme/pack.yaml:7: error [invalid] "), out
        assert "personal_notic" in out


class TestLogBoundsAtTheEndsOfTime:
    """``SQLiteLog.records(since=/until=)`` with an aware bound past year 9999 (or before year 1)
    in UTC raised a raw OverflowError; such a bound lies beyond every recorded instant."""

    def test_far_bounds_select_all_or_nothing(self, tmp_path: Path) -> None:
        from datetime import datetime, timedelta, timezone

        from csrules.records import SQLiteLog
        from tests.test_records_logs import write_records

        last = datetime.max.replace(tzinfo=timezone(timedelta(hours=-8)))  # 10000-01-01 in UTC
        first = datetime.min.replace(tzinfo=timezone(timedelta(hours=8)))  # year 0 in UTC
        with SQLiteLog(tmp_path / "decisions.db") as log:
            write_records(log, 3)
            log.flush()
            assert list(log.records(since=last)) == []
            assert len(list(log.records(until=last))) == 3
            assert len(list(log.records(since=first))) == 3
            assert list(log.records(until=first)) == []


class TestPackSlaCountsWallDays:
    """A pack SLA's due time added a whole-day target as 24 elapsed hours, while the engine's
    conditions, obligations and the domain SLA count days on the wall clock: in a zone with
    clock changes the pack's due time was an hour off theirs."""

    POLICY = """
id: t.london
version: "1"
title: Replies
fact_type: callback_task
timezone: Europe/London
params:
  within: {type: duration, default: 1d}
rules:
  - id: CB-1.late
    title: late
    when: {kind: elapsed, since: created_at, op: ">", param: within}
    then: [{type: violation, code: CB-1, message: late}]
"""

    def test_due_on_the_wall_clock_across_the_spring_change(self) -> None:
        from datetime import UTC, datetime

        from csrules._policy.loader import loads_policy
        from csrules.policies.slas import SlaDeclaration, resolve_sla

        policy = loads_policy(self.POLICY)
        decl = SlaDeclaration.model_validate({
            "id": "CB-1.t", "title": "t", "policy": "london", "start": "created_at", "stop": "called_at",
            "target": {"param": "within"}, "rule": "CB-1.late", "citation": {"source": "x", "section": "y"},
        })
        sla = resolve_sla("t", 0, decl, [policy])
        due = sla.due_at(datetime(2026, 3, 28, 9, tzinfo=UTC))  # 09:00 GMT, the day before BST
        assert due == datetime(2026, 3, 29, 8, tzinfo=UTC)  # 09:00 BST: one day on the wall
        assert due.isoformat() == "2026-03-29T09:00:00+01:00"  # shown in London


class TestAnExplicitTagTheValueIsNot:
    """``x: !!int x`` (or !!float, !!timestamp, !!bool) escaped as a raw ValueError, AttributeError
    or KeyError from inside the YAML constructors; now a located PolicyError."""

    @pytest.mark.parametrize("tag", ["int", "float", "timestamp", "bool"])
    def test_located_at_its_line(self, tag: str) -> None:
        import csrules

        said = rf"^p\.yaml:3: 'x' cannot be read as !!{tag}, the tag it is given$"
        with pytest.raises(csrules.PolicyError, match=said):
            csrules.loads_policy(f'id: p\nversion: "1"\nvalue: !!{tag} x\n', name="p.yaml")


class TestAnEngineCarriesItsNamedTime:
    """A pickled engine carried only a pack's pinned calendars: one compiled with a calendar or
    shift pattern the host registered could not be rebuilt in a process that had not registered
    it (an audit worker), and one registered there with other content would judge by it."""

    UNPICKLE = (
        "import pickle, sys\n"
        "from datetime import datetime, timezone\n"
        "{setup}"
        "engine = pickle.loads(sys.stdin.buffer.read())\n"
        "fact = {{'agent_id': 'A1', 'kind': 'personal', 'start': '2026-03-02T08:30:00+08:00',"
        " 'end': '2026-03-02T16:30:00+08:00', 'requested_at': '2026-02-20T08:00:00+08:00', 'requested_by': 'A1'}}\n"
        "print(engine.evaluate(fact, now=datetime(2026, 3, 1, tzinfo=timezone.utc)).effect_keys)\n"
    )

    @staticmethod
    def _engine() -> bytes:
        import pickle

        import csrules
        from csrules.time import BusinessCalendar

        office = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"},
                                  holidays=["2026-03-02"], holiday_years=[2026])
        with csrules.registered_time(calendars={"lead10-office": office}):
            engine = csrules.Engine([csrules.loads_policy(HOLIDAY_POLICY)])
            return pickle.dumps(engine)

    def _unpickled(self, blob: bytes, setup: str = "") -> subprocess.CompletedProcess[str]:
        """The engine unpickled in a fresh Python process, after ``setup``, judging one fact."""
        import sys

        ran = subprocess.run([sys.executable, "-c", self.UNPICKLE.format(setup=setup)], input=blob,
                             capture_output=True, env=cli_env(PACKAGE_PARENT), timeout=120, check=False)
        return subprocess.CompletedProcess(ran.args, ran.returncode, ran.stdout.decode(), ran.stderr.decode())

    def test_rebuilt_where_the_calendar_was_never_registered(self) -> None:
        result = self._unpickled(self._engine())
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "('violation:C-1',)"

    def test_refused_where_another_calendar_has_its_name(self) -> None:
        other = (
            "from csrules import register_calendar\n"
            "from csrules.time import BusinessCalendar\n"
            "register_calendar('lead10-office', BusinessCalendar(timezone='Asia/Shanghai',"
            " hours={'mon-fri': '09:00-18:00'}, holidays=[], holiday_years=[2026]))\n"
        )
        result = self._unpickled(self._engine(), other)
        assert result.returncode == 1
        assert "calendar 'lead10-office' registered in this process differs" in result.stderr
