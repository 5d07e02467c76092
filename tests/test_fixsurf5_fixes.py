"""Regression tests of the command line, audit input and testing toolkit: strategies that
draw a pack's catalogue roles, assertions that fail on rule errors, empty inputs refused,
misspelt audit columns refused, far dates and huge numbers named, the clock notice exact."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

import csrules.policies
from csrules import FactError, TimeError
from csrules._cli.cli import main
from csrules._engine.decision import RuleError
from csrules._testing.boundaries.core import listed_names
from csrules._testing.strategies import naming_dicts
from csrules.audit import AuditError, audit
from csrules.domain.facts import LeaveRequest
from csrules.policies import load_pack
from csrules.testing import assert_decision, assert_effects_after, facts, facts_for

CALL_CENTRE = Path(csrules.policies.__file__).parent / "call_centre"
PACK = load_pack("call_centre")
ENGINE = PACK.engine()
SEARCH = settings(derandomize=True, database=None, max_examples=300, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
"""Derandomized: the same examples on every run, so each test gives one answer."""

LEAVE = {"agent_id": "A01", "kind": "personal", "start": "2040-02-10T08:30:00+08:00",
         "end": "2040-02-10T16:30:00+08:00", "requested_at": "2040-02-01T09:00:00+08:00", "requested_by": "A01"}
"""A one-day leave in 2040, a year the China calendar holds no holidays of: the holiday rules fail on it."""
LEAVE_NOW = datetime.fromisoformat("2040-02-01T09:00:00+08:00")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``csrules argv`` in this process: exit status, stdout, stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestStrategiesDrawCatalogueRoles:
    """facts() and facts_for() draw the roles role-gated rules test for."""

    def test_every_catalogue_role_is_listed_for_the_role_fields(self) -> None:
        """Every role id and alias of the catalogue is among the names facts_for draws for both role fields."""
        names = listed_names([PACK.policy("leave")])
        catalogue = {name for role in PACK.roles.roles for name in role.names}
        for field in ("requester_role", "submitted_to"):
            assert catalogue <= set(names[field]), field

    def test_a_listed_name_is_drawn(self) -> None:
        """A name listed for a text field is drawn: found among derandomized examples, not random text."""
        drawn = naming_dicts(LeaveRequest, {"requester_role": ["night_supervisor"]})
        found = find(drawn, lambda data: data["requester_role"] == "night_supervisor", settings=SEARCH)
        assert found["requester_role"] == "night_supervisor"

    def test_a_text_default_is_drawn(self) -> None:
        """facts() draws a text field's default (the requester's role 'agent'), which random text never spells."""
        fact = find(facts("leave_request"), lambda f: f.requester_role == "agent", settings=SEARCH)
        assert fact.requester_role == "agent"

    def test_a_flipped_comparison_is_caught(self, tmp_path: Path) -> None:
        """A property over facts_for finds a copy of call_centre whose head approves leave longer than a day."""
        broken = tmp_path / "broken"
        shutil.copytree(CALL_CENTRE, broken)
        leave = broken / "leave.yaml"
        right = '        - {kind: compare, path: days, op: "<=", param: head_max_days}\n'
        text = leave.read_text(encoding="utf-8")
        assert text.count(right) == 1
        leave.write_text(text.replace(right, right.replace('"<="', '">"')), encoding="utf-8")
        pack = load_pack(str(broken))
        engine = pack.engine()

        @SEARCH
        @given(facts_for(pack.policy("leave")))
        def head_approves_only_short_leave(fact: Any) -> None:
            decision = engine.evaluate(fact, now=fact.requested_at)
            if "ATT-2.department-head" in decision.rule_ids:
                assert fact.days <= 1

        with pytest.raises(AssertionError):
            head_approves_only_short_leave()


class TestAssertionsFailOnRuleErrors:
    """A rule that failed fails every assertion helper unless allowed."""

    def test_effects_after_fails_naming_the_rule_and_step(self) -> None:
        """assert_effects_after fails on a decision whose holiday rules failed, naming them and the step."""
        keys = list(ENGINE.evaluate(LEAVE, fact_type="leave_request", now=LEAVE_NOW).effect_keys)

        def sink(fact: Any) -> Any:
            return ENGINE.evaluate(fact, fact_type="leave_request", now=LEAVE_NOW)

        with pytest.raises(AssertionError, match=r"step 1: rule call_centre.leave/ATT-6.holiday-notice failed"):
            assert_effects_after(sink, [LEAVE], expect=keys)
        assert len(assert_effects_after(sink, [LEAVE], expect=keys, allow_errors=True)) == 1

    def test_effects_after_reads_step_errors_of_every_step(self) -> None:
        """An earlier step's rule error fails the assertion even when only the last step's effects are checked."""
        failed = SimpleNamespace(effect_keys=(), errors=(RuleError("p", "LADDER-1", "boom"),))
        clean = SimpleNamespace(effect_keys=("violation:X",), errors=())
        steps = iter([failed, clean])
        with pytest.raises(AssertionError, match=r"step 1: rule p/LADDER-1 failed: boom"):
            assert_effects_after(lambda _: next(steps), ["a", "b"], violates="X")

    def test_assert_decision_names_failed_rules_and_can_allow_them(self) -> None:
        """assert_decision names each failed rule, and allow_errors=True checks the rules that ran."""
        decision = ENGINE.evaluate(LEAVE, fact_type="leave_request", now=LEAVE_NOW)
        with pytest.raises(AssertionError, match=r"ATT-6\.holiday-approval failed"):
            assert_decision(ENGINE, LEAVE, fact_type="leave_request", now=LEAVE_NOW, expect=decision.effect_keys)
        assert_decision(ENGINE, LEAVE, fact_type="leave_request", now=LEAVE_NOW, expect=decision.effect_keys,
                        allow_errors=True)


class TestEmptyInputIsRefused:
    """impact and audit refuse input that holds nothing, naming the file."""

    @pytest.mark.parametrize("content", ["", "\n  \n"], ids=["empty", "blank"])
    def test_impact_refuses_an_empty_records_file(self, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  content: str) -> None:
        """An empty RECORDS file exits 2 naming it, and writes no report saying nothing changed."""
        records = tmp_path / "empty.jsonl"
        records.write_text(content, encoding="utf-8")
        out = tmp_path / "out"
        code, stdout, err = cli(capsys, "impact", "call_centre", "call_centre", str(records), "-o", str(out))
        assert code == 2
        assert f"{records}: the file is empty" in err
        assert "No decision changes" not in stdout
        assert not (out / "impact.md").exists()

    def test_impact_reads_a_log_just_rotated(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """An empty log whose history sits in its rotated part is judged, not refused as empty."""
        records = tmp_path / "facts.jsonl"
        records.write_text("", encoding="utf-8")
        (tmp_path / "facts.jsonl.1").write_text(json.dumps(TestAuditColumns.ROW) + "\n", encoding="utf-8")
        code, stdout, _ = cli(capsys, "impact", "call_centre", "call_centre", str(records), "--fact-type",
                              "leave_request", "--now", "2026-03-01T20:00:00+08:00", "-o", str(tmp_path / "out"))
        assert code == 0
        assert "1 historical fact judged under both" in stdout

    def test_audit_refuses_a_header_only_csv(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A CSV of column names alone exits 2 naming the file, never "0 rows audited"."""
        data = tmp_path / "leave.csv"
        data.write_text("agent_id,kind,start,end,requested_at,requested_by\n", encoding="utf-8")
        code, out, err = cli(capsys, "audit", "call_centre", str(data), "--fact-type", "leave_request",
                             "--now", "2026-03-01T20:00:00+08:00", "--workers", "1", "-o", str(tmp_path / "out"))
        assert code == 2
        assert f"{data}: the file holds no rows" in err
        assert "rows audited" not in out


class TestAuditColumns:
    """Columns that are no field of the fact model."""

    ROW: ClassVar[dict[str, str]] = {"agent_id": "A01", "kind": "personal", "start": "2026-03-02T08:30:00+08:00",
           "end": "2026-03-02T16:30:00+08:00", "requested_at": "2026-03-01T20:00:00+08:00", "requested_by": "A01"}

    def write(self, tmp_path: Path, **extra: str) -> Path:
        """A one-row CSV of a leave request with ``extra`` columns."""
        row = {**self.ROW, **extra}
        path = tmp_path / "leave.csv"
        path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
        return path

    def test_misspelt_column_is_refused_with_the_field_meant(self, capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
        """A column manager_aproved exits 2 naming it and manager_approved, not judged as if no one approved."""
        data = self.write(tmp_path, manager_aproved="true")
        code, _, err = cli(capsys, "audit", "call_centre", str(data), "--fact-type", "leave_request",
                           "--now", "2026-03-01T20:00:00+08:00", "--workers", "1", "-o", str(tmp_path / "out"))
        assert code == 2
        assert "column 'manager_aproved' (did you mean 'manager_approved'?) is not a field" in err

    def test_extra_team_and_where_columns_ride_along(self, tmp_path: Path) -> None:
        """Columns listed as extra, the team column and a column --where names are audited beside the fields."""
        data = self.write(tmp_path, team="north", export_id="E1", batch="b1")
        with pytest.raises(AuditError, match="'export_id'"):
            audit(PACK, [str(data)], fact_type="leave_request", now=LEAVE_NOW, workers=1, where="batch = 'b1'")
        result = audit(PACK, [str(data)], fact_type="leave_request", now=LEAVE_NOW, workers=1,
                       where="batch = 'b1'", extra_columns=["export_id"])
        assert result.summary.input_rows == 1


class TestFarDatesAndHugeNumbers:
    """Facts that overflow a date-time are csrules errors naming the rule or field."""

    CALLBACK: ClassVar[dict[str, str]] = {"customer": "Ms Li", "created_at": "9999-12-30T00:00:00+00:00"}

    def test_due_time_past_year_9999_names_rule_and_field(self) -> None:
        """A callback created in 9999 is a TimeError naming the rule and created_at, not an OverflowError."""
        with pytest.raises(TimeError, match=r"CB-1\.due.*created_at \(9999-12-30"):
            _ = ENGINE.evaluate(self.CALLBACK, fact_type="callback_task",
                                now=datetime.fromisoformat("9999-12-30T12:00:00+00:00")).effect_keys

    def test_cli_says_it_in_one_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules explain exits 2 with the error, no traceback."""
        code, _, err = cli(capsys, "explain", "call_centre", json.dumps(self.CALLBACK), "--fact-type",
                           "callback_task", "--now", "9999-12-30T12:00:00+00:00")
        assert code == 2
        assert "Traceback" not in err
        assert "falls past the years 1 to 9999" in err

    def test_huge_minutes_are_named(self) -> None:
        """A minutes count no duration holds is blamed on its field, not on a date-time."""
        fact = {"agent_id": "A01", "shift_start": "2026-03-10T08:30:00+08:00",
                "shift_end": "2026-03-10T16:30:00+08:00", "arrived_at": "2026-03-10T08:20:00+08:00",
                "away_minutes": 99999999999999999999}
        with pytest.raises(FactError) as caught:
            ENGINE.evaluate(fact, fact_type="attendance_record", now=LEAVE_NOW)
        assert list(caught.value.problems) == [("away_minutes", "too large to reckon with (got 99999999999999999999)")]

    def test_array_item_is_named_in_json_words(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An array of numbers given as the fact says a number, item 1 of the array, not 'int'."""
        code, _, err = cli(capsys, "explain", "call_centre", "[1, 2]", "--fact-type", "attendance_record",
                           "--now", "2026-03-10T17:00:00+08:00")
        assert code == 2
        assert "a fact is a JSON object, not a number (item 1 of the array)" in err


class TestClockNotice:
    """eval says it judged by the clock only of facts that had no now of their own."""

    ORDER: ClassVar[dict[str, str]] = {"order_id": "W1", "opened_at": "2026-03-01T00:00:00+08:00",
                                       "first_handler": "A01", "owner": "A01", "complainant": "x", "content": "y"}

    def run(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, *records: dict[str, Any]) -> str:
        """stderr of csrules eval over ``records`` as JSON Lines, without --now."""
        path = tmp_path / "facts.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
        return cli(capsys, "eval", "call_centre", str(path))[2]

    def test_silent_when_every_record_has_its_now(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """Every envelope carries now: no word of the clock."""
        envelope = {"fact_type": "work_order", "now": "2026-03-01T01:00:00+08:00", "fact": self.ORDER}
        assert "by the clock" not in self.run(capsys, tmp_path, envelope)

    def test_counts_the_facts_judged_by_the_clock(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """One envelope with now and one without: the notice counts the one."""
        dated = {"fact_type": "work_order", "now": "2026-03-01T01:00:00+08:00", "fact": self.ORDER}
        undated = {"fact_type": "work_order", "fact": self.ORDER}
        assert "by the clock (1 fact(s) with no now of their own)" in self.run(capsys, tmp_path, dated, undated)
