"""Regression tests for the surfaces: the testing toolkit, the CLI, generated documents,
audits and company packs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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
