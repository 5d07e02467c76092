"""Documents of tuned packs: titles follow the parameters in force, inherited worked examples
are judged again, alias lists read once per script, and a pack's calendar is shown."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from csrules._cli.cli import main
from csrules._docs import Rendered, render_docs, subject_from_pack
from csrules._docs.history import in_force_on
from csrules._docs.plain import rule_title
from csrules._policy.kinds.base import show_value
from csrules._policy.loader import policy_from_data
from csrules.exceptions import PolicyError
from csrules.policies import load_pack
from csrules.time import registered_time

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 12, 4)
TUNED = {"attendance": {"max_late_minutes": 30}, "handover": {"arrive_early": "15m"}}


@pytest.fixture(scope="module")
def tuned() -> Rendered:
    """The English and Chinese document of the call-centre pack with two thresholds overridden."""
    pack = load_pack("call_centre", overrides=TUNED)
    return render_docs(subject_from_pack(pack), ("en", "zh"), DAY)


def _section(markdown: str, rule_id: str) -> str:
    """The part of a document from ``rule_id``'s heading to the next rule's heading."""
    start = markdown.index(f"#### {rule_id} —")
    end = markdown.find("\n#### ", start + 1)
    return markdown[start : end if end > 0 else None]


def _policy(title: dict[str, str]) -> dict[str, Any]:
    """A one-rule policy whose rule has ``title`` and reads parameter ``days``."""
    return {
        "id": "p", "version": "1", "title": "P", "fact_type": "leave_request",
        "params": {"days": {"type": "int", "default": 2}},
        "rules": [{
            "id": "R-1", "title": title,
            "when": {"kind": "compare", "path": "days", "op": ">", "param": "days"},
            "then": [{"type": "violation", "code": "R-1", "message": "too long"}],
        }],
    }


class TestTitles:
    """A rule's title quotes its parameters and is rendered with the values in force."""

    def test_tuned_threshold_in_heading(self, tuned: Rendered) -> None:
        """The heading of ATT-7.late names the overridden 30 minutes, never the base's twenty."""
        heading = _section(tuned.markdown, "ATT-7.late").splitlines()[0]
        assert "30 minutes late" in heading
        assert "30分钟" in heading
        assert "wenty" not in heading
        assert "二十" not in heading

    def test_company_pack_heading(self) -> None:
        """The shipped company pack's 2-day notice heads ATT-1.personal-notice."""
        subject = in_force_on(subject_from_pack(load_pack(ROOT / "examples" / "company_pack")), DAY)
        policy = next(policy for policy in subject.policies if policy.id.endswith(".leave"))
        rule = next(rule for rule in policy.rules if rule.id == "ATT-1.personal-notice")
        assert rule_title(policy, rule).en == "Ordinary personal leave is requested 2 days ahead"

    def test_title_placeholder_rendered(self) -> None:
        """A policy file's title placeholder shows the parameter's value."""
        policy = policy_from_data(_policy({"en": "More than {days} days", "zh": "超过{days}天"}))
        assert rule_title(policy, policy.rules[0]).en == "More than 2 days"

    def test_unknown_placeholder_refused(self) -> None:
        """A title quoting an undeclared parameter is a policy error naming the title."""
        with pytest.raises(PolicyError, match=r"\{nope\}.*not a parameter") as caught:
            policy_from_data(_policy({"en": "within {nope}", "zh": "{nope}内"}))
        assert "title" in str(caught.value)


class TestStaleExamples:
    """Inherited worked examples are judged by the tuned rules before they are published."""

    def test_marked_in_document(self, tuned: Rendered) -> None:
        """ATT-7.late's 20-minute example, clean under 30 minutes, is marked as not holding."""
        section = _section(tuned.markdown, "ATT-7.late")
        assert "✘ does not hold here: the rule gives none" in section
        assert "Examples marked ✘" in section

    def test_listed_for_warning(self, tuned: Rendered) -> None:
        """The rendered document lists exactly the two examples the overrides contradict."""
        assert sorted(case.id for case in tuned.stale) == [
            "call_centre.attendance/ATT-7.late#1",
            "call_centre.handover/ATT-10.arrive-early#4",
        ]

    def test_untuned_pack_clean(self) -> None:
        """A built-in pack as shipped has no example marked."""
        rendered = render_docs(subject_from_pack(load_pack("mall")), ("en",), DAY)
        assert rendered.stale == ()
        assert "✘" not in rendered.markdown

    def test_cli_warns(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """``csrules docs`` of a tuned company pack names the rule and example on stderr."""
        pack = tmp_path / "late30"
        pack.mkdir()
        (pack / "pack.yaml").write_text(
            "name: late30\ntitle: {en: Late 30, zh: 遲到30}\nversion: '1'\nextends: call_centre\n"
            "overrides:\n  attendance:\n    max_late_minutes: 30\n", encoding="utf-8")
        assert main(["docs", str(pack), "-o", str(tmp_path / "out"), "--format", "md", "--date", "2026-12-04"]) == 0
        err = capsys.readouterr().err
        assert "call_centre.attendance/ATT-7.late#1 does not hold" in err
        assert "ATT-10" not in err


class TestAliases:
    """A value list names each alias once, whatever script it was written in."""

    def test_show_value_folds(self) -> None:
        """Traditional and simplified spellings of one role read once, the first kept."""
        assert show_value(["agent", "業務代表", "业务代表", "座席"], "zh") == "“agent”, “業務代表”, “座席”"

    def test_reference_document(self) -> None:
        """The call-centre reference document lists 业务代表 once in ATT-2.level-by-level."""
        text = (ROOT / "docs" / "reference" / "call_centre.md").read_text(encoding="utf-8")
        assert "“业务代表”, “客服专员”, “座席”, “业务代表”" not in text
        assert "“部门经理”, “department\\_manager”, “部门经理”" not in text


class TestCalendar:
    """A pack with a calendar shows it: zone, base, hours and closures."""

    def test_calendar_section(self, tmp_path: Path) -> None:
        """The closure that decides a rule is in the document."""
        (tmp_path / "pack.yaml").write_text(
            "name: acme\ntitle: {en: Acme, zh: 阿克米}\nversion: '1'\nextends: call_centre\n"
            "calendar: {name: fixdocs-office, closures: [2026-12-24]}\n", encoding="utf-8")
        with registered_time():  # the pack's calendar is registered only inside
            rendered = render_docs(subject_from_pack(load_pack(tmp_path)), ("en",), DAY)
        section = rendered.markdown[rendered.markdown.index("## Calendar"):]
        assert "| Closures | 2026-12-24 |" in section
        assert "fixdocs-office" in section
        assert "China's public holidays" in section
        assert "mon 09:00-18:00" in section


class TestSlaTitles:
    """A service-level target's title quotes ``{target}``, filled with the target in force."""

    def test_title_follows_override(self) -> None:
        """Under a 5-day callback target the SLA is "within 5 days", in its document and breach."""
        pack = load_pack("call_centre", overrides={"callback": {"callback_within": "5d"}})
        titles = {doc.id: doc.title.en for doc in subject_from_pack(pack).slas}
        assert titles["CB-1.callback"] == "Callback within 5 days"
        breach = pack.slas.policy.rules[0]
        assert breach.title.en == "Callback within 5 days: target missed"

    def test_other_placeholder_refused(self) -> None:
        """A title quoting anything but the target is refused, naming the placeholder."""
        from pydantic import ValidationError

        from csrules.policies.slas import SlaDeclaration

        with pytest.raises(ValidationError, match=r"only \{target\} \(got \{days\}\)"):
            SlaDeclaration.model_validate({
                "id": "CB-1.x", "title": "within {days}", "policy": "callback", "start": "created_at",
                "target": "3d", "citation": {"source": "001"},
            })
