"""The core condition kinds: ``all``, ``any``, ``not``, comparisons, membership, text,
presence and elapsed time, each a model next to its handler.

In a policy file a condition reads::

    when:
      kind: all
      of:
        - {kind: compare, path: kind, op: "==", value: personal}
        - {kind: elapsed, since: requested_at, until: shift_start, op: "<", duration: 1d}
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from csrules._lang import Lang
from csrules._policy.errors import exactly_one
from csrules._policy.facts import FieldInfo, field_info, scalar_type
from csrules._policy.kinds.base import (
    NEGATED_OP,
    OPS_EN,
    OPS_ZH,
    ORDERED,
    PY_OPS,
    SPAN_EN,
    SPAN_ZH,
    CheckContext,
    CompareOp,
    CompileContext,
    Condition,
    ConditionBase,
    Constraint,
    DescribeContext,
    Env,
    Words,
    aware_field,
    check_of,
    join,
    naive_field,
    optional_method,
    reads_now_of,
    register_kind,
    show_value,
    source_of,
)
from csrules._policy.text import TextMatcher, blank_phrase, fold_text
from csrules._policy.trace import TraceNode
from csrules._time.calendar import load_zone
from csrules._time.durations import BusinessDuration, DurationField, WallDuration, parse_duration, split_days
from csrules._time.nominal import HORIZON, cached_zone, fact_zone, reach_utc, steady_zone
from csrules._time.registry import DEFAULT_TIME_ZONE
from csrules.exceptions import DurationError, PolicyError, TimeError

__all__ = [
    "All",
    "AnyIn",
    "AnyNotIn",
    "Any_",
    "Compare",
    "Contains",
    "Elapsed",
    "In",
    "IsMissing",
    "IsSet",
    "Not",
    "NotIn",
    "TextFold",
    "WallSpan",
    "coerce_literal",
    "held",
    "known_zone",
    "plain_value",
    "wall_span",
]


class All(ConditionBase):
    """Holds when every condition in ``of`` holds (a policy refuses an empty list).

    ``{kind: all, of: [{kind: is_set, path: approver},
    {kind: compare, path: days, op: ">", value: 1}]}``
    holds for ``{approver: "lead", days: 2}``, not for ``{approver: null, days: 2}``.
    """

    kind: Literal["all"] = "all"
    of: list[Condition]

    def children(self) -> tuple[ConditionBase, ...]:
        """The conjuncts."""
        return tuple(self.of)


class Any_(ConditionBase):
    """Holds when at least one condition in ``of`` holds (a policy refuses an empty list).

    ``{kind: any, of: [{kind: compare, path: emotion, op: "==", value: angry}, ...]}``
    """

    kind: Literal["any"] = "any"
    of: list[Condition]

    def children(self) -> tuple[ConditionBase, ...]:
        """The disjuncts."""
        return tuple(self.of)


class Not(ConditionBase):
    """Holds when ``condition`` does not.

    ``{kind: not, condition: {kind: is_set, path: certificate}}`` holds when no certificate.
    """

    kind: Literal["not"] = "not"
    condition: Condition

    def children(self) -> tuple[ConditionBase, ...]:
        """The negated condition."""
        return (self.condition,)


class _Operand(ConditionBase):
    """Shared right-hand side: exactly one of a literal ``value``, a ``param`` or a ``field``."""

    value: Any = None
    param: str | None = None
    field: str | None = None

    @field_validator("value", mode="after")
    @classmethod
    def _as_written(cls, value: Any) -> Any:
        # Keep literals as a file spells them, so save -> load gives an equal policy;
        # the checker types them against the field when the policy is built.
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        if isinstance(value, tuple):
            return list(value)
        return value

    @model_validator(mode="after")
    def _one_operand(self) -> _Operand:
        exactly_one(self, self.kind, ("value", "param", "field"))
        return self


class Compare(_Operand):
    """Compares the field at ``path`` with a literal, a parameter or another field.

    ``{kind: compare, path: late_minutes, op: ">=", param: max_late_minutes}`` holds for
    ``late_minutes: 20`` when the parameter is 20, not for ``19``. A missing (None) value on
    either side makes a comparison false; test for it with ``is_missing``.
    """

    kind: Literal["compare"] = "compare"
    path: str
    op: CompareOp


class In(_Operand):
    """Holds when the field's value is one of ``value`` (a list) or the list parameter ``param``.

    ``{kind: in, path: kind, value: [personal, special]}`` holds for ``kind: personal``.
    """

    kind: Literal["in"] = "in"
    path: str


class NotIn(_Operand):
    """Holds when the field is set and its value is none of the listed values.

    ``{kind: not_in, path: area, param: delivery_areas}`` holds for an address outside them.
    """

    kind: Literal["not_in"] = "not_in"
    path: str


class AnyIn(_Operand):
    """Holds when some item of the list at ``path`` is one of ``value`` (a list) or ``param``.

    ``{kind: any_in, path: handoff_roles, value: [shift_lead]}`` holds for
    ``[shift_lead, agent]`` (the order went to the shift lead, then back down), not for
    ``[agent]`` or an empty list.
    """

    kind: Literal["any_in"] = "any_in"
    path: str


class AnyNotIn(_Operand):
    """Holds when some item of the list at ``path`` is none of the listed values (a missing,
    None, item is not such an item, as ``not_in`` does not hold for a missing value).

    ``{kind: any_not_in, path: handoff_roles, value: [agent, shift_lead]}`` holds for
    ``[shift_lead, nobody]``, not for ``[agent]`` or an empty list.
    """

    kind: Literal["any_not_in"] = "any_not_in"
    path: str


TextFold = Literal["none", "case", "zh"]
"""How text is folded before matching: exactly, case-insensitively, or also across
simplified and traditional Chinese (``zh`` implies ``case``)."""


EXCEPTIONS = ("ignore", "negated_by", "negated_after")
"""The exception lists of ``contains``; each may instead name a parameter (``ignore_param``)."""


class Contains(ConditionBase):
    """Holds when the text at ``path`` (or any line of a list of texts) contains any phrase.

    Phrases come from ``phrases`` or from a list parameter ``param``. With ``fold: zh`` (the
    default) matching ignores case and the difference between simplified and traditional
    Chinese: ``{kind: contains, path: transcript, phrases: [这不是我应该做的]}`` holds for a
    line reading ``這不是我應該做的``. A phrase found only inside one of the ``ignore`` phrases
    does not count: ``{kind: contains, path: lines, phrases: [但是], ignore: [不但是]}`` holds for
    ``但是不行`` and not for ``这不但是我们的责任`` ("not only is", no 但是 "but" there).

    A phrase right after one of the ``negated_by`` words, or right after a phrase so negated,
    does not count either: with ``negated_by: [不能, 没有办法]`` the phrases ``保证`` and
    ``一定到`` are not found in ``不能保证一定到`` nor in ``没有办法保证``, and are in
    ``我保证一定到``; one right before one of the ``negated_after`` words does not count
    (``保证不了`` with ``negated_after: [不了]``). Each of these three lists may instead come
    from a ``str_list`` parameter, named by ``ignore_param``, ``negated_by_param`` or
    ``negated_after_param``, so a company sets it in its overrides (an empty list there excepts
    nothing). With ``skip_quoted: true`` a phrase between
    quotation marks (「」, 『』, “”, ‘’, "", '' (never an apostrophe), and the title marks 《》, 〈〉)
    does not count: the agent repeating the customer's words (``您说「不行」``) says no such
    thing to the customer.
    """

    kind: Literal["contains"] = "contains"
    path: str
    phrases: list[str] | None = None
    param: str | None = None
    fold: TextFold = "zh"
    ignore: list[str] | None = None
    negated_by: list[str] | None = None
    negated_after: list[str] | None = None
    skip_quoted: bool = False
    ignore_param: str | None = None
    negated_by_param: str | None = None
    negated_after_param: str | None = None

    @model_serializer(mode="wrap")
    def _unused_dropped(self, handler: SerializerFunctionWrapHandler) -> Any:
        # written only when used: a condition without them keeps the content hash it had
        # before they existed, so decision records replay as the same policy content
        data = handler(self)
        if isinstance(data, dict):
            for name in ("negated_by", "negated_after", "skip_quoted", *(f"{word}_param" for word in EXCEPTIONS)):
                if name in data and data[name] == type(self).model_fields[name].default:
                    del data[name]
        return data

    def words(self, name: str, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The words of the exception list ``name`` (one of :data:`EXCEPTIONS`): written in the
        condition, or the value in ``params`` of the parameter naming them."""
        param = getattr(self, f"{name}_param")
        listed = getattr(self, name) if param is None else params[param]
        return tuple(str(word) for word in listed or ())

    @model_validator(mode="after")
    def _one_source(self) -> Contains:
        exactly_one(self, "contains", ("phrases", "param"))
        for name in EXCEPTIONS:
            if getattr(self, name) is not None and getattr(self, f"{name}_param") is not None:
                raise ValueError(f"contains takes {name} or {name}_param, not both")
        if self.phrases is not None and (not self.phrases or any(blank_phrase(p, self.fold) for p in self.phrases)):
            # a blank phrase is in nearly every text, as an empty one is in every text
            raise ValueError("contains needs at least one phrase, and no phrase may be empty or blank "
                             "(spaces and invisible characters are blank)")
        for name in ("negated_by", "negated_after"):
            words = getattr(self, name)
            if words is not None and (not words or any(blank_phrase(word, self.fold) for word in words)):
                # a blank negation stands beside every phrase, and would silence the rule
                raise ValueError(f"{name} needs at least one word, and no word may be empty or blank")
        for phrase in self.ignore or ():  # compared as matching sees them: 這個 holds 这 under fold zh
            folded = fold_text(phrase, self.fold)
            if self.phrases is not None and not any(fold_text(p, self.fold) in folded for p in self.phrases):
                raise ValueError(f"ignore phrase {phrase!r} holds none of the phrases {self.phrases}: it changes "
                                 "nothing (an ignored phrase is one a phrase is found inside)")
        return self


class IsSet(ConditionBase):
    """Holds when the field at ``path`` has a value (is not None / not missing).

    ``{kind: is_set, path: certificate}`` holds for a request carrying a certificate.
    """

    kind: Literal["is_set"] = "is_set"
    path: str


class IsMissing(ConditionBase):
    """Holds when the field at ``path`` (or any object on the way to it) is None.

    ``{kind: is_missing, path: approver}`` holds for ``approver: null``.
    """

    kind: Literal["is_missing"] = "is_missing"
    path: str


class Elapsed(ConditionBase):
    """Compares the time from ``since`` to ``until`` (a datetime field, or ``now`` when omitted)
    with a duration, a duration parameter, or an int parameter whose ``unit`` is minutes, hours
    or days (read as that many of them: ``max_late_minutes: 20`` is 20 minutes).

    ``{kind: elapsed, since: requested_at, until: shift_start, op: "<", duration: 1d}`` holds
    for a request made 20 hours before the shift, not for one made 30 hours before.
    """

    kind: Literal["elapsed"] = "elapsed"
    since: str
    until: str | None = Field(default=None, description="a datetime field; omitted means now")
    op: CompareOp
    duration: DurationField | None = None
    param: str | None = None
    tz: str | None = Field(default=None, description=(
        "the zone whose wall clock counts the duration's whole days for a fact without a "
        "time_zone; omitted: the policy's timezone, else Asia/Shanghai"))

    _per: timedelta | None = PrivateAttr(default=None)
    """One unit of an int ``param`` (a minute for ``unit: minutes``), set when a policy checks
    the condition against its declared parameters."""

    @model_validator(mode="after")
    def _one_duration(self) -> Elapsed:
        exactly_one(self, "elapsed", ("duration", "param"))
        return self

    def limit(self, params: Mapping[str, Any]) -> Any:
        """The duration compared, with ``params`` the parameter values in force: an int
        parameter as a duration of that many of its units."""
        if self.param is None:
            return self.duration
        value = params[self.param]
        if not isinstance(value, int) or isinstance(value, bool):
            return value
        if self._per is None:  # never checked against the parameter's declaration
            raise PolicyError(f"elapsed reads int parameter {self.param!r} before a policy said its unit")
        return WallDuration(self._per * value, unit=self._per)

    @field_validator("tz", mode="after")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return known_zone(value)

    @property
    def days_zone(self) -> str:
        """The zone whose wall clock counts whole days when the fact names no ``time_zone``."""
        return self.tz or DEFAULT_TIME_ZONE

    @property
    def reads_now(self) -> bool:
        """True when the span ends at ``now``."""
        return self.until is None



# --------------------------------------------------------------------------- boolean kinds


class _JunctionHandler:
    """``all`` and ``any``: one short-circuiting handler, told which result stops it."""

    def __init__(self, kind: str, word: str, stops_on: bool, wording: dict[Lang, tuple[str, str]]) -> None:
        # wording[lang] = (text for an empty list, heading for the parts)
        self.kind, self.word, self.stops_on, self.wording = kind, word, stops_on, wording
        self.empty_means = ("an empty 'any' never holds, so the rule would never apply" if stops_on
                            else "an empty 'all' holds for every fact, so the rule would apply to all of them"
                            " (a rule meant for every fact tests a field every fact has:"
                            " {kind: is_set, path: <a required field>})")

    def check(self, cond: All | Any_, ctx: CheckContext) -> None:
        if not cond.of:  # written by mistake far more often than meant: refuse, never guess
            raise ctx.fail(f"{self.kind} needs at least one condition in 'of' (got an empty list): "
                           f"{self.empty_means}", at=("of",))
        for index, child in enumerate(cond.of):
            check_of(child, ctx.at("of", index))

    def source(self, cond: All | Any_, ctx: CompileContext) -> str:
        return join([source_of(x, ctx) for x in cond.of], self.word)

    def evaluate(self, cond: All | Any_, env: Env) -> TraceNode:
        children, result = [], not self.stops_on
        for child in cond.of:
            if result is self.stops_on:
                children.append(_skipped(child, env))
                continue
            node = env.evaluate(child)
            children.append(node)
            result = node.result is True
        return TraceNode(self.kind, self.describe(cond, "en", env.describe), result, children=tuple(children))

    def describe(self, cond: All | Any_, lang: Lang, ctx: DescribeContext) -> str:
        empty, heading = self.wording[lang]
        return heading if cond.of else empty

    def reads_now(self, cond: All | Any_) -> bool:
        return any(reads_now_of(x) for x in cond.of)

    def words(self, cond: All | Any_, lang: Lang, ctx: DescribeContext, nested: bool, words: Words) -> str:
        """The parts joined into one phrase, bracketed when nested ("a and (b or c)")."""
        if not cond.of:
            return self.describe(cond, lang, ctx)
        if len(cond.of) == 1:
            return words(cond.of[0], lang, ctx, nested=nested)
        parts = [words(child, lang, ctx, nested=True) for child in cond.of]
        glue = {"all": {"zh": "，且", "en": " and "}, "any": {"zh": "，或", "en": " or "}}[self.kind]
        joined = glue[lang].join(parts)
        return f"({joined})" if nested else joined


class _NotHandler:
    def check(self, cond: Not, ctx: CheckContext) -> None:
        check_of(cond.condition, ctx.at("condition"))

    def source(self, cond: Not, ctx: CompileContext) -> str:
        return f"(not {source_of(cond.condition, ctx)})"

    def evaluate(self, cond: Not, env: Env) -> TraceNode:
        node = env.evaluate(cond.condition)
        result = None if node.result is None else not node.result
        return TraceNode("not", self.describe(cond, "en", env.describe), result, children=(node,))

    def describe(self, cond: Not, lang: Lang, ctx: DescribeContext) -> str:
        return "not:" if lang == "en" else "并非："

    def reads_now(self, cond: Not) -> bool:
        return reads_now_of(cond.condition)

    def words(self, cond: Not, lang: Lang, ctx: DescribeContext, nested: bool, words: Words) -> str:
        """The positive opposite where the negated kind offers one ("not is_set": missing)."""
        negated = optional_method(cond.condition, "negated")
        positive = negated(cond.condition) if negated is not None else None
        if positive is None:
            inner = words(cond.condition, lang, ctx, nested=True)
            return f"并非{inner}" if lang == "zh" else f"not {inner}"
        missable = [ctx.label(p, lang) for p in _read_paths(cond.condition) if ctx.may_be_missing(p)]
        if not missable or positive.kind in ("is_set", "is_missing"):
            return words(positive, lang, ctx, nested=nested)
        # a leaf on a missing value is false, so its negation holds then: say so, not just the opposite
        opposite = words(positive, lang, ctx, nested=True)
        if lang == "zh":
            phrase = f"{'或'.join(missable)}未填写，或{opposite}"
        else:
            phrase = f"{' or '.join(missable)} is missing, or {opposite}"
        return f"({phrase})" if nested else phrase


def _read_paths(cond: ConditionBase) -> list[str]:
    """The fact fields a leaf reads (its ``path``, compared ``field``, ``since`` and ``until``)."""
    found = (getattr(cond, name, None) for name in ("path", "field", "since", "until"))
    return [path for path in found if isinstance(path, str)]


def _skipped(cond: ConditionBase, env: Env) -> TraceNode:
    return env.unevaluated(cond)


# --------------------------------------------------------------------------- comparisons


_ISO_EXAMPLES = {"datetime": '"2026-03-02T09:00:00+08:00"', "date": '"2026-03-02"', "time": '"09:00"'}
"""How a literal of each time kind is written."""

_LITERAL_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "datetime": TypeAdapter(datetime),
    "date": TypeAdapter(date),
    "time": TypeAdapter(time),
}


def coerce_literal(info: FieldInfo, value: Any) -> Any:
    """``value`` typed like the field at ``info``; a mismatch raises :class:`PolicyError`.

    Text is never compared with a number, nor a flag with anything but a flag; a value
    outside a field's fixed choices is an error, since the condition could never hold.
    """
    kind = info.kind
    got = f"{type(value).__name__} {value!r}"
    if kind == "bool":
        if not isinstance(value, bool):
            raise PolicyError(f"{info.path} is a yes/no field, compared with {got}", path=info.path)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PolicyError(f"{info.path} is a number, compared with {got}", path=info.path)
    elif kind == "text":
        if not isinstance(value, str):
            raise PolicyError(f"{info.path} is text, compared with {got}", path=info.path)
    elif kind == "duration":
        try:
            duration = parse_duration(value)
        except DurationError as exc:
            raise PolicyError(str(exc), path=info.path) from None
        if not isinstance(duration, WallDuration):
            raise PolicyError(
                f"{info.path} holds clock time; {value!r} is business time", path=info.path
            )
        return duration.delta
    elif kind in _LITERAL_ADAPTERS:
        if not isinstance(value, str | datetime | date | time):  # pydantic reads 1767225600 as a Unix time
            raise PolicyError(f"{info.path} is a {kind}, compared with {got}: write it as ISO 8601 text "
                              f"({_ISO_EXAMPLES[kind]})", path=info.path)
        try:
            value = _LITERAL_ADAPTERS[kind].validate_python(value)
        except ValidationError:
            raise PolicyError(
                f"{info.path} is a {kind}, compared with {got}", path=info.path
            ) from None
        if kind == "datetime" and value.tzinfo is None:
            raise PolicyError(
                f"{info.path}: the datetime literal {value.isoformat()} has no time zone; "
                "add one (e.g. +08:00)",
                path=info.path,
            )
        if kind == "time" and value.tzinfo is not None:
            raise PolicyError(
                f"{info.path}: the time literal {value.isoformat()} carries a UTC offset; a time of day "
                "is compared on the clock the fact gives it: write it without one (e.g. 09:00)",
                path=info.path,
            )
    elif kind in ("model", "other"):
        raise PolicyError(
            f"{info.path} ({info.describe()}) cannot be compared with a literal", path=info.path
        )
    if info.choices is not None and value not in info.choices:
        options = ", ".join(sorted(repr(x) for x in info.choices))
        raise PolicyError(
            f"{value!r} is not a possible value of {info.path} (one of {options})", path=info.path
        )
    return value


_PARAM_KINDS: dict[str, tuple[str, ...]] = {
    "number": ("int", "float"),
    "text": ("str",),
    "bool": ("bool",),
    "duration": ("duration",),
    "time": ("time",),
}


def _check_comparable(
    left: FieldInfo, right_kind: str, op: str, ctx: CheckContext, what: str
) -> None:
    if left.is_collection:
        raise ctx.fail(
            f"{left.path} is a list; compare one of its values with 'in' or 'contains'",
            path=left.path,
        )
    if left.kind != right_kind:
        told = (": only text, numbers, yes/no, date-times, dates, times and durations compare"
                if right_kind == "?" else f" ({right_kind})")
        raise ctx.fail(f"cannot compare {left.path} ({left.describe()}) with {what}{told}", path=left.path)
    if op not in ("==", "!=") and left.kind not in ORDERED:
        raise ctx.fail(
            f"{left.path} is {left.kind}; only == and != apply to it (got {op})", path=left.path
        )


class _CompareHandler:
    def check(self, cond: Compare, ctx: CheckContext) -> None:
        left = ctx.field(cond.path)
        if cond.field is not None:
            right = ctx.field(cond.field, at="field")
            if right.is_collection:
                raise ctx.fail(f"{right.path} is a list", path=right.path, at=("field",))
            _check_comparable(left, right.kind, cond.op, ctx, f"field {right.path}")
            kinds = (scalar_type(left), scalar_type(right))
            if (_plain_enum(kinds[0]) or _plain_enum(kinds[1])) and kinds[0] is not kinds[1]:
                raise ctx.fail(f"{left.path} and {right.path} hold different kinds of value (an enumeration's "
                               "members equal only themselves): compare fields of the same enumeration",
                               path=left.path)
        elif cond.param is not None:
            ctx.param(cond.param, *_PARAM_KINDS.get(left.kind, ("?",)))
            _check_comparable(left, left.kind, cond.op, ctx, f"parameter {cond.param}")
            _check_param_choices(left, cond.param, ctx)
            for value, overridden in ctx.param_values(cond.param):
                if isinstance(value, BusinessDuration):
                    raise ctx.fail_param(
                        f"{value} is business time; {left.path} holds clock time, so they do not compare",
                        cond.param, overridden,
                    )
        else:
            if left.is_collection or left.kind in ("model", "other"):
                _check_comparable(left, "?", cond.op, ctx, "a literal")
            try:
                coerce_literal(left, cond.value)
            except PolicyError as exc:
                raise exc.located(loc=(*ctx.loc, "value")) from None
            _check_comparable(left, left.kind, cond.op, ctx, "a literal")

    def _rhs(self, cond: Compare, params: dict[str, Any], model: type[BaseModel]) -> Any:
        return plain_value(cond, params, model)

    def source(self, cond: Compare, ctx: CompileContext) -> str:
        guards, left = ctx.access(cond.path)
        instants = field_info(ctx.model, cond.path).kind == "datetime"
        if cond.field is not None:
            right_guards, right = ctx.access(cond.field)
            guards = guards + right_guards
            if instants:
                right = f"{ctx.const(instant)}({right}, {cond.field!r})"
            elif _meets_decimal(ctx.model, cond):
                exact = ctx.const(exact_number)
                left, right = f"{exact}({left})", f"{exact}({right})"
        else:
            value = self._rhs(cond, ctx.params, ctx.model)
            if type(value) is bool and cond.op in ("==", "!=") and field_info(ctx.model, cond.path).kind == "bool":
                # a truth test: ``x`` for "x is yes", ``not x`` for "x is no" (a flag holds a bool)
                wanted = value == (cond.op == "==")
                return join([*guards, left if wanted else f"(not {left})"], "and")
            right = ctx.const(instant(value))
        if instants:
            left = f"{ctx.const(instant)}({left}, {cond.path!r})"
        return join([*guards, f"{left} {cond.op} {right}"], "and")

    def evaluate(self, cond: Compare, env: Env) -> TraceNode:
        left = env.get(cond.path)
        right = (
            env.get(cond.field)
            if cond.field is not None
            else self._rhs(cond, env.params, env.model)
        )
        values = {cond.path: left}
        if cond.field is not None:
            values[cond.field] = right
        elif cond.param is not None:
            values[cond.param] = right
        if cond.field is not None and _meets_decimal(env.model, cond):
            left, right = exact_number(left), exact_number(right)
        result = left is not None and right is not None and PY_OPS[cond.op](
            instant(left, cond.path), instant(right, cond.field))
        return TraceNode("compare", self.describe(cond, "en", env.describe), result, values)

    def describe(self, cond: Compare, lang: Lang, ctx: DescribeContext) -> str:
        ops = OPS_ZH if lang == "zh" else OPS_EN
        left = ctx.label(cond.path, lang)
        right = (ctx.label(cond.field, lang) if cond.field is not None
                 else ctx.param_or(cond.param, cond.value, lang))
        if lang == "zh":
            return f"{left}{ops[cond.op]}{right}"
        return f"{left} {ops[cond.op]} {right}"

    def reads_now(self, cond: Compare) -> bool:
        return False

    def negated(self, cond: Compare) -> Compare:
        """The comparison meaning ``not cond`` ("not (approved is yes)": "approved is no")."""
        if isinstance(cond.value, bool) and cond.op in ("==", "!="):
            return cond.model_copy(update={"value": not cond.value})
        return cond.model_copy(update={"op": NEGATED_OP[cond.op]})

    def constraints(self, cond: Compare, params: dict[str, Any]) -> list[Constraint]:
        """A bound on the field when compared with a literal or a parameter."""
        if cond.field is not None:
            return []
        value = params.get(cond.param) if cond.param is not None else cond.value
        return [Constraint(cond.path, cond.op, value, cond.param or repr(cond.value))]


def instant(value: Any, path: str | None = None) -> Any:
    """An aware datetime as its UTC instant, any other value as it is: Python compares two
    datetimes of one zone by their wall clocks, ignoring ``fold``, so in a DST fold the second
    01:30 would come before the first 01:45. A naive datetime read from the fact's field
    ``path`` raises :class:`TimeError` naming it: it is no instant, and Python's own error
    on comparing it with an aware one names nothing."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            if path is not None:
                raise TimeError(naive_field(path, value))
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 with an offset: no fold there, compare as given
            return value
    return value


def exact_number(value: Any) -> Any:
    """A finite float as the decimal it is written as, any other value as it is: compared with a
    ``Decimal`` field, the float ``0.3`` is ``Decimal("0.3")``, not the binary fraction just
    below it that Python compares exactly (``Decimal("0.3") > 0.3`` is true)."""
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    return value


def _meets_decimal(model: type[BaseModel], cond: Compare) -> bool:
    """Whether a comparison of two fields involves a ``Decimal`` field (its other side may hold
    floats, read as the decimals they are written as)."""
    assert cond.field is not None
    return _decimal_pair(model, cond.path, cond.field)


@functools.lru_cache(maxsize=4096)  # asked on every explained comparison of two fields
def _decimal_pair(model: type[BaseModel], path: str, other: str) -> bool:
    kinds = (scalar_type(field_info(model, path)), scalar_type(field_info(model, other)))
    return any(isinstance(kind, type) and issubclass(kind, Decimal) for kind in kinds)


def plain_value(cond: Compare, params: dict[str, Any], model: type[BaseModel]) -> Any:
    """The right-hand side of a comparison with a literal or a parameter, as the fast path
    compares it (literals typed like the field, durations as timedelta)."""
    info = field_info(model, cond.path)
    if cond.param is not None:
        return held(info, _plain(params[cond.param]))
    return held(info, coerce_literal(info, cond.value))


def _plain_enum(kind: Any) -> bool:
    """Whether ``kind`` is an enumeration whose members equal no text or number (no mixin)."""
    return isinstance(kind, type) and issubclass(kind, enum.Enum) and not issubclass(kind, str | int | float)


def held(info: FieldInfo, value: Any) -> Any:
    """``value`` (a checked literal or parameter value) as the field at ``info`` holds it: the
    member of an enumeration (``"red"`` is ``Colour.RED``, which a plain enum never equals), and
    the decimal a file writes for a ``Decimal`` field (``0.3`` is ``Decimal("0.3")``, not the
    binary float just above it)."""
    kind = scalar_type(info)
    if value is None or not isinstance(kind, type):
        return value
    if issubclass(kind, enum.Enum) and not isinstance(value, kind):
        try:
            return kind(value)
        except ValueError:  # not a member: the checker refused it, or a choice-free field never holds it
            return value
    if issubclass(kind, Decimal) and isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return value


# --------------------------------------------------------------------------- spans of clock time


class WallSpan:
    """Whether the time from one instant to another compares with a clock duration that counts
    whole days (``1d``, ``1d12h``): ``end`` against the instant the duration ends after
    ``start``, its days counted on the wall clock of the fact's ``time_zone`` (else ``zone``),
    as :func:`~csrules._time.nominal.add_duration` reads a duration. Bound into compiled code
    by ``elapsed`` and ``notice``; the explaining path calls the same object, so both agree."""

    __slots__ = ("days", "duration", "last", "length", "op", "paths", "rest", "zone")

    def __init__(self, duration: WallDuration | timedelta, op: str, zone: str, paths: tuple[str, str]) -> None:
        self.duration, self.op, self.zone = duration, PY_OPS[op], zone
        self.days, self.rest = split_days(duration)
        self.length = timedelta(days=self.days) + self.rest  # the duration itself
        self.last = HORIZON - self.length  # the latest start the steady-offset fast path takes
        self.paths = paths  # the fields named in errors (since, until or "now")

    def reached(self, start: datetime, fact: object) -> datetime:
        """The instant the duration ends after ``start`` (UTC)."""
        return reach_utc(aware_field(start, self.paths[0]), self.days, self.rest, fact_zone(fact, self.zone))

    def __call__(self, start: datetime, end: datetime, fact: object) -> bool:
        begin = aware_field(start, self.paths[0])
        zone, steady = steady_zone(fact_zone(fact, self.zone))
        if steady is not None and steady <= begin <= self.last:  # one UTC offset: days are 24 hours
            return bool(self.op(aware_field(end, self.paths[1]) - begin, self.length))
        return bool(self.op(aware_field(end, self.paths[1]), reach_utc(begin, self.days, self.rest, zone)))

    def explain(self, start: datetime, end: datetime, fact: object, values: dict[str, Any]) -> bool:
        """:meth:`__call__` for a trace: records where the duration ends when its wall days are
        not 24 hours each (a clock change in between)."""
        reached = self.reached(start, fact)
        if reached - aware_field(start, self.paths[0]) != self.length:
            shown = reached.astimezone(cached_zone(fact_zone(fact, self.zone)))
            values[f"{self.duration} after {self.paths[0]}"] = shown
        return self(start, end, fact)

    def __repr__(self) -> str:
        return f"<{self.duration} on the wall clock of the fact's zone, else {self.zone}>"


def wall_span(duration: object, op: str, zone: str, paths: tuple[str, str]) -> WallSpan | None:
    """A :class:`WallSpan` for ``duration`` when it counts whole days on the wall clock, else
    None (hours and minutes are elapsed time: the span is compared as it is)."""
    if not isinstance(duration, WallDuration | timedelta) or not split_days(duration)[0]:
        return None
    return WallSpan(duration, op, zone, paths)


def _wall_span(cond: Elapsed, duration: Any) -> WallSpan | None:
    """The test of an ``elapsed`` whose duration counts whole days on the wall clock (of the
    fact's ``time_zone``, else the condition's ``tz``, which a policy's ``timezone`` fills, else
    Asia/Shanghai); None when it is elapsed time alone."""
    return wall_span(duration, cond.op, cond.days_zone, (cond.since, cond.until or "now"))


def known_zone(value: str | None) -> str | None:
    """``value``, a condition's ``tz``, once the zone data knows it (else its CalendarError)."""
    if value is not None:
        load_zone(value)
    return value


ELAPSED_UNITS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1), "days": timedelta(days=1)}
"""The units an int parameter of an ``elapsed`` may count in."""


def _unit_of(name: str, unit: str | None, ctx: CheckContext) -> timedelta:
    """One ``unit`` of the int parameter ``name`` an ``elapsed`` reads; any other unit (or
    none) is refused, as the number would be no span of time."""
    if unit not in ELAPSED_UNITS:
        raise ctx.fail(f"parameter {name!r} is int with unit {unit!r}; elapsed reads an int parameter "
                       f"only in {', '.join(ELAPSED_UNITS)} (or use a duration parameter)", at=("param",))
    return ELAPSED_UNITS[unit]


def _plain(value: Any) -> Any:
    """Parameter values as the fast path compares them (durations as timedelta)."""
    if isinstance(value, WallDuration):
        return value.delta
    return value


def _check_param_choices(info: FieldInfo, name: str, ctx: CheckContext) -> None:
    """Every value parameter ``name`` may run with (its default, and the override in force) is a
    possible value of a field with fixed choices: the check a literal in the rule gets."""
    if info.choices is None:
        return
    for value, overridden in ctx.param_values(name):
        for item in value if isinstance(value, list | tuple) else (value,):
            if item not in info.choices:
                options = ", ".join(sorted(repr(x) for x in info.choices))
                raise ctx.fail_param(
                    f"{item!r} is not a possible value of {info.path} (one of {options})", name, overridden
                )


_Members = In | NotIn | AnyIn | AnyNotIn
"""The membership kinds: of the field's value, or of some item of a list field."""


class _MembershipHandler:
    def __init__(self, negate: bool) -> None:
        self.negate = negate

    items = False  # whether the field is a list read item by item (any_in, any_not_in)

    def check(self, cond: _Members, ctx: CheckContext) -> None:
        info = ctx.field(cond.path)
        if info.is_collection != self.items or info.kind not in ("text", "number"):
            what = "a list of texts or numbers" if self.items else "a text or number field"
            raise ctx.fail(f"{cond.kind} needs {what}; {cond.path} is {info.describe()}", path=cond.path)
        if self.items:  # each item is checked as the field of in / not_in is
            info = replace(info, is_collection=False)
        if cond.field is not None:
            raise ctx.fail(
                f"{cond.kind} takes a list 'value' or a list 'param', not a field", at=("field",)
            )
        if cond.param is not None:
            ctx.param(cond.param, "str_list")
            if info.kind != "text":
                raise ctx.fail(
                    f"{cond.path} is a number; a str_list parameter cannot hold it", at=("param",)
                )
            _check_param_choices(info, cond.param, ctx)
            for value, overridden in ctx.param_values(cond.param):
                if not value:  # as a literal list must: in of nothing never holds, not_in always
                    raise ctx.fail_param(f"{cond.kind} needs a non-empty list of values (got [])", cond.param,
                                         overridden)
            return
        if not isinstance(cond.value, list) or not cond.value:
            raise ctx.fail(
                f"{cond.kind} needs a non-empty list of values (got {cond.value!r})", at=("value",)
            )
        for index, item in enumerate(cond.value):
            try:
                coerce_literal(info, item)
            except PolicyError as exc:
                raise exc.located(loc=(*ctx.loc, "value", index)) from None

    def _values(self, cond: _Members, params: dict[str, Any], model: type[BaseModel]) -> frozenset[Any]:
        info = field_info(model, cond.path)
        return frozenset(held(info, v) for v in (params[cond.param] if cond.param is not None else cond.value))

    def source(self, cond: _Members, ctx: CompileContext) -> str:
        guards, expr = ctx.access(cond.path)
        values = ctx.const(self._values(cond, ctx.params, ctx.model))
        op = "not in" if self.negate else "in"
        # an optional value has a guard, so a missing one is false for both in and not_in
        return join([*guards, f"{expr} {op} {values}"], "and")

    def evaluate(self, cond: _Members, env: Env) -> TraceNode:
        value = env.get(cond.path)
        values = self._values(cond, env.params, env.model)
        result = value is not None and ((value not in values) if self.negate else (value in values))
        return TraceNode(
            cond.kind, self.describe(cond, "en", env.describe), result, {cond.path: value}
        )

    subject: ClassVar[Mapping[str, str]] = {"en": "{label}", "zh": "{label}"}
    """What the membership is said of: the field itself (``any_in`` says "some item of" it)."""

    def describe(self, cond: _Members, lang: Lang, ctx: DescribeContext) -> str:
        said = self.subject[lang].format(label=ctx.label(cond.path, lang))
        listed = ctx.param_or(cond.param, cond.value, lang)
        if lang == "zh":
            return f"{said}{'不' if self.negate else ''}属于{listed}"
        return f"{said} is {'none' if self.negate else 'one'} of {listed}"

    def reads_now(self, cond: _Members) -> bool:
        return False

    def negated(self, cond: _Members) -> NotIn | None:
        """``not in`` for ``in``."""
        if self.negate:
            return None
        return NotIn(path=cond.path, value=cond.value, param=cond.param)

    def constraints(self, cond: _Members, params: dict[str, Any]) -> list[Constraint]:
        """The values the field is allowed (``in``) or refused (``not_in``)."""
        values = params.get(cond.param) if cond.param is not None else cond.value
        if cond.field is not None or not isinstance(values, list | tuple | set | frozenset):
            return []
        return [Constraint(cond.path, "not in" if self.negate else "in", values, "")]


class _ItemsHandler(_MembershipHandler):
    """``any_in`` / ``any_not_in``: membership read item by item over a list of texts or numbers."""

    items = True
    subject: ClassVar[Mapping[str, str]] = {"en": "some item of {label}", "zh": "{label}中有一项"}

    def source(self, cond: _Members, ctx: CompileContext) -> str:
        guards, expr = ctx.access(cond.path)
        held_values = self._values(cond, ctx.params, ctx.model)
        # some item outside the values (any_not_in), or not every item outside them (any_in); a
        # missing (None) item is outside nothing, as a missing value is for not_in
        values = ctx.const(held_values | {None} if self.negate else held_values)
        test = f"not {values}.issuperset({expr})" if self.negate else f"not {values}.isdisjoint({expr})"
        return join([*guards, test], "and")

    def evaluate(self, cond: _Members, env: Env) -> TraceNode:
        items = env.get(cond.path)
        values = self._values(cond, env.params, env.model)
        result = items is not None and any((item is not None and item not in values) if self.negate
                                           else (item in values) for item in items)
        return TraceNode(cond.kind, self.describe(cond, "en", env.describe), result, {cond.path: items})

    def negated(self, cond: _Members) -> NotIn | None:
        """None: no single kind says "no item is one of" (``not`` words it)."""
        del cond
        return None

    def constraints(self, cond: _Members, params: dict[str, Any]) -> list[Constraint]:
        """None: the constraints of a list's items are not the list's."""
        return []


def _exception_words(cond: Contains, name: str, ctx: DescribeContext, lang: Lang) -> str:
    """The words of a ``contains``'s exception list ``name`` for its plain words: the list,
    or the parameter's value with its name; empty when none are excepted."""
    param = getattr(cond, f"{name}_param")
    if param is None:
        return ", ".join(getattr(cond, name) or ())
    return ctx.param(param, lang) if ctx.params.get(param) else ""


class _ContainsHandler:
    def check(self, cond: Contains, ctx: CheckContext) -> None:
        info = ctx.field(cond.path)
        if info.kind != "text":
            raise ctx.fail(
                f"contains needs a text field (or list of texts); {cond.path} is {info.describe()}",
                path=cond.path,
            )
        if _plain_enum(scalar_type(info)):
            raise ctx.fail(f"contains reads text; {cond.path} holds an enumeration's members: compare it "
                           "with in or compare instead", path=cond.path)
        if cond.param is not None:
            ctx.param(cond.param, "str_list", "str")
        for name in EXCEPTIONS:
            param = getattr(cond, f"{name}_param")
            if param is None:
                continue
            ctx.param(param, "str_list", at=f"{name}_param")
            for value, overridden in ctx.param_values(param):
                if any(blank_phrase(str(word), cond.fold) for word in value or ()):
                    # a blank exception stands beside every phrase (or holds it), and would silence the rule
                    raise ctx.fail_param(f"{name}_param {param!r}: no word may be empty or blank", param,
                                         overridden, at=f"{name}_param")

    def matcher(self, cond: Contains, params: dict[str, Any]) -> TextMatcher:
        """The compiled matcher for ``cond`` with these parameter values."""
        phrases: Any = cond.phrases if cond.param is None else params[cond.param]
        if isinstance(phrases, str):
            phrases = [phrases]
        return TextMatcher(tuple(str(p) for p in phrases), cond.fold, cond.words("ignore", params),
                           negated_by=cond.words("negated_by", params),
                           negated_after=cond.words("negated_after", params), skip_quoted=cond.skip_quoted)

    def source(self, cond: Contains, ctx: CompileContext) -> str:
        guards, expr = ctx.access(cond.path)
        matcher = ctx.const(self.matcher(cond, ctx.params))
        return join([*guards, f"{matcher}({expr})"], "and")

    def evaluate(self, cond: Contains, env: Env) -> TraceNode:
        value = env.get(cond.path)
        found = self.matcher(cond, env.params).find(value) if value is not None else None
        values: dict[str, Any] = {cond.path: value}
        if found is not None:
            values["found"] = found
        return TraceNode(
            "contains", self.describe(cond, "en", env.describe), found is not None, values
        )

    def describe(self, cond: Contains, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        listed = ctx.param_or(cond.param, cond.phrases, lang)
        ignored, negators, after = (_exception_words(cond, name, ctx, lang) for name in EXCEPTIONS)
        if lang == "zh":
            return (f"{label}包含以下任一用语：{listed}" + (f"（不計在以下用語之內的：{ignored}）" if ignored else "")
                    + (f"（不計緊接在以下否定詞之後的：{negators}）" if negators else "")
                    + (f"（不計緊接在以下詞語之前的：{after}）" if after else "")
                    + ("（不計引號內的）" if cond.skip_quoted else ""))
        return (f"{label} contains any of {listed}" + (f" (not counting them inside {ignored})" if ignored else "")
                + (f" (not counting them right after {negators})" if negators else "")
                + (f" (not counting them right before {after})" if after else "")
                + (" (not counting quoted words)" if cond.skip_quoted else ""))

    def reads_now(self, cond: Contains) -> bool:
        return False


class _PresenceHandler:
    def __init__(self, want_set: bool) -> None:
        self.want_set = want_set

    def check(self, cond: IsSet | IsMissing, ctx: CheckContext) -> None:
        ctx.field(cond.path)

    def source(self, cond: IsSet | IsMissing, ctx: CompileContext) -> str:
        guards, expr = ctx.access(cond.path)
        del expr  # only the guards matter: a required field is always present
        present = join(guards, "and")
        return present if self.want_set else f"(not {present})"

    def evaluate(self, cond: IsSet | IsMissing, env: Env) -> TraceNode:
        value = env.get(cond.path)
        result = (value is not None) == self.want_set
        return TraceNode(
            cond.kind, self.describe(cond, "en", env.describe), result, {cond.path: value}
        )

    def describe(self, cond: IsSet | IsMissing, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        if lang == "zh":
            return f"{label}{'已填写' if self.want_set else '未填写'}"
        return f"{label} is {'given' if self.want_set else 'missing'}"

    def reads_now(self, cond: IsSet | IsMissing) -> bool:
        return False

    def negated(self, cond: IsSet | IsMissing) -> IsSet | IsMissing:
        """``is_missing`` for ``is_set`` and back."""
        return IsSet(path=cond.path) if not self.want_set else IsMissing(path=cond.path)

    def constraints(self, cond: IsSet | IsMissing, params: dict[str, Any]) -> list[Constraint]:
        """The field given, or missing."""
        return [Constraint(cond.path, "given" if self.want_set else "missing", None, "")]


class _ElapsedHandler:
    def check(self, cond: Elapsed, ctx: CheckContext) -> None:
        for name, path in (("since", cond.since), ("until", cond.until)):
            if path is None:
                continue
            info = ctx.field(path, at=name)
            if info.kind != "datetime" or info.is_collection:
                raise ctx.fail(
                    f"elapsed needs datetime fields; {path} is {info.describe()}",
                    path=path,
                    at=(name,),
                )
        if cond.param is None:
            values = [(cond.duration, False)]
        else:
            declared = ctx.param(cond.param, "duration", "int")
            values = ctx.param_values(cond.param)
            if declared.type == "int":
                cond._per = _unit_of(cond.param, declared.unit, ctx)
        for duration, overridden in values:
            if isinstance(duration, BusinessDuration):
                raise ctx.fail_param(
                    f"{duration} is business time; elapsed measures clock time "
                    "(use a business-time condition with a calendar)",
                    cond.param or "", overridden, "duration" if cond.param is None else "param",
                )

    def _duration(self, cond: Elapsed, params: dict[str, Any]) -> Any:
        return cond.limit(params)

    def source(self, cond: Elapsed, ctx: CompileContext) -> str:
        guards, start = ctx.access(cond.since)
        if cond.until is None:
            end = "now"
        else:
            end_guards, end = ctx.access(cond.until)
            guards = guards + end_guards
        wall = _wall_span(cond, self._duration(cond, ctx.params))
        if wall is not None:  # whole days: counted on the wall clock of the fact's zone
            return join([*guards, f"{ctx.const(wall)}({start}, {end}, f)"], "and")
        limit = ctx.const(_plain(self._duration(cond, ctx.params)))
        utc = ctx.const(aware_field)  # instants in UTC: 24 h is 24 h across a DST change
        span = f"{utc}({end}, {cond.until or 'now'!r}) - {utc}({start}, {cond.since!r})"
        return join([*guards, f"({span}) {cond.op} {limit}"], "and")

    def evaluate(self, cond: Elapsed, env: Env) -> TraceNode:
        start = env.get(cond.since)
        end = env.now if cond.until is None else env.get(cond.until)
        limit = _plain(self._duration(cond, env.params))
        values: dict[str, Any] = {cond.since: start, cond.until or "now": end}
        if start is None or end is None:
            return TraceNode("elapsed", self.describe(cond, "en", env.describe), False, values)
        span = aware_field(end, cond.until or "now") - aware_field(start, cond.since)
        values["elapsed"] = span
        wall = _wall_span(cond, self._duration(cond, env.params))
        return TraceNode(
            "elapsed",
            self.describe(cond, "en", env.describe),
            PY_OPS[cond.op](span, limit) if wall is None else wall.explain(start, end, env.fact, values),
            values,
        )

    def describe(self, cond: Elapsed, lang: Lang, ctx: DescribeContext) -> str:
        since = ctx.label(cond.since, lang)
        until = (
            ctx.label(cond.until, lang)
            if cond.until is not None
            else ("now" if lang == "en" else "当前时间")
        )
        amount = ctx.param_or(cond.param, cond.duration, lang)
        if cond.param is not None and cond.param in ctx.params and cond._per is not None:
            amount = f"{show_value(cond.limit(ctx.params), lang)} ({cond.param})"  # 20 minutes, not 20
        if lang == "zh":
            return f"从{since}到{until}{SPAN_ZH[cond.op]}{amount}"
        return f"{SPAN_EN[cond.op]} {amount} from {since} to {until}"

    def reads_now(self, cond: Elapsed) -> bool:
        return cond.until is None

    def waits(self, cond: Elapsed, params: dict[str, Any]) -> Any:
        """The duration the rule waits for (documents order escalations by it): only a lower
        bound on the time elapsed until now delays a step; an upper bound (``< 2d``) only ends
        the step's window."""
        if not (cond.reads_now and cond.op in (">", ">=")):
            return None
        return cond.limit(params) if cond.param is None or cond.param in params else None

    def negated(self, cond: Elapsed) -> Elapsed:
        """The opposite comparison of the same span."""
        return cond.model_copy(update={"op": NEGATED_OP[cond.op]})

    def constraints(self, cond: Elapsed, params: dict[str, Any]) -> list[Constraint]:
        """A bound on the span from ``since`` to ``until``."""
        value = cond.limit(params) if cond.param is None or cond.param in params else None
        subject = f"elapsed from {cond.since} to {cond.until or 'now'}"
        return [Constraint(subject, cond.op, value, cond.param or str(cond.duration))]


register_kind(All, _JunctionHandler("all", "and", False, {"en": ("always", "all of:"), "zh": ("总是", "同时满足：")}))
register_kind(Any_, _JunctionHandler("any", "or", True, {"en": ("never", "any of:"), "zh": ("从不", "满足其一：")}))
register_kind(Not, _NotHandler())
register_kind(Compare, _CompareHandler())
register_kind(In, _MembershipHandler(negate=False))
register_kind(NotIn, _MembershipHandler(negate=True))
register_kind(AnyIn, _ItemsHandler(negate=False))
register_kind(AnyNotIn, _ItemsHandler(negate=True))
register_kind(Contains, _ContainsHandler())
register_kind(IsSet, _PresenceHandler(want_set=True))
register_kind(IsMissing, _PresenceHandler(want_set=False))
register_kind(Elapsed, _ElapsedHandler())
