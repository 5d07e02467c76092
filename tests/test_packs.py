"""The built-in packs: listing, loading, tuning, extending, worked examples, coverage."""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import csrules
from csrules import Compare, Elapsed, PolicyError, Rule
from csrules._policy.kinds.base import walk
from csrules.policies import PACK_NAMES, Pack, list_packs, load_pack
from csrules.policies._coverage import REGULATION_IDS, render_coverage

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module", params=PACK_NAMES)
def pack(request: pytest.FixtureRequest) -> Pack:
    return load_pack(request.param)


class TestListing:
    def test_lists_the_four_packs(self) -> None:
        """list_packs names every pack with a bilingual title, a version and its sources."""
        infos = list_packs()
        assert [i.name for i in infos] == ["call_centre", "ecommerce", "mall", "online_support"]
        assert all(isinstance(i.title, csrules.Text) and CJK.search(i.title.zh) for i in infos)
        assert {s for i in infos for s in i.sources} == {
            "000_de1305e29dd6cdfe.txt",
            "001_b325e0c40e679e33.txt",
            "002_c3c0c20a3640b639.txt",
            "003_65182494befb76de.txt",
            "004_e0b498efe6c0d23f.txt",
        }

    def test_unknown_pack_names_the_known_ones(self) -> None:
        """An unknown pack raises PolicyError listing the pack names."""
        with pytest.raises(PolicyError, match="call_centre, ecommerce, mall, online_support"):
            load_pack("bank")

    def test_info_matches_the_loaded_pack(self, pack: Pack) -> None:
        """A loaded pack's info is its listing entry."""
        assert pack.info in list_packs()


class TestLoading:
    def test_policies_are_prefixed_and_looked_up_either_way(self) -> None:
        """Policies are found by full id or by the short name."""
        pack = load_pack("call_centre")
        assert pack.policy("leave") is pack.policy("call_centre.leave")
        with pytest.raises(PolicyError, match="no policy"):
            pack.policy("payroll")

    def test_overrides_are_validated(self) -> None:
        """Overrides go through the parameter's type and bounds; unknown names are errors."""
        pack = load_pack("call_centre", overrides={"call_centre.swap": {"max_swaps_per_month": 4}})
        assert pack.policy("swap").param_values["max_swaps_per_month"] == 4
        assert load_pack("call_centre").policy("swap").param_values["max_swaps_per_month"] == 2
        with pytest.raises(PolicyError, match="unknown parameter"):
            load_pack("call_centre", overrides={"swap": {"max_swaps": 4}})
        with pytest.raises(PolicyError, match="unknown policy"):
            load_pack("call_centre", overrides={"payroll": {"x": 1}})
        with pytest.raises(PolicyError):
            load_pack("call_centre", overrides={"attendance": {"max_late_minutes": -5}})

    def test_host_extension(self) -> None:
        """A host adds its own rule to a pack policy; the stock pack is unchanged."""
        stock = load_pack("call_centre")
        rule = Rule(
            id="HOST-1.long-leave",
            title={"en": "Leave over five days goes to HR", "zh": "五天以上請假報人事部"},
            when=Compare(path="days", op=">", value=5),
            then=[{"type": "escalation", "to": "hr"}],
        )
        extended = stock.with_rules("leave", rule)
        assert extended.policy("leave").version == "1.0+host"
        fact = {
            "agent_id": "A01",
            "kind": "personal",
            "requested_by": "A01",
            "start": "2026-03-10T08:30:00+08:00",
            "end": "2026-03-16T16:30:00+08:00",
            "requested_at": "2026-03-01T09:00:00+08:00",
        }
        now = datetime.fromisoformat("2026-03-01T09:00:00+08:00")  # leave rules read the clock (ATT-4)
        decision = extended.engine().evaluate(fact, fact_type="leave_request", now=now)
        assert "escalation:hr" in decision.effect_keys
        assert "escalation:hr" not in stock.engine().evaluate(fact, fact_type="leave_request", now=now).effect_keys

    def test_engine_judges_every_fact_type(self, pack: Pack) -> None:
        """The pack engine covers each policy's fact type and is built once."""
        engine = pack.engine()
        assert set(engine.fact_types) == {p.fact_type for p in pack.policies}
        assert pack.engine() is engine


class TestRules:
    def test_worked_examples_pass(self, pack: Pack) -> None:
        """Every worked example of every rule gives exactly its expected effects."""
        checks = pack.check_examples()
        failed = [c for c in checks if not c.passed]
        assert checks
        assert not failed, failed

    def test_every_rule_has_a_holding_and_a_failing_example(self, pack: Pack) -> None:
        """At least two examples per rule: one where it holds and one where it does not."""
        for _, rule in pack.rules():
            assert len(rule.examples) >= 2, rule.id
            assert any(e.expect for e in rule.examples), rule.id
            assert any(not e.expect for e in rule.examples), rule.id

    def test_rules_cite_and_are_bilingual(self, pack: Pack) -> None:
        """Every rule cites a listed source and a section, with English and Chinese titles."""
        for policy, rule in pack.rules():
            assert rule.citation is not None, rule.id
            assert rule.citation.source in {s.id for s in policy.sources}, rule.id
            assert rule.citation.section.strip(), rule.id
            assert rule.title.en != rule.title.zh, rule.id
            assert CJK.search(rule.title.zh), rule.id
            assert rule.id.split(".")[0] in REGULATION_IDS, rule.id

    def test_numbers_are_parameters(self, pack: Pack) -> None:
        """No condition compares with a number or a duration other than zero: numbers are parameters."""
        for _, rule in pack.rules():
            for node in walk(rule.when):
                if isinstance(node, Compare) and node.param is None and node.field is None:
                    value = node.value
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        assert value == 0, rule.id
                if isinstance(node, Elapsed) and node.duration is not None:
                    assert str(node.duration) in ("0s", "0:00:00") or not node.duration.delta, rule.id

    def test_parameters_default_and_describe(self, pack: Pack) -> None:
        """Every parameter has a bilingual description."""
        for policy in pack.policies:
            for name, param in policy.params.items():
                assert param.description is not None, f"{policy.id}.{name}"
                assert CJK.search(param.description.zh), f"{policy.id}.{name}"

    def test_policy_files_round_trip(self, pack: Pack) -> None:
        """Each pack policy dumps and loads back equal."""
        for policy in pack.policies:
            assert csrules.loads_policy(csrules.dump_policy(policy)) == policy


class TestCoverage:
    def test_every_regulation_is_encoded_or_explained(self) -> None:
        """Each REGULATIONS.md id is encoded in a pack or listed in a README with a reason."""
        encoded: set[str] = set()
        explained: set[str] = set()
        for name in PACK_NAMES:
            pack = load_pack(name)
            encoded |= set(pack.regulations())
            explained |= {u.regulation for u in pack.unencoded if u.reason}
        assert set(REGULATION_IDS) <= encoded | explained
        assert set(REGULATION_IDS) <= encoded  # today every id has at least one rule or entry

    def test_regulation_ids_match_the_digest(self) -> None:
        """The id list in the coverage module matches REGULATIONS.md when it is available."""
        digest = Path("/work/shared/REGULATIONS.md")
        if not digest.exists():
            pytest.skip("REGULATIONS.md is not in this checkout")
        ids = re.findall(r"^- ([A-Z]+-\d+)", digest.read_text(encoding="utf-8"), re.M)
        assert tuple(ids) == REGULATION_IDS

    def test_coverage_doc_is_current(self) -> None:
        """docs/coverage.md equals the generated table (regenerate with the module's main)."""
        committed = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
        assert committed == render_coverage()

    def test_a_test_per_regulation(self) -> None:
        """tests/test_regulations.py has a test named after every regulation id."""
        tree = ast.parse((ROOT / "tests" / "test_regulations.py").read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for reg in REGULATION_IDS:
            prefix = "test_" + reg.replace("-", "_") + "_"
            assert any(n.startswith(prefix) for n in names), reg

    def test_readme_entries_have_reasons(self, pack: Pack) -> None:
        """Every README entry of what is not checkable names an id and a reason."""
        for item in pack.unencoded:
            assert item.regulation in REGULATION_IDS
            assert len(item.reason) > 20


def test_duties_recur(pack: Pack) -> None:
    """Every duty of a pack has a next due instant within a year."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    start = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    patterns: dict[str, Any] = dict(pack.shift_patterns)
    for duty in pack.duties:
        shifts = None
        if duty.duty.recurrence.freq == "shift":
            from csrules._time.shifts import Shift, ShiftPattern

            shifts = patterns.get("day_agents") or ShiftPattern.on_off(
                timezone="Asia/Shanghai",
                shifts=[Shift(name="day", start="08:30", end="16:30")],
                shift="day",
                on=6,
                off=1,
                anchor=start.date(),
            )
        due = duty.next_due(start, shifts=shifts)
        assert start < due < start.replace(year=2027), duty.id
