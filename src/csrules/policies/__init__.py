"""Built-in policy packs: the house rules of five source documents, ready to adopt and tune.

A pack is a directory of reviewable files: ``pack.yaml`` (name, title, version, sources,
duties), one YAML policy file per fact type, ``roles.yaml`` (the role catalogue) and a
``README.md`` that lists every regulation id the pack leaves to people, with the reason.

>>> from csrules.policies import list_packs, load_pack
>>> [info.name for info in list_packs()]
['call_centre', 'ecommerce', 'mall', 'online_support']
>>> pack = load_pack("call_centre", overrides={"call_centre.swap": {"max_swaps_per_month": 3}})
>>> decision = pack.engine().evaluate(leave_request)            # doctest: +SKIP

Rule ids start with the regulation id they encode (``ATT-1.personal-notice``), which is
how the coverage table (:mod:`csrules.policies._coverage`) maps regulations to rules.

.. versionadded:: 0.1
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml

import csrules.domain  # noqa: F401  (registers the fact types the packs judge)
from csrules._duties import Duty
from csrules._engine import Engine
from csrules._loader import loads_policy
from csrules._model import Policy, Rule, Text
from csrules._shifts import ShiftPattern
from csrules.domain.roles import RoleCatalogue
from csrules.exceptions import CsrulesError, PolicyError

__all__ = [
    "ExampleCheck",
    "Pack",
    "PackDuty",
    "PackInfo",
    "Unencoded",
    "list_packs",
    "load_pack",
    "pack_names",
]

PACK_NAMES: tuple[str, ...] = ("call_centre", "ecommerce", "mall", "online_support")
"""The built-in packs, in listing order."""

_UNENCODED = re.compile(r"^- \*\*(?P<id>[A-Z]+-\d+)\*\*(?P<part>[^:]*):\s*(?P<reason>.+)$")


@dataclass(frozen=True, slots=True)
class PackInfo:
    """What :func:`list_packs` shows about a pack without compiling it.

    .. versionadded:: 0.1
    """

    name: str
    title: Text
    version: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unencoded:
    """A regulation id (or part of one) the pack does not check, and why.

    .. versionadded:: 0.1
    """

    regulation: str
    part: str
    reason: str


@dataclass(frozen=True, slots=True)
class PackDuty:
    """A recurring duty of the pack (DUTY-n), with the regulation and clause it encodes.

    ``duty`` is the time layer's :class:`~csrules._duties.Duty`, which gives due instants.

    .. versionadded:: 0.1
    """

    id: str
    regulation: str
    duty: Duty
    citation: str

    def next_due(self, after: datetime, *, shifts: ShiftPattern | None = None) -> datetime:
        """The first due instant strictly after ``after``."""
        return self.duty.next_due(after, shifts=shifts)


@dataclass(frozen=True, slots=True)
class ExampleCheck:
    """The result of one worked example run through a pack's engine.

    .. versionadded:: 0.1
    """

    policy_id: str
    rule_id: str
    index: int
    expected: tuple[str, ...]
    got: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether the rule produced exactly the expected effect keys."""
        return self.expected == self.got


@dataclass(frozen=True)
class Pack:
    """A loaded pack: its policies (overrides applied), roles, duties and what it leaves out.

    Packs are immutable; :meth:`with_rules` and :meth:`with_params` return new packs.

    .. versionadded:: 0.1
    """

    name: str
    title: Text
    version: str
    sources: tuple[str, ...]
    policies: tuple[Policy, ...]
    roles: RoleCatalogue
    duties: tuple[PackDuty, ...]
    unencoded: tuple[Unencoded, ...]
    readme: str
    shift_patterns: Mapping[str, ShiftPattern] = field(default_factory=dict)

    @property
    def info(self) -> PackInfo:
        """The listing entry of this pack."""
        return PackInfo(self.name, self.title, self.version, self.sources)

    def policy(self, policy_id: str) -> Policy:
        """The policy ``policy_id`` (the pack prefix may be left out: ``"leave"``)."""
        for policy in self.policies:
            if policy.id in (policy_id, f"{self.name}.{policy_id}"):
                return policy
        known = ", ".join(p.id for p in self.policies)
        raise PolicyError(f"pack {self.name!r} has no policy {policy_id!r} (policies: {known})")

    def engine(self) -> Engine:
        """An engine judging every fact type the pack's policies cover (built once)."""
        cached = self.__dict__.get("_engine")
        if cached is None:
            cached = Engine(self.policies)
            # frozen dataclass: the engine is a cache of immutable policies, not state
            object.__setattr__(self, "_engine", cached)
        return cached

    def with_rules(self, policy_id: str, *rules: Rule) -> Pack:
        """A copy where ``policy_id`` also has ``rules`` (a host's own house rules).

        The extended policy is checked like any other; its version gets a ``+host`` suffix
        so decisions record that it is not the stock policy.
        """
        target = self.policy(policy_id)
        version = target.version if target.version.endswith("+host") else f"{target.version}+host"
        extended = target.with_rules(*rules, version=version)
        return replace(self, policies=tuple(extended if p is target else p for p in self.policies))

    def with_params(self, overrides: Mapping[str, Mapping[str, Any]]) -> Pack:
        """A copy with parameter overrides, keyed by policy id then parameter name."""
        return replace(self, policies=_apply_overrides(self.name, self.policies, overrides))

    def rules(self) -> Iterator[tuple[Policy, Rule]]:
        """Every ``(policy, rule)`` of the pack."""
        for policy in self.policies:
            for rule in policy.rules:
                yield policy, rule

    def regulations(self) -> dict[str, list[str]]:
        """Regulation id -> the rule ids (and role/duty entries) that encode it."""
        found: dict[str, list[str]] = {}
        for _, rule in self.rules():
            found.setdefault(regulation_of(rule.id), []).append(rule.id)
        for role in self.roles:
            if role.regulation:
                found.setdefault(role.regulation, []).append(f"role:{role.id}")
        for duty in self.duties:
            found.setdefault(duty.regulation, []).append(f"duty:{duty.id}")
        return found

    def check_examples(self) -> list[ExampleCheck]:
        """Run every worked example of every rule through the pack's engine.

        Each example is judged by the compiled engine; only the effects of the example's
        own rule are compared with its ``expect`` keys (as sorted sets).
        """
        engine = self.engine()
        checks: list[ExampleCheck] = []
        for policy, rule in self.rules():
            for index, example in enumerate(rule.examples):
                decision = engine.evaluate(example.fact, now=example.now, fact_type=policy.fact_type)
                got = sorted(
                    {
                        effect.key
                        for effect in decision.effects
                        if effect.policy_id == policy.id and effect.rule_id == rule.id
                    }
                )
                checks.append(ExampleCheck(policy.id, rule.id, index, tuple(sorted(set(example.expect))), tuple(got)))
        return checks


def regulation_of(rule_id: str) -> str:
    """The regulation id a rule id starts with: ``ATT-1.personal-notice`` -> ``ATT-1``."""
    return rule_id.split(".", 1)[0]


def pack_names() -> tuple[str, ...]:
    """The names of the built-in packs."""
    return PACK_NAMES


def list_packs() -> list[PackInfo]:
    """Every built-in pack's name, title, version and source files.

    .. versionadded:: 0.1
    """
    return [_pack_info(name) for name in PACK_NAMES]


def load_pack(name: str, *, overrides: dict[str, dict[str, Any]] | None = None) -> Pack:
    """Load the built-in pack ``name``, with optional parameter ``overrides``.

    ``overrides`` is keyed by policy id (``"call_centre.leave"``, or just ``"leave"``) then
    by parameter name; each value is checked against the parameter's type and bounds. An
    unknown pack, policy or parameter raises :class:`csrules.PolicyError` naming the known
    ones.

    .. versionadded:: 0.1
    """
    pack = _load(_check_name(name))
    if overrides:
        pack = pack.with_params(overrides)
    return pack


# --------------------------------------------------------------------------- internals


def _check_name(name: str) -> str:
    if name not in PACK_NAMES:
        raise PolicyError(f"unknown pack {name!r} (packs: {', '.join(PACK_NAMES)})")
    return name


def _read(pack: str, filename: str) -> str:
    return resources.files(__name__).joinpath(pack, filename).read_text(encoding="utf-8")


def _manifest(name: str) -> dict[str, Any]:
    data = yaml.safe_load(_read(name, "pack.yaml"))
    if not isinstance(data, dict):
        raise PolicyError("pack.yaml must hold a mapping", file=f"{name}/pack.yaml")
    return data


def _pack_info(name: str) -> PackInfo:
    data = _manifest(name)
    return PackInfo(
        name=name,
        title=Text(**data["title"]),
        version=str(data["version"]),
        sources=tuple(str(s["file"]) for s in data.get("sources", ())),
    )


@cache
def _load(name: str) -> Pack:
    data = _manifest(name)
    policies = tuple(
        loads_policy(_read(name, filename), name=f"csrules/policies/{name}/{filename}")
        for filename in data.get("policies", ())
    )
    for policy in policies:
        if not policy.id.startswith(f"{name}."):
            raise PolicyError(f"policy ids in pack {name!r} must start with '{name}.'", policy_id=policy.id)
    roles_data = yaml.safe_load(_read(name, data.get("roles", "roles.yaml")))
    try:
        roles = RoleCatalogue(roles=roles_data["roles"])
        zone = str(data.get("timezone", "Asia/Shanghai"))
        duties = tuple(
            PackDuty(
                id=str(item["id"]),
                regulation=regulation_of(str(item["id"])),
                duty=Duty(owner=item["owner"], title=item["title"], recurrence=item["recurrence"], timezone=zone),
                citation=str(item["citation"]),
            )
            for item in data.get("duties", ())
        )
        patterns = {
            str(key): ShiftPattern(timezone=zone, **value) for key, value in (data.get("shift_patterns") or {}).items()
        }
    except CsrulesError as exc:
        raise PolicyError(f"pack {name!r}: {exc}") from None
    readme = _read(name, "README.md")
    unencoded = tuple(
        Unencoded(m["id"], m["part"].strip(" ()"), m["reason"].strip())
        for m in (_UNENCODED.match(line) for line in readme.splitlines())
        if m is not None
    )
    return Pack(
        name=name,
        title=Text(**data["title"]),
        version=str(data["version"]),
        sources=tuple(str(s["file"]) for s in data.get("sources", ())),
        policies=policies,
        roles=roles,
        duties=duties,
        unencoded=unencoded,
        readme=readme,
        shift_patterns=patterns,
    )


def _apply_overrides(
    pack: str, policies: tuple[Policy, ...], overrides: Mapping[str, Mapping[str, Any]]
) -> tuple[Policy, ...]:
    by_id = {p.id: p for p in policies}
    updated = dict(by_id)
    for key, params in overrides.items():
        policy_id = key if key in by_id else f"{pack}.{key}"
        if policy_id not in by_id:
            raise PolicyError(f"override for unknown policy {key!r} in pack {pack!r} (policies: {', '.join(by_id)})")
        updated[policy_id] = updated[policy_id].with_params(**dict(params))
    return tuple(updated[p.id] for p in policies)
