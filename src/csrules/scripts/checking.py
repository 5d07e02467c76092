"""``csrules check`` (validate and lint) and ``csrules test`` (worked examples and test files)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from csrules._examples import (
    ExampleResult,
    find_test_files,
    run_examples,
    run_test_files,
    summarise,
)
from csrules._lint import Finding, lint_file, lint_policy
from csrules.scripts._common import (
    CliError,
    dump_json,
    load_pack_named,
    load_target,
    parse_now,
    policy_files,
)

__all__ = ["register"]

CHECK_EXAMPLE = """\
examples:
  csrules check leave.yaml
  csrules check policies/ --format json

Reports every problem as FILE:LINE: severity [code] message. Codes: syntax, invalid
(unknown field, type error, duplicate id, a condition the fact model cannot satisfy),
unused-parameter, no-citation, few-examples, never-holds.
exit status: 0 no findings, 1 findings, 2 bad usage.
"""

TEST_EXAMPLE = """\
examples:
  csrules test leave.yaml
  csrules test call_centre -v
  csrules test policies/          (also runs test_*.yaml files found there)

exit status: 0 all passed, 1 something failed, 2 bad usage.
"""


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
    ck.add_argument("--format", dest="out_format", choices=("text", "json"), default="text")
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
    ts.add_argument("--format", dest="out_format", choices=("text", "json"), default="text")
    ts.set_defaults(run=run_test)


def _check_paths(spec: str) -> list[Path] | None:
    path = Path(spec)
    if path.is_dir():
        return policy_files(path)
    if path.exists():
        return [path]
    return None


def run_check(args: argparse.Namespace) -> int:
    """Lint every target; exit 1 when anything is found."""
    from csrules.scripts._common import _builtin_domain

    _builtin_domain()
    findings: list[Finding] = []
    checked = 0
    for spec in args.targets:
        paths = _check_paths(spec)
        if paths is None:
            if "/" in spec or spec.endswith((".yaml", ".yml", ".json")):
                raise CliError(f"{spec}: no such file")
            pack = load_pack_named(spec)
            for policy in getattr(pack, "policies", ()):
                checked += 1
                findings.extend(lint_policy(policy, file=f"{spec}:{policy.id}"))
            continue
        if not paths:
            raise CliError(f"{spec}: no policy files in this directory")
        for path in paths:
            checked += 1
            findings.extend(lint_file(path)[1])
    if args.out_format == "json":
        dump_json({"checked": checked, "findings": [f.to_dict() for f in findings]}, sys.stdout, indent=2)
    else:
        for finding in findings:
            sys.stdout.write(finding.render() + "\n")
        errors = sum(1 for f in findings if f.severity == "error")
        sys.stdout.write(
            f"{checked} polic{'y' if checked == 1 else 'ies'} checked: "
            f"{errors} error(s), {len(findings) - errors} warning(s)\n"
        )
    return 1 if findings else 0


def run_test(args: argparse.Namespace) -> int:
    """Run the worked examples, and test files when the target is a directory."""
    target = load_target(args.target)
    default_now = parse_now(args.now)
    results: list[ExampleResult] = list(run_examples(target.policies, default_now=default_now))
    path = Path(args.target)
    if path.is_dir():
        results.extend(run_test_files(find_test_files(path), target.policies))
    summary = summarise(results)
    if args.out_format == "json":
        dump_json(
            {
                "passed": summary.passed,
                "failed": summary.failed,
                "results": [r.to_dict() for r in results],
            },
            sys.stdout,
            indent=2,
        )
        return 1 if summary.failed else 0
    for result in results:
        if not result.passed:
            sys.stdout.write(f"FAIL {result.id}: {result.message}\n")
        elif args.verbose:
            sys.stdout.write(f"ok   {result.id}\n")
    if not results:
        sys.stdout.write("no worked examples or test files found\n")
    sys.stdout.write(summary.line + "\n")
    return 1 if summary.failed else 0
