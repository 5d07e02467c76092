"""Why a date or date-time given on the command line or in an envelope names no real one.

Python's own reading says only "day is out of range for month" of ``2026-02-30``; a user
who typed a well-formed text is told which part is wrong (February 2026 has 28 days), and
one who typed no ISO 8601 text at all is shown the form.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

__all__ = ["day_problem", "iso_problem"]

_YEAR_MONTH = re.compile(r"\s*(\d{4})-(\d{2})")


def iso_problem(text: str, exc: ValueError) -> str | None:
    """What is wrong with ``text``, which ``date``/``datetime.fromisoformat`` refused with
    ``exc``: a part out of range, in words; None when the text is not ISO 8601 in form."""
    reason = str(exc)
    if reason.startswith("Invalid isoformat string"):
        return None
    found = _YEAR_MONTH.match(text)
    if reason.startswith("day is out of range") and found and 1 <= int(found[2]) <= 12 and int(found[1]):
        year, month = int(found[1]), int(found[2])
        return f"no such day: {date(year, month, 1):%B %Y} has {calendar.monthrange(year, month)[1]} days"
    if reason.startswith("offset must be"):
        return "the offset must be less than 24 hours"
    return reason


def day_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a day, YYYY-MM-DD (None: nothing)."""
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        return iso_problem(text, exc) or "not a day in the form YYYY-MM-DD"
    return None
