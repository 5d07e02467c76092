"""Plain words for rules: conditions as sentences, effects as instructions, in English or Chinese.

The condition kinds' own ``describe`` (in :mod:`csrules._policy.kinds.core`) words each node; this module
walks the tree and joins the nodes into one sentence ("when the leave is personal and less
than 1 day from requested at to starts at"). A negated leaf is worded by its positive
opposite where one exists (``not is_set`` reads "is missing", ``not ==`` reads "is not").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from csrules._engine.compile import render_text
from csrules._policy.kinds.base import ConditionBase, DescribeContext, Lang, handler_for, optional_method, show_value
from csrules._policy.model import Approve, Escalate, Oblige, Policy, Recommend, Rule, Text, Violate

__all__ = [
    "Lang",
    "RoleNames",
    "condition_words",
    "effect_words",
    "in_langs",
    "rule_sentence",
    "rule_title",
    "text_in",
]


def in_langs(en: str, zh: str, langs: Sequence[Lang]) -> str:
    """``en`` and ``zh`` in the languages asked for, joined (``Rules / 规则``; once if the same)."""
    return " / ".join(dict.fromkeys(en if lang == "en" else zh for lang in langs))


def text_in(text: Text, langs: Sequence[Lang]) -> str:
    """A bilingual text in the languages asked for, as :func:`in_langs` joins them."""
    return in_langs(text.en, text.zh, langs)


def rule_title(policy: Policy, rule: Rule) -> Text:
    """``rule``'s title with its ``{param}`` placeholders filled from ``policy``'s values in
    force, as its messages are: a title naming a threshold follows a company's override."""
    title = render_text(rule.title, policy)
    assert title is not None  # a rule always has a title
    return title


class RoleNames:
    """Maps role ids to display names per language (``shift_lead`` -> "Shift lead" / "值班长")."""

    def __init__(self, names: dict[str, Text] | None = None) -> None:
        self._names = dict(names or {})

    def __call__(self, role: str, lang: Lang) -> str:
        """The display name of ``role``; an unknown id is shown with spaces for underscores
        in English and as the id it is in Chinese."""
        text = self._names.get(role)
        if text is not None:
            return text.get(lang)
        return role.replace("_", " ") if lang == "en" else role


def describe_context(policy: Policy) -> DescribeContext:
    """The context that names ``policy``'s fields and shows its parameter values in force."""
    from csrules._policy.facts import get_fact_type
    from csrules.exceptions import PolicyError

    try:
        model: Any = get_fact_type(policy.fact_type)
    except PolicyError:
        model = None
    return DescribeContext(model, policy.param_values)


def condition_words(cond: ConditionBase, lang: Lang, ctx: DescribeContext, *, nested: bool = False) -> str:
    """``cond`` as one phrase; ``nested`` bracketing keeps "a and (b or c)" unambiguous.

    A kind with children words itself through its handler's ``words`` method; any other
    kind is its handler's ``describe``.
    """
    words = optional_method(cond, "words")
    if words is not None:
        return str(words(cond, lang, ctx, nested, condition_words))
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

    def text(value: Text | None) -> str:
        rendered = render_text(value, policy)
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
