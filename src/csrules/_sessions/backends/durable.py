"""The durable-rules session backend: the program compiled to one dict ruleset, matched by
durable's Rete engine on a private host (:mod:`csrules._sessions.host`).

Mapping (see ``DURABLE-NOTES``):

- an event is one transient fact ``{t: e<k>, u_<field>: ..., w<i>: <window value>,
  p<n>: <probe>}``; each rule is one pattern over it, so durable maps csrules' numbers
  (counts, occurrences, runs) to outcomes and never counts itself;
- a lifecycle event is a transient fact carrying the current status (``st``) and event
  (``ev``); each transition is one pattern, so an event the state does not accept matches
  nothing and leaves nothing behind;
- a tick asserts each open item (and each open lifecycle deadline) as a transient fact
  carrying a marker ``f<rule>`` for each deadline rule already fired (csrules' state) or not
  yet reached at the tick (csrules works out when each falls: whole days on the wall clock,
  :mod:`csrules._sessions.due`); each deadline rule is one pattern (its condition and
  ``$nex`` its marker). There are no joins: a join of item and tick facts, asserted and
  retracted, crashed durable-rules 2.0.28 (segmentation fault) when a later tick failed the
  join test, and single patterns cannot leave a partial match behind;
- field names are prefixed (``u_id``), so a user field called ``id`` or ``sid`` is safe,
  and escaped (:func:`field_key`) so that distinct paths never share a key; durable tells
  keys apart by a 32-bit hash only, so every key of a message kind is also checked to have
  its own hash (a colliding key is salted);
- values durable cannot hold exactly (ints beyond 2**53, where it rounds or saturates;
  inf and nan; text over 32,767 bytes, which it truncates; anything but text, numbers and
  flags) are never sent: a literal of that kind
  becomes a probe, and a rule that reads such a field value is decided by csrules'
  evaluator for that message, as when a probe fails;
  durable's own ``id`` (the message identity) is a number unique per backend, so durable
  never hashes a message to name it and two messages of one call are never "observed"
  twice, and ``sid`` is the host's one session id;
- messages are written as JSON text directly (per kind, a template for the fixed keys and
  precomputed pieces for fields and probes), exactly the text a JSON encoder would write
  for the same message as a dict;
- text is sent hex-encoded (ASCII only, equality is all text needs): durable's text
  handling is the least tested part of its engine;
- a message kind carries at most ``_MAX_KEYS`` keys (durable refuses more) and its rules at
  most ``_MAX_PATHS`` alternatives (durable hangs building more than 512 under one test); a
  rule that finds no room is decided by csrules' evaluator; a message durable still refuses
  for one of its limits (more than 64 tests passing at once overflow its stack) is judged
  by the compiled functions, as the Python backend judges it;
- conditions durable cannot express exactly (``contains``, field-to-field comparisons,
  elapsed time, calendars ...) become probes: booleans computed by csrules' compiled
  evaluator and tested by durable. No regex ever reaches ``$mt``.
"""

from __future__ import annotations

import itertools
import json
import math
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple, get_args, get_origin

from pydantic import BaseModel

from csrules._engine.compile import CodeGenerator
from csrules._policy.facts import _strip_optional, field_info, path_getter
from csrules._policy.kinds.base import ConditionBase
from csrules._policy.kinds.core import Not, coerce_literal
from csrules._sessions.backends.base import Backend, Match, TickItem, TickPosition, due_rules, reason
from csrules._sessions.host import SID, DurableHost, DurableLimitError, open_host
from csrules._sessions.program import FactProgram, LifecycleProgram, Program, session_generator
from csrules.exceptions import SessionError

__all__ = ["PATTERNS", "DurableBackend", "compile_ruleset"]

_TRUE: dict[str, Any] = {"$true": 1}
_FALSE: dict[str, Any] = {"$false": 1}
_OPS = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_EXACT_INT = 2**53  # beyond it durable compares ints with floats as doubles, and saturates at 2**63
_PLAIN = frozenset(string.ascii_letters + string.digits)
_MAX_KEYS = 240  # durable refuses a message of more than 252 keys (error 302)
_MAX_PATHS = 500  # durable hangs building a node of more than 512 children (a kind's paths)
_MAX_RULE_PATHS = 64  # durable refuses (error 113) some rules of about 100 alternatives: one rule's bound
_MAX_TEXT = 65535  # durable compares longer text by its first 65,535 characters only


class _Full(Exception):
    """A message kind has no room for another key."""


def text(value: str) -> str:
    """Text as durable sees it: ASCII-only and injective (``s`` + UTF-8 hex; a lone
    surrogate, which a Python str may hold, is encoded as such)."""
    return "s" + value.encode("utf-8", "surrogatepass").hex()


def field_key(path: str) -> str:
    """The durable key of a field path: ``u_`` and the path escaped, injectively.

    Letters and digits stand for themselves; ``_`` is ``__``, ``.`` is ``_d`` and any other
    character ``_x`` and six hex digits. Each escape starts with ``_`` and has a fixed
    length after its second character, so a key reads back as exactly one path.
    """
    return "u_" + "".join(
        c if c in _PLAIN else "__" if c == "_" else "_d" if c == "." else f"_x{ord(c):06x}"
        for c in path
    )


def durable_hash(key: str) -> int:
    """The 32-bit FNV-1 hash by which durable-rules identifies a message key."""
    value = 0x811C9DC5
    for byte in key.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def _float_text(value: float) -> str:
    """A finite float as JSON text durable reads exactly (it refuses ``1e+16``: no point)."""
    shown = repr(value)
    mantissa, e, exponent = shown.partition("e")
    return shown if not e or "." in mantissa else f"{mantissa}.0e{exponent}"


def value_text(value: Any) -> str | None:
    """``value`` as the JSON text durable holds exactly, or None when it cannot."""
    if isinstance(value, str):
        encoded = text(value)
        return f'"{encoded}"' if len(encoded) <= _MAX_TEXT else None  # no escapes: hex
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value) if -_EXACT_INT <= value <= _EXACT_INT else None
    if isinstance(value, float) and math.isfinite(value):
        return _float_text(value)
    return None


def _literal(value: Any) -> Any:
    """A literal as the ruleset holds it, or None when durable cannot hold it exactly.

    The ruleset goes to durable as ``json.dumps`` writes it, so a float whose ``repr`` has
    an exponent but no point is refused too."""
    shown = value_text(value)
    if shown is None or (isinstance(value, float) and shown != repr(value)):
        return None
    return text(value) if isinstance(value, str) else value


_DUMPS = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
_TAIL = f',"sid":{_DUMPS(SID)}}}'


def _json(value: Any) -> str:
    """``value`` as JSON text, exactly as the host's encoder writes it (fast for ints)."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    return _DUMPS(value)


def _test(key: str, op: str, value: Any) -> dict[str, Any]:
    name = _OPS[op]
    return {key: value} if name is None else {name: {key: value}}


def _join(op: str, absorbing: dict[str, Any], neutral: dict[str, Any],
          parts: list[dict[str, Any]]) -> dict[str, Any]:
    """``parts`` joined by ``op``, folding the constant patterns: one ``absorbing`` part
    decides the whole, ``neutral`` parts drop out."""
    if any(p is absorbing for p in parts):
        return absorbing
    parts = [p for p in parts if p is not neutral]
    if not parts:
        return neutral
    return parts[0] if len(parts) == 1 else {op: parts}


def _and(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return _join("$and", _FALSE, _TRUE, parts)


def _or(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return _join("$or", _TRUE, _FALSE, parts)


def _native(model: type[BaseModel], path: str) -> frozenset[type]:
    """The value types of a field durable may test (plain str, int, float, bool); empty
    when the field is not one durable can test. A value of another type (a fact built
    without validation) is judged by csrules' evaluator instead."""
    info = field_info(model, path)
    if info.is_collection or info.kind not in ("text", "number", "bool"):
        return frozenset()
    inner, _ = _strip_optional(info.annotation)
    if inner in (int, float):
        return frozenset((int, float))
    if inner in (str, bool):
        return frozenset((inner,))
    if get_origin(inner) is Literal and all(isinstance(v, str | int | float) for v in get_args(inner)):
        return frozenset(type(v) for v in get_args(inner))
    return frozenset()


@dataclass
class _Encoding:
    """What messages of one kind carry: fields, window values and probes.

    ``fixed`` are the kind's own keys (``t``, ``id``, window values ...); every key added
    gets a durable hash no other key of the kind has (see :meth:`_claim`).
    """

    fixed: tuple[str, ...] = ()
    fields: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    python: set[Any] = field(default_factory=set)
    """Owners always decided by csrules' evaluator (their condition did not fit)."""
    room: int = _MAX_PATHS
    """How many more pattern paths (alternatives) the kind's rules may add."""
    types: dict[str, frozenset[type]] = field(default_factory=dict)
    owners: dict[str, set[Any]] = field(default_factory=dict)
    probes: list[tuple[str, Any, Callable[[Any, datetime | None], bool]]] = field(default_factory=list)
    _paths: dict[str, str] = field(default_factory=dict)
    _hashes: set[int] = field(default_factory=set)
    _fields: list[tuple[str, Callable[[Any], Any], frozenset[type], frozenset[Any]]] = field(
        default_factory=list)
    _probes: list[tuple[str, str, Any, Callable[[Any, datetime | None], bool]]] = field(
        default_factory=list)

    def __post_init__(self) -> None:
        for key in ("t", "id", "sid", *self.fixed):
            if durable_hash(key) in self._hashes:
                raise SessionError(f"durable-rules cannot tell message key {key!r} apart")
            self._hashes.add(durable_hash(key))

    def _claim(self, candidates: Iterable[str]) -> str:
        """The first candidate whose durable hash no key of this kind has yet."""
        if len(self._hashes) >= _MAX_KEYS:
            raise _Full
        for key in candidates:
            if durable_hash(key) not in self._hashes:
                self._hashes.add(durable_hash(key))
                return key
        raise AssertionError("unreachable: the candidates are endless")

    def field(self, path: str, owner: Any, types: frozenset[type]) -> str:
        """The key carrying ``path``, read by ``owner``; a value not of ``types`` or that
        durable cannot hold hands ``owner`` to csrules' evaluator."""
        key = self._paths.get(path)
        if key is None:
            escaped = field_key(path)[2:]
            key = self._claim(itertools.chain(
                [f"u_{escaped}"], (f"u{salt}_{escaped}" for salt in itertools.count(1))))
            self._paths[path] = key
            self.fields[key] = path_getter(path)
            self.types[key] = types
            self.owners[key] = set()
        self.owners[key].add(owner)
        return key

    def probe(self, owner: Any, function: Callable[[Any, datetime | None], bool]) -> str:
        """The key of a new probe: ``function``'s result, computed for ``owner``."""
        name = self._claim(f"p{n}" for n in itertools.count(len(self.probes)))
        self.probes.append((name, owner, function))
        return name

    def admit(self, pattern: dict[str, Any], owner: Any) -> bool:
        """Whether ``owner``'s ``pattern`` goes into the ruleset: not when it never holds,
        nor when the kind has no room left for its paths (``owner`` is then decided by
        csrules' evaluator for every message), nor when it alone has more than
        :data:`_MAX_RULE_PATHS` alternatives (pairs of role lists widened to every alias)."""
        if pattern is _FALSE:
            return False
        cap = min(self.room, _MAX_RULE_PATHS)
        paths = _paths(pattern, cap + 1)  # counted no further than what would be refused
        if paths > cap:
            self.python.add(owner)
            return False
        self.room -= paths
        return True

    def freeze(self) -> None:
        """Precompute the JSON pieces of every field and probe (after compiling)."""
        self._fields = [(f',"{key}":', get, self.types[key], frozenset(self.owners[key]))
                        for key, get in self.fields.items()]
        self._probes = [(f',"{name}":true', f',"{name}":false', owner, probe)
                        for name, owner, probe in self.probes]

    def encode(self, head: str, fact: Any, now: datetime | None, failed: set[Any]) -> str:
        """The message's JSON text: ``head`` (an open object with the fixed keys), then the
        fields, the probes and the session id; owners of probes that raised go to ``failed``.

        The text is what the host's JSON encoder would write for the same message as a dict
        (same keys, order and values), built without the dict."""
        parts = [head]
        if self.python:
            failed.update(self.python)
        for prefix, get, types, owners in self._fields:
            value = get(fact)
            if value is not None:
                kind = type(value)
                if kind is bool:  # flags, the commonest field: value_text written out
                    shown = ("true" if value else "false") if kind in types else None
                else:
                    shown = value_text(value) if kind in types else None
                if shown is None:  # durable cannot hold it: its readers are decided in Python
                    failed.update(owners)
                    continue
                parts.append(prefix)
                parts.append(shown)
        for yes, no, owner, probe in self._probes:
            try:
                parts.append(yes if probe(fact, now) else no)
            except Exception:  # the owner is then decided by csrules' evaluator
                failed.add(owner)
        parts.append(_TAIL)
        return "".join(parts)


def _paths(pattern: dict[str, Any], cap: int) -> int:
    """The alternatives durable builds for ``pattern`` (``$or`` adds, ``$and`` multiplies),
    counted up to ``cap``."""
    both = "$and" in pattern
    parts: list[dict[str, Any]] = pattern["$and"] if both else pattern.get("$or", [])
    if len(pattern) != 1 or not parts:
        return 1
    total = 1 if both else 0
    for part in parts:
        count = _paths(part, cap)
        total = min(total * count if both else total + count, cap)
    return total


def _owned_pattern(pc: _PatternCompiler, cond: ConditionBase) -> dict[str, Any]:
    """``cond``'s pattern; when the message has no room left for its keys, a pattern that
    always holds, its owner then being decided by csrules' evaluator for every message."""
    try:
        return pc.pattern(cond)
    except _Full:
        pc.encoding.python.add(pc.owner)
        return _TRUE


class _PatternCompiler:
    """Translates one condition tree into a durable pattern, adding probes as needed."""

    def __init__(self, model: type[BaseModel], params: dict[str, Any], compiler: CodeGenerator,
                 encoding: _Encoding, owner: Any, slots: dict[int, str]) -> None:
        self.model = model
        self.params = params
        self.compiler = compiler
        self.encoding = encoding
        self.owner = owner
        self.slots = slots

    def pattern(self, cond: ConditionBase, negate: bool = False) -> dict[str, Any]:
        """``cond`` (negated with ``negate``) as a durable pattern: natively when its kind
        has a translation in :data:`PATTERNS` that applies, else as a probe."""
        translate = PATTERNS.get(cond.kind)
        native = None if translate is None else translate(self, cond, negate)
        return native if native is not None else self._probe(cond, negate)

    def key(self, path: str) -> str:
        """The message key of a field durable can test (see :func:`_native`)."""
        return self.encoding.field(path, self.owner, _native(self.model, path))

    def _probe(self, cond: ConditionBase, negate: bool) -> dict[str, Any]:
        tree = Not(condition=cond) if negate else cond
        function = self.compiler.function(tree, self.params, slots={})[0]
        return {self.encoding.probe(self.owner, function): True}



Translation = Callable[[_PatternCompiler, Any, bool], "dict[str, Any] | None"]
"""A condition of one kind (negated or not) as a durable pattern, or None for a probe."""


def _junction(pc: _PatternCompiler, cond: Any, negate: bool) -> dict[str, Any]:
    """``all`` / ``any``: De Morgan under a negation."""
    parts = [pc.pattern(c, negate) for c in cond.of]
    conjunction = (cond.kind == "all") != negate
    return _and(parts) if conjunction else _or(parts)


def _negation(pc: _PatternCompiler, cond: Any, negate: bool) -> dict[str, Any]:
    return pc.pattern(cond.condition, not negate)


def _window(op_of: Callable[[Any, dict[str, Any]], tuple[str, Any]]) -> Translation:
    """A window node: its value (``w<i>``, computed by the session) against its limit."""

    def translate(pc: _PatternCompiler, cond: Any, negate: bool) -> dict[str, Any]:
        op, limit = op_of(cond, pc.params)
        return _test(pc.slots[id(cond)], _NEGATE[op] if negate else op, limit)

    return translate


def _number(cond: Any, params: dict[str, Any], literal: Any) -> Any:
    return literal if cond.param is None else params[cond.param]


def _compare(pc: _PatternCompiler, cond: Any, negate: bool) -> dict[str, Any] | None:
    if cond.field is not None or not _native(pc.model, cond.path):
        return None
    value = _literal(pc.params[cond.param] if cond.param is not None
                     else coerce_literal(field_info(pc.model, cond.path), cond.value))
    if value is None:  # durable cannot hold it exactly: a probe decides
        return None
    key = pc.key(cond.path)
    if negate:
        return _or([{"$nex": {key: 1}}, _test(key, _NEGATE[cond.op], value)])
    return _test(key, cond.op, value)


def _membership(pc: _PatternCompiler, cond: Any, negate: bool) -> dict[str, Any] | None:
    if cond.field is not None or not _native(pc.model, cond.path):
        return None
    values = [_literal(v) for v in sorted(
        pc.params[cond.param] if cond.param is not None else cond.value, key=repr)]
    if any(v is None for v in values):
        return None
    key = pc.key(cond.path)
    hits = [{key: v} for v in values]
    misses = [{"$neq": {key: v}} for v in values]
    inside = cond.kind == "in"
    positive = _or(hits) if inside else _and(misses)
    if not negate:
        return positive  # a missing value is in nothing and not_in nothing
    opposite = _and(misses) if inside else _or(hits)
    return _or([{"$nex": {key: 1}}, opposite])  # the negation holds when missing


def _presence(pc: _PatternCompiler, cond: Any, negate: bool) -> dict[str, Any] | None:
    if not _native(pc.model, cond.path):
        return None
    key = pc.key(cond.path)
    present = (cond.kind == "is_set") != negate
    return {"$ex": {key: 1}} if present else {"$nex": {key: 1}}


PATTERNS: dict[str, Translation] = {
    "all": _junction,
    "any": _junction,
    "not": _negation,
    # the session works out which items a tick reaches (see compile_ruleset)
    "still_open": lambda pc, cond, negate: _TRUE,
    "count": _window(lambda c, p: (c.op, _number(c, p, c.value))),
    "nth": _window(lambda c, p: (">=" if c.or_later else "==", _number(c, p, c.n))),
    "in_a_row": _window(lambda c, p: (">=", _number(c, p, c.times))),
    "compare": _compare,
    "in": _membership,
    "not_in": _membership,
    "is_set": _presence,
    "is_missing": _presence,
}
"""Condition kind -> its durable pattern. A kind without an entry (``contains``, ``elapsed``,
time kinds ...) is a probe: a boolean csrules computes and durable tests."""


def _rule(patterns: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return {"all": [{alias: p} for alias, p in patterns], "run": "csrules"}


RuleRole = Literal["event", "transition", "lifecycle", "deadline"]
"""What a durable rule stands for: an event rule, a lifecycle transition, a lifecycle
deadline or a deadline rule."""


class RuleName(NamedTuple):
    """What a durable rule's name means: its role and the position it decides."""

    role: RuleRole
    position: int


class MessageKind(NamedTuple):
    """One kind of message (``t``) and what its messages carry."""

    kind: str
    encoding: _Encoding


class EventKind(NamedTuple):
    """The message kind of one fact type's events, with the keys of its window values."""

    kind: str
    encoding: _Encoding
    w_keys: list[str]


@dataclass
class CompiledRuleset:
    """The durable ruleset of a program and how to build its messages."""

    ruleset: dict[str, Any]
    events: dict[str, EventKind]
    commands: dict[int, MessageKind]
    items: dict[int, MessageKind]
    names: dict[str, RuleName]


def compile_ruleset(program: Program) -> CompiledRuleset:
    """Compile every rule, transition and deadline of ``program`` into one dict ruleset."""
    ruleset: dict[str, Any] = {}
    names: dict[str, RuleName] = {}
    events: dict[str, EventKind] = {}
    commands: dict[int, MessageKind] = {}
    items: dict[int, MessageKind] = {}
    for index, fp in enumerate(program.facts.values()):
        compiler = session_generator(fp.model)
        kind = f"e{index}"
        encoding = _Encoding(tuple(f"w{i}" for i in range(len(fp.slots))))
        slot_keys = {id(s.cond): f"w{s.index}" for s in fp.slots}
        # equal nodes shared by one rule map to the same slot id; cover every node object
        for rule in fp.rules:
            for slot in rule.slots:
                slot_keys.setdefault(id(slot.cond), f"w{slot.index}")
            pc = _PatternCompiler(fp.model, rule.policy.param_values, compiler, encoding,
                                  rule.position, slot_keys)
            pattern = _and([{"t": kind}, _owned_pattern(pc, rule.rule.when)])
            if not encoding.admit(pattern, rule.position):
                continue
            name = f"r{index}_{rule.position}"
            ruleset[name] = _rule([("m", pattern)])
            names[name] = RuleName("event", rule.position)
        events[fp.fact_type] = EventKind(kind, encoding, [f"w{i}" for i in range(len(fp.slots))])
        for lp in fp.lifecycles:
            ckind = f"c{lp.position}"
            cencoding = _Encoding(("st", "ev"))
            for position, move in enumerate(lp.lifecycle.transitions):
                guard = _TRUE
                if move.guard is not None:
                    pc = _PatternCompiler(fp.model, {}, compiler, cencoding, position, {})
                    guard = _owned_pattern(pc, move.guard)
                pattern = _and([{"t": ckind}, {"st": text(move.from_)}, {"ev": text(move.on)}, guard])
                if not cencoding.admit(pattern, position):
                    continue
                name = f"t{lp.position}_{position}"
                ruleset[name] = _rule([("m", pattern)])
                names[name] = RuleName("transition", position)
            commands[lp.position] = MessageKind(ckind, cencoding)
            for position in range(len(lp.lifecycle.deadlines)):
                lkind = f"l{lp.position}_{position}"
                ruleset[lkind] = _rule([("m", {"$and": [{"t": lkind}, {"$gt": {"late": 0}}]})])
                names[lkind] = RuleName("lifecycle", position)
        for tracker in fp.trackers:
            ikind = f"i{tracker.position}"
            iencoding = _Encoding(tuple(f"f{rule.position}" for rule in tracker.rules))
            for drule in tracker.rules:
                pc = _PatternCompiler(fp.model, drule.policy.param_values, compiler, iencoding,
                                      drule.position, {})
                rest = _owned_pattern(pc, drule.rule.when)
                pattern = _and([{"t": ikind}, rest, {"$nex": {f"f{drule.position}": 1}}])
                if not iencoding.admit(pattern, drule.position):
                    continue
                name = f"d{drule.position}"
                ruleset[name] = _rule([("m", pattern)])
                names[name] = RuleName("deadline", drule.position)
            items[tracker.position] = MessageKind(ikind, iencoding)
    if not ruleset:  # durable refuses an empty ruleset; keep one rule that never matches
        ruleset["never"] = _rule([("m", {"t": "never"})])
    kinds: list[EventKind | MessageKind] = [*events.values(), *commands.values(), *items.values()]
    for message in kinds:
        message.encoding.freeze()
    return CompiledRuleset(ruleset, events, commands, items, names)


@dataclass(frozen=True)
class _EventPlan:
    """How one fact type's events become messages, and what their rule names mean."""

    kind: str
    w_keys: tuple[str, ...]
    template: str  # '{"t":"e0","id":%d,"w0":%d,...' for integer window values (the usual)
    encoding: _Encoding
    plain: bool  # no fields and no probes: the message is the head and the tail
    positions: dict[str, int]  # rule name -> rule position

    def head(self, mid: int, w: Sequence[Any]) -> str:
        """The message up to the fields: kind, message id and window values."""
        if len(w) != len(self.w_keys):
            raise ValueError(f"{len(self.w_keys)} window values expected, got {len(w)}")
        for value in w:
            if type(value) is not int:  # exact JSON for anything else (bool is not int here)
                parts = [f'{{"t":{_DUMPS(self.kind)},"id":{mid}']
                for key, item in zip(self.w_keys, w, strict=True):
                    parts.append(f',"{key}":{_json(item)}')
                return "".join(parts)
        return self.template % (mid, *w)


def _positions(positions: dict[str, int], fired: list[str]) -> list[int]:
    """The rule positions of the fired rule names, sorted, each once."""
    if not fired:
        return []
    if len(fired) == 1:
        return [positions[fired[0]]]
    return sorted({positions[name] for name in fired})


class DurableBackend:
    """Matches rules with durable-rules' Rete engine (see the module docstring)."""

    name = "durable"
    _hosts = itertools.count()

    def __init__(self, program: Program, *, fallback: Backend) -> None:
        self.program = program
        self.compiled = compile_ruleset(program)
        self.host: DurableHost = open_host(f"csrules{next(self._hosts)}", self.compiled.ruleset)
        self._ids = itertools.count(1)
        self._python = fallback  # judges a message beyond durable's limits
        positions = {name: named.position for name, named in self.compiled.names.items()
                     if named.role == "event"}
        self._plans = {
            fact_type: _EventPlan(
                kind, tuple(w_keys),
                f'{{"t":{_DUMPS(kind)},"id":%d' + "".join(f',"{k}":%d' for k in w_keys),
                encoding, not (encoding.fields or encoding.probes or encoding.python), positions)
            for fact_type, (kind, encoding, w_keys) in self.compiled.events.items()
        }

    def _names(self, fired: list[dict[str, Any]], kind: str) -> list[tuple[int, dict[str, Any]]]:
        out = []
        for action in fired:
            for name, messages in action.items():
                role, position = self.compiled.names[name]
                if role == kind or (kind == "tick" and role in ("deadline", "lifecycle")):
                    out.append((position, messages))
        return out

    def match_event(self, fp: FactProgram, fact: Any, now: datetime | None,
                    w: Sequence[Any]) -> Match[int]:
        """Assert the event as a transient fact; the rules that fire are the matches (an
        event beyond durable's limits is judged by the compiled functions).

        Written out in one function: this is the per-event path."""
        plan = self._plans[fp.fact_type]
        for value in w:
            if type(value) is not int:
                head = plan.head(next(self._ids), w)
                break
        else:  # integer window values (the usual case): one format operation
            if len(w) != len(plan.w_keys):
                raise ValueError(f"{len(plan.w_keys)} window values expected, got {len(w)}")
            head = plan.template % (next(self._ids), *w)
        positions = plan.positions
        failed: set[Any] = set()
        try:
            fired = self.host.fire_names(head + _TAIL if plan.plain else
                                         plan.encoding.encode(head, fact, now, failed))
        except DurableLimitError:
            return self._python.match_event(fp, fact, now, w)
        if not failed:
            return Match(_positions(positions, fired) if fired else [], {})
        matched = sorted({positions[name] for name in fired} - failed)
        errors: dict[int, str] = {}
        for position in sorted(failed):  # a probe failed: csrules' evaluator decides
            try:
                if fp.rules[position].check(fact, now, w):
                    matched.append(position)
            except Exception as exc:
                errors[position] = reason(exc)
        return Match(sorted(matched), errors)

    def match_transition(self, lp: LifecycleProgram, state: str, event: str, fact: Any,
                         now: datetime | None) -> Match[int]:
        """Assert the lifecycle event with its current status; matching transitions fire."""
        try:
            return self._match_transition(lp, state, event, fact, now)
        except DurableLimitError:
            return self._python.match_transition(lp, state, event, fact, now)

    def _match_transition(self, lp: LifecycleProgram, state: str, event: str, fact: Any,
                          now: datetime | None) -> Match[int]:
        kind, encoding = self.compiled.commands[lp.position]
        failed: set[Any] = set()
        head = (f'{{"t":{_DUMPS(kind)},"id":{next(self._ids)},'
                f'"st":"{text(state)}","ev":"{text(event)}"')
        message = encoding.encode(head, fact, now, failed)
        fired = [json.loads(action) for action in self.host.fire_texts([message])]
        matched = sorted({p for p, _ in self._names(fired, "transition")} - failed)
        errors: dict[int, str] = {}
        for position in sorted(failed):
            move = lp.lifecycle.transitions[position]
            guard = lp.guards[position]
            if move.from_ != state or move.on != event or guard is None:
                continue
            try:
                if guard(fact, now):
                    matched.append(position)
            except Exception as exc:
                errors[position] = reason(exc)
        return Match(sorted(matched), errors)

    def match_tick(self, now_us: int, now: datetime, items: Sequence[TickItem]) -> Match[TickPosition]:
        """Assert each open item and lifecycle deadline with its age at the tick; deadline
        rules (single patterns) fire."""
        try:
            return self._match_tick(now_us, now, items)
        except DurableLimitError:
            return self._python.match_tick(now_us, now, items)

    def _match_tick(self, now_us: int, now: datetime, items: Sequence[TickItem]) -> Match[TickPosition]:
        messages: list[str] = []
        by_id: dict[int, int] = {}
        failed: dict[int, set[Any]] = {}
        for index, item in enumerate(items):
            mid = next(self._ids)
            by_id[mid] = index
            if item.lifecycle is not None:
                kind = f"l{item.lifecycle.position}_{item.deadline}"
                messages.append(f'{{"t":{_DUMPS(kind)},"id":{mid},"late":{now_us - item.due_us}{_TAIL}')
                continue
            assert item.tracker is not None
            kind, encoding = self.compiled.items[item.tracker.position]
            head = [f'{{"t":{_DUMPS(kind)},"id":{mid}']
            # a rule fired or not yet reached is marked: when it falls is worked out here
            head.extend(f',"f{rule.position}":1' for rule in item.tracker.rules
                        if rule.position in item.fired or now_us <= rule.due_us(item.since_us, item.fact))
            bad: set[Any] = set()
            messages.append(encoding.encode("".join(head), item.fact, now, bad))
            failed[index] = bad
        fired = [json.loads(action) for action in self.host.fire_texts(messages)]
        matched: set[tuple[int, int]] = set()
        for position, aliases in self._names(fired, "tick"):
            index = by_id[int(aliases["m"]["id"])]
            item = items[index]
            matched.add((index, -1 if item.lifecycle is not None else position))
        errors: dict[TickPosition, str] = {}
        for index, bad in failed.items():  # a probe failed: csrules' evaluator decides
            matched.difference_update((index, position) for position in bad)
            matched.update(due_rules(index, items[index], now_us, now, errors, only=bad))
        return Match(sorted(matched), errors)

    def close(self) -> None:
        """Free the ruleset in durable."""
        self.host.close()

    def ruleset(self) -> dict[str, Any]:
        """The compiled dict ruleset (for reading and debugging)."""
        copied: dict[str, Any] = json.loads(json.dumps(self.compiled.ruleset))
        return copied
