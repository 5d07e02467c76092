"""Fact screening by kind of value, finite numbers in every fact type, part-day leave on clock-change days."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from csrules import Engine, FactError, PolicyError
from csrules._policy.facts import register_fact_type, validate_fact
from csrules._policy.loader import loads_policy
from csrules.audit import audit
from csrules.domain.facts import Fact, LeaveRequest, Order, build_fact
from csrules.policies import load_pack

np = pytest.importorskip("numpy")

ORDER = {"order_no": "O1", "placed_at": "2026-03-10T10:00:00+08:00", "amount": 10}
UNIX = 1773108000  # 2026-03-10 02:00 UTC


class Step(BaseModel):
    """A nested step of a host fact, a plain pydantic model."""

    cost: float


@register_fact_type(name="fixtypes_refund")
class Refund(BaseModel):
    """A host's fact type that is a plain pydantic model, not a Fact."""

    amount: float
    steps: list[Step] = []
    estimate: float = Field(0.0, allow_inf_nan=True)


class HostRefund(Fact):
    """A host's own Fact subclass with a plain float field, not registered."""

    amount: float


REFUND_POLICY = loads_policy(
    """
id: fixtypes-refund
version: "1"
title: {en: Refunds, zh: 退款}
fact_type: fixtypes_refund
rules:
  - id: REF-1
    title: {en: big refunds, zh: 大額退款}
    when: {kind: compare, path: amount, op: ">", value: 100}
    then:
      - {type: violation, code: REF-1, message: {en: big, zh: 大}}
""",
    name="refund.yaml",
)


class TestInstantsRefuseEveryNumber:
    """A date-time field refuses a number of any type, not only Python's int and float."""

    @pytest.mark.parametrize(
        "value",
        [np.float64(UNIX), np.int64(UNIX), np.int32(17731080), Decimal(UNIX), Fraction(UNIX), b"1773108000",
         bytearray(b"1773108000"), np.bool_(True)],
        ids=["float64", "int64", "int32", "Decimal", "Fraction", "bytes", "bytearray", "numpy-bool"],
    )
    def test_number_is_not_a_date_time(self, value: Any) -> None:
        """The value is refused with the date-time message, never read as Unix time."""
        for field in ("placed_at", "paid_at"):
            with pytest.raises(FactError, match=f"{field}: a date-time is ISO 8601 text with an offset"):
                build_fact(Order, {**ORDER, field: value})

    def test_engine_refuses_too(self) -> None:
        """The engine's own path for a dict fact refuses a numpy number for a date-time."""
        engine = load_pack("call_centre").engine()
        with pytest.raises(FactError, match="start: a date-time"):
            engine.evaluate({"agent_id": "A1", "kind": "sick", "requested_by": "A1", "start": np.float64(UNIX),
                             "end": "2026-03-11T08:30:00+08:00", "requested_at": "2026-03-09T08:00:00+08:00"},
                            fact_type="leave_request", now=datetime(2026, 3, 12, tzinfo=UTC))

    def test_iso_bytes_and_timestamps_still_read(self) -> None:
        """ISO 8601 bytes and datetime values are still date-times."""
        placed = build_fact(Order, {**ORDER, "placed_at": b"2026-03-10T10:00:00+08:00"}).placed_at
        assert placed == datetime(2026, 3, 10, 2, tzinfo=UTC)


class TestNumbersRefuseNumpyBools:
    """A number field refuses numpy's yes/no value as it refuses Python's."""

    @pytest.mark.parametrize("field", ["amount", "quantity"])
    @pytest.mark.parametrize("value", [np.bool_(True), np.bool_(False)], ids=["true", "false"])
    def test_numpy_bool_is_not_a_number(self, field: str, value: Any) -> None:
        """np.bool_ is refused, not read as 1 or 0."""
        with pytest.raises(FactError, match=f"{field}: a number is expected, not a yes/no value"):
            build_fact(Order, {**ORDER, field: value})

    def test_numpy_numbers_still_read(self) -> None:
        """numpy integers and floats are numbers still."""
        order = build_fact(Order, {**ORDER, "amount": np.float64(3.5), "quantity": np.int64(3)})
        assert (order.amount, order.quantity) == (3.5, 3)


class TestFiniteNumbersInEveryFactType:
    """inf, nan and text reading as infinite are refused in every fact type's numbers."""

    @pytest.mark.parametrize("value", ["inf", float("nan"), "1e400", float("-inf")])
    def test_fact_subclass_refuses(self, value: Any) -> None:
        """A host's Fact subclass refuses them, built directly or with build_fact."""
        with pytest.raises(FactError, match="amount: not a finite number"):
            build_fact(HostRefund, {"amount": value})
        with pytest.raises(ValidationError):
            HostRefund(amount=value)

    @pytest.mark.parametrize("value", ["inf", float("nan"), "1e400"])
    def test_registered_model_refuses(self, value: Any) -> None:
        """A registered plain model refuses them at the top and in a nested model."""
        with pytest.raises(FactError, match="amount: not a finite number"):
            validate_fact(Refund, {"amount": value})
        with pytest.raises(FactError, match=r"steps\.0\.cost: not a finite number"):
            validate_fact(Refund, {"amount": 1, "steps": [{"cost": value}]})

    def test_engine_refuses_registered_model(self) -> None:
        """The engine's direct validation of a dict refuses them as well."""
        engine = Engine([REFUND_POLICY])
        assert engine.evaluate({"amount": 500}).rule_ids == ("REF-1",)
        with pytest.raises(FactError, match="amount: not a finite number"):
            engine.evaluate({"amount": "inf"})

    def test_audit_refuses_as_the_engine(self) -> None:
        """An audit refuses an infinite amount in a float column, and judges finite ones per column."""
        rows = [{"amount": 500.0}, {"amount": float("inf")}]
        found = audit(Engine([REFUND_POLICY]), rows, fact_type="fixtypes_refund", workers=1).decisions
        assert found is not None
        assert [(r["row"], r["rule"], r["message"]) for r in found.to_pylist()] == [
            (1, "REF-1", None), (2, None, "not a finite number (got inf)")]

    def test_a_failed_rebuild_leaves_the_model_as_it_was(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """When the model cannot be rebuilt, registration says so and the model still validates."""

        class Late(BaseModel):
            """A plain model whose rebuild fails."""

            amount: float

        def fail(*args: Any, **kwargs: Any) -> None:
            Late.__pydantic_validator__ = None  # type: ignore[assignment]  # as a rebuild leaves it half done
            raise NameError("Missing")

        monkeypatch.setattr(Late, "model_rebuild", fail)
        with pytest.raises(PolicyError, match=r"Late could not be rebuilt.*set allow_inf_nan"):
            register_fact_type(Late, name="fixtypes_late")
        assert Late(amount=2).amount == 2.0
        assert "allow_inf_nan" not in Late.model_config

    def test_a_field_s_own_choice_is_kept(self) -> None:
        """A field that allows inf itself keeps that choice."""
        assert validate_fact(Refund, {"amount": 1, "estimate": "inf"}).estimate == float("inf")  # type: ignore[attr-defined]


LONDON_SICK = {"agent_id": "A01", "kind": "sick", "requested_by": "A01", "time_zone": "Europe/London"}


def _shift(day: str, end_offset: str = "+00:00") -> dict[str, Any]:
    """A London sick leave of the shift 00:30-08:30 local on ``day`` (clocks still on GMT at 00:30)."""
    return {**LONDON_SICK, "start": f"{day}T00:30:00+00:00", "end": f"{day}T08:30:00{end_offset}",
            "requested_at": f"{day}T00:00:00+00:00"}


class TestPartDayLeaveOnClockChanges:
    """A part-day leave's share reads the wall clock, as whole days do."""

    def test_whole_shift_on_spring_forward_is_a_day(self) -> None:
        """The 00:30-08:30 shift missed is one day on 29 March 2026 as on 22 March."""
        assert build_fact(LeaveRequest, _shift("2026-03-22")).days == 1.0
        assert build_fact(LeaveRequest, _shift("2026-03-29", "+01:00")).days == 1.0

    def test_autumn_wall_clock_hours(self) -> None:
        """On 25 October 2026, 01:30 BST to 08:30 GMT is seven hours of clock: 0.875 day."""
        assert build_fact(LeaveRequest, _shift("2026-10-25")).days == 0.875

    def test_inside_the_repeated_hour_reads_real_time(self) -> None:
        """01:50 BST to 01:10 GMT runs the wall clock back: its twenty real minutes are read."""
        fact = {**LONDON_SICK, "start": "2026-10-25T00:50:00+00:00", "end": "2026-10-25T01:10:00+00:00",
                "requested_at": "2026-10-25T00:00:00+00:00"}
        assert build_fact(LeaveRequest, fact).days == pytest.approx(20 / 480)

    def test_audit_agrees_with_engine(self) -> None:
        """The columnar audit finds the certificate rule of a full day, and of no part day, as the engine does."""
        pack = load_pack("call_centre")
        two_hours = {**_shift("2026-03-22"), "end": "2026-03-22T02:30:00+00:00"}
        facts = [_shift("2026-03-29", "+01:00"), _shift("2026-03-22"), _shift("2026-10-25"), two_hours]
        now = datetime(2026, 11, 30, tzinfo=UTC)
        engine = pack.engine()
        expected = [(row, rule) for row, fact in enumerate(facts, 1)  # audit rows count from 1
                    for rule in engine.evaluate(fact, fact_type="leave_request", now=now).rule_ids]
        assert (1, "ATT-4.certificate-missing") in expected
        assert (3, "ATT-4.certificate-missing") not in expected
        assert (4, "ATT-4.certificate-missing") not in expected
        table = audit(pack, facts, fact_type="leave_request", now=now, workers=1, columnar=True).decisions
        assert table is not None
        found = list(dict.fromkeys(zip(table.column("row").to_pylist(), table.column("rule").to_pylist(),
                                       strict=True)))
        assert found == expected
