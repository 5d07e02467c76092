"""The engine: policies compiled once (:mod:`csrules._engine.compile`), evaluated many times.

:meth:`Engine.evaluate` and :meth:`Engine.evaluate_many` share one prologue: ``now`` is
checked once, each fact is dispatched to the plan of its type (a dict fact validated first),
and a plan whose rules read the clock refuses a call without ``now``.
"""

from __future__ import annotations

import hashlib
import inspect
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from operator import attrgetter
from types import MethodType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from csrules._engine.compile import Plan
from csrules._engine.dated import DatedPlan, check_as_of, plan_for
from csrules._engine.decision import Decision
from csrules._engine.record import PackRef
from csrules._engine.zones import fact_zones, in_zone
from csrules._policy.facts import fact_type_name, get_fact_type, register_fact_type, validate_fact
from csrules._policy.model import Policy
from csrules._policy.validity import check_versions
from csrules._time.calendar import BusinessCalendar
from csrules._time.registry import adopt_named_time, named_time
from csrules._time.shifts import ShiftPattern
from csrules.exceptions import FactError, PolicyError, TimeError

if TYPE_CHECKING:
    from csrules._engine.logs import DecisionLog, LoggedEngine

__all__ = ["Engine"]


def check_now(now: Any) -> None:
    """Refuse a ``now`` that is not an aware datetime (None passes: no rule may need it)."""
    if now is None or (type(now) is datetime and now.utcoffset() is not None):
        return  # the usual case, decided by the first test
    if not isinstance(now, datetime):
        raise TimeError(
            f"now must be a datetime with a time zone (got {type(now).__name__} {now!r})"
        )
    if now.utcoffset() is None:
        raise TimeError(f"now must carry a time zone (got naive {now.isoformat()})")


class Engine:
    """Policies compiled for evaluation. Immutable, and safe to share between threads.

    >>> engine = Engine([policy])                              # doctest: +SKIP
    >>> decision = engine.evaluate(fact, now=now)              # doctest: +SKIP
    >>> decision.outcome, decision.approvers, decision.trace   # doctest: +SKIP

    .. versionadded:: 0.1
    """

    __slots__ = ("_by_class", "_evaluate", "_only", "_plans", "_solo", "_zones", "pack", "policies")

    def __init__(self, policies: Policy | Iterable[Policy], *, pack: PackRef | None = None) -> None:
        if pack is not None and not isinstance(pack, PackRef):  # records would name no pack
            raise PolicyError(f"pack must be a PackRef or None (got {type(pack).__name__}); "
                              "Pack.engine() sets it")
        if isinstance(policies, Policy):
            policies = [policies]
        elif not _many(policies):
            raise PolicyError("an engine takes a Policy or an iterable of Policy objects "
                              f"(got {type(policies).__name__})")
        policies = tuple(policies)
        if not policies:
            raise PolicyError("an engine needs at least one policy")
        for policy in policies:
            if not isinstance(policy, Policy):
                raise PolicyError(f"expected Policy objects, got {type(policy).__name__}")
        ids = [p.id for p in policies]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        # dated versions of one policy may share its id (their days may not overlap)
        if duplicated and not all(p.dated for p in policies if p.id in duplicated):
            raise PolicyError(
                f"policy ids must be unique in an engine (repeated: {', '.join(duplicated)})"
            )
        if duplicated:
            check_versions(policies)
        _set = object.__setattr__  # the engine is frozen; only __init__ writes its slots
        _set(self, "policies", policies)
        grouped: dict[str, list[Policy]] = {}
        for policy in policies:
            grouped.setdefault(policy.fact_type, []).append(policy)
        plans = {
            fact_type: plan_for(get_fact_type(fact_type), fact_type, tuple(group))
            for fact_type, group in grouped.items()
        }
        _set(self, "_plans", plans)
        _set(self, "pack", pack)  # decision records name the pack (Pack.engine sets it)
        for plan in plans.values():
            for inner in plan.plans if isinstance(plan, DatedPlan) else (plan,):
                if inner is not None:
                    inner.pack = pack
        _set(self, "_by_class", {plan.model: plan for plan in plans.values()})
        # facts naming no time_zone, of a type whose policies name another zone, are read in it
        zones = fact_zones(policies)
        _set(self, "_zones", zones)
        # With one fact type, a dict fact needs no dispatch: validate it straight away.
        only = next(iter(plans.values())) if len(plans) == 1 and not zones else None
        _set(self, "_only", only)
        # ... and a fact of its model, with no option given, goes straight to its plan's judge
        _set(self, "_solo", None if only is None else (only.model, only.reads_now, only.judge))
        # what ``engine.evaluate`` is: the general path, or for one plain plan its generated
        # entry (the usual call in one frame, the rest sent to the general path)
        general = MethodType(Engine._evaluate_prologue if zones else Engine._evaluate_any, self)
        _set(self, "_evaluate", _documented(only.bind_entry(general, check_now)) if isinstance(only, Plan) else general)

    policies: tuple[Policy, ...]
    pack: PackRef | None
    _plans: dict[str, Plan | DatedPlan]
    _by_class: dict[type, Plan | DatedPlan]
    _only: Plan | DatedPlan | None
    _solo: tuple[type, bool, Callable[[Any, datetime | None], Decision]] | None
    _zones: dict[str, str]
    _evaluate: Callable[..., Decision]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Engine is immutable; build a new one to change {name!r}")

    @property
    def fact_types(self) -> tuple[str, ...]:
        """The fact types this engine judges."""
        return tuple(self._plans)

    def _plan_named(self, fact_type: Any, index: int | None) -> Plan | DatedPlan:
        """The plan for ``fact_type``; a :class:`FactError` lists the types judged here."""
        plan = self._plans.get(fact_type)
        if plan is None:
            raise self._unjudged(fact_type, index)
        return plan

    def _unjudged(self, fact_type: Any, index: int | None) -> FactError:
        return FactError(
            f"no policy in this engine judges {fact_type!r} facts "
            f"(it judges: {', '.join(self._plans)})",
            fact_type=str(fact_type),
            index=index,
        )

    def _plan_for(self, fact: Any, fact_type: str | None, index: int | None) -> tuple[Plan | DatedPlan, Any]:
        only = self._only
        if only is not None and fact_type is None and type(fact) is dict:
            try:
                return only, only.validate(fact)
            except (ValidationError, OverflowError):
                pass  # validate_fact below turns the error into a FactError with every problem
        if fact_type is not None:
            named = self._plan_named(fact_type, index)
            return named, validate_fact(named.model, fact, index=index)
        if isinstance(fact, BaseModel):
            for cls in type(fact).__mro__:
                plan = self._by_class.get(cls)
                if plan is not None:
                    return plan, fact
            raise self._unjudged(fact_type_name(type(fact)) or type(fact).__name__, index)
        if len(self._plans) == 1:
            plan = next(iter(self._plans.values()))
            return plan, validate_fact(plan.model, fact, index=index)
        raise FactError(
            f"this engine judges several fact types ({', '.join(self._plans)}); "
            "pass fact_type= with a dict fact",
            index=index,
        )

    def _prepare(
        self, fact: Any, now: datetime | None, fact_type: str | None, index: int | None
    ) -> tuple[Plan | DatedPlan, Any]:
        """The prologue of every evaluation, ``now`` already checked: the plan judging
        ``fact`` and the fact as validated; a plan that reads the clock needs ``now``."""
        plan = self._by_class.get(type(fact))
        if plan is None:
            plan, fact = self._plan_for(fact, fact_type, index)
        if now is None and plan.reads_now:
            raise _needs_now(plan)
        if self._zones:
            return plan, in_zone(fact, self._zones.get(plan.fact_type), index=index)
        return plan, fact

    def evaluate(
        self,
        fact: Any,
        *,
        now: datetime | None = None,
        fact_type: str | None = None,
        as_of: date | datetime | None = None,
    ) -> Decision:
        """Judge one fact (a model instance, or a dict that is validated first).

        ``now`` is required, and must carry a time zone, when a rule reads the current
        time; nothing reads the clock. A bad fact raises :class:`FactError` listing every
        problem. A rule that fails while running is recorded in ``decision.errors``.
        When policies have dated versions, the versions in force on ``as_of`` judge (else
        on the day of the fact's own ``event_time``, else of ``now``).
        """
        return self._evaluate(fact, now=now, fact_type=fact_type, as_of=as_of)

    def _evaluate_any(
        self,
        fact: Any,
        *,
        now: datetime | None = None,
        fact_type: str | None = None,
        as_of: date | datetime | None = None,
    ) -> Decision:
        # evaluate for any fact and option (a one-type engine's generated entry sends here
        # what it does not judge itself); named and documented as evaluate, below
        solo = self._solo
        if solo is not None and type(fact) is solo[0] and fact_type is None and as_of is None:
            if now is not None:  # the usual call, in the fewest tests
                check_now(now)
            elif solo[1]:
                raise _needs_now(self._only)  # type: ignore[arg-type]
            return solo[2](fact, now)
        plan = self._by_class.get(type(fact))
        if plan is None or fact_type is not None:  # a dict, a subclass, or a named type
            only = self._only
            if plan is None and only is not None and type(fact) is dict and fact_type is None:
                try:  # one fact type: a dict is validated straight away
                    plan, fact = only, only.validate(fact)
                except (ValidationError, OverflowError):  # OverflowError: a date at the calendar's ends
                    plan = None  # the general prologue reports every problem as a FactError
            if plan is None or fact_type is not None:  # dispatch and validation: the general prologue
                return self._evaluate_prologue(fact, now=now, fact_type=fact_type, as_of=as_of)
        if now is not None:  # a validated fact of a known type: only the clock is checked
            check_now(now)
        elif plan.reads_now:
            raise _needs_now(plan)
        if as_of is None:
            return plan.judge(fact, now)
        return self._judge_as_of(plan, fact, now, as_of)

    def _evaluate_prologue(
        self,
        fact: Any,
        *,
        now: datetime | None = None,
        fact_type: str | None = None,
        as_of: date | datetime | None = None,
    ) -> Decision:
        # evaluate through the general prologue (dispatch, validation, the clock check): every
        # fact of an engine whose policies name a zone other than their facts' default (the
        # prologue reads a fact naming no zone in theirs), and the other engines' dicts and
        # named types
        check_now(now)
        plan, fact = self._prepare(fact, now, fact_type, None)
        return plan.judge(fact, now) if as_of is None else self._judge_as_of(plan, fact, now, as_of)

    def evaluate_many(
        self,
        facts: Iterable[Any],
        *,
        now: datetime | None = None,
        fact_type: str | None = None,
        as_of: date | datetime | None = None,
    ) -> Iterator[Decision]:
        """Judge facts one by one, yielding decisions as they come (bounded memory).

        A bad fact raises :class:`FactError` whose ``index`` is its position in ``facts``.
        ``as_of`` chooses dated versions as in :meth:`evaluate`.
        """
        check_now(now)
        if not _many(facts):  # refused at the call, not at the first decision asked for
            one = " (one fact: use evaluate)" if isinstance(facts, Mapping | BaseModel) else ""
            raise FactError(f"evaluate_many takes an iterable of facts (got {type(facts).__name__}){one}")
        return self._judged(iter(facts), now, fact_type, as_of)

    def _judged(
        self, facts: Iterator[Any], now: datetime | None, fact_type: str | None, as_of: date | datetime | None
    ) -> Iterator[Decision]:
        """The decisions of :meth:`evaluate_many`, made as they are asked for."""
        for index, fact in enumerate(facts):
            plan, validated = self._prepare(fact, now, fact_type, index)
            yield plan.judge(validated, now) if as_of is None else self._judge_as_of(plan, validated, now, as_of)

    @staticmethod
    def _judge_as_of(plan: Plan | DatedPlan, fact: Any, now: datetime | None, as_of: date | datetime) -> Decision:
        """Judge with the versions in force on ``as_of`` (undated policies are always in force)."""
        check_as_of(as_of)
        if isinstance(plan, DatedPlan):
            return plan.judge(fact, now, as_of)
        return plan.judge(fact, now)

    def explain(
        self, fact: Any, *, now: datetime | None = None, fact_type: str | None = None
    ) -> str:
        """The readable trace of one fact's decision."""
        return self.evaluate(fact, now=now, fact_type=fact_type).trace.render()

    def with_log(self, log: DecisionLog, *, trace: bool = False) -> LoggedEngine:
        """This engine, called as before, writing the record of every decision to ``log``
        (a :class:`~csrules.records.JsonlLog` or :class:`~csrules.records.SQLiteLog`)."""
        from csrules._engine.logs import LoggedEngine  # decision logs load on first use

        return LoggedEngine(self, log, trace=trace)

    def source(self, fact_type: str) -> str:
        """The generated Python for ``fact_type`` (for the curious and for debugging)."""
        return self._plan_named(fact_type, None).source

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its policies and fact models, never as generated code: the receiving
        # process compiles them again (so an engine can go to a worker process).
        models = {name: plan.model for name, plan in self._plans.items()}
        return (_rebuilt_engine, (self.policies, models, self.pack, *named_time(self.policies)))

    def __repr__(self) -> str:
        return f"<Engine policies={[f'{p.id}@{p.version}' for p in self.policies]}>"


class _EngineMethod(property):
    """A method each engine holds as its own function, in a slot read by a C-level getter:
    ``engine.evaluate`` is that function itself (no bound method, no extra frame). Called on
    the class (``Engine.evaluate(engine, fact)``), it calls the documented method, which
    calls the engine's function. It carries the method's name, signature and docstring (the
    docstring led by the signature, which ``help`` shows of a descriptor otherwise not)."""

    def __init__(self, slot: str, method: Callable[..., Any]) -> None:
        signature = inspect.signature(method)
        plain = signature.replace(
            parameters=[p.replace(annotation=p.empty) for p in list(signature.parameters.values())[1:]],
            return_annotation=signature.empty,
        )
        doc = f"{method.__name__}{plain} -> {signature.return_annotation}\n\n{inspect.cleandoc(method.__doc__ or '')}"
        super().__init__(attrgetter(slot), doc=doc)
        self.__doc__ = doc  # in the instance: this class's own docstring would shadow it
        self.method = method
        self.__wrapped__ = method
        self.__signature__ = signature
        self.__name__ = method.__name__
        self.__qualname__ = method.__qualname__
        self.__module__ = method.__module__

    def __call__(self, engine: Engine, *args: Any, **kwargs: Any) -> Any:
        """The method, called with ``engine`` as its first argument."""
        return self.method(engine, *args, **kwargs)


_EVALUATE = Engine.evaluate
Engine.evaluate = _EngineMethod("_evaluate", _EVALUATE)  # type: ignore[method-assign, assignment]


def _documented(
    function: Callable[..., Decision], signature: inspect.Signature | None = None
) -> Callable[..., Decision]:
    """``function`` (an engine's own ``evaluate``) named, documented and signed as
    :meth:`Engine.evaluate` is, for ``help``, ``inspect.signature`` and docs tools; a method
    of the class takes ``signature`` (with ``self``), a bound one the default (without)."""
    function.__name__ = _EVALUATE.__name__
    function.__qualname__ = _EVALUATE.__qualname__
    function.__module__ = _EVALUATE.__module__
    function.__doc__ = _EVALUATE.__doc__
    function.__wrapped__ = _EVALUATE  # type: ignore[attr-defined]
    # without the engine's own parameter, as of any bound method (stops unwrap at this function)
    function.__signature__ = _SIGNATURE if signature is None else signature  # type: ignore[attr-defined]
    return function


_SIGNATURE = inspect.signature(MethodType(_EVALUATE, object()))
for _general in (Engine._evaluate_any, Engine._evaluate_prologue):  # a many-type or zoned engine's evaluate
    _documented(_general, inspect.signature(_EVALUATE))


def _needs_now(plan: Plan | DatedPlan) -> TimeError:
    return TimeError(f"a rule judging {plan.fact_type} facts reads the current time; pass now=")


def _rebuilt_engine(
    policies: tuple[Policy, ...],
    models: dict[str, type[BaseModel]],
    pack: PackRef | None = None,
    calendars: dict[str, BusinessCalendar] | None = None,
    patterns: dict[str, ShiftPattern] | None = None,
) -> Engine:
    """An unpickled engine: its fact models, calendars and shift patterns registered in this
    process, its policies compiled (or an engine of the same content this process rebuilt
    lately: an audit worker receives one pack's engine for every audit), the pack its records
    name kept."""
    for name, model in models.items():
        register_fact_type(model, name=name)  # a no-op where the model is registered already
    calendars, patterns = calendars or {}, patterns or {}
    adopt_named_time(calendars, patterns)
    key = _content_key(policies, models, pack, calendars, patterns)
    with _REBUILT_LOCK:  # a Dask worker unpickles on several threads
        engine = _REBUILT.get(key)
        if engine is not None:
            _REBUILT.move_to_end(key)
            return engine
    engine = Engine(policies, pack=pack)
    with _REBUILT_LOCK:
        _REBUILT[key] = engine
        while len(_REBUILT) > REBUILT_AT_MOST:
            _REBUILT.popitem(last=False)
    return engine


REBUILT_AT_MOST = 8
"""How many unpickled engines a process keeps for reuse (the least recently received goes)."""

_REBUILT: OrderedDict[tuple[bytes, tuple[tuple[str, type[BaseModel]], ...]], Engine] = OrderedDict()
"""Engines rebuilt from pickles in this process, by :func:`_content_key`."""
_REBUILT_LOCK = threading.Lock()


def _content_key(
    policies: tuple[Policy, ...],
    models: Mapping[str, type[BaseModel]],
    pack: PackRef | None,
    calendars: Mapping[str, BusinessCalendar],
    patterns: Mapping[str, ShiftPattern],
) -> tuple[bytes, tuple[tuple[str, type[BaseModel]], ...]]:
    """Everything an engine is compiled from: a digest of the policies, the pack its records
    name and the calendars and shift patterns it was compiled with (every field of every
    model in them, so content changed in any way gives another key), and the fact models
    registered here under the names it judges."""
    digest = hashlib.sha256()
    _FieldsPickler(digest).dump((policies, pack, sorted(calendars.items()), sorted(patterns.items())))
    return digest.digest(), tuple((name, get_fact_type(name)) for name in sorted(models))


class _FieldsPickler(pickle.Pickler):
    """Pickles into a digest, each pydantic model as its class and fields only: what a model
    worked out and keeps (a policy's content hash, say) is left out, so one content gives one
    digest whether or not the copy at hand had worked it out (a Dask worker passes on the copy
    it compiled, not the one the client sent)."""

    def __init__(self, digest: Any) -> None:
        super().__init__(_Sink(digest), protocol=5)

    def reducer_override(self, obj: Any) -> Any:
        """A model as its class, its field values in order, extra and private values and the
        names of the fields set (what validation was given); anything else as pickle does."""
        if isinstance(obj, BaseModel):
            fields = tuple(getattr(obj, name) for name in type(obj).model_fields)
            return type(obj), (fields, obj.__pydantic_extra__, obj.__pydantic_private__,
                               sorted(obj.__pydantic_fields_set__))
        return NotImplemented


class _Sink:
    """A file that feeds what is written to it to a digest."""

    def __init__(self, digest: Any) -> None:
        self.write = digest.update


def _many(items: object) -> bool:
    """Whether ``items`` is a collection of things to take one by one: an iterable that is not
    one text, bytes, mapping or model (iterating those gives characters, keys or fields)."""
    return isinstance(items, Iterable) and not isinstance(items, str | bytes | Mapping | BaseModel)
