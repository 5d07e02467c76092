"""The README and the user guide point only at files the repository has; the wheel carries the licence.

Checked: every relative Markdown link (``[text](path)``, anchors and web addresses aside),
and every repository path written in code (`` `benchmarks/bench_engine.py` ``, in code
spans and code blocks): a word whose first segment is one of the repository's top-level
folders, or a root document written in capitals (``LICENSE``, ``CHANGELOG.md``). Names of
the user's own files in examples (``leave.yaml``, ``review/``) are not repository paths.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP_FOLDERS = ("src", "tests", "docs", "benchmarks", "examples", "scripts", ".ci")
ROOT_FILES = ("LICENSE", "pyproject.toml")
PLACEHOLDERS = ("NAME.md", "PACK.md")  # written for "the file named after the pack"

_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"`([^`\n]+)`")


def links(text: str) -> list[str]:
    """Relative link targets of a Markdown text, without their #anchor."""
    found = []
    for target in _LINK.findall(_FENCE.sub("", text)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        found.append(target.split("#", 1)[0])
    return found


def code_words(text: str) -> list[str]:
    """Every whitespace-separated word inside code spans and fenced code blocks."""
    blocks = _FENCE.findall(text)
    spans = _SPAN.findall(_FENCE.sub("", text))
    return [word.strip("'\"(),;:") for chunk in [*blocks, *spans] for word in chunk.split()]


def repository_paths(text: str) -> list[str]:
    """The words in code that name a path in the repository (see the module docstring)."""
    words = (word.split("::", 1)[0] for word in code_words(text))  # a pytest node id names its file
    return [word for word in words if _names_repository_path(word)]


def _names_repository_path(word: str) -> bool:
    if "://" in word or any(ch in word for ch in "*<>{}$=[]|"):
        return False
    if "/" in word:
        return word.split("/", 1)[0] in TOP_FOLDERS
    return word in ROOT_FILES or (re.fullmatch(r"[A-Z][A-Z_-]+\.md", word) is not None and word not in PLACEHOLDERS)


def _exists(document: Path, target: str) -> bool:
    return (document.parent / target).exists() or (ROOT / target).exists()


def _tracked(path: Path) -> bool:
    """Whether git tracks ``path`` (or anything under it); true outside a git checkout."""
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(path)], cwd=ROOT, capture_output=True, check=False
    )
    return result.returncode == 0 or not (ROOT / ".git").exists()


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
class TestDocumentsPointAtRealFiles:
    def test_relative_links_exist(self, document):
        """Every relative link of the document leads to a file or folder of the repository."""
        missing = [t for t in links(document.read_text(encoding="utf-8")) if not _exists(document, t)]
        assert not missing, f"{document.name} links to missing files: {missing}"

    def test_paths_in_code_exist(self, document):
        """Every repository path the document writes in code exists in the repository."""
        missing = [p for p in repository_paths(document.read_text(encoding="utf-8")) if not _exists(document, p)]
        assert not missing, f"{document.name} names missing files: {missing}"


class TestTheChecker:
    def test_finds_links_and_paths(self):
        """The readers find a relative link, a repository path in code, and skip web links and user files."""
        text = (
            "See [guide](docs/index.md#top), [site](https://example.org) and [here](#anchor).\n"
            "Run `python benchmarks/bench_x.py`; the design is in `DESIGN.md`; write `leave.yaml`.\n"
            "```sh\ncsrules docs -o review/ && cat scripts/tool.py\n```\n"
        )
        assert links(text) == ["docs/index.md"]
        assert repository_paths(text) == ["scripts/tool.py", "benchmarks/bench_x.py", "DESIGN.md"]


class TestPackaging:
    def test_licence_and_changelog_are_in_the_repository(self):
        """LICENSE (MIT, the csrules authors) and CHANGELOG.md exist and are tracked."""
        licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
        assert licence.startswith("MIT License")
        assert "Copyright (c) 2026 The csrules authors" in licence
        changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
        assert "## [Unreleased]" in changelog
        version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
        assert version is not None
        assert f"## [{version.group(1)}]" in changelog
        assert _tracked(ROOT / "LICENSE")
        assert _tracked(ROOT / "CHANGELOG.md")

    def test_wheel_metadata_carries_the_licence(self, tmp_path):
        """The built wheel names the MIT licence, ships LICENSE, py.typed and the packs, and is classified."""
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if built.returncode != 0 and "hatchling" in built.stderr and "satisfies" in built.stderr:
            pytest.skip("the build backend (hatchling) cannot be installed here")
        assert built.returncode == 0, built.stderr[-2000:]
        (wheel,) = tmp_path.glob("csrules-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            info = next(n for n in names if n.endswith(".dist-info/METADATA"))
            metadata = archive.read(info).decode("utf-8")
        assert "License-Expression: MIT" in metadata
        assert "License-File: LICENSE" in metadata
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
        assert "csrules/py.typed" in names
        assert "csrules/policies/call_centre/pack.yaml" in names
        for classifier in ("Typing :: Typed", "Programming Language :: Python :: 3.11", "Topic :: Office/Business"):
            assert f"Classifier: {classifier}" in metadata
