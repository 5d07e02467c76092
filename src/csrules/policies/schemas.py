"""JSON Schemas of a pack's files, for editors validating YAML as it is written.

``policy`` files have theirs from :func:`csrules._policy.loader.policy_schema`; this module
adds the pack manifest (``pack.yaml``, described by :class:`PackManifest`) and the role
catalogue (``roles.yaml``, the :class:`~csrules.domain.roles.RoleCatalogue` model).
:func:`file_schema` gives any of the three by name; ``csrules schema pack`` prints one.

.. versionadded:: 0.1
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csrules._policy.loader import policy_schema
from csrules._policy.model import NonEmpty, Source, Text
from csrules._time.calendar import load_zone
from csrules._time.duties import Recurrence
from csrules._time.shifts import Shift
from csrules.domain.roles import RoleCatalogue
from csrules.policies.slas import SlaDeclaration

__all__ = [
    "SCHEMAS",
    "CalendarEntry",
    "LifecycleEntry",
    "PackDutyEntry",
    "PackManifest",
    "SessionEntry",
    "ShiftPatternEntry",
    "file_schema",
    "pack_schema",
    "roles_schema",
    "write_schemas",
]

DRAFT = "https://json-schema.org/draft/2020-12/schema"


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SessionEntry(_Entry):
    """A session policy file and the stateless rule ids it takes over for session hosts."""

    file: NonEmpty
    replaces: tuple[NonEmpty, ...] = ()


class LifecycleEntry(_Entry):
    """A lifecycle by name (``complaint``), with parameters for its factory."""

    name: NonEmpty
    params: dict[str, Any] = Field(default_factory=dict)


class PackDutyEntry(_Entry):
    """A recurring duty (DUTY-n): its owner role, when it falls due, and the clause it encodes."""

    id: str = Field(pattern=r"^[A-Z]+-\d+\.", description="regulation id, a dot, a name: DUTY-1.duty-log")
    owner: NonEmpty
    recurrence: str | Recurrence = Field(description="a phrase ('monthly by the 22nd') or its parts")
    title: Text
    citation: NonEmpty


class ShiftPatternEntry(_Entry):
    """A shift pattern in the pack's time zone: shifts worked in a repeating cycle of days."""

    shifts: tuple[Shift, ...]
    cycle: tuple[str | tuple[str, ...], ...] = Field(description='each day: a shift, a list of shifts, or "off"')
    anchor: date
    agents: dict[str, int] = Field(default_factory=dict)


class CalendarEntry(_Entry):
    """The pack's business calendar, registered under ``name`` for its policies and SLAs
    (``calendar: <name>``): China's public holidays and 调休 days (``china``), office
    ``hours`` per weekday, and days the office is closed."""

    name: NonEmpty = Field(description="the name policies and SLAs give as calendar: <name>")
    china: bool = Field(default=True, description="China's public holidays and adjusted working days")
    hours: dict[str, Any] | None = Field(default=None, description='per weekday: {mon: "09:00-18:00", ...}')
    closures: tuple[date, ...] = ()


class PackManifest(_Entry):
    """``pack.yaml``: what a pack is and which files it is made of; a company's pack may
    ``extends:`` another and say only what it adds or changes (``docs/company-packs.md``).

    .. versionadded:: 0.1
    """

    # a pack lists its policies, or takes them from the pack it extends
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["policies"]}, {"required": ["extends"]}]},
    )

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    version: NonEmpty
    extends: NonEmpty | None = Field(
        default=None, description="the pack this one builds on: a built-in pack's name or a pack directory's path"
    )
    timezone: NonEmpty = Field(default="Asia/Shanghai", description="IANA zone (an extending pack inherits its base's)")
    sources: tuple[Source, ...] = ()
    roles: NonEmpty | None = Field(
        default=None, description="the role catalogue file (roles.yaml; an extending pack's roles add to its base's)"
    )
    policies: tuple[NonEmpty, ...] = Field(
        default=(), description="policy files, in review order (an extending pack's are added to its base's)"
    )
    replace: tuple[NonEmpty, ...] = Field(
        default=(), description="policy files taking the place of the base's policies with the same ids"
    )
    drop: tuple[NonEmpty, ...] = Field(default=(), description="ids of the base's policies left out")
    rules: dict[NonEmpty, NonEmpty] = Field(
        default_factory=dict, description="base policy id -> a file of rules (rules: [...]) appended to it"
    )
    overrides: dict[NonEmpty, dict[NonEmpty, Any]] = Field(
        default_factory=dict,
        description="policy, lifecycle or SLA id -> parameter -> value, or dated values "
        "[{value: 1d}, {value: 2d, valid_from: 2026-07-01}]",
    )
    sessions: tuple[NonEmpty | SessionEntry, ...] = ()
    lifecycles: tuple[NonEmpty | LifecycleEntry, ...] = ()
    duties: tuple[PackDutyEntry, ...] = ()
    shift_patterns: dict[str, ShiftPatternEntry] = Field(default_factory=dict)
    slas: tuple[SlaDeclaration, ...] = Field(default=(), description="service-level targets")
    calendar: CalendarEntry | None = Field(default=None, description="the pack's business calendar")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        load_zone(value)  # an unknown name is refused here, at its line of pack.yaml
        return value

    @model_validator(mode="before")
    @classmethod
    def _policies_or_extends(cls, data: Any) -> Any:
        if isinstance(data, dict) and "policies" not in data and "extends" not in data:
            raise ValueError("policies: a pack lists its policy files, or extends: another pack to take them from")
        return data


def _schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["$schema"] = DRAFT
    schema["title"] = title
    return schema


def pack_schema() -> dict[str, Any]:
    """The JSON Schema of ``pack.yaml``.

    .. versionadded:: 0.1
    """
    return _schema(PackManifest, "csrules pack manifest (pack.yaml)")


def roles_schema() -> dict[str, Any]:
    """The JSON Schema of ``roles.yaml`` (a role catalogue).

    .. versionadded:: 0.1
    """
    return _schema(RoleCatalogue, "csrules role catalogue (roles.yaml)")


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "policy": policy_schema,
    "pack": pack_schema,
    "roles": roles_schema,
}
"""The file kinds with a schema, by name, and the function that gives it."""


def file_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (``policy``, ``pack`` or ``roles``)."""
    try:
        return SCHEMAS[kind]()
    except KeyError:
        raise ValueError(f"no schema for {kind!r} (known: {', '.join(SCHEMAS)})") from None


def write_schemas(out: Path) -> list[Path]:
    """Write ``<kind>.schema.json`` for every kind into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMAS:
        path = out / f"{kind}.schema.json"
        path.write_text(json.dumps(file_schema(kind), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
