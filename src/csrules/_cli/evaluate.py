"""``csrules eval`` and ``csrules explain``: judge facts, and show why."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TextIO

from csrules._cli._common import (
    CliError,
    Target,
    add_format,
    dump_json,
    exit_status,
    judged_status,
    load_target,
    nonempty,
    now_default,
    parse_now,
    say_clock_now,
)
from csrules._cli._input import BadRecord, Format, Record, Utf8Text, detect_format, read_records
from csrules._cli.dates import iso_problem
from csrules._engine.decision import Decision, Outcome
from csrules.exceptions import EvaluationError, FactError

__all__ = ["Progress", "register"]

PROGRESS_THRESHOLD = 5000
"""Inputs with more facts than this show a progress bar (when stderr is a terminal)."""

EVAL_EXAMPLE = """\
examples:
  csrules eval leave.yaml facts.jsonl --now 2026-03-01T09:00:00+08:00
  cat facts.json | csrules eval call_centre --fact-type leave_request --format table
  csrules eval policies/ facts.yaml --keep-going > decisions.jsonl

A bad fact is reported as FILE:LINE; --keep-going reports it, judges the rest, and still
exits 2 at the end. A rule that failed on a fact (its "errors" in the output) is named on
stderr, and exits 2: not every rule was judged.
""" + exit_status("a violation was found (and every rule was judged: a failed rule exits 2)") + "\n"

EXPLAIN_EXAMPLE = """\
examples:
  csrules explain leave.yaml fact.json --now 2026-03-01T09:00:00+08:00
  echo '{"kind": "personal", ...}' | csrules explain leave.yaml -
  csrules explain call_centre fact.json --fact-type leave_request --format json

A rule that failed on the fact is named (! POLICY/RULE failed: ...) and exits 2.
""" + exit_status("the fact is a violation (and every rule was judged: a failed rule exits 2)") + "\n"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``eval`` and ``explain`` to the command parser."""
    fmt = argparse.RawDescriptionHelpFormatter
    ev = sub.add_parser(
        "eval",
        parents=[common],
        formatter_class=fmt,
        epilog=EVAL_EXAMPLE,
        help="judge facts; decisions as JSON Lines or a table",
        description="Judge every fact in FACTS (or stdin) and print one decision per fact.",
    )
    ev.add_argument(
        "target",
        metavar="POLICY|PACK",
        help="a policy file, a directory of them, or a built-in pack",
    )
    ev.add_argument(
        "facts",
        metavar="FACTS",
        nargs="*",
        help="fact files (JSON, JSON Lines, YAML); '-' or none: stdin",
    )
    ev.add_argument(
        "--now",
        help="the current time for rules that read it (ISO 8601 with zone); default: the clock, "
        "said on stderr at the end",
    )
    add_format(
        ev,
        ("jsonl", "json", "table"),
        "jsonl",
        "output: one JSON decision per line (jsonl, the default; json is the same) or a readable table",
    )
    ev.add_argument(
        "--input-format",
        choices=("auto", "json", "jsonl", "yaml"),
        default="auto",
        help="input format (default: from the file suffix, else sniffed)",
    )
    ev.add_argument("--fact-type", type=nonempty, help="the fact type of plain facts when the target judges several")
    add_as_of(ev, "each fact's own day")
    ev.add_argument("--trace", action="store_true", help="include each decision's full trace (slow)")
    ev.add_argument("--keep-going", action="store_true", help="report bad facts and carry on")
    ev.add_argument("--summary", action="store_true", help="print counts on stderr at the end")
    ev.add_argument("--no-progress", action="store_true", help="never show the progress bar")
    ev.set_defaults(run=run_eval)

    ex = sub.add_parser(
        "explain",
        parents=[common],
        formatter_class=fmt,
        epilog=EXPLAIN_EXAMPLE,
        help="show the trace for one fact, readable",
        description="Judge one fact and show, rule by rule, what matched and why.",
    )
    ex.add_argument("target", metavar="POLICY|PACK")
    ex.add_argument(
        "fact",
        metavar="FACT",
        help="a JSON or YAML file holding one fact (or envelope); '-' for stdin",
    )
    ex.add_argument("--now", help="the current time (ISO 8601 with zone); default: the clock")
    ex.add_argument("--fact-type", type=nonempty, help="the fact type when the target judges several")
    add_as_of(ex, "the fact's own day")
    add_format(ex, ("text", "json"), "text", "output: readable text (default) or the decision and trace as JSON")
    ex.set_defaults(run=run_explain)


class Progress:
    """A one-line progress bar on stderr: shown past a threshold, only on a terminal."""

    def __init__(self, stream: TextIO, *, total_bytes: int | None, enabled: bool,
                 label: str = "csrules eval", unit: str = "facts") -> None:
        self.stream = stream
        self.label = label
        self.unit = unit
        self.total = total_bytes
        self.enabled = enabled
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, count: int, done_bytes: int | None = None) -> None:
        """Redraw at most five times a second once ``count`` passes the threshold."""
        if not self.enabled or count < PROGRESS_THRESHOLD:
            return
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        rate = count / max(now - self.started, 1e-9)
        line = f"{self.label}: {count:,} {self.unit}  {rate:,.0f}/s"
        if self.total and done_bytes is not None:
            share = min(done_bytes / self.total, 1.0)
            filled = int(share * 30)
            line = f"[{'#' * filled}{'.' * (30 - filled)}] {share:5.1%}  " + line
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the bar."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


class _Counting:
    """Wraps a text stream, counting characters read (for the progress bar's share)."""

    def __init__(self, stream: TextIO | Utf8Text) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> str:
        data = self._stream.read(size)
        self.count += len(data)
        return data

    def readline(self) -> str:
        data = self._stream.readline()
        self.count += len(data)
        return data

    def __iter__(self) -> Iterator[str]:
        for line in self._stream:
            self.count += len(line)
            yield line


@contextmanager
def _open(name: str) -> Iterator[tuple[TextIO | Utf8Text, int | None]]:
    # Input is read as bytes and decoded here, so bytes that are not UTF-8 are one located error.
    if name == "-":
        raw = getattr(sys.stdin, "buffer", None)
        yield (sys.stdin if raw is None else Utf8Text(raw, "<stdin>")), None
        return
    try:
        with open(name, "rb") as handle:
            yield Utf8Text(handle, name), os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        raise CliError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{name}: is a directory, expected a fact file") from None
    except PermissionError:
        raise CliError(f"{name}: permission denied") from None


class _Writer:
    """Output for ``eval``: lines written in batches, and the JSON of repeated decisions reused.

    Most facts end in one of a few decisions; a decision's JSON depends only on which rules
    matched unless an effect carries a due time (or a trace is asked for), so the JSON of
    those is cached by the rules matched. Memory stays bounded: the batch and the cache have
    fixed limits.
    """

    BATCH = 512
    CACHE = 4096

    def __init__(self, out: TextIO, *, trace: bool) -> None:
        self.out = out
        self.trace = trace
        self.lines: list[str] = []
        self.cache: dict[tuple[tuple[str, str], ...], tuple[Outcome, str]] = {}

    def add(self, line: str) -> None:
        """Queue one output line."""
        self.lines.append(line)
        if len(self.lines) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the queued lines."""
        if self.lines:
            self.out.write("".join(self.lines))
            self.lines.clear()
        self.out.flush()

    def decision(self, record: Record, decision: Decision, file: str | None) -> Outcome:
        """Queue one decision as a JSON line; return its outcome."""
        head = f'{{"index": {record.index}, "line": {record.line}, '
        if file is not None:
            head += f'"file": {json.dumps(file, ensure_ascii=False)}, '
        if record.id is not None:
            head += f'"id": {json.dumps(record.id, ensure_ascii=False, default=str)}, '
        key = decision.matches
        cached = None if decision.errors else self.cache.get(key)
        if cached is None:
            outcome = decision.outcome
            body = json.dumps(decision.to_dict(trace=self.trace), ensure_ascii=False, default=str)[1:]
            static = not any(getattr(e, "due", None) for e in decision.effects)
            if static and not (self.trace or decision.errors):
                if len(self.cache) >= self.CACHE:
                    self.cache.clear()
                self.cache[key] = (outcome, body)
        else:
            outcome, body = cached
        self.add(head + body + "\n")
        return outcome


_RULES_WIDTH = 28
"""Characters of the rules column of ``--format table``."""
_TABLE = "{:>7}  {:>6}  {:<15}  {:<" + str(_RULES_WIDTH) + "}  {}"


def run_eval(args: argparse.Namespace) -> int:
    """Judge every fact; exit 0 clean, 1 on a violation, 2 on bad input or a failed rule."""
    target = load_target(args.target)
    engine = target.engine()
    now = parse_now(args.now) or now_default()
    as_of = _as_of(args.as_of)
    writer = _Writer(sys.stdout, trace=args.trace)
    several = len(args.facts) > 1
    violations = bad = count = failed = clocked = 0
    outcomes: dict[str, int] = {}
    table = args.out_format == "table"
    if table:
        writer.add(_TABLE.format("#", "line", "outcome", "rules", "effects") + "\n")
    progress = Progress(sys.stderr, total_bytes=None, enabled=not args.no_progress and sys.stderr.isatty())
    try:
        for name in args.facts or ["-"]:
            with _open(name) as (handle, size):
                counting = _Counting(handle)
                progress.total = size
                label = "<stdin>" if name == "-" else name
                fmt: Format = detect_format(label, args.input_format)
                for record in read_records(counting, fmt, name=label):
                    count += 1
                    if isinstance(record, BadRecord):
                        bad += 1
                        _bad(label, record.line, record.message, args.keep_going, writer)
                        continue
                    try:
                        decision = _decide(engine, record, now, args.fact_type, as_of)
                    except EvaluationError as exc:
                        bad += 1
                        _bad(label, record.line, str(exc), args.keep_going, writer)
                        continue
                    clocked += record.now is None
                    if decision.errors:
                        failed += 1
                        _failed(label, record.line, decision, failed, writer)
                    if table:
                        outcome = decision.outcome
                        writer.add(_row(record, decision, label) + "\n")
                    else:
                        outcome = writer.decision(record, decision, label if several else None)
                    if outcome is Outcome.VIOLATION:
                        violations += 1
                    outcomes[outcome.value] = outcomes.get(outcome.value, 0) + 1
                    progress.update(count, counting.count)
    finally:
        writer.flush()
        progress.close()
    judged = sum(outcomes.values())
    if args.now is None and clocked:  # facts that carried their own now were not judged by the clock
        say_clock_now("eval", now, engine, some=clocked if clocked < judged else None)
    if args.summary or (table and sys.stderr.isatty()):
        parts = ", ".join(f"{n:,} {k}" for k, n in sorted(outcomes.items()))
        noun = "fact" if count == 1 else "facts"
        sys.stderr.write(f"{count:,} {noun}: {parts or 'none judged'}" + (f", {bad:,} bad" if bad else "") + "\n")
    if failed:
        noun = "fact" if failed == 1 else "facts"
        sys.stderr.write(f"csrules eval: not every rule was judged ({failed:,} {noun} with a failed rule): "
                         "exit status 2\n")
    return judged_status(violations, failed=bad + failed)


_FAILED_SHOWN = 10
"""Facts with a failed rule named one by one on stderr; the rest are counted."""


def _failed(label: str, line: int | None, decision: Decision, seen: int, out: _Writer) -> None:
    """Name on stderr the rules that failed on one fact (the first few facts only)."""
    if seen > _FAILED_SHOWN:
        return
    out.flush()
    where = f"{label}:{line}" if line is not None else label
    for error in decision.errors:
        message = error.message.replace("\n", " ")
        sys.stderr.write(f"csrules eval: {where}: rule {error.policy_id}/{error.rule_id} failed: {message}\n")
    if seen == _FAILED_SHOWN:
        sys.stderr.write("csrules eval: (further facts with a failed rule are only counted)\n")


def _decide(engine: Any, record: Record, now: Any, fact_type: str | None, as_of: date | None = None) -> Decision:
    chosen = record.fact_type or fact_type
    judged = engine.fact_types
    if chosen is None and len(judged) > 1:
        raise FactError(
            f"this target judges several fact types ({', '.join(judged)}): use --fact-type NAME, "
            'or give the fact in an envelope {"fact_type": NAME, "fact": {...}}'
        )
    if chosen is not None and chosen not in judged:
        given = "the envelope's fact_type" if record.fact_type else "--fact-type"
        raise FactError(f"{given} {chosen!r}: no policy here judges it (fact types: {', '.join(judged)})")
    decision: Decision = engine.evaluate(record.fact, now=record.now or now, fact_type=chosen, as_of=as_of)
    return decision


def add_as_of(parser: argparse.ArgumentParser, default: str) -> None:
    """``--as-of DAY``: judge by the policy versions in force on DAY instead of ``default``."""
    parser.add_argument("--as-of", metavar="DAY", help="judge by the policy versions in force on DAY (YYYY-MM-DD); "
                        f"default: {default}")


def _as_of(text: str | None) -> date | None:
    """``--as-of``: a day, YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        problem = iso_problem(text, exc)
        raise CliError(f"--as-of {text!r}: {problem}" if problem else
                       f"--as-of must be a day such as 2026-07-01 (got {text!r})") from None


def _bad(label: str, line: int | None, message: str, keep_going: bool, out: _Writer) -> None:
    # One numbering for the user: the fact's 1-based line in its file (its 0-based index is
    # the output's "index" field, which a bad fact never gets).
    where = f"{label}:{line}" if line is not None else label
    message = message.replace("\n", " ")
    if not keep_going:
        raise CliError(f"{where}: bad fact: {message}")
    out.flush()
    sys.stderr.write(f"csrules eval: {where}: bad fact: {message}\n")


def _row(record: Record, decision: Decision, label: str) -> str:
    rules = ",".join(decision.rule_ids) or "-"
    keys = ", ".join(decision.effect_keys) or "-"
    del label
    if len(rules) > _RULES_WIDTH:  # cut, and said to be cut: a bare "ATT-2." reads as a rule id
        rules = rules[:_RULES_WIDTH - 1] + "…"
    return _TABLE.format(record.index, record.line, decision.outcome.value, rules, keys)


# --------------------------------------------------------------------------- explain


def _fact_label(name: str) -> str:
    """How errors name explain's FACT: the file, ``<stdin>``, or ``<argument>`` for inline JSON."""
    if name.lstrip().startswith(("{", "[")):
        return "<argument>"
    return "<stdin>" if name == "-" else name


def _read_one(name: str) -> Record:
    from csrules._cli._input import read_records as read

    if not name.strip():
        raise CliError("FACT is empty: name a fact file, '-' for stdin, or give the fact as JSON")
    label = _fact_label(name)
    if label == "<argument>":
        text_records = list(read(io.StringIO(name), "json", name=label))
    else:
        with _open(name) as (handle, _):
            text_records = list(read(handle, detect_format(label, "auto"), name=label))
    if not text_records:
        raise CliError(f"{label}: holds no fact")
    first = text_records[0]
    if isinstance(first, BadRecord):
        where = f"{label}:{first.line}" if first.line else label
        raise CliError(f"{where}: {first.message}")
    if len(text_records) > 1:
        raise CliError(f"{label}: holds {len(text_records)} facts; explain takes one (use eval --trace for many)")
    return first


def run_explain(args: argparse.Namespace) -> int:
    """Print the decision for one fact and every rule's trace."""
    target: Target = load_target(args.target)
    engine = target.engine()
    record = _read_one(args.fact)
    clock = record.now is None and args.now is None
    now = record.now or parse_now(args.now) or now_default()
    try:
        decision = _decide(engine, record, now, args.fact_type, _as_of(args.as_of))
    except EvaluationError as exc:
        raise CliError(f"{_fact_label(args.fact)}:{record.line}: bad fact: {exc}") from None
    status = judged_status(int(decision.outcome is Outcome.VIOLATION), failed=len(decision.errors))
    if clock:
        say_clock_now("explain", now, engine)
    if args.out_format == "json":
        dump_json(decision.to_dict(trace=True), sys.stdout, indent=2)
        return status
    out = sys.stdout
    out.write(f"outcome: {decision.outcome.value}\n")
    out.write("policies: " + ", ".join(f"{p.id}@{p.version}" for p in decision.policies) + "\n")
    if decision.now is not None:
        out.write(f"now: {decision.now.isoformat()}\n")
    for effect in decision.effects:
        out.write(f"  → {_effect_line(effect)}\n")
    if not decision.effects:
        out.write("  → no rule applies\n")
    for error in decision.errors:
        out.write(f"  ! {error.policy_id}/{error.rule_id} failed: {error.message}\n")
    if decision.errors:
        out.write(f"not every rule was judged ({len(decision.errors)} failed): exit status 2\n")
    out.write("\n" + decision.trace.render() + "\n")
    return status


def _effect_line(effect: Any) -> str:
    text = None
    for name in ("message", "action", "reason", "text"):
        value = getattr(effect, name, None)
        if value is not None:
            text = value.en
            break
    due = getattr(effect, "due", None)
    extra = f" (due {due.isoformat()})" if due is not None else ""
    rules = ", ".join(getattr(effect, "rules", (effect.rule_id,)))  # a merged approval names every rule
    return f"{effect.key} [{rules}]" + (f": {text}" if text else "") + extra
