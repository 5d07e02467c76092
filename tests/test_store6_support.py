"""Workers of the store6 tests that run in other processes (no tests here): light imports,
so a spawned process starts fast."""

from __future__ import annotations

from typing import Any

from csrules._engine.logs import SQLiteLog
from csrules._engine.record import parse_record
from csrules._sessions.store import SQLiteStore


def document(worker: int) -> dict[str, Any]:
    """The session document creator ``worker`` stores (the store keeps it as given)."""
    return {"subject": f"creator-{worker}", "state": {"nd": None, "seq": worker, "text": "您好 ✓"}}


def create_at_once(folder: str, rounds: int, record: str, worker: int, barrier: Any, out: Any) -> None:
    """For each round: wait for every creator, then create the round's new store and write one
    document of its own; wait again, then create its new log and write one record; put what
    failed on ``out``."""
    failed = []
    for n in range(rounds):
        barrier.wait()
        try:
            store = SQLiteStore(f"{folder}/store-{n}.db")
            store.save(f"creator-{worker}", document(worker))
            store.close()
        except Exception as exc:  # reported to the test, which names it
            failed.append(f"store {n}: {type(exc).__name__}: {exc}")
        barrier.wait()
        try:
            with SQLiteLog(f"{folder}/log-{n}.db") as log:
                log.write(parse_record(record))
        except Exception as exc:  # reported to the test, which names it
            failed.append(f"log {n}: {type(exc).__name__}: {exc}")
    out.put(failed)
