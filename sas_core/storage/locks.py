"""One lock per background job, so that platform instances never run the same job at once.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) taken on a connection of
its own and held for the whole run. It lives exactly as long as that connection: an instance
that is killed, or loses the database, loses its locks with it — PostgreSQL frees them when the
connection closes — so another instance takes the job over at its next tick, with no lease to
tune and no clock to trust; and an instance that is merely slow keeps its lock, so two runs
never overlap the way an expired lease lets them. SQLite serves one instance: a lock in the
process is enough there.
"""

from __future__ import annotations

import hashlib
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

#: Advisory-lock keys are one 64-bit space shared by every application on the database: ours
#: are derived from this prefix and the job's name.
KEY_PREFIX = b"sas-connect:job:"

_local_locks: dict[tuple[str, str], threading.Lock] = {}
_local_guard = threading.Lock()


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL's bigint)."""
    digest = hashlib.sha256(KEY_PREFIX + name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class JobLock:
    """The lock of job `name` on `engine`'s database; `acquire` never waits."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._connection: Connection | None = None
        self._local: threading.Lock | None = None

    def acquire(self) -> bool:
        """Take the lock if no one (in any instance) holds it; whether it was taken."""
        if self.engine.dialect.name != "postgresql":
            with _local_guard:
                key = (self.engine.url.render_as_string(hide_password=True), self.name)
                lock = _local_locks.setdefault(key, threading.Lock())
            if not lock.acquire(blocking=False):
                return False
            self._local = lock
            return True
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(self.name)}
            )
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        """Free the lock. Should the unlock fail, the connection is discarded rather than
        pooled: closing it is what frees the lock then."""
        if self._local is not None:
            self._local.release()
            self._local = None
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)}
            )
        except BaseException:
            connection.invalidate()
            raise
        finally:
            connection.close()
