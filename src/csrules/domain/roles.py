"""Role catalogues: who reports to whom, who approves what, and each role's duty list.

A pack ships its catalogue as ``roles.yaml``. Roles form a reporting tree (``reports_to``);
authority is listed per matter with an optional upper bound (leave of *up to one day* is
approved by the department head, longer leave by the centre director, 001 請假制度 三)::

    - id: department_head
      title: {en: CS department head, zh: 客服部主任}
      reports_to: centre_director
      authority: [{matter: leave, up_to: 1, unit: days}]
      duties: [{zh: 協助客服中心主任抓管理 ..., en: Assists the centre director ...}]

Role names are read as facts read them: an id or alias exactly, in either Chinese script, spaces
around it dropped. ``Shift_Lead`` or ``shift lead`` names no role (a fact naming it is flagged by
the packs' unknown-role rules), and a look-up refuses it saying which role it seems to mean.

>>> roles.chain_above("agent")                      # doctest: +SKIP
(shift_lead, department_head, centre_director)
>>> roles.approver_for("leave", 2).id               # doctest: +SKIP
'centre_director'
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from csrules._errors import (
    ConvertedModel,
    ValidationProblems,
    already_converted,
    problems_of,
    problems_text,
    validation_error,
)
from csrules._policy.model import Text
from csrules._policy.text import to_script
from csrules.domain.facts import Named, ReportRequest, RequestTopic, RoleName, read_id
from csrules.exceptions import CsrulesError, FactError, PolicyError

__all__ = ["Authority", "DutyItem", "Role", "RoleCatalogue", "UnknownRoleError"]


class UnknownRoleError(CsrulesError, LookupError):
    """A role id, or an approver for a matter, is not in the catalogue.

    .. versionadded:: 0.1
    """


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Authority(_Frozen):
    """What a role may approve: a ``matter`` (``leave``, ``business_trip``, ``discount``),
    up to an optional amount in ``unit``.

    .. versionadded:: 0.1
    """

    matter: str
    up_to: float | None = None
    unit: str | None = None
    citation: str | None = None

    def covers(self, matter: str, amount: float | None) -> bool:
        """Whether this authority covers ``amount`` of ``matter``."""
        if matter != self.matter:
            return False
        return self.up_to is None or amount is None or amount <= self.up_to


class DutyItem(_Frozen):
    """One line of a role's duty list, as the source writes it (``zh``) and in English.

    .. versionadded:: 0.1
    """

    zh: str
    en: str


class Role(_Frozen):
    """A role: its titles, its superior, its authority and its duties.

    .. versionadded:: 0.1
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    reports_to: Named = None  # names read as a fact reads them: spaces around dropped, blank refused
    aliases: tuple[RoleName, ...] = ()
    authority: tuple[Authority, ...] = ()
    duties: tuple[DutyItem, ...] = ()
    citation: str | None = None
    regulation: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The id and every alias, each in simplified and traditional script (``值班長`` and
        ``值班长``): a role is the same role in either script, as text rules fold them."""
        return _spellings((self.id, *self.aliases))

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"Role({self.id!r}, {self.title.zh})"


def _bound(authority: Authority) -> float:
    """How far ``authority`` reaches: its ``up_to``, or infinity when it has none."""
    return authority.up_to if authority.up_to is not None else math.inf


def _loose(name: str) -> str:
    """``name`` with case, full-width forms and word separators set aside (``Shift Lead`` and
    ``ｓｈｉｆｔ＿ｌｅａｄ`` are ``shift_lead``): how a misspelt role name is matched to a hint."""
    return re.sub(r"[\s\-_]+", "_", unicodedata.normalize("NFKC", name).strip()).casefold()


@cache
def _spellings(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` followed by their simplified and traditional spellings, each once."""
    return tuple(dict.fromkeys((*names, *(to_script(name, script) for script in ("simplified", "traditional")
                                          for name in names))))


class RoleCatalogue(ConvertedModel, _Frozen):
    """The roles of one pack, forming a reporting tree.

    Building a catalogue checks it: unique ids, every ``reports_to`` known, no cycles.

    .. versionadded:: 0.1
    """

    roles: tuple[Role, ...]

    _error: ClassVar[Callable[[str], Exception]] = PolicyError
    _what: ClassVar[str] = "invalid role catalogue"

    @classmethod
    def _convert(cls, exc: ValidationError, data: Any) -> Exception:
        """The error of :func:`~csrules._errors.validation_error`, keeping each problem's
        location (``details``) so a pack can name the line of its roles file."""
        problems = tuple(problems_of(exc, inputs=True))
        return already_converted(exc) or ValidationProblems(f"{cls._what}: {problems_text(problems)}",
                                                            details=problems)

    @model_validator(mode="after")
    def _tree(self) -> RoleCatalogue:
        """Refuse a repeated id, an unknown superior and a reporting cycle, each located at the
        offending entry (the later of two ids, the ``reports_to`` closing a loop) so a pack
        names its line."""
        first: dict[str, int] = {}
        for index, role in enumerate(self.roles):
            if first.setdefault(role.id, index) != index:
                raise PolicyError(f"role ids must be unique (repeated: {role.id})", loc=("roles", index, "id"))
        self._names_once()
        for index, role in enumerate(self.roles):
            if role.reports_to is not None and role.reports_to not in first:
                raise PolicyError(f"role {role.id!r} reports to unknown role {role.reports_to!r}",
                                  loc=("roles", index, "reports_to"))
        for role in self.roles:
            path = [role.id]
            while (above := self.roles[first[path[-1]]].reports_to) is not None:
                if above in path:  # the loop is path[from above:]; its last-listed entry closes it
                    closing = max(first[member] for member in path[path.index(above):])
                    loop = " -> ".join((*path[path.index(above):], above))
                    raise PolicyError(f"reporting cycle through {self.roles[closing].id!r} ({loop})",
                                      loc=("roles", closing, "reports_to"))
                path.append(above)
        return self

    def _names_once(self) -> None:
        """Refuse a name (an id or alias, in either script) that two roles give: a fact naming
        it would be read as the first of them, whatever the company meant (its 班長 taken for
        the catalogue's shift lead). The error is located at the later role's name."""
        owner: dict[str, str] = {}
        for index, role in enumerate(self.roles):
            for position, name in enumerate((role.id, *role.aliases)):
                loc = ("roles", index, "id") if position == 0 else ("roles", index, "aliases", position - 1)
                for spelling in _spellings((name,)):
                    first = owner.setdefault(spelling, role.id)
                    if first != role.id:
                        shown = name if spelling == name else f"{name} ({spelling})"
                        raise PolicyError(f"the name {shown!r} is given to roles {first!r} and {role.id!r}: a "
                                          "fact naming it could mean either; give each role its own names",
                                          loc=loc)

    def _find(self, name: object) -> Role | None:
        """The role ``name`` names, read as a fact reads a role name: spaces around it no
        part of it (``" shift_lead"`` is the shift lead); blank or non-text names none."""
        try:
            name = read_id(name)
        except ValueError:
            return None
        return next((role for role in self.roles if name in role.names), None)

    def _lookup(self, role_id: str) -> Role:
        found = self._find(role_id)
        if found is None:
            what = "a blank name names no role" if isinstance(role_id, str) and not role_id.strip() else "unknown role"
            near = self._near(role_id)
            hint = f"; did you mean {near!r}?" if near is not None else ""
            raise UnknownRoleError(f"{what} {role_id!r} (roles: {', '.join(r.id for r in self.roles)}{hint})")
        return found

    def _near(self, name: object) -> str | None:
        """The role name ``name`` seems to mean, for the error only: the one written the same but
        for case, full-width forms and spaces or hyphens for ``_`` (``Shift_Lead``, ``shift lead``),
        else the closest id. Never used to read a name: facts compare role names exactly and flag
        ``Shift_Lead`` as a role the catalogue does not hold, so the catalogue refuses it too."""
        if not isinstance(name, str) or not name.strip():
            return None
        names = [spelling for role in self.roles for spelling in role.names]
        loose = {_loose(spelling): spelling for spelling in names}
        if _loose(name) in loose:
            return loose[_loose(name)]
        close = difflib.get_close_matches(name.strip(), [role.id for role in self.roles], n=1, cutoff=0.8)
        return close[0] if close else None

    def __iter__(self) -> Iterator[Role]:  # type: ignore[override]
        return iter(self.roles)

    def __len__(self) -> int:
        return len(self.roles)

    def __contains__(self, role_id: object) -> bool:
        return self._find(role_id) is not None

    def role(self, role_id: str) -> Role:
        """The role with ``role_id`` (or an alias such as ``值班長``); spaces around it are no
        part of it, as in a fact, and a blank name is refused (:class:`UnknownRoleError`)."""
        return self._lookup(role_id)

    def chain_above(self, role_id: str) -> tuple[Role, ...]:
        """The superiors of ``role_id``, nearest first, up to the top of the tree."""
        chain: list[Role] = []
        current = self._lookup(role_id)
        while current.reports_to is not None:
            current = self._lookup(current.reports_to)
            chain.append(current)
        return tuple(chain)

    def superior(self, role_id: str) -> Role | None:
        """The direct superior of ``role_id`` (None at the top)."""
        chain = self.chain_above(role_id)
        return chain[0] if chain else None

    def levels_between(self, lower: str, upper: str) -> int:
        """How many levels ``upper`` is above ``lower`` (1: the direct superior).

        Raises :class:`UnknownRoleError` when ``upper`` is not above ``lower``: a request
        sent sideways is a cross request (交叉請假), which no level count describes.
        """
        target = self._lookup(upper).id
        for index, role in enumerate(self.chain_above(lower), start=1):
            if role.id == target:
                return index
        raise UnknownRoleError(f"{upper!r} is not above {lower!r} in the reporting chain")

    def skipped_between(self, lower: str, upper: str) -> tuple[Role, ...]:
        """The superiors a report from ``lower`` straight to ``upper`` skips."""
        levels = self.levels_between(lower, upper)
        return self.chain_above(lower)[: levels - 1]

    def approver_for(self, matter: str, amount: float | None = None, *, requester: str | None = None) -> Role:
        """The lowest role whose authority covers ``amount`` of ``matter``.

        With ``requester``, only that role's superiors are considered (leave is approved up
        the requester's own chain). Among several, the one with the smallest bound wins,
        then the one nearest the requester. A matter some role approves only up to a bound
        needs ``amount``: without it :class:`~csrules.exceptions.FactError` says the bounds.

        >>> catalogue.approver_for("leave", 1).id     # doctest: +SKIP
        'department_head'
        """
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float))
                                   or not math.isfinite(amount) or amount < 0):
            # NaN would pass every unbounded authority, text would fail deep in a comparison
            raise FactError(f"amount of {matter!r} must be a finite number, not negative (got {amount!r})")
        candidates = list(self.chain_above(requester)) if requester is not None else list(self.roles)
        held = [(role.id, authority) for role in candidates for authority in role.authority
                if authority.matter == matter]
        if amount is None and any(authority.up_to is not None for _, authority in held):
            # without the amount the lowest bound would win: a 3-day leave "approved" by the head of one day
            bounds = "; ".join(f"{role_id} " + (f"up to {item.up_to:g} {item.unit or ''}".rstrip()
                                                if item.up_to is not None else "without bound")
                               for role_id, item in sorted(held, key=lambda pair: _bound(pair[1])))
            raise FactError(f"who approves {matter} depends on the amount ({bounds}): "
                            f"give it, approver_for({matter!r}, <amount>)")
        found: list[tuple[float, int, Role]] = []
        for position, role in enumerate(candidates):
            for authority in role.authority:
                if authority.covers(matter, amount):
                    found.append((_bound(authority), position, role))
        if not found:
            shown = matter if amount is None else f"{amount:g} of {matter}"
            matters = list(dict.fromkeys(authority.matter for role in self.roles for authority in role.authority))
            near = [known for known in matters if isinstance(matter, str) and _loose(known) == _loose(matter)]
            hint = f"; did you mean {near[0]!r}?" if near and matter not in matters else ""
            raise UnknownRoleError(f"no role can approve {shown} (matters: {', '.join(matters) or 'none'}{hint})")
        return min(found, key=lambda item: (item[0], item[1]))[2]

    def report(
        self,
        *,
        raised_by: str,
        addressed_to: str | None,
        topic: RequestTopic,
        at: datetime,
        emergency: bool = False,
        skipped_superior_informed: bool = False,
    ) -> ReportRequest:
        """A :class:`ReportRequest` fact with ``levels_up`` counted in this catalogue."""
        levels = 0 if addressed_to is None else self.levels_between(raised_by, addressed_to)
        try:
            return ReportRequest(
                raised_by=self._lookup(raised_by).id,
                addressed_to=None if addressed_to is None else self._lookup(addressed_to).id,
                topic=topic,
                at=at,
                levels_up=levels,
                emergency=emergency,
                skipped_superior_informed=skipped_superior_informed,
            )
        except ValidationError as exc:  # a topic or time the fact refuses: our error, naming the field
            raise validation_error(exc, FactError, "invalid report") from None
