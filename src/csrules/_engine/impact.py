"""The impact of a policy change on history: every past fact judged by the old and the new
engine, and the decisions that change, grouped by rule and direction.

Facts stream through :func:`measure_impact` one at a time; the report keeps counts and the
first three examples of each group, so memory stays bounded however long the history.
Each fact is judged at its own ``now`` (a decision record carries the instant it was made).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from csrules._engine.decision import Approval, Decision, Violation
from csrules._engine.record import DecisionRecord, fact_subject
from csrules._engine.replay import content_mismatches
from csrules._engine.zones import fact_zones
from csrules.exceptions import CsrulesError

if TYPE_CHECKING:
    from csrules._engine.engine import Engine

__all__ = [
    "DIRECTIONS",
    "Direction",
    "HistoricalFact",
    "ImpactExample",
    "ImpactGroup",
    "ImpactReport",
    "measure_impact",
]

Direction = Literal["newly violating", "no longer violating", "newly needs approval", "no longer needs approval",
                    "approver changed", "other change"]
"""How a rule's decision on a fact changed from the old policies to the new."""

DIRECTIONS: tuple[Direction, ...] = ("newly violating", "no longer violating", "newly needs approval",
                                     "no longer needs approval", "approver changed", "other change")
"""The directions, in the order reports list them."""

EXAMPLES = 3
"""Examples kept per group."""

_LISTED = 20
"""Problems a rendered report lists (the JSON form keeps :data:`MAX_PROBLEMS`)."""

MAX_PROBLEMS = 100
"""Problems kept in a report (all are counted)."""

_COLOURS = {"newly violating": "#c0392b", "no longer violating": "#27ae60", "newly needs approval": "#d68910",
            "no longer needs approval": "#17a589", "approver changed": "#2c6fbb", "other change": "#7f8c8d"}


@dataclass(frozen=True, slots=True)
class HistoricalFact:
    """One fact of history: its type, data, the instant it was judged at, and where it came
    from (``source``: ``file:line``, with the record's id for a record; a record's id alone
    for a record given in memory).

    .. versionadded:: 0.2
    """

    fact_type: str | None
    fact: Any
    now: datetime | None
    source: str
    record: DecisionRecord | None = None

    @classmethod
    def of_record(cls, record: DecisionRecord, where: str | None = None) -> HistoricalFact:
        """The fact a decision record was made about, at the record's ``now``; its source is
        where the record was read (``file:line``) and its id, or the id alone."""
        source = record.id if where is None else f"{where} ({record.id})"
        return cls(record.fact_type, record.fact, record.now, source, record)


@dataclass(frozen=True, slots=True)
class ImpactExample:
    """One changed decision: where the fact came from, its subject, and the effect keys before
    and after.

    .. versionadded:: 0.2
    """

    source: str
    subject: str | None
    now: datetime | None
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(slots=True)
class ImpactGroup:
    """The decisions that changed for one rule in one direction: a count and examples.

    .. versionadded:: 0.2
    """

    rule: str
    direction: Direction
    count: int = 0
    examples: list[ImpactExample] = field(default_factory=list)


@dataclass(slots=True)
class ImpactReport:
    """What a change of policies does to history.

    .. versionadded:: 0.2
    """

    old: str
    new: str
    facts: int = 0
    """Facts judged under both (a fact either could not judge is a problem, not counted here)."""
    changed: int = 0
    other_content: int = 0
    """Records made under policy content other than the old engine's (judged anyway)."""
    skipped: int = 0
    """Facts of a type neither engine judges (a log shared by several packs)."""
    steps: int = 0
    """Session steps (event and tick records) left out: a step depends on the subject's
    earlier steps, so it is not judged alone (:func:`~csrules.records.replay_steps` replays them)."""
    problems: list[str] = field(default_factory=list)
    """The first :data:`MAX_PROBLEMS` facts that could not be judged, each with its source."""
    problem_count: int = 0
    groups: dict[tuple[str, Direction], ImpactGroup] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        """Count a fact that could not be judged (or read), keeping the first few."""
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def sorted_groups(self) -> list[ImpactGroup]:
        """The groups by direction, then by rule."""
        return sorted(self.groups.values(), key=lambda g: (DIRECTIONS.index(g.direction), g.rule))

    def count(self, direction: Direction, rule: str | None = None) -> int:
        """How many decisions changed in ``direction`` (for ``rule``, or any rule)."""
        return sum(g.count for g in self.groups.values() if g.direction == direction and rule in (None, g.rule))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "old": self.old, "new": self.new, "facts": self.facts, "changed": self.changed,
            "other_content": self.other_content, "skipped": self.skipped, "steps": self.steps,
            "problem_count": self.problem_count,
            "problems": list(self.problems),
            "groups": [
                {"rule": g.rule, "direction": g.direction, "count": g.count,
                 "examples": [{"source": e.source, "subject": e.subject,
                               "now": e.now.isoformat() if e.now else None,
                               "before": list(e.before), "after": list(e.after)} for e in g.examples]}
                for g in self.sorted_groups()
            ],
        }

    def to_markdown(self) -> str:
        """The report as Markdown: totals, a table of groups, three examples each."""
        lines = [f"# Impact of {self.old} → {self.new}", "", *self._summary(), ""]
        if not self.groups:
            lines.append("No decision changes.")
        lines += ["| Rule | Direction | Decisions |", "| --- | --- | ---: |"] if self.groups else []
        lines += [f"| `{g.rule}` | {g.direction} | {g.count:,} |" for g in self.sorted_groups()]
        for g in self.sorted_groups():
            lines += ["", f"## `{g.rule}`: {g.direction} ({g.count:,})", ""]
            lines += [f"- {_example_text(e)}" for e in g.examples]
        if self.problems:  # listed whether or not any decision changed
            lines += ["", "## Facts that could not be read or judged", ""]
            lines += [f"- {p}" for p in self.problems[:_LISTED]]
        return "\n".join([*lines, ""])

    def to_html(self) -> str:
        """The report as one self-contained HTML page (inline style and SVG chart, no scripts,
        nothing fetched)."""
        esc = html.escape
        rows = "".join(
            f"<tr><td><code>{esc(g.rule)}</code></td><td>{esc(g.direction)}</td><td class=n>{g.count:,}</td></tr>"
            for g in self.sorted_groups())
        sections = "".join(
            f"<section><h2><code>{esc(g.rule)}</code>: {esc(g.direction)} ({g.count:,})</h2><ul>"
            + "".join(f"<li>{esc(_example_text(e))}</li>" for e in g.examples) + "</ul></section>"
            for g in self.sorted_groups())
        problems = ("<section><h2>Facts that could not be read or judged</h2><ul>"
                    + "".join(f"<li>{esc(p)}</li>" for p in self.problems[:_LISTED]) + "</ul></section>"
                    if self.problems else "")
        table = (f"<table><thead><tr><th>Rule</th><th>Direction</th><th>Decisions</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>" if self.groups else "<p>No decision changes.</p>")
        summary = "".join(f"<p>{esc(line)}</p>" for line in self._summary())
        title = esc(f"Impact of {self.old} → {self.new}")
        return (
            "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width, initial-scale=1'><title>{title}</title>"
            f"<style>{_CSS}</style></head><body><main><h1>{title}</h1>{summary}{self._chart()}{table}"
            f"{sections}{problems}</main></body></html>\n"
        )

    def _summary(self) -> list[str]:
        lines = [f"{_counted(self.facts, 'historical fact')} judged under both; "
                 f"{_counted(self.changed, 'decision', 'changes')}."]
        if self.skipped:
            lines.append(f"{_counted(self.skipped, 'fact', 'was')} skipped: of types neither judges.")
        if self.steps:
            lines.append(f"{_counted(self.steps, 'session step', 'was')} left out: a step depends on its "
                         "subject's earlier steps, so impact judges single decisions only.")
        if self.other_content:
            lines.append(f"{_counted(self.other_content, 'record', 'was')} made under policy content other than "
                         f"{self.old}.")
        if self.problem_count:
            listed = "listed below" if self.problem_count <= _LISTED else f"the first {_LISTED} listed below"
            lines.append(f"{_counted(self.problem_count, 'fact')} could not be read or judged ({listed}).")
        return lines

    def _chart(self) -> str:
        """A horizontal bar per group, coloured by direction (inline SVG)."""
        groups = self.sorted_groups()
        if not groups:
            return ""
        widest = max(g.count for g in groups)
        label_w, bar_w, row_h = 330, 360, 24
        height = row_h * len(groups) + 10
        bars = []
        for i, g in enumerate(groups):
            y = 5 + i * row_h
            w = max(2, round(bar_w * g.count / widest))
            label = html.escape(f"{g.rule} · {g.direction}")
            bars.append(
                f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>{label}</text>"
                f"<rect x='{label_w}' y='{y + 3}' width='{w}' height='{row_h - 8}' fill='{_COLOURS[g.direction]}'>"
                f"<title>{label}: {g.count:,}</title></rect>"
                f"<text x='{label_w + w + 6}' y='{y + 15}'>{g.count:,}</text>")
        return (f"<figure><svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='decisions changed by rule' "
                f"viewBox='0 0 {label_w + bar_w + 80} {height}' width='100%' font-size='12' "
                f"font-family='sans-serif'>{''.join(bars)}</svg>"
                "<figcaption>Decisions changed, by rule and direction</figcaption></figure>")


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fff}"
    "main{max-width:60rem;margin:0 auto;padding:1rem}"
    "table{border-collapse:collapse;width:100%;margin:1rem 0}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;overflow-wrap:anywhere}"
    "td.n{text-align:right}figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}"
    "code{font-size:.9em}"
)


_VERBS = {"was": "were", "changes": "change"}


def _counted(count: int, noun: str, verb: str = "") -> str:
    """``count``, ``noun`` and ``verb``, agreeing in number: "1 decision changes", "2 decisions change"."""
    if count == 1:
        return f"1 {noun} {verb}".rstrip()
    return f"{count:,} {noun}s {_VERBS.get(verb, verb)}".rstrip()


def _example_text(example: ImpactExample) -> str:
    who = f" (subject {example.subject})" if example.subject else ""
    when = f" at {example.now.isoformat()}" if example.now else ""
    before = ", ".join(example.before) or "clean"
    after = ", ".join(example.after) or "clean"
    return f"{example.source}{who}{when}: {before} → {after}"


def measure_impact(old: Engine, new: Engine, history: Iterable[HistoricalFact], *,
                   old_name: str = "old", new_name: str = "new",
                   progress: Callable[[int, int], None] | None = None,
                   report: ImpactReport | None = None) -> ImpactReport:
    """Judge every fact of ``history`` with ``old`` and ``new``; report the changes.

    A fact either engine cannot judge (invalid, a type it does not know, no ``now`` where
    a rule reads the clock, a rule that fails on it) is listed in ``problems`` with its
    source; the rest go on. A failed rule counts as not matched in a decision, so comparing
    across it would report a change the policies did not make.
    ``report`` may be given beforehand (a reader adds the lines it could not read to it).
    ``progress`` is called before each fact with the facts seen and the decisions changed.
    """
    report = ImpactReport(old_name, new_name) if report is None else report
    judged = {*old.fact_types, *new.fact_types}
    # A fact is validated once: the new side judges the model the old side read, where both
    # read a fact alike (the same fact types, and the same zone for a fact naming none).
    shared = set(old.fact_types) == set(new.fact_types) and fact_zones(old.policies) == fact_zones(new.policies)
    for seen, item in enumerate(history):
        if progress is not None:
            progress(seen, report.changed)
        if item.record is not None and item.record.kind != "decision":
            report.steps += 1
            continue
        if item.fact_type is not None and item.fact_type not in judged:
            report.skipped += 1
            continue
        try:
            before = old.evaluate(item.fact, now=item.now, fact_type=item.fact_type)
            after = new.evaluate(before.fact if shared else item.fact, now=item.now, fact_type=item.fact_type)
            changes = list(_changes(before, after))
        except CsrulesError as exc:
            report.problem(f"{item.source}: {exc}")
            continue
        failed = _rule_errors(old_name, before) + _rule_errors(new_name, after)
        if failed:
            report.problem(f"{item.source}: " + "; ".join(failed))
            continue
        report.facts += 1  # judged under both: a fact that failed is a problem, not a judged fact
        if item.record is not None and content_mismatches(item.record, old):
            report.other_content += 1
        if changes:
            report.changed += 1
            example = ImpactExample(item.source, _subject(item, after), item.now, before.effect_keys, after.effect_keys)
            for rule, direction in changes:
                group = report.groups.get((rule, direction))
                if group is None:
                    group = report.groups[(rule, direction)] = ImpactGroup(rule, direction)
                group.count += 1
                if len(group.examples) < EXAMPLES:
                    group.examples.append(example)
    return report


def _rule_errors(side: str, decision: Decision) -> list[str]:
    """The rules that failed in ``decision`` (judged under ``side``), each with its error."""
    return [f"rule {e.policy_id}/{e.rule_id} failed under {side}: {e.message}" for e in decision.errors]


def _subject(item: HistoricalFact, decision: Decision) -> str | None:
    if item.record is not None:
        return item.record.subject
    return fact_subject(decision.fact)


def _changes(before: Decision, after: Decision) -> Iterator[tuple[str, Direction]]:
    """Each (rule, direction) that differs between the two decisions on one fact."""
    old, new = _by_rule(before), _by_rule(after)
    for key in dict.fromkeys([*old, *new]):
        rule = key[1]  # reported by rule id; compared per policy, where rule ids may repeat
        was, now = old.get(key, _NOTHING), new.get(key, _NOTHING)
        if was == now:
            continue
        if now[0] and not was[0]:
            yield rule, "newly violating"
        elif was[0] and not now[0]:
            yield rule, "no longer violating"
        elif was[1] != now[1]:  # the roles asked to approve: none before, none after, or others
            yield rule, ("newly needs approval" if not was[1] else "no longer needs approval" if not now[1]
                         else "approver changed")
        else:
            yield rule, "other change"


_Judged = tuple[bool, frozenset[str], tuple[tuple[str, float], ...]]
_NOTHING: _Judged = (False, frozenset(), ())


def _by_rule(decision: Decision) -> dict[tuple[str, str], _Judged]:
    """(policy id, rule id) -> (violates, approver roles, effect keys with due times) for each
    rule that applies. Texts are left out: a message reworded by a new parameter value is no
    change of decision."""
    out = {}
    for key, effects in decision.rule_effects.items():
        violates = any(isinstance(e, Violation) for e in effects)
        roles = frozenset(e.role for e in effects if isinstance(e, Approval))
        due = [(e.key, _instant(getattr(e, "due", None))) for e in effects]
        out[key] = (violates, roles, tuple(sorted(due)))
    return out


def _instant(due: datetime | None) -> float:
    """A due time as seconds since 1970 (equal instants in other zones compare equal)."""
    return -1.0 if due is None else due.timestamp()
