"""The reviewer's document for a pack or policy file, as blocks (see :mod:`csrules._docs.blocks`).

Sections: overview (version, content hash, date generated), roles and the reporting chain,
every rule in plain words with effects, citation and worked examples, the parameters in
force, escalation ladders and lifecycles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from csrules._docs.blocks import Block, Diagram, Heading, Items, Pair, Para, Section, Table
from csrules._docs.history import history_blocks, in_force_on
from csrules._docs.plain import Lang, describe_context, effect_words, in_langs, rule_sentence, rule_title, text_in
from csrules._docs.slas import sla_blocks
from csrules._docs.subject import CalendarDoc, Ladder, Lifecycle, RoleDoc, Subject
from csrules._docs.svg import ladder_svg, lifecycle_svg, org_svg
from csrules._docs.words import effect_key_words, hit_words, param_type_words
from csrules._engine.examples import CaseResult, example_id
from csrules._policy.kinds.base import show_value
from csrules._policy.model import Approve, Escalate, Oblige, Parameter, Policy, Rule, Text, show_param
from csrules._policy.text import quoted

__all__ = ["build_document", "words"]

_LABELS: dict[str, tuple[str, str]] = {
    "overview": ("Overview", "概览"),
    "pack": ("Pack", "规则包"),
    "policy": ("Policy", "政策"),
    "version": ("Version", "版本"),
    "hash": ("Content hash", "内容哈希"),
    "generated": ("Generated", "生成日期"),
    "policies": ("Policies", "政策"),
    "fact_type": ("Fact type", "事实类型"),
    "rules": ("Rules", "规则"),
    "hit_policy": ("Hit policy", "命中策略"),
    "sources": ("Sources", "来源文件"),
    "roles": ("Roles and reporting chain", "角色与汇报关系"),
    "role": ("Role", "角色"),
    "reports_to": ("Reports to", "上级"),
    "duties": ("Duties", "职责"),
    "authority": ("Approval authority", "审批权限"),
    "in_rules": ("Approves / receives under the rules", "依规则审批或承接"),
    "when": ("When", "条件"),
    "then": ("Then", "结果"),
    "clause": ("Source clause", "原文条款"),
    "reading": ("Reading", "解读"),
    "examples": ("Worked examples", "示例"),
    "example": ("Example", "示例"),
    "fact": ("Fact", "事实"),
    "now": ("Now", "当前时间"),
    "expect": ("Expected effects", "预期结果"),
    "none": ("none", "无"),
    "no_citation": ("no citation", "未注明出处"),
    "parameters": ("Parameters in force", "现行参数"),
    "parameter": ("Parameter", "参数"),
    "type": ("Type", "类型"),
    "default": ("Default", "默认值"),
    "override": ("Override", "覆盖值"),
    "in_force": ("In force", "现行值"),
    "bounds": ("Bounds", "范围"),
    "description": ("Description", "说明"),
    "ladders": ("Escalation ladder", "升级阶梯"),
    "no_ladder": ("No rule escalates.", "没有升级规则。"),
    "ladder_note": (
        "Steps side by side are alternatives, each on its own condition; a step below follows "
        "when the matter is still unresolved after a longer wait.",
        "并列的步骤互为选择，各按其条件适用；下方的步骤在更长时间仍未解决时接续。",
    ),
    "lifecycles": ("Lifecycles", "流程"),
    "no_lifecycle": ("No lifecycle is defined here.", "此处未定义流程。"),
    "transitions": ("Transitions", "状态转换"),
    "from": ("From", "从"),
    "event": ("Event", "事件"),
    "to": ("To", "到"),
    "guard": ("Only when", "条件"),
    "deadlines": ("Deadlines", "时限"),
    "no_params": ("This policy has no parameters.", "该政策没有参数。"),
    "no_roles": (
        "No role catalogue; the roles below are those the rules name.",
        "未提供角色目录；下列为规则中出现的角色。",
    ),
    "id": ("Id", "编号"),
    "file": ("File", "文件"),
    "tick": ("time moves to", "时钟推进至"),
    "calendar": ("Calendar", "日历"),
    "calendar_name": ("Name", "名称"),
    "zone": ("Time zone", "时区"),
    "base": ("Base", "基础"),
    "china_base": ("China's public holidays and adjusted working days (调休)", "中国法定节假日及调休"),
    "no_base": ("none: working days by the hours alone", "无：仅按工作时间"),
    "hours": ("Working hours", "工作时间"),
    "closures": ("Closures", "停业日"),
    "special_days": ("Days with other hours", "特别工作时间"),
    "calendar_note": (
        "Rules and service levels that name this calendar count working days and hours by it.",
        "指定此日历的规则和服务标准按其计算工作日与工作时间。",
    ),
    "stale": ("✘ does not hold here: the rule gives", "✘ 此处不成立：规则给出"),
    "unjudged": ("✘ could not be judged here:", "✘ 此处无法判断："),
    "stale_note": (
        "Examples marked ✘ were written for other settings (a base pack's parameters or calendar): "
        "the rule as this document shows it judges them otherwise.",
        "标有✘的示例是按其他设定（基础规则包的参数或日历）编写的：按本文件所示的规则，结果不同。",
    ),
    "chain_caption": (
        "Reporting chain: each arrow points to the role reported to.",
        "汇报关系：箭头指向上级。",
    ),
}


def words(key: str, langs: Sequence[Lang]) -> str:
    """A label in the languages asked for (``Rules / 规则`` for both)."""
    return in_langs(*_LABELS[key], langs)


def _bi(text: Text | None, langs: Sequence[Lang]) -> str:
    return "" if text is None else text_in(text, langs)


def _version(version: str, langs: Sequence[Lang]) -> str:
    """A version after an id: ``v1.0`` (``1.0版`` in a Chinese-only document)."""
    return f"v{version}" if "en" in langs else f"{version}版"


def _slug(*parts: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else "-" for ch in p.lower()) for p in parts).strip("-")


def build_document(subject: Subject, langs: Sequence[Lang], generated: date | datetime,
                   stale: dict[str, CaseResult]) -> list[Block]:
    """Every block of the document for ``subject``; ``stale``: its failing worked examples
    (:func:`~csrules._docs.examples.stale_examples` of the versions in force)."""
    history = history_blocks(subject, langs)  # dated versions: what changed from which day
    subject = in_force_on(subject, generated.date() if isinstance(generated, datetime) else generated)
    blocks: list[Block] = [Heading(1, _bi(subject.title, langs), "top")]
    blocks.extend(_overview(subject, langs, generated))
    blocks.extend(_roles(subject, langs))
    blocks.extend(_rules(subject, langs, stale))
    blocks.extend(_parameters(subject, langs))
    if subject.calendar is not None:
        blocks.extend(_calendar(subject.calendar, langs))
    blocks.extend(history)
    blocks.extend(_ladders(subject, langs))
    blocks.extend(_lifecycles(subject, langs))
    blocks.extend(sla_blocks(subject.slas, langs))
    return blocks


# --------------------------------------------------------------------------- overview


def _overview(subject: Subject, langs: Sequence[Lang], generated: date | datetime) -> list[Block]:
    blocks: list[Block] = [Heading(2, words("overview", langs), "overview")]
    if subject.description is not None:
        for lang in langs:
            blocks.append(Para(subject.description.get(lang), lang=lang, cls="lead"))
    kind = "pack" if subject.is_pack else "policy"
    blocks.append(
        Table(
            (
                words(kind, langs),
                words("version", langs),
                words("hash", langs),
                words("generated", langs),
            ),
            ((subject.name, subject.version, subject.hash, generated.isoformat()),),
            cls="facts",
        )
    )
    rows = tuple(
        (f"{p.id}", _bi(p.title, langs), p.version, p.fact_type, str(len(p.rules)), hit_words(p.hit_policy, langs))
        for p in subject.policies
    )
    blocks.append(
        Table(
            (
                words("policy", langs),
                "",
                words("version", langs),
                words("fact_type", langs),
                words("rules", langs),
                words("hit_policy", langs),
            ),
            rows,
        )
    )
    sources = [(s.id, _bi(s.title, langs), s.file or "") for p in subject.policies for s in p.sources]
    if sources:
        blocks.append(Para(words("sources", langs), cls="label"))
        blocks.append(Table((words("id", langs), "", words("file", langs)), tuple(dict.fromkeys(sources))))
    return blocks


# --------------------------------------------------------------------------- roles


def _rule_roles(subject: Subject, langs: Sequence[Lang]) -> dict[str, list[str]]:
    """For each role the rules name: what the rules give it (approve X, receive escalation Y)."""
    found: dict[str, list[str]] = {}
    for policy in subject.policies:
        for rule in policy.rules:
            title = _bi(rule_title(policy, rule), langs)
            for effect in rule.then:
                if isinstance(effect, Approve):
                    found.setdefault(effect.role, []).append(f"✔ {title} ({rule.id})")
                elif isinstance(effect, Escalate):
                    found.setdefault(effect.to, []).append(f"⇧ {title} ({rule.id})")
                elif isinstance(effect, Oblige):
                    found.setdefault(effect.who, []).append(f"• {title} ({rule.id})")
    return found


def _roles(subject: Subject, langs: Sequence[Lang]) -> list[Block]:
    blocks: list[Block] = [Heading(2, words("roles", langs), "roles")]
    in_rules = _rule_roles(subject, langs)
    roles = list(subject.roles)
    if not roles:
        blocks.append(Para(words("no_roles", langs), cls="note"))
        roles = [RoleDoc(r, Text(en=r.replace("_", " "), zh=r)) for r in sorted(in_rules)]
    if not roles:
        return blocks
    names = subject.role_names
    if subject.roles:
        blocks.append(Diagram(org_svg(roles, langs), _org_mermaid(roles, langs), words("chain_caption", langs)))
    rows = []
    for role in roles:
        superior = " / ".join(dict.fromkeys(names(role.reports_to, lang) for lang in langs)) if role.reports_to else "—"
        rows.append(
            (
                f"{_bi(role.title, langs)} ({role.id})",
                superior,
                "\n".join(_bi(d, langs) for d in role.duties) or "—",
                "\n".join(_bi(a, langs) for a in role.approves) or "—",
                "\n".join(in_rules.get(role.id, [])) or "—",
            )
        )
    blocks.append(
        Table(
            (
                words("role", langs),
                words("reports_to", langs),
                words("duties", langs),
                words("authority", langs),
                words("in_rules", langs),
            ),
            tuple(rows),
            cls="roles",
        )
    )
    return blocks


def _mermaid_label(text: str) -> str:
    return text.replace('"', "'")


def _org_mermaid(roles: Sequence[RoleDoc], langs: Sequence[Lang]) -> str:
    lines = ["flowchart BT"]
    ids = {role.id for role in roles}
    for role in roles:
        label = "<br/>".join(dict.fromkeys(_mermaid_label(role.title.get(lang)) for lang in langs))
        lines.append(f'  {_node(role.id)}["{label}"]')
    for role in roles:
        if role.reports_to in ids:
            lines.append(f"  {_node(role.id)} --> {_node(role.reports_to)}")
    return "\n".join(lines)


def _node(name: str) -> str:
    return "n_" + "".join(ch if ch.isalnum() else "_" for ch in name)


# --------------------------------------------------------------------------- rules


def _rules(subject: Subject, langs: Sequence[Lang], stale: dict[str, CaseResult]) -> list[Block]:
    blocks: list[Block] = [Heading(2, words("rules", langs), "rules")]
    names = subject.role_names
    for policy in subject.policies:
        blocks.append(
            Heading(
                3,
                f"{_bi(policy.title, langs)} — {policy.id} {_version(policy.version, langs)}",
                _slug("policy", policy.id),
            )
        )
        if policy.description is not None:
            for lang in langs:
                blocks.append(Para(policy.description.get(lang), lang=lang, cls="lead"))
        ctx = describe_context(policy)
        for rule in policy.rules:
            blocks.append(_rule_section(policy, rule, langs, names, ctx, stale))
    return blocks


def _rule_section(policy: Policy, rule: Rule, langs: Sequence[Lang], names: Any, ctx: Any,
                  stale: dict[str, CaseResult]) -> Section:
    title = _bi(rule_title(policy, rule), langs)
    inner: list[Block] = [Heading(4, f"{rule.id} — {title}", _slug("rule", policy.id, rule.id))]
    reading = _reading(policy, rule, langs, names, ctx)
    inner.append(Pair(words("clause", langs), _clause(policy, rule, langs), words("reading", langs), reading))
    if rule.examples:
        inner.append(Para(words("examples", langs), cls="label"))
        inner.append(
            Table(
                (
                    words("example", langs),
                    words("fact", langs),
                    words("now", langs),
                    words("expect", langs),
                ),
                tuple(
                    (name, fact, when, "\n".join([_expected(key, names, langs) for key in expect]  # a key a line
                                                  or [words("none", langs)]) + (f"\n{mark}" if mark else ""))
                    for index, example in enumerate(rule.examples)
                    for name, fact, when, expect, mark in _example_rows(
                        index, example, langs, stale.get(example_id(policy, rule, index, example)), names)
                ),
                cls="examples",
                code=(1,),
            )
        )
        if any(example_id(policy, rule, i, e) in stale for i, e in enumerate(rule.examples)):
            inner.append(Para(words("stale_note", langs), cls="note"))
    return Section(tuple(inner), anchor=None, data={"rule": f"{policy.id}/{rule.id}"})


def _clause(policy: Policy, rule: Rule, langs: Sequence[Lang]) -> tuple[Para | Items, ...]:
    """The rule's source clause: which document (its file named, not shipped), which section,
    and the quoted original text."""
    citation = rule.citation
    if citation is None:
        return (Para(words("no_citation", langs), cls="note"),)
    out: list[Para | Items] = [Para(str(citation), cls="source")]
    source = next((s for s in policy.sources if s.id == citation.source), None)
    if source is not None:
        out.append(Para(_bi(source.title, langs) + (f" — {source.file}" if source.file else ""), cls="note"))
    if citation.quote:
        out.append(Para(f"“{quoted(citation.quote)}”", lang="zh", cls="quote"))
    return tuple(out)


def _reading(policy: Policy, rule: Rule, langs: Sequence[Lang], names: Any, ctx: Any) -> tuple[Para | Items, ...]:
    """The rule in plain words: its condition, any description, then its effects."""
    out: list[Para | Items] = [Para(rule_sentence(rule, lang, ctx), lang=lang, cls="when") for lang in langs]
    if rule.description is not None:
        out.extend(Para(rule.description.get(lang), lang=lang, cls="note") for lang in langs)
    effects = [
        " / ".join(dict.fromkeys(effect_words(effect, lang, policy, names, ctx) for lang in langs))
        for effect in rule.then
    ]
    out.append(Para(words("then", langs), cls="label"))
    out.append(Items(tuple(effects), cls="effects"))
    return tuple(out)


def _expected(key: str, names: Any, langs: Sequence[Lang]) -> str:
    """An expected effect key, worded in each language (the key itself in English)."""
    return " / ".join(dict.fromkeys(effect_key_words(key, names, lang) for lang in langs))


def _example_rows(index: int, example: Any, langs: Sequence[Lang], failed: CaseResult | None,
                  names: Any) -> Iterator[tuple[str, str, str, list[str], str]]:
    """One row per worked example, or per step of a session example (its instant as now);
    a sequence is named on its first row only, so its steps read as one group. Example
    names are English: a Chinese-only document numbers the examples instead. An example
    the rule no longer bears out (``failed``) says so under its expected effects (of a
    sequence, under the first step that differed, with the effects that step gave)."""
    name = example.name if example.name and "en" in langs else f"#{index + 1}"
    mark = "" if failed is None else _stale_words(failed, names, langs)
    if not example.steps:
        yield name, _compact(example.fact), example.now.isoformat() if example.now else "—", example.expect, mark
        return
    differed = 1 if failed is None or failed.step is None else failed.step
    for number, step in enumerate(example.steps, 1):
        when = step.tick or step.at
        fact = f"{words('tick', langs)} {step.tick.isoformat()}" if step.tick else _compact(step.fact)
        yield (f"{name if number == 1 else ''} · {number}", fact, when.isoformat() if when else "—", step.expect,
               mark if number == differed else "")


def _stale_words(failed: CaseResult, names: Any, langs: Sequence[Lang]) -> str:
    """``✘ does not hold here: the rule gives …`` with the effects the rule gives now (or
    why it could not be judged: the message names the field or rule, in English)."""
    if failed.error:
        return f"{words('unjudged', langs)} {failed.message}"

    def said(lang: Lang) -> str:
        label, nothing = (_LABELS[key][lang == "zh"] for key in ("stale", "none"))
        got = ", ".join(effect_key_words(key, names, lang) for key in failed.got) or nothing
        return f"{label} {got}" if lang == "en" else f"{label}{got}"

    return " / ".join(dict.fromkeys(said(lang) for lang in langs))


def _compact(fact: dict[str, Any]) -> str:
    # a worked example's values are data as the source wrote them, kept in any script
    return quoted(json.dumps(fact, ensure_ascii=False, default=str, separators=(", ", ": ")))


# --------------------------------------------------------------------------- parameters


def _bounds(param: Parameter, langs: Sequence[Lang]) -> str:
    low = _written(param.min, langs) if param.min is not None else None
    high = _written(param.max, langs) if param.max is not None else None
    if low is None and high is None:
        return "—"
    return f"{low if low is not None else '…'} – {high if high is not None else '…'}"


def _shown(value: Any, lang: Lang) -> str:
    """A parameter value in words; a phrase list as its phrases, unquoted."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ("、" if lang == "zh" else ", ").join(_shown(item, lang) for item in value)
    return show_value(value, lang)


def _parameters(subject: Subject, langs: Sequence[Lang]) -> list[Block]:
    blocks: list[Block] = [Heading(2, words("parameters", langs), "parameters")]
    for policy in subject.policies:
        blocks.append(Heading(3, f"{_bi(policy.title, langs)} — {policy.id}", _slug("params", policy.id)))
        if not policy.params:
            blocks.append(Para(words("no_params", langs), cls="note"))
            continue
        rows = []
        values = policy.param_values
        for name, param in policy.params.items():
            override = policy.overrides.get(name)
            in_force = " / ".join(dict.fromkeys(_shown(values[name], lang) for lang in langs))
            rows.append(
                (
                    name,
                    param_type_words(param.type, param.unit, langs),
                    _written(param.default, langs),
                    _written(override, langs) if name in policy.overrides else "—",
                    in_force + (" ★" if name in policy.overrides else ""),
                    _bounds(param, langs),
                    _bi(param.description, langs) or "—",
                )
            )
        blocks.append(
            Table(
                (
                    words("parameter", langs),
                    words("type", langs),
                    words("default", langs),
                    words("override", langs),
                    words("in_force", langs),
                    words("bounds", langs),
                    words("description", langs),
                ),
                tuple(rows),
                cls="params",
            )
        )
    return blocks


def _written(value: Any, langs: Sequence[Lang]) -> str:
    """A parameter value as its policy file writes it (``24h``); in a Chinese-only document,
    in Chinese words."""
    return _plain_param(value) if "en" in langs else _shown(value, "zh")


def _plain_param(value: Any) -> str:
    shown = show_param(value)
    if isinstance(shown, list):
        return ", ".join(str(v) for v in shown)
    if isinstance(shown, bool):
        return "true" if shown else "false"
    return str(shown)


# --------------------------------------------------------------------------- calendar


def _calendar(doc: CalendarDoc, langs: Sequence[Lang]) -> list[Block]:
    """The pack's calendar: its zone, its base (China's holidays or none), hours and closures."""
    calendar = doc.calendar
    base = words("no_base", langs)
    if calendar.holiday_source:
        years = calendar.holiday_years
        span = f" {years[0]}–{years[-1]}" if years else ""
        base = f"{words('china_base', langs)} ({calendar.holiday_source}{span})"
    hours = "; ".join(f"{day} {', '.join(str(s) for s in spans)}" for day, spans in calendar.hours.items()) or "—"
    special = "; ".join(f"{day.isoformat()} {', '.join(str(s) for s in spans) or '—'}"
                        for day, spans in sorted(calendar.special_days.items())) or "—"
    closures = ", ".join(day.isoformat() for day in calendar.closures) or "—"
    rows = (
        (words("calendar_name", langs), doc.name),
        (words("zone", langs), calendar.timezone),
        (words("base", langs), base),
        (words("hours", langs), hours),
        (words("closures", langs), closures),
        (words("special_days", langs), special),
    )
    return [
        Heading(2, words("calendar", langs), "calendar"),
        Para(words("calendar_note", langs), cls="note"),
        Table(("", ""), rows, cls="calendar"),
    ]


# --------------------------------------------------------------------------- ladders, lifecycles


def _ladders(subject: Subject, langs: Sequence[Lang]) -> list[Block]:
    blocks: list[Block] = [Heading(2, words("ladders", langs), "escalation")]
    ladders = subject.ladders
    blocks.append(Para(words("ladder_note" if ladders else "no_ladder", langs), cls="note"))
    for ladder in ladders:
        blocks.append(
            Heading(
                3,
                f"{_bi(ladder.title, langs)} — {ladder.policy_id}",
                _slug("ladder", ladder.policy_id),
            )
        )
        blocks.append(
            Diagram(
                ladder_svg(ladder, subject.role_names, langs),
                _ladder_mermaid(ladder, subject, langs),
                words("ladders", langs),
            )
        )
        blocks.append(Items(tuple(_ladder_items(ladder, subject, langs))))
    return blocks


def _ladder_items(ladder: Ladder, subject: Subject, langs: Sequence[Lang]) -> list[str]:
    """The ladder in words: stage by stage; alternatives of one stage lettered (1a, 1b)."""
    items = []
    for number, stage in enumerate(ladder.stages, start=1):
        for index, step in enumerate(stage):
            letter = chr(ord("a") + index) if "en" in langs else f".{index + 1}"  # 1a; 1.1 in Chinese
            mark = f"{number}{letter}" if len(stage) > 1 else str(number)
            role = " / ".join(dict.fromkeys(subject.role_names(step.to, lang) for lang in langs))
            items.append(f"{mark} → {role} ({step.rule_id}): {_bi(step.when, langs)}")
    return items


def _ladder_mermaid(ladder: Ladder, subject: Subject, langs: Sequence[Lang]) -> str:
    """Alternatives branch from the start (or the earlier stage), each edge named by its rule."""
    title = "<br/>".join(dict.fromkeys(_mermaid_label(ladder.title.get(lang)) for lang in langs))
    lines = ["flowchart TB", f'  start(["{title}"])']
    parents = ["start"]
    count = 0
    for stage in ladder.stages:
        nodes = []
        for step in stage:
            role = "<br/>".join(dict.fromkeys(_mermaid_label(subject.role_names(step.to, lang)) for lang in langs))
            node = f"s{count}"
            count += 1
            lines.append(f'  {node}["{role}"]')
            lines.extend(f'  {parent} -->|"{_mermaid_label(step.rule_id)}"| {node}' for parent in parents)
            nodes.append(node)
        parents = nodes
    return "\n".join(lines)


def _lifecycles(subject: Subject, langs: Sequence[Lang]) -> list[Block]:
    blocks: list[Block] = [Heading(2, words("lifecycles", langs), "lifecycles")]
    if not subject.lifecycles:
        blocks.append(Para(words("no_lifecycle", langs), cls="note"))
    for lifecycle in subject.lifecycles:
        blocks.append(Heading(3, _bi(lifecycle.title, langs), _slug("lifecycle", lifecycle.name)))
        blocks.append(
            Diagram(
                lifecycle_svg(lifecycle, langs),
                _lifecycle_mermaid(lifecycle, langs),
                _bi(lifecycle.title, langs),
            )
        )
        blocks.append(
            Table(
                (words("from", langs), words("event", langs), words("guard", langs), words("to", langs)),
                tuple(
                    (
                        _state(lifecycle, s, langs),
                        _event(lifecycle, event, langs),
                        _bi(lifecycle.guards.get(index), langs) or "—",
                        _state(lifecycle, t, langs),
                    )
                    for index, (s, event, t) in enumerate(lifecycle.transitions)
                ),
                cls="transitions",
            )
        )
        if lifecycle.deadlines:
            blocks.append(Para(words("deadlines", langs), cls="label"))
            blocks.append(Items(tuple(_bi(d, langs) for d in lifecycle.deadlines)))
    return blocks


def _state(lifecycle: Lifecycle, state: str, langs: Sequence[Lang]) -> str:
    return " / ".join(dict.fromkeys(lifecycle.state_name(state, lang) for lang in langs))


def _event(lifecycle: Lifecycle, event: str, langs: Sequence[Lang]) -> str:
    return " / ".join(dict.fromkeys(lifecycle.event_name(event, lang) for lang in langs))


def _lifecycle_mermaid(lifecycle: Lifecycle, langs: Sequence[Lang]) -> str:
    lines = ["stateDiagram-v2"]
    for state in lifecycle.states:
        lines.append(f"  {_node(state)} : {_mermaid_label(_state(lifecycle, state, langs))}")
    if lifecycle.initial:
        lines.append(f"  [*] --> {_node(lifecycle.initial)}")
    for source, event, target in lifecycle.transitions:
        lines.append(f"  {_node(source)} --> {_node(target)} : {_mermaid_label(_event(lifecycle, event, langs))}")
    for state in lifecycle.final:
        lines.append(f"  {_node(state)} --> [*]")
    return "\n".join(lines)
