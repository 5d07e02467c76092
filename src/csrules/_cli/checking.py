"""``csrules check`` (validate and lint) and ``csrules test`` (worked examples and test files)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from csrules._cli._common import (
    CliError,
    add_format,
    checked_spec,
    dump_json,
    exit_status,
    in_cli_words,
    load_pack_named,
    load_target,
    parse_now,
    percent,
    policy_files,
    positive_int,
)
from csrules._engine.examples import CaseResult, find_test_files, summarise
from csrules._policy.lint import Finding, lint_file, lint_policy
from csrules._policy.loader import format_of, read_document, read_policy_text
from csrules._policy.model import Policy
from csrules._test_file_rule import is_test_file
from csrules._testing.coverage import collect_coverage
from csrules._testing.examples import run_examples
from csrules._testing.testfiles import run_test_file, run_test_files
from csrules._verify import INSTALL_HINT, solver_available
from csrules.exceptions import CsrulesError, PolicyError

__all__ = ["register"]

CHECK_EXAMPLE = """\
examples:
  csrules check leave.yaml
  csrules check policies/ --format json

Reports every problem as FILE:LINE: severity [code] message. Codes: syntax, invalid
(unknown field, type error, duplicate id, a condition the fact model cannot satisfy),
unused-parameter, no-citation, few-examples, never-holds; with the z3 solver installed
(pip install 'csrules[verify]') also conflict, shadowed, always-holds and gap, and never-holds
is exact (without it, never-holds compares intervals only, and check says so).

""" + exit_status("an error was found (warnings alone exit 0)") + "\n"

TEST_EXAMPLE = """\
examples:
  csrules test leave.yaml
  csrules test call_centre -v
  csrules test policies/          (also runs the test files found there)
  csrules test call_centre --coverage --fail-under 90
  csrules test leave.yaml --explore --now 2026-03-02T09:00:00+08:00

--coverage prints which rules (and which branches of their conditions) the examples made
true and false. --explore then judges generated facts placed on both sides of every
threshold the rules test (--random for plain random facts) and reports the first fact on
which a rule raised or the compiled engine and the explaining interpreter disagree.
--explore needs hypothesis: pip install 'csrules[test]'.

A test file that cannot be read (not YAML, no cases, a policy it names missing) is reported
with its file and line, the other files still run, and the command exits 2: not every test ran.
""" + exit_status("an example, test, coverage threshold or exploration failed, or nothing was tested") + "\n"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``check`` and ``test``."""
    fmt = argparse.RawDescriptionHelpFormatter
    ck = sub.add_parser(
        "check",
        parents=[common],
        formatter_class=fmt,
        epilog=CHECK_EXAMPLE,
        help="validate and lint policy files",
        description="Validate policy files and lint them; every finding has FILE:LINE.",
    )
    ck.add_argument("targets", metavar="POLICY", nargs="+", help="policy files, directories, or built-in packs")
    add_format(ck, ("text", "json"), "text", "output: FILE:LINE lines (default) or JSON")
    ck.set_defaults(run=run_check)

    ts = sub.add_parser(
        "test",
        parents=[common],
        formatter_class=fmt,
        epilog=TEST_EXAMPLE,
        help="run worked examples and test files",
        description="Run every rule's worked examples (and test files in a directory).",
    )
    ts.add_argument("target", metavar="POLICY|PACK|DIR")
    ts.add_argument("--now", help="now for examples that need one and give none (ISO 8601 with zone)")
    ts.add_argument("-v", "--verbose", action="store_true", help="list every example, not just failures")
    add_format(ts, ("text", "json"), "text", "output: readable text (default) or JSON")
    ts.add_argument("--coverage", action="store_true", help="report rule and branch coverage of the run")
    ts.add_argument("--fail-under", type=percent, metavar="PERCENT", help="with --coverage: fail below this")
    ts.add_argument("--explore", action="store_true", help="also judge generated boundary facts")
    ts.add_argument("--random", action="store_true", help="with --explore: plain random facts instead")
    ts.add_argument("--max-examples", type=positive_int, default=200, metavar="N", help="with --explore (default 200)")
    ts.set_defaults(run=run_test)


def _check_paths(spec: str) -> list[Path] | None:
    path = checked_spec(spec)
    if path.is_dir():
        return policy_files(path)
    if path.exists():
        return [path]
    return None


def _pack_dir(spec: str) -> tuple[Any, Finding | None]:
    """The pack of a pack directory (one holding pack.yaml), loaded whole, or the finding at
    the file and line that stopped it loading; (None, None) for any other target."""
    path = Path(spec)
    if not (path / "pack.yaml").is_file():
        return None, None
    from csrules.policies import load_pack

    try:
        return load_pack(path), None
    except PolicyError as exc:  # a mistake in the pack is a finding, not bad usage
        file = exc.file or str(path / "pack.yaml")
        return None, Finding(file, exc.line, "error", "invalid", exc.message, policy_id=exc.policy_id,
                             rule_id=exc.rule_id)


def _said(finding: Finding, findings: Sequence[Finding]) -> bool:
    """Whether ``findings`` already hold an error in ``finding``'s file (a policy file's own
    check says each of its problems; the pack's load stopped at the first)."""
    return any(f.severity == "error" and Path(f.file) == Path(finding.file) for f in findings)


def _gaps(spec: str, pack: Any) -> list[Finding]:
    """A warning for each stretch of days between two versions of a policy that none covers."""
    from csrules._policy.validity import version_gaps

    return [
        Finding(f"{spec}:{gap.policy_id}", None, "warning", "version-gap",
                f"no version in force from {gap.start} until {gap.end}: facts of those days cannot be judged",
                policy_id=gap.policy_id)
        for gap in version_gaps((*pack.policies, *pack.session_policies))
    ]


def run_check(args: argparse.Namespace) -> int:
    """Lint every target; exit 1 when anything is found."""
    from csrules._cli._common import _builtin_domain

    _builtin_domain()
    findings: list[Finding] = []
    checked = 0
    for spec in args.targets:
        if Path(spec).name == "pack.yaml" and Path(spec).is_file():
            spec = str(Path(spec).parent)  # a manifest stands for its pack directory
        paths = _check_paths(spec)
        pack, unloaded = _pack_dir(spec)
        if paths is None:
            if "/" in spec or spec.endswith((".yaml", ".yml", ".json")):
                raise CliError(f"{spec}: no such file")
            pack = load_pack_named(spec)
        if pack is not None and not paths:  # a built-in pack, or a pack all of whose policies it extends
            for policy in getattr(pack, "policies", ()):
                checked += 1
                found = lint_policy(policy, file=f"{spec}:{policy.id}")
                findings.extend(_with_solver(found, policy, f"{spec}:{policy.id}", None, spec))
        elif not paths and unloaded is None:
            raise CliError(f"{spec}: no policy files in this directory")
        own: list[Finding] = []
        for path in paths or ():
            checked += 1
            policy, found = lint_file(path)
            own.extend(found if policy is None else _with_solver(found, policy, str(path), path, None))
        findings.extend(own)
        if unloaded is not None and not _said(unloaded, own):
            findings.append(unloaded)
        if pack is not None:
            findings.extend(_gaps(spec, pack))
    solver = solver_available()
    if args.out_format == "json":
        dump_json({"checked": checked, "solver": solver, "findings": [f.to_dict() for f in findings]},
                  sys.stdout, indent=2)
    else:
        if not solver:
            sys.stdout.write(f"note: z3 is not installed: never-holds compares intervals only, and conflict, "
                             f"shadowed, always-holds and gap are not checked ({INSTALL_HINT})\n")
        for finding in findings:
            sys.stdout.write(finding.render() + "\n")
        errors = sum(1 for f in findings if f.severity == "error")
        sys.stdout.write(
            f"{checked} polic{'y' if checked == 1 else 'ies'} checked: "
            f"{errors} error(s), {len(findings) - errors} warning(s)\n"
        )
    return 1 if any(f.severity == "error" for f in findings) else 0


def _with_solver(found: list[Finding], policy: Any, file: str, path: Path | None, pack: str | None) -> list[Finding]:
    """``found`` with the solver's findings in place of the interval never-holds, when z3 is here."""
    from csrules._cli.verifying import check_properties, solver_findings

    lines = None
    if path is not None:
        lines = read_document(read_policy_text(path), fmt=format_of(path), name=str(path))[1]
    exact = solver_findings(policy, file, lines, check_properties(path, pack))
    if exact is None:
        return found
    return [f for f in found if f.code != "never-holds"] + exact


def run_test(args: argparse.Namespace) -> int:
    """Run the worked examples, and test files when the target is a directory."""
    if args.fail_under is not None and not args.coverage:
        raise CliError("--fail-under goes with --coverage")
    if (args.random or args.max_examples != 200) and not args.explore:
        raise CliError("--random and --max-examples go with --explore")
    if args.explore:
        _explorer()  # before any work: a missing dependency is a usage error, not a late crash
    path = Path(args.target)
    default_now = parse_now(args.now)
    # a test file given alone runs against the policies it names, not read as a policy
    test_file = path.is_file() and is_test_file(path)
    target = None if test_file else load_target(args.target)
    policies = () if target is None else target.all_policies
    unread: list[Path] = []  # test files that could not be read: bad input, not failed tests

    def read_and_run(test_path: Path, given: Sequence[Policy]) -> Iterator[CaseResult]:
        try:
            yield from run_test_file(test_path, given)
        except CsrulesError:
            unread.append(test_path)
            raise

    with ExitStack() as stack:
        coverage = stack.enter_context(collect_coverage()) if args.coverage else None
        results: list[CaseResult] = list(run_examples(policies, default_now=default_now))
        if test_file:
            results.extend(run_test_files([path], (), runner=read_and_run))
        elif target is not None and path.is_dir():
            results.extend(run_test_files(find_test_files(path), target.policies, runner=read_and_run))
    summary = summarise(results)
    # nothing tested is no pass: a suite that lost its examples must not go green
    untested = not results and not args.explore
    failed = bool(summary.failed) or untested
    extra: list[str] = []
    if coverage is not None:
        report = coverage.report()
        extra.append(report.render())
        if args.fail_under is not None and report.fails_under(args.fail_under):
            extra.append(f"coverage {report.percent}% is under {args.fail_under:g}%")
            failed = True
    if args.explore:
        explored, ok = _explore(policies, default_now, args)
        extra.extend(explored)
        failed = failed or not ok
    if args.out_format == "json":
        dump_json(
            {
                "passed": summary.passed,
                "failed": summary.failed,
                "results": [r.to_dict() for r in results],
                "reports": extra,
            },
            sys.stdout,
            indent=2,
        )
        return _test_status(failed, unread)
    for result in results:
        if not result.passed:
            sys.stdout.write(f"FAIL {result.id}: {result.message}\n")
        elif args.verbose:
            sys.stdout.write(f"ok   {result.id}\n")
    if not results:
        sys.stdout.write(f"no worked examples or test files found{': nothing was tested' if untested else ''}\n")
    for block in extra:
        sys.stdout.write(block + "\n")
    sys.stdout.write(summary.line + "\n")
    return _test_status(failed, unread)


def _test_status(failed: bool, unread: Sequence[Path]) -> int:
    """2 when a test file could not be read (said on stderr), else 1 for a failure, else 0."""
    if unread:
        names = ", ".join(str(path) for path in unread)
        sys.stderr.write(f"csrules test: error: {len(unread)} test file(s) could not be read: {names}\n")
        return 2
    return 1 if failed else 0


def _explorer() -> Any:
    """``csrules.testing.explore``; without hypothesis, a usage error saying what to install."""
    try:
        from csrules.testing import explore
    except ModuleNotFoundError as exc:
        if exc.name != "hypothesis" and not str(exc.name).startswith("hypothesis."):
            raise
        raise CliError(
            "--explore needs hypothesis, which is not installed; install it with: pip install 'csrules[test]'"
        ) from None
    return explore


def _explore(policies: tuple[Any, ...], now: Any, args: argparse.Namespace) -> tuple[list[str], bool]:
    """Explore each fact type's policies with generated facts; readable blocks and overall ok."""
    explore = _explorer()

    groups: dict[str, list[Any]] = {}
    for policy in policies:  # session policies are explored apart, with event sequences
        groups.setdefault(policy.fact_type + (" session" if policy.needs_session else ""), []).append(policy)
    blocks, ok = [], True
    for fact_type, group in groups.items():
        try:
            # session policies' event sequences carry their own times and always probe every window
            given = {} if group[0].needs_session else {"now": now, "boundaries": not args.random}
            result = explore(group, max_examples=args.max_examples, **given)
        except CsrulesError as exc:
            raise CliError(f"--explore {fact_type}: {in_cli_words(str(exc))}") from None
        blocks.append(f"[{fact_type}] {result.render()}")
        ok = ok and result.ok
    return blocks, ok
