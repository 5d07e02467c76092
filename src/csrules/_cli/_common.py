"""What every command shares: loading policies or packs, errors, ``now``, JSON output."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from csrules._cli.dates import iso_problem
from csrules._test_file_rule import named_like_test_file
from csrules.exceptions import CsrulesError

if TYPE_CHECKING:
    from csrules._docs.subject import Subject
    from csrules._engine.engine import Engine
    from csrules._policy.model import Policy

__all__ = [
    "DEFAULT_OUT",
    "CliError",
    "Parser",
    "Target",
    "add_common",
    "add_format",
    "add_out",
    "checked_spec",
    "dump_json",
    "exit_status",
    "import_modules",
    "instant_problem",
    "load_pack_named",
    "load_target",
    "nonempty",
    "pack_infos",
    "parse_now",
    "percent",
    "policy_files",
    "say_clock_now",
    "write_file",
]

POLICY_SUFFIXES = (".yaml", ".yml", ".json")


class CliError(Exception):
    """A one-line error for the user; ``code`` is the exit status (2: bad usage or input)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the command and pointing to --help."""

    commands: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` and exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


DEFAULT_OUT = "csrules-out"
"""Where commands that write files write them when ``-o/--out`` is not given."""


def judged_status(violations: int, *, failed: int) -> int:
    """The exit status of a command that judges facts: 2 when something was not judged (a bad
    fact or row, a rule that failed), else 1 on a violation, else 0."""
    if failed:
        return 2
    return 1 if violations else 0


def exit_status(one: str | None = None) -> str:
    """The exit-status line every command's help ends with; ``one`` says what status 1 means."""
    middle = f", 1 {one}" if one else ""
    return f"exit status: 0 success{middle}, 2 bad usage or bad input."


def add_common(parser: argparse.ArgumentParser, *, imports: bool = True) -> None:
    """Options every command takes: ``--debug``, and ``--import`` where policies are read."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show a traceback on errors")
    if imports:
        parser.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=argparse.SUPPRESS,
            type=nonempty,
            metavar="MODULE",
            help="import a module or .py file first (it registers your fact types); repeatable",
        )


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str], default: str, help: str) -> None:
    """``--format CHOICE`` (dest ``out_format``), and ``--json`` as the alias of ``--format json``."""
    parser.add_argument("--format", dest="out_format", choices=tuple(choices), default=default, help=help)
    parser.add_argument(
        "--json", dest="out_format", action="store_const", const="json", help="the same as --format json"
    )


def nonempty(text: str) -> str:
    """An argument that names something: empty text is bad usage (``Path("")`` would mean
    the current directory, an empty fact type none at all)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a name")
    return text


def positive_int(text: str) -> int:
    """A whole number, 1 or more (``--max-examples``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {text})")
    return value


API_HINTS = (("pass fact_type= with a dict fact", "use --fact-type NAME"), ("pass now=", "use --now"))
"""The engine's hints to a caller of the Python API, and what a user of a command types instead."""


def in_cli_words(problem: str) -> str:
    """``problem`` with the engine's keyword-argument hints said as the command's options."""
    for api, option in API_HINTS:
        problem = problem.replace(api, option)
    return problem


def percent(text: str) -> float:
    """A percentage from 0 to 100 (``--fail-under``: above 100 no run could pass)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:  # also refuses nan, which compares false with everything
        raise argparse.ArgumentTypeError(f"must be a percentage from 0 to 100 (got {text})")
    return value


def add_out(parser: argparse.ArgumentParser, *, directory: bool) -> None:
    """``-o/--out``: a directory (default :data:`DEFAULT_OUT`) or a file (default: stdout)."""
    if directory:
        parser.add_argument(
            "-o", "--out", default=DEFAULT_OUT, metavar="DIR", type=nonempty,
            help=f"output directory (default: ./{DEFAULT_OUT})",
        )
    else:
        parser.add_argument("-o", "--out", metavar="FILE", type=nonempty,
                            help="write to this file instead of stdout (- is stdout)")


def import_modules(names: Sequence[str]) -> None:
    """Import host modules (by dotted name or ``.py`` path) that register fact types; audit
    workers import them too."""
    from csrules._audit.hosts import import_host_module

    for name in names:
        try:
            import_host_module(name)
        except ImportError as exc:  # no such file or module, or one the module imports
            raise CliError(f"--import {name}: {exc}") from None
        except SystemExit as exc:  # a module that ends the program when imported
            raise CliError(f"--import {name} failed: it called exit({exc.code!r}) while being imported") from None
        except Exception as exc:
            raise CliError(f"--import {name} failed: {type(exc).__name__}: {exc}") from None


def _builtin_domain() -> None:
    # The built-in fact models register themselves on import; absent until they ship.
    with contextlib.suppress(ImportError):
        importlib.import_module("csrules.domain")


def _packs_module() -> Any:
    try:
        return importlib.import_module("csrules.policies")
    except ImportError:
        return None


def pack_infos() -> list[Any]:
    """The built-in packs' infos (empty when no pack ships)."""
    module = _packs_module()
    lister: Callable[[], Any] | None = getattr(module, "list_packs", None)
    if lister is None:
        return []
    try:
        return list(lister())
    except CsrulesError:
        raise
    except Exception as exc:  # a broken installation: say so in one line
        raise CliError(f"the built-in packs cannot be listed: {type(exc).__name__}: {exc}") from None


def load_pack_named(name: str) -> Any:
    """The built-in pack ``name``; an unknown name lists the known ones."""
    module = _packs_module()
    loader = getattr(module, "load_pack", None)
    known = [str(getattr(info, "name", info)) for info in pack_infos()]
    if loader is None or (known and name not in known):
        listed = ", ".join(known) or "no built-in packs are installed"
        raise CliError(f"{name!r} is neither a policy file nor a built-in pack (packs: {listed})")
    try:
        return loader(name)
    except CsrulesError:
        raise
    except KeyError:
        raise CliError(f"unknown pack {name!r} (packs: {', '.join(known) or 'none'})") from None


def policy_files(directory: Path) -> list[Path]:
    """Policy files in ``directory`` and below (test files excluded), sorted."""
    candidates = [p for p in directory.rglob("*") if p.suffix.lower() in POLICY_SUFFIXES and p.is_file()]
    # A pack directory (one holding pack.yaml) contributes the policy files its manifest lists,
    # not the manifest itself or its roles file.
    listed: dict[Path, set[Path]] = {}
    for manifest in (p for p in candidates if p.name == PACK_MANIFEST):
        listed[manifest.parent] = {manifest.parent / name for name in _manifest_policies(manifest)}

    def wanted(path: Path) -> bool:
        pack = next((d for d in listed if d in path.parents), None)
        if path.name.endswith((".properties.yaml", ".properties.yml")):
            return False  # a reviewer's properties for csrules verify, not a policy
        return not named_like_test_file(path) and (pack is None or path in listed[pack])

    return sorted(p for p in candidates if wanted(p))


PACK_MANIFEST = "pack.yaml"


def _manifest_policies(manifest: Path) -> list[str]:
    """The policy files a pack manifest lists, session policies included (``sessions:``
    entries are ``{file: ..., replaces: [...]}``); none when it cannot be read."""
    from csrules._policy.loader import read_document, read_policy_text

    try:  # the pack loader reports what is wrong with the manifest, located
        data, _ = read_document(read_policy_text(manifest), name=str(manifest))
    except CsrulesError:
        return []
    if not isinstance(data, dict):
        return []
    sessions = data.get("sessions")
    files = [str(n) for key in ("policies", "replace") if isinstance(data.get(key), list) for n in data[key]]
    if isinstance(sessions, list):
        files += [str(s["file"]) for s in sessions if isinstance(s, dict) and "file" in s]
    return files


@dataclass
class Target:
    """What a command works on: policies from files, or a built-in pack."""

    spec: str
    policies: tuple[Policy, ...]
    pack: Any = None
    files: tuple[Path, ...] = ()

    @property
    def all_policies(self) -> tuple[Policy, ...]:
        """The policies and, for a pack, its session policies too: all whose examples run."""
        return (*self.policies, *getattr(self.pack, "session_policies", ()))

    def engine(self) -> Engine:
        """The engine judging facts: the pack's own, or one over the policies."""
        from csrules._engine.engine import Engine  # not at import: `csrules --help` needs no engine

        if self.pack is not None and callable(getattr(self.pack, "engine", None)):
            engine = self.pack.engine()
            if isinstance(engine, Engine):
                return engine
        # session policies (window kinds) run in sessions, never in the stateless engine
        return Engine([p for p in self.policies if not p.needs_session])

    def subject(self) -> Subject:
        """The document subject."""
        from csrules._docs.subject import subject_from_pack, subject_from_policies  # on first use, as above

        if self.pack is not None:
            return subject_from_pack(self.pack)
        return subject_from_policies(self.policies, name=Path(self.spec).stem or self.spec)


def checked_spec(spec: str) -> Path:
    """``spec`` as a path; an empty one is refused (``Path("")`` would mean the current directory)."""
    if not spec.strip():
        raise CliError("an empty name was given: name a policy file, a directory or a built-in pack")
    return Path(spec)


def load_target(spec: str) -> Target:
    """A policy file, a directory of policy files, or a built-in pack's name."""
    from csrules._policy.loader import load_policy  # on first use, as in Target.engine

    _builtin_domain()
    path = checked_spec(spec)
    if path.name == PACK_MANIFEST and path.is_file():  # a manifest names its pack directory
        path = path.parent
    if (path / PACK_MANIFEST).is_file():  # a pack directory: loaded as the pack, extends and all
        pack = _packs_module().load_pack(path)
        return Target(spec, tuple(pack.policies), pack=pack, files=tuple(policy_files(path)))
    if path.is_dir():
        files = policy_files(path)
        if not files:
            raise CliError(f"{spec}: no policy files (.yaml, .yml, .json) in this directory")
        return Target(spec, tuple(load_policy(f) for f in files), files=tuple(files))
    if path.exists() or path.suffix.lower() in POLICY_SUFFIXES or "/" in spec:
        if not path.exists():
            raise CliError(f"{spec}: no such file")
        return Target(spec, (load_policy(path),), files=(path,))
    pack = load_pack_named(spec)
    return Target(spec, tuple(getattr(pack, "policies", ())), pack=pack)


def parse_now(text: str | None) -> datetime | None:
    """``--now``: an ISO 8601 instant with a time zone (``Z`` allowed)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError as exc:
        problem = iso_problem(text, exc)
        if problem:
            raise CliError(f"--now {text!r}: {problem}") from None
        raise CliError(
            f"--now must be an ISO 8601 date-time such as 2026-03-01T09:00:00+08:00 (got {text!r})"
        ) from None
    if value.utcoffset() is None:
        # a day alone ("2026-03-01", even "2026-03-01+08:00", which Python reads as 08:00) gets
        # its midnight in the example, never the text with a zone glued on
        shown = value.isoformat() if any(c in text for c in "T ") else f"{text[:10]}T00:00:00"
        raise CliError(f"--now needs a time zone, e.g. {shown}+08:00 or {shown}Z")
    problem = instant_problem(value)
    if problem:
        raise CliError(f"--now {text}: {problem}")
    return value


def instant_problem(value: datetime) -> str | None:
    """Why the aware ``value`` cannot serve as ``now`` (None: it can): rules and records
    reckon in UTC, which must stay within years 1 to 9999."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        return "in UTC this falls outside years 1 to 9999"
    return None


def now_default() -> datetime:
    """The instant a command uses when ``--now`` is not given: the clock, read once, in
    whole seconds (so that the instant said by :func:`say_clock_now` is the one used)."""
    return datetime.now(UTC).replace(microsecond=0)


def say_clock_now(command: str, now: datetime, engine: Engine, *, some: int | None = None) -> None:
    """Say on stderr the instant a completed run took from the clock, when a rule of
    ``engine`` reads it: a decision should depend only on the policies, the fact and now,
    and this is how the run can be repeated. (Said at the end, so that an error stays the
    only line on stderr.) ``some`` counts the facts judged by the clock when the others
    carried a now of their own."""
    if _reads_now(engine):
        which = "" if some is None else f" ({some:,} fact(s) with no now of their own)"
        sys.stderr.write(f"csrules {command}: no --now given: judged at {now.isoformat()} by the clock{which} "
                         f"(--now {now.isoformat()} repeats this run)\n")


def _reads_now(engine: Engine) -> bool:
    """Whether a rule of ``engine`` reads the current time (its plans know)."""
    plans: dict[str, Any] = getattr(engine, "_plans", {})
    return any(getattr(plan, "reads_now", True) for plan in plans.values())


def write_file(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8; a failure names the file (a full disk names none)."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{path}: cannot write: {exc.strerror or exc}") from None


def dump_json(data: Any, out: TextIO, *, indent: int | None = None) -> None:
    """Write ``data`` as JSON (non-ASCII kept) and a newline."""
    out.write(json.dumps(data, ensure_ascii=False, indent=indent, default=str))
    out.write("\n")
