"""Regression tests for wrong answers found in review of the built-in packs."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import pytest

from csrules.policies import load_pack
from tests.company_support import closure_policy


@pytest.fixture(scope="module")
def call_centre():  # type: ignore[no-untyped-def]
    """The call-centre pack's engine."""
    return load_pack("call_centre").engine()


class TestNightLeaveDuringTheShift:
    """ATT-5: leave asked once the night shift has begun is late, whatever part of the shift it covers."""

    BASE: ClassVar[dict[str, object]] = {
        "agent_id": "A01",
        "kind": "personal",
        "requested_by": "A01",
        "night_shift": True,
        "shift_start": "2026-03-05T00:00:00+08:00",
        "start": "2026-03-05T04:00:00+08:00",
        "end": "2026-03-05T08:00:00+08:00",
    }

    @pytest.mark.parametrize("asked", ["2026-03-05T02:00:00+08:00", "2026-03-04T18:00:00+00:00"])
    def test_leave_for_later_hours_asked_during_the_shift_is_late(self, call_centre, asked) -> None:  # type: ignore[no-untyped-def]
        """Leave for 04:00-08:00 of a shift that began at 00:00, asked at 02:00 (in any offset), breaks ATT-5."""
        decision = call_centre.evaluate(
            self.BASE | {"requested_at": asked}, fact_type="leave_request", now=datetime.fromisoformat(asked)
        )
        assert "ATT-5" in decision.violation_codes

    def test_leave_asked_before_the_shift_began_is_on_time(self, call_centre) -> None:  # type: ignore[no-untyped-def]
        """The same leave asked the morning before, before noon, is on time."""
        asked = "2026-03-04T11:00:00+08:00"
        decision = call_centre.evaluate(
            self.BASE | {"requested_at": asked}, fact_type="leave_request", now=datetime.fromisoformat(asked)
        )
        assert "ATT-5" not in decision.violation_codes


def _acme(root, version: str, closures: list[str]):  # type: ignore[no-untyped-def]
    """A company pack ``acme`` (``version``) whose own calendar closes on ``closures``."""
    folder = root / f"acme_{version}"
    folder.mkdir()
    days = ", ".join(closures)
    (folder / "pack.yaml").write_text(
        f'name: acme\ntitle: {{en: Acme, zh: 阿克米}}\nversion: "{version}"\nextends: call_centre\n'
        f"calendar: {{name: acme-office, closures: [{days}]}}\npolicies: [closure.yaml]\n",
        encoding="utf-8",
    )
    (folder / "closure.yaml").write_text(closure_policy(calendar="acme-office"), encoding="utf-8")
    return folder


CLOSURE_LEAVE = {
    "agent_id": "A01",
    "kind": "personal",
    "start": "2026-12-24T08:30:00+08:00",
    "end": "2026-12-24T16:30:00+08:00",
    "requested_at": "2026-12-20T09:00:00+08:00",
    "requested_by": "A01",
}
CLOSURE_NOW = datetime.fromisoformat("2026-12-20T09:00:00+08:00")


class TestTwoVersionsOfAPackCalendar:
    """Two versions of a company pack whose calendars share a name each judge by their own days."""

    @pytest.fixture
    def packs(self, tmp_path):  # type: ignore[no-untyped-def]
        """Version 1 closes on Christmas Eve, version 2 does not; both loaded in one process."""
        from csrules.time import registered_time

        with registered_time():
            yield load_pack(_acme(tmp_path, "1", ["2026-12-24"])), load_pack(_acme(tmp_path, "2", []))

    def test_the_first_version_keeps_its_closure_after_the_second_loads(self, packs) -> None:  # type: ignore[no-untyped-def]
        """An engine of version 1 built after version 2 was loaded still sends closure-day leave to the director."""
        old, new = packs
        before = old.engine().evaluate(CLOSURE_LEAVE, fact_type="leave_request", now=CLOSURE_NOW)
        after = new.engine().evaluate(CLOSURE_LEAVE, fact_type="leave_request", now=CLOSURE_NOW)
        assert "ACME-1" in before.rule_ids
        assert "ACME-1" not in after.rule_ids

    def test_a_changed_calendar_changes_the_hash_of_the_policies_reading_it(self, packs) -> None:  # type: ignore[no-untyped-def]
        """The policy naming the calendar has another content hash; a replay says the policies differ."""
        from csrules.records import replay

        old, new = packs
        assert old.policy("closure").content_hash != new.policy("closure").content_hash
        record = old.engine().evaluate(CLOSURE_LEAVE, fact_type="leave_request", now=CLOSURE_NOW).record()
        assert replay(record, new.engine()).status == "other_policies"

    def test_the_diff_names_the_changed_closures(self, packs) -> None:  # type: ignore[no-untyped-def]
        """The pack diff lists the calendar's closure removed, under the calendar's own name."""
        from csrules._docs.diff import pack_changes

        old, new = packs
        assert ("calendar", "closures", "− 2026-12-24", "—") in pack_changes(old, new)

    def test_texts_show_the_calendar_by_its_name(self, packs) -> None:  # type: ignore[no-untyped-def]
        """Explanations and the registry's name list show ``acme-office``, never its pinned form."""
        from csrules.time import calendar_names, get_calendar

        old, _ = packs
        decision = old.engine().evaluate(CLOSURE_LEAVE, fact_type="leave_request", now=CLOSURE_NOW)
        assert "in the acme-office calendar" in decision.trace.render("en")
        assert "@" not in decision.trace.render("en")
        assert all("@" not in name for name in calendar_names())
        assert get_calendar("acme-office").closures == ()  # the plain name: the last one loaded


class TestDirBeforeFirstRead:
    """``dir(csrules)`` lists ``__version__`` before anything read it (a fresh interpreter)."""

    def test_version_is_listed_in_a_fresh_interpreter(self) -> None:
        """A new process that only imports csrules sees ``__version__`` in ``dir``."""
        import subprocess
        import sys

        code = "import csrules; print('__version__' in dir(csrules))"
        shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert shown.strip() == "True"


class TestPinnedCalendarsTravel:
    """An engine of a pack with its own calendar rebuilds in another process with that calendar."""

    def test_an_unpickled_engine_judges_by_the_packs_closures(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """A fresh interpreter that never loaded the pack unpickles its engine and sees the closure."""
        import pickle
        import subprocess
        import sys

        from csrules.time import registered_time

        with registered_time():
            engine = load_pack(_acme(tmp_path, "1", ["2026-12-24"])).engine()
            (tmp_path / "engine.pkl").write_bytes(pickle.dumps(engine))
        code = (
            "import json, pickle, sys\nfrom datetime import datetime\n"
            "engine = pickle.loads(open(sys.argv[1], 'rb').read())\n"
            "fact = json.loads(sys.argv[2])\n"
            "now = datetime.fromisoformat(sys.argv[3])\n"
            "print(' '.join(engine.evaluate(fact, fact_type='leave_request', now=now).rule_ids))\n"
        )
        import json

        args = [sys.executable, "-c", code, str(tmp_path / "engine.pkl"), json.dumps(CLOSURE_LEAVE)]
        args.append(CLOSURE_NOW.isoformat())
        shown = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        assert "ACME-1" in shown.split()

    def test_a_calendar_that_does_not_match_its_pinned_name_is_refused(self) -> None:
        """Adopting a calendar under a pinned name made from other content raises naming it."""
        from csrules._time.registry import adopt_pinned_calendar
        from csrules.exceptions import PolicyError
        from csrules.time import BusinessCalendar

        office = BusinessCalendar(timezone="Asia/Shanghai", hours={"mon-fri": "09:00-18:00"})
        with pytest.raises(PolicyError, match="acme-office@000000000000"):
            adopt_pinned_calendar("acme-office@000000000000", office)


class TestFiniteInsideRecords:
    """Registration refuses inf and nan in floats reachable only through a TypedDict, NamedTuple or dataclass."""

    @pytest.mark.parametrize("kind", ["typeddict", "namedtuple", "dataclass"])
    def test_nan_inside_a_record_field_is_refused(self, kind: str) -> None:
        """A fact whose only float sits inside a record-typed field refuses nan naming the field."""
        import dataclasses
        import math
        from typing import NamedTuple

        from pydantic import BaseModel
        from typing_extensions import TypedDict

        from csrules import Engine, Policy, register_fact_type
        from csrules.exceptions import FactError

        class AmountDict(TypedDict):
            value: float

        class AmountTuple(NamedTuple):
            value: float

        @dataclasses.dataclass
        class AmountData:
            value: float

        holder = {"typeddict": AmountDict, "namedtuple": AmountTuple, "dataclass": AmountData}[kind]

        class Refund(BaseModel):
            amount: holder  # type: ignore[valid-type]
            order: str

        name = f"lead_refund_{kind}"
        register_fact_type(Refund, name=name)
        policy = Policy.model_validate({
            "id": f"lead.{kind}", "version": "1", "title": "t", "fact_type": name,
            "rules": [{"id": "r", "title": "r", "when": {"kind": "compare", "path": "order", "op": "==", "value": "A1"},
                       "then": [{"type": "approval", "role": "manager"}]}],
        })
        amount = {"value": math.nan} if kind != "namedtuple" else (math.nan,)
        with pytest.raises(FactError, match="not a finite number"):
            Engine(policy).evaluate({"amount": amount, "order": "A1"})


class TestFilledTextInItsScript:
    """A Chinese template's filled values are written in the template's own script."""

    def test_a_traditional_template_gets_traditional_values(self) -> None:
        """``超過{limit}`` filled with ``12小时`` reads ``超過12小時``: one script in one message."""
        from csrules._policy.model import Text

        filled = Text(en="more than {limit}", zh="超過{limit}").fill({"limit": "12 hours"}, {"limit": "12小时"})
        assert filled.zh == "超過12小時"
        assert filled.en == "more than 12 hours"

    def test_a_simplified_template_keeps_simplified_values(self) -> None:
        """``超过{limit}`` keeps ``12小时``."""
        from csrules._policy.model import Text

        filled = Text(en="more than {limit}", zh="超过{limit}").fill({"limit": "12 hours"}, {"limit": "12小时"})
        assert filled.zh == "超过12小时"

    def test_a_pack_message_with_a_duration_is_in_one_script(self) -> None:
        """A call-centre message (written in Traditional) reads a 12-hour limit as 12小時, not 12小时."""
        engine = load_pack("call_centre", overrides={"work_order": {"shift_lead_after": "12h"}}).engine()
        fact = {"order_id": "WO-1", "opened_at": "2026-03-10T09:00:00+08:00", "first_handler": "A01", "owner": "A01",
                "owner_role": "agent", "resolved_at": "2026-03-10T22:00:00+08:00"}
        now = datetime.fromisoformat("2026-03-11T09:00:00+08:00")
        decision = engine.evaluate(fact, fact_type="work_order", now=now)
        messages = [v.message.zh for v in decision.violations if v.message is not None]
        assert messages, decision.rule_ids
        assert all("小时" not in message for message in messages)
        assert any("小時" in message for message in messages), messages
