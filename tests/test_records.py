"""Decision records: what they hold, their JSON round trip, their id, their schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

import csrules
from csrules import Engine, Policy, RecordError, loads_policy
from csrules._cli.cli import main
from csrules._engine.record import decision_line
from csrules.policies import PACK_NAMES, load_pack
from csrules.records import DecisionRecord, parse_record, record_schema, subject_field

CST = timezone(timedelta(hours=8))


def leave_example() -> tuple[dict[str, Any], datetime]:
    """The first worked example of call_centre's leave policy (a late personal leave)."""
    rule = load_pack("call_centre").policy("leave").rules[0]
    example = rule.examples[0]
    assert example.fact is not None
    assert example.now is not None
    return example.fact, example.now


def leave_record(**overrides: dict[str, Any]) -> DecisionRecord:
    """The record of the leave example under call_centre with ``overrides``."""
    fact, now = leave_example()
    pack = load_pack("call_centre", overrides=overrides or None)
    return pack.engine().evaluate(fact, now=now, fact_type="leave_request").record()


class TestContent:
    """What a record holds."""

    def test_holds_fact_now_policies_effects(self) -> None:
        """The record keeps the fact as JSON, now with its offset, policies with hashes and
        parameters, the pack, effects and outcome."""
        record = leave_record()
        fact, now = leave_example()
        assert record.fact_type == "leave_request"
        assert record.kind == "decision"
        assert record.fact is not None
        assert record.fact["agent_id"] == fact["agent_id"]
        assert record.now == now
        assert record.now is not None
        assert record.now.utcoffset() == timedelta(hours=8)
        assert '"now":"2026-03-01T20:00:00+08:00"' in record.to_json()
        leave = load_pack("call_centre").policy("leave")
        (policy,) = record.policies
        assert (policy.id, policy.version, policy.content_hash) == (leave.id, leave.version, leave.content_hash)
        assert policy.params["personal_notice"] == "1d"
        assert record.pack is not None
        assert record.pack.name == "call_centre"
        assert record.pack.overrides == {}
        assert record.outcome.value == "violation"
        assert record.effect_keys == ("violation:ATT-1", "approval:department_head")
        assert record.subject == fact["agent_id"]

    def test_overrides_and_parameters_in_force(self) -> None:
        """A tuned pack's record names the override and the value in force; the hash differs."""
        tuned = leave_record(leave={"personal_notice": "2d"})
        stock = leave_record()
        assert tuned.pack is not None
        assert tuned.pack.overrides == {"call_centre.leave": {"personal_notice": "2d"}}
        assert tuned.policies[0].params["personal_notice"] == "2d"
        assert tuned.policies[0].version == stock.policies[0].version
        assert tuned.policies[0].content_hash != stock.policies[0].content_hash
        assert tuned.id != stock.id

    def test_due_times_kept(self) -> None:
        """An obligation's due time is kept as an instant with its offset."""
        pack = load_pack("call_centre")
        found = []
        for policy, rule in pack.rules():
            for example in rule.examples:
                if example.fact is None:
                    continue
                decision = pack.engine().evaluate(example.fact, now=example.now, fact_type=policy.fact_type)
                if any(o.due for o in decision.obligations):
                    found.append((decision, decision.record()))
        assert found, "the pack has an example with a due time"
        decision, record = found[0]
        dues = [e.due for e in record.effects if e.type == "obligation" and e.due]
        assert dues == [o.due for o in decision.obligations if o.due]

    def test_engine_without_pack(self) -> None:
        """An engine built from policies records no pack."""
        fact, now = leave_example()
        engine = Engine(load_pack("call_centre").policy("leave"))
        assert engine.evaluate(fact, now=now, fact_type="leave_request").record().pack is None

    def test_trace_optional(self) -> None:
        """With trace=True the structured and rendered trace are kept; the id is the same."""
        fact, now = leave_example()
        decision = load_pack("call_centre").engine().evaluate(fact, now=now, fact_type="leave_request")
        plain, traced = decision.record(), decision.record(trace=True)
        assert plain.trace is None
        assert plain.explanation is None
        assert traced.trace
        assert traced.explanation == decision.trace.render()
        assert traced.id == plain.id


class TestRoundTrip:
    """JSON in, JSON out."""

    def test_round_trip_equal(self) -> None:
        """A record read back from its JSON equals it, trace included."""
        fact, now = leave_example()
        decision = load_pack("call_centre").engine().evaluate(fact, now=now, fact_type="leave_request")
        for record in (decision.record(), decision.record(trace=True)):
            again = DecisionRecord.model_validate_json(record.to_json())
            assert again == record
            assert again.to_json() == record.to_json()

    def test_frozen(self) -> None:
        """A record cannot be changed in place."""
        record = leave_record()
        with pytest.raises(Exception, match="frozen"):
            record.subject = "B02"  # type: ignore[misc]

    def test_deterministic_id(self) -> None:
        """The same decision made twice gets the same id; another now, another id."""
        fact, now = leave_example()
        engine = load_pack("call_centre").engine()
        first = engine.evaluate(fact, now=now, fact_type="leave_request").record()
        second = engine.evaluate(fact, now=now, fact_type="leave_request").record()
        later = engine.evaluate(fact, now=now + timedelta(minutes=1), fact_type="leave_request").record()
        assert first.id == second.id != later.id
        assert first.id.startswith("rec-")


class TestLogLine:
    """The line a logging engine writes without building the record."""

    def test_same_as_the_record_for_every_example(self) -> None:
        """For every worked example of every pack, at its now, in UTC and in a named zone,
        the fast line is exactly the record's JSON."""
        checked = 0
        for name in PACK_NAMES:
            pack = load_pack(name)
            engine = pack.engine()
            for policy, rule in pack.rules():
                for example in rule.examples:
                    if example.fact is None:
                        continue
                    nows = [example.now] if example.now is None else [
                        example.now, example.now.astimezone(UTC), example.now.astimezone(ZoneInfo("America/New_York"))]
                    for now in nows:
                        decision = engine.evaluate(example.fact, now=now, fact_type=policy.fact_type)
                        line = decision_line(decision)
                        assert line.json == decision.record().to_json()
                        assert line.id == decision.record().id
                        checked += 1
        assert checked > 500

    def test_rule_errors_and_no_pack(self) -> None:
        """A decision with a failed rule and no pack gives the same line as its record."""

        @csrules.register_fact_type(name="records_naive")
        class Naive(BaseModel):
            a: datetime
            b: datetime

        policy = Policy(id="n", version="1", title="t", fact_type="records_naive", rules=[{
            "id": "span", "title": "s", "when": {"kind": "elapsed", "since": "a", "until": "b", "op": ">",
                                                 "duration": "1h"},
            "then": [{"type": "approval", "role": "x"}]}])
        decision = Engine(policy).evaluate(Naive(a=datetime(2026, 1, 1), b=datetime(2026, 1, 2, tzinfo=CST)))
        assert decision.errors
        record = decision.record()
        assert record.errors[0].rule == "span"
        assert decision_line(decision).json == record.to_json()


class TestBadRecords:
    """Data that is not a record, or a record changed since it was written."""

    def test_changed_content_refused(self) -> None:
        """A record whose content no longer matches its id is refused, saying so."""
        data = json.loads(leave_record().to_json())
        data["outcome"] = "clean"
        with pytest.raises(RecordError, match="does not match the record's content"):
            DecisionRecord.model_validate(data)

    def test_not_a_record_names_field(self) -> None:
        """JSON that is not a record is refused naming the field."""
        data = json.loads(leave_record().to_json())
        del data["policies"]
        with pytest.raises(RecordError, match="policies: required field is missing"):
            parse_record(json.dumps(data))
        data = json.loads(leave_record().to_json())
        data["outcome"] = "fine"
        with pytest.raises(RecordError, match="outcome"):
            parse_record(json.dumps(data))

    def test_unknown_field_refused(self) -> None:
        """An unknown field is named."""
        data = {**json.loads(leave_record().to_json()), "colour": "red"}
        with pytest.raises(RecordError, match="colour: unknown field"):
            parse_record(json.dumps(data))

    def test_located_when_read_from_a_file(self) -> None:
        """parse_record with a file and line says where."""
        with pytest.raises(RecordError, match=r"^log.jsonl:7: ") as caught:
            parse_record("{}", file="log.jsonl", line=7)
        assert (caught.value.file, caught.value.line) == ("log.jsonl", 7)

    def test_not_json(self) -> None:
        """Text that is not JSON is a RecordError, not pydantic's error."""
        with pytest.raises(RecordError):
            parse_record("not json")


class TestSchema:
    """The record's JSON Schema."""

    def test_schema_versioned_and_validates_a_record(self) -> None:
        """The schema names its version, and a written record is valid under it."""
        jsonschema = pytest.importorskip("jsonschema")
        schema = record_schema()
        assert schema["$id"].endswith("decision-record-v1.json")
        assert schema["properties"]["schema_version"]["const"] == 1
        jsonschema.validate(json.loads(leave_record().to_json()), schema)

    def test_schema_is_the_committed_one(self) -> None:
        """The record's form is stable: it equals docs/record.schema.json for this version.

        A change of form must raise SCHEMA_VERSION; then write the file again with
        ``csrules schema --record -o docs/record.schema.json``.
        """
        committed = Path(__file__).resolve().parents[1] / "docs" / "record.schema.json"
        assert json.loads(committed.read_text(encoding="utf-8")) == record_schema()

    def test_cli_schema_record(self, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules schema --record prints the record's schema."""
        assert main(["schema", "--record"]) == 0
        assert json.loads(capsys.readouterr().out) == record_schema()

    def test_cli_schema_record_and_kind(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--record with a file kind is refused."""
        assert main(["schema", "--record", "pack"]) == 2
        assert "--record" in capsys.readouterr().err


class TestSubject:
    """Which field is a fact's subject."""

    def test_default_fields_and_hook(self) -> None:
        """A model's __subject__ names its subject; else a known field such as agent_id."""

        class Ticket(BaseModel):
            owner: str

        class Named(BaseModel):
            __subject__ = "owner"
            owner: str

        class Agented(BaseModel):
            agent_id: str

        assert subject_field(Ticket) is None
        assert subject_field(Named) == "owner"
        assert subject_field(Agented) == "agent_id"

    def test_every_builtin_fact_type_with_an_owner_has_a_subject(self) -> None:
        """Every built-in fact type but the complaint step (a session's subject) names one."""
        from csrules._policy.facts import get_fact_type

        names = ["agent", "attendance_record", "call_record", "callback_task", "clock_event", "duty_record",
                 "handover", "leave_request", "order", "qa_review", "report", "shift_assignment", "shift_swap",
                 "sla_clock", "training_record", "work_order"]
        assert [n for n in names if subject_field(get_fact_type(n)) is None] == []
        assert subject_field(get_fact_type("shift_swap")) == "requester.agent_id"

    def test_subject_in_record(self) -> None:
        """A registered fact type's __subject__ is what its records hold."""

        @csrules.register_fact_type(name="records_test_ticket")
        class Ticket(BaseModel):
            __subject__ = "owner"
            owner: str
            urgent: bool

        policy = loads_policy("""
id: records.ticket
version: "1"
title: {en: Tickets, zh: 工单}
fact_type: records_test_ticket
rules:
  - id: T-1
    title: {en: Urgent tickets go up, zh: 紧急工单上报}
    when: {kind: compare, path: urgent, op: "==", value: true}
    then: [{type: escalation, to: lead}]
""")
        record = Engine(policy).evaluate({"owner": "Q7", "urgent": True}).record()
        assert record.subject == "Q7"
        assert record.now is None
        assert record.effect_keys == ("escalation:lead",)
