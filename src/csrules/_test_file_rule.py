"""Which files are csrules policy test files: one rule for ``csrules test DIR`` and the pytest plugin.

A file named ``*.test.yaml`` (or ``.yml``) is a test file. A file named ``test_*.yaml`` (a
common name other tools use too) is one only when it holds cases: ONE YAML document, a
mapping with ``cases`` (or policies / a pack). A file of that name that does not parse as
YAML is a test file when a line starts with one of those keys, so that a broken test file is
reported, never skipped. YAML is read only for files named so; this module imports nothing of
csrules, so the pytest plugin can use it without loading the library.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["TEST_FILE_PATTERNS", "is_test_file", "meant_as_test_file", "named_like_test_file"]

TEST_FILE_PATTERNS: tuple[str, ...] = ("*.test.yaml", "*.test.yml", "test_*.yaml", "test_*.yml")
"""File names a test file may have (the pytest plugin's ini option ``csrules_test_files`` may change them)."""

_SNIFFED = ("test_*.yaml", "test_*.yml")  # common names: test files only when they hold cases
_TEST_FILE_KEYS = {"cases", "policy", "policies", "pack"}  # a mapping with one of these is meant as a test file
_TOP_KEY = re.compile(r"^(?:" + "|".join(sorted(_TEST_FILE_KEYS)) + r")[ \t]*:", re.MULTILINE)
"""A line of a file that does not parse as YAML saying it is meant as a test file."""


def named_like_test_file(path: Path, patterns: Sequence[str] = TEST_FILE_PATTERNS) -> bool:
    """Whether ``path``'s name matches one of ``patterns`` (it may still be another tool's file)."""
    return any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns)


def is_test_file(path: Path, patterns: Sequence[str] = TEST_FILE_PATTERNS) -> bool:
    """Whether ``path`` is a policy test file: named so, and holding cases when its name is a common one."""
    if not named_like_test_file(path, patterns):
        return False
    return not named_like_test_file(path, _SNIFFED) or meant_as_test_file(path)


def meant_as_test_file(path: Path) -> bool:
    """Whether a ``test_*.yaml`` file is a policy test file: ONE YAML document, a mapping with
    ``cases`` (or policies / a pack). Other tools' files named so (several documents, lists,
    templates, binary) are left alone; a file that does not parse as YAML is ours only when a
    line starts with one of those keys."""
    import yaml  # only for files named like test files

    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        if isinstance(exc, yaml.composer.ComposerError) and "another document" in str(exc.problem):
            return False  # a stream of several documents (Kubernetes, say): never a test file
        return _TOP_KEY.search(text) is not None
    return isinstance(data, dict) and bool(_TEST_FILE_KEYS & set(map(str, data)))
