"""Chinese words for what documents show by id: effect kinds, hit policies, parameter types
and units, approval matters and duty recurrences.

A Chinese document words every such thing in Chinese; an id with no entry here (a host's
own matter or unit) is shown as the id it is, like any other identifier. The words are in
simplified Chinese; :func:`csrules._policy.text.to_script` puts the whole document in one script.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from csrules._docs.plain import Lang, in_langs

__all__ = ["effect_key_words", "hit_words", "matter_words", "param_type_words", "recurrence_words",
           "unit_words"]

_EFFECTS_ZH = {"violation": "违规", "obligation": "义务", "approval": "审批", "escalation": "升级",
               "recommendation": "建议"}
_HIT_ZH = {"collect": "全部适用", "first": "首条命中", "priority": "按优先级"}
_TYPES_ZH = {"int": "整数", "float": "数值", "str": "文本", "bool": "是否", "duration": "时长",
             "time": "时刻", "str_list": "文本列表"}
_UNITS_ZH = {"minutes": "分钟", "hours": "小时", "days": "天", "times": "次", "characters": "字",
             "characters per minute": "字/分钟", "yuan": "元"}
_MATTERS_ZH = {
    "leave": "请假", "business_trip": "出差", "training": "外出学习", "late_leave": "逾期请假",
    "complaint_solution": "投诉处理方案", "swap": "换班", "leave_post": "离岗", "direct": "指挥",
    "coordinate": "协调", "supervise": "监督", "discount": "折扣", "rest_days": "休息日",
}
_WEEKDAYS_ZH = {"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五",
                "sat": "周六", "sun": "周日"}


def hit_words(hit_policy: str, langs: Sequence[Lang]) -> str:
    """A hit policy (``collect``) in the languages asked for."""
    return in_langs(hit_policy, _HIT_ZH.get(hit_policy, hit_policy), langs)


def param_type_words(kind: str, unit: str | None, langs: Sequence[Lang]) -> str:
    """A parameter's type, with its unit (``int (minutes)`` / ``整数（分钟）``)."""
    en = kind + (f" ({unit})" if unit else "")
    zh = _TYPES_ZH.get(kind, kind) + (f"（{unit_words(unit)}）" if unit else "")
    return in_langs(en, zh, langs)


def unit_words(unit: str) -> str:
    """A unit in Chinese (the unit as written when it has no entry)."""
    return _UNITS_ZH.get(unit, unit)


def matter_words(matter: str) -> str:
    """An approval matter in Chinese (the id when it has no entry)."""
    return _MATTERS_ZH.get(matter, matter)


def effect_key_words(key: str, role_name: Any, lang: Lang) -> str:
    """An expected effect key (``violation:ATT-1``, ``approval:shift_lead``) in ``lang``: the
    kind in words, then its code or the role's display name (``role_name(id, lang)``)."""
    if lang == "en":
        return key
    kind, _, detail = key.partition(":")
    words = _EFFECTS_ZH.get(kind, kind)
    if not detail:
        return words
    shown = detail if kind == "violation" else role_name(detail, lang)
    return f"{words}：{shown}"


def recurrence_words(recurrence: Any) -> str:
    """A duty's :class:`~csrules._time.duties.Recurrence` in Chinese (``每月25日前的周五``)."""
    days = "、".join(_WEEKDAYS_ZH.get(d, d) for d in recurrence.byweekday)
    month_days = list(recurrence.bymonthday)
    if recurrence.freq == "shift":
        out = "每班"
    elif recurrence.freq == "daily":
        out = "每天"
    elif recurrence.freq == "weekly":
        out = f"每{days}" if days else "每周"
    elif recurrence.freq == "monthly" and recurrence.weekday_after is not None:
        out = f"每月{recurrence.weekday_after}日后的{days}"  # "the Friday after the 25th"
    elif recurrence.freq == "monthly":
        out = "每月" + _month_part(month_days, days, list(recurrence.bysetpos))
    else:
        out = "每年" + "、".join(f"{month}月{_day_list(month_days)}" for month in recurrence.bymonth)
    if recurrence.at is not None:
        out += recurrence.at.strftime(" %H:%M")
    return out


def _month_part(month_days: list[int], days: str, setpos: list[int]) -> str:
    if days and len(month_days) == 7 and month_days == list(range(month_days[0], month_days[0] + 7)):
        return f"{month_days[-1] + 1}日前的{days}"  # "the Friday before the 25th"
    if days and setpos:
        return "、".join(f"最后一个{days}" if n == -1 else f"第{n}个{days}" for n in setpos)
    if days:
        return f"的{days}" + (f"（{_day_list(month_days)}）" if month_days else "")
    return _day_list(month_days)


def _day_list(month_days: list[int]) -> str:
    return "、".join("最后一天" if d == -1 else f"倒数第{-d}天" if d < 0 else f"{d}日" for d in month_days)
