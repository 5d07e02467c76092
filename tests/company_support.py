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


def closure_policy(
    *, calendar: str = "china", role: str = "centre_director", dated: str = "", version: str = "1"
) -> str:
    """The text of the company policy ``acme.closure`` (``version``): leave on a day off of
    ``calendar`` needs ``role``'s approval; ``dated`` is a ``valid_from:``/``valid_until:`` line."""
    lines = ["id: acme.closure", f'version: "{version}"', dated, "title: {en: Closure days, zh: 停業日}",
             "fact_type: leave_request", "rules:", "  - id: ACME-1",
             "    title: {en: Leave on a closure day, zh: 停業日請假}",
             f"    when: {{kind: on_day_off, path: shift_start, calendar: {calendar}}}",
             "    then:", f"      - {{type: approval, role: {role}}}"]
    return "\n".join(line for line in lines if line) + "\n"
