"""What changed between two versions of a policy (or pack): the document reviewers approve.

Rules are matched by ``(policy id, rule id)``. A rule is *reworded* when its title or
description changed, and *changed* when what it does changed (condition, effects,
priority, citation, examples); both show old and new in plain words. Parameters show old
and new default, override and value in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from csrules._docs.blocks import Block, Heading, Items, Para, Section, Table
from csrules._docs.document import _bi, _plain_param
from csrules._docs.plain import Lang, describe_context, effect_words, in_langs, rule_sentence
from csrules._docs.subject import Subject
from csrules._policy.model import Policy, Rule

__all__ = ["PolicyDiff", "build_diff", "diff_subjects"]


@dataclass
class RuleChange:
    """One rule present in both versions whose content differs."""

    policy_id: str
    rule_id: str
    aspects: list[str]
    old: Rule
    new: Rule


@dataclass
class PolicyDiff:
    """Every difference between two versions."""

    added_policies: list[Policy] = field(default_factory=list)
    removed_policies: list[Policy] = field(default_factory=list)
    versions: list[tuple[str, str, str]] = field(default_factory=list)  # (policy, old, new)
    added: list[tuple[Policy, Rule]] = field(default_factory=list)
    removed: list[tuple[Policy, Rule]] = field(default_factory=list)
    changed: list[RuleChange] = field(default_factory=list)
    params: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # policy, name, what, old, new

    @property
    def empty(self) -> bool:
        """True when the two versions say the same."""
        return not (
            self.added_policies
            or self.removed_policies
            or self.versions
            or self.added
            or self.removed
            or self.changed
            or self.params
        )


def diff_subjects(old: Subject, new: Subject) -> PolicyDiff:
    """Compare two versions policy by policy, rule by rule, parameter by parameter."""
    out = PolicyDiff()
    old_by_id = {p.id: p for p in old.policies}
    new_by_id = {p.id: p for p in new.policies}
    out.removed_policies = [p for pid, p in old_by_id.items() if pid not in new_by_id]
    out.added_policies = [p for pid, p in new_by_id.items() if pid not in old_by_id]
    for policy in out.added_policies:
        out.added.extend((policy, rule) for rule in policy.rules)
    for policy in out.removed_policies:
        out.removed.extend((policy, rule) for rule in policy.rules)
    for pid, before in old_by_id.items():
        after = new_by_id.get(pid)
        if after is None:
            continue
        if before.version != after.version:
            out.versions.append((pid, before.version, after.version))
        _diff_rules(before, after, out)
        _diff_params(before, after, out)
    return out


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def _diff_rules(before: Policy, after: Policy, out: PolicyDiff) -> None:
    old_rules = {r.id: r for r in before.rules}
    new_rules = {r.id: r for r in after.rules}
    out.removed.extend((before, r) for rid, r in old_rules.items() if rid not in new_rules)
    out.added.extend((after, r) for rid, r in new_rules.items() if rid not in old_rules)
    for rid, old in old_rules.items():
        new = new_rules.get(rid)
        if new is None:
            continue
        aspects = [
            name
            for name in ("title", "description", "when", "then", "priority", "citation", "examples")
            if _dump(getattr(old, name)) != _dump(getattr(new, name))
        ]
        if aspects:
            out.changed.append(RuleChange(before.id, rid, aspects, old, new))


def _diff_params(before: Policy, after: Policy, out: PolicyDiff) -> None:
    names = list(dict.fromkeys([*before.params, *after.params]))
    old_values, new_values = before.param_values, after.param_values
    for name in names:
        old, new = before.params.get(name), after.params.get(name)
        if old is None or new is None:
            out.params.append(
                (
                    before.id,
                    name,
                    "added" if old is None else "removed",
                    "—" if old is None else _plain_param(old_values[name]),
                    "—" if new is None else _plain_param(new_values[name]),
                )
            )
            continue
        for what, a, b in (
            ("type", old.type, new.type),
            ("default", old.default, new.default),
            ("override", before.overrides.get(name), after.overrides.get(name)),
            ("in force", old_values[name], new_values[name]),
            ("min", old.min, new.min),
            ("max", old.max, new.max),
        ):
            if _plain_param(a) != _plain_param(b):
                out.params.append(
                    (
                        before.id,
                        name,
                        what,
                        "—" if a is None else _plain_param(a),
                        "—" if b is None else _plain_param(b),
                    )
                )


_ASPECTS = {
    "title": ("reworded title", "标题改写"),
    "description": ("reworded description", "说明改写"),
    "when": ("condition", "条件"),
    "then": ("effects", "结果"),
    "priority": ("priority", "优先级"),
    "citation": ("citation", "出处"),
    "examples": ("worked examples", "示例"),
}


def _rule_lines(policy: Policy, rule: Rule, langs: Sequence[Lang], subject: Subject) -> list[str]:
    ctx = describe_context(policy)
    lines = [rule_sentence(rule, lang, ctx) for lang in langs]
    for effect in rule.then:
        lines.append(
            "→ "
            + " / ".join(dict.fromkeys(effect_words(effect, lang, policy, subject.role_names, ctx) for lang in langs))
        )
    if rule.citation is not None:
        lines.append(f"§ {rule.citation}")
    return lines


def build_diff(
    old: Subject, new: Subject, langs: Sequence[Lang], generated: date | datetime
) -> tuple[list[Block], PolicyDiff]:
    """The change document's blocks, and the raw differences."""
    diff = diff_subjects(old, new)

    def w(en: str, zh: str) -> str:
        return in_langs(en, zh, langs)

    blocks: list[Block] = [
        Heading(
            1,
            w("Changes", "变更") + f": {old.name} {old.version} → {new.name} {new.version}",
            "top",
        ),
        Table(
            (w("Old", "旧版"), w("New", "新版"), w("Generated", "生成日期")),
            (
                (
                    f"{old.version} ({old.hash})",
                    f"{new.version} ({new.hash})",
                    generated.isoformat(),
                ),
            ),
        ),
    ]
    if diff.empty:
        blocks.append(Para(w("No differences.", "没有差异。"), cls="note"))
        return blocks, diff
    summary = [
        f"{w('Rules added', '新增规则')}: {len(diff.added)}",
        f"{w('Rules removed', '删除规则')}: {len(diff.removed)}",
        f"{w('Rules changed or reworded', '修改或改写的规则')}: {len(diff.changed)}",
        f"{w('Parameter changes', '参数变更')}: {len(diff.params)}",
    ]
    summary.extend(f"{w('Version', '版本')} {pid}: {a} → {b}" for pid, a, b in diff.versions)
    summary.extend(f"{w('Policy added', '新增政策')}: {p.id}" for p in diff.added_policies)
    summary.extend(f"{w('Policy removed', '删除政策')}: {p.id}" for p in diff.removed_policies)
    blocks.append(Items(tuple(summary)))
    if diff.added:
        blocks.append(Heading(2, w("Rules added", "新增规则"), "added"))
        for policy, rule in diff.added:
            blocks.append(
                Section(
                    (
                        Heading(4, f"+ {policy.id}/{rule.id} — {_bi(rule.title, langs)}"),
                        Items(tuple(_rule_lines(policy, rule, langs, new))),
                    ),
                    cls="rule added",
                    data={"rule": f"{policy.id}/{rule.id}"},
                )
            )
    if diff.removed:
        blocks.append(Heading(2, w("Rules removed", "删除规则"), "removed"))
        for policy, rule in diff.removed:
            blocks.append(
                Section(
                    (
                        Heading(4, f"− {policy.id}/{rule.id} — {_bi(rule.title, langs)}"),
                        Items(tuple(_rule_lines(policy, rule, langs, old))),
                    ),
                    cls="rule removed",
                    data={"rule": f"{policy.id}/{rule.id}"},
                )
            )
    if diff.changed:
        blocks.append(Heading(2, w("Rules changed or reworded", "修改或改写的规则"), "changed"))
        old_policies = {p.id: p for p in old.policies}
        new_policies = {p.id: p for p in new.policies}
        for change in diff.changed:
            aspects = ", ".join(w(*_ASPECTS[a]) for a in change.aspects)
            old_lines = _rule_lines(old_policies[change.policy_id], change.old, langs, old)
            new_lines = _rule_lines(new_policies[change.policy_id], change.new, langs, new)
            old_lines.insert(0, _bi(change.old.title, langs))
            new_lines.insert(0, _bi(change.new.title, langs))
            blocks.append(
                Section(
                    (
                        Heading(4, f"~ {change.policy_id}/{change.rule_id}"),
                        Para(aspects, cls="note", label=w("What changed", "变更内容")),
                        Table(
                            (w("Before", "修改前"), w("After", "修改后")),
                            (("\n".join(old_lines), "\n".join(new_lines)),),
                            cls="diff",
                        ),
                    ),
                    cls="rule changed",
                    data={"rule": f"{change.policy_id}/{change.rule_id}"},
                )
            )
    if diff.params:
        blocks.append(Heading(2, w("Parameters changed", "参数变更"), "parameters"))
        blocks.append(
            Table(
                (
                    w("Policy", "政策"),
                    w("Parameter", "参数"),
                    w("What", "项目"),
                    w("Old", "旧值"),
                    w("New", "新值"),
                ),
                tuple(diff.params),
                cls="params",
            )
        )
    return blocks, diff
