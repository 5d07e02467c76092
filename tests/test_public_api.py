"""The public surface: __all__ is sorted, complete and shown as csrules.*."""

from __future__ import annotations

import types
from importlib import metadata

import csrules


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

    def test_no_foreign_module_in_the_namespace(self):
        """Standard-library helpers used by the package (contextlib, dataclasses) are not csrules names."""
        foreign = {
            n for n, value in vars(csrules).items()
            if n.isidentifier() and not n.startswith("_")
            and isinstance(value, types.ModuleType) and not value.__name__.startswith("csrules.")
        }
        assert foreign == set()

    def test_classes_show_as_csrules(self):
        """Exported classes report csrules as their module."""
        for name in ("Engine", "Decision", "Outcome", "PolicyError", "SessionEngine"):
            assert getattr(csrules, name).__module__ == "csrules"

    def test_models_defined_after_import_can_use_csrules_types(self):
        """A host model using csrules' duration type still builds after ``import csrules``."""
        from pydantic import BaseModel

        from csrules._time.durations import DurationField

        class HostSettings(BaseModel):
            grace: DurationField

        assert str(HostSettings(grace="20min").grace) == "20min"

    def test_version_from_metadata(self):
        """__version__ is the installed distribution's version, never the source-tree fallback."""
        assert csrules.__version__ == metadata.version("csrules")
        assert csrules.__version__ != "0.0.0"
