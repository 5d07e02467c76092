"""Audits on a Dask cluster: the same :func:`audit_batch` per partition, on the cluster's workers.

The spec (the engine as its policies) is scattered once; batches are submitted as they are
read, a bounded number at a time, and come back as Arrow tables in input order. A worker
lost for good makes the run fail (Dask retries a task on another worker first).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from csrules._audit.batch import AuditSpec, judged_on_a_cluster
from csrules._audit.errors import AuditError
from csrules._audit.hosts import carried

__all__ = ["on_dask"]


def on_dask(spec: AuditSpec, batches: Iterator[pa.RecordBatch], scheduler: Any) -> Iterator[tuple[int, Any]]:
    """(input rows, decision rows) per batch, judged on the cluster ``scheduler`` (a
    ``dask.distributed.Client`` or a scheduler address)."""
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise AuditError(f"a Dask scheduler needs the extra: pip install 'csrules[dask]' ({exc})") from None
    connect: Any = Client  # distributed is untyped
    client: Any = scheduler if isinstance(scheduler, Client) else connect(scheduler)
    owned = client is not scheduler
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        # hash=False: a key of its own, so a later audit of the same spec is not cancelled when
        # this one's copy is released (Dask would give equal data one key, then forget it)
        shared = client.scatter(carried(spec), broadcast=True, hash=False)  # with the host's imports
        pending: deque[tuple[int, Any]] = deque()
        for batch in batches:
            pending.append((batch.num_rows, client.submit(judged_on_a_cluster, shared, batch, pure=False)))
            while len(pending) > 2 * workers:
                yield _result(*pending.popleft())
        while pending:
            yield _result(*pending.popleft())
    finally:
        if owned:
            client.close()


def _result(rows: int, future: Any) -> tuple[int, Any]:
    try:
        return rows, future.result()
    except Exception as exc:  # a lost worker, a killed task: the audit did not finish
        raise AuditError(f"a Dask task failed ({type(exc).__name__}: {exc}); the audit did not finish") from None
