"""Simulated vendors on real sockets: the simulator served by uvicorn on a free loopback port,
over plain HTTP or requiring the platform's client certificate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sas_simulator.app import create_app
from sas_simulator.dataset import Dataset
from sas_simulator.server import SimulatorServer
from sas_simulator.tls import SimulatorTls
from sas_testkit.pki import PLATFORM_CN, PLATFORM_OU, Pki


@contextmanager
def plain_vendor(dataset: Dataset) -> Iterator[SimulatorServer]:
    """The simulator over plain HTTP (`.base_url`, `.root_url`, `.set_faults`)."""
    with SimulatorServer(create_app(dataset)) as server:
        yield server


@contextmanager
def mtls_vendor(
    pki: Pki, dataset: Dataset, *, rogue: bool = False, strict: bool = False
) -> Iterator[SimulatorServer]:
    """The simulator requiring a client certificate signed by the platform's CA; with `rogue`,
    its own certificate comes from a CA the adapter does not trust; with `strict`, it also
    refuses a revoked certificate and one whose CN or OU is not the platform's, as a vendor
    must (`sas conformance` TLS-04 to TLS-06)."""
    cert, key = (
        (pki.rogue_server_cert, pki.rogue_server_key)
        if rogue
        else (pki.server_cert, pki.server_key)
    )
    tls = (
        SimulatorTls(cert, key, pki.platform_ca, pki.platform_crl, PLATFORM_CN, PLATFORM_OU)
        if strict
        else SimulatorTls(cert, key, pki.platform_ca)
    )
    with SimulatorServer(create_app(dataset), tls=tls) as server:
        yield server
