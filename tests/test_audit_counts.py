"""A batch's counts (worst outcome per fact, effects per rule, invalid rows) equal a plain
count of its decision rows, whatever order the rows come in."""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl
import pyarrow as pa

from csrules._audit.rows import ROW_SCHEMA
from csrules._audit.summary import Tally, partial

RANKS = ["clean", "action_required", "needs_approval", "violation", "error", "invalid"]


EFFECTS = {"violation": "violation", "needs_approval": "approval", "action_required": "obligation"}


def row(number: int, outcome: str, rule: str | None = None, subject: str = "A1",
        month: str = "2026-03") -> dict[str, Any]:
    """One decision row of fact ``number``."""
    effect = EFFECTS.get(outcome, outcome)
    return {"row": number, "fact_type": "t", "subject": subject, "team": "north", "month": month,
            "policy": None if rule is None else "p", "rule": rule, "effect": effect, "outcome": outcome,
            "field": "x" if outcome == "invalid" else None}


ROWS = [
    row(1, "needs_approval", "R1"), row(1, "violation", "R2"), row(1, "action_required", "R3"),
    row(2, "clean"), row(3, "invalid", subject="A2"), row(3, "invalid", subject="A2"),
    row(4, "error", "R2", month="2026-04"), row(4, "violation", "R2", month="2026-04"),
    row(5, "needs_approval", "R1", subject="A2"), row(6, "action_required", "R3"),
]


def plain(rows: list[dict[str, Any]]) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """Facts by (subject, worst outcome) and effects by rule, counted one row at a time."""
    worst: dict[int, tuple[str, str]] = {}
    for item in rows:
        old = worst.get(item["row"])
        if old is None or RANKS.index(item["outcome"]) > RANKS.index(old[1]):
            worst[item["row"]] = (item["subject"], item["outcome"])
    rules = Counter(item["rule"] for item in rows if item["effect"] not in ("clean", "invalid"))
    return Counter(worst.values()), rules


class TestPartialCounts:
    """:func:`partial` against counting the rows one by one."""

    def test_sorted_and_shuffled_rows(self):
        """Rows in fact order and the same rows reversed give the plain counts."""
        for rows in (ROWS, ROWS[::-1]):
            table = pa.Table.from_pylist(rows, schema=ROW_SCHEMA)
            found = partial(table)
            assert found is not None
            by_group, by_rule, bad = found
            facts, rules = plain(rows)
            grouped = by_group.filter(pl.col("by") == "subject").select("value", "outcome", "facts").iter_rows()
            assert Counter({(s, o): n for s, o, n in grouped}) == facts
            assert dict(by_rule.group_by("rule").agg(pl.col("count").sum()).iter_rows()) == dict(rules)
            assert sorted(bad["row"].to_list()) == [3, 3]

    def test_tally_adds_batches(self):
        """Counts of two batches added up equal the counts of both at once."""
        tally = Tally()
        tally.add(3, partial(pa.Table.from_pylist(ROWS[:6], schema=ROW_SCHEMA)))
        tally.add(3, partial(pa.Table.from_pylist(ROWS[6:], schema=ROW_SCHEMA)))
        summary = tally.summary("t", "t")
        facts, _ = plain(ROWS)
        assert summary.totals == {**{name: sum(n for (_, o), n in facts.items() if o == name) for name in RANKS},
                                  "facts": 6}
        assert pl.DataFrame(summary.by_subject).filter(pl.col("subject") == "A2")["invalid"].item() == 1
