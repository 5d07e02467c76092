"""``csrules impact``: what a change of policies does to the decisions of history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from csrules._cli._common import (
    CliError,
    add_format,
    add_out,
    checked_spec,
    dump_json,
    exit_status,
    in_cli_words,
    load_target,
    nonempty,
    parse_now,
    write_file,
)
from csrules._cli._input import EMPTY
from csrules.exceptions import FactError

__all__ = ["register"]

IMPACT_EXAMPLE = """\
examples:
  csrules impact call_centre company/ decisions.db
  csrules impact old/leave.yaml new/leave.yaml decisions.jsonl -o review/
  csrules impact call_centre tuned/ facts.jsonl --now 2026-03-01T09:00:00+08:00 --json

OLD and NEW are policy files, directories or packs. RECORDS are decision logs (JSON Lines,
rotated files included, or SQLite) whose facts are judged at the instant each was decided,
or JSON Lines of plain facts judged at --now. Writes impact.md and impact.html (a
self-contained page with a chart) to the output directory and prints the Markdown (or,
with --json, the report as JSON). Facts that cannot be read or judged are listed in the
report and the first on stderr; the exit status is then 2. Past 5,000 facts a progress
bar shows on stderr when it is a terminal (--no-progress turns it off).

""" + exit_status("decisions change") + "\n"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``impact``."""
    im = sub.add_parser(
        "impact",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=IMPACT_EXAMPLE,
        help="what a policy change does to past decisions",
        description="Judge every historical fact under OLD and NEW; report the decisions that change.",
    )
    im.add_argument("old", metavar="OLD", help="policy file, directory or pack")
    im.add_argument("new", metavar="NEW", help="policy file, directory or pack")
    im.add_argument("records", metavar="RECORDS", nargs="+", help="decision logs or JSON Lines facts")
    im.add_argument("--now", help="now for plain facts (records carry their own; ISO 8601 with zone)")
    im.add_argument("--fact-type", type=nonempty, help="the type of plain facts, when the policies judge several")
    im.add_argument("--no-progress", action="store_true", help="never show the progress bar")
    add_format(im, ("markdown", "json"), "markdown", "what to print: the Markdown report (default) or JSON")
    add_out(im, directory=True)
    im.set_defaults(run=run_impact)


def _side(spec: str) -> Any:
    """OLD or NEW: a policy file or a directory of policy files as the other commands read
    them; a pack (a built-in name, or a directory holding ``pack.yaml``) by ``load_pack``."""
    path = checked_spec(spec)
    if path.is_file() or (path.is_dir() and not (path / "pack.yaml").exists()):
        target = load_target(spec)
        return target.pack or target.engine()
    from csrules.policies import load_pack

    return load_pack(spec)


def _refuse_empty(path: Path) -> None:
    """Refuse a RECORDS file with nothing but white space in it, as ``eval`` refuses an
    empty facts file: a failed export is not a history in which nothing changes."""
    from csrules._engine.logs import jsonl_segments

    if not path.is_file() or any(jsonl_segments(path)):
        return  # a missing file is named by the reader; a log just rotated holds its history in <name>.N
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            if chunk.strip():
                return
    raise CliError(f"{path}: {EMPTY}: no historical facts to compare")


def run_impact(args: argparse.Namespace) -> int:
    """Measure, write impact.md and impact.html, print; exit 1 when decisions change."""
    from csrules._cli.evaluate import Progress
    from csrules.records import count_facts, impact  # the engine and packs load only for this command

    for name in args.records:
        _refuse_empty(Path(name))
    old, new = _side(args.old), _side(args.new)
    progress = Progress(sys.stderr, total_bytes=None, enabled=not args.no_progress and sys.stderr.isatty(),
                        label="csrules impact")
    if progress.enabled:
        progress.total = count_facts(args.records)
    try:
        report = impact(old, new, args.records,
                        now=parse_now(args.now), fact_type=args.fact_type,
                        progress=lambda seen, _changed: progress.update(seen, seen))
    except FactError as exc:  # the one fact type given for every plain fact: bad usage
        raise CliError("--fact-type" + str(exc).removeprefix("fact_type")) from None
    finally:
        progress.close()
    if not (report.facts or report.problem_count or report.steps):  # "no changes" must mean facts were compared
        raise CliError(f"{', '.join(args.records)}: no fact: nothing was compared")
    report.old, report.new = args.old, args.new
    report.problems = [in_cli_words(problem) for problem in report.problems]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_file(out / "impact.md", report.to_markdown())
    write_file(out / "impact.html", report.to_html())
    if args.out_format == "json":
        dump_json(report.to_dict(), sys.stdout, indent=2)
    else:
        sys.stdout.write(report.to_markdown())
        sys.stdout.write(f"\nwrote {out / 'impact.md'} and {out / 'impact.html'}\n")
    if report.steps:  # a session log given where decisions were meant: never a silent "no change"
        sys.stderr.write(f"csrules impact: {report.steps:,} session step record(s) left out: impact judges "
                         "single decisions only\n")
    if report.problem_count:  # as eval --keep-going: the rest is judged, and the input was bad
        first = report.problems[0].replace("\n", " ")
        sys.stderr.write(f"csrules impact: {report.problem_count:,} fact(s) could not be read or judged "
                         f"(listed in the report), the first: {first}\n")
        return 2
    return 1 if report.changed else 0
