"""Audits on a Dask LocalCluster of two worker processes give the same rows as local audits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrules.audit import AuditError, audit
from csrules.policies import PACK_NAMES, load_pack
from tests.audit_support import KILL, probe_engine
from tests.test_audit_agreement import CASES, NOW, examples

distributed = pytest.importorskip("dask.distributed", reason="Dask audits need csrules[dask]")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A LocalCluster of two worker processes (so the spec is really pickled), shared by the module."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as connected:
        yield connected


class TestDaskAudits:
    """The Dask path agrees with the local one, batch for batch."""

    def test_every_pack_agrees(self, client):
        """For every built-in pack's stateless fact types, Dask and local audits give equal rows."""
        for name, fact_type in CASES:
            facts = examples(name, fact_type)
            pack = load_pack(name)
            on_dask = audit(pack, facts, fact_type=fact_type, now=NOW, scheduler=client, batch_rows=7)
            local = audit(pack, facts, fact_type=fact_type, now=NOW, workers=1, batch_rows=7)
            assert on_dask.decisions.equals(local.decisions), (name, fact_type)
            assert on_dask.summary.totals == local.summary.totals
        assert {name for name, _ in CASES} == set(PACK_NAMES)

    def test_parquet_written_as_parts(self, client, tmp_path):
        """A Parquet file audited on the cluster is written as part files that read back as the local rows."""
        facts = examples("call_centre", "leave_request")
        path = tmp_path / "leave.parquet"
        pq.write_table(pa.Table.from_pylist(facts), path, row_group_size=3)
        pack = load_pack("call_centre")
        audit(pack, path, fact_type="leave_request", now=NOW, scheduler=client, batch_rows=2, out=tmp_path / "out")
        local = audit(pack, path, fact_type="leave_request", now=NOW, workers=1, batch_rows=2)
        assert pq.read_table(tmp_path / "out" / "decisions.parquet").equals(local.decisions)

    def test_same_spec_twice_scatters_two_keys(self, client, monkeypatch):
        """Two audits of one spec scatter it under two keys: with one key (Dask's hash of equal
        data), releasing the first audit's copy could cancel the second audit's tasks."""
        keys: list[str] = []
        scatter = client.scatter

        def recording(*args: Any, **kwargs: Any) -> Any:
            future = scatter(*args, **kwargs)
            keys.append(future.key)
            return future

        monkeypatch.setattr(client, "scatter", recording)
        facts = examples("call_centre", "leave_request")
        pack = load_pack("call_centre")
        first, second = (audit(pack, facts, fact_type="leave_request", now=NOW, scheduler=client, batch_rows=5)
                         for _ in range(2))
        assert first.decisions.equals(second.decisions)
        assert len(keys) == 2
        assert keys[0] != keys[1]

    def test_failed_task_fails_the_audit(self, client, tmp_path):
        """A task whose worker dies (every retry) is an AuditError, and nothing is reported."""
        facts = [{"agent_id": "a", "value": index} for index in range(12)]
        facts[3]["value"] = KILL
        with pytest.raises(AuditError, match="did not finish"):
            audit(probe_engine(), facts, scheduler=client, batch_rows=4, out=tmp_path)
        assert list(tmp_path.iterdir()) == []
