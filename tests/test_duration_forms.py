"""Policies and facts read durations in the same forms, with one reading of ``m`` and one error."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import TypeAdapter

from csrules._policy.facts import validate_fact
from csrules._time.durations import (
    ACCEPTED_FORMS,
    CLOCK_FORMS,
    ClockDurationField,
    DurationField,
    WallDuration,
    parse_clock_duration,
)
from csrules.domain.facts import CallRecord
from csrules.exceptions import DurationError, FactError
from tests.test_cli_e2e import csrules, one_line_error

CALL = {"call_id": "C1", "agent_id": "M01", "started_at": "2026-03-10T10:00:00+08:00", "agent_lines": ["您好"]}
POLICY = TypeAdapter(DurationField)
FACT = TypeAdapter(ClockDurationField)

SAME = [
    ("3m", timedelta(minutes=3)),
    ("3min", timedelta(minutes=3)),
    ("3 minutes", timedelta(minutes=3)),
    ("PT3M", timedelta(minutes=3)),
    ("90s", timedelta(seconds=90)),
    ("1d", timedelta(days=1)),
    ("P1D", timedelta(days=1)),
    ("30min", timedelta(minutes=30)),
    ("1 week 2 days", timedelta(days=9)),
    ("PT180S", timedelta(minutes=3)),  # what a fact's duration serialises to in JSON
]
REFUSED = ["P3M", "P1Y", "3 months", "3mo", "1 year", "soon", "", "-PT1S"]


class TestOneSetOfForms:
    @pytest.mark.parametrize(("text", "delta"), SAME)
    def test_policy_and_fact_read_the_same(self, text, delta):
        """Each clock form means the same span in a policy duration and in a fact's duration."""
        assert POLICY.validate_python(text) == WallDuration(delta)
        assert FACT.validate_python(text) == delta
        assert CallRecord.model_validate({**CALL, "duration": text}).duration == delta

    def test_m_is_minutes_in_every_spelling(self):
        """"3m", "3M" and "PT3M" are three minutes; the one reading of m, in policies and facts."""
        for text in ("3m", "3M", "PT3M", "pt3m"):
            assert parse_clock_duration(text) == timedelta(minutes=3)
            assert POLICY.validate_python(text) == WallDuration(timedelta(minutes=3))

    @pytest.mark.parametrize("text", REFUSED)
    def test_one_error_for_what_neither_reads(self, text):
        """Months, years, negatives and words are refused alike, the error listing the accepted
        forms: a fact's lists clock time only (facts refuse business time), a policy's both."""
        with pytest.raises(DurationError) as in_fact:
            parse_clock_duration(text)
        with pytest.raises(ValueError, match="accepted forms") as in_policy:
            POLICY.validate_python(text)
        assert CLOCK_FORMS in str(in_fact.value)
        assert "business" not in str(in_fact.value)
        assert ACCEPTED_FORMS in str(in_policy.value)
        assert '"m" is minutes; months and years have no fixed length' in str(in_fact.value)

    def test_fact_error_speaks_of_forms_not_of_days(self):
        """A fact's unreadable duration is a FactError quoting the value and the forms, not pydantic's "day"."""
        with pytest.raises(FactError) as caught:
            validate_fact(CallRecord, {**CALL, "duration": "P3M"})
        message = str(caught.value)
        assert "duration: cannot read 'P3M' as a duration; accepted forms:" in message
        assert "day" not in message.split("accepted forms")[0]
        assert "Value error" not in message

    def test_business_time_and_numbers_are_not_a_fact_duration(self):
        """A fact's duration is clock time: business durations and bare numbers are refused, saying why."""
        with pytest.raises(DurationError, match="needs a business calendar"):
            parse_clock_duration("3 business days")
        with pytest.raises(DurationError, match="accepted forms"):
            parse_clock_duration(180)  # type: ignore[arg-type]
        assert parse_clock_duration(timedelta(seconds=5)) == timedelta(seconds=5)


class TestOnTheCommandLine:
    def test_short_form_in_a_fact_is_judged(self):
        """eval reads "duration": "3m" in a fact as the policy files would: judged, not refused."""
        fact = json.dumps({**CALL, "duration": "3m"})
        result = csrules(
            "eval", "mall", "--fact-type", "call_record", "--now", "2026-03-10T12:00:00+08:00", stdin=fact,
            imports=False,
        )
        assert result.returncode in (0, 1), result.stderr
        assert json.loads(result.stdout)["outcome"] in ("clean", "violation", "needs_approval")

    def test_months_in_a_fact_is_one_line_listing_the_forms(self):
        """"P3M" in a fact exits 2 with file:line and the accepted forms."""
        fact = json.dumps({**CALL, "duration": "P3M"})
        result = csrules("eval", "mall", "--fact-type", "call_record", stdin=fact, imports=False)
        one_line_error(result)
        assert "<stdin>:1: bad fact: invalid call_record fact: duration: cannot read 'P3M'" in result.stderr
        assert "accepted forms" in result.stderr
