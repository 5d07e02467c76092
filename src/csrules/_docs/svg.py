"""Diagrams as inline SVG, generated here: the reporting chain, escalation ladders, lifecycles.

No external fonts, scripts or styles: text uses the reader's ``sans-serif`` and widths are
estimated (CJK characters count as one em, others as 0.58 em), so the output is the same on
every machine and fits an A4 page (at most :data:`MAX_WIDTH` user units wide; only a
lifecycle with many branches is drawn wider, and the page scales it down).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

from csrules._docs.plain import Lang, RoleNames
from csrules._docs.subject import Ladder, LadderStep, Lifecycle, RoleDoc

__all__ = ["ladder_svg", "lifecycle_svg", "number_markers", "org_svg", "text_width", "wrap"]

MAX_WIDTH = 680
FONT = 12
LINE = 15
_MARKER = "arrow"


def _style(marker: str) -> str:
    # The style and arrow-head marker every diagram starts with; edges point at the marker by id.
    return (
        "<style>.b{fill:#f5f7fa;stroke:#34495e;stroke-width:1.2}.h{fill:#e8f0fe}"
        ".t{font-family:sans-serif;font-size:12px;fill:#1b2631}.s{font-size:10.5px;fill:#4d5656}"
        f".e{{stroke:#34495e;stroke-width:1.2;fill:none;marker-end:url(#{marker})}}"
        ".k{stroke:#7f8c8d;stroke-dasharray:4 3}.m{marker-end:none}.l{fill:#fff;stroke:#d5d8dc;stroke-width:.8}"
        "</style>"
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#34495e"/></marker></defs>'
    )


_STYLE = _style(_MARKER)


def number_markers(page: str) -> str:
    """``page`` (HTML holding diagrams drawn here) with each diagram's marker id made its own.

    Every diagram is drawn with the same marker id; a page needs each id once (and a
    reference to resolve to its own diagram's marker), so the n-th diagram's becomes
    ``arrow-n``. The style block holds ``<`` and so can never appear in escaped text.
    """
    parts = page.split(_STYLE)
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        out += [_style(f"{_MARKER}-{number}"), part]
    return "".join(out)


def text_width(text: str, size: float = FONT) -> float:
    """Estimated rendered width of ``text`` at ``size`` px."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.58 for ch in text)


def wrap(text: str, width: float, size: float = FONT) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (words kept whole where possible)."""
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        candidate = current + token
        if current and text_width(candidate.rstrip(), size) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _tokens(text: str) -> list[str]:
    # Latin words with their trailing space; each CJK character is its own token.
    tokens: list[str] = []
    word = ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
            if ch == " ":
                tokens.append(word)
                word = ""
    if word:
        tokens.append(word)
    return tokens


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'style="max-width:100%;height:auto">{_STYLE}{"".join(body)}</svg>'
    )


def _box(
    x: float,
    y: float,
    w: float,
    h: float,
    lines: Sequence[str],
    *,
    cls: str = "b",
    small_from: int = 1,
) -> str:
    out = [f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5"/>']
    top = y + (h - LINE * len(lines)) / 2 + LINE - 3
    for index, line in enumerate(lines):
        extra = " s" if index >= small_from else ""
        out.append(
            f'<text class="t{extra}" x="{x + w / 2:.1f}" y="{top + index * LINE:.1f}" '
            f'text-anchor="middle">{escape(line)}</text>'
        )
    return "".join(out)


def _names(text_en: str, text_zh: str, langs: Sequence[Lang]) -> list[str]:
    lines = [text_en if lang == "en" else text_zh for lang in langs]
    return list(dict.fromkeys(lines))


# --------------------------------------------------------------------------- reporting chain


def org_svg(roles: Sequence[RoleDoc], langs: Sequence[Lang]) -> str:
    """The reporting chain as a top-down tree: each role below the role it reports to."""
    ids = {role.id for role in roles}
    depth: dict[str, int] = {}
    for role in roles:
        seen, current, level = {role.id}, role, 0
        by_id = {r.id: r for r in roles}
        while current.reports_to in ids and current.reports_to not in seen:
            seen.add(current.reports_to)
            current = by_id[current.reports_to]
            level += 1
        depth[role.id] = level
    levels: dict[int, list[RoleDoc]] = {}
    for role in roles:
        levels.setdefault(depth[role.id], []).append(role)
    box_w = 150.0
    box_h = 22.0 + LINE * len(langs)
    gap_y = 40.0
    widest = max((len(group) for group in levels.values()), default=1)
    per_row = max(1, int((MAX_WIDTH + 10) // (box_w + 10)))
    if widest > per_row:
        box_w = max(96.0, (MAX_WIDTH - 10 * (widest - 1)) / widest)
    positions: dict[str, tuple[float, float]] = {}
    body: list[str] = []
    y = 10.0
    rows: list[tuple[int, list[RoleDoc]]] = sorted(levels.items())
    order: dict[str, float] = {}
    for level, group in rows:
        group.sort(key=lambda r: (order.get(r.reports_to or "", 0.0), r.id))
        count = len(group)
        total = count * box_w + (count - 1) * 10
        x = (MAX_WIDTH - total) / 2
        for index, role in enumerate(group):
            positions[role.id] = (x + index * (box_w + 10), y)
            order[role.id] = index
        y += box_h + gap_y
        del level
    for role in roles:
        x, top = positions[role.id]
        lines: list[str] = []
        for line in _names(role.title.en, role.title.zh, langs):
            lines.extend(wrap(line, box_w - 8))
        body.append(_box(x, top, box_w, box_h, lines[: len(langs) + 1], small_from=99))
        if role.reports_to in positions:
            px, ptop = positions[role.reports_to]
            body.append(
                f'<path class="e" d="M{x + box_w / 2:.1f},{top:.1f} L{px + box_w / 2:.1f},{ptop + box_h:.1f}"/>'
            )
    height = y - gap_y + 10 if roles else 20
    return _svg(MAX_WIDTH, height, body, "reporting chain")


# --------------------------------------------------------------------------- edge labels

SMALL = 10.5
SMALL_LINE = 13


def _label(x: float, y: float, lines: Sequence[str], edge: str, *, anchor: str = "middle") -> str:
    """An edge label: its lines on a white box whose top edge is ``y``; ``x`` is the box's
    centre (``anchor="middle"``), left edge (``"start"``) or right edge (``"end"``).

    ``data-edge`` names the edge it belongs to, so a reader (or a test) can tell the edge's
    own path from the others."""
    w, h = _label_size(lines)
    left = {"middle": x - w / 2, "start": x, "end": x - w}[anchor]
    out = [
        f'<g class="lbl" data-edge="{escape(edge)}">'
        f'<rect class="l" x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"/>'
    ]
    for index, line in enumerate(lines):
        out.append(
            f'<text class="t s" x="{left + w / 2:.1f}" y="{y + 2 + SMALL_LINE * (index + 1) - 3:.1f}" '
            f'text-anchor="middle">{escape(line)}</text>'
        )
    return "".join(out) + "</g>"


def _label_size(lines: Sequence[str]) -> tuple[float, float]:
    """Width and height of :func:`_label`'s box for ``lines``."""
    return max(text_width(line, SMALL) for line in lines) + 8, SMALL_LINE * len(lines) + 4


def _edge(d: str, edge: str, *, cls: str = "e", source: str = "", target: str = "") -> str:
    """An edge path; ``data-from``/``data-to`` name the nodes it joins."""
    ends = f' data-from="{escape(source)}" data-to="{escape(target)}"' if source or target else ""
    return f'<path class="{cls}" data-edge="{escape(edge)}"{ends} d="{d}"/>'


# --------------------------------------------------------------------------- escalation ladder

LADDER_COLUMN = 140.0
"""Narrowest column of one alternative step: room for a label line such as “difficult_customer”."""


def ladder_svg(ladder: Ladder, roles: RoleNames, langs: Sequence[Lang]) -> str:
    """The ladder from the matter (top) to whom it goes.

    Steps that wait equally long are alternatives: they branch from one point, each edge
    labelled with its own condition. A step that waits longer follows the earlier stage (the
    matter is still unresolved), drawn one row further down.
    """
    # Many alternatives widen the drawing rather than squeeze their labels into each other.
    width = max(MAX_WIDTH, 20.0 + LADDER_COLUMN * max((len(stage) for stage in ladder.stages), default=1))
    start_lines = _names(ladder.title.en, ladder.title.zh, langs)
    start_w = min(width - 20.0, max(text_width(line) for line in start_lines) + 24)
    start_h = 10.0 + LINE * len(start_lines)
    body = [_box((width - start_w) / 2, 10, start_w, start_h, start_lines, cls="b h", small_from=99)]
    parents: list[tuple[str, float, float]] = [("start", width / 2, 10 + start_h)]  # (id, x, bottom)
    y = 10 + start_h
    for stage in ladder.stages:
        body_stage, parents, y = _ladder_stage(stage, parents, y, roles, langs, width)
        body.extend(body_stage)
    return _svg(width, y + 10, body, f"escalation ladder {ladder.policy_id}")


def _when_lines(step: LadderStep, lang: Lang, width: float) -> list[str]:
    """A step's condition, wrapped to ``width``."""
    return wrap(("when " if lang == "en" else "条件：") + step.when.get(lang), width, SMALL)


def _ladder_stage(
    stage: Sequence[LadderStep],
    parents: Sequence[tuple[str, float, float]],
    top: float,
    roles: RoleNames,
    langs: Sequence[Lang],
    width: float = MAX_WIDTH,
) -> tuple[list[str], list[tuple[str, float, float]], float]:
    """One row of alternative steps below ``parents``; returns its SVG, its boxes as the next
    parents, and the row's bottom."""
    col_w = (width - 20.0) / len(stage)
    labels = [[line for lang in langs for line in _when_lines(step, lang, col_w - 24)] for step in stage]
    bus = top + 14
    label_top = bus + 10
    box_top = label_top + max(_label_size(lines)[1] for lines in labels) + 12
    box_h = 12.0 + LINE * (len(langs) + 1)
    body: list[str] = []
    # One parent: each edge leaves it. Several: they merge on a bar, from which the steps branch.
    source = parents[0][0] if len(parents) == 1 else "merge"
    if len(parents) > 1:
        xs = [x for _, x, _ in parents]
        for name, x, bottom in parents:
            body.append(_edge(f"M{x:.1f},{bottom:.1f} V{bus:.1f}", f"merge-{name}", cls="e m"))
        body.append(_edge(f"M{min(xs):.1f},{bus:.1f} H{max(xs):.1f}", "merge", cls="e m"))
    origin_x = parents[0][1] if len(parents) == 1 else sum(x for _, x, _ in parents) / len(parents)
    origin_y = parents[0][2] if len(parents) == 1 else bus
    boxes: list[tuple[str, float, float]] = []
    for index, (step, lines) in enumerate(zip(stage, labels, strict=True)):
        cx = 10 + col_w * (index + 0.5)
        d = f"M{origin_x:.1f},{origin_y:.1f} V{bus:.1f} H{cx:.1f} V{box_top:.1f}"
        body.append(_edge(d, step.rule_id, source=source, target=step.rule_id))
        body.append(_label(cx, label_top, lines, step.rule_id))
        names = _names(f"→ {roles(step.to, 'en')}", f"→ {roles(step.to, 'zh')}", langs)
        w = min(col_w - 12, max(text_width(line) for line in [*names, step.rule_id]) + 20)
        body.append(
            f'<g class="step" data-rule="{escape(step.rule_id)}">'
            + _box(cx - w / 2, box_top, w, box_h, [*names, step.rule_id], small_from=len(names))
            + "</g>"
        )
        boxes.append((step.rule_id, cx, box_top + box_h))
    return body, boxes, box_top + box_h


# --------------------------------------------------------------------------- lifecycle


def lifecycle_svg(lifecycle: Lifecycle, langs: Sequence[Lang]) -> str:
    """States in layers from the initial state down; a branch takes a column to the right.

    Every edge's label sits beside its own vertical segment, in the gap between two layers,
    where no other edge runs: forward edges run down their target's (or source's) column and
    turn sideways only at a state's middle height; edges back up (or past a state in their
    own column) run in lanes on the left, each lane wide enough for its label.
    """
    layer, column = _layout(lifecycle)
    columns = max(column.values(), default=0) + 1
    layers = max(layer.values(), default=0) + 1
    labels = {i: [" / ".join(dict.fromkeys(lifecycle.event_name(event, lang) for lang in langs))]
              for i, (_, event, _) in enumerate(lifecycle.transitions)}
    lanes = [i for i, (s, _, t) in enumerate(lifecycle.transitions) if s != t and _in_lane(s, t, layer, column)]
    lane_room = sum(_label_size(labels[i])[0] + 14 for i in lanes)
    label_room = max((_label_size(lines)[0] for lines in labels.values()), default=0) + 20
    box_h = 10.0 + LINE * len(langs)
    gap = max(40.0, _label_size(["x"])[1] + 20)
    # Many branches or long labels widen the drawing rather than squeeze states unreadably.
    box_w = max(80.0, min(200.0, (MAX_WIDTH - 20 - lane_room - columns * label_room) / columns))
    pitch = box_w + label_room
    x0 = 10 + lane_room
    x0 += max(0.0, (MAX_WIDTH - 10 - x0 - columns * pitch + label_room) / 2)  # centre the states

    def left(state: str) -> float:
        return x0 + column[state] * pitch

    def top(state: str) -> float:
        return 10 + layer[state] * (box_h + gap)

    body: list[str] = []
    for state in lifecycle.states:
        lines = _names(lifecycle.state_name(state, "en"), lifecycle.state_name(state, "zh"), langs)
        cls = "b h" if state == lifecycle.initial or state in lifecycle.final else "b"
        body.append(
            f'<g class="state" data-state="{escape(state)}">'
            + _box(left(state), top(state), box_w, box_h, lines, cls=cls, small_from=1)
            + "</g>"
        )
    lane_x = x0 - 8
    for index, (source, _, target) in enumerate(lifecycle.transitions):
        edge = f"t{index}"
        sx, sy, tx, ty = left(source), top(source), left(target), top(target)
        if source == target:
            # A loop on the right side's upper half; its label straddles the state's top border,
            # clear of the gap's labels above and of the side exits at the middle height.
            right = sx + box_w
            d = f"M{right:.1f},{sy + 4:.1f} H{right + 10:.1f} V{sy + box_h / 2 - 4:.1f} H{right:.1f}"
            body.append(_edge(d, edge, source=source, target=target))
            body.append(_label(right + 14, sy - _label_size(labels[index])[1] / 2, labels[index], edge, anchor="start"))
            continue
        if index in lanes:
            # Left lane: out of the source's left side, along the lane, into the target's left side.
            x = lane_x
            lane_x -= _label_size(labels[index])[0] + 14
            d = f"M{sx:.1f},{sy + box_h / 2:.1f} H{x:.1f} V{ty + box_h / 2:.1f} H{tx:.1f}"
            cls = "e k" if layer[target] <= layer[source] else "e"
            # the label: left of the lane, in the gap next to the source
            gap_top = sy - gap if layer[target] <= layer[source] else sy + box_h
            body.append(_edge(d, edge, cls=cls, source=source, target=target))
            body.append(_label(x - 3, _gap_label_top(gap_top, gap, labels[index]), labels[index], edge, anchor="end"))
            continue
        if column[target] == column[source]:
            x = sx + box_w / 2
            d = f"M{x:.1f},{sy + box_h:.1f} V{ty:.1f}"
            gap_top = ty - gap
        elif column[target] > column[source]:
            # right from the source's middle, then down into the target's top
            x = tx + box_w / 2
            d = f"M{sx + box_w:.1f},{sy + box_h / 2:.1f} H{x:.1f} V{ty:.1f}"
            gap_top = ty - gap
        else:
            # down from the source, then left into the target's right side
            x = sx + box_w / 2
            d = f"M{x:.1f},{sy + box_h:.1f} V{ty + box_h / 2:.1f} H{tx + box_w:.1f}"
            gap_top = sy + box_h
        body.append(_edge(d, edge, source=source, target=target))
        body.append(_label(x + 5, _gap_label_top(gap_top, gap, labels[index]), labels[index], edge, anchor="start"))
    height = 10 + layers * (box_h + gap) - gap + 10
    width = max(float(MAX_WIDTH), x0 + columns * pitch + 10)
    return _svg(width, height, body, f"lifecycle {lifecycle.name}")


def _gap_label_top(gap_top: float, gap: float, lines: Sequence[str]) -> float:
    """The top of a label centred in the gap between two layers."""
    return gap_top + (gap - _label_size(lines)[1]) / 2


def _in_lane(source: str, target: str, layer: dict[str, int], column: dict[str, int]) -> bool:
    """Whether an edge runs in a left lane: it goes back up (or sideways within a layer), or
    down its own column past another state."""
    if layer[target] <= layer[source]:
        return True
    if column[target] != column[source]:
        return False
    between = range(layer[source] + 1, layer[target])
    return any(column[s] == column[source] and layer[s] in between for s in layer)


def _layout(lifecycle: Lifecycle) -> tuple[dict[str, int], dict[str, int]]:
    """Each state's layer (its longest distance from the initial state over forward edges) and
    column (a state's first successor stays in its column; each further branch opens a new one)."""
    order = _reach_order(lifecycle)
    rank = {state: i for i, state in enumerate(order)}
    forward = [(s, t) for s, _, t in lifecycle.transitions if s != t and not _reaches(lifecycle, t, s, rank)]
    layer = dict.fromkeys(order, 0)
    for _ in order:  # longest path over an acyclic edge set: at most one pass per state
        for s, t in forward:
            layer[t] = max(layer[t], layer[s] + 1)
    column: dict[str, int] = {}
    used = 0

    def place(state: str, col: int) -> None:
        nonlocal used
        column[state] = col
        used = max(used, col)
        first = True
        for s, t in forward:
            if s == state and t not in column:
                place(t, col if first else used + 1)
                first = False

    for state in order:
        if state not in column:
            place(state, used + 1 if column else 0)
    return layer, column


def _reaches(lifecycle: Lifecycle, source: str, target: str, rank: dict[str, int]) -> bool:
    """Whether the edge ``target -> source`` goes back: ``source`` comes first in reach order
    and ``target`` is reachable from it (so the edge would close a cycle)."""
    if rank[source] > rank[target]:
        return False
    seen = {source}
    frontier = [source]
    while frontier:
        state = frontier.pop()
        for s, _, t in lifecycle.transitions:
            if s == state and t not in seen:
                if t == target:
                    return True
                seen.add(t)
                frontier.append(t)
    return False


def _reach_order(lifecycle: Lifecycle) -> list[str]:
    """States in breadth-first order from the initial state, then any unreachable ones."""
    order: list[str] = []
    queue = [lifecycle.initial] if lifecycle.initial else []
    while queue:
        state = queue.pop(0)
        if state in order:
            continue
        order.append(state)
        queue.extend(t for s, _, t in lifecycle.transitions if s == state and t not in order)
    order.extend(s for s in lifecycle.states if s not in order)
    return order
