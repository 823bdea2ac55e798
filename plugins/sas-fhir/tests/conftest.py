"""Fixtures of the sas-fhir tests: queries, adapters, simulated vendors, certificates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sas_core import AdapterConfig, SearchWindow, SlotQuery
from sas_fhir_adapter.settings import FhirAdapterSettings
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.server import SimulatorServer
from tests.plugin_support import Pki, make_pki

#: Shape-valid IDNPS (`8` + RPPS) that no simulated practitioner has.
UNKNOWN_IDNPS = "810000000042"


def build_adapter(
    base_url: str = "https://vendor.example/fhir", *, timeout_s: float = 1.0, **settings: Any
) -> AdapterConfig:
    """An adapter instance as `PluginHost.adapter` builds it (settings validated)."""
    return AdapterConfig(
        name="vendor-test",
        plugin="sas-fhir",
        timeout_s=timeout_s,
        settings=FhirAdapterSettings(base_url=base_url, **settings),
    )


@pytest.fixture
def make_adapter() -> Callable[..., AdapterConfig]:
    """`make_adapter(base_url, timeout_s=…, **settings)`; timeout 1 s unless told."""
    return build_adapter


@pytest.fixture
def query() -> SlotQuery:
    now = datetime.now(UTC).replace(microsecond=0)
    return SlotQuery(
        window=SearchWindow(start=now, end=now + timedelta(hours=48)),
        practitioners=(UNKNOWN_IDNPS,),
    )


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return build_dataset(seed=42, practitioners=10)


@pytest.fixture
def simulator(dataset: Dataset) -> Iterator[SimulatorServer]:
    """The simulated vendor over plain HTTP on a free port (`.base_url`, `.set_faults`)."""
    with SimulatorServer(create_app(dataset)) as server:
        yield server
