"""Reading and writing policy files (YAML or JSON), safely and with line numbers.

Loading never runs code from a file: YAML goes through PyYAML's safe loader, with aliases
refused (no "billion laughs"), duplicate keys refused (no silently dropped rules), nesting
bounded, and every error located as ``file:line``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from csrules._errors import policy_error_from_validation, rule_id_at
from csrules._model import Policy, check_depth
from csrules.exceptions import PolicyError

__all__ = ["dump_policy", "load_policy", "loads_policy", "policy_schema", "read_document"]

MAX_FILE_BYTES = 5_000_000
"""Largest policy file accepted; a policy is text a person reviews, not a data dump."""

MAX_YAML_DEPTH = 300
"""Deepest YAML nesting accepted before a document is refused (conditions allow 64 levels)."""

Format = Literal["yaml", "json"]
Lines = dict[tuple[Any, ...], int]


class _PolicyLoader(yaml.SafeLoader):
    """The safe loader, minus aliases, with a depth limit."""

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


def read_document(text: str, *, fmt: Format = "yaml", name: str | None = None) -> tuple[Any, Lines]:
    """Parse ``text`` into plain data and a map from locations to 1-based line numbers.

    Used for policy files and for fact files, so every file error carries ``file:line``.
    """
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise PolicyError(f"file is larger than {MAX_FILE_BYTES} bytes", file=name)
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
        except RecursionError:
            raise PolicyError("JSON nested too deep", file=name) from None
        lines: Lines = {}
        try:  # JSON is (nearly) YAML: borrow the YAML composer for line numbers
            _, lines = _read_yaml(text, name)
        except (PolicyError, yaml.YAMLError):
            lines = {}
        return data, lines
    return _read_yaml(text, name)


def _read_yaml(text: str, name: str | None) -> tuple[Any, Lines]:
    loader = _PolicyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError("the file is empty", file=name, line=1)
        lines: Lines = {}
        _collect_lines(node, (), lines, name)
        data = loader.construct_document(node)
    except PolicyError as exc:
        raise exc.located(file=name) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError(f"invalid YAML: {exc.problem or exc}", file=name, line=line) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}", file=name) from None
    finally:
        loader.dispose()
    return data, lines


def _collect_lines(node: Any, loc: tuple[Any, ...], lines: Lines, name: str | None) -> None:
    stack = [(node, loc)]
    while stack:
        current, where = stack.pop()
        lines[where] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in current.value:
                key = _scalar_key(key_node)
                if key in seen:
                    raise PolicyError(
                        f"duplicate key {key!r} (first at line {seen[key]})",
                        line=key_node.start_mark.line + 1,
                    )
                seen[key] = key_node.start_mark.line + 1
                stack.append((value_node, (*where, key)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, (*where, i)) for i, item in enumerate(current.value))


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


def policy_from_data(data: Any, *, lines: Lines | None = None, name: str | None = None) -> Policy:
    """Build a :class:`Policy` from parsed data, locating errors with ``lines``."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise PolicyError(
            f"a policy file holds a mapping, not {type(data).__name__}",
            file=name,
            line=lines.get(()),
        )
    policy_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        check_depth(data)
        return Policy.model_validate(data)
    except ValidationError as exc:
        error = policy_error_from_validation(exc, data=data)
    except PolicyError as exc:
        error = exc.located(policy_id=policy_id, rule_id=rule_id_at(data, exc.loc))
    except RecursionError:
        error = PolicyError("nested too deep", policy_id=policy_id)
    raise error.located(file=name, line=line_for(lines, data, error.loc)) from None


def load_policy(path: str | Path) -> Policy:
    """Load a policy file (``.yaml``, ``.yml`` or ``.json``).

    .. versionadded:: 0.1
    """
    path = Path(path)
    fmt: Format = "json" if path.suffix.lower() == ".json" else "yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise PolicyError("the policy file is not UTF-8 text", file=str(path)) from None
    return loads_policy(text, fmt=fmt, name=str(path))


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
