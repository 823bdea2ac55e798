"""Building engines with the settings each database needs to behave, and writing through them.

**Sizing** (`sas serve`). No code path holds two pooled connections at once, so a busy pool only
ever makes a thread queue, never wait on itself. The pool is then sized so that nothing queues
for a connection either: request handlers run their database work on at most
`REQUEST_THREADS` worker threads (the app sets anyio's default thread limiter, which Litestar's
`sync_to_thread` handlers and `anyio.to_thread.run_sync` share), and the app's background jobs
hold at most `BACKGROUND_CONNECTIONS` more (see there), hence `POOL_SIZE`. `POOL_OVERFLOW`
covers what runs outside both bounds: the SSO listener of `--sso-port` (another event loop,
hence another limiter) and CLI commands.

**SQLite writers.** SQLite lets one transaction at a time write to a file; a second waits in
SQLite's busy handler, which polls with sleeps growing to 100 ms: under 50 concurrent writers
that polling, not the writes, would set the pace. `write_session` therefore queues a process's
writers on a lock of their own (woken as soon as the previous one commits) and begins with
`BEGIN IMMEDIATE`; the busy timeout remains for writers of *other* processes (a CLI command
beside `sas serve`). Readers never wait: the file is in WAL mode.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, ExceptionContext, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry, Pool, StaticPool

#: How many threads of `sas serve` run request handlers' database work at once: enough to keep
#: the database busy while some of them wait on it (a remote PostgreSQL), few because the work
#: is mostly Python under one GIL and every busy thread also delays the event loop that reads
#: and answers the sockets. On the 2-core bench machine at concurrency 50, 2, 4 and 8 threads
#: gave the same throughput within the noise of a shared machine.
REQUEST_THREADS = 8
#: Connections the app's background jobs hold at most at once: the outbox dispatcher's (it
#: works one database step at a time, in a thread) and the event loop's own (the account
#: retries and the account sync at login run their short database steps on the loop, one at
#: a time).
BACKGROUND_CONNECTIONS = 2
POOL_SIZE = REQUEST_THREADS + BACKGROUND_CONNECTIONS
#: Connections beyond `POOL_SIZE` for what those bounds do not count (see the module docstring).
POOL_OVERFLOW = 10
#: How long an SQLite writer waits for another process's lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: How long a writer waits for the writers before it in this process (its request fails then).
WRITER_QUEUE_TIMEOUT_S = 30.0
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
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True, **pool)
        event.listen(engine, "handle_error", _drop_server_detail)
        return engine

    in_memory = parsed.database in (None, "", ":memory:")
    options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else pool
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


_writer_locks: weakref.WeakKeyDictionary[Pool, threading.Lock] = weakref.WeakKeyDictionary()
_writer_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.Lock:
    """The lock this process's writers of `engine`'s SQLite database queue on (one per pool,
    which `engine.execution_options()` copies share)."""
    with _writer_locks_guard:
        lock = _writer_locks.get(engine.pool)
        if lock is None:
            lock = _writer_locks[engine.pool] = threading.Lock()
        return lock


@contextmanager
def _queued(lock: threading.Lock) -> Iterator[None]:
    if not lock.acquire(timeout=WRITER_QUEUE_TIMEOUT_S):
        raise TimeoutError(
            f"waited {WRITER_QUEUE_TIMEOUT_S:g} s for this process's other SQLite writers"
        )
    try:
        yield
    finally:
        lock.release()


@contextmanager
def write_session(engine: Engine, *, expire_on_commit: bool = True) -> Iterator[Session]:
    """A session in one transaction that writes, committed when the block ends (rolled back
    if it raises).

    SQLite: the writers of this process take turns (see the module's docstring), each taking
    the file's write lock at BEGIN, so a read-then-write never fails half-way on another
    writer; a writer must not open a second write session inside the first (the turn is not
    reentrant: it would wait for itself). PostgreSQL: a plain transaction; concurrent writers
    serialise on the rows they lock.
    """
    sqlite = engine.dialect.name == "sqlite"
    turn = _queued(_writer_lock(engine)) if sqlite else nullcontext()
    writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}) if sqlite else engine
    with turn, Session(writer, expire_on_commit=expire_on_commit) as session, session.begin():
        yield session
