"""The public surface: __all__ is sorted, complete and shown as csrules.*."""

from __future__ import annotations

import csrules


class TestExports:
    def test_all_resolves_without_repeats(self):
        """Every name in __all__ exists once (its order is kept by ruff's RUF022)."""
        assert len(set(csrules.__all__)) == len(csrules.__all__)
        for name in csrules.__all__:
            assert hasattr(csrules, name), name

    def test_public_names_are_all_exported(self):
        """No public name is importable from csrules without being in __all__."""
        public = {n for n in vars(csrules) if not n.startswith("_")} - {"annotations"}
        modules = {n for n in public if type(getattr(csrules, n)).__name__ == "module"}
        assert public - modules - set(csrules.__all__) == set()

    def test_classes_show_as_csrules(self):
        """Exported classes report csrules as their module."""
        for name in ("Engine", "Decision", "Outcome", "PolicyError", "SessionEngine"):
            assert getattr(csrules, name).__module__ == "csrules"

    def test_models_defined_after_import_can_use_csrules_types(self):
        """A host model using csrules' duration type still builds after ``import csrules``."""
        from pydantic import BaseModel

        from csrules._durations import DurationField

        class HostSettings(BaseModel):
            grace: DurationField

        assert str(HostSettings(grace="20min").grace) == "20min"

    def test_version_from_metadata(self):
        """__version__ is a version string."""
        assert csrules.__version__.count(".") >= 1
