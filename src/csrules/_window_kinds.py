"""Window and sequence condition kinds for sessions (counts per window, the Nth occurrence,
no two in a row, still open at a deadline), registered in the kinds table."""

from __future__ import annotations
