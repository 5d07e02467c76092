"""Regression tests: facts copied or constructed, company-pack inputs, test-file expectations and probes."""

from __future__ import annotations

import json
import textwrap
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from csrules._policy.facts import _BUILTIN, get_fact_type
from csrules._policy.loader import loads_policy
from csrules._policy.model import Policy
from csrules.domain.facts import derived_sources
from csrules.exceptions import CsrulesError, FactError, PolicyError
from csrules.policies import load_pack, pack_names
from csrules.testing import assert_decision, load_test_file, probe_examples
from tests.company_support import closure_policy

_TZ8 = timezone(timedelta(hours=8))

_WRITTEN: dict[str, dict[str, Any]] = {
    "clock_event": {"agent_id": "A01", "kind": "clock_in", "at": "2026-03-05T08:30:00+08:00"},
    "complaint_step": {"event": "register", "complainant": "Ms Lin", "at": "2026-03-05T08:30:00+08:00"},
    "sla_clock": {"ticket_id": "T1", "metric": "first_reply", "priority": "p1", "fraction": 0.5},
}
"""Facts of the registered types no built-in pack's worked example shows."""


@cache
def _examples() -> dict[str, tuple[dict[str, Any], ...]]:
    """Every built-in pack's worked-example facts, by fact type, plus :data:`_WRITTEN`."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name in pack_names():
        for policy in load_pack(name).policies:
            for rule in policy.rules:
                found[policy.fact_type].extend(dict(example.fact) for example in rule.examples)
    for name, fact in _WRITTEN.items():
        found[name].append(fact)
    return {name: tuple(facts) for name, facts in found.items()}


def _outcome(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """What validating ``data`` gives: the dumped fact, or the refusal's type."""
    try:
        return model.model_validate(data).model_dump()
    except Exception as exc:
        return type(exc)


def _given(model: type[BaseModel], fact: dict[str, Any]) -> dict[str, Any]:
    """``fact`` without the derived fields it gives."""
    derived = derived_sources(model)
    return {key: value for key, value in fact.items() if key not in derived}


# The built-in fact types, a fixed list: the live registry also holds what other tests registered
# before this file was collected, which differs from run to run.
BUILTIN_TYPES = sorted(_BUILTIN)


class TestFactCopies:
    """A fact copied with changes or constructed is the fact its values validate to."""

    @pytest.mark.parametrize("name", BUILTIN_TYPES)
    def test_every_type_has_an_example(self, name: str) -> None:
        """Every registered fact type is exercised by the tests below."""
        assert _examples().get(name)

    @pytest.mark.parametrize("name", BUILTIN_TYPES)
    def test_construct_validates(self, name: str) -> None:
        """model_construct gives what model_validate gives, derived fields included, and refuses bad values."""
        model = get_fact_type(name)
        for fact in _examples().get(name, ())[:5]:
            assert model.model_construct(**fact).model_dump() == model.model_validate(fact).model_dump()
        with pytest.raises(FactError):
            model.model_construct(no_such_field=1)

    @pytest.mark.parametrize("name", BUILTIN_TYPES)
    def test_copy_with_unknown_field_refused(self, name: str) -> None:
        """model_copy(update=) with a field the type does not have raises FactError."""
        model = get_fact_type(name)
        fact = model.model_validate(_examples()[name][0])
        with pytest.raises(FactError, match="no_such_field"):
            fact.model_copy(update={"no_such_field": 1})
        assert fact.model_copy() == fact

    @pytest.mark.parametrize("name", [n for n in BUILTIN_TYPES if derived_sources(get_fact_type(n))])
    def test_copy_rederives(self, name: str) -> None:
        """Copying one example with another's values gives the other's derived fields, not the first's."""
        model = get_fact_type(name)
        derived = derived_sources(model)
        facts = _examples()[name][:12]
        rederived = 0
        for first in facts:
            validated = model.model_validate(first)
            for second in facts:
                update = _given(model, second)
                expected = _outcome(model, {**_given(model, first), **update})
                if not isinstance(expected, dict):
                    with pytest.raises(FactError):
                        validated.model_copy(update=update)
                    continue
                assert validated.model_copy(update=update).model_dump() == expected
                old = validated.model_dump()
                rederived += any(old[field] != expected[field] for field in derived)
        assert rederived  # some copy changed a derived field: the check above had teeth

    def test_moved_leave_judged_on_its_new_day(self) -> None:
        """A leave moved to National Day by model_copy is judged as a holiday leave, as a fresh one is."""
        model = get_fact_type("leave_request")
        engine = load_pack("call_centre").engine()
        now = datetime(2026, 9, 30, 9, tzinfo=_TZ8)
        base = model.model_validate(
            {
                "agent_id": "A01",
                "kind": "personal",
                "start": "2026-10-09T08:30:00+08:00",
                "end": "2026-10-09T16:30:00+08:00",
                "requested_at": "2026-09-30T09:00:00+08:00",
                "requested_by": "A01",
            }
        )
        day = {"start": datetime(2026, 10, 1, 8, 30, tzinfo=_TZ8), "end": datetime(2026, 10, 1, 16, 30, tzinfo=_TZ8)}
        moved = base.model_copy(update=day)
        fresh = model.model_validate({**_given(model, base.model_dump(exclude_unset=True)), **day})
        assert engine.evaluate(moved, now=now).effect_keys == engine.evaluate(fresh, now=now).effect_keys
        assert "violation:ATT-6" in engine.evaluate(moved, now=now).effect_keys


def _pack(root: Path, manifest: str, **files: str) -> Path:
    """A company pack directory under ``root``: ``pack.yaml`` and the named files."""
    (root / "pack.yaml").write_text(manifest, encoding="utf-8")
    for name, text in files.items():
        (root / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return root


_HEAD = textwrap.dedent("""\
    name: acme
    title: {en: Acme, zh: 阿克米}
    version: "1"
    extends: call_centre
""")

_RULE = textwrap.dedent("""\
    rules:
      - id: ACME-2
        title: {en: Personal leave, zh: 事假}
        when: {kind: compare, path: kind, op: "==", value: personal}
        then:
          - {type: %s, %s: %s%s}
""")


class TestEffectRoles:
    """A company rule's approval, escalation or obligation goes to a role the merged catalogue holds."""

    @pytest.mark.parametrize(
        ("kind", "attr", "extra"),
        [("approval", "role", ""), ("escalation", "to", ""), ("obligation", "who", ", action: {en: a, zh: b}")],
    )
    def test_unknown_role_refused(self, tmp_path: Path, kind: str, attr: str, extra: str) -> None:
        """A typo in the role is refused naming the rules file and line, the role and the catalogue's roles."""
        rule = _RULE % (kind, attr, "centre_directr", extra)
        _pack(tmp_path, _HEAD + "rules: {leave: extra.yaml}\n", extra__yaml=rule)
        with pytest.raises(PolicyError) as caught:
            load_pack(tmp_path)
        message = str(caught.value)
        assert "extra.yaml:6" in message
        assert "'centre_directr'" in message
        assert "ACME-2" in message
        assert "centre_director / 客服中心主任" in message

    def test_own_policy_located(self, tmp_path: Path) -> None:
        """A policy file of the pack is located at the effect's line too."""
        policy = "id: acme.extra\nversion: '1'\ntitle: {en: X, zh: Y}\nfact_type: leave_request\n" + textwrap.dedent(
            _RULE % ("escalation", "to", "nobody", "")
        )
        _pack(tmp_path, _HEAD + "policies: [extra.yaml]\n", extra__yaml=policy)
        with pytest.raises(PolicyError, match=r"extra\.yaml:10.*'nobody'"):
            load_pack(tmp_path)

    @pytest.mark.parametrize(
        ("kind", "attr", "name", "extra"),
        [("approval", "role", "班長", ""), ("obligation", "who", "reporter", ", action: {en: a, zh: b}")],
    )
    def test_alias_and_reporter_accepted(self, tmp_path: Path, kind: str, attr: str, name: str, extra: str) -> None:
        """A role's alias, and the reporter in an obligation, are accepted."""
        _pack(tmp_path, _HEAD + "rules: {leave: extra.yaml}\n", extra__yaml=_RULE % (kind, attr, name, extra))
        assert load_pack(tmp_path).name == "acme"


_HARBOUR = Path(__file__).resolve().parents[1] / "examples" / "company_pack"
_AUGUST = datetime(2026, 8, 1, tzinfo=UTC)


@cache
def _harbour() -> Any:
    """The harbour example pack, loaded once for the module (a pack read from a directory is read again each time)."""
    return load_pack(_HARBOUR)


def _notice_versions() -> tuple[Policy, ...]:
    """The harbour pack's two versions of the leave policy, each with only the personal-notice rule."""
    return tuple(
        Policy(**{**v.model_dump(), "rules": [r.model_dump() for r in v.rules if r.id == "ATT-1.personal-notice"]})
        for v in _harbour().versions("leave")
    )


class TestProbesOfDatedVersions:
    """Facts probing a dated version lie in its days, so that version judges them."""

    def test_each_version_judges_its_probes(self) -> None:
        """Probes of both versions of the notice rule are judged by the version they probe."""
        versions = _notice_versions()
        engine = _harbour().engine()
        pairs = probe_examples(list(versions), now=_AUGUST, per=1)
        judged = {(t.days, engine.evaluate(fact, now=_AUGUST).policies[0].version) for t, fact in pairs}
        assert judged == {((v.valid_from, v.valid_until, v.timezone or "Asia/Shanghai"), v.version) for v in versions}

    def test_new_threshold_probed(self) -> None:
        """Just under two days' notice, probed for the July version, is a violation there."""
        july = next(v for v in _notice_versions() if v.valid_from is not None)
        engine = _harbour().engine()
        late = [
            fact
            for t, fact in probe_examples(july, now=_AUGUST, per=1)
            if t.probe.holds and "+ 2d on the wall clock - 1s" in t.probe.label
        ]
        assert late
        for fact in late:
            assert fact.requested_at.astimezone(ZoneInfo("Asia/Shanghai")).date() >= july.valid_from
            assert "violation:ATT-1" in engine.evaluate(fact, now=_AUGUST).effect_keys

    def test_version_outside_the_drawn_days_refused(self) -> None:
        """A version whose days lie outside every day facts are drawn in is refused, not probed in other days."""
        first = _notice_versions()[0]
        old = Policy(**{**first.model_dump(), "valid_until": date(2025, 1, 1)})
        with pytest.raises(PolicyError, match=r"until 2025-01-01 has no day between"):
            probe_examples(old, now=datetime(2024, 6, 1, tzinfo=UTC), per=1)

    def test_now_outside_a_version_without_event_time_refused(self) -> None:
        """A dated version of a fact type with no event time, probed at a now outside its days, is refused."""
        policy = loads_policy(textwrap.dedent("""\
            id: acme.agents
            version: "2"
            valid_from: 2026-09-01
            title: {en: Agents, zh: 座席}
            fact_type: agent
            rules:
              - id: AG-1
                title: {en: Named, zh: 有名}
                when: {kind: compare, path: agent_id, op: "==", value: A01}
                then: [{type: approval, role: shift_lead}]
            """))
        with pytest.raises(PolicyError, match=r"from 2026-09-01.*now 2026-08-01"):
            probe_examples(policy, now=_AUGUST, per=1)
        assert probe_examples(policy, now=datetime(2026, 9, 2, tzinfo=UTC), per=1)


class TestVersionLabels:
    """Two dated versions of one policy carry distinct version labels."""

    def test_shared_label_refused(self, tmp_path: Path) -> None:
        """Two files dating versions of one policy under one label are refused naming both files and the label."""
        _pack(
            tmp_path,
            _HEAD + "policies: [a.yaml, b.yaml]\n",
            a__yaml=closure_policy(dated="valid_until: 2026-07-01"),
            b__yaml=closure_policy(dated="valid_from: 2026-07-01", role="department_head"),
        )
        with pytest.raises(PolicyError, match=r"a\.yaml\).*b\.yaml\) share the label '1'"):
            load_pack(tmp_path)

    def test_distinct_labels_load(self, tmp_path: Path) -> None:
        """The same versions with their own labels load, each judging its days."""
        later = closure_policy(dated="valid_from: 2026-07-01", role="department_head", version="2")
        _pack(
            tmp_path,
            _HEAD + "policies: [a.yaml, b.yaml]\n",
            a__yaml=closure_policy(dated="valid_until: 2026-07-01"),
            b__yaml=later,
        )
        assert [v.version for v in load_pack(tmp_path).versions("acme.closure")] == ["1", "2"]


class TestManifestLists:
    """A company pack's sources and drop lists say one thing once."""

    def test_repeated_drop_refused(self, tmp_path: Path) -> None:
        """drop: [leave, leave] is refused at the line of the second entry."""
        _pack(tmp_path, _HEAD + "drop:\n  - leave\n  - call_centre.leave\n")
        with pytest.raises(PolicyError, match=r"pack\.yaml:7: drop: 'call_centre\.leave' is listed twice"):
            load_pack(tmp_path)

    def test_missing_source_file_refused(self, tmp_path: Path) -> None:
        """A source whose file the pack directory does not hold is refused at its line."""
        _pack(tmp_path, _HEAD + "sources:\n  - {id: acme-1, title: {en: Handbook, zh: 手冊}, file: handbook.txt}\n")
        with pytest.raises(PolicyError, match=r"pack\.yaml:6: sources: .*'handbook\.txt'"):
            load_pack(tmp_path)
        (tmp_path / "handbook.txt").write_text("the handbook", encoding="utf-8")
        assert load_pack(tmp_path).sources[-1] == "handbook.txt"

    def test_base_source_id_reused_refused(self, tmp_path: Path) -> None:
        """A source reusing a base source's id with another file is refused naming the id."""
        _pack(tmp_path, _HEAD + "sources:\n  - {id: '001', title: {en: X, zh: Y}, file: z.txt}\n", z__txt="z")
        with pytest.raises(PolicyError, match=r"pack\.yaml:6: sources: source id '001' already names"):
            load_pack(tmp_path)


_LEAVE = {
    "agent_id": "A01",
    "kind": "personal",
    "start": "2026-07-02T08:30:00+08:00",
    "end": "2026-07-02T16:30:00+08:00",
    "requested_at": "2026-07-01T08:00:00+08:00",
    "requested_by": "A01",
}
_JULY_1 = datetime(2026, 7, 1, 8, tzinfo=_TZ8)


class TestRepeatedExpectations:
    """An effect key or code listed twice in an expectation is refused, not silently merged."""

    def test_test_file_case_refused(self, tmp_path: Path) -> None:
        """A test file case whose expect lists a key twice is refused naming the case, the key and the line."""
        path = tmp_path / "c.test.yaml"
        case = {"name": "twice", "fact": _LEAVE, "expect": ["violation:ATT-1", "violation:ATT-1"]}
        text = json.dumps({"pack": "call_centre", "fact_type": "leave_request", "now": _JULY_1.isoformat(),
                           "cases": [case]}, indent=1)
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CsrulesError, match=r"c\.test\.yaml:\d+: case 'twice': expect lists violation:ATT-1 twice"):
            load_test_file(path)

    @pytest.mark.parametrize(
        ("keyword", "value"),
        [
            ("expect", ["approval:department_head", "approval:department_head", "violation:ATT-1"]),
            ("violates", ["ATT-1", "ATT-1"]),
            ("rules", ["ATT-1.personal-notice", "ATT-1.personal-notice"]),
        ],
    )
    def test_assert_decision_refused(self, keyword: str, value: list[str]) -> None:
        """assert_decision with a key listed twice raises ValueError naming the keyword and the key."""
        engine = load_pack("call_centre").engine()
        with pytest.raises(ValueError, match=rf"{keyword}= lists '{value[0]}' twice"):
            assert_decision(engine, _LEAVE, fact_type="leave_request", now=_JULY_1, **{keyword: value})
