"""Time condition kinds (business-time notice, time of day on a related date, holidays,
night shifts, working hours), registered in the kinds table."""

from __future__ import annotations
