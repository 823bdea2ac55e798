"""Claiming messages to forward, on SQLite and PostgreSQL: each message is leased by one
forwarder only, and messages waiting for their acknowledgement never hide a newer due one."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from sas_core.appointments.forwarding import DeliveryStore
from sas_core.storage.engine import create_engine_for, write_session
from sas_core.storage.lrm import claim_due_deliveries
from sas_core.storage.schema import upgrade

LEASE = timedelta(seconds=60)
SAMU = "fr.health.samu330"


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated platform database of each kind (PostgreSQL skipped, naming why, when absent)."""
    url = (
        request.getfixturevalue("postgres_url")
        if request.param == "postgres"
        else f"sqlite:///{tmp_path / 'claims.sqlite3'}"
    )
    engine = create_engine_for(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def record(store: DeliveryStore, appointment: uuid.UUID, version: int, name: str) -> None:
    store.record(appointment, version, distribution_id=name, recipient=SAMU, payload={})


def test_concurrent_forwarders_never_claim_the_same_message(engine: Engine) -> None:
    store = DeliveryStore(engine)
    names = {f"m{i}" for i in range(20)}
    for name in sorted(names):
        record(store, uuid.uuid4(), 1, name)
    claims: list[str] = []
    start = threading.Barrier(4)

    def forwarder() -> None:
        start.wait()
        for _ in range(8):
            claims.extend(m.distribution_id for m in store.claim_due(2, LEASE))

    threads = [threading.Thread(target=forwarder) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claims.extend(m.distribution_id for m in store.claim_due(len(names), LEASE))
    assert sorted(claims) == sorted(names)  # each once: none twice, none lost


def test_a_message_held_by_one_forwarder_is_not_claimed_by_another(engine: Engine) -> None:
    store = DeliveryStore(engine)
    record(store, uuid.uuid4(), 1, "held")
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite writers take turns: a second claim cannot run while one is open")
    now = datetime.now(UTC)
    with write_session(engine) as first:
        held = claim_due_deliveries(first, at=now, lease_until=now + LEASE, limit=10)
        assert [row.distribution_id for row in held] == ["held"]
        assert store.claim_due(10, LEASE) == []  # locked: skipped, not waited for
    assert store.claim_due(10, LEASE) == []  # committed: leased, no longer due


def test_messages_awaiting_their_ack_do_not_hide_a_newer_due_one(engine: Engine) -> None:
    store = DeliveryStore(engine)
    for i in range(30):
        record(store, uuid.uuid4(), 1, f"old{i}")
    later = datetime.now(UTC) + timedelta(minutes=10)
    for message in store.claim_due(30, LEASE):
        store.mark_published(message, later)
    record(store, uuid.uuid4(), 1, "new")
    assert [m.distribution_id for m in store.claim_due(2, LEASE)] == ["new"]


def test_only_each_appointments_oldest_open_message_is_claimed(engine: Engine) -> None:
    store = DeliveryStore(engine)
    waiting, other = uuid.uuid4(), uuid.uuid4()
    record(store, waiting, 1, "w1")
    (first,) = store.claim_due(10, LEASE)
    store.mark_published(first, datetime.now(UTC) + timedelta(minutes=10))
    record(store, waiting, 2, "w2")
    record(store, other, 1, "o1")
    record(store, other, 2, "o2")
    assert [m.distribution_id for m in store.claim_due(10, LEASE)] == ["o1"]
    assert store.mark_delivered("w1") is not None
    assert [m.distribution_id for m in store.claim_due(10, LEASE)] == ["w2"]
