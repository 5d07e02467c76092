"""The 8-rule leave policy (see ``leave_rules``) built in peer rule engines, for the benchmark.

Each ``make_<peer>()`` builds the rules once (parsed/compiled ahead where the engine can) and
returns an evaluator ``fact dict -> sorted tuple of matched rule ids``, the same answer as
``leave_rules.hand_written``. Peers are imported lazily, so this module imports without them;
a peer that is not installed is listed in ``UNAVAILABLE`` and its ``make_`` raises
``PeerUnavailable``.

Two shapes are offered where the engine allows both:

- per-rule (the default ``make_<peer>``): 8 separate rules, each evaluated on the fact, the way a
  rule engine holds a policy of independent rules;
- fused (``make_<peer>_fused``): the 8 rules written as one expression that returns the list of
  matched ids, so the fact crosses into the engine once. This is the fastest honest form for the
  engines whose per-call cost is dominated by converting the Python dict.

Run ``python benchmarks/peers.py`` to check every peer against ``hand_written`` on 20,000 facts
and print microseconds per decision (best of 3).
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    from .leave_rules import RULE_IDS, generate_facts, hand_written
except ImportError:  # run as a script: python benchmarks/peers.py
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from leave_rules import (  # type: ignore[no-redef, import-not-found, unused-ignore]
        RULE_IDS,
        generate_facts,
        hand_written,
    )

Evaluator = Callable[[dict[str, Any]], tuple[str, ...]]


class PeerUnavailable(RuntimeError):
    """A peer engine cannot be used here (not installed, or cannot express the policy)."""


# peer name -> (importable module, pip distribution and version it was written against)
_PEER_MODULES: dict[str, tuple[str, str]] = {
    "durable_rules": ("durable", "durable-rules==2.0.28"),
    "rule_engine": ("rule_engine", "rule-engine==5.1.0"),
    "datalogic_py": ("datalogic_py", "datalogic-py==5.9.0"),
    "panzi_json_logic": ("json_logic", "panzi-json-logic==1.0.1"),
    "zen_engine": ("zen", "zen-engine==2.1.3"),
}


def _find_unavailable() -> dict[str, str]:
    """Peers whose module cannot be found, with the reason (nothing is imported)."""
    missing: dict[str, str] = {}
    for peer, (module, dist) in _PEER_MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing[peer] = f"module {module!r} not importable: pip install '{dist}'"
    return missing


UNAVAILABLE: dict[str, str] = _find_unavailable()
"""Peer name -> why it cannot run here; the main benchmark skips these."""


def _require(peer: str) -> None:
    if peer in UNAVAILABLE:
        raise PeerUnavailable(f"{peer}: {UNAVAILABLE[peer]}")


# ---------------------------------------------------------------------------------------------
# durable-rules 2.0.28
# ---------------------------------------------------------------------------------------------

DURABLE_CONDITIONS: dict[str, dict[str, Any]] = {
    "R1": {
        "$and": [{"kind": "personal"}, {"$lt": {"notice_hours": 24}}, {"manager_approved": False}]
    },
    "R2": {
        "$and": [{"kind": "special"}, {"$lt": {"notice_hours": 1}}, {"manager_approved": False}]
    },
    "R3": {"$lte": {"days": 1}},
    "R4": {"$gt": {"days": 1}},
    "R5": {"$and": [{"kind": "personal"}, {"in_person": False}]},
    "R6": {
        "$and": [
            {"kind": "sick"},
            {"$gte": {"days": 1}},
            {"has_certificate": False},
            {"emergency": False},
        ]
    },
    "R7": {
        "$and": [
            {"night_shift": True},
            # disjoint branches: a fact matching both sides of an $or fires the rule twice
            {
                "$or": [
                    {"before_noon": False},
                    {"$and": [{"before_noon": True}, {"manager_approved": False}]},
                ]
            },
        ]
    },
    "R8": {
        "$and": [
            {"holiday": True},
            {
                "$or": [
                    {"$lt": {"notice_hours": 48}},
                    {"$and": [{"$gte": {"notice_hours": 48}}, {"manager_approved": False}]},
                ]
            },
        ]
    },
}
"""Each rule as one durable pattern (dict syntax); negations become ``== False``.

durable expands an ``$or`` into separate branches, and a fact that matches two branches fires the
rule once per branch, so each ``$or`` here is rewritten with mutually exclusive branches
(``a or b`` as ``a or (not a and b)``)."""


class _DurableEvaluator:
    """Asserts the fact into one 8-rule ruleset, collects the fired rules, then retracts it.

    A fact (unlike an event) fires every rule it matches, and retracting it right away leaves
    nothing behind in the session, so no pending events or growing state.
    """

    def __init__(self) -> None:
        from durable import engine

        fired: list[str] = []
        self._fired = fired

        class _PrivateHost(engine.Host):  # type: ignore[misc]
            """A host that starts no timer threads: actions run inside assert/retract."""

            def _run(self) -> None:
                return None

        def action_for(rid: str) -> Callable[[Any], None]:
            def action(_c: Any) -> None:
                fired.append(rid)

            return action

        self.ruleset = "leave_policy"
        rules = {
            rid: {"all": [{"m": cond}], "run": action_for(rid)}
            for rid, cond in DURABLE_CONDITIONS.items()
        }
        self.host = _PrivateHost()
        # registration deletes 'run' from the rule dicts: give it a copy
        self.host.register_rulesets({self.ruleset: copy.deepcopy(rules)})
        self._not_handled = engine.MessageNotHandledException
        rs = self.host.get_ruleset(self.ruleset)
        self._assert = rs.assert_fact
        self._retract = rs.retract_fact
        self._run_actions = self.host._handle_function

    def __call__(self, fact: dict[str, Any]) -> tuple[str, ...]:
        fired = self._fired
        fired.clear()
        rs = self.host.get_ruleset(self.ruleset)
        try:
            self._run_actions(rs, self._assert, fact, None)
        except self._not_handled:  # matched no pattern at all: nothing was stored
            return ()
        self._run_actions(rs, self._retract, fact, None)
        return tuple(sorted(fired))

    def leftovers(self) -> dict[str, Any]:
        """What the session still holds (should be no facts, no events, no exception)."""
        state = self.host.get_state(self.ruleset, "0")
        facts = [f for f in self.host.get_facts(self.ruleset, "0") if "$s" not in f]
        events = self.host.get_pending_events(self.ruleset, "0")
        return {"exception": state.get("exception"), "facts": facts, "events": events}


def make_durable_rules() -> Evaluator:
    """durable-rules: one ruleset of 8 single-pattern rules; each fact asserted then retracted."""
    _require("durable_rules")
    return _DurableEvaluator()


# ---------------------------------------------------------------------------------------------
# rule-engine
# ---------------------------------------------------------------------------------------------

RULE_ENGINE_TEXT: dict[str, str] = {
    "R1": 'kind == "personal" and notice_hours < 24 and not manager_approved',
    "R2": 'kind == "special" and notice_hours < 1 and not manager_approved',
    "R3": "days <= 1",
    "R4": "days > 1",
    "R5": 'kind == "personal" and not in_person',
    "R6": 'kind == "sick" and days >= 1 and not has_certificate and not emergency',
    "R7": "night_shift and not (before_noon and manager_approved)",
    "R8": "holiday and (notice_hours < 48 or not manager_approved)",
}


def make_rule_engine() -> Evaluator:
    """rule-engine: 8 ``Rule`` objects parsed once with a typed context; ``matches`` each."""
    _require("rule_engine")
    import rule_engine  # type: ignore[import-untyped]

    types = rule_engine.DataType
    context = rule_engine.Context(
        type_resolver={
            "kind": types.STRING,
            "days": types.FLOAT,
            "notice_hours": types.FLOAT,
            "in_person": types.BOOLEAN,
            "has_certificate": types.BOOLEAN,
            "emergency": types.BOOLEAN,
            "night_shift": types.BOOLEAN,
            "holiday": types.BOOLEAN,
            "before_noon": types.BOOLEAN,
            "manager_approved": types.BOOLEAN,
        }
    )
    compiled = [
        (rid, rule_engine.Rule(text, context=context).matches)
        for rid, text in RULE_ENGINE_TEXT.items()
    ]

    def evaluate(fact: dict[str, Any]) -> tuple[str, ...]:
        return tuple([rid for rid, matches in compiled if matches(fact)])

    return evaluate


# ---------------------------------------------------------------------------------------------
# JsonLogic: datalogic-py (Rust) and panzi-json-logic (pure Python)
# ---------------------------------------------------------------------------------------------


def _var(name: str) -> dict[str, Any]:
    return {"var": name}


def _not(expr: Any) -> dict[str, Any]:
    return {"!": [expr]}


JSONLOGIC_RULES: dict[str, dict[str, Any]] = {
    "R1": {
        "and": [
            {"==": [_var("kind"), "personal"]},
            {"<": [_var("notice_hours"), 24]},
            _not(_var("manager_approved")),
        ]
    },
    "R2": {
        "and": [
            {"==": [_var("kind"), "special"]},
            {"<": [_var("notice_hours"), 1]},
            _not(_var("manager_approved")),
        ]
    },
    "R3": {"<=": [_var("days"), 1]},
    "R4": {">": [_var("days"), 1]},
    "R5": {"and": [{"==": [_var("kind"), "personal"]}, _not(_var("in_person"))]},
    "R6": {
        "and": [
            {"==": [_var("kind"), "sick"]},
            {">=": [_var("days"), 1]},
            _not(_var("has_certificate")),
            _not(_var("emergency")),
        ]
    },
    "R7": {
        "and": [_var("night_shift"), _not({"and": [_var("before_noon"), _var("manager_approved")]})]
    },
    "R8": {
        "and": [
            _var("holiday"),
            {"or": [{"<": [_var("notice_hours"), 48]}, _not(_var("manager_approved"))]},
        ]
    },
}

JSONLOGIC_FUSED: dict[str, Any] = {
    "merge": [{"if": [cond, [rid], []]} for rid, cond in JSONLOGIC_RULES.items()]
}
"""All 8 rules as one JsonLogic expression returning the list of matched ids."""


def make_datalogic_py() -> Evaluator:
    """datalogic-py: 8 compiled rules; the fact is copied once into a ``DataHandle`` and a
    session evaluates all rules on it in one native call (``evaluate_many``)."""
    _require("datalogic_py")
    import datalogic_py

    engine = datalogic_py.Engine()
    ids = tuple(JSONLOGIC_RULES)
    rules = [engine.compile(JSONLOGIC_RULES[rid]) for rid in ids]
    session = engine.session()
    many = session.evaluate_many
    handle = datalogic_py.DataHandle
    truthy = {"true"}  # the rules are boolean-valued; results come back as JSON text

    def evaluate(fact: dict[str, Any]) -> tuple[str, ...]:
        results = many(rules, handle(fact))
        return tuple([rid for rid, res in zip(ids, results, strict=True) if res in truthy])

    # `res in truthy` relies on every rule yielding a JSON boolean: fail early if one does not
    for fact in generate_facts(64, seed=1):
        for res in many(rules, handle(fact)):
            if res not in ("true", "false"):
                raise PeerUnavailable(f"datalogic_py: non-boolean rule result {res!r}")
    return evaluate


def make_datalogic_py_fused() -> Evaluator:
    """datalogic-py: the 8 rules as one compiled ``merge``/``if`` expression returning the ids."""
    _require("datalogic_py")
    import datalogic_py

    rule = datalogic_py.Engine().compile(JSONLOGIC_FUSED)
    evaluate_rule = rule.evaluate

    def evaluate(fact: dict[str, Any]) -> tuple[str, ...]:
        return tuple(evaluate_rule(fact))

    return evaluate


def make_panzi_json_logic() -> Evaluator:
    """panzi-json-logic: a tree-walking interpreter with no compile step; applies 8 rules."""
    _require("panzi_json_logic")
    from json_logic import jsonLogic  # type: ignore[import-untyped, unused-ignore]

    rules = list(JSONLOGIC_RULES.items())

    def evaluate(fact: dict[str, Any]) -> tuple[str, ...]:
        return tuple([rid for rid, logic in rules if jsonLogic(logic, fact)])

    return evaluate


def make_panzi_json_logic_fused() -> Evaluator:
    """panzi-json-logic: the 8 rules as one ``merge``/``if`` expression returning the ids."""
    _require("panzi_json_logic")
    from json_logic import jsonLogic  # type: ignore[import-untyped, unused-ignore]

    logic = JSONLOGIC_FUSED

    def evaluate(fact: dict[str, Any]) -> tuple[str, ...]:
        return tuple(jsonLogic(logic, fact))

    return evaluate


# ---------------------------------------------------------------------------------------------
# zen-engine (GoRules ZEN expression language, compiled expressions)
# ---------------------------------------------------------------------------------------------

ZEN_EXPRESSIONS: dict[str, str] = {
    "R1": 'kind == "personal" and notice_hours < 24 and not manager_approved',
    "R2": 'kind == "special" and notice_hours < 1 and not manager_approved',
    "R3": "days <= 1",
    "R4": "days > 1",
    "R5": 'kind == "personal" and not in_person',
    "R6": 'kind == "sick" and days >= 1 and not has_certificate and not emergency',
    "R7": "night_shift and not (before_noon and manager_approved)",
    "R8": "holiday and (notice_hours < 48 or not manager_approved)",
}

ZEN_FUSED: str = (
    "filter(["
    + ", ".join(f'({expr}) ? "{rid}" : null' for rid, expr in ZEN_EXPRESSIONS.items())
    + "], # != null)"
)
"""All 8 rules as one ZEN expression returning the list of matched ids."""


def make_zen_engine() -> Evaluator:
    """zen-engine: 8 expressions compiled once with ``zen.compile_expression``; each evaluated."""
    _require("zen_engine")
    import zen

    compiled = [
        (rid, zen.compile_expression(expr).evaluate) for rid, expr in ZEN_EXPRESSIONS.items()
    ]

    def evaluate(fact: dict[str, Any]) -> tuple[str, ...]:
        return tuple([rid for rid, run in compiled if run(fact) is True])

    return evaluate


def make_zen_engine_fused() -> Evaluator:
    """zen-engine: the 8 rules as one compiled expression returning the matched ids."""
    _require("zen_engine")
    import zen

    run = zen.compile_expression(ZEN_FUSED).evaluate

    def evaluate(fact: dict[str, Any]) -> tuple[str, ...]:
        return tuple(run(fact))

    return evaluate


# ---------------------------------------------------------------------------------------------

PEERS: dict[str, tuple[str, Callable[[], Evaluator]]] = {
    "durable_rules": ("durable_rules", make_durable_rules),
    "rule_engine": ("rule_engine", make_rule_engine),
    "datalogic_py": ("datalogic_py", make_datalogic_py),
    "datalogic_py_fused": ("datalogic_py", make_datalogic_py_fused),
    "panzi_json_logic": ("panzi_json_logic", make_panzi_json_logic),
    "panzi_json_logic_fused": ("panzi_json_logic", make_panzi_json_logic_fused),
    "zen_engine": ("zen_engine", make_zen_engine),
    "zen_engine_fused": ("zen_engine", make_zen_engine_fused),
}
"""Benchmark entry name -> (peer it needs, factory). Skip entries whose peer is in UNAVAILABLE."""


def _time_per_decision(evaluate: Evaluator, facts: list[dict[str, Any]], repeat: int = 3) -> float:
    """Best-of-``repeat`` microseconds per decision over ``facts``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for fact in facts:
            evaluate(fact)
        best = min(best, time.perf_counter() - start)
    return best / len(facts) * 1e6


def main(n: int = 20_000) -> int:
    """Check every peer against ``hand_written`` on ``n`` facts and print us/decision.

    Returns 0 if every available peer agrees on every fact, else 1.
    """
    facts = generate_facts(n)
    expected = [hand_written(f) for f in facts]
    assert all(ids == tuple(sorted(ids)) and set(ids) <= set(RULE_IDS) for ids in expected)
    failures = 0
    print(f"{'hand_written':24s} {_time_per_decision(hand_written, facts):8.2f} us/decision")
    for name, (peer, factory) in PEERS.items():
        if peer in UNAVAILABLE:
            print(f"{name:24s} skipped: {UNAVAILABLE[peer]}")
            continue
        evaluate = factory()
        got = [evaluate(f) for f in facts]
        agree = sum(g == e for g, e in zip(got, expected, strict=True))
        extra = ""
        if isinstance(evaluate, _DurableEvaluator):
            left = evaluate.leftovers()
            if any(left.values()):
                failures += 1
                extra = f"  LEFTOVERS {left}"
        us = _time_per_decision(evaluate, facts)
        print(f"{name:24s} {us:8.2f} us/decision   agree {agree}/{n}{extra}")
        if agree != n:
            failures += 1
            bad = next(i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e)
            print(f"    first mismatch: {facts[bad]} -> {got[bad]} expected {expected[bad]}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
