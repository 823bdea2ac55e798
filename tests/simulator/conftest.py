"""Fixtures of the simulator tests: the default dataset and a live server on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from sas_simulator.app import create_app
from sas_simulator.dataset import PARIS, Dataset, SimPractitioner, build_dataset
from sas_simulator.server import SimulatorServer

IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return build_dataset()


@pytest.fixture
def server(dataset: Dataset) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(dataset)) as running:
        yield running


def practitioner_with_places(dataset: Dataset, count: int) -> SimPractitioner:
    return next(p for p in dataset.practitioners if len(p.places) == count)


def search_params(
    *idnps: str, hours: int = 48, start: datetime | None = None
) -> dict[str, str | list[str]]:
    """A well-formed INT_R01 query for `idnps` over the next `hours` (digest §4.2)."""
    begin = start or datetime.now(PARIS).replace(microsecond=0)
    return {
        "_include": "Slot:schedule",
        "_include:iterate": "Schedule:actor",
        "start": [f"ge{begin.isoformat()}", f"le{(begin + timedelta(hours=hours)).isoformat()}"],
        "schedule.actor:Practitioner.identifier": ",".join(f"{IDNPS_SYSTEM}|{i}" for i in idnps),
        "status": "free",
    }
