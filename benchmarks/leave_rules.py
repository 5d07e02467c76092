"""The 8-rule leave-request policy used by the benchmark: fact generator and hand-written baselines.

Rules (a fact's answer is the sorted tuple of the ids of the rules that match it):

- R1 personal_notice: kind == "personal" and notice_hours < 24 and not manager_approved
- R2 special_notice: kind == "special" and notice_hours < 1 and not manager_approved
- R3 head_approves: days <= 1
- R4 director_approves: days > 1
- R5 personal_in_person: kind == "personal" and not in_person
- R6 sick_certificate: kind == "sick" and days >= 1 and not has_certificate and not emergency
- R7 night_shift: night_shift and not (before_noon and manager_approved)
- R8 holiday: holiday and (notice_hours < 48 or not manager_approved)
"""

from __future__ import annotations

import random
from typing import Any

RULE_IDS: tuple[str, ...] = ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8")
"""Rule ids in sorted order; an answer lists a subset of these in this order."""

RULE_NAMES: dict[str, str] = {
    "R1": "personal_notice",
    "R2": "special_notice",
    "R3": "head_approves",
    "R4": "director_approves",
    "R5": "personal_in_person",
    "R6": "sick_certificate",
    "R7": "night_shift",
    "R8": "holiday",
}

FIELDS: tuple[str, ...] = (
    "kind",
    "days",
    "notice_hours",
    "in_person",
    "has_certificate",
    "emergency",
    "night_shift",
    "holiday",
    "before_noon",
    "manager_approved",
)

_KINDS = ("personal", "special", "sick", "annual")
_KIND_WEIGHTS = (30, 30, 25, 15)
# Half-day steps; 1.0 (the R3/R4/R6 boundary) is over-represented so both sides of it are hit.
_DAYS = (0.5, 0.5, 1.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
# Exact thresholds of R1, R2 and R8, so that `<` versus `<=` mistakes show up.
_NOTICE_EDGES = (0.0, 1.0, 24.0, 48.0)


def _notice_hours(rng: random.Random) -> float:
    """Hours of notice: boundaries, very short, short and long notice, in quarter hours."""
    u = rng.random()
    if u < 0.10:
        return rng.choice(_NOTICE_EDGES)
    if u < 0.40:
        low, high = 0.0, 1.0
    elif u < 0.68:
        low, high = 1.0, 48.0
    else:
        low, high = 48.0, 96.0
    return min(high, round(rng.uniform(low, high) * 4) / 4)


def generate_facts(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Return ``n`` deterministic leave-request facts in which every rule both fires and doesn't."""
    rng = random.Random(seed)
    facts: list[dict[str, Any]] = []
    for _ in range(n):
        facts.append(
            {
                "kind": rng.choices(_KINDS, _KIND_WEIGHTS)[0],
                "days": rng.choice(_DAYS),
                "notice_hours": _notice_hours(rng),
                "in_person": rng.random() < 0.5,
                "has_certificate": rng.random() < 0.5,
                "emergency": rng.random() < 0.2,
                "night_shift": rng.random() < 0.3,
                "holiday": rng.random() < 0.25,
                "before_noon": rng.random() < 0.5,
                "manager_approved": rng.random() < 0.4,
            }
        )
    return facts


def hand_written(fact: dict[str, Any]) -> tuple[str, ...]:
    """Evaluate the policy on a fact dict with plain ``if`` statements (the speed baseline)."""
    out: list[str] = []
    kind = fact["kind"]
    days = fact["days"]
    notice = fact["notice_hours"]
    approved = fact["manager_approved"]
    if kind == "personal" and notice < 24 and not approved:
        out.append("R1")
    if kind == "special" and notice < 1 and not approved:
        out.append("R2")
    if days <= 1:
        out.append("R3")
    if days > 1:
        out.append("R4")
    if kind == "personal" and not fact["in_person"]:
        out.append("R5")
    if kind == "sick" and days >= 1 and not fact["has_certificate"] and not fact["emergency"]:
        out.append("R6")
    if fact["night_shift"] and not (fact["before_noon"] and approved):
        out.append("R7")
    if fact["holiday"] and (notice < 48 or not approved):
        out.append("R8")
    return tuple(out)


def hand_written_attr(fact_obj: Any) -> tuple[str, ...]:
    """Evaluate the policy on an object with attributes (e.g. a pre-validated pydantic model)."""
    out: list[str] = []
    kind = fact_obj.kind
    days = fact_obj.days
    notice = fact_obj.notice_hours
    approved = fact_obj.manager_approved
    if kind == "personal" and notice < 24 and not approved:
        out.append("R1")
    if kind == "special" and notice < 1 and not approved:
        out.append("R2")
    if days <= 1:
        out.append("R3")
    if days > 1:
        out.append("R4")
    if kind == "personal" and not fact_obj.in_person:
        out.append("R5")
    if kind == "sick" and days >= 1 and not fact_obj.has_certificate and not fact_obj.emergency:
        out.append("R6")
    if fact_obj.night_shift and not (fact_obj.before_noon and approved):
        out.append("R7")
    if fact_obj.holiday and (notice < 48 or not approved):
        out.append("R8")
    return tuple(out)


def rule_shares(facts: list[dict[str, Any]]) -> dict[str, float]:
    """Fraction of ``facts`` on which each rule fires (to check the generator's spread)."""
    counts = dict.fromkeys(RULE_IDS, 0)
    for fact in facts:
        for rid in hand_written(fact):
            counts[rid] += 1
    return {rid: counts[rid] / max(1, len(facts)) for rid in RULE_IDS}


def hand_written_read(fact_obj: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """What a host reads of a decision, by hand: outcome, violation codes, approvers.

    The same ``if`` statements as :func:`hand_written_attr`, collecting what each rule says.
    """
    codes: list[str] = []
    approvers: list[str] = []
    kind = fact_obj.kind
    days = fact_obj.days
    notice = fact_obj.notice_hours
    approved = fact_obj.manager_approved
    if kind == "personal" and notice < 24 and not approved:
        codes.append("ATT-1")
    if kind == "special" and notice < 1 and not approved:
        codes.append("ATT-1b")
    if days <= 1:
        approvers.append("department_head")
    if days > 1:
        approvers.append("centre_director")
    if kind == "personal" and not fact_obj.in_person:
        codes.append("ATT-3")
    if kind == "sick" and days >= 1 and not fact_obj.has_certificate and not fact_obj.emergency:
        codes.append("ATT-4")
    if fact_obj.night_shift and not (fact_obj.before_noon and approved):
        codes.append("ATT-5")
    if fact_obj.holiday and (notice < 48 or not approved):
        codes.append("ATT-6")
    outcome = "violation" if codes else "needs_approval" if approvers else "clean"
    return outcome, tuple(codes), tuple(approvers)
