"""Reviewer properties: YAML next to the policy, each a claim about every possible fact.

A properties file (``properties.yaml`` in a pack, or ``<policy>.properties.yaml`` beside a
policy file) reads::

    properties:
      - id: director-over-one-day
        policy: call_centre.leave
        title: every leave of more than one day needs the centre director
        given: {kind: compare, path: days, op: ">", value: 1}     # any condition; omit: every fact
        expect: {includes: [approval:centre_director]}
    contradictions:                       # extends the conflict table (approvals of two roles)
      - [violation:ATT-1, approval:*]
    accepted:                             # overlaps a reviewer has read and accepts
      - {rules: [ATT-1.personal-notice, ATT-2.centre-director], why: "late notice: both sign"}
    gaps: {call_centre.leave: [approval]} # matters some rule must decide for every fact

A property a reviewer knows to be broken (the source text is ambiguous, the pack's README
explains it) says why in ``known``: its counterexample is still shown, marked known, and does
not fail ``verify``. ``expect`` holds ``includes`` (every key decided), ``excludes`` (none decided) and/or
``at_most_one`` (never two together); a key is an effect key (``approval:centre_director``)
or a kind of effect (``violation:*``: any violation).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from csrules._policy.errors import CheckedModel
from csrules._policy.kinds.base import Condition
from csrules._policy.loader import format_of, line_for, read_document, read_policy_text
from csrules._policy.model import PolicyModel
from csrules.exceptions import PolicyError

__all__ = ["Accepted", "Expect", "Properties", "Property", "empty", "load_properties", "properties_beside"]

EffectPattern = str


class Expect(PolicyModel):
    """What must hold of the decision for every fact the property is ``given``."""

    includes: list[EffectPattern] = Field(default_factory=list)
    excludes: list[EffectPattern] = Field(default_factory=list)
    at_most_one: list[EffectPattern] = Field(default_factory=list)

    @model_validator(mode="after")
    def _says_something(self) -> Expect:
        if not (self.includes or self.excludes or self.at_most_one):
            raise ValueError("expect needs includes, excludes or at_most_one")
        for key in (*self.includes, *self.excludes, *self.at_most_one):
            kind, _, value = key.partition(":")
            if kind not in _KINDS or (kind != "recommendation" and not value):
                raise ValueError(
                    f"{key!r} is not an effect key: write approval:<role>, violation:<code>, "
                    "obligation:<who>, escalation:<to> (or * for any), or recommendation"
                )
        return self


_KINDS = frozenset({"approval", "violation", "obligation", "escalation", "recommendation"})


class Property(PolicyModel):
    """One reviewer claim: for every fact of ``policy`` meeting ``given``, ``expect`` holds."""

    id: str = Field(min_length=1)
    policy: str = Field(min_length=1)
    title: str | None = None
    source: str | None = None
    given: Condition | None = None
    expect: Expect
    known: str | None = None


class Accepted(PolicyModel):
    """Two rules whose overlap a reviewer read and accepts (no ``conflict`` finding)."""

    rules: list[str] = Field(min_length=2, max_length=2)
    why: str = Field(min_length=1)


class Properties(CheckedModel):
    """A whole properties file."""

    model_config = PolicyModel.model_config
    properties: list[Property] = Field(default_factory=list)
    contradictions: list[list[EffectPattern]] = Field(default_factory=list)
    accepted: list[Accepted] = Field(default_factory=list)
    gaps: dict[str, list[str]] = Field(default_factory=dict)
    file: str = ""
    lines: dict[str, int] = Field(default_factory=dict)

    def where(self, prop: Property) -> str:
        """``file:line`` of a property (for messages)."""
        line = self.lines.get(prop.id)
        return f"{self.file}:{line}" if line is not None else (self.file or "properties")

    @model_validator(mode="after")
    def _pairs(self) -> Properties:
        seen: set[str] = set()
        for index, prop in enumerate(self.properties):
            if prop.id in seen:  # reports, lines and known marks are read by id
                raise PolicyError(f"property id {prop.id!r} is used twice: give each property its own id",
                                  loc=("properties", index, "id"))
            seen.add(prop.id)
        for pair in self.contradictions:
            if len(pair) != 2:
                raise ValueError(f"a contradiction is a pair of effect keys (got {pair!r})")
        return self

    def accepts(self, first: str, second: str) -> bool:
        """Whether the overlap of these two rules was accepted."""
        return any({first, second} == set(item.rules) for item in self.accepted)


def load_properties(path: str | Path) -> Properties:
    """Read a properties file; a problem raises :class:`PolicyError` naming ``file:line``."""
    file = Path(path)
    text = read_policy_text(file)
    data, lines = read_document(text, fmt=format_of(file), name=str(file))
    if not isinstance(data, dict):
        raise PolicyError(f"{file}: a properties file holds a mapping")
    items = data.get("properties")
    where = {
        str(item.get("id")): line
        for index, item in enumerate(items if isinstance(items, list) else [])
        if isinstance(item, dict) and (line := line_for(lines, data, ("properties", index))) is not None
    }
    try:
        return Properties.model_validate({**data, "file": str(file), "lines": where})
    except PolicyError as exc:  # located in the file, naming the field (at properties[0].expect)
        line = line_for(lines, data, exc.loc)
        raise PolicyError(f"{file}:{line}: {PolicyError(exc.message, loc=exc.loc)}") from None


def properties_beside(path: Path) -> Path | None:
    """The properties file of a pack directory or policy file, when there is one."""
    candidate = path / "properties.yaml" if path.is_dir() else path.with_name(f"{path.stem}.properties.yaml")
    return candidate if candidate.is_file() else None


def empty(file: str = "") -> Properties:
    """No properties (a policy with no file beside it)."""
    return Properties(file=file)
