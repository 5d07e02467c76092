"""A company pack written into a test's folder: the one fixture shape of the company-pack tests."""

from __future__ import annotations

from pathlib import Path


def company(folder: Path, manifest: str, **files: str) -> Path:
    """A pack directory extending call_centre: ``manifest`` is added to its pack.yaml, and each
    keyword names a file beside it (``extra__yaml`` is ``extra.yaml``)."""
    head = 'name: acme\ntitle: {en: Acme, zh: 甲}\nversion: "1"\nextends: call_centre\n'
    (folder / "pack.yaml").write_text(head + manifest, encoding="utf-8")
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return folder
