"""Policy YAML reads the same through libyaml as through the pure-Python reference loader:
same data, same line map, same refusals in the same words at the same lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import csrules
from csrules._policy import loader
from csrules.exceptions import PolicyError

PACK_FILES = sorted((Path(csrules.__file__).parent / "policies").rglob("*.yaml"))

HOSTILE = {
    "alias": "a: &x 1\nb: *x\n",
    "undefined alias": "a: 1\nb: *nowhere\n",
    "alias inside a list": "a:\n  - &x [1, 2]\n  - *x\n",
    "deep flow nesting": "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep flow nesting, unclosed": "[" * 100_000,
    "deep mappings": "".join(f"{' ' * i}k{i}:\n" for i in range(400)) + " " * 400 + "v\n",
    "depth at the limit": "a: " + "[" * 298 + "1" + "]" * 298 + "\n",
    "depth one past the limit": "a: " + "[" * 299 + "1" + "]" * 299 + "\n",
    "duplicate key": "id: p\nrules:\n  r: 1\n  r: 2\n",
    "merge key": "base: {a: 1}\nother:\n  <<: {a: 2}\n",
    "tab indentation": "a:\n\tb: 1\n",
    "tab after value": "a: 1\t\nb:\t2\n",
    "tab in a flow list": "a: [1,\t2]\n",
    "tab in a comment": "a: 1  #\tnote\n",
    "question mark in a flow key": "title: {en?: x, zh: y}\n",
    "question mark in a flow value": "a: [x?y, z]\n",
    "question mark in a block value": "a: why?\n",
    "explicit key at the end": "? a",
    "byte-order mark inside": "params:\n  a:\n    x: 1\n\ufeff   description: d\n",
    "byte-order mark": "\ufeffid: p\nrules: [1, 2]\n",
    "CRLF line ends": "id: p\r\nrules:\r\n  - 1\r\n  - 2\r\n",
    "lone CR": "id: p\rrules: [1]\r",
    "unicode line breaks": "a: x\u2028b\nc: \x85d\n",
    "control character": "a: 1\nb: \x01\n",
    "lone surrogate": "a: \ud800\n",
    "non-character": "a: \ufffe\n",
    "non-UTF-8 text decoded with replacement": b"a: \xff\xfe\n".decode("utf-8", "replace"),
    "octal number": "a: 030\n",
    "long number": "a: " + "9" * 40 + "\n",
    "impossible date": "a: 2026-02-30\n",
    "time of day": "a: 12:30\nb: 1_000\nc: 0x1F\nd: 2026-02-03T04:05:06+08:00\n",
    "empty": "",
    "comments only": "# nothing\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "unclosed quote": 'a: "open\n',
    "directive": "%YAML 1.1\n---\na: 1\n",
    "tag": "a: !!python/object:os.system 1\n",
    "complex key": "? [1, 2]\n: v\n",
    "null and bools": "a: ~\nb: yes\nc: Off\nd: .inf\ne: -.5\n",
}


def _outcome(read: Any, text: str) -> tuple[str, Any, Any]:
    try:
        data, lines = read(text, "f.yaml")
    except PolicyError as exc:
        return "error", str(exc), exc.line
    return "ok", data, lines


def _both(text: str) -> tuple[tuple[str, Any, Any], tuple[str, Any, Any]]:
    return _outcome(loader._reference_read_yaml, text), _outcome(loader._read_yaml, text)


def test_there_are_pack_files() -> None:
    assert len(PACK_FILES) > 20


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: "/".join(p.parts[-2:]))
def test_pack_file_reads_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    reference, read = _both(text)
    assert reference[0] == "ok"
    assert read == reference


def test_pack_files_are_read_by_libyaml() -> None:
    if loader._C_SAFE_LOADER is None:
        pytest.skip("PyYAML built without libyaml")
    assert all(loader._fast_read_yaml(path.read_text(encoding="utf-8")) is not None for path in PACK_FILES)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_reads_the_same(name: str) -> None:
    reference, read = _both(HOSTILE[name])
    assert read == reference


@pytest.mark.parametrize(
    ("name", "message", "line"),
    [
        ("alias", "aliases (*name) are not allowed", 2),
        ("alias inside a list", "aliases (*name) are not allowed", 3),
        ("deep flow nesting", f"nested more than {loader.MAX_YAML_DEPTH} levels deep", 1),
        ("deep flow nesting, unclosed", f"nested more than {loader.MAX_YAML_DEPTH} levels deep", 1),
        ("deep mappings", f"nested more than {loader.MAX_YAML_DEPTH} levels deep", 300),
        ("depth one past the limit", f"nested more than {loader.MAX_YAML_DEPTH} levels deep", 1),
        ("duplicate key", "duplicate key 'r' at 4:3 (first at 3:3)", 4),
    ],
)
def test_hostile_input_is_refused_where_it_stands(name: str, message: str, line: int) -> None:
    with pytest.raises(PolicyError) as caught:
        loader.read_document(HOSTILE[name], name="f.yaml")
    assert message in str(caught.value)
    assert caught.value.line == line


def test_depth_at_the_limit_is_read() -> None:
    data, _ = loader.read_document(HOSTILE["depth at the limit"])
    depth, value = 0, data["a"]
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert (depth, value) == (298, 1)


def test_same_readings_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_C_SAFE_LOADER", None)
    for name in ("alias", "duplicate key", "time of day", "CRLF line ends"):
        assert _outcome(loader._read_yaml, HOSTILE[name]) == _outcome(loader._reference_read_yaml, HOSTILE[name])
    assert _outcome(loader._read_yaml, PACK_FILES[0].read_text(encoding="utf-8"))[0] == "ok"


def test_libyaml_never_sees_an_alias_or_deep_text() -> None:
    if loader._C_SAFE_LOADER is None:
        pytest.skip("PyYAML built without libyaml")
    for name in ("alias", "alias inside a list", "deep flow nesting", "depth one past the limit"):
        assert loader._fast_read_yaml(HOSTILE[name]) is None
    assert loader._fast_read_yaml(HOSTILE["depth at the limit"]) is not None


def test_non_utf8_file_is_refused_with_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"id: p\nname: caf\xe9\n")
    with pytest.raises(PolicyError) as caught:
        loader.load_policy(path)
    assert "not UTF-8 text (byte 0xe9 at offset 15)" in str(caught.value)
    assert caught.value.line == 2


@pytest.mark.parametrize("value", ["!!int", "!!int ''", "!!float", '!!float ""'])
def test_an_empty_value_tagged_as_a_number_is_refused_at_its_line(value: str) -> None:
    """An empty value tagged as a number is no number: refused at its line, not an IndexError."""
    with pytest.raises(PolicyError) as caught:
        loader.read_document(f"id: p\nvalue: {value}\n", name="f.yaml")
    assert "cannot be read as !!" in str(caught.value)
    assert caught.value.line == 2


def test_yaml_python_tags_stay_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        loader.read_document(HOSTILE["tag"], name="f.yaml")
    assert "python/object" in str(caught.value)
    assert caught.value.line == 1
