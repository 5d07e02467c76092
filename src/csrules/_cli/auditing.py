"""``csrules audit``: judge files of records in bulk and write the decisions and a report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from csrules._cli._common import (
    CliError,
    add_out,
    exit_status,
    judged_status,
    load_target,
    now_default,
    parse_now,
    positive_int,
    say_clock_now,
)

__all__ = ["register", "status"]

EXAMPLE = """\
examples:
  csrules audit call_centre leave-2026.parquet --fact-type leave_request --out audit/
  csrules audit call_centre part-*.csv --fact-type leave_request --where "kind = 'sick'" --limit 100000
  csrules audit call_centre leave.parquet --fact-type leave_request --scheduler tcp://10.0.0.5:8786

Writes DIR/decisions.parquet (a folder of part files, one written by each worker, read as one
table by Parquet readers), DIR/summary.json, DIR/report.md and DIR/report.html (DIR is
./csrules-out unless -o names it). A worker that dies stops the run (status 2) and nothing is
reported. Months are read in --timezone (default: the pack's timezone, else Asia/Shanghai).

An audit with any invalid row, or a row a rule failed on, exits 2 (bad input: not every row
was judged; the summary line counts them and report.html lists them), even when a violation
was found too; so does an audit of no row (a --where that selects none): nothing was judged.
Otherwise 1 when a violation was found, else 0.
""" + exit_status("a violation was found") + "\n"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``audit`` to the command parser."""
    parser = sub.add_parser("audit", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog=EXAMPLE, help="audit records in bulk (Parquet, CSV, JSON Lines, Arrow)",
                            description="Judge every record of the files against a pack or policies.")
    parser.add_argument("target", metavar="PACK", help="a built-in pack, a policy file or a directory")
    parser.add_argument("data", metavar="DATA", nargs="+", help="Parquet, CSV, JSON Lines or Arrow IPC files")
    add_out(parser, directory=True)
    parser.add_argument("--fact-type", help="the records' fact type (needed when the policies judge several)")
    parser.add_argument("--now", help="the instant rules reading the clock see (default: now)")
    parser.add_argument("--workers", type=int, help="worker processes (default: every core)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://host:8786)")
    parser.add_argument("--where", help="an SQL condition on the input columns: only rows it holds for")
    parser.add_argument("--limit", type=positive_int, help="audit at most this many rows (1 or more)")
    parser.add_argument("--batch-rows", type=int, default=50_000, help="rows per batch (default 50000)")
    parser.add_argument("--extra-columns", metavar="NAMES", type=_names, default=(),
                        help="comma-separated columns that are no field of the fact type and ride along unjudged "
                             "(an export id); any other such column is refused")
    parser.add_argument("--rows", action="store_true", help="judge every row with the row engine (no columnar path)")
    parser.add_argument("--timezone", metavar="ZONE",
                        help="the IANA zone months are read in (default: the pack's timezone, else Asia/Shanghai)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the audit; its exit status by :func:`status`."""
    try:
        from csrules._audit.run import audit
    except ImportError as exc:
        raise CliError(f"the audit needs its extra: pip install 'csrules[audit]' ({exc})") from None
    from csrules._cli.evaluate import Progress

    target = load_target(args.target)
    now = parse_now(args.now) or now_default()
    bar = Progress(sys.stderr, total_bytes=None, enabled=sys.stderr.isatty(), label="csrules audit", unit="rows")
    try:
        result = audit(
            target.pack if target.pack is not None else target.engine(),
            args.data,
            out=args.out,
            fact_type=args.fact_type,
            now=now,
            workers=args.workers,
            scheduler=args.scheduler,
            where=args.where,
            limit=args.limit,
            batch_rows=args.batch_rows,
            columnar=not args.rows,
            zone=args.timezone,
            progress=bar.update,
            title=args.target,
            extra_columns=args.extra_columns,
        )
    finally:
        bar.close()
    if args.now is None:
        say_clock_now("audit", now, target.engine())
    totals = result.summary.totals
    unjudged = totals["invalid"] + totals["error"]
    sys.stdout.write(
        f"{result.summary.input_rows:,} rows audited: {totals['violation']:,} with a violation, "
        f"{totals['invalid']:,} invalid, {totals['error']:,} with a rule error; report in {args.out}/report.html\n"
    )
    if unjudged:
        sys.stdout.write(f"not every row was judged ({unjudged:,} invalid or with a rule error): exit status 2\n")
    if not result.summary.input_rows:  # a misspelt --where value must not pass as a clean audit
        sys.stdout.write(f"no row was audited (--where {args.where!r} selected none): exit status 2\n"
                         if args.where else "no row was audited: exit status 2\n")
        return 2
    return status(totals)


def _names(text: str) -> tuple[str, ...]:
    """``--extra-columns``: column names separated by commas, none of them empty."""
    names = tuple(name.strip() for name in text.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r} lists an empty name: give column names separated by commas")
    return names


def status(totals: dict[str, int]) -> int:
    """The audit's exit status: 2 when a row is invalid or a rule failed on it (it was not
    judged), else 1 when a violation was found, else 0."""
    return judged_status(totals["violation"], failed=totals["invalid"] + totals["error"])
