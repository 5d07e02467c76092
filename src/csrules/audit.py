"""Bulk audits: judge a year of records against a pack, on every core or a Dask cluster.

>>> from csrules.audit import audit                                        # doctest: +SKIP
>>> result = audit(load_pack("call_centre"), "leave-2026.parquet",        # doctest: +SKIP
...                fact_type="leave_request", out="audit-2026/")
>>> result.summary.totals["violation"]                                    # doctest: +SKIP

Input: Parquet, CSV, JSON Lines or Arrow IPC files (one or several), a pyarrow, polars or
pandas table, or an iterable of facts (dicts or models). Output (with ``out``): every
decision in ``decisions.parquet`` (one row per fact and effect: rule, code, severity,
approver, due time, outcome; a folder of part files in input order, read as one table by
``pq.read_table`` or ``pl.read_parquet``), ``summary.json`` (by rule, subject, team and
month), ``report.md`` and a self-contained ``report.html`` with inline SVG charts.

The input is cut into shares judged in worker processes (``workers``, all cores by default;
started once and reused, :func:`close_workers` stops them) or on a Dask cluster
(``scheduler``: a ``dask.distributed.Client`` or its address). A worker reads its own row
groups of a Parquet file and writes its own part of the decisions. Each batch goes through
:func:`audit_batch`, Arrow in and Arrow out, which Spark and Ray call the same way (see
``docs/audit.md``). Needs ``pip install 'csrules[audit]'`` (and ``[dask]`` for Dask).

.. versionadded:: 0.1
"""

from __future__ import annotations

from csrules._audit.batch import AuditSpec, audit_batch
from csrules._audit.errors import AuditError
from csrules._audit.events import audit_events
from csrules._audit.rows import ROW_SCHEMA
from csrules._audit.run import AuditResult, audit, close_workers
from csrules._audit.summary import Summary

__all__ = ["ROW_SCHEMA", "AuditError", "AuditResult", "AuditSpec", "Summary", "audit", "audit_batch", "audit_events",
           "close_workers"]
