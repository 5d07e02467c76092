"""Session stores given text a database cannot hold as it is: subject ids and documents
with lone surrogates (JSON text may carry ``"\\ud800"``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from csrules import SessionError
from csrules.sessions import SQLiteStore

SURROGATE = "\ud800"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    """A fresh SQLite session store."""
    opened = SQLiteStore(tmp_path / "s.db")
    yield opened
    opened.close()


class TestSubjectIds:
    """A subject id that is not Unicode text."""

    @pytest.mark.parametrize("call", ["load", "save", "update", "delete"])
    def test_named_as_a_session_error(self, store: Any, call: str) -> None:
        """Every store call says which subject id and which character, not a UnicodeEncodeError."""
        subject = f"agent{SURROGATE}"
        args: dict[str, tuple[Any, ...]] = {
            "load": (), "delete": (), "save": ({"state": {"nd": None}},),
            "update": (lambda doc: ({"state": {"nd": None}}, None),),
        }
        with pytest.raises(SessionError, match=r"subject id 'agent\\ud800' is not Unicode text: a lone surrogate "
                                               r"'\\ud800' at position 5"):
            getattr(store, call)(subject, *args[call])
        assert list(store.subjects()) == []


class TestDocuments:
    """Documents holding a lone surrogate."""

    def test_stored_document_comes_back_whole(self, store: Any) -> None:
        """A document with a lone surrogate and Chinese text is stored and read back equal."""
        doc = {"state": {"nd": None}, "note": f"客服{SURROGATE}"}
        store.save("a", doc)
        assert store.load("a") == doc
