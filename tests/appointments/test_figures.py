"""The platform team's monthly figures: appointments reported through the real intake, counted
per territory (the booking regulator's), vendor and Paris calendar month by one grouped query."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.regulators import add_regulator
from sas_core.appointments.figures import month_starts, monthly_counts
from sas_core.appointments.intake import AppointmentIntake
from sas_core.storage import open_database
from sas_core.storage.parties import StoredParties
from tests.web.conftest import appointment


@pytest.fixture
def engine() -> Iterator[Engine]:
    """The test's own data directory's database, migrated."""
    found = open_database()
    yield found
    found.dispose()


def report(intake: AppointmentIntake, value: str, operator: str, start: str, vendor: str) -> None:
    resource = appointment(value, start=start, end=start.replace(":00.000", ":15.000", 1))
    resource["extension"][0]["valueReference"]["identifier"]["value"] = operator
    intake.create(json.dumps(resource).encode(), vendor)


def test_counts_per_territory_vendor_and_paris_month(engine: Engine) -> None:
    regulator = add_regulator(
        engine, family="Martin", given="Claire", email="c@sas.example", territory="SAS-31"
    )
    intake = AppointmentIntake(engine, StoredParties(engine))
    mine = str(regulator.id)
    report(intake, "a", mine, "2026-11-03T10:00:00.000+01:00", "editeur-b")
    report(intake, "b", mine, "2026-11-20T10:00:00.000+01:00", "editeur-b")
    # 23:30 UTC on 30 November is already December in Paris.
    report(intake, "c", mine, "2026-12-01T00:30:00.000+01:00", "editeur-b")
    report(intake, "d", mine, "2026-12-02T09:00:00.000+01:00", "editeur-a")
    report(intake, "e", "b6e39355-8a61-4556-b340-36f7b95fec6a", "2026-12-02T09:00:00.000+01:00",
           "editeur-a")  # fmt: skip
    # Booked ahead, after the current month: counted in the next one.
    report(intake, "f", mine, "2027-02-10T09:00:00.000+01:00", "editeur-a")
    report(intake, "too-old", mine, "2025-01-10T09:00:00.000+01:00", "editeur-a")

    counts = monthly_counts(engine, datetime(2026, 12, 2, 12, tzinfo=UTC))

    assert counts == {
        ("SAS-31", "editeur-b", "2026-11"): 2,
        ("SAS-31", "editeur-b", "2026-12"): 1,
        ("SAS-31", "editeur-a", "2026-12"): 1,
        ("?", "editeur-a", "2026-12"): 1,
        ("SAS-31", "editeur-a", "2027-01"): 1,
    }


def test_month_starts_cross_the_year_in_paris_time() -> None:
    starts = month_starts(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 3)
    assert [f"{s:%Y-%m-%d %z}" for s in starts] == [
        "2026-11-01 +0100", "2026-12-01 +0100", "2027-01-01 +0100", "2027-02-01 +0100"
    ]  # fmt: skip
