"""A decision log's bad option is refused as a csrules error naming the log and the option
(still a ValueError, as a bad argument is), before anything of the log is made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import csrules
from csrules._engine.logs import JsonlLog, SQLiteLog


@pytest.mark.parametrize(("make", "option"), [
    (lambda p: JsonlLog(p / "d.jsonl", batch=0), "batch"),
    (lambda p: JsonlLog(p / "d.jsonl", max_bytes=0), "max_bytes"),
    (lambda p: SQLiteLog(p / "d.db", batch=0), "batch"),
    (lambda p: SQLiteLog(p / "d.db", timeout=-1), "timeout"),
])
def test_a_bad_option_is_a_csrules_error(tmp_path: Path, make: Any, option: str) -> None:
    with pytest.raises(csrules.CsrulesError, match=rf"log .*{option} must be") as caught:
        make(tmp_path)
    assert isinstance(caught.value, ValueError)
    assert list(tmp_path.iterdir()) == []
