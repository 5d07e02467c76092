"""The public surface: __all__ is grouped, complete and shown as csrules.*; names load on
first use and moved names warn; ``import csrules`` and ``csrules --help`` stay light."""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import types
import warnings
from importlib import metadata
from pathlib import Path

import pytest

import csrules
from csrules._policy import facts as fact_registry
from csrules.policies import LIFECYCLES, load_pack

HEAVY = (
    "pydantic", "yaml", "holidays", "opencc", "durable", "durable_rules_engine", "hypothesis", "psycopg",
    "csrules._engine", "csrules._sessions", "csrules._docs", "csrules._policy", "csrules.domain",
)
"""Modules ``import csrules`` must not load (the errors are all it loads)."""


def loaded_after(code: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``code`` (heavy ones only)."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    modules = json.loads(done.stdout.splitlines()[-1])
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


class TestExports:
    def test_all_resolves_without_repeats(self):
        """Every name in __all__ exists once (its order is kept by ruff's RUF022)."""
        assert len(set(csrules.__all__)) == len(csrules.__all__)
        for name in csrules.__all__:
            assert hasattr(csrules, name), name

    def test_public_names_are_all_exported(self):
        """Every public name of csrules is in __all__ or is one of csrules' own submodules."""
        # pytest's assertion rewriting adds names such as '@py_builtins': not identifiers
        public = {n for n in vars(csrules) if n.isidentifier() and not n.startswith("_")} - {"annotations"}
        own_modules = {
            n for n in public
            if isinstance(getattr(csrules, n), types.ModuleType)
            and getattr(csrules, n).__name__ == f"csrules.{n}"
        }
        assert public - own_modules - set(csrules.__all__) == set()

    def test_classes_show_as_csrules(self):
        """Exported classes report csrules as their module."""
        for name in ("Engine", "Decision", "Outcome", "PolicyError", "SessionEngine"):
            assert getattr(csrules, name).__module__ == "csrules"

    def test_models_defined_after_import_can_use_csrules_types(self):
        """A host model using csrules' duration type still builds after ``import csrules``."""
        from pydantic import BaseModel

        from csrules.time import DurationField

        class HostSettings(BaseModel):
            grace: DurationField

        assert str(HostSettings(grace="20min").grace) == "20min"

    def test_version_from_metadata(self):
        """__version__ is the installed distribution's version, never the source-tree fallback."""
        assert csrules.__version__ == metadata.version("csrules")
        assert csrules.__version__ != "0.0.0"


class TestLazyNames:
    def test_type_checking_imports_match_the_lazy_table(self):
        """What mypy and IDEs see (the TYPE_CHECKING imports) is exactly what loads on first use."""
        tree = ast.parse(Path(csrules.__file__).read_text(encoding="utf-8"))
        block = next(n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test))
        seen = {
            (alias.asname or alias.name)
            for node in block.body
            if isinstance(node, ast.ImportFrom) and node.module != "csrules"
            for alias in node.names
        }
        table = {name for module, names in csrules._SOURCES.items() for name in names if not module.endswith(name)}
        assert seen == table

    def test_all_lists_the_errors_and_every_lazy_name(self):
        """__all__ holds the version, the errors and every lazily loaded name that is not a module."""
        table = {name for module, names in csrules._SOURCES.items() for name in names if not module.endswith(name)}
        errors = {name for name in vars(csrules.exceptions) if name.endswith("Error")}
        assert set(csrules.__all__) == {"__version__"} | errors | table

    def test_dir_shows_names_before_they_load(self):
        """dir(csrules) lists every name of __all__ whether or not it has loaded yet."""
        assert set(csrules.__all__) <= set(dir(csrules))

    def test_public_modules_are_attributes(self):
        """csrules.time, csrules.sessions, csrules.domain ... are reachable as attributes."""
        for name in ("domain", "policies", "sessions", "testing", "time", "typing"):
            assert getattr(csrules, name).__name__ == f"csrules.{name}"

    def test_conditions_is_an_attribute(self):
        """csrules.conditions, the module of every condition kind, is reachable as an attribute."""
        pytest.importorskip("csrules.conditions", reason="csrules.conditions is not part of this tree")
        assert csrules.conditions.__name__ == "csrules.conditions"

    def test_a_missing_module_is_an_attribute_error_and_a_missing_dependency_is_not(self, tmp_path, monkeypatch):
        """A lazily named module that does not exist reads as a missing attribute; a module that
        exists but lacks a dependency raises the dependency's ModuleNotFoundError."""
        from csrules._lazy import lazy_module

        (tmp_path / "needs_missing_dep.py").write_text("import no_such_dependency_xyz\n", encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        getattr_, _ = lazy_module("pkg", {}, {"no_such_module_xyz": ("gone",), "needs_missing_dep": ("thing",)})
        with pytest.raises(AttributeError, match="'pkg' has no attribute 'gone'"):
            getattr_("gone")
        with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
            getattr_("thing")

    def test_an_unknown_name_is_an_attribute_error(self):
        """A name csrules does not have raises AttributeError naming it."""
        with pytest.raises(AttributeError, match="no attribute 'Engin'"):
            _ = csrules.Engin


class TestMovedNames:
    @pytest.mark.parametrize("name", sorted(csrules._MOVED))
    def test_domain_names_still_resolve_with_a_warning(self, name):
        """A name that moved to csrules.domain still works from csrules and warns with its new place."""
        with pytest.warns(DeprecationWarning, match=rf"csrules\.{name} is deprecated; import it from csrules\.domain"):
            value = getattr(csrules, name)
        assert value is getattr(csrules.domain, name)

    def test_moved_names_are_not_public(self):
        """Moved names are neither in __all__ nor in dir(csrules)."""
        assert not set(csrules._MOVED) & (set(csrules.__all__) | set(dir(csrules)))

    def test_the_old_private_home_of_the_complaint_lifecycle_warns(self):
        """csrules._sessions.complaint_lifecycle resolves to csrules.domain's, with a warning."""
        import csrules._sessions

        with pytest.warns(DeprecationWarning, match="csrules.domain"):
            assert csrules._sessions.complaint_lifecycle is csrules.domain.complaint_lifecycle

    def test_no_stdlib_module_is_a_package_attribute(self):
        """The packages with lazy names leak no helper module (contextlib, dataclasses, typing ...)."""
        import csrules.domain
        import csrules.sessions
        import csrules.time

        for package in (csrules, csrules.domain, csrules.policies, csrules.sessions, csrules.time, csrules.typing):
            leaked = {
                n for n, value in vars(package).items()
                if n.isidentifier() and not n.startswith("_") and isinstance(value, types.ModuleType)
                and not value.__name__.startswith("csrules.")
            }
            assert leaked == set(), package.__name__


class TestGuides:
    def test_the_guides_name_only_public_modules(self):
        """No guide in docs/ imports or names a private module (csrules._...)."""
        docs = Path(__file__).resolve().parent.parent / "docs"
        private = {
            f"{path.name}:{number}"
            for path in sorted(docs.glob("*.md"))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"\bcsrules\._", line)
        }
        assert private == set()


class TestLifecycleNames:
    def test_every_lifecycle_is_named_by_its_id(self):
        """A manifest name, an override key and a session all call a lifecycle by its id."""
        for name, factory in LIFECYCLES.items():
            assert factory().id == name
        pack = load_pack("call_centre")
        assert list(pack.lifecycle_params) == [lc.id for lc in pack.lifecycles] == ["cmp-1"]

    def test_the_old_name_complaint_still_works_with_a_warning(self):
        """Pack.lifecycle("complaint") and overrides keyed "complaint" work and warn with the id."""
        pack = load_pack("call_centre")
        with pytest.warns(DeprecationWarning, match="call the lifecycle by its id 'cmp-1'"):
            assert pack.lifecycle("complaint") is pack.lifecycle("cmp-1")
        with pytest.warns(DeprecationWarning, match="'cmp-1'") as caught:
            tuned = load_pack("call_centre", overrides={"complaint": {"reply_within": "2d"}})
        assert len(caught) == 1
        assert tuned.lifecycle_params["cmp-1"]["reply_within"] == "2d"

    def test_the_guide_lists_every_transition_beside_its_state(self):
        """docs/sessions.md's table of states and events is the complaint lifecycle's transition table."""
        guide = (Path(__file__).resolve().parent.parent / "docs" / "sessions.md").read_text(encoding="utf-8")
        rows = re.findall(r"^\| `(\w+)`[^|]*\| `(\w+)` \| `(\w+)` \|", guide, flags=re.MULTILINE)
        lifecycle = csrules.domain.complaint_lifecycle()
        assert rows == [(t.from_, t.on, t.to) for t in lifecycle.transitions]

    def test_a_session_names_its_lifecycles_when_asked_for_another(self):
        """lifecycle_state with an unknown name says which lifecycle ids the engine has."""
        session = load_pack("call_centre").sessions(backend="python").session("complaint-1")
        assert session.lifecycle_state("cmp-1") == "new"
        with pytest.raises(KeyError, match=r"no lifecycle 'complaint' in this engine \(lifecycles: cmp-1\)"):
            session.lifecycle_state("complaint")

    def test_policy_overrides_do_not_warn(self):
        """Overrides keyed by policy ids raise no lifecycle warning."""
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            load_pack("call_centre", overrides={"swap_session": {"max_swaps_per_month": 3}})


class TestBuiltinFactTypes:
    def test_the_table_names_every_built_in_fact_type(self):
        """Every fact type the domain registers is in the registry's table, at its real place."""
        import csrules.domain.complaint
        import csrules.domain.slas  # noqa: F401

        builtin = {
            name: f"{model.__module__}:{model.__qualname__}"
            for name, model in fact_registry.registered_fact_types().items()
            if model.__module__.startswith("csrules.")
        }
        assert builtin == fact_registry._BUILTIN

    def test_a_host_model_cannot_take_a_built_in_name(self):
        """Registering another model as a built-in name fails, whether or not the built-in was loaded."""
        from pydantic import BaseModel

        class Agent(BaseModel):
            name: str

        with pytest.raises(ValueError, match=r"already registered to csrules\.domain\.facts\.Agent"):
            csrules.register_fact_type(Agent, name="agent")

    def test_unknown_fact_type_lists_the_built_in_names(self):
        """An unknown fact type names the known ones, built-in included."""
        with pytest.raises(csrules.PolicyError, match=r"known: .*leave_request"):
            csrules.get_fact_type("leave_requests")


class TestLightImports:
    def test_import_csrules_loads_nothing_heavy(self):
        """``import csrules`` loads the errors only: no pydantic, engine, sessions, domain or docs."""
        assert loaded_after("import csrules") == []

    def test_a_copied_pack_file_loads_without_importing_the_domain_first(self, tmp_path):
        """load_policy resolves a built-in fact type by name, importing its model on demand."""
        pack_file = Path(csrules.policies.__file__).parent / "call_centre" / "leave.yaml"
        copy = tmp_path / "leave.yaml"
        copy.write_text(pack_file.read_text(encoding="utf-8"), encoding="utf-8")
        loaded = loaded_after(f"import csrules\nprint(csrules.load_policy({str(copy)!r}).fact_type)")
        assert "csrules.domain.facts" in loaded  # imported by the look-up, not before
        assert "csrules._sessions.session" not in loaded

    def test_csrules_help_loads_no_engine_sessions_or_docs(self):
        """``csrules --help`` builds its listing without the command modules."""
        code = "from csrules._cli.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
        loaded = loaded_after(code)
        assert [m for m in loaded if m.startswith(("csrules._engine", "csrules._sessions", "csrules._docs"))] == []

    def test_the_help_lines_are_the_command_modules_own(self):
        """The light listing of commands shows the help lines the command modules register."""
        from csrules._cli import cli

        full = cli.build_parser()
        sub = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
        registered = {action.dest: action.help for action in sub._choices_actions}
        assert registered == {name: help_line for name, (_, help_line) in cli.COMMANDS.items()}
