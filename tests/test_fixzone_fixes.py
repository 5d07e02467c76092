"""Regression tests: pack zones reach the facts, role aliases stay out of policy texts,
level by level follows the role catalogue, decision logs flush in worker processes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from csrules.policies import Pack, load_pack

NOON_LATE = {
    "agent_id": "A01", "kind": "special_personal", "night_shift": True,
    "start": "2026-03-05T16:00:00+00:00", "end": "2026-03-06T00:00:00+00:00",
    "requested_at": "2026-03-05T13:00:00+00:00", "requested_by": "A01",
}
"""A night shift 16:00-24:00 London, special leave asked at 13:00 London the same day: past
noon (001 請假制度 六); read in Shanghai it is 21:00 the day before a shift on the next day."""
NOW = datetime.fromisoformat("2026-03-05T13:00:00+00:00")


def _company(tmp_path: Path, name: str = "acme", **manifest: Any) -> Path:
    root = tmp_path / name
    root.mkdir()
    data = {"name": name, "title": {"en": "A", "zh": "A"}, "version": "1", "extends": "call_centre", **manifest}
    (root / "pack.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def london(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """A company pack over call_centre whose clocks are London's."""
    return load_pack(_company(tmp_path_factory.mktemp("zone"), timezone="Europe/London"))


def _rules(effects: Any) -> set[str]:
    return {effect.rule_id for effect in effects}


class TestPackZoneReachesFacts:
    """A fact naming no time_zone is read in its pack's zone, never silently in Shanghai."""

    def test_engine_reads_a_dict_fact_in_the_pack_zone(self, london: Pack) -> None:
        """Leave asked at 13:00 London for a London night shift that day is past noon (ATT-5)."""
        decision = london.engine().evaluate(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" in _rules(decision.effects)

    def test_engine_reads_a_built_fact_in_the_pack_zone(self, london: Pack) -> None:
        """A LeaveRequest built without time_zone is read in the pack's zone too."""
        from csrules.domain.facts import LeaveRequest

        fact = LeaveRequest.model_validate(NOON_LATE)
        assert fact.request_lead_days == 1  # read in the model's default zone when built
        decision = london.engine().evaluate(fact, now=NOW)
        assert "ATT-5.night-deadline" in _rules(decision.effects)

    def test_a_fact_naming_its_zone_keeps_it(self, london: Pack) -> None:
        """A fact that names Asia/Shanghai is read there, whatever the pack's zone."""
        fact = {**NOON_LATE, "time_zone": "Asia/Shanghai"}
        decision = london.engine().evaluate(fact, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" not in _rules(decision.effects)

    def test_evaluate_many_reads_facts_in_the_pack_zone(self, london: Pack) -> None:
        """evaluate_many fills the pack's zone as evaluate does."""
        decisions = list(london.engine().evaluate_many([NOON_LATE], now=NOW, fact_type="leave_request"))
        assert "ATT-5.night-deadline" in _rules(decisions[0].effects)

    def test_a_pickled_engine_keeps_the_zone(self, london: Pack) -> None:
        """An engine sent to a worker process reads facts in the pack's zone there too."""
        import pickle

        engine = pickle.loads(pickle.dumps(london.engine()))
        decision = engine.evaluate(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" in _rules(decision.effects)

    @pytest.mark.parametrize("columnar", [True, False])
    def test_audit_batch_reads_rows_in_the_pack_zone(self, london: Pack, columnar: bool) -> None:
        """An audit of the pack (columnar and row engine) reads a row naming no zone in London."""
        pa = pytest.importorskip("pyarrow")
        pytest.importorskip("polars")
        from csrules.audit import AuditSpec, audit_batch

        spec = AuditSpec(london.engine(), "leave_request", NOW, columnar=columnar, zone=london.timezone)
        table = pa.Table.from_pylist([{**NOON_LATE, **{k: datetime.fromisoformat(v) for k, v in NOON_LATE.items()
                                                       if k in ("start", "end", "requested_at")}}])
        rules = set(audit_batch(spec, table).column("rule").to_pylist())
        assert "ATT-5.night-deadline" in rules

    def test_sessions_read_an_event_in_the_pack_zone(self, london: Pack) -> None:
        """A session judging the pack's leave policy reads an event naming no zone in London."""
        from csrules import SessionEngine

        engine = SessionEngine([london.policy("leave")])
        step = engine.session("A01").send(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "violation:ATT-5" in step.effect_keys

    def test_inherited_examples_keep_the_zone_they_were_written_in(self, london: Pack) -> None:
        """The base pack's worked examples (Shanghai facts) still pass in a London company pack."""
        failed = [check for check in london.check_examples() if not check.passed]
        assert failed == []
        example = london.policy("leave").rules[0].examples[0]
        assert example.fact is not None
        assert example.fact["time_zone"] == "Asia/Shanghai"

    def test_default_zone_pack_engine_is_unchanged(self) -> None:
        """The built-in pack (Asia/Shanghai) reads the same fact in Shanghai: no ATT-5."""
        decision = load_pack("call_centre").engine().evaluate(NOON_LATE, now=NOW, fact_type="leave_request")
        assert "ATT-5.night-deadline" not in _rules(decision.effects)


POLICIES = Path(__file__).resolve().parents[1] / "src" / "csrules" / "policies" / "call_centre"
LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2026-03-05T08:30:00+08:00",
         "end": "2026-03-05T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00", "requested_by": "A01"}
MARCH = datetime.fromisoformat("2026-03-01T09:00:00+08:00")


class TestRoleAliasesStayOutOfPolicyTexts:
    """A policy file's examples pass on the file alone; an alias added to a role is a role change."""

    @pytest.mark.parametrize("name", ["leave.yaml", "report.yaml"])
    def test_policy_file_examples_pass_on_the_file_alone(self, name: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
        """csrules test on a built-in policy file, without its pack's catalogue, passes."""
        from csrules._cli.cli import main

        status = main(["test", str(POLICIES / name)])
        assert status == 0, capsys.readouterr().out

    @pytest.mark.parametrize("alias", ["值班長", "班長"])
    def test_the_pack_reads_an_alias_as_its_role(self, alias: str) -> None:
        """Judged by the pack, leave handed to an alias of the shift lead is not an unknown role."""
        decision = load_pack("call_centre").engine().evaluate(
            {**LEAVE, "submitted_to": alias}, now=MARCH, fact_type="leave_request")
        assert not {"ROLE-1.leave-unknown-role", "ATT-2.level-by-level"} & _rules(decision.effects)

    def test_diff_reports_an_added_alias_as_a_role_change(self, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
        """A company pack that only adds an alias changes no policy text and needs no version bump."""
        from csrules._cli.cli import main

        root = _company(tmp_path, roles="roles.yaml")
        shift_lead = next(r for r in yaml.safe_load((POLICIES / "roles.yaml").read_text(encoding="utf-8"))["roles"]
                          if r["id"] == "shift_lead")
        shift_lead["aliases"] = [*shift_lead["aliases"], "組長"]
        (root / "roles.yaml").write_text(yaml.safe_dump({"roles": [shift_lead]}, allow_unicode=True),
                                         encoding="utf-8")
        main(["diff", "call_centre", str(root), "--lang", "en"])
        out = capsys.readouterr().out
        assert "Content changed, version did not" not in out
        assert "Rules changed or reworded: 0" in out
        assert "| role | shift_lead |" in out


def _qa_under_shift_lead(tmp_path: Path) -> Pack:
    """A company pack whose QA inspectors report to the shift lead (one role restated)."""
    root = _company(tmp_path, roles="roles.yaml")
    qa = {"id": "qa_inspector", "title": {"en": "QA inspector", "zh": "質檢員"}, "aliases": ["質檢員"],
          "reports_to": "shift_lead"}
    (root / "roles.yaml").write_text(yaml.safe_dump({"roles": [qa]}, allow_unicode=True), encoding="utf-8")
    return load_pack(root)


class TestLevelByLevelReadsTheCatalogue:
    """Level by level follows the pack's reports_to, and a company role may report to a base role."""

    def test_company_role_may_report_to_a_base_role(self, tmp_path: Path) -> None:
        """A company roles.yaml restating one role that reports to a base role loads."""
        pack = _qa_under_shift_lead(tmp_path)
        assert pack.roles.role("qa_inspector").reports_to == "shift_lead"
        assert pack.roles.role("department_head").reports_to == "centre_director"

    @pytest.mark.parametrize(("to", "skipped"), [("shift_lead", False), ("質檢員", True),
                                                ("department_head", True), ("客服部主任", True)])
    def test_qa_leave_goes_to_the_superior_the_catalogue_names(self, tmp_path: Path, to: str,
                                                                skipped: bool) -> None:
        """QA leave handed to the shift lead is level by level; to the department head it skips one."""
        engine = _qa_under_shift_lead(tmp_path).engine()
        fact = {**LEAVE, "agent_id": "Q01", "requested_by": "Q01", "requester_role": "qa_inspector", "submitted_to": to}
        decision = engine.evaluate(fact, now=MARCH, fact_type="leave_request")
        assert ("ATT-2.level-by-level" in _rules(decision.effects)) is skipped

    def test_a_changed_chain_marks_the_policy_version(self, tmp_path: Path) -> None:
        """The leave policy a company's chain rewrites is versioned +<pack>; the built-in one is not."""
        assert _qa_under_shift_lead(tmp_path).policy("leave").version == "1.0+acme"
        assert load_pack("call_centre").policy("leave").version == "1.0"

    def test_built_in_chain_is_unchanged(self) -> None:
        """In the built-in pack a shift lead still hands leave to the department head."""
        fact = {**LEAVE, "agent_id": "S01", "requested_by": "S01", "requester_role": "班長",
                "submitted_to": "客服部主任"}
        decision = load_pack("call_centre").engine().evaluate(fact, now=MARCH, fact_type="leave_request")
        assert "ATT-2.level-by-level" not in _rules(decision.effects)

    def test_a_catalogue_without_superiors_is_refused(self, tmp_path: Path) -> None:
        """A company catalogue where no role reports to another is refused, naming the rule."""
        from csrules.exceptions import PolicyError

        root = _company(tmp_path, roles="roles.yaml")
        roles = yaml.safe_load((POLICIES / "roles.yaml").read_text(encoding="utf-8"))["roles"]
        for role in roles:
            role.pop("reports_to", None)
        (root / "roles.yaml").write_text(yaml.safe_dump({"roles": roles}, allow_unicode=True), encoding="utf-8")
        with pytest.raises(PolicyError, match=r"ATT-2\.level-by-level.*reports_to"):
            load_pack(root)


ORDER = {"order_no": "O1", "placed_at": "2026-03-10T10:00:00+08:00", "amount": 10}
LATER = datetime.fromisoformat("2026-03-20T10:00:00+08:00")


def _log_orders(log: Any, tag: str, count: int) -> None:
    """Judge ``count`` orders with the mall pack, each decision's record written to ``log``."""
    engine = load_pack("mall").engine().with_log(log)
    for i in range(count):
        engine.evaluate({**ORDER, "order_no": f"{tag}-{i}"}, now=LATER, fact_type="order")


def _child_opens_its_log(path: str) -> None:
    from csrules.records import JsonlLog

    _log_orders(JsonlLog(path, batch=7), "own", 10)  # never closed: 3 records pending at exit


class TestLogsFlushInWorkerProcesses:
    """Records pending in a multiprocessing child's log are written when the child ends."""

    @pytest.fixture
    def fork(self) -> Any:
        """The fork start method (POSIX): a child that leaves through os._exit, as workers do."""
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            pytest.skip("needs the fork start method")
        return multiprocessing.get_context("fork")

    def test_a_log_opened_in_the_child(self, fork: Any, tmp_path: Path) -> None:
        """A child that opens a log and never closes it loses no record."""
        from csrules.records import read_log

        path = str(tmp_path / "d.jsonl")
        child = fork.Process(target=_child_opens_its_log, args=(path,))
        child.start()
        child.join()
        assert child.exitcode == 0
        assert sorted(r.fact["order_no"] for r in read_log(path)) == sorted(f"own-{i}" for i in range(10))

    def test_a_log_inherited_from_the_parent(self, fork: Any, tmp_path: Path) -> None:
        """A child writing a log the parent opened loses no record, and writes none of the parent's."""
        from csrules.records import JsonlLog, read_log

        path = str(tmp_path / "d.jsonl")
        log = JsonlLog(path, batch=7)
        try:
            _log_orders(log, "parent", 3)  # pending in the parent: the parent's to write
            child = fork.Process(target=_log_orders, args=(log, "child", 10))
            child.start()
            child.join()
            assert child.exitcode == 0
        finally:
            log.close()
        found = sorted(r.fact["order_no"] for r in read_log(path))
        assert found == sorted([*(f"parent-{i}" for i in range(3)), *(f"child-{i}" for i in range(10))])
