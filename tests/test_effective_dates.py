"""Effective dates: policies and parameter values in force from one day until another, the
version judging a fact chosen by the fact's own time (or ``as_of``), and bad dates refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from csrules import Engine, FactError, PolicyError, TimeError
from csrules._cli.cli import main
from csrules._docs import render_docs
from csrules._docs.history import history_lines
from csrules._docs.subject import subject_from_pack
from csrules._policy.facts import event_time_field, register_fact_type
from csrules._policy.model import Policy
from csrules._policy.validity import Timeline, version_gaps, with_dated_params
from csrules.domain.facts import LeaveRequest
from csrules.policies import load_pack

JULY = date(2026, 7, 1)


def _leave() -> Policy:
    return load_pack("call_centre").policy("leave")


def _version(policy: Policy, **changes: Any) -> Policy:
    return Policy(**{**policy.model_dump(mode="python"), **changes})


def _request(requested: str, start: str) -> dict[str, Any]:
    """A personal leave request made at ``requested`` for a shift starting at ``start``."""
    return {"agent_id": "A01", "kind": "personal", "start": start, "end": start.replace("08:30", "16:30"),
            "requested_at": requested, "requested_by": "A01"}


def _two_versions() -> tuple[Policy, Policy]:
    """Leave with one day's notice until 2026-07-01, then two days'."""
    leave = _leave()
    return (_version(leave, valid_until=JULY),
            _version(leave, valid_from=JULY, version="1.1", overrides={"personal_notice": "2d"}))


# 36 and 24.5 hours of notice: enough under one day's notice, too little under two days'
EARLY = _request("2026-06-30T20:00:00+08:00", "2026-07-02T08:30:00+08:00")
LATE = _request("2026-07-01T08:00:00+08:00", "2026-07-02T08:30:00+08:00")
NOW = datetime.fromisoformat("2026-07-01T08:00:00+08:00")


class TestVersionChoice:
    """The version in force on the fact's day judges it."""

    def test_event_time_chooses_the_version(self) -> None:
        """A request made on 30 June is judged by 1.0, one made on 1 July by 1.1."""
        engine = Engine(_two_versions())
        early, late = engine.evaluate(EARLY, now=NOW), engine.evaluate(LATE, now=NOW)
        assert [ref.version for ref in early.policies] == ["1.0"]
        assert "violation:ATT-1" not in early.effect_keys
        assert [ref.version for ref in late.policies] == ["1.1"]
        assert "violation:ATT-1" in late.effect_keys

    def test_the_day_is_read_in_the_policies_zone(self) -> None:
        """23:30 UTC on 30 June is already 1 July in Beijing: version 1.1 judges it."""
        engine = Engine(_two_versions())
        fact = {**LATE, "requested_at": "2026-06-30T23:30:00+00:00"}
        assert [ref.version for ref in engine.evaluate(fact, now=NOW).policies] == ["1.1"]

    def test_as_of_overrides_the_event_time(self) -> None:
        """as_of (a day or an aware instant) chooses the version instead of the fact's time."""
        engine = Engine(_two_versions())
        assert engine.evaluate(LATE, now=NOW, as_of=date(2026, 6, 30)).policies[0].version == "1.0"
        many = engine.evaluate_many([EARLY, LATE], now=NOW, as_of=datetime.fromisoformat("2026-08-01T00:00:00+08:00"))
        assert [d.policies[0].version for d in many] == ["1.1", "1.1"]

    def test_decision_records_the_version_and_its_hash(self) -> None:
        """The decision's policy reference carries the judging version's id, version and hash."""
        first, second = _two_versions()
        ref = Engine([first, second]).evaluate(LATE, now=NOW).policies[0]
        assert (ref.id, ref.version, ref.content_hash) == (second.id, "1.1", second.content_hash)

    def test_undated_engines_keep_their_hashes(self) -> None:
        """A policy without dates hashes as before the dates existed (no null date keys in it)."""
        leave = _leave()
        assert "valid_from" not in leave.model_dump_json(exclude_none=True)
        assert leave.content_hash != _version(leave, valid_from=JULY).content_hash
        assert leave.content_hash == _version(leave).content_hash

    def test_naive_as_of_is_refused(self) -> None:
        """as_of without a time zone is a TimeError, like now."""
        with pytest.raises(TimeError, match="as_of must carry a time zone"):
            Engine(_two_versions()).evaluate(LATE, now=NOW, as_of=datetime(2026, 7, 1))


class TestRefused:
    """Overlaps, gaps and days with no version are said clearly."""

    def test_overlapping_versions_are_refused_naming_both(self) -> None:
        """Two versions in force on one day are refused with both versions and the day."""
        leave = _leave()
        first = _version(leave, valid_until=date(2026, 8, 1))
        second = _version(leave, valid_from=JULY, version="1.1")
        with pytest.raises(PolicyError, match=r"version '1.0' \(until 2026-08-01\) and version '1.1' "
                                              r"\(from 2026-07-01\) overlap from 2026-07-01"):
            Engine([first, second])

    def test_an_undated_twin_is_still_refused(self) -> None:
        """Two undated policies with one id stay refused beside a dated policy of another id."""
        leave = _leave()
        swap = load_pack("call_centre").policy("swap")
        with pytest.raises(PolicyError, match=r"policy ids must be unique in an engine \(repeated: call_centre.swap\)"):
            Engine([_version(leave, valid_from=JULY), swap, swap])

    def test_versions_judge_one_fact_type(self) -> None:
        """Versions of one policy over different fact types are refused, naming both."""
        leave, swap = _leave(), load_pack("call_centre").policy("swap")
        other = _version(swap, id=leave.id, valid_from=JULY)
        with pytest.raises(PolicyError, match=r"have different fact types"):
            Engine([_version(leave, valid_until=JULY), other])

    def test_no_version_in_force_is_a_fact_error(self) -> None:
        """A fact of a day before the first version names the policy, the day and the versions."""
        engine = Engine([_version(_leave(), valid_from=JULY)])
        with pytest.raises(FactError, match=r"no version of policy 'call_centre.leave' is in force on 2026-06-30 "
                                            r"\(versions: version '1.0' \(from 2026-07-01\)\)"):
            engine.evaluate(EARLY, now=NOW)

    def test_a_gap_between_versions_is_found(self) -> None:
        """The days between one version's end and the next one's start are a gap."""
        leave = _leave()
        versions = [_version(leave, valid_until=JULY), _version(leave, valid_from=date(2026, 8, 1), version="2")]
        assert [str(gap) for gap in version_gaps(versions)] == [
            "policy 'call_centre.leave' has no version in force from 2026-07-01 until 2026-08-01"
        ]
        assert Timeline(versions).stretches[1] == ()

    @pytest.mark.parametrize(("bounds", "message"), [
        ({"valid_from": "2026-07-01", "valid_until": "2026-07-01"}, "is not before valid_until"),
        ({"valid_from": "1 July"}, "written YYYY-MM-DD"),
        ({"valid_from": "2026-07-01T00:00:00+08:00"}, "written YYYY-MM-DD"),
        ({"valid_until": 1782864000}, "written YYYY-MM-DD"),
        ({"valid_from": "2026-07-01", "timezone": "Mars/Olympus"}, "unknown time zone"),
    ])
    def test_bad_validity_is_refused(self, bounds: dict[str, Any], message: str) -> None:
        """A date that is no day, an empty stretch or an unknown zone is a PolicyError."""
        with pytest.raises(PolicyError, match=message):
            _version(_leave(), **bounds)

    def test_fact_type_without_event_time_needs_as_of_or_now(self) -> None:
        """A dated policy over a fact type naming no event time uses now, else asks for as_of."""

        class Ticket(BaseModel):
            model_config = ConfigDict(frozen=True, extra="forbid")
            priority: int

        register_fact_type(Ticket, name="dated_ticket")
        high = {"kind": "compare", "path": "priority", "op": ">", "value": 3}
        rule = {"id": "T-1.high", "title": "high", "when": high,
                "then": [{"type": "violation", "code": "T-1", "message": "high"}]}
        policy = Policy(id="t.tickets", version="1", title="t", fact_type="dated_ticket", rules=[rule],
                        valid_from=JULY)
        engine = Engine(policy)
        assert engine.evaluate({"priority": 5}, now=NOW).effect_keys == ("violation:T-1",)
        with pytest.raises(FactError, match="pass as_of="):
            engine.evaluate({"priority": 5})

    def test_event_time_must_be_a_required_datetime(self) -> None:
        """Registering an optional or non-datetime field as the event time is refused."""

        class Visit(BaseModel):
            left_at: datetime | None = None

        with pytest.raises(PolicyError, match="must be a required datetime field"):
            register_fact_type(Visit, name="dated_visit", event_time="left_at")

    def test_domain_facts_name_their_event_time(self) -> None:
        """Leave requests are placed in time by requested_at."""
        assert event_time_field(LeaveRequest) == "requested_at"


class TestDatedValues:
    """A parameter value written with days cuts the policy into versions."""

    def test_dated_value_splits_the_policy(self) -> None:
        """[{value: 1d}, {value: 2d, valid_from: 2026-07-01}] gives two versions meeting on 1 July."""
        versions = with_dated_params(_leave(), {"personal_notice": [{"value": "1d"},
                                                                    {"value": "2d", "valid_from": "2026-07-01"}]})
        assert [(p.version, p.valid_from, p.valid_until, p.overrides["personal_notice"].delta.days)
                for p in versions] == [("1.0", None, JULY, 1), ("1.0@2026-07-01", JULY, None, 2)]

    def test_a_value_with_an_end_falls_back_to_the_policy_value(self) -> None:
        """Outside a dated value's days the policy's own value is in force."""
        versions = with_dated_params(_leave(), {"personal_notice": [
            {"value": "3d", "valid_from": "2026-07-01", "valid_until": "2026-08-01"}]})
        assert [p.param_values["personal_notice"].delta.days for p in versions] == [1, 3, 1]

    @pytest.mark.parametrize(("written", "message"), [
        ([{"value": "1d"}, {"value": "2d"}], r"dated value #2: only the first value may leave out valid_from"),
        ([{"value": "2d", "valid_from": "2026-13-01"}], r"dated value #1: valid_from: a validity date is written"),
        ([{"value": "2d", "from": "2026-07-01"}], r"dated value #1: unknown key 'from'"),
        ([{"valid_from": "2026-07-01"}], r"dated value #1: write \{value: "),
        ([{"value": "1d", "valid_until": "2026-08-01"}, {"value": "2d", "valid_from": "2026-07-01"}],
         r"dated value #2: its days \(from 2026-07-01\) overlap value #1's"),
        ([{"value": "soon", "valid_from": "2026-07-01"}], r"cannot read .soon. as a duration"),
    ])
    def test_malformed_dated_values_are_located(self, written: list[Any], message: str) -> None:
        """Each malformed dated value is refused naming the parameter and its position."""
        with pytest.raises(PolicyError, match=message) as info:
            with_dated_params(_leave(), {"personal_notice": written})
        assert "personal_notice" in str(info.value)

    def test_load_pack_overrides_take_dated_values(self) -> None:
        """load_pack(overrides=) with a dated value gives the pack two versions in its zone."""
        pack = load_pack("call_centre", overrides={"leave": {"personal_notice": [
            {"value": "2d", "valid_from": "2026-07-01"}]}})
        versions = pack.versions("leave")
        assert [p.validity for p in versions] == ["until 2026-07-01", "from 2026-07-01"]
        assert {p.timezone for p in versions} == {"Asia/Shanghai"}
        assert [d.policies[0].version for d in pack.engine().evaluate_many([EARLY, LATE], now=NOW,
                                                                            fact_type="leave_request")] == [
            "1.0", "1.0@2026-07-01"]


class TestReviewers:
    """Reviewers see the history; csrules check reports gaps."""

    def test_history_says_what_changed_from_which_day(self) -> None:
        """The history line reads "from 2026-07-01: 2 days; before: 1 day"."""
        lines = history_lines(_two_versions(), ["en"])
        assert "notice for ordinary personal leave (personal_notice): from 2026-07-01: 2 days; before: 1 day" in lines
        assert lines[0] == "version 1.1: from 2026-07-01"

    def test_check_reports_a_gap(self, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
        """csrules check on a pack whose dated values leave a gap warns with the days."""
        (tmp_path / "pack.yaml").write_text(
            "name: gappy\ntitle: {en: Gappy, zh: Gappy}\nversion: '1'\nextends: call_centre\n"
            "replace: [a.yaml, b.yaml]\n",
            encoding="utf-8")
        import yaml

        leave = _leave().model_dump(mode="json", exclude_none=True)
        later = {"valid_from": "2026-08-01", "version": "2.0"}
        for name, bounds in (("a.yaml", {"valid_until": "2026-07-01"}), ("b.yaml", later)):
            (tmp_path / name).write_text(yaml.safe_dump({**leave, **bounds}, allow_unicode=True), encoding="utf-8")
        assert main(["check", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        assert "warning [version-gap]" in out
        assert "no version in force from 2026-07-01 until 2026-08-01" in out

    def test_examples_of_a_version_are_judged_by_it(self) -> None:
        """Every worked example of both versions passes: each is judged by its own version."""
        pack = load_pack("call_centre", overrides={"leave": {"personal_notice": [
            {"value": "2d", "valid_from": "2026-07-01"}]}})
        checks = [c for c in pack.check_examples() if c.policy_id == "call_centre.leave"]
        assert checks
        assert all(c.passed for c in checks)


class TestSessions:
    """Sessions judge each event by the version of a dated session policy in force on its day."""

    def test_dated_session_policy_judges_by_day(self) -> None:
        """With one swap a month from July, a pack session lets two June swaps pass and flags July's second."""
        pack = load_pack("call_centre", overrides={"swap_session": {"max_swaps_per_month": [
            {"value": 1, "valid_from": "2026-07-01"}]}})
        agent = pack.sessions(backend="python").session("A01")

        def swap(day: str) -> list[tuple[str, str | None]]:
            fact = {"requester": {"agent_id": "A01"}, "partner": {"agent_id": "A02"},
                    "requester_shift": {"start": f"{day}T08:30:00+08:00", "end": f"{day}T16:30:00+08:00"},
                    "partner_shift": {"start": f"{day}T17:30:00+08:00", "end": f"{day}T23:30:00+08:00"},
                    "requested_at": f"{day}T07:00:00+08:00"}
            return [(f.rule_id, f.version) for f in agent.send(fact, fact_type="shift_swap").firings]

        assert swap("2026-06-10") == swap("2026-06-20") == swap("2026-07-10") == []
        assert swap("2026-07-20") == [("ATT-9.swaps-per-month", "1.0@2026-07-01")]

    def test_dated_stateless_policies_leave_sessions_working(self) -> None:
        """The example pack dates a stateless policy only: its sessions build as the base's do."""
        pack = load_pack("call_centre", overrides={"leave": {"personal_notice": [
            {"value": "2d", "valid_from": "2026-07-01"}]}})
        assert pack.sessions(backend="python").fact_types == load_pack("call_centre").sessions(
            backend="python").fact_types


class TestDocuments:
    """The document shows the version in force on its date, and the history of the others."""

    def test_one_version_per_policy_and_its_history(self) -> None:
        """Dated on 2026-03-04 the document shows leave v1.0 once, and the history of 1 July."""
        pack = load_pack("call_centre", overrides={"leave": {"personal_notice": [
            {"value": "2d", "valid_from": "2026-07-01"}]}})
        text = render_docs(subject_from_pack(pack), ["en"], date(2026, 3, 4)).markdown
        assert text.count("— call_centre.leave v") == 1
        assert "— call_centre.leave v1.0\n" in text
        history = "- notice for ordinary personal leave (personal\\_notice): from 2026-07-01: 2 days; before: 1 day"
        assert history in text
        assert "call_centre.leave v1.0@2026-07-01" in render_docs(subject_from_pack(pack), ["en"], JULY).markdown
