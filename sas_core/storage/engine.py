"""Building engines with the settings each database needs to behave."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, ExceptionContext, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

#: How long an SQLite writer waits for another process's lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Execution option: `Connection.execution_options(sqlite_begin="IMMEDIATE")` takes the write
#: lock at BEGIN, so two processes upgrading one file serialise instead of failing mid-way.
SQLITE_BEGIN_OPTION = "sqlite_begin"
_SQLITE_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL; a bare `postgresql://` means psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_engine_for(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL, a busy timeout and real transactions.

    pysqlite neither enforces foreign keys nor begins a transaction before DDL by default;
    taking over BEGIN makes migrations and multi-table writes atomic on SQLite as well.

    No engine ever puts a statement's parameters (national ids, identifiers) into a log line or
    an error message (`hide_parameters`), nor PostgreSQL's DETAIL, which repeats row values.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        event.listen(engine, "handle_error", _drop_server_detail)
        return engine

    in_memory = parsed.database in (None, "", ":memory:")
    options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
    engine = create_engine(
        parsed, connect_args={"check_same_thread": False}, hide_parameters=True, **options
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see below
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
    if mode not in _SQLITE_BEGIN_MODES:
        raise ValueError(f"{SQLITE_BEGIN_OPTION} must be one of {sorted(_SQLITE_BEGIN_MODES)}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _drop_server_detail(context: ExceptionContext) -> None:
    """Keep only the first line of a PostgreSQL error: its DETAIL, HINT and CONTEXT lines quote
    the offending values (`Key (national_id)=(810000000000) already exists`). The full
    diagnostics stay on the driver's exception (`orig.diag`) for code that needs them."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            error.args = (error.args[0].split("\n", 1)[0], *error.args[1:])
