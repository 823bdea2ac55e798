"""Appointment intake under load, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import event

from sas_core.appointment_intake import AppointmentIntake
from sas_core.storage import create_engine_for, upgrade
from sas_core.storage.parties import StoredParties
from tests.web.conftest import VENDOR_SYSTEM, appointment

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite, else a migrated, empty PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine_for(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_a_request_holds_one_pooled_connection_at_a_time(
    database_url: str | None, tmp_path: Path
) -> None:
    # Holding one while waiting for another is what deadlocked the pool from ~16 requests on.
    engine = create_engine_for(database_url or f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    upgrade(engine)
    held = peak = 0
    guard = threading.Lock()

    def checkout(*_: object) -> None:
        nonlocal held, peak
        with guard:
            held += 1
            peak = max(peak, held)

    def checkin(*_: object) -> None:
        nonlocal held
        with guard:
            held -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    intake = AppointmentIntake(engine, StoredParties(engine))
    try:
        body = json.dumps(appointment()).encode()
        assert intake.create(body, "acme").outcome == "created"
        assert intake.create(body, "acme").outcome == "unchanged"
        cancelled = json.dumps(appointment(status="cancelled")).encode()
        assert intake.update(f"{VENDOR_SYSTEM}|a-1", cancelled, "acme").outcome == "updated"
    finally:
        engine.dispose()
    assert peak == 1
