"""Fixtures of the sas-fhir tests: queries, adapters, simulated vendors, certificates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from sas_core import AdapterConfig, SearchWindow, SlotQuery
from sas_fhir_adapter.settings import FhirAdapterSettings
from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset, build_dataset
from sas_simulator.server import SimulatorServer

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


@dataclass(frozen=True)
class Pki:
    """Certificates made at test time: a vendor CA, a platform CA, and an untrusted CA."""

    vendor_ca: Path
    server_cert: Path
    server_key: Path
    platform_ca: Path
    client_cert: Path
    client_key: Path
    rogue_server_cert: Path
    rogue_server_key: Path
    rogue_client_cert: Path
    rogue_client_key: Path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    vendor_ca, platform_ca, rogue_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server = vendor_ca.issue_cert("127.0.0.1", "localhost")
    client = platform_ca.issue_cert(
        common_name="ptf-sas.test", organization_unit_name="PTF SAS", organization_name="ANS"
    )
    rogue = rogue_ca.issue_cert("127.0.0.1", "localhost")
    rogue_client = rogue_ca.issue_cert(common_name="ptf-sas.test")

    def write(name: str, blob: trustme.Blob) -> Path:
        blob.write_to_path(str(root / name))
        return root / name

    return Pki(
        vendor_ca=write("vendor-ca.pem", vendor_ca.cert_pem),
        server_cert=write("server.pem", server.cert_chain_pems[0]),
        server_key=write("server.key", server.private_key_pem),
        platform_ca=write("platform-ca.pem", platform_ca.cert_pem),
        client_cert=write("client.pem", client.cert_chain_pems[0]),
        client_key=write("client.key", client.private_key_pem),
        rogue_server_cert=write("rogue.pem", rogue.cert_chain_pems[0]),
        rogue_server_key=write("rogue.key", rogue.private_key_pem),
        rogue_client_cert=write("rogue-client.pem", rogue_client.cert_chain_pems[0]),
        rogue_client_key=write("rogue-client.key", rogue_client.private_key_pem),
    )


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return build_dataset(seed=42, practitioners=10)


@pytest.fixture
def simulator(dataset: Dataset) -> Iterator[SimulatorServer]:
    """The simulated vendor over plain HTTP on a free port (`.base_url`, `.set_faults`)."""
    with SimulatorServer(create_app(dataset)) as server:
        yield server
