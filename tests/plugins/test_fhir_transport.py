"""The transport contract every FHIR vendor plugin keeps, checked on each installed one.

The three plugins share the core's `FhirExchange`; what each must still prove is that it goes
through it: mutual TLS both ways (digest §2, §15.1), an HTTP error named with its
OperationOutcome, and the deadline. One suite, parametrized by plugin, instead of a copy per
plugin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from sas_core import SlotQuery, SourceOutcome
from sas_core.plugins import PluginHost
from sas_simulator.dataset import Dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer
from tests.plugin_support import Pki, dataset, fetch, mtls_simulator, pki, simulator, window

__all__ = ["dataset", "pki", "simulator"]

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class FhirPlugin:
    """A plugin and a query it must answer with slots from the default dataset."""

    name: str
    query: Callable[[Dataset], SlotQuery]

    def __str__(self) -> str:
        return self.name


PLUGINS = [
    FhirPlugin(
        "sas-fhir", lambda d: SlotQuery(window=window(), practitioners=(d.practitioners[0].idnps,))
    ),
    FhirPlugin(
        "sas-cpts", lambda d: SlotQuery(window=window(), practitioners=(d.practitioners[3].idnps,))
    ),
    FhirPlugin("sas-sos", lambda d: SlotQuery(window=window(), structures=(d.sos[0].idnst,))),
]


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost.discover()


async def outcome_of(
    host: PluginHost, plugin: FhirPlugin, dataset: Dataset, base_url: str, **settings: Any
) -> SourceOutcome:
    timeout_s = settings.pop("timeout_s", 3)
    adapter = host.adapter(
        plugin.name, {"base_url": base_url, **settings}, name="vendor-test", timeout_s=timeout_s
    )
    try:
        return (await fetch(host, adapter, plugin.query(dataset))).outcome
    finally:
        await host.close_adapter(adapter)


@pytest.mark.parametrize("plugin", PLUGINS, ids=str)
async def test_the_right_client_certificate_is_accepted(
    host: PluginHost, plugin: FhirPlugin, pki: Pki, dataset: Dataset
) -> None:
    with mtls_simulator(pki, dataset) as server:
        outcome = await outcome_of(
            host,
            plugin,
            dataset,
            server.base_url,
            ca_bundle=pki.vendor_ca,
            client_cert=pki.client_cert,
            client_key=pki.client_key,
        )
    assert outcome.status == "ok", outcome.error
    assert outcome.slot_count > 0


@pytest.mark.parametrize("plugin", PLUGINS, ids=str)
@pytest.mark.parametrize("client", ["none", "from-another-ca"])
async def test_a_refused_client_certificate_is_a_tls_failure(
    host: PluginHost, plugin: FhirPlugin, pki: Pki, dataset: Dataset, client: str
) -> None:
    certificate = (
        {}
        if client == "none"
        else {"client_cert": pki.rogue_client_cert, "client_key": pki.rogue_client_key}
    )
    with mtls_simulator(pki, dataset) as server:
        outcome = await outcome_of(
            host, plugin, dataset, server.base_url, ca_bundle=pki.vendor_ca, **certificate
        )
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("TLS failure:"), outcome.error
    assert "client" in outcome.error


@pytest.mark.parametrize("plugin", PLUGINS, ids=str)
async def test_an_untrusted_server_certificate_is_a_tls_failure(
    host: PluginHost, plugin: FhirPlugin, pki: Pki, dataset: Dataset
) -> None:
    with mtls_simulator(pki, dataset, rogue=True) as server:
        outcome = await outcome_of(
            host,
            plugin,
            dataset,
            server.base_url,
            ca_bundle=pki.vendor_ca,
            client_cert=pki.client_cert,
            client_key=pki.client_key,
        )
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith(
        "TLS failure: the vendor's server certificate was rejected ("
    ), outcome.error


@pytest.mark.parametrize("plugin", PLUGINS, ids=str)
async def test_a_server_error_carries_its_operation_outcome(
    host: PluginHost, plugin: FhirPlugin, simulator: SimulatorServer, dataset: Dataset
) -> None:
    simulator.set_faults(Faults(mode="http-500"))
    outcome = await outcome_of(host, plugin, dataset, simulator.base_url)
    assert outcome.http_status == 500
    assert outcome.error == (
        "HTTP 500 Internal Server Error: OperationOutcome error/exception: "
        "simulated server failure (fault http-500)"
    )


@pytest.mark.parametrize("plugin", PLUGINS, ids=str)
@pytest.mark.parametrize("fault", ["hang", "trickle"])
async def test_a_silent_or_trickling_vendor_is_cut_at_the_deadline(
    host: PluginHost,
    plugin: FhirPlugin,
    simulator: SimulatorServer,
    dataset: Dataset,
    fault: str,
) -> None:
    simulator.set_faults(Faults.model_validate({"mode": fault}))
    started = time.monotonic()
    outcome = await outcome_of(host, plugin, dataset, simulator.base_url, timeout_s=1)
    assert time.monotonic() - started < 1 + 2
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("no complete answer within the 1 s deadline"), outcome.error
    if fault == "trickle":
        assert "reading the response body" in outcome.error
