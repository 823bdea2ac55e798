"""Mutual TLS over real sockets (digest §2, §15.1), with certificates made by trustme."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sas_core import AdapterConfig, SlotQuery, SourceOutcome
from sas_core.fhir import FhirEndpointSettings
from sas_simulator.dataset import Dataset
from sas_simulator.server import SimulatorServer
from sas_sos_adapter import plugin
from tests.plugin_support import Pki, mtls_simulator, window

pytestmark = pytest.mark.anyio


@pytest.fixture
def mtls_vendor(pki: Pki, dataset: Dataset) -> Iterator[SimulatorServer]:
    with mtls_simulator(pki, dataset) as server:
        yield server


async def search(base_url: str, idnst: str, **settings: Any) -> SourceOutcome:
    adapter = AdapterConfig(
        name="vendor-test",
        plugin="sas-sos",
        timeout_s=3,
        settings=FhirEndpointSettings(base_url=base_url, **settings),
    )
    try:
        query = SlotQuery(window=window(), structures=(idnst,))
        return (await plugin.sas_fetch_slots(adapter, query)).outcome
    finally:
        await plugin.exchange.close(adapter.name)


async def test_right_client_certificate_is_accepted(
    mtls_vendor: SimulatorServer, pki: Pki, dataset: Dataset
) -> None:
    outcome = await search(
        mtls_vendor.base_url,
        dataset.sos[0].idnst,
        ca_bundle=pki.vendor_ca,
        client_cert=pki.client_cert,
        client_key=pki.client_key,
    )

    assert outcome.status == "ok", outcome.error
    assert outcome.slot_count > 0


async def test_missing_client_certificate_is_a_tls_failure(
    mtls_vendor: SimulatorServer, pki: Pki
) -> None:
    outcome = await search(mtls_vendor.base_url, "300000000000042", ca_bundle=pki.vendor_ca)

    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("TLS failure:"), outcome.error
    assert "client certificate" in outcome.error
