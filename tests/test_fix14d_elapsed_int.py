"""An ``elapsed`` reads an int parameter in its unit (minutes, hours, days); ATT-7.late
judges an agent not yet come while the shift runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from csrules import Engine, PolicyError, load_policy
from csrules.policies import load_pack
from tests.columnar_support import assert_same, columnar_rules

CST = timezone(timedelta(hours=8))
SHIFT = {"agent_id": "A01", "shift_start": "2026-03-10T08:30:00+08:00", "shift_end": "2026-03-10T16:30:00+08:00"}

WHEN = '    when: {kind: elapsed, since: shift_start, op: ">=", param: limit}'
POLICY = """\
id: wait
version: "1"
title: {en: Wait, zh: 等待}
fact_type: attendance_record
params:
  limit:
    type: int
    default: 2
    min: 0
    unit: UNIT
rules:
  - id: waited
    title: {en: Waited, zh: 已等待}
WHEN
    then:
      - {type: violation, code: W-1, message: {en: waited, zh: 已等待}}
""".replace("WHEN", WHEN)


def _late(pack_overrides: dict[str, dict[str, int]] | None, now: datetime, **fact: str) -> list[str]:
    engine = load_pack("call_centre", overrides=pack_overrides).engine()
    decision = engine.evaluate({**SHIFT, **fact}, fact_type="attendance_record", now=now)
    return [rule for rule in decision.rule_ids if rule.startswith("ATT-7")]


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 3, 10, 8, 49, 59, tzinfo=CST), []),
    (datetime(2026, 3, 10, 8, 50, tzinfo=CST), ["ATT-7.late"]),
    (datetime(2026, 3, 10, 1, 0, tzinfo=UTC), ["ATT-7.late"]),  # 09:00 +08:00
    (datetime(2026, 3, 10, 16, 29, tzinfo=CST), ["ATT-7.late"]),
    (datetime(2026, 3, 10, 16, 30, tzinfo=CST), ["ATT-7.absent"]),
])
def test_not_come_while_the_shift_runs_is_late(now: datetime, expected: list[str]) -> None:
    """八 遲到二十分鐘及以上: twenty minutes into the shift without an arrival the lateness is certain."""
    assert _late(None, now) == expected


def test_a_company_limit_in_minutes_moves_the_branch() -> None:
    """A company's max_late_minutes (an int) is read as minutes by the missing-arrival branch too."""
    overrides = {"attendance": {"max_late_minutes": 45}}
    assert _late(overrides, datetime(2026, 3, 10, 9, 14, tzinfo=CST)) == []
    assert _late(overrides, datetime(2026, 3, 10, 9, 15, tzinfo=CST)) == ["ATT-7.late"]


def test_explaining_path_agrees_with_the_compiled_one() -> None:
    engine = load_pack("call_centre").engine()
    now = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
    decision = engine.evaluate(SHIFT, fact_type="attendance_record", now=now)
    assert "ATT-7.late" in decision.rule_ids
    assert {t.rule_id for t in decision.trace if t.matched} == set(decision.rule_ids)


def _policy(tmp_path: Path, unit: str) -> Engine:
    path = tmp_path / "wait.yaml"
    path.write_text(POLICY.replace("UNIT", unit), encoding="utf-8")
    return Engine(load_policy(path))


@pytest.mark.parametrize(("unit", "held", "not_yet"), [
    ("minutes", timedelta(minutes=2), timedelta(minutes=2) - timedelta(seconds=1)),
    ("hours", timedelta(hours=2), timedelta(hours=2) - timedelta(seconds=1)),
    ("days", timedelta(days=2), timedelta(days=2) - timedelta(seconds=1)),
])
def test_an_int_parameter_counts_in_its_unit(tmp_path: Path, unit: str, held: timedelta, not_yet: timedelta) -> None:
    engine = _policy(tmp_path, unit)
    start = datetime(2026, 3, 10, 8, 30, tzinfo=CST)
    for span, expected in ((held, ("waited",)), (not_yet, ())):
        decision = engine.evaluate(SHIFT, fact_type="attendance_record", now=start + span)
        assert tuple(decision.rule_ids) == expected
        assert tuple(t.rule_id for t in decision.trace if t.matched) == expected


@pytest.mark.parametrize("unit", ["calls", "seconds"])
def test_another_unit_is_refused_at_its_line(tmp_path: Path, unit: str) -> None:
    with pytest.raises(PolicyError) as caught:
        _policy(tmp_path, unit)
    error = caught.value
    assert error.file is not None
    assert error.file.endswith("wait.yaml")
    assert error.line == POLICY.splitlines().index(WHEN) + 1
    assert f"unit {unit!r}" in str(error)
    assert "minutes, hours, days" in str(error)


def test_a_unitless_int_parameter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wait.yaml"
    path.write_text(POLICY.replace("    unit: UNIT\n", ""), encoding="utf-8")
    with pytest.raises(PolicyError, match="unit None"):
        load_policy(path)


def test_columnar_audit_agrees() -> None:
    """The batch audit reads the int parameter as minutes, as the row engine does."""
    engine = load_pack("call_centre").engine()
    facts = [
        {**SHIFT, "shift_start": "2026-06-01T08:30:00+00:00", "shift_end": "2026-06-01T16:30:00+00:00"},
        {**SHIFT, "shift_start": "2026-06-01T08:45:00+00:00", "shift_end": "2026-06-01T16:30:00+00:00"},
        {**SHIFT, "shift_start": "2026-06-01T08:30:00+00:00", "shift_end": "2026-06-01T08:50:00+00:00"},
    ]
    assert "ATT-7.late" in columnar_rules(engine, "attendance_record", facts)
    assert_same(engine, "attendance_record", facts)
