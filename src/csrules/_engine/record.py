"""Decision records: what was decided, about what, under which policy content, kept as data.

A :class:`DecisionRecord` holds everything a reviewer needs a year later: the validated fact
(as JSON) and its type, ``now``, every policy's id, version and content hash with the
parameter values in force, the pack and its overrides when the engine came from a pack, the
effects with their due times, the outcome, and optionally the trace.

The record id is derived from the content (a SHA-256 of the record without its id and
trace): the same decision about the same fact at the same instant under the same policies
always gets the same id, on any machine; and a record edited after it was written no longer
matches its id, so reading it back refuses it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache, lru_cache
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    FutureDatetime,
    NaiveDatetime,
    NonNegativeInt,
    PastDatetime,
    TypeAdapter,
    model_validator,
)
from pydantic_core import from_json, to_json

from csrules._engine.decision import Outcome
from csrules._errors import ConvertedModel
from csrules._policy.facts import get_fact_type, read_path
from csrules._policy.model import Policy, show_param
from csrules._time.registry import content_digest
from csrules.exceptions import CsrulesError, RecordError

if TYPE_CHECKING:
    from csrules._engine.decision import Decision

__all__ = [
    "SCHEMA_VERSION",
    "SUBJECT_FIELDS",
    "DecisionRecord",
    "LogLine",
    "PackRef",
    "RecordedEffect",
    "RecordedError",
    "RecordedPolicy",
    "content_id",
    "decision_line",
    "hashed_form",
    "make_record",
    "pack_ref",
    "parse_record",
    "record_schema",
    "recorded_policy",
    "step_record",
    "subject_field",
]

SCHEMA_VERSION: Literal[1] = 1
"""The version of the record's JSON form; it changes only when that form does."""

SUBJECT_FIELDS: tuple[str, ...] = (
    "agent_id", "subject_id", "order_id", "ticket_id", "call_id", "complaint_id", "requester_id",
)
"""Field names taken as a fact's subject, in this order, when its model names none."""

_UNHASHED = {"id", "trace", "explanation"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PackRef(_Frozen):
    """The pack an engine's policies came from, with the overrides applied to it.

    .. versionadded:: 0.2
    """

    name: str
    version: str
    overrides: dict[str, dict[str, Any]] = {}
    bound: dict[str, str] | None = None
    """What the pack's engine binds besides its policies, each part by a hash of its content:
    ``roles``, ``calendar:<name>``, ``shift_pattern:<name>`` (None: a record written before
    records kept them)."""


class RecordedPolicy(_Frozen):
    """A policy as a record keeps it: id, version, content hash, parameter values in force.

    .. versionadded:: 0.2
    """

    id: str
    version: str
    content_hash: str
    params: dict[str, Any] = {}


class RecordedEffect(_Frozen):
    """One effect of a decision (the fields of its ``to_dict`` form), due time included.

    .. versionadded:: 0.2
    """

    type: Literal["violation", "obligation", "approval", "escalation", "recommendation"]
    policy: str
    rule: str
    code: str | None = None
    severity: str | None = None
    message: dict[str, str] | None = None
    consequence: dict[str, str] | None = None
    action: dict[str, str] | None = None
    who: str | None = None
    due: AwareDatetime | None = None
    role: str | None = None
    rules: tuple[str, ...] | None = None
    reason: dict[str, str] | None = None
    to: str | None = None
    text: dict[str, str] | None = None

    @property
    def key(self) -> str:
        """The effect's short name, as :attr:`Decision.effect_keys` writes it."""
        detail = {"violation": self.code, "obligation": self.who, "approval": self.role,
                  "escalation": self.to}.get(self.type)
        return f"{self.type}:{detail}" if detail else self.type


class RecordedError(_Frozen):
    """A rule that failed while the fact was judged.

    .. versionadded:: 0.2
    """

    policy: str
    rule: str
    message: str


class DecisionRecord(ConvertedModel):
    """One decision, kept as data: frozen, and equal to itself after a JSON round trip.

    Made by :meth:`Decision.record`; read back with ``DecisionRecord.model_validate_json``
    (a record whose content no longer matches its ``id`` is refused); checked against an
    engine with :func:`csrules.records.replay`.

    .. versionadded:: 0.2
    """

    model_config = ConfigDict(frozen=True, extra="forbid", title="csrules decision record")
    _error: ClassVar[Any] = RecordError
    _what: ClassVar[str] = "not a decision record"

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str
    now: AwareDatetime | None = None
    kind: Literal["decision", "event", "tick"] = "decision"
    fact_type: str | None = None
    subject: str | None = None
    seq: NonNegativeInt | None = None
    """For a session step: how many events its subject had accepted once the step was
    committed (this one included). A subject's steps are replayed in this order, whatever
    order several processes wrote them to a log in."""
    fact: dict[str, Any] | None = None
    policies: tuple[RecordedPolicy, ...]
    pack: PackRef | None = None
    outcome: Outcome
    matches: tuple[tuple[str, str], ...] = ()
    effects: tuple[RecordedEffect, ...] = ()
    errors: tuple[RecordedError, ...] = ()
    trace: tuple[dict[str, Any], ...] | None = None
    explanation: str | None = None

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)

    # Validation builds a record without calling ``__init__`` again, so its fields and its
    # id are checked once, not twice; a problem is converted by the model_validate* wrappers.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate JSON text: parsed, then checked as its dict is (the same problems named)."""
        if args or kwargs:
            return super().model_validate_json(json_data, *args, **kwargs)
        try:
            data = from_json(json_data)
        except (ValueError, TypeError):  # not JSON text: named as pydantic reads it
            return super().model_validate_json(json_data)
        return cls.model_validate(data)

    @model_validator(mode="after")
    def _id_matches(self) -> DecisionRecord:
        written = _hashed_json(self)
        expected = _content_id(self, written)
        if self.id != expected and self.id not in (_id_every_offset(written), _id_before_instants(written)):
            raise ValueError(f"id {self.id!r} does not match the record's content (expected {expected!r}): "
                             "the record was changed after it was written")
        return self

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the rules whose effects applied, in order."""
        return tuple(rule for _, rule in self.matches)

    @property
    def effect_keys(self) -> tuple[str, ...]:
        """Short names of the effects (``violation:ATT-1``, ``approval:department_head``)."""
        return tuple(effect.key for effect in self.effects)

    @property
    def approvers(self) -> tuple[str, ...]:
        """The roles that had to approve, in order, without repeats."""
        return tuple(dict.fromkeys(e.role for e in self.effects if e.type == "approval" and e.role))

    def to_json(self) -> str:
        """The record as one line of JSON (what decision logs store)."""
        return self.model_dump_json(exclude_none=True)


def content_id(record: DecisionRecord) -> str:
    """The id ``record``'s content gives: ``rec-`` and 32 hex digits of a SHA-256 of the
    record's JSON line (:meth:`DecisionRecord.to_json`) without its id and trace, every
    instant in it (``now``, due times, the fields its fact's model types as datetimes)
    written with an offset taken as its instant in UTC. Text is hashed as written: a note
    that reads like a date-time is text, and another text is another fact.

    The JSON is the one csrules writes (fields in schema order, the fact's fields in its
    model's order), so keep records as the text written: a store that reorders keys makes
    the record fail its check when read back.
    """
    return _content_id(record, _hashed_json(record))


def _hashed_json(record: DecisionRecord) -> str:
    """``record``'s JSON line without what its id leaves out (its id and trace)."""
    return record.model_dump_json(exclude=_UNHASHED, exclude_none=True)


def _content_id(record: DecisionRecord, written: str) -> str:
    """:func:`content_id` of ``record``, whose JSON without id and trace is ``written``."""
    hashed, rewritten = _rewritten(written)
    if rewritten:
        fact = record.fact
        model = None if fact is None else _fact_model(record.fact_type)
        if fact is not None and model is None:
            return _id_of(hashed)  # a fact type this process does not know: its offsets read as instants
        if rewritten != _offset_instants(record.now, (effect.due for effect in record.effects), fact, model):
            return _id_of(_typed_form(written, model))
    return _id_of(hashed)


def _offset_instants(now: datetime | None, dues: Iterable[datetime | None], fact: Any,
                     model: type[BaseModel] | None) -> int:
    """How many of a record's instants (``now``, its due times, the values of its ``fact``, a
    model or its JSON form, that ``model`` types as datetimes) are written with an offset:
    as many as :func:`hashed_form` rewrites in its JSON unless some text reads like a
    date-time, which is then to be hashed as written (:func:`_typed_form`)."""
    found = [now, *dues]
    if model is not None:
        found += instant_values(fact, model)
    return sum(map(_offset_text, found))


def _id_every_offset(written: str) -> str:
    """The id records were given when every JSON string written as a date-time with an offset
    was hashed as its instant, text fields too: records logged then still read back."""
    return _id_of(hashed_form(written))


def _fact_model(fact_type: str | None) -> type[BaseModel] | None:
    """The model of ``fact_type``, None when this process has not registered it."""
    if fact_type is None:
        return None
    try:
        return get_fact_type(fact_type)
    except CsrulesError:
        return None


def _typed_form(written: str, model: type[BaseModel] | None) -> str:
    """``written`` (a record's JSON) with only its instants (``now``, due times, the values its
    fact's ``model`` types as datetimes) written in UTC: text that reads like a date-time is
    hashed as written."""
    data = from_json(written)
    if isinstance(data.get("now"), str):
        data["now"] = _utc_value(data["now"])
    for effect in data.get("effects", ()):
        if isinstance(effect.get("due"), str):
            effect["due"] = _utc_value(effect["due"])
    if model is not None:
        data["fact"] = _walk(data["fact"], model, lambda value: _utc_value(value) if isinstance(value, str) else value)
    return to_json(data).decode("utf-8")


@cache
def _annotations(model: type[BaseModel]) -> dict[str, Any]:
    """The type of each field a dumped ``model`` holds (computed fields too), by name."""
    found: dict[str, Any] = {name: info.annotation for name, info in model.model_fields.items()}
    found.update((name, info.return_type) for name, info in model.model_computed_fields.items())
    return found


def _walk(value: Any, annotation: Any, at_instant: Callable[[Any], Any]) -> Any:
    """``value`` (a fact, or its JSON form) with each value its type says is a datetime passed
    through ``at_instant``: type-directed, so text that reads like a date-time stays text."""
    origin = get_origin(annotation)
    if value is None or annotation is Any:
        return value
    if origin is Annotated:
        return _walk(value, get_args(annotation)[0], at_instant)
    if origin in (Union, UnionType):
        choices = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(choices) == 1:
            return _walk(value, choices[0], at_instant)
        instant = any(_is_datetime(arg) for arg in choices) and str not in choices
        return at_instant(value) if instant and isinstance(value, str | datetime) else value
    if _is_datetime(annotation):
        return at_instant(value) if isinstance(value, str | datetime) else value
    if isinstance(value, list | tuple) and origin in (list, tuple, set, frozenset, Sequence, AbstractSet):
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        if origin is tuple and len(args) > 1 and Ellipsis not in get_args(annotation):
            return [_walk(item, arg, at_instant) for item, arg in zip(value, args, strict=False)]
        return [_walk(item, args[0] if args else Any, at_instant) for item in value]
    if isinstance(value, dict) and origin in (dict, Mapping):
        pair = get_args(annotation)
        return {key: _walk(item, pair[1] if len(pair) == 2 else Any, at_instant) for key, item in value.items()}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = _annotations(annotation)
        if isinstance(value, BaseModel):
            return {name: _walk(getattr(value, name), kind, at_instant) for name, kind in fields.items()}
        if isinstance(value, dict):
            return {key: _walk(item, fields.get(key, Any), at_instant) for key, item in value.items()}
    return value


_PYDANTIC_DATETIMES = (AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)


def _is_datetime(annotation: Any) -> bool:
    """Whether a field of type ``annotation`` holds a datetime (pydantic's own kinds too)."""
    return annotation in _PYDANTIC_DATETIMES or (isinstance(annotation, type) and issubclass(annotation, datetime))


@cache
def _flat_instants(model: type[BaseModel]) -> tuple[str, ...] | None:
    """The fields of ``model`` typed as one datetime (or none), when no other field can hold
    one (a list of them, a nested model, a union with other types); else None."""
    names = []
    for name, annotation in _annotations(model).items():
        probe: list[Any] = []
        _walk(_SENTINEL, annotation, probe.append)
        if probe:
            names.append(name)
        elif _may_hold_instants(annotation):
            return None
    return tuple(names)


_SENTINEL = datetime(2000, 1, 1, tzinfo=UTC)


def _may_hold_instants(annotation: Any) -> bool:
    """Whether a value of ``annotation`` may hold a datetime below its top level."""
    args = get_args(annotation)
    if any(_may_hold_instants(arg) or _is_datetime(arg) for arg in args):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def instant_values(fact: Any, model: type[BaseModel]) -> list[Any]:
    """The values of ``fact`` (a model, or its JSON form) its model types as datetimes."""
    flat = _flat_instants(model)
    if flat is not None:  # the usual fact: datetimes at the top level only
        if isinstance(fact, dict):
            return [fact.get(name) for name in flat]
        return [getattr(fact, name, None) for name in flat]
    found: list[Any] = []

    def keep(value: Any) -> Any:
        found.append(value)
        return value

    _walk(fact, model, keep)
    return found


def _offset_text(value: object) -> bool:
    """Whether ``value`` is a JSON string :func:`hashed_form` takes as an instant, or a datetime
    pydantic writes as one (an offset other than zero, in whole minutes)."""
    if isinstance(value, datetime):
        offset = value.utcoffset()
        return offset is not None and bool(offset) and not offset % timedelta(minutes=1)
    if not isinstance(value, str):
        return False
    quoted = f'"{value}"'
    found = _OFFSET_CLOCK.search(quoted)
    return found is not None and found.end() == len(quoted) and found.start() == 11 \
        and _DATE_OPENING.fullmatch(quoted, 0, 11) is not None


def _utc_value(written: str) -> str:
    """``written`` in UTC when it is a date-time with an offset (as :func:`hashed_form` writes it)."""
    return _utc_text(written)[1:-1] if _offset_text(written) else written


def _id_of(hashed: str) -> str:
    """The id of a record whose hashed form is ``hashed``."""
    return "rec-" + hashlib.sha256(hashed.encode("utf-8")).hexdigest()[:32]


_OFFSET_CLOCK = re.compile(r'T\d\d:\d\d:\d\d(?:\.\d{1,6})?[+-]\d\d:\d\d"')
"""The clock and offset (other than ``Z``) ending a JSON string, as pydantic writes a
date-time; searched from its literal ``T``, which is several times faster than from the
string's opening quote."""
_DATE_OPENING = re.compile(r'"\d{4}-\d\d-\d\d')


@lru_cache(maxsize=4096)
def _utc_text(written: str) -> str:
    """The JSON string of the instant ``written`` names, in UTC as pydantic writes it (a
    ``Z``, and microseconds only when there are some)."""
    try:
        moment = datetime.fromisoformat(written).astimezone(UTC)
    except (ValueError, OverflowError):  # no real time, or one UTC cannot write: hashed as written
        return f'"{written}"'
    return f'"{moment.replace(tzinfo=None).isoformat()}Z"'


def hashed_form(written: str) -> str:
    """``written`` (a record's JSON) with each JSON string that is a date-time with an offset
    written in UTC instead, so a decision gets one id whatever offset its ``now``, its fact's
    times and its due times were written with (a decision depends on instants only). The
    record itself keeps every time as it was given. :func:`content_id` keeps text fields as
    written (only the positions its fact's model types as datetimes are instants)."""
    return _rewritten(written)[0]


def _rewritten(written: str) -> tuple[str, int]:
    """:func:`hashed_form` of ``written`` and how many strings it rewrote."""
    parts: list[str] = []
    done = count = 0
    for found in _OFFSET_CLOCK.finditer(written):
        opening = found.start() - 11
        if opening < done or not _DATE_OPENING.fullmatch(written, opening, found.start()):
            continue
        parts += (written[done:opening], _utc_text(written[opening + 1:found.end() - 1]))
        done = found.end()
        count += 1
    if not parts:
        return written, 0
    parts.append(written[done:])
    return "".join(parts), count


_NOW_KEY = f'{{"schema_version":{SCHEMA_VERSION},"now":'


def _id_before_instants(written: str) -> str:
    """The id records were given before their fact's and effects' times were hashed as
    instants (only ``now`` was taken in UTC): records logged then still read back."""
    if written.startswith(_NOW_KEY):
        end = written.index('"', len(_NOW_KEY) + 1) + 1
        written = _NOW_KEY + hashed_form(written[len(_NOW_KEY):end]) + written[end:]
    return _id_of(written)


def pack_ref(name: str, version: str, policies: tuple[Policy, ...],
             bound: Mapping[str, BaseModel] | None = None) -> PackRef:
    """The :class:`PackRef` of pack ``name`` whose (possibly tuned) policies are ``policies``;
    ``bound`` names what else its engine binds (its calendar, roles ...), kept by hash."""
    overrides = {p.id: {k: show_param(v) for k, v in p.overrides.items()} for p in policies if p.overrides}
    hashes = None if bound is None else {key: content_digest(part, 16) for key, part in sorted(bound.items())}
    return PackRef(name=name, version=version, overrides=overrides, bound=hashes)


_RECORDED: dict[str, RecordedPolicy] = {}  # by content hash: equal content, equal entry


def recorded_policy(policy: Policy) -> RecordedPolicy:
    """``policy`` as records keep it (worked out once per policy content)."""
    found = _RECORDED.get(policy.content_hash)
    if found is None:
        params = {name: show_param(value) for name, value in policy.param_values.items()}
        found = RecordedPolicy(id=policy.id, version=policy.version, content_hash=policy.content_hash,
                               params=params)
        if len(_RECORDED) < 4096:  # bounded: a host building policies endlessly never fills memory
            _RECORDED[policy.content_hash] = found
    return found


@cache
def subject_field(model: type[BaseModel]) -> str | None:
    """The field (a dotted path) naming the subject of ``model``'s facts: the model's
    ``__subject__`` attribute, else the first of :data:`SUBJECT_FIELDS` it has, else None."""
    named = getattr(model, "__subject__", None)
    if isinstance(named, str) and named:
        return named
    return next((name for name in SUBJECT_FIELDS if name in model.model_fields), None)


def fact_subject(fact: BaseModel) -> str | None:
    """The subject ``fact`` names (its model's ``__subject__`` path, else a known field)."""
    path = subject_field(type(fact))
    if path is None:
        return None
    value = read_path(fact, path)
    return None if value is None else str(value)


def _sealed(parts: dict[str, Any]) -> DecisionRecord:
    """A record from typed parts, each checked already (so not validated again), with the
    id its content gives; fields not given take their defaults."""
    _check_recordable(parts.get("now"))
    record = DecisionRecord.model_construct(**parts)
    return record.model_copy(update={"id": content_id(record)})


def _check_recordable(now: datetime | None) -> None:
    """Refuse a ``now`` that UTC cannot write (a record's id hashes it as its UTC instant)."""
    if now is None:
        return
    try:
        now.astimezone(UTC)
    except OverflowError:
        raise RecordError(f"now {now.isoformat()} cannot be recorded: in UTC it falls outside years 1 to 9999"
                          ) from None


def _fixed(now: datetime | None) -> datetime | None:
    """``now`` with its offset as a fixed zone: the same instant and the same JSON, but a
    time in a zone's repeated hour (a DST fold) compares equal to itself read back, which
    Python refuses across zones for such times."""
    if now is None or now.tzinfo is None:
        return now
    return now.replace(tzinfo=timezone(now.utcoffset() or timedelta(0)), fold=0)


def _effects(effects: Iterable[Any]) -> tuple[RecordedEffect, ...]:
    return tuple(RecordedEffect(**e.to_dict()) for e in effects)


def _errors(errors: Iterable[Any]) -> tuple[RecordedError, ...]:
    return tuple(RecordedError(**e.to_dict()) for e in errors)


_ATOMS = frozenset({str, int, bool, type(None), datetime})
"""Leaf types that hold no number JSON cannot write (the common fields of a fact)."""


def _unkept(value: Any) -> tuple[str, Any, str] | None:
    """The path, value and why of what a record's UTF-8 JSON cannot keep in ``value``: a NaN
    or infinite number (JSON has none), or text with a lone surrogate (no UTF-8 text holds
    one); None when there is nothing. A record must keep the fact that was judged."""
    if type(value) is str or isinstance(value, str):
        return None if value.isascii() or _is_unicode(value) else ("", value, _SURROGATE)
    if type(value) is float or isinstance(value, float):
        return None if math.isfinite(value) else ("", value, "which JSON cannot keep")
    if isinstance(value, BaseModel):
        items: Iterable[tuple[Any, Any]] = value.__dict__.items()
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if type(key) is str and not (key.isascii() or _is_unicode(key)):
            return key, key, f"a name {_SURROGATE}"
        if type(item) in _ATOMS and (type(item) is not str or item.isascii()):
            continue
        found = _unkept(item)
        if found is not None:  # the path is built only for what is found
            return (f"{key}.{found[0]}" if found[0] else str(key)), found[1], found[2]
    return None


_SURROGATE = "which is not Unicode text (it holds a lone surrogate)"


def _is_unicode(text: str) -> bool:
    """False when ``text`` holds a lone surrogate (a Python str may; UTF-8 may not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def recordable(fact: BaseModel) -> BaseModel:
    """``fact``, checked to be one a record keeps whole (no NaN or infinite number, no lone
    surrogate in its text)."""
    found = _unkept(fact)
    if found is not None:
        raise RecordError(f"the fact's {found[0]} is {found[1]!r}, {found[2]}: "
                          "a record of this decision would not hold the fact that was judged")
    return fact


def make_record(decision: Decision, *, trace: bool = False) -> DecisionRecord:
    """The record of ``decision`` (with the structured and rendered trace when ``trace``)."""
    plan = decision._view.plan  # what the decision was made with
    fact: BaseModel = recordable(decision.fact)
    record = _sealed({
        "id": "", "now": _fixed(decision.now), "fact_type": plan.fact_type, "subject": fact_subject(fact),
        "fact": fact.model_dump(mode="json"), "policies": tuple(recorded_policy(p) for p in plan.policies),
        "pack": plan.pack, "outcome": decision.outcome, "matches": decision.matches,
        "effects": _effects(decision.effects), "errors": _errors(decision.errors),
    })
    if not trace:
        return record
    found = decision.trace
    return record.model_copy(update={"trace": tuple(found.to_dict()), "explanation": found.render()})


LIFECYCLE_PREFIX = "lifecycle:"
"""How a step record names a lifecycle among its policies (``lifecycle:cmp-1``)."""


def step_record(policies: Iterable[Policy], result: Any, fact_type: str | None = None,
                fact: BaseModel | None = None, lifecycles: Iterable[Any] = ()) -> DecisionRecord:
    """The record of a session step: ``result`` is a session's ``StepResult`` (an event with
    its ``fact``, or a tick); the subject is the session's. Its matches are the firings. The
    caller checks the ``fact`` with :func:`recordable` before it commits the step. The
    session's ``lifecycles`` are named with the policies (``lifecycle:<id>``, version and
    content hash), so a replay through a changed lifecycle says so."""
    named = (*(recorded_policy(p) for p in policies),
             *(RecordedPolicy(id=f"{LIFECYCLE_PREFIX}{lc.id}", version=lc.version, content_hash=lc.content_hash,
                              params={}) for lc in lifecycles))
    return _sealed({
        "id": "", "now": _fixed(result.now), "kind": result.kind, "fact_type": fact_type, "subject": result.subject,
        "seq": getattr(result, "seq", None), "fact": None if fact is None else fact.model_dump(mode="json"),
        "policies": named, "outcome": result.outcome,
        "matches": tuple((f.policy_id, f.rule_id) for f in result.firings),
        "effects": _effects(result.effects), "errors": _errors(result.errors),
    })


@dataclass(frozen=True, slots=True)
class LogLine:
    """A record as a decision log stores it: its JSON line and the columns logs index.

    .. versionadded:: 0.2
    """

    id: str
    json: str
    now: datetime | None
    fact_type: str | None
    subject: str | None
    rules: tuple[str, ...]
    outcome: str

    @classmethod
    def of_record(cls, record: DecisionRecord) -> LogLine:
        """``record``'s line."""
        return cls(record.id, record.to_json(), record.now, record.fact_type, record.subject, record.rule_ids,
                   record.outcome.value)


_JSON: TypeAdapter[Any] = TypeAdapter(Any)  # pydantic's own writer, as DecisionRecord.to_json uses
_HEAD = f'{{"schema_version":{SCHEMA_VERSION},'
_EFFECTS: dict[int, tuple[tuple[Any, ...], list[dict[str, Any]]]] = {}


def _effect_dicts(effects: tuple[Any, ...]) -> list[dict[str, Any]]:
    """``effects`` as their records write them; shared effects (no due time) once each."""
    cached = _EFFECTS.get(id(effects))
    if cached is not None and cached[0] is effects:
        return cached[1]
    dicts = [e.model_dump(exclude_none=True) for e in _effects(effects)]
    if len(_EFFECTS) >= 4096:
        _EFFECTS.clear()
    _EFFECTS[id(effects)] = (effects, dicts)
    return dicts


def decision_line(decision: Decision) -> LogLine:
    """The line :meth:`DecisionRecord.to_json` gives for ``decision.record()``, written
    without building the record (the fast path of logging engines; tests hold the two equal)."""
    plan = decision._view.plan
    fact: BaseModel = recordable(decision.fact)
    subject = fact_subject(fact)
    outcome = decision.outcome.value
    data: dict[str, Any] = {}
    now = decision.now
    if now is not None:
        _check_recordable(now)  # as make_record refuses it
        data["now"] = now
    data["kind"] = "decision"
    data["fact_type"] = plan.fact_type
    if subject is not None:
        data["subject"] = subject
    data["fact"] = fact
    data["policies"] = [recorded_policy(p).model_dump() for p in plan.policies]
    if plan.pack is not None:
        data["pack"] = plan.pack.model_dump(exclude_none=True)
    data["outcome"] = outcome
    data["matches"] = decision.matches
    data["effects"] = _effect_dicts(decision.effects)
    data["errors"] = [e.to_dict() for e in decision.errors]
    body = _HEAD + _JSON.dump_json(data).decode("utf-8")[1:]
    hashed, rewritten = _rewritten(body)
    if rewritten and rewritten != _offset_instants(now, (effect.get("due") for effect in data["effects"]), fact,
                                                   type(fact)):
        # text in the fact reads like a date-time: hashed as text, as the record hashes it
        return LogLine.of_record(make_record(decision))
    record_id = _id_of(hashed)
    line = f'{_HEAD}"id":"{record_id}",{body[len(_HEAD):]}'
    return LogLine(record_id, line, decision.now, plan.fact_type, subject, decision.rule_ids, outcome)


def record_schema() -> dict[str, Any]:
    """The JSON Schema of a decision record (its ``schema_version`` is :data:`SCHEMA_VERSION`)."""
    schema = DecisionRecord.model_json_schema(mode="serialization")
    schema["$id"] = f"https://csrules.invalid/schemas/decision-record-v{SCHEMA_VERSION}.json"
    return schema


def parse_record(text: str | bytes, *, file: str | None = None, line: int | None = None) -> DecisionRecord:
    """A record from one JSON text; anything else raises :class:`RecordError` at ``file:line``."""
    try:
        return DecisionRecord.model_validate_json(text)
    except RecordError as exc:
        if file is None:
            raise
        raise RecordError(str(exc), file=file, line=line) from None

