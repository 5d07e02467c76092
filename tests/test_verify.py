"""``csrules verify``: the solver's translation, analyses, properties and counterexamples."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from csrules._cli import cli
from csrules._engine.engine import Engine
from csrules._policy.facts import get_fact_type, validate_fact
from csrules._policy.kinds.base import ConditionBase, register_kind
from csrules._policy.lint import never_holds
from csrules._policy.model import Policy
from csrules._policy.trace import TraceNode
from csrules._testing.testfiles import run_test_files
from csrules._verify.analyses import analyse, prove
from csrules._verify.properties import Properties, Property, load_properties
from csrules._verify.report import Report, verify_policies
from csrules.exceptions import PolicyError
from csrules.policies import list_packs, load_pack
from tests.verify_support import holiday_policy

POLICIES = Path(__import__("csrules.policies").policies.__file__).parent

FACT = {
    "agent_id": "A01",
    "kind": "personal",
    "start": "2026-03-05T08:30:00+08:00",
    "end": "2026-03-05T16:30:00+08:00",
    "requested_at": "2026-03-01T09:00:00+08:00",
    "requested_by": "A01",
}
NOW = "2026-03-01T09:00:00+08:00"


def rule(rule_id: str, when: dict[str, Any], *then: dict[str, Any]) -> dict[str, Any]:
    """A rule with one worked example (the base of counterexamples)."""
    return {"id": rule_id, "title": rule_id, "when": when, "then": list(then),
            "examples": [{"fact": FACT, "now": NOW, "expect": []}] if rule_id == "first" else []}


def days(op: str, value: Any = None, param: str | None = None) -> dict[str, Any]:
    """``days <op> value`` (or the parameter)."""
    side = {"param": param} if param else {"value": value}
    return {"kind": "compare", "path": "days", "op": op, **side}


def approve(role: str) -> dict[str, Any]:
    """An approval by ``role``."""
    return {"type": "approval", "role": role}


def policy(*rules: dict[str, Any], hit: str = "collect", params: dict[str, Any] | None = None) -> Policy:
    """A leave policy of ``rules`` (the first is renamed to carry the worked example)."""
    rules_list = [dict(r) for r in rules]
    rules_list.insert(0, rule("first", {"kind": "compare", "path": "kind", "op": "==", "value": "training"},
                              {"type": "recommendation", "text": "see the trainer"}))
    return Policy.model_validate({
        "id": "planted", "version": "1", "title": "planted", "fact_type": "leave_request",
        "hit_policy": hit, "params": params or {}, "rules": rules_list,
    })


def findings(pol: Policy, code: str) -> list[Any]:
    """The analysis results of ``pol`` with ``code``."""
    return [r for r in analyse(pol, Properties()).results if r.code == code]


def reproduce(pol: Policy, witness: Any) -> tuple[str, ...]:
    """The counterexample judged again by a fresh engine, from its JSON form."""
    case = json.loads(json.dumps(witness.case()))
    judged = pol.with_params(**witness.overrides)
    fact = validate_fact(get_fact_type(pol.fact_type), case["fact"])
    now = datetime.fromisoformat(case["now"]) if "now" in case else datetime.fromisoformat(NOW)
    return Engine([judged]).evaluate(fact, now=now).effect_keys


def prop(given: dict[str, Any] | None, **expect: list[str]) -> Property:
    """A property of the planted policy."""
    return Property.model_validate({"id": "p", "policy": "planted", "given": given, "expect": expect})


class TestTranslation:
    def test_a_condition_and_its_negation_never_hold_together(self):
        """``not(days < 5 or days >= 5)`` never holds: the solver sees it, intervals do not."""
        when = {"kind": "not", "condition": {"kind": "any", "of": [days("<", 5), days(">=", 5)]}}
        pol = policy(rule("never", when, approve("head")))
        assert never_holds(pol.rule("never").when, {}) is None
        assert [f.rule_id for f in findings(pol, "never-holds")] == ["never"]

    def test_an_optional_field_may_be_missing(self):
        """A comparison with a missing value is false, as in the engine: ``submitted_to != x``
        does not hold for a request handed to nobody, and the counterexample shows it."""
        when = {"kind": "compare", "path": "submitted_to", "op": "!=", "value": "shift_lead"}
        pol = policy(rule("skip", when, {"type": "violation", "code": "V", "message": "m"}))
        result = prove(pol, prop({"kind": "compare", "path": "kind", "op": "==", "value": "sick"},
                                 includes=["violation:V"]))
        assert result.status == "counterexample"
        assert result.witness is not None
        assert result.witness.fact["submitted_to"] in (None, "shift_lead")
        assert "violation:V" not in reproduce(pol, result.witness)

    def test_a_time_of_day_is_read_in_the_zone(self):
        """``requested_at`` before 11:00 Beijing time: a request at 11:30 local is a
        counterexample to "before noon is caught", and the engine agrees."""
        when = {"kind": "time_of_day", "path": "requested_at", "op": "<", "time": "11:00"}
        pol = policy(rule("morning", when, approve("head")))
        noon = {"kind": "time_of_day", "path": "requested_at", "op": "<", "time": "12:00"}
        result = prove(pol, prop(noon, includes=["approval:head"]))
        assert result.status == "counterexample"
        assert result.witness is not None
        asked = datetime.fromisoformat(result.witness.fact["requested_at"])
        assert "11:00" <= asked.strftime("%H:%M") < "12:00"
        assert asked.utcoffset().total_seconds() == 8 * 3600
        assert "approval:head" not in reproduce(pol, result.witness)

    def test_a_text_search_is_written_into_the_counterexample(self):
        """``contains`` is a free flag for the solver; the counterexample's text holds the
        phrase, so the engine finds it too."""
        when = {"kind": "contains", "path": "approver", "phrases": ["老闆", "boss"]}
        pol = policy(rule("boss", when, {"type": "violation", "code": "B", "message": "m"}))
        result = prove(pol, prop(None, excludes=["violation:B"]))
        assert result.witness is not None
        assert "老闆" in result.witness.fact["approver"]
        assert "violation:B" in reproduce(pol, result.witness)

    def test_elapsed_time_compares_instants(self):
        """A request less than a day ahead is caught for every fact (proven), and one more
        than a day ahead never is."""
        late = {"kind": "elapsed", "since": "requested_at", "until": "start", "op": "<", "duration": "1d"}
        pol = policy(rule("late", late, {"type": "violation", "code": "L", "message": "m"}))
        within = {"kind": "elapsed", "since": "requested_at", "until": "start", "op": "<=", "duration": "23h"}
        assert prove(pol, prop(within, includes=["violation:L"])).status == "proven"
        ahead = {"kind": "elapsed", "since": "requested_at", "until": "start", "op": ">", "duration": "1d"}
        assert prove(pol, prop(ahead, excludes=["violation:L"])).status == "proven"


class _Mood(ConditionBase):
    kind: Literal["test_mood"] = "test_mood"


class _MoodHandler:
    def check(self, cond: Any, ctx: Any) -> None:
        pass

    def source(self, cond: Any, ctx: Any) -> str:
        return "True"

    def evaluate(self, cond: Any, env: Any) -> TraceNode:
        return TraceNode("test_mood", "mood", True)

    def describe(self, cond: Any, lang: Any, ctx: Any) -> str:
        return "mood"

    def reads_now(self, cond: Any) -> bool:
        return False


class _Long(ConditionBase):
    kind: Literal["test_long"] = "test_long"


class _LongHandler(_MoodHandler):
    def source(self, cond: Any, ctx: Any) -> str:
        return f"({ctx.access('days')[1]} > 1)"

    def evaluate(self, cond: Any, env: Any) -> TraceNode:
        return TraceNode("test_long", "long", env.get("days") > 1)

    def translate(self, cond: Any, encoding: Any) -> Any:
        import z3

        days = encoding.field("days")
        return z3.And(days.present, days.value > 1)


class TestUntranslated:
    def test_a_host_kind_with_a_translate_method_is_proven(self):
        """A host kind whose handler offers ``translate`` takes part in proofs."""
        register_kind(_Long, _LongHandler())
        pol = policy(rule("long", {"kind": "test_long"}, approve("head")))
        assert prove(pol, prop(days(">", 2), includes=["approval:head"])).status == "proven"
        assert prove(pol, prop(days(">", 0), includes=["approval:head"])).status == "counterexample"

    def test_a_host_kind_without_translation_is_never_proven(self):
        """A kind registered later, with no translation, makes a property over its rule
        "not proven (kind X at rule R)" even where the solver could prove the rest."""
        register_kind(_Mood, _MoodHandler())
        pol = policy(rule("moody", {"kind": "all", "of": [days(">", 1), {"kind": "test_mood"}]}, approve("head")))
        result = prove(pol, prop(days(">", 1), includes=["approval:head"]))
        assert result.status == "not proven"
        assert "kind test_mood at rule moody" in result.message


    def test_business_time_is_not_translated(self):
        """A notice counted in business days of a calendar is reported, never proven."""
        when = {"kind": "notice", "since": "requested_at", "until": "start", "op": "<",
                "duration": "2 business days", "calendar": "china"}
        pol = policy(rule("short", when, {"type": "violation", "code": "N", "message": "m"}))
        result = prove(pol, prop(None, excludes=["violation:N"]))
        assert result.status == "not proven"
        assert "kind notice at rule short" in result.message


class TestPlantedDefects:
    def test_an_overlapping_head_and_director_boundary_is_a_conflict(self):
        """``<= 1`` for the head and ``>= 1`` for the director both approve a one-day leave;
        the counterexample has days = 1 and the engine gives both approvals."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")),
                     rule("director", days(">=", 1), approve("centre_director")))
        [conflict] = findings(pol, "conflict")
        assert {conflict.rule_id, conflict.extra["with"]} == {"head", "director"}
        assert conflict.witness is not None
        assert conflict.witness.fact["days"] == 1
        assert {"approval:department_head", "approval:centre_director"} <= set(reproduce(pol, conflict.witness))

    def test_the_fixed_boundary_has_no_conflict(self):
        """With ``> 1`` for the director the two rules never meet."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")),
                     rule("director", days(">", 1), approve("centre_director")))
        assert findings(pol, "conflict") == []

    def test_a_rule_under_a_catch_all_is_shadowed_under_first(self):
        """Under ``first`` a catch-all above a rule makes it unreachable; under collect it is not."""
        catch_all = rule("any-leave", days(">=", 0), approve("department_head"))
        long = rule("long", days(">", 3), approve("centre_director"))
        assert [f.rule_id for f in findings(policy(catch_all, long, hit="first"), "shadowed")] == ["long"]
        assert findings(policy(catch_all, long), "shadowed") == []

    def test_a_lower_priority_rule_under_a_higher_one_is_shadowed(self):
        """Under ``priority`` a rule never fires when a rule of higher priority always holds with it."""
        high = {**rule("any-leave", days(">=", 0), approve("department_head")), "priority": 2}
        low = {**rule("long", days(">", 3), approve("centre_director")), "priority": 1}
        assert [f.rule_id for f in findings(policy(high, low, hit="priority"), "shadowed")] == ["first", "long"]

    def test_a_property_broken_by_one_parameter_override(self):
        """Proven with the parameter in force, broken with --all-params by one override that
        the counterexample names and the engine reproduces."""
        params = {"head_max_days": {"type": "float", "default": 1, "min": 0, "max": 10}}
        pol = policy(rule("head", days("<=", param="head_max_days"), approve("department_head")),
                     rule("director", days(">", param="head_max_days"), approve("centre_director")),
                     params=params)
        claim = prop(days(">", 1), includes=["approval:centre_director"])
        assert prove(pol, claim).status == "proven"
        result = prove(pol, claim, free_params=True)
        assert result.status == "counterexample"
        assert result.witness is not None
        assert list(result.witness.overrides) == ["head_max_days"]
        assert "approval:centre_director" not in reproduce(pol, result.witness)

    def test_a_gap_leaves_a_fact_without_an_approver(self):
        """Approvers of two roles, but sick leave has none: a gap, with a sick fact."""
        pol = policy(rule("head", {"kind": "compare", "path": "kind", "op": "==", "value": "personal"},
                          approve("department_head")),
                     rule("director", {"kind": "compare", "path": "kind", "op": "==", "value": "business_trip"},
                          approve("centre_director")))
        [gap] = findings(pol, "gap")
        assert gap.witness is not None
        assert gap.witness.fact["kind"] not in ("personal", "business_trip")
        assert not any(k.startswith("approval:") for k in reproduce(pol, gap.witness))


class TestCounterexamples:
    def test_a_counterexample_is_a_test_case_that_runs(self):
        """The YAML case validates, keeps the worked example's other values, and its expect
        is what the engine gives; values are round (whole minutes)."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")))
        result = prove(pol, prop(None, includes=["approval:department_head"]))
        assert result.witness is not None
        [case] = yaml.safe_load(yaml.safe_dump([result.witness.case()], allow_unicode=True))
        assert case["fact"]["agent_id"] == "A01"
        assert case["fact"]["days"] == 2
        assert list(reproduce(pol, result.witness)) == case["expect"]
        assert "head" in result.witness.trace

    def test_the_case_runs_as_a_test_file(self, tmp_path):
        """Pasted into a ``*.test.yaml`` file, the case passes ``csrules test``'s runner."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")))
        result = prove(pol, prop(None, includes=["approval:department_head"]))
        assert result.witness is not None
        path = tmp_path / "planted.test.yaml"
        path.write_text(yaml.safe_dump({"cases": [result.witness.case("found", "leave_request")]},
                                       allow_unicode=True), encoding="utf-8")
        [outcome] = run_test_files([path], (pol,))
        assert outcome.passed, outcome.message

    def test_a_fact_with_no_worked_example_is_filled_in(self):
        """Required fields no rule reads get plain values, so the fact validates."""
        pol = Policy.model_validate({
            "id": "bare", "version": "1", "title": "bare", "fact_type": "leave_request",
            "rules": [rule("head", days("<=", 1), approve("department_head"))],
        })
        claim = Property.model_validate({"id": "p", "policy": "bare", "expect": {"includes": ["approval:*"]}})
        result = prove(pol, claim)
        assert result.witness is not None
        validate_fact(get_fact_type("leave_request"), result.witness.fact)


def _pack_report(name: str) -> Report:
    """The verification report of built-in pack ``name`` against its properties file."""
    pack = load_pack(name)
    props = load_properties(POLICIES / name / "properties.yaml")
    return verify_policies((*pack.policies, *pack.session_policies), props)


class TestBuiltInPacks:
    def test_every_pack_proves_its_properties_or_explains_them(self):
        """Each built-in pack's properties are proven, or broken and marked known with the
        reason its README gives; the analyses find nothing the properties do not accept.
        Verifying call_centre again after every pack (and a planted property) was verified
        gives the statuses of its first run: nothing carried over decides the outcome (one
        test: a verification of every pack costs seconds)."""
        names = sorted((info.name for info in list_packs()), key=lambda name: name != "call_centre")
        first: dict[str, dict[str, str]] = {}
        for name in names:  # call_centre first
            report = _pack_report(name)
            assert report.ok, report.render()
            assert report.findings == [], report.render()
            readme = (POLICIES / name / "README.md").read_text(encoding="utf-8")
            for result in report.properties:
                if result.status != "proven":
                    assert result.code in readme, f"{name}: README does not explain {result.code}"
            first[name] = {r.code: r.status for r in report.properties}
        prove(holiday_policy(), Property.model_validate({"id": "p", "policy": "planted",
                                                         "expect": {"excludes": ["approval:*"]}}))
        again = {r.code: r.status for r in _pack_report("call_centre").properties}
        assert again == first["call_centre"]
        assert first["call_centre"]["head-or-director"] == "counterexample"
        assert first["call_centre"]["holiday-short-notice-never-clean"] == "counterexample"


class TestProperties:
    def test_a_bad_property_names_the_file_and_line(self, tmp_path):
        """An effect key that is not one is refused with the file and line."""
        path = tmp_path / "p.yaml"
        path.write_text("properties:\n  - id: x\n    policy: leave\n    expect: {includes: [nonsense]}\n",
                        encoding="utf-8")
        with pytest.raises(PolicyError, match=r"p\.yaml:\d+: .*not an effect key"):
            load_properties(path)

    def test_a_property_over_an_unknown_field_is_refused(self):
        """The ``given`` is checked against the fact model like a rule's condition."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")))
        bad = prop({"kind": "compare", "path": "dayz", "op": ">", "value": 1}, includes=["approval:*"])
        with pytest.raises(PolicyError, match="dayz"):
            prove(pol, bad)


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """The command line, in process."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestCommandLine:
    def test_verify_a_pack(self, capsys):
        """``csrules verify call_centre`` proves, marks the known counterexamples, times each analysis."""
        code, out, _ = run(capsys, "verify", "call_centre")
        assert code == 0, out
        assert "PROVEN call_centre.leave / director-over-one-day" in out
        assert "BROKEN (known) call_centre.leave / head-or-director" in out
        assert "analysis times: " in out
        assert "conflict " in out

    def test_verify_all_params_breaks_a_property(self, capsys):
        """With --all-params the director property breaks by an override of head_max_days."""
        code, out, _ = run(capsys, "verify", "call_centre", "--all-params", "--format", "json")
        assert code == 1
        [result] = [r for r in json.loads(out)["properties"] if r["code"] == "director-over-one-day"]
        assert result["status"] == "counterexample"
        assert list(result["counterexample"]["overrides"]) == ["head_max_days"]

    def test_a_missing_properties_file_is_bad_usage(self, capsys):
        """--properties naming no file exits 2."""
        code, _, err = run(capsys, "verify", "call_centre", "--properties", "/nonexistent/p.yaml")
        assert code == 2
        assert "p.yaml" in err

    def test_check_reads_the_accepted_overlaps_of_a_pack(self, capsys):
        """The call-centre pack's accepted overlaps keep ``check call_centre`` free of warnings."""
        code, out, _ = run(capsys, "check", "call_centre")
        assert code == 0
        assert "0 error(s), 0 warning(s)" in out

    def test_a_properties_file_in_a_directory_is_not_a_policy(self, capsys, tmp_path):
        """``check DIR`` skips ``*.properties.yaml`` and uses it for the policy beside it."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")),
                     rule("director", days(">=", 1), approve("centre_director")))
        (tmp_path / "planted.yaml").write_text(yaml.safe_dump(pol.model_dump(mode="json")), encoding="utf-8")
        assert "[conflict]" in run(capsys, "check", str(tmp_path))[1]
        accepted = {"accepted": [{"rules": ["head", "director"], "why": "both sign a one-day leave"}]}
        (tmp_path / "planted.properties.yaml").write_text(yaml.safe_dump(accepted), encoding="utf-8")
        code, out, _ = run(capsys, "check", str(tmp_path))
        assert code == 0
        assert "1 policy checked: 0 error(s)" in out
        assert "[conflict]" not in out

    def test_check_reports_the_solver_findings_with_lines(self, capsys, tmp_path):
        """``check`` on a policy file with an overlapping boundary reports [conflict] at its line."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")),
                     rule("director", days(">=", 1), approve("centre_director")))
        path = tmp_path / "planted.yaml"
        path.write_text(yaml.safe_dump(pol.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
        code, out, _ = run(capsys, "check", str(path))
        assert code == 0
        assert f"{path}:" in out
        assert "warning [conflict] rule 'head'" in out
        assert '"days": 1' in out


class TestWithoutSolver:
    @pytest.fixture
    def no_z3(self, monkeypatch):
        """z3 fails to import, as when the extra is not installed."""
        monkeypatch.setitem(sys.modules, "z3", None)

    def test_verify_says_how_to_install(self, capsys, no_z3):
        """verify exits 2 naming the extra."""
        code, _, err = run(capsys, "verify", "call_centre")
        assert code == 2
        assert "pip install 'csrules[verify]'" in err

    def test_check_falls_back_to_intervals_and_says_so(self, capsys, no_z3, tmp_path):
        """check still finds interval contradictions, says the solver is missing, and finds no conflict."""
        pol = policy(rule("head", days("<=", 1), approve("department_head")),
                     rule("director", days(">=", 1), approve("centre_director")),
                     rule("never", {"kind": "all", "of": [days("<", 1), days(">", 2)]}, approve("x")))
        path = tmp_path / "planted.yaml"
        path.write_text(yaml.safe_dump(pol.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
        code, out, _ = run(capsys, "check", str(path))
        assert code == 0
        assert "z3 is not installed" in out
        assert "interval" in out
        assert "[never-holds] rule 'never'" in out
        assert "[conflict]" not in out


class TestSessions:
    def test_a_window_count_is_a_bounded_integer_shared_with_the_property(self):
        """The swap session's count rule: at most two swaps are proven clean, and with every
        allowed limit (--all-params) the counterexample names the count the solver chose."""
        pack = load_pack("call_centre")
        session = next(p for p in pack.session_policies if p.id == "call_centre.swap_session")
        declined = [{"kind": "compare", "path": f"{side}_lead_decision", "op": "!=", "value": "declined"}
                    for side in ("requester", "partner")]
        count = {"kind": "count", "match": {"kind": "all", "of": declined},
                 "key": ["requester.agent_id", "requester_shift.start"],  # the rule's own window
                 "at": "requester_shift.start", "window": {"calendar": "month", "tz": "Asia/Shanghai"},
                 "op": "<=", "value": 2}
        claim = Property.model_validate({"id": "two", "policy": session.id, "given": count,
                                         "expect": {"excludes": ["violation:ATT-9"]}})
        assert prove(session, claim).status == "proven"
        broken = prove(session, claim, free_params=True)
        assert broken.status == "counterexample"
        assert broken.witness is not None
        assert not broken.witness.reproduced
        assert "window counts" in broken.witness.note
        assert broken.witness.overrides["max_swaps_per_month"] < 2
