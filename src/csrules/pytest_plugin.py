"""pytest plugin: collects csrules policy test files and reports rule coverage."""

from __future__ import annotations
