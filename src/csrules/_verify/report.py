"""Run every analysis and property over a set of policies, and show the results.

A counterexample is printed as JSON and as YAML ready to paste into a ``*.test.yaml`` case,
followed by the engine's trace of the rules that break the claim.
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from csrules._policy.model import Policy
from csrules._policy.validity import versions_by_id
from csrules._verify.analyses import Result, analyse, prove
from csrules._verify.properties import Properties, Property
from csrules.exceptions import PolicyError

__all__ = ["Report", "verify_policies"]


@dataclass
class Report:
    """Every result, the time each analysis took, and the total time."""

    results: list[Result] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def properties(self) -> list[Result]:
        """The reviewer properties' verdicts."""
        return [r for r in self.results if r.extra.get("property")]

    @property
    def findings(self) -> list[Result]:
        """The analyses' findings."""
        return [r for r in self.results if not r.extra.get("property")]

    @property
    def ok(self) -> bool:
        """Every property proven (analysis findings are warnings)."""
        return all(r.status == "proven" or r.extra.get("known") for r in self.properties)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "properties": [r.to_dict() for r in self.properties],
            "findings": [r.to_dict() for r in self.findings],
        }

    def render(self) -> str:
        """Readable text: each property's verdict, each finding, counterexamples, timings."""
        lines: list[str] = []
        for result in self.properties:
            mark = {"proven": "PROVEN", "counterexample": "BROKEN", "not proven": "NOT PROVEN"}[result.status]
            known = result.extra.get("known") if result.status != "proven" else None
            mark = f"{mark} (known)" if known else mark
            lines.append(f"{mark} {_named(result)} / {result.code} ({result.seconds:.2f}s): {result.message}")
            if known:
                lines.append(f"  known: {known}")
            lines.extend(_witness(result))
        for result in self.findings:
            rule = f" rule {result.rule_id!r}" if result.rule_id else ""
            lines.append(f"[{result.code}] {_named(result)}{rule}: {result.message}")
            lines.extend(_witness(result))
        lines.append("analysis times: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()))
        proven = sum(r.status == "proven" for r in self.properties)
        lines.append(
            f"{proven} of {len(self.properties)} properties proven, {len(self.findings)} finding(s), "
            f"in {self.seconds:.2f}s"
        )
        return "\n".join(lines)


def _named(result: Result) -> str:
    """The policy a result is about, with its version when it is one of dated versions."""
    version = result.extra.get("version")
    return result.policy_id if version is None else f"{result.policy_id} version {version}"


def _witness(result: Result) -> list[str]:
    witness = result.witness
    if witness is None:
        return []
    case = witness.case(f"{result.code} counterexample", result.extra.get("fact_type"))
    shown = {k: v for k, v in case.items() if k != "name"}
    if witness.overrides:
        shown["overrides"] = witness.overrides
    out = ["  counterexample (JSON):", "    " + json.dumps(shown, ensure_ascii=False, default=str)]
    out.append("  as a test case (YAML, for the cases: of a *.test.yaml file):")
    dumped = yaml.safe_dump([case], allow_unicode=True, sort_keys=False)
    out.extend("    " + line for line in dumped.splitlines())
    if witness.overrides:
        overrides = json.dumps(witness.overrides, ensure_ascii=False)
        out.append(f"  with the parameter overrides {overrides} (policy.with_params, or load_pack overrides=)")
    if witness.note:
        out.append(f"  note: {witness.note}")
    if witness.trace:
        out.append("  trace (engine):")
        out.extend("    " + line for line in witness.trace.splitlines())
    return out


def verify_policies(
    policies: Iterable[Policy], props: Properties, *, free_params: bool = False, analyses: bool = True
) -> Report:
    """Prove ``props``' properties and run the analyses on ``policies``: on every dated
    version of a policy, each reported with its version. Each property, and each policy's
    analyses, is asked of formulas built for it alone (see :mod:`csrules._verify.solve`), so
    its result is the one it has when asked alone."""
    report = Report()
    begin = _time.perf_counter()
    by_id = versions_by_id(policies)
    short: dict[str, list[str]] = {}  # the last part of an id ("leave") names a policy when only one has it
    for policy_id in by_id:
        short.setdefault(policy_id.rpartition(".")[2], []).append(policy_id)
    for prop in props.properties:
        named = [prop.policy] if prop.policy in by_id else short.get(prop.policy, [])
        if len(named) > 1:
            raise PolicyError(
                f"{props.where(prop)}: property {prop.id!r} names policy {prop.policy!r}, which could be "
                f"{' or '.join(sorted(named))}: write the whole id"
            )
        versions = by_id[named[0]] if named else None
        if versions is None:
            raise PolicyError(
                f"{props.where(prop)}: property {prop.id!r} names policy {prop.policy!r}, "
                f"which is not here (policies: {', '.join(sorted(by_id))})"
            )
        _decided_somewhere(prop, versions, props.where(prop))
        for policy in versions:
            try:
                result = prove(policy, prop, free_params=free_params)
            except PolicyError as exc:
                raise PolicyError(f"{props.where(prop)}: {exc.message}") from None
            result.extra["property"] = True
            result.extra["fact_type"] = policy.fact_type
            if prop.known:
                result.extra["known"] = prop.known
            report.timings[_timing(f"property {prop.id}", policy)] = result.seconds
            report.results.append(_versioned(result, policy))
    if analyses:
        for policy in (p for versions in by_id.values() for p in versions):
            analysis = analyse(policy, props, free_params=free_params)
            report.results.extend(_versioned(r, policy) for r in analysis.results)
            for name, seconds in analysis.timings.items():
                report.timings[name] = report.timings.get(name, 0.0) + seconds
    report.seconds = _time.perf_counter() - begin
    return report


def _decided_somewhere(prop: Property, versions: Sequence[Policy], where: str) -> None:
    """Refuse a property naming an effect key no rule of its policy decides: ``excludes`` of a
    misspelt key (``approval:centre_directer``) would be proven for every fact, proving nothing."""
    decided = {effect.key for policy in versions for rule in policy.rules for effect in rule.then}
    expect = prop.expect
    for key in dict.fromkeys((*expect.includes, *expect.excludes, *expect.at_most_one)):
        if not key.endswith(":*") and key not in decided:
            raise PolicyError(
                f"{where}: property {prop.id!r} names {key}, which no rule of {prop.policy} decides "
                f"(its effects: {', '.join(sorted(decided)) or 'none'})"
            )


def _versioned(result: Result, policy: Policy) -> Result:
    """``result``, naming ``policy``'s version when it is a dated one."""
    if policy.dated:
        result.extra["version"] = policy.version
    return result


def _timing(name: str, policy: Policy) -> str:
    """A timing's name, with the version of a dated policy."""
    return f"{name} @ {policy.version}" if policy.dated else name
