"""Session state in PostgreSQL (psycopg 3), for hosts on several machines sharing one store.

psycopg is imported when a :class:`PostgresStore` is built, never by ``import csrules``;
install it with the ``postgres`` extra (``pip install 'csrules[postgres]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from csrules._sessions.store import SQLStore, schema
from csrules.exceptions import SessionError, StateError

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore"]

# Advisory lock classes of this store (two-key form, so other applications' advisory locks
# on the same database never meet ours): one per subject, one for creating the tables.
_SUBJECT_LOCKS = 0x63737273  # "csrs"
_SCHEMA_LOCK = 0x6373726D  # "csrm"


class PostgresStore(SQLStore):
    """Documents in two tables of a PostgreSQL database, committed on every save.

    ``conninfo`` is a libpq connection string or URI (``"postgresql://host/db"``); the
    tables (``csrules_meta``, ``csrules_sessions``) go in the first schema of the
    connection's ``search_path``. Any number of engines on any number of machines may share
    the database: each call that changes a session is one transaction that holds that
    subject's lock (``pg_advisory_xact_lock``) from reading the state to committing the new
    one, so calls on one subject run one after another and calls on different subjects run
    in parallel. Durability is the server's: with its default ``synchronous_commit = on`` a
    call that returned survives a crash of the server.

    .. versionadded:: 0.1
    """

    _schema = schema("BIGINT")

    def __init__(self, conninfo: str = "", **options: Any) -> None:
        try:
            import psycopg
        except ImportError:
            raise SessionError("PostgresStore needs psycopg 3: pip install 'csrules[postgres]'") from None
        super().__init__("PostgreSQL")
        self._driver_errors = (psycopg.Error,)
        self._conninfo, self._options = conninfo, options
        try:
            self._db: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(
                conninfo, autocommit=True, **options)
        except psycopg.Error as exc:
            raise StateError(f"cannot connect to the PostgreSQL session store: {exc}") from None
        info = self._db.info
        self.where = f"PostgreSQL database {info.dbname!r} on {info.host}:{info.port}"
        try:
            self._setup()
        except (SessionError, StateError):
            self._disconnect()
            raise

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._db.execute(sql.replace("?", "%s"), params)
        if cursor.description is None:
            return []
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows

    def _reconnect(self) -> psycopg.Connection[tuple[Any, ...]]:
        import psycopg

        return psycopg.connect(self._conninfo, autocommit=True, **self._options)

    def _begin(self, subject: str | None) -> None:
        self._db.execute("BEGIN")
        if subject is None:
            self._db.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_SCHEMA_LOCK,))
        else:
            self._db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_SUBJECT_LOCKS, subject))
