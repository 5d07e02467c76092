"""The line of a JSON Lines file that Arrow's JSON reader refuses.

Arrow refuses a line that is not a JSON object and a column whose values are not all of one
JSON type ("changed from boolean to string in row 5"), counting rows from 0 and from the start
of the block it was reading, so its row is not the file's line past the first block. The file
is read again, line by line, to name the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["bad_line", "type_change"]

_CHANGED = re.compile(r"Column\((?P<path>/[^)]*)\) changed from (?P<was>\w+) to (?P<now>\w+)")
_KINDS = ((bool, "boolean"), (int | float, "number"), (str, "string"), (dict, "object"), (list, "array"))


def _kind(value: Any) -> str:
    """The JSON type of ``value`` in Arrow's words."""
    return next((name for cls, name in _KINDS if isinstance(value, cls)), "null")


def _values(data: Any, keys: list[str]) -> Iterator[Any]:
    """The values at ``keys`` inside ``data`` (through objects, and every item of an array)."""
    if isinstance(data, list):
        for item in data:
            yield from _values(item, keys)
    elif not keys:
        yield data
    elif isinstance(data, dict) and keys[0] in data:
        yield from _values(data[keys[0]], keys[1:])


def type_change(path: str | Path, error: str) -> str | None:
    """Where in the JSON Lines file ``path`` the column Arrow's ``error`` names takes the other
    JSON type: ``line N: <column> is a JSON <type> (<value>), but ...``; None when ``error`` is
    not such an error or no line shows it."""
    found = _CHANGED.search(error)
    if found is None:
        return None
    keys = [key for key in found["path"].split("/") if key and key != "[]"]
    column = ".".join(keys)
    try:
        with Path(path).open(encoding="utf-8") as lines:
            for number, text in enumerate(lines, start=1):
                try:
                    data = json.loads(text) if text.strip() else None
                except ValueError:
                    continue
                for value in _values(data, keys):
                    if _kind(value) == found["now"]:
                        shown = json.dumps(value, ensure_ascii=False)
                        return (f"line {number}: {column} is a JSON {found['now']} ({shown[:60]}), but the column "
                                f"holds {found['was']}s: every line's {column} must be a JSON {found['was']}")
    except (OSError, UnicodeDecodeError):
        return None
    return None


def bad_line(path: str | Path) -> str | None:
    """The first line of the JSON Lines file ``path`` that is not one JSON object:
    ``line N: ...``; None when every line is one (or the file cannot be read)."""
    try:
        with Path(path).open(encoding="utf-8") as lines:
            for number, text in enumerate(lines, start=1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text.rstrip("\r\n"))  # a column counted on the line itself
                except ValueError as exc:
                    reason = str(getattr(exc, "msg", exc)).removesuffix(" at")  # "Invalid control character at"
                    return f"line {number}: not valid JSON at column {getattr(exc, 'colno', 1)}: {reason}"
                if not isinstance(data, dict):
                    return f"line {number}: a fact is a JSON object, not a JSON {_kind(data)}"
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})"
    except OSError:
        return None
    return None
