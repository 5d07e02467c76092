"""Reviewer diagrams, checked by geometry over the generated SVG.

Every edge label must sit where only its own edge runs (no other edge's path through its
box, no state or step box under it, no label on another), and an escalation ladder must
draw alternatives as branches from one start and a sequence in time as a chain.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from csrules import load_policy
from csrules._cli._common import import_modules, load_target, pack_infos
from csrules._docs import langs_for, subject_from_pack
from csrules._docs.subject import Lifecycle, Subject
from csrules._docs.svg import ladder_svg, lifecycle_svg

DATA = Path(__file__).parent / "e2e" / "data"
SVG = "{http://www.w3.org/2000/svg}"
PACKS = [str(getattr(info, "name", info)) for info in pack_infos()]
LANGS = langs_for("both")


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle."""

    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share interior area."""
        apart_x = self.x >= other.x + other.w or other.x >= self.x + self.w
        return not apart_x and self.y < other.y + other.h and other.y < self.y + self.h


Segment = tuple[float, float, float, float]


def _segments(d: str) -> list[Segment]:
    """The straight segments of a path written with absolute M, L, H and V commands."""
    out: list[Segment] = []
    x = y = 0.0
    for command, args in re.findall(r"([MLHV])\s*([-\d.,\s]+)", d):
        numbers = [float(n) for n in re.split(r"[\s,]+", args.strip()) if n]
        if command == "M":
            x, y = numbers[0], numbers[1]
            continue
        if command == "L":
            nx, ny = numbers[0], numbers[1]
        else:
            nx, ny = (numbers[0], y) if command == "H" else (x, numbers[0])
        out.append((x, y, nx, ny))
        x, y = nx, ny
    return out


def _crosses(segment: Segment, box: Box) -> bool:
    """Whether a segment passes through the box's interior (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = segment
    inner = Box(box.x + 0.5, box.y + 0.5, box.w - 1, box.h - 1)  # touching the border is fine
    dx, dy = x2 - x1, y2 - y1
    low, high = 0.0, 1.0
    for p, q in ((-dx, x1 - inner.x), (dx, inner.x + inner.w - x1), (-dy, y1 - inner.y), (dy, inner.y + inner.h - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def _rect(element: ET.Element) -> Box:
    return Box(*(float(element.get(name, "0")) for name in ("x", "y", "width", "height")))


@dataclass(frozen=True)
class Drawing:
    """The parts of a diagram the checks read."""

    labels: list[tuple[str, Box]]  # (edge, label box)
    edges: list[tuple[str, list[Segment]]]  # (edge, its segments)
    boxes: list[Box]  # state and step boxes


def _drawing(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    labels = [
        (g.get("data-edge", ""), _rect(g.find(f"{SVG}rect")))  # type: ignore[arg-type]
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "lbl"
    ]
    edges = [
        (path.get("data-edge", ""), _segments(path.get("d", "")))
        for path in root.iter(f"{SVG}path")
        if "e" in (path.get("class") or "").split()
    ]
    boxes = [_rect(rect) for rect in root.iter(f"{SVG}rect") if (rect.get("class") or "").split()[:1] == ["b"]]
    return Drawing(labels, edges, boxes)


def _clear_labels(svg: str) -> None:
    """No label box is crossed by another edge, covers a box, or overlaps another label."""
    drawing = _drawing(svg)
    for edge, label in drawing.labels:
        crossing = [other for other, path in drawing.edges if other != edge and any(_crosses(s, label) for s in path)]
        assert crossing == [], f"label of edge {edge} is crossed by edge(s) {crossing}"
        assert not any(label.overlaps(box) for box in drawing.boxes), f"label of edge {edge} covers a box"
        others = [other for other, box in drawing.labels if other != edge and box.overlaps(label)]
        assert others == [], f"label of edge {edge} overlaps the label(s) of {others}"


def _fixture_lifecycles() -> list[Lifecycle]:
    """Lifecycles with a branch, a long skip, a return and a self-loop."""
    return [
        Lifecycle(
            name="reopen",
            title=SimpleNamespace(en="Complaint", zh="投诉"),  # type: ignore[arg-type]
            states=("intake", "judged", "closed"),
            transitions=(("intake", "judge", "judged"), ("judged", "close", "closed"), ("judged", "reopen", "intake")),
            initial="intake",
            final=("closed",),
        ),
        Lifecycle(
            name="skips",
            title=SimpleNamespace(en="Order", zh="订单"),  # type: ignore[arg-type]
            states=("new", "paid", "shipped", "done", "refunded"),
            transitions=(
                ("new", "pay", "paid"),
                ("paid", "ship", "shipped"),
                ("shipped", "deliver", "done"),
                ("new", "cancel", "done"),
                ("paid", "refund", "refunded"),
                ("shipped", "return_goods", "paid"),
                ("refunded", "note", "refunded"),
            ),
            initial="new",
            final=("done", "refunded"),
        ),
    ]


def _subjects() -> list[Subject]:
    return [load_target(pack).subject() for pack in PACKS]


class TestLabelsClear:
    @pytest.mark.parametrize("pack", PACKS)
    def test_builtin_lifecycle_labels_sit_only_on_their_own_edge(self, pack: str) -> None:
        """Every transition of a built-in lifecycle has a label no other edge, box or label touches."""
        for lifecycle in load_target(pack).subject().lifecycles:
            svg = lifecycle_svg(lifecycle, LANGS)
            assert len(_drawing(svg).labels) == len(lifecycle.transitions)
            _clear_labels(svg)

    @pytest.mark.parametrize("lifecycle", _fixture_lifecycles(), ids=lambda lc: lc.name)
    def test_returns_skips_and_loops_keep_labels_clear(self, lifecycle: Lifecycle) -> None:
        """Edges back up, past a state, sideways into another column and onto their own state
        still leave every label clear."""
        svg = lifecycle_svg(lifecycle, LANGS)
        assert len(_drawing(svg).labels) == len(lifecycle.transitions)
        _clear_labels(svg)

    def test_complaint_judge_and_close_are_not_crossed(self) -> None:
        """The complaint flow's two "judge" labels and its "close" label are each on their own edge only."""
        subject = load_target("call_centre").subject()
        (complaint,) = subject.lifecycles
        drawing = _drawing(lifecycle_svg(complaint, LANGS))
        events = {f"t{i}": event for i, (_, event, _) in enumerate(complaint.transitions)}
        shown = sorted(events[edge] for edge, _ in drawing.labels if events[edge] in ("judge", "close"))
        assert shown == ["close", "judge", "judge"]
        _clear_labels(lifecycle_svg(complaint, LANGS))

    @pytest.mark.parametrize("pack", PACKS)
    def test_ladder_labels_sit_only_on_their_own_edge(self, pack: str) -> None:
        """Each ladder step's condition label is crossed by no other step's edge."""
        subject = load_target(pack).subject()
        for ladder in subject.ladders:
            svg = ladder_svg(ladder, subject.role_names, LANGS)
            assert len(_drawing(svg).labels) == len(ladder.steps)
            _clear_labels(svg)

    def test_crossing_is_detected(self) -> None:
        """The check itself finds an edge through a label box, and not one beside it."""
        box = Box(10, 10, 40, 12)
        assert _crosses((0, 16, 100, 16), box)
        assert _crosses((30, 0, 30, 100), box)
        assert not _crosses((0, 30, 100, 30), box)
        assert not _crosses((55, 0, 55, 100), box)
        assert _segments("M1,2 H5 V9 L0,0") == [(1, 2, 5, 2), (5, 2, 5, 9), (5, 9, 0, 0)]


def _steps(svg: str) -> dict[str, tuple[float, str]]:
    """Each ladder step's box top and the node its incoming edge leaves from."""
    root = ET.fromstring(svg)
    tops = {
        g.get("data-rule", ""): float(g.find(f"{SVG}rect").get("y", "0"))  # type: ignore[union-attr]
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "step"
    }
    paths = [path for path in root.iter(f"{SVG}path") if path.get("data-to")]
    sources = {path.get("data-to", ""): path.get("data-from", "") for path in paths}
    return {rule: (top, sources[rule]) for rule, top in tops.items()}


class TestLadderShape:
    def test_parallel_conditions_branch_from_one_start(self) -> None:
        """The call-centre report ladder's six conditions are six branches from the start, side by side."""
        subject = load_target("call_centre").subject()
        ladder = next(item for item in subject.ladders if item.policy_id == "call_centre.report")
        steps = _steps(ladder_svg(ladder, subject.role_names, LANGS))
        assert len(steps) == 6
        assert {source for _, source in steps.values()} == {"start"}
        assert len({top for top, _ in steps.values()}) == 1
        assert [len(stage) for stage in ladder.stages] == [6]

    @pytest.mark.parametrize("policy_id", ["call_centre.work_order", "call_centre.work_order_session"])
    def test_a_longer_wait_follows_as_a_sequence(self, policy_id: str) -> None:
        """Still unresolved after one day goes to the shift lead, after two to the department head: a chain."""
        subject = load_target("call_centre").subject()
        ladder = next(item for item in subject.ladders if item.policy_id == policy_id)
        assert [len(stage) for stage in ladder.stages] == [1, 1]
        first, second = (stage[0] for stage in ladder.stages)
        assert (first.to, second.to) == ("shift_lead", "department_head")
        steps = _steps(ladder_svg(ladder, subject.role_names, LANGS))
        assert steps[first.rule_id][1] == "start"
        assert steps[second.rule_id][1] == first.rule_id
        assert steps[second.rule_id][0] > steps[first.rule_id][0]

    def test_alternatives_then_a_later_stage_merge(self) -> None:
        """A longer wait after several alternatives follows all of them (they merge), drawn below."""
        import_modules([str(DATA / "cli_facts.py")])
        orders = load_policy(DATA / "escalation.yaml")
        extra = orders.rules[1].model_copy(update={"id": "to-shift-lead-too"})
        policy = orders.model_copy(update={"rules": (*orders.rules, extra)})
        subject = subject_from_pack(SimpleNamespace(name="p", policies=[policy]))
        (ladder,) = subject.ladders
        assert [[s.rule_id for s in stage] for stage in ladder.stages] == [
            ["to-shift-lead", "to-shift-lead-too"],
            ["to-manager"],
        ]
        steps = _steps(ladder_svg(ladder, subject.role_names, LANGS))
        assert steps["to-shift-lead"][1] == steps["to-shift-lead-too"][1] == "start"
        assert steps["to-manager"][1] == "merge"
        _clear_labels(ladder_svg(ladder, subject.role_names, LANGS))

    def test_words_and_mermaid_show_alternatives(self) -> None:
        """The Markdown letters alternatives (1a-1f) and its Mermaid branches each from the start."""
        from csrules._docs import render_docs

        md = render_docs(load_target("call_centre").subject(), LANGS, date(2026, 1, 1)).markdown
        ladder = md[md.index("## Escalation ladder") :]
        ladder = ladder[ladder.index("call_centre.report\n") :]
        ladder = ladder[: ladder.index("\n### ")]
        assert [f"- {mark} →" in ladder for mark in ("1a", "1b", "1c", "1d", "1e", "1f")] == [True] * 6
        assert ladder.count("start -->|") == 6
