"""Policy objects: :class:`Policy`, :class:`Rule`, parameters, effects, citations, examples.

Every class is a frozen, closed pydantic model. Building one validates its structure and,
for a :class:`Policy`, type-checks every condition against the fact model it names, so a
policy that exists is a policy that can run. Errors are :class:`~csrules.exceptions.PolicyError`
naming the policy, the rule and the path; callers never need to import pydantic.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from csrules._lang import Lang, simplified
from csrules._policy.check import check_policy
from csrules._policy.errors import CheckedModel, exactly_one
from csrules._policy.kinds import Condition
from csrules._policy.kinds.base import MAX_CONDITION_DEPTH as MAX_CONDITION_DEPTH
from csrules._policy.kinds.base import ConditionBase
from csrules._policy.kinds.base import check_condition_depth as check_condition_depth
from csrules._policy.kinds.core import All
from csrules._policy.kinds.window import Nth, Window
from csrules._policy.text import Script, to_script
from csrules._policy.trace import check_lang
from csrules._time.calendar import load_zone
from csrules._time.clock import parse_clock
from csrules._time.durations import BusinessDuration, Duration, DurationField, format_timedelta, parse_duration
from csrules._time.durations import WallDuration as _Wall
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.exceptions import CalendarError, PolicyError, TimeError

__all__ = [
    "Approve",
    "Citation",
    "Condition",
    "Due",
    "Effect",
    "Escalate",
    "Example",
    "HitPolicy",
    "KeyedEffect",
    "Ladder",
    "LadderConsequence",
    "Oblige",
    "Parameter",
    "ParameterType",
    "Policy",
    "Recommend",
    "Rule",
    "Severity",
    "Source",
    "Step",
    "Text",
    "Violate",
]

MAX_DATA_DEPTH = 256
"""Deepest nesting of raw policy data (mappings and lists) measured before validation recurses."""

PARAM_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
"""What a parameter name looks like: an ASCII identifier (``max_late_minutes``)."""

MAX_INT = 2**63 - 1
"""Largest whole number (in size) a policy may hold; beyond it a number is a typo, not a rule."""

_PARAM_NAME = re.compile(PARAM_NAME)
_TEMPLATE_PART = re.compile(r"\{\{|\}\}|\{[^{}]*\}?|\}")
# Characters a policy may not contain: the C0/C1 controls except tab and newlines, surrogates
# and the non-characters U+FFFE/U+FFFF, exactly what the YAML reader refuses in a file.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


CHECKED_CONTEXT = {"depth_checked": True}
"""Validation context for ``Policy.model_validate`` after :func:`check_depth` ran on the data."""


def _said(value: str) -> str:
    if not value.strip():
        raise ValueError(f"blank text says nothing (got {value!r})")
    return value


def _name(value: str) -> str:
    # a code, role or version is compared with others: spaces around it are no part of it
    return _said(value).strip()


NonEmpty = Annotated[str, Field(min_length=1), AfterValidator(_said)]
"""Text that must say something (not empty, not only spaces): messages, titles."""


def _quoted(value: Any) -> Any:
    # YAML reads ``version: 1.10`` as the number 1.1: a name written as a number is refused, not
    # turned back into text it may not have been
    if isinstance(value, int | float):
        what = "yes/no value" if isinstance(value, bool) else "number"
        raise ValueError(f"this is text: quote it in the file (YAML read the {what} {value!r})")
    return value


# the length on the inner text: an empty name is "at least 1 character", as other text
Name = Annotated[Annotated[str, Field(min_length=1)], BeforeValidator(_quoted), AfterValidator(_name)]
"""A name other things are matched against (codes, roles, versions, source ids): spaces
around it are dropped, and blank is refused."""


class PolicyModel(CheckedModel):
    """Base of the policy classes: frozen, closed, and raising :class:`PolicyError`."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _text_from_str(value: Any) -> Any:
    # A bare string is accepted where a bilingual text is expected and serves both languages.
    if isinstance(value, str):
        return {"en": value, "zh": value}
    if not isinstance(value, Mapping | BaseModel):
        raise ValueError(f"a text is written as a string (for both languages) or as {{en: ..., zh: ...}} "
                         f"(got {type(value).__name__} {value!r:.60})")
    return value


class Text(PolicyModel):
    """A text in English and Chinese. A bare string in a file means the same in both.

    .. versionadded:: 0.1
    """

    en: NonEmpty
    zh: NonEmpty

    def get(self, lang: Lang) -> str:
        """The text in ``lang`` (``en`` or ``zh``; anything else is refused, not read as English)."""
        if lang == "zh":
            return self.zh
        if lang != "en":
            check_lang(lang)
        return self.en

    def placeholders(self) -> set[str]:
        """The ``{name}`` parameter placeholders used in either language.

        A malformed template (``{n:>9}``, ``{n!r}``, a lone brace) raises :class:`ValueError`.
        """
        return {name for text in (self.en, self.zh) for kind, name in _template(text) if kind}

    def fill(self, en: Mapping[str, str], zh: Mapping[str, str], script: Script | None = None) -> Text:
        """The text with each ``{name}`` replaced from ``en`` / ``zh``, ``{{`` and ``}}`` as braces.

        Chinese values are written in the template's script: a template in Traditional
        characters (``超過{limit}``) gets ``12小時``, not the ``12小时`` values are made in. A
        template of neither script (``未提前{notice}提出``) takes ``script``, its policy's."""
        if not any(brace in self.en + self.zh for brace in "{}"):
            return self
        written: Script = "simplified"
        if simplified(self.zh) != self.zh:
            written = "traditional"
        elif script is not None and to_script(self.zh, "traditional") == self.zh:  # a neutral template
            written = script
        return Text(en=_filled(self.en, en), zh=_filled(self.zh, zh, lambda value: to_script(value, written)))


def _template(text: str) -> Iterator[tuple[bool, str]]:
    """``(is_placeholder, text)`` pieces of a template: only ``{name}``, ``{{`` and ``}}``."""
    position = 0
    for match in _TEMPLATE_PART.finditer(text):
        yield False, text[position : match.start()]
        piece = match.group()
        position = match.end()
        if piece in ("{{", "}}"):
            yield False, piece[0]
        elif piece.endswith("}") and piece != "}" and _PARAM_NAME.match(piece[1:-1]):
            yield True, piece[1:-1]
        else:
            raise ValueError(
                f"{piece!r} is not a placeholder: write {{name}} with a parameter name, "
                "and {{ or }} for a literal brace"
            )
    yield False, text[position:]


def _filled(text: str, values: Mapping[str, str], written: Callable[[str], str] = str) -> str:
    return "".join(written(values[piece]) if is_name else piece for is_name, piece in _template(text))


BiText = Annotated[Text, BeforeValidator(_text_from_str)]


class Source(PolicyModel):
    """A source document a policy encodes (``id`` is what citations refer to).

    .. versionadded:: 0.1
    """

    id: Name
    title: BiText
    file: str | None = None


class Citation(PolicyModel):
    """Where a rule comes from: the source document and its section, optionally the quote.

    .. versionadded:: 0.1
    """

    source: Name
    section: Name
    quote: str | None = None

    def __str__(self) -> str:
        return f"{self.source} § {self.section}"


ParameterType = Literal["int", "float", "str", "bool", "duration", "time", "str_list"]
"""The types a policy parameter can have."""

_PARAM_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "int": TypeAdapter(int),
    "float": TypeAdapter(float),
    "str": TypeAdapter(str),
    "bool": TypeAdapter(bool),
    "duration": TypeAdapter(DurationField),
    "time": TypeAdapter(time),
    "str_list": TypeAdapter(tuple[str, ...]),
}


class Parameter(PolicyModel):
    """A number (or duration, time, phrase list ...) a company may tune, with the source's default.

    ``{type: duration, default: 24h, min: 1h, description: ...}``. Bounds apply to ``int``,
    ``float`` and ``duration`` parameters; a duration's bounds and values count the same
    thing (clock time, business days or business hours), since a working day has no fixed
    length. A ``time`` is a local clock time, written without a UTC offset.

    .. versionadded:: 0.1
    """

    type: ParameterType
    default: Any
    min: Any = None
    max: Any = None
    unit: str | None = None
    description: BiText | None = None

    @model_validator(mode="after")
    def _default_fits(self) -> Parameter:
        # Validate (and normalise) default and bounds once, so every later use is typed.
        default = self.coerce(self.default, name="default", check_bounds=False)
        bounds = {}
        for bound in ("min", "max"):
            value = getattr(self, bound)
            if value is not None:
                if self.type not in ("int", "float", "duration"):
                    raise ValueError(
                        f"{bound} is only allowed on int, float and duration parameters"
                    )
                bounds[bound] = self.coerce(value, name=bound, check_bounds=False)
        object.__setattr__(self, "default", default)
        for bound, value in bounds.items():
            object.__setattr__(self, bound, value)
        if self.min is not None and self.max is not None:
            _like_with_like(self.min, "min", self.max, "max")
            if _order(self.min) > _order(self.max):
                raise ValueError(f"min {_show(self.min)} is greater than max {_show(self.max)}")
        self.coerce(default, name="default")
        return self

    @field_serializer("default", "min", "max")
    def _written(self, value: Any) -> Any:
        return show_param(value)

    def coerce(self, value: Any, *, name: str = "value", check_bounds: bool = True) -> Any:
        """Validate ``value`` against this parameter's type and bounds; return it typed."""
        if self.type in ("int", "float") and isinstance(value, bool):
            raise ValueError(f"{name} must be {self.type} (got bool {value!r})")
        _written_as(self.type, value, name)
        if self.type == "time" and isinstance(value, int | float):
            raise ValueError(f'{name} must be a time such as "09:30" (got {value!r})')
        if self.type == "time" and isinstance(value, str):
            # as a condition's clock literal reads it ("9:00", " 09:00 "); else pydantic says why not
            with contextlib.suppress(ValueError):
                value = parse_clock(value)
        if self.type == "int" and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{name} must be int (got float {value!r})")
        try:
            typed = _PARAM_ADAPTERS[self.type].validate_python(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            if error["type"] == "value_error":  # our own validator's message already quotes it
                raise ValueError(f"{name}: {error['msg'].removeprefix('Value error, ')}") from None
            raise ValueError(f"{name} must be {self.type} (got {value!r}: {error['msg']})") from None
        if isinstance(typed, time) and typed.tzinfo is not None:
            raise ValueError(
                f"{name} {value!r} carries a UTC offset; a time parameter is read on the rule's "
                "own zone's clock: give it without an offset"
            )
        if isinstance(typed, float) and not math.isfinite(typed):
            raise ValueError(f"{name} must be a finite number (got {value!r})")
        if check_bounds:
            for bound in ("min", "max"):
                if getattr(self, bound) is not None:
                    _like_with_like(typed, name, getattr(self, bound), bound)
            if self.min is not None and _order(typed) < _order(self.min):
                raise ValueError(f"{name} {_show(typed)} is below the minimum {_show(self.min)}")
            if self.max is not None and _order(typed) > _order(self.max):
                raise ValueError(f"{name} {_show(typed)} is above the maximum {_show(self.max)}")
        return typed


_TEXT_READ = (str, bytes, bytearray)
"""What a number or flag parameter is never written as: pydantic would read ``"2"`` as 2 and
``"off"`` as false, so a quoted number or a word would pass for a value never written."""


def _written_as(kind: str, value: Any, name: str) -> None:
    """Refuse ``value`` when it is not written as a ``kind`` parameter's value is."""
    if kind in ("int", "float") and isinstance(value, _TEXT_READ):
        raise ValueError(f"{name} must be {kind}, written as a number without quotes (got {value!r})")
    if kind == "bool" and not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false (got {type(value).__name__} {value!r})")
    if kind == "str" and not isinstance(value, str):
        raise ValueError(f"{name} must be text (got {type(value).__name__} {value!r})")
    if kind == "str_list" and isinstance(value, list | tuple) and not all(isinstance(item, str) for item in value):
        wrong = next(item for item in value if not isinstance(item, str))
        raise ValueError(f"{name} must be a list of texts (got {type(wrong).__name__} {wrong!r} in it)")


def _order(value: Any) -> Any:
    """A comparable form of a parameter value (durations compare by their length; business
    durations by their amount, only ever against the same unit)."""
    if isinstance(value, _Wall):
        return value.delta
    if isinstance(value, BusinessDuration):
        return value.amount
    return value


def _measure(value: Any) -> str | None:
    """What a duration counts (clock time, business days, business hours); None otherwise."""
    if isinstance(value, _Wall):
        return "clock time"
    if isinstance(value, BusinessDuration):
        return f"business {value.unit}"
    return None


def _like_with_like(value: Any, name: str, bound: Any, bound_name: str) -> None:
    """Refuse comparing durations of different measures: a working day has no fixed length in
    clock time, so "2 business days" is neither above nor below "1h"."""
    if _measure(value) != _measure(bound):
        raise ValueError(
            f"{bound_name} {_show(bound)} counts {_measure(bound)}; {name} {_show(value)} counts "
            f"{_measure(value)}: bounds compare like with like"
        )


def _show(value: Any) -> str:
    if isinstance(value, _Wall):
        return format_timedelta(value.delta)
    return str(value)


def show_param(value: Any) -> Any:
    """A parameter value as it is written in a policy file (durations as ``"24h"``, in the
    unit the file wrote them in)."""
    if isinstance(value, _Wall):
        return str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M") if not value.second else value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "unit") and hasattr(value, "amount"):
        return str(value)
    return value


Severity = Literal["notice", "minor", "major", "critical"]
"""How serious a violation is, least to most."""


LadderConsequence = Literal["correct", "warn", "fine"]
"""What a step of progressive discipline brings, mildest first: a correction (指正), a
warning (警告), a fine (罰款)."""

LADDER_ORDER: tuple[LadderConsequence, ...] = ("correct", "warn", "fine")
"""The consequences of a ladder from mildest to harshest; later steps never go back down."""

_LADDER_WORDS: dict[str, tuple[str, str]] = {
    "correct": ("corrected", "予以指正"),
    "warn": ("warning", "警告"),
    "fine": ("fine", "罰款"),
}


class Ladder(PolicyModel):
    """A rung of progressive discipline on a violation: which ``step`` and what it brings.

    ``{type: violation, code: CON-1, ladder: {step: 2, consequence: warn}, ...}`` says this
    rule gives the second rung of CON-1's ladder, a warning. Steps count rungs, not offences:
    which offence reaches a rung is the rule's condition (a parameter such as ``warn_at``).
    Rules sharing a code give one ladder: steps 1, 2, 3 ... each once, consequences never
    milder than the step before; where the steps' rules fire on an ``nth`` occurrence, later
    steps fire on later occurrences and only the last says ``or_later``. The violation's
    ``consequence`` text, when not written, is said from the ladder, so documents and
    decisions show it.

    .. versionadded:: 0.1
    """

    step: StrictInt = Field(ge=1, le=99)
    consequence: LadderConsequence

    def text(self) -> Text:
        """``warning (step 2 of the ladder)`` / ``警告（處分第2級）``."""
        en, zh = _LADDER_WORDS[self.consequence]
        return Text(en=f"{en} (step {self.step} of the ladder)", zh=f"{zh}（處分第{self.step}級）")


class KeyedEffect:
    """The short name worked examples use to expect an effect: ``<type>:<value>``
    (``violation:ATT-7``) or the bare type (``recommendation``). One definition serves a
    policy's effects and the decision results made from them.

    A subclass sets :attr:`KEY`.
    """

    __slots__ = ()

    #: The effect's ``type`` tag and the field whose value completes the key (None: the tag alone).
    KEY: ClassVar[tuple[str, str | None]]

    @property
    def key(self) -> str:
        """The short name worked examples use to expect this effect."""
        tag, name = self.KEY
        return tag if name is None else f"{tag}:{getattr(self, name)}"


class Violate(PolicyModel, KeyedEffect):
    """Effect: the fact breaks the rule. ``code`` identifies the breach in reports.

    ``{type: violation, code: ATT-7, severity: major, message: "late {max_late}"}``;
    ``consequence`` says what follows (``counts as absence without leave (曠工)``).

    .. versionadded:: 0.1
    """

    KEY: ClassVar[tuple[str, str | None]] = ("violation", "code")

    type: Literal["violation"] = "violation"
    code: Name
    severity: Severity = "major"
    message: BiText
    consequence: BiText | None = None
    ladder: Ladder | None = None

    @model_validator(mode="after")
    def _ladder_text(self) -> Violate:
        # Documents and decisions show the consequence text; a ladder step supplies it.
        if self.ladder is not None and self.consequence is None:
            object.__setattr__(self, "consequence", self.ladder.text())
        return self


class Due(PolicyModel):
    """When an obligation falls due: ``after`` a duration (or duration parameter) from ``since``
    (a datetime field of the fact; omitted means ``now``). Business time (``3 business days``)
    is counted in ``calendar``, a name registered with :func:`csrules.register_calendar`.

    .. versionadded:: 0.1
    """

    after: DurationField | None = None
    param: str | None = None
    since: str | None = None
    calendar: str | None = None

    @model_validator(mode="after")
    def _one_duration(self) -> Due:
        exactly_one(self, "due", ("after", "param"))
        if self.calendar is not None:
            from csrules._time.registry import get_calendar

            get_calendar(self.calendar)  # an unknown name raises, listing the known ones
        elif self.after is not None and not isinstance(self.after, _Wall):
            raise ValueError(f"due after {self.after} counts business time: add calendar: <name>")
        return self


class Oblige(PolicyModel, KeyedEffect):
    """Effect: someone (a role) must do something, optionally by a due time.

    ``{type: obligation, action: "reply to the customer", who: agent,
    due: {after: 3d, since: received_at}}``

    .. versionadded:: 0.1
    """

    KEY: ClassVar[tuple[str, str | None]] = ("obligation", "who")

    type: Literal["obligation"] = "obligation"
    action: BiText
    who: Name
    due: Due | None = None


class Approve(PolicyModel, KeyedEffect):
    """Effect: the fact needs approval by ``role`` before it stands.

    .. versionadded:: 0.1
    """

    KEY: ClassVar[tuple[str, str | None]] = ("approval", "role")

    type: Literal["approval"] = "approval"
    role: Name
    reason: BiText | None = None


class Escalate(PolicyModel, KeyedEffect):
    """Effect: the matter goes up to ``to`` (a role).

    .. versionadded:: 0.1
    """

    KEY: ClassVar[tuple[str, str | None]] = ("escalation", "to")

    type: Literal["escalation"] = "escalation"
    to: Name
    reason: BiText | None = None


class Recommend(PolicyModel, KeyedEffect):
    """Effect: advice to show, for instance the phrase to say instead of a forbidden one.

    .. versionadded:: 0.1
    """

    KEY: ClassVar[tuple[str, str | None]] = ("recommendation", None)

    type: Literal["recommendation"] = "recommendation"
    text: BiText


Effect = Annotated[Violate | Oblige | Approve | Escalate | Recommend, Field(discriminator="type")]
"""Any effect a rule can have, tagged by ``type``."""


EFFECT_KEY = r"^(violation|approval|obligation|escalation):\S+$|^recommendation$"
"""What an expected effect key looks like (``violation:ATT-7``, ``recommendation`` ...)."""

ExpectedKey = Annotated[str, Field(pattern=EFFECT_KEY)]


def written_instant(value: Any) -> Any:
    """Refuse a bare number where an instant is written: pydantic would read it as seconds
    since 1970."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"an instant is written as ISO 8601 with its offset, e.g. 2026-03-10T10:00:00+08:00 "
                         f"(got the number {value!r})")
    return value


class Step(PolicyModel):
    """One step of a session example: an event (``fact``, placed in time by ``at`` or by the
    fact's own time field) or a clock move (``tick``), and the effect keys expected after it.

    ``{fact: {...}, at: 2026-03-10T10:00:00+08:00, expect: [violation:CON-1]}`` sends the
    fact with the clock moved to ``at`` first (without ``at`` the clock stays);
    ``{tick: 2026-03-11T10:00:00+08:00, expect: [escalation:shift_lead]}`` moves the clock
    and fires the deadlines reached. ``expect`` lists the effect keys of that step exactly.

    .. versionadded:: 0.1
    """

    fact: dict[str, Any] | None = None
    at: AwareDatetime | None = None
    tick: AwareDatetime | None = None
    expect: list[ExpectedKey]

    _instant_text = field_validator("at", "tick", mode="before")(written_instant)

    @model_validator(mode="after")
    def _event_or_tick(self) -> Step:
        if (self.fact is None) == (self.tick is None):
            raise ValueError("a step is either an event (fact, optionally at) or a tick (tick: <instant>)")
        if self.tick is not None and self.at is not None:
            raise ValueError("a tick step takes no 'at': the tick is its instant")
        return self


def _forward_in_time(steps: list[Step]) -> None:
    """A session's clock only moves forward: each step's written instant (``at`` or ``tick``)
    is not before the previous one's."""
    last: tuple[int, datetime] | None = None
    for number, step in enumerate(steps, 1):
        when = step.tick or step.at
        if when is None:
            continue
        if last is not None and when < last[1]:
            raise ValueError(f"step {number} ({when.isoformat()}) is before step {last[0]} "
                             f"({last[1].isoformat()}): a session's clock only moves forward")
        last = (number, when)


class Example(PolicyModel):
    """A worked example: a fact, an optional ``now``, and the effect keys the rule must give;
    or, for a session policy, a sequence of ``steps`` run on a fresh session.

    ``expect: []`` says the rule does not hold for this fact; ``expect: [violation:ATT-7]``
    says it holds with that effect. Keys: ``violation:<code>``, ``obligation:<who>``,
    ``approval:<role>``, ``escalation:<role>``, ``recommendation``. A session example gives
    ``steps`` (each a :class:`Step` with its own ``expect``) and optionally the ``subject``
    whose session runs them; a stateless policy refuses steps, a session policy facts.

    .. versionadded:: 0.1
    """

    name: str | None = None
    fact: dict[str, Any] | None = None
    now: datetime | None = None
    expect: list[str] | None = None
    subject: Name | None = None
    steps: list[Step] | None = Field(default=None, min_length=1)

    _now_text = field_validator("now", mode="before")(written_instant)

    @model_validator(mode="after")
    def _fact_or_steps(self) -> Example:
        if self.steps is None:
            if self.fact is None or self.expect is None:
                raise ValueError("an example needs fact and expect (or steps, for a session policy)")
            if self.subject is not None:
                raise ValueError("subject goes with steps: a single fact runs on no session")
        elif self.fact is not None or self.expect is not None or self.now is not None:
            raise ValueError("an example with steps gives each step its fact and expect, not fact/expect/now")
        else:
            _forward_in_time(self.steps)
        return self

    @property
    def is_session(self) -> bool:
        """True for a sequence of steps run on a session."""
        return self.steps is not None


class Rule(PolicyModel):
    """One rule: when its condition holds, its effects apply.

    .. versionadded:: 0.1
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$")
    title: BiText
    description: BiText | None = None
    when: Condition
    then: list[Effect] = Field(min_length=1)
    citation: Citation | None = None
    priority: StrictInt = 0
    examples: list[Example] = Field(default_factory=list)


def _param_name(name: str) -> str:
    if not _PARAM_NAME.match(name):
        raise ValueError(
            f"parameter name {name!r} is not an identifier: use ASCII letters, digits and _, "
            "not starting with a digit"
        )
    return name


ParamName = Annotated[str, AfterValidator(_param_name)]
"""A parameter name, matching :data:`PARAM_NAME`."""


def _calendar_date(value: Any) -> Any:
    # A validity bound is a day: 2026-07-01 (YAML reads it as a date) or that text, never a
    # date-time or a number of seconds, which pydantic would otherwise accept.
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise ValueError(f"a validity date is written YYYY-MM-DD, e.g. 2026-07-01 (got {value!r})")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"a validity date is written YYYY-MM-DD, e.g. 2026-07-01 (got {value!r})") from None
    return value


ValidityDate = Annotated[date, BeforeValidator(_calendar_date)]
"""A ``valid_from`` / ``valid_until`` day, read in the pack's time zone."""

_DATED_FIELDS = ("valid_from", "valid_until", "timezone")
"""Fields a policy without effective dates leaves out of its content hash (hashes stay as before)."""

HitPolicy = Literal["collect", "first", "priority"]
"""Which matching rules' effects a decision keeps: all of them (``collect``), the first in
order (``first``), or those with the highest ``priority`` (``priority``)."""


class Policy(PolicyModel):
    """A versioned set of rules judging one fact type, with tunable parameters.

    Building a policy checks it completely: structure, duplicate rule ids, parameter defaults
    and overrides, citations, and every condition against the fact model (unknown field,
    text compared with a number, unknown parameter ...).

    .. versionadded:: 0.1
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$")
    version: Name
    title: BiText
    description: BiText | None = None
    fact_type: str
    hit_policy: HitPolicy = "collect"
    params: dict[ParamName, Parameter] = Field(default_factory=dict)
    overrides: dict[str, Any] = Field(default_factory=dict)
    sources: list[Source] = Field(default_factory=list)
    rules: list[Rule]
    valid_from: ValidityDate | None = None
    """The first day this version is in force (None: from the start); half-open with ``valid_until``."""
    valid_until: ValidityDate | None = None
    """The first day this version is no longer in force (None: until further notice)."""
    timezone: Name | None = None
    """The IANA zone the validity days are read in, and the clock times and calendar periods of
    conditions that name no ``tz``, ``calendar`` or ``shifts`` (building the policy writes a
    zone other than the default into them as their ``tz``, so documents and traces name it);
    a pack passes its own ``timezone:`` down; else Asia/Shanghai."""

    @field_serializer("overrides")
    def _overrides_written(self, value: dict[str, Any]) -> dict[str, Any]:
        return {name: show_param(v) for name, v in value.items()}

    @model_validator(mode="before")
    @classmethod
    def _bounded_depth(cls, data: Any, info: ValidationInfo) -> Any:
        # Refuse deep nesting, NaN and control characters before pydantic recurses into it,
        # unless the caller already ran check_depth on this data (CHECKED_CONTEXT).
        if not (info.context and info.context.get("depth_checked")):
            check_depth(data)
        return data

    @model_validator(mode="after")
    def _checked(self) -> Policy:
        _check_validity(self)
        if self.timezone not in (None, DEFAULT_TIME_ZONE):  # the default zone is read anyway
            _zone_rules(self.rules, self.timezone)
        check_policy(self)
        _check_examples_fit(self)
        _check_ladders(self)
        return self

    @property
    def needs_session(self) -> bool:
        """True when a rule uses a window kind (count, nth, in_a_row, still_open)."""
        from csrules._policy.kinds.base import walk
        from csrules._policy.kinds.window import WINDOW_KINDS

        return any(node.kind in WINDOW_KINDS for rule in self.rules for node in walk(rule.when))

    @cached_property
    def zh_script(self) -> Script:
        """The script the policy's Chinese is written in: Traditional when its title or a rule's
        title is (values filled into a template of neither script are written in it)."""
        texts = (self.title.zh, *(rule.title.zh for rule in self.rules))
        return "traditional" if any(simplified(text) != text for text in texts) else "simplified"

    @cached_property
    def content_hash(self) -> str:
        """A SHA-256 of the policy's whole content (rules, parameters, overrides, texts).

        Two policies with the same id and version but other content (a tuned parameter, an
        edited rule) have different hashes, so a decision record tells them apart.
        """
        data = self.model_dump(mode="json")
        for name in _DATED_FIELDS:
            if data[name] is None:
                del data[name]
        written = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(written.encode("utf-8")).hexdigest()

    @property
    def dated(self) -> bool:
        """True when the policy has a ``valid_from`` or a ``valid_until``."""
        return self.valid_from is not None or self.valid_until is not None

    def in_force_on(self, day: date | datetime) -> bool:
        """Whether this version is in force on ``day`` (``valid_from <= day < valid_until``); an
        aware datetime is read as the day it falls on in the policy's ``timezone``."""
        if isinstance(day, datetime):
            if day.utcoffset() is None:
                raise TimeError(f"in_force_on needs a date or an aware datetime (got naive {day.isoformat()})")
            from csrules._policy.validity import day_of  # validity reads policies: imported when used

            day = day_of(day, self.timezone)
        elif not isinstance(day, date):
            raise TimeError(f"in_force_on needs a date or an aware datetime (got {type(day).__name__} {day!r:.40})")
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day < self.valid_until
        )

    @property
    def validity(self) -> str:
        """The days in force, as a reviewer reads them: ``from 2026-07-01 until 2027-01-01``."""
        start = f"from {self.valid_from}" if self.valid_from else ""
        end = f"until {self.valid_until}" if self.valid_until else ""
        return " ".join(part for part in (start, end) if part) or "always"

    @property
    def param_values(self) -> dict[str, Any]:
        """Every parameter's value in force: the override where there is one, else the default."""
        return {
            name: self.overrides.get(name, param.default) for name, param in self.params.items()
        }

    def with_params(self, **overrides: Any) -> Policy:
        """A copy with parameter overrides, each validated against its type and bounds.

        >>> policy.with_params(max_swaps_per_month=3)  # doctest: +SKIP
        """
        merged = {**self.overrides, **overrides}
        return Policy(
            **{**self.model_dump(mode="python", exclude={"overrides"}), "overrides": merged}
        )

    def with_rules(self, *rules: Rule, version: str | None = None) -> Policy:
        """A copy with ``rules`` appended (a host extending a built-in policy)."""
        data = self.model_dump(mode="python")
        data["rules"] = [*self.rules, *rules]
        if version is not None:
            data["version"] = version
        return Policy(**data)

    def rule(self, rule_id: str) -> Rule:
        """The rule with ``rule_id``; a :class:`KeyError` names the known ids."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(
            f"policy {self.id!r} has no rule {rule_id!r}; rules: {[r.id for r in self.rules]}"
        )

    def duration_param(self, name: str) -> Duration:
        """The duration parameter ``name`` in force; a :class:`KeyError` names the parameters."""
        if name not in self.params:
            raise KeyError(f"policy {self.id!r} has no parameter {name!r}; parameters: {sorted(self.params)}")
        if self.params[name].type != "duration":
            raise PolicyError(f"parameter {name!r} is {self.params[name].type}, not a duration", policy_id=self.id)
        return parse_duration(self.param_values[name])


VALIDITY_RANGE = (date(1900, 1, 1), date(9998, 12, 31))
"""The first and last day a ``valid_from`` / ``valid_until`` may name: every such day starts
at an instant in any zone (0001-01-01 in Shanghai starts in the year 0, which has none)."""


def _check_validity(policy: Policy) -> None:
    """``valid_from`` comes before ``valid_until``, both inside :data:`VALIDITY_RANGE`; the
    zone is a known IANA name."""
    first, last = VALIDITY_RANGE
    for name in ("valid_from", "valid_until"):
        day = getattr(policy, name)
        if day is not None and not first <= day <= last:
            unbounded = "from the start" if name == "valid_from" else "until further notice"
            raise PolicyError(
                f"{name} {day} is outside the days a version can name ({first} to {last}); "
                f"leave {name} out for a version in force {unbounded}",
                policy_id=policy.id, loc=(name,),
            )
    if policy.valid_from and policy.valid_until and policy.valid_from >= policy.valid_until:
        raise PolicyError(
            f"valid_from {policy.valid_from} is not before valid_until {policy.valid_until} "
            "(the days in force are [valid_from, valid_until))",
            policy_id=policy.id, loc=("valid_until",),
        )
    if policy.timezone is not None:
        try:
            load_zone(policy.timezone)
        except CalendarError as exc:
            raise PolicyError(str(exc), policy_id=policy.id, loc=("timezone",)) from None


def _zone_rules(rules: list[Rule], zone: str) -> None:
    """Write ``zone`` into each condition of ``rules`` that reads local time in no named zone."""
    for index, rule in enumerate(rules):
        when = _zoned(rule.when, zone)
        if when is not rule.when:
            rules[index] = rule.model_copy(update={"when": when})


def _zoned(node: ConditionBase | Window, zone: str) -> Any:
    """``node`` with ``tz: zone`` where it, or a condition or window inside it, reads clock times
    or calendar periods in no named zone (no ``tz``, ``calendar`` or ``shifts``); ``node``
    itself when nothing changes."""
    update: dict[str, Any] = {}
    for name in type(node).model_fields:
        value = getattr(node, name)
        if isinstance(value, ConditionBase | Window):
            new = _zoned(value, zone)
        elif isinstance(value, list | tuple) and any(isinstance(v, ConditionBase) for v in value):
            items = [_zoned(v, zone) if isinstance(v, ConditionBase) else v for v in value]
            new = value if all(a is b for a, b in zip(items, value, strict=True)) else type(value)(items)
        else:
            continue
        if new is not value:
            update[name] = new
    if _default_zoned(node):
        update["tz"] = zone
    return node.model_copy(update=update) if update else node


def _default_zoned(node: ConditionBase | Window) -> bool:
    """Whether ``node`` reads local time in the default zone for want of a named one."""
    if getattr(node, "tz", True) is not None:  # no ``tz`` field, or one already named
        return False
    if isinstance(node, Window):  # ``calendar`` is a period here (month), not a calendar
        return node.calendar is not None
    return getattr(node, "calendar", None) is None and getattr(node, "shifts", None) is None


def _check_examples_fit(policy: Policy) -> None:
    """Refuse a worked example of the wrong shape: steps on a stateless policy, a single fact
    on a session policy (its window kinds cannot judge one fact alone)."""
    session = policy.needs_session
    for r, rule in enumerate(policy.rules):
        for e, example in enumerate(rule.examples):
            if example.is_session == session:
                continue
            name = f"example #{e + 1}" + (f" ({example.name})" if example.name else "")
            if session:
                message = (f"{name} is a single fact, but this is a session policy: give steps "
                           "(events and ticks, each with expect) instead")
            else:
                message = f"{name} gives steps, but this policy is stateless: give fact and expect instead"
            where = "fact" if session else "steps"
            raise PolicyError(message, policy_id=policy.id, rule_id=rule.id, loc=("rules", r, "examples", e, where))


def _check_ladders(policy: Policy) -> None:
    """Rules sharing a violation code give one ladder: steps 1..n without gaps, each step one
    consequence (rules may share a step), later steps never milder than earlier ones."""
    ladders: dict[str, dict[int, tuple[int, int, Ladder]]] = {}
    for r, rule in enumerate(policy.rules):
        for t, effect in enumerate(rule.then):
            if not isinstance(effect, Violate) or effect.ladder is None:
                continue
            steps = ladders.setdefault(effect.code, {})
            first = steps.setdefault(effect.ladder.step, (r, t, effect.ladder))
            if first[2].consequence != effect.ladder.consequence:
                raise _ladder_error(
                    policy, r, t, "consequence",
                    f"{effect.code} ladder step {effect.ladder.step} is {effect.ladder.consequence} here "
                    f"but {first[2].consequence} in rule {policy.rules[first[0]].id!r}",
                )
    for code, steps in ladders.items():
        previous: Ladder | None = None
        for step in sorted(steps):
            r, t, ladder = steps[step]
            if step != (previous.step + 1 if previous else 1):
                raise _ladder_error(
                    policy, r, t, "step",
                    f"{code} ladder has step {step} but no step {previous.step + 1 if previous else 1}: "
                    "steps run 1, 2, 3 ... without gaps",
                )
            if previous and LADDER_ORDER.index(ladder.consequence) < LADDER_ORDER.index(previous.consequence):
                raise _ladder_error(
                    policy, r, t, "consequence",
                    f"{code} ladder step {step} ({ladder.consequence}) is milder than step "
                    f"{previous.step} ({previous.consequence})",
                )
            previous = ladder
        _check_ladder_occurrences(policy, code, steps)


def _check_ladder_occurrences(
    policy: Policy, code: str, steps: dict[int, tuple[int, int, Ladder]]
) -> None:
    """Where each step's rule fires on an nth occurrence, later steps need later occurrences,
    and only the last such step may say ``or_later``: else a harsher rung would come before a
    milder one, or two rungs would be given for one offence. Steps need not equal occurrence
    numbers (a step may be reached on the 3rd offence); rules of a step that share it, and
    rules whose condition is not an nth (alone or inside ``all``), are not compared."""
    values = policy.param_values
    found = [(step, steps[step], _nth_of(policy.rules[steps[step][0]].when, values))
             for step in sorted(steps)]
    tied = [(step, where, nth) for step, where, nth in found if nth is not None]
    for (step, _, (n, later)), (next_step, (r, t, _), (next_n, _)) in itertools.pairwise(tied):
        if later or next_n <= n:
            fires = f"occurrence {n}{' or later' if later else ''}"
            raise _ladder_error(
                policy, r, t, "step",
                f"{code} ladder step {next_step} fires on occurrence {next_n}, but step {step} "
                f"fires on {fires}: each step needs a later occurrence than the one before, "
                "and only the last step may say or_later",
            )


def _nth_of(when: Any, values: dict[str, Any]) -> tuple[int, bool] | None:
    """The occurrence number (and or_later) of the one ``nth`` the rule's condition requires:
    the condition itself or a member of its top-level ``all``; None when there is none."""
    nodes = when.children() if isinstance(when, All) else (when,)
    nths = [node for node in nodes if isinstance(node, Nth)]
    if len(nths) != 1:
        return None
    nth = nths[0]
    n = nth.n if nth.param is None else values.get(nth.param)
    return (n, nth.or_later) if isinstance(n, int) else None


def _ladder_error(policy: Policy, r: int, t: int, where: str, message: str) -> PolicyError:
    loc = ("rules", r, "then", t, "ladder", where)
    return PolicyError(message, policy_id=policy.id, rule_id=policy.rules[r].id, loc=loc)


def check_depth(data: Any) -> None:
    """Raise :class:`PolicyError` when raw policy ``data`` cannot be a sane policy.

    Refused, each located (``loc``): nesting deeper than :data:`MAX_DATA_DEPTH` (measured
    iteratively, so a 10,000-level bomb costs nothing), a non-finite number (NaN passes
    every bound), and control characters in text. Worked-example facts are left to their
    fact model.
    """
    if _plainly_sane(data):
        return  # the usual case: nothing to locate
    _locate_problem(data)


def _plainly_sane(data: Any) -> bool:
    """True when no node of ``data`` is too deep, non-finite, too big, keyed by other than
    text or holding a control character: the checks of :func:`check_depth`, counting depth
    instead of building each node's location, on worked-example facts too (a superset, so
    True means :func:`_locate_problem` would find nothing)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    pop, push, control = stack.pop, stack.append, _CONTROL.search
    while stack:
        node, depth = pop()
        if depth > MAX_DATA_DEPTH:
            return False
        kind = type(node)
        if kind is str:
            if control(node):
                return False
        elif kind is dict:
            depth += 1
            for key, value in node.items():
                if type(key) is not str or control(key):
                    return False
                push((value, depth))
        elif kind is list or kind is tuple:
            depth += 1
            stack.extend([(value, depth) for value in node])
        elif kind is bool or node is None:
            continue
        elif kind is int:
            if not -MAX_INT <= node <= MAX_INT:
                return False
        elif kind is float:
            if not math.isfinite(node):
                return False
        elif isinstance(node, BaseModel):  # a policy built of model objects: their fields
            depth += 1
            stack.extend([(getattr(node, name), depth) for name in type(node).model_fields])
        elif isinstance(node, str | dict | list | tuple | int | float):
            return False  # a subclass: the locating walk reads it as it always did
    return True


def _locate_problem(data: Any) -> None:
    """The walk of :func:`check_depth` that locates the first problem (``loc``) and raises it."""
    stack: list[tuple[Any, tuple[Any, ...], bool]] = [(data, (), False)]
    while stack:
        node, loc, in_fact = stack.pop()
        if len(loc) > MAX_DATA_DEPTH:
            raise PolicyError(
                f"nested more than {MAX_DATA_DEPTH} levels deep (conditions: limit of "
                f"{MAX_CONDITION_DEPTH} levels); flatten it with all/any lists",
                loc=loc[:8],
            )
        in_fact = in_fact or (len(loc) >= 3 and loc[-1] == "fact" and loc[-3] in ("examples", "steps"))
        if not in_fact:
            _check_value(node, loc)
        # reversed: the stack then yields document order, so the first problem is reported
        stack.extend(reversed([(child, where, in_fact) for child, where in _children(node, loc)]))


def _children(node: Any, loc: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    if isinstance(node, dict):
        yield from ((value, (*loc, key)) for key, value in node.items())
    elif isinstance(node, list | tuple):
        yield from ((value, (*loc, i)) for i, value in enumerate(node))
    elif isinstance(node, BaseModel):
        yield from ((getattr(node, name), (*loc, name)) for name in type(node).model_fields)


def _check_value(node: Any, loc: tuple[Any, ...]) -> None:
    if isinstance(node, float) and not math.isfinite(node):
        raise PolicyError(f"numbers must be finite (got {node!r})", loc=loc)
    if isinstance(node, int) and not -MAX_INT <= node <= MAX_INT:
        raise PolicyError(f"numbers must be within ±{MAX_INT:,}", loc=loc)
    if isinstance(node, str):
        _check_text(node, loc)
    elif isinstance(node, dict):
        for key in node:
            if not isinstance(key, str):  # YAML allows null, bool, number and date keys
                raise PolicyError(f"keys must be text (got {type(key).__name__} {key!r})", loc=loc)
            _check_text(key, loc)


def _check_text(text: str, loc: tuple[Any, ...]) -> None:
    bad = _CONTROL.search(text)
    if bad:
        raise PolicyError(
            f"text holds the control character U+{ord(bad.group()):04X} "
            f"at position {bad.start()}: {text[:40]!r}",
            loc=loc,
        )
