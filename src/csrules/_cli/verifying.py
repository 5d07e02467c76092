"""``csrules verify``: prove reviewer properties for every possible fact, or show a
counterexample fact that reproduces through the engine; also the solver's analyses.

.. versionadded:: 0.1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from csrules._cli._common import (
    CliError,
    add_format,
    checked_spec,
    dump_json,
    exit_status,
    load_target,
    nonempty,
)
from csrules._verify import INSTALL_HINT, solver_available
from csrules.exceptions import CsrulesError

__all__ = ["check_properties", "register", "solver_findings"]

VERIFY_EXAMPLE = """\
examples:
  csrules verify call_centre
  csrules verify leave.yaml --properties leave.properties.yaml
  csrules verify call_centre --all-params --format json

A pack's properties are read from its properties.yaml, a policy file's from
<name>.properties.yaml beside it, unless --properties names a file. --all-params proves each
property for every allowed parameter value (within min and max), not only the values in force.
Each counterexample is a fact printed as JSON and as a test case (YAML), with the engine's trace.
Needs z3: """ + INSTALL_HINT + """

""" + exit_status("a property is broken or not proven") + "\n"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``verify``."""
    parser = sub.add_parser(
        "verify",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=VERIFY_EXAMPLE,
        help="prove properties for every possible fact (z3)",
        description="Prove reviewer properties for every possible fact, or show a counterexample.",
    )
    parser.add_argument("target", metavar="PACK|POLICY", help="a built-in pack, a pack directory or a policy file")
    parser.add_argument("--properties", metavar="FILE", type=nonempty,
                        help="properties file (default: the one beside the target)")
    parser.add_argument("--all-params", action="store_true", help="prove for every allowed parameter value")
    add_format(parser, ("text", "json"), "text", "output: readable text (default) or JSON")
    parser.set_defaults(run=run_verify)


def _require_solver() -> None:
    if not solver_available():
        raise CliError(f"verify needs the z3 solver, which is not installed; install it with: {INSTALL_HINT}")


def properties_path(spec: str) -> Path | None:
    """The properties file beside a pack (built-in or a directory) or a policy file."""
    from csrules._verify.properties import properties_beside

    path = Path(spec)
    if not path.exists():
        import csrules.policies

        path = Path(csrules.policies.__file__).parent / spec
        if not path.is_dir():
            return None
    found = properties_beside(path)
    base = _extended(path) if found is None else None
    # a company pack without its own properties is held to those of the pack it extends
    return properties_path(base) if base is not None else found


def _extended(pack_dir: Path) -> str | None:
    """What the pack in ``pack_dir`` ``extends:`` (a built-in name, or a path made absolute)."""
    from csrules._policy.loader import read_document, read_policy_text
    from csrules.policies.packs import PACK_NAMES

    manifest = pack_dir / "pack.yaml"
    if not manifest.is_file():
        return None
    try:
        data, _ = read_document(read_policy_text(manifest), name=str(manifest))
    except CsrulesError:
        return None  # loading the pack reports a broken manifest with its line
    base = data.get("extends") if isinstance(data, dict) else None
    if not isinstance(base, str) or base in PACK_NAMES:
        return base if isinstance(base, str) else None
    resolved = (pack_dir / base).resolve()
    return None if resolved == pack_dir.resolve() else str(resolved)


def run_verify(args: argparse.Namespace) -> int:
    """Prove the properties, run the analyses; exit 1 unless every property is proven."""
    _require_solver()
    from csrules._verify.properties import empty, load_properties
    from csrules._verify.report import verify_policies

    target = load_target(args.target)
    file = Path(checked_spec(args.properties)) if args.properties is not None else properties_path(args.target)
    if args.properties and (file is None or not file.is_file()):
        raise CliError(f"{args.properties}: no such file")
    props = load_properties(file) if file is not None else empty()
    session = getattr(target.pack, "session_policies", ())
    report = verify_policies((*target.policies, *session), props, free_params=args.all_params)
    if args.out_format == "json":
        dump_json(report.to_dict(), sys.stdout, indent=2)
    else:
        if file is None:
            sys.stdout.write("no properties file found; running the analyses only\n")
        sys.stdout.write(report.render() + "\n")
    return 0 if report.ok else 1


def solver_findings(policy: Any, file: str, lines: dict[Any, int] | None, props: Any = None) -> list[Any] | None:
    """The solver's analyses of ``policy`` as ``check`` findings; None without z3."""
    if not solver_available():
        return None
    from csrules._policy.lint import Finding
    from csrules._verify.analyses import analyse
    from csrules._verify.properties import empty

    lines = lines or {}
    out = []
    index = {rule.id: i for i, rule in enumerate(policy.rules)}
    for result in analyse(policy, props or empty()).results:
        at = lines.get(("rules", index[result.rule_id], "when")) if result.rule_id in index else None
        message = result.message
        if result.witness is not None:
            message += f" (e.g. {_short(result.witness.essentials())})"
        out.append(Finding(file, at, "warning", result.code, message, policy.id, result.rule_id))
    return out


def _short(fact: dict[str, Any]) -> str:
    import json

    return json.dumps(fact, ensure_ascii=False, default=str)


def check_properties(path: Path | None, pack: str | None) -> Any:
    """The properties ``check`` reads for a policy file (beside it, or its pack's) or a pack."""
    from csrules._verify.properties import load_properties, properties_beside

    found = properties_path(pack) if pack is not None else None
    if path is not None:
        found = properties_beside(path) or properties_beside(path.parent)
    return load_properties(found) if found is not None else None
