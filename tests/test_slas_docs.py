"""The document section listing a pack's service-level targets."""

from __future__ import annotations

from datetime import date

from csrules._docs import langs_for, render_docs, subject_from_pack
from csrules.policies import load_pack

DAY = date(2026, 12, 4)


def markdown(pack: str, lang: str = "both", **overrides: dict[str, object]) -> str:
    """The Markdown document of a built-in pack, with optional overrides."""
    loaded = load_pack(pack, overrides=dict(overrides) or None)
    return render_docs(subject_from_pack(loaded), langs_for(lang), DAY).markdown


class TestSlaSection:
    """Each pack's document lists its targets with the clause."""

    def test_call_centre_lists_both_targets_with_clauses(self) -> None:
        """The call centre shows CB-1 and CMP-4 with the deadlines they set and the quotes."""
        md = markdown("call_centre")
        section = md.split("## Service-level targets / 服务水平目标", 1)[1]
        assert "CB-1.callback" in section
        assert "CB-1.overdue (CB-1)" in section
        assert "cmp-1.callback_within" in section
        assert "CMP-4.reply" in section
        assert "“必须保证在三天之内回访”" in section  # the source's traditional, in simplified
        assert "003 § 篇17 第一条(1)3" in section

    def test_target_in_force_is_shown(self) -> None:
        """An override of the rule's parameter shows as the SLA's target."""
        md = markdown("mall", lang="en", order={"shipping_delay": "2h"})
        row = next(line for line in md.splitlines() if line.startswith("| ORD-1.shipping"))
        assert "| 2 hours |" in row
        assert "while status = shipping" in row

    def test_pack_without_targets_has_no_section(self) -> None:
        """A pack that declares no SLA gets no empty section."""
        assert "Service-level targets" not in markdown("ecommerce", lang="en")
