"""Exported session state is checked whole: checksum, optional signature, types, ranges."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csrules._sessions.state import seal
from csrules.domain import ComplaintStep
from csrules.exceptions import SessionError, StateError
from tests.test_session_support import Greeting, Shift, WorkOrder, at, engine

KEY = b"house secret"


def busy_export(**options: Any) -> bytes:
    """The export of a subject with counts, a run, an open item and a running lifecycle."""
    sessions = engine("python", **options)
    s = sessions.session("agent-7")
    s.send(Greeting(agent="a", at=at(2), opening="喂"), now=at(2))
    s.send(Shift(agent="a", at=at(2, 10), swapped=True), now=at(2, 10))
    s.send(WorkOrder(order_id="o1", status="open", opened_at=at(2, 11)), now=at(2, 11))
    s.send(ComplaintStep(event="register", complainant="Ms Li", at=at(2, 12)), now=at(2, 12))
    return s.export_json().encode()


PLAIN = busy_export()
SIGNED = busy_export(state_key=KEY)


def flipped(data: bytes, bit: int) -> bytes:
    damaged = bytearray(data)
    damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


# One engine per key serves every flip: a refused restore changes nothing, an accepted one
# replaces the subject, so no flip sees another's result.
RESTORERS = {None: engine("python"), KEY: engine("python", state_key=KEY)}


def refused_or_identical(data: bytes, bit: int, key: bytes | None = None) -> None:
    """Restoring ``data`` with ``bit`` flipped is refused, or gives exactly the original state."""
    original = json.loads(data)
    sessions = RESTORERS[key]
    try:
        restored = sessions.restore(flipped(data, bit))
    except StateError:
        return
    assert restored.export() == original


class TestBitFlips:
    """Any single-bit flip of an export is refused with StateError or changes nothing."""

    @settings(max_examples=300, deadline=None)
    @given(bit=st.integers(min_value=0, max_value=8 * len(PLAIN) - 1))
    def test_any_flip_refused_or_identical(self, bit):
        """A flip at any position of the document is refused or restores the identical state."""
        refused_or_identical(PLAIN, bit)

    @settings(max_examples=300, deadline=None)
    @given(bit=st.integers(min_value=0, max_value=8 * len(SIGNED) - 1))
    def test_any_flip_of_signed_export(self, bit):
        """The same holds for a signed export restored with its key."""
        refused_or_identical(SIGNED, bit, KEY)

    @pytest.mark.parametrize(("data", "key"), [(PLAIN, None), (SIGNED, KEY)])
    def test_every_flip_checked(self, data, key):
        """Every one of the document's bit flips, checked directly: none is accepted changed."""
        for bit in range(8 * len(data)):
            refused_or_identical(data, bit, key)


def resealed(change, *, key: bytes | None = None) -> dict[str, Any]:
    """The plain export with ``change(doc)`` applied and its checksum recomputed, so that
    the content checks (not the checksum) must find the problem."""
    doc = json.loads(PLAIN)
    change(doc)
    return seal(doc, key)


def set_state(**values: Any):
    def change(doc):
        doc["state"].update(values)
    return change


def set_in(*path: str, value: Any):
    def change(doc):
        node = doc["state"]
        for step in path[:-1]:
            node = node[step] if step in node else next(iter(node.values()))
        node[path[-1]] = value
    return change


def first(doc: dict[str, Any], part: str) -> dict[str, Any]:
    return next(iter(doc["state"][part].values()))


def rename_period(doc):
    counter = next(v for v in doc["state"]["c"].values() if isinstance(v, dict))
    counter["not-a-period"] = counter.pop("2026-01")


def month_13(doc):
    counter = next(v for v in doc["state"]["c"].values() if isinstance(v, dict))
    counter["2026-13"] = counter.pop("2026-01")


def count_above_seq(doc):
    counter = next(v for v in doc["state"]["c"].values() if isinstance(v, dict))
    counter["2026-01"] = 1000


def item_opened_later(doc):
    item = next(iter(first(doc, "i").values()))
    item["o"] = doc["state"]["seq"]


def item_since_huge(doc):
    item = next(iter(first(doc, "i").values()))
    item["s"] = 10**30


def item_key_mismatch(doc):
    item = next(iter(first(doc, "i").values()))
    item["k"] = "o2"


def fired_twice(doc):
    item = next(iter(first(doc, "i").values()))
    item["x"] = ["x", "x"]


def lifecycle_after_clock(doc):
    first_lifecycle = first(doc, "l")
    first_lifecycle["at"] = doc["state"]["clock"] + 1


def deadline_huge(doc):
    deadline = next(iter(first(doc, "l")["d"].values()))
    deadline["due"] = 10**30


class TestValues:
    """Values that are well-formed JSON but impossible states are refused, naming the field."""

    @pytest.mark.parametrize(("change", "message"), [
        (set_state(seq=-5), "seq must be between 0"),
        (set_state(seq=True), "seq must be an integer"),
        (set_state(clock=10**30), "clock must be an instant"),
        (set_state(clock=-(10**30)), "clock must be an instant"),
        (set_state(clock=1.5), "clock must be an instant"),
        (set_state(nd=10**30), "nd must be between"),
        (rename_period, "'not-a-period', which is not a month period"),
        (month_13, "'2026-13', which is not a month period"),
        (count_above_seq, "counter .* in 2026-01 must be between 1 and 4"),
        (item_opened_later, "order must be between 0 and 3"),
        (item_since_huge, "since must be an instant"),
        (item_key_mismatch, "holds the key 'o2'"),
        (fired_twice, "unknown or repeated fired rules"),
        (lifecycle_after_clock, "entered its state after the session's clock"),
        (deadline_huge, "due must be between"),
    ])
    def test_impossible_state_refused(self, change, message):
        """Each impossible value is a StateError naming it; nothing is stored."""
        sessions = engine("python")
        with pytest.raises(StateError, match=message):
            sessions.restore(resealed(change))
        assert list(sessions.store.subjects()) == []

    def test_unsealed_change_fails_the_checksum(self):
        """The same change without recomputing the checksum is refused by the checksum."""
        doc = json.loads(PLAIN)
        doc["state"]["seq"] = 5
        with pytest.raises(StateError, match="checksum does not match"):
            engine("python").restore(doc)

    def test_resealed_valid_document_restores(self):
        """Resealing without a change restores: the checks accept what export writes."""
        restored = engine("python").restore(resealed(lambda doc: None))
        assert restored.export() == json.loads(PLAIN)

    @pytest.mark.parametrize("text", [
        "[" * 100_000 + "]" * 100_000,
        '{"format": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ])
    def test_deep_json_is_a_state_error(self, text):
        """100,000-deep arrays are refused as StateError, not RecursionError."""
        with pytest.raises(StateError, match="nested too deeply"):
            engine("python").restore(text)

    def test_deep_mapping_is_a_state_error(self):
        """A deeply nested mapping handed to restore is refused as StateError."""
        deep: Any = []
        for _ in range(100_000):
            deep = [deep]
        doc = json.loads(PLAIN)
        doc["state"]["c"] = deep
        with pytest.raises(StateError, match="nested too deeply"):
            engine("python").restore(doc)

    def test_not_a_json_number(self):
        """NaN is not JSON: refused."""
        text = PLAIN.decode().replace('"seq": 4', '"seq": NaN')
        with pytest.raises(StateError, match="NaN is not a JSON number"):
            engine("python").restore(text)

    def test_older_layout_refused(self):
        """A document of the earlier layout (no checksum) is refused by its version."""
        doc = json.loads(PLAIN)
        del doc["checksum"]
        doc["version"] = 1
        with pytest.raises(StateError, match="version is 1, this csrules reads 2"):
            engine("python").restore(doc)


class TestSignatures:
    """With a state key, documents are signed and only documents signed with it restore."""

    def test_signed_round_trip(self):
        """An export signed with the key restores under the same key."""
        assert "mac" in json.loads(SIGNED)
        restored = engine("python", state_key=KEY).restore(SIGNED)
        assert restored.export() == json.loads(SIGNED)

    def test_other_key_refused(self):
        """A document signed with another key is refused."""
        with pytest.raises(StateError, match=r"signature .* does not match"):
            engine("python", state_key=b"another key").restore(SIGNED)

    def test_unsigned_refused(self):
        """An engine with a key refuses unsigned documents, even with a valid checksum."""
        with pytest.raises(StateError, match="not signed"):
            engine("python", state_key=KEY).restore(PLAIN)

    def test_forged_content_refused(self):
        """Changed content with a recomputed checksum but no key fails the signature."""
        doc = json.loads(SIGNED)
        doc["state"]["seq"] = 5
        forged = {**seal(doc), "mac": doc["mac"]}
        with pytest.raises(StateError, match=r"signature .* does not match"):
            engine("python", state_key=KEY).restore(forged)

    def test_stored_documents_are_signed(self, tmp_path):
        """A store file written under one key is not read under another."""
        from csrules._sessions import SQLiteStore

        path = tmp_path / "s.db"
        engine("python", state_key=KEY, store=SQLiteStore(path)).send(
            "a", Greeting(agent="a", at=at(2), opening="喂"))
        assert "mac" in SQLiteStore(path).load("a")
        other = engine("python", state_key=b"another key", store=SQLiteStore(path))
        with pytest.raises(StateError, match="signature"):
            other.send("a", Greeting(agent="a", at=at(3), opening="喂"))

    @pytest.mark.parametrize("key", ["text", b""])
    def test_key_must_be_bytes(self, key):
        """A state key is non-empty bytes."""
        with pytest.raises(SessionError, match="state_key must be non-empty bytes"):
            engine("python", state_key=key)
