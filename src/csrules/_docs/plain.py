"""Plain words for rules: conditions as sentences, effects as instructions, in English or Chinese.

The condition kinds' own ``describe`` (in :mod:`csrules._policy.kinds.core`) words each node; this module
walks the tree and joins the nodes into one sentence ("when the leave is personal and less
than 1 day from requested at to starts at"). A negated leaf is worded by its positive
opposite where one exists (``not is_set`` reads "is missing", ``not ==`` reads "is not").
"""

from __future__ import annotations

from typing import Any, Literal

from csrules._engine.engine import render_text
from csrules._policy.kinds import core as c
from csrules._policy.kinds.base import DescribeContext, handler_for, show_value
from csrules._policy.model import Approve, Escalate, Oblige, Policy, Recommend, Rule, Text, Violate

__all__ = ["Lang", "RoleNames", "condition_words", "effect_words", "rule_sentence"]

Lang = Literal["en", "zh"]

_NEGATED_OP = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


class RoleNames:
    """Maps role ids to display names per language (``shift_lead`` -> "Shift lead" / "值班长")."""

    def __init__(self, names: dict[str, Text] | None = None) -> None:
        self._names = dict(names or {})

    def __call__(self, role: str, lang: Lang) -> str:
        """The display name of ``role``; an unknown id is shown with spaces for underscores."""
        text = self._names.get(role)
        if text is not None:
            return text.get(lang)
        return role.replace("_", " ")


def describe_context(policy: Policy) -> DescribeContext:
    """The context that names ``policy``'s fields and shows its parameter values in force."""
    from csrules._policy.facts import get_fact_type
    from csrules.exceptions import PolicyError

    try:
        model: Any = get_fact_type(policy.fact_type)
    except PolicyError:
        model = None
    return DescribeContext(model, policy.param_values)


def _negated(cond: c.ConditionBase) -> c.ConditionBase | None:
    """The positive condition meaning ``not cond``, when there is a simple one."""
    if isinstance(cond, c.Compare):
        if isinstance(cond.value, bool) and cond.op in ("==", "!="):
            # "not (approved is yes)" reads best as "approved is no"
            return cond.model_copy(update={"value": not cond.value})
        return cond.model_copy(update={"op": _NEGATED_OP[cond.op]})
    if isinstance(cond, c.IsSet):
        return c.IsMissing(path=cond.path)
    if isinstance(cond, c.IsMissing):
        return c.IsSet(path=cond.path)
    if isinstance(cond, c.In):
        return c.NotIn(path=cond.path, value=cond.value, param=cond.param)
    if isinstance(cond, c.Elapsed):
        return cond.model_copy(update={"op": _NEGATED_OP[cond.op]})
    return None


def condition_words(cond: c.ConditionBase, lang: Lang, ctx: DescribeContext, *, nested: bool = False) -> str:
    """``cond`` as one phrase; ``nested`` bracketing keeps "a and (b or c)" unambiguous."""
    if isinstance(cond, c.All | c.Any_):
        if not cond.of:
            return handler_for(cond).describe(cond, lang, ctx)
        if len(cond.of) == 1:
            return condition_words(cond.of[0], lang, ctx, nested=nested)
        parts = [condition_words(child, lang, ctx, nested=True) for child in cond.of]
        if lang == "zh":
            joined = ("，且" if isinstance(cond, c.All) else "，或").join(parts)
        else:
            joined = (" and " if isinstance(cond, c.All) else " or ").join(parts)
        return f"({joined})" if nested else joined
    if isinstance(cond, c.Not):
        positive = _negated(cond.condition)
        if positive is not None:
            return condition_words(positive, lang, ctx, nested=nested)
        inner = condition_words(cond.condition, lang, ctx, nested=True)
        return f"并非{inner}" if lang == "zh" else f"not {inner}"
    return handler_for(cond).describe(cond, lang, ctx)


def rule_sentence(rule: Rule, lang: Lang, ctx: DescribeContext) -> str:
    """The rule's condition as a sentence: "When …" / "当……时"."""
    words = condition_words(rule.when, lang, ctx)
    if lang == "zh":
        return f"当{words}时"
    return f"When {words}"


def effect_words(
    effect: Violate | Oblige | Approve | Escalate | Recommend,
    lang: Lang,
    policy: Policy,
    roles: RoleNames,
    ctx: DescribeContext,
) -> str:
    """One effect as an instruction, with parameter values filled into its texts."""
    params = policy.param_values

    def text(value: Text | None) -> str:
        rendered = render_text(value, params)
        return "" if rendered is None else rendered.get(lang)

    zh = lang == "zh"
    if isinstance(effect, Violate):
        severity = _SEVERITY_ZH.get(effect.severity, effect.severity) if zh else effect.severity
        out = (
            f"违规 {effect.code}（{severity}）：{text(effect.message)}"
            if zh
            else f"Violation {effect.code} ({severity}): {text(effect.message)}"
        )
        if effect.consequence is not None:
            out += f"；后果：{text(effect.consequence)}" if zh else f"; consequence: {text(effect.consequence)}"
        return out
    if isinstance(effect, Oblige):
        who = roles(effect.who, lang)
        out = f"{who}须{text(effect.action)}" if zh else f"{who} must {text(effect.action)}"
        if effect.due is not None:
            amount = (
                ctx.param(effect.due.param, lang)
                if effect.due.param is not None
                else show_value(effect.due.after, lang)
            )
            since = ctx.label(effect.due.since, lang) if effect.due.since is not None else ("当前时间" if zh else "now")
            out += f"，期限为自{since}起{amount}内" if zh else f", within {amount} of {since}"
        return out
    if isinstance(effect, Approve):
        out = f"须经{roles(effect.role, lang)}批准" if zh else f"Needs approval by {roles(effect.role, lang)}"
        if effect.reason is not None:
            out += f"（{text(effect.reason)}）" if zh else f" ({text(effect.reason)})"
        return out
    if isinstance(effect, Escalate):
        out = f"升级至{roles(effect.to, lang)}" if zh else f"Escalate to {roles(effect.to, lang)}"
        if effect.reason is not None:
            out += f"（{text(effect.reason)}）" if zh else f" ({text(effect.reason)})"
        return out
    return f"建议：{text(effect.text)}" if zh else f"Recommend: {text(effect.text)}"


_SEVERITY_ZH = {"notice": "提示", "minor": "轻微", "major": "严重", "critical": "极严重"}
