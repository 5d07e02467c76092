"""The house rules of the source tree, read from the code with ``ast`` (nothing is imported).

A module imports only from its own package or from lower floors, and no modules import each
other in a circle when they load. Imports inside ``if TYPE_CHECKING:`` are for types only and
do not count. Imports inside functions (the lazy ones, that load a heavy module on first use)
cannot make a circle at load time; they still may not reach up a floor, except the few listed
in ``UPWARD_ON_USE`` with the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import csrules

SRC = Path(csrules.__file__).resolve().parent
ROOT = Path(__file__).resolve().parent.parent

FLOORS: tuple[tuple[str, ...], ...] = (
    ("csrules.exceptions", "csrules._errors", "csrules._lang", "csrules._lazy", "csrules._test_file_rule"),
    ("csrules._time",),
    ("csrules._policy",),
    ("csrules._engine",),
    ("csrules._sessions",),
    ("csrules.domain",),
    ("csrules.policies",),
    ("csrules._verify",),
    ("csrules._testing",),
    ("csrules._docs",),
    ("csrules._audit",),
    (
        "csrules.audit",
        "csrules.conditions",
        "csrules.pytest_plugin",
        "csrules.records",
        "csrules.sessions",
        "csrules.testing",
        "csrules.time",
        "csrules.typing",
    ),
    ("csrules._cli",),
    ("csrules",),
)
"""From the bottom up. Errors (with the one converter of pydantic's errors) and the language
type first; time before policies (a policy's time kinds use the calendars); the engine
compiles policies; sessions run the engine's compiled conditions with memory; the domain
(fact models, the complaint lifecycle) is content built on all of these, and the packs are
policies over the domain; the testing toolkit and the documents read packs; the public
facades re-export; the command line uses everything; ``csrules`` itself imports nothing at
load time but the errors (its names load on first use)."""

UPWARD_ON_USE = {
    ("csrules._time.registry", "csrules.domain.china"): "the calendar 'china' is domain content, built on first use",
    ("csrules._cli.cli", "csrules"): "--version reads csrules.__version__ when asked",
}
"""Function-level imports allowed to reach up a floor, with the reason."""

TAIL_REGISTRATIONS = {
    ("csrules._policy.kinds.core", "csrules._policy.kinds.time"),
    ("csrules._policy.kinds.core", "csrules._policy.kinds.window"),
}
"""Imports at the very end of a module, of modules that register into it (the core kinds'
table loads the time and window kinds). Python resolves such a circle because every name
the registering modules need exists by then; it is the only kind of circle tolerated."""


@dataclass(frozen=True)
class Import:
    """One import statement's target, as written in ``module`` at ``line``."""

    module: str
    target: str
    line: int
    at_load: bool


def module_name(path: Path) -> str:
    """The dotted name of the source file ``path``."""
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.If) -> bool:
    """Whether ``node`` is ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[Import]:
    """Every csrules import of ``path``, outside ``TYPE_CHECKING`` blocks."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(nodes: list[ast.stmt], at_load: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and is_type_checking(node):
                visit(node.orelse, at_load)
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                # a name or a submodule (``from csrules import domain``): resolved by known_module
                targets = [f"{base}.{alias.name}" for alias in node.names]
            found.extend(Import(name, t, node.lineno, at_load) for t in targets if t.split(".")[0] == "csrules")
            inner = not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt | ast.ExceptHandler):
                    visit(list(ast.iter_child_nodes(child)) if isinstance(child, ast.ExceptHandler) else [child],
                          at_load and inner)

    visit(ast.parse(path.read_text(encoding="utf-8")).body, True)
    return found


def floor_of(module: str) -> int:
    """The floor of ``module``: that of the longest declared prefix."""
    best, floor = -1, -1
    for index, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, floor = len(prefix), index
    return floor


def known_module(target: str, modules: set[str]) -> str:
    """``target``, or the longest prefix of it that is a module (``from m import name``)."""
    while target not in modules and "." in target:
        target = target.rpartition(".")[0]
    return target


MODULES = sorted(SRC.rglob("*.py"))
IMPORTS = [imp for path in MODULES for imp in imports_of(path)]
NAMES = {module_name(path) for path in MODULES}


class TestFloors:
    def test_every_module_has_a_floor(self):
        """Every module of the package belongs to a declared floor."""
        assert [name for name in sorted(NAMES) if floor_of(name) < 0] == []

    def test_no_module_imports_from_a_higher_floor(self):
        """A module imports only from its own floor or lower ones (lazy exceptions are listed)."""
        upward = []
        for imp in IMPORTS:
            target = known_module(imp.target, NAMES)
            if floor_of(target) <= floor_of(imp.module):
                continue
            if imp.at_load or (imp.module, target) not in UPWARD_ON_USE:
                upward.append(f"{imp.module}:{imp.line} imports {target}{'' if imp.at_load else ' (in a function)'}")
        assert upward == []


class TestReadmeTree:
    def test_the_readme_draws_every_package(self):
        """The README's architecture tree names every package of csrules."""
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
        packages = {path.parent.name for path in SRC.rglob("*/__init__.py")}
        assert {name for name in packages if f"{name}/" not in section} == set()


class TestCircles:
    def test_no_import_circle_at_load_time(self):
        """No modules import each other in a circle when they load (function-level imports excluded)."""
        graph: dict[str, set[str]] = {name: set() for name in NAMES}
        for imp in IMPORTS:
            if imp.at_load:
                target = known_module(imp.target, NAMES)
                if target != imp.module and (imp.module, target) not in TAIL_REGISTRATIONS:
                    graph[imp.module].add(target)
                    # importing a.b.c first runs a and a.b
                    parent = target.rpartition(".")[0]
                    while parent and parent != imp.module and not imp.module.startswith(parent + "."):
                        graph[imp.module].add(parent)
                        parent = parent.rpartition(".")[0]
        assert find_circle(graph) == []

    @pytest.mark.parametrize(
        ("graph", "circle"),
        [
            ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
            ({"a": {"b"}, "b": set(), "c": {"b"}}, []),
        ],
    )
    def test_the_circle_finder_finds_circles(self, graph, circle):
        """The circle finder reports a circle of three modules and passes a tree."""
        assert find_circle(graph) == circle


def find_circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` as a path that ends where it starts, or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return []
