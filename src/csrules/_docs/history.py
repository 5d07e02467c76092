"""The history of a policy with dated versions, as a reviewer reads it.

"Notice for ordinary personal leave: from 2026-07-01: 2 days; before: 1 day." For each
policy of the document with more than one version, the versions and their days, then each
parameter whose value changed and each rule added, changed or left out, newest first. The
rest of the document shows one version of each policy: the one in force on its date
(:func:`in_force_on`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from csrules._docs.blocks import Block, Heading, Items
from csrules._docs.plain import Lang, in_langs
from csrules._docs.subject import Subject
from csrules._policy.kinds.base import show_value
from csrules._policy.model import Policy
from csrules._policy.validity import versions_by_id

__all__ = ["days_in_force", "history_blocks", "history_lines", "in_force_on"]


def in_force_on(subject: Subject, day: date) -> Subject:
    """``subject`` with one version of each policy: the one in force on ``day`` (else the
    last one before it, else the first), in the place of the policy's first version."""
    chosen: dict[str, Policy] = {}
    for policy_id, versions in versions_by_id(subject.policies).items():
        started = [p for p in versions if p.valid_from is None or p.valid_from <= day]
        chosen[policy_id] = next((p for p in versions if p.in_force_on(day)), started[-1] if started else versions[0])
    if len(chosen) == len(subject.policies):
        return subject
    policies = tuple(chosen.pop(p.id) for p in subject.policies if p.id in chosen)
    return replace(subject, policies=policies)


def history_blocks(subject: Subject, langs: Sequence[Lang]) -> list[Block]:
    """A "History" section for the policies with dated versions (none when there are none)."""
    histories = [
        (versions[0], history_lines(versions, langs))
        for versions in versions_by_id(subject.policies).values()
        if len(versions) > 1
    ]
    if not histories:
        return []
    blocks: list[Block] = [Heading(2, in_langs("History of dated versions", "分期生效的版本", langs), "history")]
    for policy, lines in histories:
        blocks.append(Heading(3, f"{policy.id}", f"history-{policy.id.replace('.', '-')}"))
        blocks.append(Items(tuple(lines), cls="history"))
    return blocks


def history_lines(versions: Sequence[Policy], langs: Sequence[Lang]) -> list[str]:
    """The lines of one policy's history: its versions, then what changed, newest first."""
    lines = [
        in_langs(f"version {p.version}: {days_in_force(p, 'en')}", f"版本 {p.version}：{days_in_force(p, 'zh')}", langs)
        for p in reversed(versions)
    ]
    for name, param in versions[-1].params.items():
        values = [p.param_values.get(name) for p in versions]
        if len({repr(v) for v in values}) < 2:
            continue
        title = param.description.en if param.description else name
        title_zh = param.description.zh if param.description else name
        lines.append(in_langs(f"{title} ({name}): {_changes(versions, values, 'en')}",
                              f"{title_zh}（{name}）：{_changes(versions, values, 'zh')}", langs))
    for before, after in pairwise(versions):
        added = ", ".join(r.id for r in after.rules if r.id not in {x.id for x in before.rules})
        removed = ", ".join(r.id for r in before.rules if r.id not in {x.id for x in after.rules})
        old = {r.id: r for r in before.rules}
        changed = ", ".join(r.id for r in after.rules if r.id in old and r != old[r.id])
        en = ([f"rules added: {added}"] * bool(added) + [f"rules changed: {changed}"] * bool(changed)
              + [f"rules left out: {removed}"] * bool(removed))
        zh = ([f"新增规则：{added}"] * bool(added) + [f"修改规则：{changed}"] * bool(changed)
              + [f"删除规则：{removed}"] * bool(removed))
        if en:
            start = after.valid_from
            lines.append(in_langs(f"from {start}: {'; '.join(en)}", f"自{start}起：{'；'.join(zh)}", langs))
    return lines


def _changes(versions: Sequence[Policy], values: Sequence[Any], lang: Lang) -> str:
    """``from 2026-07-01: 2 days; before: 1 day`` (newest first; a run of equal values once)."""
    parts: list[str] = []
    for index in range(len(versions) - 1, -1, -1):
        if index and repr(values[index - 1]) == repr(values[index]):
            continue
        shown = show_value(values[index], lang).strip("“”")
        start = versions[index].valid_from
        if start is None:
            parts.append(f"before: {shown}" if lang == "en" else f"此前：{shown}")
        else:
            parts.append(f"from {start}: {shown}" if lang == "en" else f"自{start}起：{shown}")
    return "; ".join(parts) if lang == "en" else "；".join(parts)


def days_in_force(policy: Policy, lang: Lang) -> str:
    """The days in force with the last one named: ``valid_until`` is the first day no longer
    in force, and "至…止" / "until" read as including the day they name, so both languages
    state the day before it ("from 2026-01-01 through 2026-06-30", "自2026-01-01起至2026-06-30止")."""
    start, until = policy.valid_from, policy.valid_until
    last = until - timedelta(days=1) if until is not None else None
    if lang == "zh":
        return (f"自{start}起" if start else "") + (f"至{last}止" if last else "") or "一直有效"
    parts = [f"from {start}"] * bool(start) + [f"through {last}"] * bool(last)
    return " ".join(parts) or "always"
