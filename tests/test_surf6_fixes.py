"""Regression tests for the surfaces: the testing toolkit, the CLI, generated documents,
audits and company packs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import csrules
from csrules._testing.boundaries.sessions import sequence_shapes
from csrules.domain.facts import WorkOrder
from csrules.exceptions import PolicyError
from csrules.policies import load_pack
from csrules.sessions import SessionEngine
from csrules.testing import explore_sessions
from tests.company_support import company

OPENED = "2026-03-02T09:00:00+08:00"


def _awaited_session() -> csrules.Policy:
    """A reply deadline closed by the derived ``answer_awaited`` alone."""
    return csrules.Policy.model_validate({
        "id": "surf6.awaited", "version": "1", "title": "reply deadline", "fact_type": "work_order",
        "rules": [{"id": "LATE", "title": "no reply within a day",
                   "when": {"kind": "still_open", "key": "order_id", "since": "opened_at", "after": "1d",
                            "closed": {"kind": "compare", "path": "answer_awaited", "op": "==", "value": False}},
                   "then": [{"type": "violation", "code": "LATE", "message": "late"}]}],
    })


class TestExplorerSetsDerivedFields:
    """Session exploration steers a derived field through its sources, as the stateless strategies do."""

    def test_a_window_closed_by_a_derived_field_is_reached(self) -> None:
        """A still_open window closed by answer_awaited fires in the explored sequences."""
        policy = _awaited_session()
        result = explore_sessions(policy, max_examples=len(sequence_shapes(policy)))
        assert result.ok, result.render()
        assert not result.coverage.never_true

    @pytest.mark.parametrize(("deferred", "asked", "late"), [
        (False, False, False), (True, False, True), (False, True, True), (True, True, True),
    ])
    def test_pack_session_reads_answer_awaited_with_the_same_answers(
        self, deferred: bool, asked: bool, late: bool
    ) -> None:
        """The online-support reply session is late exactly when an answer was deferred or time was asked for."""
        policy = load_pack("online_support").policy("work_order_session")
        assert "answer_awaited" in policy.model_dump_json()
        session = SessionEngine([policy], backend="python").session("desk")
        session.send(WorkOrder(order_id="C1", opened_at=OPENED, first_handler="A01", owner="A01",
                               answer_deferred=deferred, customer_asked_for_time=asked))
        result = session.tick(datetime.fromisoformat("2026-03-05T09:01:00+08:00"))
        assert result.effect_keys == (("violation:CMP-4",) if late else ())


class TestRolesFileShape:
    """A company roles file that is not a roles: list is refused at its line, saying what it needs."""

    @pytest.mark.parametrize(("text", "line", "said"), [
        ("roles: front\n", 1, "not str 'front'"),
        ("role: []\n", 1, "it has none"),
        ("roles:\n  front: {title: x}\n", 2, "not dict"),
    ])
    def test_not_a_list_of_roles(self, tmp_path: Path, text: str, line: int, said: str) -> None:
        """Text, a mapping or a missing roles: key is one clear error, not one per letter or a bare key name."""
        company(tmp_path, "roles: roles.yaml\n", roles__yaml=text)
        with pytest.raises(PolicyError, match=rf"roles\.yaml:{line}: .*a list of roles .*{said}"):
            load_pack(tmp_path)

    def test_misspelt_key_beside_roles_refused(self, tmp_path: Path) -> None:
        """A key beside roles: that the catalogue does not know is refused at its line, never ignored."""
        roles = "roles:\n  - id: front\n    title: {en: Front, zh: 前台}\n    reports_to: shift_lead\nrolez: []\n"
        company(tmp_path, "roles: roles.yaml\n", roles__yaml=roles)
        with pytest.raises(PolicyError, match=r"roles\.yaml:5: .*rolez: unknown field"):
            load_pack(tmp_path)
        company(tmp_path, "roles: roles.yaml\n", roles__yaml=roles.replace("rolez: []\n", ""))
        assert load_pack(tmp_path).roles.role("front").reports_to == "shift_lead"


_LEAVE = ('{agent_id: A01, kind: personal, start: "2026-03-04T08:30:00+08:00", end: "2026-03-04T16:30:00+08:00", '
          'requested_at: "2026-03-01T09:00:00+08:00", requested_by: A01}')


def _test_file(expect: str, extra: str = "") -> str:
    """A test file of one call-centre leave case expecting ``expect``, with ``extra`` case lines."""
    return (f"pack: call_centre\nnow: 2026-03-01T09:00:00+08:00\ncases:\n  - name: one day's leave\n"
            f"    fact_type: leave_request\n    fact: {_LEAVE}\n    expect: {expect}\n{extra}")


class TestUnreadableTestFileExitsTwo:
    """`csrules test` tells a test file it cannot read (bad input, 2) from a failing test (1)."""

    def test_single_files(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A passing file exits 0, a failing case 1, a file with an unknown case key 2, named on stderr."""
        from csrules._cli.cli import main

        cases = {"good": _test_file("[approval:department_head]"), "failing": _test_file("[]"),
                 "broken": _test_file("[]", "    violates: []\n")}
        status = {}
        for name, text in cases.items():
            path = tmp_path / f"{name}.test.yaml"
            path.write_text(text, encoding="utf-8")
            status[name] = main(["test", str(path)])
        assert status == {"good": 0, "failing": 1, "broken": 2}
        err = capsys.readouterr().err
        assert "1 test file(s) could not be read" in err
        assert "broken.test.yaml" in err

    def test_other_files_of_a_directory_still_run(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """In a pack directory, the readable test files run and pass, and the run exits 2 for the broken one."""
        from csrules._cli.cli import main

        company(tmp_path, "", good__test__yaml=_test_file("[approval:department_head]"),
                bad__test__yaml="pack: call_centre\ncases: []\n")
        assert main(["test", str(tmp_path), "-v"]) == 2
        out = capsys.readouterr().out
        assert "ok   good.test.yaml::one day's leave" in out
        assert "FAIL " in out
        assert "bad.test.yaml" in out


class TestPropertiesSayWhatTheyName:
    """A reviewer property naming an effect no rule decides, or an id twice, is refused at its line."""

    @pytest.mark.parametrize("expect", [{"excludes": ["approval:department_haed"]},
                                        {"includes": ["approval:department_haed"]},
                                        {"at_most_one": ["approval:department_head", "violation:ATT-99"]}])
    def test_an_effect_no_rule_decides_is_refused(self, expect: dict[str, list[str]]) -> None:
        """A misspelt key is an error naming the policy's effects, never proven (excludes) or broken (includes)."""
        pytest.importorskip("z3")
        from csrules._verify.properties import Properties
        from csrules._verify.report import verify_policies
        from tests.verify_support import holiday_policy

        props = Properties.model_validate({"properties": [{"id": "p", "policy": "planted", "expect": expect}],
                                           "file": "p.yaml", "lines": {"p": 2}})
        with pytest.raises(PolicyError, match=r"p\.yaml:2: property 'p' names .*which no rule of planted decides "
                                              r"\(its effects: approval:department_head\)"):
            verify_policies([holiday_policy()], props, analyses=False)
        fine = Properties.model_validate({"properties": [{"id": "p", "policy": "planted",
                                                          "expect": {"excludes": ["approval:*"]}}]})
        assert verify_policies([holiday_policy()], fine, analyses=False).results

    def test_a_repeated_id_and_a_misspelt_key_are_located(self, tmp_path: Path) -> None:
        """The second use of an id, and an unknown key, are refused at their lines naming the field."""
        from csrules._verify.properties import load_properties

        one = "  - id: a\n    policy: planted\n    expect: {includes: [approval:department_head]}\n"
        path = tmp_path / "p.properties.yaml"
        path.write_text("properties:\n" + one + one, encoding="utf-8")
        with pytest.raises(PolicyError, match=r"properties\.yaml:5: at properties\[1\]\.id: property id 'a' is used"):
            load_properties(path)
        path.write_text("properties:\n" + one.replace("includes", "include"), encoding="utf-8")
        with pytest.raises(PolicyError, match=r"properties\.yaml:4: at properties\[0\]\.expect\.include: unknown"):
            load_properties(path)


    def test_a_short_policy_name_two_policies_share_is_refused(self) -> None:
        """`policy: planted` with base.planted and acme.planted both judged names neither: the whole id is asked for."""
        pytest.importorskip("z3")
        from csrules._verify.properties import Properties
        from csrules._verify.report import verify_policies
        from tests.verify_support import holiday_policy

        ours = holiday_policy().model_copy(update={"id": "base.planted"})
        theirs = ours.model_copy(update={"id": "acme.planted"})
        claim = {"id": "p", "expect": {"includes": ["approval:department_head"]}}
        props = Properties.model_validate({"properties": [{**claim, "policy": "planted"}]})
        with pytest.raises(PolicyError, match=r"names policy 'planted', which could be acme\.planted or base\.planted"):
            verify_policies([theirs, ours], props, analyses=False)
        whole = Properties.model_validate({"properties": [{**claim, "policy": "acme.planted"}]})
        assert [r.policy_id for r in verify_policies([theirs, ours], whole, analyses=False).properties] == \
            ["acme.planted"]

class TestShortNameTwoPoliciesShare:
    """In a company pack, a short policy name its own policy and a base policy share names neither."""

    OWN = ("id: acme.leave\nversion: \"1\"\ntitle: {en: Acme leave, zh: 請假}\nfact_type: leave_request\n"
           "params:\n  personal_notice: {type: duration, default: 5d, description: {en: notice, zh: 提前}}\n"
           "rules:\n  - id: ACME-9\n    title: {en: Sick leave, zh: 病假}\n"
           "    when: {kind: compare, path: kind, op: \"==\", value: sick}\n"
           "    then: [{type: approval, role: shift_lead}]\n")

    def test_override_by_a_shared_short_name_refused(self, tmp_path: Path) -> None:
        """overrides: leave: is refused at its line naming both ids; the whole id overrides the one meant."""
        company(tmp_path, "policies: [leave.yaml]\noverrides:\n  leave:\n    personal_notice: 2d\n",
                leave__yaml=self.OWN)
        with pytest.raises(PolicyError, match=r"pack\.yaml:8: .*'leave' could be call_centre\.leave or acme\.leave"):
            load_pack(tmp_path)
        company(tmp_path, "policies: [leave.yaml]\noverrides:\n  call_centre.leave:\n    personal_notice: 2d\n",
                leave__yaml=self.OWN)
        pack = load_pack(tmp_path)
        assert pack.policy("acme.leave").param_values["personal_notice"].delta.days == 5
        assert pack.policy("call_centre.leave").param_values["personal_notice"].delta.days == 2
        with pytest.raises(PolicyError, match="write the whole id"):
            pack.policy("leave")


class TestCoverageAcrossXdistWorkers:
    """Rule coverage recorded in pytest-xdist workers reaches the controller's report and threshold."""

    @staticmethod
    def _recorded() -> Any:
        """A coverage of two call-centre leave decisions."""
        from csrules._testing.coverage import collect_coverage

        engine = load_pack("call_centre").engine()
        fact = {"agent_id": "A01", "kind": "personal", "start": "2026-03-04T08:30:00+08:00",
                "end": "2026-03-04T16:30:00+08:00", "requested_at": "2026-03-01T09:00:00+08:00",
                "requested_by": "A01"}
        with collect_coverage() as coverage:
            for asked in ("2026-03-01T09:00:00+08:00", "2026-03-04T08:00:00+08:00"):
                engine.evaluate({**fact, "requested_at": asked}, fact_type="leave_request",
                                now=datetime.fromisoformat(asked))
        return coverage

    def test_state_merges_into_the_same_report(self) -> None:
        """A coverage's state, merged twice into an empty one, gives the same rules with counts doubled."""
        from csrules._testing.coverage import Coverage

        recorded = self._recorded()
        merged = Coverage().merge(json.loads(json.dumps(recorded.state()))).merge(recorded.state())
        mine, theirs = recorded.report(), merged.report()
        assert merged.decisions == 2 * recorded.decisions
        assert mine.percent == theirs.percent
        assert [(r.rule_id, r.made_true * 2, r.made_false * 2) for r in mine.rules] == \
            [(r.rule_id, r.made_true, r.made_false) for r in theirs.rules]

    def test_worker_hands_over_and_controller_merges(self) -> None:
        """A worker's session end puts its records in workeroutput; the node going down adds them to the run's."""
        from csrules import pytest_plugin
        from csrules._testing.coverage import Coverage

        recorded = self._recorded()
        worker = SimpleNamespace(stash={pytest_plugin._COVERAGE: recorded}, workeroutput={},
                                 getoption=lambda name: 50.0, getini=lambda name: "")
        pytest_plugin.pytest_sessionfinish(SimpleNamespace(config=worker, exitstatus=0), 0)  # type: ignore[arg-type]
        run = Coverage()
        controller = SimpleNamespace(stash={pytest_plugin._COVERAGE: run})
        pytest_plugin.pytest_testnodedown(SimpleNamespace(config=controller, workeroutput=worker.workeroutput), None)
        assert run.decisions == recorded.decisions == 2
        assert run.report().percent == recorded.report().percent > 0


class TestAuditOfNoRows:
    """An audit that judged no row is never reported as clean."""

    def test_where_selecting_nothing_exits_two(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A --where no row meets exits 2 naming it; the same audit selecting the row exits 0; --limit 0 is refused."""
        from csrules._cli.cli import main

        data = tmp_path / "leave.csv"
        data.write_text("agent_id,kind,start,end,requested_at,requested_by\nA01,personal,2026-03-04T08:30:00+08:00,"
                        "2026-03-04T16:30:00+08:00,2026-03-01T09:00:00+08:00,A01\n", encoding="utf-8")
        base = ["audit", "call_centre", str(data), "--fact-type", "leave_request", "--workers", "1",
                "--now", "2026-03-01T09:00:00+08:00", "-o", str(tmp_path / "out")]
        assert main([*base, "--where", "kind = 'Personal'"]) == 2
        assert "no row was audited (--where \"kind = 'Personal'\" selected none)" in capsys.readouterr().out
        assert main([*base, "--where", "kind = 'personal'"]) == 0
        with pytest.raises(SystemExit) as refused:
            main([*base, "--limit", "0"])
        assert refused.value.code == 2
