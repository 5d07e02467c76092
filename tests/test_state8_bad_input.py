"""Bad input through the session and store APIs gets a csrules error naming what is wrong."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from csrules._sessions.store import SQLiteStore
from csrules.exceptions import SessionError, TimeError
from tests.test_session_support import Shift, engine


class TestWindowTimesOutsideTheCalendar:
    @pytest.mark.parametrize("moment", [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8))),  # year 0 in UTC
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-8))),  # year 10000 in UTC
    ])
    def test_refused_naming_the_window_time(self, moment: datetime) -> None:
        """An event whose time no calendar month holds (in the policy's zone) is refused
        as a TimeError naming that time; the session is unchanged."""
        s = engine("python").session("a")
        with pytest.raises(TimeError, match=r"window time .* falls outside years 1 to 9999"):
            s.send(Shift(agent="a", at=moment, swapped=True))
        assert s.export()["state"]["seq"] == 0


class TestStorePath:
    @pytest.mark.parametrize("path", [5, None, b"s.db"])
    def test_a_path_that_is_no_path(self, path: Any) -> None:
        """A SQLiteStore path that is not a file path is a SessionError naming it."""
        with pytest.raises(SessionError, match="path must be a file path"):
            SQLiteStore(path)

    def test_a_path_object_is_fine(self, tmp_path: Path) -> None:
        """A pathlib path and its text both open the store."""
        SQLiteStore(tmp_path / "s.db").close()
        SQLiteStore(str(tmp_path / "s.db")).close()
