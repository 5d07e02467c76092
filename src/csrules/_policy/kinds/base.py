"""What every condition kind shares: the base model, the contexts handlers work in, the
table of kinds and the ``Condition`` type that validates through it.

A kind is a pydantic model (a subclass of :class:`ConditionBase` with a ``kind`` literal)
plus a :class:`KindHandler` that checks, compiles, traces and describes it. Families
(:mod:`~csrules._policy.kinds.core`, ``time``, ``window``) and hosts add kinds with
:func:`register_kind`; a ``when`` is validated against the table as it is *when the policy is
read*, so a kind registered after ``import csrules`` loads like a built-in one.

A handler has five jobs, and each is small:

- ``check`` proves the condition can work against the fact model (fields exist, types fit);
- ``source`` returns a Python expression for the compiled fast path, over the fact ``f`` and
  ``now``; values enter it only as named constants (:meth:`CompileContext.const`), never as
  code;
- ``evaluate`` interprets the condition and returns a :class:`TraceNode` (the slow, explaining
  path, run only when someone reads a trace);
- ``describe`` renders it in plain words, in English or Chinese, for documents and traces;
- ``reads_now`` says whether the answer depends on ``now``.

Optional methods a handler may offer (looked up with ``getattr``): ``negated(cond)`` (the
positive condition meaning "not cond" when the values it reads are given, for plain words;
the words add "or missing" for an optional one, since a leaf on a missing value is false),
``words(cond, lang, ctx, nested, words)`` (plain words of a kind with children),
``never_holds(cond, params, never_holds)`` (lint) and ``boundaries(cond, ctx)`` (probes for :mod:`csrules.testing`).

A kind's translation for the solver (``csrules verify``) is its handler's ``translate``
method, else one added with :func:`register_translation`; a kind with neither is reported as
untranslated, so a property over it is never called proven (:func:`translation_for`).
"""

from __future__ import annotations

import itertools
import keyword
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, Protocol, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, PlainSerializer, PlainValidator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from csrules._lang import Lang, simplified
from csrules._policy.errors import CheckedModel
from csrules._policy.facts import FieldInfo, field_info, read_path
from csrules._policy.trace import TraceNode
from csrules._time.calendar import ensure_aware
from csrules._time.durations import BusinessDuration, WallDuration
from csrules.exceptions import PolicyError, TimeError

if TYPE_CHECKING:
    from pydantic import SerializationInfo

    from csrules._policy.model import Parameter

__all__ = [
    "FLIP",
    "MAX_CONDITION_DEPTH",
    "NEGATED_OP",
    "OPS_EN",
    "OPS_ZH",
    "ORDERED",
    "PY_OPS",
    "SPAN_EN",
    "SPAN_ZH",
    "CheckContext",
    "CompareOp",
    "CompileContext",
    "Condition",
    "ConditionBase",
    "Constraint",
    "DescribeContext",
    "Env",
    "KindHandler",
    "Lang",
    "Words",
    "aware_field",
    "check_condition_depth",
    "check_of",
    "condition_classes",
    "handler_for",
    "is_builtin_kind",
    "is_param_key",
    "join",
    "naive_field",
    "optional_method",
    "param_refs",
    "reads_now_of",
    "register_kind",
    "register_translation",
    "show_value",
    "source_of",
    "translation_for",
    "walk",
]

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
"""The comparison operators."""


class ConditionBase(CheckedModel):
    """Base of every condition kind: frozen, closed, tagged by ``kind``.

    A subclass declares ``kind: Literal["my_kind"] = "my_kind"`` and its own fields; a field
    holding a nested condition is typed :data:`Condition`.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str

    def children(self) -> tuple[ConditionBase, ...]:
        """Nested conditions, for walkers (checker, docs, coverage)."""
        return ()


MAX_CONDITION_DEPTH = 64
"""Deepest nesting of conditions a rule may have (``not`` inside ``all`` inside ... counts one
level each, a leaf counts one); deeper rules are refused when the policy is built."""

CondT = TypeVar("CondT", bound=ConditionBase, contravariant=True)


# --------------------------------------------------------------------------- contexts


@dataclass
class CheckContext:
    """What a handler's ``check`` may ask: fields of the fact model and the policy's parameters."""

    model: type[BaseModel]
    params: dict[str, Parameter]
    loc: tuple[str | int, ...] = ()
    used_params: set[str] = field(default_factory=set)
    overrides: dict[str, Any] = field(default_factory=dict)
    """The policy's typed parameter overrides: a rule runs with these, so they are checked too."""

    def at(self, *parts: str | int) -> CheckContext:
        """The same context one level deeper (for error locations)."""
        return CheckContext(self.model, self.params, self.loc + parts, self.used_params, self.overrides)

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

    def param_values(self, name: str) -> list[tuple[Any, bool]]:
        """The values of parameter ``name`` a rule may run with: its default, then the override
        in force (flagged ``True``), so a check made on a literal applies to both."""
        values = [(self.params[name].default, False)]
        if name in self.overrides:
            values.append((self.overrides[name], True))
        return values

    def fail_param(self, message: str, name: str, overridden: bool, at: str = "param") -> PolicyError:
        """A located error about a value of parameter ``name``: at ``overrides.<name>`` for the
        override, else at the rule's ``at``."""
        if overridden:
            return PolicyError(f"override of parameter {name!r}: {message}", loc=("overrides", name))
        return self.fail(message, at=(at,))


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


def naive_field(path: str, value: datetime) -> str:
    """Why the naive datetime ``value`` of the fact's field ``path`` cannot be read as an instant."""
    return (f"field {path} holds {value.isoformat()} without a UTC offset (not timezone-aware): it needs "
            "one (e.g. 2026-03-02T09:00:00+08:00, or a datetime with a tzinfo) to be read as an instant")


def aware_field(value: Any, path: str) -> datetime:
    """``value``, the datetime read from the fact's field ``path`` (or ``now``), as its UTC
    instant: the one reader of an instant every condition uses, so that a decision depends on
    the instant alone, never on the offset it was written with. A naive datetime raises
    :class:`TimeError` naming the field (a host's model may declare a plain ``datetime``), as
    does a value that is no datetime."""
    if not isinstance(value, datetime):
        return ensure_aware(value, path)  # raises, naming the field and what it holds
    if value.utcoffset() is None:
        raise TimeError(naive_field(path, value))
    return value.astimezone(UTC)


@dataclass
class Env:
    """What the explaining interpreter sees: the fact, ``now`` and the parameter values, and
    in a session the window values it computed (by ``id(node)`` of the window condition)."""

    fact: Any
    now: datetime | None
    params: dict[str, Any]
    model: type[BaseModel]
    describe: DescribeContext
    windows: Mapping[int, Any] | None = None

    def get(self, path: str) -> Any:
        """The value at ``path``, or None when it or any object on the way is missing."""
        return read_path(self.fact, path)

    def evaluate(self, cond: ConditionBase) -> TraceNode:
        """Evaluate a nested condition, recording an error as data rather than raising."""
        handler = handler_for(cond)
        words = partial(_reword, handler, cond, self.describe)  # trace.render(lang=) words it again
        try:
            node = handler.evaluate(cond, self)
            if not isinstance(node, TraceNode):  # a host handler's mistake, said plainly
                raise TypeError(f"the handler of {cond.kind!r} returned {type(node).__name__}, not a TraceNode")
            return replace(node, words=words)
        except Exception as exc:  # a rule that fails is reported in its trace, not raised
            return TraceNode(cond.kind, words("en"), None, error=repr(exc), words=words)


    def unevaluated(self, cond: ConditionBase) -> TraceNode:
        """The node of a condition left unevaluated (its ``all``/``any`` was decided before)."""
        handler = handler_for(cond)
        return TraceNode(cond.kind, handler.describe(cond, "en", self.describe), None,
                         words=partial(_reword, handler, cond, self.describe))


def _reword(handler: Any, cond: ConditionBase, ctx: DescribeContext, lang: Lang) -> str:
    """``cond`` in plain words in ``lang``: what a trace node words itself with (a host
    handler that cannot word it leaves the kind and its fault, so the trace still shows)."""
    try:
        return str(handler.describe(cond, lang, ctx))
    except Exception as exc:
        if cond.kind in _BUILTIN_KINDS:
            raise
        return f"{cond.kind} (its handler's describe failed: {type(exc).__name__}: {exc})"


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

    def may_be_missing(self, path: str) -> bool:
        """Whether a fact may leave ``path`` out (optional on the way); True when the model
        is unknown, so words never claim more than the rule checks."""
        if self.model is None:
            return True
        try:
            return field_info(self.model, path).optional
        except (PolicyError, AttributeError, KeyError):
            return True

    def param(self, name: str, lang: Lang) -> str:
        """A parameter's value in force, in words, with its name for reference."""
        value = self.params.get(name)
        shown = show_value(value, lang) if name in self.params else name
        return f"{shown} ({name})"

    def param_or(self, name: str | None, value: Any, lang: Lang) -> str:
        """The parameter ``name`` as :meth:`param` words it, or, with no parameter, ``value``."""
        return self.param(name, lang) if name is not None else show_value(value, lang)


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
        # once each as a reader sees it: a document or explanation is written in one Chinese
        # script, where an alias in both (業務代表, 业务代表) would read as the same word twice
        shown: dict[str, str] = {}
        for item in items:
            words = show_value(item, lang)
            shown.setdefault(simplified(item) if isinstance(item, str) else words, words)
        return ", ".join(shown.values())
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # a whole number of days reads "1 day", "1天", never "1.0"
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
_CLASSES: dict[str, type[ConditionBase]] = {}
_REQUIRED = ("check", "source", "evaluate", "describe", "reads_now")
_BUILTIN_KINDS: set[str] = set()


def seal_builtin_kinds() -> None:
    """Mark every kind registered so far as built in (called once the families are loaded)."""
    _BUILTIN_KINDS.update(_HANDLERS)


def register_kind(cls: type[ConditionBase], handler: KindHandler[Any]) -> None:
    """Add a condition kind to the table (its ``kind`` literal is the key).

    From then on a ``when`` (or a nested condition) with that ``kind`` validates as ``cls``,
    is type-checked, compiled, traced and worded by ``handler``. Registering a kind again
    replaces it (a module reloaded in a notebook); a built-in kind's name is refused, so a
    host's kind can never silently change what a built-in policy means.

    .. versionadded:: 0.1
    """
    if not (isinstance(cls, type) and issubclass(cls, ConditionBase)):
        raise TypeError(f"a condition kind is a ConditionBase subclass (got {cls!r})")
    field = cls.model_fields.get("kind")
    kind = None if field is None else field.default
    if not isinstance(kind, str) or not kind or get_args(field.annotation if field else None) != (kind,):
        raise TypeError(f'{cls.__name__}.kind must be declared as kind: Literal["<tag>"] = "<tag>"')
    if kind in _BUILTIN_KINDS and _CLASSES.get(kind) is not cls:
        raise TypeError(f"{kind!r} is a built-in condition kind; give {cls.__name__} a name of its own")
    if isinstance(handler, type):
        raise TypeError(f"the handler of {kind!r} must be an instance, not the class {handler.__name__}")
    missing = [name for name in _REQUIRED if not callable(getattr(handler, name, None))]
    if missing:
        raise TypeError(f"the handler of {kind!r} lacks {', '.join(missing)}")
    _HANDLERS[kind] = handler
    _CLASSES[kind] = cls


def handler_for(cond: ConditionBase) -> KindHandler[Any]:
    """The handler of ``cond``'s kind."""
    return _HANDLERS[cond.kind]


def source_of(cond: ConditionBase, ctx: CompileContext) -> str:
    """The Python expression of ``cond`` from its kind's handler, as every compiler takes it.

    A host kind's handler is checked: a fault in it, a value that is not text, or text that
    is not one Python expression is a :class:`PolicyError` naming the kind (the compiler adds
    the rule), and its expression is bracketed, so that ``a or b`` inside ``not`` or ``all``
    keeps its meaning. Built-in kinds' handlers are trusted and called directly.
    """
    handler = _HANDLERS[cond.kind]
    if cond.kind in _BUILTIN_KINDS:
        return handler.source(cond, ctx)
    expression = _host_call(cond, "source", handler.source, ctx)
    if not isinstance(expression, str):
        raise PolicyError(
            f"condition kind {cond.kind!r}: its handler's source returned "
            f"{type(expression).__name__} {expression!r:.60}, not a Python expression"
        )
    try:
        compile(expression, f"<condition kind {cond.kind}>", "eval")
    except (SyntaxError, ValueError) as exc:
        raise PolicyError(
            f"condition kind {cond.kind!r}: its handler's source is not one Python expression "
            f"({type(exc).__name__}: {exc}): {expression!r:.120}"
        ) from None
    return f"({expression})"


def check_of(cond: ConditionBase, ctx: CheckContext) -> None:
    """Check ``cond`` with its kind's handler (a host handler's fault is a located
    :class:`PolicyError` naming the kind, as in :func:`source_of`)."""
    handler = _HANDLERS[cond.kind]
    if cond.kind in _BUILTIN_KINDS:
        handler.check(cond, ctx)
        return
    try:
        _host_call(cond, "check", handler.check, ctx)
    except PolicyError as exc:
        raise exc.located(loc=ctx.loc) from exc.__cause__


def reads_now_of(cond: ConditionBase) -> bool:
    """Whether ``cond`` needs ``now``, from its kind's handler (a host handler's fault is a
    :class:`PolicyError` naming the kind, as in :func:`source_of`)."""
    handler = _HANDLERS[cond.kind]
    if cond.kind in _BUILTIN_KINDS:
        return handler.reads_now(cond)
    return bool(_host_call(cond, "reads_now", handler.reads_now))


def _host_call(cond: ConditionBase, job: str, method: Callable[..., Any], *args: Any) -> Any:
    """``method(cond, *args)`` of a host kind's handler; its fault becomes a PolicyError."""
    try:
        return method(cond, *args)
    except PolicyError:
        raise
    except Exception as exc:
        raise PolicyError(
            f"condition kind {cond.kind!r}: its handler's {job} failed: {type(exc).__name__}: {exc}"
        ) from exc


def is_builtin_kind(kind: str) -> bool:
    """True for a kind csrules itself defines (not one a host registered)."""
    return kind in _BUILTIN_KINDS


def optional_method(cond: ConditionBase, name: str) -> Callable[..., Any] | None:
    """The optional handler method ``name`` of ``cond``'s kind, or None when it has none."""
    method = getattr(_HANDLERS[cond.kind], name, None)
    return method if callable(method) else None


_TRANSLATIONS: dict[str, Callable[..., Any]] = {}


def register_translation(kind: str, translate: Callable[..., Any]) -> None:
    """Give ``kind`` a solver translation ``translate(cond, encoding)`` (used by ``verify``)."""
    _TRANSLATIONS[kind] = translate


def translation_for(cond: ConditionBase) -> Callable[..., Any] | None:
    """The solver translation of ``cond``'s kind: its handler's ``translate`` method, else a
    registered one; None (the default) means the kind is not translated."""
    return optional_method(cond, "translate") or _TRANSLATIONS.get(cond.kind)


def condition_classes() -> Iterator[type[ConditionBase]]:
    """Every registered condition class, in registration order."""
    return iter(list(_CLASSES.values()))


def is_param_key(key: object) -> bool:
    """Whether a condition's field ``key`` names a parameter: ``param``, or ``<list>_param``
    (a ``contains``'s ``ignore_param`` ...)."""
    return isinstance(key, str) and (key == "param" or key.endswith("_param"))


def param_refs(cond: ConditionBase) -> set[str]:
    """The parameters ``cond`` itself names (not its children's)."""
    return {value for key in type(cond).model_fields if is_param_key(key)
            and isinstance(value := getattr(cond, key), str)}


def walk(cond: ConditionBase) -> Iterator[ConditionBase]:
    """Every condition in the tree, parents first (iterative)."""
    stack = [cond]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


class Words(Protocol):
    """The plain-words function a ``words`` handler method calls for nested conditions."""

    def __call__(
        self, cond: ConditionBase, lang: Lang, ctx: DescribeContext, *, nested: bool = False
    ) -> str:
        """``cond`` as one phrase."""


@dataclass(frozen=True, slots=True)
class Constraint:
    """What a leaf condition says about one value, for lint's "can never hold" analysis.

    ``op`` is a comparison operator, ``in`` / ``not in`` (``value`` a collection), or
    ``given`` / ``missing``; ``subject`` names the value (a field path, or a span);
    ``said`` is how the condition wrote the value (a parameter name or a literal).
    """

    subject: str
    op: str
    value: Any
    said: str


def check_condition_depth(cond: ConditionBase, loc: tuple[str | int, ...]) -> None:
    """Raise a :class:`PolicyError` at ``loc`` when ``cond`` nests deeper than
    :data:`MAX_CONDITION_DEPTH` (a leaf is one level), measured without recursion.

    Each nesting level costs the generated code one pair of parentheses, so this bound keeps
    every compiler (engine and sessions) far from Python's limit of 200.
    """
    deepest = 0
    stack = [(cond, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children())
    if deepest > MAX_CONDITION_DEPTH:
        raise PolicyError(
            f"the condition nests {deepest} levels deep, more than the limit of "
            f"{MAX_CONDITION_DEPTH}; flatten it with all/any lists",
            loc=loc,
        )


# --------------------------------------------------------------------------- the Condition type


def _validate_condition(value: Any) -> ConditionBase:
    """A condition from a mapping, dispatched on its ``kind`` through the table as it is now."""
    if isinstance(value, ConditionBase):
        if value.kind not in _CLASSES:
            raise PolicyError(f"{type(value).__name__} is not a registered condition kind")
        return value
    if not isinstance(value, Mapping):
        raise PolicyError(
            f"a condition is a mapping with a 'kind' (got {type(value).__name__} {value!r:.60})"
        )
    kind = value.get("kind")
    cls = _CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(sorted(_CLASSES))
        said = "no 'kind'" if kind is None else f"unknown condition kind {kind!r}"
        raise PolicyError(f"{said}; known kinds: {known}", loc=("kind",) if kind is not None else ())
    return cls.model_validate(value)


def _dump_condition(value: ConditionBase, info: SerializationInfo) -> Any:
    """A condition as its own class writes it (not as the bare base class)."""
    return value.model_dump(
        mode=info.mode,
        by_alias=bool(info.by_alias),
        exclude_unset=info.exclude_unset,
        exclude_defaults=info.exclude_defaults,
        exclude_none=info.exclude_none,
        round_trip=info.round_trip,
    )


_IN_SCHEMA: ContextVar[bool] = ContextVar("csrules_condition_schema", default=False)


class _ConditionSchema:
    """JSON Schema of :data:`Condition`: a union of the kinds registered when it is generated."""

    REF = "csrules.Condition"

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        if _IN_SCHEMA.get():  # a nested condition: refer to the union being generated
            return handler(core_schema.definition_reference_schema(self.REF))
        token = _IN_SCHEMA.set(True)
        try:
            choices: dict[Hashable, CoreSchema] = {
                kind: cls.__pydantic_core_schema__ for kind, cls in _CLASSES.items()
            }
            union = core_schema.tagged_union_schema(choices, "kind", ref=self.REF)
            reference = core_schema.definition_reference_schema(self.REF)
            return handler(core_schema.definitions_schema(reference, [union]))
        finally:
            _IN_SCHEMA.reset(token)

Condition = Annotated[
    ConditionBase,
    PlainValidator(_validate_condition),
    PlainSerializer(_dump_condition),
    _ConditionSchema(),
]
"""Any registered condition, picked by its ``kind`` when it is validated.

Use it as the type of a field holding a condition (``when: Condition``); a mapping is read
as the kind its ``kind`` names, an unknown kind is an error listing the known ones.
"""


# --------------------------------------------------------------------------- wording

OPS_EN = {
    "==": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
"""Comparison operators in English words."""
OPS_ZH = {"==": "等于", "!=": "不等于", "<": "小于", "<=": "不超过", ">": "大于", ">=": "不少于"}
"""Comparison operators in Chinese words."""
SPAN_EN = {
    "==": "exactly",
    "!=": "other than",
    "<": "less than",
    "<=": "at most",
    ">": "more than",
    ">=": "at least",
}
"""Operators comparing a span of time, in English."""
SPAN_ZH = {"==": "恰好", "!=": "不是", "<": "不足", "<=": "不超过", ">": "超过", ">=": "至少"}
"""Operators comparing a span of time, in Chinese."""
FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
"""Each operator with its sides swapped."""
NEGATED_OP = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
"""Each operator's negation."""
PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}
"""Each operator as a function."""
ORDERED = frozenset({"number", "datetime", "date", "time", "duration"})
"""Value kinds that ``<`` and ``>`` apply to."""


def join(parts: list[str], word: str) -> str:
    """``parts`` joined by ``and`` / ``or`` in generated source (empty: True / False)."""
    return "(" + f" {word} ".join(parts) + ")" if parts else ("True" if word == "and" else "False")
