"""The table of condition kinds: for each ``kind``, the handler that checks, compiles, traces
and describes it.

A handler has four jobs, and each is small:

- ``check`` proves the condition can work against the fact model (fields exist, types fit);
- ``source`` returns a Python expression for the compiled fast path, over the fact ``f`` and
  ``now``; values enter it only as named constants (:meth:`CompileContext.const`), never as
  code;
- ``evaluate`` interprets the condition and returns a :class:`TraceNode` (the slow, explaining
  path, run only when someone reads a trace);
- ``describe`` renders it in plain words, in English or Chinese, for documents and traces.

New kinds register with :func:`register_kind`; nothing here changes.
"""

from __future__ import annotations

import itertools
import keyword
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from csrules._policy.facts import FieldInfo, field_info, read_path
from csrules._policy.kinds import nodes as c
from csrules._policy.text import TextMatcher
from csrules._policy.trace import TraceNode
from csrules._time.calendar import ensure_aware
from csrules._time.durations import BusinessDuration, WallDuration, parse_duration
from csrules.exceptions import DurationError, PolicyError

if TYPE_CHECKING:
    from csrules._policy.model import Parameter

__all__ = [
    "CheckContext",
    "CompileContext",
    "DescribeContext",
    "Env",
    "KindHandler",
    "condition_classes",
    "handler_for",
    "register_kind",
]

Lang = Literal["en", "zh"]
CondT = TypeVar("CondT", bound=c.ConditionBase, contravariant=True)


# --------------------------------------------------------------------------- contexts


@dataclass
class CheckContext:
    """What a handler's ``check`` may ask: fields of the fact model and the policy's parameters."""

    model: type[BaseModel]
    params: dict[str, Parameter]
    loc: tuple[str | int, ...] = ()
    used_params: set[str] = field(default_factory=set)

    def at(self, *parts: str | int) -> CheckContext:
        """The same context one level deeper (for error locations)."""
        return CheckContext(self.model, self.params, self.loc + parts, self.used_params)

    def fail(
        self, message: str, *, path: str | None = None, at: tuple[str | int, ...] = ()
    ) -> PolicyError:
        """A located :class:`PolicyError` for the caller to raise."""
        return PolicyError(message, path=path, loc=self.loc + at)

    def field(self, path: str, *, at: str = "path") -> FieldInfo:
        """The static type of ``path``; unknown fields raise a located error."""
        try:
            return field_info(self.model, path)
        except PolicyError as exc:
            raise exc.located(loc=(*self.loc, at), path=path) from None

    def param(self, name: str, *types: str, at: str = "param") -> Parameter:
        """The parameter ``name``, which must have one of ``types``."""
        if name not in self.params:
            known = ", ".join(sorted(self.params)) or "none declared"
            raise self.fail(f"unknown parameter {name!r} (declared: {known})", at=(at,))
        param = self.params[name]
        if types and param.type not in types:
            raise self.fail(
                f"parameter {name!r} is {param.type}, but this needs {' or '.join(types)}",
                at=(at,),
            )
        self.used_params.add(name)
        return param


class CompileContext:
    """Collects the constants and temporaries of one generated function."""

    def __init__(
        self,
        model: type[BaseModel],
        params: dict[str, Any],
        *,
        constants: dict[str, Any] | None = None,
        counter: Iterator[int] | None = None,
    ) -> None:
        # Several policies compile into one module: they share the names and the counter.
        self.model = model
        self.params = params
        self.constants: dict[str, Any] = {} if constants is None else constants
        self._counter = itertools.count() if counter is None else counter
        self._getters: dict[str, str] = {}

    def const(self, value: Any) -> str:
        """Bind ``value`` to a fresh name in the generated module and return the name."""
        name = f"_k{next(self._counter)}"
        self.constants[name] = value
        return name

    def temp(self) -> str:
        """A fresh local name for a walrus temporary."""
        return f"_t{next(self._counter)}"

    def access(self, path: str) -> tuple[list[str], str]:
        """Guards and the expression that reads ``path`` from the fact ``f``.

        Optional steps become ``(_t := f.a) is not None`` guards so that a missing object
        on the way makes the whole condition false instead of raising. This is the one place
        a field name meets source text: see :meth:`attribute`.
        """
        info = field_info(self.model, path)
        expr, guards = "f", []
        for part, optional in zip(path.split("."), info.optional_steps, strict=True):
            expr = self.attribute(expr, part)
            if optional:
                name = self.temp()
                guards.append(f"({name} := {expr}) is not None")
                expr = name
        return guards, expr

    def attribute(self, expr: str, name: str) -> str:
        """The expression reading attribute ``name`` of ``expr``.

        Plain ``expr.name`` only for ASCII identifiers that are not keywords: Python reads
        any other identifier NFKC-normalised (``ﬁx`` as ``fix``) and a keyword not at all.
        Every other name is read by an ``attrgetter`` bound as a constant, exactly as spelt.
        """
        if name.isascii() and name.isidentifier() and not keyword.iskeyword(name):
            return f"{expr}.{name}"
        getter = self._getters.get(name)
        if getter is None:
            getter = self._getters[name] = self.const(attrgetter(name))
        return f"{getter}({expr})"


@dataclass
class Env:
    """What the explaining interpreter sees: the fact, ``now`` and the parameter values."""

    fact: Any
    now: datetime | None
    params: dict[str, Any]
    model: type[BaseModel]
    describe: DescribeContext

    def get(self, path: str) -> Any:
        """The value at ``path``, or None when it or any object on the way is missing."""
        return read_path(self.fact, path)

    def evaluate(self, cond: c.ConditionBase) -> TraceNode:
        """Evaluate a nested condition, recording an error as data rather than raising."""
        handler = handler_for(cond)
        try:
            return handler.evaluate(cond, self)
        except Exception as exc:  # a rule that fails is reported in its trace, not raised
            return TraceNode(
                cond.kind, handler.describe(cond, "en", self.describe), None, error=repr(exc)
            )


@dataclass
class DescribeContext:
    """Names fields and shows parameter values for plain-words text."""

    model: type[BaseModel] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def label(self, path: str, lang: Lang) -> str:
        """A field's human name: its model ``title`` (English) or ``zh`` extra, else the path."""
        if self.model is not None:
            try:
                info = _field_definition(self.model, path)
            except (PolicyError, AttributeError, KeyError):
                info = None
            if info is not None:
                extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
                if lang == "zh" and isinstance(extra.get("zh"), str):
                    return str(extra["zh"])
                if info.title:
                    return str(info.title)
        return path.replace("_", " ").replace(".", " › ")

    def param(self, name: str, lang: Lang) -> str:
        """A parameter's value in force, in words, with its name for reference."""
        value = self.params.get(name)
        shown = show_value(value, lang) if name in self.params else name
        return f"{shown} ({name})"


def _field_definition(model: type[BaseModel], path: str) -> Any:
    parts = path.split(".")
    for part in parts[:-1]:
        inner = field_info(model, part).model
        if inner is None:
            return None
        model = inner
    name = parts[-1]
    return model.model_fields.get(name) or model.model_computed_fields[name]


def show_value(value: Any, lang: Lang = "en") -> str:
    """A literal or parameter value as a person reads it."""
    if isinstance(value, WallDuration | BusinessDuration):
        return value.describe(lang)
    if isinstance(value, timedelta):
        return WallDuration(value).describe(lang)
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if isinstance(value, list | tuple | frozenset | set):
        items = sorted(value, key=str) if isinstance(value, frozenset | set) else value
        return ", ".join(show_value(v, lang) for v in items)
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


# --------------------------------------------------------------------------- the table


class KindHandler(Protocol, Generic[CondT]):
    """What every condition kind provides. See the module docstring."""

    def check(self, cond: CondT, ctx: CheckContext) -> None:
        """Raise a located :class:`PolicyError` when the condition cannot work."""

    def source(self, cond: CondT, ctx: CompileContext) -> str:
        """A Python boolean expression over ``f`` and ``now``."""

    def evaluate(self, cond: CondT, env: Env) -> TraceNode:
        """Interpret the condition, recording the values seen."""

    def describe(self, cond: CondT, lang: Lang, ctx: DescribeContext) -> str:
        """Plain words."""

    def reads_now(self, cond: CondT) -> bool:
        """Whether the condition needs ``now``."""


_HANDLERS: dict[str, KindHandler[Any]] = {}
_CLASSES: dict[str, type[c.ConditionBase]] = {}


def register_kind(cls: type[c.ConditionBase], handler: KindHandler[Any]) -> None:
    """Add a condition kind to the table (its ``kind`` literal is the key)."""
    kind = cls.model_fields["kind"].default
    if not isinstance(kind, str):
        raise TypeError(f"{cls.__name__}.kind must default to its tag string")
    _HANDLERS[kind] = handler
    _CLASSES[kind] = cls


def handler_for(cond: c.ConditionBase) -> KindHandler[Any]:
    """The handler of ``cond``'s kind."""
    return _HANDLERS[cond.kind]


def condition_classes() -> Iterator[type[c.ConditionBase]]:
    """Every registered condition class, in registration order."""
    return iter(_CLASSES.values())


def walk(cond: c.ConditionBase) -> Iterator[c.ConditionBase]:
    """Every condition in the tree, parents first (iterative)."""
    stack = [cond]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


# --------------------------------------------------------------------------- wording

_OPS_EN = {
    "==": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_OPS_ZH = {"==": "等于", "!=": "不等于", "<": "小于", "<=": "不超过", ">": "大于", ">=": "不少于"}
_SPAN_EN = {
    "==": "exactly",
    "!=": "other than",
    "<": "less than",
    "<=": "at most",
    ">": "more than",
    ">=": "at least",
}
_SPAN_ZH = {"==": "恰好", "!=": "不是", "<": "不足", "<=": "不超过", ">": "超过", ">=": "至少"}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}
_ORDERED = {"number", "datetime", "date", "time", "duration"}


def _join(parts: list[str], word: str) -> str:
    return "(" + f" {word} ".join(parts) + ")" if parts else ("True" if word == "and" else "False")


# --------------------------------------------------------------------------- boolean kinds


class _JunctionHandler:
    """``all`` and ``any``: one short-circuiting handler, told which result stops it."""

    def __init__(self, kind: str, word: str, stops_on: bool, words: dict[Lang, tuple[str, str]]) -> None:
        # words[lang] = (text for an empty list, heading for the parts)
        self.kind, self.word, self.stops_on, self.words = kind, word, stops_on, words

    def check(self, cond: c.All | c.Any_, ctx: CheckContext) -> None:
        for index, child in enumerate(cond.of):
            handler_for(child).check(child, ctx.at("of", index))

    def source(self, cond: c.All | c.Any_, ctx: CompileContext) -> str:
        return _join([handler_for(x).source(x, ctx) for x in cond.of], self.word)

    def evaluate(self, cond: c.All | c.Any_, env: Env) -> TraceNode:
        children, result = [], not self.stops_on
        for child in cond.of:
            if result is self.stops_on:
                children.append(_skipped(child, env))
                continue
            node = env.evaluate(child)
            children.append(node)
            result = node.result is True
        return TraceNode(self.kind, self.describe(cond, "en", env.describe), result, children=tuple(children))

    def describe(self, cond: c.All | c.Any_, lang: Lang, ctx: DescribeContext) -> str:
        empty, heading = self.words[lang]
        return heading if cond.of else empty

    def reads_now(self, cond: c.All | c.Any_) -> bool:
        return any(handler_for(x).reads_now(x) for x in cond.of)


class _NotHandler:
    def check(self, cond: c.Not, ctx: CheckContext) -> None:
        handler_for(cond.condition).check(cond.condition, ctx.at("condition"))

    def source(self, cond: c.Not, ctx: CompileContext) -> str:
        return f"(not {handler_for(cond.condition).source(cond.condition, ctx)})"

    def evaluate(self, cond: c.Not, env: Env) -> TraceNode:
        node = env.evaluate(cond.condition)
        result = None if node.result is None else not node.result
        return TraceNode("not", self.describe(cond, "en", env.describe), result, children=(node,))

    def describe(self, cond: c.Not, lang: Lang, ctx: DescribeContext) -> str:
        return "not:" if lang == "en" else "并非："

    def reads_now(self, cond: c.Not) -> bool:
        return handler_for(cond.condition).reads_now(cond.condition)


def _skipped(cond: c.ConditionBase, env: Env) -> TraceNode:
    return TraceNode(cond.kind, handler_for(cond).describe(cond, "en", env.describe), None)


# --------------------------------------------------------------------------- comparisons


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
        raise ctx.fail(
            f"cannot compare {left.path} ({left.describe()}) with {what} ({right_kind})",
            path=left.path,
        )
    if op not in ("==", "!=") and left.kind not in _ORDERED:
        raise ctx.fail(
            f"{left.path} is {left.kind}; only == and != apply to it (got {op})", path=left.path
        )


class _CompareHandler:
    def check(self, cond: c.Compare, ctx: CheckContext) -> None:
        left = ctx.field(cond.path)
        if cond.field is not None:
            right = ctx.field(cond.field, at="field")
            if right.is_collection:
                raise ctx.fail(f"{right.path} is a list", path=right.path, at=("field",))
            _check_comparable(left, right.kind, cond.op, ctx, f"field {right.path}")
        elif cond.param is not None:
            param = ctx.param(cond.param, *_PARAM_KINDS.get(left.kind, ("?",)))
            del param
            _check_comparable(left, left.kind, cond.op, ctx, f"parameter {cond.param}")
        else:
            if left.is_collection or left.kind in ("model", "other"):
                _check_comparable(left, "?", cond.op, ctx, "a literal")
            try:
                coerce_literal(left, cond.value)
            except PolicyError as exc:
                raise exc.located(loc=(*ctx.loc, "value")) from None
            _check_comparable(left, left.kind, cond.op, ctx, "a literal")

    def _rhs(self, cond: c.Compare, params: dict[str, Any], model: type[BaseModel]) -> Any:
        if cond.param is not None:
            return _plain(params[cond.param])
        return coerce_literal(field_info(model, cond.path), cond.value)

    def source(self, cond: c.Compare, ctx: CompileContext) -> str:
        guards, left = ctx.access(cond.path)
        if cond.field is not None:
            right_guards, right = ctx.access(cond.field)
            guards = guards + right_guards
        else:
            right = ctx.const(self._rhs(cond, ctx.params, ctx.model))
        return _join([*guards, f"{left} {cond.op} {right}"], "and")

    def evaluate(self, cond: c.Compare, env: Env) -> TraceNode:
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
        result = left is not None and right is not None and _PY_OPS[cond.op](left, right)
        return TraceNode("compare", self.describe(cond, "en", env.describe), result, values)

    def describe(self, cond: c.Compare, lang: Lang, ctx: DescribeContext) -> str:
        ops = _OPS_ZH if lang == "zh" else _OPS_EN
        left = ctx.label(cond.path, lang)
        if cond.field is not None:
            right = ctx.label(cond.field, lang)
        elif cond.param is not None:
            right = ctx.param(cond.param, lang)
        else:
            right = show_value(cond.value, lang)
        if lang == "zh":
            return f"{left}{ops[cond.op]}{right}"
        return f"{left} {ops[cond.op]} {right}"

    def reads_now(self, cond: c.Compare) -> bool:
        return False


def _plain(value: Any) -> Any:
    """Parameter values as the fast path compares them (durations as timedelta)."""
    if isinstance(value, WallDuration):
        return value.delta
    return value


class _MembershipHandler:
    def __init__(self, negate: bool) -> None:
        self.negate = negate

    def check(self, cond: c.In | c.NotIn, ctx: CheckContext) -> None:
        info = ctx.field(cond.path)
        if info.is_collection or info.kind not in ("text", "number"):
            raise ctx.fail(
                f"{cond.kind} needs a text or number field; {cond.path} is {info.describe()}",
                path=cond.path,
            )
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

    def _values(self, cond: c.In | c.NotIn, params: dict[str, Any]) -> frozenset[Any]:
        return frozenset(params[cond.param] if cond.param is not None else cond.value)

    def source(self, cond: c.In | c.NotIn, ctx: CompileContext) -> str:
        guards, expr = ctx.access(cond.path)
        values = ctx.const(self._values(cond, ctx.params))
        op = "not in" if self.negate else "in"
        # an optional value has a guard, so a missing one is false for both in and not_in
        return _join([*guards, f"{expr} {op} {values}"], "and")

    def evaluate(self, cond: c.In | c.NotIn, env: Env) -> TraceNode:
        value = env.get(cond.path)
        values = self._values(cond, env.params)
        result = value is not None and ((value not in values) if self.negate else (value in values))
        return TraceNode(
            cond.kind, self.describe(cond, "en", env.describe), result, {cond.path: value}
        )

    def describe(self, cond: c.In | c.NotIn, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        listed = (
            ctx.param(cond.param, lang) if cond.param is not None else show_value(cond.value, lang)
        )
        if lang == "zh":
            return f"{label}{'不' if self.negate else ''}属于{listed}"
        return f"{label} is {'none' if self.negate else 'one'} of {listed}"

    def reads_now(self, cond: c.In | c.NotIn) -> bool:
        return False


class _ContainsHandler:
    def check(self, cond: c.Contains, ctx: CheckContext) -> None:
        info = ctx.field(cond.path)
        if info.kind != "text":
            raise ctx.fail(
                f"contains needs a text field (or list of texts); {cond.path} is {info.describe()}",
                path=cond.path,
            )
        if cond.param is not None:
            ctx.param(cond.param, "str_list", "str")

    def matcher(self, cond: c.Contains, params: dict[str, Any]) -> TextMatcher:
        """The compiled matcher for ``cond`` with these parameter values."""
        phrases: Any = cond.phrases if cond.param is None else params[cond.param]
        if isinstance(phrases, str):
            phrases = [phrases]
        return TextMatcher(tuple(str(p) for p in phrases), cond.fold)

    def source(self, cond: c.Contains, ctx: CompileContext) -> str:
        guards, expr = ctx.access(cond.path)
        matcher = ctx.const(self.matcher(cond, ctx.params))
        return _join([*guards, f"{matcher}({expr})"], "and")

    def evaluate(self, cond: c.Contains, env: Env) -> TraceNode:
        value = env.get(cond.path)
        found = self.matcher(cond, env.params).find(value) if value is not None else None
        values: dict[str, Any] = {cond.path: value}
        if found is not None:
            values["found"] = found
        return TraceNode(
            "contains", self.describe(cond, "en", env.describe), found is not None, values
        )

    def describe(self, cond: c.Contains, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        listed = (
            ctx.param(cond.param, lang)
            if cond.param is not None
            else show_value(cond.phrases, lang)
        )
        if lang == "zh":
            return f"{label}包含以下任一用语：{listed}"
        return f"{label} contains any of {listed}"

    def reads_now(self, cond: c.Contains) -> bool:
        return False


class _PresenceHandler:
    def __init__(self, want_set: bool) -> None:
        self.want_set = want_set

    def check(self, cond: c.IsSet | c.IsMissing, ctx: CheckContext) -> None:
        ctx.field(cond.path)

    def source(self, cond: c.IsSet | c.IsMissing, ctx: CompileContext) -> str:
        guards, expr = ctx.access(cond.path)
        del expr  # only the guards matter: a required field is always present
        present = _join(guards, "and")
        return present if self.want_set else f"(not {present})"

    def evaluate(self, cond: c.IsSet | c.IsMissing, env: Env) -> TraceNode:
        value = env.get(cond.path)
        result = (value is not None) == self.want_set
        return TraceNode(
            cond.kind, self.describe(cond, "en", env.describe), result, {cond.path: value}
        )

    def describe(self, cond: c.IsSet | c.IsMissing, lang: Lang, ctx: DescribeContext) -> str:
        label = ctx.label(cond.path, lang)
        if lang == "zh":
            return f"{label}{'已填写' if self.want_set else '未填写'}"
        return f"{label} is {'given' if self.want_set else 'missing'}"

    def reads_now(self, cond: c.IsSet | c.IsMissing) -> bool:
        return False


class _ElapsedHandler:
    def check(self, cond: c.Elapsed, ctx: CheckContext) -> None:
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
        if cond.param is not None:
            ctx.param(cond.param, "duration")
        duration = self._duration(cond, {n: p.default for n, p in ctx.params.items()})
        if isinstance(duration, BusinessDuration):
            raise ctx.fail(
                f"{duration} is business time; elapsed measures clock time "
                "(use a business-time condition with a calendar)",
                at=("duration" if cond.param is None else "param",),
            )

    def _duration(self, cond: c.Elapsed, params: dict[str, Any]) -> Any:
        return cond.duration if cond.param is None else params[cond.param]

    def source(self, cond: c.Elapsed, ctx: CompileContext) -> str:
        guards, start = ctx.access(cond.since)
        if cond.until is None:
            end = "now"
        else:
            end_guards, end = ctx.access(cond.until)
            guards = guards + end_guards
        limit = ctx.const(_plain(self._duration(cond, ctx.params)))
        utc = ctx.const(ensure_aware)  # instants in UTC: 24 h is 24 h across a DST change
        return _join([*guards, f"({utc}({end}) - {utc}({start})) {cond.op} {limit}"], "and")

    def evaluate(self, cond: c.Elapsed, env: Env) -> TraceNode:
        start = env.get(cond.since)
        end = env.now if cond.until is None else env.get(cond.until)
        limit = _plain(self._duration(cond, env.params))
        values: dict[str, Any] = {cond.since: start, cond.until or "now": end}
        if start is None or end is None:
            return TraceNode("elapsed", self.describe(cond, "en", env.describe), False, values)
        span = ensure_aware(end) - ensure_aware(start)
        values["elapsed"] = span
        return TraceNode(
            "elapsed",
            self.describe(cond, "en", env.describe),
            _PY_OPS[cond.op](span, limit),
            values,
        )

    def describe(self, cond: c.Elapsed, lang: Lang, ctx: DescribeContext) -> str:
        since = ctx.label(cond.since, lang)
        until = (
            ctx.label(cond.until, lang)
            if cond.until is not None
            else ("now" if lang == "en" else "当前时间")
        )
        amount = (
            ctx.param(cond.param, lang)
            if cond.param is not None
            else show_value(cond.duration, lang)
        )
        if lang == "zh":
            return f"从{since}到{until}{_SPAN_ZH[cond.op]}{amount}"
        return f"{_SPAN_EN[cond.op]} {amount} from {since} to {until}"

    def reads_now(self, cond: c.Elapsed) -> bool:
        return cond.until is None


register_kind(c.All, _JunctionHandler("all", "and", False, {"en": ("always", "all of:"), "zh": ("总是", "同时满足：")}))
register_kind(c.Any_, _JunctionHandler("any", "or", True, {"en": ("never", "any of:"), "zh": ("从不", "满足其一：")}))
register_kind(c.Not, _NotHandler())
register_kind(c.Compare, _CompareHandler())
register_kind(c.In, _MembershipHandler(negate=False))
register_kind(c.NotIn, _MembershipHandler(negate=True))
register_kind(c.Contains, _ContainsHandler())
register_kind(c.IsSet, _PresenceHandler(want_set=True))
register_kind(c.IsMissing, _PresenceHandler(want_set=False))
register_kind(c.Elapsed, _ElapsedHandler())

# Extension kinds register themselves on import; the union of kinds is built after this.
from csrules._policy.kinds import time as _time_kinds  # noqa: E402
from csrules._policy.kinds import window as _window_kinds  # noqa: E402

del _time_kinds, _window_kinds
