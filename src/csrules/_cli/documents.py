"""``csrules docs``, ``diff``, ``schema``, ``packs`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csrules._cli._common import (
    DEFAULT_OUT,
    CliError,
    Target,
    add_common,
    add_format,
    add_out,
    dump_json,
    exit_status,
    load_target,
    pack_infos,
    write_file,
)
from csrules._cli.dates import day_problem
from csrules._docs import days_zone, generated_date, langs_for, render_diff, render_docs, script_for
from csrules._docs.plain import describe_context, rule_sentence
from csrules._docs.subject import Subject
from csrules._engine.engine import Engine
from csrules._policy.text import to_script
from csrules._testing.examples import run_examples
from csrules.exceptions import CsrulesError
from csrules.policies.schemas import SCHEMAS, file_schema, write_schemas

__all__ = ["register", "write_docs"]

DOCS_EXAMPLE = f"""\
examples:
  csrules docs call_centre                           (./{DEFAULT_OUT}/call_centre.md and .html)
  csrules docs leave.yaml --lang zh --format html -o review/
  csrules docs call_centre --lang zh --script traditional   (Chinese in traditional characters)
  csrules docs -o docs/reference --date 2026-01-01   (every built-in pack, plus index.md)

The date generated is --date, else $SOURCE_DATE_EPOCH, else today: fix it for
reproducible output.

""" + exit_status() + "\n"

DIFF_EXAMPLE = """\
examples:
  csrules diff old/leave.yaml leave.yaml                   (Markdown on stdout)
  csrules diff old/leave.yaml leave.yaml --format html -o change.html

""" + exit_status("the versions differ (like diff(1))") + "\n"

DEMO_EXAMPLE = f"""\
examples:
  csrules demo                  (writes ./{DEFAULT_OUT})
  csrules demo -o /tmp/csrules-demo --quiet

Ends with a summary: packs, rules, worked examples checked and how many failed.

""" + exit_status("a worked example failed or a pack could not be loaded") + "\n"


def _lang_date(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("en", "zh", "both"), default="both", help="language (default: both)")
    parser.add_argument("--date", help="the date generated, YYYY-MM-DD (default: $SOURCE_DATE_EPOCH or today)")
    parser.add_argument("--script", choices=("simplified", "traditional"), default=None,
                        help="the script of the Chinese text (default: simplified)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the document and information commands."""
    fmt = argparse.RawDescriptionHelpFormatter
    dc = sub.add_parser(
        "docs",
        parents=[common],
        formatter_class=fmt,
        epilog=DOCS_EXAMPLE,
        help="write the reviewer's documents (Markdown and HTML)",
        description="Write Markdown and one self-contained HTML file per pack or policy.",
    )
    dc.add_argument("targets", metavar="POLICY|PACK", nargs="*", help="default: every built-in pack")
    add_out(dc, directory=True)
    dc.add_argument("--format", dest="out_format", choices=("md", "html", "both"), default="both")
    _lang_date(dc)
    dc.set_defaults(run=run_docs)

    df = sub.add_parser(
        "diff",
        parents=[common],
        formatter_class=fmt,
        epilog=DIFF_EXAMPLE,
        help="what changed between two versions of a policy or pack",
        description="Show rules added, removed, reworded or changed, and parameters changed.",
    )
    df.add_argument("old", metavar="OLD")
    df.add_argument("new", metavar="NEW")
    df.add_argument("--format", dest="out_format", choices=("md", "html"), default="md")
    add_out(df, directory=False)
    _lang_date(df)
    df.set_defaults(run=run_diff)

    plain = argparse.ArgumentParser(add_help=False)  # no --import: these read no policy file
    add_common(plain, imports=False)
    sc = sub.add_parser(
        "schema",
        parents=[plain],
        formatter_class=fmt,
        epilog="examples:\n  csrules schema > policy.schema.json\n  csrules schema pack -o pack.schema.json\n"
        "  csrules schema --record -o record.schema.json\n\n"
        + exit_status()
        + "\n",
        help="print the JSON Schema of policy, pack.yaml or roles.yaml files",
        description="Print the JSON Schema of a file format (for editors).",
    )
    sc.add_argument("kind", nargs="?", choices=tuple(SCHEMAS), help="default: policy")
    sc.add_argument("--record", action="store_true", help="the schema of decision records (decision logs' lines)")
    add_format(sc, ("json",), "json", "a schema is JSON; taken so that --format json works here too")
    add_out(sc, directory=False)
    sc.set_defaults(run=run_schema)

    pk = sub.add_parser(
        "packs",
        parents=[plain],
        formatter_class=fmt,
        epilog="examples:\n  csrules packs\n  csrules packs --format json\n\n" + exit_status() + "\n",
        help="list the built-in policy packs",
        description="List the built-in policy packs.",
    )
    add_format(pk, ("text", "json"), "text", "output: one line per pack (default) or JSON")
    pk.set_defaults(run=run_packs)

    dm = sub.add_parser(
        "demo",
        parents=[plain],
        formatter_class=fmt,
        epilog=DEMO_EXAMPLE,
        help="judge every pack's worked examples and write its documents",
        description="For every built-in pack: judge its worked examples, print each "
        "decision briefly, and write its documents.",
    )
    add_out(dm, directory=True)
    dm.add_argument("-q", "--quiet", action="store_true", help="print only each pack's line and the summary")
    _lang_date(dm)
    dm.set_defaults(run=run_demo)


def write_docs(subject: Subject, out: Path, *, lang: str, date: str | None, fmt: str = "both",
               script: str | None = None) -> list[Path]:
    """Render ``subject`` into ``out``; return the files written."""
    try:
        langs = langs_for(lang)
        generated = generated_date(date, days_zone(subject))
        chosen = script_for(langs, script)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    rendered = render_docs(subject, langs, generated, chosen)
    for case in rendered.stale:  # inherited examples a tuned rule contradicts: marked ✘, and said here
        verdict = "could not be judged" if case.error else "does not hold for the rules as documented"
        sys.stderr.write(f"warning: {subject.name}: worked example {case.id} {verdict} ({case.message})\n")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in subject.name)
    if fmt in ("md", "both"):
        path = out / f"{stem}.md"
        write_file(path, rendered.markdown)
        written.append(path)
    if fmt in ("html", "both"):
        path = out / f"{stem}.html"
        write_file(path, rendered.html)
        written.append(path)
    return written


def _index(subjects: list[Subject], out: Path, script: str | None = None) -> Path:
    lines = [
        "# Built-in policy packs: generated reference",
        "",
        "Generated by `csrules docs --out docs/reference`; do not edit by hand "
        "(a test compares these files with what `csrules docs` produces now).",
        "",
        "| Pack | Title | Version | Content hash | Documents |",
        "|---|---|---|---|---|",
    ]
    for s in subjects:
        lines.append(
            f"| {s.name} | {s.title.en} / {s.title.zh} | {s.version} | {s.hash} | "
            f"[Markdown]({s.name}.md) · [HTML]({s.name}.html) |"
        )
    lines += ["", "JSON Schemas for editors: " + " · ".join(f"[{k}]({k}.schema.json)" for k in SCHEMAS)]
    path = out / "index.md"
    text = "\n".join(lines) + "\n"
    chosen = script_for(("en", "zh"), script)
    write_file(path, to_script(text, chosen) if chosen else text)
    return path


def _check_date(text: str | None) -> None:
    """Refuse a ``--date`` that names no day before any document is written, saying which part is wrong."""
    problem = None if text is None else day_problem(text)
    if problem:
        raise CliError(f"--date {text!r}: {problem}")


def run_docs(args: argparse.Namespace) -> int:
    """Write documents for each target (every built-in pack when none is given)."""
    _check_date(args.date)
    out = Path(args.out)
    subjects: list[Subject] = []
    if args.targets:
        subjects = [load_target(spec).subject() for spec in args.targets]
    else:
        infos = pack_infos()
        if not infos:
            raise CliError("no target given and no built-in packs are installed")
        subjects = [load_target(str(getattr(info, "name", info))).subject() for info in infos]
    for subject in subjects:
        for path in write_docs(subject, out, lang=args.lang, date=args.date, fmt=args.out_format,
                               script=args.script):
            sys.stdout.write(f"wrote {path}\n")
    if not args.targets:
        sys.stdout.write(f"wrote {_index(subjects, out, args.script)}\n")
        sys.stdout.writelines(f"wrote {path}\n" for path in write_schemas(out))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    """Print the change document; exit 1 when the versions differ."""
    _check_date(args.date)
    old_target, new_target = (_as_written(load_target(spec)) for spec in (args.old, args.new))
    packs = (old_target.pack, new_target.pack) if old_target.pack and new_target.pack else None
    try:
        langs = langs_for(args.lang)
        rendered, diff = render_diff(old_target.subject(), new_target.subject(), langs,
                                     generated_date(args.date), packs=packs)
        script = script_for(langs, args.script)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    text = rendered.markdown if args.out_format == "md" else rendered.html
    text = to_script(text, script) if script else text
    if args.out and args.out != "-":  # "-" is standard output, as everywhere on the command line
        write_file(args.out, text)
        sys.stdout.write(f"wrote {args.out}\n")
    else:
        sys.stdout.write(text)
    return 0 if diff.empty else 1


def _as_written(target: Target) -> Target:
    """``target`` with a pack's policies read as their files write them, without the role
    aliases the pack widens them to: an alias added to the catalogue is a role change."""
    if target.pack is None:
        return target
    from csrules.policies.packs import without_role_aliases  # packs load on first use

    pack = without_role_aliases(target.pack)
    return replace(target, policies=tuple(pack.policies), pack=pack)


def run_schema(args: argparse.Namespace) -> int:
    """Print (or write) the JSON Schema of policy, pack or roles files."""
    if args.record and args.kind:
        raise CliError(f"--record prints the decision record's schema; leave out {args.kind!r}")
    if args.record:
        from csrules._engine.record import record_schema  # records load only when asked for

        schema = record_schema()
    else:
        schema = file_schema(args.kind or "policy")
    if args.out and args.out != "-":  # "-" is standard output
        write_file(args.out, json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.write(f"wrote {args.out}\n")
    else:
        dump_json(schema, sys.stdout, indent=2)
    return 0


def _info_dict(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("name", "title", "version", "description", "policies"):
        value = getattr(info, name, None)
        if value is None:
            continue
        if hasattr(value, "en") and hasattr(value, "zh"):
            value = {"en": value.en, "zh": value.zh}
        elif isinstance(value, list | tuple):
            value = [getattr(v, "id", str(v)) for v in value]
        out[name] = value
    return out


def run_packs(args: argparse.Namespace) -> int:
    """List the built-in packs."""
    infos = [_info_dict(info) for info in pack_infos()]
    if args.out_format == "json":
        dump_json(infos, sys.stdout, indent=2)
        return 0
    if not infos:
        sys.stdout.write("no built-in packs are installed\n")
        return 0
    for info in infos:
        title = info.get("title")
        shown = f"{title['en']} / {title['zh']}" if isinstance(title, dict) else str(title or "")
        sys.stdout.write(f"{info.get('name', ''):<16} {info.get('version', ''):<10} {shown}\n")
    return 0


# --------------------------------------------------------------------------- demo


DEMO_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The ``now`` of demo examples that give none (a fixed instant: the demo is reproducible)."""


@dataclass
class _DemoTally:
    """What the demo's closing summary counts."""

    packs: int = 0
    rules: int = 0
    checked: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


def run_demo(args: argparse.Namespace) -> int:
    """Judge every pack's worked examples, print the decisions, write the documents, sum up."""
    _check_date(args.date)
    infos = pack_infos()
    out = Path(args.out)
    if not infos:
        sys.stdout.write("no built-in packs are installed yet; nothing to demonstrate\n")
        return 0
    tally = _DemoTally()
    for info in infos:
        name = str(getattr(info, "name", info))
        try:
            target = load_target(name)
            engine = target.engine()
        except (CsrulesError, CliError) as exc:
            sys.stdout.write(f"== {name}: cannot load: {exc}\n")
            tally.failures.append(f"{name}: cannot load: {exc}")
            continue
        _demo_pack(name, target, engine, tally, quiet=args.quiet)
        for path in write_docs(target.subject(), out, lang=args.lang, date=args.date, script=args.script):
            if not args.quiet:
                sys.stdout.write(f"wrote {path}\n")
    sys.stdout.write(_demo_summary(tally, out))
    return 1 if tally.failures else 0


def _demo_pack(name: str, target: Any, engine: Engine, tally: _DemoTally, *, quiet: bool) -> None:
    """Print one pack's examples (unless quiet) and check each against what it expects,
    the session policies' event sequences too, as ``csrules test`` checks them."""
    subject = target.subject()
    sys.stdout.write(f"== {name} {subject.version}: {subject.title.en} / {subject.title.zh}\n")
    tally.packs += 1
    checked, failed = tally.checked, tally.failed
    for policy in target.all_policies:
        ctx = describe_context(policy)
        tally.rules += len(policy.rules)
        examples = [(rule, index, example) for rule in policy.rules for index, example in enumerate(rule.examples)]
        for result, (rule, index, example) in zip(run_examples([policy], default_now=DEMO_NOW), examples, strict=False):
            tally.checked += 1
            if not result.passed:
                tally.failed += 1
                tally.failures.append(f"{result.id}: {result.message}")
            if not quiet:
                line = _demo_steps_line(policy, rule, index, example) if policy.needs_session else None
                sys.stdout.write((line or _demo_line(engine, policy, rule, index, example, ctx)) + "\n")
                if not result.passed:
                    sys.stdout.write(f"      FAIL: {result.message}\n")
    sys.stdout.write(f"   {name}: {tally.checked - checked} worked examples checked, {tally.failed - failed} failed\n")


def _demo_steps_line(policy: Any, rule: Any, index: int, example: Any) -> str:
    """One session example: the effect keys each event or tick gives, in order."""
    steps = " → ".join(f"[{', '.join(map(str, step.expect))}]" for step in example.steps or ())
    return f"  {policy.id}/{rule.id}#{index + 1}: session of {len(example.steps or ())} steps: {steps}"


def _demo_summary(tally: _DemoTally, out: Path) -> str:
    """The closing lines: counts, each failure, and where the documents are."""
    lines = [
        "",
        f"summary: {tally.packs} packs, {tally.rules} rules, {tally.checked} worked examples checked: "
        f"{tally.checked - tally.failed} passed, {tally.failed} failed",
        *(f"  FAIL {failure}" for failure in tally.failures),
        f"documents: {out}/",
    ]
    return "\n".join(lines) + "\n"


def _demo_line(engine: Engine, policy: Any, rule: Any, index: int, example: Any, ctx: Any) -> str:
    label = f"  {policy.id}/{rule.id}#{index + 1}"
    try:
        decision = engine.evaluate(example.fact, now=example.now or DEMO_NOW, fact_type=policy.fact_type)
    except CsrulesError as exc:
        return f"{label}: cannot evaluate: {exc}"
    keys = ", ".join(decision.effect_keys) or "no effect"
    mine = next((t for t in decision.trace if t.policy_id == policy.id and t.rule_id == rule.id), None)
    why = ""
    if mine is not None:
        marks = {True: "✓", False: "✗", None: "·"}
        deciding = "; ".join(f"{marks[node.result]} {node.text}" for node in mine.condition.deciding())
        why = ("applies: " if mine.matched else "does not apply: ") + deciding
    sentence = rule_sentence(rule, "en", ctx)
    return f"{label}: {decision.outcome.value} [{keys}]\n      rule: {sentence}\n      {why}"
