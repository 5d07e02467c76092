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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import ValidationError

from csrules._engine.engine import Engine
from csrules._engine.examples import run_rule_example
from csrules._engine.record import pack_ref
from csrules._engine.zones import ZONE_FIELD
from csrules._errors import ValidationProblems, problems_text, validation_error
from csrules._policy.facts import get_fact_type
from csrules._policy.kinds.base import walk
from csrules._policy.loader import Lines, line_for, loads_policy, policy_from_data, read_document, read_policy_text
from csrules._policy.model import Approve, Escalate, Oblige, Policy, Rule, Text
from csrules._policy.validity import (
    DEFAULT_ZONE,
    check_labels,
    check_versions,
    day_in_force,
    is_dated,
    with_dated_params,
)
from csrules._sessions.lifecycle import Lifecycle
from csrules._time.calendar import BusinessCalendar
from csrules._time.duties import Duty
from csrules._time.registry import (
    BUILTIN_CALENDARS,
    calendar_label,
    calendar_refs,
    get_calendar,
    register_calendar,
    register_pinned_calendar,
    registry_generation,
)
from csrules._time.shifts import ShiftPattern
from csrules.domain.complaint import complaint_lifecycle
from csrules.domain.escalation import EscalationLadder
from csrules.domain.roles import RoleCatalogue
from csrules.exceptions import CsrulesError, PolicyError
from csrules.policies.own_duties import OWN_DUTY_RULES, with_own_duties
from csrules.policies.schemas import LifecycleEntry, PackManifest, SessionEntry
from csrules.policies.slas import PackSlas, SlaDeclaration, _owning_sla, bind_slas, checked_slas, split_overrides

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
    timezone: str = DEFAULT_ZONE
    """The pack's zone: duties, shift patterns and the days of dated policies are read in it."""
    base: str | None = None
    """The name of the pack this one ``extends`` (None: it extends none)."""
    calendar: str | None = None
    """The registered name of the pack's business calendar (``calendar:`` in the manifest), pinned
    to its content (``acme-office@<digest>``) so that two versions of a pack keep their own days
    in one process: :func:`~csrules.get_calendar` takes it, :func:`~csrules.time.calendar_label`
    gives the name as written."""

    @property
    def info(self) -> PackInfo:
        """The listing entry of this pack."""
        return PackInfo(self.name, self.title, self.version, self.sources)

    def policy(self, policy_id: str) -> Policy:
        """The policy ``policy_id`` (the pack prefix may be left out: ``"leave"``).

        Session policies are found too (``"swap_session"``).
        """
        wanted = self._full_id(policy_id)
        for policy in (*self.policies, *self.session_policies):
            if policy.id == wanted:
                return policy
        known = ", ".join(p.id for p in (*self.policies, *self.session_policies))
        raise PolicyError(f"pack {self.name!r} has no policy {policy_id!r} (policies: {known})")

    def _full_id(self, key: str) -> str:
        """The policy id ``key`` names: itself, or the one id it is the short name of (``leave``:
        ``<pack>.leave``, or a base pack's ``call_centre.leave``); unchanged when none. A short
        name two policies share (a company's ``acme.leave`` beside ``call_centre.leave``) names
        neither: which one a reviewer meant cannot be told, so the whole id is asked for."""
        ids = dict.fromkeys(p.id for p in (*self.policies, *self.session_policies))
        if key in ids:
            return key
        named = [i for i in ids if i.partition(".")[2] == key]
        if len(named) > 1:
            raise PolicyError(f"pack {self.name!r}: {key!r} could be {' or '.join(named)}: write the whole id")
        return named[0] if named else key

    def versions(self, policy_id: str) -> tuple[Policy, ...]:
        """Every version of the policy ``policy_id`` (one, unless it has effective dates)."""
        wanted = self.policy(policy_id).id
        return tuple(p for p in (*self.policies, *self.session_policies) if p.id == wanted)

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
        generation = registry_generation()  # a calendar registered again since: built again
        cached = self.__dict__.get(key)
        if cached is None or cached[0] != generation:
            policies = self.policies
            if session_host:
                dropped = {rule_id for ids in self.replaces.values() for rule_id in ids}
                policies = tuple(_without(policy, dropped) for policy in policies)
            cached = generation, Engine(policies, pack=pack_ref(self.name, self.version, self.policies, self._bound()))
            # frozen dataclass: the engine is a cache of immutable policies, not state
            object.__setattr__(self, key, cached)
        return cached[1]

    def _bound(self) -> dict[str, Any]:
        """What the pack's engine binds besides its policies (its records keep each by hash,
        so a replay under a changed calendar or role catalogue says so): the roles, the
        pack's own calendar (by content), and its shift patterns."""
        bound: dict[str, Any] = {"roles": self.roles}
        if self.calendar is not None:
            bound[f"calendar:{calendar_label(self.calendar)}"] = get_calendar(self.calendar)
        bound.update({f"shift_pattern:{name}": pattern for name, pattern in self.shift_patterns.items()})
        return bound

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
        wanted = self.policy(policy_id).id

        def extended(policy: Policy) -> Policy:
            if policy.id != wanted:
                return policy
            version = policy.version if policy.version.endswith("+host") else f"{policy.version}+host"
            return policy.with_rules(*rules, version=version)

        return replace(
            self,
            policies=tuple(map(extended, self.policies)),
            session_policies=tuple(map(extended, self.session_policies)),
        )

    def with_params(self, overrides: Mapping[str, Mapping[str, Any]]) -> Pack:
        """A copy with parameter overrides, keyed by policy id (stateless or session) or
        lifecycle id (or SLA id, ``"CB-1.callback"``), then parameter name."""
        overrides = self._by_lifecycle_id(overrides)
        self._dated_only_on_policies(overrides)
        sla_overrides, overrides = split_overrides(self, overrides)
        overrides = {self._full_id(key): values for key, values in overrides.items()}
        # old lifecycle names are ids by now: a key is a lifecycle id or a policy id
        ids = {p.id for p in (*self.policies, *self.session_policies)}
        unknown = [
            key
            for key in overrides
            if key not in ids and f"{self.name}.{key}" not in ids and key not in self.lifecycle_params
        ]
        if unknown:
            known = ", ".join(dict.fromkeys([*(p.id for p in (*self.policies, *self.session_policies)),
                                             *self.lifecycle_params]))  # in pack order: the same text every run
            raise PolicyError(f"override for unknown policy {unknown[0]!r} in pack {self.name!r} (policies: {known})")
        overrides = _with_linked(self, overrides)
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
        return _zoned(bind_slas(tuned, _build_lifecycle, sla_overrides=sla_overrides))

    def _dated_only_on_policies(self, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        """Refuse a dated value for a lifecycle or SLA setting: only policies have versions."""
        ids = {p.id for p in (*self.policies, *self.session_policies)}
        for key, values in overrides.items():
            dated = [name for name, value in values.items() if is_dated(value)]
            if dated and self._full_id(key) not in ids:
                raise PolicyError(f"override {key}.{dated[0]} of pack {self.name!r}: dated values are for policy "
                                  "parameters only (a lifecycle or SLA setting has one value)")

    def _by_lifecycle_id(self, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
        """``overrides`` with old lifecycle names replaced by the ids (each warns once, here);
        a badly shaped mapping is refused, naming the key."""
        if not isinstance(overrides, Mapping):
            raise PolicyError(f"overrides are a mapping of policy, lifecycle or SLA id to "
                              f"{{parameter: value}} (got {type(overrides).__name__})")
        renamed: dict[str, Mapping[str, Any]] = {}
        for key, values in overrides.items():
            if not isinstance(key, str):
                raise PolicyError(f"overrides of pack {self.name!r}: an override is keyed by a policy, lifecycle "
                                  f"or SLA id (text), got {type(key).__name__} {key!r}")
            if not isinstance(values, Mapping):
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


def load_pack(name: str | PathLike[str], *, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Pack:
    """Load the pack ``name``: a built-in pack's name, or the path of a pack directory (one
    holding ``pack.yaml``, which may ``extends:`` another pack); optional ``overrides``.

    ``overrides`` is keyed by policy id (``"call_centre.leave"``, or just ``"leave"``; session
    policies too, ``"swap_session"``) or lifecycle id (``"cmp-1"``), then by parameter
    name; each value is checked against the parameter's type and bounds. A value may change
    on a day: ``{"leave": {"personal_notice": [{"value": "1d"}, {"value": "2d", "valid_from":
    "2026-07-01"}]}}`` (see ``docs/company-packs.md``). An unknown pack, policy, lifecycle or
    parameter raises :class:`csrules.PolicyError` naming the known ones.

    .. versionadded:: 0.1
    """
    pack = _resolve(name, ())
    if overrides:
        pack = pack.with_params(overrides)
    return pack


# --------------------------------------------------------------------------- internals


def _check_name(name: str) -> str:
    if name not in PACK_NAMES:
        raise PolicyError(f"unknown pack {name!r} (packs: {', '.join(PACK_NAMES)}; or the path of a pack directory)")
    return name


def _resolve(spec: str | PathLike[str], chain: tuple[str, ...], *, relative_to: Path | None = None) -> Pack:
    """The pack ``spec`` names: a built-in name, else a directory (``relative_to`` another
    pack's directory when given); ``chain`` holds the directories extending it, against cycles."""
    if isinstance(spec, str) and spec in PACK_NAMES:
        return _load(spec)
    path = Path(spec)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if not (path / "pack.yaml").is_file():
        if isinstance(spec, str) and not path.exists():
            _check_name(spec)
        raise PolicyError(f"{path}: not a pack directory (no pack.yaml in it)")
    key = str(path.resolve())
    if key in chain:
        raise PolicyError(f"{path}/pack.yaml: extends itself through {' -> '.join(chain)}")
    return _build(_PackDir(path.name, path, label=str(path)), (*chain, key))


@dataclass(frozen=True, slots=True)
class _PackDir:
    """Where a pack's files are read from: a built-in pack (``root`` None) or a directory."""

    name: str
    root: Path | None = None
    label: str = ""

    @property
    def manifest_name(self) -> str:
        """How errors name the manifest: ``mall/pack.yaml``, or its path."""
        return f"{self.name}/pack.yaml" if self.root is None else f"{self.label}/pack.yaml"

    def file_name(self, filename: str) -> str:
        """How errors name one of the pack's files."""
        return f"csrules/policies/{self.name}/{filename}" if self.root is None else f"{self.label}/{filename}"

    def read(self, filename: str) -> str:
        """The text of ``filename`` in the pack; a missing file is a PolicyError naming it."""
        if self.root is None:
            return _read(self.name, filename)
        try:
            return (self.root / filename).read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{self.file_name(filename)}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:  # the loader says where, as for any policy file
            return read_policy_text(self.root / filename)

    def has(self, filename: str) -> bool:
        """Whether the pack has ``filename``."""
        if self.root is None:
            return resources.files(_PACKAGE).joinpath(self.name, filename).is_file()
        return (self.root / filename).is_file()


def _read(pack: str, filename: str) -> str:
    return resources.files(_PACKAGE).joinpath(pack, filename).read_text(encoding="utf-8")


def _manifest(name: str | _PackDir) -> tuple[dict[str, Any], PackManifest, Lines]:
    """The pack's ``pack.yaml`` as written, validated by the schema's model (errors name
    the file, the line and the key), and the line of each key."""
    source = name if isinstance(name, _PackDir) else _PackDir(name)
    where = source.manifest_name
    data, lines = read_document(source.read("pack.yaml"), name=where)
    if not isinstance(data, dict):
        raise PolicyError("pack.yaml must hold a mapping", file=where)
    try:
        return data, PackManifest.model_validate(data), lines
    except ValidationError as exc:
        loc = tuple(exc.errors()[0]["loc"])
        line = line_for(lines, data, loc)
        raise validation_error(
            exc, lambda message: PolicyError(message, file=where, line=line), "pack manifest"
        ) from None
    except CsrulesError as exc:
        raise PolicyError(str(exc), file=where) from None


def _pack_info(name: str, manifest: PackManifest | None = None) -> PackInfo:
    """The listing entry of pack ``name`` from its ``manifest`` (read when not given)."""
    if manifest is None:
        _, manifest, _ = _manifest(name)
    return PackInfo(name, manifest.title, manifest.version, tuple(str(s.file) for s in manifest.sources))


@cache
def _load(name: str) -> Pack:
    return _build(_PackDir(name), ())


def _build(source: _PackDir, chain: tuple[str, ...]) -> Pack:
    """The pack in ``source``: read alone, or over the pack it ``extends``."""
    data, manifest, lines = _manifest(source)
    _check_files(source, manifest, data, lines)
    pinned = None
    if manifest.calendar is not None:  # registered first: the pack's policies may name it
        pinned = _register_calendar(manifest, source, lines, data)
    if manifest.extends is None:
        pack = _base_pack(source, data, manifest, lines)
    else:
        try:
            base = _resolve(manifest.extends, chain, relative_to=source.root)
        except PolicyError as exc:
            line = lines.get(("extends",))
            raise PolicyError(f"extends: {exc}", file=source.manifest_name, line=line) from None
        pack = extend_pack(base, source, data, manifest, lines)
    # effect roles are checked (at their file and line) before the overrides apply: with_params
    # checks them again, and its error would be laid at the overrides' line of pack.yaml
    _check_effect_roles(pack, source, manifest)
    _check_condition_roles(pack, source, manifest, base if manifest.extends is not None else None)
    if manifest.overrides:
        pack = _with_manifest_overrides(pack, manifest, source, lines, data)
    if pinned is not None:
        pack = replace(pack, calendar=pinned)
    roles_file = manifest.roles if manifest.extends is not None else manifest.roles or "roles.yaml"
    if roles_file is not None:
        _check_authority(pack, source, roles_file)
    return _zoned(_with_pinned_calendar(pack))


def _check_files(source: _PackDir, manifest: PackManifest, data: Mapping[str, Any], lines: Lines) -> None:
    """Refuse a file the manifest names that is not next to pack.yaml, at the line naming it."""
    named: list[tuple[tuple[str | int, ...], str]] = [(("roles",), manifest.roles)] if manifest.roles else []
    named += [(("policies", i), name) for i, name in enumerate(manifest.policies)]
    named += [(("replace", i), name) for i, name in enumerate(manifest.replace)]
    named += [(("rules", key), name) for key, name in manifest.rules.items()]
    named += [(("sessions", i), entry if isinstance(entry, str) else entry.file)
              for i, entry in enumerate(manifest.sessions)]
    for loc, filename in named:
        if not source.has(filename):
            raise PolicyError(f"{loc[0]}: no file {filename!r} next to pack.yaml", file=source.manifest_name,
                              line=line_for(lines, data, loc))


def _check_authority(pack: Pack, source: _PackDir, filename: str) -> None:
    """Refuse a role of the pack's own roles file whose authority ``up_to`` (leave up to 3
    days) differs from the parameter in force that caps a rule approving by that role
    (``days <= head_max_days`` -> department head): the rules read the parameter, so a
    catalogue saying otherwise would leave a reader believing it changed who approves."""
    data, lines = read_document(source.read(filename), name=source.file_name(filename))
    entries = data.get("roles") if isinstance(data, dict) else None
    own = {entry.get("id"): index for index, entry in enumerate(entries or ()) if isinstance(entry, dict)}
    for policy in pack.policies:
        matter = policy.fact_type.removesuffix("_request")
        for rule in policy.rules:
            approving = {effect.role for effect in rule.then if isinstance(effect, Approve)} & set(own)
            leaves = rule.when.children() if rule.when.kind == "all" else (rule.when,)
            for name in (getattr(leaf, "param", None) for leaf in leaves
                         if leaf.kind == "compare" and getattr(leaf, "op", None) in ("<", "<=")):
                value = policy.param_values.get(name) if isinstance(name, str) and name in policy.params else None
                if not isinstance(name, str) or not isinstance(value, int | float) or isinstance(value, bool):
                    continue
                for role_id in sorted(approving):
                    _check_cap(pack.roles.role(role_id).authority, (matter, policy.params[name].unit),
                               (policy.id, name, value), source.file_name(filename),
                               line_for(lines, data, ("roles", own[role_id])) or None, role_id)


def _check_cap(authority: Sequence[Any], matter: tuple[str, str | None], param: tuple[str, str, float],
               where: str, line: int | None, role_id: str) -> None:
    """Refuse ``authority`` whose ``up_to`` of ``matter`` (with its unit) is not ``param``'s value."""
    policy_id, name, value = param
    for item in authority:
        if (item.matter, item.unit) == matter and item.up_to is not None and item.up_to != value:
            raise PolicyError(
                f"role {role_id!r} approves {item.matter} up to {item.up_to:g} {item.unit or ''}, but the rules of "
                f"{policy_id} send it {item.matter} up to {name} = {value:g}: set overrides: "
                f"{{{policy_id.rsplit('.', 1)[-1]}: {{{name}: {item.up_to:g}}}}} in pack.yaml so the rules follow, "
                f"or write up_to: {value:g}", file=where, line=line)


OTHER_PARTIES = frozenset({"reporter"})
"""Who an obligation may name besides a role of the pack's catalogue: ``reporter``, the
person the fact names as reporting (ESC-3)."""


def _check_effect_roles(pack: Pack, source: _PackDir | None = None, manifest: PackManifest | None = None) -> None:
    """Refuse a rule sending an approval, escalation or obligation to a role the pack's
    (merged) catalogue does not hold under any name: nobody would be asked. With the pack's
    ``source`` and ``manifest`` (a pack being loaded) the error names the file and line."""
    for policy in (*pack.policies, *pack.session_policies):
        for rule in policy.rules:
            for effect in rule.then:
                if not isinstance(effect, Approve | Escalate | Oblige):
                    continue
                kind, attr = effect.KEY
                name: str = getattr(effect, str(attr))
                if name in pack.roles or (kind == "obligation" and name in OTHER_PARTIES):
                    continue
                roles = "; ".join(" / ".join(role.names) for role in pack.roles)
                others = f"; an obligation may also name {', '.join(sorted(OTHER_PARTIES))}"
                file, line = (None, None) if source is None or manifest is None else _effect_line(
                    source, manifest, rule.id, str(attr), name)
                raise PolicyError(f"the {kind} goes to {name!r}, which is no role of pack {pack.name!r} "
                                  f"(roles: {roles}{others})", policy_id=policy.id, rule_id=rule.id,
                                  file=file, line=line)


def _check_condition_roles(pack: Pack, source: _PackDir, manifest: PackManifest, base: Pack | None) -> None:
    """Refuse a rule or lifecycle guard comparing a role field (:data:`ROLE_FIELDS`) with a
    name no role of the pack's (merged) catalogue holds: a misspelt ``agnet`` would never hold
    for a fact naming a real role, and the rule would pass silently. The names the ``base``
    pack's own conditions hold are its business (its aliases, which a company catalogue may
    leave out); the error names the file and line."""
    known = {name for role in pack.roles for name in role.names}
    if base is not None:
        known |= {item for _, _, cond, params in _role_conditions(base) for item in _role_values(cond, params)}
    for owner, rule_id, cond, params in _role_conditions(pack):
        strange = [item for item in _role_values(cond, params) if item not in known]
        if not strange:
            continue
        roles = "; ".join(" / ".join(role.names) for role in pack.roles)
        file, line = _condition_line(source, manifest, cond.path, strange[0])
        raise PolicyError(f"the condition on {cond.path} names {strange[0]!r}, which is no role of pack {pack.name!r} "
                          f"(roles: {roles})", policy_id=owner, rule_id=rule_id, file=file, line=line)


def _role_values(cond: Any, params: Mapping[str, Any]) -> list[str]:
    """The role names a condition on a role field compares with (its literal or parameter)."""
    value = params.get(cond.param) if cond.param is not None else cond.value
    return [item for item in (value if isinstance(value, list) else [value]) if isinstance(item, str)]


def _role_conditions(pack: Pack) -> Iterator[tuple[str, str | None, Any, Mapping[str, Any]]]:
    """(policy or lifecycle id, rule id or None, condition, parameter values) of every
    condition of a rule or lifecycle guard that reads a role field with a literal or a parameter."""

    def reading(cond: Any, fields: tuple[str, ...]) -> bool:
        return "value" in type(cond).model_fields and cond.path in fields and cond.field is None

    for policy in (*pack.policies, *pack.session_policies):
        fields = ROLE_FIELDS.get(policy.fact_type, ())
        for rule in policy.rules if fields else ():
            for cond in walk(rule.when):
                if reading(cond, fields):
                    yield policy.id, rule.id, cond, policy.param_values
    for flow in pack.lifecycles:
        fields = ROLE_FIELDS.get(flow.fact_type, ())
        for move in flow.transitions if fields else ():
            for cond in walk(move.guard) if move.guard is not None else ():
                if reading(cond, fields):
                    yield flow.id, None, cond, {}


def _rule_files(manifest: PackManifest) -> tuple[str, ...]:
    """The files a manifest names that hold rules: policies, replacements, added rules, sessions."""
    return (*manifest.policies, *manifest.replace, *manifest.rules.values(),
            *(entry if isinstance(entry, str) else entry.file for entry in manifest.sessions))


def _condition_line(source: _PackDir, manifest: PackManifest, path: str, name: str) -> tuple[str, int | None]:
    """The file and line of a condition on ``path`` naming ``name`` among the files the
    manifest names (read again only to report the error)."""
    for filename in _rule_files(manifest):
        data, lines = read_document(source.read(filename), name=source.file_name(filename))
        for loc, node in _mappings(data, ()):
            value = node.get("value")
            if node.get("path") == path and (value == name or (isinstance(value, list) and name in value)):
                return source.file_name(filename), line_for(lines, data, (*loc, "value"))
    return source.manifest_name, None


def _mappings(node: Any, loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every mapping inside ``node`` (parsed YAML) with its location, outermost first."""
    if isinstance(node, dict):
        yield loc, node
        items: Iterable[tuple[Any, Any]] = node.items()
    else:
        items = enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from _mappings(child, (*loc, key))


def _effect_line(source: _PackDir, manifest: PackManifest, rule_id: str, attr: str, name: str
                 ) -> tuple[str, int | None]:
    """The file and line of the effect of rule ``rule_id`` giving ``attr: name``, among the
    files the manifest names (read again only to report the error)."""
    for filename in _rule_files(manifest):
        data, lines = read_document(source.read(filename), name=source.file_name(filename))
        rules = data.get("rules") if isinstance(data, dict) else None
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            effects = rule.get("then") if isinstance(rule, dict) and rule.get("id") == rule_id else None
            for j, effect in enumerate(effects if isinstance(effects, list) else []):
                if isinstance(effect, dict) and effect.get(attr) == name:
                    return source.file_name(filename), line_for(lines, data, ("rules", i, "then", j, attr))
    return source.manifest_name, None


def _register_calendar(manifest: PackManifest, source: _PackDir, lines: Lines, data: Mapping[str, Any]) -> str:
    """Register the manifest's ``calendar:`` under its name (a built-in name is refused) and
    under its content-pinned name (:func:`~csrules._time.registry.register_pinned_calendar`),
    which the pack's policies are bound to; return the pinned name."""
    from csrules.domain.china import china_calendar  # the holidays package loads slowly: only when used

    entry = manifest.calendar
    assert entry is not None
    zone = manifest.timezone
    try:
        if entry.china:
            calendar = china_calendar(hours=entry.hours, timezone=zone, closures=entry.closures)
        else:
            calendar = BusinessCalendar(timezone=zone, hours=entry.hours or {}, closures=entry.closures)
        if entry.name in BUILTIN_CALENDARS:
            raise ValueError(f"{entry.name!r} is a built-in calendar: give the pack's calendar its own name")
        register_calendar(entry.name, calendar, replace=True)
    except (ValueError, CsrulesError) as exc:
        raise PolicyError(f"calendar: {exc}", file=source.manifest_name,
                          line=line_for(lines, data, ("calendar",))) from None
    return register_pinned_calendar(entry.name, calendar)


def _with_pinned_calendar(pack: Pack) -> Pack:
    """``pack`` with every reference to its calendar's plain name bound to the pinned name.

    A company pack's calendar is registered by name in the process, so two versions of one
    pack (``csrules impact``, ``diff``, a replay) would otherwise judge by whichever was loaded
    last; pinned, each judges by its own closures, and a changed calendar changes the hash
    of every policy that reads it."""
    if pack.calendar is None or pack.calendar == calendar_label(pack.calendar):
        return pack
    plain, pinned = calendar_label(pack.calendar), pack.calendar

    def pin(tree: Any) -> bool:  # in place; True if any reference changed
        refs = [ref for ref in calendar_refs(tree) if ref["calendar"] == plain]
        for ref in refs:
            ref["calendar"] = pinned
        return bool(refs)

    def policy(p: Policy) -> Policy:
        data = p.model_dump(mode="python", exclude_unset=True)
        return Policy(**data) if pin(data) else p

    def lifecycle(flow: Lifecycle) -> Lifecycle:
        data = flow.model_dump(mode="python", by_alias=True, exclude_unset=True)
        return Lifecycle(**data) if pin(data) else flow

    return replace(pack, policies=tuple(map(policy, pack.policies)),
                   session_policies=tuple(map(policy, pack.session_policies)),
                   lifecycles=tuple(map(lifecycle, pack.lifecycles)),
                   slas=pack.slas.with_calendar(plain, pinned))


def _base_pack(source: _PackDir, data: Mapping[str, Any], manifest: PackManifest, lines: Lines) -> Pack:
    """A pack that extends none: everything from its own files."""
    name = manifest.name
    if not manifest.policies:
        raise PolicyError("a pack that extends no other lists its policies", file=source.manifest_name)
    policies = _policies(source, manifest.policies)
    sessions, replaces = _sessions(source, manifest.sessions, policies)
    for policy in (*policies, *sessions):
        if not policy.id.startswith(f"{name}."):
            raise PolicyError(f"policy ids in pack {name!r} must start with '{name}.'", policy_id=policy.id)
    files = _files(source, policies, manifest.policies)
    check_versions((*policies, *sessions))
    check_labels((*policies, *sessions), files)
    lifecycle_params = _lifecycle_params(manifest.lifecycles)
    lifecycles = tuple(_build_lifecycle(name, key, values) for key, values in lifecycle_params.items())
    roles = _roles(source, manifest.roles or "roles.yaml", name)
    readme = source.read("README.md")
    info = PackInfo(name, manifest.title, manifest.version, tuple(str(s.file) for s in manifest.sources))
    pack = Pack(
        name=name,
        title=info.title,
        version=info.version,
        sources=info.sources,
        policies=policies,
        roles=roles,
        duties=_duties(data, manifest.timezone, name),
        unencoded=_unencoded(readme),
        readme=readme,
        shift_patterns=_patterns(data, manifest.timezone, name),
        session_policies=sessions,
        lifecycles=lifecycles,
        replaces=replaces,
        lifecycle_params=lifecycle_params,
        timezone=manifest.timezone,
    )
    return _bound_slas(pack, checked_slas(name, manifest.slas, data), source, (data, lines))


def _policies(source: _PackDir, files: Sequence[str]) -> tuple[Policy, ...]:
    return tuple(loads_policy(source.read(filename), name=source.file_name(filename)) for filename in files)


def _version_error(exc: PolicyError, source: _PackDir, replacing: Sequence[Policy], own: Sequence[Policy],
                   manifest: PackManifest, kept_ids: set[str]) -> PolicyError:
    """Versions of one policy that overlap, located at the ``valid_from`` of the pack's latest
    file among them; the ``replace:`` hint only when a kept base policy was written again."""
    listed = zip((*replacing, *own), (*manifest.replace, *manifest.policies), strict=True)
    mine = [(policy, filename) for policy, filename in listed if policy.id == exc.policy_id]
    hint = " (to put a file in the place of a base policy, list it under replace:)" if exc.policy_id in kept_ids else ""
    if not mine:
        return PolicyError(f"{source.manifest_name}: {exc}{hint}")
    _, filename = max(mine, key=lambda pair: pair[0].valid_from or date.min)
    data, lines = read_document(source.read(filename), name=source.file_name(filename))
    line = line_for(lines, data, ("valid_from",)) or line_for(lines, data, ("id",))
    return PolicyError(f"{exc}{hint}", file=source.file_name(filename), line=line)


def _files(source: _PackDir, policies: Sequence[Policy], files: Sequence[str]) -> dict[int, str]:
    """The file each of ``policies`` was read from (``files``, in the same order), by ``id()``."""
    return {id(policy): source.file_name(filename) for policy, filename in zip(policies, files, strict=True)}


def _lifecycle_params(entries: Sequence[str | LifecycleEntry]) -> dict[str, dict[str, Any]]:
    listed = (LifecycleEntry(name=entry) if isinstance(entry, str) else entry for entry in entries)
    return {lifecycle_id_of(entry.name): dict(entry.params) for entry in listed}


def _roles(source: _PackDir, filename: str, name: str, base: RoleCatalogue | None = None) -> RoleCatalogue:
    """The roles of ``filename``; over a ``base`` catalogue, the base's roles with these added
    (one with a base role's id replaces it), checked as one catalogue: a company's role may
    report to a base role."""
    roles_data, lines = read_document(source.read(filename), name=source.file_name(filename))  # duplicate keys refused
    own = roles_data.get("roles") if isinstance(roles_data, dict) else None
    if not isinstance(own, list):  # text would be read letter by letter, a mapping key by key
        found = "it has none" if own is None else f"not {type(own).__name__} {own!r}"[:80]
        raise PolicyError(f"pack {name!r}: a roles file holds roles: a list of roles (- id: ..., title: ...); "
                          f"{found}", file=source.file_name(filename),
                          line=line_for(lines, roles_data, ("roles",)))
    ids = {entry.get("id") for entry in own if isinstance(entry, dict)}
    kept = [] if base is None else [role for role in base if role.id not in ids]
    try:  # the whole file is validated, so a misspelt key beside roles: is refused at its line
        return RoleCatalogue.model_validate({**roles_data, "roles": [*kept, *own]})
    except PolicyError as exc:
        raise _in_roles_file(exc, len(kept), f"pack {name!r}", source.file_name(filename), roles_data, lines) from None
    except CsrulesError as exc:
        raise PolicyError(f"pack {name!r}: {exc}", file=source.file_name(filename)) from None


def _in_roles_file(exc: PolicyError, kept: int, what: str, where: str, data: Any, lines: Lines) -> PolicyError:
    """``exc``, raised by a merged catalogue whose first ``kept`` roles are the base's, located
    in the roles file: its problems counted in the file (``roles[0]``), with the line of the first."""

    def mine(loc: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
        if loc[:1] != ("roles",):
            return loc or None  # a key beside roles: is the file's own
        at = loc[1] if len(loc) > 1 else None
        return ("roles", at - kept, *loc[2:]) if isinstance(at, int) and at >= kept else None

    if isinstance(exc, ValidationProblems) and exc.details:  # several problems, each with its place
        problems = [replace(problem, loc=mine(problem.loc) or problem.loc) for problem in exc.details]
        first = mine(exc.details[0].loc)
        return PolicyError(f"{what}: invalid role catalogue: {problems_text(problems)}", file=where,
                           line=None if first is None else line_for(lines, data, first))
    loc = mine(exc.loc)  # one of the catalogue's own checks, at one place
    return PolicyError(f"{what}: {exc.message}", loc=loc or exc.loc, file=where,
                       line=None if loc is None else line_for(lines, data, loc))


_Zoned = TypeVar("_Zoned", Duty, ShiftPattern)


def _duties(data: Mapping[str, Any], zone: str, name: str) -> tuple[PackDuty, ...]:
    try:
        return tuple(
            PackDuty(
                id=str(item["id"]),
                regulation=regulation_of(str(item["id"])),
                duty=Duty(owner=item["owner"], title=item["title"], recurrence=item["recurrence"], timezone=zone),
                citation=str(item["citation"]),
            )
            for item in data.get("duties", ())
        )
    except CsrulesError as exc:
        raise PolicyError(f"pack {name!r}: {exc}") from None


def _rezoned(timed: _Zoned, zone: str) -> _Zoned:
    """An inherited duty or shift pattern read in the extending pack's ``zone``: its due
    instants and shifts are that zone's wall-clock times, as the pack's own entries are."""
    if timed.timezone == zone:
        return timed
    return type(timed)(**{**timed.model_dump(exclude_unset=True), "timezone": zone})


def _patterns(data: Mapping[str, Any], zone: str, name: str) -> dict[str, ShiftPattern]:
    try:
        return {
            str(key): ShiftPattern(timezone=zone, **value) for key, value in (data.get("shift_patterns") or {}).items()
        }
    except CsrulesError as exc:
        raise PolicyError(f"pack {name!r}: {exc}") from None


def _unencoded(readme: str) -> tuple[Unencoded, ...]:
    return tuple(
        Unencoded(m["id"], m["part"].strip(" ()"), m["reason"].strip())
        for m in (_UNENCODED.match(line) for line in readme.splitlines())
        if m is not None
    )


def _sessions(
    source: _PackDir, entries: Sequence[str | SessionEntry], policies: Sequence[Policy], taken: Sequence[Policy] = ()
) -> tuple[tuple[Policy, ...], dict[str, tuple[str, ...]]]:
    """The manifest's session policy files, and the stateless rules each one replaces."""
    stateless = {rule.id for policy in policies for rule in policy.rules}
    ids = {policy.id for policy in (*policies, *taken)}
    sessions: list[Policy] = []
    replaces: dict[str, tuple[str, ...]] = {}
    for index, entry in enumerate(entries):
        where = f"{source.manifest_name}: sessions[{index}]"
        filename, replaced = (entry, ()) if isinstance(entry, str) else (entry.file, entry.replaces)
        policy = loads_policy(source.read(filename), name=source.file_name(filename))
        if policy.id in ids and not policy.dated:
            raise PolicyError(f"{where}: policy id {policy.id!r} is used twice in pack {source.name!r}")
        ids.add(policy.id)
        missing = [rule_id for rule_id in replaced if rule_id not in stateless]
        if missing:
            raise PolicyError(f"{where} replaces unknown stateless rule(s): {', '.join(missing)}")
        sessions.append(policy)
        replaces[policy.id] = replaced
    return tuple(sessions), replaces


_LADDER_STEPS = ("shift_lead_after", "manager_after")
"""ESC-2's ladder (如仍無法解決再匯集至部門經理): the department manager's step follows the shift lead's."""

_ORDERED_PARAMS: tuple[tuple[str, str, bool, str], ...] = (
    ("min_listens_per_agent", "max_listens_per_agent", False,
     "a floor above the cap makes every monthly count of listens a violation"),
    ("warn_at", "fine_at", True,
     "the warning comes before the fine (第兩次警告第三次予以罰款): one offence earns one rung"),
    ("target_length", "max_length", False,
     "a call kept within the target must not already break the maximum"),
    ("pickup_rings", "apology_rings", False,
     "a call answered late enough to need an apology must also break the pick-up rule"),
)
"""Parameter pairs a policy's values must keep in order: (lower, upper, strictly, why)."""


def _check_ladders(pack: Pack) -> None:
    """Refuse a policy whose ladder parameters put the department manager's step at or
    before the shift lead's: the shift lead's step could then never hold (every version);
    and one whose ordered parameter pairs (:data:`_ORDERED_PARAMS`) are out of order."""
    for policy in (*pack.policies, *pack.session_policies):
        _check_ordered(policy)
        if not all(name in policy.params for name in _LADDER_STEPS):
            continue
        try:
            EscalationLadder.from_policy(policy, as_of=day_in_force(policy))  # this version's ladder
        except PolicyError:
            first, then = (policy.param_values[name] for name in _LADDER_STEPS)
            pairs = [(link.stateless, link.session) for link in _links(pack) if link.name in _LADDER_STEPS]
            shared = sorted({other for pair in pairs if policy.id in pair for other in pair} - {policy.id})
            also = f" (the steps of {', '.join(map(repr, shared))} too: one ladder)" if shared else ""
            raise PolicyError(
                f"manager_after ({then}) must be longer clock time than shift_lead_after ({first}):"
                f" the department manager takes an order the shift lead could not resolve{also}",
                policy_id=policy.id,
            ) from None


def _check_ordered(policy: Policy) -> None:
    """Refuse ``policy`` when a pair of :data:`_ORDERED_PARAMS` it has is out of order."""
    values = policy.param_values
    for lower, upper, strict, why in _ORDERED_PARAMS:
        if lower not in values or upper not in values:
            continue
        low, high = (_comparable(values[name]) for name in (lower, upper))
        if low is None or high is None:
            continue
        if low > high or (strict and low == high):
            relation = "below" if strict else "at most"
            raise PolicyError(
                f"{lower} ({values[lower]}) must be {relation} {upper} ({values[upper]}): {why}",
                policy_id=policy.id,
            )


@dataclass(frozen=True, slots=True)
class _Link:
    """A parameter read twice: by a stateless policy and by the session policy taking over
    some of its rules for session hosts (``replaces:`` in the manifest), under one name."""

    stateless: str
    session: str
    name: str
    rules: tuple[str, ...]


_SHARED_PARAMS: tuple[tuple[str, str, str], ...] = (
    ("ecommerce.shifts", "ecommerce.handover", "night_shifts"),
)
"""Parameters two stateless policies read as one value of the pack, linked as :func:`_links`
links a session policy's: (policy, other policy, parameter). The e-commerce night shifts' names
say both who stays on with a customer (ATT-12) and whose handover goes in the book."""


def _links(pack: Pack) -> tuple[_Link, ...]:
    """Every parameter a session policy shares by name with a stateless policy whose rules it
    replaces: one number of the pack (ESC-2's ``shift_lead_after``, ATT-9's
    ``max_swaps_per_month``), which an override sets in both and both must hold alike. A
    parameter an SLA ``sets`` is left out: the SLA keeps it in step with its target. The pairs
    of :data:`_SHARED_PARAMS` the pack holds are linked alike (with no rules taken over)."""
    params = {p.id: p.params for p in (*pack.policies, *pack.session_policies)}
    links: list[_Link] = [_Link(first, second, name, ()) for first, second, name in _SHARED_PARAMS
                          if name in params.get(first, {}) and name in params.get(second, {})]
    for session, replaced in pack.replaces.items():
        for policy in dict.fromkeys(p.id for p in pack.policies for rule in p.rules if rule.id in replaced):
            rules = tuple(dict.fromkeys(r.id for p in pack.policies if p.id == policy
                                        for r in p.rules if r.id in replaced))
            links.extend(_Link(policy, session, name, rules)
                         for name in params[policy] if name in params.get(session, {})
                         and _owning_sla(pack, session, name) is None)
    return tuple(links)


def _with_linked(pack: Pack, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """``overrides`` (keyed by full policy id) with each value of a linked parameter
    (:func:`_links`) given to the other policy reading it too, unless that one is given its
    own value (two values that differ are refused by :func:`_check_linked`)."""
    tuned = {key: dict(values) for key, values in overrides.items()}
    for link in _links(pack):
        for given, other in ((link.stateless, link.session), (link.session, link.stateless)):
            if link.name in overrides.get(given, {}) and link.name not in overrides.get(other, {}):
                tuned.setdefault(other, {})[link.name] = overrides[given][link.name]
    return dict(tuned)


def _check_linked(pack: Pack) -> None:
    """Refuse a pack where a linked parameter (:func:`_links`) holds different values in the
    stateless policy and the session policy on some day: the engine and the sessions would
    then judge one rule by two numbers (a company's ``replace:`` file with its own default,
    or two overrides that disagree)."""
    for link in _links(pack):
        for stateless in pack.versions(link.stateless):
            for session in pack.versions(link.session):
                mine, theirs = (p.param_values[link.name] for p in (stateless, session))
                if not _overlap(stateless, session) or mine == theirs:
                    continue
                shared = (f"which takes over {', '.join(link.rules)} for hosts that run sessions: the engine and "
                          "the sessions would judge by different numbers" if link.rules else
                          "which reads it as the same value of the pack: the two would judge by different values")
                raise PolicyError(
                    f"{link.name} is {mine} in {link.stateless!r} but {theirs} in {link.session!r}, {shared}; "
                    f"give one value (an override of either policy sets both)", policy_id=link.session)


def _overlap(first: Policy, second: Policy) -> bool:
    """Whether two policy versions are in force on some common day."""
    def start(p: Policy) -> date:
        return p.valid_from or date.min

    def end(p: Policy) -> date:
        return p.valid_until or date.max

    return start(first) < end(second) and start(second) < end(first)


def _comparable(value: Any) -> Any:
    """``value`` as a number or a timedelta to compare (None: not comparable, e.g. dated)."""
    delta = getattr(value, "delta", None)
    if isinstance(delta, timedelta):
        return delta
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


ROLE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "report": ("raised_by", "addressed_to"),
    "leave_request": ("submitted_to", "requester_role", "approver"),
    "work_order": ("owner_role", "reported_to", "approved_by", "handed_to", "handed_to_roles", "handoff_roles"),
    "complaint_step": ("approved_by",),
    "attendance_record": ("away_approved_by",),
    "duty_record": ("owner",),
}
"""Fields, per fact type, that name a role of the pack's catalogue."""


_MEMBERSHIP = ("in", "not_in", "any_in", "any_not_in")
"""Condition kinds whose ``value`` lists the roles a role field (or each of its items) is read against."""


LEVEL_RULES: Mapping[str, tuple[str, str]] = {"ATT-2.level-by-level": ("requester_role", "submitted_to")}
"""Rules that check a request goes to the requester's direct superior, with the fields naming
the requester's role and the role it went to: their chain is read from the pack's roles."""
LADDER_RULES: Mapping[str, tuple[str, str, str]] = {"ROLE-1.levels-up": ("raised_by", "addressed_to", "levels_up")}
"""Rules that hold a report's level count to the chain, with the fields naming the role raising
it, the role it went to and the count: their ladder is read from the pack's roles (every role
and each superior above it, by distance), so a company's added levels count as the chain says."""


ROLE_LISTS: Mapping[str, str | None] = {
    "ROLE-1.attendance-unknown-role": None,
    "ROLE-1.leave-unknown-role": None,
    "ROLE-1.unknown-role": None,
    "ROLE-1.work-order-unknown-role": None,
    "ESC-1.first-handler": "shift_lead",
    "ATT-1.late-approval": "department_head",
    "ATT-2.department-head": "department_head",
    "ATT-2.centre-director": "department_head",
    "ATT-5.night-approval": "department_head",
    "ATT-6.holiday-approval": "department_head",
}
"""Rules whose role lists name a set the pack's roles decide: every role of the catalogue
(``None``: a role outside it is unknown) or every role below the role given (whoever the
department head approves leave for). A company pack's roles join these lists when it is built.
A list in such a rule naming the role given or one above it (the approver of a late leave, the
centre director whose own leave he cannot approve) is one of :data:`ROLES_UP`'s lists."""

ROLES_UP: frozenset[str] = frozenset({
    "ATT-1.personal-notice",
    "ATT-1.special-notice",
    "ATT-1.sick-notice",
    "ATT-8.centre-director",
    "ROLE-1.own-approval",
    "ATT-1.supervisor",
    "ESC-5.transfer",
})
"""Rules whose role lists each name a role and every role above it in the pack's chain, the role
being the lowest the list names (who may approve a late leave: the department head and above;
whose leave the centre director cannot approve: his own and his superiors'; who decides a trade
customer's discount himself: the CS supervisor and above), so a company role
above the top of the built-in chain joins them instead of being approved by his subordinate."""

ROLES_FROM: Mapping[str, str] = {
    "ATT-7.away": "shift_lead",
    "ATT-11.unapproved-absence": "shift_lead",
    "ATT-7.discipline": "cs_supervisor",
    "ESC-2.late-untraced": "shift_lead",
    "CMP-1.leader-approval": "department_head",
    "CMP-1.no-unapproved-handling": "department_head",
    "CMP-5.serious": "team_lead",
    "CMP-5.critical": "cs_supervisor",
}
"""Rules whose role lists name a role and every role above it in the pack's chain (who may
allow leaving the post), written as :data:`ROLE_LISTS` are."""

DUTY_RULES: Mapping[str, Literal["ids", "owners"]] = {
    "ROLE-1.unknown-duty": "ids", "ROLE-1.duty-owner": "owners",
    "DUTY-6.unknown-duty": "ids", "DUTY-6.duty-owner": "owners",
}
"""Rules whose duty lists are the pack's duties (every duty id; each owner's duties), written
as :data:`ROLE_LISTS` are: a company pack's duties join them when it is built."""

SKIP_RULES: Mapping[str, tuple[str, str, str, str]] = {
    "ESC-3.level-by-level": ("raised_by", "addressed_to", "levels_up", "max_levels"),
    "ESC-3.inform-skipped": ("raised_by", "addressed_to", "levels_up", "max_levels"),
}
"""Rules that judge a report skipping levels, with the fields naming the role raising it, the
role it went to, the count given, and the parameter of how many levels it may go up: besides
the count given, the pairs the pack's chain places more than that many levels apart are
written into them, so a report given as data with too small a count still skips a level."""

_EDITED_RULES = frozenset({*LEVEL_RULES, *LADDER_RULES, *ROLE_LISTS, *ROLES_FROM, *ROLES_UP, *SKIP_RULES, *DUTY_RULES})
"""Every rule id whose conditions a pack rewrites from its roles (:func:`_with_chain`)."""


def _role_id(roles: RoleCatalogue, name: Any) -> Any:
    """The id of the role ``name`` names (an id or alias), else ``name`` as it is."""
    return roles.role(name).id if name in roles else name


def _with_chain(pack: Pack) -> Pack:
    """``pack`` with each level-by-level rule (:data:`LEVEL_RULES`) reading its chain from
    the pack's roles (``reports_to``), and each rule of :data:`ROLE_LISTS` its role lists,
    where what it writes differs; such a policy's version gets a ``+<pack>`` suffix, as a
    company's rules file gives it."""

    def edit(rule: dict[str, Any], fields: tuple[str, ...], params: Mapping[str, Any]) -> bool:
        if rule["id"] in SKIP_RULES:
            return _skips(rule, pack.roles, params)
        if rule["id"] in LEVEL_RULES:
            return _chain(rule, pack.roles, pack.name)
        if rule["id"] in LADDER_RULES:
            return _ladder(rule, pack.roles)
        if rule["id"] in ROLE_LISTS or rule["id"] in ROLES_FROM or rule["id"] in ROLES_UP:
            return _role_lists(rule, fields, pack)
        if rule["id"] in DUTY_RULES:
            return _duty_lists(rule, pack)
        return False

    duties = {duty.id: _role_id(pack.roles, duty.duty.owner) for duty in pack.duties}
    judging = [policy for policy in (*pack.policies, *pack.session_policies) if policy.fact_type == "duty_record"]

    def chained(policy: Policy) -> Policy:
        if not any(rule.id in _EDITED_RULES for rule in policy.rules) and policy.id not in OWN_DUTY_RULES:
            return policy
        data = policy.model_dump(mode="python", exclude_unset=True)
        fields = ROLE_FIELDS.get(policy.fact_type, ())
        changed = [edit(rule, fields, policy.param_values) for rule in data["rules"]]
        if policy.id in OWN_DUTY_RULES:  # the company's own duties no other rule judges
            changed.append(with_own_duties(data, duties, judging, DUTY_RULES))
        if not any(changed):
            return policy
        suffix = f"+{pack.name}"
        data["version"] = policy.version if policy.version.endswith(suffix) else f"{policy.version}{suffix}"
        return Policy(**data)

    def flow(lifecycle: Lifecycle) -> Lifecycle:
        fields = ROLE_FIELDS.get(lifecycle.fact_type, ())
        if not fields:
            return lifecycle
        data = lifecycle.model_dump(mode="python", by_alias=True, exclude_unset=True)
        changed = [_upward_lists(move["guard"], fields, pack.roles)
                   for move in data["transitions"] if move.get("guard")]
        return Lifecycle(**data) if any(changed) else lifecycle

    return replace(pack, policies=tuple(map(chained, pack.policies)),
                   session_policies=tuple(map(chained, pack.session_policies)),
                   lifecycles=tuple(map(flow, pack.lifecycles)))


def _upward_lists(cond: dict[str, Any], fields: tuple[str, ...], roles: RoleCatalogue) -> bool:
    """Write each ``in`` list on a role field of a lifecycle guard (in place) as the lowest role
    it names and every role above it in the pack's chain (whoever approves a complaint's
    solution: the department head or above, a company's own roles above it too); True if any."""
    changed = False
    for child in _children(cond):
        changed = _upward_lists(child, fields, roles) or changed
    value = cond.get("value")
    if cond.get("path") not in fields or cond.get("kind") != "in" or not isinstance(value, list):
        return changed
    written = _upward(roles, set(value))
    if {_role_id(roles, name) for name in value} == set(written):
        return changed
    cond["value"] = written
    return True


def _children(cond: dict[str, Any]) -> list[dict[str, Any]]:
    """The conditions directly inside ``cond`` (under ``of``, ``condition`` or ``match``)."""
    inner = [cond.get(key) for key in ("of", "condition", "match")]
    return [child for part in inner for child in (part if isinstance(part, list) else [part])
            if isinstance(child, dict)]


def _role_lists(rule: dict[str, Any], fields: tuple[str, ...], pack: Pack) -> bool:
    """Write the roles :data:`ROLE_LISTS` gives ``rule`` (every role, or every role below
    one) into each ``in`` / ``not_in`` list on a role field of its ``when`` (in place) where
    the ids the list names differ; True if written. A list naming the role given or one above
    it (the centre director's own leave), and every list of a :data:`ROLES_UP` rule, is the
    lowest role it names and every role above it."""
    roles = pack.roles
    lowest = ROLES_FROM.get(rule["id"])
    above = ROLE_LISTS.get(rule["id"]) if lowest is None else lowest
    upward = rule["id"] in ROLES_UP
    if above is not None and above not in roles:
        where = "from" if lowest is not None else "below"
        raise PolicyError(f"pack {pack.name!r}: the rule lists the roles {where} {above!r}, which the pack's "
                          f"roles do not hold; replace the rule (its role lists) in a rules file",
                          rule_id=rule["id"])
    if lowest is not None:
        wanted = [roles.role(lowest).id, *(boss.id for boss in roles.chain_above(lowest))]
    else:
        wanted = [role.id for role in roles
                  if above is None or any(boss.id == above for boss in roles.chain_above(role.id))]
    # a "below" list naming the approver or one above (the centre director's own leave) is written upward
    chief = set() if above is None or lowest is not None else {above, *(boss.id for boss in roles.chain_above(above))}

    def write(cond: dict[str, Any]) -> bool:
        if _role_pair(cond, fields) is not None:  # a same-role test: its pairs are not role lists
            return False
        changed = False
        for child in _children(cond):
            changed = write(child) or changed
        value = cond.get("value")
        if cond.get("path") not in fields or cond.get("kind") not in _MEMBERSHIP or not isinstance(value, list):
            return changed
        ids = {_role_id(roles, name) for name in value}
        written = _upward(roles, ids) if upward or ids & chief else wanted  # the approver or above
        if ids == set(written):
            return changed
        cond["value"] = list(written)
        return True

    return write(rule["when"])


def _duty_lists(rule: dict[str, Any], pack: Pack) -> bool:
    """Write the pack's duties into a rule of :data:`DUTY_RULES` (in place) where its
    ``when`` differs: a duty id outside them, or each owner's duties with another owner
    named; True if written."""
    owners: dict[str, list[str]] = {}
    for duty in pack.duties:
        owners.setdefault(_role_id(pack.roles, duty.duty.owner), []).append(duty.id)
    if DUTY_RULES[rule["id"]] == "ids":
        wanted: dict[str, Any] = {"kind": "not_in", "path": "duty", "value": [duty.id for duty in pack.duties]}
    else:
        pairs = [{"kind": "all", "of": [{"kind": "in", "path": "duty", "value": ids},
                                        {"kind": "not_in", "path": "owner", "value": [owner]}]}
                 for owner, ids in owners.items()]
        wanted = {"kind": "any", "of": pairs or [{"kind": "in", "path": "duty", "value": []}]}
    if _duties_held(rule["when"], pack.roles) == _duties_held(wanted, pack.roles):
        return False
    rule["when"] = wanted
    return True


def _duties_held(when: dict[str, Any], roles: RoleCatalogue) -> set[Any]:
    """What a rule of :data:`DUTY_RULES` holds: the duty ids it lists, or its (duty, owner)
    pairs with owners read as role ids (a list widened to aliases holds what its ids do)."""
    if when.get("kind") == "not_in":
        return set(when.get("value") or [])
    held: set[Any] = set()
    for pair in when.get("of") or []:
        tests = {cond.get("kind"): cond.get("value") or [] for cond in pair.get("of") or []}
        held |= {(duty, _role_id(roles, owner)) for duty in tests.get("in", []) for owner in tests.get("not_in", [])}
    return held


def _check_duty_owners(pack: Pack) -> None:
    """Refuse a duty owned by a role the pack's (merged) catalogue does not hold under any
    name: nobody would do it, and no record could name its owner."""
    for duty in pack.duties:
        if duty.duty.owner not in pack.roles:
            roles = "; ".join(" / ".join(role.names) for role in pack.roles)
            raise PolicyError(f"pack {pack.name!r}: duty {duty.id!r} (duties:) is owned by {duty.duty.owner!r},"
                              f" which is no role of the pack (roles: {roles})")


def _upward(roles: RoleCatalogue, ids: set[Any]) -> list[Any]:
    """The lowest role of ``ids`` the catalogue holds (the most superiors) and every role above
    it; ``ids`` as they are when the catalogue holds none of them."""
    # by role id: a list already widened to aliases names the same roles
    held = sorted({_role_id(roles, name) for name in ids if name in roles},
                  key=lambda role_id: (-len(roles.chain_above(role_id)), role_id))
    if not held:
        return sorted(ids, key=str)
    return [held[0], *(boss.id for boss in roles.chain_above(held[0]))]


def _chain(rule: dict[str, Any], roles: RoleCatalogue, pack: str) -> bool:
    """Write the pairs (role, its superior) of ``roles`` into a level-by-level ``rule`` (in
    place) when they differ from the pairs it holds; True if written. The rule's ``when`` is
    ``all`` of conditions with one ``in`` on the requester's role and one ``not`` of ``any``
    pair (``all`` of an ``in`` on each field)."""
    requester, target = LEVEL_RULES[rule["id"]]
    parts = rule["when"].get("of") or []
    who = next((c for c in parts if c.get("path") == requester and c.get("kind") == "in"), None)
    pairs = next((c["condition"] for c in parts if c.get("kind") == "not"), None)
    if who is None or pairs is None or pairs.get("kind") != "any":
        raise PolicyError("a level-by-level rule is all of: an in on the requester's role, and not any of "
                          "the (role, superior) pairs", rule_id=rule["id"])

    def role_id(name: Any) -> Any:
        return _role_id(roles, name)

    def held(pair: dict[str, Any]) -> set[tuple[Any, Any]]:
        lists = {c.get("path"): c.get("value") or [] for c in pair.get("of") or []}
        return {(role_id(a), role_id(b)) for a in lists.get(requester, []) for b in lists.get(target, [])}

    written = set().union(*(held(pair) for pair in pairs.get("of") or []))
    superiors: dict[str, list[str]] = {}
    for role in roles:
        if role.reports_to is not None:
            superiors.setdefault(roles.role(role.reports_to).id, []).append(role.id)
    if not superiors:
        raise PolicyError(f"pack {pack!r}: level by level reads each role's direct superior from the pack's "
                          "roles, and no role names one (reports_to in its roles file)", rule_id=rule["id"])
    wanted = {(below, above) for above, ids in superiors.items() for below in ids}
    if wanted == written and {role_id(name) for name in who["value"]} == {b for b, _ in wanted}:
        return False
    who["value"] = [below for ids in superiors.values() for below in ids]
    pairs["of"] = [{"kind": "all", "of": [{"kind": "in", "path": requester, "value": ids},
                                          {"kind": "in", "path": target, "value": [above]}]}
                   for above, ids in superiors.items()]
    return True


def _ladder(rule: dict[str, Any], roles: RoleCatalogue) -> bool:
    """Write the catalogue's ladder into a level-count ``rule`` (in place) when it differs: its
    ``when`` is ``all`` of a presence test and ``not`` of ``any`` level, each ``all`` of an
    ``in`` on the count and ``any`` of (role, superior at that distance) pairs; True if written."""
    raised, addressed, count = LADDER_RULES[rule["id"]]
    parts = rule["when"].get("of") or []
    levels = next((c["condition"] for c in parts if c.get("kind") == "not"), None)
    if levels is None or levels.get("kind") != "any":
        raise PolicyError("a level-count rule is all of: a presence test, and not any of the levels",
                          rule_id=rule["id"])
    by_distance: dict[int, dict[str, list[str]]] = {}
    for role in roles:
        for distance, boss in enumerate(roles.chain_above(role.id), start=1):
            by_distance.setdefault(distance, {}).setdefault(boss.id, []).append(role.id)
    if not by_distance:  # no level to list: "not any of none" would flag every report
        raise PolicyError("the level count is read from each role's superiors in the pack's roles, and no role "
                          "names one (reports_to in its roles file)", rule_id=rule["id"])
    wanted = [{"kind": "all", "of": [
        {"kind": "in", "path": count, "value": [distance]},
        {"kind": "any", "of": [{"kind": "all", "of": [{"kind": "in", "path": raised, "value": below},
                                                       {"kind": "in", "path": addressed, "value": [above]}]}
                               for above, below in pairs.items()]}]}
        for distance, pairs in sorted(by_distance.items())]
    if _pairs_of(levels["of"], raised, addressed, count, roles) == _pairs_of(wanted, raised, addressed, count, roles):
        return False
    levels["of"] = wanted
    return True


def _skips(rule: dict[str, Any], roles: RoleCatalogue, params: Mapping[str, Any]) -> bool:
    """Write into a skip ``rule`` (in place) the (role, superior) pairs of the chain more than
    the parameter's levels apart, after the count's test in the ``any`` that starts with it
    (``levels_up > max_levels``); True if they differ from the pairs written there. A rule of
    that id without such an ``any`` (a company's own) is left as it is written."""
    raised, addressed, count, param = SKIP_RULES[rule["id"]]

    def found(cond: dict[str, Any]) -> dict[str, Any] | None:
        first, *rest = (cond.get("of") or [{}]) if cond.get("kind") == "any" else [{}]
        if (first.get("path") == count and first.get("param") == param
                and all(_is_pair(item, raised, addressed) for item in rest)):
            return cond
        return next(filter(None, map(found, _children(cond))), None)

    skip = found(rule["when"])
    if skip is None or param not in params:  # a company's own rule of that id, read as it is written
        return False
    apart: dict[str, list[str]] = {}
    for role in roles:
        for boss in roles.chain_above(role.id)[int(params[param]):]:
            apart.setdefault(boss.id, []).append(role.id)

    def pairs(conds: list[dict[str, Any]]) -> set[tuple[Any, Any]]:
        lists = [{c.get("path"): c.get("value") or [] for c in pair.get("of") or []} for pair in conds]
        return {(_role_id(roles, a), _role_id(roles, b)) for got in lists
                for a in got.get(raised, []) for b in got.get(addressed, [])}

    wanted = [{"kind": "all", "of": [{"kind": "in", "path": raised, "value": below},
                                      {"kind": "in", "path": addressed, "value": [above]}]}
              for above, below in apart.items()]
    if pairs(skip["of"][1:]) == pairs(wanted):
        return False
    skip["of"] = [skip["of"][0], *wanted]
    return True


def _pairs_of(levels: list[dict[str, Any]], raised: str, addressed: str, count: str,
              roles: RoleCatalogue) -> set[tuple[Any, Any, Any]]:
    """The (count, role, superior) triples a ladder's levels hold, role names read as ids."""

    def ids(cond: dict[str, Any]) -> list[Any]:
        return [_role_id(roles, name) for name in cond.get("value") or []]

    found: set[tuple[Any, Any, Any]] = set()
    for level in levels:
        tests = {c.get("path"): c for c in level.get("of") or [] if c.get("kind") == "in"}
        pairs = [c for c in level.get("of") or [] if c.get("kind") == "any"]
        pair_lists = [p.get("of") or [] for p in pairs] or [[level]]
        for pair in (item for group in pair_lists for item in group):
            inner = {c.get("path"): c for c in pair.get("of") or [] if c.get("kind") == "in"} | tests
            for number in inner.get(count, {}).get("value") or []:
                found.update((number, low, high) for low in ids(inner.get(raised, {}))
                             for high in ids(inner.get(addressed, {})))
    return found


def _with_role_aliases(pack: Pack) -> Pack:
    """``pack`` with every role id a rule or a lifecycle guard compares a role field with
    widened to the role's aliases (``shift_lead`` also matches ``班長`` and ``值班長``), so a
    fact may name a role as the catalogue does in any of its names, in either script
    (``值班长`` too)."""
    names = {role.id: role.names for role in pack.roles}
    # a rule may name a role by any of its names (业务代表 for agent): each reads as all of them
    every = {name: role.names for role in pack.roles for name in role.names}
    return _rewrite_roles(pack, lambda cond, fields: _widen(cond, fields, names, every))


def _rewrite_roles(pack: Pack, edit: Callable[[dict[str, Any], tuple[str, ...]], bool]) -> Pack:
    """``pack`` with ``edit`` run (in place, True if it changed anything) on the condition of
    every rule and lifecycle guard whose fact type has role fields (:data:`ROLE_FIELDS`)."""

    def policy(p: Policy) -> Policy:
        fields = ROLE_FIELDS.get(p.fact_type, ())
        if not fields:
            return p
        data = p.model_dump(mode="python", exclude_unset=True)
        changed = [edit(rule["when"], fields) for rule in data["rules"]]
        return Policy(**data) if any(changed) else p

    def lifecycle(flow: Lifecycle) -> Lifecycle:
        fields = ROLE_FIELDS.get(flow.fact_type, ())
        if not fields:
            return flow
        data = flow.model_dump(mode="python", by_alias=True, exclude_unset=True)
        changed = [edit(move["guard"], fields) for move in data["transitions"] if move.get("guard")]
        return Lifecycle(**data) if any(changed) else flow

    return replace(pack, policies=tuple(map(policy, pack.policies)),
                   session_policies=tuple(map(policy, pack.session_policies)),
                   lifecycles=tuple(map(lifecycle, pack.lifecycles)))


def _widen(cond: dict[str, Any], fields: tuple[str, ...], names: Mapping[str, tuple[str, ...]],
           every: Mapping[str, tuple[str, ...]] | None = None) -> bool:
    """Widen the role names of ``cond`` (and the conditions inside it) in place to every name
    of their role (``names``: by role id; ``every``: by each of its names, default by id only);
    True if any."""
    every = names if every is None else every
    pair = _role_pair(cond, fields)
    if pair is not None:
        return _same_role(cond, pair, names)
    changed = False
    for child in _children(cond):
        changed = _widen(child, fields, names, every) or changed
    if cond.get("path") not in fields:
        return changed
    value = cond.get("value")
    if cond.get("kind") == "compare" and cond.get("op") in ("==", "!=") and value in every:
        cond.update(kind="in" if cond.pop("op") == "==" else "not_in", value=[value])
        value = cond["value"]
    if cond.get("kind") in _MEMBERSHIP and isinstance(value, list):
        wide = list(dict.fromkeys(name for item in value for name in every.get(item, (item,))))
        if wide != value:
            cond["value"] = wide
            return True
    return changed


def _is_pair(cond: Any, first: str, second: str) -> bool:
    """Whether ``cond`` is ``all`` of an ``in`` on ``first`` and an ``in`` on ``second``."""
    parts = cond.get("of") if isinstance(cond, dict) and cond.get("kind") == "all" else None
    return (isinstance(parts, list) and [p.get("kind") for p in parts] == ["in", "in"]
            and [p.get("path") for p in parts] == [first, second])


def _role_pair(cond: dict[str, Any], fields: tuple[str, ...]) -> tuple[str, str] | None:
    """The two role fields ``cond`` compares (``approved_by == owner_role``, or the catalogue
    identity test :func:`_same_role` wrote for it: the ``==`` then only (role, role) pairs),
    else None."""
    raw, *rest = (cond.get("of") or [None]) if cond.get("kind") == "any" else [cond]
    if not isinstance(raw, dict) or raw.get("kind") != "compare" or raw.get("op") not in ("==", "!="):
        return None
    path, other = raw.get("path"), raw.get("field")
    if path not in fields or other not in fields:
        return None
    if raw is not cond and (raw.get("op") != "==" or not all(_is_pair(item, path, other) for item in rest)):
        return None
    return path, other


def _same_role(cond: dict[str, Any], pair: tuple[str, str], names: Mapping[str, tuple[str, ...]]) -> bool:
    """Write, in place, a compare of two role fields as catalogue identity: equal as written, or
    both naming one role of the pack by any of its names (``部門經理`` is ``department_head``);
    ``!=`` is its negation. True if written (it is rewritten as the catalogue changes)."""
    path, other = pair
    same = {"kind": "any", "of": [{"kind": "compare", "path": path, "op": "==", "field": other}, *(
        {"kind": "all", "of": [{"kind": "in", "path": path, "value": list(ids)},
                               {"kind": "in", "path": other, "value": list(ids)}]} for ids in names.values())]}
    written = {"kind": "not", "condition": same} if cond.get("kind") == "compare" and cond["op"] == "!=" else same
    if written == cond:
        return False
    cond.clear()
    cond.update(written)
    return True


def without_role_aliases(pack: Pack) -> Pack:
    """``pack`` with its policies' and lifecycles' role lists narrowed back to role ids (the
    aliases :func:`_with_role_aliases` added left out): the policies as their files write them,
    up to ``==`` read as a one-id list, so comparing two packs (``csrules diff``) reports a
    change of the role catalogue as a role change, never as a change of the policies' texts."""
    aliases = {role.id: frozenset(role.names[1:]) for role in pack.roles}
    return _rewrite_roles(pack, lambda cond, fields: _narrow(cond, fields, aliases))


def _narrow(cond: dict[str, Any], fields: tuple[str, ...], aliases: Mapping[str, frozenset[str]]) -> bool:
    """Drop from the role lists of ``cond`` (and the conditions inside it), in place, every
    alias of a role whose id the list holds; True if any was dropped."""
    pair = _role_pair(cond, fields)
    if pair is not None and cond.get("kind") == "any":  # catalogue identity: the compare as written
        cond.clear()
        cond.update(kind="compare", path=pair[0], op="==", field=pair[1])
        return True
    changed = False
    for child in _children(cond):
        changed = _narrow(child, fields, aliases) or changed
    value = cond.get("value")
    if cond.get("path") not in fields or cond.get("kind") not in _MEMBERSHIP or not isinstance(value, list):
        return changed
    widened = frozenset().union(*(aliases.get(item, frozenset()) for item in value))
    kept = [item for item in value if item in aliases or item not in widened]
    if kept != value:
        cond["value"] = kept
        return True
    return changed


def _zoned(pack: Pack) -> Pack:
    """``pack`` with its policies reading their days, and the clock times of conditions that
    name no zone, in the pack's zone (unless they name their own). In the default zone an
    undated policy is left as it is (it reads that zone anyway; its hash is unchanged).
    Its ladders are checked first and its role names widened to their aliases (every pack
    passes here once built or tuned)."""
    _check_ladders(pack)
    _check_linked(pack)
    _check_effect_roles(pack)
    _check_duty_owners(pack)
    pack = _with_role_aliases(_with_chain(pack))
    elsewhere = pack.timezone != DEFAULT_ZONE

    def unzoned(policy: Policy) -> bool:
        return policy.timezone is None and (policy.dated or elsewhere)

    def zoned(policies: tuple[Policy, ...]) -> tuple[Policy, ...]:
        return tuple(
            Policy(**{**p.model_dump(mode="python"), "timezone": pack.timezone}) if unzoned(p) else p
            for p in policies
        )

    if not any(unzoned(p) for p in (*pack.policies, *pack.session_policies)):
        return pack
    return replace(pack, policies=zoned(pack.policies), session_policies=zoned(pack.session_policies))


def extend_pack(base: Pack, source: _PackDir, data: Mapping[str, Any], manifest: PackManifest, lines: Lines) -> Pack:
    """The pack ``manifest`` describes over ``base`` (what each key does is in
    ``docs/company-packs.md``): ``policies`` and ``sessions`` add, ``replace`` takes the
    place of the base's policies with the same ids, ``drop`` leaves base policies out,
    ``rules`` appends rules to a base policy; roles, duties, lifecycles, shift patterns
    and SLAs merge by id (the company's entry wins); sources and unencoded notes add up."""
    name, where = manifest.name, source.manifest_name
    base_ids = {p.id for p in (*base.policies, *base.session_policies)}

    def base_id(key: str, loc: tuple[str | int, ...]) -> str:
        for candidate in (key, f"{base.name}.{key}"):
            if candidate in base_ids:
                return candidate
        raise PolicyError(f"{key!r} is not a policy of pack {base.name!r} (policies: {', '.join(sorted(base_ids))})",
                          file=where, line=line_for(lines, data, loc))

    dropped: set[str] = set()
    for index, key in enumerate(manifest.drop):
        policy_id = base_id(key, ("drop", index))
        if policy_id in dropped:
            raise PolicyError(f"drop: {key!r} is listed twice", file=where, line=line_for(lines, data, ("drop", index)))
        dropped.add(policy_id)
    dropped |= _sessions_of_dropped(base, dropped, where, line_for(lines, data, ("drop",)))
    _check_sources(base, source, manifest, data, lines)
    replacing = _policies(source, manifest.replace)
    for index, policy in enumerate(replacing):
        base_id(policy.id, ("replace", index))
    gone = dropped | {p.id for p in replacing}
    own = _policies(source, manifest.policies)
    for index, policy in enumerate(own):
        if policy.id not in base_ids and not policy.id.startswith(f"{name}."):
            raise PolicyError(f"a policy of pack {name!r} has an id starting with '{name}.', or the id of a "
                              f"policy of {base.name!r} (a dated version of it)", policy_id=policy.id,
                              file=where, line=line_for(lines, data, ("policies", index)))
    zone = manifest.timezone if "timezone" in data else base.timezone
    kept = tuple(_examples_in_zone(p, base.timezone) if zone != base.timezone else p
                 for p in base.policies if p.id not in gone)
    stateless = (*kept, *(p for p in (*replacing, *own) if not p.needs_session))
    kept_sessions = tuple(p for p in base.session_policies if p.id not in gone)
    _check_replaced(base, gone, stateless, where, line_for(lines, data, ("replace",)))
    sessions, replaces = _sessions(source, manifest.sessions, stateless, kept_sessions)
    sessions = (*kept_sessions, *(p for p in replacing if p.needs_session), *sessions)
    try:
        check_versions((*stateless, *sessions))
    except PolicyError as exc:
        raise _version_error(exc, source, replacing, own, manifest, base_ids - gone) from None
    try:
        files = _files(source, (*replacing, *own), (*manifest.replace, *manifest.policies))
        check_labels((*stateless, *sessions), files)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None
    lifecycle_params = {key: dict(values) for key, values in base.lifecycle_params.items()}
    for key, values in _lifecycle_params(manifest.lifecycles).items():
        lifecycle_params.setdefault(key, {}).update(values)
    readme = source.read("README.md") if source.has("README.md") else base.readme
    # an inherited SLA names its policy by full id: a short name would be read in this pack
    declarations = {sla.id: sla.declaration.model_copy(update={"policy": sla.policy_id}) for sla in base.slas
                    if sla.policy_id not in dropped}  # a dropped policy's SLAs go with it
    declarations.update((decl.id, decl) for decl in checked_slas(name, manifest.slas, data))
    sources = dict.fromkeys((*base.sources, *(str(s.file) for s in manifest.sources)))
    extended = Pack(
        name=name,
        title=manifest.title,
        version=manifest.version,
        sources=tuple(sources),
        policies=stateless,
        roles=_roles(source, manifest.roles, name, base.roles) if manifest.roles else base.roles,
        duties=_by_id(tuple(replace(d, duty=_rezoned(d.duty, zone)) for d in base.duties), _duties(data, zone, name)),
        unencoded=(*base.unencoded, *(u for u in _unencoded(readme) if u not in base.unencoded)),
        readme=readme,
        shift_patterns={**{key: _rezoned(pattern, zone) for key, pattern in base.shift_patterns.items()},
                        **_patterns(data, zone, name)},
        session_policies=sessions,
        lifecycles=tuple(_build_lifecycle(name, key, values) for key, values in lifecycle_params.items()),
        replaces={**{k: v for k, v in base.replaces.items() if k not in gone}, **replaces},
        lifecycle_params=lifecycle_params,
        timezone=zone,
        base=base.name,
        calendar=base.calendar,
    )
    for key, filename in manifest.rules.items():
        extended = _with_rule_file(extended, base_id(key, ("rules", key)), source, filename)
    # an inherited SLA that no longer resolves was broken by the entry replacing, dropping or
    # adding rules to a policy it reads or sets
    touched: list[tuple[str, tuple[str | int, ...]]] = [
        *((p.id, ("replace", i)) for i, p in enumerate(replacing)),
        *((base_id(key, ("drop", i)), ("drop", i)) for i, key in enumerate(manifest.drop)),
        *((base_id(key, ("rules", key)), ("rules", key)) for key in manifest.rules)]
    return _bound_slas(extended, tuple(declarations.values()), source, (data, lines), touched, base.name)


def _bound_slas(pack: Pack, decls: Sequence[SlaDeclaration], source: _PackDir, manifest: tuple[Any, Lines],
                touched: Sequence[tuple[str, tuple[str | int, ...]]] = (), base: str | None = None) -> Pack:
    """``pack`` with the SLAs ``decls`` bound (:func:`bind_slas`); an SLA that does not resolve
    is refused at the line of the pack's manifest that made it so: its own ``slas:`` entry, or
    for an SLA of the ``base`` pack the first entry of ``touched`` (policy id, where) naming a
    policy it reads or sets (else ``extends:``)."""
    try:
        return bind_slas(pack, _build_lifecycle, decls)
    except PolicyError as exc:
        if len(exc.loc) < 2 or exc.loc[0] != "slas" or not isinstance(exc.loc[1], int):
            raise
        data, lines = manifest
        decl = decls[exc.loc[1]]
        own = [i for i, entry in enumerate(data.get("slas") or ()) if isinstance(entry, Mapping)
               and entry.get("id") == decl.id]
        message = exc.message
        if own:
            loc: tuple[str | int, ...] = ("slas", own[0], *exc.loc[2:])
        else:
            reads = {decl.policy, *(sink.rpartition(".")[0] for sink in decl.sets)}
            loc = next((where for policy_id, where in touched if policy_id in reads), ("extends",))
            message = f"{message} (an SLA of pack {base!r}: declare it again under slas:, or keep what it reads)"
        raise PolicyError(message, file=source.manifest_name, line=line_for(lines, data, loc), loc=loc) from None


def _sessions_of_dropped(base: Pack, dropped: set[str], where: str, line: int | None) -> set[str]:
    """The base's session policies that take over only rules of ``dropped`` policies: they go
    with them (a session counting the swaps of a dropped swap policy would judge rules the
    pack no longer has). One that takes over rules of a dropped and of a kept policy is
    refused: which the company meant is not for the loader to guess."""
    gone_rules = {rule.id for p in base.policies if p.id in dropped for rule in p.rules}
    with_them: set[str] = set()
    for session, replaced in base.replaces.items():
        taken = [rule_id for rule_id in replaced if rule_id in gone_rules]
        if session in dropped or not taken:
            continue
        if len(taken) < len(replaced):
            kept = [rule_id for rule_id in replaced if rule_id not in gone_rules]
            raise PolicyError(f"drop: session policy {session!r} takes over {', '.join(taken)} of a dropped policy "
                              f"and {', '.join(kept)} of a kept one: drop it too, or put your own in its place "
                              "under replace:", file=where, line=line)
        with_them.add(session)
    return with_them


def _check_replaced(base: Pack, gone: set[str], stateless: Sequence[Policy], where: str, line: int | None) -> None:
    """Refuse a kept session policy of the base whose ``replaces:`` names a rule the pack no
    longer has (a ``replace:`` file left it out): hosts that run sessions would drop nothing,
    or the session would judge a rule the company took away."""
    rules = {rule.id for policy in stateless for rule in policy.rules}
    for session, replaced in base.replaces.items():
        missing = [rule_id for rule_id in replaced if rule_id not in rules]
        if session not in gone and missing:
            raise PolicyError(f"replace: session policy {session!r} takes over {', '.join(missing)} for hosts that "
                              "run sessions, which the pack no longer has: keep the rule, or drop the session "
                              "policy too (drop:) or put your own in its place (replace:)", file=where, line=line)


def _check_sources(base: Pack, source: _PackDir, manifest: PackManifest, data: Mapping[str, Any], lines: Lines) -> None:
    """Refuse a ``sources:`` entry whose file the pack directory does not hold, that repeats
    an id of the list, or that gives a base source's id another title or file: documents
    cite sources by id, so one id must name one document."""
    known = {s.id: s for p in (*base.policies, *base.session_policies) for s in p.sources}
    for index, entry in enumerate(manifest.sources):
        line = line_for(lines, data, ("sources", index))

        def refuse(problem: str, line: int | None = line) -> PolicyError:
            return PolicyError(f"sources: {problem}", file=source.manifest_name, line=line)

        if entry.file is not None and not source.has(entry.file):
            raise refuse(f"source {entry.id!r}: no file {entry.file!r} next to pack.yaml (add it, or leave file: out)")
        same = known.setdefault(entry.id, entry)
        if same is not entry and (same.title, same.file) != (entry.title, entry.file):
            raise refuse(f"source id {entry.id!r} already names {same.file or same.title.en!r}: give this source "
                         "its own id (documents cite sources by id)")


def _examples_in_zone(policy: Policy, zone: str) -> Policy:
    """``policy`` with the facts of its worked examples that name no ``time_zone`` pinned to
    ``zone``: the base pack's zone they were written in, kept when a company pack of another
    zone reads such facts in its own."""
    if ZONE_FIELD not in get_fact_type(policy.fact_type).model_fields:
        return policy
    data = policy.model_dump(mode="python", exclude_unset=True)
    facts = [example["fact"] for rule in data["rules"] for example in rule.get("examples") or []
             if isinstance(example.get("fact"), dict) and ZONE_FIELD not in example["fact"]]
    for fact in facts:
        fact[ZONE_FIELD] = zone
    return Policy(**data) if facts else policy


def _by_id(base: tuple[PackDuty, ...], own: tuple[PackDuty, ...]) -> tuple[PackDuty, ...]:
    ids = {duty.id for duty in own}
    return (*(duty for duty in base if duty.id not in ids), *own)


def _with_rule_file(pack: Pack, policy_id: str, source: _PackDir, filename: str) -> Pack:
    """``pack`` with the rules of ``filename`` (``rules: [...]``, as in a policy) appended to
    every version of ``policy_id``; the versions get a ``+<pack>`` suffix. Errors name the
    file's line and the rule's place in the file (``rules[0]``), not in the merged policy."""
    where = source.file_name(filename)
    data, lines = read_document(source.read(filename), name=where)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or set(data) != {"rules"}:
        raise PolicyError("a rules file holds one key, rules: a list of rules written as in a policy", file=where,
                          line=lines.get(()))
    extended: dict[int, Policy] = {}
    for policy in (*pack.policies, *pack.session_policies):
        if policy.id == policy_id:
            _new_rule_ids(policy, data["rules"], where, lines)
            written = {**policy.model_dump(mode="python"), "rules": [*policy.rules, *data["rules"]],
                       "version": f"{policy.version}+{pack.name}"}
            try:
                extended[id(policy)] = policy_from_data(written, lines={}, name=where)
            except PolicyError as exc:
                raise _in_rule_file(exc, len(policy.rules), data, lines) from None
    return replace(
        pack,
        policies=tuple(extended.get(id(p), p) for p in pack.policies),
        session_policies=tuple(extended.get(id(p), p) for p in pack.session_policies),
    )


def _new_rule_ids(policy: Policy, rules: list[Any], where: str, lines: Lines) -> None:
    """Refuse a rule of a rules file whose id the policy (or the file, earlier) already uses."""
    seen = {rule.id: f"already a rule of {policy.id!r} (a rules file adds rules; to change one, put your "
                     "own file in the policy's place under replace:)" for rule in policy.rules}
    for index, rule in enumerate(rules):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, str):
            continue
        if rule_id in seen:
            raise PolicyError(f"duplicate rule id: {seen[rule_id]}", rule_id=rule_id, loc=("rules", index, "id"),
                              file=where, line=line_for(lines, {"rules": rules}, ("rules", index, "id")))
        seen[rule_id] = f"used by rules[{index}] of this file"


def _in_rule_file(exc: PolicyError, before: int, data: Any, lines: Lines) -> PolicyError:
    """``exc`` (raised by the merged policy, whose first ``before`` rules are the base's)
    located in the rules file: ``rules[k]`` counted in the file, with its line."""
    loc = tuple(exc.loc)
    if loc[:1] != ("rules",) or len(loc) < 2 or not isinstance(loc[1], int) or loc[1] < before:
        return exc
    mine = ("rules", loc[1] - before, *loc[2:])
    return PolicyError(exc.message, policy_id=exc.policy_id, rule_id=exc.rule_id, path=exc.path, file=exc.file,
                       line=line_for(lines, data, mine), loc=mine, problems=exc.problems)


def _with_manifest_overrides(
    pack: Pack, manifest: PackManifest, source: _PackDir, lines: Lines, data: Mapping[str, Any]
) -> Pack:
    """``pack`` with the manifest's ``overrides:``, errors located at their key in pack.yaml."""
    try:
        return pack.with_params(manifest.overrides)
    except PolicyError as exc:
        key = next((k for k in manifest.overrides if k in str(exc)), next(iter(manifest.overrides)))
        # a parameter's error is located at ("overrides", name, ...): the same path under the key
        inner = tuple(exc.loc or ())[1:] if tuple(exc.loc or ())[:1] == ("overrides",) else ()
        # an SLA's error is at its place among the pack's SLAs, which the key's line stands for
        said = exc.message if tuple(exc.loc or ())[:1] == ("slas",) else str(exc)
        raise PolicyError(f"overrides: {said}", file=source.manifest_name,
                          line=line_for(lines, data, ("overrides", key, *inner))) from None


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
    """``policies`` with the overrides that name them (every version of a dated policy; a
    dated value splits a version at its days); keys naming one of ``others`` are skipped,
    any other unknown key is an error."""
    ids = {p.id for p in policies}
    other_ids = {p.id for p in others}
    wanted: dict[str, Mapping[str, Any]] = {}
    for key, params in overrides.items():
        policy_id = key if key in ids or key in other_ids else f"{pack}.{key}"
        if policy_id in other_ids:
            continue
        if policy_id not in ids:
            known = ", ".join(dict.fromkeys(p.id for p in (*policies, *others)))  # in pack order
            raise PolicyError(f"override for unknown policy {key!r} in pack {pack!r} (policies: {known})")
        wanted[policy_id] = {**wanted.get(policy_id, {}), **params}
    return tuple(
        version
        for policy in policies
        for version in (with_dated_params(policy, wanted[policy.id]) if policy.id in wanted else (policy,))
    )
