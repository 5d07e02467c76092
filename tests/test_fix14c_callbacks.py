"""CB-1.rest-hours reads the whole call: one running into the customer's rest hours disturbs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csrules import FactError
from csrules.domain.facts import CallbackTask
from csrules.policies import load_pack
from tests.columnar_support import assert_same

CALL_CENTRE = load_pack("call_centre").engine()
NOW = datetime(2026, 3, 11, 9, tzinfo=UTC)


def _task(called_at: str | None = "2026-03-10T11:50:00+08:00", duration: str | timedelta | None = "PT15M",
          **changes: Any) -> dict[str, Any]:
    fact = {"customer": "Ms Li", "created_at": "2026-03-10T10:00:00+08:00", "called_at": called_at,
            "duration": duration, "rest_from": "12:00", "rest_to": "14:00", "record_complete": True}
    fact.update(changes)
    return {key: value for key, value in fact.items() if value is not None}


class TestCallSpan:
    """The call from called_at for its duration overlaps the rest hours (避免在客戶休息時打擾客戶)."""

    @pytest.mark.parametrize(("called_at", "duration", "during"), [
        ("2026-03-10T11:50:00+08:00", "PT15M", True),  # runs five minutes into the rest
        ("2026-03-10T11:50:00+08:00", "PT10M", False),  # ends as the rest begins
        ("2026-03-10T11:50:00+08:00", "PT10M0.000001S", True),
        ("2026-03-10T03:50:00Z", "PT15M", True),  # the same instant, written in UTC
        ("2026-03-10T11:50:00+08:00", None, False),  # no duration: the start alone
        ("2026-03-10T13:59:00+08:00", "PT0S", True),
        ("2026-03-10T14:00:00+08:00", "PT3H", False),  # after the rest, ended before the next
        ("2026-03-10T14:00:00+08:00", "PT22H1M", True),  # into the next day's rest
        ("2026-03-10T10:00:00+08:00", "P2D", True),
    ])
    def test_during_rest(self, called_at: str, duration: str | None, during: bool):
        assert CallbackTask.model_validate(_task(called_at, duration)).during_rest is during

    def test_rest_across_midnight(self):
        late = _task("2026-03-10T21:45:00+08:00", "PT20M", rest_from="22:00", rest_to="08:00")
        assert CallbackTask.model_validate(late).during_rest is True
        assert CallbackTask.model_validate({**late, "duration": "PT15M"}).during_rest is False

    def test_empty_rest_hours_are_never_reached(self):
        empty = _task(duration="P3D", rest_from="12:00", rest_to="12:00")
        assert CallbackTask.model_validate(empty).during_rest is False

    def test_rule_flags_a_call_running_into_the_rest(self):
        assert "CB-1.rest-hours" in CALL_CENTRE.evaluate(_task(), fact_type="callback_task", now=NOW).rule_ids
        short = CALL_CENTRE.evaluate(_task(duration="PT10M"), fact_type="callback_task", now=NOW)
        assert "CB-1.rest-hours" not in short.rule_ids

    def test_a_negative_call_is_refused(self):
        """A call lasting a negative time is refused, as a call record's is (it reached no rest hours)."""
        with pytest.raises(FactError, match="a call cannot last a negative time"):
            CALL_CENTRE.evaluate(_task(duration=timedelta(minutes=-5)), fact_type="callback_task", now=NOW)
        facts = [_task(duration=timedelta(minutes=m)) for m in (-5, 0, 10, 15)]
        assert_same(CALL_CENTRE, "callback_task", facts)

    def test_columnar_audit_agrees(self):
        spans = [None, "PT0S", "PT10M", "PT10M0.000001S", "PT15M", "PT3H", "PT22H1M", "P1D", "P2D"]
        starts = ["2026-03-10T11:50:00+08:00", "2026-03-10T03:50:00Z", "2026-03-10T14:00:00+08:00",
                  "2026-03-10T21:45:00+08:00"]
        facts = [_task(start, span, rest_from=rest[0], rest_to=rest[1]) for start in starts for span in spans
                 for rest in (("12:00", "14:00"), ("22:00", "08:00"), ("12:00", "12:00"))]
        facts += [_task(called_at=None), _task(rest_from=None, rest_to=None)]
        assert_same(CALL_CENTRE, "callback_task", facts)
        ny = [{**fact, "time_zone": "America/New_York", "called_at": "2026-03-08T01:30:00-05:00",
               "rest_from": "03:00", "rest_to": "05:00"} for fact in facts[:9]]
        assert_same(CALL_CENTRE, "callback_task", ny)
