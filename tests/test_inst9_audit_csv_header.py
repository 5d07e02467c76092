"""A CSV whose header line is not UTF-8 is refused by file and line, not with a decoding traceback."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csrules.audit import AuditError, audit
from csrules.policies import load_pack

HEADER = b"agent_id,kind,start,end,requested_at,requested_by"
ROW = b"A01,personal,2026-03-02T08:30:00+08:00,2026-03-02T16:30:00+08:00,2026-03-01T20:00:00+08:00,A01"


class TestCsvHeader:
    """A UTF-16 byte order mark or a GBK column name in the header."""

    @pytest.mark.parametrize(("header", "byte", "offset"), [
        (b"\xff\xfe" + HEADER, "0xff", 0), (HEADER + ",\xb1\xb8\xd7\xa2".encode("latin-1"), "0xb1", len(HEADER) + 1)])
    @pytest.mark.parametrize("workers", [1, 2])
    def test_refused_by_file_and_line(self, header: bytes, byte: str, offset: int, workers: int,
                                      tmp_path: Path) -> None:
        """The audit names the file, line 1 and the byte, as eval does."""
        path = tmp_path / "export.csv"
        path.write_bytes(header + b"\n" + ROW + b"\n")
        said = rf"^{re.escape(str(path))}:1: not UTF-8 text \(byte {byte} at offset {offset}\)$"
        with pytest.raises(AuditError, match=said):
            audit(load_pack("call_centre"), [str(path)], fact_type="leave_request",
                  now=datetime(2026, 6, 1, tzinfo=UTC), workers=workers)
