"""The transport contract every FHIR vendor plugin keeps, as a test class a plugin runs against
itself: mutual TLS both ways (digest §2, §15.1), an HTTP error named with its OperationOutcome,
and the deadline, over real sockets against the simulator.

A plugin built on the core's `FhirExchange` gets all of this from it; what each must still
prove is that it goes through it. Subclass in the plugin's tests, naming the plugin and a query
its simulated vendor answers with slots::

    class TestTransport(TransportContract):
        plugin = "my-vendor"

        def query(self, dataset: Dataset) -> SlotQuery:
            return SlotQuery(window=window(), practitioners=(dataset.practitioners[0].idnps,))
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest

from sas_core import SlotQuery, SourceOutcome
from sas_core.plugins.host import PluginHost
from sas_simulator.dataset import Dataset
from sas_simulator.faults import Faults
from sas_simulator.server import SimulatorServer
from sas_testkit.pki import Pki
from sas_testkit.searches import fetch
from sas_testkit.vendors import mtls_vendor


class TransportContract:
    """The checks, run by pytest on each subclass named `Test…` (this base is not collected)."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.anyio]

    #: The plugin's entry-point name.
    plugin: ClassVar[str]

    def query(self, dataset: Dataset) -> SlotQuery:
        """A query the plugin answers with slots from `dataset` (the kit's `sas_dataset`)."""
        raise NotImplementedError

    @pytest.fixture
    def contract_host(self) -> PluginHost:
        """The plugin alone, loaded from its entry point."""
        return PluginHost.discover(allow=[self.plugin])

    async def outcome_of(
        self, host: PluginHost, dataset: Dataset, base_url: str, **settings: Any
    ) -> SourceOutcome:
        timeout_s = settings.pop("timeout_s", 3)
        adapter = host.adapter(
            self.plugin, {"base_url": base_url, **settings}, name="vendor-test", timeout_s=timeout_s
        )
        try:
            return (await fetch(host, adapter, self.query(dataset))).outcome
        finally:
            await host.close_adapter(adapter)

    async def test_the_right_client_certificate_is_accepted(
        self, contract_host: PluginHost, sas_pki: Pki, sas_dataset: Dataset
    ) -> None:
        with mtls_vendor(sas_pki, sas_dataset) as server:
            outcome = await self.outcome_of(
                contract_host,
                sas_dataset,
                server.base_url,
                ca_bundle=sas_pki.vendor_ca,
                client_cert=sas_pki.client_cert,
                client_key=sas_pki.client_key,
            )
        assert outcome.status == "ok", outcome.error
        assert outcome.slot_count > 0

    @pytest.mark.parametrize("client", ["none", "from-another-ca"])
    async def test_a_refused_client_certificate_is_a_tls_failure(
        self, contract_host: PluginHost, sas_pki: Pki, sas_dataset: Dataset, client: str
    ) -> None:
        certificate = (
            {}
            if client == "none"
            else {"client_cert": sas_pki.rogue_client_cert, "client_key": sas_pki.rogue_client_key}
        )
        with mtls_vendor(sas_pki, sas_dataset) as server:
            outcome = await self.outcome_of(
                contract_host,
                sas_dataset,
                server.base_url,
                ca_bundle=sas_pki.vendor_ca,
                **certificate,
            )
        assert outcome.status == "error"
        assert outcome.error is not None
        assert outcome.error.startswith("TLS failure:"), outcome.error
        assert "client" in outcome.error

    async def test_an_untrusted_server_certificate_is_a_tls_failure(
        self, contract_host: PluginHost, sas_pki: Pki, sas_dataset: Dataset
    ) -> None:
        with mtls_vendor(sas_pki, sas_dataset, rogue=True) as server:
            outcome = await self.outcome_of(
                contract_host,
                sas_dataset,
                server.base_url,
                ca_bundle=sas_pki.vendor_ca,
                client_cert=sas_pki.client_cert,
                client_key=sas_pki.client_key,
            )
        assert outcome.status == "error"
        assert outcome.error is not None
        assert outcome.error.startswith(
            "TLS failure: the vendor's server certificate was rejected ("
        ), outcome.error

    async def test_a_server_error_carries_its_operation_outcome(
        self, contract_host: PluginHost, sas_vendor: SimulatorServer, sas_dataset: Dataset
    ) -> None:
        sas_vendor.set_faults(Faults(mode="http-500"))
        outcome = await self.outcome_of(contract_host, sas_dataset, sas_vendor.base_url)
        assert outcome.http_status == 500
        assert outcome.error == (
            "HTTP 500 Internal Server Error: OperationOutcome error/exception: "
            "simulated server failure (fault http-500)"
        )

    @pytest.mark.parametrize("fault", ["hang", "trickle"])
    async def test_a_silent_or_trickling_vendor_is_cut_at_the_deadline(
        self,
        contract_host: PluginHost,
        sas_vendor: SimulatorServer,
        sas_dataset: Dataset,
        fault: str,
    ) -> None:
        sas_vendor.set_faults(Faults.model_validate({"mode": fault}))
        started = time.monotonic()
        outcome = await self.outcome_of(
            contract_host, sas_dataset, sas_vendor.base_url, timeout_s=1
        )
        assert time.monotonic() - started < 1 + 2
        assert outcome.status == "error"
        assert outcome.error is not None
        assert outcome.error.startswith("no complete answer within the 1 s deadline"), outcome.error
        if fault == "trickle":
            assert "reading the response body" in outcome.error
