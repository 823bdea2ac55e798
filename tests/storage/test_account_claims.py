"""The account claim is a compare-and-set on the row's version (`claim_account`): of two calls that
read the same version, exactly one claims the row, on SQLite and PostgreSQL alike; and a live lease
is never claimed over."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.storage.accounts import (
    claim_account,
    open_account,
    read_account_rows,
    save_regulator,
)
from sas_core.storage.engine import write_session

NOW = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def opened(engine: Engine) -> tuple[uuid.UUID, int]:
    """A regulator whose account at vendor-a was claimed once (version 1) and whose lease ran
    out: the id of the regulator and of the row."""
    regulator = Regulator(
        id=uuid.uuid4(), family="Marius", given="Jules", email="jules@test.fr", territory="SAS-33"
    )
    save_regulator(engine, regulator, NOW)
    with write_session(engine) as session:
        open_account(session, regulator.id, "vendor-a", fingerprint="f1", at=NOW, lease_until=NOW)
    [row] = read_account_rows(engine, regulator.id)
    return regulator.id, row.id


def claim(engine: Engine, account_id: int, version: int, at: datetime) -> bool:
    with write_session(engine) as session:
        return claim_account(
            session, account_id, version, fingerprint="f2", at=at, lease_until=at + LEASE
        )


def test_of_two_claims_on_one_version_one_wins(migrated: Engine) -> None:
    regulator_id, account_id = opened(migrated)
    later = NOW + timedelta(seconds=1)

    assert [claim(migrated, account_id, 1, later) for _ in "12"] == [True, False]

    [row] = read_account_rows(migrated, regulator_id)
    assert (row.state, row.version, row.attempts, row.fingerprint) == ("pending", 2, 2, "f2")
    assert row.next_attempt_at == later + LEASE


def test_a_live_lease_is_not_claimed_over_until_it_runs_out(migrated: Engine) -> None:
    regulator_id, account_id = opened(migrated)
    assert claim(migrated, account_id, 1, NOW + timedelta(seconds=1))

    assert not claim(migrated, account_id, 2, NOW + timedelta(seconds=2))
    assert claim(migrated, account_id, 2, NOW + timedelta(seconds=1) + LEASE)
    [row] = read_account_rows(migrated, regulator_id)
    assert row.version == 3
