"""Concurrent writers of one process (`write_session`): each commits, none fails on another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from sas_core.storage import OutboxMessage
from sas_core.storage.engine import write_session

THREADS = 24
WRITES_PER_THREAD = 10


def _read_then_write(engine: Engine) -> None:
    """The outbox's and the accounts' shape: read, then write what was decided."""
    for _ in range(WRITES_PER_THREAD):
        with write_session(engine) as session:
            seen = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
            now = datetime.now(UTC)
            session.add(
                OutboxMessage(
                    topic="test",
                    payload={"seen": seen},
                    created_at=now,
                    next_attempt_at=now,
                    attempts=0,
                )
            )


def test_concurrent_read_then_write_transactions_all_commit(migrated: Engine) -> None:
    # On SQLite a deferred read-then-write fails at once ("database is locked") when another
    # writer committed since its read; the dispatcher did, under intake load.
    with ThreadPoolExecutor(THREADS) as pool:
        for done in [pool.submit(_read_then_write, migrated) for _ in range(THREADS)]:
            done.result()
    with write_session(migrated) as session:
        payloads = session.scalars(select(OutboxMessage.payload)).all()
    assert len(payloads) == THREADS * WRITES_PER_THREAD
    if migrated.dialect.name == "sqlite":
        # Serialised: each writer saw every write committed before it.
        assert sorted(p["seen"] for p in payloads) == list(range(len(payloads)))
