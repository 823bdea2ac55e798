"""Mutual TLS over real sockets (digest §2, §15.1), with certificates made by trustme."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sas_core import SearchWindow, SlotQuery, SourceOutcome
from sas_fhir_adapter import plugin
from sas_simulator.app import create_app
from sas_simulator.server import ServerTls, SimulatorServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def mtls_vendor(pki: Any, dataset: Any) -> Iterator[SimulatorServer]:
    """The simulator requiring a client certificate signed by the platform's CA."""
    tls = ServerTls(pki.server_cert, pki.server_key, client_ca_file=pki.platform_ca)
    with SimulatorServer(create_app(dataset), tls=tls) as server:
        yield server


@pytest.fixture
def rogue_vendor(pki: Any, dataset: Any) -> Iterator[SimulatorServer]:
    """A server whose certificate comes from a CA the adapter does not trust."""
    tls = ServerTls(pki.rogue_server_cert, pki.rogue_server_key, client_ca_file=pki.platform_ca)
    with SimulatorServer(create_app(dataset), tls=tls) as server:
        yield server


async def search(make_adapter: Any, base_url: str, idnps: str, **settings: Any) -> SourceOutcome:
    now = datetime.now(UTC)
    query = SlotQuery(
        window=SearchWindow(start=now, end=now + timedelta(hours=48)), practitioners=(idnps,)
    )
    adapter = make_adapter(base_url, timeout_s=3, **settings)
    try:
        return (await plugin.sas_fetch_slots(adapter, query)).outcome
    finally:
        await plugin.exchange.close(adapter.name)


async def test_right_client_certificate_is_accepted(
    make_adapter: Any, mtls_vendor: SimulatorServer, pki: Any, dataset: Any
) -> None:
    outcome = await search(
        make_adapter,
        mtls_vendor.base_url,
        dataset.practitioners[0].idnps,
        ca_bundle=pki.vendor_ca,
        client_cert=pki.client_cert,
        client_key=pki.client_key,
    )

    assert outcome.status == "ok", outcome.error
    assert outcome.slot_count > 0


async def test_missing_client_certificate_is_a_tls_failure(
    make_adapter: Any, mtls_vendor: SimulatorServer, pki: Any
) -> None:
    outcome = await search(
        make_adapter, mtls_vendor.base_url, "810000000042", ca_bundle=pki.vendor_ca
    )

    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("TLS failure:"), outcome.error
    assert "client certificate" in outcome.error


async def test_client_certificate_from_another_ca_is_a_tls_failure(
    make_adapter: Any, mtls_vendor: SimulatorServer, pki: Any
) -> None:
    outcome = await search(
        make_adapter,
        mtls_vendor.base_url,
        "810000000042",
        ca_bundle=pki.vendor_ca,
        client_cert=pki.rogue_client_cert,
        client_key=pki.rogue_client_key,
    )

    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("TLS failure:"), outcome.error
    assert "client" in outcome.error


async def test_untrusted_server_certificate_is_a_tls_failure(
    make_adapter: Any, rogue_vendor: SimulatorServer, pki: Any
) -> None:
    outcome = await search(
        make_adapter,
        rogue_vendor.base_url,
        "810000000042",
        ca_bundle=pki.vendor_ca,
        client_cert=pki.client_cert,
        client_key=pki.client_key,
    )

    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith(
        "TLS failure: the vendor's server certificate was rejected ("
    ), outcome.error
    assert "BEGIN" not in outcome.error
