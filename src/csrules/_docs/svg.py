"""Diagrams as inline SVG, generated here: the reporting chain, escalation ladders, lifecycles.

No external fonts, scripts or styles: text uses the reader's ``sans-serif`` and widths are
estimated (CJK characters count as one em, others as 0.58 em), so the output is the same on
every machine and fits an A4 page (at most :data:`MAX_WIDTH` user units wide).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

from csrules._docs.plain import Lang, RoleNames
from csrules._docs.subject import Ladder, Lifecycle, RoleDoc

__all__ = ["ladder_svg", "lifecycle_svg", "org_svg", "text_width", "wrap"]

MAX_WIDTH = 680
FONT = 12
LINE = 15
_STYLE = (
    "<style>.b{fill:#f5f7fa;stroke:#34495e;stroke-width:1.2}.h{fill:#e8f0fe}"
    ".t{font-family:sans-serif;font-size:12px;fill:#1b2631}.s{font-size:10.5px;fill:#4d5656}"
    ".e{stroke:#34495e;stroke-width:1.2;fill:none;marker-end:url(#a)}"
    ".k{stroke:#7f8c8d;stroke-dasharray:4 3}</style>"
    '<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
    ' orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#34495e"/></marker></defs>'
)


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


# --------------------------------------------------------------------------- escalation ladder


def ladder_svg(ladder: Ladder, roles: RoleNames, langs: Sequence[Lang]) -> str:
    """The ladder as steps going up: each rung says to whom, and when."""
    body: list[str] = []
    y = 10.0
    box_w = MAX_WIDTH - 40.0
    for index, step in enumerate(ladder.steps):
        lines = _names(
            f"{index + 1}. → {roles(step.to, 'en')}",
            f"{index + 1}. → {roles(step.to, 'zh')}",
            langs,
        )
        heading = " / ".join(lines)
        detail: list[str] = []
        for lang in langs:
            detail.extend(wrap(("when " if lang == "en" else "条件：") + step.when.get(lang), box_w - 16, 10.5))
        all_lines = [heading, *detail]
        h = 12.0 + LINE * len(all_lines)
        indent = 20.0 * min(index, 2)
        body.append(
            _box(
                20 + indent,
                y,
                box_w - indent * 2 if indent else box_w,
                h,
                all_lines,
                cls="b" if index else "b h",
            )
        )
        if index:
            body.append(f'<path class="e" d="M{MAX_WIDTH / 2:.1f},{y - 18:.1f} L{MAX_WIDTH / 2:.1f},{y:.1f}"/>')
        y += h + 18
    return _svg(MAX_WIDTH, y - 8, body, f"escalation ladder {ladder.policy_id}")


# --------------------------------------------------------------------------- lifecycle


def lifecycle_svg(lifecycle: Lifecycle, langs: Sequence[Lang]) -> str:
    """States top to bottom in the order reached from the initial state.

    Transitions to the next state are straight arrows in the middle; skips forward curve on
    the right, returns to an earlier state curve on the left (dashed); labels sit beside them.
    """
    order = _reach_order(lifecycle)
    index = {state: i for i, state in enumerate(order)}
    box_w, gap = 220.0, 34.0
    box_h = 10.0 + LINE * len(langs)
    cx = MAX_WIDTH / 2
    left = cx - box_w / 2
    body: list[str] = []
    for state in order:
        y = 10 + index[state] * (box_h + gap)
        lines = _names(lifecycle.state_name(state, "en"), lifecycle.state_name(state, "zh"), langs)
        cls = "b h" if state == lifecycle.initial or state in lifecycle.final else "b"
        body.append(_box(left, y, box_w, box_h, lines, cls=cls, small_from=1))
    right_lane = left + box_w
    lanes_right = 0
    lanes_left = 0
    for source, event, target in lifecycle.transitions:
        a, b = index[source], index[target]
        ya = 10 + a * (box_h + gap)
        yb = 10 + b * (box_h + gap)
        label = escape(event.replace("_", " "))
        if b == a + 1:
            body.append(f'<path class="e" d="M{cx:.1f},{ya + box_h:.1f} L{cx:.1f},{yb:.1f}"/>')
            body.append(f'<text class="t s" x="{cx + 6:.1f}" y="{ya + box_h + gap / 2 + 4:.1f}">{label}</text>')
        elif b > a:
            lanes_right += 1
            off = 14.0 * lanes_right
            x = right_lane + off
            body.append(
                f'<path class="e" d="M{right_lane:.1f},{ya + box_h / 2:.1f} H{x:.1f} '
                f'V{yb + box_h / 2:.1f} H{right_lane:.1f}"/>'
            )
            body.append(f'<text class="t s" x="{x + 4:.1f}" y="{(ya + yb + box_h) / 2:.1f}">{label}</text>')
        else:
            lanes_left += 1
            off = 14.0 * lanes_left
            x = left - off
            body.append(
                f'<path class="e k" d="M{left:.1f},{ya + box_h / 2:.1f} H{x:.1f} V{yb + box_h / 2:.1f} H{left:.1f}"/>'
            )
            body.append(
                f'<text class="t s" x="{x - 4:.1f}" y="{(ya + yb + box_h) / 2:.1f}" text-anchor="end">{label}</text>'
            )
    height = 10 + len(order) * (box_h + gap) - gap + 10
    return _svg(MAX_WIDTH, height, body, f"lifecycle {lifecycle.name}")


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
