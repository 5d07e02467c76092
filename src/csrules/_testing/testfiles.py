"""Policy test files: YAML files of named cases, run by pytest and by ``csrules test`` alike.

A test file names the policies under test (or leaves it to the caller), and lists cases,
each a fact, an optional ``now`` and the effect keys expected::

    # leave.test.yaml
    policy: leave.yaml               # or policies: [...], or pack: call_centre; optional
    fact_type: leave_request         # optional when the policies judge one fact type
    imports: [helpdesk.models]       # optional: modules that register host fact types
    now: 2026-03-02T09:00:00+08:00   # optional default for every case
    cases:
      - name: a day's notice is enough
        fact: {kind: personal, requested_at: ..., starts_at: ..., days: 1}
        expect: [approval:department_head]

``expect`` lists the effect keys that must hold, no more and no fewer, compared as sets
(``violation:<code>``, ``approval:<role>``, ``obligation:<who>``, ``escalation:<role>``,
``recommendation``); ``expect: []`` says the fact is clean. ``due`` pins the due time of
an expected effect, compared as an instant (``due: {obligation:agent:
2026-03-05T09:00:00+08:00}``): the deadline is what a reviewer signs. Every error names the
file and the line.

A case for session policies gives ``steps`` instead of a fact: events and ticks run in order
on a fresh session (of ``subject``, default ``example``), each with the keys expected after it::

      - name: the third 喂 of the month is fined
        subject: M01
        steps:
          - {fact: {...}, at: 2026-03-02T10:00:00+08:00, expect: [violation:CON-1]}
          - {tick: 2026-03-03T10:00:00+08:00, expect: []}
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from csrules._engine.decision import Decision
from csrules._engine.engine import Engine
from csrules._engine.examples import CaseResult
from csrules._policy.loader import line_for, load_policy, read_document
from csrules._policy.model import EFFECT_KEY, Policy, Step
from csrules._policy.trace import Trace
from csrules._sessions import SessionEngine
from csrules._testing.examples import DEFAULT_SUBJECT, Dues, due_problems, run_steps
from csrules.exceptions import CsrulesError, FactError, PolicyError

__all__ = [
    "CaseResult",
    "TestCase",
    "TestFileError",
    "case_engine",
    "case_sessions",
    "describe_mismatch",
    "due_problems",
    "listed_again",
    "load_test_file",
    "run_cases",
    "run_test_file",
    "run_test_files",
]

_FILE_KEYS = {"policy", "policies", "pack", "fact_type", "imports", "now", "cases"}
_CASE_KEYS = {"name", "fact", "now", "expect", "due", "fact_type", "steps", "subject"}
_KEY = re.compile(EFFECT_KEY)
_NOW = TypeAdapter(AwareDatetime)


class TestFileError(PolicyError):
    """A policy test file is malformed; ``file`` and ``line`` say where.

    .. versionadded:: 0.1
    """

    __test__ = False  # not a pytest test class, whatever its name


@dataclass(frozen=True)
class TestCase:
    """One named case of a test file: a fact, ``now`` and the effect keys expected; or, for
    session policies, ``steps`` run on a fresh session of ``subject`` (``fact`` is then
    ``None`` and ``expect`` empty: each step carries its own).

    ``policy_files`` and ``pack`` are what the file names as the policies under test.

    .. versionadded:: 0.1
    """

    __test__ = False  # not a pytest test class, whatever its name

    name: str
    fact: Mapping[str, Any] | None
    expect: tuple[str, ...]
    now: datetime | None = None
    fact_type: str | None = None
    file: str | None = None
    line: int | None = None
    policy_files: tuple[Path, ...] = ()
    pack: str | None = None
    steps: tuple[Step, ...] = ()
    subject: str | None = None
    due: Dues = ()
    """Due instants expected, by effect key (``obligation:agent``): checked as instants."""
    step_dues: tuple[Dues, ...] = ()
    """For a case with steps, each step's ``due`` (in step order)."""

    @property
    def id(self) -> str:
        """``file.yaml::case name`` (just the name for a case built in code)."""
        return f"{Path(self.file).name}::{self.name}" if self.file else self.name

    @property
    def where(self) -> str:
        """``file:line`` of the case, for messages."""
        if self.file is None:
            return f"case {self.name!r}"
        return f"{self.file}:{self.line}" if self.line else self.file


def load_test_file(path: str | Path) -> list[TestCase]:
    """Read a test file into its cases; a malformed file raises :class:`TestFileError`.

    >>> [case.name for case in load_test_file("tests/leave.test.yaml")]  # doctest: +SKIP
    ["a day's notice is enough", ...]
    """
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TestFileError(f"cannot read the test file: {exc.strerror}", file=name) from None
    except UnicodeDecodeError:
        raise TestFileError("the test file is not UTF-8 text", file=name) from None
    try:
        data, lines = read_document(text, fmt="json" if path.suffix == ".json" else "yaml", name=name)
    except PolicyError as exc:
        raise TestFileError(exc.message, file=exc.file or name, line=exc.line) from None

    def fail(message: str, *loc: Any) -> TestFileError:
        return TestFileError(message, file=name, line=line_for(lines, data, loc))

    if not isinstance(data, dict):
        raise fail(f"a test file holds a mapping with 'cases', not {type(data).__name__}")
    unknown = sorted(set(data) - _FILE_KEYS, key=str)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_FILE_KEYS))})", unknown[0])
    policy_files = _policy_files(data, path, fail)
    pack = data.get("pack")
    if pack is not None and not isinstance(pack, str):
        raise fail(f"pack must be a pack name (got {pack!r})", "pack")
    fact_type = _optional_str(data, "fact_type", fail)
    _run_imports(data.get("imports", []), path, fail)
    default_now = _now(data.get("now"), fail, "now")
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise fail("a test file needs a non-empty list of 'cases'", "cases")
    out: list[TestCase] = []
    seen: dict[str, int | None] = {}
    for index, raw in enumerate(cases):
        at = ("cases", index)
        if not isinstance(raw, dict):
            raise fail(f"case #{index + 1} must be a mapping with fact and expect", *at)
        unknown = sorted(set(raw) - _CASE_KEYS, key=str)
        if unknown:
            raise fail(
                f"unknown key {unknown[0]!r} in a case (allowed: {', '.join(sorted(_CASE_KEYS))})",
                *at,
                unknown[0],
            )
        case_name = raw.get("name", f"case {index + 1}")
        if not isinstance(case_name, str) or not case_name.strip():
            raise fail(f"a case name must be text (got {case_name!r})", *at, "name")
        line = line_for(lines, data, at)
        if case_name in seen:
            raise fail(
                f"two cases are named {case_name!r} (the first at line {seen[case_name]})",
                *at,
                "name",
            )
        seen[case_name] = line
        fact: dict[str, Any] | None = None
        expect: list[str] = []
        steps: tuple[Step, ...] = ()
        step_dues: tuple[Dues, ...] = ()
        if "steps" in raw:
            if "due" in raw:
                raise fail(f"case {case_name!r}: give due in each step, not in the case", *at, "due")
            steps, step_dues = _steps(raw, case_name, fail, at)
        else:
            fact = _fact_case(raw, case_name, fail, at)
            expect = _check_keys(raw.get("expect"), repr(case_name), fail, at)
        out.append(
            TestCase(
                name=case_name,
                fact=fact,
                expect=tuple(sorted(set(expect))),
                now=_now(raw.get("now"), fail, *at, "now") or default_now,
                fact_type=_optional_str(raw, "fact_type", fail, *at) or fact_type,
                file=name,
                line=line,
                policy_files=policy_files,
                pack=pack,
                steps=steps,
                subject=_optional_str(raw, "subject", fail, *at),
                due=_due(raw, case_name, expect, fail, at),
                step_dues=step_dues,
            )
        )
    return out


def _due(raw: dict[str, Any], case_name: str, expect: list[str], fail: Any, at: tuple[Any, ...]) -> Dues:
    """A case's ``due: {obligation:agent: 2026-03-13T10:00:00+08:00}``, checked: each key one
    the case expects, each value an instant with its offset."""
    written = raw.get("due")
    if written is None:
        return ()
    if not isinstance(written, dict) or not written:
        raise fail(f"case {case_name!r}: due maps effect keys to instants "
                   "({obligation:agent: 2026-03-13T10:00:00+08:00})", *at, "due")
    out = []
    for key, value in written.items():
        if key not in expect:
            raise fail(f"case {case_name!r}: due names {key!r}, which expect does not list", *at, "due", key)
        when = _now(value, fail, *at, "due", key, what=f"case {case_name!r}: due of {key!r}")
        if when is None:
            raise fail(f"case {case_name!r}: due of {key!r} needs an instant", *at, "due", key)
        out.append((str(key), when))
    return tuple(out)


def _fact_case(raw: dict[str, Any], case_name: str, fail: Any, at: tuple[Any, ...]) -> dict[str, Any]:
    if "subject" in raw:
        raise fail(f"case {case_name!r}: subject goes with steps (a single fact runs on no session)", *at, "subject")
    fact = raw.get("fact")
    if not isinstance(fact, dict):
        raise fail(f"case {case_name!r} needs a fact mapping, or steps (got {fact!r})", *at, "fact")
    return fact


def listed_again(items: Sequence[Any]) -> int | None:
    """The position of the first of ``items`` listed before it too (None: each listed once):
    in a list compared as a set, the second listing would assert nothing more."""
    return next((position for position, item in enumerate(items) if item in items[:position]), None)


def _check_keys(expect: Any, what: str, fail: Any, at: tuple[Any, ...]) -> list[str]:
    if not isinstance(expect, list):
        raise fail(f"case {what} needs 'expect', a list of effect keys ([] for clean)", *at, "expect")
    again = listed_again(expect)
    for position, key in enumerate(expect):
        if not isinstance(key, str) or not _KEY.match(key):
            raise fail(
                f"{key!r} is not an effect key (violation:<code>, approval:<role>, "
                "obligation:<who>, escalation:<role>, recommendation)",
                *at,
                "expect",
                position,
            )
        if position == again:
            raise fail(f"case {what}: expect lists {key} twice (effect keys are compared as a set)", *at, "expect",
                       position)
    return expect


def _steps(raw: dict[str, Any], case_name: str, fail: Any,
           at: tuple[Any, ...]) -> tuple[tuple[Step, ...], tuple[Dues, ...]]:
    """The steps of a session case, each checked like a worked example's step, and each
    step's ``due``."""
    for key in ("fact", "expect", "now"):
        if key in raw:
            raise fail(f"case {case_name!r} gives steps: put {key} in each step, not in the case", *at, key)
    steps = raw["steps"]
    if not isinstance(steps, list) or not steps:
        raise fail(f"case {case_name!r}: steps must be a non-empty list of events and ticks", *at, "steps")
    out = []
    dues = []
    for index, step in enumerate(steps):
        where = (*at, "steps", index)
        if not isinstance(step, dict):
            raise fail(f"case {case_name!r} step {index + 1} must be a mapping (fact or tick, and expect)", *where)
        expect = _check_keys(step.get("expect"), f"{case_name!r} step {index + 1}", fail, where)
        dues.append(_due(step, f"{case_name} step {index + 1}", expect, fail, where))
        try:
            out.append(Step(**{key: value for key, value in step.items() if key != "due"}))
        except PolicyError as exc:
            raise fail(f"case {case_name!r} step {index + 1}: {exc.message}", *where, *exc.loc) from None
    return tuple(out), tuple(dues)


def _optional_str(data: dict[str, Any], key: str, fail: Any, *at: Any) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise fail(f"{key} must be text (got {value!r})", *at, key)
    return value


def _policy_files(data: dict[str, Any], path: Path, fail: Any) -> tuple[Path, ...]:
    if "policy" in data and "policies" in data:
        raise fail("give 'policy' or 'policies', not both", "policies")
    named = data.get("policies", data.get("policy"))
    key = "policies" if "policies" in data else "policy"
    if named is None:
        return ()
    listed = named if isinstance(named, list) else [named]
    out = []
    for index, item in enumerate(listed):
        if not isinstance(item, str):
            raise fail(
                f"{key} names policy files (got {item!r})",
                key,
                *([index] if isinstance(named, list) else []),
            )
        resolved = (path.parent / item).resolve()
        if not resolved.is_file():
            raise fail(
                f"policy file {item} not found (looked for {resolved})",
                key,
                *([index] if isinstance(named, list) else []),
            )
        out.append(resolved)
    return tuple(out)


def _now(value: Any, fail: Any, *at: Any, what: str = "now") -> datetime | None:
    """An instant with its offset; ``what`` names the value in the message (``now``, a case's due)."""
    if value is None:
        return None
    try:
        return _NOW.validate_python(value)
    except ValidationError:
        shown = value.isoformat() if isinstance(value, date) else repr(value)  # YAML's own date, as written
        raise fail(
            f"{what} must be a date and time with a time zone, such as 2026-03-02T09:00:00+08:00 (got {shown})",
            *at,
        ) from None


def _run_imports(modules: Any, path: Path, fail: Any) -> None:
    listed = modules if isinstance(modules, list) else [modules]
    for index, module in enumerate(listed):
        if not isinstance(module, str) or not all(p.isidentifier() for p in module.split(".")):
            raise fail(f"imports lists module names (got {module!r})", "imports", index)
        try:
            _import_near(module, path)
        except ImportError as exc:
            raise fail(f"cannot import {module}: {exc}", "imports", index) from None


def _import_near(module: str, path: Path) -> None:
    """Import ``module``, also looking in the test file's folder and its parents."""
    try:
        importlib.import_module(module)
        return
    except ModuleNotFoundError as exc:
        top = module.split(".")[0]
        if exc.name is None or exc.name.split(".")[0] != top:
            raise
        for folder in path.resolve().parents:
            if (folder / top / "__init__.py").is_file() or (folder / f"{top}.py").is_file():
                # the way pytest puts a rootdir on sys.path, for the file's own project
                sys.path.insert(0, str(folder))
                importlib.import_module(module)
                return
        raise


def _case_policies(case: TestCase) -> tuple[list[Policy], Any]:
    """The policies ``case``'s file names, and the pack it names (or ``None``)."""
    if (case.policy_files, case.pack) == ((), None):
        raise TestFileError(
            "the test file names no policy (policy:, policies: or pack:) and none was given",
            file=case.file,
            line=case.line,
        )
    policies: list[Policy] = [load_policy(p) for p in case.policy_files]
    pack = _pack(case) if case.pack is not None else None
    if pack is not None:
        policies.extend(pack.policies)
    return policies, pack


def case_engine(case: TestCase, cache: dict[Any, Engine] | None = None) -> Engine:
    """The engine of the policies ``case``'s file names (``cache`` shares it between cases).

    Session policies named by the file are left to :func:`case_sessions`. A policy file that
    fails to load raises its own located :class:`PolicyError`; a file naming no policy
    raises :class:`TestFileError`.
    """
    key = (case.policy_files, case.pack)
    if cache is not None and key in cache:
        return cache[key]
    policies, _ = _case_policies(case)
    engine = Engine([p for p in policies if not p.needs_session])
    if cache is not None:
        cache[key] = engine
    return engine


def case_sessions(case: TestCase, cache: dict[Any, SessionEngine] | None = None) -> SessionEngine:
    """The session engine of the policies ``case``'s file names: every policy file, and a
    pack's session policies and lifecycles (``cache`` shares it between cases)."""
    key = (case.policy_files, case.pack)
    if cache is not None and key in cache:
        return cache[key]
    policies, pack = _case_policies(case)
    files = [p for p in policies if pack is None or p not in pack.policies]
    lifecycles = pack.lifecycles if pack is not None else ()
    sessions = [*files, *(pack.session_policies if pack is not None else ())]
    engine = SessionEngine(sessions, lifecycles=lifecycles, backend="python")
    if cache is not None:
        cache[key] = engine
    return engine


def _pack(case: TestCase) -> Any:
    try:
        from csrules.policies import load_pack
    except ImportError:
        raise TestFileError(
            "built-in packs are not available in this install", file=case.file, line=case.line
        ) from None
    try:
        return load_pack(str(case.pack))
    except (KeyError, LookupError, CsrulesError) as exc:
        raise TestFileError(f"pack {case.pack!r}: {exc}", file=case.file, line=case.line) from None


def _result(
    case: TestCase,
    passed: bool,
    got: tuple[str, ...] = (),
    message: str = "",
    *,
    expected: tuple[str, ...] | None = None,
    error: bool = False,
    decision: Decision | None = None,
    step: int | None = None,
) -> CaseResult:
    return CaseResult(
        case.id,
        passed,
        case.expect if expected is None else expected,
        got,
        message,
        error,
        case.file,
        case.line,
        case=case,
        decision=decision,
        step=step,
    )


def run_cases(target: Engine | Policy | Sequence[Policy] | None, cases: Iterable[TestCase]) -> list[CaseResult]:
    """Run ``cases`` against ``target``; ``None`` uses the policies each case's file names.

    ``target`` is an engine, a policy or policies; given, it judges every case. A case with
    ``steps`` runs on a fresh session of a :class:`SessionEngine` over the policies given
    (over the policies its file names when ``target`` is ``None`` or a stateless engine).

    A fact that does not validate, or a rule that fails, is a failed case (``error=True``),
    never an exception; only a file naming no usable policy raises :class:`TestFileError`.

    >>> [r.passed for r in run_cases(policy, load_test_file("leave.test.yaml"))]  # doctest: +SKIP
    [True, True]
    """
    cache: dict[Any, Engine] = {}
    sessions: dict[Any, SessionEngine] = {}
    fixed: Engine | None = None
    if isinstance(target, Engine):
        fixed = target
    elif target is not None:
        given = [target] if isinstance(target, Policy) else list(target)
        fixed = Engine([p for p in given if not p.needs_session])
        sessions[None] = SessionEngine(given, backend="python")
    results = []
    for case in cases:
        if case.steps:
            results.append(_run_steps_case(case, sessions.get(None) or case_sessions(case, sessions)))
            continue
        engine = fixed if fixed is not None else case_engine(case, cache)
        results.append(_run_fact_case(case, engine))
    return results


def _run_steps_case(case: TestCase, engine: SessionEngine) -> CaseResult:
    outcome = run_steps(engine, case.steps, subject=case.subject or DEFAULT_SUBJECT, fact_type=case.fact_type,
                        dues=case.step_dues)
    message = "" if outcome.passed else f"{case.where}: case {case.name!r}:\n{outcome.message}"
    return _result(case, outcome.passed, outcome.got, message, expected=outcome.expected, error=outcome.error,
                   step=outcome.step)


def _run_fact_case(case: TestCase, engine: Engine) -> CaseResult:
    try:
        decision = engine.evaluate(dict(case.fact or {}), now=case.now, fact_type=case.fact_type)
    except FactError as exc:
        message = f"{case.where}: case {case.name!r}: the fact does not validate: {exc}"
        return _result(case, False, (), message, error=True)
    except CsrulesError as exc:
        return _result(case, False, (), f"{case.where}: case {case.name!r}: could not evaluate: {exc}", error=True)
    got = tuple(sorted(set(decision.effect_keys)))
    late = due_problems(decision, case.due)
    if got == case.expect and not decision.errors and not late:
        return _result(case, True, got, decision=decision)
    problems = [f"effects: expected {list(case.expect)}, got {list(got)}"] if got != case.expect else []
    detail = describe_mismatch(decision, [*problems, *late], set(case.expect) ^ set(got), engine)
    message = f"{case.where}: case {case.name!r}:\n{detail}"
    return _result(case, False, got, message, error=bool(decision.errors), decision=decision)


def run_test_file(path: str | Path, policies: Sequence[Policy] = ()) -> list[CaseResult]:
    """Load and run one test file; ``policies`` serve when the file names none.

    This is what ``csrules test`` calls for each file, and what the pytest plugin runs.
    """
    cases = load_test_file(path)
    names_policies = cases[0].policy_files or cases[0].pack is not None
    return run_cases(None if names_policies or not policies else list(policies), cases)


TestFileRunner = Callable[[Path, Sequence[Policy]], Iterable[CaseResult]]
"""A test-file runner: ``(path, policies) -> results``, one per case."""


def run_test_files(
    paths: Sequence[Path], policies: Sequence[Policy], *, runner: TestFileRunner | None = None
) -> Iterator[CaseResult]:
    """Run test files with ``runner`` (default :func:`run_test_file`), one result per case.

    A file that cannot be read or names no usable policy is one failed result naming it.
    """
    run = runner or run_test_file
    for path in paths:
        try:
            yield from run(path, policies)
        except CsrulesError as exc:
            yield CaseResult(str(path), False, message=str(exc), error=True, file=str(path))


def describe_mismatch(decision: Decision, problems: Sequence[str], keys: set[str], engine: Engine | None) -> str:
    """A readable failure: what differed, the effects, and the trace of the rules that decided.

    The rules shown are those that matched and those whose effects (``keys``) were expected
    but missing or present but unexpected, each with its condition tree and the values seen.
    """
    lines = [f"  {problem}" for problem in problems]
    lines.append(f"  effects that hold: {list(decision.effect_keys) or 'none (clean)'}")
    lines += [f"  rule {e.policy_id}/{e.rule_id} failed: {e.message}" for e in decision.errors]
    relevant = {(p, r) for p, r in decision.matches}
    relevant |= {(e.policy_id, e.rule_id) for e in decision.errors}
    if engine is not None:
        relevant |= {
            (policy.id, rule.id)
            for policy in engine.policies
            for rule in policy.rules
            if keys & {effect.key for effect in rule.then}
        }
    shown = Trace(tuple(t for t in decision.trace if (t.policy_id, t.rule_id) in relevant))
    lines.append("the rules that decided:")
    lines += ["  " + line for line in shown.render().splitlines()] or ["  (no rule matched)"]
    fact = decision.fact
    shown_fact = fact.model_dump(mode="json", exclude_defaults=True) if hasattr(fact, "model_dump") else fact
    lines.append(f"fact: {shown_fact}")
    if decision.now is not None:
        lines.append(f"now: {decision.now.isoformat()}")
    return "\n".join(lines)
