"""Attributes of a package that are imported on first use (PEP 562).

``import csrules`` must cost little more than Python itself: a host imports it in every
process, and most processes use a fraction of it. So the public packages name their
attributes here, by module, and import a module only when one of its names is first read.
A moved name keeps working from its old place with a :class:`DeprecationWarning` naming the
new one.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported: its imports cost about what Python's start does
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from types import FrameType
    from typing import Any

__all__ = ["lazy_module"]


def _probed_by_import(frame: FrameType) -> bool:
    """Whether ``frame`` is the import system checking a ``from`` list (``_handle_fromlist``)."""
    return frame.f_globals.get("__name__") == "importlib._bootstrap"


def lazy_module(
    package: str,
    namespace: dict[str, Any],
    sources: Mapping[str, Iterable[str]],
    *,
    moved: Mapping[str, str] | None = None,
    adopt: Callable[[Any], None] | None = None,
    computed: Mapping[str, Callable[[], Any]] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` (its globals are ``namespace``).

    ``sources`` maps a module to the names it provides (a name equal to a submodule's last
    part, such as ``conditions``, is the submodule itself). ``moved`` maps an old name to
    ``"new.module:name"``; reading it warns and returns the new object, uncached so that every
    use site is told. ``adopt`` is called once on each object as it is first loaded.
    ``computed`` maps a name to the function computing it on first read (``__version__``).
    """
    where = {name: module for module, names in sources.items() for name in names}
    moved = dict(moved or {})

    def __getattr__(name: str) -> Any:
        if computed is not None and name in computed:
            namespace[name] = computed[name]()
            return namespace[name]
        module = where.get(name)
        if module is not None:
            try:
                __import__(module)  # the module itself, from sys.modules: importlib not loaded
                loaded = sys.modules[module]
            except ModuleNotFoundError as exc:
                if exc.name != module:  # a missing dependency says so itself
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
            value = loaded if module.rpartition(".")[2] == name else getattr(loaded, name)
            if adopt is not None:
                adopt(value)
            namespace[name] = value  # later reads are plain global look-ups
            return value
        target = moved.get(name)
        if target is not None:
            new_module, _, new_name = target.partition(":")
            import importlib
            import warnings

            if _probed_by_import(sys._getframe(1)):
                # `from pkg import name` probes with hasattr before it reads the name: warn once.
                return getattr(importlib.import_module(new_module), new_name)
            warnings.warn(
                f"{package}.{name} is deprecated; import it from {new_module} instead",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(importlib.import_module(new_module), new_name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        # `annotations` is the `from __future__` feature, not part of the package
        return sorted({*namespace, *where, *(computed or ())} - {"annotations"})

    return __getattr__, __dir__
