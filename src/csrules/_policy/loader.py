"""Reading and writing policy files (YAML or JSON), safely and with line numbers.

Loading never runs code from a file: YAML goes through PyYAML's safe loader, with aliases
refused (no "billion laughs"), duplicate keys and merge keys refused (no silently dropped
rules), numbers YAML would read as octal refused (``030`` is not 24), nesting bounded, and
every error located as ``file:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import yaml

from csrules._policy.errors import rule_id_at
from csrules._policy.model import CHECKED_CONTEXT, MAX_DATA_DEPTH, Policy, check_depth
from csrules.exceptions import PolicyError

__all__ = [
    "DuplicateKey",
    "dump_policy",
    "format_of",
    "load_policy",
    "loads_policy",
    "policy_schema",
    "read_document",
    "read_policy_text",
    "unique_keys",
]

MAX_FILE_BYTES = 5_000_000
"""Largest policy file accepted; a policy is text a person reviews, not a data dump."""

MAX_YAML_DEPTH = 300
"""Deepest YAML nesting accepted before a document is refused (conditions allow 64 levels)."""

Format = Literal["yaml", "json"]
Lines = dict[tuple[Any, ...], int]


_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")  # YAML 1.1 octal: 010 is 8
MAX_INT_DIGITS = 30
"""Longest integer literal read; longer ones are refused (policies bound numbers far below)."""


class _PolicyRules:
    """How a policy file's scalars read, shared by the libyaml and pure-Python loaders.

    ``12:30`` stays text (YAML 1.1 would read it as the base-60 number 750, silently turning
    a time of day into a count); over-long integers are refused where they stand.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and _SEXAGESIMAL.match(value):
            return "tag:yaml.org,2002:str"
        return super().resolve(kind, value, implicit)  # type: ignore[misc]

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except PolicyError:
            raise
        except (ValueError, TypeError, AttributeError, LookupError, OverflowError):
            # an explicit tag the value is not (``!!int x``, ``!!timestamp soon``, an empty ``!!int``)
            tag = str(node.tag).rpartition(":")[2]
            raise PolicyError(f"{node.value!r} cannot be read as !!{tag}, the tag it is given",
                              line=node.start_mark.line + 1) from None

    def construct_yaml_int(self, node: Any) -> Any:
        if len(node.value) > MAX_INT_DIGITS:
            raise PolicyError(
                f"the number {node.value[:20]}... is too long ({len(node.value)} digits)",
                line=node.start_mark.line + 1,
            )
        value = super().construct_yaml_int(node)  # type: ignore[misc]
        if _OCTAL.match(node.value) and value != int(node.value.replace("_", ""), 10):
            # 030 minutes would silently be 24: a leading zero is a slip far more often than octal
            raise PolicyError(
                f"the number {node.value} starts with 0, which YAML reads as octal ({value}); "
                f"write it without the leading zero, or quote it if it is text",
                line=node.start_mark.line + 1,
            )
        return value

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except (ValueError, OverflowError) as exc:  # 2026-02-30 looks like a date and is none
            raise PolicyError(f"{node.value!r} is not a date: {exc}", line=node.start_mark.line + 1) from None


class _PolicyLoader(_PolicyRules, yaml.SafeLoader):
    """The pure-Python safe loader, minus aliases, with a depth limit: the reference reading.

    Every refusal (syntax, alias, depth, duplicate key, bad number) is worded by this loader.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise PolicyError(
                "YAML aliases (*name) are not allowed in policy files; write the value out",
                line=mark.line + 1,
            )
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise PolicyError(f"nested more than {MAX_YAML_DEPTH} levels deep", line=mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_C_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", None)
"""libyaml's loader when PyYAML was built with it; several times faster than the pure-Python one."""


def _add_policy_constructors(loader_class: Any) -> None:
    """Read ints and timestamps by :class:`_PolicyRules` in ``loader_class``."""
    loader_class.add_constructor("tag:yaml.org,2002:int", loader_class.construct_yaml_int)
    loader_class.add_constructor("tag:yaml.org,2002:timestamp", loader_class.construct_yaml_timestamp)


_add_policy_constructors(_PolicyLoader)

if _C_SAFE_LOADER is not None:

    class _FastPolicyLoader(_PolicyRules, _C_SAFE_LOADER):  # type: ignore[misc]
        """libyaml's safe loader with the same scalar rules; used only on text :func:`_plain_events`
        has cleared, since its composer follows aliases and recurses without a limit."""

    _add_policy_constructors(_FastPolicyLoader)


_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_OPEN_EVENTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE_EVENTS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def read_document(text: str, *, fmt: Format = "yaml", name: str | None = None) -> tuple[Any, Lines]:
    """Parse ``text`` into plain data and a map from locations to 1-based line numbers.

    Used for policy files and for fact files, so every file error carries ``file:line``.
    """
    if not isinstance(text, str):
        raise PolicyError(f"policy text must be str, not {type(text).__name__}", file=name)
    if fmt not in ("yaml", "json"):
        raise PolicyError(f"unknown format {fmt!r} (formats: yaml, json)", file=name)
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise PolicyError(f"file is larger than {MAX_FILE_BYTES} bytes", file=name)
    if fmt == "json":
        text = text.removeprefix("\ufeff")  # a byte-order mark (Windows editors) says nothing, as in YAML
        data = _read_json(text, name)
        lines: Lines = {}
        try:  # JSON is (nearly) YAML: borrow the YAML composer for line numbers
            _, lines = _read_yaml(text, name)
        except (PolicyError, yaml.YAMLError):
            lines = {}
        return data, lines
    return _read_yaml(text, name)


def _read_json(text: str, name: str | None) -> Any:
    try:
        return json.loads(text, object_pairs_hook=unique_keys, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    except RecursionError:
        raise PolicyError(f"nested more than {MAX_DATA_DEPTH} levels deep", file=name) from None
    except DuplicateKey as exc:
        raise _duplicate_json_key(text, exc.key).located(file=name) from None
    except PolicyError as exc:
        raise exc.located(file=name) from None


def _json_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise PolicyError(f"the number {text[:20]}... is too long ({len(text)} digits)")
    return int(text)


class DuplicateKey(Exception):
    """A JSON object gave ``key`` twice (located by the caller: the hook knows no positions)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"invalid JSON: duplicate key {key!r} in one object")


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object hook that refuses a key given twice (``json`` keeps the last silently)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DuplicateKey(key)
        data[key] = value
    return data


def _duplicate_json_key(text: str, key: str) -> PolicyError:
    """The error for a key given twice in one JSON object, with both positions."""
    for first, second in _json_key_pairs(text):
        if first[0] == key:
            line, col = _position(text, first[1])
            again_line, again_col = _position(text, second[1])
            return PolicyError(
                f"duplicate key {key!r} at {again_line}:{again_col} (first at {line}:{col})",
                line=again_line,
            )
    return PolicyError(f"duplicate key {key!r}")


def _json_key_pairs(text: str) -> Iterator[tuple[tuple[str, int], tuple[str, int]]]:
    """``((key, offset), (key, offset))`` for each key repeated in one object of ``text``.

    A small iterative scan (the text already parsed up to the duplicate), so depth costs nothing.
    """
    frames: list[dict[str, int] | None] = []  # an object's keys, or None for an array
    expect_key = False
    position = 0
    while position < len(text):
        char = text[position]
        if char == '"':
            try:
                value, end = json.decoder.scanstring(text, position + 1)  # type: ignore[attr-defined]
            except ValueError:  # past the duplicate the text may be broken: stop looking
                return
            keys = frames[-1] if frames else None
            if expect_key and keys is not None:
                if value in keys:
                    yield (value, keys[value]), (value, position)
                keys.setdefault(value, position)
                expect_key = False
            position = end
            continue
        if char in "{[":
            frames.append({} if char == "{" else None)
            expect_key = char == "{"
        elif char in "}]" and frames:
            frames.pop()
        elif char == ",":
            expect_key = bool(frames) and frames[-1] is not None
        position += 1


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based ``(line, column)`` of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _read_yaml(text: str, name: str | None) -> tuple[Any, Lines]:
    if _C_SAFE_LOADER is not None:
        fast = _fast_read_yaml(text)
        if fast is not None:
            return fast
    return _reference_read_yaml(text, name)


def _fast_read_yaml(text: str) -> tuple[Any, Lines] | None:
    """The document read with libyaml, or None when the text needs the reference loader.

    Any refusal at all (alias, depth, syntax, a bad number, a duplicate key) returns None, so the
    reference loader says it, in the same words and at the same line as ever.
    """
    if "\t" in text or "?" in text or "\ufeff" in text[1:]:
        # libyaml takes a tab as a separator, ? inside a plain scalar in [...] or {...}, and a byte-order
        # mark past the start, each otherwise than the reference loader: such text (none in the built-in
        # packs) is read by the reference
        return None
    try:
        if not _plain_events(text):
            return None
        return _document(_FastPolicyLoader(text))
    except Exception:  # whatever libyaml refuses, the reference loader words
        return None


def _plain_events(text: str) -> bool:
    """Whether libyaml's event stream (scanned iteratively, whatever the depth) has no alias and
    no node nested deeper than the reference loader accepts; only then may libyaml's recursive
    composer see the text."""
    depth = 0
    for event in yaml.parse(text, Loader=_C_SAFE_LOADER):
        if isinstance(event, yaml.AliasEvent):
            return False
        if isinstance(event, _NODE_EVENTS) and depth >= MAX_YAML_DEPTH:
            return False
        if isinstance(event, _OPEN_EVENTS):
            depth += 1
        elif isinstance(event, _CLOSE_EVENTS):
            depth -= 1
    return True


def _reference_read_yaml(text: str, name: str | None) -> tuple[Any, Lines]:
    try:
        loader = _PolicyLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc).located(file=name) from None
    try:
        read = _document(loader)
        if read is None:
            raise PolicyError("the file is empty", file=name, line=1)
    except PolicyError as exc:
        raise exc.located(file=name) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError(f"invalid YAML: {exc.problem or exc}", file=name, line=line) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc).located(file=name) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}", file=name) from None
    return read


def _document(loader: Any) -> tuple[Any, Lines] | None:
    """The one document ``loader`` reads and its line map (None: there is none); the loader is
    disposed of."""
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        lines = _collect_lines(node)
        return loader.construct_document(node), lines
    finally:
        loader.dispose()


def _reader_error(text: str, exc: yaml.reader.ReaderError) -> PolicyError:
    """A located error for a character YAML refuses (control characters, U+FFFE ...)."""
    line, col = _position(text, exc.position)
    return PolicyError(
        f"unacceptable character U+{exc.character:04X} at {line}:{col}: control characters "
        "and non-characters are not allowed",
        line=line,
    )


def _collect_lines(node: Any) -> Lines:
    """The 1-based line of each location in the document ``node``; a duplicate or merge key is refused."""
    lines: Lines = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(node, ())]
    while stack:
        current, where = stack.pop()
        lines[where] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, value_node in current.value:
                key = _scalar_key(key_node)
                mark = key_node.start_mark
                if key_node.tag == "tag:yaml.org,2002:merge":  # keys given again after it win silently
                    raise PolicyError(
                        "YAML merge keys (<<) are not allowed in policy files; write the keys out", line=mark.line + 1
                    )
                if key in seen:
                    first = seen[key]
                    raise PolicyError(
                        f"duplicate key {key!r} at {mark.line + 1}:{mark.column + 1} "
                        f"(first at {first.line + 1}:{first.column + 1})",
                        line=mark.line + 1,
                    )
                seen[key] = mark
                stack.append((value_node, (*where, key)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, (*where, i)) for i, item in enumerate(current.value))
    return lines


def _scalar_key(node: Any) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return f"<{node.id} key at line {node.start_mark.line + 1}>"
    if node.tag.endswith(":int"):
        try:
            return int(node.value)
        except ValueError:
            return node.value
    return node.value


def line_for(lines: Lines, data: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest part of ``loc`` found in the document.

    Validation locations may include union tags that are not in the data; they are skipped.
    """
    best = lines.get(())
    matched: tuple[Any, ...] = ()
    current = data
    for part in loc:
        in_mapping = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if not (in_mapping or in_list):
            continue  # a union tag or a name that is not in the raw document
        current = current[part]
        matched = (*matched, part)
        best = lines.get(matched, best)
    return best


def loads_policy(text: str, *, fmt: Format = "yaml", name: str | None = None) -> Policy:
    """Build a :class:`Policy` from YAML or JSON text; errors say ``name:line``."""
    data, lines = read_document(text, fmt=fmt, name=name)
    return policy_from_data(data, lines=lines, name=name)


_OTHER_FILES = (
    ("roles", "a role catalogue (roles.yaml)"),
    ("properties", "a file of properties for csrules verify"),
    ("extends", "a pack manifest (pack.yaml): name its directory"),
    ("policies", "a pack manifest (pack.yaml): name its directory"),
)
"""Top-level keys of the other files a pack holds, which a policy file never has."""


def policy_from_data(data: Any, *, lines: Lines | None = None, name: str | None = None) -> Policy:
    """Build a :class:`Policy` from parsed data, locating errors with ``lines``."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise PolicyError(
            f"a policy file holds a mapping, not {type(data).__name__}",
            file=name,
            line=lines.get(()),
        )
    other = next((what for key, what in _OTHER_FILES if key in data), None) if "id" not in data else None
    if other is not None:
        raise PolicyError(f"this is {other}, not a policy file", file=name, line=lines.get(()))
    policy_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        check_depth(data)
        return Policy.model_validate(data, context=CHECKED_CONTEXT)
    except PolicyError as exc:
        error = exc.located(policy_id=policy_id, rule_id=rule_id_at(data, exc.loc))
    except RecursionError:
        error = PolicyError("nested too deep", policy_id=policy_id)
    raise error.located(file=name, line=line_for(lines, data, error.loc)) from None


def load_policy(path: str | Path) -> Policy:
    """Load a policy file (``.yaml``, ``.yml`` or ``.json``).

    .. versionadded:: 0.1
    """
    if not isinstance(path, str | PathLike):
        raise PolicyError(f"a policy file is named by a path, not {type(path).__name__}")
    path = Path(path)
    return loads_policy(read_policy_text(path), fmt=format_of(path), name=str(path))


def format_of(path: Path) -> Format:
    """The format of a policy file, from its suffix."""
    return "json" if path.suffix.lower() == ".json" else "yaml"


def read_policy_text(path: Path) -> str:
    """The text of a policy file (or a pack manifest); unreadable or non-UTF-8 files raise a located
    error naming the file as it is."""
    try:
        with path.open("rb") as handle:  # never more than the limit: /dev/zero, a pipe, a dump
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise PolicyError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise PolicyError(f"file is larger than {MAX_FILE_BYTES} bytes", file=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PolicyError(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            file=str(path),
            line=line,
        ) from None


def dump_policy(policy: Policy, *, fmt: Format = "yaml") -> str:
    """The policy as YAML or JSON text that :func:`loads_policy` reads back equal.

    .. versionadded:: 0.1
    """
    data = policy.model_dump(mode="json", exclude_none=True)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of the policy file format, for editors validating YAML.

    .. versionadded:: 0.1
    """
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", "csrules policy")
    return schema
