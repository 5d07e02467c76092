"""The ``csrules`` command: ``eval``, ``explain``, ``check``, ``test``, ``docs``, ``diff``,
``schema``, ``packs`` and ``demo``.

Errors are one line on stderr (``csrules: error: ...``) with exit status 2, unless
``--debug`` asks for the traceback. Each command's ``--help`` ends with examples.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from csrules._cli import checking, documents, evaluate
from csrules._cli._common import CliError, Parser, add_common, import_modules
from csrules.exceptions import CsrulesError

__all__ = ["build_parser", "main"]

EPILOG = """\
examples:
  csrules demo                                    judge the built-in packs' examples, write docs
  csrules eval leave.yaml facts.jsonl --now 2026-03-01T09:00:00+08:00
  csrules explain call_centre fact.json --fact-type leave_request
  csrules check policies/
  csrules test policies/
  csrules docs call_centre -o review/
  csrules diff old.yaml new.yaml

Every command: exit status 0 success, 1 findings (a violation, an error, a failed example,
differences), 2 bad usage or bad input; --format json (or --json) where it prints data;
-o for --out. Run 'csrules COMMAND --help' for a command's options and examples.
"""


def _version() -> str:
    from csrules import __version__

    return f"csrules {__version__}"


def build_parser() -> Parser:
    """The argument parser with every command."""
    parser = Parser(
        prog="csrules",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Customer-service house rules: judge facts, check and test policies, write reviewers' documents.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=_version())
    add_common(parser)
    common = argparse.ArgumentParser(add_help=False)
    add_common(common)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    evaluate.register(sub, common)
    checking.register(sub, common)
    documents.register(sub, common)
    parser.commands = dict(sub.choices)
    return parser


def parse(parser: Parser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``, letting positionals and options mix freely after the command.

    ``csrules eval leave.yaml --now ... facts.jsonl`` must work: argparse alone gives a
    ``nargs="*"`` positional only the arguments before the first option, so the command's
    own arguments are parsed again, intermixed.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    args, _ = parser.parse_known_args(words)
    command = getattr(args, "command", None)
    if not command:
        return parser.parse_args(words)
    position = words.index(command)
    own = parser.commands[command].parse_intermixed_args(words[position + 1 :])
    if getattr(args, "imports", None) and not hasattr(own, "imports"):
        parser.commands[command].error("--import does nothing here: this command reads no policy file")
    for name, value in vars(args).items():
        if not hasattr(own, name):
            setattr(own, name, value)
    own.imports = [*getattr(args, "imports", []), *getattr(own, "imports", [])]
    own.debug = bool(getattr(args, "debug", False) or getattr(own, "debug", False))
    return own


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parse(parser, argv)
    debug = bool(getattr(args, "debug", False))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        import_modules(getattr(args, "imports", None) or [])
        status: int = args.run(args)
        return status
    except CliError as exc:
        if debug:
            raise
        _fail(args.command, str(exc))
        return exc.code
    except CsrulesError as exc:
        if debug:
            raise
        _fail(args.command, str(exc).replace("\n", " "))
        return 2
    except OSError as exc:
        if debug:
            raise
        if isinstance(exc, BrokenPipeError):
            return 0
        _fail(args.command, f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130


def _fail(command: str, message: str) -> None:
    sys.stderr.write(f"csrules {command}: error: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
