"""What changed between two versions of a policy (or pack): the document reviewers approve.

Rules are matched by ``(policy id, rule id)``. A rule is *reworded* when its title or
description changed, and *changed* when what it does changed (condition, effects,
priority, citation, examples); both show old and new in plain words. Parameters show old
and new default, override and value in force.

A policy with dated versions is compared version by version: each new version with the old
version in force on its first day (so "from 2026-07-01: notice 2d" reads as a change of the
parameter from that day). A policy whose content changed while its version stayed the same
is flagged: a record of a decision names the version, and two contents under one version
cannot be told apart by it. Two packs are compared also by their lifecycles' parameters,
duties, roles and base (:func:`pack_changes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from csrules._docs.blocks import Block, Heading, Items, Para, Section, Table
from csrules._docs.document import _bi, _plain_param
from csrules._docs.history import days_in_force
from csrules._docs.plain import Lang, describe_context, effect_words, in_langs, rule_sentence, rule_title
from csrules._docs.subject import Subject
from csrules._policy.model import Policy, Rule
from csrules._policy.validity import day_in_force, versions_by_id
from csrules._time.registry import calendar_label, get_calendar

__all__ = ["PolicyDiff", "build_diff", "diff_subjects", "pack_changes"]


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
    unversioned: list[tuple[str, str]] = field(default_factory=list)  # policy, version kept over a change
    validity: list[tuple[str, str, str]] = field(default_factory=list)  # policy, old days, new days
    pack: list[tuple[str, str, str, str]] = field(default_factory=list)  # what, item, old, new

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
            or self.unversioned
            or self.validity
            or self.pack
        )


def diff_subjects(old: Subject, new: Subject) -> PolicyDiff:
    """Compare two versions policy by policy, rule by rule, parameter by parameter."""
    out = PolicyDiff()
    old_by_id = versions_by_id(old.policies)
    new_by_id = versions_by_id(new.policies)
    out.removed_policies = [p for pid, ps in old_by_id.items() if pid not in new_by_id for p in ps]
    out.added_policies = [p for pid, ps in new_by_id.items() if pid not in old_by_id for p in ps]
    for policy in out.added_policies:
        out.added.extend((policy, rule) for rule in policy.rules)
    for policy in out.removed_policies:
        out.removed.extend((policy, rule) for rule in policy.rules)
    for pid, befores in old_by_id.items():
        afters = new_by_id.get(pid)
        if afters is None:
            continue
        dated = len(befores) > 1 or len(afters) > 1
        for after in afters:
            before = _counterpart(befores, after)
            label = f"{pid} ({days_in_force(after, 'en')})" if dated else pid
            _diff_pair(label, before, after, out)
    return out


def _counterpart(befores: Sequence[Policy], after: Policy) -> Policy:
    """The old version ``after`` is compared with: the one in force on its first day."""
    day = day_in_force(after)
    if day is not None:
        for before in befores:
            if before.in_force_on(day):
                return before
    return befores[0]


def _diff_pair(label: str, before: Policy, after: Policy, out: PolicyDiff) -> None:
    """Every difference between two versions of one policy, under ``label``."""
    if before.version != after.version:
        out.versions.append((label, before.version, after.version))
    elif before.content_hash != after.content_hash:
        out.unversioned.append((label, after.version))
    if before.validity != after.validity:
        out.validity.append((label, days_in_force(before, "en"), days_in_force(after, "en")))
    _diff_rules(before, after, out)
    _diff_params(before, after, out, label)


def pack_changes(old: Any, new: Any) -> list[tuple[str, str, str, str]]:
    """What differs between two packs beyond their policies: ``(what, item, old, new)`` for
    the base pack, the zone, each lifecycle parameter, duty and role."""
    out: list[tuple[str, str, str, str]] = []

    def compare(what: str, item: str, a: Any, b: Any) -> None:
        if a != b:
            out.append((what, item, "—" if a is None else str(a), "—" if b is None else str(b)))

    compare("pack", "extends", old.base, new.base)
    compare("pack", "timezone", old.timezone, new.timezone)
    for lifecycle in dict.fromkeys([*old.lifecycle_params, *new.lifecycle_params]):
        before, after = old.lifecycle_params.get(lifecycle), new.lifecycle_params.get(lifecycle)
        if before is None or after is None:
            compare("lifecycle", lifecycle, None if before is None else "present", None if after is None else "present")
            continue
        for name in dict.fromkeys([*before, *after]):
            compare("lifecycle", f"{lifecycle}.{name}", _shown(before.get(name)), _shown(after.get(name)))
    old_duties = {duty.id: duty for duty in old.duties}
    new_duties = {duty.id: duty for duty in new.duties}
    for duty_id in dict.fromkeys([*old_duties, *new_duties]):
        a, b = old_duties.get(duty_id), new_duties.get(duty_id)
        compare("duty", duty_id, a and _duty(a), b and _duty(b))
    _calendar_changes(old.calendar, new.calendar, compare)
    old_roles = {role.id: role for role in old.roles}
    new_roles = {role.id: role for role in new.roles}
    for role_id in dict.fromkeys([*old_roles, *new_roles]):
        a_role, b_role = old_roles.get(role_id), new_roles.get(role_id)
        if a_role != b_role:
            changed = a_role is not None and b_role is not None
            compare("role", role_id, a_role and a_role.title.en, b_role and ("changed: " * changed + b_role.title.en))
    return out


def _calendar_changes(old: str | None, new: str | None, compare: Callable[[str, str, Any, Any], None]) -> None:
    """Rows for the pack's own calendar: its name, then each field whose value changed
    (closures, hours, holidays ...), the dates added and removed shown for date lists."""
    compare("calendar", "name", old and calendar_label(old), new and calendar_label(new))
    if old is None or new is None or old == new:
        return
    before, after = get_calendar(old).model_dump(), get_calendar(new).model_dump()
    for name in before:
        a, b = before[name], after[name]
        if a == b:
            continue
        if isinstance(a, tuple) and isinstance(b, tuple):
            gone = ", ".join(str(x) for x in a if x not in b)
            added = ", ".join(str(x) for x in b if x not in a)
            compare("calendar", name, f"− {gone}" if gone else None, f"+ {added}" if added else None)
        else:
            compare("calendar", name, a, b)


def _shown(value: Any) -> str | None:
    return None if value is None else str(_plain_param(value))


def _duty(duty: Any) -> str:
    return f"{duty.duty.owner}, {duty.duty.recurrence}"


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


def _diff_params(before: Policy, after: Policy, out: PolicyDiff, label: str | None = None) -> None:
    label = label or before.id
    names = list(dict.fromkeys([*before.params, *after.params]))
    old_values, new_values = before.param_values, after.param_values
    for name in names:
        old, new = before.params.get(name), after.params.get(name)
        if old is None or new is None:
            out.params.append(
                (
                    label,
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
                        label,
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


def _extra_tables(diff: PolicyDiff, w: Callable[[str, str], str]) -> list[Block]:
    """The tables of unversioned changes, days in force, and pack-level changes."""
    blocks: list[Block] = []
    if diff.unversioned:
        blocks.append(Heading(2, w("Content changed, version did not", "内容已变更但版本未变"), "unversioned"))
        blocks.append(Para(w("These policies keep their version over changed content: a decision record naming "
                             "the version cannot tell the two apart; its content hash can. Raise the version.",
                             "以下政策内容已变更但版本号未变：决策记录中的版本号无法区分两者，内容哈希可以。请提升版本号。"),
                           cls="note"))
        blocks.append(Table((w("Policy", "政策"), w("Version", "版本")), tuple(diff.unversioned), cls="unversioned"))
    if diff.validity:
        blocks.append(Heading(2, w("Days in force", "生效期间"), "validity"))
        blocks.append(Table((w("Policy", "政策"), w("Old", "旧值"), w("New", "新值")), tuple(diff.validity)))
    if diff.pack:
        blocks.append(Heading(2, w("Pack changes", "政策包变更"), "pack"))
        blocks.append(Table((w("What", "项目"), w("Item", "条目"), w("Old", "旧值"), w("New", "新值")),
                            tuple(diff.pack), cls="pack"))
    return blocks


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
    old: Subject,
    new: Subject,
    langs: Sequence[Lang],
    generated: date | datetime,
    *,
    packs: tuple[Any, Any] | None = None,
) -> tuple[list[Block], PolicyDiff]:
    """The change document's blocks, and the raw differences (with ``packs``, the two
    :class:`~csrules.policies.Pack` objects, their lifecycles, duties and roles too)."""
    diff = diff_subjects(old, new)
    if packs is not None:
        diff.pack = pack_changes(*packs)

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
    summary.extend(
        f"{w('Content changed, version did not', '内容已变更但版本未变')}: {pid} {version}"
        for pid, version in diff.unversioned
    )
    blocks.append(Items(tuple(summary)))
    blocks.extend(_extra_tables(diff, w))
    if diff.added:
        blocks.append(Heading(2, w("Rules added", "新增规则"), "added"))
        for policy, rule in diff.added:
            blocks.append(
                Section(
                    (
                        Heading(4, f"+ {policy.id}/{rule.id} — {_bi(rule_title(policy, rule), langs)}"),
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
                        Heading(4, f"− {policy.id}/{rule.id} — {_bi(rule_title(policy, rule), langs)}"),
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
            old_lines.insert(0, _bi(rule_title(old_policies[change.policy_id], change.old), langs))
            new_lines.insert(0, _bi(rule_title(new_policies[change.policy_id], change.new), langs))
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
