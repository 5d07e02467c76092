"""The lateness rule of a company pack's own duties.

A duty a company pack adds (``duties:`` in its manifest) that no rule of the pack names would
be listed in the documents and give due instants, yet a record of it missed or done late would
pass. When a pack is built, :func:`with_own_duties` writes into the base's duties policy a rule
judging those duties as the base judges its own (overdue when not done by ``now``, or done
after the due time plus ``grace``), and leaves it out when there are none: a built-in pack,
whose every duty has a rule, is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from csrules._policy.model import Policy

__all__ = ["OWN_DUTY_RULES", "duties_named", "with_own_duties"]


@dataclass(frozen=True, slots=True)
class OwnDutyRule:
    """What a base pack's duties policy says of the company's own duties: the rule's id, its
    violation code, and the clause it encodes (with the source entry, when the policy lacks it)."""

    rule_id: str
    code: str
    citation: Mapping[str, str]
    source: Mapping[str, Any] | None = None


OWN_DUTY_RULES: Mapping[str, OwnDutyRule] = {
    "call_centre.duties": OwnDutyRule(
        "ROLE-1.own-duty-late", "ROLE-1",
        {"source": "001", "section": "客服部班長責任制 1", "quote": "檢查、監督員工崗位職責執行情況"},
    ),
    "online_support.duties": OwnDutyRule(
        "ROLE-3.own-duty-late", "ROLE-3",
        {"source": "004", "section": "篇6 崗位職責 1", "quote": "負責客服人員的管理及績效評估"},
        {"id": "004", "title": {"en": "Online CS job ads", "zh": "在線客服崗位職責"},
         "file": "004_e0b498efe6c0d23f.txt"},
    ),
}
"""The duties policies of the built-in packs that judge a company's own duties, by policy id."""

_GRACE = "grace"
"""The duration parameter of a duties policy that delays every lateness (0s by default)."""

# The pattern of every lateness rule of the duties policies (DUTY-2.shift-lead-reports ...).
_LATE: dict[str, Any] = {"kind": "any", "of": [
    # not done by now (none yet, or a done_at after now, which has not happened at now): judged at now
    {"kind": "all", "of": [
        {"kind": "not", "condition": {"kind": "elapsed", "since": "done_at", "op": ">=", "duration": "0s"}},
        {"kind": "elapsed", "since": "due_at", "op": ">", "param": _GRACE}]},
    # done by now: judged at that time
    {"kind": "all", "of": [
        {"kind": "elapsed", "since": "done_at", "op": ">=", "duration": "0s"},
        {"kind": "elapsed", "since": "due_at", "until": "done_at", "op": ">", "param": _GRACE}]},
]}


_TITLE = {"en": "A duty the company adds is done on time", "zh": "公司自訂的職責按時完成"}
"""The title of the written rule: a rule of that id with another title is the company's own."""


def _rule(spec: OwnDutyRule, duties: Sequence[str], first_owner: str) -> dict[str, Any]:
    """The rule judging ``duties`` late, with a worked example on the first (owned by ``first_owner``)."""
    fact = {"duty": duties[0], "owner": first_owner, "due_at": "2026-03-05T23:59:59+08:00"}
    return {
        "id": spec.rule_id,
        "title": dict(_TITLE),
        "description": {
            "en": "The pack's other duty rules judge the duties they name. A duty the company adds (duties:) "
                  "that no rule of the pack names is listed here when the pack is built, and judged as they "
                  "are: overdue when not done by now, or done after its due time plus grace.",
            "zh": "公司自訂、且無其他規則判斷的職責，在建包時列入本規則：逾期未完成或逾期完成即予標示。",
        },
        "citation": dict(spec.citation),
        "when": {"kind": "all", "of": [{"kind": "in", "path": "duty", "value": list(duties)}, _LATE]},
        "then": [{"type": "violation", "code": spec.code, "severity": "minor",
                  "message": {"en": "a duty the company adds is overdue or was done late",
                              "zh": "公司自訂的職責逾期未完成或逾期完成"}}],
        "examples": [
            {"name": "not done a day after it was due", "now": "2026-03-07T09:00:00+08:00", "fact": fact,
             "expect": [f"violation:{spec.code}"]},
            {"name": "done on the due day", "now": "2026-03-07T09:00:00+08:00",
             "fact": {**fact, "done_at": "2026-03-05T10:00:00+08:00"}, "expect": []},
        ],
    }


def duties_named(cond: Mapping[str, Any]) -> set[Any]:
    """The duty ids a condition (as data) names literally on ``duty``: ``in`` a list, or ``==``."""
    inner = [cond.get(key) for key in ("of", "condition", "match")]
    named = {duty for part in inner for child in (part if isinstance(part, list) else [part])
             if isinstance(child, dict) for duty in duties_named(child)}
    value = cond.get("value")
    if cond.get("path") == "duty" and cond.get("kind") == "in" and isinstance(value, list):
        named |= set(value)
    elif cond.get("path") == "duty" and cond.get("kind") == "compare" and cond.get("op") == "==":
        named.add(value)
    return named


def with_own_duties(data: dict[str, Any], duties: Mapping[str, str], judging: Iterable[Policy],
                    skip: Iterable[str]) -> bool:
    """Write into the data of a duties policy of :data:`OWN_DUTY_RULES` (in place) its rule
    judging the pack's ``duties`` (id -> owner) that no rule of the ``judging`` policies names
    (the rules ``skip`` lists, which check a record's duty and owner, do not judge it), or take
    it out when there are none; True if the rules changed. A policy with no ``grace`` duration
    (a company's own file in its place), or holding a rule of the company's with that id, is
    left as it is."""
    spec = OWN_DUTY_RULES[data["id"]]
    params = data.get("params") or {}
    written = [rule for rule in data["rules"] if rule["id"] == spec.rule_id]
    if params.get(_GRACE, {}).get("type") != "duration" or any(rule["title"] != _TITLE for rule in written):
        return False  # the company's own file in the base's place, or its own rule of that id
    passed = {spec.rule_id, *skip}
    named = {duty for policy in judging for rule in policy.rules if rule.id not in passed
             for duty in duties_named(rule.when.model_dump(mode="python"))}
    wanted = [duty for duty in duties if duty not in named]
    rules = [rule for rule in data["rules"] if rule["id"] != spec.rule_id]
    held = [duty for rule in written for duty in duties_named(rule["when"])]
    if sorted(held) == sorted(wanted):
        return False
    data["rules"] = [*rules, _rule(spec, wanted, duties[wanted[0]])] if wanted else rules
    sources = data.setdefault("sources", [])
    if wanted and spec.source is not None and all(source["id"] != spec.source["id"] for source in sources):
        sources.append(dict(spec.source))
    return True
