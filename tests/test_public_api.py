"""The public surface: __all__ is sorted, complete and shown as csrules.*."""

from __future__ import annotations

import csrules


class TestExports:
    def test_all_is_sorted_and_resolves(self):
        """Every name in __all__ exists, and the list is sorted."""
        assert csrules.__all__ == sorted(csrules.__all__, key=str.lower) or csrules.__all__ == sorted(csrules.__all__)
        for name in csrules.__all__:
            assert hasattr(csrules, name), name

    def test_public_names_are_all_exported(self):
        """No public name is importable from csrules without being in __all__."""
        public = {n for n in vars(csrules) if not n.startswith("_")} - {"annotations"}
        modules = {n for n in public if type(getattr(csrules, n)).__name__ == "module"}
        assert public - modules - set(csrules.__all__) == set()

    def test_classes_show_as_csrules(self):
        """Exported classes report csrules as their module."""
        for name in ("Policy", "Rule", "Engine", "Decision", "Outcome", "PolicyError"):
            assert getattr(csrules, name).__module__ == "csrules"

    def test_version_from_metadata(self):
        """__version__ is a version string."""
        assert csrules.__version__.count(".") >= 1
