"""The test kit's pytest plugin (entry point `pytest11`), loaded in every pytest run where the
`sas-simulator` distribution is installed. Its fixtures start nothing until a test asks for
them, and it imports the simulator (Litestar) only then."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sas_simulator.dataset import Dataset
    from sas_simulator.server import SimulatorServer
    from sas_testkit.pki import Pki


@pytest.fixture(scope="session")
def sas_dataset() -> Dataset:
    """The simulator's default dataset (seed 42, 10 practitioners): practitioners with one and
    two places, three CPTS (one practitioner in two), two SOS Médecins associations; then the
    acceptance scenarios `sas conformance` searches by default (`with_acceptance_scenarios`)."""
    from sas_simulator.dataset import build_dataset

    return build_dataset(seed=42, practitioners=10)


@pytest.fixture
def sas_vendor(sas_dataset: Dataset) -> Iterator[SimulatorServer]:
    """A simulated vendor serving `sas_dataset` over plain HTTP on a free loopback port
    (`.base_url` is its FHIR base, `.set_faults(Faults(…))` makes it misbehave); stopped after
    the test."""
    from sas_testkit.vendors import plain_vendor

    with plain_vendor(sas_dataset) as server:
        yield server


@pytest.fixture(scope="session")
def sas_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Certificates for mutual TLS, made once per session (see `sas_testkit.pki.Pki`); start a
    vendor requiring them with `sas_testkit.vendors.mtls_vendor(sas_pki, sas_dataset)`."""
    from sas_testkit.pki import make_pki

    return make_pki(tmp_path_factory.mktemp("sas-pki"))
