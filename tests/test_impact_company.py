"""The example company pack (a notice period of two days from 2026-07-01) over a year of
leave requests: exactly the requests of the second half-year caught by the longer notice flip."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from csrules._cli.cli import main
from csrules._time.registry import get_calendar
from csrules.policies import load_pack
from csrules.records import impact
from tests.test_impact import CST, NOTICE_HOURS, log_year, year_of_leave

COMPANY = Path(__file__).resolve().parent.parent / "examples" / "company_pack"
FROM = date(2026, 7, 1)


def hand_count() -> int:
    """Requests asked on or after 2026-07-01 (in the pack's zone, +08:00), at least one day
    but less than two ahead, with no manager's approval beforehand, for a day that is no
    public holiday (a holiday's notice is ATT-6's, read from the china calendar)."""
    china = get_calendar("china")
    return sum(
        1
        for day, (fact, asked) in enumerate(year_of_leave())
        if asked.astimezone(CST).date() >= FROM
        and 24 <= NOTICE_HOURS[day % 4] < 48
        and day % 3 != 0
        and not china.is_holiday(datetime.fromisoformat(fact["start"]).date())
    )


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The year decided under the stock call-centre pack, logged to SQLite."""
    return log_year(tmp_path_factory.mktemp("company") / "decisions.db")


class TestCompanyPackImpact:
    """``examples/company_pack`` extends call_centre and dates its notice period."""

    def test_exactly_the_second_half_year_flips(self, history: Path) -> None:
        """Only requests judged by the version in force from 2026-07-01 flip, all newly violating."""
        report = impact(load_pack("call_centre"), load_pack(COMPANY), [history])
        assert hand_count() == 28  # days 185..361 with day % 4 == 1: 45, less the 15 with day % 3 == 0 and 2 holidays
        assert report.facts == 365
        assert report.changed == hand_count()
        assert [(g.rule, g.direction, g.count) for g in report.sorted_groups()] == [
            ("ATT-1.personal-notice", "newly violating", hand_count()),
            ("ATT-1.late-approval", "newly needs approval", hand_count())]  # late now: the head approves
        first_day = datetime(2026, 7, 1, tzinfo=CST)
        examples = report.sorted_groups()[0].examples
        assert examples
        assert all(e.now is not None and e.now >= first_day for e in examples)  # recorded at the request

    def test_command_line(self, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """``csrules impact call_centre examples/company_pack LOG`` reports the same count."""
        code = main(["impact", "call_centre", str(COMPANY), str(history), "-o", str(tmp_path)])
        capsys.readouterr()
        assert code == 1  # decisions change
        markdown = (tmp_path / "impact.md").read_text(encoding="utf-8")
        assert f"| `ATT-1.personal-notice` | newly violating | {hand_count()} |" in markdown
