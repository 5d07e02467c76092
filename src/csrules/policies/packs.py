"""The pack loader: reads a built-in pack's manifest, policies, session policies, lifecycles,
roles and duties into an immutable :class:`Pack`, with parameter overrides applied.

The pack files live beside this module (``csrules/policies/<pack>/``); :mod:`csrules.policies`
re-exports what is public here.

.. versionadded:: 0.1
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from csrules._engine.engine import Engine
from csrules._engine.examples import run_rule_example
from csrules._engine.record import pack_ref
from csrules._errors import validation_error
from csrules._policy.loader import loads_policy
from csrules._policy.model import Policy, Rule, Text
from csrules._sessions.lifecycle import Lifecycle
from csrules._time.duties import Duty
from csrules._time.shifts import ShiftPattern
from csrules.domain.complaint import complaint_lifecycle
from csrules.domain.roles import RoleCatalogue
from csrules.exceptions import CsrulesError, PolicyError
from csrules.policies.schemas import LifecycleEntry, PackManifest, SessionEntry
from csrules.policies.slas import PackSlas, bind_slas, checked_slas, split_overrides

if TYPE_CHECKING:
    from csrules._engine.logs import DecisionLog
    from csrules._sessions.backends.base import BackendName
    from csrules._sessions.session import SessionEngine
    from csrules._sessions.store import SessionStore

__all__ = [
    "LIFECYCLES",
    "PACK_NAMES",
    "ExampleCheck",
    "Pack",
    "PackDuty",
    "PackInfo",
    "Unencoded",
    "lifecycle_defaults",
    "lifecycle_regulation",
    "list_packs",
    "load_pack",
    "pack_names",
    "regulation_of",
]

_PACKAGE = "csrules.policies"  # the pack directories are data of the package, not of this module

PACK_NAMES: tuple[str, ...] = ("call_centre", "ecommerce", "mall", "online_support")
"""The built-in packs, in listing order."""

LIFECYCLES: dict[str, Callable[..., Lifecycle]] = {"cmp-1": complaint_lifecycle}
"""The lifecycles a manifest may name under ``lifecycles:``, by id, with their factories.

A lifecycle has one name everywhere: its id (``cmp-1``, the complaint flow of CMP-1), which
is also what a session calls it (``session.lifecycle_state("cmp-1")``, transition records,
errors). A factory's keyword arguments (``reply_within``, ``callback_within``) are the
lifecycle's parameters: the manifest may set them (``{name: cmp-1, params: {reply_within:
2d}}``) and overrides keyed by the id (``{"cmp-1": {"reply_within": "2d"}}``) tune them.
"""

_OLD_LIFECYCLE_NAMES = {"complaint": "cmp-1"}
"""Names lifecycles had before they were called by their ids; still accepted, with a warning."""

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

    ``duty`` is the time layer's :class:`~csrules._time.duties.Duty`, which gives due instants.

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

    ``policies`` are the stateless policies :meth:`engine` compiles. ``session_policies`` use
    the window kinds (``count``, ``nth``, ``in_a_row``, ``still_open``) that only a session can
    run, and ``lifecycles`` are transition tables (the complaint flow); :meth:`sessions` builds
    a :class:`~csrules.SessionEngine` over both. ``replaces`` maps a session policy id to the
    stateless rule ids it takes over for hosts that run sessions (see
    ``engine(session_host=True)``).

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
    session_policies: tuple[Policy, ...] = ()
    lifecycles: tuple[Lifecycle, ...] = ()
    replaces: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lifecycle_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The parameters each lifecycle was built with, keyed by its manifest name, in order."""
    slas: PackSlas = field(default_factory=PackSlas)
    """The service-level targets of ``slas:`` in the manifest (:mod:`csrules.policies.slas`)."""

    @property
    def info(self) -> PackInfo:
        """The listing entry of this pack."""
        return PackInfo(self.name, self.title, self.version, self.sources)

    def policy(self, policy_id: str) -> Policy:
        """The policy ``policy_id`` (the pack prefix may be left out: ``"leave"``).

        Session policies are found too (``"swap_session"``).
        """
        for policy in (*self.policies, *self.session_policies):
            if policy.id in (policy_id, f"{self.name}.{policy_id}"):
                return policy
        known = ", ".join(p.id for p in (*self.policies, *self.session_policies))
        raise PolicyError(f"pack {self.name!r} has no policy {policy_id!r} (policies: {known})")

    def lifecycle(self, name: str) -> Lifecycle:
        """The lifecycle called ``name``: its id, ``"cmp-1"`` (the old name ``"complaint"`` warns)."""
        wanted = lifecycle_id_of(name)
        for lifecycle in self.lifecycles:
            if lifecycle.id == wanted:
                return lifecycle
        known = ", ".join(self.lifecycle_params) or "none"
        raise PolicyError(f"pack {self.name!r} has no lifecycle {name!r} (lifecycles: {known})")

    def engine(self, *, session_host: bool = False) -> Engine:
        """An engine judging every fact type the pack's stateless policies cover (built once).

        Session policies are never included: their window kinds need a session. With
        ``session_host=True`` the engine also leaves out the stateless rules the session
        policies replace (``replaces`` in the manifest, e.g. the ``prior_greeting_offences``
        ladder of CON-1), so a host running :meth:`sessions` beside it does not get the same
        finding twice.
        """
        key = "_host_engine" if session_host else "_engine"
        cached = self.__dict__.get(key)
        if cached is None:
            policies = self.policies
            if session_host:
                dropped = {rule_id for ids in self.replaces.values() for rule_id in ids}
                policies = tuple(_without(policy, dropped) for policy in policies)
            cached = Engine(policies, pack=pack_ref(self.name, self.version, self.policies))
            # frozen dataclass: the engine is a cache of immutable policies, not state
            object.__setattr__(self, key, cached)
        return cached

    def sessions(
        self,
        *,
        backend: BackendName = "auto",
        store: SessionStore | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        log: DecisionLog | None = None,
    ) -> SessionEngine:
        """A new :class:`~csrules.SessionEngine` over the session policies and lifecycles.

        ``overrides`` (keyed like :func:`load_pack`'s) are applied first; ``backend`` and
        ``store`` go to the engine, and ``log`` (a decision log) gets every step's record.
        Each call builds a new engine: keep one per process.

        >>> engine = load_pack("mall").sessions(store=SQLiteStore("s.db"))   # doctest: +SKIP
        >>> engine.session("M01").send(call, now=t).effect_keys             # doctest: +SKIP
        """
        # the session engine is imported here, on first use: most hosts of a pack judge
        # single facts and never load the session machinery
        from csrules._sessions.session import SessionEngine

        pack = self.with_params(overrides) if overrides else self
        if not pack.session_policies and not pack.lifecycles:
            raise PolicyError(f"pack {self.name!r} has no session policies or lifecycles")
        return SessionEngine(pack.session_policies, lifecycles=pack.lifecycles, backend=backend, store=store,
                             log=log)

    def with_rules(self, policy_id: str, *rules: Rule) -> Pack:
        """A copy where ``policy_id`` also has ``rules`` (a host's own house rules).

        The extended policy is checked like any other; its version gets a ``+host`` suffix
        so decisions record that it is not the stock policy. A session policy may be
        extended too (its new rules may use the window kinds).
        """
        target = self.policy(policy_id)
        version = target.version if target.version.endswith("+host") else f"{target.version}+host"
        extended = target.with_rules(*rules, version=version)
        return replace(
            self,
            policies=tuple(extended if p is target else p for p in self.policies),
            session_policies=tuple(extended if p is target else p for p in self.session_policies),
        )

    def with_params(self, overrides: Mapping[str, Mapping[str, Any]]) -> Pack:
        """A copy with parameter overrides, keyed by policy id (stateless or session) or
        lifecycle id (or SLA id, ``"CB-1.callback"``), then parameter name."""
        overrides = self._by_lifecycle_id(overrides)
        sla_overrides, overrides = split_overrides(self, overrides)
        # old lifecycle names are ids by now: a key is a lifecycle id or a policy id
        ids = {p.id for p in (*self.policies, *self.session_policies)}
        unknown = [
            key
            for key in overrides
            if key not in ids and f"{self.name}.{key}" not in ids and key not in self.lifecycle_params
        ]
        if unknown:
            known = ", ".join([*ids, *self.lifecycle_params])
            raise PolicyError(f"override for unknown policy {unknown[0]!r} in pack {self.name!r} (policies: {known})")
        policy_overrides = {k: v for k, v in overrides.items() if k not in self.lifecycle_params}
        params = {name: dict(values) for name, values in self.lifecycle_params.items()}
        for key, values in overrides.items():
            if key in params:
                params[key].update(values)
        tuned = replace(
            self,
            policies=_apply_overrides(self.name, self.policies, policy_overrides, self.session_policies),
            session_policies=_apply_overrides(self.name, self.session_policies, policy_overrides, self.policies),
            lifecycles=tuple(_build_lifecycle(self.name, name, values) for name, values in params.items()),
            lifecycle_params=params,
        )
        return bind_slas(tuned, _build_lifecycle, sla_overrides=sla_overrides)

    def _by_lifecycle_id(self, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
        """``overrides`` with old lifecycle names replaced by the ids (each warns once, here);
        a badly shaped mapping is refused, naming the key."""
        if not isinstance(overrides, Mapping):
            raise PolicyError(f"overrides are a mapping of policy, lifecycle or SLA id to "
                              f"{{parameter: value}} (got {type(overrides).__name__})")
        renamed: dict[str, Mapping[str, Any]] = {}
        for key, values in overrides.items():
            if not isinstance(key, str) or not isinstance(values, Mapping):
                raise PolicyError(f"override {key!r} of pack {self.name!r} must map parameter names to "
                                  f"values, e.g. {{{key!r}: {{'param': value}}}} (got {type(values).__name__})")
            name = self._lifecycle_key(key) or key
            renamed[name] = {**renamed.get(name, {}), **values}
        return renamed

    def _lifecycle_key(self, key: str) -> str | None:
        """The id of the lifecycle ``key`` names, if any."""
        if key not in self.lifecycle_params and key not in _OLD_LIFECYCLE_NAMES:
            return None  # a policy id: no look-up, no warning
        wanted = lifecycle_id_of(key)
        return wanted if wanted in self.lifecycle_params else None

    def rules(self) -> Iterator[tuple[Policy, Rule]]:
        """Every ``(policy, rule)`` of the pack."""
        for policy in self.policies:
            for rule in policy.rules:
                yield policy, rule

    def session_rules(self) -> Iterator[tuple[Policy, Rule]]:
        """Every ``(policy, rule)`` of the pack's session policies."""
        for policy in self.session_policies:
            for rule in policy.rules:
                yield policy, rule

    def regulations(self) -> dict[str, list[str]]:
        """Regulation id -> the rule ids (and session, lifecycle, role and duty entries) that
        encode it. Session rules read ``session:<rule id>``; a lifecycle reads
        ``lifecycle:<id>`` under the regulation it cites, and each deadline
        ``lifecycle:<id>/<deadline>`` under its breach code."""
        found: dict[str, list[str]] = {}
        for _, rule in self.rules():
            found.setdefault(regulation_of(rule.id), []).append(rule.id)
        for _, rule in self.session_rules():
            found.setdefault(regulation_of(rule.id), []).append(f"session:{rule.id}")
        for lifecycle in self.lifecycles:
            found.setdefault(lifecycle_regulation(lifecycle), []).append(f"lifecycle:{lifecycle.id}")
            for deadline in lifecycle.deadlines:
                found.setdefault(deadline.breach.code, []).append(f"lifecycle:{lifecycle.id}/{deadline.id}")
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
                result = run_rule_example(engine, policy, rule, index, example)
                checks.append(ExampleCheck(policy.id, rule.id, index, result.expected, result.got))
        return checks


def regulation_of(rule_id: str) -> str:
    """The regulation id a rule id starts with: ``ATT-1.personal-notice`` -> ``ATT-1``."""
    return rule_id.split(".", 1)[0]


def lifecycle_regulation(lifecycle: Lifecycle) -> str:
    """The regulation id a lifecycle encodes: its id upper-cased (``cmp-1`` -> ``CMP-1``)."""
    return lifecycle.id.upper()


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

    ``overrides`` is keyed by policy id (``"call_centre.leave"``, or just ``"leave"``; session
    policies too, ``"swap_session"``) or lifecycle id (``"cmp-1"``), then by parameter
    name; each value is checked against the parameter's type and bounds. An unknown pack,
    policy, lifecycle or parameter raises :class:`csrules.PolicyError` naming the known ones.

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
    return resources.files(_PACKAGE).joinpath(pack, filename).read_text(encoding="utf-8")


def _manifest(name: str) -> tuple[dict[str, Any], PackManifest]:
    """``name``'s ``pack.yaml`` as written and validated by the schema's model (errors name
    the file and key)."""
    where = f"{name}/pack.yaml"
    data = yaml.safe_load(_read(name, "pack.yaml"))
    if not isinstance(data, dict):
        raise PolicyError("pack.yaml must hold a mapping", file=where)
    try:
        return data, PackManifest.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, lambda message: PolicyError(message, file=where), "pack manifest") from None
    except CsrulesError as exc:
        raise PolicyError(str(exc), file=where) from None


def _pack_info(name: str, manifest: PackManifest | None = None) -> PackInfo:
    """The listing entry of pack ``name`` from its ``manifest`` (read when not given)."""
    if manifest is None:
        _, manifest = _manifest(name)
    return PackInfo(name, manifest.title, manifest.version, tuple(str(s.file) for s in manifest.sources))


@cache
def _load(name: str) -> Pack:
    data, manifest = _manifest(name)
    policies = tuple(
        loads_policy(_read(name, filename), name=f"csrules/policies/{name}/{filename}")
        for filename in manifest.policies
    )
    sessions, replaces = _sessions(name, manifest.sessions, policies)
    for policy in (*policies, *sessions):
        if not policy.id.startswith(f"{name}."):
            raise PolicyError(f"policy ids in pack {name!r} must start with '{name}.'", policy_id=policy.id)
    entries = (LifecycleEntry(name=entry) if isinstance(entry, str) else entry for entry in manifest.lifecycles)
    lifecycle_params = {lifecycle_id_of(entry.name): dict(entry.params) for entry in entries}
    lifecycles = tuple(_build_lifecycle(name, key, values) for key, values in lifecycle_params.items())
    roles_data = yaml.safe_load(_read(name, manifest.roles))
    try:
        roles = RoleCatalogue(roles=roles_data["roles"])
        zone = manifest.timezone
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
    info = _pack_info(name, manifest)
    pack = Pack(
        name=name,
        title=info.title,
        version=info.version,
        sources=info.sources,
        policies=policies,
        roles=roles,
        duties=duties,
        unencoded=unencoded,
        readme=readme,
        shift_patterns=patterns,
        session_policies=sessions,
        lifecycles=lifecycles,
        replaces=replaces,
        lifecycle_params=lifecycle_params,
    )
    return bind_slas(pack, _build_lifecycle, checked_slas(name, manifest.slas, data))


def _sessions(
    name: str, entries: Sequence[str | SessionEntry], policies: tuple[Policy, ...]
) -> tuple[tuple[Policy, ...], dict[str, tuple[str, ...]]]:
    """The manifest's session policy files, and the stateless rules each one replaces."""
    stateless = {rule.id for policy in policies for rule in policy.rules}
    ids = {policy.id for policy in policies}
    sessions: list[Policy] = []
    replaces: dict[str, tuple[str, ...]] = {}
    for index, entry in enumerate(entries):
        where = f"{name}/pack.yaml: sessions[{index}]"
        filename, replaced = (entry, ()) if isinstance(entry, str) else (entry.file, entry.replaces)
        policy = loads_policy(_read(name, filename), name=f"csrules/policies/{name}/{filename}")
        if policy.id in ids:
            raise PolicyError(f"{where}: policy id {policy.id!r} is used twice in pack {name!r}")
        ids.add(policy.id)
        missing = [rule_id for rule_id in replaced if rule_id not in stateless]
        if missing:
            raise PolicyError(f"{where} replaces unknown stateless rule(s): {', '.join(missing)}")
        sessions.append(policy)
        replaces[policy.id] = replaced
    return tuple(sessions), replaces


def lifecycle_id_of(name: str) -> str:
    """The id a lifecycle is called by: ``name`` itself, or the id an old name stands for
    (``"complaint"`` -> ``"cmp-1"``, with a :class:`DeprecationWarning`)."""
    new = _OLD_LIFECYCLE_NAMES.get(name)
    if new is None:
        return name
    warnings.warn(
        f"the lifecycle name {name!r} is deprecated; call the lifecycle by its id {new!r}",
        DeprecationWarning,
        stacklevel=3,
    )
    return new


def _build_lifecycle(pack: str, name: str, params: Mapping[str, Any]) -> Lifecycle:
    """The lifecycle ``name`` built by its factory with ``params`` (checked by name and value)."""
    factory = LIFECYCLES.get(name)
    if factory is None:
        raise PolicyError(f"pack {pack!r}: unknown lifecycle {name!r} (lifecycles: {', '.join(LIFECYCLES)})")
    known = lifecycle_defaults(name)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise PolicyError(
            f"unknown parameter {unknown[0]!r} of lifecycle {name!r} in pack {pack!r} "
            f"(parameters: {', '.join(known) or 'none'})"
        )
    try:
        return factory(**params)
    except (ValueError, CsrulesError) as exc:
        raise PolicyError(f"lifecycle {name!r} in pack {pack!r}: {exc}") from None


def lifecycle_defaults(name: str) -> dict[str, Any]:
    """The parameters of lifecycle ``name`` (its id) with their defaults (its factory's keywords)."""
    signature = inspect.signature(LIFECYCLES[lifecycle_id_of(name)])
    return {
        param.name: param.default
        for param in signature.parameters.values()
        if param.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _without(policy: Policy, rule_ids: set[str]) -> Policy:
    """``policy`` without the rules ``rule_ids`` (unchanged when it has none of them)."""
    if not any(rule.id in rule_ids for rule in policy.rules):
        return policy
    data = policy.model_dump(mode="python")
    data["rules"] = [rule for rule in policy.rules if rule.id not in rule_ids]
    return Policy(**data)


def _apply_overrides(
    pack: str,
    policies: tuple[Policy, ...],
    overrides: Mapping[str, Mapping[str, Any]],
    others: tuple[Policy, ...] = (),
) -> tuple[Policy, ...]:
    """``policies`` with the overrides that name them; keys naming one of ``others`` are
    skipped, any other unknown key is an error."""
    by_id = {p.id: p for p in policies}
    other_ids = {p.id for p in others}
    updated = dict(by_id)
    for key, params in overrides.items():
        policy_id = key if key in by_id or key in other_ids else f"{pack}.{key}"
        if policy_id in other_ids:
            continue
        if policy_id not in by_id:
            known = ", ".join([*by_id, *other_ids])
            raise PolicyError(f"override for unknown policy {key!r} in pack {pack!r} (policies: {known})")
        updated[policy_id] = updated[policy_id].with_params(**dict(params))
    return tuple(updated[p.id] for p in policies)
