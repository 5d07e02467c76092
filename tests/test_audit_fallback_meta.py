"""A batch whose rules are judged partly per column and partly by the row engine works out
each row's subject, team and month once, and gives the rows the row engine alone gives."""

from __future__ import annotations

from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from csrules import Engine
from csrules._audit import batch, columnar
from csrules._audit.batch import AuditSpec, audit_batch
from csrules._policy.loader import loads_policy
from tests.test_audit import FACTS, NOW

RULE = """
  - id: {id}
    title: {{en: {id}, zh: {id}}}
    when: {{kind: compare, path: kind, op: "==", value: personal}}
    then:
      - {{type: violation, code: {id}, message: {{en: x, zh: x}}}}
"""


def policy(name: str, hit: str) -> Any:
    """A leave policy of one rule, keeping every match (``collect``) or the first one."""
    text = (f"id: {name}\nversion: '1'\ntitle: {{en: {name}, zh: {name}}}\nfact_type: leave_request\n"
            f"hit_policy: {hit}\nrules:\n" + RULE.format(id=f"{name}-1"))
    return loads_policy(text, name=f"{name}.yaml")


ENGINE = Engine([policy("kept", "collect"), policy("first", "first")])


def counter(monkeypatch: pytest.MonkeyPatch, *modules: Any) -> list[int]:
    """A list that grows by one at each call of ``meta_frame`` (as seen from ``modules``)."""
    calls: list[int] = []
    original = batch.meta_frame

    def counted(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    for module in modules:
        monkeypatch.setattr(module, "meta_frame", counted)
    return calls


class TestMetaOnce:
    """Rules the row engine judges beside columnar ones reuse the batch's meta columns."""

    def test_premise_mixed_batch(self):
        """The ``first`` policy's rule goes to the row engine, the other is judged per column."""
        spec = AuditSpec(ENGINE, "leave_request", NOW)
        facts = pa.Table.from_pylist(FACTS)
        frame = pl.from_arrow(facts.append_column("__row", pa.array(range(1, len(FACTS) + 1), pa.int64())))
        assert isinstance(frame, pl.DataFrame)
        prepared = columnar.prepare(spec, frame)
        assert prepared is not None
        plan = columnar._plan(spec, set(prepared[0].columns))
        assert [expr is None for _, _, _, expr, _ in plan] == [False, True]

    def test_meta_computed_once(self, monkeypatch):
        """One batch computes its meta columns once, and its rows equal the row engine's."""
        expected = audit_batch(AuditSpec(ENGINE, "leave_request", NOW, columnar=False), pa.Table.from_pylist(FACTS))
        calls = counter(monkeypatch, batch, columnar)
        found = audit_batch(AuditSpec(ENGINE, "leave_request", NOW), pa.Table.from_pylist(FACTS))
        assert len(calls) == 1
        assert found.drop_columns(["message"]).equals(expected.drop_columns(["message"]))

    @pytest.mark.parametrize("rows", [1, 3])
    def test_row_engine_alone_computes_once(self, monkeypatch, rows):
        """A batch judged by the row engine alone computes them once too."""
        calls = counter(monkeypatch, batch)
        audit_batch(AuditSpec(ENGINE, "leave_request", NOW, columnar=False), pa.Table.from_pylist(FACTS[:rows]))
        assert len(calls) == 1
