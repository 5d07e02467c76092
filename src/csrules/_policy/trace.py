"""Traces: why each rule matched or not, with the values it saw, in English or Chinese.

A node's text is its condition in plain words as the trace was built (English); a node
that knows how to word its condition (:attr:`TraceNode.words`) words it again in the
language :meth:`Trace.render` is asked for. Chinese renders keep field paths, ids and codes
as they are (they are names, not prose) and word everything else in Chinese.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from csrules._lang import Lang
from csrules._policy.text import Script, to_script

__all__ = ["RuleTrace", "Trace", "TraceNode", "check_lang", "check_script", "zh_duration"]

_VALUE_LABELS_ZH = {
    "now": "当前时间", "elapsed": "已过时长", "working time": "已过工作时间", "time": "时刻",
    "date": "日期", "cutoff": "截止时刻", "holiday": "节假日", "working day": "工作日",
    "local time": "当地时间", "hours that day": "当日营业时间", "shift": "班次",
    "shift date": "班次日期", "window": "时段", "due date": "到期日", "local date": "当地日期",
    "due": "到期时刻", "found": "找到的短语", "count": "次数", "limit": "上限",
    "occurrence": "第几次", "n": "次序", "run": "连续次数", "times": "连续上限", "first holiday": "首个节假日",
}
"""The trace's own value labels in Chinese (other labels are field paths: names, kept)."""

_REACHED = re.compile(r".+ after .+")  # "3 business days after requested_at": when it is reached
_WORDS_ZH = {"none": "无", "closed": "休息"}


def check_lang(lang: Any) -> Lang:
    """``lang`` checked to be one csrules writes (``en`` or ``zh``)."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh' (got {lang!r})")
    found: Lang = lang
    return found


def check_script(script: Any) -> Script:
    """``script`` checked to be a Chinese script csrules writes, whatever the language: a
    misspelt one is refused, not ignored for English text."""
    if script not in ("simplified", "traditional"):
        raise ValueError(f"script must be 'simplified' or 'traditional' (got {script!r})")
    found: Script = script
    return found


def zh_duration(span: timedelta) -> str:
    """A duration in Chinese words (``1天2小时30分``; ``-`` before a negative one)."""
    sign, span = ("-", -span) if span < timedelta(0) else ("", span)
    minutes, seconds = divmod(int(span.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{n}{unit}" for n, unit in ((days, "天"), (hours, "小时"), (minutes, "分"), (seconds, "秒")) if n]
    return sign + ("".join(parts) or "0秒")


@dataclass(frozen=True, slots=True)
class TraceNode:
    """One condition's evaluation: its kind, its plain-words text, the result and values seen.

    ``result`` is None when the condition was not evaluated (short-circuited).

    .. versionadded:: 0.1
    """

    kind: str
    text: str
    result: bool | None
    values: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[TraceNode, ...] = ()
    error: str | None = None
    words: Callable[[Lang], str] | None = field(default=None, compare=False, repr=False)
    """Words the condition in a language (set by the interpreter that built the node)."""

    def text_in(self, lang: Lang) -> str:
        """The condition's text in ``lang`` (the text as built when it cannot be reworded)."""
        return self.text if lang == "en" or self.words is None else self.words(lang)

    def deciding(self) -> tuple[TraceNode, ...]:
        """The leaf conditions that decided this node's result.

        A false ``all`` is decided by its first false part, a true ``any`` by its first true
        part; otherwise every evaluated part counts.
        """
        if not self.children:
            return (self,)
        evaluated = [c for c in self.children if c.result is not None]
        if self.kind == "all" and self.result is False:
            evaluated = [c for c in evaluated if c.result is False][:1]
        elif self.kind == "any" and self.result is True:
            evaluated = [c for c in evaluated if c.result is True][:1]
        return tuple(leaf for child in evaluated for leaf in child.deciding())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out: dict[str, Any] = {"kind": self.kind, "text": self.text, "result": self.result}
        if self.values:
            out["values"] = {k: _jsonable(v) for k, v in self.values.items()}
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        if self.error:
            out["error"] = self.error
        return out

    def render(self, indent: int = 0, lang: Lang = "en", script: Script = "simplified") -> list[str]:
        """Readable lines, one per condition, nested by indentation. Chinese words are put in
        ``script``; the values seen are shown as they were (they are data, not prose)."""
        mark = {True: "✓", False: "✗", None: "·"}[self.result]
        zh = lang == "zh"
        words = (lambda text: to_script(text, script)) if zh else str
        values = ("，" if zh else ", ").join(
            f"{words(_label(k, lang))}={_show_in(v, lang, words)}" for k, v in self.values.items())
        line = "  " * indent + f"{mark} {words(self.text_in(lang))}" + (f"  [{values}]" if values else "")
        if self.error:
            line += words("  错误：") + self.error if zh else f"  ERROR: {self.error}"
        lines = [line]
        for child in self.children:
            lines.extend(child.render(indent + 1, lang, script))
        return lines


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """Whether one rule matched, and the condition tree that decided it.

    ``selected`` is False for a matching rule whose effects the hit policy dropped
    (a later match under ``first``, a lower priority under ``priority``).

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    matched: bool
    selected: bool
    condition: TraceNode

    @property
    def decided_by(self) -> tuple[str, ...]:
        """Plain-words text of the conditions that decided the result."""
        return tuple(node.text for node in self.condition.deciding())

    def render(self, lang: Lang = "en", script: Script = "simplified") -> list[str]:
        """Readable lines: the verdict, then the condition tree with the values seen (Chinese
        in one ``script``)."""
        check_script(script)
        if check_lang(lang) == "zh":
            verdict = "命中" if self.matched else "未命中"
            if self.matched and not self.selected:
                verdict += "（按命中策略未采用）"
            return [f"{self.policy_id}/{self.rule_id}：{to_script(verdict, script)}",
                    *self.condition.render(1, lang, script)]
        verdict = "MATCHED" if self.matched else "no match"
        if self.matched and not self.selected:
            verdict += " (not selected by the hit policy)"
        return [f"{self.policy_id}/{self.rule_id}: {verdict}", *self.condition.render(1)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "policy": self.policy_id,
            "rule": self.rule_id,
            "matched": self.matched,
            "selected": self.selected,
            "decided_by": list(self.decided_by),
            "condition": self.condition.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Trace:
    """Every rule's trace for one decision, in policy and rule order.

    .. versionadded:: 0.1
    """

    rules: tuple[RuleTrace, ...]

    def __iter__(self) -> Any:
        return iter(self.rules)

    def for_rule(self, rule_id: str) -> RuleTrace:
        """The trace of ``rule_id``."""
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(f"no rule {rule_id!r} in this trace")

    def render(self, lang: Lang = "en", script: Script = "simplified") -> str:
        """The whole trace as readable text, in English (``lang="en"``) or Chinese (``"zh"``),
        its Chinese words in one ``script`` (simplified or traditional; the values seen are
        shown as they were)."""
        check_lang(lang)
        check_script(script)
        return "\n".join(line for rule in self.rules for line in rule.render(lang, script))

    def to_dict(self) -> list[dict[str, Any]]:
        """A JSON-ready form."""
        return [rule.to_dict() for rule in self.rules]


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):  # a member is shown as the value the fact gave, not Colour.RED
        value = value.value
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | frozenset | set):
        return [_jsonable(v) for v in value]
    return str(value)


def _show_in(value: Any, lang: Lang, words: Callable[[str], str]) -> str:
    """A value seen, shown as it was; yes/no, none and durations are csrules' words, and so
    are put in the reader's script like the rest of the text."""
    shown = _show(value, lang)
    return words(shown) if value is None or isinstance(value, bool | timedelta) else shown


def _label(key: str, lang: Lang) -> str:
    if lang == "en":
        return key
    if key in _VALUE_LABELS_ZH:
        return _VALUE_LABELS_ZH[key]
    return "到达时刻" if _REACHED.fullmatch(key) else key


_ONE_LINE = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})
"""Line breaks and tabs in a text value, written as ``repr`` writes them."""


def _show(value: Any, lang: Lang = "en") -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if lang == "zh":
        if isinstance(value, bool):
            return "是" if value else "否"
        if value is None:
            return "无"
        if isinstance(value, timedelta):
            return zh_duration(value)
        if isinstance(value, str):  # line breaks escaped as repr does: a condition keeps one line
            shown = _WORDS_ZH.get(value, f"“{value.translate(_ONE_LINE)}”")
            return shown if len(shown) <= 60 else shown[:57] + "..."
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
